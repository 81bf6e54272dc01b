//! Small types every layer shares: the result words, the DNSSEC status of an answer, and the
//! evaluation time.

use serde::Serialize;

/// RFC 8601 result words, lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum AuthResult {
    /// The mechanism passed.
    Pass,
    /// The mechanism failed.
    Fail,
    /// SPF: the domain suggests failing, weakly.
    Softfail,
    /// SPF: the domain makes no assertion.
    Neutral,
    /// Nothing to evaluate (no record, no signature).
    None,
    /// A temporary (DNS) error: retry later.
    Temperror,
    /// A permanent error in the published data or the message.
    Permerror,
    /// Verified, but refused by local policy (weak key, weak hash).
    Policy,
}

impl AuthResult {
    /// The RFC word, e.g. `pass`.
    pub fn word(self) -> &'static str {
        match self {
            AuthResult::Pass => "pass",
            AuthResult::Fail => "fail",
            AuthResult::Softfail => "softfail",
            AuthResult::Neutral => "neutral",
            AuthResult::None => "none",
            AuthResult::Temperror => "temperror",
            AuthResult::Permerror => "permerror",
            AuthResult::Policy => "policy",
        }
    }
}

/// RFC 4035 §4.3 security status of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dnssec {
    /// Validated from a trust anchor.
    Secure,
    /// Provably unsigned (an insecure delegation).
    Insecure,
    /// Signed, but validation failed.
    Bogus,
    /// Not validated (no validating resolver, or the backend cannot tell).
    Indeterminate,
}

impl Dnssec {
    /// Read the zone-file word (`SECURE`, `INSECURE`, `BOGUS`, `INDETERMINATE`).
    pub fn parse(s: &str) -> Option<Dnssec> {
        match s.to_ascii_uppercase().as_str() {
            "SECURE" => Some(Dnssec::Secure),
            "INSECURE" => Some(Dnssec::Insecure),
            "BOGUS" => Some(Dnssec::Bogus),
            "INDETERMINATE" => Some(Dnssec::Indeterminate),
            _ => None,
        }
    }

    /// The zone-file word.
    pub fn word(self) -> &'static str {
        match self {
            Dnssec::Secure => "SECURE",
            Dnssec::Insecure => "INSECURE",
            Dnssec::Bogus => "BOGUS",
            Dnssec::Indeterminate => "INDETERMINATE",
        }
    }
}

/// `--at`: the time signatures and certificates are judged at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// A fixed time, unix seconds.
    Fixed(u64),
    /// The newest Received timestamp of the message (now when it has none).
    Arrival,
}

/// The evaluation time, resolved once per run: the `--at` choice and the wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// What `--at` asked for.
    pub at: At,
    /// The wall clock when the run started, unix seconds.
    pub now: u64,
}

impl Clock {
    /// The system clock, with `at` as given.
    pub fn system(at: Option<At>) -> Clock {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Clock {
            at: at.unwrap_or(At::Fixed(now)),
            now,
        }
    }

    /// A fixed evaluation time (and wall clock), for tests and embedders.
    pub fn fixed(t: u64) -> Clock {
        Clock {
            at: At::Fixed(t),
            now: t,
        }
    }

    /// The time to judge against when there is no message: `--at`, or now.
    pub fn time(&self) -> u64 {
        match self.at {
            At::Fixed(t) => t,
            At::Arrival => self.now,
        }
    }

    /// The time to judge a message at: `--at`, or with `arrival` its newest Received time.
    pub fn for_message(&self, newest_received: Option<u64>) -> u64 {
        match self.at {
            At::Fixed(t) => t,
            At::Arrival => newest_received.unwrap_or(self.now),
        }
    }

    /// [`Clock::time`] as signed seconds (certificate and hop times are signed).
    pub fn time_signed(&self) -> i64 {
        i64::try_from(self.time()).unwrap_or(i64::MAX)
    }
}

/// At most `max` characters, with an ellipsis when cut (long values from a message or DNS).
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Run `a` and `b`, on two threads when `parallel` (independent DNS-bound work on live DNS),
/// else one after the other.
pub fn join<A: Send, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B,
) -> (A, B) {
    if !parallel {
        return (a(), b());
    }
    std::thread::scope(|s| {
        let handle = s.spawn(a);
        let b = b();
        // A panic in `a` is re-raised here, as it would have been sequentially.
        let a = handle
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (a, b)
    })
}

/// `items.iter().map(f)`, one thread per item when `parallel`; results in item order.
pub fn map<T: Sync, R: Send>(parallel: bool, items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if !parallel || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = items.iter().map(|i| s.spawn(move || f(i))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// serde `serialize_with`: a value as its `Display` text (typed causes serialize as the
/// reason users read).
pub fn as_text<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// serde `serialize_with` for an optional `Display` value (`null` when absent).
pub fn as_opt_text<T: std::fmt::Display, S: serde::Serializer>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}
