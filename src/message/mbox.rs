//! Batch inputs: mbox files (streamed), Maildir folders, folders of `.eml` files.

use std::collections::HashSet;
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
    fn of(t: std::fs::FileType) -> FileKind {
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
const MAX_LINE: usize = 64 * 1024;

/// What the walk finds, in input order: a message already read (from an mbox stream, or from
/// a file named on the command line or reached through a link), or a regular file listed in a
/// folder, which the receiver opens and reads with [`read_file`]. `batch` hands those files to
/// its workers, so the opening and reading is spread over them rather than done by the one
/// thread that walks.
#[derive(Debug)]
pub enum Found {
    Message(Item),
    File(std::path::PathBuf),
}

/// Walk batch inputs in a stable order, one message at a time: an mbox is streamed, never
/// loaded whole, and a message over `limit` is reported without being kept. Each folder is read
/// once (by device and inode), so symbolic links cannot make the walk loop; inside folders only
/// regular files are opened. A path named on the command line is read whatever it is (a FIFO
/// from `<(zcat archive.gz)` is meant).
pub fn walk(paths: &[std::path::PathBuf], limit: u64, emit: &mut dyn FnMut(Found) -> Keep) {
    let mut walker = Walker {
        limit,
        visited: HashSet::new(),
    };
    for path in paths {
        if !walker.path(path, true, emit) {
            return;
        }
    }
}

/// Read a regular file a folder listed ([`Found::File`]): its message, or each message of it
/// when it is an mbox, streamed. It is checked again on the open file, so nothing swapped in
/// since the listing (a FIFO, a device) is read. `scratch` is a buffer to read into (a
/// message's bytes given back once checked: its allocation serves the next file).
pub fn read_file(
    path: &Path,
    limit: u64,
    scratch: Vec<u8>,
    emit: &mut dyn FnMut(Item) -> Keep,
) -> Keep {
    file(path, false, limit, scratch, emit)
}

struct Walker {
    limit: u64,
    /// (device, inode) of every folder read.
    visited: HashSet<(u64, u64)>,
}

fn message(path: &Path, bytes: Result<Vec<u8>, ItemError>) -> Found {
    Found::Message(item(path, bytes))
}

fn item(path: &Path, bytes: Result<Vec<u8>, ItemError>) -> Item {
    Item {
        path: path.display().to_string(),
        offset: None,
        index: 0,
        bytes,
    }
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

impl Walker {
    fn path(&mut self, path: &Path, named: bool, emit: &mut dyn FnMut(Found) -> Keep) -> Keep {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return emit(message(path, Err(ItemError::CannotOpen(e)))),
        };
        if meta.is_dir() {
            if let Some(id) = identity(&meta)
                && !self.visited.insert(id)
            {
                return emit(message(path, Err(ItemError::Revisited)));
            }
            return self.folder(path, emit);
        }
        if !meta.is_file() && !named {
            return emit(message(
                path,
                Err(ItemError::NotRegular(FileKind::of(meta.file_type()))),
            ));
        }
        file(path, named, self.limit, Vec::new(), &mut |i| {
            emit(Found::Message(i))
        })
    }

    fn folder(&mut self, path: &Path, emit: &mut dyn FnMut(Found) -> Keep) -> Keep {
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
            // The entry's type comes with the folder listing (no stat per entry); only a
            // symbolic link is followed to see what it is.
            let mut entries: Vec<(std::path::PathBuf, Option<std::fs::FileType>)> =
                match std::fs::read_dir(&dir) {
                    Ok(rd) => rd
                        .filter_map(|e| e.ok().map(|e| (e.path(), e.file_type().ok())))
                        .collect(),
                    Err(e) => return emit(message(&dir, Err(ItemError::CannotOpen(e)))),
                };
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (entry, kind) in entries {
                let plain_file = kind.is_some_and(|k| k.is_file());
                let is_dir = match kind {
                    Some(k) if !k.is_symlink() => k.is_dir(),
                    _ => entry.is_dir(),
                };
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
                if !take || name.starts_with('.') {
                    continue;
                }
                // A regular file (as listed) goes to the receiver to read; anything else is
                // looked at here first.
                let keep = if plain_file {
                    emit(Found::File(entry))
                } else {
                    self.path(&entry, false, emit)
                };
                if !keep {
                    return false;
                }
            }
        }
        true
    }
}

/// One open per file (a FIFO named on the command line can be read only once) and, for a
/// message file, one read: the size from the open file sizes the buffer, and a short read
/// of a regular file is its end. The first octets say whether it is an mbox, which is then
/// streamed from there.
fn file(
    path: &Path,
    named: bool,
    limit: u64,
    mut buf: Vec<u8>,
    emit: &mut dyn FnMut(Item) -> Keep,
) -> Keep {
    buf.clear();
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return emit(item(path, Err(ItemError::CannotOpen(e)))),
    };
    let meta = file.metadata().ok();
    // It may have been swapped for something else since it was looked at.
    if !named
        && let Some(meta) = &meta
        && !meta.is_file()
    {
        return emit(item(
            path,
            Err(ItemError::NotRegular(FileKind::of(meta.file_type()))),
        ));
    }
    let size = meta
        .as_ref()
        .filter(|m| m.is_file())
        .map(std::fs::Metadata::len);
    let max = usize::try_from(limit).unwrap_or(usize::MAX);
    // Enough for the whole file and one octet more (its end, or a file over the limit),
    // but never more than one mbox line's worth before knowing what the file is.
    let head = match size {
        Some(s) => usize::try_from(s).map_or(MAX_LINE, |s| s.saturating_add(1).min(MAX_LINE)),
        None => MAX_LINE,
    }
    .min(max.saturating_add(1));
    let at_end = match read_head(&mut file, &mut buf, head, size.is_some()) {
        Ok(end) => end,
        Err(e) => return emit(item(path, Err(ItemError::Read(e)))),
    };
    if buf.starts_with(b"From ") {
        let reader =
            std::io::BufReader::with_capacity(MAX_LINE, std::io::Cursor::new(buf).chain(file));
        return mbox(path, reader, limit, emit);
    }
    if !at_end && buf.len() <= max {
        if let Some(s) = size {
            buf.reserve(
                usize::try_from(s)
                    .unwrap_or(0)
                    .min(max)
                    .saturating_sub(buf.len())
                    + 1,
            );
        }
        let more = (max - buf.len()) as u64 + 1;
        if let Err(e) = file.take(more).read_to_end(&mut buf) {
            return emit(item(path, Err(ItemError::Read(e))));
        }
    }
    let bytes = if buf.len() > max {
        Err(ItemError::TooLarge(limit))
    } else {
        Ok(buf)
    };
    emit(item(path, bytes))
}

/// Read up to `want` octets into `buf`; whether the end of the file was seen. A regular file
/// (`regular`) that gives fewer octets than asked has ended: no second read to hear it say so.
fn read_head(
    file: &mut std::fs::File,
    buf: &mut Vec<u8>,
    want: usize,
    regular: bool,
) -> std::io::Result<bool> {
    buf.resize(want, 0);
    let mut got = 0;
    let mut at_end = false;
    while got < want {
        match file.read(&mut buf[got..]) {
            Ok(0) => {
                at_end = true;
                break;
            }
            Ok(n) => {
                got += n;
                if regular && got < want {
                    at_end = true;
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(got);
                return Err(e);
            }
        }
    }
    buf.truncate(got);
    Ok(at_end)
}

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
