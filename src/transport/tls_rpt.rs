//! TLS-RPT (RFC 8460): the `_smtp._tls` TXT record.

use crate::auth::tags::TagList;

/// RFC 8460 §3: `v=TLSRPTv1; rua=<mailto:|https: URIs, comma-separated>`.
pub fn parse(text: &str) -> Result<Vec<String>, String> {
    let tags = TagList::parse(text).map_err(|e| e.to_string())?;
    if tags.names().next() != Some("v") || tags.get("v") != Some("TLSRPTv1") {
        return Err("record does not start with v=TLSRPTv1".into());
    }
    let rua = tags.get("rua").ok_or("no rua= tag")?;
    let uris: Vec<String> = rua.split(',').map(|u| u.trim().to_string()).collect();
    for u in &uris {
        let ok = u
            .strip_prefix("mailto:")
            .is_some_and(|a| crate::message::domain_of(a).is_some())
            || u.strip_prefix("https://").is_some_and(|h| !h.is_empty());
        if !ok {
            return Err(format!("rua URI {u:?} is neither mailto: nor https:"));
        }
    }
    Ok(uris)
}
