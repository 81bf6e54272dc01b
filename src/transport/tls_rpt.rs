//! TLS-RPT (RFC 8460): the `_smtp._tls` TXT record.

use crate::auth::tags::{TagError, TagList};

/// Why a TLS-RPT record does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsRptError {
    /// The tag list does not parse.
    #[error(transparent)]
    Tags(#[from] TagError),
    /// Not `v=TLSRPTv1` first.
    #[error("record does not start with v=TLSRPTv1")]
    Version,
    /// No `rua=`.
    #[error("no rua= tag")]
    NoRua,
    /// A destination that is neither mailto: nor https:.
    #[error("rua URI {0:?} is neither mailto: nor https:")]
    Uri(String),
}

/// RFC 8460 §3: `v=TLSRPTv1; rua=<mailto:|https: URIs, comma-separated>`.
pub fn parse(text: &str) -> Result<Vec<String>, TlsRptError> {
    let tags = TagList::parse(text)?;
    if tags.names().next() != Some("v") || tags.get("v") != Some("TLSRPTv1") {
        return Err(TlsRptError::Version);
    }
    let rua = tags.get("rua").ok_or(TlsRptError::NoRua)?;
    let uris: Vec<String> = rua.split(',').map(|u| u.trim().to_string()).collect();
    for u in &uris {
        let ok = u
            .strip_prefix("mailto:")
            .is_some_and(|a| crate::message::domain_of(a).is_some())
            || u.strip_prefix("https://").is_some_and(|h| !h.is_empty());
        if !ok {
            return Err(TlsRptError::Uri(u.clone()));
        }
    }
    Ok(uris)
}
