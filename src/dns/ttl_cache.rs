//! A DNS cache that outlives one run, for a long-running process (the milter): each answer is
//! kept for as long as its source said (RFC 1035 §3.2.1 TTLs, RFC 2308 §5 for NXDOMAIN and
//! NODATA), so the second message from a domain asks no server. It sits between the per-run
//! caches ([`super::Dns`], which still dedup in-flight questions and apply each run's
//! deadline) and the live backend.
//!
//! What is never kept: temporary failures (SERVFAIL, timeout, REFUSED, the deadline), which
//! must be asked again for the next message; negative answers without an SOA (RFC 2308 §5);
//! TTL 0. It is bounded in entries and in bytes; when full, the entries closest to expiry
//! (expired ones first) make room.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::name::normalize;
use super::{Answer, DnsNote, Dnssec, Rdata, RecordType, Resolve, Ttl};

/// Positive answers are kept at most a day whatever their TTL says (as resolvers cap them,
/// e.g. Unbound's `cache-max-ttl`): a long-running verifier must see key rotations.
const MAX_TTL: u32 = 86_400;
/// Negative answers at most three hours (RFC 2308 §5: "values of one to three hours").
const MAX_NEGATIVE_TTL: u32 = 10_800;
/// What an entry costs beside its name and data (map slots, index, the answer's vectors).
const ENTRY_OVERHEAD: usize = 160;

/// How much the cache may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Answers kept at most.
    pub entries: usize,
    /// Bytes of names and record data kept at most (an estimate that counts the overhead).
    pub bytes: usize,
}

impl Default for CacheLimits {
    /// 100,000 answers in 64 MiB: every domain a busy MX sees in a day.
    fn default() -> CacheLimits {
        CacheLimits {
            entries: 100_000,
            bytes: 64 << 20,
        }
    }
}

/// What the cache did so far (the milter's metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Questions answered from the cache.
    pub hits: u64,
    /// Questions sent on to the backend.
    pub misses: u64,
    /// Answers held now.
    pub entries: usize,
    /// Their estimated size in bytes.
    pub bytes: usize,
}

/// Plain and DNSSEC-validated answers are kept apart (the latter may come from another
/// resolver and carry a status).
type Kind = (RecordType, bool);

struct Entry {
    answer: Answer,
    dnssec: Dnssec,
    expires: Instant,
    /// Its key in the expiry index.
    order: u64,
    weight: usize,
}

#[derive(Default)]
struct State {
    answers: HashMap<Kind, HashMap<String, Entry>>,
    /// Every entry by expiry time (then insertion): the first ones are evicted first.
    expiry: BTreeMap<(Instant, u64), (Kind, String)>,
    entries: usize,
    bytes: usize,
    next: u64,
}

impl State {
    fn remove(&mut self, kind: Kind, name: &str) {
        if let Some(e) = self.answers.get_mut(&kind).and_then(|m| m.remove(name)) {
            self.expiry.remove(&(e.expires, e.order));
            self.entries -= 1;
            self.bytes -= e.weight;
        }
    }

    fn evict_first(&mut self) -> bool {
        let Some((_, (kind, name))) = self.expiry.pop_first() else {
            return false;
        };
        if let Some(e) = self.answers.get_mut(&kind).and_then(|m| m.remove(&name)) {
            self.entries -= 1;
            self.bytes -= e.weight;
        }
        true
    }
}

/// The cross-run cache in front of a (live) backend. It is itself a [`Resolve`]: give it to
/// each run's [`super::Dns`].
pub struct TtlCache {
    backend: Arc<dyn Resolve>,
    limits: CacheLimits,
    state: Mutex<State>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// The bytes an answer holds, roughly (names, strings, data; fixed-size parts as such).
fn weight(name: &str, answer: &Answer) -> usize {
    let records = answer.as_ref().map_or(&[][..], Vec::as_slice);
    let data: usize = records
        .iter()
        .map(|r| {
            r.owner.len()
                + 32
                + match &r.rdata {
                    Rdata::A(_) => 4,
                    Rdata::Aaaa(_) => 16,
                    Rdata::Txt(parts) | Rdata::Spf(parts) => {
                        parts.iter().map(|p| p.len() + 24).sum()
                    }
                    Rdata::Mx { exchange, .. } => exchange.len() + 2,
                    Rdata::Ptr(n) | Rdata::Cname(n) | Rdata::Ns(n) => n.len(),
                    Rdata::Tlsa { data, .. } => data.len() + 3,
                    Rdata::Other { text, .. } => text.len(),
                    Rdata::Unknown { data, .. } => data.len(),
                }
        })
        .sum();
    ENTRY_OVERHEAD + name.len() + data
}

/// How long `answer` may be kept from `ttl`: RFC 2181 §8 reads a TTL with the top bit set
/// as 0; temporary failures are not kept whatever came with them.
fn lifetime(answer: &Answer, ttl: Ttl) -> Option<Duration> {
    let ttl = ttl?;
    let ttl = if ttl > i32::MAX as u32 { 0 } else { ttl };
    let ttl = match answer {
        Ok(_) => ttl.min(MAX_TTL),
        Err(f) if !f.is_temporary() => ttl.min(MAX_NEGATIVE_TTL),
        Err(_) => return None,
    };
    (ttl > 0).then(|| Duration::from_secs(u64::from(ttl)))
}

impl TtlCache {
    /// An empty cache in front of `backend`, holding at most `limits`.
    pub fn new(backend: Arc<dyn Resolve>, limits: CacheLimits) -> TtlCache {
        TtlCache {
            backend,
            limits,
            state: Mutex::new(State::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Hits, misses and what is held now.
    pub fn stats(&self) -> CacheStats {
        let (entries, bytes) = self.state.lock().map_or((0, 0), |s| (s.entries, s.bytes));
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries,
            bytes,
        }
    }

    /// A view that answers from the cache alone ([`Warm`]), for a first, thread-free pass.
    pub fn warm(self: &Arc<Self>) -> Arc<Warm> {
        Arc::new(Warm {
            cache: Arc::clone(self),
            found: AtomicU64::new(0),
            missed: AtomicBool::new(false),
        })
    }

    /// The kept answer for the question, if it has not expired at `now` (an expired one is
    /// dropped), with the seconds it has left.
    fn get(&self, kind: Kind, name: &str, now: Instant) -> Option<((Answer, Dnssec), Ttl)> {
        let mut state = self.state.lock().ok()?;
        let e = state.answers.get(&kind)?.get(name)?;
        if e.expires > now {
            let left = u32::try_from(e.expires.duration_since(now).as_secs()).unwrap_or(u32::MAX);
            return Some(((e.answer.clone(), e.dnssec), Some(left)));
        }
        state.remove(kind, name);
        None
    }

    /// Keep `answer` for its lifetime, making room if the limits ask for it.
    fn put(&self, kind: Kind, name: &str, answer: &Answer, dnssec: Dnssec, ttl: Ttl, now: Instant) {
        let Some(life) = lifetime(answer, ttl) else {
            return;
        };
        let weight = weight(name, answer);
        if weight > self.limits.bytes || self.limits.entries == 0 {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.remove(kind, name);
        while state.entries + 1 > self.limits.entries || state.bytes + weight > self.limits.bytes {
            if !state.evict_first() {
                break;
            }
        }
        let expires = now + life;
        let order = state.next;
        state.next += 1;
        state
            .expiry
            .insert((expires, order), (kind, name.to_string()));
        state.entries += 1;
        state.bytes += weight;
        state.answers.entry(kind).or_default().insert(
            name.to_string(),
            Entry {
                answer: answer.clone(),
                dnssec,
                expires,
                order,
                weight,
            },
        );
    }

    /// One question at `now`: from the cache, else from the backend (and kept).
    fn ask(
        &self,
        name: &str,
        rtype: RecordType,
        validated: bool,
        by: Option<Instant>,
        now: Instant,
    ) -> ((Answer, Dnssec), Ttl) {
        let name = normal(name);
        let kind = (rtype, validated);
        if let Some(kept) = self.get(kind, &name, now) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return kept;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let ((answer, dnssec), ttl) = if validated {
            self.backend.query_dnssec_ttl(&name, rtype, by)
        } else {
            let (answer, ttl) = self.backend.query_ttl(&name, rtype, by);
            ((answer, Dnssec::Indeterminate), ttl)
        };
        // Timed from when the question was asked: the answer is no younger than that.
        self.put(kind, &name, &answer, dnssec, ttl, now);
        ((answer, dnssec), ttl)
    }
}

/// Names as the per-run cache passes them are already normal; anyone else's are made so.
fn normal(name: &str) -> std::borrow::Cow<'_, str> {
    if name.ends_with('.') || name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(normalize(name))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

impl Resolve for TtlCache {
    fn query(&self, name: &str, rtype: RecordType) -> Answer {
        self.ask(name, rtype, false, None, Instant::now()).0.0
    }

    fn query_dnssec(&self, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        self.ask(name, rtype, true, None, Instant::now()).0
    }

    fn is_remote(&self) -> bool {
        self.backend.is_remote()
    }

    fn notes(&self) -> Vec<DnsNote> {
        self.backend.notes()
    }

    fn query_by(&self, name: &str, rtype: RecordType, by: Instant) -> Answer {
        self.ask(name, rtype, false, Some(by), Instant::now()).0.0
    }

    fn query_dnssec_by(&self, name: &str, rtype: RecordType, by: Instant) -> (Answer, Dnssec) {
        self.ask(name, rtype, true, Some(by), Instant::now()).0
    }

    fn query_ttl(&self, name: &str, rtype: RecordType, by: Option<Instant>) -> (Answer, Ttl) {
        let ((answer, _), ttl) = self.ask(name, rtype, false, by, Instant::now());
        (answer, ttl)
    }

    fn query_dnssec_ttl(
        &self,
        name: &str,
        rtype: RecordType,
        by: Option<Instant>,
    ) -> ((Answer, Dnssec), Ttl) {
        self.ask(name, rtype, true, by, Instant::now())
    }
}

/// The cache read alone, as a backend that answers at once: a check run over it spawns no
/// thread and asks no server. A question it does not hold answers a temporary failure and
/// marks the pass as missed: its result is then to be thrown away and the check run again
/// over the cache itself. Hits are counted in the cache's figures only when the pass is kept
/// ([`Warm::settle`]), so no question is counted twice.
pub struct Warm {
    cache: Arc<TtlCache>,
    found: AtomicU64,
    missed: AtomicBool,
}

impl Warm {
    fn get(&self, name: &str, rtype: RecordType, validated: bool) -> (Answer, Dnssec) {
        match self
            .cache
            .get((rtype, validated), &normal(name), Instant::now())
        {
            Some((kept, _)) => {
                self.found.fetch_add(1, Ordering::Relaxed);
                kept
            }
            None => {
                self.missed.store(true, Ordering::Relaxed);
                (Err(super::Failure::Unanswered), Dnssec::Indeterminate)
            }
        }
    }

    /// Whether every question of the pass was answered from the cache; if so its hits are
    /// counted.
    pub fn settle(&self) -> bool {
        if self.missed.load(Ordering::Relaxed) {
            return false;
        }
        self.cache
            .hits
            .fetch_add(self.found.load(Ordering::Relaxed), Ordering::Relaxed);
        true
    }
}

impl Resolve for Warm {
    fn query(&self, name: &str, rtype: RecordType) -> Answer {
        self.get(name, rtype, false).0
    }

    fn query_dnssec(&self, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        self.get(name, rtype, true)
    }

    fn notes(&self) -> Vec<DnsNote> {
        self.cache.backend.notes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{Failure, Record};
    use std::sync::atomic::AtomicUsize;

    /// A backend with one fixed answer, TTL and status per name, counting what it is asked.
    struct Fixed(HashMap<String, (Answer, Ttl, Dnssec)>, AtomicUsize);

    impl Fixed {
        fn new(answers: &[(&str, Answer, Ttl, Dnssec)]) -> Arc<Fixed> {
            let map = answers
                .iter()
                .map(|(n, a, t, d)| (n.to_string(), (a.clone(), *t, *d)))
                .collect();
            Arc::new(Fixed(map, AtomicUsize::new(0)))
        }

        fn asked(&self) -> usize {
            self.1.load(Ordering::SeqCst)
        }

        fn answer(&self, name: &str) -> ((Answer, Dnssec), Ttl) {
            self.1.fetch_add(1, Ordering::SeqCst);
            match self.0.get(name) {
                Some((a, t, d)) => ((a.clone(), *d), *t),
                None => ((Err(Failure::NxDomain), Dnssec::Indeterminate), None),
            }
        }
    }

    impl Resolve for Fixed {
        fn query(&self, name: &str, _: RecordType) -> Answer {
            self.answer(name).0.0
        }

        fn query_ttl(&self, name: &str, _: RecordType, _: Option<Instant>) -> (Answer, Ttl) {
            let ((a, _), t) = self.answer(name);
            (a, t)
        }

        fn query_dnssec_ttl(
            &self,
            name: &str,
            _: RecordType,
            _: Option<Instant>,
        ) -> ((Answer, Dnssec), Ttl) {
            self.answer(name)
        }
    }

    fn txt(owner: &str, text: &str) -> Answer {
        Ok(vec![Record {
            owner: owner.into(),
            ttl: 60,
            rdata: Rdata::Txt(vec![text.as_bytes().to_vec()]),
        }])
    }

    fn ask(c: &TtlCache, name: &str, at: Instant) -> Answer {
        c.ask(name, RecordType::Txt, false, None, at).0.0
    }

    /// An answer is served from the cache until its TTL has passed, then asked again; the
    /// seconds left are what the TTL has left.
    #[test]
    fn answers_are_kept_for_their_ttl() {
        let backend = Fixed::new(&[("a.test", txt("a.test", "x"), Some(60), Dnssec::Insecure)]);
        let cache = TtlCache::new(backend.clone(), CacheLimits::default());
        let t0 = Instant::now();
        assert!(ask(&cache, "a.test", t0).is_ok());
        let (_, left) = cache.ask(
            "A.test.",
            RecordType::Txt,
            false,
            None,
            t0 + Duration::from_secs(59),
        );
        assert_eq!(
            backend.asked(),
            1,
            "a hit within the TTL, the name normalised"
        );
        assert_eq!(left, Some(1));
        assert!(ask(&cache, "a.test", t0 + Duration::from_secs(60)).is_ok());
        assert_eq!(backend.asked(), 2, "asked again once expired");
        let s = cache.stats();
        assert_eq!((s.hits, s.misses, s.entries), (1, 2, 1));
    }

    /// NXDOMAIN and NODATA are kept for the SOA-derived TTL (capped at three hours), not at
    /// all without one; temporary failures never, whatever TTL came with them; TTL 0 and TTLs
    /// with the top bit set (RFC 2181 §8) not either; positive TTLs are capped at a day.
    #[test]
    fn what_is_kept_and_for_how_long() {
        let day = u64::from(MAX_TTL);
        let cases: [(Answer, Ttl, Option<u64>); 8] = [
            (Err(Failure::NxDomain), Some(300), Some(300)),
            (
                Err(Failure::NoData),
                Some(999_999),
                Some(u64::from(MAX_NEGATIVE_TTL)),
            ),
            (Err(Failure::NxDomain), None, None),
            (Err(Failure::ServFail), Some(300), None),
            (Err(Failure::Timeout), Some(300), None),
            (txt("a.test", "x"), Some(0), None),
            (txt("a.test", "x"), Some(0x8000_0000), None),
            (txt("a.test", "x"), Some(10 * MAX_TTL), Some(day)),
        ];
        for (answer, ttl, kept) in cases {
            assert_eq!(
                lifetime(&answer, ttl).map(|d| d.as_secs()),
                kept,
                "{answer:?} with {ttl:?}"
            );
        }
    }

    /// A SERVFAIL is asked again at once: a resolver's bad moment is not pinned on the next
    /// message.
    #[test]
    fn servfail_is_not_pinned() {
        let backend = Fixed::new(&[(
            "s.test",
            Err(Failure::ServFail),
            Some(300),
            Dnssec::Indeterminate,
        )]);
        let cache = TtlCache::new(backend.clone(), CacheLimits::default());
        let t0 = Instant::now();
        assert_eq!(ask(&cache, "s.test", t0), Err(Failure::ServFail));
        assert_eq!(ask(&cache, "s.test", t0), Err(Failure::ServFail));
        assert_eq!(backend.asked(), 2);
        assert_eq!(cache.stats().entries, 0);
    }

    /// Past either limit, the entries closest to expiry go first, and the totals stay
    /// within the limits.
    #[test]
    fn bounded_in_entries_and_bytes() {
        let backend = Fixed::new(&[
            (
                "short.test",
                txt("short.test", "x"),
                Some(10),
                Dnssec::Insecure,
            ),
            (
                "long.test",
                txt("long.test", "x"),
                Some(1000),
                Dnssec::Insecure,
            ),
            (
                "mid.test",
                txt("mid.test", "x"),
                Some(100),
                Dnssec::Insecure,
            ),
        ]);
        let limits = CacheLimits {
            entries: 2,
            bytes: 1 << 20,
        };
        let cache = TtlCache::new(backend.clone(), limits);
        let t0 = Instant::now();
        for n in ["short.test", "long.test", "mid.test"] {
            assert!(ask(&cache, n, t0).is_ok());
        }
        assert_eq!(cache.stats().entries, 2);
        assert!(ask(&cache, "long.test", t0).is_ok());
        assert!(ask(&cache, "mid.test", t0).is_ok());
        assert_eq!(backend.asked(), 3, "long and mid kept");
        assert!(ask(&cache, "short.test", t0).is_ok());
        assert_eq!(backend.asked(), 4, "short evicted");

        let one = weight("short.test", &txt("short.test", "x"));
        let small = TtlCache::new(
            backend.clone(),
            CacheLimits {
                entries: 100,
                bytes: one + one / 2,
            },
        );
        assert!(ask(&small, "short.test", t0).is_ok());
        assert!(ask(&small, "long.test", t0).is_ok());
        let s = small.stats();
        assert_eq!(s.entries, 1);
        assert!(s.bytes <= one + one / 2, "{s:?}");
    }

    /// The DNSSEC status is kept with each validated answer, apart from the plain answer to
    /// the same question.
    #[test]
    fn dnssec_status_is_kept_per_answer() {
        let backend = Fixed::new(&[("t.test", txt("t.test", "x"), Some(60), Dnssec::Secure)]);
        let cache = TtlCache::new(backend.clone(), CacheLimits::default());
        for _ in 0..2 {
            let (answer, status) = cache.query_dnssec("t.test", RecordType::Tlsa);
            assert!(answer.is_ok());
            assert_eq!(status, Dnssec::Secure);
        }
        assert_eq!(backend.asked(), 1);
        assert!(cache.query("t.test", RecordType::Tlsa).is_ok());
        assert_eq!(backend.asked(), 2, "the plain question is its own entry");
    }

    /// The warm view answers what the cache holds, says when it missed something, asks the
    /// backend nothing, and counts its hits only when its pass is kept.
    #[test]
    fn warm_view_answers_from_the_cache_alone() {
        let backend = Fixed::new(&[("a.test", txt("a.test", "x"), Some(60), Dnssec::Insecure)]);
        let cache = Arc::new(TtlCache::new(backend.clone(), CacheLimits::default()));
        assert!(cache.query("a.test", RecordType::Txt).is_ok());
        let warm = cache.warm();
        assert!(!warm.is_remote());
        assert!(warm.query("a.test", RecordType::Txt).is_ok());
        assert!(warm.settle());
        assert_eq!(cache.stats().hits, 1);
        let cold = cache.warm();
        assert!(cold.query("b.test", RecordType::Txt).is_err());
        assert!(!cold.settle());
        assert_eq!(backend.asked(), 1);
        assert_eq!(cache.stats().hits, 1);
    }
}
