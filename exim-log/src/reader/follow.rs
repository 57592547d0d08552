//! Follow mode (`tail -F`): keep reading a log as Exim appends to it, and carry
//! on with the new file when it is rotated.
//!
//! Polling, not inotify: it works on every platform and filesystem (NFS
//! included), and the wait between polls is injectable ([`FollowControl`]), so
//! tests drive it step by step without timing.

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::syslog::Framing;

use super::{Input, LineMatcher, LogReader, Position, ReadError, Record};

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

/// Iterator of the records of a growing log file, surviving rotation.
///
/// At the end of the file it checks the path: if it now names another file
/// (rotated: renamed away and recreated), the old file's last partial line is
/// yielded and the new file is read from its start; if the file shrank
/// (`copytruncate`), it is read again from its start. Otherwise it waits
/// ([`FollowControl`]) and tries again. A line still being written (no `\n`
/// yet) is held until it is complete.
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
    path: Arc<Path>,
    reader: Option<LogReader<Input<File>>>,
    id: Option<(u64, u64)>,
    interval: Duration,
    control: C,
    from_end: bool,
    max_line: usize,
    stopped: bool,
    /// The line and position of [`Follow::next_line`].
    line: Vec<u8>,
    pos: Position,
}

impl<C> std::fmt::Debug for Follow<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follow")
            .field("path", &self.path)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl Follow<Sleep> {
    /// Follows `path` from its start, polling every second, forever.
    pub fn new(path: impl AsRef<Path>) -> Self {
        Follow {
            path: Arc::from(path.as_ref()),
            reader: None,
            id: None,
            interval: Duration::from_secs(1),
            control: sleep_forever,
            from_end: false,
            max_line: super::DEFAULT_MAX_LINE_LEN,
            stopped: false,
            line: Vec::new(),
            pos: Position::start(),
        }
    }
}

impl<C: FollowControl> Follow<C> {
    /// Replaces the wait between polls (tests, or a stop flag).
    pub fn with_control<D: FollowControl>(self, control: D) -> Follow<D> {
        Follow {
            path: self.path,
            reader: self.reader,
            id: self.id,
            interval: self.interval,
            control,
            from_end: self.from_end,
            max_line: self.max_line,
            stopped: self.stopped,
            line: self.line,
            pos: self.pos,
        }
    }

    /// The poll interval passed to the control.
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Starts at the current end of the file, like `tail -f` (line numbers then
    /// count from that point). Files found after a rotation are read whole.
    pub fn from_end(mut self) -> Self {
        self.from_end = true;
        self
    }

    /// Sets the line-length cap.
    pub fn with_max_line_len(mut self, max: usize) -> Self {
        self.max_line = max;
        self
    }

    fn open(&mut self) -> io::Result<()> {
        let mut f = File::open(&self.path)?;
        self.id = identity(&f.metadata()?);
        let mut start = Position::start();
        if std::mem::take(&mut self.from_end) {
            start.byte = f.seek(SeekFrom::End(0))?;
        }
        let mut rdr = LogReader::new(Input::detect(f)?)
            .with_file(self.path.clone())
            .with_max_line_len(self.max_line)
            .with_start(start);
        rdr.set_hold_partial(true);
        self.reader = Some(rdr);
        Ok(())
    }

    /// Has the path been replaced (rotated) or truncated since it was opened?
    /// `read_up_to` is `None` for a gzip file, whose offsets are not file sizes.
    fn replaced(&self, read_up_to: Option<u64>) -> bool {
        match std::fs::metadata(&self.path) {
            // Missing: rotated away, the new file is not there yet. Keep the old one
            // until it appears, so nothing written to it late is lost.
            Err(_) => false,
            Ok(m) => identity(&m) != self.id || read_up_to.is_some_and(|n| m.len() < n),
        }
    }

    fn wait(&mut self) -> bool {
        if self.control.wait(self.interval) {
            return true;
        }
        self.stopped = true;
        false
    }

    /// Reads the next line into `buf`, like [`LogReader::read_line`]: waits
    /// ([`FollowControl`]) at the end of the file until a line comes; `Ok(None)`
    /// once the control said stop (after a last partial line, if any).
    pub fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError> {
        loop {
            if self.stopped {
                // A partial last line is yielded once at the end, not lost.
                let Some(rdr) = self.reader.as_mut() else {
                    return Ok(None);
                };
                let pos = rdr.take_partial(buf);
                self.reader = None;
                return Ok(pos);
            }
            let Some(rdr) = self.reader.as_mut() else {
                match self.open() {
                    Ok(()) => continue,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        self.wait();
                        continue;
                    }
                    Err(e) => {
                        self.stopped = true;
                        return Err(ReadError::open(self.path.clone(), e));
                    }
                }
            };
            match rdr.read_line(buf) {
                Ok(Some(pos)) => return Ok(Some(pos)),
                Err(e) => {
                    if e.is_fatal() {
                        self.stopped = true;
                    }
                    return Err(e);
                }
                Ok(None) => {}
            }
            let read_up_to = (!rdr.get_ref().is_gzip()).then(|| rdr.next_position().byte);
            if self.replaced(read_up_to) {
                // Rotated or truncated. Exim may have written to the old file between
                // our last read and the rename: drain it, then start the new one.
                if let Some(rdr) = self.reader.as_mut() {
                    if let Some(pos) = rdr.read_line(buf)? {
                        return Ok(Some(pos));
                    }
                    let pos = rdr.take_partial(buf);
                    self.reader = None;
                    if pos.is_some() {
                        return Ok(pos);
                    }
                }
                continue;
            }
            self.wait();
        }
    }

    /// The zero-copy shape of [`Follow::read_line`]: the line is borrowed from
    /// a buffer the follower keeps.
    pub fn next_line(&mut self) -> Result<Option<(&[u8], &Position)>, ReadError> {
        let mut line = std::mem::take(&mut self.line);
        let res = self.read_line(&mut line);
        self.line = line;
        match res? {
            Some(pos) => {
                self.pos = pos;
                Ok(Some((&self.line, &self.pos)))
            }
            None => Ok(None),
        }
    }

    /// How the followed file's lines are wrapped, once a line was read.
    pub fn framing(&self) -> Option<Framing> {
        self.reader.as_ref().and_then(LogReader::framing)
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
