//! A minimal MTA side of the milter protocol (what Postfix's smtpd does), for the shutdown
//! test and the benchmark's load generator (benches/milter.rs includes this file).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub struct MtaSide {
    stream: TcpStream,
    /// The protocol steps and flags the milter chose in negotiation (`SMFIP_*`).
    pub steps: u32,
}

/// A reply: its command octet and data.
pub type Reply = (u8, Vec<u8>);

impl MtaSide {
    /// Connect to 127.0.0.1:`port` and negotiate version 6, all actions, Postfix's usual
    /// steps with the leading-space option and no replies for headers and body chunks.
    pub fn connect(port: u16) -> std::io::Result<MtaSide> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_nodelay(true)?;
        let mut m = MtaSide { stream, steps: 0 };
        let mut data = Vec::new();
        for v in [6u32, 0x1ff, 0x1f_ffff] {
            data.extend_from_slice(&v.to_be_bytes());
        }
        m.send(b'O', &data)?;
        let (cmd, reply) = m.read()?;
        assert_eq!(cmd, b'O', "negotiation reply");
        m.steps = reply
            .get(8..12)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_be_bytes);
        Ok(m)
    }

    pub fn send(&mut self, cmd: u8, data: &[u8]) -> std::io::Result<()> {
        let len = u32::try_from(data.len() + 1).expect("small packet");
        let mut p = len.to_be_bytes().to_vec();
        p.push(cmd);
        p.extend_from_slice(data);
        self.stream.write_all(&p)
    }

    pub fn read(&mut self) -> std::io::Result<Reply> {
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len)?;
        let len = u32::from_be_bytes(len) as usize;
        let mut p = vec![0u8; len.min(1 << 24)];
        self.stream.read_exact(&mut p)?;
        let cmd = p.first().copied().unwrap_or(0);
        Ok((cmd, p.get(1..).unwrap_or_default().to_vec()))
    }

    /// Connect info, HELO and MAIL FROM, each answered with continue.
    pub fn envelope(&mut self, ip: &str, helo: &str, from: &str, qid: &str) -> std::io::Result<()> {
        self.send(b'D', b"Cj\0mx.ours.test\0")?;
        let mut c = b"client.example\x004\x00\x19".to_vec();
        c.extend_from_slice(ip.as_bytes());
        c.push(0);
        self.send(b'C', &c)?;
        self.expect_continue()?;
        self.send(b'H', format!("{helo}\0").as_bytes())?;
        self.expect_continue()?;
        self.send(b'D', format!("Mi\0{qid}\0").as_bytes())?;
        self.send(b'M', format!("<{from}>\0").as_bytes())?;
        self.expect_continue()
    }

    /// The next message's MAIL FROM on the same connection.
    pub fn mail(&mut self, from: &str, qid: &str) -> std::io::Result<()> {
        self.send(b'D', format!("Mi\0{qid}\0").as_bytes())?;
        self.send(b'M', format!("<{from}>\0").as_bytes())?;
        self.expect_continue()
    }

    /// Header fields (value with its leading space), end of header, body (no replies).
    pub fn content(&mut self, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<()> {
        for (name, value) in headers {
            self.send(b'L', format!("{name}\0{value}\0").as_bytes())?;
        }
        self.send(b'N', b"")?;
        for chunk in body.chunks(65535) {
            self.send(b'B', chunk)?;
        }
        Ok(())
    }

    /// End of message: every reply up to the final one (continue, accept, reject...).
    pub fn end(&mut self) -> std::io::Result<Vec<Reply>> {
        self.send(b'E', b"")?;
        let mut out = Vec::new();
        loop {
            let r = self.read()?;
            let last = matches!(r.0, b'c' | b'a' | b'r' | b't' | b'd' | b'y');
            out.push(r);
            if last {
                return Ok(out);
            }
        }
    }

    pub fn quit(mut self) {
        let _ = self.send(b'Q', b"");
    }

    fn expect_continue(&mut self) -> std::io::Result<()> {
        let (cmd, _) = self.read()?;
        assert_eq!(cmd, b'c', "continue expected");
        Ok(())
    }
}
