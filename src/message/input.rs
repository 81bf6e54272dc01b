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

/// The largest `--max-size`: 1 TiB. A message is held in memory, so nothing larger can be
/// read, and a bound well below `u64::MAX` keeps "limit + 1" (read just past the limit) exact.
pub const MAX_SIZE: u64 = 1 << 40;

/// Why a size argument was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// Not digits with an optional K, M or G.
    #[error("invalid size {0:?} (use e.g. 64M, 512K or a byte count)")]
    Invalid(String),
    /// Zero bytes.
    #[error("size {0:?} is zero (use e.g. 64M, 512K or a byte count)")]
    Zero(String),
    /// Over [`MAX_SIZE`] (or past what 64 bits hold).
    #[error("size {0:?} is too large (at most 1024G)")]
    TooLarge(String),
}

/// Parse `64M`, `512K`, `1G` or a plain byte count, from 1 byte to [`MAX_SIZE`].
pub fn parse_size(s: &str) -> Result<u64, SizeError> {
    let s = s.trim();
    let (digits, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1024),
        Some((i, 'm' | 'M')) => (&s[..i], 1024 * 1024),
        Some((i, 'g' | 'G')) => (&s[..i], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SizeError::Invalid(s.to_string()));
    }
    // Digits only: the parse fails only by overflow.
    let n = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| SizeError::TooLarge(s.to_string()))?;
    match n {
        0 => Err(SizeError::Zero(s.to_string())),
        n if n > MAX_SIZE => Err(SizeError::TooLarge(s.to_string())),
        n => Ok(n),
    }
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
            let meta = file.metadata().ok();
            if meta.as_ref().is_some_and(std::fs::Metadata::is_dir) {
                return Err(InputError::CannotOpen {
                    path: what,
                    source: std::io::Error::other("is a directory"),
                });
            }
            // A regular file's size sizes the buffer, so the message comes in one read rather
            // than in reads that double from 32 octets; never more than the limit allows.
            if let Some(m) = meta.as_ref().filter(|m| m.is_file()) {
                let want = m.len().min(limit).saturating_add(1);
                buf.reserve(usize::try_from(want).unwrap_or(0));
            }
            file.take(limit.saturating_add(1)).read_to_end(&mut buf)
        }
        _ => std::io::stdin()
            .lock()
            .take(limit.saturating_add(1))
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
        assert!(parse_size("-1").is_err());
        assert_eq!(parse_size("1024G"), Ok(MAX_SIZE));
        for big in [
            "1025G",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999G",
        ] {
            assert_eq!(
                parse_size(big),
                Err(SizeError::TooLarge(big.to_string())),
                "{big}"
            );
        }
    }
}
