//! The milter wire protocol, version 6 as libmilter speaks it (Sendmail's `mfdef.h`): every
//! packet is a 32-bit big-endian length, one command octet and its data. Written here rather
//! than taken from a crate (see README, "Why our own milter protocol code"): the protocol is a
//! dozen packet shapes, and owning the framing lets every read be bounded.

use std::net::IpAddr;

/// The protocol version we speak (libmilter 8.14+, Postfix 2.6+).
pub const VERSION: u32 = 6;

/// The largest packet we accept: the biggest body chunk an MTA sends (`SMFIP_MDS_1M`, 1 MiB - 1)
/// plus room for a header field near Postfix's `header_size_limit`. Anything longer is not a
/// milter peer, and the connection is dropped rather than buffered.
pub const MAX_PACKET: usize = (1 << 20) + (64 << 10);

/// Actions we may ask for (`SMFIF_*`).
pub mod action {
    /// Add (and insert) header fields.
    pub const ADD_HEADERS: u32 = 0x01;
    /// Change and delete header fields.
    pub const CHANGE_HEADERS: u32 = 0x10;
    /// Quarantine the message.
    pub const QUARANTINE: u32 = 0x20;
}

/// Protocol steps and flags (`SMFIP_*`).
pub mod step {
    /// No reply to each header.
    pub const NR_HDR: u32 = 0x80;
    /// No UNKNOWN callback.
    pub const NO_UNKNOWN: u32 = 0x100;
    /// No reply to end of header.
    pub const NR_EOH: u32 = 0x40000;
    /// No reply to body chunks.
    pub const NR_BODY: u32 = 0x80000;
    /// Header values arrive with their leading space, and ours must carry one.
    pub const HDR_LEADSPC: u32 = 0x100000;
}

/// Why a packet could not be read as a milter command.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtoError {
    /// The length prefix says zero: there is no command octet.
    #[error("empty packet")]
    Empty,
    /// Longer than [`MAX_PACKET`].
    #[error("packet of {0} octets is longer than the {MAX_PACKET} accepted")]
    TooLarge(usize),
    /// The data is shorter than the command needs.
    #[error("truncated '{}' packet", char::from(*.0))]
    Truncated(u8),
    /// A command octet libmilter does not define.
    #[error("unknown command octet 0x{0:02x}")]
    UnknownCommand(u8),
}

/// The client's address as the connect callback gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// An IPv4 or IPv6 client.
    Ip(IpAddr),
    /// A local (Unix socket) or unknown client: no address to evaluate.
    Other,
}

/// One command from the MTA.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// `O`: option negotiation.
    OptNeg {
        version: u32,
        actions: u32,
        protocol: u32,
    },
    /// `D`: macros for the stage named by `stage` (a command octet).
    Macros {
        stage: u8,
        pairs: Vec<(String, String)>,
    },
    /// `C`: the SMTP client connected.
    Connect { hostname: String, peer: Peer },
    /// `H`: HELO/EHLO argument.
    Helo(String),
    /// `M`: MAIL FROM, then its ESMTP arguments.
    Mail(Vec<String>),
    /// `R`: RCPT TO.
    Rcpt(Vec<String>),
    /// `T`: DATA.
    Data,
    /// `L`: one header field, its name and value as sent (no line end).
    Header { name: Vec<u8>, value: Vec<u8> },
    /// `N`: end of the header.
    EndOfHeaders,
    /// `B`: a body chunk.
    Body(Vec<u8>),
    /// `E`: end of the message (an MTA may put a last body chunk in it).
    EndOfMessage(Vec<u8>),
    /// `A`: the message is abandoned; the connection stays.
    Abort,
    /// `Q`: close the connection.
    Quit,
    /// `K`: the next SMTP connection reuses this milter connection.
    QuitNewConnection,
    /// `U`: an SMTP command the MTA did not know.
    Unknown(Vec<u8>),
}

/// One reply to the MTA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `O`: our side of the negotiation.
    OptNeg {
        version: u32,
        actions: u32,
        protocol: u32,
    },
    /// `c`: go on (at end of message: accept).
    Continue,
    /// `y`: reject or tempfail with this SMTP reply (`550 5.7.1 text`).
    ReplyCode(String),
    /// `i`: insert a header field at `index` (0 = the top).
    InsertHeader {
        index: u32,
        name: String,
        value: String,
    },
    /// `m`: change the `index`th (1-based) field called `name`; an empty value deletes it.
    ChangeHeader {
        index: u32,
        name: String,
        value: String,
    },
    /// `q`: quarantine, with a reason.
    Quarantine(String),
}

fn u32_at(data: &[u8], at: usize, cmd: u8) -> Result<u32, ProtoError> {
    data.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)
        .ok_or(ProtoError::Truncated(cmd))
}

/// The NUL-terminated strings of `data` (a last one without its NUL is kept too).
fn strings(data: &[u8]) -> Vec<&[u8]> {
    let data = data.strip_suffix(&[0]).unwrap_or(data);
    if data.is_empty() {
        return Vec::new();
    }
    data.split(|&b| b == 0).collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Take one whole packet off the front of `buf`, if one has arrived; the length prefix is
/// checked before any of the data is awaited.
pub fn take_packet(buf: &mut Vec<u8>) -> Result<Option<Vec<u8>>, ProtoError> {
    let Some(prefix) = buf.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    if len == 0 {
        return Err(ProtoError::Empty);
    }
    if len > MAX_PACKET {
        return Err(ProtoError::TooLarge(len));
    }
    if buf.len() < 4 + len {
        return Ok(None);
    }
    let rest = buf.split_off(4 + len);
    let mut packet = std::mem::replace(buf, rest);
    packet.drain(..4);
    Ok(Some(packet))
}

impl Command {
    /// Read a packet (command octet first, without the length prefix).
    pub fn parse(mut packet: Vec<u8>) -> Result<Command, ProtoError> {
        let Some(&cmd) = packet.first() else {
            return Err(ProtoError::Empty);
        };
        let data = &packet[1..];
        Ok(match cmd {
            b'O' => Command::OptNeg {
                version: u32_at(data, 0, cmd)?,
                actions: u32_at(data, 4, cmd)?,
                protocol: u32_at(data, 8, cmd)?,
            },
            b'D' => {
                let (&stage, rest) = data.split_first().ok_or(ProtoError::Truncated(cmd))?;
                let list = strings(rest);
                let pairs = list
                    .chunks(2)
                    .map(|p| {
                        let name = text(p[0]);
                        let name = name.trim_start_matches('{').trim_end_matches('}');
                        (
                            name.to_string(),
                            p.get(1).map_or_else(String::new, |v| text(v)),
                        )
                    })
                    .collect();
                Command::Macros { stage, pairs }
            }
            b'C' => {
                let nul = data
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or(ProtoError::Truncated(cmd))?;
                let hostname = text(&data[..nul]);
                let rest = &data[nul + 1..];
                let peer = match rest.first() {
                    Some(b'4' | b'6') if rest.len() >= 3 => {
                        let addr = strings(&rest[3..]).first().map(|a| text(a));
                        addr.and_then(|a| a.trim_start_matches("IPv6:").parse().ok())
                            .map_or(Peer::Other, Peer::Ip)
                    }
                    _ => Peer::Other,
                };
                Command::Connect { hostname, peer }
            }
            b'H' => Command::Helo(strings(data).first().map(|h| text(h)).unwrap_or_default()),
            b'M' => Command::Mail(strings(data).into_iter().map(text).collect()),
            b'R' => Command::Rcpt(strings(data).into_iter().map(text).collect()),
            b'T' => Command::Data,
            b'L' => {
                let nul = data.iter().position(|&b| b == 0);
                let (name, value) = match nul {
                    Some(i) => (&data[..i], &data[i + 1..]),
                    None => return Err(ProtoError::Truncated(cmd)),
                };
                let value = value.strip_suffix(&[0]).unwrap_or(value);
                Command::Header {
                    name: name.to_vec(),
                    value: value.to_vec(),
                }
            }
            b'N' => Command::EndOfHeaders,
            b'B' => {
                packet.remove(0);
                Command::Body(packet)
            }
            b'E' => {
                packet.remove(0);
                Command::EndOfMessage(packet)
            }
            b'A' => Command::Abort,
            b'Q' => Command::Quit,
            b'K' => Command::QuitNewConnection,
            b'U' => Command::Unknown(data.to_vec()),
            other => return Err(ProtoError::UnknownCommand(other)),
        })
    }
}

fn nul_terminated(out: &mut Vec<u8>, s: &str) {
    // A NUL inside would end the string early for the MTA: our texts never hold one.
    out.extend(s.bytes().filter(|&b| b != 0));
    out.push(0);
}

impl Response {
    /// Append the packet, length prefix included, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        match self {
            Response::OptNeg {
                version,
                actions,
                protocol,
            } => {
                out.push(b'O');
                for v in [version, actions, protocol] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
            }
            Response::Continue => out.push(b'c'),
            Response::ReplyCode(text) => {
                out.push(b'y');
                nul_terminated(out, text);
            }
            Response::InsertHeader { index, name, value } => {
                out.push(b'i');
                out.extend_from_slice(&index.to_be_bytes());
                nul_terminated(out, name);
                nul_terminated(out, value);
            }
            Response::ChangeHeader { index, name, value } => {
                out.push(b'm');
                out.extend_from_slice(&index.to_be_bytes());
                nul_terminated(out, name);
                nul_terminated(out, value);
            }
            Response::Quarantine(reason) => {
                out.push(b'q');
                nul_terminated(out, reason);
            }
        }
        let len = u32::try_from(out.len() - start - 4).unwrap_or(u32::MAX);
        out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(cmd: u8, data: &[u8]) -> Vec<u8> {
        let mut p = u32::try_from(data.len() + 1)
            .expect("small")
            .to_be_bytes()
            .to_vec();
        p.push(cmd);
        p.extend_from_slice(data);
        p
    }

    #[test]
    fn packets_are_framed_and_bounded() {
        let mut buf = packet(b'T', b"");
        buf.extend_from_slice(&packet(b'H', b"mail.example\0")[..5]);
        assert_eq!(take_packet(&mut buf), Ok(Some(vec![b'T'])));
        assert_eq!(
            take_packet(&mut buf),
            Ok(None),
            "the second is not whole yet"
        );
        let mut huge = u32::try_from(MAX_PACKET + 1)
            .expect("fits")
            .to_be_bytes()
            .to_vec();
        assert_eq!(
            take_packet(&mut huge),
            Err(ProtoError::TooLarge(MAX_PACKET + 1))
        );
        assert_eq!(take_packet(&mut vec![0, 0, 0, 0]), Err(ProtoError::Empty));
    }

    #[test]
    fn commands_parse() {
        let parse = |cmd, data: &[u8]| {
            let mut p = vec![cmd];
            p.extend_from_slice(data);
            Command::parse(p)
        };
        assert_eq!(
            parse(b'C', b"mail.example\x004\x00\x19192.0.2.1\0"),
            Ok(Command::Connect {
                hostname: "mail.example".into(),
                peer: Peer::Ip("192.0.2.1".parse().expect("ip")),
            })
        );
        assert_eq!(
            parse(b'C', b"h\x006\x00\x19IPv6:2001:db8::1\0"),
            Ok(Command::Connect {
                hostname: "h".into(),
                peer: Peer::Ip("2001:db8::1".parse().expect("ip")),
            })
        );
        assert_eq!(
            parse(b'D', b"C{client_addr}\x00192.0.2.1\x00j\x00mx.test\0"),
            Ok(Command::Macros {
                stage: b'C',
                pairs: vec![
                    ("client_addr".into(), "192.0.2.1".into()),
                    ("j".into(), "mx.test".into())
                ],
            })
        );
        assert_eq!(
            parse(b'L', b"Subject\0 hi\0"),
            Ok(Command::Header {
                name: b"Subject".to_vec(),
                value: b" hi".to_vec()
            })
        );
        assert_eq!(parse(b'O', b"\0\0"), Err(ProtoError::Truncated(b'O')));
        assert_eq!(parse(b'z', b""), Err(ProtoError::UnknownCommand(b'z')));
        assert_eq!(parse(b'L', b"no nul"), Err(ProtoError::Truncated(b'L')));
    }

    #[test]
    fn responses_encode() {
        let mut out = Vec::new();
        Response::ChangeHeader {
            index: 2,
            name: "A".into(),
            value: String::new(),
        }
        .encode(&mut out);
        assert_eq!(out, b"\0\0\0\x08m\0\0\0\x02A\0\0");
    }
}
