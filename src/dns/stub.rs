//! A stub resolver over blocking sockets: one question to the configured recursive resolvers,
//! within one total deadline, with a back-off for resolvers that let a query time out.
//!
//! Our own rather than hickory-resolver's for the plain lookups because the guarantees the
//! program makes are about time and about which failure happened: `--timeout` is the total for
//! a query (every attempt and every resolver), a silent resolver is not waited on again for
//! [`BACKOFF`], a connection refused (ICMP port unreachable on a connected socket) is REFUSED
//! and not a timeout, and each calling thread blocks on its own socket, so many threads can wait
//! at once without sharing a runtime.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType as HRecordType};

/// How long a resolver that let a query time out is left alone: later queries are not sent
/// to it (they fail at once) until this has passed, so one lost packet costs a long batch or a
/// milter at most this long.
pub(crate) const BACKOFF: Duration = Duration::from_secs(30);
/// EDNS payload size we advertise (the DNS flag day 2020 value); larger answers come by TCP.
const EDNS_PAYLOAD: u16 = 1232;
/// The largest DNS message (a UDP datagram or a TCP frame).
const MAX_MESSAGE: usize = 65_535;

/// One configured resolver and what we know of its health.
pub(crate) struct Server {
    pub addr: SocketAddr,
    /// Until when queries are not sent to it (it let one time out).
    quiet_until: Mutex<Option<Instant>>,
    /// It let a query time out at some point of the run (for the report's note).
    silent_once: AtomicBool,
}

impl Server {
    pub fn new(addr: SocketAddr) -> Server {
        Server {
            addr,
            quiet_until: Mutex::new(None),
            silent_once: AtomicBool::new(false),
        }
    }

    /// Whether the server is in its back-off now.
    pub fn is_quiet(&self, now: Instant) -> bool {
        self.quiet_until
            .lock()
            .map(|q| q.is_some_and(|until| now < until))
            .unwrap_or(false)
    }

    pub fn was_silent(&self) -> bool {
        self.silent_once.load(Ordering::Relaxed)
    }

    pub fn mark_silent(&self) {
        self.silent_once.store(true, Ordering::Relaxed);
        if let Ok(mut q) = self.quiet_until.lock() {
            *q = Some(Instant::now() + BACKOFF);
        }
    }
}

/// Why an exchange produced no usable response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExchangeError {
    /// Nothing came back before the deadline.
    TimedOut,
    /// The run's cut-off came before the server's share of the timeout ended: not its fault.
    Cut,
    /// The server's port is closed (ECONNREFUSED).
    Refused,
    /// The query could not be built or sent, or the answer was unreadable.
    Broken,
}

/// One question in wire form, with what a matching response must repeat.
pub(crate) struct Question {
    id: u16,
    name: Name,
    rtype: HRecordType,
    wire: Vec<u8>,
}

impl Question {
    pub fn new(name: Name, rtype: HRecordType) -> Result<Question, ExchangeError> {
        // `Message::query` draws a random ID; the kernel picks a random source port.
        let mut message = Message::query();
        message.metadata.recursion_desired = true;
        message.add_query(Query::query(name.clone(), rtype));
        let mut edns = Edns::new();
        edns.set_max_payload(EDNS_PAYLOAD);
        message.set_edns(edns);
        let wire = message.to_vec().map_err(|_| ExchangeError::Broken)?;
        Ok(Question {
            id: message.metadata.id,
            name,
            rtype,
            wire,
        })
    }

    /// A response to this question: same ID, a response, the same single question. Anything
    /// else on the socket (a late or forged datagram) is ignored.
    fn matches(&self, m: &Message) -> bool {
        m.metadata.id == self.id
            && m.metadata.message_type == MessageType::Response
            && m.metadata.op_code == OpCode::Query
            && m.queries.len() == 1
            && m.queries[0].name() == &self.name
            && m.queries[0].query_type() == self.rtype
    }
}

/// Ask the servers not in back-off, in order, within `timeout` in total and before `cutoff`
/// (the run's deadline). Each gets an equal share of the time left; a server that lets its
/// whole share pass is put in back-off, one whose share the cut-off shortened is not. SERVFAIL
/// and REFUSED move on to the next server. `Err(None)` means no server could be asked at all.
pub(crate) fn ask(
    servers: &[Server],
    question: &Question,
    timeout: Duration,
    cutoff: Option<Instant>,
) -> Result<(Message, SocketAddr), Option<ExchangeError>> {
    let start = Instant::now();
    let full = start + timeout;
    let deadline = cutoff.map_or(full, |c| c.min(full));
    if deadline <= start {
        return Err(Some(ExchangeError::Cut));
    }
    let cut = deadline < full;
    let open: Vec<&Server> = servers.iter().filter(|s| !s.is_quiet(start)).collect();
    let mut first_error = None;
    let mut fallback = None;
    for (i, server) in open.iter().enumerate() {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let share = (deadline - now) / u32::try_from(open.len() - i).unwrap_or(1);
        match exchange(server.addr, question, now + share) {
            Ok(m) => match m.metadata.response_code {
                ResponseCode::ServFail | ResponseCode::Refused if i + 1 < open.len() => {
                    fallback.get_or_insert((m, server.addr));
                }
                _ => return Ok((m, server.addr)),
            },
            Err(ExchangeError::TimedOut) if cut => {
                first_error.get_or_insert(ExchangeError::Cut);
            }
            Err(e) => {
                if e == ExchangeError::TimedOut {
                    server.mark_silent();
                }
                first_error.get_or_insert(e);
            }
        }
    }
    match (fallback, first_error) {
        (Some(answer), _) => Ok(answer),
        (None, Some(e)) => Err(Some(e)),
        (None, None) if open.is_empty() => Err(None),
        (None, None) if cut => Err(Some(ExchangeError::Cut)),
        (None, None) => Err(Some(ExchangeError::TimedOut)),
    }
}

/// One server: UDP (sent again halfway through the share, for a lost packet), then TCP when
/// the answer is truncated, all before `deadline`.
fn exchange(
    server: SocketAddr,
    question: &Question,
    deadline: Instant,
) -> Result<Message, ExchangeError> {
    let answer = udp(server, question, deadline)?;
    if answer.metadata.truncation {
        return tcp(server, question, deadline);
    }
    Ok(answer)
}

fn left(deadline: Instant) -> Result<Duration, ExchangeError> {
    let d = deadline.saturating_duration_since(Instant::now());
    // A zero socket timeout means "block forever": never hand one over.
    if d < Duration::from_millis(1) {
        Err(ExchangeError::TimedOut)
    } else {
        Ok(d)
    }
}

fn io_error(e: &std::io::Error) -> ExchangeError {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => ExchangeError::TimedOut,
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset => ExchangeError::Refused,
        _ => ExchangeError::Broken,
    }
}

fn udp(
    server: SocketAddr,
    question: &Question,
    deadline: Instant,
) -> Result<Message, ExchangeError> {
    let local: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let socket = UdpSocket::bind(local).map_err(|e| io_error(&e))?;
    // Connected: the kernel drops datagrams from other addresses and reports ECONNREFUSED.
    socket.connect(server).map_err(|e| io_error(&e))?;
    socket.send(&question.wire).map_err(|e| io_error(&e))?;
    let resend_at = Instant::now() + deadline.saturating_duration_since(Instant::now()) / 2;
    let mut resent = false;
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let wait_until = if resent { deadline } else { resend_at };
        let wait = match left(wait_until) {
            Ok(d) => d,
            Err(_) if !resent => {
                resent = true;
                socket.send(&question.wire).map_err(|e| io_error(&e))?;
                continue;
            }
            Err(e) => return Err(e),
        };
        socket
            .set_read_timeout(Some(wait))
            .map_err(|e| io_error(&e))?;
        match socket.recv(&mut buf) {
            Ok(n) => {
                if let Ok(m) = Message::from_vec(&buf[..n])
                    && question.matches(&m)
                {
                    return Ok(m);
                }
            }
            Err(e) if io_error(&e) == ExchangeError::TimedOut => {}
            Err(e) => return Err(io_error(&e)),
        }
    }
}

fn tcp(
    server: SocketAddr,
    question: &Question,
    deadline: Instant,
) -> Result<Message, ExchangeError> {
    let mut stream =
        TcpStream::connect_timeout(&server, left(deadline)?).map_err(|e| io_error(&e))?;
    let len = u16::try_from(question.wire.len()).map_err(|_| ExchangeError::Broken)?;
    let mut frame = len.to_be_bytes().to_vec();
    frame.extend_from_slice(&question.wire);
    stream
        .set_write_timeout(Some(left(deadline)?))
        .map_err(|e| io_error(&e))?;
    stream.write_all(&frame).map_err(|e| io_error(&e))?;
    let mut read_exact = |buf: &mut [u8]| -> Result<(), ExchangeError> {
        let mut filled = 0;
        // Each read gets only the time left, so a server dripping octets cannot stretch it.
        while filled < buf.len() {
            stream
                .set_read_timeout(Some(left(deadline)?))
                .map_err(|e| io_error(&e))?;
            match stream.read(&mut buf[filled..]) {
                Ok(0) => return Err(ExchangeError::Broken),
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e)),
            }
        }
        Ok(())
    };
    let mut len = [0u8; 2];
    read_exact(&mut len)?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    read_exact(&mut body)?;
    let m = Message::from_vec(&body).map_err(|_| ExchangeError::Broken)?;
    if question.matches(&m) {
        Ok(m)
    } else {
        Err(ExchangeError::Broken)
    }
}
