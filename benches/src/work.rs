//! The workloads that benches and the comparison program time, shared so both
//! measure exactly the same code: the `memchr` floor, a naive split, and the
//! full parse that reads every field.

use exim_log::{Event, LogLine, parse_line};

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
            Ok(line) => {
                if matches!(line.event, Event::Unknown) {
                    s.unknown += 1;
                }
                s.checksum = s.checksum.wrapping_add(touch(&line) as u64);
            }
            Err(_) => s.errors += 1,
        }
    }
    s
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
