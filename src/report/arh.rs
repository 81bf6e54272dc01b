//! RFC 8601 Authentication-Results rendering.

use super::model::CheckReport;
use crate::auth::dmarc::DmarcReport;
use crate::common::AuthResult;

// Header fields we write carry no free text from a message or a DNS record: property values
// are tokens of a safe alphabet (LDH names, IP literals, addresses with dot-atom local-parts,
// base64), comments only our own words plus such tokens, and lines fold to RFC 5322 limits.

/// Characters a property value may carry unquoted.
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-+=/@:".contains(c)
}

/// Characters our comment words and quoted reasons may carry.
fn word_char(c: char) -> bool {
    token_char(c) || matches!(c, ' ' | ',' | '\'' | '%' | '>' | '<')
}

/// The longest comment or quoted reason we write (the folded line stays within 998 octets).
const MAX_WORDS: usize = 200;

/// A property value reduced to the safe alphabet: the value itself when it is a token, else
/// `None` (the property is left out rather than carry free text).
fn token(v: &str) -> Option<String> {
    (!v.is_empty() && v.len() <= 255 && v.chars().all(token_char)).then(|| v.to_string())
}

/// A property value: a safe token, or `invalid` when the text is not one.
fn value(v: &str) -> String {
    token(v).unwrap_or_else(|| "invalid".to_string())
}

/// An address for `smtp.mailfrom`: the address when it is a safe token, else its domain
/// (RFC 8601 §2.7.2 allows the domain alone).
fn mailbox_value(v: &str) -> Option<String> {
    token(v).or_else(|| v.rsplit_once('@').and_then(|(_, d)| token(d)))
}

/// Our words with the unsafe characters dropped (parentheses, quotes, backslashes, controls,
/// anything outside ASCII), clipped.
fn words(v: &str) -> String {
    let kept: String = v
        .chars()
        .filter(|&c| word_char(c))
        .take(MAX_WORDS)
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An unstructured header value we write (`X-Mailverdict-Summary`): printable ASCII only,
/// anything else (controls, invisible and reordering code points, other non-ASCII) as `?`,
/// clipped to `max` characters so the line stays within 998 octets.
pub fn unstructured(v: &str, max: usize) -> String {
    v.chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .take(max)
        .collect()
}

/// A comment's text: only our words and safe tokens, so it cannot end early or smuggle text.
fn comment(v: &str) -> String {
    words(v)
}

/// SPF's comment in our own words from typed fields (never the record's or exp= text).
fn spf_comment(spf: &crate::auth::spf::SpfReport) -> String {
    let mut parts = Vec::new();
    if let Some(d) = spf.domain.as_deref().and_then(token) {
        parts.push(format!("domain {d}"));
    }
    if let Some(ip) = spf.ip.as_deref().and_then(token) {
        parts.push(format!("ip {ip}"));
    }
    if let Some(m) = spf.mechanism.as_deref().and_then(token) {
        parts.push(format!("matched {m}"));
    }
    if parts.is_empty() {
        parts.push(format!("{} without a matching term", spf.result.word()));
    }
    parts.join(", ")
}

/// The result clauses of a check report, in the order spf, dkim..., arc, dmarc, iprev.
pub fn clauses(r: &CheckReport) -> Vec<String> {
    let mut out = Vec::new();
    let spf = &r.spf;
    let mut c = format!("spf={}", spf.result.word());
    if spf.ip.is_some() || spf.result != AuthResult::None {
        c.push_str(&format!(" ({})", spf_comment(spf)));
    }
    if let Some(sender) = spf.sender.as_deref().and_then(mailbox_value) {
        c.push_str(&format!(" smtp.mailfrom={sender}"));
    }
    if let Some(helo) = spf.helo.as_deref().and_then(token) {
        c.push_str(&format!(" smtp.helo={helo}"));
    }
    out.push(c);
    if r.dkim.is_empty() {
        out.push("dkim=none".into());
    }
    for (i, d) in r.dkim.iter().enumerate() {
        let mut c = format!("dkim={}", d.result.word());
        // What this signature leaves out, in our words (issue 12 item 9).
        if let Some(cov) = r.coverage.signatures.get(i) {
            let mut left: Vec<String> = cov
                .unsigned_fields
                .iter()
                .map(|n| n.to_ascii_lowercase())
                .collect();
            if cov.body_unsigned_bytes > 0 {
                left.push("body-tail".into());
            }
            if !left.is_empty() {
                c.push_str(&format!(" (unsigned {})", left.join(" ")));
            }
        }
        c.push_str(&format!(" reason=\"{}\"", words(&d.reason.to_string())));
        for (name, v) in [
            ("header.d", &d.domain),
            ("header.s", &d.selector),
            ("header.a", &d.algorithm),
            ("header.b", &d.header_b),
        ] {
            if let Some(t) = v.as_deref().and_then(token) {
                c.push_str(&format!(" {name}={t}"));
            }
        }
        out.push(c);
    }
    let mut c = format!("arc={}", r.arc.result.word());
    if r.arc.instances > 0 {
        c.push_str(&format!(" ({})", comment(&r.arc.reason.to_string())));
        if let Some(ip) = r.path.origin_ip {
            c.push_str(&format!(" smtp.remote-ip={ip}"));
        }
    }
    out.push(c);
    out.push(dmarc_clause(&r.dmarc));
    if let Some(ip) = &r.iprev {
        let mut c = format!("iprev={} policy.iprev={}", ip.result.word(), value(&ip.ip));
        if let Some(n) = ip.confirmed.as_deref().and_then(token) {
            c.push_str(&format!(" ({n})"));
        }
        out.push(c);
    }
    out
}

/// The one clause of the `spf` command's header: `spf=RESULT smtp.mailfrom=SENDER`.
pub fn spf_clause(spf: &crate::auth::spf::SpfReport) -> String {
    let mut clause = format!("spf={}", spf.result.word());
    if let Some(s) = spf.sender.as_deref().and_then(mailbox_value) {
        clause.push_str(&format!(" smtp.mailfrom={s}"));
    }
    clause
}

/// The DMARC clause: the result, the policy and disposition as a comment, and the properties
/// RFC 9989 §9.1 registers: `header.from` and, for a failure, `policy.dmarc` (the policy applied
/// after `t=`/`pct=`). Its drafts' `polrec.p`/`polrec.domain` were dropped before publication
/// (draft -31), so they are not written.
fn dmarc_clause(d: &DmarcReport) -> String {
    let mut c = format!("dmarc={}", d.result.word());
    if let Some(p) = d.applied_policy {
        c.push_str(&format!(" (p={} dis={})", p.word(), d.disposition.word()));
    }
    if let Some(fd) = &d.from_domain {
        c.push_str(&format!(" header.from={}", value(fd)));
    }
    if d.result == AuthResult::Fail {
        c.push_str(&format!(" policy.dmarc={}", d.disposition.word()));
    }
    c
}

/// Preferred line length of the fields we write (RFC 5322 §2.1.1: 78, never over 998).
const LINE: usize = 78;

/// The whole header field, one result per line with `eol` + TAB, a result longer than a line
/// folded at its spaces (outside quoted strings).
pub fn header(authserv_id: &str, clauses: &[String], eol: &str) -> String {
    let mut out = format!("Authentication-Results: {}", value(authserv_id));
    for c in clauses {
        out.push(';');
        out.push_str(eol);
        out.push('\t');
        out.push_str(&fold(c, eol));
    }
    out.push_str(eol);
    out
}

/// Fold one clause at spaces outside quotes so each line stays near `LINE` octets.
fn fold(clause: &str, eol: &str) -> String {
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in clause.chars() {
        if ch == '"' {
            quoted = !quoted;
        }
        if ch == ' ' && !quoted {
            pieces.push(std::mem::take(&mut current));
        } else {
            current.push(ch);
        }
    }
    pieces.push(current);
    let mut out = String::new();
    let mut line = 8; // the leading TAB
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            if line + 1 + p.len() > LINE {
                out.push_str(eol);
                out.push('\t');
                line = 8;
            } else {
                out.push(' ');
                line += 1;
            }
        }
        out.push_str(p);
        line += p.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_safe_tokens() {
        assert_eq!(value("example.com"), "example.com");
        assert_eq!(value("user@example.com"), "user@example.com");
        assert_eq!(value("body hash \"x\""), "invalid");
        assert_eq!(token("bo\u{202e}unce@example.com"), None);
        assert_eq!(
            mailbox_value("\"a b\"@example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(comment("a (b) c\r\n\u{200b}"), "a b c");
    }

    #[test]
    fn long_clauses_fold() {
        let clause = format!(
            "dkim=pass reason=\"a b c\" {}",
            "header.x=abcdefghij ".repeat(12)
        );
        let folded = fold(clause.trim(), "\r\n");
        assert!(folded.lines().all(|l| l.len() <= LINE), "{folded}");
        assert!(folded.contains("reason=\"a b c\""));
    }
}
