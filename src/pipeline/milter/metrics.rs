//! `--metrics`: counters kept by the milter and served as Prometheus text (exposition format
//! 0.0.4) over plain HTTP. Atomics only: a scrape never waits on a message.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::dns::CacheStats;

/// What happened to a message, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Checked; the word is the DMARC result.
    Verdict(crate::common::AuthResult),
    /// Passed on without a verdict (oversized, over the memory budget, internal error).
    Unverified,
    /// The deadline passed first.
    Deadline,
}

const VERDICTS: [&str; 8] = [
    "pass",
    "fail",
    "softfail",
    "neutral",
    "none",
    "temperror",
    "permerror",
    "policy",
];

/// The action the MTA was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Accepted (with our field).
    Accept,
    /// Accepted and quarantined.
    Quarantine,
    /// Rejected (5xx).
    Reject,
    /// Temporary failure (4xx).
    Tempfail,
}

const ACTIONS: [&str; 4] = ["accept", "quarantine", "reject", "tempfail"];

/// Upper bounds of the latency histogram, seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0];

/// The counters.
#[derive(Debug, Default)]
pub struct Metrics {
    verdicts: [AtomicU64; 8],
    unverified: AtomicU64,
    deadline: AtomicU64,
    actions: [AtomicU64; 4],
    buckets: [AtomicU64; 10],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
    dns_failures: AtomicU64,
    active: AtomicI64,
    connections: AtomicU64,
    protocol_errors: AtomicU64,
}

impl Metrics {
    /// One message done: its outcome, the action, the time from end-of-message to the reply,
    /// and how many of its results were DNS temperrors.
    pub fn message(&self, outcome: Outcome, action: Action, took: Duration, dns_failures: u64) {
        match outcome {
            Outcome::Verdict(r) => {
                let i = VERDICTS.iter().position(|w| *w == r.word()).unwrap_or(4);
                self.verdicts[i].fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Unverified => {
                self.unverified.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Deadline => {
                self.deadline.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.actions[action as usize].fetch_add(1, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.dns_failures.fetch_add(dns_failures, Ordering::Relaxed);
    }

    /// A connection opened (true) or closed (false).
    pub fn connection(&self, open: bool) {
        if open {
            self.active.fetch_add(1, Ordering::Relaxed);
            self.connections.fetch_add(1, Ordering::Relaxed);
        } else {
            self.active.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A peer that broke the protocol (its connection was dropped).
    pub fn protocol_error(&self) {
        self.protocol_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Prometheus text; `memory` is (bytes held, budget).
    pub fn render(&self, memory: (u64, u64), dns: Option<CacheStats>) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut o = String::new();
        o.push_str("# HELP mailverdict_milter_messages_total Messages handled, by DMARC verdict (unverified: not checked; deadline: no verdict in time).\n# TYPE mailverdict_milter_messages_total counter\n");
        for (w, a) in VERDICTS.iter().zip(&self.verdicts) {
            let _ = writeln!(
                o,
                "mailverdict_milter_messages_total{{verdict=\"{w}\"}} {}",
                get(a)
            );
        }
        let _ = writeln!(
            o,
            "mailverdict_milter_messages_total{{verdict=\"unverified\"}} {}",
            get(&self.unverified)
        );
        let _ = writeln!(
            o,
            "mailverdict_milter_messages_total{{verdict=\"deadline\"}} {}",
            get(&self.deadline)
        );
        o.push_str("# HELP mailverdict_milter_actions_total What the MTA was told to do.\n# TYPE mailverdict_milter_actions_total counter\n");
        for (w, a) in ACTIONS.iter().zip(&self.actions) {
            let _ = writeln!(
                o,
                "mailverdict_milter_actions_total{{action=\"{w}\"}} {}",
                get(a)
            );
        }
        o.push_str("# HELP mailverdict_milter_latency_seconds Time from end of message to our reply.\n# TYPE mailverdict_milter_latency_seconds histogram\n");
        for (le, a) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                o,
                "mailverdict_milter_latency_seconds_bucket{{le=\"{le}\"}} {}",
                get(a)
            );
        }
        let count = get(&self.latency_count);
        let _ = writeln!(
            o,
            "mailverdict_milter_latency_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            o,
            "mailverdict_milter_latency_seconds_sum {}",
            get(&self.latency_micros) as f64 / 1e6
        );
        let _ = writeln!(o, "mailverdict_milter_latency_seconds_count {count}");
        let gauges = [
            (
                "dns_failures_total",
                "counter",
                "Results that were DNS temperrors.",
                get(&self.dns_failures).to_string(),
            ),
            (
                "connections_active",
                "gauge",
                "Milter connections open now.",
                self.active.load(Ordering::Relaxed).to_string(),
            ),
            (
                "connections_total",
                "counter",
                "Milter connections accepted.",
                get(&self.connections).to_string(),
            ),
            (
                "protocol_errors_total",
                "counter",
                "Connections dropped for breaking the milter protocol.",
                get(&self.protocol_errors).to_string(),
            ),
            (
                "memory_bytes",
                "gauge",
                "Message bytes held in flight.",
                memory.0.to_string(),
            ),
            (
                "memory_budget_bytes",
                "gauge",
                "The --memory budget.",
                memory.1.to_string(),
            ),
        ];
        // Only with live DNS: zone replay has no cache across messages.
        let cache = dns.map(|c| {
            [
                (
                    "dns_cache_hits_total",
                    "counter",
                    "DNS questions answered from the cache kept across messages.",
                    c.hits.to_string(),
                ),
                (
                    "dns_cache_misses_total",
                    "counter",
                    "DNS questions sent to the resolver.",
                    c.misses.to_string(),
                ),
                (
                    "dns_cache_entries",
                    "gauge",
                    "DNS answers held for their TTL.",
                    c.entries.to_string(),
                ),
                (
                    "dns_cache_bytes",
                    "gauge",
                    "Their estimated size.",
                    c.bytes.to_string(),
                ),
            ]
        });
        let gauges = gauges.into_iter().chain(cache.into_iter().flatten());
        for (name, kind, help, v) in gauges {
            let _ = writeln!(
                o,
                "# HELP mailverdict_milter_{name} {help}\n# TYPE mailverdict_milter_{name} {kind}\nmailverdict_milter_{name} {v}"
            );
        }
        o
    }
}

/// The longest request head read from a scraper.
const MAX_REQUEST: usize = 8 * 1024;

/// Serve `render()` to every HTTP request on `listener` (any path but `/metrics` is 404),
/// one connection at a time, each bounded in size and time.
pub async fn serve(listener: TcpListener, render: impl Fn() -> String) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let mut head = Vec::with_capacity(1024);
        let read = tokio::time::timeout(Duration::from_secs(5), async {
            let mut chunk = [0u8; 1024];
            while head.len() < MAX_REQUEST && !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&chunk[..n]),
                }
            }
        })
        .await;
        if read.is_err() {
            continue;
        }
        let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
        let path = first.split(|&b| b == b' ').nth(1).unwrap_or_default();
        let (status, body) = if path == b"/metrics" || path.starts_with(b"/metrics?") {
            ("200 OK", render())
        } else {
            ("404 Not Found", "not found: try /metrics\n".to_string())
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ =
            tokio::time::timeout(Duration::from_secs(5), stream.write_all(reply.as_bytes())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::AuthResult;

    #[test]
    fn counts_render_as_prometheus_text() {
        let m = Metrics::default();
        m.message(
            Outcome::Verdict(AuthResult::Fail),
            Action::Reject,
            Duration::from_millis(3),
            1,
        );
        m.connection(true);
        let text = m.render((10, 100), None);
        assert!(!text.contains("dns_cache"));
        assert!(text.contains("mailverdict_milter_messages_total{verdict=\"fail\"} 1\n"));
        assert!(text.contains("mailverdict_milter_actions_total{action=\"reject\"} 1\n"));
        assert!(text.contains("mailverdict_milter_latency_seconds_bucket{le=\"0.0025\"} 0\n"));
        assert!(text.contains("mailverdict_milter_latency_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("mailverdict_milter_connections_active 1\n"));
        assert!(text.contains("mailverdict_milter_dns_failures_total 1\n"));
        let stats = CacheStats {
            hits: 7,
            misses: 3,
            entries: 2,
            bytes: 400,
        };
        let text = m.render((10, 100), Some(stats));
        assert!(text.contains("# TYPE mailverdict_milter_dns_cache_hits_total counter\n"));
        assert!(text.contains("mailverdict_milter_dns_cache_hits_total 7\n"));
        assert!(text.contains("mailverdict_milter_dns_cache_misses_total 3\n"));
        assert!(text.contains("mailverdict_milter_dns_cache_entries 2\n"));
    }
}
