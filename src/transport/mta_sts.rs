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
}
