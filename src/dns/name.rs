//! Domain name text: normalising for lookups and escaping for zone files.

/// Lower-case ASCII letters and drop one trailing dot: the key every backend and the cache use.
pub fn normalize(name: &str) -> String {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    trimmed.to_ascii_lowercase()
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

/// The organizational domain (RFC 7489 §3.2) from the Public Suffix List; a name that is
/// itself a public suffix (or unknown) is its own organizational domain.
pub fn organizational_domain(name: &str) -> String {
    let name = normalize(name);
    match psl::domain_str(&name) {
        Some(d) => d.to_string(),
        None => name,
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
    fn org_domain_uses_the_public_suffix_list() {
        assert_eq!(organizational_domain("mail.example.co.uk"), "example.co.uk");
        assert_eq!(organizational_domain("A.B.Example.COM."), "example.com");
    }

    #[test]
    fn escapes_round_trip_unusual_octets() {
        assert_eq!(escape_name("a b.example"), "a\\032b.example");
        assert_eq!(escape_name("$x;y"), "\\036x\\059y");
    }
}
