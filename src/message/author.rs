//! The author of a message (RFC 5322 §3.4, §3.6.2; RFC 7489 §3.1, §6.6.1): the From field
//! parsed strictly as a mailbox-list, so that the domain DMARC evaluates is the one a mail
//! client shows. Anything a client could display differently from what we would evaluate
//! (extra text around the address, several domains, groups, source routes, an address hidden
//! in a comment or an encoded-word) is a problem, never a guess.

use mail_parser::HeaderValue;
use mail_parser::parsers::MessageStream;

/// One mailbox of the From field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name as a client shows it (encoded-words decoded), if any.
    pub display: Option<String>,
    /// `local@domain` as written.
    pub address: String,
    /// The domain as written, lower-cased.
    pub domain: String,
}

/// Why the From field does not name exactly one author domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorProblem {
    /// No From field, or one without a mailbox.
    #[error("no From address: DMARC needs exactly one")]
    NoFrom,
    /// The one address has no domain.
    #[error("the From address {0:?} has no domain")]
    NoDomain(String),
    /// More than one From field (RFC 5322 allows one).
    #[error("{0} From fields: RFC 5322 allows exactly one, and clients differ in which they show")]
    SeveralFields(usize),
    /// Mailboxes of different domains (RFC 7489 §6.6.1).
    #[error("{count} From addresses of {} different domains ({}): DMARC needs exactly one author domain", .domains.len(), .domains.join(", "))]
    SeveralDomains {
        /// How many mailboxes the From field holds.
        count: usize,
        /// The distinct domains, in the order they appear (A-labels where they have one).
        domains: Vec<String>,
    },
    /// A quoted local-part holding an address (`"ceo@victim"@evil`).
    #[error(
        "the From local-part {0:?} contains an '@': clients may show the part before it as the address"
    )]
    LocalPartAt(String),
    /// Group syntax (`name: a@b;`).
    #[error(
        "From uses group syntax: RFC 5322 §3.6.2 requires mailboxes, and clients show groups differently"
    )]
    Group,
    /// An obsolete source route (`<@relay:user@domain>`).
    #[error("From uses an obsolete source route (<@host:...>): clients may show another address")]
    Route,
    /// A domain literal (`user@[192.0.2.1]`).
    #[error("the From domain is an address literal [{0}]: DMARC needs a domain name")]
    DomainLiteral(String),
    /// Text that is not a mailbox-list.
    #[error(
        "From does not parse as an RFC 5322 mailbox-list ({what} at offset {at}): clients may show another address than the one we would evaluate"
    )]
    Syntax {
        /// What was expected or found there.
        what: &'static str,
        /// The byte offset in the field value where parsing stopped.
        at: usize,
    },
    /// A comment that carries an address.
    #[error("a comment in From carries an address ({0:?}): clients may show it as the sender")]
    AddressInComment(String),
    /// An encoded-word that decodes to text with an address.
    #[error(
        "an encoded-word in From decodes to an address ({0:?}): clients may show it as the sender"
    )]
    EncodedAddress(String),
    /// The domain is not a valid (internationalized) domain name.
    #[error("the From domain {domain:?} is not a valid domain name ({reason})")]
    BadDomain {
        /// The domain as written.
        domain: String,
        /// Why it has no A-label form.
        reason: String,
    },
    /// The header's field boundaries are read differently by different parsers.
    #[error("the header is ambiguous: {0}")]
    Ambiguous(#[from] super::HeaderAmbiguity),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// atext run (UTF-8 allowed, RFC 6532).
    Atom(String),
    Quoted(String),
    Literal(String),
    Special(u8),
}

/// Tokens with their offsets, and the comments' texts.
type Lexed = (Vec<(usize, Tok)>, Vec<String>);

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    comments: Vec<String>,
}

fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b) || b >= 0x80
}

impl Lexer<'_> {
    fn err<T>(&self, what: &'static str) -> Result<T, AuthorProblem> {
        Err(AuthorProblem::Syntax { what, at: self.pos })
    }

    fn comment(&mut self) -> Result<(), AuthorProblem> {
        let start = self.pos + 1;
        let mut depth = 0usize;
        while self.pos < self.s.len() {
            match self.s[self.pos] {
                b'\\' => self.pos += 1,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                        self.comments.push(text);
                        self.pos += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        self.err("an unterminated comment")
    }

    fn delimited(&mut self, close: u8, what: &'static str) -> Result<String, AuthorProblem> {
        let mut out = Vec::new();
        self.pos += 1;
        while self.pos < self.s.len() {
            let b = self.s[self.pos];
            self.pos += 1;
            match b {
                b'\\' if self.pos < self.s.len() => {
                    out.push(self.s[self.pos]);
                    self.pos += 1;
                }
                b'\r' | b'\n' => {}
                _ if b == close => return Ok(String::from_utf8_lossy(&out).into_owned()),
                _ => out.push(b),
            }
        }
        self.err(what)
    }

    fn run(mut self) -> Result<Lexed, AuthorProblem> {
        let mut toks = Vec::with_capacity((self.s.len() / 4).clamp(4, 64));
        while self.pos < self.s.len() {
            let at = self.pos;
            match self.s[self.pos] {
                b'\r' if self.s.get(self.pos + 1) != Some(&b'\n') => {
                    return self.err("a bare CR");
                }
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'(' => self.comment()?,
                b'"' => {
                    let q = self.delimited(b'"', "an unterminated quoted string")?;
                    toks.push((at, Tok::Quoted(q)));
                }
                b'[' => {
                    let l = self.delimited(b']', "an unterminated domain literal")?;
                    toks.push((at, Tok::Literal(l)));
                }
                b'<' | b'>' | b'@' | b',' | b':' | b';' | b'.' => {
                    toks.push((at, Tok::Special(self.s[self.pos])));
                    self.pos += 1;
                }
                b if is_atext(b) => {
                    while self.pos < self.s.len() && is_atext(self.s[self.pos]) {
                        self.pos += 1;
                    }
                    let text = std::str::from_utf8(&self.s[at..self.pos]);
                    match text {
                        Ok(t) => toks.push((at, Tok::Atom(t.to_string()))),
                        Err(_) => return self.err("invalid UTF-8"),
                    }
                }
                _ => return self.err("a character that may not appear here"),
            }
        }
        Ok((toks, self.comments))
    }
}

fn lex(value: &[u8]) -> Result<Lexed, AuthorProblem> {
    Lexer {
        s: value,
        pos: 0,
        comments: Vec::new(),
    }
    .run()
}

/// Decoded text of a phrase or quoted string as a client shows it (RFC 2047 encoded-words).
fn decoded(text: &str) -> String {
    if !text.contains("=?") {
        return text.to_string();
    }
    // mail-parser reads a field value up to its line end.
    let line = format!("{text}\r\n");
    match MessageStream::new(line.as_bytes()).parse_unstructured() {
        HeaderValue::Text(t) => t.trim().to_string(),
        _ => text.to_string(),
    }
}

/// Whether text a client displays contains something shaped like an address.
fn carries_address(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || "<>()\"',;:[]".contains(c))
        .any(|w| {
            w.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        })
}

/// The domain of an address-shaped word in display text when it is not `author` (A-label
/// comparison): a display name such as "ceo@bank.example" beside another domain's address.
pub fn carries_address_of(text: &str, author: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || "<>()\"',;:[]".contains(c))
        .filter_map(|w| w.rsplit_once('@'))
        .filter(|(l, d)| !l.is_empty() && d.contains('.'))
        .map(|(_, d)| a_label(d).unwrap_or_else(|_| d.to_lowercase()))
        .find(|d| d != author)
}

/// The tokens of one list element, split at top-level commas (none inside `<...>`).
fn elements(toks: &[(usize, Tok)]) -> Vec<&[(usize, Tok)]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut angle = false;
    for (i, (_, t)) in toks.iter().enumerate() {
        match t {
            Tok::Special(b'<') => angle = true,
            Tok::Special(b'>') => angle = false,
            Tok::Special(b',') if !angle => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&toks[start..]);
    out
}

fn syntax(toks: &[(usize, Tok)], i: usize, what: &'static str) -> AuthorProblem {
    AuthorProblem::Syntax {
        what,
        at: toks.get(i).map_or(usize::MAX, |(at, _)| *at),
    }
}

/// `local-part "@" domain` filling the whole slice.
fn addr_spec(toks: &[(usize, Tok)]) -> Result<Mailbox, AuthorProblem> {
    let Some(at) = toks.iter().position(|(_, t)| *t == Tok::Special(b'@')) else {
        let text = toks.iter().map(|(_, t)| tok_text(t)).collect::<String>();
        return Err(AuthorProblem::NoDomain(text));
    };
    let (local, domain) = (&toks[..at], &toks[at + 1..]);
    // local-part: words separated by dots (obs-local-part allows quoted words).
    if local.is_empty() {
        return Err(syntax(toks, 0, "an empty local-part"));
    }
    for (k, (_, t)) in local.iter().enumerate() {
        let word = matches!(t, Tok::Atom(_) | Tok::Quoted(_));
        if word != (k % 2 == 0) || (!word && *t != Tok::Special(b'.')) {
            return Err(syntax(local, k, "a malformed local-part"));
        }
    }
    if local.len() % 2 == 0 {
        return Err(syntax(
            local,
            local.len() - 1,
            "a local-part ending in a dot",
        ));
    }
    let domain_text = match domain {
        [(_, Tok::Literal(l))] => return Err(AuthorProblem::DomainLiteral(l.clone())),
        [] => return Err(syntax(toks, at, "an empty domain")),
        _ => {
            let mut text = String::new();
            for (k, (_, t)) in domain.iter().enumerate() {
                match (k % 2, t) {
                    (0, Tok::Atom(a)) => text.push_str(a),
                    (1, Tok::Special(b'.')) => text.push('.'),
                    (_, Tok::Special(b'@')) => {
                        return Err(syntax(domain, k, "a second '@'"));
                    }
                    _ => return Err(syntax(domain, k, "text after the address")),
                }
            }
            if domain.len() % 2 == 0 {
                return Err(syntax(domain, domain.len() - 1, "a domain ending in a dot"));
            }
            text
        }
    };
    let local_text: String = local.iter().map(|(_, t)| tok_text(t)).collect();
    if local
        .iter()
        .any(|(_, t)| matches!(t, Tok::Quoted(q) if q.contains('@')))
    {
        return Err(AuthorProblem::LocalPartAt(local_text));
    }
    Ok(Mailbox {
        display: None,
        address: format!("{local_text}@{domain_text}"),
        domain: domain_text.to_lowercase(),
    })
}

fn tok_text(t: &Tok) -> String {
    match t {
        Tok::Atom(a) => a.clone(),
        Tok::Quoted(q) => format!("\"{q}\""),
        Tok::Literal(l) => format!("[{l}]"),
        Tok::Special(b) => char::from(*b).to_string(),
    }
}

/// One mailbox: `addr-spec` or `[display-name] "<" addr-spec ">"`.
fn mailbox(toks: &[(usize, Tok)]) -> Result<Mailbox, AuthorProblem> {
    let Some(open) = toks.iter().position(|(_, t)| *t == Tok::Special(b'<')) else {
        if toks.iter().any(|(_, t)| *t == Tok::Special(b':')) {
            return Err(AuthorProblem::Group);
        }
        let mut m = addr_spec(toks)?;
        m.display = None;
        return Ok(m);
    };
    let Some(close) = toks.iter().position(|(_, t)| *t == Tok::Special(b'>')) else {
        return Err(syntax(toks, open, "an unclosed '<'"));
    };
    if close < open {
        return Err(syntax(toks, close, "a '>' before '<'"));
    }
    if close + 1 < toks.len() {
        return Err(syntax(toks, close + 1, "text after the address"));
    }
    let phrase = &toks[..open];
    let mut words = Vec::new();
    for (k, (_, t)) in phrase.iter().enumerate() {
        match t {
            Tok::Atom(a) => words.push(a.clone()),
            Tok::Quoted(q) => words.push(q.clone()),
            // obs-phrase allows "." after the first word.
            Tok::Special(b'.') if k > 0 => words.push(".".into()),
            Tok::Special(b':') => return Err(AuthorProblem::Group),
            _ => return Err(syntax(phrase, k, "a display name that is not a phrase")),
        }
    }
    let inner = &toks[open + 1..close];
    if matches!(inner.first(), Some((_, Tok::Special(b'@')))) {
        return Err(AuthorProblem::Route);
    }
    let mut m = addr_spec(inner)?;
    m.display = (!words.is_empty()).then(|| decoded(&words.join(" ")));
    Ok(m)
}

/// Parse the value of one From field.
pub fn mailboxes(value: &[u8]) -> Result<Vec<Mailbox>, AuthorProblem> {
    let (toks, comments) = lex(value)?;
    if let Some(c) = comments.iter().find(|c| carries_address(&decoded(c))) {
        return Err(AuthorProblem::AddressInComment(c.clone()));
    }
    let mut out = Vec::new();
    for element in elements(&toks) {
        // obs-mbox-list: empty elements between commas are allowed.
        if element.is_empty() {
            continue;
        }
        out.push(mailbox(element)?);
    }
    if let Some(text) = encoded_words(value).find(|t| carries_address(t)) {
        return Err(AuthorProblem::EncodedAddress(text));
    }
    Ok(out)
}

/// Every RFC 2047 encoded-word in the raw value, decoded (wherever it stands: clients decode
/// them in quoted strings and comments too).
fn encoded_words(value: &[u8]) -> impl Iterator<Item = String> + '_ {
    let text = String::from_utf8_lossy(value).into_owned();
    let mut words = Vec::new();
    let mut rest = text.as_str();
    // `=?charset?encoding?text?=`: each part found once, left to right (linear).
    while let Some(start) = rest.find("=?") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('?').and_then(|c| {
            let enc = c + 1 + after[c + 1..].find('?')?;
            Some(enc + 1 + after[enc + 1..].find("?=")?)
        }) else {
            break;
        };
        words.push(decoded(&rest[start..start + 2 + end + 2]));
        rest = &after[end + 2..];
    }
    words.into_iter()
}

/// Why a domain from a message has no A-label form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ALabelError {
    /// UTS #46 processing (STD3 rules, DNS length limits) refuses the name.
    #[error("IDNA (UTS #46) processing rejects it")]
    Rejected,
}

/// The A-label form of a domain from a message (UTS #46 non-transitional processing, as
/// IDNA2008 resolvers look it up), or why it has none.
pub fn a_label(domain: &str) -> Result<String, ALabelError> {
    let trimmed = domain.strip_suffix('.').unwrap_or(domain);
    idna::uts46::Uts46::new()
        .to_ascii(
            trimmed.as_bytes(),
            idna::uts46::AsciiDenyList::STD3,
            idna::uts46::Hyphens::Allow,
            idna::uts46::DnsLength::Verify,
        )
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| ALabelError::Rejected)
}

/// The Unicode form of an A-label domain, when it differs.
pub fn u_label(ascii: &str) -> Option<String> {
    let (text, ok) = idna::domain_to_unicode(ascii);
    (ok.is_ok() && text != ascii).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains(v: &str) -> Result<Vec<String>, AuthorProblem> {
        mailboxes(v.as_bytes()).map(|m| m.into_iter().map(|m| m.domain).collect())
    }

    #[test]
    fn one_mailbox_forms() {
        for v in [
            "ceo@victim.test",
            " \"The CEO\" <ceo@victim.test>",
            "CEO <ceo@victim.test> (office)",
            "John Q. Public <jqp@victim.test>",
            "\"a,b\"@victim.test",
            "=?utf-8?q?Chef?= <ceo@victim.test>",
        ] {
            assert_eq!(domains(v), Ok(vec!["victim.test".to_string()]), "{v}");
        }
    }

    #[test]
    fn anything_else_is_a_problem() {
        for v in [
            "<ceo@victim.test> bob@evil.test",
            "ceo@victim.test@evil.test",
            "ceo@victim.test bob@evil.test",
            "<ceo@victim.test",
            "Team: ceo@victim.test;",
            "<@evil.test:ceo@victim.test>",
            "ceo@[192.0.2.1]",
            "x@evil.test (ceo@victim.test)",
            "=?utf-8?q?ceo=40victim.test?= <x@evil.test> (=?utf-8?q?ceo=40victim.test?=)",
            "ceo",
        ] {
            assert!(domains(v).is_err(), "{v}: {:?}", domains(v));
        }
        assert_eq!(
            domains("=?utf-8?q?x?= <a@evil.test>, b@victim.test"),
            Ok(vec!["evil.test".into(), "victim.test".into()])
        );
    }

    #[test]
    fn quoted_local_part_with_at() {
        assert!(matches!(
            mailboxes(b"\"ceo@victim.test\"@evil.test"),
            Err(AuthorProblem::LocalPartAt(_))
        ));
        assert!(mailboxes(b"a@victim.test\rFrom: b@evil.test").is_err());
    }

    #[test]
    fn idna() {
        assert_eq!(a_label("Bücher.test").as_deref(), Ok("xn--bcher-kva.test"));
        assert_eq!(
            u_label("xn--bcher-kva.test").as_deref(),
            Some("bücher.test")
        );
        assert!(a_label("a b.test").is_err());
    }
}
