//! Reading one message from a file or standard input, within a size limit. The bytes are kept
//! exactly as read.

use std::io::Read;
use std::path::Path;

use crate::error::Error;

/// Parse `64M`, `512K`, `1G` or a plain byte count.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1024),
        Some((i, 'm' | 'M')) => (&s[..i], 1024 * 1024),
        Some((i, 'g' | 'G')) => (&s[..i], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("invalid size {s:?} (use e.g. 64M, 512K or a byte count)"))
}

/// The display name of an input: the path, or "standard input".
pub fn describe(path: Option<&Path>) -> String {
    match path {
        Some(p) if p != Path::new("-") => p.display().to_string(),
        _ => "standard input".to_string(),
    }
}

/// Read the whole input, refusing more than `limit` bytes (reading stops just past it).
pub fn read_message(path: Option<&Path>, limit: u64) -> Result<Vec<u8>, Error> {
    let what = describe(path);
    let mut buf = Vec::new();
    let result = match path {
        Some(p) if p != Path::new("-") => {
            let file = std::fs::File::open(p).map_err(|source| Error::CannotOpen {
                path: what.clone(),
                source,
            })?;
            if file.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(Error::CannotOpen {
                    path: what,
                    source: std::io::Error::other("is a directory"),
                });
            }
            file.take(limit + 1).read_to_end(&mut buf)
        }
        _ => std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut buf),
    };
    result.map_err(|e| Error::Io(format!("reading {what}: {e}")))?;
    if buf.len() as u64 > limit {
        return Err(Error::TooLarge { what, limit });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M"), Ok(64 * 1024 * 1024));
        assert_eq!(parse_size("10"), Ok(10));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
    }
}
