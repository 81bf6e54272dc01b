//! RFC 6376 §3.2 tag=value lists, shared by DKIM-Signature, DKIM key records, ARC headers and
//! DMARC records.
//!
//! A tag list comes from the attacker (a header field, a TXT record), so parsing is linear in
//! its length and the list is bounded in size and in tag count: a signature cannot buy CPU
//! time with a megabyte of tags.

/// The longest tag list accepted, in octets. A real DKIM-Signature (even with a long `h=` list
/// and an 8192-bit `b=`) is a few KiB; a TXT record is at most 64 KiB.
pub const MAX_TAG_LIST_OCTETS: usize = 64 * 1024;

/// The most tags accepted in one list. RFC 6376 defines 14 DKIM-Signature tags and unknown ones
/// must be ignored, so a list this long is an attack, not an extension.
pub const MAX_TAGS: usize = 100;

/// A parsed tag=value list: names unique and valid, values with surrounding white space trimmed.
/// Names and values are slices of the parsed text: copying them was 26 of a batch message's
/// 475 allocations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagList<'a> {
    /// The tags in the order written, as (name, value).
    pub tags: Vec<(&'a str, &'a str)>,
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
    #[error("the tag list is {octets} octets long, over the {limit}-octet limit")]
    TooLong { octets: usize, limit: usize },
    #[error("the tag list has more than {limit} tags")]
    TooManyTags { limit: usize },
}

pub(crate) fn is_wsp(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// At most this many characters of a bad tag are quoted in an error (the rest is the attacker's).
const QUOTED: usize = 64;

fn quoted(s: &str) -> String {
    s.chars().take(QUOTED).collect()
}

impl<'a> TagList<'a> {
    /// Tag names are kept as written (case matters in DKIM); values trimmed of surrounding
    /// white space, inner white space kept (callers that decode base64 strip it).
    pub fn parse(text: &'a str) -> Result<TagList<'a>, TagError> {
        if text.len() > MAX_TAG_LIST_OCTETS {
            return Err(TagError::TooLong {
                octets: text.len(),
                limit: MAX_TAG_LIST_OCTETS,
            });
        }
        let mut tags: Vec<(&str, &str)> = Vec::with_capacity(16);
        let mut parts = text.split(';').peekable();
        while let Some(part) = parts.next() {
            if part.trim_matches(is_wsp).is_empty() {
                // A single trailing ';' is allowed; an empty tag in the middle is not.
                if parts.peek().is_none() {
                    continue;
                }
                return Err(TagError::Empty);
            }
            if tags.len() == MAX_TAGS {
                return Err(TagError::TooManyTags { limit: MAX_TAGS });
            }
            let Some((name, value)) = part.split_once('=') else {
                return Err(TagError::NoEquals(quoted(part.trim_matches(is_wsp))));
            };
            let name = name.trim_matches(is_wsp);
            let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(TagError::BadName(quoted(name)));
            }
            // A scan of the names so far: MAX_TAGS bounds it to 4,950 comparisons of short
            // names, cheaper than hashing every name of the usual ten.
            if tags.iter().any(|(n, _)| *n == name) {
                return Err(TagError::Duplicate(name.to_string()));
            }
            tags.push((name, value.trim_matches(is_wsp)));
        }
        Ok(TagList { tags })
    }

    /// The value of the tag `name` (names are case-sensitive), if present.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.tags.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
    }

    /// The tag names in the order written.
    pub fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.tags.iter().map(|&(n, _)| n)
    }
}

/// A value with every white-space character removed (base64 in b=, bh=, p=).
pub fn strip_ws(value: &str) -> String {
    if !value.bytes().any(is_wsp_byte) {
        return value.to_string();
    }
    utf8(without_wsp(value))
}

/// `strip_ws` and ASCII lower case in one copy (the names of `h=`).
pub fn strip_ws_lowercase(value: &str) -> String {
    let mut kept = without_wsp(value);
    kept.make_ascii_lowercase();
    utf8(kept)
}

/// White space and ASCII letters are single octets, so removing or lowering them leaves the
/// text valid UTF-8 (and is much cheaper than going char by char over a 344-character b=).
fn utf8(octets: Vec<u8>) -> String {
    String::from_utf8(octets).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn is_wsp_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Base64 that may hold folding white space.
pub fn decode_base64(value: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let engine = &base64::engine::general_purpose::STANDARD;
    if !value.bytes().any(is_wsp_byte) {
        return engine.decode(value).ok();
    }
    engine.decode(without_wsp(value)).ok()
}

/// The octets of `value` but its white space, in one allocation (collecting the filter would
/// grow from 8 octets by doubling: seven reallocations for a 344-character b=).
fn without_wsp(value: &str) -> Vec<u8> {
    let mut kept = Vec::with_capacity(value.len());
    kept.extend(value.bytes().filter(|&b| !is_wsp_byte(b)));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_trim_folding_and_reject_duplicates() {
        let t = TagList::parse(" v=1; a = rsa-sha256;\r\n\tb=ab\r\n cd ;").expect("parses");
        assert_eq!(t.get("a"), Some("rsa-sha256"));
        assert_eq!(strip_ws(t.get("b").unwrap_or_default()), "abcd");
        assert_eq!(strip_ws_lowercase(" From:\r\n\tTo É"), "from:toÉ");
        assert_eq!(
            TagList::parse("a=1; a=2"),
            Err(TagError::Duplicate("a".into()))
        );
        assert!(TagList::parse("a=1;;b=2").is_err());
    }

    #[test]
    fn size_and_count_are_bounded() {
        let many: String = (0..=MAX_TAGS).map(|i| format!("t{i}=x;")).collect();
        assert_eq!(
            TagList::parse(&many),
            Err(TagError::TooManyTags { limit: MAX_TAGS })
        );
        let just: String = (0..MAX_TAGS).map(|i| format!("t{i}=x;")).collect();
        assert_eq!(TagList::parse(&just).map(|t| t.tags.len()), Ok(MAX_TAGS));
        let long = format!("a={}", "x".repeat(MAX_TAG_LIST_OCTETS));
        assert!(matches!(
            TagList::parse(&long),
            Err(TagError::TooLong { .. })
        ));
        // A bad name is quoted short, whatever its length.
        let bad = format!("{}=1", "-".repeat(10_000));
        assert!(matches!(TagList::parse(&bad), Err(TagError::BadName(n)) if n.len() == QUOTED));
    }
}
