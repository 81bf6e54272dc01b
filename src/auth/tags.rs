//! RFC 6376 §3.2 tag=value lists, shared by DKIM-Signature, DKIM key records, ARC headers and
//! DMARC records.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagList {
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("tag {0:?} has no '='")]
    NoEquals(String),
    #[error("invalid tag name {0:?}")]
    BadName(String),
    #[error("tag {0}= appears twice")]
    Duplicate(String),
    #[error("empty tag between ';' separators")]
    Empty,
}

fn is_wsp(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

impl TagList {
    /// Tag names are kept as written (case matters in DKIM); values trimmed of surrounding
    /// white space, inner white space kept (callers that decode base64 strip it).
    pub fn parse(text: &str) -> Result<TagList, TagError> {
        let mut tags: Vec<(String, String)> = Vec::new();
        let parts: Vec<&str> = text.split(';').collect();
        for (i, part) in parts.iter().enumerate() {
            if part.trim_matches(is_wsp).is_empty() {
                // A single trailing ';' is allowed; an empty tag in the middle is not.
                if i + 1 == parts.len() {
                    continue;
                }
                return Err(TagError::Empty);
            }
            let Some((name, value)) = part.split_once('=') else {
                return Err(TagError::NoEquals(part.trim_matches(is_wsp).to_string()));
            };
            let name = name.trim_matches(is_wsp);
            let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(TagError::BadName(name.to_string()));
            }
            if tags.iter().any(|(n, _)| n == name) {
                return Err(TagError::Duplicate(name.to_string()));
            }
            tags.push((name.to_string(), value.trim_matches(is_wsp).to_string()));
        }
        Ok(TagList { tags })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(|(n, _)| n.as_str())
    }
}

/// A value with every white-space character removed (base64 in b=, bh=, p=).
pub fn strip_ws(value: &str) -> String {
    value.chars().filter(|&c| !is_wsp(c)).collect()
}

/// Base64 that may hold folding white space.
pub fn decode_base64(value: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(strip_ws(value))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_trim_folding_and_reject_duplicates() {
        let t = TagList::parse(" v=1; a = rsa-sha256;\r\n\tb=ab\r\n cd ;").expect("parses");
        assert_eq!(t.get("a"), Some("rsa-sha256"));
        assert_eq!(strip_ws(t.get("b").unwrap_or_default()), "abcd");
        assert_eq!(
            TagList::parse("a=1; a=2"),
            Err(TagError::Duplicate("a".into()))
        );
        assert!(TagList::parse("a=1;;b=2").is_err());
    }
}
