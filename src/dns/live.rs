//! The live backend: hickory-resolver against the system resolvers or `--nameserver`s.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use hickory_proto::dnssec::Proof;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType as HRecordType};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};

use super::name::normalize;
use super::{Answer, DnsSetupError, Dnssec, Failure, Rdata, Record, RecordType, Resolve};

pub struct Live {
    runtime: tokio::runtime::Runtime,
    resolver: TokioResolver,
    /// Built on first use: most runs never ask a DNSSEC question.
    validating: OnceLock<Option<TokioResolver>>,
    config: ResolverConfig,
    opts: ResolverOpts,
    /// `--trust-anchor`: DNSKEY records replacing the root anchors for validation.
    trust_anchor: Option<std::sync::Arc<hickory_proto::dnssec::TrustAnchors>>,
}

impl Live {
    /// `nameservers` empty means the system configuration (`/etc/resolv.conf`).
    pub fn new(
        nameservers: &[SocketAddr],
        timeout: Duration,
        trust_anchor: Option<std::path::PathBuf>,
    ) -> Result<Live, DnsSetupError> {
        // Loaded here, once: hickory's builder does not read ResolverOpts::trust_anchor itself.
        let trust_anchor = trust_anchor
            .map(|path| {
                hickory_proto::dnssec::TrustAnchors::from_file(&path)
                    .map(std::sync::Arc::new)
                    .map_err(|e| {
                        DnsSetupError::Resolver(format!(
                            "cannot use --trust-anchor {}: {e}",
                            path.display()
                        ))
                    })
            })
            .transpose()?;
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
        // Multi-thread so that the threads of a batch can all block on lookups at once.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| setup(&e))?;
        let resolver = {
            let _guard = runtime.enter();
            TokioResolver::builder_with_config(config.clone(), TokioRuntimeProvider::default())
                .with_options(opts.clone())
                .build()
                .map_err(|e| setup(&e))?
        };
        Ok(Live {
            runtime,
            resolver,
            validating: OnceLock::new(),
            config,
            opts,
            trust_anchor,
        })
    }

    fn validating(&self) -> Option<&TokioResolver> {
        self.validating
            .get_or_init(|| {
                let mut opts = self.opts.clone();
                opts.validate = true;
                let _guard = self.runtime.enter();
                let mut builder = TokioResolver::builder_with_config(
                    self.config.clone(),
                    TokioRuntimeProvider::default(),
                )
                .with_options(opts);
                if let Some(anchors) = &self.trust_anchor {
                    builder = builder.with_trust_anchor(anchors.clone());
                }
                builder.build().ok()
            })
            .as_ref()
    }

    fn run(&self, resolver: &TokioResolver, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        let labels: Vec<&[u8]> = name
            .split('.')
            .filter(|l| !l.is_empty())
            .map(str::as_bytes)
            .collect();
        let Ok(mut qname) = Name::from_labels(labels) else {
            // A name that cannot be put on the wire (label over 63 octets, say) does not exist.
            return (Err(Failure::NxDomain), Dnssec::Indeterminate);
        };
        qname.set_fqdn(true);
        let htype = HRecordType::from(rtype.code());
        match self.runtime.block_on(resolver.lookup(qname, htype)) {
            Ok(lookup) => {
                let answers = lookup.answers();
                let status = combine(answers.iter().map(|r| r.proof));
                let records: Vec<Record> = answers.iter().filter_map(convert).collect();
                if records.iter().any(|r| r.rdata.rtype() == rtype) {
                    (Ok(records), status)
                } else {
                    (Err(Failure::NoData), status)
                }
            }
            Err(NetError::Dns(DnsError::DnssecBogus)) => (Err(Failure::ServFail), Dnssec::Bogus),
            Err(e) => (Err(classify(&e)), Dnssec::Indeterminate),
        }
    }
}

/// The status of an RRset: secure only if every record is.
fn combine(proofs: impl Iterator<Item = Proof>) -> Dnssec {
    let mut status = None;
    for p in proofs {
        let s = match p {
            Proof::Secure => Dnssec::Secure,
            Proof::Insecure => Dnssec::Insecure,
            Proof::Bogus => Dnssec::Bogus,
            Proof::Indeterminate => Dnssec::Indeterminate,
        };
        status = Some(match (status, s) {
            (None, s) => s,
            (Some(Dnssec::Bogus), _) | (_, Dnssec::Bogus) => Dnssec::Bogus,
            (Some(Dnssec::Secure), Dnssec::Secure) => Dnssec::Secure,
            (Some(Dnssec::Indeterminate), _) | (_, Dnssec::Indeterminate) => Dnssec::Indeterminate,
            _ => Dnssec::Insecure,
        });
    }
    status.unwrap_or(Dnssec::Indeterminate)
}

impl Resolve for Live {
    fn is_remote(&self) -> bool {
        true
    }

    fn query(&self, name: &str, rtype: RecordType) -> Answer {
        self.run(&self.resolver, name, rtype).0
    }

    fn query_dnssec(&self, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        match self.validating() {
            Some(v) => self.run(v, name, rtype),
            None => (self.query(name, rtype), Dnssec::Indeterminate),
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
