//! RFC 8601 Authentication-Results rendering.

use super::model::CheckReport;
use crate::auth::dmarc::DmarcReport;
use crate::common::AuthResult;

/// A property value: a token as is, anything else as a quoted-string; controls dropped.
fn value(v: &str) -> String {
    let clean: String = v.chars().filter(|c| !c.is_control()).collect();
    let token = !clean.is_empty()
        && clean.chars().all(|c| {
            c.is_ascii_graphic() && !"()<>,;:\\\"[]?=".contains(c) || c == '@' || c == '.'
        });
    if token && !clean.contains(['(', ')', ';', '"', '\\', ' ']) {
        clean
    } else {
        format!("\"{}\"", clean.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// A comment's text: parentheses and controls removed so it cannot end early.
fn comment(v: &str) -> String {
    v.chars()
        .filter(|c| !c.is_control() && *c != '(' && *c != ')' && *c != '\\')
        .collect()
}

/// The result clauses of a check report, in the order spf, dkim..., arc, dmarc, iprev.
pub fn clauses(r: &CheckReport) -> Vec<String> {
    let mut out = Vec::new();
    let spf = &r.spf;
    let mut c = format!("spf={}", spf.result.word());
    if spf.ip.is_some() || spf.result != AuthResult::None {
        c.push_str(&format!(" ({})", comment(&spf.reason.to_string())));
    }
    if let Some(sender) = &spf.sender {
        c.push_str(&format!(" smtp.mailfrom={}", value(sender)));
    }
    if let Some(helo) = &spf.helo {
        c.push_str(&format!(" smtp.helo={}", value(helo)));
    }
    out.push(c);
    if r.dkim.is_empty() {
        out.push("dkim=none".into());
    }
    for d in &r.dkim {
        let mut c = format!(
            "dkim={} reason={}",
            d.result.word(),
            value(&d.reason.to_string())
        );
        if let Some(domain) = &d.domain {
            c.push_str(&format!(" header.d={}", value(domain)));
        }
        if let Some(s) = &d.selector {
            c.push_str(&format!(" header.s={}", value(s)));
        }
        if let Some(a) = &d.algorithm {
            c.push_str(&format!(" header.a={}", value(a)));
        }
        if let Some(b) = &d.header_b {
            c.push_str(&format!(" header.b={}", value(b)));
        }
        out.push(c);
    }
    let mut c = format!("arc={}", r.arc.result.word());
    if r.arc.instances > 0 {
        c.push_str(&format!(" ({})", comment(&r.arc.reason.to_string())));
        if let Some(ip) = &r.path.origin_ip {
            c.push_str(&format!(" smtp.remote-ip={}", value(ip)));
        }
    }
    out.push(c);
    out.push(dmarc_clause(&r.dmarc));
    if let Some(ip) = &r.iprev {
        let mut c = format!("iprev={} policy.iprev={}", ip.result.word(), value(&ip.ip));
        if let Some(n) = &ip.confirmed {
            c.push_str(&format!(" ({})", comment(n)));
        }
        out.push(c);
    }
    out
}

/// The one clause of the `spf` command's header: `spf=RESULT smtp.mailfrom=SENDER`.
pub fn spf_clause(spf: &crate::auth::spf::SpfReport) -> String {
    let mut clause = format!("spf={}", spf.result.word());
    if let Some(s) = &spf.sender {
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

/// The whole header field, folded one result per line with `eol` + TAB.
pub fn header(authserv_id: &str, clauses: &[String], eol: &str) -> String {
    let mut out = format!("Authentication-Results: {}", value(authserv_id));
    for c in clauses {
        out.push(';');
        out.push_str(eol);
        out.push('\t');
        out.push_str(c);
    }
    out.push_str(eol);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_tokens_or_quoted() {
        assert_eq!(value("example.com"), "example.com");
        assert_eq!(value("user@example.com"), "user@example.com");
        assert_eq!(value("body hash \"x\""), "\"body hash \\\"x\\\"\"");
        assert_eq!(comment("a (b) c\r\n"), "a b c");
    }
}
