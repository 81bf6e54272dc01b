//! The zone-file reader: RFC 1035 master-file syntax (`$ORIGIN`, `$TTL`, `@`, parentheses,
//! `\\DDD` escapes) and our `;!` failure lines.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::Zone;
use crate::dns::name::normalize;
use crate::dns::{Dnssec, Failure, Rdata, Record, RecordType};

const DEFAULT_TTL: u32 = 3600;

/// Parse one zone file's text into `zone`. Errors carry the 1-based line number.
pub(super) fn add_text(zone: &mut Zone, text: &str) -> Result<(), (usize, String)> {
    let mut parser = Parser {
        origin: String::new(),
        ttl: DEFAULT_TTL,
        last_owner: None,
    };
    for line in logical_lines(text)? {
        parser.line(zone, line)?;
    }
    Ok(())
}

struct LogicalLine {
    number: usize,
    /// The line began with white space: the owner is the previous one.
    continues_owner: bool,
    tokens: Vec<Token>,
    directive: Option<String>,
}

#[derive(Debug)]
struct Token {
    bytes: Vec<u8>,
    quoted: bool,
}

impl Token {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Split the file into logical lines: parentheses join physical lines, `;` starts a comment
/// outside quotes, `\DDD` and `\X` escapes are decoded.
fn logical_lines(text: &str) -> Result<Vec<LogicalLine>, (usize, String)> {
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
                    directive: Some(rest.trim().to_string()),
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
            return Err((number, "internal: no open line".into()));
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
                        .ok_or((number, "unbalanced ')'".to_string()))?;
                    i += 1;
                }
                b'"' => {
                    let (token, next) = read_token(bytes, i + 1, true)
                        .ok_or((number, "unterminated quoted string".to_string()))?;
                    logical.tokens.push(token);
                    i = next;
                }
                _ => {
                    let (token, next) =
                        read_token(bytes, i, false).ok_or((number, "bad escape".to_string()))?;
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
        return Err((text.lines().count(), "unbalanced '(' at end of file".into()));
    }
    Ok(out)
}

/// Read one token from `start`; quoted tokens end at the closing quote (which is consumed).
fn read_token(bytes: &[u8], start: usize, quoted: bool) -> Option<(Token, usize)> {
    let mut out = Vec::new();
    let mut i = start;
    loop {
        let Some(&b) = bytes.get(i) else {
            return if quoted {
                None
            } else {
                Some((Token { bytes: out, quoted }, i))
            };
        };
        match b {
            b'"' if quoted => return Some((Token { bytes: out, quoted }, i + 1)),
            b' ' | b'\t' | b'\r' | b';' | b'(' | b')' | b'"' if !quoted => {
                return Some((Token { bytes: out, quoted }, i));
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
            normalize(&format!("{text}.{}", self.origin))
        }
    }

    fn line(&mut self, zone: &mut Zone, line: LogicalLine) -> Result<(), (usize, String)> {
        let n = line.number;
        if let Some(directive) = line.directive {
            return self.failure_line(zone, n, &directive);
        }
        let mut tokens = line.tokens.into_iter().peekable();
        let Some(first) = tokens.peek() else {
            return Ok(());
        };
        let first_text = first.text();
        if !first.quoted && first_text.starts_with('$') {
            let keyword = first_text.to_ascii_uppercase();
            tokens.next();
            let arg = tokens
                .next()
                .ok_or((n, format!("{keyword} needs an argument")))?;
            match keyword.as_str() {
                "$ORIGIN" => {
                    let text = arg.text();
                    self.origin = if text == "." {
                        String::new()
                    } else {
                        self.absolute(&arg)
                    };
                }
                "$TTL" => {
                    self.ttl = arg
                        .text()
                        .parse()
                        .map_err(|_| (n, format!("bad $TTL {:?}", arg.text())))?;
                }
                _ => return Err((n, format!("unsupported directive {keyword}"))),
            }
            return Ok(());
        }
        let owner = if line.continues_owner {
            self.last_owner
                .clone()
                .ok_or((n, "record without an owner name".to_string()))?
        } else {
            let token = tokens.next().ok_or((n, "empty record".to_string()))?;
            self.absolute(&token)
        };
        self.last_owner = Some(owner.clone());
        let mut ttl = self.ttl;
        let rtype = loop {
            let token = tokens
                .next()
                .ok_or((n, format!("record for {owner} has no type")))?;
            let text = token.text();
            if let Ok(t) = text.parse::<u32>() {
                ttl = t;
            } else if matches!(text.to_ascii_uppercase().as_str(), "IN" | "CH" | "HS") {
                continue;
            } else {
                break RecordType::parse(&text)
                    .ok_or((n, format!("unknown record type {text:?}")))?;
            }
        };
        let rest: Vec<Token> = tokens.collect();
        let rdata = self.rdata(rtype, &rest).map_err(|m| (n, m))?;
        zone.insert(Record { owner, ttl, rdata });
        Ok(())
    }

    fn failure_line(&self, zone: &mut Zone, n: usize, text: &str) -> Result<(), (usize, String)> {
        let tokens = logical_lines(text)
            .map_err(|(_, m)| (n, m))?
            .into_iter()
            .flat_map(|l| l.tokens)
            .collect::<Vec<_>>();
        let [name, rtype, outcome] = tokens.as_slice() else {
            return Err((
                n,
                "a ';!' line is ';! NAME TYPE SERVFAIL|TIMEOUT|REFUSED|NXDOMAIN|NODATA|SECURE|INSECURE|BOGUS'".into(),
            ));
        };
        let rtype = RecordType::parse(&rtype.text())
            .ok_or((n, format!("unknown record type {:?}", rtype.text())))?;
        let owner = self.absolute(name);
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
            other => return Err((n, format!("unknown outcome {other:?}"))),
        };
        if failure == Failure::NoData {
            // The name exists (the recorder saw it), it just has no such records.
            zone.mark_existing(&owner);
        }
        zone.failures.insert((owner, rtype), failure);
        Ok(())
    }

    fn name_arg(&self, tokens: &[Token], i: usize) -> Result<String, String> {
        tokens
            .get(i)
            .map(|t| self.absolute(t))
            .ok_or_else(|| "missing name".to_string())
    }

    fn rdata(&self, rtype: RecordType, tokens: &[Token]) -> Result<Rdata, String> {
        let first = tokens.first().map(Token::text).unwrap_or_default();
        Ok(match rtype {
            RecordType::A => Rdata::A(
                first
                    .parse::<Ipv4Addr>()
                    .map_err(|_| format!("bad IPv4 address {first:?}"))?,
            ),
            RecordType::Aaaa => Rdata::Aaaa(
                first
                    .parse::<Ipv6Addr>()
                    .map_err(|_| format!("bad IPv6 address {first:?}"))?,
            ),
            RecordType::Txt => Rdata::Txt(tokens.iter().map(|t| t.bytes.clone()).collect()),
            RecordType::Spf => Rdata::Spf(tokens.iter().map(|t| t.bytes.clone()).collect()),
            RecordType::Mx => Rdata::Mx {
                preference: first
                    .parse()
                    .map_err(|_| format!("bad MX preference {first:?}"))?,
                exchange: self.name_arg(tokens, 1)?,
            },
            RecordType::Ptr => Rdata::Ptr(self.name_arg(tokens, 0)?),
            RecordType::Cname => Rdata::Cname(self.name_arg(tokens, 0)?),
            RecordType::Ns => Rdata::Ns(self.name_arg(tokens, 0)?),
            RecordType::Tlsa => {
                let num = |i: usize| -> Result<u8, String> {
                    let t = tokens.get(i).map(Token::text).unwrap_or_default();
                    t.parse().map_err(|_| format!("bad TLSA field {t:?}"))
                };
                let hex: String = tokens.iter().skip(3).map(Token::text).collect();
                let data = if hex == "-" {
                    Vec::new()
                } else {
                    decode_hex(&hex).ok_or(format!("bad TLSA data {hex:?}"))?
                };
                Rdata::Tlsa {
                    usage: num(0)?,
                    selector: num(1)?,
                    matching: num(2)?,
                    data,
                }
            }
            RecordType::Any => return Err("ANY is not a record type".into()),
            other => Rdata::Other {
                rtype: other,
                text: tokens.iter().map(Token::text).collect::<Vec<_>>().join(" "),
            },
        })
    }
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
