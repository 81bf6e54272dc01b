//! The organizational domain of RFC 7489 §3.2, from the Public Suffix List (RFC 9989 replaces
//! it with the DNS tree walk of `discovery`).

use crate::dns::name::normalize;

/// The organizational domain (RFC 7489 §3.2) from the Public Suffix List; a name that is
/// itself a public suffix (or unknown) is its own organizational domain.
pub fn psl_organizational_domain(name: &str) -> String {
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
    fn org_domain_uses_the_public_suffix_list() {
        assert_eq!(
            psl_organizational_domain("mail.example.co.uk"),
            "example.co.uk"
        );
        assert_eq!(psl_organizational_domain("A.B.Example.COM."), "example.com");
    }
}
