//! DNS servers that misbehave, on 127.0.0.1 (UDP, plus TCP on the same port for the drip):
//! they drop every query, drip a TCP answer one octet at a time, refuse, lie (answer with
//! records of their choosing), delay every answer, or say NXDOMAIN for everything. Plain
//! threads and sockets, so that a benchmark can use them too. Each stops when dropped.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::Record;
use mailverdict::dns::{Failure, RecordType, Resolve, Zone};

use crate::support::to_hickory;

/// The records a lying server puts in the answer section for a question.
pub type Lies = dyn Fn(&Query) -> Vec<Record> + Send + Sync;

pub enum Fault {
    /// Never answers.
    Drop,
    /// Answers with the TC bit, then drips the TCP answer one octet every 500 ms.
    Drip,
    /// RCODE REFUSED for everything.
    Refuse,
    /// RCODE NXDOMAIN for everything, the root included (a captive or filtering resolver).
    NxdomainAll,
    /// Answers from the zone, each answer after this delay (answers overlap: one thread each).
    Delay(Duration),
    /// NOERROR with these records, whatever was asked.
    Lie(Arc<Lies>),
    /// Answers from the zone at once, but never these names (absolute, lower case, e.g.
    /// `"sel._domainkey.attacker.test."`): the sender's own DNS that does not answer.
    DropNames(Vec<String>),
}

pub struct FaultServer {
    pub addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<(Instant, String)>>>,
    stop: Arc<AtomicBool>,
}

/// A port on 127.0.0.1 where nothing listens (bound, then released): a resolver there answers
/// every datagram with ICMP port unreachable, i.e. connection refused.
pub fn closed_port() -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("udp bind");
    let addr = socket.local_addr().expect("addr");
    drop(socket);
    addr.to_string()
}

impl FaultServer {
    /// A server misbehaving as `fault`; `zone_text` is what `Delay` answers from.
    pub fn start(zone_text: &str, fault: Fault) -> FaultServer {
        let mut zone = Zone::default();
        zone.add_text(zone_text).expect("test zone parses");
        let zone = Arc::new(zone);
        let (udp, tcp) = bind_pair();
        let addr = udp.local_addr().expect("addr");
        let queries = Arc::new(AtomicUsize::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let fault = Arc::new(fault);
        if matches!(*fault, Fault::Drip) {
            let stop = stop.clone();
            std::thread::spawn(move || drip(&tcp, &stop));
        }
        {
            let (queries, log, stop) = (queries.clone(), log.clone(), stop.clone());
            std::thread::spawn(move || serve(&udp, &zone, &fault, (&queries, &log), &stop));
        }
        FaultServer {
            addr,
            queries,
            log,
            stop,
        }
    }

    pub fn nameserver(&self) -> String {
        self.addr.to_string()
    }

    /// Datagrams received so far.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }

    /// Each question received so far ("name TYPE"), with when it arrived: the benchmark prints
    /// this timeline to show which lookups waited for which.
    pub fn questions(&self) -> Vec<(Instant, String)> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..20 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("udp bind");
        if let Ok(tcp) = TcpListener::bind(udp.local_addr().expect("addr")) {
            return (udp, tcp);
        }
    }
    panic!("no free UDP+TCP port pair on 127.0.0.1");
}

fn serve(
    udp: &UdpSocket,
    zone: &Arc<Zone>,
    fault: &Arc<Fault>,
    (queries, log): (&AtomicUsize, &Mutex<Vec<(Instant, String)>>),
    stop: &AtomicBool,
) {
    let _ = udp.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = vec![0u8; 65_535];
    while !stop.load(Ordering::SeqCst) {
        let Ok((n, peer)) = udp.recv_from(&mut buf) else {
            continue;
        };
        let Ok(request) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        queries.fetch_add(1, Ordering::SeqCst);
        let Some(query) = request.queries.first().cloned() else {
            continue;
        };
        if let Ok(mut log) = log.lock() {
            log.push((
                Instant::now(),
                format!("{} {}", query.name(), query.query_type()),
            ));
        }
        let mut reply = Message::response(request.metadata.id, request.metadata.op_code);
        reply.metadata.message_type = MessageType::Response;
        reply.metadata.recursion_desired = request.metadata.recursion_desired;
        reply.metadata.recursion_available = true;
        reply.add_query(query.clone());
        match &**fault {
            Fault::Drop => continue,
            Fault::Drip => reply.metadata.truncation = true,
            Fault::Refuse => reply.metadata.response_code = ResponseCode::Refused,
            Fault::NxdomainAll => reply.metadata.response_code = ResponseCode::NXDomain,
            Fault::Lie(lies) => {
                reply.add_answers(lies(&query));
            }
            Fault::DropNames(names) => {
                if names.contains(&query.name().to_ascii().to_ascii_lowercase()) {
                    continue;
                }
                answer_from(zone, &query, &mut reply);
            }
            Fault::Delay(delay) => {
                let (zone, delay) = (zone.clone(), *delay);
                let Ok(socket) = udp.try_clone() else {
                    continue;
                };
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    answer_from(&zone, &query, &mut reply);
                    if let Ok(bytes) = reply.to_vec() {
                        let _ = socket.send_to(&bytes, peer);
                    }
                });
                continue;
            }
        }
        if let Ok(bytes) = reply.to_vec() {
            let _ = udp.send_to(&bytes, peer);
        }
    }
}

fn answer_from(zone: &Zone, query: &Query, reply: &mut Message) {
    let labels: Vec<String> = query
        .name()
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    let qtype = RecordType::from_code(u16::from(query.query_type()));
    match zone.query(&labels.join("."), qtype) {
        Ok(records) => {
            reply.add_answers(records.iter().filter_map(to_hickory));
        }
        Err(Failure::NxDomain) => reply.metadata.response_code = ResponseCode::NXDomain,
        Err(Failure::NoData) => {}
        Err(_) => reply.metadata.response_code = ResponseCode::ServFail,
    }
}

/// Accept TCP connections and send a never-ending answer, one octet every 500 ms.
fn drip(tcp: &TcpListener, stop: &Arc<AtomicBool>) {
    let _ = tcp.set_nonblocking(true);
    while !stop.load(Ordering::SeqCst) {
        match tcp.accept() {
            Ok((mut stream, _)) => {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    // A length of 65,535 announced, then one octet at a time, for at most 60 s.
                    let _ = stream.write_all(&[0xff]);
                    for _ in 0..120 {
                        if stop.load(Ordering::SeqCst) || stream.write_all(&[0xff]).is_err() {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(500));
                    }
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
