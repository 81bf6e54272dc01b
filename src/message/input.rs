//! Reading one message from a file or standard input, within a size limit. The bytes are kept
//! exactly as read.

use std::io::Read;
use std::path::Path;

use super::MessageError;

/// Why a message could not be had.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file does not open (or is a directory).
    #[error("cannot open {path}: {source}")]
    CannotOpen {
        /// The path as given.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// More than `--max-size` bytes.
    #[error("{what} is larger than the {limit}-byte limit (raise it with --max-size)")]
    TooLarge {
        /// The input's name ([`describe`]).
        what: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// Reading failed part-way.
    #[error("I/O error: reading {what}: {source}")]
    Read {
        /// The input's name ([`describe`]).
        what: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The bytes are not a message.
    #[error("{what} is not a message: {why}")]
    NotAMessage {
        /// The input's name ([`describe`]).
        what: String,
        /// Why not.
        why: MessageError,
    },
}

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
pub fn read_message(path: Option<&Path>, limit: u64) -> Result<Vec<u8>, InputError> {
    let what = describe(path);
    let mut buf = Vec::new();
    let result = match path {
        Some(p) if p != Path::new("-") => {
            let file = std::fs::File::open(p).map_err(|source| InputError::CannotOpen {
                path: what.clone(),
                source,
            })?;
            if file.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(InputError::CannotOpen {
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
    result.map_err(|source| InputError::Read {
        what: what.clone(),
        source,
    })?;
    if buf.len() as u64 > limit {
        return Err(InputError::TooLarge { what, limit });
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
