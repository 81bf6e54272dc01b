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
fn serve<H: RequestHandler>(handler: H) -> (SocketAddr, tokio::runtime::Runtime) {
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

/// A test CA (written to `ca.pem` for `--ca-file`) and a leaf for `host` signed by it,
/// ready for a rustls server.
pub(crate) struct TestPki {
    pub(crate) ca_file: String,
    ca: rcgen::Certificate,
    leaf_key: rcgen::KeyPair,
    leaf: rcgen::Certificate,
}

impl TestPki {
    pub(crate) fn new(host: &str, not_after: Option<(i32, u8, u8)>) -> TestPki {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mailverdict test CA");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
        let mut leaf_params =
            rcgen::CertificateParams::new(vec![host.to_string()]).expect("leaf params");
        if let Some((y, m, d)) = not_after {
            leaf_params.not_after = rcgen::date_time_ymd(y, m, d);
        }
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("leaf cert");
        let ca_file = write_file(&temp_dir("pki"), "ca.pem", ca_cert.pem().as_bytes());
        TestPki {
            ca_file,
            ca: ca_cert,
            leaf_key,
            leaf,
        }
    }

    pub(crate) fn server_config(&self) -> std::sync::Arc<rustls::ServerConfig> {
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.leaf_key.serialize_der().into());
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        std::sync::Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("protocols")
                .with_no_client_auth()
                // The chain as servers usually send it: leaf, then the CA (DANE-TA matches it).
                .with_single_cert(vec![self.leaf.der().clone(), self.ca.der().clone()], key)
                .expect("server config"),
        )
    }
}

/// A real HTTPS server on 127.0.0.1 (rustls, certificate from a test CA made with rcgen) that
/// answers every request with one fixed response. `ca_file` is the CA for `--ca-file`.
pub struct HttpsServer {
    pub port: u16,
    pub ca_file: String,
}

impl HttpsServer {
    pub fn start(host: &str, status_line: &str, headers: &[&str], body: &[u8]) -> HttpsServer {
        use std::io::{Read, Write};
        let pki = TestPki::new(host, None);
        let config = pki.server_config();
        let ca_file = pki.ca_file;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut response = format!(
            "{status_line}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        )
        .into_bytes();
        for h in headers {
            response.extend_from_slice(format!("{h}\r\n").as_bytes());
        }
        response.extend_from_slice(b"\r\n");
        response.extend_from_slice(body);
        std::thread::spawn(move || {
            // Serves until the test process ends; each connection is handled in turn.
            for stream in listener.incoming().flatten() {
                let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                    continue;
                };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls.write_all(&response);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        HttpsServer { port, ca_file }
    }

    /// `--connect-to` value that sends `host:443` here.
    pub fn connect_to(&self, host: &str) -> String {
        format!("{host}:443:127.0.0.1:{}", self.port)
    }
}

/// A real SMTP server on 127.0.0.1 that offers STARTTLS (or not) and presents a certificate for
/// `host` from a test CA. `spki_sha256` is the hex SHA-256 of its key (a TLSA 3 1 1 record).
pub struct SmtpServer {
    pub port: u16,
    pub ca_file: String,
    pub spki_sha256: String,
    /// Hex SHA-256 of the CA certificate (a TLSA 2 0 1 record).
    pub ca_sha256: String,
}

impl SmtpServer {
    pub fn start(host: &str, starttls: bool, not_after: Option<(i32, u8, u8)>) -> SmtpServer {
        use std::io::{BufRead, Write};
        let pki = TestPki::new(host, not_after);
        let leaf_key = &pki.leaf_key;
        // SubjectPublicKeyInfo from rcgen's PEM, independent of the parser under test.
        let pem = leaf_key.public_key_pem();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let spki = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("SPKI base64")
        };
        let spki_sha256: String = ring::digest::digest(&ring::digest::SHA256, &spki)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let config = pki.server_config();
        let ca_file = pki.ca_file.clone();
        let ca_sha256: String = ring::digest::digest(&ring::digest::SHA256, pki.ca.der())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let greeting_host = host.to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(read_half) = stream.try_clone() else {
                    continue;
                };
                let mut reader = std::io::BufReader::new(read_half);
                let mut writer = stream;
                let mut line = String::new();
                let _ = writer.write_all(format!("220 {greeting_host} ESMTP test\r\n").as_bytes());
                let _ = reader.read_line(&mut line);
                let caps = if starttls {
                    "250-8BITMIME\r\n250 STARTTLS\r\n"
                } else {
                    "250 8BITMIME\r\n"
                };
                let _ = writer.write_all(format!("250-{greeting_host}\r\n{caps}").as_bytes());
                line.clear();
                let _ = reader.read_line(&mut line);
                if !line.to_ascii_uppercase().starts_with("STARTTLS") {
                    continue;
                }
                let _ = writer.write_all(b"220 2.0.0 ready\r\n");
                let Ok(mut conn) = rustls::ServerConnection::new(config.clone()) else {
                    continue;
                };
                let mut sock = writer;
                while conn.is_handshaking() {
                    if conn.complete_io(&mut sock).is_err() {
                        break;
                    }
                }
                let _ = conn.complete_io(&mut sock);
            }
        });
        SmtpServer {
            port,
            ca_file,
            spki_sha256,
            ca_sha256,
        }
    }
}

/// A DNSSEC-signed zone (ECDSA P-256, NSEC) served by hickory-server's own in-memory zone
/// handler on 127.0.0.1; `anchor` is its DNSKEY in zone-file form, for `--trust-anchor`.
pub struct SignedDnsServer {
    pub addr: SocketAddr,
    pub anchor: String,
    _runtime: tokio::runtime::Runtime,
}

impl SignedDnsServer {
    pub fn start(zone_text: &str, origin: &str) -> SignedDnsServer {
        use hickory_proto::dnssec::crypto::EcdsaSigningKey;
        use hickory_proto::dnssec::rdata::DNSKEY;
        use hickory_proto::dnssec::{Algorithm, DnssecSigner, SigningKey};
        use hickory_proto::rr::LowerName;
        use hickory_proto::rr::rdata::SOA;
        use hickory_server::store::in_memory::InMemoryZoneHandler;
        use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
        let origin_name = Name::from_ascii(origin).expect("origin");
        let mut handler =
            InMemoryZoneHandler::<hickory_server::net::runtime::TokioRuntimeProvider>::empty(
                origin_name.clone(),
                ZoneType::Primary,
                AxfrPolicy::Deny,
                Some(hickory_server::dnssec::NxProofKind::Nsec),
            );
        let soa = SOA::new(
            Name::from_ascii(format!("ns.{origin}")).expect("ns"),
            Name::from_ascii(format!("admin.{origin}")).expect("admin"),
            1,
            3600,
            600,
            86_400,
            300,
        );
        handler.upsert_mut(
            Record::from_rdata(origin_name.clone(), 300, RData::SOA(soa)),
            1,
        );
        let mut zone = Zone::default();
        zone.add_text(zone_text).expect("signed zone text parses");
        for line in zone_text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with(';') && !l.starts_with('$'))
        {
            let owner = line.split_whitespace().next().expect("owner");
            let owner = owner.trim_end_matches('.');
            for rtype in [
                RecordType::A,
                RecordType::Aaaa,
                RecordType::Mx,
                RecordType::Txt,
                RecordType::Tlsa,
            ] {
                if let Ok(records) = zone.query(owner, rtype) {
                    for r in records.iter().filter(|r| r.rdata.rtype() == rtype) {
                        let rec = match &r.rdata {
                            Rdata::Tlsa {
                                usage,
                                selector,
                                matching,
                                data,
                            } => Some(Record::from_rdata(
                                name_of(&r.owner),
                                r.ttl,
                                RData::TLSA(hickory_proto::rr::rdata::TLSA::new(
                                    (*usage).into(),
                                    (*selector).into(),
                                    (*matching).into(),
                                    data.clone(),
                                )),
                            )),
                            _ => to_hickory(r),
                        };
                        if let Some(rec) = rec {
                            handler.upsert_mut(rec, 1);
                        }
                    }
                }
            }
        }
        let pkcs8 = EcdsaSigningKey::generate_pkcs8(Algorithm::ECDSAP256SHA256).expect("key");
        let key = EcdsaSigningKey::from_pkcs8(&pkcs8, Algorithm::ECDSAP256SHA256).expect("key");
        let public = key.to_public_key().expect("public key");
        let dnskey = DNSKEY::from_key(&public);
        let anchor = format!("{origin} 3600 IN DNSKEY {dnskey}\n");
        let signer = DnssecSigner::new(
            dnskey,
            Box::new(key),
            origin_name.clone(),
            Duration::from_secs(30 * 86_400),
        );
        handler
            .add_zone_signing_key_mut(signer)
            .expect("signing key");
        handler.secure_zone_mut().expect("zone signed");
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::from(&origin_name), vec![Arc::new(handler)]);
        let (addr, runtime) = serve(catalog);
        SignedDnsServer {
            addr,
            anchor,
            _runtime: runtime,
        }
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
