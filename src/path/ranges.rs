//! Address classes that say nothing about where mail came from on the Internet.

use std::net::IpAddr;

/// A special-purpose address class; `Display` is the word the anomalies use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Range {
    #[error("loopback")]
    Loopback,
    #[error("private")]
    Private,
    #[error("private (unique local)")]
    UniqueLocal,
    #[error("link-local")]
    LinkLocal,
    /// IPv4 documentation and benchmarking ranges.
    #[error("documentation/benchmark")]
    DocumentationV4,
    #[error("documentation")]
    DocumentationV6,
    #[error("reserved")]
    Reserved,
}

impl Range {
    /// Never routed on the Internet at all: test data or a forged field.
    pub fn is_documentation(self) -> bool {
        matches!(self, Range::DocumentationV4 | Range::DocumentationV6)
    }
}

/// The class of a special-purpose address (loopback, private, link-local, documentation, ...).
pub fn special_range(ip: IpAddr) -> Option<Range> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some(Range::Loopback)
            } else if v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
                Some(Range::Private)
            } else if v4.is_link_local() {
                Some(Range::LinkLocal)
            } else if v4.is_documentation() || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) {
                Some(Range::DocumentationV4)
            } else if v4.is_unspecified() || v4.is_broadcast() || o[0] >= 240 {
                Some(Range::Reserved)
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if v6.is_loopback() || v6.is_unspecified() {
                Some(Range::Loopback)
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some(Range::UniqueLocal)
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some(Range::LinkLocal)
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                Some(Range::DocumentationV6)
            } else if let Some(v4) = v6.to_ipv4_mapped() {
                special_range(IpAddr::V4(v4))
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_ranges() {
        let kind = |s: &str| special_range(s.parse().expect("ip")).map(|r| r.to_string());
        assert_eq!(kind("10.1.2.3").as_deref(), Some("private"));
        assert_eq!(kind("127.0.0.1").as_deref(), Some("loopback"));
        assert_eq!(
            kind("192.0.2.1").as_deref(),
            Some("documentation/benchmark")
        );
        assert_eq!(kind("2001:db8::1").as_deref(), Some("documentation"));
        assert_eq!(kind("::ffff:10.0.0.1").as_deref(), Some("private"));
        assert_eq!(kind("8.8.8.8"), None);
    }
}
