//! A `Received-SPF` field (RFC 7208 §9.1) for our SPF result: `filter --add-header
//! received-spf` writes it, and any other writer (the milter) can reuse it. Everything from the
//! message is escaped: comment text with `\`, values as dot-atoms or quoted strings.

use crate::auth::spf::{Scope, SpfReport};

/// RFC 5322 atext, and '.' for a dot-atom.
fn is_dot_atom(v: &str) -> bool {
    !v.is_empty()
        && !v.starts_with('.')
        && !v.ends_with('.')
        && !v.contains("..")
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b))
}

/// Printable ASCII only (a field is one line of ASCII); anything else becomes `?`.
fn printable(v: &str) -> impl Iterator<Item = char> + '_ {
    v.chars().take(255).map(|c| {
        if c == ' ' || c.is_ascii_graphic() {
            c
        } else {
            '?'
        }
    })
}

/// A key-value value: a dot-atom as is, else a quoted string.
fn value(v: &str) -> String {
    if is_dot_atom(v) {
        return v.to_string();
    }
    let mut out = String::from("\"");
    for c in printable(v) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Text inside a comment: parentheses and backslashes quoted.
fn comment_text(v: &str) -> String {
    let mut out = String::new();
    for c in printable(v) {
        if matches!(c, '(' | ')' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The field, `Received-SPF: ...` and the line end, folded before each key-value pair.
/// `receiver` is the host that evaluated (our authserv-id).
pub fn field(spf: &SpfReport, receiver: &str, eol: &str) -> String {
    let ip = spf.ip.as_deref().unwrap_or("unknown");
    let identity = match spf.scope {
        Scope::Mfrom => "mailfrom",
        Scope::Helo => "helo",
    };
    let who = match (spf.scope, &spf.sender, &spf.helo) {
        (Scope::Mfrom, Some(s), _) => s.clone(),
        (_, _, Some(h)) => h.clone(),
        _ => spf.domain.clone().unwrap_or_default(),
    };
    // RFC 7208 §9.1's example comments.
    let why = match spf.result.word() {
        "pass" => format!("domain of {who} designates {ip} as permitted sender"),
        "fail" => format!("domain of {who} does not designate {ip} as permitted sender"),
        "softfail" => {
            format!("domain of transitioning {who} does not designate {ip} as permitted sender")
        }
        "neutral" => format!("{ip} is neither permitted nor denied by domain of {who}"),
        "none" => format!("domain of {who} does not designate permitted sender hosts"),
        _ => format!("error in processing during lookup of {who}: {}", spf.reason),
    };
    let mut pairs = vec![format!("client-ip={}", value(ip))];
    if let Some(s) = &spf.sender {
        pairs.push(format!("envelope-from={}", value(s)));
    }
    if let Some(h) = &spf.helo {
        pairs.push(format!("helo={}", value(h)));
    }
    pairs.push(format!("receiver={}", value(receiver)));
    pairs.push(format!("identity={identity}"));
    if let Some(m) = &spf.mechanism {
        pairs.push(format!("mechanism={}", value(m)));
    }
    let mut out = format!(
        "Received-SPF: {} ({}: {})",
        spf.result.word(),
        comment_text(receiver),
        comment_text(&why)
    );
    for p in pairs {
        out.push_str(eol);
        out.push('\t');
        out.push_str(&p);
        out.push(';');
    }
    out.pop();
    out.push_str(eol);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_atoms_or_quoted() {
        assert_eq!(value("mx.example.org"), "mx.example.org");
        assert_eq!(value("2001:db8::1"), "\"2001:db8::1\"");
        assert_eq!(value("a\"b\\c@x"), "\"a\\\"b\\\\c@x\"");
        assert_eq!(value("a\r\nX-Evil: 1"), "\"a??X-Evil: 1\"");
        assert_eq!(comment_text("a (b) \\"), "a \\(b\\) \\\\");
    }
}
