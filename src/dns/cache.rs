//! The per-run cache in front of whichever backend was chosen. Shared by every thread of a
//! batch: a question asked while the same question is in flight waits for that answer instead
//! of sending its own.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use super::name::normalize;
use super::{Answer, Dnssec, Failure, RecordType, Resolve, txt_strings};

/// One cell per question, by type then normalised name (so a name already in normal form is
/// looked up without building a key): filled once, waited on by everyone who asks while it is
/// in flight.
type Cells<T> = Mutex<HashMap<RecordType, HashMap<String, Arc<OnceLock<T>>>>>;

/// Answered cells of one cache, by type then name.
type Answered = HashMap<RecordType, HashMap<String, Arc<OnceLock<Answer>>>>;

thread_local! {
    /// This thread's copy of the answered cells of the cache it used last (by its id): a batch
    /// worker asks the same few questions for every message, and reading them here takes no
    /// lock and touches no reference count another worker is also changing. One cache's worth
    /// at most: a thread that moves on to another cache starts this copy over.
    static NEAR: RefCell<(u64, Answered)> = RefCell::new((u64::MAX, HashMap::new()));
}

/// Tells caches apart in [`NEAR`].
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// The DNS seam the checks use: a backend behind a per-run cache shared by every thread.
pub struct Dns {
    id: u64,
    backend: Box<dyn Resolve>,
    plain: Cells<Answer>,
    validated: Cells<(Answer, Dnssec)>,
    queries: AtomicUsize,
    /// The run's deadline, once set: questions asked after it are not sent.
    cutoff: OnceLock<Instant>,
}

/// `name` normalised ([`normalize`]), borrowed when it already is (the common case: names
/// built by the checks are lower case without a trailing dot).
fn normal(name: &str) -> Cow<'_, str> {
    if name.ends_with('.') || name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(normalize(name))
    } else {
        Cow::Borrowed(name)
    }
}

/// The cell for (`name`, `rtype`), created empty on first use; the map lock is held only for
/// this.
fn cell<T>(map: &Cells<T>, name: &str, rtype: RecordType) -> Arc<OnceLock<T>> {
    match map.lock() {
        Ok(mut m) => {
            let names = m.entry(rtype).or_default();
            if let Some(c) = names.get(name) {
                return Arc::clone(c);
            }
            Arc::clone(names.entry(name.to_string()).or_default())
        }
        // A poisoned map (a panicking thread) still answers, just without sharing.
        Err(_) => Arc::new(OnceLock::new()),
    }
}

impl Dns {
    /// A cache, empty, in front of `backend`.
    pub fn new(backend: Box<dyn Resolve>) -> Dns {
        Dns {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            backend,
            plain: Mutex::new(HashMap::new()),
            validated: Mutex::new(HashMap::new()),
            queries: AtomicUsize::new(0),
            cutoff: OnceLock::new(),
        }
    }

    /// `f` of the cached answer, asked of the backend on first use.
    fn with_answer<R>(&self, name: &str, rtype: RecordType, f: impl FnOnce(&Answer) -> R) -> R {
        let name = normal(name);
        // Answered before on this thread: read in place. (`f` only reads the answer; a busy
        // borrow, were `f` ever to ask again, goes the shared way below.)
        let near = NEAR.with(|near| {
            let Ok(near) = near.try_borrow() else {
                return Err(f);
            };
            let answer = (near.0 == self.id)
                .then(|| near.1.get(&rtype)?.get(name.as_ref())?.get())
                .flatten();
            match answer {
                Some(a) => Ok(f(a)),
                None => Err(f),
            }
        });
        let f = match near {
            Ok(r) => return r,
            Err(f) => f,
        };
        let cell = cell(&self.plain, &name, rtype);
        let answer = cell.get_or_init(|| {
            if self.past_cutoff() {
                return Err(Failure::Deadline);
            }
            self.queries.fetch_add(1, Ordering::Relaxed);
            match self.cutoff.get() {
                Some(by) => self.backend.query_by(&name, rtype, *by),
                None => self.backend.query(&name, rtype),
            }
        });
        let r = f(answer);
        NEAR.with(|near| {
            if let Ok(mut near) = near.try_borrow_mut() {
                if near.0 != self.id {
                    *near = (self.id, HashMap::new());
                }
                near.1
                    .entry(rtype)
                    .or_default()
                    .insert(name.into_owned(), Arc::clone(&cell));
            }
        });
        r
    }

    /// A deadline for the whole run (`filter --deadline`): from `at` on, every lookup that
    /// has no answer yet is [`Failure::Deadline`] (a temporary error), so the checks finish
    /// with what arrived and decide whatever the missing answers could not change. Set once;
    /// later calls are ignored. It holds for this cache only: a backend shared with other
    /// caches keeps its own pace for them.
    pub fn cut_off(&self, at: Instant) {
        let _ = self.cutoff.set(at);
    }

    fn past_cutoff(&self) -> bool {
        self.cutoff.get().is_some_and(|at| Instant::now() >= *at)
    }

    /// Lookups that ended at the deadline so far.
    pub fn cut_short(&self) -> usize {
        // Counted in place under each lock: no answer is copied to be counted.
        let cut = |a: &Answer| matches!(a, Err(Failure::Deadline));
        let plain = self.plain.lock().map_or(0, |m| {
            m.values()
                .flat_map(HashMap::values)
                .filter(|c| c.get().is_some_and(cut))
                .count()
        });
        let validated = self.validated.lock().map_or(0, |m| {
            m.values()
                .flat_map(HashMap::values)
                .filter(|c| c.get().is_some_and(|(a, _)| cut(a)))
                .count()
        });
        plain + validated
    }

    /// One lookup, answered from the run's cache when the same question was asked before.
    pub fn query(&self, name: &str, rtype: RecordType) -> Answer {
        self.with_answer(name, rtype, Clone::clone)
    }

    /// A lookup with its DNSSEC status (cached apart: it may go to a validating resolver).
    pub fn query_dnssec(&self, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        let name = normal(name);
        let cell = cell(&self.validated, &name, rtype);
        cell.get_or_init(|| {
            if self.past_cutoff() {
                return (Err(Failure::Deadline), Dnssec::Indeterminate);
            }
            self.queries.fetch_add(1, Ordering::Relaxed);
            match self.cutoff.get() {
                Some(by) => self.backend.query_dnssec_by(&name, rtype, *by),
                None => self.backend.query_dnssec(&name, rtype),
            }
        })
        .clone()
    }

    /// TXT records as whole texts (strings of one record joined, RFC 7208 §3.3).
    pub fn txt(&self, name: &str) -> Result<Vec<Vec<u8>>, Failure> {
        // From the cached records themselves: no copy of the records on the way.
        self.with_answer(name, RecordType::Txt, |a| match a {
            Ok(records) => Ok(txt_strings(records)),
            Err(f) => Err(*f),
        })
    }

    /// Whether independent questions should be asked concurrently (live DNS).
    pub fn is_remote(&self) -> bool {
        self.backend.is_remote()
    }

    /// What the backend learnt about the DNS service (a silent resolver, one that invents
    /// NXDOMAIN), for the report and the application's stderr.
    pub fn notes(&self) -> Vec<super::DnsNote> {
        self.backend.notes()
    }

    /// Queries that went to the backend (cache misses) so far.
    pub fn queries_sent(&self) -> usize {
        self.queries.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::zone::Zone;

    struct Counting(Zone, AtomicUsize);

    impl Resolve for Counting {
        fn query(&self, name: &str, rtype: RecordType) -> Answer {
            self.1.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            self.0.query(name, rtype)
        }
    }

    /// Two caches used in turn on one thread keep their own answers (the thread's near copy
    /// belongs to one cache at a time), and a repeated question is still counted once.
    #[test]
    fn caches_on_one_thread_do_not_share_answers() {
        let zone = |text: &str| {
            let mut z = Zone::default();
            z.add_text(text).expect("zone");
            Dns::new(Box::new(z))
        };
        let one = zone("a.test. TXT \"one\"\n");
        let two = zone("a.test. TXT \"two\"\n");
        for _ in 0..3 {
            assert_eq!(one.txt("a.test"), Ok(vec![b"one".to_vec()]));
            assert_eq!(two.txt("A.test."), Ok(vec![b"two".to_vec()]));
        }
        assert_eq!((one.queries_sent(), two.queries_sent()), (1, 1));
    }

    #[test]
    fn concurrent_identical_questions_reach_the_backend_once() {
        let mut zone = Zone::default();
        zone.add_text("a.test. TXT \"x\"\n").expect("zone");
        let backend = Arc::new(Counting(zone, AtomicUsize::new(0)));
        let dns = Dns::new(Box::new(backend.clone()));
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| assert!(dns.query("a.test", RecordType::Txt).is_ok()));
            }
        });
        assert_eq!(backend.1.load(Ordering::SeqCst), 1);
        assert_eq!(dns.queries_sent(), 1);
    }
}
