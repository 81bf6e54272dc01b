//! The mbox format (streamed, one message at a time) and the messages that batch inputs give;
//! the walk over files and folders is in [`super::walk`].

use std::io::{BufRead, Read};
use std::path::Path;

/// Why a batch input gave no message bytes.
#[derive(Debug, thiserror::Error)]
pub enum ItemError {
    /// The file or folder does not open.
    #[error("cannot open: {0}")]
    CannotOpen(std::io::Error),
    /// Over `--max-size`.
    #[error("larger than the {0}-byte limit")]
    TooLarge(u64),
    /// Reading failed part-way.
    #[error("read error: {0}")]
    Read(std::io::Error),
    /// A FIFO, socket or device inside a folder: never opened (a FIFO would block forever).
    #[error("skipped: {0}, not a regular file")]
    NotRegular(FileKind),
    /// A folder reached again through a symbolic link (a loop, or a second way in).
    #[error("skipped: a folder already read (a symbolic link leads back to it)")]
    Revisited,
}

impl ItemError {
    /// A skipped entry is a note, not a failure to read an input.
    pub fn is_skip(&self) -> bool {
        matches!(self, ItemError::NotRegular(_) | ItemError::Revisited)
    }
}

/// What a non-regular file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Fifo,
    Socket,
    Device,
    Other,
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileKind::Fifo => "a FIFO",
            FileKind::Socket => "a socket",
            FileKind::Device => "a device",
            FileKind::Other => "a special file",
        })
    }
}

impl FileKind {
    pub(crate) fn of(t: std::fs::FileType) -> FileKind {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return FileKind::Fifo;
            }
            if t.is_socket() {
                return FileKind::Socket;
            }
            if t.is_block_device() || t.is_char_device() {
                return FileKind::Device;
            }
        }
        let _ = t;
        FileKind::Other
    }
}

/// One message found in a batch input.
#[derive(Debug)]
pub struct Item {
    pub path: String,
    /// Byte offset of the message's From_ line in an mbox.
    pub offset: Option<u64>,
    /// Position within its file (mbox) or 0.
    pub index: usize,
    pub bytes: Result<Vec<u8>, ItemError>,
}

/// Whether to go on reading (the receiver may have stopped, or Ctrl-C was pressed).
pub type Keep = bool;

/// The longest piece of an mbox line read at once: a longer line is read in pieces, so memory
/// stays within the message limit however long a line is.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// What the remaining pieces of a long mbox line are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rest {
    /// A From_ line: not part of any message.
    Envelope,
    /// Message octets.
    Data,
}

/// Add `data` to a message unless it is over `limit` already; once over, its octets are let go.
fn add(bytes: &mut Vec<u8>, too_large: &mut bool, data: &[u8], limit: u64) {
    if *too_large {
        return;
    }
    if (bytes.len() + data.len()) as u64 > limit {
        *too_large = true;
        *bytes = Vec::new();
        return;
    }
    bytes.extend_from_slice(data);
}

/// Split an mbox into messages at From_ lines. mboxrd quoting (`>From `, `>>From `) loses one
/// `>`; a Content-Length field (mboxcl) makes its body be read as is.
pub fn mbox(
    path: &Path,
    mut reader: impl std::io::BufRead,
    limit: u64,
    emit: &mut dyn FnMut(Item) -> Keep,
) -> Keep {
    let shown = path.display().to_string();
    let mut offset = 0u64;
    let mut index = 0usize;
    let mut line = Vec::new();
    let mut current: Option<(u64, Vec<u8>, bool)> = None; // (offset, bytes, too large)
    let mut in_headers = false;
    let mut content_length: Option<u64> = None;
    let mut prev_blank = true;
    let finish = |current: Option<(u64, Vec<u8>, bool)>,
                  index: &mut usize,
                  emit: &mut dyn FnMut(Item) -> Keep|
     -> Keep {
        let Some((at, mut bytes, too_large)) = current else {
            return true;
        };
        // The blank line before the next From_ belongs to the mbox, not the message.
        if bytes.ends_with(b"\r\n\r\n") || bytes.ends_with(b"\n\r\n") {
            bytes.truncate(bytes.len() - 2);
        } else if bytes.ends_with(b"\n\n") {
            bytes.truncate(bytes.len() - 1);
        }
        let item = Item {
            path: shown.clone(),
            offset: Some(at),
            index: *index,
            bytes: if too_large {
                Err(ItemError::TooLarge(limit))
            } else {
                Ok(bytes)
            },
        };
        *index += 1;
        emit(item)
    };
    // Inside a line longer than MAX_LINE: what the rest of it is.
    let mut rest_of: Option<Rest> = None;
    loop {
        line.clear();
        let n = match reader
            .by_ref()
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) => break,
            Ok(n) => n as u64,
            Err(e) => {
                let _ = finish(current.take(), &mut index, emit);
                return emit(Item {
                    path: shown.clone(),
                    offset: Some(offset),
                    index,
                    bytes: Err(ItemError::Read(e)),
                });
            }
        };
        let continues = !line.ends_with(b"\n");
        if let Some(rest) = rest_of {
            // The next piece of a long line: no From_, blank or field test applies to it.
            offset += n;
            if rest == Rest::Data
                && let Some((_, bytes, too_large)) = current.as_mut()
            {
                add(bytes, too_large, &line, limit);
            }
            if !continues {
                rest_of = None;
            }
            prev_blank = false;
            continue;
        }
        if line.starts_with(b"From ") && prev_blank {
            if !finish(current.take(), &mut index, emit) {
                return false;
            }
            current = Some((offset, Vec::new(), false));
            in_headers = true;
            content_length = None;
            offset += n;
            prev_blank = false;
            rest_of = continues.then_some(Rest::Envelope);
            continue;
        }
        rest_of = continues.then_some(Rest::Data);
        offset += n;
        let blank = line == b"\n" || line == b"\r\n";
        let Some((_, bytes, too_large)) = current.as_mut() else {
            prev_blank = blank;
            continue;
        };
        let mut data: &[u8] = &line;
        if in_headers {
            if blank {
                in_headers = false;
            } else if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
                content_length = std::str::from_utf8(&line[15..])
                    .ok()
                    .and_then(|v| v.trim().parse().ok());
            }
        } else if line.starts_with(b">")
            && line
                .iter()
                .skip_while(|&&b| b == b'>')
                .take(5)
                .eq(b"From ".iter())
        {
            data = &line[1..];
        }
        add(bytes, too_large, data, limit);
        // mboxcl: the body is exactly Content-Length bytes, From_ lines and all.
        if blank
            && !in_headers
            && let Some(len) = content_length.take()
            && len <= limit
        {
            let mut body = Vec::new();
            if reader.by_ref().take(len).read_to_end(&mut body).is_ok() {
                offset += body.len() as u64;
                if !*too_large {
                    bytes.extend_from_slice(&body);
                }
                prev_blank = body.is_empty() || body.ends_with(b"\n");
                continue;
            }
        }
        prev_blank = blank;
    }
    finish(current.take(), &mut index, emit)
}

/// How many messages `data` holds read as an mbox, counting no further than `at_most`: `check`
/// refuses an mbox of several messages instead of silently checking the first.
pub fn count(data: &[u8], at_most: usize) -> usize {
    if !data.starts_with(b"From ") {
        return 1;
    }
    let mut n = 0;
    mbox(
        Path::new("-"),
        std::io::Cursor::new(data),
        u64::MAX,
        &mut |_| {
            n += 1;
            n < at_most
        },
    );
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        mbox(
            Path::new("t.mbox"),
            std::io::Cursor::new(data.to_vec()),
            1 << 20,
            &mut |i| {
                out.push(i.bytes.unwrap_or_default());
                true
            },
        );
        out
    }

    #[test]
    fn count_stops_early() {
        let two = b"From a@b Mon Jan 1 00:00:00 2024\nSubject: 1\n\nhi\n\nFrom c@d Mon Jan 1 00:00:00 2024\nSubject: 2\n\nbye\n";
        assert_eq!(count(two, 5), 2);
        assert_eq!(count(two, 1), 1);
        assert_eq!(count(&two[..40], 5), 1);
        assert_eq!(count(b"Subject: x\n\nFrom here\n", 5), 1);
    }

    #[test]
    fn from_lines_split_and_mboxrd_unquotes() {
        let m = split(b"From a@b Mon Jan 1 00:00:00 2024\nSubject: 1\n\nhi\n>From the start\n>>From deeper\n\nFrom c@d Mon Jan 1 00:00:00 2024\nSubject: 2\n\nbye\n");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0], b"Subject: 1\n\nhi\nFrom the start\n>From deeper\n");
        assert_eq!(m[1], b"Subject: 2\n\nbye\n");
    }

    #[test]
    fn content_length_bodies_may_hold_from_lines() {
        let m = split(b"From a@b x\nContent-Length: 22\n\nFrom inside the body\n\nFrom c@d y\nSubject: 2\n\nz\n");
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(m[0], b"Content-Length: 22\n\nFrom inside the body\n");
    }

    #[test]
    fn long_lines_are_read_in_pieces_and_kept_whole() {
        let long = "x".repeat(3 * MAX_LINE + 7);
        let data = format!(
            "From {long}\nSubject: 1\n\n{long}\nFrom the body\n\nFrom c@d y\nSubject: 2\n\nz\n"
        );
        let m = split(data.as_bytes());
        assert_eq!(
            m.len(),
            2,
            "the long From_ line and body line split nothing"
        );
        assert_eq!(
            m[0],
            format!("Subject: 1\n\n{long}\nFrom the body\n").as_bytes()
        );
        // Over the limit: dropped as it is read, reported as too large.
        let mut items = Vec::new();
        mbox(
            Path::new("t.mbox"),
            std::io::Cursor::new(data.into_bytes()),
            1000,
            &mut |i| {
                items.push(i.bytes.map(|b| b.len()));
                true
            },
        );
        assert!(matches!(items[0], Err(ItemError::TooLarge(1000))));
        assert_eq!(items[1].as_ref().ok(), Some(&14));
    }
}
