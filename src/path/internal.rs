//! Which hops are ours: walking down from the top, a hop whose client an MTA of ours recorded
//! as an internal host is internal, and the hop below it was written by us too. Only evidence
//! the sender cannot choose counts — the address class of the TCP-level client, the reverse
//! name our MTA recorded, or forward-confirmed reverse DNS — never a HELO or from-host.

use std::net::IpAddr;

use super::ranges::{Range, special_range};
use super::received::ParsedHop;
use super::trust::TrustedMta;

/// Why the sender of a hop is judged to be ours; `Display` is the reason the report shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Evidence {
    /// The client matches `--trusted-mta`.
    #[error("its client matches --trusted-mta {0}")]
    TrustedMta(String),
    /// Our MTA recorded no network client, only a local handoff.
    #[error(
        "{by} recorded no network client, only a local handoff (qmail-queue's record, a local pipe, an internal queue): the field below was written on the same host"
    )]
    LocalHandoff {
        /// The host that wrote the field (ours), or "the receiving host" when unnamed.
        by: String,
    },
    /// Our MTA recorded a client address that is not routable on the Internet.
    #[error("{by} recorded a {range} client address {ip}, not routable on the Internet")]
    AddressClass {
        /// The receiving MTA (ours).
        by: String,
        /// The address class.
        range: Range,
        /// The client address.
        ip: IpAddr,
    },
    /// Our MTA recorded a reverse-DNS name in the receiving organization.
    #[error("{by} recorded the client's reverse-DNS name {name}, in its own organization {org}")]
    RecordedRdns {
        /// The receiving MTA (ours).
        by: String,
        /// The name it recorded.
        name: String,
        /// The shared organizational domain.
        org: String,
    },
    /// The client address has forward-confirmed reverse DNS into the receiving organization.
    #[error(
        "the client {ip} has forward-confirmed reverse DNS {name}, in the receiving organization {org}"
    )]
    Fcrdns {
        /// The client address.
        ip: IpAddr,
        /// The confirmed name.
        name: String,
        /// The shared organizational domain.
        org: String,
    },
}

/// The organization of a host name: its registrable domain per the Public Suffix List
/// (`DB9PR02MB7000.eurprd02.prod.outlook.com` → `outlook.com`); none for a single label or
/// a bare suffix, which name no organization.
pub(crate) fn organization(name: &str) -> Option<String> {
    let name = crate::dns::name::normalize(name);
    if !name.contains('.') || name.parse::<IpAddr>().is_ok() {
        return None;
    }
    psl::domain_str(&name).map(str::to_string)
}

/// Both names belong to one organization.
pub(crate) fn same_organization(a: &str, b: &str) -> bool {
    matches!((organization(a), organization(b)), (Some(x), Some(y)) if x == y)
}

/// At most this many forward-confirmation lookups per message (each is a PTR and an A/AAAA).
pub(crate) const MAX_FCRDNS: usize = 8;

/// Whether the sender of `hop` (received by an MTA of ours) is ours too, and why. `infer`
/// turns the inference off (only `--trusted-mta` counts); `fcrdns` confirms an address's
/// reverse name on DNS, asked only when the hop's client claims a name in our organization.
pub(crate) fn sender_is_ours(
    hop: &ParsedHop,
    trusted: &[TrustedMta],
    infer: bool,
    fcrdns: &mut dyn FnMut(IpAddr) -> Option<String>,
) -> Option<Evidence> {
    if let Some(t) = trusted.iter().find(|t| t.matches(hop)) {
        return Some(Evidence::TrustedMta(t.to_string()));
    }
    if !infer {
        return None;
    }
    // What our own field says about how the message reached it: no client connected.
    if hop.local_handoff() {
        return Some(Evidence::LocalHandoff {
            by: hop
                .hop
                .by_host
                .clone()
                .unwrap_or_else(|| "the receiving host".to_string()),
        });
    }
    let by = hop.hop.by_host.clone()?;
    let ip = hop.from_ip?;
    if let Some(range) = special_range(ip).filter(|r| {
        matches!(
            r,
            Range::Loopback | Range::Private | Range::UniqueLocal | Range::LinkLocal
        )
    }) {
        return Some(Evidence::AddressClass { by, range, ip });
    }
    let org = organization(&by)?;
    if !hop.rdns_unverified
        && let Some(name) = &hop.from_rdns
        && organization(name).as_deref() == Some(org.as_str())
    {
        return Some(Evidence::RecordedRdns {
            by,
            name: name.clone(),
            org,
        });
    }
    // The sender's own claim never counts, but it says when a DNS check is worth asking.
    let claims_ours = [&hop.from_host, &hop.helo]
        .iter()
        .filter_map(|n| n.as_deref())
        .any(|n| organization(n).as_deref() == Some(org.as_str()));
    if claims_ours
        && let Some(name) = fcrdns(ip)
        && organization(&name).as_deref() == Some(org.as_str())
    {
        return Some(Evidence::Fcrdns { ip, name, org });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizations() {
        assert_eq!(
            organization("DB9PR02MB7000.eurprd02.prod.outlook.com").as_deref(),
            Some("outlook.com")
        );
        assert_eq!(organization("mx.corp.test").as_deref(), Some("corp.test"));
        assert_eq!(
            organization("mail.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(organization("localhost"), None);
        assert_eq!(organization("10.0.0.1"), None);
        assert!(same_organization(
            "BN8NAM04FT012.mail.protection.outlook.com",
            "BN8NAM04FT012.eop-NAM04.prod.protection.outlook.com"
        ));
        assert!(!same_organization("mx.google.com", "mail.gmail.com"));
    }
}
