//! The live backend: hickory-resolver against the system resolvers or `--nameserver`s, and the
//! recorder that writes every answer it sees in the zone-replay format.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType as HRecordType};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};

use super::name::{escape_name, normalize};
use super::{Answer, DnsSetupError, Failure, Rdata, Record, RecordType, Resolve};

pub struct Live {
    runtime: tokio::runtime::Runtime,
    resolver: TokioResolver,
}

impl Live {
    /// `nameservers` empty means the system configuration (`/etc/resolv.conf`).
    pub fn new(nameservers: &[SocketAddr], timeout: Duration) -> Result<Live, DnsSetupError> {
        let setup = |e: &dyn std::fmt::Display| DnsSetupError::Resolver(e.to_string());
        let (config, mut opts) = if nameservers.is_empty() {
            hickory_resolver::system_conf::read_system_conf().map_err(|e| setup(&e))?
        } else {
            let servers = nameservers
                .iter()
                .map(|addr| {
                    let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                    ns.trust_negative_responses = true;
                    for conn in &mut ns.connections {
                        conn.port = addr.port();
                    }
                    ns
                })
                .collect();
            (
                ResolverConfig::from_name_servers(servers),
                ResolverOpts::default(),
            )
        };
        opts.timeout = timeout;
        opts.attempts = 1;
        // The seam caches for the run; hickory's own cache would only hide TTL games.
        opts.cache_size = 0;
        opts.ndots = 0;
        opts.edns_payload_len = 1232;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| setup(&e))?;
        let resolver = {
            let _guard = runtime.enter();
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
                .with_options(opts)
                .build()
                .map_err(|e| setup(&e))?
        };
        Ok(Live { runtime, resolver })
    }
}

impl Resolve for Live {
    fn query(&self, name: &str, rtype: RecordType) -> Answer {
        let labels: Vec<&[u8]> = name
            .split('.')
            .filter(|l| !l.is_empty())
            .map(str::as_bytes)
            .collect();
        let Ok(mut qname) = Name::from_labels(labels) else {
            // A name that cannot be put on the wire (label over 63 octets, say) does not exist.
            return Err(Failure::NxDomain);
        };
        qname.set_fqdn(true);
        let htype = HRecordType::from(rtype.code());
        match self.runtime.block_on(self.resolver.lookup(qname, htype)) {
            Ok(lookup) => {
                let records: Vec<Record> = lookup.answers().iter().filter_map(convert).collect();
                if records.iter().any(|r| r.rdata.rtype() == rtype) {
                    Ok(records)
                } else {
                    Err(Failure::NoData)
                }
            }
            Err(e) => Err(classify(&e)),
        }
    }
}

fn classify(e: &NetError) -> Failure {
    match e {
        NetError::Timeout => Failure::Timeout,
        NetError::Dns(DnsError::NoRecordsFound(nr)) => match nr.response_code {
            ResponseCode::NXDomain => Failure::NxDomain,
            ResponseCode::NoError => Failure::NoData,
            ResponseCode::Refused => Failure::Refused,
            _ => Failure::ServFail,
        },
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => Failure::Refused,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::NXDomain)) => Failure::NxDomain,
        NetError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Failure::Timeout,
        _ => Failure::ServFail,
    }
}

fn name_text(name: &Name) -> String {
    let labels: Vec<String> = name
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    normalize(&labels.join("."))
}

fn convert(record: &hickory_proto::rr::Record) -> Option<Record> {
    let rdata = match &record.data {
        RData::A(a) => Rdata::A(a.0),
        RData::AAAA(a) => Rdata::Aaaa(a.0),
        RData::TXT(t) => Rdata::Txt(t.txt_data.iter().map(|s| s.to_vec()).collect()),
        RData::MX(mx) => Rdata::Mx {
            preference: mx.preference,
            exchange: name_text(&mx.exchange),
        },
        RData::PTR(p) => Rdata::Ptr(name_text(&p.0)),
        RData::CNAME(c) => Rdata::Cname(name_text(&c.0)),
        RData::NS(n) => Rdata::Ns(name_text(&n.0)),
        RData::TLSA(t) => Rdata::Tlsa {
            usage: u8::from(t.cert_usage),
            selector: u8::from(t.selector),
            matching: u8::from(t.matching),
            data: t.cert_data.clone(),
        },
        other => Rdata::Other {
            rtype: RecordType::from_code(u16::from(other.record_type())),
            text: other.to_string(),
        },
    };
    Some(Record {
        owner: name_text(&record.name),
        ttl: record.ttl,
        rdata,
    })
}

/// Live lookups, each answer also appended to a zone file that `--dns-zone` replays.
pub struct Recording {
    inner: Box<dyn Resolve>,
    out: Mutex<std::io::BufWriter<std::fs::File>>,
}

impl Recording {
    pub fn new(
        inner: Box<dyn Resolve>,
        path: &std::path::Path,
    ) -> Result<Recording, DnsSetupError> {
        let file = std::fs::File::create(path).map_err(|source| DnsSetupError::RecordCreate {
            path: path.display().to_string(),
            source,
        })?;
        let mut out = std::io::BufWriter::new(file);
        // Header write errors surface on the first flush below; a recording is best effort.
        let _ = writeln!(
            out,
            "; recorded by mailverdict {}; replay with --dns-zone",
            env!("CARGO_PKG_VERSION")
        );
        Ok(Recording {
            inner,
            out: Mutex::new(out),
        })
    }
}

impl Resolve for Recording {
    fn query(&self, name: &str, rtype: RecordType) -> Answer {
        let answer = self.inner.query(name, rtype);
        let mut text = String::new();
        match &answer {
            Ok(records) => {
                for r in records {
                    text.push_str(&format!(
                        "{}. {} IN {} {}\n",
                        escape_name(&r.owner),
                        r.ttl,
                        r.rdata.rtype(),
                        r.rdata
                    ));
                }
            }
            Err(f) => text.push_str(&format!(
                ";! {}. {rtype} {f}\n",
                escape_name(&normalize(name))
            )),
        }
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        }
        answer
    }
}
