//! SPF macros (RFC 7208 §7): `%{letter digits r delimiters}`, `%%`, `%_`, `%-`.

use std::net::IpAddr;

/// Everything a macro can refer to.
pub struct MacroVars<'a> {
    pub sender: &'a str,
    pub local: &'a str,
    pub sender_domain: &'a str,
    pub domain: &'a str,
    pub ip: IpAddr,
    pub helo: &'a str,
    /// `%{p}`: computed lazily by the caller (it costs DNS lookups).
    pub validated_name: &'a dyn Fn() -> String,
    pub receiver: &'a str,
    pub now: u64,
}

/// Expanded text longer than this is an error, whatever produced it.
const MAX_EXPANSION: usize = 8 * 1024;

/// A macro-string that does not follow RFC 7208 §7.1 (or expands too long).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacroError {
    /// A character outside the macro-string alphabet.
    #[error("invalid character {ch:?} in {spec:?}")]
    Character {
        /// The offending character.
        ch: char,
        /// The whole macro-string.
        spec: String,
    },
    /// `%{` without `}`.
    #[error("unterminated macro in {0:?}")]
    Unterminated(String),
    /// Longer than the expansion limit.
    #[error("macro expansion longer than {MAX_EXPANSION} octets")]
    TooLong,
    /// `%` followed by something other than `%`, `_`, `-` or `{`.
    #[error("invalid '%' in {0:?}")]
    Percent(String),
    /// `%{}`.
    #[error("empty macro %{{}}")]
    Empty,
    /// A letter that is not a macro (or only allowed in `exp=`).
    #[error("unknown macro letter %{{{0}}}")]
    Letter(char),
    /// Digits that do not parse.
    #[error("bad digits in %{{{0}}}")]
    Digits(String),
    /// `%{d0}`.
    #[error("zero digit transformer in %{{{0}}}")]
    Zero(String),
    /// A delimiter outside `.-+,/_=`.
    #[error("bad delimiter in %{{{0}}}")]
    Delimiter(String),
}

/// Check a macro-string without expanding it (`exp` allows the explanation-only letters).
pub fn validate(spec: &str, exp: bool) -> Result<(), MacroError> {
    walk(spec, exp, None).map(|_| ())
}

/// Expand a macro-string with the evaluation's values.
pub fn expand(spec: &str, vars: &MacroVars, exp: bool) -> Result<String, MacroError> {
    walk(spec, exp, Some(vars))
}

fn walk(spec: &str, exp: bool, vars: Option<&MacroVars>) -> Result<String, MacroError> {
    let mut out = String::new();
    let bytes = spec.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c != b'%' {
            if !((0x21..=0x7e).contains(&c) || (exp && c == b' ')) {
                return Err(MacroError::Character {
                    ch: c as char,
                    spec: spec.to_string(),
                });
            }
            out.push(c as char);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'%') => out.push('%'),
            Some(b'_') => out.push(' '),
            Some(b'-') => out.push_str("%20"),
            Some(b'{') => {
                let close = spec[i..]
                    .find('}')
                    .map(|p| i + p)
                    .ok_or_else(|| MacroError::Unterminated(spec.to_string()))?;
                let body = &spec[i + 2..close];
                if let Some(v) = vars {
                    out.push_str(&macro_value(body, v, exp)?);
                } else {
                    macro_value_check(body, exp)?;
                }
                i = close + 1;
                if out.len() > MAX_EXPANSION {
                    return Err(MacroError::TooLong);
                }
                continue;
            }
            _ => return Err(MacroError::Percent(spec.to_string())),
        }
        i += 2;
    }
    Ok(out)
}

struct Parsed<'b> {
    letter: char,
    digits: Option<usize>,
    reverse: bool,
    delimiters: &'b str,
}

fn parse_macro(body: &str, exp: bool) -> Result<Parsed<'_>, MacroError> {
    let mut chars = body.char_indices();
    let (_, letter) = chars.next().ok_or(MacroError::Empty)?;
    let lower = letter.to_ascii_lowercase();
    let allowed = matches!(lower, 's' | 'l' | 'o' | 'd' | 'i' | 'p' | 'v' | 'h')
        || (exp && matches!(lower, 'c' | 'r' | 't'));
    if !allowed {
        return Err(MacroError::Letter(letter));
    }
    let rest = &body[1..];
    let digit_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let digits = if digit_end > 0 {
        let n: usize = rest[..digit_end]
            .parse()
            .map_err(|_| MacroError::Digits(body.to_string()))?;
        if n == 0 {
            return Err(MacroError::Zero(body.to_string()));
        }
        Some(n)
    } else {
        None
    };
    let mut tail = &rest[digit_end..];
    let reverse = if let Some(t) = tail.strip_prefix(['r', 'R']) {
        tail = t;
        true
    } else {
        false
    };
    if !tail.chars().all(|c| ".-+,/_=".contains(c)) {
        return Err(MacroError::Delimiter(body.to_string()));
    }
    Ok(Parsed {
        letter,
        digits,
        reverse,
        delimiters: tail,
    })
}

fn macro_value_check(body: &str, exp: bool) -> Result<(), MacroError> {
    parse_macro(body, exp).map(|_| ())
}

fn macro_value(body: &str, v: &MacroVars, exp: bool) -> Result<String, MacroError> {
    let m = parse_macro(body, exp)?;
    let raw = match m.letter.to_ascii_lowercase() {
        's' => v.sender.to_string(),
        'l' => v.local.to_string(),
        'o' => v.sender_domain.to_string(),
        'd' => v.domain.to_string(),
        'i' => dotted_ip(v.ip),
        'p' => (v.validated_name)(),
        'v' => if v.ip.is_ipv4() { "in-addr" } else { "ip6" }.to_string(),
        'h' => v.helo.to_string(),
        'c' => v.ip.to_string(),
        'r' => v.receiver.to_string(),
        't' => v.now.to_string(),
        other => return Err(MacroError::Letter(other)),
    };
    let delims = if m.delimiters.is_empty() {
        "."
    } else {
        m.delimiters
    };
    let mut parts: Vec<&str> = raw.split(|c| delims.contains(c)).collect();
    if m.reverse {
        parts.reverse();
    }
    if let Some(n) = m.digits
        && n < parts.len()
    {
        parts = parts.split_off(parts.len() - n);
    }
    let joined = parts.join(".");
    Ok(if m.letter.is_ascii_uppercase() {
        url_escape(&joined)
    } else {
        joined
    })
}

/// `%{i}`: dotted quad, or dot-separated nibbles for IPv6 (RFC 7208 §7.3). Nibbles are upper
/// case as the OpenSPF suite expects (the RFC's example shows lower case; DNS does not care).
fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => v6
            .octets()
            .iter()
            .flat_map(|b| [b >> 4, b & 0xf])
            .map(|n| format!("{n:X}"))
            .collect::<Vec<_>>()
            .join("."),
    }
}

fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(ip: &str) -> MacroVars<'static> {
        MacroVars {
            sender: "strong-bad@email.example.com",
            local: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip: ip.parse().expect("ip"),
            helo: "mx.example.org",
            validated_name: &|| "unknown".to_string(),
            receiver: "unknown",
            now: 0,
        }
    }

    /// The examples of RFC 7208 §7.4.
    #[test]
    fn rfc_examples() {
        let v = vars("192.0.2.3");
        let e = |s| expand(s, &v, false).expect("expands");
        assert_eq!(e("%{s}"), "strong-bad@email.example.com");
        assert_eq!(e("%{d4}"), "email.example.com");
        assert_eq!(e("%{d2}"), "example.com");
        assert_eq!(e("%{d1}"), "com");
        assert_eq!(e("%{dr}"), "com.example.email");
        assert_eq!(e("%{d2r}"), "example.email");
        assert_eq!(e("%{l-}"), "strong.bad");
        assert_eq!(e("%{lr-}"), "bad.strong");
        assert_eq!(e("%{l1r-}"), "strong");
        assert_eq!(
            e("%{ir}.%{v}._spf.%{d2}"),
            "3.2.0.192.in-addr._spf.example.com"
        );
        let v6 = vars("2001:db8::cb01");
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", &v6, false).expect("expands"),
            "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn invalid_macros_are_errors() {
        assert!(validate("%{x}", false).is_err());
        assert!(validate("%{d0}", false).is_err());
        assert!(validate("%z", false).is_err());
        assert!(validate("%{c}", false).is_err());
        assert!(validate("%{c}", true).is_ok());
    }
}
