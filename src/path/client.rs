//! The client part of one Received field: the address and names the receiving MTA recorded
//! about the host that connected to it (RFC 5321 §4.4 `From-domain` and `TCP-info`).
//!
//! Only the TCP-level part the receiving MTA wrote gives the client IP: Postfix's and
//! Sendmail's `(name [ip])`, Exim's `[ip]` / `([ip] helo=...)`, qmail's `(ident@ip)`,
//! Exchange's `(ip)`. What the sender said in HELO/EHLO (`helo=x`, `(HELO x)`, the from-host
//! of Postfix-style fields) never does, even when it is an address literal.
//!
//! The sender controls the HELO text, and some MTAs write it unchanged (Postfix collapses a
//! multi-word HELO into one string), so it may contain brackets and parentheses of its own.
//! In every format the MTA's own TCP-info comes after the HELO text it quotes, so when
//! several addresses appear the last one is used, and a field whose parentheses do not
//! balance gives no client IP at all.

use std::net::IpAddr;

/// Where the client IP of a hop was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpSource {
    /// The TCP-info comment (or an address literal right after the from-host).
    TcpInfo,
    /// The from-host itself is an address literal and nothing else names an address
    /// (Exim's `from [ip] (helo=...)`).
    FromLiteral,
}

/// What the receiving MTA recorded about its client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Client {
    pub ip: Option<(IpAddr, IpSource)>,
    /// The reverse-DNS name the MTA recorded next to the address (`(name [ip])`).
    pub rdns: Option<String>,
    /// An explicit HELO/EHLO/LHLO claim (`helo=x`, `(HELO x)`).
    pub helo: Option<String>,
    /// Distinct addresses seen in the client part when there was more than one.
    pub conflicting: Vec<IpAddr>,
    /// The parentheses of the field do not balance: nothing in it is read as TCP-info.
    pub unbalanced: bool,
    /// The first `by` host at the top level (the MTA that wrote the field names itself here).
    pub by_host: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok<'a> {
    Word(&'a [u8]),
    /// The text between `[` and `]`.
    Literal(&'a [u8]),
    /// The text between `(` and the matching `)`.
    Comment(&'a [u8]),
}

/// Top-level tokens up to the first `;` outside comments (the date follows it); `None`
/// when a comment or literal is not closed.
fn tokens(s: &[u8]) -> Option<Vec<Tok<'_>>> {
    tokens_with(s, false)
}

/// Top-level tokens of the clause part of a field (what comes before the date's `;`). An
/// unclosed comment or literal runs to the end, and a stray `;` separates, so the clauses
/// of a damaged field are still read (the client part is not: see `parse`).
pub(super) fn clause_tokens(s: &[u8]) -> Vec<Tok<'_>> {
    tokens_with(s, true).unwrap_or_default()
}

fn tokens_with(s: &[u8], lenient: bool) -> Option<Vec<Tok<'_>>> {
    // About one token per 6 octets in real fields: one allocation instead of four or five.
    let mut out = Vec::with_capacity((s.len() / 6).clamp(4, 64));
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b';' if lenient => i += 1,
            b';' => break,
            b'(' => {
                let end = match comment_end(s, i) {
                    Some(e) => e,
                    None if lenient => s.len(),
                    None => return None,
                };
                out.push(Tok::Comment(&s[i + 1..end]));
                i = end + 1;
            }
            b'[' => {
                let end = match s[i + 1..].iter().position(|&b| b == b']') {
                    Some(p) => i + 1 + p,
                    None if lenient => s.len(),
                    None => return None,
                };
                out.push(Tok::Literal(&s[i + 1..end]));
                i = end + 1;
            }
            _ => {
                let start = i;
                while i < s.len()
                    && !matches!(s[i], b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b'[')
                {
                    i += 1;
                }
                out.push(Tok::Word(&s[start..i]));
            }
        }
    }
    Some(out)
}

/// Index of the `)` closing the comment that opens at `open`.
pub(super) fn comment_end(s: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Words and literals inside a comment; nested comments are skipped (Sendmail's
/// `(may be forged)`), `name[ip]` splits into its name and literal.
pub(super) fn comment_words(s: &[u8]) -> Vec<Tok<'_>> {
    let mut out = Vec::with_capacity((s.len() / 6).clamp(2, 32));
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
            b'(' => i = comment_end(s, i).map_or(s.len(), |e| e + 1),
            b'[' => match s[i + 1..].iter().position(|&b| b == b']') {
                Some(p) => {
                    out.push(Tok::Literal(&s[i + 1..i + 1 + p]));
                    i += p + 2;
                }
                None => i = s.len(),
            },
            _ => {
                let start = i;
                while i < s.len()
                    && !matches!(s[i], b' ' | b'\t' | b'\r' | b'\n' | b',' | b'(' | b'[')
                {
                    i += 1;
                }
                out.push(Tok::Word(&s[start..i]));
            }
        }
    }
    out
}

pub(super) fn is(word: &[u8], keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword.as_bytes())
}

/// Clause keywords that end the from-clause.
fn ends_from_clause(word: &[u8]) -> bool {
    ["by", "via", "with", "id", "for"]
        .iter()
        .any(|k| is(word, k))
}

pub(super) fn is_greeting(word: &[u8]) -> bool {
    // vger.kernel.org quotes the command it was given: `"EHLO name"`.
    let word = word.strip_prefix(b"\"").unwrap_or(word);
    ["helo", "ehlo", "lhlo"].iter().any(|k| is(word, k))
}

/// The text of an address literal as an IP: `IPv6:` prefix, a `%zone` and a `:port` dropped.
pub(super) fn literal_ip(text: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(text).ok()?;
    let text = text.trim().trim_matches(|c| c == '(' || c == ')').trim();
    let text = match text.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("ipv6:") => &text[5..],
        _ => text,
    };
    bare_ip(text)
}

/// An address written without brackets: `1.2.3.4`, `1.2.3.4:587`, `2001:db8::1`, `fe80::1%6`.
fn bare_ip(text: &str) -> Option<IpAddr> {
    let text = text.split('%').next().unwrap_or(text);
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    let (host, port) = text.rsplit_once(':')?;
    let v4 = host.parse::<std::net::Ipv4Addr>().ok()?;
    port.bytes()
        .all(|b| b.is_ascii_digit())
        .then_some(IpAddr::V4(v4))
}

/// A word that may be a reverse-DNS name: LDH labels with at least one dot, not an address.
fn rdns_name(word: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(word).ok()?;
    let text = text.trim_start_matches('<').trim_end_matches('>');
    let ldh = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    let alpha = text.bytes().any(|b| b.is_ascii_alphabetic());
    (ldh && alpha
        && text.contains('.')
        && text.parse::<IpAddr>().is_err()
        && !text.starts_with('.'))
    .then(|| text.to_string())
}

pub(super) fn text(word: &[u8]) -> String {
    String::from_utf8_lossy(word).into_owned()
}

/// A host written as an address literal: the address when it is one, else `[text]`.
pub(super) fn literal_text(l: &[u8]) -> String {
    literal_ip(l).map_or_else(|| format!("[{}]", text(l)), |ip| ip.to_string())
}

/// A `by` host as written, without the `<>` or trailing `,` some MTAs add.
pub(super) fn host_word(w: &[u8]) -> String {
    text(w)
        .trim_start_matches('<')
        .trim_end_matches([',', '>'])
        .to_string()
}

/// One comment of the from-clause: its addresses (in order, with the name written before a
/// literal) and its HELO claim. Nothing after a HELO/EHLO/LHLO or `helo=` marker counts as
/// an address: that text is the sender's.
struct CommentFacts {
    addresses: Vec<(IpAddr, Option<String>)>,
    helo: Option<String>,
    /// A name standing alone or before a non-address literal (`(host.example)`,
    /// `(host.example [local])`).
    name_only: Option<String>,
}

fn comment_facts(inner: &[u8]) -> CommentFacts {
    let words = comment_words(inner);
    let mut facts = CommentFacts {
        addresses: Vec::new(),
        helo: None,
        name_only: None,
    };
    let mut previous: Option<&[u8]> = None;
    let mut k = 0;
    while k < words.len() {
        match words[k] {
            Tok::Word(w) if is_greeting(w) => {
                facts.helo = match words.get(k + 1) {
                    Some(Tok::Word(h)) => Some(text(h.strip_suffix(b"\"").unwrap_or(h))),
                    Some(Tok::Literal(l)) => Some(literal_text(l)),
                    _ => None,
                };
                break;
            }
            Tok::Word(w) if w.len() >= 5 && is(&w[..5], "helo=") => {
                let rest = &w[5..];
                facts.helo = if rest.is_empty() {
                    match words.get(k + 1) {
                        Some(Tok::Literal(l)) => Some(literal_text(l)),
                        _ => None,
                    }
                } else {
                    Some(text(rest))
                };
                break;
            }
            Tok::Literal(l) => {
                // `ident=[...]` and the like are not addresses of the client.
                let after_key = previous.is_some_and(|p| p.ends_with(b"="));
                match literal_ip(l) {
                    Some(ip) if !after_key => {
                        facts.addresses.push((ip, previous.and_then(rdns_name)));
                    }
                    _ => {
                        if facts.name_only.is_none() {
                            facts.name_only = previous.and_then(rdns_name);
                        }
                    }
                }
                previous = None;
            }
            Tok::Word(w) => {
                let bare = std::str::from_utf8(w).ok().and_then(|t| {
                    // qmail writes `(ident@ip)`.
                    let t = t.rsplit_once('@').map_or(t, |(_, ip)| ip);
                    bare_ip(t)
                });
                match bare {
                    Some(ip) if !w.contains(&b'=') => facts.addresses.push((ip, None)),
                    _ => {}
                }
                previous = Some(w);
            }
            Tok::Comment(_) => {}
        }
        k += 1;
    }
    if let ([Tok::Word(w)], None) = (words.as_slice(), &facts.name_only) {
        facts.name_only = rdns_name(w);
    }
    facts
}

/// Read the client part of a Received field value.
pub(crate) fn parse(value: &[u8]) -> Client {
    let mut client = Client::default();
    let Some(toks) = tokens(value) else {
        client.unbalanced = true;
        return client;
    };
    client.by_host = toks.windows(2).find_map(|w| match w {
        [Tok::Word(b), Tok::Word(h)] if is(b, "by") => Some(host_word(h)),
        [Tok::Word(b), Tok::Literal(l)] if is(b, "by") => Some(literal_text(l)),
        _ => None,
    });
    let mut clause: &[Tok] = match toks
        .iter()
        .position(|t| matches!(t, Tok::Word(w) if is(w, "from")))
    {
        Some(p) => &toks[p + 1..],
        None => match toks.first() {
            // `(from host [ip]) by ...` (some gateways put the whole clause in a comment).
            Some(Tok::Comment(inner)) => {
                let words = comment_words(inner);
                if matches!(words.first(), Some(Tok::Word(w)) if is(w, "from")) {
                    return from_comment(client, inner);
                }
                return client;
            }
            _ => return client,
        },
    };
    let mut from_literal = None;
    match clause.first() {
        Some(Tok::Literal(l)) => {
            from_literal = literal_ip(l);
            clause = &clause[1..];
        }
        Some(Tok::Word(w)) if !ends_from_clause(w) => clause = &clause[1..],
        _ => {}
    }
    let mut addresses: Vec<(IpAddr, Option<String>)> = Vec::new();
    let mut name_only = None;
    for tok in clause {
        match *tok {
            Tok::Word(w) if ends_from_clause(w) => break,
            Tok::Word(_) => {}
            Tok::Literal(l) => {
                if let Some(ip) = literal_ip(l) {
                    addresses.push((ip, None));
                }
            }
            Tok::Comment(inner) => {
                let facts = comment_facts(inner);
                if client.helo.is_none() {
                    client.helo = facts.helo;
                }
                if name_only.is_none() {
                    name_only = facts.name_only;
                }
                addresses.extend(facts.addresses);
            }
        }
    }
    settle(&mut client, addresses, from_literal);
    if client.rdns.is_none() {
        client.rdns = name_only;
    }
    client
}

/// The whole from-clause inside a leading comment: `(from localhost [24.180.47.240])`.
fn from_comment(mut client: Client, inner: &[u8]) -> Client {
    let facts = comment_facts(inner);
    client.helo = facts.helo;
    settle(&mut client, facts.addresses, None);
    client
}

/// The last address is the client's (the MTA writes its TCP-info after any HELO text it
/// quotes); several distinct ones are recorded for an anomaly.
fn settle(
    client: &mut Client,
    addresses: Vec<(IpAddr, Option<String>)>,
    from_literal: Option<IpAddr>,
) {
    let mut distinct: Vec<IpAddr> = Vec::new();
    for (ip, _) in &addresses {
        if !distinct.contains(ip) {
            distinct.push(*ip);
        }
    }
    if distinct.len() > 1 {
        client.conflicting = distinct;
    }
    match addresses.into_iter().last() {
        Some((ip, rdns)) => {
            client.ip = Some((ip, IpSource::TcpInfo));
            client.rdns = rdns;
        }
        None => client.ip = from_literal.map(|ip| (ip, IpSource::FromLiteral)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(value: &str) -> Option<String> {
        parse(value.as_bytes()).ip.map(|(ip, _)| ip.to_string())
    }

    #[test]
    fn client_ip_per_format() {
        let cases = [
            // Exim: the literal is Exim's; the HELO literal is the sender's claim.
            (
                "from [203.0.113.66] (helo=[IPv6:2001:db8:25::1]) by mx with esmtp",
                "203.0.113.66",
            ),
            (
                "from mail.example ([203.0.113.66]:4711 helo=[192.0.2.1]) by mx",
                "203.0.113.66",
            ),
            // Postfix / Sendmail: the from-host is the HELO.
            (
                "from [192.0.2.1] (unknown [203.0.113.66]) by mx (Postfix)",
                "203.0.113.66",
            ),
            (
                "from x (h.example [IPv6:2001:db8::5] (may be forged)) by mx",
                "2001:db8::5",
            ),
            // qmail: (HELO x) is the claim, (ident@ip) the TCP-info.
            (
                "from unknown (HELO [192.0.2.1]) (joe@203.0.113.66) by mx",
                "203.0.113.66",
            ),
            // Exchange.
            (
                "from EX1.corp.example (10.0.0.1) by EX2.corp.example (10.0.0.2) with Microsoft SMTP Server",
                "10.0.0.1",
            ),
            (
                "from A.prod.outlook.com ([fe80::1%6]) by B with mapi",
                "fe80::1",
            ),
            // A HELO with brackets and parentheses of its own: the MTA's TCP-info is last.
            (
                "from [192.0.2.1] ([192.0.2.2]) (unknown [203.0.113.66]) by mx",
                "203.0.113.66",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(ip(value).as_deref(), Some(want), "{value}");
        }
        assert_eq!(
            ip("from [192.0.2.1] (HELO x (unknown [203.0.113.66]) by mx"),
            None
        );
        assert_eq!(ip("(qmail 12345 invoked from network); 1 Jan 2026"), None);
        assert_eq!(ip("from a (HELO x [192.0.2.9]) by mx"), None);
    }

    #[test]
    fn names() {
        let c = parse(b"from helo.example (rdns.example [203.0.113.5]) by mx.example (Postfix)");
        assert_eq!(c.rdns.as_deref(), Some("rdns.example"));
        assert_eq!(c.by_host.as_deref(), Some("mx.example"));
        let c = parse(b"from unknown (HELO mail.sender.example) (198.51.100.77) by mx by other");
        assert_eq!(c.helo.as_deref(), Some("mail.sender.example"));
        assert_eq!(c.by_host.as_deref(), Some("mx"));
    }
}
