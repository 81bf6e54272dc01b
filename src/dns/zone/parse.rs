//! The zone-file reader: RFC 1035 master-file syntax (`$ORIGIN`, `$TTL`, `@`, parentheses,
//! `\\DDD` escapes) and our `;!` failure lines.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::Zone;
use crate::dns::name::{normalize, normalize_owned};
use crate::dns::{Dnssec, Failure, Rdata, Record, RecordType};

const DEFAULT_TTL: u32 = 3600;
/// RFC 1035 §3.3: a <character-string> is one length octet and at most 255 octets.
const MAX_CHARACTER_STRING: usize = 255;

/// Why a zone file was refused; with the 1-based line number in [`ZoneError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneErrorKind {
    /// A `)` with no `(` open.
    #[error("unbalanced ')'")]
    UnbalancedClose,
    /// A `(` still open at the end of the file.
    #[error("unbalanced '(' at end of file")]
    UnbalancedOpen,
    /// A quoted string with no closing `"`.
    #[error("unterminated quoted string")]
    UnterminatedString,
    /// A malformed backslash escape in a token.
    #[error("bad escape")]
    BadEscape,
    /// A directive (named here) given without its argument.
    #[error("{0} needs an argument")]
    MissingArgument(String),
    /// A `$TTL` value that is not a number of seconds.
    #[error("bad $TTL {0:?}")]
    BadTtl(String),
    /// A `$` directive this reader does not support (named here).
    #[error("unsupported directive {0}")]
    UnsupportedDirective(String),
    /// A record with no owner name, given or carried over from an earlier line.
    #[error("record without an owner name")]
    NoOwner,
    /// A record line (for the owner named here) with no record type.
    #[error("record for {0} has no type")]
    NoType(String),
    /// A record type mnemonic this reader does not know.
    #[error("unknown record type {0:?}")]
    UnknownType(String),
    /// A `;!` failure line not of the form `;! NAME TYPE OUTCOME`.
    #[error(
        "a ';!' line is ';! NAME TYPE SERVFAIL|TIMEOUT|REFUSED|NXDOMAIN|NODATA|SECURE|INSECURE|BOGUS'"
    )]
    BadOutcomeLine,
    /// A `;!` line whose outcome word is not one of the known ones.
    #[error("unknown outcome {0:?}")]
    UnknownOutcome(String),
    /// Record data that needs a name (MX, PTR, CNAME, NS) does not give one.
    #[error("missing name")]
    MissingName,
    /// An A record's data is not an IPv4 address.
    #[error("bad IPv4 address {0:?}")]
    BadIpv4(String),
    /// An AAAA record's data is not an IPv6 address.
    #[error("bad IPv6 address {0:?}")]
    BadIpv6(String),
    /// An MX preference that is not a number from 0 to 65535.
    #[error("bad MX preference {0:?}")]
    BadMxPreference(String),
    /// A TLSA usage, selector or matching-type field that is not a number from 0 to 255.
    #[error("bad TLSA field {0:?}")]
    BadTlsaField(String),
    /// TLSA certificate data that is not hexadecimal.
    #[error("bad TLSA data {0:?}")]
    BadTlsaData(String),
    /// A record of type ANY: ANY is only a query type (allowed in `;!` lines).
    #[error("ANY is not a record type")]
    AnyIsNoType,
    /// A character-string longer than 255 octets (its length given).
    #[error(
        "a character-string of {0} octets: at most 255 (RFC 1035 §3.3); split long TXT text into \
         several quoted strings"
    )]
    StringTooLong(usize),
    /// Malformed RFC 3597 `\# len hex` data (what is wrong given).
    #[error("bad RFC 3597 generic data: {0}")]
    BadGeneric(&'static str),
}

/// A zone-file error at a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ZoneError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong on that line.
    pub kind: ZoneErrorKind,
}

type Parsed<T> = Result<T, ZoneError>;

fn at(line: usize, kind: ZoneErrorKind) -> ZoneError {
    ZoneError { line, kind }
}

/// Parse one zone file's text into `zone`. Errors carry the 1-based line number.
pub(super) fn add_text(zone: &mut Zone, text: &str) -> Parsed<()> {
    let mut parser = Parser {
        origin: String::new(),
        ttl: DEFAULT_TTL,
        last_owner: None,
    };
    for line in &logical_lines(text)? {
        parser.line(zone, line)?;
    }
    Ok(())
}

struct LogicalLine<'a> {
    number: usize,
    /// The line began with white space: the owner is the previous one.
    continues_owner: bool,
    tokens: Vec<Token<'a>>,
    directive: Option<&'a str>,
}

/// A token borrows the file's text unless an escape had to be decoded.
#[derive(Debug)]
struct Token<'a> {
    bytes: Cow<'a, [u8]>,
    quoted: bool,
    /// The token was a bare `\#`: RFC 3597 generic rdata follows.
    generic: bool,
}

impl<'a> Token<'a> {
    fn new(bytes: Cow<'a, [u8]>, quoted: bool) -> Token<'a> {
        Token {
            bytes,
            quoted,
            generic: false,
        }
    }

    /// The token as text; an escape may have produced octets that are not UTF-8.
    fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }
}

/// Split the file into logical lines: parentheses join physical lines, `;` starts a comment
/// outside quotes, `\DDD` and `\X` escapes are decoded.
fn logical_lines(text: &str) -> Parsed<Vec<LogicalLine<'_>>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<LogicalLine> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if depth == 0 {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix(";!") {
                out.push(LogicalLine {
                    number,
                    continues_owner: false,
                    tokens: Vec::new(),
                    directive: Some(rest.trim()),
                });
                continue;
            }
            current = Some(LogicalLine {
                number,
                continues_owner: line.starts_with([' ', '\t']),
                tokens: Vec::new(),
                directive: None,
            });
        }
        let Some(logical) = current.as_mut() else {
            // Unreachable: a line is always open here; refuse rather than panic.
            return Err(at(number, ZoneErrorKind::UnbalancedClose));
        };
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b' ' | b'\t' | b'\r' => i += 1,
                b';' => break,
                b'(' => {
                    depth += 1;
                    i += 1;
                }
                b')' => {
                    depth = depth
                        .checked_sub(1)
                        .ok_or(at(number, ZoneErrorKind::UnbalancedClose))?;
                    i += 1;
                }
                b'"' => {
                    let (token, next) = read_token(bytes, i + 1, true)
                        .ok_or(at(number, ZoneErrorKind::UnterminatedString))?;
                    logical.tokens.push(token);
                    i = next;
                }
                b'\\'
                    if bytes.get(i + 1) == Some(&b'#')
                        && bytes
                            .get(i + 2)
                            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r')) =>
                {
                    logical.tokens.push(Token {
                        bytes: Cow::Borrowed(b"\\#"),
                        quoted: false,
                        generic: true,
                    });
                    i += 2;
                }
                _ => {
                    let (token, next) =
                        read_token(bytes, i, false).ok_or(at(number, ZoneErrorKind::BadEscape))?;
                    logical.tokens.push(token);
                    i = next;
                }
            }
        }
        if depth == 0
            && let Some(done) = current.take()
        {
            out.push(done);
        }
    }
    if depth != 0 {
        return Err(at(text.lines().count(), ZoneErrorKind::UnbalancedOpen));
    }
    Ok(out)
}

/// Read one token from `start`; quoted tokens end at the closing quote (which is consumed).
fn read_token(bytes: &[u8], start: usize, quoted: bool) -> Option<(Token<'_>, usize)> {
    // Most tokens are one plain run, borrowed from the text; only a token with an escape is
    // copied, its run whole and the rest decoded octet by octet.
    let special = |b: &u8| match b {
        b'"' | b'\\' => true,
        b' ' | b'\t' | b'\r' | b';' | b'(' | b')' => !quoted,
        _ => false,
    };
    let rest = bytes.get(start..).unwrap_or_default();
    let run = rest.iter().position(special).unwrap_or(rest.len());
    let mut i = start + run;
    match bytes.get(i) {
        Some(b'\\') => {}
        Some(b'"') if quoted => {
            return Some((Token::new(Cow::Borrowed(&rest[..run]), true), i + 1));
        }
        None if quoted => return None,
        _ => return Some((Token::new(Cow::Borrowed(&rest[..run]), quoted), i)),
    }
    let mut out = Vec::with_capacity(run + 8);
    out.extend_from_slice(&rest[..run]);
    loop {
        let Some(&b) = bytes.get(i) else {
            return if quoted {
                None
            } else {
                Some((Token::new(Cow::Owned(out), quoted), i))
            };
        };
        match b {
            b'"' if quoted => return Some((Token::new(Cow::Owned(out), quoted), i + 1)),
            b' ' | b'\t' | b'\r' | b';' | b'(' | b')' | b'"' if !quoted => {
                return Some((Token::new(Cow::Owned(out), quoted), i));
            }
            b'\\' => {
                let digits = bytes.get(i + 1..i + 4);
                match digits {
                    Some(d) if d.iter().all(u8::is_ascii_digit) => {
                        let value: u32 = d.iter().fold(0, |acc, &c| acc * 10 + u32::from(c - b'0'));
                        out.push(u8::try_from(value).ok()?);
                        i += 4;
                    }
                    _ => {
                        out.push(*bytes.get(i + 1)?);
                        i += 2;
                    }
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
}

struct Parser {
    origin: String,
    ttl: u32,
    last_owner: Option<String>,
}

impl Parser {
    fn absolute(&self, token: &Token) -> String {
        let text = token.text();
        if text == "@" {
            return self.origin.clone();
        }
        if let Some(abs) = text.strip_suffix('.') {
            return normalize(abs);
        }
        if self.origin.is_empty() {
            normalize(&text)
        } else {
            let mut name = String::with_capacity(text.len() + 1 + self.origin.len());
            name.push_str(&text);
            name.push('.');
            name.push_str(&self.origin);
            normalize_owned(name)
        }
    }

    fn line(&mut self, zone: &mut Zone, line: &LogicalLine) -> Parsed<()> {
        let n = line.number;
        if let Some(directive) = line.directive {
            return self.failure_line(zone, n, directive);
        }
        let mut tokens = line.tokens.iter().peekable();
        let Some(first) = tokens.peek() else {
            return Ok(());
        };
        let first_text = first.text();
        if !first.quoted && first_text.starts_with('$') {
            let keyword = first_text.to_ascii_uppercase();
            tokens.next();
            let arg = tokens
                .next()
                .ok_or_else(|| at(n, ZoneErrorKind::MissingArgument(keyword.clone())))?;
            match keyword.as_str() {
                "$ORIGIN" => {
                    self.origin = if arg.text() == "." {
                        String::new()
                    } else {
                        self.absolute(arg)
                    };
                }
                "$TTL" => {
                    self.ttl = arg
                        .text()
                        .parse()
                        .map_err(|_| at(n, ZoneErrorKind::BadTtl(arg.text().into_owned())))?;
                }
                _ => return Err(at(n, ZoneErrorKind::UnsupportedDirective(keyword))),
            }
            return Ok(());
        }
        let owner = if line.continues_owner {
            self.last_owner
                .clone()
                .ok_or(at(n, ZoneErrorKind::NoOwner))?
        } else {
            let token = tokens.next().ok_or(at(n, ZoneErrorKind::NoOwner))?;
            self.absolute(token)
        };
        self.last_owner = Some(owner.clone());
        let mut ttl = self.ttl;
        let rtype = loop {
            let token = tokens
                .next()
                .ok_or_else(|| at(n, ZoneErrorKind::NoType(owner.clone())))?;
            let text = token.text();
            if let Ok(t) = text.parse::<u32>() {
                ttl = t;
            } else if ["IN", "CH", "HS"]
                .iter()
                .any(|class| text.eq_ignore_ascii_case(class))
            {
                continue;
            } else {
                break RecordType::parse(&text)
                    .ok_or_else(|| at(n, ZoneErrorKind::UnknownType(text.into_owned())))?;
            }
        };
        let used = line.tokens.len() - tokens.len();
        let rest = line.tokens.get(used..).unwrap_or_default();
        let rdata = self.rdata(rtype, rest).map_err(|kind| at(n, kind))?;
        zone.hold(&owner);
        zone.insert(Record { owner, ttl, rdata });
        Ok(())
    }

    fn failure_line(&self, zone: &mut Zone, n: usize, text: &str) -> Parsed<()> {
        let tokens = logical_lines(text)
            .map_err(|e| at(n, e.kind))?
            .into_iter()
            .flat_map(|l| l.tokens)
            .collect::<Vec<_>>();
        let [name, rtype, outcome] = tokens.as_slice() else {
            return Err(at(n, ZoneErrorKind::BadOutcomeLine));
        };
        let rtype = RecordType::parse(&rtype.text())
            .ok_or_else(|| at(n, ZoneErrorKind::UnknownType(rtype.text().into_owned())))?;
        let owner = self.absolute(name);
        zone.hold(&owner);
        if let Some(status) = Dnssec::parse(&outcome.text()) {
            zone.dnssec.insert((owner, rtype), status);
            return Ok(());
        }
        let failure = match outcome.text().to_ascii_uppercase().as_str() {
            "SERVFAIL" => Failure::ServFail,
            "TIMEOUT" => Failure::Timeout,
            "REFUSED" => Failure::Refused,
            "NXDOMAIN" => Failure::NxDomain,
            "NODATA" => Failure::NoData,
            other => return Err(at(n, ZoneErrorKind::UnknownOutcome(other.to_string()))),
        };
        if failure == Failure::NoData {
            // The name exists (the recorder saw it), it just has no such records.
            zone.mark_existing(&owner);
        }
        zone.failures.insert((owner, rtype), failure);
        Ok(())
    }

    fn name_arg(&self, tokens: &[Token], i: usize) -> Result<String, ZoneErrorKind> {
        tokens
            .get(i)
            .map(|t| self.absolute(t))
            .ok_or(ZoneErrorKind::MissingName)
    }

    fn rdata(&self, rtype: RecordType, tokens: &[Token]) -> Result<Rdata, ZoneErrorKind> {
        let first = tokens.first().map(Token::text).unwrap_or_default();
        if let Some((head, rest)) = tokens.split_first()
            && head.generic
            && rtype != RecordType::Any
        {
            return generic(rtype, rest);
        }
        Ok(match rtype {
            RecordType::A => Rdata::A(
                first
                    .parse::<Ipv4Addr>()
                    .map_err(|_| ZoneErrorKind::BadIpv4(first.to_string()))?,
            ),
            RecordType::Aaaa => Rdata::Aaaa(
                first
                    .parse::<Ipv6Addr>()
                    .map_err(|_| ZoneErrorKind::BadIpv6(first.to_string()))?,
            ),
            RecordType::Txt => Rdata::Txt(character_strings(tokens)?),
            RecordType::Spf => Rdata::Spf(character_strings(tokens)?),
            RecordType::Mx => Rdata::Mx {
                preference: first
                    .parse()
                    .map_err(|_| ZoneErrorKind::BadMxPreference(first.to_string()))?,
                exchange: self.name_arg(tokens, 1)?,
            },
            RecordType::Ptr => Rdata::Ptr(self.name_arg(tokens, 0)?),
            RecordType::Cname => Rdata::Cname(self.name_arg(tokens, 0)?),
            RecordType::Ns => Rdata::Ns(self.name_arg(tokens, 0)?),
            RecordType::Tlsa => {
                let num = |i: usize| -> Result<u8, ZoneErrorKind> {
                    let t = tokens.get(i).map(Token::text).unwrap_or_default();
                    t.parse()
                        .map_err(|_| ZoneErrorKind::BadTlsaField(t.into_owned()))
                };
                let hex: String = tokens.iter().skip(3).map(Token::text).collect();
                let data = if hex == "-" {
                    Vec::new()
                } else {
                    decode_hex(&hex).ok_or_else(|| ZoneErrorKind::BadTlsaData(hex.clone()))?
                };
                Rdata::Tlsa {
                    usage: num(0)?,
                    selector: num(1)?,
                    matching: num(2)?,
                    data,
                }
            }
            RecordType::Any => return Err(ZoneErrorKind::AnyIsNoType),
            other => Rdata::Other {
                rtype: other,
                text: tokens.iter().map(Token::text).collect::<Vec<_>>().join(" "),
            },
        })
    }
}

/// TXT / SPF data: each token one character-string of at most 255 octets.
fn character_strings(tokens: &[Token]) -> Result<Vec<Vec<u8>>, ZoneErrorKind> {
    tokens
        .iter()
        .map(|t| {
            if t.bytes.len() > MAX_CHARACTER_STRING {
                Err(ZoneErrorKind::StringTooLong(t.bytes.len()))
            } else {
                Ok(t.bytes.to_vec())
            }
        })
        .collect()
}

/// RFC 3597 §5 `\# LENGTH HEX...` (hex may be split into several tokens), kept as wire data.
fn generic(rtype: RecordType, tokens: &[Token]) -> Result<Rdata, ZoneErrorKind> {
    let (length, hex) = tokens
        .split_first()
        .ok_or(ZoneErrorKind::BadGeneric("missing length"))?;
    let length: usize = length
        .text()
        .parse()
        .map_err(|_| ZoneErrorKind::BadGeneric("bad length"))?;
    let hex: String = hex.iter().map(Token::text).collect();
    let data = decode_hex(&hex).ok_or(ZoneErrorKind::BadGeneric("bad hex"))?;
    if data.len() != length {
        return Err(ZoneErrorKind::BadGeneric("length differs from the data"));
    }
    Ok(Rdata::Unknown { rtype, data })
}

pub fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}
