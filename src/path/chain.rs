//! The Received chain: hops in path order, the trust boundary, and the client the trusted part
//! first heard from (the IP / HELO that SPF and iprev evaluate), with the anomalies on the way.

use std::net::IpAddr;

use super::anomaly::{Anomaly, Since};
use super::ranges::special_range;
use super::received::{ParsedHop, parse_hop};
use super::trust::TrustedMta;
use super::{Hop, PathInfo};
use crate::message::Message;

/// A gap between hops worth a warning (mail normally moves in seconds).
const LONG_GAP_SECONDS: i64 = 3600;

/// Walk the Received fields. The topmost was added by our own border MTA and is always trusted;
/// while a hop's sender is a `--trusted-mta`, the hop below it is trusted too. `date` is the
/// Date field's time, `at` the evaluation time (future timestamps are measured against it).
pub fn analyse(msg: &Message, trusted: &[TrustedMta], date: Option<i64>, at: i64) -> PathInfo {
    let parsed: Vec<ParsedHop> = msg
        .all("Received")
        .enumerate()
        .map(|(i, f)| parse_hop(i + 1, f.value))
        .collect();
    let n = parsed.len();
    let mut info = PathInfo::default();
    // Top-down: the first hop whose sender is not one of ours is where mail entered.
    let entry = parsed
        .iter()
        .position(|hop| !trusted.iter().any(|t| t.matches(hop)))
        .or(n.checked_sub(1));
    info.trusted_hops = entry.map_or(0, |e| e + 1);
    if let Some(e) = entry {
        let hop = &parsed[e];
        if let Some(t) = trusted.iter().find(|t| t.claimed_by(hop)) {
            info.anomalies.push(Anomaly::HeloClaimsTrusted {
                hop: n - e,
                name: t.name().unwrap_or_default().to_string(),
            });
        }
        info.origin_ip = hop.from_ip;
        info.origin_hop = Some(n - e);
        info.boundary_host = hop.hop.by_host.clone();
        // A name from the message is looked up at its A-label (IDNA2008 / UTS #46).
        info.helo = hop.helo.clone().or_else(|| hop.from_host.clone()).map(|h| {
            if h.is_ascii() {
                h
            } else {
                crate::message::author::a_label(&h).unwrap_or(h)
            }
        });
        match hop.from_ip {
            None => info.anomalies.push(Anomaly::NoClientIp(n - e)),
            Some(ip) => match special_range(ip) {
                Some(range) if range.is_documentation() => {
                    info.anomalies
                        .push(Anomaly::OriginDocumentation { ip, range });
                }
                Some(range) => info.anomalies.push(Anomaly::OriginSpecial { ip, range }),
                None => {}
            },
        }
    }
    // Path order from here on: index 0 is the oldest hop.
    let mut hops: Vec<Hop> = Vec::with_capacity(n);
    let mut previous_time = date;
    for (k, p) in parsed.iter().rev().enumerate() {
        let number = k + 1;
        let mut hop = p.hop.clone();
        hop.index = number;
        hop.trusted = p.hop.field <= info.trusted_hops;
        if hop.raw.is_some() {
            info.anomalies.push(Anomaly::Unparsed(number));
            hops.push(hop);
            continue;
        }
        if p.unbalanced {
            info.anomalies.push(Anomaly::Unbalanced(number));
        }
        if !p.conflicting.is_empty() {
            info.anomalies.push(Anomaly::SeveralAddresses {
                hop: number,
                addresses: p.conflicting.clone(),
            });
        }
        match p.timestamp {
            Some(t) => {
                if let Some(prev) = previous_time {
                    hop.delay_seconds = Some(t - prev);
                    let since = if k == 0 {
                        Since::DateField
                    } else {
                        Since::PreviousHop
                    };
                    if t - prev > LONG_GAP_SECONDS {
                        info.anomalies.push(Anomaly::LongGap {
                            hop: number,
                            gap: duration(t - prev),
                            since,
                        });
                    }
                    if t < prev {
                        info.anomalies.push(Anomaly::Earlier {
                            hop: number,
                            gap: duration(prev - t),
                            since,
                        });
                    }
                }
                if t > at + 15 * 60 {
                    info.anomalies.push(Anomaly::Future {
                        hop: number,
                        ahead: duration(t - at),
                    });
                }
                previous_time = Some(t);
            }
            None => info.anomalies.push(Anomaly::NoDate(number)),
        }
        if let Some(ip) = p.from_ip
            && !hop.trusted
            && let Some(range) = special_range(ip)
            && info.origin_hop != Some(number)
        {
            info.anomalies.push(Anomaly::SpecialClient {
                hop: number,
                range,
                ip,
            });
        }
        let smtp = hop
            .protocol
            .as_deref()
            .is_some_and(super::with::is_plain_smtp);
        let local = p.from_ip.is_some_and(|ip| ip.is_loopback());
        if smtp && !hop.tls && !local {
            info.anomalies.push(Anomaly::NoTls(number));
        }
        hops.push(hop);
    }
    for pair in parsed.iter().rev().collect::<Vec<_>>().windows(2) {
        let (before, after) = (pair[0], pair[1]);
        let (Some(by), Some(next_from)) = (&before.hop.by_host, &after.from_host) else {
            continue;
        };
        let by = crate::dns::name::normalize(by);
        let names = [&after.from_host, &after.helo, &after.from_rdns];
        let same = names
            .iter()
            .filter_map(|n| n.as_deref())
            .any(|n| crate::dns::name::normalize(n) == by);
        let ip_literal = next_from.parse::<IpAddr>().is_ok();
        if !same && !ip_literal && after.from_host.as_deref() != Some("localhost") {
            info.anomalies.push(Anomaly::Gap {
                hop: n - after.hop.field + 1,
                from: next_from.clone(),
                previous: n - before.hop.field + 1,
                by,
            });
        }
    }
    if let (Some(first), Some(last)) = (
        date.or_else(|| parsed.last().and_then(|p| p.timestamp)),
        parsed.first().and_then(|p| p.timestamp),
    ) {
        info.total_transit_seconds = Some(last - first);
    }
    info.hops = hops;
    info
}

/// Position among all header fields (1 = topmost) of the Received field where mail entered
/// the trusted part: fields above it were added on our side.
pub fn boundary_position(msg: &Message, path: &PathInfo) -> Option<usize> {
    let wanted = path.trusted_hops;
    msg.fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is("Received"))
        .nth(wanted.checked_sub(1)?)
        .map(|(i, _)| i + 1)
}

/// "2h 5m", "40s": short durations for anomaly notes.
fn duration(secs: i64) -> String {
    let s = secs.unsigned_abs();
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(40), "40s");
        assert_eq!(duration(600), "10m");
        assert_eq!(duration(7300), "2h 1m");
        assert_eq!(duration(-90_000), "25h 0m");
        assert_eq!(duration(200_000), "2d 7h");
    }
}
