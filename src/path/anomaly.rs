//! What looks wrong on the path, as typed values; `Display` is the sentence the report shows
//! (and the JSON string), so no caller ever decides anything by reading it.

use std::net::IpAddr;

use serde::Serialize;

use super::ranges::Range;

/// Which earlier point a hop's time is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    DateField,
    PreviousHop,
}

impl std::fmt::Display for Since {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Since::DateField => "the Date field",
            Since::PreviousHop => "the hop before it",
        })
    }
}

/// One anomaly of the path (hop numbers in path order, 1 = oldest).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Anomaly {
    #[error(
        "hop {hop} claims to come from the trusted MTA {name} in its HELO, but the address and name its receiver recorded are not that MTA's: not trusted (a forged HELO?)"
    )]
    HeloClaimsTrusted { hop: usize, name: String },
    #[error("hop {0} (where mail entered the trusted part) names no client IP")]
    NoClientIp(usize),
    #[error(
        "the origin IP {ip} is a {range} address, never used on the Internet (test data, or a forged field)"
    )]
    OriginDocumentation { ip: IpAddr, range: Range },
    #[error(
        "the origin IP {ip} is a {range} address: the trust boundary is misplaced (add --trusted-mta) or the field is forged"
    )]
    OriginSpecial { ip: IpAddr, range: Range },
    #[error("hop {0} could not be parsed; kept as written")]
    Unparsed(usize),
    #[error(
        "hop {0} has unbalanced parentheses in its client part: no client address is read from it (a HELO crafted to hide the TCP-level part?)"
    )]
    Unbalanced(usize),
    #[error("hop {hop} names several client addresses ({}): the last, written by the receiving MTA after the HELO text, is used", list(.addresses))]
    SeveralAddresses { hop: usize, addresses: Vec<IpAddr> },
    #[error("hop {hop} is timestamped {gap} after {since} (clock skew, or long queueing)")]
    LongGap {
        hop: usize,
        gap: String,
        since: Since,
    },
    #[error("hop {hop} is timestamped {gap} before {since} (clock skew or forged field)")]
    Earlier {
        hop: usize,
        gap: String,
        since: Since,
    },
    #[error("hop {hop} is timestamped {ahead} in the future")]
    Future { hop: usize, ahead: String },
    #[error("hop {0} has no parseable date")]
    NoDate(usize),
    #[error(
        "hop {hop} names a {range} client address {ip} (an internal relay of the sender, or forged)"
    )]
    SpecialClient {
        hop: usize,
        range: Range,
        ip: IpAddr,
    },
    #[error("hop {0} was sent without TLS")]
    NoTls(usize),
    #[error(
        "hop {hop} says it came from {from}, but hop {previous} was received by {by} (a gap in the chain, or a forged field)"
    )]
    Gap {
        hop: usize,
        from: String,
        previous: usize,
        by: String,
    },
    #[error(
        "{field} field {position} claims our authserv-id from below the trust boundary (forged or relayed; not trusted)"
    )]
    ForgedAuthenticationResults { field: String, position: usize },
}

fn list(addresses: &[IpAddr]) -> String {
    addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Serialize for Anomaly {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
