//! The recorder: live lookups, each answer also written out in the zone-replay format.

use std::io::Write;
use std::sync::Mutex;

use super::name::{escape_name, normalize};
use super::zone::RECORDING_MARK;
use super::{Answer, DnsNote, DnsSetupError, Dnssec, RecordType, Resolve};

/// Live lookups, each answer also appended to a zone file that `--dns-zone` replays.
pub struct Recording {
    inner: Box<dyn Resolve>,
    out: Mutex<std::io::BufWriter<std::fs::File>>,
}

impl Recording {
    /// Record the answers of `inner` into a new file at `path` (`--record-dns`); an existing
    /// file is truncated.
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
        // The first line marks the file as a recording: replaying it, a name it does not hold
        // is "not in the recording" (temperror), never NXDOMAIN.
        let _ = writeln!(
            out,
            "{RECORDING_MARK} {}; replay with --dns-zone (names not in it: temperror)",
            env!("CARGO_PKG_VERSION")
        );
        Ok(Recording {
            inner,
            out: Mutex::new(out),
        })
    }
}

impl Recording {
    fn write(&self, name: &str, rtype: RecordType, answer: &Answer, dnssec: Option<Dnssec>) {
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
                ";! {}. {rtype} {}\n",
                escape_name(&normalize(name)),
                f.word()
            )),
        }
        if let Some(status) = dnssec.filter(|s| *s != Dnssec::Indeterminate) {
            text.push_str(&format!(
                ";! {}. {rtype} {}\n",
                escape_name(&normalize(name)),
                status.word()
            ));
        }
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        }
    }
}

impl Resolve for Recording {
    fn is_remote(&self) -> bool {
        self.inner.is_remote()
    }

    fn query(&self, name: &str, rtype: RecordType) -> Answer {
        let answer = self.inner.query(name, rtype);
        self.write(name, rtype, &answer, None);
        answer
    }

    fn query_dnssec(&self, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        let (answer, status) = self.inner.query_dnssec(name, rtype);
        self.write(name, rtype, &answer, Some(status));
        (answer, status)
    }

    fn notes(&self) -> Vec<DnsNote> {
        self.inner.notes()
    }

    fn query_by(&self, name: &str, rtype: RecordType, by: std::time::Instant) -> Answer {
        let answer = self.inner.query_by(name, rtype, by);
        self.write(name, rtype, &answer, None);
        answer
    }

    fn query_dnssec_by(
        &self,
        name: &str,
        rtype: RecordType,
        by: std::time::Instant,
    ) -> (Answer, Dnssec) {
        let (answer, status) = self.inner.query_dnssec_by(name, rtype, by);
        self.write(name, rtype, &answer, Some(status));
        (answer, status)
    }
}
