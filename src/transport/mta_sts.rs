//! MTA-STS (RFC 8461): the `_mta-sts` TXT record.

use serde::Serialize;

use crate::auth::tags::TagList;
use crate::dns::Dns;

#[derive(Debug, Clone, Default, Serialize)]
pub struct TxtPosture {
    pub record: Option<String>,
    pub id: Option<String>,
    pub error: Option<String>,
}

/// RFC 8461 §3.1: `v=STSv1; id=<1-32 alphanumerics>`; exactly one record starting `v=STSv1`.
pub fn parse_txt(text: &str) -> Result<String, String> {
    let tags = TagList::parse(text).map_err(|e| e.to_string())?;
    if tags.names().next() != Some("v") || tags.get("v") != Some("STSv1") {
        return Err("record does not start with v=STSv1".into());
    }
    let id = tags.get("id").ok_or("no id= tag")?;
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("id={id} is not 1 to 32 letters and digits"));
    }
    Ok(id.to_string())
}

pub fn lookup_txt(dns: &Dns, domain: &str) -> TxtPosture {
    let name = format!("_mta-sts.{domain}");
    let mut out = TxtPosture::default();
    match dns.txt(&name) {
        Ok(records) => {
            let sts: Vec<String> = records
                .iter()
                .map(|r| String::from_utf8_lossy(r).into_owned())
                .filter(|r| r.trim_start().starts_with("v=STSv1"))
                .collect();
            match sts.as_slice() {
                [] => {}
                [one] => {
                    out.record = Some(one.clone());
                    match parse_txt(one) {
                        Ok(id) => out.id = Some(id),
                        Err(e) => out.error = Some(format!("invalid record at {name}: {e}")),
                    }
                }
                many => {
                    out.error = Some(format!(
                        "{} MTA-STS records at {name} (exactly one allowed)",
                        many.len()
                    ));
                }
            }
        }
        Err(f) if f.is_temporary() => out.error = Some(format!("lookup of {name} failed: {f}")),
        Err(_) => {}
    }
    out
}

/// The largest policy accepted (RFC 8461 §3.3 suggests 64 KiB).
pub const MAX_POLICY: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub mode: String,
    pub mx: Vec<String>,
    pub max_age: u64,
}

/// RFC 8461 §3.2: `key: value` lines, version first; mode, max_age, and mx patterns (one or
/// more unless mode is none).
pub fn parse_policy(text: &str) -> Result<Policy, String> {
    let mut version = None;
    let mut mode = None;
    let mut max_age = None;
    let mut mx = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("line {}: not \"key: value\"", i + 1))?;
        let value = value.trim().to_string();
        match key.trim() {
            "version" => {
                if i != 0 {
                    return Err("version must be the first line".into());
                }
                version = Some(value);
            }
            "mode" => mode = Some(value),
            "max_age" => {
                max_age = Some(
                    value
                        .parse::<u64>()
                        .ok()
                        .filter(|v| *v <= 31_557_600)
                        .ok_or_else(|| format!("max_age {value:?} is not 0..31557600"))?,
                );
            }
            "mx" => mx.push(value.to_ascii_lowercase()),
            _ => {}
        }
    }
    if version.as_deref() != Some("STSv1") {
        return Err("no \"version: STSv1\" line".into());
    }
    let mode = mode.ok_or("no mode line")?;
    if !matches!(mode.as_str(), "enforce" | "testing" | "none") {
        return Err(format!("mode {mode:?} is not enforce, testing or none"));
    }
    let max_age = max_age.ok_or("no max_age line")?;
    if mx.is_empty() && mode != "none" {
        return Err("no mx line".into());
    }
    Ok(Policy { mode, mx, max_age })
}

/// RFC 8461 §4.1: `*.example.com` matches exactly one leftmost label.
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let host = crate::dns::name::normalize(host);
    let pattern = crate::dns::name::normalize(pattern);
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest),
        None => host == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_syntax() {
        assert_eq!(parse_txt("v=STSv1; id=20261120T1"), Ok("20261120T1".into()));
        assert!(parse_txt("v=STSv1;").is_err());
        assert!(parse_txt("v=STSv1; id=has-dash").is_err());
        assert!(parse_txt("id=1; v=STSv1").is_err());
    }

    #[test]
    fn policy_and_patterns() {
        let p = parse_policy("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n").expect("parses");
        assert_eq!(
            (p.mode.as_str(), p.mx.len(), p.max_age),
            ("enforce", 2, 604_800)
        );
        assert!(parse_policy("mode: enforce\nversion: STSv1\n").is_err());
        assert!(parse_policy("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n").is_err());
        assert!(mx_matches("*.example.net", "mx.example.net"));
        assert!(!mx_matches("*.example.net", "a.b.example.net"));
        assert!(!mx_matches("*.example.net", "example.net"));
        assert!(mx_matches("MX1.example.com", "mx1.example.com."));
    }
}
