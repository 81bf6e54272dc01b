//! Shared test plumbing: running the real binary, a real DNS server on loopback, fixture paths.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, PTR, TXT};
use hickory_proto::rr::{Name, RData, Record};
use hickory_server::Server;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use mailverdict::dns::Zone;
use mailverdict::dns::{Failure, Rdata, RecordType, Resolve};

/// xorshift64*: a fixed seed makes every run generate the same cases.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    /// stdout exactly as written (filter output is compared byte for byte).
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn testdata(rel: &str) -> String {
    root().join("testdata").join(rel).display().to_string()
}

/// Run the binary with `args` and optional standard input.
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailverdict"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary starts");
    // Feed stdin from its own thread: the binary may write output before it has read all
    // input (filter streams an oversized message), so writing first could deadlock.
    let writer = stdin.map(|data| {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        let data = data.to_vec();
        std::thread::spawn(move || {
            // The binary may stop reading early (size limit); a broken pipe is fine then.
            let _ = pipe.write_all(&data);
        })
    });
    let out = child.wait_with_output().expect("binary finishes");
    if let Some(w) = writer {
        let _ = w.join();
    }
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stdout_bytes: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `check --dns-zone ZONE FILE --format json` plus extra arguments.
pub fn check_json(zone: &str, file: &str, extra: &[&str]) -> (Run, serde_json::Value) {
    let mut args = vec!["check", "--format", "json", "--dns-zone", zone, file];
    args.extend_from_slice(extra);
    let r = run(&args, None);
    let v = r.json();
    (r, v)
}

/// A vendored conformance suite (`testdata/conformance/`, each with SOURCE and LICENSE). A
/// missing suite is a failure, never a skip: the README's figures must be reproducible.
pub fn conformance(sub: &str) -> PathBuf {
    let dir = root().join("testdata/conformance").join(sub);
    assert!(
        dir.is_dir(),
        "conformance suite {} is missing from the repository",
        dir.display()
    );
    dir
}

/// A line for the test log that libtest does not capture (figures, skip notes).
pub fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A zone-file TXT rdata: the text as 255-octet strings of one record.
pub fn txt_rdata(text: &str) -> String {
    Rdata::Txt(text.as_bytes().chunks(255).map(<[u8]>::to_vec).collect()).to_string()
}

/// A file in mail-auth's corpus format (TXT records "owner text" per line, a blank line, the
/// message with LF endings) written out as a zone file and a CRLF message; returns both paths.
pub fn mail_auth_sample(path: &Path, dir: &Path) -> (String, String) {
    let text = std::fs::read_to_string(path).expect("corpus file");
    let (dns, message) = text.split_once("\n\n").expect("DNS part and message");
    let zone: String = dns
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(owner, rec)| format!("{owner}. IN TXT {}\n", txt_rdata(rec)))
        .collect();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (
        write_file(dir, &format!("{name}.db"), zone.as_bytes()),
        write_file(
            dir,
            &format!("{name}.eml"),
            message.replace('\n', "\r\n").as_bytes(),
        ),
    )
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mailverdict-test-{}-{tag}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn write_file(dir: &Path, name: &str, data: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write fixture");
    path.display().to_string()
}

/// A real DNS server (hickory-server) on 127.0.0.1, port 0, answering from zone-file text.
/// `;! NAME TYPE TIMEOUT` lines make it stay silent for that question.
pub struct DnsServer {
    pub addr: SocketAddr,
    handler: Arc<ZoneState>,
    _runtime: tokio::runtime::Runtime,
}

/// What the server answers from, replaceable while it runs, and what it was asked.
struct ZoneState {
    zone: std::sync::Mutex<Arc<Zone>>,
    queries: std::sync::atomic::AtomicUsize,
    /// The TTL and MINIMUM of the SOA sent with NXDOMAIN and NODATA (RFC 2308 §3).
    negative_ttl: std::sync::atomic::AtomicU32,
}

struct ZoneHandler {
    state: Arc<ZoneState>,
}

pub fn name_of(s: &str) -> Name {
    let labels: Vec<&[u8]> = s
        .split('.')
        .filter(|l| !l.is_empty())
        .map(str::as_bytes)
        .collect();
    let mut n = Name::from_labels(labels).expect("valid test name");
    n.set_fqdn(true);
    n
}

pub fn to_hickory(r: &mailverdict::dns::Record) -> Option<Record> {
    let data = match &r.rdata {
        Rdata::A(a) => RData::A(A(*a)),
        Rdata::Aaaa(a) => RData::AAAA(AAAA(*a)),
        Rdata::Txt(parts) => RData::TXT(TXT::from_bytes(parts.iter().map(Vec::as_slice).collect())),
        Rdata::Mx {
            preference,
            exchange,
        } => RData::MX(MX::new(*preference, name_of(exchange))),
        Rdata::Ptr(n) => RData::PTR(PTR(name_of(n))),
        Rdata::Cname(n) => RData::CNAME(CNAME(name_of(n))),
        Rdata::Ns(n) => RData::NS(NS(name_of(n))),
        _ => return None,
    };
    Some(Record::from_rdata(name_of(&r.owner), r.ttl, data))
}

#[async_trait::async_trait]
impl RequestHandler for ZoneHandler {
    async fn handle_request<R: ResponseHandler, T: hickory_server::net::runtime::Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let silent = ResponseInfo::from(Header {
            metadata: Metadata::response_from_request(&request.metadata),
            counts: HeaderCounts::default(),
        });
        let Ok(info) = request.request_info() else {
            return silent;
        };
        let qname: Vec<String> = Name::from(info.query.name().clone())
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        let qname = qname.join(".");
        let qtype = RecordType::from_code(u16::from(info.query.query_type()));
        let builder = MessageResponseBuilder::from_message_request(request);
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.authoritative = true;
        use std::sync::atomic::Ordering;
        self.state.queries.fetch_add(1, Ordering::SeqCst);
        let zone = match self.state.zone.lock() {
            Ok(z) => z.clone(),
            Err(_) => return silent,
        };
        let sent = match zone.query(&qname, qtype) {
            Ok(records) => {
                let answers: Vec<Record> = records.iter().filter_map(to_hickory).collect();
                let response = builder.build(metadata, answers.iter(), &[], &[], &[]);
                response_handle.send_response(response).await
            }
            Err(Failure::Timeout) => return silent,
            Err(f) => {
                let code = match f {
                    Failure::NxDomain => ResponseCode::NXDomain,
                    Failure::NoData => ResponseCode::NoError,
                    Failure::Refused => ResponseCode::Refused,
                    _ => ResponseCode::ServFail,
                };
                metadata.response_code = code;
                if matches!(f, Failure::NxDomain | Failure::NoData) {
                    // As an authoritative server does: the SOA that says how long the negative
                    // answer may be kept, owned by the name's top label.
                    let ttl = self.state.negative_ttl.load(Ordering::SeqCst);
                    let top = qname.rsplit('.').find(|l| !l.is_empty()).unwrap_or("test");
                    let soa = hickory_proto::rr::rdata::SOA::new(
                        name_of(&format!("ns.{top}")),
                        name_of(&format!("hostmaster.{top}")),
                        1,
                        3600,
                        600,
                        86400,
                        ttl,
                    );
                    let soa = [Record::from_rdata(name_of(top), ttl, RData::SOA(soa))];
                    let response = builder.build(metadata, &[], &[], soa.iter(), &[]);
                    return response_handle
                        .send_response(response)
                        .await
                        .unwrap_or(silent);
                }
                response_handle
                    .send_response(builder.build_no_records(metadata))
                    .await
            }
        };
        sent.unwrap_or(silent)
    }
}

/// Serve `handler` on 127.0.0.1: UDP on port 0, then TCP on the same port (for truncated
/// answers). The runtime keeps the server alive while the returned value lives.
pub fn serve<H: RequestHandler>(handler: H) -> (SocketAddr, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let addr = runtime.block_on(async {
        let mut server = Server::new(handler);
        for _ in 0..20 {
            let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
                .await
                .expect("udp bind");
            let addr = udp.local_addr().expect("addr");
            if let Ok(tcp) = tokio::net::TcpListener::bind(addr).await {
                server.register_socket(udp);
                server.register_listener(tcp, Duration::from_secs(5), 65_535);
                tokio::spawn(async move {
                    let _ = server.block_until_done().await;
                });
                return addr;
            }
        }
        panic!("no free UDP+TCP port pair on 127.0.0.1");
    });
    (addr, runtime)
}

impl DnsServer {
    pub fn start(zone_text: &str) -> DnsServer {
        let mut zone = Zone::default();
        zone.add_text(zone_text).expect("test zone parses");
        let state = Arc::new(ZoneState {
            zone: std::sync::Mutex::new(Arc::new(zone)),
            queries: Default::default(),
            negative_ttl: std::sync::atomic::AtomicU32::new(300),
        });
        let (addr, runtime) = serve(ZoneHandler {
            state: state.clone(),
        });
        DnsServer {
            addr,
            handler: state,
            _runtime: runtime,
        }
    }

    /// Questions received so far.
    pub fn queries(&self) -> usize {
        self.handler
            .queries
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Answer from `zone_text` from now on.
    pub fn set_zone(&self, zone_text: &str) {
        let mut zone = Zone::default();
        zone.add_text(zone_text).expect("test zone parses");
        *self.handler.zone.lock().expect("zone lock") = Arc::new(zone);
    }

    /// The TTL of the SOA sent with negative answers from now on (300 s at start).
    pub fn set_negative_ttl(&self, secs: u32) {
        self.handler
            .negative_ttl
            .store(secs, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn nameserver(&self) -> String {
        self.addr.to_string()
    }
}

/// Run a peer implementation's script (`tests/differential/SCRIPT`) against `server`: it gets
/// the server's IP and port as arguments and `input` on stdin, and answers one JSON document per
/// line. `peer` names it in a failure.
pub fn peer_json_lines(
    script: &str,
    server: &DnsServer,
    input: &str,
    peer: &str,
) -> Vec<serde_json::Value> {
    let mut child = Command::new("python3")
        .arg(root().join("tests/differential").join(script))
        .arg(server.addr.ip().to_string())
        .arg(server.addr.port().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("input written");
    let out = child.wait_with_output().expect("peer finishes");
    assert!(
        out.status.success(),
        "{peer}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}
