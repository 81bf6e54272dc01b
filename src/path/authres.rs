//! Existing Authentication-Results and ARC-Authentication-Results fields (RFC 8601 §2.2,
//! RFC 8617 §4.1.1): parsed strictly, marked trusted or not, and compared with our results.
//!
//! Leniencies, each seen in the wild: a trailing ';', an authserv-id with nothing after it
//! (read as "no results"), and `_` / `.` inside method and result keywords.

use serde::Serialize;

use crate::common::AuthResult;
use crate::common::clip;
use crate::message::Message;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Property {
    pub ptype: String,
    pub property: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clause {
    pub method: String,
    pub method_version: Option<u32>,
    pub result: String,
    /// The comment right after the result, e.g. "(good signature)".
    pub result_comment: Option<String>,
    pub reason: Option<String>,
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Parsed {
    /// `i=` of an ARC-Authentication-Results field.
    pub instance: Option<u32>,
    pub authserv_id: Option<String>,
    pub version: Option<u32>,
    pub results: Vec<Clause>,
}

/// What the A-R parser expected where it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Expected {
    #[error("unterminated comment")]
    CommentEnd,
    #[error("unterminated quoted string")]
    QuoteEnd,
    #[error("expected a value")]
    Value,
    #[error("expected a keyword")]
    Keyword,
    #[error("expected '{0}'")]
    Char(char),
    #[error("expected a number")]
    Number,
    #[error("expected a property value")]
    PropertyValue,
    #[error("nothing may follow 'none'")]
    NothingAfterNone,
}

/// Why an Authentication-Results value does not parse (RFC 8601 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} at offset {at}")]
pub struct ParseError {
    pub what: Expected,
    pub at: usize,
}

impl Serialize for ParseError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

fn is_tspecial(b: u8) -> bool {
    b"()<>@,;:\\\"/[]?=".contains(&b)
}

fn is_token(b: u8) -> bool {
    b > 32 && b < 127 && !is_tspecial(b)
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eof(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn err<T>(&self, what: Expected) -> Result<T, ParseError> {
        Err(ParseError { what, at: self.pos })
    }

    /// Skip white space and comments; return the comments' texts.
    fn cfws(&mut self) -> Result<Vec<String>, ParseError> {
        let mut comments = Vec::new();
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'(') => comments.push(self.comment()?),
                _ => return Ok(comments),
            }
        }
    }

    fn comment(&mut self) -> Result<String, ParseError> {
        let start = self.pos + 1;
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        let text = &self.s[start..self.pos - 1];
                        return Ok(String::from_utf8_lossy(text).trim().to_string());
                    }
                }
                _ => {}
            }
        }
        self.err(Expected::CommentEnd)
    }

    fn quoted(&mut self) -> Result<String, ParseError> {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'"' => return Ok(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    if let Some(n) = self.peek() {
                        out.push(n);
                        self.pos += 1;
                    }
                }
                b'\r' | b'\n' => {}
                _ => out.push(b),
            }
        }
        self.err(Expected::QuoteEnd)
    }

    /// RFC 2045 value: token or quoted-string.
    fn value(&mut self) -> Result<String, ParseError> {
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        let start = self.pos;
        while self.peek().is_some_and(is_token) {
            self.pos += 1;
        }
        if start == self.pos {
            return self.err(Expected::Value);
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    /// Keyword (RFC 5321 Ldh-str) with `_` tolerated; `dotted` also takes `.` (method and
    /// result names such as Gmail's `gateway.spf`; never in ptype.property).
    fn keyword(&mut self, dotted: bool) -> Result<String, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| {
            b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (dotted && b == b'.')
        }) {
            self.pos += 1;
        }
        let word = &self.s[start..self.pos];
        if word.is_empty() || !word[0].is_ascii_alphanumeric() {
            self.pos = start;
            return self.err(Expected::Keyword);
        }
        Ok(String::from_utf8_lossy(word).into_owned())
    }

    fn expect(&mut self, b: u8) -> Result<(), ParseError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(Expected::Char(char::from(b)))
        }
    }

    fn number(&mut self) -> Result<u32, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()
            .and_then(|d| d.parse().ok())
            .map_or_else(|| self.err(Expected::Number), Ok)
    }

    /// pvalue: a quoted-string, or `[local-part] "@" domain` / a value.
    fn pvalue(&mut self) -> Result<String, ParseError> {
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b > 32 && b < 127 && !matches!(b, b';' | b'(' | b')' | b'"' | b'\\'))
        {
            self.pos += 1;
        }
        if start == self.pos {
            return self.err(Expected::PropertyValue);
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }
}

/// Parse a field value. `arc` expects the `i=N;` prefix of ARC-Authentication-Results.
pub fn parse(value: &str, arc: bool) -> Result<Parsed, ParseError> {
    let mut c = Cursor {
        s: value.as_bytes(),
        pos: 0,
    };
    let mut out = Parsed::default();
    c.cfws()?;
    if arc {
        c.expect(b'i')?;
        c.cfws()?;
        c.expect(b'=')?;
        c.cfws()?;
        out.instance = Some(c.number()?);
        c.cfws()?;
        c.expect(b';')?;
        c.cfws()?;
    }
    out.authserv_id = Some(c.value()?);
    c.cfws()?;
    if c.peek().is_some_and(|b| b.is_ascii_digit()) {
        out.version = Some(c.number()?);
        c.cfws()?;
    }
    while !c.eof() {
        c.expect(b';')?;
        c.cfws()?;
        if c.eof() {
            break;
        }
        let method = c.keyword(true)?;
        c.cfws()?;
        if method.eq_ignore_ascii_case("none") && out.results.is_empty() && c.peek() != Some(b'=') {
            if !c.eof() {
                return c.err(Expected::NothingAfterNone);
            }
            break;
        }
        let mut method_version = None;
        if c.peek() == Some(b'/') {
            c.pos += 1;
            c.cfws()?;
            method_version = Some(c.number()?);
            c.cfws()?;
        }
        c.expect(b'=')?;
        c.cfws()?;
        let result = c.keyword(true)?.to_ascii_lowercase();
        let comments = c.cfws()?;
        let mut clause = Clause {
            method: method.to_ascii_lowercase(),
            method_version,
            result,
            result_comment: comments.into_iter().next(),
            reason: None,
            properties: Vec::new(),
        };
        while !c.eof() && c.peek() != Some(b';') {
            let ptype = c.keyword(false)?;
            c.cfws()?;
            if ptype.eq_ignore_ascii_case("reason") && clause.properties.is_empty() {
                c.expect(b'=')?;
                c.cfws()?;
                clause.reason = Some(c.value()?);
                c.cfws()?;
                continue;
            }
            c.expect(b'.')?;
            c.cfws()?;
            let property = c.keyword(false)?;
            c.cfws()?;
            c.expect(b'=')?;
            c.cfws()?;
            let value = c.pvalue()?;
            c.cfws()?;
            clause.properties.push(Property {
                ptype: ptype.to_ascii_lowercase(),
                property: property.to_ascii_lowercase(),
                value,
            });
        }
        out.results.push(clause);
    }
    Ok(out)
}

/// Why an existing field is trusted or not (serialized as its sentence).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Trust {
    /// No `--authserv-id`: nothing is ours.
    #[error("not compared: give --authserv-id to trust our own fields")]
    NoAuthservId,
    /// Another authserv-id (or none).
    #[error("authserv-id {} is not ours", .0.as_deref().unwrap_or("(none)"))]
    NotOurs(Option<String>),
    /// Ours, added above the trust boundary.
    #[error("our authserv-id, added inside the trusted part")]
    Ours,
    /// Ours, but it does not parse.
    #[error("our authserv-id, but the field does not parse")]
    OursUnparseable,
    /// Our id on a field below the boundary: written by someone else.
    #[error(
        "claims our authserv-id from below the trust boundary: forged or relayed, never trusted"
    )]
    OursBelowBoundary,
}

impl Serialize for Trust {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One existing field as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FieldReport {
    /// "Authentication-Results" or "ARC-Authentication-Results".
    pub field: String,
    /// Position among all header fields (1 = topmost).
    pub position: usize,
    /// The parsed field: instance, authserv-id, version and results (flattened into this object).
    #[serde(flatten)]
    pub parsed: Parsed,
    /// Whether the field is trusted (`--authserv-id`, matching id, above the trust boundary).
    pub trusted: bool,
    /// Why it is (not) trusted.
    pub trust: Trust,
    /// Per result, in order: our own result for the same method and whether they agree
    /// (null where we have no comparable result or the field is not trusted).
    pub ours: Vec<Option<AuthResult>>,
    /// Per result, in order: whether our result agrees with it (null where there is nothing to
    /// compare).
    pub agrees: Vec<Option<bool>>,
    /// Why the field does not parse, when it does not.
    pub error: Option<ParseError>,
    /// The field as written, when it does not parse.
    pub raw: Option<String>,
}

/// Parse every A-R / ARC-A-R field. `boundary` is the position of the Received field of the
/// hop that entered the trusted part (fields above it were added on our side); `ours` is the
/// `--authserv-id` when one was given (without it nothing is trusted).
pub fn collect(msg: &Message, boundary: Option<usize>, ours: Option<&str>) -> Vec<FieldReport> {
    let mut out = Vec::new();
    for (i, f) in msg.fields.iter().enumerate() {
        let arc = f.is("ARC-Authentication-Results");
        if !arc && !f.is("Authentication-Results") {
            continue;
        }
        let position = i + 1;
        let text = String::from_utf8_lossy(f.value).into_owned();
        let (parsed, error) = match parse(&text, arc) {
            Ok(p) => (p, None),
            Err(e) => (Parsed::default(), Some(e)),
        };
        let id = parsed.authserv_id.as_deref().map(str::to_ascii_lowercase);
        let claims_ours = match (ours, &id) {
            (Some(o), Some(id)) => o.eq_ignore_ascii_case(id),
            _ => false,
        };
        let above = boundary.is_some_and(|b| position < b);
        let trust = match (ours, claims_ours, above) {
            (None, _, _) => Trust::NoAuthservId,
            (Some(_), false, _) => Trust::NotOurs(id.clone()),
            (Some(_), true, true) if error.is_none() => Trust::Ours,
            (Some(_), true, true) => Trust::OursUnparseable,
            (Some(_), true, false) => Trust::OursBelowBoundary,
        };
        let trusted = trust == Trust::Ours;
        let n = parsed.results.len();
        out.push(FieldReport {
            field: if arc {
                "ARC-Authentication-Results"
            } else {
                "Authentication-Results"
            }
            .to_string(),
            position,
            raw: error.as_ref().map(|_| clip(text.trim(), 998)),
            parsed,
            trusted,
            trust,
            ours: vec![None; n],
            agrees: vec![None; n],
            error,
        });
    }
    out
}

/// One of our DKIM results, as a claimed `dkim` clause is compared with it.
#[derive(Debug, Clone, Copy)]
pub struct OurDkim<'a> {
    /// The first characters of our b= (RFC 6008 `header.b`).
    pub header_b: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub result: AuthResult,
}

/// How many leading characters of a claimed `header.b` identify a signature (RFC 6008 §4
/// asks for at least 8).
const HEADER_B_CHARS: usize = 8;

/// Our result for a claimed `dkim` clause: the signature whose b= begins with the claimed
/// `header.b`, else the one whose d= is the claimed `header.d` (or the domain of
/// `header.i`). When we have no such signature our result is `none`, so a claimed pass we
/// cannot confirm disagrees (never "not comparable").
pub fn our_dkim(clause: &Clause, ours: &[OurDkim<'_>]) -> AuthResult {
    let prop = |p: &str| {
        clause
            .properties
            .iter()
            .find(|x| x.ptype == "header" && x.property == p)
            .map(|x| x.value.as_str())
    };
    // Compared by characters, never by byte offsets: the claim is attacker text.
    let claimed_b: Option<String> = prop("b")
        .filter(|b| !b.is_empty())
        .map(|b| b.chars().take(HEADER_B_CHARS).collect());
    let by_b = claimed_b.as_deref().and_then(|b| {
        ours.iter()
            .find(|s| s.header_b.is_some_and(|mine| mine.starts_with(b)))
    });
    let domain = prop("d").or_else(|| prop("i").and_then(|i| i.rsplit_once('@').map(|(_, d)| d)));
    let by_d = || {
        domain.and_then(|d| {
            let d = d.trim_end_matches('.');
            ours.iter().find(|s| {
                s.domain
                    .is_some_and(|m| m.trim_end_matches('.').eq_ignore_ascii_case(d))
            })
        })
    };
    by_b.or_else(by_d).map_or(AuthResult::None, |s| s.result)
}

/// Fill `ours` / `agrees` for the trusted fields; `ours` gives our result for a claimed clause
/// when we computed a comparable one.
pub fn compare(fields: &mut [FieldReport], ours: impl Fn(&Clause) -> Option<AuthResult>) {
    for f in fields.iter_mut().filter(|f| f.trusted) {
        for (k, clause) in f.parsed.results.iter().enumerate() {
            let mine = ours(clause);
            f.agrees[k] = mine.map(|o| o.word() == clause.result);
            f.ours[k] = mine;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8601_b7_comment_heavy() {
        let v = "foo.example.net (foobar) 1 (baz); dkim (Because I like it) / 1 (One yay) = (wait for it) fail policy (A dot can go here) . (like that) expired (this surprised me) = (as I wasn't expecting it) 1362471462";
        let p = parse(v, false).expect("parses");
        assert_eq!(p.authserv_id.as_deref(), Some("foo.example.net"));
        assert_eq!(p.version, Some(1));
        assert_eq!(p.results[0].method, "dkim");
        assert_eq!(p.results[0].method_version, Some(1));
        assert_eq!(p.results[0].result, "fail");
        assert_eq!(p.results[0].properties[0].property, "expired");
        assert_eq!(p.results[0].properties[0].value, "1362471462");
    }

    #[test]
    fn none_and_errors() {
        assert!(
            parse("example.org 1; none", false)
                .expect("none")
                .results
                .is_empty()
        );
        assert!(parse("example.org; spf", false).is_err());
        assert!(parse("example.org; spf=pass smtp.mailfrom", false).is_err());
        let aar = parse("i=2; mx.example; arc=pass", true).expect("aar");
        assert_eq!(aar.instance, Some(2));
    }
}
