//! The message as verifiers see it: header fields in order with their raw bytes (what DKIM and
//! ARC sign), the body, and the few parsed values the report names (From, Subject, ...).

pub mod author;
pub mod coverage;
pub mod info;
pub mod input;
mod lookalike;
pub mod mbox;
pub mod walk;

use std::borrow::Cow;

use mail_parser::parsers::MessageStream;
use mail_parser::{Addr, Address, HeaderValue};

/// One header field exactly as it stands in the message.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// The field name as written (no trailing white space).
    pub name: &'a [u8],
    /// Everything after the colon, folding and the final CRLF included.
    pub value: &'a [u8],
    /// The whole field: name, colon, value, final CRLF.
    pub raw: &'a [u8],
}

impl Field<'_> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value unfolded and trimmed, for display and tag parsing.
    pub fn text(&self) -> String {
        // Sized up front: collecting a filter grows from 8 octets by doubling, seven
        // reallocations for a DKIM-Signature.
        let mut unfolded = Vec::with_capacity(self.value.len());
        unfolded.extend(
            self.value
                .iter()
                .copied()
                .filter(|&b| b != b'\r' && b != b'\n'),
        );
        // One allocation when the value is UTF-8 and needs no trimming (most fields): this
        // runs for every DKIM-Signature, Received and Return-Path field of every message.
        let text = String::from_utf8(unfolded)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let trimmed = text.trim();
        if trimmed.len() == text.len() {
            text
        } else {
            trimmed.to_string()
        }
    }
}

#[derive(Debug)]
pub struct Message<'a> {
    pub fields: Vec<Field<'a>>,
    pub body: &'a [u8],
    /// Places where other parsers would see a different From field than we do.
    pub ambiguities: Vec<HeaderAmbiguity>,
}

/// The author domain DMARC evaluates (RFC 7489 §3.1: the From field's domain), or why there is
/// none to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    /// Exactly one author domain.
    Domain(String),
    /// No single author domain can be named.
    Problem(AuthorProblem),
}

pub use author::{AuthorProblem, Mailbox};

/// Why input is not a message.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// No bytes at all.
    #[error("the input is empty")]
    Empty,
    /// The first line is not a header field, so this is not an RFC 5322 message.
    #[error("the input does not start with a header field (line 1 is not 'Name: value')")]
    NoHeader,
}

/// Bare LF line ends become CRLF (the wire form every signature was computed over); input that
/// already uses CRLF is borrowed unchanged.
pub fn to_crlf(input: &[u8]) -> Cow<'_, [u8]> {
    if !has_bare_lf(input) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() + input.len() / 32);
    for (i, &b) in input.iter().enumerate() {
        if b == b'\n' && (i == 0 || input[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    Cow::Owned(out)
}

/// A place where parsers disagree on where the header's fields begin and end, such that a
/// client may see a From field that we do not, or the reverse (RFC 5322 §2.2, §3.6, §4.5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderAmbiguity {
    /// A CR not followed by LF: some clients end the line there.
    #[error(
        "header line {line} has a bare CR followed by a From field that some clients see and we do not"
    )]
    BareCr { line: usize },
    /// `From` then a line break then `:`.
    #[error(
        "header line {line} folds the name From before its colon: clients that unfold first see a From field, RFC 5322 does not"
    )]
    FoldedName { line: usize },
    /// A continuation line of white space only, with a From field below it.
    #[error(
        "header line {line} holds only white space: clients that end the header there read the From field below it as body text"
    )]
    BlankLookingLine { line: usize },
}

/// Whether `s` starts with `From` *WSP `:` (a From field, obsolete spacing included).
fn starts_from_field(s: &[u8]) -> bool {
    s.len() >= 4
        && s[..4].eq_ignore_ascii_case(b"from")
        && s[4..]
            .iter()
            .find(|&&b| b != b' ' && b != b'\t')
            .is_some_and(|&b| b == b':')
}

fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| (33..=126).contains(&b) && b != b':')
}

impl<'a> Message<'a> {
    /// Split a CRLF message into header fields and body. An mbox `From ` line at the top is
    /// skipped (but `From : x` is a field, RFC 5322 obs-optional); a header line without a
    /// colon is kept out of the fields (it signs nothing). Places where other parsers would
    /// see a different From field are recorded in `ambiguities`.
    pub fn parse(wire: &'a [u8]) -> Result<Message<'a>, MessageError> {
        if wire.iter().all(u8::is_ascii_whitespace) {
            return Err(MessageError::Empty);
        }
        let mut pos = 0;
        let mut line_no = 1;
        if wire.starts_with(b"From ") && !starts_from_field(wire) {
            pos = line_end(wire, 0);
            line_no += 1;
        }
        // Room for a usual header (one allocation instead of three); more grows as needed.
        let mut fields = Vec::with_capacity(16);
        let mut ambiguities = Vec::new();
        let mut blank_looking: Option<usize> = None;
        let mut body_start = wire.len();
        while pos < wire.len() {
            let end = line_end(wire, pos);
            let line = &wire[pos..end];
            if line == b"\r\n" || line == b"\n" {
                body_start = end;
                break;
            }
            let first_line = line_no;
            // A field runs on over continuation lines (starting with SP or HT).
            let mut field_end = end;
            line_no += 1;
            while field_end < wire.len() && matches!(wire[field_end], b' ' | b'\t') {
                let next = line_end(wire, field_end);
                if wire[field_end..next].iter().all(u8::is_ascii_whitespace)
                    && blank_looking.is_none()
                {
                    blank_looking = Some(line_no);
                }
                field_end = next;
                line_no += 1;
            }
            let raw = &wire[pos..field_end];
            for (i, _) in raw
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\r' && raw.get(i + 1) != Some(&b'\n'))
            {
                if starts_from_field(&raw[i + 1..]) {
                    ambiguities.push(HeaderAmbiguity::BareCr { line: first_line });
                }
            }
            if let Some(colon) = raw.iter().position(|&b| b == b':') {
                let name = trim_end(&raw[..colon]);
                if valid_name(name) {
                    if let Some(line) = blank_looking
                        && name.eq_ignore_ascii_case(b"from")
                    {
                        ambiguities.push(HeaderAmbiguity::BlankLookingLine { line });
                    }
                    fields.push(Field {
                        name,
                        value: &raw[colon + 1..],
                        raw,
                    });
                } else {
                    let unfolded: Vec<u8> = name
                        .iter()
                        .copied()
                        .filter(|b| !b.is_ascii_whitespace())
                        .collect();
                    if unfolded.eq_ignore_ascii_case(b"from") {
                        ambiguities.push(HeaderAmbiguity::FoldedName { line: first_line });
                    }
                }
            }
            pos = field_end;
        }
        if fields.is_empty() {
            return Err(MessageError::NoHeader);
        }
        Ok(Message {
            fields,
            body: &wire[body_start.min(wire.len())..],
            ambiguities,
        })
    }

    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Field<'a>> + 's {
        self.fields.iter().filter(move |f| f.is(name))
    }

    pub fn first(&self, name: &str) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.is(name))
    }

    /// Every address of every From field, with its display name, as a reader would see them:
    /// our strict parse when it succeeds, else mail-parser's lenient reading (for display only;
    /// DMARC gets a problem then, see `author_and_addresses`).
    pub fn author_addresses(&self) -> Vec<(Option<String>, String)> {
        let mut out = Vec::new();
        for field in self.all("From") {
            if let Ok(list) = author::mailboxes(field.value) {
                out.extend(list.into_iter().map(|m| (m.display, m.address)));
                continue;
            }
            match MessageStream::new(field.value).parse_address() {
                HeaderValue::Address(Address::List(list)) => {
                    out.extend(list.iter().map(addr_text));
                }
                HeaderValue::Address(Address::Group(groups)) => {
                    for g in &groups {
                        out.extend(g.addresses.iter().map(addr_text));
                    }
                }
                _ => out.push((None, String::new())),
            }
        }
        out
    }

    /// The author domain (RFC 7489 §3.1) in its A-label form, read strictly: exactly one From
    /// field, parsed as an RFC 5322 mailbox-list whose mailboxes share one domain, in a header
    /// whose field boundaries every parser agrees on. Anything else is a problem. With it,
    /// `author_addresses`, From parsed once when it is one field that parses strictly (the
    /// usual case: then its mailboxes are the addresses).
    pub fn author_and_addresses(&self) -> (Author, Vec<(Option<String>, String)>) {
        match self.author_mailboxes() {
            Ok(list) => (
                author_of(&list),
                list.into_iter().map(|m| (m.display, m.address)).collect(),
            ),
            Err(p) => (Author::Problem(p), self.author_addresses()),
        }
    }

    /// The mailboxes of the one From field, all of one domain (at least one).
    pub fn author_mailboxes(&self) -> Result<Vec<Mailbox>, AuthorProblem> {
        if let Some(a) = self.ambiguities.first() {
            return Err(AuthorProblem::Ambiguous(a.clone()));
        }
        let fields: Vec<&Field> = self.all("From").collect();
        let field = match fields.as_slice() {
            [] => return Err(AuthorProblem::NoFrom),
            [one] => one,
            many => return Err(AuthorProblem::SeveralFields(many.len())),
        };
        let list = author::mailboxes(field.value)?;
        let mut domains: Vec<String> = Vec::new();
        for m in &list {
            let d = author::a_label(&m.domain).unwrap_or_else(|_| m.domain.clone());
            if !domains.contains(&d) {
                domains.push(d);
            }
        }
        match domains.len() {
            0 => Err(AuthorProblem::NoFrom),
            1 => Ok(list),
            _ => Err(AuthorProblem::SeveralDomains {
                count: list.len(),
                domains,
            }),
        }
    }

    pub fn subject(&self) -> Option<String> {
        let field = self.first("Subject")?;
        match MessageStream::new(field.value).parse_unstructured() {
            HeaderValue::Text(t) => Some(t.into_owned()),
            _ => Some(field.text()),
        }
    }

    pub fn date(&self) -> Option<mail_parser::DateTime> {
        let field = self.first("Date")?;
        match MessageStream::new(field.value).parse_date() {
            HeaderValue::DateTime(d) => Some(d),
            _ => None,
        }
    }

    /// The envelope sender from the topmost Return-Path (`<>` gives the empty string); an
    /// internationalized domain part is given in its A-label form (what DNS is asked).
    pub fn return_path(&self) -> Option<String> {
        let text = self.first("Return-Path")?.text();
        let inner = text
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        Some(match inner.rsplit_once('@') {
            Some((local, domain)) if !domain.is_ascii() => match author::a_label(domain) {
                Ok(ascii) => format!("{local}@{ascii}"),
                Err(_) => inner.to_string(),
            },
            _ => inner.to_string(),
        })
    }
}

/// The author domain of a strictly parsed From (`author_mailboxes`: at least one mailbox,
/// all of one domain) in its A-label form.
fn author_of(list: &[Mailbox]) -> Author {
    match author::a_label(&list[0].domain) {
        Ok(ascii) => Author::Domain(ascii),
        Err(reason) => Author::Problem(AuthorProblem::BadDomain {
            domain: list[0].domain.clone(),
            reason: reason.to_string(),
        }),
    }
}

fn addr_text(a: &Addr<'_>) -> (Option<String>, String) {
    (
        a.name.as_deref().map(str::to_string),
        a.address.as_deref().unwrap_or("").trim().to_string(),
    )
}

fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Index just past the line starting at `pos` (past its LF, or the end of input).
fn line_end(data: &[u8], pos: usize) -> usize {
    match memchr(b'\n', &data[pos..]) {
        Some(i) => pos + i + 1,
        None => data.len(),
    }
}

/// The first `needle` in `hay`. Eight octets at a time (SWAR): batch scans every octet of
/// every message for line ends, and a byte-at-a-time loop was a visible share of its run.
pub(crate) fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_le_bytes(word) ^ pattern;
        // The lowest set bit marks the first zero octet of x exactly (borrows only run upward).
        let zero = x.wrapping_sub(LO) & !x & HI;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|p| at + p)
}

/// Whether some LF in `input` is not preceded by CR.
fn has_bare_lf(input: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = memchr(b'\n', &input[from..]) {
        let at = from + i;
        if at == 0 || input[at - 1] != b'\r' {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The domain of an address (after the last `@`), lower-cased; None when there is none.
pub fn domain_of(address: &str) -> Option<String> {
    let (_, domain) = address.rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.');
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_fields_keep_their_raw_bytes() {
        let wire = b"From: a@example.com\r\nSubject: one\r\n two\r\n\r\nbody\r\n";
        let m = Message::parse(wire).expect("parses");
        assert_eq!(m.fields.len(), 2);
        assert_eq!(m.fields[1].raw, b"Subject: one\r\n two\r\n");
        assert_eq!(m.body, b"body\r\n");
    }

    #[test]
    fn garbage_is_not_a_message() {
        assert!(matches!(
            Message::parse(b"\x00\x01binary\r\n"),
            Err(MessageError::NoHeader)
        ));
        assert!(matches!(Message::parse(b""), Err(MessageError::Empty)));
    }

    /// The word-at-a-time search finds the first occurrence wherever it falls in or across
    /// the eight-octet words, and none when there is none.
    #[test]
    fn memchr_finds_the_first_occurrence() {
        let hay: Vec<u8> = (0..40u8).map(|i| b'a' + i % 20).collect();
        for needle in 0..=255u8 {
            for start in 0..hay.len() {
                let h = &hay[start..];
                assert_eq!(memchr(needle, h), h.iter().position(|&b| b == needle));
            }
        }
        assert_eq!(memchr(b'\n', b"\x8a\x0b\n"), Some(2));
        assert_eq!(memchr(0, &[1, 1, 1, 1, 1, 1, 1, 1, 1, 0]), Some(9));
    }

    #[test]
    fn lf_becomes_crlf_only_where_bare() {
        assert_eq!(to_crlf(b"a\nb\r\n").as_ref(), b"a\r\nb\r\n");
        assert!(matches!(to_crlf(b"a\r\n"), Cow::Borrowed(_)));
        assert_eq!(to_crlf(b"\nx").as_ref(), b"\r\nx");
        assert!(matches!(
            to_crlf(b"0123456789\r\n0123456789abcdef\r\n"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            to_crlf(b"0123456789\r\n0123456789abcdef\n").as_ref(),
            b"0123456789\r\n0123456789abcdef\r\n"
        );
    }
}
