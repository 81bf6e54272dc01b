//! Batch inputs: mbox files (streamed), Maildir folders, folders of `.eml` files.

use std::io::Read;
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

/// Walk batch inputs in a stable order, one message at a time: an mbox is streamed, never
/// loaded whole, and a message over `limit` is reported without being kept.
pub fn walk(paths: &[std::path::PathBuf], limit: u64, emit: &mut dyn FnMut(Item) -> Keep) {
    for path in paths {
        if !walk_path(path, limit, emit) {
            return;
        }
    }
}

fn unreadable(path: &Path, e: std::io::Error) -> Item {
    Item {
        path: path.display().to_string(),
        offset: None,
        index: 0,
        bytes: Err(ItemError::CannotOpen(e)),
    }
}

fn walk_path(path: &Path, limit: u64, emit: &mut dyn FnMut(Item) -> Keep) -> Keep {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return emit(unreadable(path, e)),
    };
    if meta.is_dir() {
        let maildir = ["cur", "new"].iter().any(|d| path.join(d).is_dir());
        let dirs: Vec<std::path::PathBuf> = if maildir {
            ["cur", "new"]
                .iter()
                .map(|d| path.join(d))
                .filter(|d| d.is_dir())
                .collect()
        } else {
            vec![path.to_path_buf()]
        };
        for dir in dirs {
            let mut entries: Vec<std::path::PathBuf> = match std::fs::read_dir(&dir) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(e) => return emit(unreadable(&dir, e)),
            };
            entries.sort();
            for entry in entries {
                let is_dir = entry.is_dir();
                let name = entry
                    .file_name()
                    .map(|n| n.to_string_lossy().to_ascii_lowercase())
                    .unwrap_or_default();
                // In a Maildir every file is a message; elsewhere .eml files, .mbox files and
                // subfolders.
                let take = maildir && !is_dir
                    || is_dir && !maildir
                    || name.ends_with(".eml")
                    || name.ends_with(".mbox");
                if take && !name.starts_with('.') && !walk_path(&entry, limit, emit) {
                    return false;
                }
            }
        }
        return true;
    }
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return emit(unreadable(path, e)),
    };
    let mut head = [0u8; 5];
    let n = file.read(&mut head).unwrap_or(0);
    if &head[..n] == b"From " {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => return emit(unreadable(path, e)),
        };
        return mbox(path, std::io::BufReader::new(file), limit, emit);
    }
    let bytes = match std::fs::File::open(path) {
        Ok(f) => {
            let mut buf = Vec::new();
            match f.take(limit + 1).read_to_end(&mut buf) {
                Ok(_) if buf.len() as u64 > limit => Err(ItemError::TooLarge(limit)),
                Ok(_) => Ok(buf),
                Err(e) => Err(ItemError::Read(e)),
            }
        }
        Err(e) => Err(ItemError::CannotOpen(e)),
    };
    emit(Item {
        path: path.display().to_string(),
        offset: None,
        index: 0,
        bytes,
    })
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
    loop {
        line.clear();
        let n = match reader.read_until(b'\n', &mut line) {
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
        if line.starts_with(b"From ") && prev_blank {
            if !finish(current.take(), &mut index, emit) {
                return false;
            }
            current = Some((offset, Vec::new(), false));
            in_headers = true;
            content_length = None;
            offset += n;
            prev_blank = false;
            continue;
        }
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
        if !*too_large {
            bytes.extend_from_slice(data);
            if bytes.len() as u64 > limit {
                *too_large = true;
                bytes.clear();
            }
        }
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
}
