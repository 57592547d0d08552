//! The lines of one byte range of a plain file, so that several threads (or
//! Dask tasks, or machines) can each read a part of one large log.
//!
//! A range `[start, end)` owns the lines that *start* inside it, as Hadoop's
//! text splits do: a reader of `[start, end)` skips the partial line at
//! `start` (it belongs to the range before) and reads on past `end` to the
//! end of the line that started before it. So any cut points give every line
//! exactly once, whatever they are, and no caller has to find line
//! boundaries first ([`split`] cuts evenly).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::{LogReader, Position, ReadError};

/// A [`Read`] over the lines of a file that start in a byte range; see
/// [`LogReader::open_range`].
#[derive(Debug)]
pub struct RangeRead<R> {
    inner: R,
    /// Offset in the file of the next byte read.
    at: u64,
    /// End of the range: lines starting at or after it are not ours.
    end: u64,
    /// The byte before `at` (a `\n` when `at` is a line start).
    last: u8,
    /// Past `end` and the end of the line that crossed it.
    done: bool,
}

impl<R> RangeRead<R> {
    /// Reads the lines of `inner` from `at`, a line start where it is
    /// positioned, that start before `end`.
    fn new(inner: R, at: u64, end: u64) -> Self {
        RangeRead {
            inner,
            at,
            end,
            last: b'\n',
            done: at >= end,
        }
    }
}

impl<R: Read> Read for RangeRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.at >= self.end {
            // Past the end: only the rest of a line that started inside.
            if self.last == b'\n' {
                self.done = true;
                return Ok(0);
            }
            // The rest of one line: not a whole buffer of the next range's.
            let want = buf.len().min(PAST_END_READ);
            let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
            let got = buf.get(..n).unwrap_or_default();
            let n = match memchr::memchr(b'\n', got) {
                Some(i) => {
                    self.done = true;
                    i + 1
                }
                None => n,
            };
            if n == 0 {
                self.done = true;
            }
            self.advance(buf, n);
            return Ok(n);
        }
        let room = usize::try_from(self.end - self.at).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            self.done = true;
        }
        self.advance(buf, n);
        Ok(n)
    }
}

impl<R> RangeRead<R> {
    fn advance(&mut self, buf: &[u8], n: usize) {
        if let Some(&b) = buf.get(..n).and_then(<[u8]>::last) {
            self.last = b;
        }
        self.at += n as u64;
    }
}

impl LogReader<RangeRead<File>> {
    /// The lines of the plain file `path` that start in the byte range
    /// `range` (`[start, end)`): the partial line at `start` is skipped (it
    /// belongs to the range before) and the line crossing `end` is read to
    /// its end. Ranges that tile a file give each of its lines once, wherever
    /// they are cut ([`split`]): one task per range, on as many threads or
    /// machines as there are ranges.
    ///
    /// Positions give the offset in the file (`byte`); `line` counts from 1
    /// at the first line of the range (the lines before it are not read). A
    /// gzip file has no byte ranges: it is an error (read it whole).
    ///
    /// ```
    /// use exim_log::reader::{LogReader, split};
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("mainlog");
    /// # std::fs::write(&path, "2026-11-25 10:00:01 a\n2026-11-25 10:00:02 b\n2026-11-25 10:00:03 c\n")?;
    /// let len = std::fs::metadata(&path)?.len();
    /// let mut lines = Vec::new();
    /// for range in split(len, 2) {
    ///     let mut rdr = LogReader::open_range(&path, range)?;
    ///     while let Some((line, pos)) = rdr.next_line()? {
    ///         lines.push((pos.byte, line.to_vec()));
    ///     }
    /// }
    /// assert_eq!(lines.len(), 3);
    /// assert_eq!(lines[1], (22, b"2026-11-25 10:00:02 b".to_vec()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_range(path: impl AsRef<Path>, range: Range<u64>) -> Result<Self, ReadError> {
        let path: Arc<Path> = Arc::from(path.as_ref());
        let (rdr, start) = open_range_read(&path, range)?;
        Ok(LogReader::new(rdr)
            .with_start(Position::new(1, start))
            .with_file(path))
    }
}

/// Opens the lines of `path` starting in `range` (see
/// [`LogReader::open_range`]); also gives the offset of the first of them.
pub(super) fn open_range_read(
    path: &Arc<Path>,
    range: Range<u64>,
) -> Result<(RangeRead<File>, u64), ReadError> {
    let err = |e| ReadError::open(path.clone(), e);
    let mut f = File::open(path).map_err(err)?;
    if super::starts_with_gzip(&mut f).map_err(err)? {
        return Err(err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a gzip file has no byte ranges: read it whole",
        )));
    }
    let start = match range.start {
        0 => 0,
        // (Past the end of the file: no line, at `s`.)
        s => line_start_from(&mut f, s - 1).map_err(err)?.max(s),
    };
    f.seek(SeekFrom::Start(start)).map_err(err)?;
    Ok((RangeRead::new(f, start, range.end), start))
}

/// The first line start after byte `at` of `f` (the file's length when no
/// line starts after it): the line under a range's first byte began in the
/// range before when the byte before it (`at`) is not a `\n`. Read in
/// blocks, not a byte per read (a system call each: ~150 per range).
fn line_start_from(f: &mut File, mut at: u64) -> io::Result<u64> {
    f.seek(SeekFrom::Start(at))?;
    let mut block = [0u8; SKIP_BLOCK];
    loop {
        let got = read_up_to(f, &mut block)?;
        let seen = block.get(..got).unwrap_or_default();
        if let Some(i) = memchr::memchr(b'\n', seen) {
            return Ok(at + i as u64 + 1);
        }
        at += got as u64;
        if got < block.len() {
            return Ok(at);
        }
    }
}

/// Bytes read per look for the end of the line under a range's start.
const SKIP_BLOCK: usize = 4096;

/// Bytes read at a time past a range's end, for the rest of its last line.
const PAST_END_READ: usize = 4096;

/// Reads until `buf` is full or the input ends; the bytes read.
pub(super) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Cuts `[0, len)` into `parts` ranges of about equal size (at least one
/// range; empty ranges are left out when `len < parts`). Cut anywhere:
/// [`LogReader::open_range`] gives each line to the range it starts in.
///
/// ```
/// assert_eq!(exim_log::reader::split(10, 3), [0..3, 3..6, 6..10]);
/// assert_eq!(exim_log::reader::split(0, 4), [0..0]);
/// ```
pub fn split(len: u64, parts: usize) -> Vec<Range<u64>> {
    let parts = (parts.max(1) as u64).min(len.max(1));
    (0..parts)
        .map(|i| (len * i / parts)..(len * (i + 1) / parts))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines_of(path: &Path, cuts: &[u64]) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let mut rdr = LogReader::open_range(path, a..b).unwrap();
            while let Some((line, pos)) = rdr.next_line().unwrap() {
                out.push((pos.byte, line.to_vec()));
            }
        }
        out
    }

    #[test]
    fn every_cut_gives_each_line_once() {
        let text = b"one\n\ntwo two\nthree three three\nfour\nlast without newline";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text)
            .unwrap();
        let len = text.len() as u64;
        let whole = lines_of(&path, &[0, len]);
        assert_eq!(whole.len(), 6);
        assert_eq!(whole[3], (13, b"three three three".to_vec()));
        // Every single cut, and every pair of cuts.
        for a in 0..=len {
            assert_eq!(lines_of(&path, &[0, a, len]), whole, "cut at {a}");
            for b in a..=len {
                assert_eq!(lines_of(&path, &[0, a, b, len]), whole, "cuts {a} {b}");
            }
        }
        for parts in 1..10 {
            let mut cuts: Vec<u64> = split(len, parts).iter().map(|r| r.start).collect();
            cuts.push(len);
            assert_eq!(lines_of(&path, &cuts), whole, "{parts} parts");
        }
    }

    #[test]
    fn cuts_inside_crlf_and_long_lines_give_each_line_once() {
        // A line longer than a skip block and than a read past the end.
        let long = "y".repeat(SKIP_BLOCK + PAST_END_READ + 10);
        let text = format!("one\r\n\r\ntwo\r\n{long}\r\nlast\r");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, &text).unwrap();
        let len = text.len() as u64;
        let whole = lines_of(&path, &[0, len]);
        assert_eq!(whole.len(), 5);
        assert_eq!(whole[3], (12, long.as_bytes().to_vec()));
        assert_eq!(whole[4], (len - 5, b"last".to_vec()));
        // Every cut near the short lines and the long line's ends, a skip
        // block into it, and every 61st byte inside it.
        let block = 12 + SKIP_BLOCK as u64;
        let near = |a: u64, at: u64| a.abs_diff(at) < 24;
        for a in (0..=len).filter(|&a| near(a, 0) || near(a, len) || near(a, block) || a % 61 == 0)
        {
            assert!(lines_of(&path, &[0, a, len]) == whole, "cut at {a}");
        }
        for b in [1, 4, 5, 6, 8, 12, 13, len - 6, len - 5, len - 1] {
            for a in (0..=b).filter(|a| *a < 16 || b - a < 16) {
                assert!(lines_of(&path, &[0, a, b, len]) == whole, "cuts {a} {b}");
            }
        }
    }

    /// Even cuts: `len * i / parts`, at least one range, none empty when
    /// there are fewer bytes than parts.
    #[test]
    // One range is what these cuts are, not a range meant as a Vec's contents.
    #[allow(clippy::single_range_in_vec_init)]
    fn split_cuts_evenly() {
        assert_eq!(split(10, 3), [0..3, 3..6, 6..10]);
        assert_eq!(split(10, 1), [0..10]);
        assert_eq!(split(10, 0), [0..10]);
        assert_eq!(split(0, 4), [0..0]);
        assert_eq!(split(2, 5), [0..1, 1..2]);
        assert_eq!(split(7, 7), [0..1, 1..2, 2..3, 3..4, 4..5, 5..6, 6..7]);
        assert_eq!(split(100, 4), [0..25, 25..50, 50..75, 75..100]);
    }

    /// A read into an empty buffer gives nothing and ends nothing: the
    /// range's lines still come after it, in range and past its end.
    #[test]
    fn an_empty_read_ends_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path: Arc<Path> = Arc::from(dir.path().join("log"));
        std::fs::write(&path, "one\ntwo\nthree\n").unwrap();
        let (mut r, start) = open_range_read(&path, 1..5).unwrap();
        assert_eq!(start, 4);
        assert_eq!(r.read(&mut []).unwrap(), 0);
        let mut one = [0u8; 1];
        r.read_exact(&mut one).unwrap();
        assert_eq!(r.read(&mut []).unwrap(), 0, "past the end");
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!((one[0], rest.as_slice()), (b't', &b"wo\n"[..]));
    }

    #[test]
    fn gzip_has_no_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("log.gz");
        std::fs::write(&gz, [0x1f, 0x8b, 8, 0]).unwrap();
        let e = LogReader::open_range(&gz, 0..4).unwrap_err();
        assert!(e.to_string().contains("no byte ranges"), "{e}");
    }
}
