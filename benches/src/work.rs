//! The workloads that benches and the comparison program time, shared so both
//! measure exactly the same code: the `memchr` floor, a naive split, and the
//! full parse that reads every field.

use std::path::Path;

use exim_log::assemble::{Assembled, Assembler};
use exim_log::reader::{LogFiles, Prefilter};
use exim_log::{Event, LogLine, LogReader, ReadError, parse_line};

/// Lines of `buf` without their `\n` (a last line without one included).
pub fn lines(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, tail) = match memchr::memchr(b'\n', rest) {
            Some(i) => (rest.get(..i)?, rest.get(i + 1..)?),
            None => (rest, &[][..]),
        };
        rest = tail;
        Some(line)
    })
}

/// The floor: counting newlines with `memchr` (SIMD), the least any line-based
/// tool must do.
pub fn count_lines(buf: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', buf).count()
}

/// The reference a hand-written tool starts from: every line split on spaces,
/// byte by byte, every token looked at (its length summed).
pub fn naive_split(buf: &[u8]) -> usize {
    buf.split(|b| *b == b'\n')
        .flat_map(|l| l.split(|b| *b == b' '))
        .map(<[u8]>::len)
        .sum()
}

/// Reads the fields of a parsed line, so the work cannot be optimised away and
/// lazily decoded values are counted as a user would read them (raw, undecoded).
pub fn touch(line: &LogLine<'_>) -> usize {
    let mut n = usize::from(line.timestamp.second)
        + line.message_id.map_or(0, |m| m.as_str().len())
        + line.pid.map_or(0, |p| p as usize);
    n += match &line.event {
        Event::Arrival(a) => {
            a.sender.len()
                + a.size.unwrap_or(0) as usize
                + a.host.and_then(|h| h.ip).map_or(0, |ip| ip.len())
                + a.protocol.map_or(0, |p| p.len())
                + a.auth.and_then(|x| x.id).map_or(0, |id| id.len())
                + a.subject.map_or(0, |s| s.raw().len())
                + a.recipients.map_or(0, |r| r.raw().len())
        }
        Event::Delivery(d) | Event::Deferral(d) | Event::Failure(d) => {
            d.address.len()
                + d.router.map_or(0, |r| r.len())
                + d.transport.map_or(0, |t| t.len())
                + d.host.and_then(|h| h.ip).map_or(0, |ip| ip.len())
                + d.confirmation.map_or(0, |c| c.raw().len())
                + d.error.map_or(0, |e| e.len())
        }
        Event::Arguments(a) => a.cwd.len() + a.argc as usize,
        Event::Rejection(r) => {
            r.peer.ip().map_or(0, |ip| ip.len())
                + r.recipient.map_or(0, |x| x.len())
                + r.reason.map_or(0, |x| x.len())
        }
        Event::Completed(c) => c.queue_time.map_or(1, |q| q.as_millis() as usize),
        other => other.name().len(),
    };
    n
}

/// What a full parse of a buffer saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseStats {
    /// Lines parsed.
    pub lines: u64,
    /// Lines `parse_line` refused (no valid prefix).
    pub errors: u64,
    /// Lines that came back as [`Event::Unknown`].
    pub unknown: u64,
    /// Sum of [`touch`] over all lines (a checksum that keeps the work alive).
    pub checksum: u64,
}

/// The full parse: split with `memchr`, `parse_line` every line, read its fields.
pub fn parse_all(buf: &[u8]) -> ParseStats {
    let mut s = ParseStats::default();
    for l in lines(buf) {
        s.lines += 1;
        match parse_line(l) {
            Ok(line) => s.saw(&line),
            Err(_) => s.errors += 1,
        }
    }
    s
}

/// [`parse_all`] with each line read where it was parsed
/// ([`exim_log::parse_line_with`]) instead of returned by value: the cost of
/// the copy `parse_line` makes (the fastest way to read every line).
pub fn parse_all_in_place(buf: &[u8]) -> ParseStats {
    let mut s = ParseStats::default();
    for l in lines(buf) {
        s.lines += 1;
        if exim_log::parse_line_with(l, |line| s.saw(line)).is_err() {
            s.errors += 1;
        }
    }
    s
}

impl ParseStats {
    /// Counts one parsed line.
    fn saw(&mut self, line: &LogLine<'_>) {
        if matches!(line.event, Event::Unknown) {
            self.unknown += 1;
        }
        self.checksum = self.checksum.wrapping_add(touch(line) as u64);
    }
}

/// Adds `other` to `self`.
impl std::ops::AddAssign for ParseStats {
    fn add_assign(&mut self, o: ParseStats) {
        self.lines += o.lines;
        self.errors += o.errors;
        self.unknown += o.unknown;
        self.checksum = self.checksum.wrapping_add(o.checksum);
    }
}

/// Reads `input` in blocks of `block` bytes into one reused buffer (no copy of a
/// whole file in memory) and calls `each` on every run of complete lines. Returns
/// the bytes read. A baseline for the library's reader, and the "just read it"
/// measurement when `each` does nothing.
pub fn for_each_block<R: std::io::Read>(
    mut input: R,
    block: usize,
    mut each: impl FnMut(&[u8]),
) -> std::io::Result<u64> {
    let mut buf = vec![0u8; block.max(1)];
    let mut filled = 0;
    let mut total = 0u64;
    loop {
        if filled == buf.len() {
            // One line longer than the buffer: grow rather than split it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = input.read(buf.get_mut(filled..).unwrap_or_default())?;
        total += n as u64;
        if n == 0 {
            each(buf.get(..filled).unwrap_or_default());
            return Ok(total);
        }
        filled += n;
        let data = buf.get(..filled).unwrap_or_default();
        if let Some(end) = memchr::memrchr(b'\n', data) {
            each(data.get(..=end).unwrap_or_default());
            buf.copy_within(end + 1..filled, 0);
            filled -= end + 1;
        }
    }
}

/// [`parse_all`] over a stream read with [`for_each_block`].
pub fn parse_stream<R: std::io::Read>(input: R, block: usize) -> std::io::Result<ParseStats> {
    let mut stats = ParseStats::default();
    for_each_block(input, block, |lines| stats += parse_all(lines))?;
    Ok(stats)
}

/// The library's reader ([`LogReader::open`]: plain or gzip, detected) over the
/// files in order, lines borrowed from its read buffer ([`LogFiles::next_line`],
/// no copy); each line parsed and touched when `parse` is set, else only read.
/// Memory stays flat whatever the total size.
pub fn reader_pass<P: AsRef<Path>>(files: &[P], parse: bool) -> Result<ParseStats, ReadError> {
    let mut stats = ParseStats::default();
    let mut rdr = LogFiles::new(files.iter().map(|p| p.as_ref().to_path_buf()));
    while let Some((line, _)) = rdr.next_line()? {
        stats.add_line(line, parse);
    }
    Ok(stats)
}

/// [`reader_pass`] with each line copied into one reused buffer
/// ([`LogFiles::read_line`]): what the copy costs.
pub fn reader_pass_copying<P: AsRef<Path>>(
    files: &[P],
    parse: bool,
) -> Result<ParseStats, ReadError> {
    let mut stats = ParseStats::default();
    let mut rdr = LogFiles::new(files.iter().map(|p| p.as_ref().to_path_buf()));
    let mut buf = Vec::new();
    while rdr.read_line(&mut buf)?.is_some() {
        stats.add_line(&buf, parse);
    }
    Ok(stats)
}

impl ParseStats {
    /// Counts one line read: parsed and touched when `parse` is set, else only
    /// its length summed.
    fn add_line(&mut self, line: &[u8], parse: bool) {
        self.lines += 1;
        if !parse {
            self.checksum = self.checksum.wrapping_add(line.len() as u64);
            return;
        }
        match parse_line(line) {
            Ok(line) => {
                if matches!(line.event, Event::Unknown) {
                    self.unknown += 1;
                }
                self.checksum = self.checksum.wrapping_add(touch(&line) as u64);
            }
            Err(_) => self.errors += 1,
        }
    }
}

/// The id trace through the library: the reader's [`Prefilter`] fast path finds
/// the lines that contain `id` (what `exigrep -l` selects); returns how many,
/// and how many carry it as their message id.
pub fn reader_trace(path: &Path, id: &str) -> Result<(u64, u64), ReadError> {
    let filter = Prefilter::new([id]);
    let mut rdr = LogReader::open(path)?;
    let mut buf = Vec::new();
    let (mut hits, mut own) = (0, 0);
    while rdr.read_matching_line(&filter, &mut buf)?.is_some() {
        hits += 1;
        if parse_line(&buf).is_ok_and(|l| l.message_id.is_some_and(|m| m.as_str() == id)) {
            own += 1;
        }
    }
    Ok((hits, own))
}

/// Message assembly over an in-memory log: how many messages, and how many of
/// them were linked to the `cwd=` of the process that submitted them.
pub fn assemble(log: &[u8]) -> Result<(u64, u64), ReadError> {
    let (mut messages, mut linked) = (0, 0);
    for item in Assembler::new().messages(LogReader::new(log).into_records()) {
        if let Assembled::Message(m) = item? {
            messages += 1;
            if m.submission().is_some() {
                linked += 1;
            }
        }
    }
    Ok((messages, linked))
}

/// Line kinds, told apart with plain byte checks (not with the parser), for
/// per-kind benches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// `<=`
    Arrival,
    /// `=>` and `->`
    Delivery,
    /// `**`
    Failure,
    /// `==`
    Deferral,
    /// `rejected ...` lines (RCPT, EHLO/HELO)
    Rejection,
    /// `cwd=... args: ...`
    Cwd,
    /// `Completed`
    Completed,
    /// Anything else (connections, queue runs, AUTH failures, ...).
    Other,
}

impl Kind {
    /// Classifies one generated line.
    pub fn of(line: &[u8]) -> Kind {
        let has = |s: &str| memchr::memmem::find(line, s.as_bytes()).is_some();
        if has(" <= ") {
            Kind::Arrival
        } else if has(" => ") || has(" -> ") {
            Kind::Delivery
        } else if has(" ** ") {
            Kind::Failure
        } else if has(" == ") {
            Kind::Deferral
        } else if has(" cwd=") {
            Kind::Cwd
        } else if has(" Completed") {
            Kind::Completed
        } else if has("rejected ") {
            Kind::Rejection
        } else {
            Kind::Other
        }
    }
}

/// Lines in shapes no parser knows (text after a valid prefix), for the
/// "unknown" bench: the cost of falling through every known shape.
pub const UNKNOWN_LINES: &[&[u8]] = &[
    b"2024-05-25 10:10:25 spamd: result: Y 12 - BAYES_99,HTML_MESSAGE,URIBL_BLACK scantime=0.4,size=4123",
    b"2024-05-25 10:10:26 [12345] cpanel_filter: user=bluesumm action=deliver folder=INBOX.spam",
    b"2024-05-25 10:10:27 1sAoM5-00000009r3p-06vq mailscanner: clean (score 0.3, required 5)",
    b"2024-05-25 10:10:28 local_scan: message from 203.0.113.7 accepted after antivirus check (clamd 1.0.5)",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_with_and_without_final_newline() {
        assert_eq!(lines(b"a\nbb\n").collect::<Vec<_>>(), [&b"a"[..], b"bb"]);
        assert_eq!(lines(b"a\nbb").collect::<Vec<_>>(), [&b"a"[..], b"bb"]);
        assert_eq!(lines(b"").count(), 0);
        assert_eq!(count_lines(b"a\nb\n\n"), 3);
    }

    #[test]
    fn blocks_keep_lines_whole() {
        let text = b"one\ntwo two\nthree three three\nno newline at end";
        for block in [1usize, 5, 4096] {
            let mut seen = Vec::new();
            let total = for_each_block(&text[..], block, |run| {
                seen.extend(lines(run).map(<[u8]>::to_vec));
            })
            .unwrap();
            assert_eq!(total, text.len() as u64);
            let want: Vec<Vec<u8>> = lines(text).map(<[u8]>::to_vec).collect();
            assert_eq!(seen, want, "block {block}");
        }
    }

    #[test]
    fn reader_assembly_and_trace_agree_with_the_truth() {
        let mut config = crate::Config::with_incidents(3, 200_000);
        config.pid = true;
        let (log, truth) = crate::generate(&config);
        let dir =
            std::env::temp_dir().join(format!("exim-log-benches-work-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("mainlog");
        std::fs::write(&plain, &log).unwrap();
        let gz = dir.join("mainlog.gz");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::Write::write_all(&mut enc, &log).unwrap();
        enc.finish().unwrap();

        let read = reader_pass(&[&plain], false).unwrap();
        assert_eq!(read.lines, truth.lines);
        let parsed = reader_pass(&[&plain, &gz], true).unwrap();
        assert_eq!(parsed.lines, 2 * truth.lines);
        assert_eq!(reader_pass_copying(&[&plain, &gz], true).unwrap(), parsed);
        assert_eq!((parsed.errors, parsed.unknown), (0, 0));
        let mut both = parse_all(&log);
        both += parse_all(&log);
        // The two ways of reading a line see the same lines.
        assert_eq!(parse_all_in_place(&log), parse_all(&log));
        assert_eq!(parsed, both);

        let m = &truth.messages[truth.messages.len() / 2];
        let (hits, own) = reader_trace(&gz, &m.id).unwrap();
        assert_eq!(own, u64::from(m.lines));
        assert!(hits >= own);

        let (messages, linked) = assemble(&log).unwrap();
        assert_eq!(messages, truth.arrivals);
        assert!(
            linked >= truth.arrivals_local,
            "{linked} < {}",
            truth.arrivals_local
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn naive_split_sums_token_bytes() {
        assert_eq!(naive_split(b"ab c\nd  e\n"), 5);
    }

    #[test]
    fn kinds_by_bytes() {
        let cases: &[(&[u8], Kind)] = &[
            (b"2024-05-25 00:00:03 1sAepO-000000000Ge-0I85 <= a@b.example H=[1.2.3.4] P=esmtp S=1", Kind::Arrival),
            (b"2024-05-25 00:00:03 1sAepO-000000000Ge-0I85 -> a@b.example R=r T=t", Kind::Delivery),
            (b"2024-05-25 00:00:03 1sAepO-000000000Ge-0I85 ** a@b.example : Unrouteable address", Kind::Failure),
            (b"2024-05-25 00:00:03 1sAepO-000000000Ge-0I85 == a@b.example R=r T=t defer (-44)", Kind::Deferral),
            (b"2024-05-25 00:00:03 cwd=/home/u/public_html 3 args: /usr/sbin/sendmail -t -i", Kind::Cwd),
            (b"2024-05-25 00:00:03 H=(x) [1.2.3.4] F=<a@b> rejected RCPT <c@d>: Unknown user", Kind::Rejection),
            (b"2024-05-25 00:00:03 1sAepO-000000000Ge-0I85 Completed", Kind::Completed),
            (b"2024-05-25 00:00:03 Start queue run: pid=123", Kind::Other),
        ];
        for (line, kind) in cases {
            assert_eq!(Kind::of(line), *kind, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn unknown_lines_have_a_valid_prefix() {
        for l in UNKNOWN_LINES {
            assert!(parse_line(l).is_ok());
        }
    }
}
