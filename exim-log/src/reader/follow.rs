//! Follow mode (`tail -F`): keep reading a log as Exim appends to it, and carry
//! on across rotation without losing or repeating a line.
//!
//! Polling, not inotify: it works on every platform and filesystem (NFS
//! included), and the wait between polls is injectable ([`FollowControl`]), so
//! tests drive it step by step without timing. What rotation does and what is
//! done about it: see [`Follow`].

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::syslog::Framing;

use super::{Input, LineMatcher, LogReader, Position, ReadError, Record, starts_with_gzip};

/// What a [`Follow`] does when it has read everything: wait, then say whether to
/// go on. Any `FnMut(Duration) -> bool` is one; return `false` to stop.
pub trait FollowControl {
    /// Waits about `interval`; `false` ends the iteration.
    fn wait(&mut self, interval: Duration) -> bool;
}

impl<F: FnMut(Duration) -> bool> FollowControl for F {
    fn wait(&mut self, interval: Duration) -> bool {
        self(interval)
    }
}

/// The control of [`Follow::new`]: `std::thread::sleep`, never stopping.
pub type Sleep = fn(Duration) -> bool;

/// The default control: sleep, and never stop.
fn sleep_forever(d: Duration) -> bool {
    std::thread::sleep(d);
    true
}

/// A file's identity: a rotated file keeps its inode, its replacement gets a new one.
#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Bytes of a file's start kept as its fingerprint.
const FINGERPRINT: usize = 256;

/// Most files remembered as already read (identities and fingerprints).
const KNOWN_MAX: usize = 1024;

/// Up to `n` bytes of `path`'s start (decompressed when gzip).
fn head(path: &Path, n: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    Input::detect(File::open(path)?)?
        .take(n as u64)
        .read_to_end(&mut out)?;
    Ok(out)
}

/// True when two starts of files agree on the bytes both have.
fn agree(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a.get(..n) == b.get(..n)
}

/// A file being read.
struct Tail {
    rdr: LogReader<Input<File>>,
    id: Option<(u64, u64)>,
    /// The first bytes read from it (up to [`FINGERPRINT`]); plain files only.
    fingerprint: Vec<u8>,
    /// Polls left before a rotated file is let go (`None` for the current file).
    polls_left: Option<u32>,
}

impl Tail {
    /// Opens `path` to read from `start` (a byte offset in its text: in a
    /// compressed file, the text before it is read and dropped).
    fn open(path: &Arc<Path>, start: Position, max_line: usize) -> io::Result<Tail> {
        let mut f = File::open(path)?;
        let id = identity(&f.metadata()?);
        // A plain file is read from `start`; a compressed one (a copytruncate
        // copy with `compress`) cannot seek: its text before `start` is
        // decompressed and dropped. (At `start` 0 both are no-ops.)
        let gzip = starts_with_gzip(&mut f)?;
        f.seek(SeekFrom::Start(if gzip { 0 } else { start.byte }))?;
        let mut input = Input::detect(f)?;
        if gzip {
            io::copy(&mut (&mut input).take(start.byte), &mut io::sink())?;
        }
        let mut rdr = LogReader::new(input)
            .with_file(path.clone())
            .with_max_line_len(max_line)
            .with_start(start);
        rdr.set_hold_partial(true);
        Ok(Tail {
            rdr,
            id,
            fingerprint: Vec::new(),
            polls_left: None,
        })
    }

    fn is_gzip(&self) -> bool {
        self.rdr.get_ref().is_gzip()
    }
}

/// Iterator of the records of a growing log file, surviving rotation: every
/// line written to the followed file, under any of its names, is yielded once.
///
/// What rotation does, and what is done about it (as Vector's and Fluent Bit's
/// file sources do):
///
/// * **Rename** (`exicyclog`, logrotate's default): the path names a new file
///   (another device and inode). Exim keeps writing to the old file until it
///   reopens its log, so the old file is kept open and drained for a grace
///   period ([`Follow::with_rotate_wait`], Fluent Bit's `rotate_wait`) while
///   the new one is read from its start.
/// * **Two rotations between polls**: the middle file is found in the rotated
///   set under its rotated name (`mainlog.1`) by its identity and its first
///   bytes, and read whole.
/// * **`copytruncate`**: the same file is truncated, then refilled, possibly to
///   its old size or more within one poll, so size alone cannot tell. The first
///   bytes (a fingerprint) are compared: when they changed, the file is read
///   again from its start, and the lines written between the last read and
///   the copy are read from the copy (found by the same fingerprint). Copies
///   made by more `copytruncate`s before the next poll (a follower stalled
///   behind a slow reader) are read whole, oldest first.
///
/// A line still being written (no `\n` yet) is held until it is complete; a
/// partial last line is yielded when the follow stops or a rotated file is let
/// go. At the end of what can be read it checks the path for rotation, then
/// waits ([`FollowControl`]) and checks again before reading on.
///
/// ```
/// use std::io::Write;
/// use exim_log::reader::Follow;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("mainlog");
/// std::fs::write(&path, "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com U=a P=local S=1\n")?;
/// let mut polls = 0;
/// let control = |_interval| {
///     polls += 1;
///     if polls == 1 {
///         // Exim appends while we wait.
///         let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
///         writeln!(f, "2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed").unwrap();
///     }
///     polls < 2 // stop at the second wait
/// };
/// let lines: Vec<_> = Follow::new(&path).with_control(control).collect::<Result<_, _>>()?;
/// assert_eq!(lines.len(), 2);
/// assert_eq!(lines[1].position().line, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Follow<C> {
    st: State,
    control: C,
}

/// Everything but the control (so `with_control` moves it whole).
struct State {
    path: Arc<Path>,
    /// The file the path named when last opened.
    current: Option<Tail>,
    /// Rotated files still read (the old file after a rename, a middle file,
    /// a copy's tail), oldest first.
    draining: Vec<Tail>,
    /// Identities of the files already read or there before the follow
    /// started (never read as new).
    known_ids: Vec<(u64, u64)>,
    /// Fingerprints of the files read.
    known_prints: Vec<Vec<u8>>,
    /// The rotated set was looked at (at the first open).
    started: bool,
    interval: Duration,
    rotate_wait: Duration,
    from_end: bool,
    max_line: usize,
    stopped: bool,
    /// The path is checked before the next read (after every wait).
    check_due: bool,
    /// The line and position of [`Follow::next_line`].
    line: Vec<u8>,
    pos: Position,
}

impl<C> std::fmt::Debug for Follow<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follow")
            .field("path", &self.st.path)
            .field("interval", &self.st.interval)
            .field("rotate_wait", &self.st.rotate_wait)
            .field("draining", &self.st.draining.len())
            .finish_non_exhaustive()
    }
}

impl Follow<Sleep> {
    /// Follows `path` from its start, polling every second, forever; a
    /// rotated file is drained for 5 seconds.
    pub fn new(path: impl AsRef<Path>) -> Self {
        Follow {
            st: State {
                path: Arc::from(path.as_ref()),
                current: None,
                draining: Vec::new(),
                known_ids: Vec::new(),
                known_prints: Vec::new(),
                started: false,
                interval: Duration::from_secs(1),
                rotate_wait: Duration::from_secs(5),
                from_end: false,
                max_line: super::DEFAULT_MAX_LINE_LEN,
                stopped: false,
                check_due: false,
                line: Vec::new(),
                pos: Position::start(),
            },
            control: sleep_forever,
        }
    }
}

impl<C: FollowControl> Follow<C> {
    /// Replaces the wait between polls (tests, or a stop flag).
    pub fn with_control<D: FollowControl>(self, control: D) -> Follow<D> {
        Follow {
            st: self.st,
            control,
        }
    }

    /// The poll interval passed to the control.
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.st.interval = interval;
        self
    }

    /// How long a rotated file is still read after the path names a new one
    /// (Exim writes to the old file until it reopens its log); counted in
    /// polls, at least one. Default 5 seconds.
    pub fn with_rotate_wait(mut self, wait: Duration) -> Self {
        self.st.rotate_wait = wait;
        self
    }

    /// Starts at the current end of the file, like `tail -f` (line numbers then
    /// count from that point). Files found after a rotation are read whole.
    pub fn from_end(mut self) -> Self {
        self.st.from_end = true;
        self
    }

    /// Sets the line-length cap.
    pub fn with_max_line_len(mut self, max: usize) -> Self {
        self.st.max_line = max;
        self
    }

    fn wait(&mut self) -> bool {
        if self.control.wait(self.st.interval) {
            self.st.check_due = true;
            for t in &mut self.st.draining {
                if let Some(n) = &mut t.polls_left {
                    *n = n.saturating_sub(1);
                }
            }
            return true;
        }
        self.st.stopped = true;
        false
    }

    /// Reads the next line into `buf`, like [`LogReader::read_line`]: waits
    /// ([`FollowControl`]) at the end of the file until a line comes; `Ok(None)`
    /// once the control said stop (after the partial last lines, if any).
    pub fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError> {
        loop {
            if self.st.stopped {
                // Partial last lines are yielded once at the end, not lost.
                return Ok(self.st.take_last_partial(buf));
            }
            if self.st.check_due {
                self.st.check_due = false;
                self.st.check();
            }
            if let Some(pos) = self.st.read_available(buf)? {
                return Ok(Some(pos));
            }
            if self.st.current.is_none() {
                match self.st.open() {
                    Ok(()) => continue,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => {
                        self.st.stopped = true;
                        return Err(ReadError::open(self.st.path.clone(), e));
                    }
                }
            } else if self.st.check() {
                // Rotated or truncated: read on without waiting.
                continue;
            }
            // Rotated files whose grace period ended are let go.
            if let Some(pos) = self.st.let_go(buf) {
                return Ok(Some(pos));
            }
            self.wait();
        }
    }

    /// The zero-copy shape of [`Follow::read_line`]: the line is borrowed from
    /// a buffer the follower keeps.
    pub fn next_line(&mut self) -> Result<Option<(&[u8], &Position)>, ReadError> {
        let mut line = std::mem::take(&mut self.st.line);
        let res = self.read_line(&mut line);
        self.st.line = line;
        match res? {
            Some(pos) => {
                self.st.pos = pos;
                Ok(Some((&self.st.line, &self.st.pos)))
            }
            None => Ok(None),
        }
    }

    /// How the followed file's lines are wrapped, once a line was read.
    pub fn framing(&self) -> Option<Framing> {
        self.st.current.as_ref().and_then(|t| t.rdr.framing())
    }
}

impl State {
    fn open(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            // The rotated files there now are history: never read as new.
            for p in super::rotated(&self.path).unwrap_or_default() {
                if let Some(id) = std::fs::metadata(&p).ok().as_ref().and_then(identity)
                    && p.as_path() != &*self.path
                {
                    self.remember_id(id);
                }
            }
        }
        let mut start = Position::start();
        if std::mem::take(&mut self.from_end) {
            start.byte = std::fs::metadata(&self.path)?.len();
        }
        let tail = Tail::open(&self.path, start, self.max_line)?;
        if let Some(id) = tail.id {
            self.remember_id(id);
        }
        self.current = Some(tail);
        Ok(())
    }

    fn remember_id(&mut self, id: (u64, u64)) {
        if !self.known_ids.contains(&id) {
            if self.known_ids.len() >= KNOWN_MAX {
                self.known_ids.remove(0);
            }
            self.known_ids.push(id);
        }
    }

    fn remember_print(&mut self, print: Vec<u8>) {
        if !print.is_empty() && !self.known_prints.contains(&print) {
            if self.known_prints.len() >= KNOWN_MAX {
                self.known_prints.remove(0);
            }
            self.known_prints.push(print);
        }
    }

    /// The next complete line of the rotated files (oldest first), then of
    /// the current file.
    fn read_available(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError> {
        for t in self.draining.iter_mut() {
            match t.rdr.read_line(buf) {
                Ok(Some(pos)) => return Ok(Some(pos)),
                Ok(None) => {}
                Err(e) => {
                    if e.is_fatal() {
                        // The file cannot be read on: let it go.
                        t.polls_left = Some(0);
                    }
                    return Err(e);
                }
            }
        }
        let Some(t) = self.current.as_mut() else {
            return Ok(None);
        };
        match t.rdr.read_line(buf) {
            Err(e) => {
                if e.is_fatal() {
                    self.stopped = true;
                }
                Err(e)
            }
            r => r,
        }
    }

    /// Lets go of the rotated files whose grace period ended; the partial
    /// last line of one, if any, is yielded.
    fn let_go(&mut self, buf: &mut Vec<u8>) -> Option<Position> {
        while let Some(i) = self.draining.iter().position(|t| t.polls_left == Some(0)) {
            let mut t = self.draining.remove(i);
            if let Some(pos) = t.rdr.take_partial(buf) {
                return Some(pos);
            }
        }
        None
    }

    /// After the stop: the partial lines of every file, oldest first.
    fn take_last_partial(&mut self, buf: &mut Vec<u8>) -> Option<Position> {
        while !self.draining.is_empty() {
            let mut t = self.draining.remove(0);
            if let Some(pos) = t.rdr.take_partial(buf) {
                return Some(pos);
            }
        }
        let mut t = self.current.take()?;
        t.rdr.take_partial(buf)
    }

    fn grace_polls(&self) -> u32 {
        let per = self.interval.as_secs_f64();
        if per <= 0.0 {
            return 1;
        }
        ((self.rotate_wait.as_secs_f64() / per).ceil() as u32).max(1)
    }

    /// Has the path been rotated or truncated since the current file was
    /// opened? If so, sets up what must be read (the old file, middle files,
    /// a copy's tail) and returns true; the current file is then reopened.
    fn check(&mut self) -> bool {
        let Some(cur) = self.current.as_mut() else {
            return false;
        };
        // Missing: rotated away, the new file is not there yet. Keep reading the
        // old one until it appears, so nothing written to it late is lost.
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return false;
        };
        let gzip = cur.is_gzip();
        let taken = cur.rdr.bytes_taken();
        if identity(&meta) != cur.id {
            self.rotated();
            return true;
        }
        if gzip {
            return false;
        }
        let now = head(&self.path, FINGERPRINT).unwrap_or_default();
        if meta.len() < taken || !agree(&now, &cur.fingerprint) {
            self.truncated();
            return true;
        }
        // Unchanged: complete the fingerprint from what was read.
        if cur.fingerprint.len() < FINGERPRINT {
            let n = (taken as usize).min(FINGERPRINT).min(now.len());
            cur.fingerprint = now.get(..n).unwrap_or_default().to_vec();
        }
        false
    }

    /// The path names a new file: the old one is drained for the grace
    /// period, under its rotated name, and files rotated in between are read.
    fn rotated(&mut self) {
        let Some(mut old) = self.current.take() else {
            return;
        };
        let set = super::rotated(&self.path).unwrap_or_default();
        // The old file's new name, found by its identity.
        if let Some(p) = set.iter().find(|p| {
            std::fs::metadata(p).ok().as_ref().and_then(identity) == old.id && old.id.is_some()
        }) {
            old.rdr.rename(Arc::from(p.as_path()));
        }
        old.polls_left = Some(self.grace_polls());
        self.remember_print(std::mem::take(&mut old.fingerprint));
        self.draining.push(old);
        // Rotated twice (or more) between polls: the files in between.
        self.read_new_files(&set);
    }

    /// The files of `set` (oldest first) that rotations made since the last
    /// poll, each read whole after the files being drained: the ones not seen
    /// yet, unless they are a copy (compressed or not) of a file already read.
    fn read_new_files(&mut self, set: &[PathBuf]) {
        let path = self.path.clone();
        for p in set.iter().filter(|p| p.as_path() != &*path) {
            let Some(id) = std::fs::metadata(p).ok().as_ref().and_then(identity) else {
                continue;
            };
            if self.known_ids.contains(&id) {
                continue;
            }
            self.remember_id(id);
            let print = head(p, FINGERPRINT).unwrap_or_default();
            if print.is_empty() || self.known_prints.iter().any(|k| agree(k, &print)) {
                // A compressed or copied version of a file already read.
                continue;
            }
            if let Ok(mut t) = Tail::open(&Arc::from(p.as_path()), Position::start(), self.max_line)
            {
                t.polls_left = Some(self.grace_polls());
                t.fingerprint = print.clone();
                self.remember_print(print);
                self.draining.push(t);
            }
        }
    }

    /// The file was truncated in place (`copytruncate`): the lines written
    /// after the last read are in the copy (found in the rotated set by the
    /// fingerprint); copies made by later `copytruncate`s before this poll
    /// hold only lines not read yet, and are read whole; then the file is
    /// read again from its start.
    fn truncated(&mut self) {
        let Some(old) = self.current.take() else {
            return;
        };
        // Where the first line not read yet starts (a held partial line included).
        let resume = old.rdr.next_position();
        let set = super::rotated(&self.path).unwrap_or_default();
        let path = self.path.clone();
        for (i, p) in set
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, p)| p.as_path() != &*path)
        {
            let Some(meta) = std::fs::metadata(p).ok() else {
                continue;
            };
            let Some(id) = identity(&meta) else { continue };
            if self.known_ids.contains(&id) {
                continue;
            }
            let print = head(p, FINGERPRINT).unwrap_or_default();
            if old.fingerprint.is_empty() || !agree(&print, &old.fingerprint) {
                continue;
            }
            self.remember_id(id);
            // Whatever its size on disk (a compressed copy's is not its text's):
            // a copy with nothing more than was read yields nothing.
            if let Ok(mut t) = Tail::open(&Arc::from(p.as_path()), resume.clone(), self.max_line) {
                t.polls_left = Some(self.grace_polls());
                self.draining.push(t);
            }
            self.remember_print(old.fingerprint);
            // The copies newer than this one (the set is oldest first).
            self.read_new_files(set.get(i + 1..).unwrap_or_default());
            return;
        }
        self.remember_print(old.fingerprint);
    }
}

impl<C: FollowControl> Iterator for Follow<C> {
    type Item = Result<Record, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = Vec::new();
        self.read_line(&mut buf)
            .map(|p| p.map(|position| Record::new(buf, position)))
            .transpose()
    }
}

impl<C: FollowControl> super::LineSource for Follow<C> {
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError> {
        Follow::read_line(self, buf)
    }

    fn next_line(&mut self) -> Result<Option<(&[u8], &Position)>, ReadError> {
        Follow::next_line(self)
    }

    /// No buffer to skip through: each line is read and checked.
    fn read_matching_line_by<M: LineMatcher + ?Sized>(
        &mut self,
        matcher: &M,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        loop {
            match self.read_line(buf)? {
                Some(pos) if matcher.is_match(buf) => return Ok(Some(pos)),
                Some(_) => {}
                None => return Ok(None),
            }
        }
    }

    fn framing(&self) -> Option<Framing> {
        Follow::framing(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default control never stops the follow (it only sleeps).
    #[test]
    fn the_default_control_goes_on() {
        let mut f = Follow::new("mainlog");
        assert!(f.control.wait(Duration::ZERO));
    }

    /// A rotated file is drained for `rotate_wait` counted in polls, rounded
    /// up, at least one.
    #[test]
    fn grace_polls_count_the_rotate_wait_in_polls() {
        let grace = |interval_ms: u64, wait_ms: u64| {
            Follow::new("mainlog")
                .with_interval(Duration::from_millis(interval_ms))
                .with_rotate_wait(Duration::from_millis(wait_ms))
                .st
                .grace_polls()
        };
        assert_eq!(grace(1000, 5000), 5, "the defaults: 5 s, a poll a second");
        assert_eq!(grace(2000, 5000), 3, "2.5 polls: never cut short");
        assert_eq!(grace(500, 3000), 6);
        assert_eq!(grace(1000, 0), 1, "at least one");
        assert_eq!(grace(3000, 1000), 1);
        assert_eq!(grace(0, 5000), 1, "no interval: one poll");
    }
}
