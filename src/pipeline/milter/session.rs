//! One milter connection: the MTA's facts (macros, connect, HELO, MAIL FROM), the message
//! assembled as it will be delivered, and the end-of-message decision.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::budget::Reservation;
use super::proto::{self, Command, Peer, ProtoError, Response, action, step};
use super::verify::{self, Checked, FIELD};
use super::{Shared, escape_log};
use crate::dns::{Dns, TtlCache};
use crate::pipeline::filter::{self, FilterConfig};

/// Why a connection ended before the MTA closed it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    #[error("milter connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("milter protocol: {0}")]
    Proto(#[from] ProtoError),
}

/// At most this many macros are kept per connection, each value clipped: they come from the
/// MTA, but an MTA passes on text a client chose.
const MAX_MACROS: usize = 64;
const MAX_MACRO_LEN: usize = 1024;

/// How the message being received is held.
enum Holding {
    /// Bytes kept so far.
    Bytes(Vec<u8>),
    /// Past `--max-size`: only counted.
    Oversized,
    /// The memory budget had no room: only counted.
    OverBudget,
}

/// The message between MAIL FROM and its end.
struct Message {
    mail_from: Option<String>,
    holding: Holding,
    reservation: Reservation,
    size: u64,
    /// Fields named Authentication-Results seen so far.
    authres_seen: u32,
    /// The 1-based indexes (among those) of the fields that claim our authserv-id.
    forged: Vec<u32>,
}

pub(crate) struct Session {
    shared: Arc<Shared>,
    /// Our filter configuration with this connection's authserv-id.
    cfg: Arc<FilterConfig>,
    leading_space: bool,
    /// Steps we said need no reply.
    no_reply: u32,
    macros: HashMap<String, String>,
    client: Option<IpAddr>,
    client_name: String,
    helo: Option<String>,
    message: Option<Message>,
}

/// What the loop does after a command.
enum Flow {
    Reply(Vec<Response>),
    Silent,
    Close,
}

impl Session {
    pub(crate) fn new(shared: Arc<Shared>) -> Session {
        let cfg = shared.filter.clone();
        Session {
            shared,
            cfg,
            leading_space: false,
            no_reply: 0,
            macros: HashMap::new(),
            client: None,
            client_name: String::new(),
            helo: None,
            message: None,
        }
    }

    /// Serve the connection until the MTA quits, the protocol breaks, or (between messages)
    /// shutdown begins.
    pub(crate) async fn run<S: AsyncRead + AsyncWrite + Unpin>(
        mut self,
        mut stream: S,
    ) -> Result<(), SessionError> {
        let mut shutdown = self.shared.shutdown.clone();
        let mut inbuf: Vec<u8> = Vec::with_capacity(8 * 1024);
        let mut out = Vec::with_capacity(1024);
        loop {
            let packet = loop {
                if let Some(p) = proto::take_packet(&mut inbuf)? {
                    break p;
                }
                let idle = self.message.is_none();
                if idle && *shutdown.borrow() {
                    return Ok(());
                }
                // Read at most what the packet still needs (bounded by MAX_PACKET).
                inbuf.reserve(8 * 1024);
                tokio::select! {
                    n = stream.read_buf(&mut inbuf) => {
                        if n? == 0 {
                            return Ok(());
                        }
                    }
                    _ = shutdown.changed(), if idle => {}
                }
            };
            match self.handle(Command::parse(packet)?).await {
                Flow::Silent => {}
                Flow::Close => return Ok(()),
                Flow::Reply(responses) => {
                    out.clear();
                    for r in &responses {
                        r.encode(&mut out);
                    }
                    stream.write_all(&out).await?;
                }
            }
        }
    }

    fn reply(&self, flag: u32) -> Flow {
        if self.no_reply & flag != 0 {
            Flow::Silent
        } else {
            Flow::Reply(vec![Response::Continue])
        }
    }

    async fn handle(&mut self, cmd: Command) -> Flow {
        match cmd {
            Command::OptNeg {
                version,
                actions,
                protocol,
            } => {
                let want_actions =
                    action::ADD_HEADERS | action::CHANGE_HEADERS | action::QUARANTINE;
                // RCPT and DATA are taken and answered though nothing is done with them:
                // Postfix sends their macros even when the steps are skipped, and a packet left
                // unanswered makes the MTA's next one (it sets no TCP_NODELAY) wait for our
                // delayed ACK, 40 ms. The header and body packets come in one write with the
                // end of message, so they go unanswered at no cost.
                let want_steps = step::NO_UNKNOWN
                    | step::NR_HDR
                    | step::NR_EOH
                    | step::NR_BODY
                    | step::HDR_LEADSPC;
                let steps = want_steps & protocol;
                self.leading_space = steps & step::HDR_LEADSPC != 0;
                self.no_reply = steps & (step::NR_HDR | step::NR_EOH | step::NR_BODY);
                Flow::Reply(vec![Response::OptNeg {
                    version: version.min(proto::VERSION),
                    actions: want_actions & actions,
                    protocol: steps,
                }])
            }
            Command::Macros { pairs, .. } => {
                for (name, mut value) in pairs {
                    if self.macros.len() >= MAX_MACROS && !self.macros.contains_key(&name) {
                        continue;
                    }
                    value.truncate(
                        (0..=MAX_MACRO_LEN.min(value.len()))
                            .rev()
                            .find(|&i| value.is_char_boundary(i))
                            .unwrap_or(0),
                    );
                    self.macros.insert(name, value);
                }
                // Macros get no reply.
                Flow::Silent
            }
            Command::Connect { hostname, peer } => {
                self.client = match peer {
                    Peer::Ip(ip) => Some(ip),
                    Peer::Other => self
                        .macros
                        .get("client_addr")
                        .and_then(|a| a.trim_start_matches("IPv6:").parse().ok()),
                };
                self.client_name = hostname;
                if !self.shared.authserv_id_given {
                    // The MTA's own name ({j}, else {daemon_name}) is our authserv-id.
                    let id = ["j", "daemon_name"]
                        .iter()
                        .find_map(|m| self.macros.get(*m).filter(|v| !v.is_empty()));
                    if let Some(id) = id
                        && *id != self.cfg.authserv_id
                    {
                        let mut cfg = (*self.shared.filter).clone();
                        cfg.authserv_id = id.clone();
                        cfg.check.authserv_id = Some(id.clone());
                        cfg.check.receiver = id.clone();
                        self.cfg = Arc::new(cfg);
                    }
                }
                Flow::Reply(vec![Response::Continue])
            }
            Command::Helo(h) => {
                self.helo = Some(h);
                Flow::Reply(vec![Response::Continue])
            }
            Command::Mail(args) => {
                let from = args
                    .first()
                    .map(|a| {
                        a.trim()
                            .trim_start_matches('<')
                            .trim_end_matches('>')
                            .to_string()
                    })
                    .or_else(|| self.macros.get("mail_addr").cloned());
                self.start_message(from);
                Flow::Reply(vec![Response::Continue])
            }
            Command::Rcpt(_) | Command::Data | Command::Unknown(_) => {
                Flow::Reply(vec![Response::Continue])
            }
            Command::Header { name, value } => {
                self.header(&name, &value);
                self.reply(step::NR_HDR)
            }
            Command::EndOfHeaders => {
                self.append(b"\r\n");
                self.reply(step::NR_EOH)
            }
            Command::Body(chunk) => {
                self.append(&chunk);
                self.reply(step::NR_BODY)
            }
            Command::EndOfMessage(chunk) => {
                self.append(&chunk);
                Flow::Reply(self.end_of_message().await)
            }
            Command::Abort => {
                self.message = None;
                Flow::Silent
            }
            Command::QuitNewConnection => {
                self.message = None;
                self.client = None;
                self.helo = None;
                self.macros.clear();
                self.cfg = self.shared.filter.clone();
                Flow::Silent
            }
            Command::Quit => Flow::Close,
        }
    }

    fn start_message(&mut self, mail_from: Option<String>) {
        self.message = Some(Message {
            mail_from,
            holding: Holding::Bytes(Vec::new()),
            reservation: Reservation::new(&self.shared.budget),
            size: 0,
            authres_seen: 0,
            forged: Vec::new(),
        });
    }

    /// One header field: judged for forgery, then kept as the message will carry it (the
    /// value's own leading space when the MTA passes it, else one; LF line ends as CRLF).
    fn header(&mut self, name: &[u8], value: &[u8]) {
        if self.message.is_none() {
            // Some clients (miltertest) may skip MAIL: the message starts at its first field.
            self.start_message(self.macros.get("mail_addr").cloned());
        }
        let ours = self.cfg.authserv_id.clone();
        if let Some(m) = self.message.as_mut()
            && name.eq_ignore_ascii_case(FIELD.as_bytes())
        {
            m.authres_seen += 1;
            if filter::claims(value, &ours) {
                m.forged.push(m.authres_seen);
            }
        }
        let mut field = Vec::with_capacity(name.len() + value.len() + 4);
        field.extend_from_slice(name);
        field.push(b':');
        if !self.leading_space {
            field.push(b' ');
        }
        let mut prev = 0u8;
        for &b in value {
            if b == b'\n' && prev != b'\r' {
                field.push(b'\r');
            }
            field.push(b);
            prev = b;
        }
        field.extend_from_slice(b"\r\n");
        self.append(&field);
    }

    /// Add bytes to the message, within `--max-size` and the memory budget.
    fn append(&mut self, bytes: &[u8]) {
        if self.message.is_none() {
            self.start_message(self.macros.get("mail_addr").cloned());
        }
        let max = self.cfg.max_size;
        let Some(m) = self.message.as_mut() else {
            return;
        };
        m.size += bytes.len() as u64;
        if let Holding::Bytes(buf) = &mut m.holding {
            if m.size > max {
                m.holding = Holding::Oversized;
                m.reservation.release();
            } else if !m.reservation.grow(bytes.len() as u64) {
                m.holding = Holding::OverBudget;
                m.reservation.release();
            } else {
                buf.extend_from_slice(bytes);
            }
        }
    }

    async fn end_of_message(&mut self) -> Vec<Response> {
        let started = Instant::now();
        let Some(mut m) = self.message.take() else {
            return vec![Response::Continue];
        };
        let checked = match std::mem::replace(&mut m.holding, Holding::Oversized) {
            Holding::Oversized => Checked::Oversized,
            Holding::OverBudget => Checked::OverBudget(self.shared.budget.limit()),
            Holding::Bytes(bytes) => {
                let held =
                    std::mem::replace(&mut m.reservation, Reservation::new(&self.shared.budget));
                self.check(bytes, held, m.mail_from.clone()).await
            }
        };
        let decision = verify::decide(
            &checked,
            &self.cfg,
            self.shared.policies,
            self.leading_space,
            &m.forged,
        );
        let took = started.elapsed();
        self.shared.metrics.message(
            decision.outcome,
            decision.action,
            took,
            decision.dns_failures,
        );
        let queue = self.macros.get("i").map_or("-", String::as_str);
        let client = self
            .client
            .map_or_else(|| "-".to_string(), |ip| ip.to_string());
        (self.shared.log)(&format!(
            "mailverdict milter: queue={} client={} from=<{}> size={} verdict={} action={} time={:.1}ms reason=\"{}\"",
            escape_log(queue),
            client,
            escape_log(m.mail_from.as_deref().unwrap_or("")),
            m.size,
            decision.verdict,
            action_word(decision.action),
            took.as_secs_f64() * 1000.0,
            escape_log(&decision.reason),
        ));
        let mut out = decision.changes;
        out.push(decision.last);
        out
    }

    /// Check the assembled message on a blocking thread under the per-message deadline. The
    /// reservation goes with the bytes: it is given back when the check really ends.
    async fn check(
        &self,
        bytes: Vec<u8>,
        reservation: Reservation,
        mail_from: Option<String>,
    ) -> Checked {
        let mut opts = self.cfg.check.clone();
        opts.ip = self.client;
        opts.helo = self.helo.clone();
        opts.mail_from = mail_from;
        // A cache of this message's own in front of the shared backend, cut off before the
        // deadline as `filter` does: the check then decides with the answers that arrived.
        let started = std::time::Instant::now();
        let cut_off = filter::dns_cut_off(started, self.cfg.deadline);
        let backend = self.shared.backend.clone();
        let warm = self.shared.dns_cache.as_ref().map(TtlCache::warm);
        let task = tokio::task::spawn_blocking(move || {
            // Cached first: when the cache kept across messages holds every answer, one pass
            // over it alone (answering at once, so no thread is spawned) is the check; a
            // question it lacks sends the message through the full pass, where independent
            // lookups go out concurrently.
            if let Some(warm) = warm {
                let dns = Dns::new(Box::new(warm.clone()));
                dns.cut_off(cut_off);
                let report = crate::pipeline::check::check_message(&bytes, &dns, &opts);
                if warm.settle() {
                    drop(reservation);
                    return report;
                }
            }
            let dns = Dns::new(Box::new(backend));
            dns.cut_off(cut_off);
            let report = crate::pipeline::check::check_message(&bytes, &dns, &opts);
            drop(reservation);
            report
        });
        // A backstop: the cut-off normally ends the check in time.
        match tokio::time::timeout(self.cfg.deadline, task).await {
            Ok(Ok(Ok(report))) => Checked::Report(Box::new(report)),
            Ok(Ok(Err(_))) | Ok(Err(_)) => Checked::Internal,
            Err(_) => Checked::Deadline,
        }
    }
}

fn action_word(a: super::metrics::Action) -> &'static str {
    use super::metrics::Action;
    match a {
        Action::Accept => "accept",
        Action::Quarantine => "quarantine",
        Action::Reject => "reject",
        Action::Tempfail => "tempfail",
    }
}
