//! The per-run cache in front of whichever backend was chosen.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::name::normalize;
use super::{Answer, Dnssec, Failure, RecordType, Resolve, txt_strings};

pub struct Dns {
    backend: Box<dyn Resolve>,
    cache: Mutex<HashMap<(String, RecordType), Answer>>,
    validated: Mutex<HashMap<(String, RecordType), (Answer, Dnssec)>>,
    queries: AtomicUsize,
}

impl Dns {
    pub fn new(backend: Box<dyn Resolve>) -> Dns {
        Dns {
            backend,
            cache: Mutex::new(HashMap::new()),
            validated: Mutex::new(HashMap::new()),
            queries: AtomicUsize::new(0),
        }
    }

    /// One lookup, answered from the run's cache when the same question was asked before.
    pub fn query(&self, name: &str, rtype: RecordType) -> Answer {
        let key = (normalize(name), rtype);
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return hit;
        }
        self.queries.fetch_add(1, Ordering::Relaxed);
        let answer = self.backend.query(&key.0, rtype);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, answer.clone());
        }
        answer
    }

    /// A lookup with its DNSSEC status (cached apart: it may go to a validating resolver).
    pub fn query_dnssec(&self, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        let key = (normalize(name), rtype);
        if let Some(hit) = self
            .validated
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return hit;
        }
        self.queries.fetch_add(1, Ordering::Relaxed);
        let answer = self.backend.query_dnssec(&key.0, rtype);
        if let Ok(mut cache) = self.validated.lock() {
            cache.insert(key, answer.clone());
        }
        answer
    }

    /// TXT records as whole texts (strings of one record joined, RFC 7208 §3.3).
    pub fn txt(&self, name: &str) -> Result<Vec<Vec<u8>>, Failure> {
        self.query(name, RecordType::Txt).map(|r| txt_strings(&r))
    }

    /// Queries that went to the backend (cache misses) so far.
    pub fn queries_sent(&self) -> usize {
        self.queries.load(Ordering::Relaxed)
    }
}
