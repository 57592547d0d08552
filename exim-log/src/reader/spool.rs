//! Reading Exim's spool directory: the `-H` files of the queued messages, the
//! size of their `-D` files and their `-J` journals.
//!
//! With `split_spool_directory` the files live in `input/X/`, `X` being the
//! sixth character of the id (`functions.h set_subdir_str`); without it in
//! `input/`. Exim looks in both, since the setting can change while messages
//! wait; so does [`SpoolDir`].

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::spool::{self, HeaderFile, SpoolError};

/// The largest `-H` file read (64 MiB). Exim itself refuses header lines over
/// a few hundred kilobytes; a bigger file is damaged or hostile, and reading
/// it whole would break the memory bound.
pub const MAX_HEADER_FILE: u64 = 64 << 20;

/// An error while reading a spool directory.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SpoolDirError {
    /// A directory or file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A `-H` file is larger than [`MAX_HEADER_FILE`].
    #[error("{}: larger than {MAX_HEADER_FILE} bytes", path.display())]
    TooLarge {
        /// The path.
        path: PathBuf,
    },
}

/// One queued message as found in the spool: the bytes of its `-H` file, the
/// length of its `-D` file and its `-J` journal if one was left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedFile {
    /// The `-H` file.
    pub path: PathBuf,
    /// Its contents.
    pub header: Vec<u8>,
    /// The length of the `-D` file beside it, when it exists.
    pub data_len: Option<u64>,
    /// The `-J` journal (addresses delivered during an interrupted delivery, one
    /// a line), when it exists.
    pub journal: Option<Vec<u8>>,
}

impl QueuedFile {
    /// Parses the `-H` file.
    pub fn parse(&self) -> Result<HeaderFile<'_>, SpoolError> {
        spool::parse_header(&self.header)
    }

    /// The message id from the file name (what `exim -bp` lists even when the
    /// file cannot be parsed).
    pub fn id(&self) -> Option<&str> {
        self.path
            .file_name()?
            .to_str()?
            .strip_suffix("-H")
            .filter(|id| crate::MessageId::parse(id.as_bytes()).is_some())
    }

    /// The size `exim -bp` shows (needs the `-D` file's length and a valid
    /// header file).
    pub fn listing_size(&self) -> Option<u64> {
        Some(self.parse().ok()?.listing_size(self.data_len?))
    }

    /// True when `address` was delivered: in the non-recipients tree, or in the
    /// journal (Exim adds the journal's addresses to the tree before listing).
    pub fn is_delivered(&self, header: &HeaderFile<'_>, address: &[u8]) -> bool {
        header.is_delivered(address)
            || self
                .journal
                .as_deref()
                .is_some_and(|j| j.split(|&c| c == b'\n').any(|l| l == address))
    }
}

/// The messages of a spool directory, in message-id order (the order of
/// `exim -bp`), read one at a time.
///
/// ```no_run
/// use exim_log::reader::SpoolDir;
///
/// for file in SpoolDir::open("/var/spool/exim4")? {
///     let file = file?;
///     let Ok(h) = file.parse() else { continue };
///     println!("{} {} {}", h.id, h.login, h.recipient_count());
/// }
/// # Ok::<(), exim_log::reader::SpoolDirError>(())
/// ```
#[derive(Debug)]
pub struct SpoolDir {
    files: std::vec::IntoIter<PathBuf>,
}

impl SpoolDir {
    /// Lists the `-H` files under `dir`: the spool directory (with `input/`),
    /// or its `input/` directory itself.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, SpoolDirError> {
        let dir = dir.as_ref();
        let input = dir.join("input");
        let input = if input.is_dir() {
            input
        } else {
            dir.to_path_buf()
        };
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SpoolDirError::Io { path, source }
        };
        let mut files = Vec::new();
        for entry in fs::read_dir(&input).map_err(io_err(&input))? {
            let entry = entry.map_err(io_err(&input))?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let ty = entry.file_type().map_err(io_err(&path))?;
            if ty.is_dir() && name.len() == 1 {
                // A split subdirectory.
                for sub in fs::read_dir(&path).map_err(io_err(&path))? {
                    let sub = sub.map_err(io_err(&path))?;
                    if is_header_name(&sub.file_name().to_string_lossy()) {
                        files.push(sub.path());
                    }
                }
            } else if ty.is_file() && is_header_name(&name) {
                files.push(path);
            }
        }
        // In `exim -bp` order (`queue.c merge_queue_lists`): by the time part of
        // the id, then by its sub-second part (not the pid); the whole name
        // breaks the remaining ties, which Exim leaves to directory order.
        files.sort_by_cached_key(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let id = name.strip_suffix("-H").unwrap_or(&name);
            let time = id.get(..6).unwrap_or_default().to_string();
            let fraction = id.rsplit('-').next().unwrap_or_default().to_string();
            (time, fraction, name)
        });
        Ok(SpoolDir {
            files: files.into_iter(),
        })
    }

    /// How many `-H` files remain.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when no `-H` file remains.
    pub fn is_empty(&self) -> bool {
        self.files.len() == 0
    }
}

fn is_header_name(name: &str) -> bool {
    name.strip_suffix("-H")
        .is_some_and(|id| crate::MessageId::parse(id.as_bytes()).is_some())
}

impl Iterator for SpoolDir {
    type Item = Result<QueuedFile, SpoolDirError>;

    fn next(&mut self) -> Option<Self::Item> {
        let path = self.files.next()?;
        Some(read_queued(path))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.files.size_hint()
    }
}

fn read_queued(path: PathBuf) -> Result<QueuedFile, SpoolDirError> {
    let io_err = |source| SpoolDirError::Io {
        path: path.clone(),
        source,
    };
    let file = fs::File::open(&path).map_err(io_err)?;
    let mut header = Vec::new();
    file.take(MAX_HEADER_FILE + 1)
        .read_to_end(&mut header)
        .map_err(io_err)?;
    if header.len() as u64 > MAX_HEADER_FILE {
        return Err(SpoolDirError::TooLarge { path });
    }
    let sibling = |suffix: &str| {
        let name = path.file_name()?.to_str()?.strip_suffix("-H")?;
        Some(path.with_file_name(format!("{name}{suffix}")))
    };
    let data_len = sibling("-D")
        .and_then(|p| fs::metadata(p).ok())
        .map(|m| m.len());
    let journal = sibling("-J").and_then(|p| {
        let f = fs::File::open(p).ok()?;
        let mut j = Vec::new();
        f.take(MAX_HEADER_FILE).read_to_end(&mut j).ok()?;
        Some(j)
    });
    Ok(QueuedFile {
        path,
        header,
        data_len,
        journal,
    })
}
