//! Several inputs read as one stream, and the inputs a command line names.
//!
//! A program given `mainlog.1 -` or `/var/log/exim4/` should not have to know
//! which of its inputs is a file, stdin, a directory or gzip: [`LogFiles`]
//! takes them as a command line names them ([`LogFiles::from_args`]) and reads
//! them in order, each line carrying its file in its [`Position`].

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::syslog::{Framing, Located, Unwrap};

use super::{
    DEFAULT_MAX_LINE_LEN, Input, LineMatcher, LogReader, Position, Prefilter, ReadError, Record,
    RotationKey, rotated,
};

/// Any byte stream a [`LogFiles`] reads: a file, stdin, a caller's reader.
pub type DynRead = Box<dyn Read + Send + Sync>;

/// One input waiting for its turn.
enum Pending {
    /// A file, opened when reached (a missing file is an error at its turn).
    Path(PathBuf),
    /// A stream (stdin, bytes, a caller's reader), with an optional name.
    Stream(DynRead, Option<Arc<Path>>),
    /// The lines of a plain file that start in a byte range
    /// ([`LogReader::open_range`]), and the file's framing when known.
    Range(PathBuf, Range<u64>, Option<Framing>),
    /// An input that could not be listed (a directory without a log set):
    /// reported at its turn, like a missing file.
    Failed(ReadError),
}

impl Pending {
    /// Where the input sorts in a rotated set (streams and errors count as current).
    fn rotation_key(&self) -> RotationKey {
        match self {
            Pending::Path(p) | Pending::Range(p, ..) => p
                .file_name()
                .and_then(|n| n.to_str())
                .map_or(RotationKey::Current, |n| RotationKey::split(n).1),
            _ => RotationKey::Current,
        }
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pending::Path(p) => f.debug_tuple("Path").field(p).finish(),
            Pending::Stream(_, name) => f.debug_tuple("Stream").field(name).finish(),
            Pending::Range(p, r, fr) => f.debug_tuple("Range").field(p).field(r).field(fr).finish(),
            Pending::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
        }
    }
}

/// Several inputs read one after the other as one stream of lines: files
/// (each opened only when reached), stdin or any reader; plain or gzip,
/// detected per input from its content.
///
/// Build it from a list of files ([`LogFiles::new`], read in the given order;
/// give it [`rotated`]`(...)` for a rotated set, oldest first), from what a
/// command line names ([`LogFiles::from_args`]: files, directories, `-`), or
/// add streams ([`LogFiles::push_reader`]). It reads like a [`LogReader`]:
/// [`LogFiles::read_line`], the zero-copy [`LogFiles::next_line`], the search
/// fast path, and each line's [`Position`] names its file.
///
/// An input that cannot be opened or read gives one fatal [`ReadError`]
/// (naming the file), and the next call goes on with the next input.
///
/// ```
/// use exim_log::reader::LogFiles;
/// # let dir = tempfile::tempdir()?;
/// # std::fs::write(dir.path().join("mainlog.1"), "2026-11-24 23:59:59 1sAoM5-00000009r3p-06vq <= a@example.com U=a P=local S=1\n")?;
/// # std::fs::write(dir.path().join("mainlog"), "2026-11-25 00:00:01 1sAoM5-00000009r3p-06vq Completed\n")?;
/// // A directory stands for its rotated mainlog set, oldest first.
/// let mut files = LogFiles::from_args([dir.path()]);
/// let mut buf = Vec::new();
/// let first = files.read_line(&mut buf)?.unwrap();
/// assert!(first.file().unwrap().ends_with("mainlog.1"));
/// let (line, second) = files.next_line()?.unwrap();
/// assert!(line.ends_with(b"Completed"));
/// assert!(second.file().unwrap().ends_with("mainlog"));
/// assert!(files.next_line()?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LogFiles {
    pending: VecDeque<Pending>,
    current: Option<LogReader<Input<DynRead>>>,
    max_line: usize,
    /// Inputs taken from `pending` so far.
    started: usize,
    /// Bytes read from the inputs, before decompression (for progress bars).
    bytes: Arc<AtomicU64>,
    /// Unwraps syslog and journald lines back to Exim lines (issue 13);
    /// `None` for plain inputs or with [`LogFiles::keep_wrappers`].
    unwrap: Option<Unwrap>,
    keep_wrappers: bool,
    /// Decompress gzip inputs on a thread of their own ([`LogFiles::pipelined`]).
    pipelined: bool,
    /// Lines of the inputs finished so far ([`LogFiles::lines_read`]).
    lines_done: u64,
    /// The file and first byte of the current input when it is a byte range
    /// ([`LogFiles::push_range`]), and the lines before its start, unwrapped
    /// once a syslog chunk needs them ([`LogFiles::look_back`]).
    range: Option<(Arc<Path>, u64)>,
    before: Option<(u64, Unwrap)>,
}

impl fmt::Debug for LogFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogFiles")
            .field("pending", &self.pending)
            .field("current", &self.current)
            .field("max_line", &self.max_line)
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl Default for LogFiles {
    /// No input at all (add some with [`LogFiles::push_path`] or
    /// [`LogFiles::push_reader`]).
    fn default() -> Self {
        LogFiles::new(Vec::<PathBuf>::new())
    }
}

impl LogFiles {
    /// Reads `files` in the given order.
    pub fn new<I, P>(files: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        LogFiles {
            pending: files.into_iter().map(|p| Pending::Path(p.into())).collect(),
            current: None,
            lines_done: 0,
            max_line: DEFAULT_MAX_LINE_LEN,
            started: 0,
            bytes: Arc::default(),
            unwrap: None,
            range: None,
            before: None,
            keep_wrappers: false,
            pipelined: false,
        }
    }

    /// The inputs a command line names, like `cat` or `exigrep` take them:
    ///
    /// * `-` is standard input (plain or gzip);
    /// * a directory is its rotated `mainlog` set (or `exim_mainlog`, cPanel's
    ///   name), see [`rotated`]; a directory holding neither is an error at its
    ///   turn;
    /// * anything else is a file, plain or gzip (detected from the content, not
    ///   the name), opened when reached: a missing file is an error at its turn
    ///   and reading goes on with the next input.
    ///
    /// The whole list is then put in rotation order, oldest first
    /// ([`super::order_rotated`]: `mainlog mainlog.1` reads `mainlog.1` first);
    /// inputs without a rotation suffix keep their order. An empty list gives
    /// no input: a program chooses its own default (stdin, a sample).
    pub fn from_args<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut inputs = Vec::new();
        for arg in args {
            let arg = arg.as_ref();
            if arg == "-" {
                inputs.push(stdin());
                continue;
            }
            let path = PathBuf::from(arg);
            if !path.is_dir() {
                inputs.push(Pending::Path(path));
                continue;
            }
            match rotated(&path) {
                Ok(set) if !set.is_empty() => inputs.extend(set.into_iter().map(Pending::Path)),
                Ok(_) => inputs.push(Pending::Failed(ReadError::open(
                    Arc::from(path),
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        "directory holds no mainlog or exim_mainlog file",
                    ),
                ))),
                Err(e) => inputs.push(Pending::Failed(ReadError::open(Arc::from(path), e))),
            }
        }
        // Stable: inputs with equal keys (e.g. two current files) keep their order.
        inputs.sort_by_key(Pending::rotation_key);
        LogFiles {
            pending: inputs.into(),
            current: None,
            lines_done: 0,
            max_line: DEFAULT_MAX_LINE_LEN,
            started: 0,
            bytes: Arc::default(),
            unwrap: None,
            range: None,
            before: None,
            keep_wrappers: false,
            pipelined: false,
        }
    }

    /// Adds a file to read after the inputs already given.
    pub fn push_path(&mut self, path: impl Into<PathBuf>) {
        self.pending.push_back(Pending::Path(path.into()));
    }

    /// Adds a stream (plain or gzip, detected when reached) to read after the
    /// inputs already given; `name` names it in positions and errors.
    pub fn push_reader<R: Read + Send + Sync + 'static>(
        &mut self,
        rdr: R,
        name: Option<Arc<Path>>,
    ) {
        self.pending.push_back(Pending::Stream(Box::new(rdr), name));
    }

    /// Adds the lines of the plain file `path` that start in the byte range
    /// `range`, to read after the inputs already given (see
    /// [`LogReader::open_range`]: line numbers count from the first line of
    /// the range). A gzip file is an error at its turn: it has no ranges.
    pub fn push_range(&mut self, path: impl Into<PathBuf>, range: Range<u64>) {
        self.pending
            .push_back(Pending::Range(path.into(), range, None));
    }

    /// [`LogFiles::push_range`], the lines wrapped as `framing` (the whole
    /// file's, [`super::file_framing`]) instead of as the range's first
    /// lines look (`None`).
    pub(crate) fn push_range_framed(
        &mut self,
        path: impl Into<PathBuf>,
        range: Range<u64>,
        framing: Option<Framing>,
    ) {
        self.pending
            .push_back(Pending::Range(path.into(), range, framing));
    }

    /// Decompresses each gzip input on a thread of its own, a few blocks
    /// ahead of the lines being read ([`super::Pipelined`]), so that reading
    /// and parsing a `.gz` log use two cores. Plain inputs are read as
    /// before.
    #[must_use]
    pub fn pipelined(mut self, on: bool) -> Self {
        self.pipelined = on;
        self
    }

    /// Counts the bytes read into `counter` (shared, e.g. by the readers of
    /// several threads, for one progress bar) instead of a counter of its own.
    #[must_use]
    pub fn with_byte_counter(mut self, counter: Arc<AtomicU64>) -> Self {
        self.bytes = counter;
        self
    }

    /// Sets the line-length cap for every input.
    pub fn with_max_line_len(mut self, max: usize) -> Self {
        self.max_line = max;
        self
    }

    /// True when every input was read.
    pub fn is_done(&self) -> bool {
        self.current.is_none() && self.pending.is_empty()
    }

    /// How many inputs were started (opened, or failed to open) so far: the
    /// line or error returned last belongs to input number
    /// `inputs_started() - 1` (counting from 0, in reading order), and every
    /// input before it is finished. Lets a caller keep per-input accounts.
    pub fn inputs_started(&self) -> usize {
        self.started
    }

    /// Lines read or skipped so far (by [`LogFiles::read_matching_line`]
    /// too: every line of the inputs read so far counts), as the line
    /// numbers of the positions count them (a range's from its start). A
    /// unit read on another thread tells so how many lines it had.
    pub fn lines_read(&self) -> u64 {
        self.lines_done
            + self
                .current
                .as_ref()
                .map_or(0, |r| r.next_position().line.saturating_sub(1))
    }

    /// Drops the current input, counting its lines.
    fn end_input(&mut self) {
        if let Some(r) = self.current.take() {
            self.lines_done += r.next_position().line.saturating_sub(1);
        }
    }

    /// Bytes read from the inputs so far, before decompression: what a
    /// progress bar sets against the files' sizes.
    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Opens the next input now instead of at the first read, so that a
    /// program (or a Python call) given one missing file can say so at once.
    /// On error the input is consumed: the next read goes on with the next one.
    pub fn open_first(&mut self) -> Result<(), ReadError> {
        match self.reader() {
            Some(Err(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// How the lines of the current input (that of the line returned last)
    /// are wrapped: plain Exim lines, syslog or journald records
    /// ([`Framing::detect`] on its first read buffer). `None` before it was
    /// read. A caller unwraps syslog lines with [`crate::syslog::Unwrap`],
    /// made anew when the framing of the input changes.
    pub fn framing(&self) -> Option<Framing> {
        self.current.as_ref().and_then(LogReader::framing)
    }

    /// The reader of the current input, opening the next one when needed.
    /// `None` when every input was read.
    fn reader(&mut self) -> Option<Result<&mut LogReader<Input<DynRead>>, ReadError>> {
        if self.current.is_none() {
            let next = self.pending.pop_front()?;
            self.started += 1;
            let bytes = self.bytes.clone();
            let piped = self.pipelined;
            let is_range = matches!(next, Pending::Range(..));
            let rdr = match next {
                Pending::Path(path) => open(path, bytes, piped),
                Pending::Stream(s, name) => {
                    detect(Box::new(Counted { inner: s, bytes }), name, piped)
                }
                Pending::Range(path, range, framing) => open_range(path, range, framing, bytes),
                Pending::Failed(e) => Err(e),
            };
            self.range = None;
            self.before = None;
            if let Some(u) = self.unwrap.as_mut() {
                u.start_input();
            }
            match rdr {
                Ok(r) => {
                    if is_range && let Some(file) = r.next_position().file.clone() {
                        self.range = Some((file, r.next_position().byte));
                    }
                    self.current = Some(r.with_max_line_len(self.max_line));
                }
                Err(e) => return Some(Err(e)),
            }
        }
        self.current.as_mut().map(Ok)
    }

    /// Reads the next line of the inputs into `buf`, like
    /// [`LogReader::read_line`]; its position names its file. `Ok(None)` when
    /// every input was read; after an error the next call goes on.
    pub fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError> {
        loop {
            let pos = self.next_with(|r| r.read_line(buf))?;
            if self.unwrapped(buf, pos.is_some()) {
                return Ok(pos);
            }
        }
    }

    /// Returns syslog and journald lines as they are instead of unwrapping
    /// them. By default an input whose [`LogFiles::framing`] is not
    /// [`Framing::Plain`] gives Exim main-log lines ([`Unwrap`]): the
    /// wrapper's time put in front where Exim left its own out, `[n/m]`
    /// chunks joined, other programs' lines skipped. Positions stay those of
    /// the wrapped lines (of the last chunk for a joined line).
    #[must_use]
    pub fn keep_wrappers(mut self) -> Self {
        self.keep_wrappers = true;
        self
    }

    /// The unwrapper for the current input, made anew when its framing
    /// changes; `None` for plain inputs and with [`LogFiles::keep_wrappers`].
    fn unwrapper(&mut self) -> Option<&mut Unwrap> {
        let f = self
            .framing()
            .filter(|f| !self.keep_wrappers && *f != Framing::Plain)?;
        if self.unwrap.as_ref().map(Unwrap::framing) != Some(f) {
            self.unwrap = Some(Unwrap::new(f));
        }
        self.unwrap.as_mut()
    }

    /// Unwraps the line just read into `buf`; `false` when it gave nothing
    /// to return (a chunk waiting for the rest, another program's line), so
    /// the caller reads on.
    fn unwrapped(&mut self, buf: &mut Vec<u8>, got: bool) -> bool {
        if !got {
            return true;
        }
        // The usual case, in a few instructions a line: a plain input (or
        // wrappers kept) has no unwrapper.
        let Some(u) = self.unwrapper() else {
            return true;
        };
        match u.locate(buf) {
            // The chunk of a line begun before this range: its start looked
            // for there, the chunk added again.
            None => self.look_back() && self.unwrapped(buf, got),
            Some(Located::Input(r)) => {
                buf.truncate(r.end.min(buf.len()));
                buf.drain(..r.start.min(buf.len()));
                true
            }
            Some(Located::Buffer) => {
                buf.clear();
                buf.extend_from_slice(u.buffer());
                true
            }
        }
    }

    /// Like [`LogReader::read_matching_line_by`], across the inputs.
    pub fn read_matching_line_by<M: LineMatcher + ?Sized>(
        &mut self,
        matcher: &M,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        loop {
            let pos = self.next_with(|r| r.read_matching_line_by(matcher, buf))?;
            if self.unwrapped(buf, pos.is_some()) {
                return Ok(pos);
            }
        }
    }

    /// Like [`LogReader::read_matching_line`], across the inputs.
    pub fn read_matching_line(
        &mut self,
        filter: &Prefilter,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        loop {
            let pos = self.next_with(|r| r.read_matching_line(filter, buf))?;
            if self.unwrapped(buf, pos.is_some()) {
                return Ok(pos);
            }
        }
    }

    fn next_with(
        &mut self,
        mut f: impl FnMut(&mut LogReader<Input<DynRead>>) -> Result<Option<Position>, ReadError>,
    ) -> Result<Option<Position>, ReadError> {
        loop {
            let Some(rdr) = self.reader() else {
                return Ok(None);
            };
            match f(rdr?) {
                Ok(Some(pos)) => return Ok(Some(pos)),
                Ok(None) => self.end_input(),
                Err(e) => {
                    if e.is_fatal() {
                        self.end_input();
                    }
                    return Err(e);
                }
            }
        }
    }

    /// The next line of the inputs, borrowed, with its position (and file):
    /// the zero-copy twin of [`LogFiles::read_line`] (see
    /// [`LogReader::next_line`]).
    pub fn next_line(&mut self) -> Result<Option<(&[u8], &Position)>, ReadError> {
        // The usual case first: a plain input (or wrappers kept) whose next
        // line is whole in the read buffer; about 170 instructions a line
        // less than the general way (callgrind).
        // (No unwrapper before an input's first read either: its buffer is
        // empty then, so the general way reads it.)
        let plain = self.unwrapper().is_none()
            && self
                .current
                .as_mut()
                .is_some_and(LogReader::advance_in_buffer);
        let located = if plain {
            None
        } else {
            match self.advance_located()? {
                Some(located) => located,
                None => return Ok(None),
            }
        };
        let Some(cur) = self.current.as_ref() else {
            return Ok(None);
        };
        let (line, pos) = cur.current();
        Ok(Some(match (located, self.unwrap.as_ref()) {
            (Some(Located::Input(r)), _) => (line.get(r).unwrap_or(line), pos),
            (Some(Located::Buffer), Some(u)) => (u.buffer(), pos),
            _ => (line, pos),
        }))
    }

    /// The general way of [`LogFiles::next_line`]: moves to the next line
    /// (opening inputs, unwrapping syslog and journald lines); `None` at the
    /// end of the inputs, else where the line to return is
    /// ([`Unwrap::locate`]; `None`: the reader's current line as it is).
    fn advance_located(&mut self) -> Result<Option<Option<Located>>, ReadError> {
        let located = loop {
            let Some(rdr) = self.reader() else {
                return Ok(None);
            };
            match rdr?.advance_line() {
                Ok(true) => {}
                Ok(false) => {
                    self.end_input();
                    continue;
                }
                Err(e) => {
                    if e.is_fatal() {
                        self.end_input();
                    }
                    return Err(e);
                }
            }
            if self.unwrapper().is_none() {
                break None;
            }
            // The unwrapper and the current line borrowed together.
            let (Some(u), Some(cur)) = (self.unwrap.as_mut(), self.current.as_ref()) else {
                break None;
            };
            if let Some(l) = u.locate(cur.current().0) {
                break Some(l);
            }
            // The chunk of a line begun before this range: its start looked
            // for there, the chunk added again.
            if self.look_back()
                && let (Some(u), Some(cur)) = (self.unwrap.as_mut(), self.current.as_ref())
                && let Some(l) = u.locate(cur.current().0)
            {
                break Some(l);
            }
        };
        Ok(Some(located))
    }
}

impl LogFiles {
    /// After the unwrapper dropped a syslog chunk whose line began before the
    /// current byte range ([`Unwrap::take_orphan`]): takes that line's
    /// earlier chunks from the lines before the range's start, so the range
    /// where a line ends returns it whole, where one pass over the file
    /// does (the range where it began drops it at its end). True when they
    /// were found: the chunk is to be added again.
    fn look_back(&mut self) -> bool {
        let Some(u) = self.unwrap.as_mut() else {
            return false;
        };
        let Some(pid) = u.take_orphan() else {
            return false;
        };
        let Some((path, start)) = self.range.as_ref() else {
            return false;
        };
        let framing = u.framing();
        // A few KiB hold the chunks of most lines: more is read only when
        // the start of this one is not in them.
        for window in LOOK_BACK {
            if self.before.as_ref().is_some_and(|(w, _)| *w > window) {
                continue;
            }
            let before = match &mut self.before {
                Some((w, b)) if *w == window => b,
                other => {
                    &mut other
                        .insert((window, lines_before(path, *start, window, framing)))
                        .1
                }
            };
            if u.adopt(before, pid) {
                return true;
            }
        }
        false
    }
}

/// Bytes before a range's start read for the earlier chunks of a line that
/// ends in the range, tried in turn: a line's chunks hold at most 64 KiB of
/// text (the unwrapper's limit), each chunk under its wrapper, other lines
/// between.
const LOOK_BACK: [u64; 3] = [16 * 1024, 64 * 1024, 256 * 1024];

/// An unwrapper of `framing` that read the lines of `path` in the `window`
/// bytes before `start` (from the first line start there): the lines in
/// progress at `start` that began there, as one pass would hold them.
fn lines_before(path: &Path, start: u64, window: u64, framing: Framing) -> Unwrap {
    use std::io::{Seek, SeekFrom};
    let mut u = Unwrap::new(framing);
    let from = start.saturating_sub(window);
    let mut block = Vec::new();
    if let Ok(mut f) = File::open(path)
        && f.seek(SeekFrom::Start(from)).is_ok()
    {
        // Unreadable: nothing found, the chunk is dropped as before.
        let _ = f.take(start - from).read_to_end(&mut block);
    }
    let whole = if from == 0 {
        &block[..]
    } else {
        memchr::memchr(b'\n', &block).map_or(&[][..], |i| block.get(i + 1..).unwrap_or_default())
    };
    for line in whole.split_inclusive(|b| *b == b'\n') {
        let _ = u.locate(line);
    }
    u
}

/// Standard input as a pending input.
fn stdin() -> Pending {
    // `Stdin` (not its lock, which is not `Send`) locks per read: once per
    // 64 KiB buffer fill.
    Pending::Stream(Box::new(io::stdin()), None)
}

fn open(
    path: PathBuf,
    bytes: Arc<AtomicU64>,
    pipelined: bool,
) -> Result<LogReader<Input<DynRead>>, ReadError> {
    let name: Arc<Path> = Arc::from(path);
    let f = File::open(&name).map_err(|e| ReadError::open(name.clone(), e))?;
    detect(Box::new(Counted { inner: f, bytes }), Some(name), pipelined)
}

fn open_range(
    path: PathBuf,
    range: Range<u64>,
    framing: Option<Framing>,
    bytes: Arc<AtomicU64>,
) -> Result<LogReader<Input<DynRead>>, ReadError> {
    let name: Arc<Path> = Arc::from(path);
    let (rdr, start) = super::range::open_range_read(&name, range)?;
    let rdr = detect(Box::new(Counted { inner: rdr, bytes }), Some(name), false)?;
    Ok(rdr
        .with_start(Position::new(1, start))
        .with_framing(framing))
}

/// Counts the bytes read through it (once per read buffer fill, not per line).
struct Counted<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn detect(
    s: DynRead,
    name: Option<Arc<Path>>,
    pipelined: bool,
) -> Result<LogReader<Input<DynRead>>, ReadError> {
    let input = Input::detect(s).and_then(|input| {
        if pipelined && input.is_gzip() {
            // The decompressed text is detected again (plain, or gzip in gzip).
            Input::detect(Box::new(super::Pipelined::new(input)) as DynRead)
        } else {
            Ok(input)
        }
    });
    match input {
        Ok(input) => {
            let rdr = LogReader::new(input);
            Ok(match name {
                Some(n) => rdr.with_file(n),
                None => rdr,
            })
        }
        Err(e) => Err(ReadError {
            position: Position::start().in_file(name),
            kind: super::ReadErrorKind::Open(e),
        }),
    }
}

impl Iterator for LogFiles {
    type Item = Result<Record, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = Vec::new();
        self.read_line(&mut buf)
            .map(|p| p.map(|position| Record::new(buf, position)))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq <= a@example.com\n\
                     2026-11-25 10:00:02 1sAoM5-00000009r3p-06vq => b@example.com\n\
                     2026-11-25 10:00:03 1sAoM5-00000009r3p-06vq Completed\n";
    const B: &str = "2026-11-25 10:00:04 1sAoM6-00000009r3p-06vq <= c@example.com\n";

    fn two_streams() -> LogFiles {
        let mut files = LogFiles::default();
        files.push_reader(io::Cursor::new(A.as_bytes().to_vec()), None);
        files.push_reader(io::Cursor::new(B.as_bytes().to_vec()), None);
        files
    }

    /// `is_done`, `inputs_started`, `lines_read` and `bytes_read` as their
    /// docs say, line by line over two inputs.
    #[test]
    fn accounts_follow_the_lines() {
        assert!(LogFiles::default().is_done(), "no input at all");
        let mut files = two_streams();
        assert!(!files.is_done(), "two inputs pending, none started");
        assert_eq!((files.inputs_started(), files.lines_read()), (0, 0));
        // (inputs started, lines gone through) after each line returned.
        let mut seen = Vec::new();
        while let Some((line, _)) = files.next_line().unwrap() {
            let line = line.to_vec();
            seen.push((files.inputs_started(), files.lines_read(), line.len()));
        }
        assert_eq!(
            seen.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(),
            [(1, 1), (1, 2), (1, 3), (2, 4)]
        );
        assert!(files.is_done());
        assert_eq!(files.lines_read(), 4);
        assert_eq!(files.bytes_read(), (A.len() + B.len()) as u64);
    }

    /// A file that cannot be opened is an input started, and reading goes on
    /// with the next.
    #[test]
    fn a_missing_file_is_started_and_skipped() {
        let dir = std::env::temp_dir().join(format!("exim-log-files-{}", std::process::id()));
        let mut files = LogFiles::new([dir.join("missing")]);
        files.push_reader(io::Cursor::new(B.as_bytes().to_vec()), None);
        let e = files.next_line().unwrap_err();
        assert!(e.is_fatal());
        assert_eq!(e.file(), Some(dir.join("missing").as_path()));
        assert_eq!(files.inputs_started(), 1);
        assert!(!files.is_done(), "the stream is still to read");
        let (line, _) = files.next_line().unwrap().unwrap();
        assert_eq!(line, B.trim_end().as_bytes());
        assert_eq!(files.inputs_started(), 2);
    }

    /// The narrowest look-back window (16 KiB) starting on the newline that
    /// ends a line: the window's lines are the ones after that newline, the
    /// first of them the chunk that starts the line cut by the range.
    #[test]
    fn a_look_back_window_starting_on_a_newline() {
        let chunk = |pid: u32, part: &str| format!("Nov 27 07:47:06 mx1 exim[{pid}]: {part}\n");
        let mut text = String::new();
        for i in 0..4 {
            text += &chunk(
                812,
                &format!("2026-11-27 07:47:05 1sAoM5-00000009r3p-8{i:03} Completed"),
            );
        }
        // The newline the window starts on: the last byte of that line.
        let newline = text.len() - 1;
        text += &chunk(
            900,
            "[1/2] 2026-11-27 07:47:06 1sAoM5-00000009r3p-0200 ** a@example.com R=r0: ",
        );
        let start = newline + 16 * 1024;
        let other = "Nov 27 07:47:06 mx1 sshd[9]: ";
        while text.len() + other.len() + 1000 < start {
            text += other;
            text += &"y".repeat(900);
            text += "\n";
        }
        // A last line of another program that ends right before `start`.
        let pad = start - text.len() - other.len() - 1;
        text += other;
        text += &"z".repeat(pad);
        text += "\n";
        assert_eq!(text.len(), start);
        assert_eq!(text.as_bytes()[start - 16 * 1024], b'\n');
        text += &chunk(900, "[2/2] bounced (:fail:)");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("syslog");
        std::fs::write(&path, &text).unwrap();
        let mut files = LogFiles::default();
        files.push_range_framed(
            &path,
            start as u64..text.len() as u64,
            Some(Framing::Rfc3164),
        );
        let (line, _) = files.next_line().unwrap().unwrap();
        assert_eq!(
            line,
            b"2026-11-27 07:47:06 1sAoM5-00000009r3p-0200 ** a@example.com R=r0: bounced (:fail:)"
        );
        assert!(files.next_line().unwrap().is_none());
    }

    /// `open_first` opens the next input before any read: a missing file is
    /// its error at once (and consumed: reading goes on with the next
    /// input); an input that opens is kept for the first read.
    #[test]
    fn open_first_reports_a_missing_file_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let mut files = LogFiles::new([&missing]);
        files.push_reader(io::Cursor::new(B.as_bytes().to_vec()), None);
        let e = files.open_first().unwrap_err();
        assert!(e.is_fatal());
        assert_eq!(e.file(), Some(missing.as_path()));
        assert_eq!(files.inputs_started(), 1);
        files.open_first().unwrap();
        assert_eq!(files.inputs_started(), 2, "the stream opened");
        files.open_first().unwrap();
        assert_eq!(files.inputs_started(), 2, "kept, not skipped");
        let (line, _) = files.next_line().unwrap().unwrap();
        assert_eq!(line, B.trim_end().as_bytes());
        assert!(files.next_line().unwrap().is_none());
    }

    /// `from_args` reads a rotated set oldest first, whatever the order
    /// given; files without a rotation suffix keep their order.
    #[test]
    fn from_args_orders_rotations_oldest_first() {
        let dir = std::env::temp_dir().join(format!("exim-log-rot-{}", std::process::id()));
        let names = ["mainlog", "mainlog.2.gz", "other", "mainlog.1"];
        let mut files = LogFiles::from_args(names.iter().map(|n| dir.join(n)));
        let mut order = Vec::new();
        // None of them exists: each is an open error naming it, in turn.
        while let Err(e) = files.next_line() {
            order.push(e.file().and_then(|f| f.file_name()).unwrap().to_owned());
        }
        assert_eq!(order, ["mainlog.2.gz", "mainlog.1", "mainlog", "other"]);
    }

    /// With `keep_wrappers`, a syslog input's lines come as they are in the
    /// file, `[n/m]` chunks and other programs' lines included, by every
    /// way of reading them.
    #[test]
    fn kept_wrappers_stay_on_every_path() {
        let text = "Nov 25 10:00:02 mx1 exim[4321]: [1/2] 2026-11-25 10:00:02 1sAoM5-00000009r3p-06vq Comp\n\
                    Nov 25 10:00:02 mx1 sshd[9]: other\n\
                    Nov 25 10:00:02 mx1 exim[4321]: [2/2] leted\n";
        let open = || {
            let mut files = LogFiles::default().keep_wrappers();
            files.push_reader(io::Cursor::new(text.as_bytes().to_vec()), None);
            files
        };
        let expected: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
        let mut files = open();
        let mut by_next_line = Vec::new();
        while let Some((line, _)) = files.next_line().unwrap() {
            by_next_line.push(line.to_vec());
        }
        assert_eq!(by_next_line, expected);
        let (mut files, mut buf, mut by_read_line) = (open(), Vec::new(), Vec::new());
        while files.read_line(&mut buf).unwrap().is_some() {
            by_read_line.push(buf.clone());
        }
        assert_eq!(by_read_line, expected);
        let by_record: Vec<Vec<u8>> = open().map(|r| r.unwrap().raw().to_vec()).collect();
        assert_eq!(by_record, expected);
    }

    /// A `.gz` input read with `pipelined(true)` (decompressed on a thread
    /// of its own) gives the same lines as without, and a counter given by
    /// `with_byte_counter` counts the compressed bytes of the file (what a
    /// progress bar sets against its size) on top of what it held.
    #[test]
    #[cfg(feature = "gzip")]
    fn pipelined_gzip_into_a_shared_counter() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mainlog.1.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(A.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        std::fs::write(&path, &gz).unwrap();
        let expected: Vec<&[u8]> = A.lines().map(str::as_bytes).collect();
        let counter = Arc::new(AtomicU64::new(7));
        for (round, piped) in [(1, false), (2, true)] {
            let mut files = LogFiles::new([&path])
                .pipelined(piped)
                .with_byte_counter(counter.clone());
            let mut lines = Vec::new();
            while let Some((line, _)) = files.next_line().unwrap() {
                lines.push(line.to_vec());
            }
            assert_eq!(lines, expected, "pipelined {piped}");
            let total = 7 + round * gz.len() as u64;
            assert_eq!(counter.load(Ordering::Relaxed), total, "pipelined {piped}");
            assert_eq!(files.bytes_read(), total, "the counter is the one read");
        }
    }

    /// A syslog line split into chunks whose first chunk lies more than
    /// 64 KiB before a range's start (other lines between, each under 1 KiB
    /// of Exim's 870-byte syslog limit): the range where the line ends reads
    /// back as far as the unwrapper can hold (256 KiB, four times its 64 KiB
    /// of a line's text) and returns it whole, once.
    #[test]
    fn a_line_begun_far_before_a_range_is_found() {
        let chunk = |pid: u32, part: &str| format!("Nov 27 07:47:06 mx1 exim[{pid}]: {part}\n");
        let mut text = chunk(
            900,
            "[1/2] 2026-11-27 07:47:06 1sAoM5-00000009r3p-0200 ** a@example.com R=r0: ",
        );
        let subject = "x".repeat(700);
        for i in 0..120 {
            text += &chunk(
                812,
                &format!(
                    "2026-11-27 07:47:07 1sAoM5-00000009r3p-9{i:03} <= b@example.com T=\"{subject}\""
                ),
            );
        }
        let cut = text.len() as u64;
        assert!(cut > 64 * 1024 + 1024 && cut < 256 * 1024 - 1024);
        text += &chunk(900, "[2/2] bounced (:fail:)");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("syslog");
        std::fs::write(&path, &text).unwrap();
        // Each range read on its own, as the threads of `parallel` read them
        // (one reader over both would carry the first chunk across).
        let range = |r: Range<u64>| {
            let mut files = LogFiles::default();
            files.push_range_framed(&path, r, Some(Framing::Rfc3164));
            let mut lines = Vec::new();
            while let Some((line, _)) = files.next_line().unwrap() {
                lines.push(line.to_vec());
            }
            lines
        };
        // The first range ends inside the split line: it drops it.
        assert_eq!(range(0..cut).len(), 120);
        let joined =
            b"2026-11-27 07:47:06 1sAoM5-00000009r3p-0200 ** a@example.com R=r0: bounced (:fail:)";
        assert_eq!(range(cut..text.len() as u64), [joined]);
    }

    /// Two lines cut by a range's start, one begun about 4 KiB before it
    /// and one about 40 KiB before: whichever ends first in the range, each
    /// is returned whole, by both ways of reading, and the look-back reads
    /// no more than it needs: the 16 KiB window for the near line, 64 KiB
    /// for the far one, and a window read once is used again for a later
    /// line it holds (not read again, not swapped for a narrower one).
    #[test]
    fn look_back_windows_grow_only_as_needed() {
        let chunk = |pid: u32, part: &str| format!("Nov 27 07:47:06 mx1 exim[{pid}]: {part}\n");
        let head = |pid: u32, id: &str| {
            chunk(
                pid,
                &format!(
                    "[1/2] 2026-11-27 07:47:06 1sAoM5-00000009r3p-{id} ** a@example.com R=r0: "
                ),
            )
        };
        let filler = |text: &mut String, bytes: usize| {
            let goal = text.len() + bytes;
            while text.len() < goal {
                text.push_str("Nov 27 07:47:06 mx1 sshd[9]: ");
                text.push_str(&"y".repeat(800));
                text.push('\n');
            }
        };
        let mut text = head(901, "0FAR");
        filler(&mut text, 36 * 1024);
        let near_begins = text.len();
        text += &head(902, "NEAR");
        filler(&mut text, 4 * 1024);
        let start = text.len();
        // Outside the narrower window below it, inside the one above it.
        assert!((start - near_begins) > 2 * 1024 && start - near_begins < 16 * 1024);
        assert!(start > 16 * 1024 + 2 * 1024 && start < 64 * 1024);
        let tail = |id: &str| {
            chunk(
                if id == "0FAR" { 901 } else { 902 },
                "[2/2] bounced (:fail:)",
            )
        };
        let joined = |id: &str| {
            format!(
                "2026-11-27 07:47:06 1sAoM5-00000009r3p-{id} ** a@example.com R=r0: bounced (:fail:)"
            )
        };
        let dir = tempfile::tempdir().unwrap();
        for order in [["0FAR", "NEAR"], ["NEAR", "0FAR"]] {
            let text = format!("{text}{}{}", tail(order[0]), tail(order[1]));
            let path = dir.path().join(format!("syslog-{}", order[0]));
            std::fs::write(&path, &text).unwrap();
            let open = || {
                let mut files = LogFiles::default();
                files.push_range_framed(
                    &path,
                    start as u64..text.len() as u64,
                    Some(Framing::Rfc3164),
                );
                files
            };
            let window = |id: &str| if id == "0FAR" { 64 * 1024 } else { 16 * 1024 };
            // The window held after each line: the widest needed so far.
            let expected: Vec<(String, u64)> = vec![
                (joined(order[0]), window(order[0])),
                (joined(order[1]), window(order[0]).max(window(order[1]))),
            ];
            let mut files = open();
            let mut by_next_line = Vec::new();
            while let Some((line, _)) = files.next_line().unwrap() {
                let line = String::from_utf8(line.to_vec()).unwrap();
                by_next_line.push((line, files.before.as_ref().map_or(0, |b| b.0)));
            }
            assert_eq!(by_next_line, expected, "next_line, {order:?}");
            let (mut files, mut buf, mut by_read_line) = (open(), Vec::new(), Vec::new());
            while files.read_line(&mut buf).unwrap().is_some() {
                let line = String::from_utf8(buf.clone()).unwrap();
                by_read_line.push((line, files.before.as_ref().map_or(0, |b| b.0)));
            }
            assert_eq!(by_read_line, expected, "read_line, {order:?}");
        }
    }

    /// The Debug forms name the inputs still to read.
    #[test]
    fn debug_names_the_pending_inputs() {
        let mut files = LogFiles::new(["/var/log/exim4/mainlog"]);
        files.push_reader(io::Cursor::new(Vec::new()), Some(Path::new("piped").into()));
        files.push_range("/var/log/exim4/mainlog", 10..20);
        let text = format!("{files:?}");
        for part in [
            "LogFiles",
            "Path(\"/var/log/exim4/mainlog\")",
            "Stream(Some(\"piped\"))",
            "Range(",
        ] {
            assert!(text.contains(part), "{part} not in {text}");
        }
    }
}
