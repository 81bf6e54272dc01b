//! Zone replay: RFC 1035 master files as the only source of answers.
//!
//! A name absent from every file is NXDOMAIN; a present name (or an empty non-terminal) without
//! the asked type is NODATA. Comment lines of the form `;! NAME TYPE OUTCOME` declare failures
//! (`SERVFAIL`, `TIMEOUT`, `REFUSED`, and the recorder's `NXDOMAIN` / `NODATA`), so any other
//! zone-file tool still reads the file.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

mod parse;

pub use parse::{ZoneError, ZoneErrorKind};

use super::name::normalize;
use super::{
    Answer, DnsSetupError, Dnssec, Failure, MAX_CNAME_CHAIN, Rdata, Record, RecordType, Resolve,
};

/// The first line `--record-dns` writes: a file that starts with it is a recording, and a
/// name it does not hold replays as "not in the recording" (temperror), not as NXDOMAIN.
/// Recordings made before this rule carry the same words, so they are recognised too.
pub(crate) const RECORDING_MARK: &str = "; recorded by mailverdict";

/// Up to this many records at one owner (nearly every owner of a zone file), a new record is
/// compared with each of them; beyond it, they are found by hash (a recording can hold
/// thousands of records at one name).
const SCAN: usize = 8;

/// The records and declared failures of the `--dns-zone` files, answering queries from them alone.
#[derive(Debug, Default)]
pub struct Zone {
    records: HashMap<String, Vec<Record>>,
    failures: HashMap<(String, RecordType), Failure>,
    /// `;! NAME TYPE SECURE|INSECURE|BOGUS`: the DNSSEC status a recording saw.
    dnssec: HashMap<(String, RecordType), Dnssec>,
    /// Every owner and every ancestor of an owner: the names that exist (RFC 8020).
    existing: HashSet<String>,
    /// For owners of more than [`SCAN`] records: a keyed hash of each of their records, to its
    /// index in the owner's list. Duplicates are dropped in constant time per insert without
    /// a second copy of each record.
    seen: HashMap<u64, usize>,
    hasher: RandomState,
    /// Names written in the files, as owners or in `;!` lines.
    held: HashSet<String>,
    /// A recording was loaded: names not held are unknown, not absent.
    recording: bool,
}

impl Zone {
    /// Load the zone files in order into one zone; the first unreadable or invalid file stops it.
    pub fn from_files(paths: &[std::path::PathBuf]) -> Result<Zone, DnsSetupError> {
        let mut zone = Zone::default();
        for path in paths {
            let shown = path.display().to_string();
            let text = std::fs::read(path).map_err(|source| DnsSetupError::ZoneRead {
                path: shown.clone(),
                source,
            })?;
            // Valid UTF-8 (every zone file we write) is taken as it is, without a copy.
            let text = String::from_utf8(text)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            zone.add_text(&text)
                .map_err(|e| DnsSetupError::ZoneSyntax {
                    path: shown.clone(),
                    line: e.line,
                    error: e.kind,
                })?;
        }
        Ok(zone)
    }

    /// Parse one zone file's text into this zone. Errors carry the 1-based line number.
    /// A text whose first line is [`RECORDING_MARK`] makes this zone a recording.
    pub fn add_text(&mut self, text: &str) -> Result<(), ZoneError> {
        if text.starts_with(RECORDING_MARK) {
            self.recording = true;
        }
        // About one name per line: sized once instead of grown through every power of two.
        let lines = text.bytes().filter(|&b| b == b'\n').count();
        self.records.reserve(lines);
        self.held.reserve(lines);
        self.existing.reserve(2 * lines);
        parse::add_text(self, text)
    }

    /// Every record held, in no particular order (`--trust-anchor` files read their keys).
    pub(crate) fn records(&self) -> impl Iterator<Item = &Record> + '_ {
        self.records.values().flatten()
    }

    /// Whether a `--record-dns` file was loaded (absent names are then "not in the recording").
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Add one record (an exact duplicate is dropped); its owner and owner's ancestors then exist.
    pub fn insert(&mut self, record: Record) {
        let Some(list) = self.records.get_mut(&record.owner) else {
            self.mark_existing(&record.owner);
            self.records.insert(record.owner.clone(), vec![record]);
            return;
        };
        if list.len() < SCAN {
            if !list.contains(&record) {
                list.push(record);
            }
            return;
        }
        if list.len() == SCAN {
            // The owner outgrows the scan: index the records it holds.
            for (i, r) in list.iter().enumerate() {
                self.seen.entry(self.hasher.hash_one(r)).or_insert(i);
            }
        }
        let hash = self.hasher.hash_one(&record);
        match self.seen.get(&hash) {
            Some(&i) if list.get(i) == Some(&record) => return,
            // The hash was seen for another record (of this owner or another): compare in full.
            Some(_) if list.contains(&record) => return,
            Some(_) => {}
            None => {
                self.seen.insert(hash, list.len());
            }
        }
        list.push(record);
    }

    /// Note a name written in the files (as an owner or in a `;!` line).
    fn hold(&mut self, name: &str) {
        add_name(&mut self.held, name);
    }

    fn mark_existing(&mut self, owner: &str) {
        let mut name = owner;
        loop {
            if !add_name(&mut self.existing, name) {
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
        // The root always exists (a server answering from these files says NODATA for it).
        if name.is_empty() || self.existing.contains(name) {
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

/// Add `name` to `set` unless it is there already, copying it only then (most names of a
/// zone file come again and again); whether it was new.
fn add_name(set: &mut HashSet<String>, name: &str) -> bool {
    !set.contains(name) && set.insert(name.to_string())
}

impl Resolve for Zone {
    fn query(&self, name: &str, rtype: RecordType) -> Answer {
        let mut name = normalize(name);
        let mut chain = Vec::new();
        for _ in 0..MAX_CNAME_CHAIN {
            if let Some(f) = self.failure(&name, rtype) {
                return Err(f);
            }
            let records = self.records_at(&name);
            // A recording holds the names it saw; anything else was never asked of the live
            // DNS, so its answer is unknown, not NXDOMAIN (an empty non-terminal included).
            if self.recording
                && !self.held.contains(&name)
                && records.as_ref().is_none_or(Vec::is_empty)
            {
                return Err(Failure::NotRecorded);
            }
            let Some(records) = records else {
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
             q TXT \"say \\\"hi\\\"\\059 ok\" plain\\(x(\n\
             \"\")\n\
             ;! broken TXT SERVFAIL\n\
             ;! slow.example.org. ANY TIMEOUT\n",
        );
        let a = z.query("a b.example.org", RecordType::Txt).expect("answer");
        assert_eq!(
            a[0].rdata,
            Rdata::Txt(vec![b"one".to_vec(), b"two".to_vec()])
        );
        assert!(z.query("%{l}.x.example.org", RecordType::Txt).is_ok());
        // Escapes after a plain run, inside and outside quotes; a token ends at `(`.
        let q = z.query("q.example.org", RecordType::Txt).expect("answer");
        assert_eq!(
            q[0].rdata,
            Rdata::Txt(vec![
                b"say \"hi\"; ok".to_vec(),
                b"plain(x".to_vec(),
                Vec::new()
            ])
        );
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
    fn recordings_say_not_recorded_where_hand_written_files_say_nxdomain() {
        let text = "; recorded by mailverdict 9.9; replay with --dns-zone\n\
                    _dmarc.a.test. 300 IN TXT \"v=DMARC1; p=none\"\n\
                    ;! gone.test. TXT NXDOMAIN\n";
        let rec = zone(text);
        assert!(rec.is_recording());
        assert!(rec.query("_dmarc.a.test", RecordType::Txt).is_ok());
        assert_eq!(
            rec.query("gone.test", RecordType::Txt),
            Err(Failure::NxDomain)
        );
        // Never asked: neither the parent (an empty non-terminal) nor another name.
        assert_eq!(
            rec.query("a.test", RecordType::Txt),
            Err(Failure::NotRecorded)
        );
        assert_eq!(
            rec.query("b.test", RecordType::Txt),
            Err(Failure::NotRecorded)
        );
        let hand = zone(&text.replacen("; recorded by", "; written by", 1));
        assert!(!hand.is_recording());
        assert_eq!(
            hand.query("b.test", RecordType::Txt),
            Err(Failure::NxDomain)
        );
        assert_eq!(hand.query("a.test", RecordType::Txt), Err(Failure::NoData));
    }

    #[test]
    fn generic_rdata_round_trips_and_long_strings_are_refused() {
        let z = zone("x.test. TYPE65280 \\# 3 0a0B0c\nx.test. TYPE65281 \\# 0\n");
        let a = z.query("x.test", RecordType::Other(65280)).expect("answer");
        assert_eq!(a[0].rdata.to_string(), "\\# 3 0A0B0C");
        let again = zone(&format!("x.test. TYPE65280 {}\n", a[0].rdata));
        assert_eq!(again.query("x.test", RecordType::Other(65280)), Ok(a));
        let mut bad = Zone::default();
        assert!(bad.add_text("x.test. TYPE65280 \\# 4 0a0b0c\n").is_err());
        let long = format!("a.test. TXT \"ok\"\nb.test. TXT \"{}\"\n", "y".repeat(256));
        let err = bad.add_text(&long).expect_err("256 octets");
        assert_eq!(err.line, 2);
        assert_eq!(err.kind, ZoneErrorKind::StringTooLong(256));
    }

    #[test]
    fn records_that_share_a_hash_are_still_compared_in_full() {
        // An owner past the scan, then a stand-in for a 64-bit collision: the hash of a new
        // record already points at another record's index, so only a full comparison can
        // tell it is new.
        let text: String = (1..=SCAN + 1)
            .map(|i| format!("a.test. A 192.0.2.{i}\n"))
            .collect();
        let mut z = zone(&text);
        let first = z.records["a.test"][0].clone();
        let other = Record {
            rdata: Rdata::A("192.0.2.200".parse().expect("ip")),
            ..first.clone()
        };
        let hash = z.hasher.hash_one(&other);
        z.seen.insert(hash, 0);
        z.insert(other.clone());
        z.insert(other);
        z.insert(first);
        let held = z.query("a.test", RecordType::A).map(|r| r.len());
        assert_eq!(held, Ok(SCAN + 2));
    }

    /// Duplicates are dropped at owners of few records (compared one by one) and of many
    /// (found by hash), the duplicate coming before and after the owner outgrows the scan.
    #[test]
    fn duplicate_records_are_kept_once() {
        let z = zone("a.test. A 192.0.2.1\na.test. A 192.0.2.1\na.test. A 192.0.2.2\n");
        assert_eq!(z.query("a.test", RecordType::A).map(|r| r.len()), Ok(2));
        for n in [SCAN - 1, SCAN, SCAN + 1, 3 * SCAN] {
            let text: String = (0..n)
                .flat_map(|i| [i, i / 2])
                .map(|i| format!("b.test. TXT \"t{i}\"\n"))
                .collect();
            let z = zone(&text);
            assert_eq!(
                z.query("b.test", RecordType::Txt).map(|r| r.len()),
                Ok(n),
                "{n}"
            );
        }
    }

    #[test]
    fn wildcards_answer_below_the_closest_encloser() {
        let z = zone("*.w.test. TXT \"wild\"\nx.w.test. A 192.0.2.1\n");
        assert!(z.query("foo.w.test", RecordType::Txt).is_ok());
        assert_eq!(z.query("x.w.test", RecordType::Txt), Err(Failure::NoData));
    }
}
