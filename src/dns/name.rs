//! Domain name text: normalising for lookups, escaping for zone files, reverse names.

/// Lower-case ASCII letters and drop one trailing dot: the key every backend and the cache use.
pub fn normalize(name: &str) -> String {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    trimmed.to_ascii_lowercase()
}

/// [`normalize`] for a name already built as a `String`: done in place, without a copy.
pub fn normalize_owned(mut name: String) -> String {
    if name.ends_with('.') {
        name.pop();
    }
    name.make_ascii_lowercase();
    name
}

/// Zone-file form of a name's labels: octets outside the printable set, and the characters
/// that mean something in a zone file, become RFC 1035 escapes.
pub fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for &b in name.as_bytes() {
        // Letters, digits and the punctuation zone files take as is; the rest (space, quote,
        // semicolon, parentheses, backslash, `$` (a directive at line start), controls,
        // non-ASCII) as \DDD.
        if b.is_ascii_graphic() && !matches!(b, b'"' | b';' | b'(' | b')' | b'\\' | b'$') {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\{b:03}"));
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// Whether `name` equals `parent` or lies below it (both normalised).
pub fn is_subdomain_of(name: &str, parent: &str) -> bool {
    name == parent
        || (name.len() > parent.len()
            && name.ends_with(parent)
            && name.as_bytes()[name.len() - parent.len() - 1] == b'.')
}

/// The in-addr.arpa / ip6.arpa name of an address (PTR lookups, DNSBL query names).
pub fn reverse_name(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        std::net::IpAddr::V6(v6) => {
            let mut parts: Vec<String> = v6
                .octets()
                .iter()
                .flat_map(|b| [b >> 4, b & 0xf])
                .map(|n| format!("{n:x}"))
                .collect();
            parts.reverse();
            format!("{}.ip6.arpa", parts.join("."))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomain_needs_a_label_boundary() {
        assert!(is_subdomain_of("a.example.com", "example.com"));
        assert!(is_subdomain_of("example.com", "example.com"));
        assert!(!is_subdomain_of("badexample.com", "example.com"));
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("192.0.2.1".parse().expect("ip")),
            "1.2.0.192.in-addr.arpa"
        );
        assert!(
            reverse_name("2001:db8::1".parse().expect("ip")).ends_with(".8.b.d.0.1.0.0.2.ip6.arpa")
        );
    }

    #[test]
    fn escapes_round_trip_unusual_octets() {
        assert_eq!(escape_name("a b.example"), "a\\032b.example");
        assert_eq!(escape_name("$x;y"), "\\036x\\059y");
    }
}
