//! Zero-copy line access: lines borrowed straight from the reader's read
//! buffer, for callers that look at each line once (parse it, count it) and
//! keep nothing. Copying every line into a caller's buffer
//! ([`LogReader::read_line`]) costs several times what reading the file costs;
//! here only a line that straddles two buffer fills is copied (into a buffer
//! the reader keeps), and the semantics are those of `read_line`: same lines,
//! same positions, same line cap, same errors.

use std::io::{BufRead, Read};

use super::{LogReader, Mark, Position, ReadError, ReadErrorKind};
use crate::line::trim_line_ending;

/// Where the current line of [`LogReader::next_line`] lives.
#[derive(Clone, Copy, Debug, Default)]
pub(super) enum Current {
    /// No line (before the first call, after the end or an error).
    #[default]
    None,
    /// The first `len` bytes of the read buffer; `consume` bytes (the line and
    /// its ending) are consumed at the next call.
    Buffer { len: usize, consume: usize },
    /// The spill buffer: the line straddled two buffer fills.
    Spill,
}

impl<R: Read> LogReader<R> {
    /// Consumes the line [`LogReader::next_line`] returned last, if it is still
    /// in the read buffer. Every method that reads calls this first.
    pub(super) fn settle(&mut self) {
        if let Current::Buffer { consume, .. } = std::mem::take(&mut self.current) {
            self.rdr.consume(consume);
        }
    }

    /// The next line without its line ending, borrowed from the reader, and its
    /// position (with the file); `None` at the end of input. The zero-copy twin of
    /// [`LogReader::read_line`], with the same lines, positions and errors: a
    /// line longer than the cap gives [`ReadErrorKind::LineTooLong`] and the next
    /// call goes on after it; a read error ends the stream after every complete
    /// line before it.
    ///
    /// The line is a slice of the reader's read buffer, so nothing is copied,
    /// except a line that straddles two buffer fills: that one is gathered in a
    /// buffer the reader keeps (never larger than the cap plus two bytes).
    ///
    /// ```
    /// use exim_log::reader::LogReader;
    ///
    /// let log = b"2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed\r\nnot a log line";
    /// let mut rdr = LogReader::new(&log[..]);
    /// let mut seen = Vec::new();
    /// while let Some((line, pos)) = rdr.next_line()? {
    ///     let event = exim_log::parse_line(line).map(|l| l.event.name());
    ///     seen.push((pos.line, pos.byte, event.ok()));
    /// }
    /// assert_eq!(seen, [(1, 0, Some("completed")), (2, 55, None)]);
    /// # Ok::<(), exim_log::reader::ReadError>(())
    /// ```
    pub fn next_line(&mut self) -> Result<Option<(&[u8], &Position)>, ReadError> {
        if self.advance_line()? {
            Ok(Some(self.current()))
        } else {
            Ok(None)
        }
    }

    /// The line and position [`LogReader::advance_line`] moved to.
    #[inline]
    pub(super) fn current(&self) -> (&[u8], &Position) {
        (self.current_line(), &self.current_pos)
    }

    /// Moves to the next line (see [`LogReader::next_line`]) without borrowing
    /// it; [`LogReader::current`] then gives it. Split in two so that
    /// [`super::LogFiles`] can move on to the next file in a loop. `false` at
    /// the end of input.
    #[inline]
    pub(super) fn advance_line(&mut self) -> Result<bool, ReadError> {
        if self.advance_in_buffer() {
            return Ok(true);
        }
        let at = match self.advance_at()? {
            Some(at) => at,
            None => return Ok(false),
        };
        self.current_pos.line = at.line;
        self.current_pos.byte = at.byte;
        Ok(true)
    }

    /// The usual case of [`LogReader::advance_line`], in a few dozen
    /// instructions: the next line is whole in the read buffer (nothing to
    /// read, no partial line held, not too long). `false` otherwise, with
    /// only the previous line consumed: the caller goes the general way.
    #[inline]
    pub(super) fn advance_in_buffer(&mut self) -> bool {
        self.settle();
        if self.done || !self.carry.is_empty() || self.skipping.is_some() {
            return false;
        }
        let chunk = self.rdr.buffer();
        let Some(i) = memchr::memchr(b'\n', chunk) else {
            return false;
        };
        let len = trim_line_ending(chunk.get(..=i).unwrap_or_default()).len();
        if len > self.max_line {
            return false;
        }
        self.current_pos.line = self.next.line;
        self.current_pos.byte = self.next.byte;
        self.advance(i as u64 + 1);
        self.current = Current::Buffer {
            len,
            consume: i + 1,
        };
        true
    }

    #[inline]
    fn advance_at(&mut self) -> Result<Option<Mark>, ReadError> {
        self.settle();
        if self.done {
            return Ok(None);
        }
        if self.carry.is_empty() && self.skipping.is_none() {
            // Fast path: a whole line in the read buffer.
            let chunk = loop {
                match super::fill(&mut self.rdr, &mut self.framing) {
                    Ok(c) => break c,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    // At a line start: no partial line was lost.
                    Err(e) => {
                        let mut spill = std::mem::take(&mut self.spill);
                        let err = self.fail(&mut spill, self.next, e, 0);
                        self.spill = spill;
                        return Err(err);
                    }
                }
            };
            if let Some(i) = memchr::memchr(b'\n', chunk) {
                let len = trim_line_ending(chunk.get(..=i).unwrap_or_default()).len();
                let start = self.next;
                self.advance(i as u64 + 1);
                if len > self.max_line {
                    self.rdr.consume(i + 1);
                    return Err(self.err(
                        start,
                        ReadErrorKind::LineTooLong {
                            length: len as u64,
                            limit: self.max_line,
                        },
                    ));
                }
                self.current = Current::Buffer {
                    len,
                    consume: i + 1,
                };
                return Ok(Some(start));
            }
        }
        // The line straddles the end of the buffer (or input ends without a
        // line ending, or in follow mode a partial line is held): gather it.
        let mut spill = std::mem::take(&mut self.spill);
        let res = self.read_line_at(&mut spill);
        self.spill = spill;
        if let Ok(Some(_)) = res {
            self.current = Current::Spill;
        }
        res
    }

    /// The line [`LogReader::advance_line`] moved to (empty if none).
    fn current_line(&self) -> &[u8] {
        match self.current {
            Current::None => &[],
            Current::Buffer { len, .. } => self.rdr.buffer().get(..len).unwrap_or_default(),
            Current::Spill => &self.spill,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// A small deterministic generator (xorshift64*), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    /// Random lines: empty, short, around the cap, over-long; `\n` or `\r\n`;
    /// a stray `\r` inside; with or without a final line ending.
    fn random_log(rng: &mut Rng, cap: usize) -> Vec<u8> {
        let mut log = Vec::new();
        for _ in 0..rng.below(60) {
            let len = match rng.below(6) {
                0 => 0,
                1 => cap - 1 + rng.below(4) as usize,
                2 => cap + 1 + rng.below(3 * cap as u64) as usize,
                _ => rng.below(cap as u64) as usize,
            };
            log.extend((0..len).map(|i| match rng.below(40) {
                0 => b'\r',
                _ => b'a' + (i % 26) as u8,
            }));
            log.extend_from_slice(if rng.below(3) == 0 { b"\r\n" } else { b"\n" });
        }
        if rng.below(2) == 0 {
            log.extend((0..rng.below(cap as u64 * 2)).map(|_| b'z'));
        }
        log
    }

    /// Hands out its bytes a few at a time (so lines straddle buffer fills),
    /// then fails with an error if `fail` is set.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        steps: Vec<usize>,
        step: usize,
        fail: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let rest = self.data.get(self.at..).unwrap_or_default();
            if rest.is_empty() && self.fail {
                return Err(io::Error::other("disk on fire"));
            }
            self.step += 1;
            let n = self.steps[self.step % self.steps.len()]
                .min(rest.len())
                .min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            Ok(n)
        }
    }

    /// One outcome of a call, comparable across the two APIs.
    #[derive(Debug, PartialEq)]
    enum Got {
        Line(Vec<u8>, Position),
        Err(String, Position, bool),
    }

    fn err(e: &ReadError) -> Got {
        Got::Err(e.kind.to_string(), e.position.clone(), e.is_fatal())
    }

    /// Reads `rdr` to its end, calling `next_line` or (when `mix` picks it)
    /// `read_line`, so that both are checked to leave the reader in one state.
    fn drain<R: Read>(mut rdr: LogReader<R>, mix: &mut impl FnMut() -> bool) -> Vec<Got> {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        for _ in 0..100_000 {
            let got = if mix() {
                match rdr.read_line(&mut buf) {
                    Ok(Some(pos)) => Some(Got::Line(buf.clone(), pos)),
                    Ok(None) => None,
                    Err(e) => Some(err(&e)),
                }
            } else {
                match rdr.next_line() {
                    Ok(Some((line, pos))) => Some(Got::Line(line.to_vec(), pos.clone())),
                    Ok(None) => None,
                    Err(e) => Some(err(&e)),
                }
            };
            match got {
                Some(g) => out.push(g),
                None => break,
            }
        }
        out.push(Got::Line(Vec::new(), rdr.next_position()));
        out
    }

    #[test]
    fn next_line_agrees_with_read_line_on_random_inputs() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..400 {
            let cap = 8 + rng.below(120) as usize;
            let log = random_log(&mut rng, cap);
            let steps: Vec<usize> = match case % 3 {
                // The whole input in one fill: no straddling.
                0 => vec![usize::MAX],
                _ => (0..7)
                    .map(|_| 1 + rng.below(2 * cap as u64) as usize)
                    .collect(),
            };
            let fail = rng.below(4) == 0;
            let reader = |log: &[u8]| {
                let t = Trickle {
                    data: log.to_vec(),
                    at: 0,
                    steps: steps.clone(),
                    step: 0,
                    fail,
                };
                LogReader::new(t).with_max_line_len(cap)
            };
            let want = drain(reader(&log), &mut || true);
            let only_next = drain(reader(&log), &mut || false);
            assert_eq!(only_next, want, "case {case}");
            let mut r2 = Rng(case + 1);
            let mixed = drain(reader(&log), &mut || r2.below(3) == 0);
            assert_eq!(mixed, want, "case {case}, mixed calls");
        }
    }

    #[test]
    fn a_line_too_long_in_the_buffer_is_skipped() {
        let log = b"short\nthis line is far too long\r\nok\r\n";
        let mut rdr = LogReader::new(&log[..]).with_max_line_len(10);
        assert_eq!(
            rdr.next_line().ok().flatten().map(|l| l.0),
            Some(&b"short"[..])
        );
        let e = rdr.next_line().err();
        assert!(matches!(
            e.map(|e| e.kind),
            Some(ReadErrorKind::LineTooLong {
                length: 25,
                limit: 10
            })
        ));
        let (line, pos) = rdr.next_line().unwrap().unwrap();
        assert_eq!((line, pos.line, pos.byte), (&b"ok"[..], 3, 33));
        assert!(matches!(rdr.next_line(), Ok(None)));
    }

    /// The fast path's contract: a line whole in the read buffer (a line of
    /// exactly the cap included) is served from it without a read. The
    /// general path gives the same lines, so only this test tells whether the
    /// fast path is taken at all.
    #[test]
    fn a_whole_line_in_the_buffer_takes_the_fast_path() {
        let log = b"first\n0123456789\r\nnext\nlast";
        let mut rdr = LogReader::new(&log[..]).with_max_line_len(10);
        // Nothing read yet: the buffer is empty, the general path fills it.
        assert!(!rdr.advance_in_buffer());
        assert!(matches!(rdr.advance_line(), Ok(true)));
        assert_eq!(rdr.current().0, b"first");
        // 10 bytes before `\r\n`, the cap: not too long, served from the buffer.
        assert!(rdr.advance_in_buffer());
        let (line, pos) = rdr.current();
        assert_eq!((line, pos.line, pos.byte), (&b"0123456789"[..], 2, 6));
        assert!(rdr.advance_in_buffer());
        let (line, pos) = rdr.current();
        assert_eq!((line, pos.line, pos.byte), (&b"next"[..], 3, 18));
        // No line ending: the general path gathers the last line.
        assert!(!rdr.advance_in_buffer());
        assert!(matches!(rdr.advance_line(), Ok(true)));
        let (line, pos) = rdr.current();
        assert_eq!((line, pos.line, pos.byte), (&b"last"[..], 4, 23));
        assert!(matches!(rdr.advance_line(), Ok(false)));
    }

    /// In follow mode an unterminated last line is held until its end is
    /// written (`carry`), and an over-long one is being skipped (`skipping`):
    /// the next line is then read on from what is held, never from the fresh
    /// bytes alone.
    #[test]
    fn a_held_partial_line_is_completed_not_dropped() {
        // An end of input after `par`, after `abc` and at the end.
        let parts = ["par", "tial\n0123456789abc", "def\nok\n"];
        let growing = crate::reader::tests::Growing {
            parts: parts.iter().map(|p| p.as_bytes()).collect(),
        };
        let mut rdr = LogReader::new(growing).with_max_line_len(10);
        rdr.set_hold_partial(true);
        // `par` held: no line yet.
        assert!(matches!(rdr.next_line(), Ok(None)));
        let (line, pos) = rdr.next_line().unwrap().unwrap();
        assert_eq!((line, pos.line, pos.byte), (&b"partial"[..], 1, 0));
        // 13 bytes of a line over the cap of 10, still unterminated: skipped.
        assert!(matches!(rdr.next_line(), Ok(None)));
        // Its end arrives: the whole line (16 bytes) is reported too long.
        let e = rdr.next_line().unwrap_err();
        assert!(matches!(
            e.kind,
            ReadErrorKind::LineTooLong {
                length: 16,
                limit: 10
            }
        ));
        assert_eq!((e.position.line, e.position.byte), (2, 8));
        let (line, pos) = rdr.next_line().unwrap().unwrap();
        assert_eq!((line, pos.line, pos.byte), (&b"ok"[..], 3, 25));
        assert!(matches!(rdr.next_line(), Ok(None)));
    }

    #[test]
    #[cfg(feature = "gzip")]
    fn log_files_next_line_agrees_with_read_line() {
        use crate::reader::LogFiles;
        use std::io::Write;

        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("mainlog.1");
        let gz = dir.path().join("mainlog.2.gz");
        let bad = dir.path().join("mainlog.3.gz");
        let mut rng = Rng(7);
        let text = random_log(&mut rng, 200);
        std::fs::write(&plain, &text).unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&text.repeat(50)).unwrap();
        let packed = enc.finish().unwrap();
        std::fs::write(&gz, &packed).unwrap();
        // Truncated: its complete lines, then a fatal error.
        std::fs::write(&bad, &packed[..packed.len() / 2]).unwrap();
        let files = [
            gz.clone(),
            dir.path().join("missing"),
            bad,
            plain.clone(),
            plain,
        ];
        let files = || LogFiles::new(files.clone()).with_max_line_len(150);
        let (mut a, mut b) = (files(), files());
        let mut buf = Vec::new();
        let mut n = 0;
        loop {
            let want = match a.read_line(&mut buf) {
                Ok(r) => Ok(r.map(|pos| (buf.clone(), pos))),
                Err(e) => Err(err(&e)),
            };
            let got = match b.next_line() {
                Ok(r) => Ok(r.map(|(line, pos)| (line.to_vec(), pos.clone()))),
                Err(e) => Err(err(&e)),
            };
            assert_eq!(got, want, "item {n}");
            if matches!(want, Ok(None)) {
                break;
            }
            n += 1;
        }
        assert!(n > 100);
    }
}
