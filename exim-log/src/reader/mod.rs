//! Reading real log files: plain or gzipped, one file, a rotated set, stdin,
//! or a file that is still growing.
//!
//! The parser ([`crate::parse_line`]) does no I/O; this module feeds it. Every
//! reader has one shape, that of `csv`'s `Reader::read_record` ([`LineSource`]):
//!
//! * `read_line(&mut buf) -> Result<Option<Position>, ReadError>` fills a
//!   buffer the caller owns and reuses, and returns the line's [`Position`],
//!   which names its file. `Ok(None)` is the end; an error is one line's or
//!   one file's problem, and the next call goes on. Memory stays flat whatever
//!   the file size: the reader holds one fixed-size read buffer, and a line
//!   longer than [`LogReader::max_line_len`] is reported as
//!   [`ReadErrorKind::LineTooLong`] (with its position) while its bytes are
//!   skipped, so the buffer never grows past the cap.
//! * `next_line() -> Result<Option<(&[u8], &Position)>, ReadError>` is the
//!   zero-copy twin: the line is borrowed from the read buffer, and only a line
//!   that straddles two buffer fills is copied. Same lines, positions and
//!   errors; use it when each line is looked at once (parse, count, filter).
//! * `read_matching_line` is the search fast path: a [`Prefilter`] (memchr
//!   `memmem`) runs over whole read buffers and only the lines that contain a
//!   needle are split out.
//!
//! The readers: [`LogReader`] over any [`Read`] (a file, stdin, bytes);
//! [`LogFiles`], several inputs as one stream, built from what a command line
//! names ([`LogFiles::from_args`]: files, directories standing for their
//! rotated set, `-` for stdin); and [`Follow`], which keeps reading a file as
//! Exim appends to it, across rotation. [`LogReader::records`] and the
//! iterators of `LogFiles` and `Follow` give owned [`Record`]s instead (one
//! allocation per line). Each input's [`Framing`] (plain, syslog, journald)
//! is told from its first read buffer, so a caller can unwrap syslog lines per
//! input with [`crate::syslog::Unwrap`].
//!
//! Gzip is detected from the content (the `1f 8b` magic), not the file name,
//! and multi-member gzip files are read whole ([`Input`]).
//!
//! **Lines that do not parse** (no timestamp: rejectlog header lines, paniclog
//! continuation lines, junk) are never dropped: the reader yields every line as
//! a raw [`Record`], and [`Record::parse`] returns a [`ReadError`] carrying the
//! file, the position and the [`ParseError`] for those.
//!
//! **Errors that end a file** (missing or unreadable file, truncated or corrupt
//! gzip) come after every complete line before the fault, and name the file and
//! the position of the first line that could not be read.
//!
//! ```
//! use exim_log::reader::LogReader;
//!
//! let log = b"2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed\nnot a log line\n";
//! let mut rdr = LogReader::new(&log[..]);
//! let mut buf = Vec::new();
//! let pos = rdr.read_line(&mut buf)?.unwrap();
//! assert_eq!((pos.line, pos.byte), (1, 0));
//! assert_eq!(exim_log::parse_line(&buf)?.event.name(), "completed");
//!
//! let pos = rdr.read_line(&mut buf)?.unwrap();
//! assert_eq!((pos.line, pos.byte), (2, 54));
//! assert!(exim_log::parse_line(&buf).is_err()); // still yielded, never dropped
//! assert!(rdr.read_line(&mut buf)?.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod borrowed;
mod domlogs;
mod files;
mod follow;
mod gz;
mod pipe;
mod range;
mod rotate;
mod search;
mod spool;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use thiserror::Error;

use crate::error::ParseError;
use crate::line::{LogLine, parse_line};
use crate::syslog::Framing;

pub use domlogs::{DomLog, cpanel_userdata, domlogs};
pub use files::{DynRead, LogFiles};
pub use follow::{Follow, FollowControl, Sleep};
pub use gz::Input;
pub(crate) use gz::{file_framing, starts_with_gzip};
pub use pipe::Pipelined;
pub use range::{RangeRead, split};
pub use rotate::{RotationKey, order_rotated, rotated};
use search::SearchState;
pub use search::{LineMatcher, Prefilter};
pub use spool::{MAX_HEADER_FILE, QueuedFile, SpoolDir, SpoolDirError};

/// Default cap on the length of one line: 1 MiB. Exim's own log buffer is
/// `LOG_BUFFER_SIZE` (8 KiB) per line (spec §1.6 overflow marker), so a longer
/// line is not something Exim wrote.
pub const DEFAULT_MAX_LINE_LEN: usize = 1 << 20;

/// Size of the read buffer: large enough that searching runs at memory speed.
const READ_BUFFER: usize = 64 * 1024;

/// Where a line starts: its file (when named), line number and byte offset.
///
/// Every reader returns one with each line ([`LogReader::read_line`],
/// [`LogFiles::read_line`], [`Follow::read_line`], and by reference from the
/// `next_line` twins), so a caller never pairs a position with a file itself.
/// For a gzipped file, `byte` counts decompressed bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: u64,
    /// Byte offset of the start of the line, starting at 0.
    pub byte: u64,
    /// The file, when reading a named file (`None` for stdin or a bare reader).
    /// Shared by every line of the file: cloning a position is cheap.
    pub file: Option<Arc<Path>>,
}

impl Position {
    /// The position of the first line of a stream (no file).
    pub const fn start() -> Self {
        Position::new(1, 0)
    }

    /// A position in a stream without a file name.
    pub const fn new(line: u64, byte: u64) -> Self {
        Position {
            line,
            byte,
            file: None,
        }
    }

    /// The same position in `file`.
    pub fn in_file(mut self, file: Option<Arc<Path>>) -> Self {
        self.file = file;
        self
    }

    /// The file name, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

impl fmt::Display for Position {
    /// `FILE: line N (byte B)`, or `line N (byte B)` without a file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        write!(f, "line {} (byte {})", self.line, self.byte)
    }
}

/// What went wrong while reading.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// The file could not be opened (missing, permission denied, a directory...).
    #[error("cannot open: {0}")]
    Open(#[source] io::Error),
    /// Reading failed: an I/O error, or a truncated or corrupt gzip stream. The
    /// rest of this file cannot be read; every complete line before it was yielded.
    #[error("read failed{}: {source}", partial_note(*.partial_line_bytes))]
    Read {
        /// The underlying error (flate2 reports gzip faults as I/O errors).
        #[source]
        source: io::Error,
        /// Bytes of the incomplete line at the fault, which were not yielded.
        partial_line_bytes: u64,
    },
    /// A line is longer than the configured cap. Its bytes were skipped; reading
    /// goes on with the next line.
    #[error("line of {length} bytes is longer than the limit of {limit}")]
    LineTooLong {
        /// The length of the line, without its line ending.
        length: u64,
        /// The configured cap.
        limit: usize,
    },
    /// The line has no valid prefix (timestamp, optional `[pid]`).
    #[error("{0}")]
    Parse(#[source] ParseError),
}

fn partial_note(n: u64) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" after {n} bytes of an incomplete line")
    }
}

/// An error while reading a log: what, in which file, at which line.
#[derive(Debug, Error)]
#[error("{position}: {kind}")]
pub struct ReadError {
    /// The start of the line where the error was found, with its file.
    pub position: Position,
    /// What went wrong.
    #[source]
    pub kind: ReadErrorKind,
}

impl ReadError {
    /// True when the error ends its file (open or read failure); false when
    /// reading goes on (a line too long, a line that does not parse).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self.kind,
            ReadErrorKind::Open(_) | ReadErrorKind::Read { .. }
        )
    }

    /// The file, when reading a named file.
    pub fn file(&self) -> Option<&Path> {
        self.position.file()
    }

    /// A file that cannot be opened.
    pub(crate) fn open(file: Arc<Path>, e: io::Error) -> Self {
        ReadError {
            position: Position::start().in_file(Some(file)),
            kind: ReadErrorKind::Open(e),
        }
    }
}

/// One raw line with where it came from. Owns its bytes, so it can be kept
/// (e.g. by [`crate::assemble::Assembler`]) after the reader moved on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    raw: Vec<u8>,
    position: Position,
}

impl Record {
    /// A record from its parts (without its line ending).
    pub fn new(raw: Vec<u8>, position: Position) -> Self {
        Record { raw, position }
    }

    /// Frees the spare capacity of the line's buffer (a long line read in
    /// pieces may have up to twice its length), before it is kept.
    pub fn shrink_to_fit(&mut self) {
        self.raw.shrink_to_fit();
    }

    /// Adds `by` to its line number (a line of a byte range, numbered from
    /// the range's start, renumbered once the lines before it are counted).
    pub(crate) fn shift_line(&mut self, by: u64) {
        self.position.line += by;
    }

    /// The line as read, without its line ending.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Where the line starts, with its file.
    pub fn position(&self) -> &Position {
        &self.position
    }

    /// The file it was read from, if named.
    pub fn file(&self) -> Option<&Path> {
        self.position.file()
    }

    /// The shared file name, cheap to clone.
    pub fn file_arc(&self) -> Option<&Arc<Path>> {
        self.position.file.as_ref()
    }

    /// Parses the line (zero-copy, borrowing from this record). A line without a
    /// valid prefix gives an error that names the file and position.
    pub fn parse(&self) -> Result<LogLine<'_>, ReadError> {
        parse_line(&self.raw).map_err(|e| ReadError {
            position: self.position.clone(),
            kind: ReadErrorKind::Parse(e),
        })
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Record {
    /// The line's JSON (`SCHEMA.md`) plus a `position` object (`file`, `line`,
    /// `byte`). A line without a valid prefix gives `error`, `offset` and `raw`
    /// instead of the line keys, like the `ndjson` example.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Pos<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            file: Option<std::borrow::Cow<'a, str>>,
            line: u64,
            byte: u64,
        }
        #[derive(serde::Serialize)]
        struct Unparsed<'a> {
            error: &'static str,
            offset: usize,
            raw: crate::text::Text<'a>,
        }
        #[derive(serde::Serialize)]
        struct WithPosition<'a, T> {
            #[serde(flatten)]
            inner: T,
            position: Pos<'a>,
        }
        let position = Pos {
            file: self.position.file().map(|f| f.to_string_lossy()),
            line: self.position.line,
            byte: self.position.byte,
        };
        match parse_line(&self.raw) {
            Ok(line) => WithPosition {
                inner: line,
                position,
            }
            .serialize(s),
            Err(e) => WithPosition {
                inner: Unparsed {
                    error: e.kind.description(),
                    offset: e.offset,
                    raw: crate::text::Text::new(&self.raw),
                },
                position,
            }
            .serialize(s),
        }
    }
}

/// A streaming line reader over any [`Read`], with positions and a line cap.
///
/// Wrap a file with [`LogReader::open`] (gzip detected), stdin or any reader
/// with [`LogReader::new`] (no detection) or [`LogReader::detect`].
pub struct LogReader<R> {
    rdr: BufReader<R>,
    file: Option<Arc<Path>>,
    /// Where the next line starts.
    next: Mark,
    /// The position [`LogReader::next_line`] returned last (its file set once,
    /// so returning it costs no reference count).
    current_pos: Position,
    /// How the file's lines are wrapped, told from the first read buffer.
    framing: Option<Framing>,
    max_line: usize,
    /// In follow mode an unterminated last line is kept here until its end arrives.
    hold_partial: bool,
    carry: Vec<u8>,
    /// In follow mode, the bytes of an over-long unterminated line skipped so far.
    skipping: Option<u64>,
    /// Set after a read error: the stream cannot be trusted past it.
    done: bool,
    /// Where each prefilter needle was last found (search fast path).
    search: Vec<SearchState>,
    /// The line [`LogReader::next_line`] returned last.
    current: borrowed::Current,
    /// A line of `next_line` that straddled two buffer fills.
    spill: Vec<u8>,
}

/// A line start without the file: what the reader counts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mark {
    line: u64,
    byte: u64,
}

impl Mark {
    const START: Mark = Mark { line: 1, byte: 0 };
}

impl<R> fmt::Debug for LogReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogReader")
            .field("file", &self.file)
            .field("next", &self.next)
            .field("max_line", &self.max_line)
            .finish_non_exhaustive()
    }
}

impl LogReader<Input<File>> {
    /// Opens a file, plain or gzipped (detected from its first bytes).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ReadError> {
        let path: Arc<Path> = Arc::from(path.as_ref());
        let open_err = |e| ReadError::open(path.clone(), e);
        let f = File::open(&path).map_err(open_err)?;
        let input = Input::detect(f).map_err(open_err)?;
        Ok(LogReader::new(input).with_file(path))
    }
}

impl<R: Read> LogReader<Input<R>> {
    /// Wraps a reader (e.g. stdin), detecting gzip from its first bytes.
    pub fn detect(rdr: R) -> io::Result<Self> {
        Ok(LogReader::new(Input::detect(rdr)?))
    }
}

impl<R: Read> LogReader<R> {
    /// Wraps a reader of plain text. See [`LogReader::detect`] for gzip.
    pub fn new(rdr: R) -> Self {
        LogReader {
            rdr: BufReader::with_capacity(READ_BUFFER, rdr),
            file: None,
            next: Mark::START,
            current_pos: Position::start(),
            framing: None,
            max_line: DEFAULT_MAX_LINE_LEN,
            hold_partial: false,
            carry: Vec::new(),
            skipping: None,
            done: false,
            search: Vec::new(),
            current: borrowed::Current::None,
            spill: Vec::new(),
        }
    }

    /// Names the stream in positions and errors.
    pub fn with_file(mut self, file: impl Into<Arc<Path>>) -> Self {
        self.file = Some(file.into());
        self.current_pos.file = self.file.clone();
        self
    }

    /// Sets the line-length cap (bytes, without the line ending).
    pub fn with_max_line_len(mut self, max: usize) -> Self {
        self.max_line = max;
        self
    }

    /// Starts counting from `pos` (e.g. after seeking into a file); its file
    /// is ignored ([`LogReader::with_file`] names the stream).
    pub fn with_start(mut self, pos: Position) -> Self {
        self.next = Mark {
            line: pos.line,
            byte: pos.byte,
        };
        self
    }

    /// Takes the stream's lines to be wrapped as `framing` (`None`: told
    /// from the first read buffer, the default): a byte range of a file is
    /// read as the whole file is, with the framing told from the file's
    /// first bytes, not from the range's ([`crate::parallel::Unit`]).
    pub(crate) fn with_framing(mut self, framing: Option<Framing>) -> Self {
        self.framing = framing;
        self
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        self.rdr.get_ref()
    }

    /// The line-length cap.
    pub fn max_line_len(&self) -> usize {
        self.max_line
    }

    /// The file name, if any.
    pub fn file(&self) -> Option<&Arc<Path>> {
        self.file.as_ref()
    }

    /// The position the next line will have.
    pub fn next_position(&self) -> Position {
        self.position(self.next)
    }

    /// How the lines of this stream are wrapped (plain Exim lines, syslog,
    /// journald), told by [`Framing::detect`] from the first read buffer
    /// (64 KiB); `None` before anything was read.
    pub fn framing(&self) -> Option<Framing> {
        self.framing
    }

    /// `mark` in this stream's file.
    fn position(&self, mark: Mark) -> Position {
        Position {
            line: mark.line,
            byte: mark.byte,
            file: self.file.clone(),
        }
    }

    pub(crate) fn set_hold_partial(&mut self, hold: bool) {
        self.hold_partial = hold;
    }

    /// Names the stream anew (a followed file found under its rotated name).
    pub(crate) fn rename(&mut self, file: Arc<Path>) {
        self.current_pos.file = Some(file.clone());
        self.file = Some(file);
    }

    /// Bytes taken from the stream so far, the held partial line included:
    /// at the end of input, the offset in the file (from where counting
    /// started).
    pub(crate) fn bytes_taken(&self) -> u64 {
        self.next.byte + self.carry.len() as u64 + self.skipping.unwrap_or(0)
    }

    /// The partial last line held in follow mode, if any; taking it advances the
    /// position as if it were complete.
    pub(crate) fn take_partial(&mut self, buf: &mut Vec<u8>) -> Option<Position> {
        self.settle();
        if let Some(n) = self.skipping.take() {
            // An over-long line that never ended: count it and drop its bytes.
            self.advance(n);
            return None;
        }
        if self.carry.is_empty() {
            return None;
        }
        let pos = self.position(self.next);
        buf.clear();
        buf.append(&mut self.carry);
        self.advance(buf.len() as u64);
        Some(pos)
    }

    fn err(&self, at: Mark, kind: ReadErrorKind) -> ReadError {
        ReadError {
            position: self.position(at),
            kind,
        }
    }

    /// Ends the stream on a read error met `partial_line_bytes` into the line
    /// at `position`: later calls return `None`.
    fn fail(
        &mut self,
        buf: &mut Vec<u8>,
        at: Mark,
        source: io::Error,
        partial_line_bytes: u64,
    ) -> ReadError {
        self.done = true;
        buf.clear();
        self.err(
            at,
            ReadErrorKind::Read {
                source,
                partial_line_bytes,
            },
        )
    }

    fn advance(&mut self, bytes: u64) {
        self.next.line += 1;
        self.next.byte += bytes;
    }

    /// Reads the next line into `buf` (cleared first), without its line ending
    /// (`\n`, `\r\n`). Returns its position, or `None` at the end of input.
    ///
    /// A line longer than the cap gives [`ReadErrorKind::LineTooLong`] and the
    /// next call reads the following line. A read error
    /// ([`ReadErrorKind::Read`]) ends the stream: later calls return `None`.
    ///
    /// This call never grows `buf` past the cap plus two bytes (it reserves
    /// exactly what it copies), so reusing one buffer keeps memory flat.
    pub fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError> {
        Ok(self.read_line_at(buf)?.map(|at| self.position(at)))
    }

    /// [`LogReader::read_line`], giving where the line starts without its file.
    fn read_line_at(&mut self, buf: &mut Vec<u8>) -> Result<Option<Mark>, ReadError> {
        self.settle();
        buf.clear();
        if self.done {
            return Ok(None);
        }
        let start = self.next;
        if !self.carry.is_empty() {
            buf.append(&mut self.carry);
        }
        // Bytes of this line consumed so far, including skipped ones; in follow mode
        // an over-long line may still be being skipped from an earlier call.
        let (mut consumed, mut too_long) = match self.skipping.take() {
            Some(n) => (n, true),
            None => (buf.len() as u64, false),
        };
        // Keeping at most cap + 2 bytes lets a `\r\n` ending be stripped before the check.
        let keep = self.max_line.saturating_add(2);
        // The last two bytes of the line so far: the ending of a line too long to
        // keep is told from them.
        let mut tail = [0u8; 2];
        if let [.., a, b] = buf.as_slice() {
            tail = [*a, *b];
        } else if let [b] = buf.as_slice() {
            tail = [0, *b];
        }
        loop {
            let chunk = match fill(&mut self.rdr, &mut self.framing) {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.fail(buf, start, e, consumed)),
            };
            if chunk.is_empty() {
                // End of input.
                if consumed == 0 {
                    return Ok(None);
                }
                if self.hold_partial {
                    // The line's end has not been written yet: wait for it.
                    if too_long {
                        self.skipping = Some(consumed);
                    } else {
                        std::mem::swap(&mut self.carry, buf);
                    }
                    return Ok(None);
                }
                self.advance(consumed);
                return self.finish_line(start, buf, consumed, too_long, tail);
            }
            let (take, found) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                let room = keep.saturating_sub(buf.len()).min(take);
                // Exact growth: doubling could take the buffer to twice the cap.
                buf.reserve_exact(room);
                buf.extend_from_slice(chunk.get(..room).unwrap_or_default());
                if room < take {
                    too_long = true;
                }
            }
            // The tail matters only for a line too long to keep (and one not
            // yet ended may become so): not for the usual line, a cost a line.
            if too_long || !found {
                for &b in chunk.get(take.saturating_sub(2)..take).unwrap_or_default() {
                    tail = [tail[1], b];
                }
            }
            consumed += take as u64;
            self.rdr.consume(take);
            if found {
                self.advance(consumed);
                return self.finish_line(start, buf, consumed, too_long, tail);
            }
        }
    }

    fn finish_line(
        &self,
        start: Mark,
        buf: &mut Vec<u8>,
        consumed: u64,
        too_long: bool,
        tail: [u8; 2],
    ) -> Result<Option<Mark>, ReadError> {
        let content = crate::line::trim_line_ending(buf).len();
        buf.truncate(content);
        if too_long || content > self.max_line {
            buf.clear();
            // The skipped line's length without its ending (`\n`, `\r\n`, or a
            // `\r` at the end of input, as `trim_line_ending` strips them).
            let ending = if too_long {
                let seen = tail
                    .get(2usize.saturating_sub(consumed.min(2) as usize)..)
                    .unwrap_or_default();
                (seen.len() - crate::line::trim_line_ending(seen).len()) as u64
            } else {
                consumed - content as u64
            };
            return Err(self.err(
                start,
                ReadErrorKind::LineTooLong {
                    length: consumed.saturating_sub(ending),
                    limit: self.max_line,
                },
            ));
        }
        Ok(Some(start))
    }

    /// The next line that contains one of the prefilter's needles (and only
    /// those), into `buf`. Lines without a needle are skipped a whole read
    /// buffer at a time, counting their line numbers without copying them.
    ///
    /// ```
    /// use exim_log::reader::{LogReader, Prefilter};
    ///
    /// let log = b"2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com U=a P=local S=1\n\
    ///             2026-11-25 10:00:00 1sAoM6-0000000AAAA-0000 <= b@example.com U=b P=local S=1\n\
    ///             2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed\n";
    /// let wanted = Prefilter::new(["1sAoM5-00000009r3p-06vq"]);
    /// let mut rdr = LogReader::new(&log[..]);
    /// let mut buf = Vec::new();
    /// let mut lines = Vec::new();
    /// while let Some(pos) = rdr.read_matching_line(&wanted, &mut buf)? {
    ///     lines.push(pos.line);
    /// }
    /// assert_eq!(lines, [1, 3]);
    /// # Ok::<(), exim_log::reader::ReadError>(())
    /// ```
    pub fn read_matching_line(
        &mut self,
        filter: &Prefilter,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        self.scan(
            buf,
            |hay, at, state| filter.find_cached(hay, at, state),
            |line| filter.is_match(line),
        )
    }

    /// Like [`LogReader::read_matching_line`] with any [`LineMatcher`], e.g. a
    /// regular expression. Linear as long as the matcher's `find` stops at
    /// the first match.
    pub fn read_matching_line_by<M: LineMatcher + ?Sized>(
        &mut self,
        matcher: &M,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        self.scan(
            buf,
            |hay, _, _| matcher.find(hay),
            |line| matcher.is_match(line),
        )
    }

    fn scan(
        &mut self,
        buf: &mut Vec<u8>,
        mut find: impl FnMut(&[u8], u64, &mut Vec<SearchState>) -> Option<usize>,
        is_match: impl Fn(&[u8]) -> bool,
    ) -> Result<Option<Position>, ReadError> {
        self.settle();
        loop {
            if self.done {
                buf.clear();
                return Ok(None);
            }
            if self.carry.is_empty() && self.skipping.is_none() {
                let chunk = match fill(&mut self.rdr, &mut self.framing) {
                    Ok(c) => c,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    // We are at a line start: no partial line was lost.
                    Err(e) => return Err(self.fail(buf, self.next, e, 0)),
                };
                if let Some(last_nl) = memchr::memrchr(b'\n', chunk) {
                    let whole = chunk.get(..=last_nl).unwrap_or_default();
                    // Skip to the start of the line holding the first match, or past
                    // every complete line of the chunk when nothing matches.
                    let skip = match find(whole, self.next.byte, &mut self.search) {
                        Some(at) => whole
                            .get(..at)
                            .and_then(|b| memchr::memrchr(b'\n', b))
                            .map_or(0, |i| i + 1),
                        None => whole.len(),
                    };
                    if skip > 0 {
                        let skipped = whole.get(..skip).unwrap_or_default();
                        let lines = memchr::memchr_iter(b'\n', skipped).count() as u64;
                        self.rdr.consume(skip);
                        self.next.line += lines;
                        self.next.byte += skip as u64;
                        continue;
                    }
                }
            }
            // The buffer starts with a matching line, or a line that crosses the
            // buffer's end: read it normally and check it.
            match self.read_line(buf)? {
                None => return Ok(None),
                Some(pos) if is_match(buf) => return Ok(Some(pos)),
                Some(_) => continue,
            }
        }
    }

    /// An iterator of owned records (one allocation per line). Errors do not end
    /// the iteration unless [`ReadError::is_fatal`].
    pub fn records(&mut self) -> Records<'_, R> {
        Records { rdr: self }
    }

    /// Like [`LogReader::records`], taking ownership of the reader.
    pub fn into_records(self) -> IntoRecords<R> {
        IntoRecords { rdr: self }
    }

    /// The next owned record.
    pub fn read_record(&mut self) -> Option<Result<Record, ReadError>> {
        let mut buf = Vec::new();
        match self.read_line(&mut buf) {
            Ok(Some(position)) => Some(Ok(Record { raw: buf, position })),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// The capacity of the internal read buffer (fixed; for memory checks).
    pub fn buffer_capacity(&self) -> usize {
        self.rdr.capacity()
    }
}

/// `rdr.fill_buf()`, telling the stream's framing from the first bytes it
/// gives (a free function: the buffer borrows `rdr` while `framing` is set).
#[inline]
fn fill<'a, R: Read>(
    rdr: &'a mut BufReader<R>,
    framing: &mut Option<Framing>,
) -> io::Result<&'a [u8]> {
    let chunk = rdr.fill_buf()?;
    if framing.is_none() && !chunk.is_empty() {
        *framing = Some(Framing::detect(chunk));
    }
    Ok(chunk)
}

/// Borrowing iterator of [`Record`]s, see [`LogReader::records`].
#[derive(Debug)]
pub struct Records<'r, R> {
    rdr: &'r mut LogReader<R>,
}

impl<R: Read> Iterator for Records<'_, R> {
    type Item = Result<Record, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rdr.read_record()
    }
}

/// Owning iterator of [`Record`]s, see [`LogReader::into_records`].
#[derive(Debug)]
pub struct IntoRecords<R> {
    rdr: LogReader<R>,
}

impl<R: Read> Iterator for IntoRecords<R> {
    type Item = Result<Record, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rdr.read_record()
    }
}

/// The shape every reader shares ([`LogReader`], [`LogFiles`], [`Follow`]), as
/// `csv`'s `Reader::read_record`: the caller owns the buffer, each line comes
/// with its [`Position`] (which names its file), `Ok(None)` is the end, and an
/// error is one line's or one file's problem, not the end. Write a consumer
/// once, generic over `S: LineSource`, and it reads a file, a rotated set,
/// stdin or a growing log alike.
///
/// ```
/// use exim_log::reader::{LineSource, LogReader};
///
/// fn count_completed(src: &mut impl LineSource) -> Result<usize, exim_log::ReadError> {
///     let mut n = 0;
///     while let Some((line, _pos)) = src.next_line()? {
///         n += usize::from(line.ends_with(b" Completed"));
///     }
///     Ok(n)
/// }
/// let log = b"2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed\n";
/// assert_eq!(count_completed(&mut LogReader::new(&log[..]))?, 1);
/// # Ok::<(), exim_log::ReadError>(())
/// ```
pub trait LineSource {
    /// The next line into `buf` (cleared first, without its line ending), and
    /// its position; `Ok(None)` at the end.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError>;

    /// The zero-copy twin of [`LineSource::read_line`]: the line borrowed from
    /// the reader's buffer where it can be.
    fn next_line(&mut self) -> Result<Option<(&[u8], &Position)>, ReadError>;

    /// The next line that `matcher` accepts, into `buf`; lines it cannot match
    /// are skipped as cheaply as the reader can (whole buffers at a time for
    /// files and streams).
    fn read_matching_line_by<M: LineMatcher + ?Sized>(
        &mut self,
        matcher: &M,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError>;

    /// The next line holding one of the prefilter's needles, into `buf`; the
    /// search fast path of [`LogReader::read_matching_line`] where the reader
    /// has one.
    fn read_matching_line(
        &mut self,
        filter: &Prefilter,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        self.read_matching_line_by(filter, buf)
    }

    /// How the current input's lines are wrapped ([`Framing`]), once a line of
    /// it was read.
    fn framing(&self) -> Option<Framing>;

    /// Lines of the input gone through so far, as the line numbers of the
    /// positions count them: the lines returned and those skipped (other
    /// programs' syslog lines, `[n/m]` chunks before the last, lines too long
    /// to return). A unit that read a range tells the next one so, and that
    /// one's line numbers go on from there. `None` where the source does not
    /// count them.
    fn lines_read(&self) -> Option<u64> {
        None
    }
}

impl<R: Read> LineSource for LogReader<R> {
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError> {
        LogReader::read_line(self, buf)
    }

    fn next_line(&mut self) -> Result<Option<(&[u8], &Position)>, ReadError> {
        LogReader::next_line(self)
    }

    fn read_matching_line_by<M: LineMatcher + ?Sized>(
        &mut self,
        matcher: &M,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        LogReader::read_matching_line_by(self, matcher, buf)
    }

    fn read_matching_line(
        &mut self,
        filter: &Prefilter,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        LogReader::read_matching_line(self, filter, buf)
    }

    fn framing(&self) -> Option<Framing> {
        LogReader::framing(self)
    }

    fn lines_read(&self) -> Option<u64> {
        Some(self.next_position().line.saturating_sub(1))
    }
}

impl LineSource for LogFiles {
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError> {
        LogFiles::read_line(self, buf)
    }

    fn next_line(&mut self) -> Result<Option<(&[u8], &Position)>, ReadError> {
        LogFiles::next_line(self)
    }

    fn read_matching_line_by<M: LineMatcher + ?Sized>(
        &mut self,
        matcher: &M,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        LogFiles::read_matching_line_by(self, matcher, buf)
    }

    fn read_matching_line(
        &mut self,
        filter: &Prefilter,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        LogFiles::read_matching_line(self, filter, buf)
    }

    fn framing(&self) -> Option<Framing> {
        LogFiles::framing(self)
    }

    fn lines_read(&self) -> Option<u64> {
        Some(LogFiles::lines_read(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIX: &str = "2026-11-25 10:00:00 Start queue run: pid=9
2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed
2026-11-25 10:00:02 End queue run: pid=9
2026-11-25 10:00:03 1sAoM5-00000009r3p-06vr Completed
2026-11-25 10:00:04 Start queue run: pid=10
2026-11-25 10:00:05 End queue run: pid=10
";

    /// Every way of reading through [`LineSource`], in turn, with the line
    /// numbers it gave.
    fn through_the_trait<S: LineSource>(s: &mut S) -> (Vec<(u64, String)>, Option<Framing>) {
        let mut got = Vec::new();
        let mut buf = Vec::new();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let framing_before = s.framing();
        assert_eq!(framing_before, None);
        let pos = s.read_line(&mut buf).unwrap().unwrap();
        got.push((pos.line, text(&buf)));
        let (line, pos) = s.next_line().unwrap().unwrap();
        got.push((pos.line, text(line)));
        let completed = Prefilter::new(["Completed"]);
        let pos = s.read_matching_line(&completed, &mut buf).unwrap().unwrap();
        got.push((pos.line, text(&buf)));
        let pid10 = Prefilter::new(["pid=10"]);
        let pos = s.read_matching_line_by(&pid10, &mut buf).unwrap().unwrap();
        got.push((pos.line, text(&buf)));
        let framing = s.framing();
        let pos = s.read_line(&mut buf).unwrap().unwrap();
        got.push((pos.line, text(&buf)));
        assert!(s.read_line(&mut buf).unwrap().is_none());
        (got, framing)
    }

    #[test]
    fn line_sources_read_alike() {
        let want: Vec<(u64, String)> = [1, 2, 4, 5, 6]
            .into_iter()
            .map(|n| (n, SIX.lines().nth(n as usize - 1).unwrap().to_string()))
            .collect();
        let mut reader = LogReader::new(SIX.as_bytes());
        assert_eq!(
            through_the_trait(&mut reader),
            (want.clone(), Some(Framing::Plain))
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mainlog");
        std::fs::write(&path, SIX).unwrap();
        let mut files = LogFiles::new([&path]);
        assert_eq!(
            through_the_trait(&mut files),
            (want.clone(), Some(Framing::Plain))
        );
        // A followed log, searched through the trait's default
        // `read_matching_line` (Follow has no fast path of its own); the
        // control ends it at the first poll, at the end of what is written.
        let mut follow = Follow::new(&path).with_control(|_| false);
        assert_eq!(through_the_trait(&mut follow), (want, Some(Framing::Plain)));
    }

    /// Lines gone through, as counted by a reader and a set of files (two
    /// read, one skipped by a search, one more read); a followed log does
    /// not count them.
    #[test]
    fn lines_read_through_the_trait() {
        fn four<S: LineSource>(s: &mut S) -> Vec<Option<u64>> {
            let mut buf = Vec::new();
            let mut counts = vec![s.lines_read()];
            s.read_line(&mut buf).unwrap().unwrap();
            s.read_line(&mut buf).unwrap().unwrap();
            counts.push(s.lines_read());
            s.read_matching_line(&Prefilter::new(["vr"]), &mut buf)
                .unwrap()
                .unwrap();
            counts.push(s.lines_read());
            s.read_line(&mut buf).unwrap().unwrap();
            counts.push(s.lines_read());
            counts
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mainlog");
        std::fs::write(&path, SIX).unwrap();
        let counted = [Some(0), Some(2), Some(4), Some(5)];
        assert_eq!(four(&mut LogReader::new(SIX.as_bytes())), counted);
        assert_eq!(four(&mut LogFiles::new([&path])), counted);
        let mut follow = Follow::new(&path).with_control(|_| false);
        assert_eq!(four(&mut follow), [None; 4]);
    }

    /// The framing is told once, from the first buffer: lines of another
    /// shape further on (past the first 64 KiB) do not change it.
    #[test]
    fn the_framing_is_told_once() {
        let plain = "2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed\n";
        let syslog = "Nov 25 10:00:02 mx1 exim[4321]: 1sAoM5-00000009r3p-06vq Completed\n";
        let text = format!("{}{}", plain.repeat(1300), syslog.repeat(2000));
        assert!(plain.len() * 1300 > READ_BUFFER);
        let mut r = LogReader::new(text.as_bytes());
        let mut buf = Vec::new();
        let mut n = 0;
        while r.read_line(&mut buf).unwrap().is_some() {
            n += 1;
            assert_eq!(r.framing(), Some(Framing::Plain), "line {n}");
        }
        assert_eq!(n, 3300);
    }

    /// A stream of parts with an end of input after each (as a followed file
    /// has when the writer is mid-line), then more. Also borrowed.rs's.
    pub(super) struct Growing {
        pub(super) parts: Vec<&'static [u8]>,
    }

    impl Read for Growing {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let Some(part) = self.parts.first_mut() else {
                return Ok(0);
            };
            if part.is_empty() {
                // This part's end: one end-of-input, then the next part.
                self.parts.remove(0);
                return Ok(0);
            }
            let n = part.len().min(out.len());
            let (now, rest) = part.split_at(n);
            out[..n].copy_from_slice(now);
            *part = rest;
            Ok(n)
        }
    }

    /// In follow mode a partial last line is held back; a search that comes
    /// after the rest of it was written must read the held part with the
    /// rest, not look for the needle in the rest alone.
    #[test]
    fn a_held_partial_line_is_searched_whole() {
        let mut r = LogReader::new(Growing {
            parts: vec![
                b"2026-11-25 10:00:00 one\n2026-11-25 10:00:01 par",
                b"tial match\n2026-11-25 10:00:02 after\n",
            ],
        });
        r.set_hold_partial(true);
        let partial = Prefilter::new(["partial"]);
        let mut buf = Vec::new();
        // The needle is not whole yet: nothing found, the tail held.
        assert_eq!(r.read_matching_line(&partial, &mut buf).unwrap(), None);
        // The skipped first line (24 bytes) and the held part (23).
        assert_eq!(r.bytes_taken(), 47);
        let pos = r.read_matching_line(&partial, &mut buf).unwrap().unwrap();
        assert_eq!(buf, b"2026-11-25 10:00:01 partial match");
        assert_eq!((pos.line, pos.byte), (2, 24));
    }

    /// A stream that gives `piece` bytes a read, is interrupted (EINTR)
    /// before every piece, and fails with `then` at the end (or ends).
    struct Interrupting {
        data: &'static [u8],
        piece: usize,
        interrupt: bool,
        then: Option<io::ErrorKind>,
    }

    impl Read for Interrupting {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::ErrorKind::Interrupted.into());
            }
            if self.data.is_empty() {
                return match self.then {
                    Some(kind) => Err(kind.into()),
                    None => Ok(0),
                };
            }
            let n = self.piece.min(out.len()).min(self.data.len());
            let (now, rest) = self.data.split_at(n);
            out[..n].copy_from_slice(now);
            self.data = rest;
            Ok(n)
        }
    }

    fn interrupting(piece: usize, then: Option<io::ErrorKind>) -> LogReader<Interrupting> {
        LogReader::new(Interrupting {
            data: SIX.as_bytes(),
            piece,
            interrupt: false,
            then,
        })
    }

    #[test]
    fn an_interrupted_read_is_tried_again() {
        for piece in [7, 100, 4096] {
            let mut r = interrupting(piece, None);
            let mut buf = Vec::new();
            let mut lines = Vec::new();
            while let Some(pos) = r.read_line(&mut buf).unwrap() {
                lines.push((pos.line, pos.byte, String::from_utf8(buf.clone()).unwrap()));
            }
            let mut byte = 0;
            let want: Vec<_> = SIX
                .lines()
                .zip(1..)
                .map(|(l, n)| {
                    byte += l.len() as u64 + 1;
                    (n, byte - l.len() as u64 - 1, l.to_string())
                })
                .collect();
            assert_eq!(lines, want, "{piece}-byte pieces");
            // The zero-copy path: the same lines and positions.
            let mut r = interrupting(piece, None);
            let mut borrowed = Vec::new();
            while let Some((line, pos)) = r.next_line().unwrap() {
                borrowed.push((
                    pos.line,
                    pos.byte,
                    String::from_utf8(line.to_vec()).unwrap(),
                ));
            }
            assert_eq!(borrowed, want, "{piece}-byte pieces, next_line");
            // The search path skips whole buffers: the same lines and numbers.
            let mut r = interrupting(piece, None);
            let completed = Prefilter::new(["Completed"]);
            let mut found = Vec::new();
            while let Some(pos) = r.read_matching_line(&completed, &mut buf).unwrap() {
                found.push((pos.line, pos.byte));
            }
            assert_eq!(
                found,
                [want[1].clone(), want[3].clone()].map(|w| (w.0, w.1)),
                "{piece}-byte pieces"
            );
        }
    }

    #[test]
    fn a_failed_read_ends_the_search_with_a_fatal_error() {
        let mut r = interrupting(100, Some(io::ErrorKind::ConnectionReset));
        let nothing = Prefilter::new(["no such text"]);
        let e = r.read_matching_line(&nothing, &mut Vec::new()).unwrap_err();
        assert!(e.is_fatal(), "{e}");
        assert!(matches!(e.kind, ReadErrorKind::Read { .. }), "{e}");
        // The same on the zero-copy path, once the complete lines are read.
        let mut r = interrupting(100, Some(io::ErrorKind::ConnectionReset));
        let mut lines = 0;
        let e = loop {
            match r.next_line() {
                Ok(Some(_)) => lines += 1,
                Ok(None) => panic!("no error after {lines} lines"),
                Err(e) => break e,
            }
        };
        assert_eq!(lines, 6);
        assert!(e.is_fatal(), "{e}");
    }

    /// The length a too-long line is reported with: without its ending,
    /// `\r\n` included, however the line came in pieces.
    #[test]
    fn a_too_long_line_is_measured_without_its_ending() {
        let is_23_over_22 = |e: &ReadError| {
            matches!(
                e.kind,
                ReadErrorKind::LineTooLong {
                    length: 23,
                    limit: 22
                }
            )
        };
        // 23 bytes, then a line of 21 (the cap is 22).
        let line: &'static [u8] = b"0123456789ABCDEFGHIJKLM\r\n2026-11-25 10:00:00 x\n";
        for piece in [1, 2, 23, 24, 25, 64] {
            let mut r = LogReader::new(Interrupting {
                data: line,
                piece,
                interrupt: false,
                then: None,
            })
            .with_max_line_len(22);
            let mut buf = Vec::new();
            let e = r.read_line(&mut buf).unwrap_err();
            assert!(is_23_over_22(&e), "{piece}-byte pieces: {e}");
            // Reading goes on with the next line.
            let pos = r.read_line(&mut buf).unwrap().unwrap();
            assert_eq!(
                (pos.line, pos.byte, &buf[..]),
                (2, 25, &b"2026-11-25 10:00:00 x"[..])
            );
        }
        // One byte over the cap, at the end of input without a line ending.
        let mut r = LogReader::new(&b"0123456789ABCDEFGHIJKLM"[..]).with_max_line_len(22);
        let e = r.read_line(&mut Vec::new()).unwrap_err();
        assert!(is_23_over_22(&e), "{e}");
    }

    #[test]
    fn the_read_buffer_is_64_kib() {
        // What Framing::detect sees of a stream (its docs say 64 KiB).
        assert_eq!(LogReader::new(&b""[..]).buffer_capacity(), 64 * 1024);
    }

    #[test]
    fn a_read_error_says_how_much_of_a_line_was_lost() {
        let read = |partial_line_bytes| ReadErrorKind::Read {
            source: io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected end of file"),
            partial_line_bytes,
        };
        assert_eq!(read(0).to_string(), "read failed: unexpected end of file");
        assert_eq!(
            read(17).to_string(),
            "read failed after 17 bytes of an incomplete line: unexpected end of file"
        );
    }

    /// A record kept holds its line's bytes, not the spare room of the
    /// buffer it was read into.
    #[test]
    fn a_record_shrinks_to_its_line() {
        let mut raw = Vec::with_capacity(4096);
        raw.extend_from_slice(b"2026-11-25 10:00:00 x");
        let mut rec = Record::new(raw, Position::start());
        rec.shrink_to_fit();
        assert!(rec.raw.capacity() < 64, "{}", rec.raw.capacity());
        assert_eq!(rec.raw(), b"2026-11-25 10:00:00 x");
    }

    #[test]
    fn records_name_their_file() {
        let path: Arc<Path> = Arc::from(Path::new("/var/log/exim4/mainlog"));
        let mut r = LogReader::new(&b"2026-11-25 10:00:00 Start queue run: pid=9\n"[..])
            .with_file(Arc::clone(&path));
        let rec = r.read_record().unwrap().unwrap();
        assert_eq!(rec.file(), Some(&*path));
        assert!(rec.file_arc().is_some_and(|f| Arc::ptr_eq(f, &path)));
        assert_eq!(rec.position().line, 1);
        // An unnamed stream: no file.
        let mut r = LogReader::new(&b"2026-11-25 10:00:00 Start queue run: pid=9\n"[..]);
        let rec = r.read_record().unwrap().unwrap();
        assert_eq!((rec.file(), rec.file_arc()), (None, None));
    }

    #[test]
    fn a_reader_shows_its_file_and_place_when_debugged() {
        let mut r = LogReader::new(&b"2026-11-25 10:00:00 x\n"[..])
            .with_file(Path::new("mainlog"))
            .with_max_line_len(123);
        assert_eq!(r.max_line_len(), 123);
        assert_eq!(r.file().map(|f| f.as_ref()), Some(Path::new("mainlog")));
        assert_eq!(r.framing(), None);
        let _ = r.read_record();
        assert_eq!(r.framing(), Some(Framing::Plain));
        let shown = format!("{r:?}");
        for part in [
            "LogReader",
            "\"mainlog\"",
            "max_line: 123",
            "line: 2",
            "byte: 22",
        ] {
            assert!(shown.contains(part), "{part} in {shown}");
        }
    }
}
