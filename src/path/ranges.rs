//! Address classes that say nothing about where mail came from on the Internet.

use std::net::IpAddr;

/// The class of a special-purpose address (loopback, private, link-local, documentation, ...).
pub fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_documentation() || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) {
                Some("documentation/benchmark")
            } else if v4.is_unspecified() || v4.is_broadcast() || o[0] >= 240 {
                Some("reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if v6.is_loopback() || v6.is_unspecified() {
                Some("loopback")
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some("private (unique local)")
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                Some("documentation")
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
        let kind = |s: &str| special_range(s.parse().expect("ip"));
        assert_eq!(kind("10.1.2.3"), Some("private"));
        assert_eq!(kind("127.0.0.1"), Some("loopback"));
        assert_eq!(kind("192.0.2.1"), Some("documentation/benchmark"));
        assert_eq!(kind("2001:db8::1"), Some("documentation"));
        assert_eq!(kind("::ffff:10.0.0.1"), Some("private"));
        assert_eq!(kind("8.8.8.8"), None);
    }
}
