//! One Received field, read by our own tokenizer per RFC 5321 §4.4: `from`, `by`, `via`,
//! `with`, `id`, `for`, comments, and the date after the last `;`, with liberal recovery for
//! the shapes real MTAs write. Each value records whether the grammar gave it (`parsed`) or a
//! heuristic did (`recovered`). The client part (address, reverse name, HELO) is `client.rs`'s:
//! only the TCP-level part the receiving MTA wrote gives the client IP.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::client::{self, Tok};
use super::date::{self, FieldDate};
use super::with::{self, Protocol};
use super::{Hop, Obtained};
use crate::common::clip;

pub(crate) struct ParsedHop {
    pub from_host: Option<String>,
    /// The client IP as the receiving MTA recorded it.
    pub from_ip: Option<IpAddr>,
    /// Distinct addresses in the client part when there was more than one.
    pub conflicting: Vec<IpAddr>,
    /// The parentheses of the client part do not balance.
    pub unbalanced: bool,
    pub from_rdns: Option<String>,
    /// Sendmail marked the reverse name `(may be forged)`: it does not resolve back.
    pub rdns_unverified: bool,
    pub helo: Option<String>,
    pub timestamp: Option<i64>,
    /// Exim wrote the field (its `(Exim 4.x)` comment).
    pub exim: bool,
    pub hop: Hop,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Clause {
    From,
    By,
    Via,
    With,
    Id,
    For,
}

fn clause(word: &[u8]) -> Option<Clause> {
    let w = word.strip_suffix(b",").unwrap_or(word);
    [
        ("from", Clause::From),
        ("by", Clause::By),
        ("via", Clause::Via),
        ("with", Clause::With),
        ("id", Clause::Id),
        ("for", Clause::For),
    ]
    .iter()
    .find(|(k, _)| client::is(w, k))
    .map(|(_, c)| *c)
}

/// Index of the last `;` outside comments: the date follows it (RFC 5321 §4.4).
fn last_semicolon(s: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut last = None;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\\' if depth > 0 => i += 1,
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b';' if depth == 0 => last = Some(i),
            _ => {}
        }
        i += 1;
    }
    last
}

/// An address-like value as written, without the `<>` and the trailing `,`/`;` some MTAs add.
fn addr_word(w: &[u8]) -> Option<String> {
    let t = client::text(w);
    let t = t
        .trim_end_matches([',', ';'])
        .trim_start_matches('<')
        .trim_end_matches('>');
    (!t.is_empty()).then(|| t.to_string())
}

/// A `for` value: RFC 5321 §4.4 `Path / Mailbox`, so a mailbox with `@` (or Postmaster).
fn for_word(w: &[u8]) -> Option<String> {
    addr_word(w).filter(|a| a.contains('@') || a.eq_ignore_ascii_case("postmaster"))
}

/// What the clause part of a field says (everything before the date).
#[derive(Default)]
struct Clauses<'a> {
    from: Option<(String, Obtained)>,
    by: Option<String>,
    via: Option<String>,
    with: Option<Protocol>,
    id: Option<String>,
    for_addr: Option<String>,
    /// Comments of the from-clause (between its value and the next clause).
    from_comments: Vec<&'a [u8]>,
    /// Every comment, in order.
    comments: Vec<&'a [u8]>,
    /// Top-level words that are no clause's value (vendor text, `tls CIPHER`).
    loose: Vec<&'a [u8]>,
}

/// Words (and literal texts) after a `with`/`via` up to the next clause or comment.
fn phrase<'a>(toks: &[Tok<'a>], i: &mut usize) -> (Vec<&'a [u8]>, bool) {
    if let Some(Tok::Literal(l)) = toks.get(*i) {
        *i += 1;
        return (
            l.split(|b| b.is_ascii_whitespace())
                .filter(|w| !w.is_empty())
                .collect(),
            true,
        );
    }
    let mut words = Vec::new();
    while let Some(Tok::Word(w)) = toks.get(*i) {
        if clause(w).is_some() || words.len() >= 5 {
            break;
        }
        words.push(*w);
        *i += 1;
    }
    (words, false)
}

fn read_clauses<'a>(toks: &[Tok<'a>]) -> Clauses<'a> {
    let mut c = Clauses::default();
    let mut in_from = false;
    let mut seen_by = false;
    let mut i = 0;
    // `(from host [ip]) by ...`: some gateways put the whole from-clause in a comment.
    if let Some(Tok::Comment(inner)) = toks.first() {
        let words = client::comment_words(inner);
        if let [Tok::Word(f), Tok::Word(h), ..] = words.as_slice()
            && client::is(f, "from")
        {
            c.from = Some((client::host_word(h), Obtained::Recovered));
        }
    }
    while i < toks.len() {
        let tok = toks[i];
        i += 1;
        let word = match tok {
            Tok::Comment(inner) => {
                c.comments.push(inner);
                if in_from {
                    c.from_comments.push(inner);
                }
                continue;
            }
            Tok::Literal(_) => continue,
            Tok::Word(w) => w,
        };
        let Some(kind) = clause(word) else {
            c.loose.push(word);
            continue;
        };
        in_from = false;
        let by_before = seen_by;
        seen_by |= kind == Clause::By;
        match kind {
            // RFC 5321 §4.4 puts the From-domain before the By-domain: a `from` after `by`
            // is vendor text (`by outflank-mailman (output) from mailman id ...`), no sender.
            Clause::From if by_before => {}
            // A repeated clause keeps its first value (`by mx by uid 502`, `from <sender>`
            // after `for`): the first is the one the grammar places.
            Clause::From if c.from.is_none() => {
                in_from = true;
                match toks.get(i) {
                    Some(Tok::Word(w)) if clause(w).is_none() => {
                        c.from = Some((client::host_word(w), Obtained::Parsed));
                        i += 1;
                    }
                    Some(Tok::Literal(l)) => {
                        if let Some(ip) = client::literal_ip(l) {
                            c.from = Some((ip.to_string(), Obtained::Parsed));
                        }
                        i += 1;
                    }
                    _ => {}
                }
            }
            Clause::By if !by_before => match toks.get(i) {
                Some(Tok::Word(w)) if clause(w).is_none() => {
                    c.by = Some(client::host_word(w)).filter(|h| !h.is_empty());
                    i += 1;
                }
                Some(Tok::Literal(l)) => {
                    c.by = Some(client::literal_text(l));
                    i += 1;
                }
                // An empty by-domain does not swallow the clause after it.
                _ => {}
            },
            Clause::With if c.with.is_none() => {
                // qpsmtpd writes its TLS note before the protocol: `with (AES128-SHA
                // encrypted) SMTP`. The grammar has only FWS there, so the name is recovered.
                let mut commented = false;
                while let Some(Tok::Comment(inner)) = toks.get(i) {
                    c.comments.push(inner);
                    commented = true;
                    i += 1;
                }
                let (words, literal) = phrase(toks, &mut i);
                let words: Vec<String> = words.iter().map(|w| client::text(w)).collect();
                let refs: Vec<&str> = words.iter().map(String::as_str).collect();
                c.with = with::protocol(&refs, literal).map(|p| with::Protocol {
                    parsed: p.parsed && !commented,
                    ..p
                });
            }
            Clause::Via if c.via.is_none() => {
                let (words, _) = phrase(toks, &mut i);
                let words: Vec<String> = words.iter().map(|w| client::text(w)).collect();
                c.via = Some(words.join(" ")).filter(|v| !v.is_empty());
            }
            Clause::Id if c.id.is_none() => {
                if let Some(Tok::Word(w)) = toks.get(i)
                    && clause(w).is_none()
                {
                    c.id = addr_word(w);
                    i += 1;
                }
            }
            Clause::For if c.for_addr.is_none() => {
                if let Some(Tok::Word(w)) = toks.get(i)
                    && clause(w).is_none()
                {
                    c.for_addr = for_word(w);
                    i += 1;
                }
            }
            _ => {}
        }
    }
    c
}

/// The RFC 1413 ident the MTA recorded in the from-clause: `ident=x` (Exim), `IDENT:x`
/// (tcp-wrappers), `x@[ip]`, `x@ip` (qmail), `x@host` (Sendmail). Text after a HELO or an
/// `AUTH:` / envelope marker is the sender's or another identity, never an ident.
fn ident(comments: &[&[u8]]) -> Option<String> {
    for inner in comments {
        let words = client::comment_words(inner);
        let mut k = 0;
        while k < words.len() {
            match words[k] {
                Tok::Word(w) if client::is_greeting(w) => k += 1,
                Tok::Word(w)
                    if client::is(w, "AUTH:")
                        || client::is(w, "envelope-sender")
                        || client::is(w, "envelope-from") =>
                {
                    break;
                }
                Tok::Word(w) if w.len() >= 6 && client::is(&w[..6], "ident=") => {
                    let rest = &w[6..];
                    return match (rest.is_empty(), words.get(k + 1)) {
                        (true, Some(Tok::Literal(l))) => Some(client::text(l)),
                        (true, _) => None,
                        (false, _) => Some(client::text(rest)),
                    };
                }
                Tok::Word(w) if w.len() > 6 && client::is(&w[..6], "IDENT:") => {
                    return Some(client::text(&w[6..]));
                }
                Tok::Word(w) if w.contains(&b'@') && !w.starts_with(b"helo=") => {
                    let t = client::text(w);
                    let t = t.trim_start_matches('<').trim_end_matches(['>', ',']);
                    return match t.strip_suffix('@') {
                        Some(user) if matches!(words.get(k + 1), Some(Tok::Literal(_))) => {
                            Some(user.to_string())
                        }
                        // qmail's `(TCPREMOTEINFO@TCPREMOTEIP)`: the address is the client's.
                        _ => match t.rsplit_once('@') {
                            Some((user, ip)) if client::literal_ip(ip.as_bytes()).is_some() => {
                                Some(user.to_string())
                            }
                            _ => Some(t.to_string()),
                        },
                    };
                }
                _ => {}
            }
            k += 1;
        }
    }
    None
}

/// The TLS version and cipher the field records. Versions only from comments (where MTAs
/// write them); a cipher also from top-level text (`ESMTP/TLS/<cipher>`, Exim's `tls <cipher>`).
/// The word after a HELO, and `helo=` values, are the sender's text and never count.
fn tls_facts(c: &Clauses<'_>, protocol: Option<&Protocol>) -> (Option<String>, Option<String>) {
    let mut version = None;
    let mut cipher = None;
    for inner in &c.comments {
        let text = String::from_utf8_lossy(inner);
        let mut skip = false;
        for w in with::tls_words(&text) {
            if skip {
                skip = false;
                continue;
            }
            if client::is_greeting(w.as_bytes()) || w.eq_ignore_ascii_case("helo") {
                skip = true;
                continue;
            }
            if version.is_none()
                && let Some(v) = with::tls_version(w)
            {
                version = Some(v.to_string());
            } else if cipher.is_none() && with::is_cipher(w) {
                cipher = Some(w.to_string());
            }
        }
    }
    if cipher.is_none() {
        let written = protocol.map(|p| p.written.clone()).unwrap_or_default();
        let loose: Vec<String> = c.loose.iter().map(|w| client::text(w)).collect();
        cipher = std::iter::once(written.as_str())
            .chain(loose.iter().map(String::as_str))
            .flat_map(with::tls_words)
            .find(|w| with::is_cipher(w))
            .map(str::to_string);
    }
    (version, cipher)
}

/// Parse one Received field value; `field` is its position from the top.
pub(crate) fn parse_hop(field: usize, value: &[u8]) -> ParsedHop {
    let split = last_semicolon(value);
    let clause_part = split.map_or(value, |p| &value[..p]);
    let toks = client::clause_tokens(clause_part);
    let mut c = read_clauses(&toks);
    let mut obtained = BTreeMap::new();
    let date: Option<(FieldDate, Obtained)> = match split {
        Some(p) => {
            let after = &value[p + 1..];
            // TLS facts some MTAs write between the `;` and the date (`; (version=...) Wed, ...`).
            c.comments.extend(
                client::clause_tokens(after)
                    .into_iter()
                    .filter_map(|t| match t {
                        Tok::Comment(inner) => Some(inner),
                        _ => None,
                    }),
            );
            let text = String::from_utf8_lossy(after);
            date::parse_after_semicolon(&text).map(|(d, rest)| {
                // Clauses written after the date (`; <date> for <rcpt>`): recovered.
                if c.for_addr.is_none()
                    && let [f, addr, ..] = rest.as_slice()
                    && f.eq_ignore_ascii_case("for")
                {
                    c.for_addr = for_word(addr.as_bytes());
                    if c.for_addr.is_some() {
                        obtained.insert("for", Obtained::Recovered);
                    }
                }
                (
                    d,
                    if d.rfc {
                        Obtained::Parsed
                    } else {
                        Obtained::Recovered
                    },
                )
            })
        }
        // No `;`: a date among the words is recovered (SendGrid's internal hops).
        None => date::find(&String::from_utf8_lossy(value)).map(|d| (d, Obtained::Recovered)),
    };
    let found_anything = c.from.is_some()
        || c.by.is_some()
        || c.with.is_some()
        || c.id.is_some()
        || c.for_addr.is_some()
        || c.via.is_some()
        || date.is_some();
    let client = client::parse(clause_part);
    if !found_anything && client.ip.is_none() {
        let text = String::from_utf8_lossy(value);
        return ParsedHop {
            from_host: None,
            from_ip: None,
            conflicting: Vec::new(),
            unbalanced: false,
            from_rdns: None,
            rdns_unverified: false,
            helo: None,
            timestamp: None,
            exim: false,
            hop: Hop {
                field,
                raw: Some(clip(text.trim(), 998)),
                ..Hop::default()
            },
        };
    }
    let (tls_version, tls_cipher) = tls_facts(&c, c.with.as_ref());
    let from_ident = ident(&c.from_comments);
    let from_host = c
        .from
        .as_ref()
        .map(|(h, _)| h.clone())
        .filter(|h| !h.is_empty());
    let timestamp = date.map(|(d, _)| d.timestamp);
    let mut mark = |key: &'static str, present: bool, how: Obtained| {
        if present {
            obtained.entry(key).or_insert(how);
        }
    };
    mark(
        "from_host",
        from_host.is_some(),
        c.from.as_ref().map_or(Obtained::Parsed, |(_, o)| *o),
    );
    mark("from_ip", client.ip.is_some(), Obtained::Parsed);
    mark("from_rdns", client.rdns.is_some(), Obtained::Parsed);
    mark("helo", client.helo.is_some(), Obtained::Parsed);
    mark("ident", from_ident.is_some(), Obtained::Recovered);
    mark("by_host", c.by.is_some(), Obtained::Parsed);
    mark("via", c.via.is_some(), Obtained::Parsed);
    mark(
        "protocol",
        c.with.is_some(),
        c.with.as_ref().map_or(Obtained::Parsed, |p| {
            if p.parsed {
                Obtained::Parsed
            } else {
                Obtained::Recovered
            }
        }),
    );
    mark("tls_version", tls_version.is_some(), Obtained::Recovered);
    mark("tls_cipher", tls_cipher.is_some(), Obtained::Recovered);
    mark("id", c.id.is_some(), Obtained::Parsed);
    mark("for", c.for_addr.is_some(), Obtained::Parsed);
    if let Some((_, how)) = date {
        mark("timestamp", true, how);
    }
    // A recorded cipher is a TLS session as much as a recorded version (qpsmtpd and
    // MessageLabs write only the cipher: `(AES128-SHA encrypted)`).
    // Mimecast writes only `(Using TLS)`.
    let using_tls = c.comments.iter().any(|inner| {
        matches!(client::comment_words(inner).as_slice(),
            [Tok::Word(u), Tok::Word(t), ..] if client::is(u, "using")
                && (t.len() >= 3 && (client::is(&t[..3], "TLS") || client::is(&t[..3], "SSL"))))
    });
    let tls = tls_version.is_some()
        || tls_cipher.is_some()
        || using_tls
        || c.with.as_ref().is_some_and(|p| p.tls);
    let hop = Hop {
        index: 0,
        field,
        from_host: from_host.clone(),
        from_ip: client.ip.map(|(ip, _)| ip),
        from_rdns: client.rdns.clone(),
        helo: client.helo.clone(),
        ident: from_ident,
        by_host: c.by.clone(),
        via: c.via.clone(),
        protocol: c.with.as_ref().map(|p| p.name.clone()),
        with: c.with.as_ref().map(|p| p.written.clone()),
        tls,
        tls_version,
        tls_cipher,
        id: c.id.clone(),
        for_addr: c.for_addr.clone(),
        timestamp,
        zone_offset_minutes: date.map(|(d, _)| d.offset_minutes),
        obtained,
        ..Hop::default()
    };
    ParsedHop {
        from_host,
        from_ip: hop.from_ip,
        conflicting: client.conflicting,
        unbalanced: client.unbalanced,
        from_rdns: client.rdns,
        rdns_unverified: c.from_comments.iter().any(|inner| {
            inner
                .windows(13)
                .any(|w| w.eq_ignore_ascii_case(b"may be forged"))
        }),
        helo: client.helo,
        timestamp,
        exim: c.comments.iter().any(|inner| {
            client::comment_words(inner)
                .first()
                .is_some_and(|w| matches!(w, Tok::Word(w) if client::is(w, "Exim")))
        }),
        hop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(value: &str) -> Hop {
        parse_hop(1, value.as_bytes()).hop
    }

    #[test]
    fn wrong_on_main_classes() {
        let h = hop(
            "from a (a [198.51.100.1]) by b with ESMTP id x; Thu, 02 Apr 2020 07:53:55.516 +0000 (UTC)",
        );
        assert_eq!(h.timestamp, Some(1_585_814_035));
        assert_eq!(h.obtained.get("timestamp"), Some(&Obtained::Recovered));
        let h = hop("from a by b (8.12/8.12) with ESMTP; Wed, 8 Mar 2017 10:00:00 PST");
        assert_eq!(h.zone_offset_minutes, Some(-480));
        let h = hop(
            "from a (a [198.51.100.1]) by b with ESMTPS id 1; (version=TLSv1/SSLv3 cipher=DHE-RSA-AES256-SHA bits=128/128) Wed, 8 Mar 2017 10:00:00 +0000",
        );
        assert_eq!(h.timestamp, Some(1_488_967_200));
        assert_eq!(h.tls_version.as_deref(), Some("TLSv1.0"));
        let h = hop(
            "from x by mx.example.org by uid 502 with qmail-scanner-1.12; 1 Jan 2026 00:00:00 -0000",
        );
        assert_eq!(h.by_host.as_deref(), Some("mx.example.org"));
        assert_eq!(h.protocol.as_deref(), Some("qmail-scanner-1.12"));
        let h = hop("(qmail 123 invoked from network); 1 Jan 2026 00:00:00 -0000");
        assert_eq!((h.from_host, h.raw), (None, None));
        let h = hop("from a by b with SMTPS; 1 Jan 2026 00:00:00 -0000");
        assert!(h.tls);
        let h = hop("from a by with ESMTP id 1; 1 Jan 2026 00:00:00 -0000");
        assert_eq!((h.by_host, h.protocol.as_deref()), (None, Some("ESMTP")));
        let h = hop("from a by b (SG) with HTTP id q for <x@y> Thu, 02 Apr 2020 07:53:55 +0000");
        assert_eq!(h.timestamp, Some(1_585_814_035));
        let h = hop(
            "from A (2603:10a6::1) by B (2603:10a6::2) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.1 via Frontend Transport; Thu, 2 Apr 2020 07:53:55 +0000",
        );
        assert_eq!(h.via.as_deref(), Some("Frontend Transport"));
        assert_eq!(h.with.as_deref(), Some("Microsoft SMTP Server"));
        assert_eq!(h.protocol.as_deref(), Some("SMTP"));
        assert_eq!(h.id.as_deref(), Some("15.20.1"));
    }
}
