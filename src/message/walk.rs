//! Batch inputs: files and folders walked in a stable order (Maildir folders, folders of
//! `.eml` files, mbox files, which are streamed by [`super::mbox`]).

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use super::mbox::{FileKind, Item, ItemError, Keep, MAX_LINE, mbox};

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
