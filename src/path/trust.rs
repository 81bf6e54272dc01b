//! `--trusted-mta`: which hops were written by MTAs of ours.

use super::received::ParsedHop;
use crate::dns::net::{Cidr, CidrError};

/// `--trusted-mta`: a host name (exact, case-insensitive) or an address range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedMta {
    /// A host name, normalised.
    Name(String),
    /// An address range.
    Net(Cidr),
}

/// Why a `--trusted-mta` value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustedMtaError {
    /// A range with a bad address or prefix.
    #[error(transparent)]
    Range(#[from] CidrError),
    /// Empty or with white space.
    #[error("{0:?} is neither a host name nor an address range")]
    Neither(String),
}

impl std::fmt::Display for TrustedMta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrustedMta::Name(n) => f.write_str(n),
            TrustedMta::Net(c) => write!(f, "{}/{}", c.addr, c.len),
        }
    }
}

impl TrustedMta {
    /// A name, an address, or `ADDR/LEN`.
    pub fn parse(s: &str) -> Result<TrustedMta, TrustedMtaError> {
        if s.contains('/') || s.parse::<std::net::IpAddr>().is_ok() {
            return Ok(TrustedMta::Net(Cidr::parse(s)?));
        }
        if s.is_empty() || s.contains(char::is_whitespace) {
            return Err(TrustedMtaError::Neither(s.to_string()));
        }
        Ok(TrustedMta::Name(crate::dns::name::normalize(s)))
    }

    /// Whether the sender of `hop` is this MTA of ours, judged only on what the MTA that wrote
    /// the hop recorded about its client: the address, or the reverse-DNS name in the
    /// TCP-level part. The from-host and HELO are the sender's own claim and never count.
    pub(super) fn matches(&self, hop: &ParsedHop) -> bool {
        match self {
            TrustedMta::Name(n) => hop
                .from_rdns
                .as_deref()
                .is_some_and(|h| crate::dns::name::normalize(h) == *n),
            TrustedMta::Net(net) => hop.from_ip.is_some_and(|ip| net.contains(ip)),
        }
    }

    /// The host name, for a name.
    pub(super) fn name(&self) -> Option<&str> {
        match self {
            TrustedMta::Name(n) => Some(n),
            TrustedMta::Net(_) => None,
        }
    }

    /// Whether the sender of `hop` only claims to be this MTA (in its HELO or from-host).
    pub(super) fn claimed_by(&self, hop: &ParsedHop) -> bool {
        let TrustedMta::Name(n) = self else {
            return false;
        };
        [&hop.from_host, &hop.helo].iter().any(|h| {
            h.as_deref()
                .is_some_and(|h| crate::dns::name::normalize(h) == *n)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_mta_parses_names_and_ranges() {
        assert!(matches!(
            TrustedMta::parse("192.0.2.0/24"),
            Ok(TrustedMta::Net(c)) if c.len == 24
        ));
        assert!(
            matches!(TrustedMta::parse("MX.Example.COM"), Ok(TrustedMta::Name(n)) if n == "mx.example.com")
        );
        assert!(TrustedMta::parse("10.0.0.0/40").is_err());
        assert!(TrustedMta::parse("two words").is_err());
    }
}
