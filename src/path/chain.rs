//! The Received chain: hops in path order, the trust boundary, and the client the trusted part
//! first heard from (the IP / HELO that SPF and iprev evaluate), with the anomalies on the way.

use std::net::IpAddr;

use super::anomaly::{Anomaly, Since};
use super::internal::{self, Evidence};
use super::ranges::{Range, special_range};
use super::received::{ParsedHop, parse_hop};
use super::trust::TrustedMta;
use super::{Hop, Judgement, PathInfo};
use crate::message::Message;

/// A gap between hops worth a warning (mail normally moves in seconds).
const LONG_GAP_SECONDS: i64 = 3600;

/// How the trusted part of the path is found.
pub struct Walk<'a> {
    /// `--trusted-mta`: MTAs of ours by name or address.
    pub trusted: &'a [TrustedMta],
    /// Infer internal hops from evidence the sender cannot choose (on by default).
    pub infer: bool,
    /// Forward-confirmed reverse DNS of an address (the name), for the inference.
    pub fcrdns: &'a mut dyn FnMut(IpAddr) -> Option<String>,
}

/// Walk the Received fields. The topmost was added by our own border MTA and is always trusted;
/// walking down, while a hop's sender is ours (a `--trusted-mta`, or inferred: see
/// `internal.rs`) the hop below it is trusted too. `date` is the Date field's time, `at` the
/// evaluation time (future timestamps are measured against it).
pub fn analyse(msg: &Message, walk: &mut Walk<'_>, date: Option<i64>, at: i64) -> PathInfo {
    let parsed: Vec<ParsedHop> = msg
        .all("Received")
        .enumerate()
        .map(|(i, f)| parse_hop(i + 1, f.value))
        .collect();
    let n = parsed.len();
    let mut info = PathInfo {
        infer_internal: walk.infer,
        ..PathInfo::default()
    };
    // Top-down: the first hop whose sender is not shown to be ours is where mail entered.
    let mut evidence: Vec<Option<Evidence>> = vec![None; n];
    let mut lookups = 0;
    let mut entry = None;
    for (e, hop) in parsed.iter().enumerate() {
        let mut limited = |ip: IpAddr| {
            if lookups >= internal::MAX_FCRDNS {
                return None;
            }
            lookups += 1;
            (walk.fcrdns)(ip)
        };
        match internal::sender_is_ours(hop, walk.trusted, walk.infer, &mut limited) {
            Some(ev) if hop.hop.raw.is_none() => evidence[e] = Some(ev),
            _ => {
                entry = Some(e);
                break;
            }
        }
    }
    let entry = entry.or(n.checked_sub(1));
    info.trusted_hops = entry.map_or(0, |e| e + 1);
    if let Some(e) = entry {
        let hop = &parsed[e];
        if let Some(t) = walk.trusted.iter().find(|t| t.claimed_by(hop)) {
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
        let inside = evidence[e].is_some();
        match hop.from_ip {
            None => info.anomalies.push(Anomaly::NoClientIp(n - e)),
            Some(ip) => match special_range(ip) {
                Some(range) if range.is_documentation() => {
                    info.anomalies
                        .push(Anomaly::OriginDocumentation { ip, range });
                }
                // A chain that is ours all the way down started inside: nothing misplaced.
                Some(range) if !inside => info.anomalies.push(Anomaly::OriginSpecial { ip, range }),
                _ => {}
            },
        }
    }
    // The parsed hops are moved into the report below: what is read across them comes first.
    let gaps = gaps(&parsed);
    let last = parsed.first().and_then(|p| p.timestamp);
    let first_received = parsed.iter().rev().find_map(|p| p.timestamp);
    let dated = parsed.iter().filter(|p| p.timestamp.is_some()).count();
    // Path order from here on: index 0 is the oldest hop.
    let mut hops: Vec<Hop> = Vec::with_capacity(n);
    let mut previous_time = date;
    for (k, p) in parsed.into_iter().rev().enumerate() {
        let number = k + 1;
        let e = p.hop.field - 1;
        let judged = judge(&p, e, entry, &evidence[e], walk.infer);
        let trusted = p.hop.field <= info.trusted_hops;
        let mut hop = p.hop;
        hop.index = number;
        hop.trusted = trusted;
        (hop.judgement, hop.judgement_reason) = judged;
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
                addresses: p.conflicting,
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
                            gap: super::duration(t - prev),
                            since,
                        });
                    }
                    if t < prev {
                        info.anomalies.push(Anomaly::Earlier {
                            hop: number,
                            gap: super::duration(prev - t),
                            since,
                        });
                    }
                }
                if t > at + 15 * 60 {
                    info.anomalies.push(Anomaly::Future {
                        hop: number,
                        ahead: super::duration(t - at),
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
        // No alarm for loopback and internal-range clients, hops inside our side, and a local
        // handoff (no client at all: `Received: by host with SMTP id ...`).
        let local = p.from_ip.is_some_and(|ip| {
            special_range(ip).is_some_and(|r| {
                matches!(
                    r,
                    Range::Loopback | Range::Private | Range::UniqueLocal | Range::LinkLocal
                )
            })
        }) || (p.from_ip.is_none()
            && p.from_host
                .as_deref()
                .is_none_or(|h| h.eq_ignore_ascii_case("localhost")));
        if smtp && !hop.tls && !local && hop.judgement != Judgement::Internal {
            info.anomalies.push(Anomaly::NoTls(number));
        }
        hops.push(hop);
    }
    info.anomalies.extend(gaps);
    if let (Some(first), Some(last)) = (date.or(first_received), last) {
        info.total_transit_seconds = Some(last - first);
    }
    if dated > 1 {
        info.received_transit_seconds = first_received.zip(last).map(|(f, l)| l - f);
    }
    info.date_transit_seconds = date.zip(last).map(|(d, l)| l - d);
    info.hops = hops;
    info
}

/// The gaps in the chain: a hop whose sending host is not the host the hop above it says it
/// received from (field order: `parsed[0]` is the topmost).
fn gaps(parsed: &[ParsedHop]) -> Vec<Anomaly> {
    let n = parsed.len();
    let mut out = Vec::new();
    // Bottom up, as the mail went: `before` received the message first.
    for pair in parsed.windows(2).rev() {
        let (before, after) = (&pair[1], &pair[0]);
        let (Some(by), Some(next_from)) = (&before.hop.by_host, &after.from_host) else {
            continue;
        };
        // A mailbox or a local pipe's user names no sending host to compare.
        if !after.names_sending_host() {
            continue;
        }
        let by = crate::dns::name::normalize(by);
        // A loopback client is the receiving machine itself, so the names it gave are that
        // machine's too (Trend Micro's `by IMSVA` filtering for the host it runs on).
        let mut receiver = vec![by.clone()];
        if before.from_ip.is_some_and(|ip| ip.is_loopback()) {
            receiver.extend(
                [&before.from_host, &before.from_rdns]
                    .iter()
                    .filter_map(|n| n.as_deref())
                    .map(crate::dns::name::normalize),
            );
        }
        let names = [&after.from_host, &after.helo, &after.from_rdns];
        let same = names
            .iter()
            .filter_map(|n| n.as_deref())
            .any(|n| receiver.contains(&crate::dns::name::normalize(n)));
        let ip_literal = next_from.parse::<IpAddr>().is_ok();
        // One organization on both sides (EOP's `mail.protection.outlook.com` by-name and
        // `eop-NAM04.prod.protection.outlook.com` from-name) is no gap, nor is a content
        // filter's loop through localhost.
        let same_org = names
            .iter()
            .filter_map(|n| n.as_deref())
            .any(|n| internal::same_organization(n, &by));
        let filter_loop = after.from_host.as_deref() == Some("localhost")
            || by == "localhost"
            || after.from_ip.is_some_and(|ip| ip.is_loopback());
        if !same && !ip_literal && !same_org && !filter_loop {
            out.push(Anomaly::Gap {
                hop: n - after.hop.field + 1,
                from: next_from.clone(),
                previous: n - before.hop.field + 1,
                by,
            });
        }
    }
    out
}

/// A hop's judgement and its reason; `e` is its position from the top, `entry` the boundary's.
fn judge(
    p: &ParsedHop,
    e: usize,
    entry: Option<usize>,
    evidence: &Option<Evidence>,
    infer: bool,
) -> (Judgement, String) {
    let by = p.hop.by_host.as_deref().unwrap_or("our MTA");
    let client = match (p.from_ip, &p.from_host) {
        (Some(ip), _) => ip.to_string(),
        (None, Some(h)) => h.clone(),
        (None, None) => "an unnamed client".to_string(),
    };
    match (entry, evidence) {
        (Some(b), Some(ev)) if e <= b => (Judgement::Internal, ev.to_string()),
        (Some(b), _) if e == b => (
            Judgement::Boundary,
            format!(
                "where mail entered: {by} received it from {client}, not shown to be ours by anything the sender cannot choose{}",
                if infer {
                    ""
                } else {
                    " (internal-hop inference is off)"
                }
            ),
        ),
        _ => (
            Judgement::External,
            "below the trust boundary: written by hosts we do not control".to_string(),
        ),
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_naturally() {
        use crate::path::duration;
        assert_eq!(duration(40), "40s");
        assert_eq!(duration(65), "1m 05s");
        assert_eq!(duration(600), "10m 00s");
        assert_eq!(duration(18_600), "5h 10m");
        assert_eq!(duration(-90_000), "1d 1h");
        assert_eq!(duration(200_000), "2d 7h");
    }
}
