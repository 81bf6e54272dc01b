//! Zone replay: RFC 1035 master files as the only source of answers.
//!
//! A name absent from every file is NXDOMAIN; a present name (or an empty non-terminal) without
//! the asked type is NODATA. Comment lines of the form `;! NAME TYPE OUTCOME` declare failures
//! (`SERVFAIL`, `TIMEOUT`, `REFUSED`, and the recorder's `NXDOMAIN` / `NODATA`), so any other
//! zone-file tool still reads the file.

use std::collections::{HashMap, HashSet};

mod parse;

use super::name::normalize;
use super::{Answer, DnsSetupError, Dnssec, Failure, Rdata, Record, RecordType, Resolve};

/// CNAME chains longer than this are treated as loops (SERVFAIL), as resolvers do.
const MAX_CNAME_CHAIN: usize = 16;

#[derive(Debug, Default)]
pub struct Zone {
    records: HashMap<String, Vec<Record>>,
    failures: HashMap<(String, RecordType), Failure>,
    /// `;! NAME TYPE SECURE|INSECURE|BOGUS`: the DNSSEC status a recording saw.
    dnssec: HashMap<(String, RecordType), Dnssec>,
    /// Every owner and every ancestor of an owner: the names that exist (RFC 8020).
    existing: HashSet<String>,
}

impl Zone {
    pub fn from_files(paths: &[std::path::PathBuf]) -> Result<Zone, DnsSetupError> {
        let mut zone = Zone::default();
        for path in paths {
            let shown = path.display().to_string();
            let text = std::fs::read(path).map_err(|source| DnsSetupError::ZoneRead {
                path: shown.clone(),
                source,
            })?;
            zone.add_text(&String::from_utf8_lossy(&text))
                .map_err(|(line, message)| DnsSetupError::ZoneSyntax {
                    path: shown.clone(),
                    line,
                    message,
                })?;
        }
        Ok(zone)
    }

    /// Parse one zone file's text into this zone. Errors carry the 1-based line number.
    pub fn add_text(&mut self, text: &str) -> Result<(), (usize, String)> {
        parse::add_text(self, text)
    }

    pub fn insert(&mut self, record: Record) {
        self.mark_existing(&record.owner);
        let list = self.records.entry(record.owner.clone()).or_default();
        if !list.contains(&record) {
            list.push(record);
        }
    }

    fn mark_existing(&mut self, owner: &str) {
        let mut name = owner;
        loop {
            if !self.existing.insert(name.to_string()) {
                break;
            }
            match name.find('.') {
                Some(i) => name = &name[i + 1..],
                None => break,
            }
        }
    }

    fn failure(&self, name: &str, rtype: RecordType) -> Option<Failure> {
        self.failures
            .get(&(name.to_string(), rtype))
            .or_else(|| self.failures.get(&(name.to_string(), RecordType::Any)))
            .copied()
    }

    /// Records at `name`, directly or through a wildcard (RFC 4592) below its closest encloser.
    fn records_at(&self, name: &str) -> Option<Vec<Record>> {
        if let Some(list) = self.records.get(name) {
            return Some(list.clone());
        }
        if self.existing.contains(name) {
            return Some(Vec::new());
        }
        let mut rest = name;
        while let Some(i) = rest.find('.') {
            rest = &rest[i + 1..];
            if let Some(list) = self.records.get(&format!("*.{rest}")) {
                let synthesised = list
                    .iter()
                    .map(|r| Record {
                        owner: name.to_string(),
                        ..r.clone()
                    })
                    .collect();
                return Some(synthesised);
            }
            if self.existing.contains(rest) {
                break;
            }
        }
        None
    }
}

impl Resolve for Zone {
    fn query(&self, name: &str, rtype: RecordType) -> Answer {
        let mut name = normalize(name);
        let mut chain = Vec::new();
        for _ in 0..MAX_CNAME_CHAIN {
            if let Some(f) = self.failure(&name, rtype) {
                return Err(f);
            }
            let Some(records) = self.records_at(&name) else {
                return Err(Failure::NxDomain);
            };
            let cname = records.iter().find_map(|r| match &r.rdata {
                Rdata::Cname(target) if rtype != RecordType::Cname => Some((r.clone(), target)),
                _ => None,
            });
            if let Some((record, target)) = cname {
                name = normalize(target);
                chain.push(record);
                continue;
            }
            let matching: Vec<Record> = records
                .into_iter()
                .filter(|r| r.rdata.rtype() == rtype)
                .collect();
            if matching.is_empty() {
                return Err(Failure::NoData);
            }
            chain.extend(matching);
            return Ok(chain);
        }
        Err(Failure::ServFail)
    }

    /// Replay cannot validate signatures offline: it answers with the status recorded for the
    /// question (`;! NAME TYPE SECURE`), or `Indeterminate`.
    fn query_dnssec(&self, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        let status = self
            .dnssec
            .get(&(normalize(name), rtype))
            .copied()
            .unwrap_or(Dnssec::Indeterminate);
        (self.query(name, rtype), status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(text: &str) -> Zone {
        let mut z = Zone::default();
        z.add_text(text).expect("zone parses");
        z
    }

    #[test]
    fn nxdomain_nodata_and_empty_non_terminals_differ() {
        let z = zone("a.b.example. 300 IN TXT \"x\"\n");
        assert_eq!(
            z.query("nope.example", RecordType::Txt),
            Err(Failure::NxDomain)
        );
        assert_eq!(z.query("a.b.example", RecordType::A), Err(Failure::NoData));
        assert_eq!(z.query("b.example", RecordType::Txt), Err(Failure::NoData));
    }

    #[test]
    fn escapes_origin_multiline_and_failures() {
        let z = zone(
            "$ORIGIN example.org.\n\
             a\\032b TXT ( \"one\" \n \"two\" ) ; comment\n\
             %{l}.x TXT \"v=spf1 -all\"\n\
             ;! broken TXT SERVFAIL\n\
             ;! slow.example.org. ANY TIMEOUT\n",
        );
        let a = z.query("a b.example.org", RecordType::Txt).expect("answer");
        assert_eq!(
            a[0].rdata,
            Rdata::Txt(vec![b"one".to_vec(), b"two".to_vec()])
        );
        assert!(z.query("%{l}.x.example.org", RecordType::Txt).is_ok());
        assert_eq!(
            z.query("broken.example.org", RecordType::Txt),
            Err(Failure::ServFail)
        );
        assert_eq!(
            z.query("slow.example.org", RecordType::Mx),
            Err(Failure::Timeout)
        );
    }

    #[test]
    fn cname_chains_resolve_and_loops_fail() {
        let z = zone(
            "a.test. CNAME b.test.\nb.test. A 192.0.2.1\nl1.test. CNAME l2.test.\nl2.test. CNAME l1.test.\n",
        );
        let answer = z.query("a.test", RecordType::A).expect("answer");
        assert_eq!(answer.len(), 2);
        assert_eq!(z.query("l1.test", RecordType::A), Err(Failure::ServFail));
    }

    #[test]
    fn wildcards_answer_below_the_closest_encloser() {
        let z = zone("*.w.test. TXT \"wild\"\nx.w.test. A 192.0.2.1\n");
        assert!(z.query("foo.w.test", RecordType::Txt).is_ok());
        assert_eq!(z.query("x.w.test", RecordType::Txt), Err(Failure::NoData));
    }
}
