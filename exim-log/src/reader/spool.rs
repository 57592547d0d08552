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

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1sAoM5-0000000AAAA-0001";
    const B: &str = "1sAoM5-00000009r3p-0002";
    const OLDER: &str = "1sAoM4-0000000zzzz-0900";

    /// A spool directory holding `files` (name, contents).
    fn spool(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            let path = dir.path().join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, bytes).unwrap();
        }
        dir
    }

    /// `exim -bp` order: the id's time, then its sub-second part, not the
    /// whole name (B's name sorts before A's: `9` before `A`). Only `-H`
    /// files with a message id count, flat or in a one-character split
    /// directory; the rest is left alone.
    #[test]
    fn header_files_in_queue_order() {
        let dir = spool(&[
            (&format!("input/{B}-H"), b"b"),
            (&format!("input/A/{A}-H"), b"a"),
            (&format!("input/{OLDER}-H"), b"o"),
            (&format!("input/{A}-D"), b"data"),
            ("input/junk-H", b"j"),
            (&format!("input/AB/{B}-H"), b"not a split directory"),
        ]);
        let mut q = SpoolDir::open(dir.path()).unwrap();
        assert_eq!((q.len(), q.is_empty()), (3, false));
        assert_eq!(q.size_hint(), (3, Some(3)));
        let first = q.next().unwrap().unwrap();
        assert_eq!(first.id(), Some(OLDER));
        assert_eq!(first.header, b"o");
        assert_eq!((q.len(), q.size_hint()), (2, (2, Some(2))));
        let ids: Vec<_> = q
            .by_ref()
            .map(|f| f.unwrap().id().unwrap().to_string())
            .collect();
        assert_eq!(ids, [A, B]);
        assert!(q.is_empty());
        assert_eq!(q.len(), 0);
        // The input/ directory itself, or a directory without one: alike.
        assert_eq!(SpoolDir::open(dir.path().join("input")).unwrap().len(), 3);
    }

    /// The `-D` file's length and the `-J` journal come with the header;
    /// an address of the journal counts as delivered, a line at a time.
    #[test]
    fn data_length_and_journal() {
        // A header file Exim 4.96 wrote (tests/data/spool): one recipient,
        // none delivered, live headers of 194+26+41+42+89+44+51+38 = 525 bytes.
        const S: &str = "1xZnLL-0006bP-1L";
        let header = fs::read(format!(
            "{}/tests/data/spool/flat/input/{S}-H",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let dir = spool(&[
            (&format!("{S}-H"), &header),
            // `ID-D` and the body: 19 + 5 bytes.
            (&format!("{S}-D"), b"1xZnLL-0006bP-1L-D\nbody\n"),
            (&format!("{S}-J"), b"one@example.com\ntwo@example.com\n"),
            (&format!("{A}-H"), &header),
        ]);
        let files: Vec<_> = SpoolDir::open(dir.path())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        // A's time part (`1sAoM5`) is before S's (`1xZnLL`).
        let [a, s] = &files[..] else { panic!() };
        assert_eq!(s.id(), Some(S));
        assert_eq!(s.data_len, Some(24));
        // 525 header bytes + the body (24 - 19) + the blank line between.
        assert_eq!(s.listing_size(), Some(531));
        assert_eq!(a.data_len, None);
        assert_eq!(a.journal, None);
        assert_eq!(a.listing_size(), None, "no -D file");
        let h = s.parse().unwrap();
        assert!(!h.is_delivered(b"two@example.com"));
        assert!(s.is_delivered(&h, b"two@example.com"));
        assert!(s.is_delivered(&h, b"one@example.com"));
        assert!(!s.is_delivered(&h, b"two@example"));
        assert!(!s.is_delivered(&h, b"victim3@later.example"));
        assert!(!a.is_delivered(&h, b"one@example.com"));
    }

    /// The name gives the id only when it is one, with `-H`.
    #[test]
    fn the_id_is_the_file_name_s() {
        let f = |p: &str| QueuedFile {
            path: PathBuf::from(p),
            header: Vec::new(),
            data_len: None,
            journal: None,
        };
        assert_eq!(f(&format!("/q/input/{A}-H")).id(), Some(A));
        assert_eq!(f(&format!("/q/input/{A}-D")).id(), None);
        assert_eq!(f("/q/input/not-an-id-H").id(), None);
    }

    /// A header file of exactly the limit is read; one byte more is refused
    /// (sparse files: nothing is written but the length).
    #[test]
    fn header_files_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{A}-H"));
        let f = fs::File::create(&path).unwrap();
        f.set_len(MAX_HEADER_FILE).unwrap();
        assert_eq!(
            read_queued(path.clone()).unwrap().header.len() as u64,
            MAX_HEADER_FILE
        );
        f.set_len(MAX_HEADER_FILE + 1).unwrap();
        let e = read_queued(path).unwrap_err();
        assert!(matches!(e, SpoolDirError::TooLarge { .. }), "{e}");
        assert!(e.to_string().ends_with("larger than 67108864 bytes"), "{e}");
    }
}
