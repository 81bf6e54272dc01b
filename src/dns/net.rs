//! Address ranges (CIDR): one matching rule for SPF's ip4/ip6/a/mx terms and `--trusted-mta`.

use std::net::IpAddr;

/// An address with a prefix length, e.g. `192.0.2.0/24`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address (bits past the prefix are ignored when matching).
    pub addr: IpAddr,
    /// Prefix length: 0..=32 for IPv4, 0..=128 for IPv6.
    pub len: u8,
}

/// Why a `--trusted-mta`-style range does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// The part before `/` is not an address.
    #[error("bad address in {0:?}")]
    Address(String),
    /// The prefix length is not a number within the family's width.
    #[error("bad prefix length in {0:?}")]
    Length(String),
}

impl Cidr {
    /// A range, checking the prefix length against the family.
    pub fn new(addr: IpAddr, len: u8) -> Option<Cidr> {
        (len <= max_len(addr)).then_some(Cidr { addr, len })
    }

    /// `ADDR/LEN`, or a bare address (a range of one).
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| CidrError::Address(s.to_string()))?;
        let len = match len {
            None => max_len(addr),
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max_len(addr))
                .ok_or_else(|| CidrError::Length(s.to_string()))?,
        };
        Ok(Cidr { addr, len })
    }

    /// Whether `ip` lies in the range (families never mix).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (ip, self.addr) {
            (IpAddr::V4(a), IpAddr::V4(b)) => prefix_match(&a.octets(), &b.octets(), self.len),
            (IpAddr::V6(a), IpAddr::V6(b)) => prefix_match(&a.octets(), &b.octets(), self.len),
            _ => false,
        }
    }
}

fn max_len(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

/// The first `len` bits of `a` and `b` are equal.
fn prefix_match(a: &[u8], b: &[u8], len: u8) -> bool {
    let full = usize::from(len / 8);
    let rem = len % 8;
    if a.len() != b.len() || full > a.len() || a[..full] != b[..full] {
        return false;
    }
    if rem == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rem);
    (a[full] & mask) == (b[full] & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn prefixes_match_bitwise() {
        let net = |s: &str| Cidr::parse(s).expect("cidr");
        assert!(net("192.0.2.0/24").contains(ip("192.0.2.77")));
        assert!(!net("192.0.2.0/24").contains(ip("192.0.3.1")));
        assert!(net("0.0.0.0/0").contains(ip("10.1.2.3")));
        assert!(net("192.0.2.128/25").contains(ip("192.0.2.130")));
        assert!(!net("192.0.2.0/24").contains(ip("2001:db8::1")));
        assert!(net("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assert_eq!(net("192.0.2.1").len, 32);
    }

    #[test]
    fn bad_ranges_are_typed_errors() {
        assert_eq!(
            Cidr::parse("10.0.0.0/40"),
            Err(CidrError::Length("10.0.0.0/40".into()))
        );
        assert!(matches!(Cidr::parse("x/8"), Err(CidrError::Address(_))));
        assert!(Cidr::new(ip("::1"), 129).is_none());
    }
}
