//! Misbehaving peers and folders for the fault tests: an HTTPS server and an SMTP responder
//! that drip one octet per second or never end a line, FIFOs and symbolic-link loops.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::support_servers::TestPki;

/// How a misbehaving server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// A valid answer, one octet per second.
    Drip,
    /// A first line that never ends, sent as fast as the client takes it (up to `FLOOD`).
    EndlessLine,
}

/// The most an endless line sends: enough that reading it whole shows in the count, little
/// enough that a client that does read it whole does not take the machine down.
pub const FLOOD: u64 = 256 * 1024 * 1024;

/// A server on 127.0.0.1 that misbehaves on every connection; `sent` counts the octets (of the
/// plain text) the client has taken so far.
pub struct BadServer {
    pub port: u16,
    pub ca_file: String,
    pub sent: Arc<AtomicU64>,
}

impl BadServer {
    /// An SMTP responder on 127.0.0.1: its greeting drips or never ends.
    pub fn smtp(how: Misbehaviour) -> BadServer {
        let (listener, port) = bind();
        let sent = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&sent);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || {
                    let mut stream = stream;
                    misbehave(
                        how,
                        b"220 mx1.slow.test ESMTP\r\n",
                        b"220 ",
                        &mut |chunk| stream.write_all(chunk),
                        &counter,
                    );
                });
            }
        });
        BadServer {
            port,
            ca_file: String::new(),
            sent,
        }
    }

    /// An HTTPS server (certificate for `host` from a test CA, `ca_file`): the TLS handshake is
    /// normal, then the response drips or its status line never ends.
    pub fn https(host: &str, how: Misbehaviour) -> BadServer {
        let pki = TestPki::new(host, None);
        let config = pki.server_config();
        let (listener, port) = bind();
        let sent = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&sent);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = Arc::clone(&counter);
                let config = Arc::clone(&config);
                std::thread::spawn(move || serve_tls(stream, config, how, &counter));
            }
        });
        BadServer {
            port,
            ca_file: pki.ca_file,
            sent,
        }
    }
}

fn bind() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    (listener, port)
}

/// Send `answer` one octet per second, or `start` and then an endless line, through `send`;
/// stops when the client goes away.
fn misbehave(
    how: Misbehaviour,
    answer: &[u8],
    start: &[u8],
    send: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    sent: &AtomicU64,
) {
    match how {
        Misbehaviour::Drip => {
            // Octet by octet, then the rest of the line forever: a per-read timeout never fires.
            for b in answer.iter().chain(std::iter::repeat(&b'a')) {
                if send(std::slice::from_ref(b)).is_err() {
                    return;
                }
                sent.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        Misbehaviour::EndlessLine => {
            if send(start).is_err() {
                return;
            }
            let chunk = [b'a'; 16 * 1024];
            while sent.load(Ordering::Relaxed) < FLOOD {
                if send(&chunk).is_err() {
                    return;
                }
                sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
            // Then hold the connection open: only the client's own bound can end it.
            std::thread::sleep(Duration::from_secs(60));
        }
    }
}

fn serve_tls(
    mut sock: TcpStream,
    config: Arc<rustls::ServerConfig>,
    how: Misbehaviour,
    sent: &AtomicU64,
) {
    let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    while conn.is_handshaking() {
        if conn.complete_io(&mut sock).is_err() {
            return;
        }
    }
    // Read the request (up to its blank line).
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        if conn.complete_io(&mut sock).is_err() {
            return;
        }
        match conn.reader().read(&mut buf) {
            Ok(0) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
    let answer =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nversion: S";
    // Each octet of plain text goes out in its own TLS record, so the client's TLS layer
    // sees a steady drip too.
    misbehave(
        how,
        answer,
        b"HTTP/1.1 200 ",
        &mut |chunk| {
            conn.writer().write_all(chunk)?;
            while conn.wants_write() {
                conn.write_tls(&mut sock)?;
            }
            Ok(())
        },
        sent,
    );
}

/// A FIFO at `path` (with mkfifo(1): the tests need no libc binding).
pub fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Run the binary like `support::run`, but kill it after `limit`; returns the run and how long
/// it took (a killed run has code -1 and took at least `limit`).
pub fn run_within(
    args: &[&str],
    stdin: Option<&[u8]>,
    limit: Duration,
) -> (crate::support::Run, Duration) {
    use std::process::{Command, Stdio};
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailverdict"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut out);
            }
            out
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let code = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.code().unwrap_or(-1);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break -1;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    (
        crate::support::Run {
            code,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stdout_bytes: stdout,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        },
        took,
    )
}
