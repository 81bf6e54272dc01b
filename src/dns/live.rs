//! The live backend: the system resolvers or `--nameserver`s. Plain lookups go through our
//! stub ([`super::stub`]: total deadline, back-off, REFUSED told apart); DNSSEC-validated ones
//! (DANE) through hickory-resolver's validating resolver, bounded by the same deadline.
//!
//! Every answer is cut down to what answers the question: the records owned by the name
//! asked, or by the names of its CNAME chain (out-of-bailiwick and foreign-owner records are
//! dropped, so neither a check nor a recording can be fed a name that was never asked).

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hickory_proto::dnssec::Proof;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType as HRecordType};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder, NameEncoding};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};

use super::name::normalize;
use super::stub::{self, BACKOFF, ExchangeError, Question, Server};
use super::{
    Answer, DnsNote, DnsSetupError, Dnssec, Failure, MAX_CNAME_CHAIN, Rdata, Record, RecordType,
    Resolve, ResolverError, Ttl,
};

/// The live backend: queries go to the system resolvers or the `--nameserver`s.
pub struct Live {
    servers: Vec<Server>,
    /// `--timeout`: the total for one query, every attempt and every server included.
    timeout: Duration,
    /// Built on first use: most runs never ask a DNSSEC question.
    validator: OnceLock<Option<Validator>>,
    config: ResolverConfig,
    opts: ResolverOpts,
    /// `--trust-anchor`: DNSKEY records replacing the root anchors for validation.
    trust_anchor: Option<std::sync::Arc<hickory_proto::dnssec::TrustAnchors>>,
    /// Asked once, after the first NXDOMAIN: the resolver that answered NXDOMAIN for the
    /// root's NS records (a name that always exists), if one did.
    canary: OnceLock<Option<SocketAddr>>,
}

struct Validator {
    runtime: tokio::runtime::Runtime,
    resolver: TokioResolver,
}

impl Live {
    /// `nameservers` empty means the system configuration (`/etc/resolv.conf`).
    pub fn new(
        nameservers: &[SocketAddr],
        timeout: Duration,
        trust_anchor: Option<std::path::PathBuf>,
    ) -> Result<Live, DnsSetupError> {
        // Loaded here, once, by our zone parser (dns/anchor.rs): hickory's builder does not
        // read ResolverOpts::trust_anchor itself.
        let trust_anchor = trust_anchor
            .map(|path| super::anchor::read(&path).map(std::sync::Arc::new))
            .transpose()?;
        let (config, mut opts) = if nameservers.is_empty() {
            hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| DnsSetupError::Resolver(ResolverError::SystemConfig(Box::new(e))))?
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
        let mut servers: Vec<Server> = Vec::new();
        for ns in config.name_servers() {
            let port = ns.connections.first().map_or(53, |c| c.port);
            let addr = SocketAddr::new(ns.ip, port);
            if !servers.iter().any(|s| s.addr == addr) {
                servers.push(Server::new(addr));
            }
        }
        if servers.is_empty() {
            return Err(DnsSetupError::Resolver(ResolverError::NoResolver));
        }
        opts.timeout = timeout;
        opts.attempts = 1;
        // The seam caches for the run; hickory's own cache would only hide TTL games.
        opts.cache_size = 0;
        opts.ndots = 0;
        opts.edns_payload_len = 1232;
        Ok(Live {
            servers,
            timeout,
            validator: OnceLock::new(),
            config,
            opts,
            trust_anchor,
            canary: OnceLock::new(),
        })
    }

    fn validator(&self) -> Option<&Validator> {
        self.validator
            .get_or_init(|| {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .ok()?;
                let mut opts = self.opts.clone();
                opts.validate = true;
                let resolver = {
                    let _guard = runtime.enter();
                    let mut builder = TokioResolver::builder_with_config(
                        self.config.clone(),
                        TokioRuntimeProvider::default(),
                    )
                    .with_options(opts);
                    if let Some(anchors) = &self.trust_anchor {
                        builder = builder.with_trust_anchor(anchors.clone());
                    }
                    builder.build().ok()?
                };
                Some(Validator { runtime, resolver })
            })
            .as_ref()
    }

    /// A plain lookup through the stub, following a CNAME chain the resolver left unfinished,
    /// ended at `cutoff` (the run's deadline) if it comes first; with how long it may be kept.
    fn plain(&self, name: &str, rtype: RecordType, cutoff: Option<Instant>) -> (Answer, Ttl) {
        let deadline = Instant::now() + self.timeout;
        let htype = HRecordType::from(rtype.code());
        let mut target = normalize(name);
        let mut chain = Vec::new();
        loop {
            let Some(qname) = wire_name(&target) else {
                // A name that cannot be put on the wire (label over 63 octets) does not exist;
                // nothing said so, so nothing says for how long.
                return (Err(Failure::NxDomain), None);
            };
            let Ok(question) = Question::new(qname, htype) else {
                return (Err(Failure::ServFail), None);
            };
            let left = deadline.saturating_duration_since(Instant::now());
            let failed = |f: Failure| (Err(f), None);
            let (message, _server) = match stub::ask(&self.servers, &question, left, cutoff) {
                Ok(answer) => answer,
                Err(None) => return failed(Failure::Unanswered),
                Err(Some(ExchangeError::TimedOut)) => return failed(Failure::Timeout),
                Err(Some(ExchangeError::Cut)) => return failed(Failure::Deadline),
                Err(Some(ExchangeError::Refused)) => return failed(Failure::Refused),
                Err(Some(ExchangeError::Broken)) => return failed(Failure::ServFail),
            };
            match message.metadata.response_code {
                ResponseCode::NoError => {}
                ResponseCode::NXDomain => {
                    self.check_canary(cutoff);
                    return (Err(Failure::NxDomain), negative_ttl(&message, &chain));
                }
                ResponseCode::Refused => return failed(Failure::Refused),
                _ => return failed(Failure::ServFail),
            }
            let records: Vec<Record> = message.answers.iter().filter_map(convert).collect();
            match follow(&records, &target, rtype, &mut chain) {
                Step::Done(Ok(records)) => {
                    let ttl = records.iter().map(|r| r.ttl).min();
                    return (Ok(records), ttl);
                }
                Step::Done(Err(Failure::NoData)) => {
                    return (Err(Failure::NoData), negative_ttl(&message, &chain));
                }
                Step::Done(Err(f)) => return failed(f),
                Step::Ask(next) => target = next,
            }
        }
    }

    /// After an NXDOMAIN: does the resolver also deny the root's NS records? The root always
    /// exists, and the message cannot choose this name, so an NXDOMAIN here means the resolver
    /// invents them (captive portal, filtering). Asked once per run.
    fn check_canary(&self, cutoff: Option<Instant>) {
        self.canary.get_or_init(|| {
            let question = Question::new(Name::root(), HRecordType::NS).ok()?;
            match stub::ask(&self.servers, &question, self.timeout, cutoff) {
                Ok((m, addr)) if m.metadata.response_code == ResponseCode::NXDomain => Some(addr),
                _ => None,
            }
        });
    }

    fn validated(
        &self,
        name: &str,
        rtype: RecordType,
        cutoff: Option<Instant>,
    ) -> ((Answer, Dnssec), Ttl) {
        let now = Instant::now();
        if self.servers.iter().all(|s| s.is_quiet(now)) {
            return ((Err(Failure::Unanswered), Dnssec::Indeterminate), None);
        }
        let Some(validator) = self.validator() else {
            let (answer, ttl) = self.plain(name, rtype, cutoff);
            return ((answer, Dnssec::Indeterminate), ttl);
        };
        let target = normalize(name);
        let Some(qname) = wire_name(&target) else {
            return ((Err(Failure::NxDomain), Dnssec::Indeterminate), None);
        };
        let htype = HRecordType::from(rtype.code());
        let left = cutoff
            .map(|c| c.saturating_duration_since(now))
            .filter(|left| *left < self.timeout);
        if left == Some(Duration::ZERO) {
            return ((Err(Failure::Deadline), Dnssec::Indeterminate), None);
        }
        // Built inside the runtime: tokio's timer needs its context.
        let result = validator.runtime.block_on(async {
            tokio::time::timeout(
                left.unwrap_or(self.timeout),
                validator.resolver.lookup(qname, htype),
            )
            .await
        });
        let timed_out = || {
            if left.is_some() {
                // The run's deadline cut it short: the resolvers are not to blame.
                return ((Err(Failure::Deadline), Dnssec::Indeterminate), None);
            }
            // The validator asks the same resolvers: none of them answered in time.
            for s in &self.servers {
                s.mark_silent();
            }
            ((Err(Failure::Timeout), Dnssec::Indeterminate), None)
        };
        match result {
            Err(_elapsed) => timed_out(),
            Ok(Ok(lookup)) => {
                let answers = lookup.answers();
                let status = combine(answers.iter().map(|r| r.proof));
                let records: Vec<Record> = answers.iter().filter_map(convert).collect();
                let answer = match follow(&records, &target, rtype, &mut Vec::new()) {
                    Step::Done(answer) => answer,
                    // hickory follows chains itself: an unfinished one has no data at its end.
                    Step::Ask(_) => Err(Failure::NoData),
                };
                // A NODATA made of an unfinished chain has no SOA to time it: not kept.
                let ttl = answer
                    .as_ref()
                    .ok()
                    .and_then(|rs| rs.iter().map(|r| r.ttl).min());
                ((answer, status), ttl)
            }
            Ok(Err(NetError::Dns(DnsError::DnssecBogus))) => {
                ((Err(Failure::ServFail), Dnssec::Bogus), None)
            }
            Ok(Err(e)) => match classify(&e) {
                Failure::Timeout => timed_out(),
                f @ (Failure::NxDomain | Failure::NoData) => {
                    let ttl = match &e {
                        NetError::Dns(DnsError::NoRecordsFound(nr)) => nr.negative_ttl,
                        _ => None,
                    };
                    ((Err(f), Dnssec::Indeterminate), ttl)
                }
                f => ((Err(f), Dnssec::Indeterminate), None),
            },
        }
    }
}

/// What one response says about the question: a final answer, or the next name of a CNAME
/// chain it did not finish.
enum Step {
    Done(Answer),
    Ask(String),
}

/// Walk from `start` through the response's records: records of the asked type owned by the
/// current name answer it; a CNAME owned by it moves on. Only those records are kept (in
/// `chain`); a loop or a chain over [`MAX_CNAME_CHAIN`] is SERVFAIL, as in zone replay.
fn follow(records: &[Record], start: &str, rtype: RecordType, chain: &mut Vec<Record>) -> Step {
    let mut name = start.to_string();
    loop {
        let matching: Vec<Record> = records
            .iter()
            .filter(|r| r.owner == name && r.rdata.rtype() == rtype)
            .cloned()
            .collect();
        if !matching.is_empty() {
            chain.extend(matching);
            return Step::Done(Ok(std::mem::take(chain)));
        }
        let cname = records.iter().find_map(|r| match &r.rdata {
            Rdata::Cname(target) if r.owner == name && rtype != RecordType::Cname => {
                Some((r, target))
            }
            _ => None,
        });
        let Some((record, target)) = cname else {
            // Nothing for `name` here: NODATA if it is the name asked, else ask for it.
            return if name == start {
                Step::Done(Err(Failure::NoData))
            } else {
                Step::Ask(name)
            };
        };
        if chain.len() >= MAX_CNAME_CHAIN
            || chain.iter().any(|c| &c.owner == target)
            || target == &record.owner
        {
            return Step::Done(Err(Failure::ServFail));
        }
        chain.push(record.clone());
        name.clone_from(target);
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
        self.plain(name, rtype, None).0
    }

    fn query_dnssec(&self, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        self.validated(name, rtype, None).0
    }

    fn query_by(&self, name: &str, rtype: RecordType, by: Instant) -> Answer {
        self.plain(name, rtype, Some(by)).0
    }

    fn query_dnssec_by(&self, name: &str, rtype: RecordType, by: Instant) -> (Answer, Dnssec) {
        self.validated(name, rtype, Some(by)).0
    }

    fn query_ttl(&self, name: &str, rtype: RecordType, by: Option<Instant>) -> (Answer, Ttl) {
        self.plain(name, rtype, by)
    }

    fn query_dnssec_ttl(
        &self,
        name: &str,
        rtype: RecordType,
        by: Option<Instant>,
    ) -> ((Answer, Dnssec), Ttl) {
        self.validated(name, rtype, by)
    }

    fn notes(&self) -> Vec<DnsNote> {
        let backoff_secs = BACKOFF.as_secs();
        let mut notes: Vec<DnsNote> = self
            .servers
            .iter()
            .filter(|s| s.was_silent())
            .map(|s| DnsNote::ResolverSilent {
                resolver: s.addr,
                backoff_secs,
            })
            .collect();
        if let Some(Some(resolver)) = self.canary.get() {
            notes.push(DnsNote::NxdomainForEverything {
                resolver: *resolver,
            });
        }
        notes
    }
}

/// How long a negative answer may be kept (RFC 2308 §5): the SOA of the authority section,
/// its TTL capped by its MINIMUM, and no longer than the CNAMEs that led there. Without an SOA
/// the answer is not kept (RFC 2308 §5: "SHOULD NOT be cached").
fn negative_ttl(message: &hickory_proto::op::Message, chain: &[Record]) -> Ttl {
    let soa = message.authorities.iter().find_map(|r| match &r.data {
        RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
        _ => None,
    })?;
    Some(chain.iter().map(|r| r.ttl).fold(soa, u32::min))
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
        NetError::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => Failure::Refused,
        _ => Failure::ServFail,
    }
}

/// Our name text (labels joined with dots, any octet) as a wire name.
fn wire_name(name: &str) -> Option<Name> {
    let labels: Vec<&[u8]> = name
        .split('.')
        .filter(|l| !l.is_empty())
        .map(str::as_bytes)
        .collect();
    let mut qname = Name::from_labels(labels).ok()?;
    qname.set_fqdn(true);
    Some(qname)
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
        // Kept in wire form (RFC 3597): its presentation text is the peer's to choose and
        // could hold anything, a newline included.
        other => {
            let mut data = Vec::new();
            let mut encoder = BinEncoder::new(&mut data);
            encoder.set_name_encoding(NameEncoding::Uncompressed);
            other.emit(&mut encoder).ok()?;
            Rdata::Unknown {
                rtype: RecordType::from_code(u16::from(other.record_type())),
                data,
            }
        }
    };
    Some(Record {
        owner: name_text(&record.name),
        ttl: record.ttl,
        rdata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(owner: &str, rdata: Rdata) -> Record {
        Record {
            owner: owner.into(),
            ttl: 60,
            rdata,
        }
    }

    #[test]
    fn foreign_owners_are_dropped_and_chains_kept() {
        let records = vec![
            rec("a.test", Rdata::Cname("b.test".into())),
            rec(
                "_dmarc.victim.test",
                Rdata::Txt(vec![b"v=DMARC1; p=none".to_vec()]),
            ),
            rec("b.test", Rdata::Txt(vec![b"x".to_vec()])),
        ];
        let Step::Done(Ok(answer)) = follow(&records, "a.test", RecordType::Txt, &mut Vec::new())
        else {
            panic!("an answer");
        };
        let owners: Vec<&str> = answer.iter().map(|r| r.owner.as_str()).collect();
        assert_eq!(owners, ["a.test", "b.test"]);
    }

    #[test]
    fn loops_and_long_chains_are_servfail_and_open_chains_are_asked_on() {
        let looped = vec![
            rec("l1.test", Rdata::Cname("l2.test".into())),
            rec("l2.test", Rdata::Cname("l1.test".into())),
        ];
        assert!(matches!(
            follow(&looped, "l1.test", RecordType::A, &mut Vec::new()),
            Step::Done(Err(Failure::ServFail))
        ));
        let long: Vec<Record> = (0..=MAX_CNAME_CHAIN)
            .map(|i| {
                rec(
                    &format!("c{i}.test"),
                    Rdata::Cname(format!("c{}.test", i + 1)),
                )
            })
            .collect();
        assert!(matches!(
            follow(&long, "c0.test", RecordType::A, &mut Vec::new()),
            Step::Done(Err(Failure::ServFail))
        ));
        let open = vec![rec("a.test", Rdata::Cname("elsewhere.test".into()))];
        assert!(matches!(
            follow(&open, "a.test", RecordType::A, &mut Vec::new()),
            Step::Ask(n) if n == "elsewhere.test"
        ));
        assert!(matches!(
            follow(&[], "a.test", RecordType::A, &mut Vec::new()),
            Step::Done(Err(Failure::NoData))
        ));
    }

    /// A negative answer is kept for the SOA's TTL capped by its MINIMUM (RFC 2308 §5), no
    /// longer than the CNAMEs that led to it, and not at all without an SOA.
    #[test]
    fn negative_ttl_comes_from_the_soa() {
        use hickory_proto::rr::rdata::SOA;
        let name = |s: &str| wire_name(s).expect("name");
        let mut message = hickory_proto::op::Message::query();
        assert_eq!(negative_ttl(&message, &[]), None);
        let soa = SOA::new(name("ns.test"), name("h.test"), 1, 3600, 600, 86400, 300);
        message
            .authorities
            .push(hickory_proto::rr::Record::from_rdata(
                name("test"),
                900,
                RData::SOA(soa),
            ));
        assert_eq!(negative_ttl(&message, &[]), Some(300));
        let chain = [Record {
            owner: "a.test".into(),
            ttl: 30,
            rdata: Rdata::Cname("b.test".into()),
        }];
        assert_eq!(negative_ttl(&message, &chain), Some(30));
    }
}
