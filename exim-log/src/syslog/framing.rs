//! Which wrapper a whole file has, told from its first lines, and the
//! unwrapping of each line back to an Exim main-log line, so that every reader
//! of main logs accepts syslog and journald output without being told.
//!
//! ```
//! use exim_log::syslog::{Framing, Unwrap};
//! let file = b"Nov 27 07:47:34 mx1 exim[812]: Start queue run: pid=812\n";
//! let framing = Framing::detect(file);
//! assert_eq!(framing, Framing::Rfc3164);
//! let mut unwrap = Unwrap::new(framing).with_year(2026);
//! let line = unwrap.line(&file[..file.len() - 1]).unwrap();
//! let parsed = exim_log::parse_line(line).unwrap();
//! assert_eq!(parsed.event.name(), "queue_run");
//! assert_eq!(parsed.timestamp.to_string(), "2026-11-27T07:47:34");
//! ```

use super::journal_json;
use super::prefix::{self, Kind};
use crate::entries::starts_entry;
use crate::line::trim_line_ending;
use crate::timestamp::civil_from_days;

/// How the lines of one file are wrapped. Growing: match with a `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Framing {
    /// Exim's own log file: every line starts with its timestamp.
    Plain,
    /// RFC 3164 / BSD syslog (`[<PRI>]Nov 27 07:47:34 host exim[pid]: ...`),
    /// also `journalctl -o short` and `short-precise`.
    Rfc3164,
    /// RFC 5424 (`<22>1 2026-11-27T07:47:34Z host exim 812 - - ...`).
    Rfc5424,
    /// `journalctl -o short-iso` and rsyslog's RFC 3339 template
    /// (`2026-11-27T07:47:34+0000 host exim[pid]: ...`).
    JournalShortIso,
    /// An Exim-shaped time, then host and tag (rsyslog templates:
    /// `2019-10-22 03:39:17 mx1 exim[29786]: [29786] ...`).
    EximTimeFirst,
    /// Host and tag first, then Exim's own timestamp
    /// (`mx1 exim[812]: 2021-07-17 23:20:49 ...`).
    HostFirst,
    /// `journalctl -o export`: `FIELD=value` lines, records apart by blank lines.
    JournalExport,
    /// `journalctl -o json` (and `-o json-seq`): a JSON object a line, its
    /// `MESSAGE`, `__REALTIME_TIMESTAMP` and `SYSLOG_IDENTIFIER` fields.
    JournalJson,
}

/// How many non-empty lines [`Framing::detect`] looks at.
const SAMPLE_LINES: usize = 50;

impl Framing {
    /// The framing of a file from its first bytes (a few kilobytes are
    /// plenty): each of the first 50 non-empty lines is classified and the
    /// most common wrapper wins; [`Framing::Plain`] when none is found.
    /// `journalctl -o export` is known from its `__CURSOR=` /
    /// `__REALTIME_TIMESTAMP=` fields, `journalctl -o json` from a JSON
    /// object with such a field or `MESSAGE`.
    pub fn detect(head: &[u8]) -> Framing {
        let mut counts = [0usize; 7];
        for line in head
            .split(|b| *b == b'\n')
            .map(trim_line_ending)
            .filter(|l| !l.is_empty())
            .take(SAMPLE_LINES)
        {
            if line.starts_with(b"__CURSOR=") || line.starts_with(b"__REALTIME_TIMESTAMP=") {
                return Framing::JournalExport;
            }
            if journal_json::is_record(line) {
                return Framing::JournalJson;
            }
            if let Some(f) = Framing::of_line(line)
                && let Some(c) = counts.get_mut(f.index())
            {
                *c += 1;
            }
        }
        let best = (0..counts.len())
            .filter(|&i| counts.get(i).is_some_and(|c| *c > 0))
            .max_by_key(|&i| (counts.get(i).copied(), i == 0));
        best.map_or(Framing::Plain, Framing::from_index)
    }

    /// The framing of one line, `None` when it has no known shape. A line
    /// that is both an Exim line and an [`Framing::EximTimeFirst`] wrapper
    /// (the shapes overlap) counts as the wrapper only when its program is
    /// Exim's (`exim`, `exim4`, ...).
    pub fn of_line(line: &[u8]) -> Option<Framing> {
        match prefix::prefix(line) {
            Ok((_, p)) => {
                let f = match p.kind {
                    Kind::Rfc3164 => Framing::Rfc3164,
                    Kind::Rfc5424 => Framing::Rfc5424,
                    Kind::Iso => Framing::JournalShortIso,
                    Kind::EximTimeFirst => Framing::EximTimeFirst,
                    Kind::HostFirst => Framing::HostFirst,
                };
                if f == Framing::EximTimeFirst && !is_exim(p.program) {
                    return starts_entry(line).then_some(Framing::Plain);
                }
                if f == Framing::HostFirst && !is_exim(p.program) {
                    return None;
                }
                Some(f)
            }
            Err(_) => starts_entry(line).then_some(Framing::Plain),
        }
    }

    fn index(self) -> usize {
        match self {
            Framing::Plain => 0,
            Framing::Rfc3164 => 1,
            Framing::Rfc5424 => 2,
            Framing::JournalShortIso => 3,
            Framing::EximTimeFirst => 4,
            Framing::HostFirst => 5,
            Framing::JournalExport => 6,
            Framing::JournalJson => 7,
        }
    }

    fn from_index(i: usize) -> Framing {
        match i {
            1 => Framing::Rfc3164,
            2 => Framing::Rfc5424,
            3 => Framing::JournalShortIso,
            4 => Framing::EximTimeFirst,
            5 => Framing::HostFirst,
            6 => Framing::JournalExport,
            7 => Framing::JournalJson,
            _ => Framing::Plain,
        }
    }
}

/// `exim`, `exim4`, `Exim`, `exim-daemon`...: the default `syslog_processname`
/// and what distributions make of it.
fn is_exim(program: &[u8]) -> bool {
    program
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"exim"))
}

/// The longest text kept while waiting for the rest of a split line: Exim
/// splits at 870 bytes (log.c `MAX_SYSLOG_LEN`), and a log line is at most
/// `LOG_BUFFER_SIZE` (8 KiB) long, so 64 KiB is far beyond any real line.
const MAX_PENDING: usize = 64 * 1024;

/// How many split lines of different processes may be in progress at once.
const MAX_PENDING_LINES: usize = 16;

/// A line that Exim split into `[n/m]` chunks, being put back together.
#[derive(Clone, Debug, Default)]
struct Pending {
    pid: Option<u32>,
    time: Vec<u8>,
    kind: Option<Kind>,
    next: u32,
    count: u32,
    newline_after: bool,
    text: Vec<u8>,
}

/// Turns the lines of a file of one [`Framing`] back into Exim main-log
/// lines (`YYYY-MM-DD HH:MM:SS ...`) for [`crate::parse_line`]:
///
/// * a line whose Exim text kept its timestamp (`syslog_timestamp`, the
///   default) is returned as a slice of the input, copying nothing;
/// * otherwise the wrapper's time is put in front (RFC 3164 has no year:
///   [`Unwrap::with_year`], by default the current year);
/// * `[n/m]` / `[n\m]` chunks (log.c write_syslog) are joined again, with a
///   newline after a `\` chunk, per process id; [`Unwrap::line`] returns
///   `None` until the last chunk;
/// * lines of other programs (`dovecot`, `CRON`, ...) give `None`, unless
///   [`Unwrap::any_program`];
/// * a line that does not have the file's wrapper is returned as it is, so
///   the parser reports it like any other line it does not understand.
#[derive(Debug)]
pub struct Unwrap {
    framing: Framing,
    year: u16,
    any_program: bool,
    out: Vec<u8>,
    pending: Vec<Pending>,
    export_time: Option<u64>,
    /// Process ids whose chunks were met since [`Unwrap::start_input`] (at
    /// most [`MAX_TOUCHED`]): a chunk of another process whose start was not
    /// seen may have begun before the input did ([`Unwrap::take_orphan`]).
    touched: Vec<Option<u32>>,
    /// The process id of the last such chunk, until taken (`Some(None)` too
    /// for a journal record's `MESSAGE=` whose time came before the input).
    orphan: Option<Option<u32>>,
    /// A journal record began in this input (a blank line or its time).
    record_seen: bool,
}

/// Processes [`Unwrap`] remembers per input for [`Unwrap::take_orphan`]; past
/// them no chunk is said to be an orphan (the lines of a range start are all
/// a look back can find, and they are far fewer).
const MAX_TOUCHED: usize = 64;

impl Unwrap {
    /// An unwrapper for lines of `framing`.
    pub fn new(framing: Framing) -> Self {
        Unwrap {
            framing,
            year: current_year(),
            any_program: false,
            out: Vec::new(),
            pending: Vec::new(),
            export_time: None,
            touched: Vec::new(),
            orphan: None,
            record_seen: false,
        }
    }

    /// A new input starts: no process has had a chunk in it yet (see
    /// [`Unwrap::take_orphan`]).
    pub(crate) fn start_input(&mut self) {
        self.touched.clear();
        self.orphan = None;
        self.record_seen = false;
    }

    /// The process id of the chunk just dropped because the start of its line
    /// was not seen, when it is the first chunk of that process in this input
    /// (or `Some(None)` for a journal record's `MESSAGE=` dropped for want of
    /// the record's time, in the first record of the input):
    /// a byte range cut between the chunks of one line gives them to the
    /// range where the line ends (where one pass over the file returns it),
    /// and that range's reader looks back before its start for the earlier
    /// chunks ([`Unwrap::adopt`]).
    pub(crate) fn take_orphan(&mut self) -> Option<Option<u32>> {
        self.orphan.take()
    }

    /// Takes from `before` (an unwrapper that read the lines before this
    /// input's start) the line in progress of process `pid`, so that its
    /// next chunk joins it as one pass over the file would have; `false`
    /// when `before` has none.
    pub(crate) fn adopt(&mut self, before: &mut Unwrap, pid: Option<u32>) -> bool {
        if self.framing == Framing::JournalExport {
            // The time of the record the input began in.
            if self.export_time.is_none() {
                self.export_time = before.export_time;
            }
            return self.export_time.is_some();
        }
        let Some(k) = before.pending.iter().position(|q| q.pid == pid) else {
            return false;
        };
        let q = before.pending.remove(k);
        if self.pending.len() >= MAX_PENDING_LINES {
            self.pending.remove(0);
        }
        self.pending.push(q);
        true
    }

    /// The year for RFC 3164 times, which have none.
    #[must_use]
    pub fn with_year(mut self, year: u16) -> Self {
        self.year = year;
        self
    }

    /// Keeps the lines of every program, not only Exim's.
    #[must_use]
    pub fn any_program(mut self) -> Self {
        self.any_program = true;
        self
    }

    /// The framing this unwrapper was made for.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The Exim main-log line inside `line` (without its line ending), or
    /// `None` when the line holds nothing to parse yet (a chunk waiting for
    /// the rest, another program's line, a journal field that is not
    /// `MESSAGE`).
    pub fn line<'a>(&'a mut self, line: &'a [u8]) -> Option<&'a [u8]> {
        match self.locate(line)? {
            Located::Input(r) => line.get(r),
            Located::Buffer => Some(&self.out),
        }
    }

    /// [`Unwrap::line`] that says where the result is instead of borrowing
    /// it, for readers that must return it from a loop.
    pub(crate) fn locate(&mut self, line: &[u8]) -> Option<Located> {
        let base = line.as_ptr() as usize;
        let out = {
            let line = trim_line_ending(line);
            match self.framing {
                Framing::Plain => Some(line),
                Framing::JournalExport => self.export_line(line),
                Framing::JournalJson => self.json_line(line),
                _ => self.syslog_line(line),
            }
        }?;
        let (at, len) = (out.as_ptr() as usize, out.len());
        let start = at.wrapping_sub(base);
        Some(if len > 0 && at == self.out.as_ptr() as usize {
            Located::Buffer
        } else {
            Located::Input(start..start + len)
        })
    }

    /// The line [`Unwrap::locate`] built ([`Located::Buffer`]).
    pub(crate) fn buffer(&self) -> &[u8] {
        &self.out
    }

    fn syslog_line<'a>(&'a mut self, line: &'a [u8]) -> Option<&'a [u8]> {
        let Ok((msg, p)) = prefix::prefix(line) else {
            return Some(line);
        };
        if !self.any_program && !is_exim(p.program) {
            return None;
        }
        let text = match prefix::chunk(msg) {
            Ok((text, (index, count, at_newline))) if count > 1 => {
                self.add_chunk(p, index, count, at_newline, text)?;
                // The whole line is now in `out`.
                return Some(&self.out);
            }
            Ok((text, _)) => text,
            Err(_) => msg,
        };
        if starts_entry(text) {
            return Some(text);
        }
        self.out.clear();
        if !exim_time(p.kind, p.time, self.year, &mut self.out) {
            return Some(line);
        }
        self.out.push(b' ');
        self.out.extend_from_slice(text);
        Some(&self.out)
    }

    /// Adds one chunk; `Some(())` when it was the last one and `out` holds
    /// the whole line.
    fn add_chunk(
        &mut self,
        p: prefix::Prefix<'_>,
        index: u32,
        count: u32,
        at_newline: bool,
        text: &[u8],
    ) -> Option<()> {
        let slot = self.pending.iter().position(|q| q.pid == p.pid);
        if !self.touched.contains(&p.pid) {
            if index > 1 && slot.is_none() && self.touched.len() < MAX_TOUCHED {
                self.orphan = Some(p.pid);
            }
            if self.touched.len() < MAX_TOUCHED {
                self.touched.push(p.pid);
            }
        }
        if index == 1 {
            let fresh = Pending {
                pid: p.pid,
                time: p.time.to_vec(),
                kind: Some(p.kind),
                next: 2,
                count,
                newline_after: at_newline,
                text: text.to_vec(),
            };
            match slot {
                Some(k) => {
                    if let Some(q) = self.pending.get_mut(k) {
                        *q = fresh;
                    }
                }
                None => {
                    if self.pending.len() >= MAX_PENDING_LINES {
                        self.pending.remove(0);
                    }
                    self.pending.push(fresh);
                }
            }
            return None;
        }
        // A chunk whose start was not seen (the file began in the middle of
        // a line, or chunks were lost) is dropped with what was gathered.
        let k = slot?;
        let q = self.pending.get_mut(k)?;
        if q.next != index || q.count != count || q.text.len() + text.len() > MAX_PENDING {
            self.pending.remove(k);
            return None;
        }
        if q.newline_after {
            q.text.push(b'\n');
        }
        q.text.extend_from_slice(text);
        q.newline_after = at_newline;
        q.next += 1;
        if index < count {
            return None;
        }
        let q = self.pending.remove(k);
        self.out.clear();
        if !starts_entry(&q.text) {
            let kind = q.kind.unwrap_or_default();
            if !exim_time(kind, &q.time, self.year, &mut self.out) {
                return None;
            }
            self.out.push(b' ');
        }
        self.out.extend_from_slice(&q.text);
        Some(())
    }

    /// `journalctl -o export`: `__REALTIME_TIMESTAMP=` gives the time (UTC),
    /// `MESSAGE=` the text; a blank line ends the record.
    fn export_line<'a>(&'a mut self, line: &'a [u8]) -> Option<&'a [u8]> {
        if line.is_empty() {
            self.export_time = None;
            self.record_seen = true;
            return None;
        }
        if let Some(t) = line.strip_prefix(b"__REALTIME_TIMESTAMP=") {
            self.export_time = crate::parse::fields::number(t);
            self.record_seen = true;
            return None;
        }
        let text = line.strip_prefix(b"MESSAGE=")?;
        if starts_entry(text) {
            return Some(text);
        }
        let Some(micros) = self.export_time else {
            if !self.record_seen {
                // Its time may be before the input's start (a byte range).
                self.orphan = Some(None);
            }
            return None;
        };
        self.out.clear();
        utc_time(micros, &mut self.out);
        self.out.push(b' ');
        self.out.extend_from_slice(text);
        Some(&self.out)
    }

    /// `journalctl -o json`: the `MESSAGE` of an Exim record, its time from
    /// `__REALTIME_TIMESTAMP` (UTC) put in front when the text has none;
    /// `[n/m]` chunks of a long line (log.c write_syslog splits whatever the
    /// syslog daemon) joined per process as for syslog lines. A message
    /// without escapes that has its timestamp is returned as a slice of the
    /// line. A line that is not a JSON object, and a record whose `MESSAGE` is
    /// not text (`null`: longer than `journalctl` prints without `--all`), is
    /// returned as it is, so that the parser reports it.
    fn json_line<'a>(&'a mut self, line: &'a [u8]) -> Option<&'a [u8]> {
        if line.trim_ascii().is_empty() {
            return None;
        }
        let Some(rec) = journal_json::record(line) else {
            return Some(line);
        };
        if !self.any_program
            && let Some(p) = rec.program
        {
            self.out.clear();
            if !p.decode_into(&mut self.out) || !is_exim(&self.out) {
                return None;
            }
        }
        let message = rec.message?;
        if let journal_json::Value::Str {
            raw,
            escaped: false,
        } = message
            && starts_entry(raw)
        {
            return Some(raw);
        }
        self.out.clear();
        if !message.decode_into(&mut self.out) {
            return Some(line);
        }
        if let Ok((text, (index, count, at_newline))) = prefix::chunk(&self.out)
            && count > 1
        {
            let text = text.to_vec();
            let mut time = Vec::new();
            if let Some(micros) = rec.time {
                utc_time(micros, &mut time);
            }
            // The journal's time in Exim's shape: put in front as it is.
            let p = prefix::Prefix {
                priority: None,
                time: &time,
                host: None,
                program: b"",
                pid: rec.pid,
                kind: Kind::EximTimeFirst,
            };
            self.add_chunk(p, index, count, at_newline, &text)?;
            return Some(&self.out);
        }
        if !starts_entry(&self.out)
            && let Some(micros) = rec.time
        {
            let mut time = Vec::with_capacity(30);
            utc_time(micros, &mut time);
            time.push(b' ');
            self.out.splice(0..0, time);
        }
        // An empty text with no time to put in front is no line.
        (!self.out.is_empty()).then_some(&self.out)
    }
}

/// Where [`Unwrap::locate`] put a line: a range of the input, or the
/// unwrapper's own buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Located {
    Input(std::ops::Range<usize>),
    Buffer,
}

/// Writes the wrapper's time in Exim's shape (`YYYY-MM-DD HH:MM:SS[.mmm][
/// +ZZZZ]`). `false` when the wrapper has none.
fn exim_time(kind: Kind, time: &[u8], year: u16, out: &mut Vec<u8>) -> bool {
    match kind {
        Kind::EximTimeFirst => {
            out.extend_from_slice(time);
            true
        }
        Kind::Rfc3164 => {
            // `Nov  7 07:47:34[.frac]`
            let month = time.get(..3).and_then(month_number);
            let rest = time.get(4..).unwrap_or_default();
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            let Some(sp) = memchr::memchr(b' ', rest) else {
                return false;
            };
            let (day, clock) = rest.split_at(sp);
            let (Some(month), Some(day)) = (month, crate::parse::fields::number::<u8>(day)) else {
                return false;
            };
            out.extend_from_slice(format!("{year:04}-{month:02}-{day:02}").as_bytes());
            clock_and_zone(clock.get(1..).unwrap_or_default(), out);
            true
        }
        Kind::Rfc5424 | Kind::Iso => {
            // `2026-11-27T07:47:34[.frac][Z|+hh:mm|+hhmm]`
            let (Some(date), Some(clock)) = (time.get(..10), time.get(11..)) else {
                return false;
            };
            out.extend_from_slice(date);
            clock_and_zone(clock, out);
            true
        }
        Kind::HostFirst => false,
    }
}

/// ` HH:MM:SS[.mmm][ +ZZZZ]` from `HH:MM:SS[.frac][zone]`.
fn clock_and_zone(clock: &[u8], out: &mut Vec<u8>) {
    out.push(b' ');
    out.extend_from_slice(clock.get(..8).unwrap_or(clock));
    let mut rest = clock.get(8..).unwrap_or_default();
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        let digits = frac.get(..n).unwrap_or_default();
        out.push(b'.');
        for k in 0..3 {
            out.push(digits.get(k).copied().unwrap_or(b'0'));
        }
        rest = frac.get(n..).unwrap_or_default();
    }
    match rest {
        [] => {}
        b"Z" => out.extend_from_slice(b" +0000"),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            out.extend_from_slice(&[b' ', *sign, *h1, *h2, *m1, *m2]);
        }
        _ => {}
    }
}

fn month_number(m: &[u8]) -> Option<u8> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let k = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(m))?;
    u8::try_from(k + 1).ok()
}

/// `YYYY-MM-DD HH:MM:SS.mmm +0000` of microseconds since the epoch.
fn utc_time(micros: u64, out: &mut Vec<u8>) {
    let secs = micros / 1_000_000;
    let millis = (micros / 1000) % 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (y, m, d) = civil_from_days(days);
    let s = secs % 86_400;
    out.extend_from_slice(
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{millis:03} +0000",
            s / 3600,
            (s / 60) % 60,
            s % 60
        )
        .as_bytes(),
    );
}

/// This year (UTC), for RFC 3164 times.
fn current_year() -> u16 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, _, _) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    u16::try_from(y).unwrap_or(1970)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_table() {
        let cases: &[(&str, Framing)] = &[
            (
                "2026-11-27 07:47:34 Start queue run: pid=1\n2026-11-27 07:47:35 End queue run: pid=1\n",
                Framing::Plain,
            ),
            (
                "Nov 27 07:47:34 mx1 dovecot: imap-login: x\nNov 27 07:47:34 mx1 exim[4]: 2026-11-27 07:47:34 Start queue run: pid=4\n",
                Framing::Rfc3164,
            ),
            (
                "<22>1 2026-11-27T07:47:34Z mx1 exim 12 - - Start queue run: pid=12\n",
                Framing::Rfc5424,
            ),
            (
                "2026-11-27T07:47:34+0000 mx1 exim[12]: Start queue run: pid=12\n",
                Framing::JournalShortIso,
            ),
            (
                "2019-10-22 03:39:17 mx1 exim[29786]: [29786] Start queue run: pid=29786\n",
                Framing::EximTimeFirst,
            ),
            (
                "mx1 exim[812]: 2021-07-17 23:20:49 Start queue run: pid=812\n",
                Framing::HostFirst,
            ),
            (
                "__CURSOR=s=1\n__REALTIME_TIMESTAMP=1\nMESSAGE=x\n\n",
                Framing::JournalExport,
            ),
            (
                "{\"__CURSOR\":\"s=1\",\"__REALTIME_TIMESTAMP\":\"1795765654250000\",\"MESSAGE\":\"Start queue run: pid=812\"}\n",
                Framing::JournalJson,
            ),
            (
                "\x1e{\"MESSAGE\":\"Start queue run: pid=812\",\"SYSLOG_IDENTIFIER\":\"exim\"}\n",
                Framing::JournalJson,
            ),
            // A main log whose lines look like wrappers to a lenient eye.
            (
                "2019-10-22 03:39:17 1sAoM5-00000009r3p-06vq malware: x\n2019-10-22 03:39:17 Start queue run: pid=1\n",
                Framing::Plain,
            ),
            ("", Framing::Plain),
        ];
        for (head, want) in cases {
            assert_eq!(Framing::detect(head.as_bytes()), *want, "{head}");
        }
    }

    fn unwrap_all(framing: Framing, lines: &str) -> Vec<String> {
        let mut u = Unwrap::new(framing).with_year(2026);
        lines
            .split('\n')
            .filter_map(|l| {
                u.line(l.as_bytes())
                    .map(|b| String::from_utf8_lossy(b).into_owned())
            })
            .collect()
    }

    #[test]
    fn unwrap_table() {
        let cases: &[(Framing, &str, &[&str])] = &[
            (
                Framing::Rfc3164,
                "Nov  7 07:47:34 mx1 exim[4]: Start queue run: pid=4",
                &["2026-11-07 07:47:34 Start queue run: pid=4"],
            ),
            (
                Framing::Rfc3164,
                "Nov 27 07:47:34.123456 mx1 exim[4]: 2026-11-27 07:47:34 Start queue run: pid=4\nNov 27 07:47:34 mx1 CRON[9]: job",
                &["2026-11-27 07:47:34 Start queue run: pid=4"],
            ),
            (
                Framing::Rfc5424,
                "<22>1 2026-11-27T07:47:34.5+01:00 mx1 exim 12 - - Start queue run: pid=12",
                &["2026-11-27 07:47:34.500 +0100 Start queue run: pid=12"],
            ),
            (
                Framing::JournalShortIso,
                "2026-11-27T07:47:34Z mx1 exim[12]: Start queue run: pid=12",
                &["2026-11-27 07:47:34 +0000 Start queue run: pid=12"],
            ),
            (
                Framing::EximTimeFirst,
                "2019-10-22 03:39:17 mx1 exim[29786]: [29786] Start queue run: pid=29786",
                &["2019-10-22 03:39:17 [29786] Start queue run: pid=29786"],
            ),
            (
                Framing::HostFirst,
                "mx1 exim[812]: 2021-07-17 23:20:49 Start queue run: pid=812",
                &["2021-07-17 23:20:49 Start queue run: pid=812"],
            ),
            (
                // Chunks of two processes interleaved, one split at a newline.
                Framing::Rfc3164,
                "Nov 27 07:47:34 mx1 exim[1]: [1/2] 2026-11-27 07:47:34 H=[192.0.2.1] rejected RCPT <a@exa\n\
                 Nov 27 07:47:34 mx1 exim[2]: [1\\2] Exim configuration error in line 3 of /e:\n\
                 Nov 27 07:47:34 mx1 exim[1]: [2/2] mple.test>: relay not permitted\n\
                 Nov 27 07:47:34 mx1 exim[2]: [2/2]   main option \"x\" unknown",
                &[
                    "2026-11-27 07:47:34 H=[192.0.2.1] rejected RCPT <a@example.test>: relay not permitted",
                    "2026-11-27 07:47:34 Exim configuration error in line 3 of /e:\n  main option \"x\" unknown",
                ],
            ),
            (
                // A chunk without its start is dropped, not glued to another line.
                Framing::Rfc3164,
                "Nov 27 07:47:34 mx1 exim[1]: [2/2] tail\nNov 27 07:47:35 mx1 exim[1]: Completed",
                &["2026-11-27 07:47:35 Completed"],
            ),
            (
                Framing::JournalExport,
                "__CURSOR=s=1\n__REALTIME_TIMESTAMP=1795765654250000\n_PID=812\nMESSAGE=Start queue run: pid=812\n\n__REALTIME_TIMESTAMP=1\nMESSAGE=2021-07-17 23:20:49 End queue run: pid=812\n",
                &[
                    "2026-11-27 07:47:34.250 +0000 Start queue run: pid=812",
                    "2021-07-17 23:20:49 End queue run: pid=812",
                ],
            ),
            (
                // The time put in front when the text has none; escapes
                // decoded; another program's record, a record without
                // MESSAGE and a blank line skipped; a MESSAGE too long for
                // journalctl (null) and a line that is not JSON kept as they
                // are, for the parser to report.
                Framing::JournalJson,
                concat!(
                    r#"{"__REALTIME_TIMESTAMP":"1795765654250000","SYSLOG_IDENTIFIER":"exim","MESSAGE":"Start queue run: pid=812"}"#,
                    "\n",
                    r#"{"SYSLOG_IDENTIFIER":"exim4","MESSAGE":"2026-11-27 07:47:35 1sAoM5-00000009r3p-06vq => a@b.example R=r T=t C=\"250 OK\""}"#,
                    "\n",
                    r#"{"SYSLOG_IDENTIFIER":"dovecot","MESSAGE":"imap-login: Login"}"#,
                    "\n",
                    r#"{"_COMM":"exim","MESSAGE":[50,48,50,54,45,49,49,45,50,55,32,48,55,58,52,55,58,51,54,32,84,61,34,233,34]}"#,
                    "\n",
                    r#"{"__CURSOR":"s=2"}"#,
                    "\n\n",
                    r#"{"SYSLOG_IDENTIFIER":"exim","MESSAGE":null}"#,
                    "\n",
                    "not json",
                ),
                &[
                    "2026-11-27 07:47:34.250 +0000 Start queue run: pid=812",
                    "2026-11-27 07:47:35 1sAoM5-00000009r3p-06vq => a@b.example R=r T=t C=\"250 OK\"",
                    "2026-11-27 07:47:36 T=\"\u{FFFD}\"",
                    r#"{"SYSLOG_IDENTIFIER":"exim","MESSAGE":null}"#,
                    "not json",
                ],
            ),
        ];
        for (framing, lines, want) in cases {
            assert_eq!(unwrap_all(*framing, lines), *want, "{lines}");
        }
    }

    #[test]
    fn unwrapped_lines_parse() {
        let mut u = Unwrap::new(Framing::JournalShortIso);
        let l = u
            .line(b"2026-11-27T07:47:34.123+00:00 mx1 exim[12]: 1sAoM5-00000009r3p-06vq Completed")
            .unwrap();
        let p = crate::parse_line(l).unwrap();
        assert_eq!(p.event.name(), "completed");
        assert_eq!(p.timestamp.millisecond, Some(123));
        assert_eq!(p.timestamp.utc_offset_minutes, Some(0));
        // Zero copy when Exim kept its timestamp.
        let line = b"Nov 27 07:47:34 mx1 exim[4]: 2026-11-27 07:47:34 Start queue run: pid=4";
        let mut u = Unwrap::new(Framing::Rfc3164);
        let out = u.line(line).unwrap();
        assert!(std::ptr::eq(out.as_ptr(), line[29..].as_ptr()));
        // And in a JSON record whose MESSAGE has no escapes.
        let line = br#"{"SYSLOG_IDENTIFIER":"exim","MESSAGE":"2026-11-27 07:47:34 Start queue run: pid=4"}"#;
        let mut u = Unwrap::new(Framing::JournalJson);
        let out = u.line(line).unwrap();
        assert!(std::ptr::eq(out.as_ptr(), line[39..].as_ptr()));
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_420), (2025, 11, 28));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
