//! Existing Received-SPF fields (RFC 7208 §9.1): who wrote them, whether they are ours (added
//! above the trust boundary, so by our own MTAs), and whether they agree with our SPF result —
//! as Authentication-Results fields are treated in `authres.rs`.
//!
//! `Received-SPF: pass (comment) client-ip=192.0.2.1; envelope-from="a@example.com";
//! helo=mx.example.com; receiver=mx.example.net; identity=mailfrom`

use std::net::IpAddr;

use serde::Serialize;

use crate::common::{AuthResult, clip};
use crate::message::Message;

/// One `key=value` of the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    /// The key, lower case (`client-ip`, `envelope-from`, `helo`, `receiver`, ...).
    pub key: String,
    /// The value, unquoted.
    pub value: String,
}

/// Why a Received-SPF value does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReceivedSpfError {
    /// The first word is not an RFC 7208 result.
    #[error(
        "the first word is not an SPF result (pass, fail, softfail, neutral, none, temperror, permerror)"
    )]
    Result,
    /// A comment or quoted string is not closed.
    #[error("a comment or quoted string is not closed")]
    Unclosed,
    /// A key-value pair has no `=`.
    #[error("a key-value pair has no '='")]
    KeyValue,
}

impl Serialize for ReceivedSpfError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Whether a field is ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SpfTrust {
    /// Above the trust boundary: added by an MTA of ours.
    #[error("added above the trust boundary, by an MTA of ours")]
    Ours,
    /// Below it: written before the message reached us (anyone's claim).
    #[error("below the trust boundary: written before the message reached us, not trusted")]
    BelowBoundary,
    /// It does not parse.
    #[error("does not parse: not trusted")]
    Unparseable,
}

impl Serialize for SpfTrust {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One Received-SPF field (JSON `received_spf[]`).
#[derive(Debug, Clone, Serialize)]
pub struct ReceivedSpfField {
    /// Position among all header fields (1 = topmost).
    pub position: usize,
    /// The result it claims.
    pub result: Option<AuthResult>,
    /// The comment after the result.
    pub comment: Option<String>,
    /// Who wrote it: `receiver=`, else the name before ':' in the comment.
    pub receiver: Option<String>,
    /// `client-ip=`.
    pub client_ip: Option<String>,
    /// `envelope-from=`.
    pub envelope_from: Option<String>,
    /// `helo=`.
    pub helo: Option<String>,
    /// `identity=` (`mailfrom`, `helo`).
    pub identity: Option<String>,
    /// Every key-value pair in order.
    pub pairs: Vec<KeyValue>,
    /// Whether it is ours (added above the trust boundary).
    pub trusted: bool,
    /// Why (or why not).
    pub trust: SpfTrust,
    /// Our SPF result, when compared (a trusted field about the client we evaluated).
    pub ours: Option<AuthResult>,
    /// Whether its result agrees with ours.
    pub agrees: Option<bool>,
    /// Why it does not parse.
    pub error: Option<ReceivedSpfError>,
    /// The value as written, when it does not parse (escaped on output).
    pub raw: Option<String>,
}

fn result_word(w: &str) -> Option<AuthResult> {
    Some(match w.to_ascii_lowercase().as_str() {
        "pass" => AuthResult::Pass,
        "fail" => AuthResult::Fail,
        "softfail" => AuthResult::Softfail,
        "neutral" => AuthResult::Neutral,
        "none" => AuthResult::None,
        "temperror" => AuthResult::Temperror,
        "permerror" => AuthResult::Permerror,
        _ => return None,
    })
}

/// The parsed parts: result, comment, key-value pairs.
type Parts = (AuthResult, Option<String>, Vec<KeyValue>);

/// Parse a Received-SPF value: `result [comment] [key=value; ...]`.
pub fn parse(value: &str) -> Result<Parts, ReceivedSpfError> {
    let s = value.trim();
    let end = s
        .find(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .unwrap_or(s.len());
    let result = result_word(&s[..end]).ok_or(ReceivedSpfError::Result)?;
    let mut rest = s[end..].trim_start();
    let mut comment = None;
    if rest.starts_with('(') {
        let mut depth = 0usize;
        let mut close = None;
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let close = close.ok_or(ReceivedSpfError::Unclosed)?;
        comment = Some(rest[1..close].trim().to_string());
        rest = rest[close + 1..].trim_start();
    }
    let mut pairs = Vec::new();
    let mut chars = rest.char_indices().peekable();
    let mut key = String::new();
    while let Some((_, c)) = chars.next() {
        match c {
            ';' | ' ' | '\t' | '\r' | '\n' if key.is_empty() => {}
            '=' => {
                let mut val = String::new();
                while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|(_, c)| *c == '"') {
                    chars.next();
                    let mut closed = false;
                    while let Some((_, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, n)) = chars.next() {
                                    val.push(n);
                                }
                            }
                            '"' => {
                                closed = true;
                                break;
                            }
                            _ => val.push(c),
                        }
                    }
                    if !closed {
                        return Err(ReceivedSpfError::Unclosed);
                    }
                } else {
                    while let Some((_, c)) = chars.peek() {
                        if *c == ';' || c.is_whitespace() {
                            break;
                        }
                        val.push(*c);
                        chars.next();
                    }
                }
                pairs.push(KeyValue {
                    key: std::mem::take(&mut key).trim().to_ascii_lowercase(),
                    value: val,
                });
            }
            ';' => return Err(ReceivedSpfError::KeyValue),
            c if c.is_whitespace() => {
                // `key = value` (CFWS around '=') is allowed; a bare word is not a pair.
                if chars
                    .peek()
                    .is_some_and(|(_, n)| *n != '=' && !n.is_whitespace())
                {
                    return Err(ReceivedSpfError::KeyValue);
                }
            }
            c => key.push(c),
        }
    }
    if !key.trim().is_empty() {
        return Err(ReceivedSpfError::KeyValue);
    }
    Ok((result, comment, pairs))
}

/// Every Received-SPF field of the message; `boundary` is the position of the Received field
/// where mail entered the trusted part (fields above it were added on our side).
pub fn collect(msg: &Message, boundary: Option<usize>) -> Vec<ReceivedSpfField> {
    let mut out = Vec::new();
    for (i, f) in msg.fields.iter().enumerate() {
        if !f.is("Received-SPF") {
            continue;
        }
        let position = i + 1;
        let text = String::from_utf8_lossy(f.value).into_owned();
        let above = boundary.is_some_and(|b| position < b);
        let mut field = ReceivedSpfField {
            position,
            result: None,
            comment: None,
            receiver: None,
            client_ip: None,
            envelope_from: None,
            helo: None,
            identity: None,
            pairs: Vec::new(),
            trusted: false,
            trust: SpfTrust::Unparseable,
            ours: None,
            agrees: None,
            error: None,
            raw: None,
        };
        match parse(&text) {
            Ok((result, comment, pairs)) => {
                let get = |k: &str| pairs.iter().find(|p| p.key == k).map(|p| p.value.clone());
                field.receiver = get("receiver").or_else(|| {
                    comment
                        .as_deref()
                        .and_then(|c| c.split_once(':'))
                        .map(|(who, _)| who.trim().to_string())
                        .filter(|w| !w.is_empty() && !w.contains(char::is_whitespace))
                });
                field.client_ip = get("client-ip");
                field.envelope_from = get("envelope-from");
                field.helo = get("helo");
                field.identity = get("identity");
                field.result = Some(result);
                field.comment = comment.map(|c| clip(&c, 300));
                field.pairs = pairs;
                field.trust = if above {
                    SpfTrust::Ours
                } else {
                    SpfTrust::BelowBoundary
                };
                field.trusted = above;
            }
            Err(e) => {
                field.error = Some(e);
                field.raw = Some(clip(text.trim(), 998));
            }
        }
        out.push(field);
    }
    out
}

/// Compare trusted fields about the client we evaluated (`client-ip` absent or equal) with
/// our SPF result.
pub fn compare(fields: &mut [ReceivedSpfField], ours: AuthResult, ip: Option<IpAddr>) {
    for f in fields.iter_mut().filter(|f| f.trusted) {
        let same_client = match (&f.client_ip, ip) {
            (Some(c), Some(ip)) => c.parse::<IpAddr>().is_ok_and(|c| c == ip),
            (None, _) => true,
            (Some(_), None) => false,
        };
        if same_client && let Some(theirs) = f.result {
            f.ours = Some(ours);
            f.agrees = Some(theirs == ours);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7208_examples() {
        let (r, c, kv) = parse("pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) receiver=mybox.example.org; client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; helo=foo.example.com;").expect("parses");
        assert_eq!(r, AuthResult::Pass);
        assert!(c.is_some_and(|c| c.starts_with("mybox.example.org:")));
        let keys: Vec<&str> = kv.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["receiver", "client-ip", "envelope-from", "helo"]);
        assert_eq!(kv[2].value, "myname@example.com");
        let (r, c, kv) = parse("fail (mybox.example.org: domain of myname@example.com does not designate 192.0.2.1 as permitted sender) identity=mailfrom; client-ip=192.0.2.1").expect("parses");
        assert_eq!((r, c.is_some(), kv.len()), (AuthResult::Fail, true, 2));
        assert_eq!(parse("Pass"), Ok((AuthResult::Pass, None, Vec::new())));
        assert_eq!(parse("maybe (x)"), Err(ReceivedSpfError::Result));
        assert_eq!(parse("pass (x"), Err(ReceivedSpfError::Unclosed));
        assert_eq!(parse("pass x y"), Err(ReceivedSpfError::KeyValue));
    }
}
