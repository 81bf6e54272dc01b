//! The `with` clause (RFC 5321 §4.4 `Protocol`) and the TLS facts MTAs write about a hop
//! (`(using TLSv1.3 with cipher ...)`, `(version=TLS1_2, cipher=...)`, Exim's
//! `(TLS1.2:ECDHE_RSA_AES_128_GCM_SHA256:128)`).

/// The IANA "Mail Transmission Types" WITH protocol types (RFC 5321, RFC 3848, RFC 6531).
const REGISTERED: [&str; 17] = [
    "SMTP",
    "ESMTP",
    "ESMTPA",
    "ESMTPS",
    "ESMTPSA",
    "LMTP",
    "LMTPA",
    "LMTPS",
    "LMTPSA",
    "UTF8SMTP",
    "UTF8SMTPA",
    "UTF8SMTPS",
    "UTF8SMTPSA",
    "UTF8LMTP",
    "UTF8LMTPA",
    "UTF8LMTPS",
    "UTF8LMTPSA",
];

/// Protocol names that mean the hop was encrypted: RFC 3848's "S" types, implicit-TLS SMTP
/// (port 465, "SMTPS") and HTTPS.
const TLS_NAMES: [&str; 10] = [
    "ESMTPS",
    "ESMTPSA",
    "LMTPS",
    "LMTPSA",
    "UTF8SMTPS",
    "UTF8SMTPSA",
    "UTF8LMTPS",
    "UTF8LMTPSA",
    "SMTPS",
    "HTTPS",
];

/// The protocol of a hop as the `with` clause gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Protocol {
    /// A registered name in upper case, else the value as written.
    pub name: String,
    /// The `with` value exactly as written (vendor words included).
    pub written: String,
    /// One Atom, as the grammar has it; false when the name was recovered from a vendor
    /// phrase (`Microsoft SMTP Server`) or a decorated word (`local-esmtps`, `ESMTP-TLS`).
    pub parsed: bool,
    /// The name says the hop used TLS.
    pub tls: bool,
}

fn registered(word: &str) -> Option<&'static str> {
    REGISTERED
        .iter()
        .find(|r| r.eq_ignore_ascii_case(word))
        .copied()
}

/// The RFC 3848 name for "this protocol, with TLS" (`ESMTP` → `ESMTPS`).
fn with_tls(base: &str) -> String {
    if TLS_NAMES.contains(&base) {
        base.to_string()
    } else if base == "SMTP" {
        "ESMTPS".to_string()
    } else if let Some(b) = base.strip_suffix('A') {
        format!("{b}SA")
    } else {
        format!("{base}S")
    }
}

/// A single word: a registered name, a decorated one, or any Atom as written.
fn one_word(word: &str) -> (String, bool, bool) {
    if let Some(r) = registered(word) {
        return (r.to_string(), true, false);
    }
    // Exim's `local-esmtp` / `local-esmtps` (the message was submitted on a local pipe).
    if let Some(rest) = word
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("local-"))
        .map(|_| &word[6..])
        && let Some(r) = registered(rest)
    {
        return (r.to_string(), false, false);
    }
    // `ESMTP/TLS/<cipher>` (s-web.de) and CommuniGate's `ESMTP-TLS`.
    let parts: Vec<&str> = word.split(['/', '-']).collect();
    if parts.len() > 1
        && let Some(r) = registered(parts[0])
        && parts[1..].iter().any(|p| p.eq_ignore_ascii_case("TLS"))
    {
        return (with_tls(r), false, true);
    }
    // Microsoft's IIS SMTP service names itself.
    if word.eq_ignore_ascii_case("SMTPSVC") {
        return ("SMTP".to_string(), false, false);
    }
    (word.to_string(), true, false)
}

/// Read the `with` value from its words (those after `with` up to the next clause or
/// comment; the words of a literal for `with [XMail 1.20 ESMTP Server]`).
pub(crate) fn protocol(words: &[&str], literal: bool) -> Option<Protocol> {
    let written = words.join(" ");
    let (name, parsed, decorated_tls) = match words {
        [] => return None,
        [w] if !literal => one_word(w),
        _ => {
            // A vendor phrase: the protocol word inside it, else the phrase.
            match words.iter().find_map(|w| {
                let (n, _, t) = one_word(w);
                (registered(&n).is_some()).then_some((n, t))
            }) {
                Some((n, t)) => (n, false, t),
                None => (written.clone(), false, false),
            }
        }
    };
    let upper = name.to_ascii_uppercase();
    let tls = decorated_tls
        || TLS_NAMES.contains(&upper.as_str())
        || upper
            .strip_prefix("LOCAL-")
            .is_some_and(|r| TLS_NAMES.contains(&r));
    Some(Protocol {
        name,
        written,
        parsed,
        tls,
    })
}

/// Whether a `with` value (as written) names a local pipe rather than a network session:
/// Exim's `local`, `local-smtp`, `local-esmtp`, `local-bsmtp`, ... (written when a local
/// process handed the message over, so no client connected).
pub(crate) fn is_local_pipe(written: &str) -> bool {
    written.eq_ignore_ascii_case("local")
        || written
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("local-"))
}

/// Whether the protocol is plain (E)SMTP without TLS: what "sent without TLS" warns about.
pub(crate) fn is_plain_smtp(name: &str) -> bool {
    ["SMTP", "ESMTP", "ESMTPA", "UTF8SMTP", "UTF8SMTPA"].contains(&name)
}

/// A TLS version word: `TLSv1.3`, `TLS1_2`, `TLS-1.0`, `TLSv1` (1.0), `SSLv3`.
pub(crate) fn tls_version(word: &str) -> Option<&'static str> {
    if word.len() > 10 {
        return None;
    }
    // Lower case without the separators, on the stack: this runs for every comment word of
    // every Received field. A non-ASCII octet stays as it is and matches no name.
    let mut buf = [0u8; 10];
    let mut len = 0;
    for b in word.bytes().filter(|b| !matches!(b, b'.' | b'_' | b'-')) {
        buf[len] = b.to_ascii_lowercase();
        len += 1;
    }
    Some(match &buf[..len] {
        b"tlsv1" | b"tls1" | b"tlsv10" | b"tls10" => "TLSv1.0",
        b"tlsv11" | b"tls11" => "TLSv1.1",
        b"tlsv12" | b"tls12" => "TLSv1.2",
        b"tlsv13" | b"tls13" => "TLSv1.3",
        b"sslv2" | b"ssl2" => "SSLv2",
        b"sslv3" | b"ssl3" => "SSLv3",
        b"dtlsv10" | b"dtls10" => "DTLSv1.0",
        b"dtlsv12" | b"dtls12" => "DTLSv1.2",
        b"dtlsv13" | b"dtls13" => "DTLSv1.3",
        _ => return None,
    })
}

/// A cipher-suite name: upper case, digits, `_` or `-`, starting with a key-exchange or
/// cipher family (`TLS_AES_256_GCM_SHA384`, `ECDHE-RSA-AES128-GCM-SHA256`, `DES-CBC3-SHA`,
/// OpenSSL's anonymous `AECDH-…` / `ADH-…`).
pub(crate) fn is_cipher(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() > 6
        && b.len() < 80
        && tls_version(word).is_none()
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(|c| *c == b'_' || *c == b'-')
        && [
            "RSA", "ECD", "DHE", "EDH", "PSK", "SRP", "AES", "DES", "TLS", "CHACHA", "AECDH", "ADH",
        ]
        .iter()
        .any(|p| word.starts_with(p))
}

/// The words TLS facts are read from: split at white space and `,:=/()[]`.
pub(crate) fn tls_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || ",:=/()[];".contains(c))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(words: &[&str]) -> Option<(String, bool, bool)> {
        protocol(words, false).map(|p| (p.name, p.parsed, p.tls))
    }

    #[test]
    fn with_values() {
        let s = |n: &str, parsed, tls| Some((n.to_string(), parsed, tls));
        assert_eq!(name(&["esmtps"]), s("ESMTPS", true, true));
        assert_eq!(name(&["mapi"]), s("mapi", true, false));
        assert_eq!(name(&["SMTPS"]), s("SMTPS", true, true));
        assert_eq!(name(&["local-esmtps"]), s("ESMTPS", false, true));
        assert_eq!(name(&["ESMTP-TLS"]), s("ESMTPS", false, true));
        assert_eq!(
            name(&["ESMTPA/TLS/DHE-RSA-AES256-SHA"]),
            s("ESMTPSA", false, true)
        );
        assert_eq!(
            name(&["Microsoft", "SMTP", "Server"]),
            s("SMTP", false, false)
        );
        assert_eq!(name(&["Microsoft", "SMTPSVC"]), s("SMTP", false, false));
        assert_eq!(
            name(&["Internet", "Mail", "Service"]),
            s("Internet Mail Service", false, false)
        );
        assert_eq!(
            protocol(&["XMail", "1.20", "ESMTP", "Server"], true).map(|p| p.name),
            Some("ESMTP".into())
        );
    }

    #[test]
    fn tls_facts() {
        assert_eq!(tls_version("TLSv1.3"), Some("TLSv1.3"));
        assert_eq!(tls_version("TLS1_2"), Some("TLSv1.2"));
        assert_eq!(tls_version("TLS-1.0"), Some("TLSv1.0"));
        assert_eq!(tls_version("TLSv1"), Some("TLSv1.0"));
        // Ten octets at most, separators anywhere, non-ASCII never a version.
        assert_eq!(tls_version("D.t.L.s1_3"), Some("DTLSv1.3"));
        assert_eq!(tls_version("TLSv1.2.x.y"), None);
        assert_eq!(tls_version("tlsv1é"), None);
        assert_eq!(tls_version(""), None);
        assert!(is_cipher("TLS_AES_256_GCM_SHA384"));
        assert!(is_cipher("DES-CBC3-SHA"));
        assert!(is_cipher("AECDH-AES256-SHA"));
        assert!(!is_cipher("TLSV1_2"));
        assert!(!is_cipher("RSA-PSS"));
        assert!(!is_cipher("CRAM-MD5"));
    }
}
