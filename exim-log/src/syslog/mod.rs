//! Exim lines delivered through syslog (spec §1.5): the same text as in the
//! log files, without the leading timestamp when `syslog_timestamp = false`,
//! and split into `[n/m]` (length) or `[n\m]` (embedded newline) chunks unless
//! Exim was built with `SYSLOG_LONG_LINES`.
//!
//! These wrappers are recognized (nom productions in `prefix.rs`), the prefix
//! is kept as fields:
//!
//! * RFC 3164 / BSD, as written by rsyslog and syslog-ng by default, and by
//!   `journalctl -o short` / `short-precise`: `[<PRI>]Nov 27 07:47:34 host exim[123]: text`
//! * RFC 5424: `<22>1 2026-11-27T07:47:34.123+00:00 host exim 123 - - text`
//! * `journalctl -o short-iso` (and RFC 3339 templates):
//!   `2026-11-27T07:47:34+0000 host exim[123]: text`
//! * rsyslog templates with Exim's time shape first:
//!   `2019-10-22 03:39:17 mx1 exim[29786]: [29786] text`
//! * host and tag with no time, Exim's own following:
//!   `mx1 exim[812]: 2021-07-17 23:20:49 text` (`time` is then empty)
//! * `journalctl -o export` records ([`JournalExport`]): `MESSAGE=`, `_PID=`,
//!   `SYSLOG_IDENTIFIER=`, `_HOSTNAME=`, `PRIORITY=`, `SYSLOG_FACILITY=`,
//!   `__REALTIME_TIMESTAMP=` fields, one record per blank-line-separated block
//! * `journalctl -o json` / `-o json-seq` records (a JSON object a line):
//!   read by [`Unwrap`] only, which takes `MESSAGE` (decoded; an array of
//!   bytes when it is not UTF-8), `SYSLOG_IDENTIFIER`, `SYSLOG_PID` (whose
//!   `[n/m]` chunks are joined) and `__REALTIME_TIMESTAMP`
//!
//! To read a whole file whatever its wrapper, tell it with
//! [`Framing::detect`] on its first bytes and pass every line through
//! [`Unwrap::line`]: out come Exim main-log lines for [`crate::parse_line`],
//! split chunks joined again.
//!
//! ```
//! use exim_log::syslog::parse_syslog_line;
//! let l = parse_syslog_line(b"Nov 27 07:47:34 mx1 exim[4321]: 1sAoM5-00000009r3p-06vq Completed").unwrap();
//! assert_eq!((l.host.unwrap().to_string(), l.pid), ("mx1".to_string(), Some(4321)));
//! assert!(l.timestamp.is_none());
//! assert_eq!(l.body.message_id.unwrap().as_str(), "1sAoM5-00000009r3p-06vq");
//! assert_eq!(l.body.event.name(), "completed");
//! ```

use crate::entries::starts_entry;
use crate::error::{ErrorKind, ParseError};
use crate::event::{Event, Flag};
use crate::line::{parse_line, trim_line_ending};
use crate::message_id::MessageId;
use crate::parse;
use crate::text::Text;
use crate::timestamp::Timestamp;

mod framing;
mod journal_json;
mod prefix;

pub(crate) use framing::Located;
pub use framing::{Framing, Unwrap};

/// The Exim part of a line without its timestamp: what [`crate::LogLine`] holds
/// after the prefix. Returned by [`parse_body`].
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Body<'a> {
    /// The message the line is about, when it is about one.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub message_id: Option<MessageId<'a>>,
    /// The flag (`<=`, `=>`, ...) of a message line.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub flag: Option<Flag>,
    /// What the line says.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub event: Event<'a>,
    /// The text after the message id (what the event was parsed from).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub text: Text<'a>,
}

/// Parses Exim log text that has no timestamp (and no `[pid]`): an optional
/// message id, then the event. Never fails; unknown text gives [`Event::Unknown`].
///
/// ```
/// use exim_log::syslog::parse_body;
/// let b = parse_body(b"H=(pc) [192.0.2.1] F=<a@b.example> rejected RCPT <c@d.example>: no such user");
/// assert_eq!(b.event.name(), "rejection");
/// assert!(b.message_id.is_none());
/// ```
pub fn parse_body(text: &[u8]) -> Body<'_> {
    let (message_id, text) = parse::prefix::message_id(text);
    let (flag, event) = parse::body(text, message_id.is_some());
    Body {
        message_id,
        flag,
        event,
        text: Text::new(text),
    }
}

/// `[n/m]` (split for length) or `[n\m]` (split at a newline) at the start of
/// the Exim text (spec §1.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Chunk {
    /// This chunk's number, from 1.
    pub index: u32,
    /// How many chunks the line was split into.
    pub count: u32,
    /// `true` for `[n\m]`: the split was at an embedded newline.
    pub at_newline: bool,
}

/// One syslog line carrying Exim text.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SyslogLine<'a> {
    /// `<PRI>`: facility * 8 + severity, when the line has it.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub priority: Option<u16>,
    /// The syslog timestamp exactly as written (`Nov 27 07:47:34`,
    /// `2026-11-27T07:47:34.123+00:00`); empty when the wrapper has none
    /// (`host exim[pid]: <Exim timestamp> ...`).
    pub time: Text<'a>,
    /// The host name field. JSON key `syslog_host`, apart from the event's `host`
    /// (`H=`), which the same object carries.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "syslog_host", skip_serializing_if = "Option::is_none")
    )]
    pub host: Option<Text<'a>>,
    /// The program (tag / APP-NAME), e.g. `exim`.
    pub program: Text<'a>,
    /// The process id from `exim[123]` or the RFC 5424 PROCID.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub pid: Option<u32>,
    /// The `[n/m]` split marker, when the Exim text was split.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub chunk: Option<Chunk>,
    /// Exim's own timestamp, when `syslog_timestamp` left it in the text.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub timestamp: Option<Timestamp>,
    /// The parsed Exim text.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub body: Body<'a>,
    /// The whole line, without its line ending.
    pub raw: Text<'a>,
}

impl SyslogLine<'_> {
    /// The facility part of [`SyslogLine::priority`] (2 = mail).
    pub fn facility(&self) -> Option<u16> {
        self.priority.map(|p| p / 8)
    }

    /// The severity part of [`SyslogLine::priority`] (6 info: mainlog, 5
    /// notice: rejectlog, 1 alert: paniclog).
    pub fn severity(&self) -> Option<u16> {
        self.priority.map(|p| p % 8)
    }
}

use crate::parse::fields::number;

/// Parses one syslog line. Fails (with a byte offset) only when the syslog
/// wrapper itself is not recognized.
pub fn parse_syslog_line(line: &[u8]) -> Result<SyslogLine<'_>, ParseError> {
    let line = trim_line_ending(line);
    if line.is_empty() {
        return Err(ParseError::new(ErrorKind::Empty, 0));
    }
    let (msg, p) = prefix::prefix(line).map_err(|e| {
        let at = match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => line.len() - e.input.len(),
            nom::Err::Incomplete(_) => line.len(),
        };
        ParseError::new(ErrorKind::Syntax, at)
    })?;
    let (chunk, msg) = chunk(msg);
    let (timestamp, body) = exim_text(msg);
    Ok(SyslogLine {
        priority: p.priority,
        time: Text::new(p.time),
        host: p.host.map(Text::new),
        program: Text::new(p.program),
        pid: p.pid,
        chunk,
        timestamp,
        body,
        raw: Text::new(line),
    })
}

/// Iterator over the records of a `journalctl -o export` buffer, each turned
/// into a [`SyslogLine`] (`time` is `__REALTIME_TIMESTAMP`, microseconds since
/// the epoch; `raw` is the `MESSAGE` value). Records without a `MESSAGE` field
/// are skipped; a record whose binary field is cut short is an `Err` with its
/// byte offset, and iteration stops.
///
/// ```
/// use exim_log::syslog::JournalExport;
/// let rec = b"__REALTIME_TIMESTAMP=1795765654000000\n_HOSTNAME=mx1\nSYSLOG_IDENTIFIER=exim\n_PID=812\nPRIORITY=6\nSYSLOG_FACILITY=2\nMESSAGE=Start queue run: pid=812\n\n";
/// let l = JournalExport::new(rec).next().unwrap().unwrap();
/// assert_eq!((l.program.to_string(), l.pid, l.priority), ("exim".to_string(), Some(812), Some(22)));
/// assert_eq!(l.body.event.name(), "queue_run");
/// ```
#[derive(Clone, Debug)]
pub struct JournalExport<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> JournalExport<'a> {
    /// Iterates over the records of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        JournalExport { buf, pos: 0 }
    }
}

impl<'a> Iterator for JournalExport<'a> {
    type Item = Result<SyslogLine<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let start = self.pos;
            let rest = self.buf.get(start..).filter(|r| !r.is_empty())?;
            let mut rec = JournalRecord::default();
            let mut k = 0;
            // Fields until an empty line (or the end).
            while let Some(field) = rest.get(k..).filter(|f| !f.is_empty()) {
                if field.first() == Some(&b'\n') {
                    k += 1;
                    break;
                }
                let nl = memchr::memchr(b'\n', field).unwrap_or(field.len());
                let head = field.get(..nl).unwrap_or_default();
                let (name, value, used) = match memchr::memchr(b'=', head) {
                    Some(eq) => (
                        head.get(..eq).unwrap_or_default(),
                        head.get(eq + 1..).unwrap_or_default(),
                        nl + 1,
                    ),
                    None => {
                        // Binary field: NAME \n le64 size, data, \n.
                        let size = field
                            .get(nl + 1..nl + 9)
                            .and_then(|b| <[u8; 8]>::try_from(b).ok())
                            .map(u64::from_le_bytes)
                            .and_then(|n| usize::try_from(n).ok());
                        let data = size.and_then(|n| field.get(nl + 9..(nl + 9).checked_add(n)?));
                        let Some(data) = data else {
                            self.pos = self.buf.len();
                            return Some(Err(ParseError::new(ErrorKind::Syntax, start + k)));
                        };
                        (head, data, nl + 9 + data.len() + 1)
                    }
                };
                rec.set(name, value);
                k += used;
            }
            self.pos = start + k.min(rest.len());
            if let Some(line) = rec.line() {
                return Some(Ok(line));
            }
        }
    }
}

/// The fields of one export record that a [`SyslogLine`] uses.
#[derive(Default)]
struct JournalRecord<'a> {
    message: Option<&'a [u8]>,
    time: &'a [u8],
    host: Option<&'a [u8]>,
    program: &'a [u8],
    pid: Option<u32>,
    priority: Option<u16>,
    facility: Option<u16>,
}

impl<'a> JournalRecord<'a> {
    fn set(&mut self, name: &[u8], value: &'a [u8]) {
        match name {
            b"MESSAGE" => self.message = Some(value),
            b"__REALTIME_TIMESTAMP" => self.time = value,
            b"_HOSTNAME" => self.host = Some(value),
            b"SYSLOG_IDENTIFIER" => self.program = value,
            b"_COMM" if self.program.is_empty() => self.program = value,
            b"_PID" | b"SYSLOG_PID" => self.pid = self.pid.or(number(value)),
            b"PRIORITY" => self.priority = number(value),
            b"SYSLOG_FACILITY" => self.facility = number(value),
            _ => {}
        }
    }

    fn line(self) -> Option<SyslogLine<'a>> {
        let msg = self.message?;
        let priority = match (self.priority, self.facility) {
            (Some(p), Some(f)) => Some(f.saturating_mul(8).saturating_add(p)),
            (p, _) => p,
        };
        let (chunk, text) = chunk(msg);
        let (timestamp, body) = exim_text(text);
        Some(SyslogLine {
            priority,
            time: Text::new(self.time),
            host: self.host.map(Text::new),
            program: Text::new(self.program),
            pid: self.pid,
            chunk,
            timestamp,
            body,
            raw: Text::new(msg),
        })
    }
}

/// The Exim text of a syslog message: with its own timestamp (parsed as a
/// main-log line) or without (`[pid] ` dropped, then [`parse_body`]).
fn exim_text(msg: &[u8]) -> (Option<Timestamp>, Body<'_>) {
    if starts_entry(msg)
        && let Ok(l) = parse_line(msg)
    {
        return (
            Some(l.timestamp),
            Body {
                message_id: l.message_id,
                flag: l.flag,
                text: l.text(),
                event: l.event,
            },
        );
    }
    (None, parse_body(strip_pid(msg)))
}

/// `[n/m] ` or `[n\\m] ` at the start of the text.
fn chunk(i: &[u8]) -> (Option<Chunk>, &[u8]) {
    match prefix::chunk(i) {
        Ok((r, (index, count, at_newline))) => (
            Some(Chunk {
                index,
                count,
                at_newline,
            }),
            r,
        ),
        Err(_) => (None, i),
    }
}

/// Drops a leading `[pid] ` (`+pid` without the timestamp).
fn strip_pid(i: &[u8]) -> &[u8] {
    prefix::pid(i).map_or(i, |(r, _)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_table() {
        // line, (priority, time, host, program, pid, chunk, has timestamp, message id, event)
        type Want<'s> = (
            Option<u16>,
            &'s str,
            Option<&'s str>,
            &'s str,
            Option<u32>,
            Option<(u32, u32, bool)>,
            bool,
            Option<&'s str>,
            &'s str,
        );
        let cases: &[(&str, Want)] = &[
            (
                "Nov 27 07:47:34 mx1 exim[4321]: Start queue run: pid=4321",
                (
                    None,
                    "Nov 27 07:47:34",
                    Some("mx1"),
                    "exim",
                    Some(4321),
                    None,
                    false,
                    None,
                    "queue_run",
                ),
            ),
            (
                "<22>Nov  7 07:47:34 mx1 exim[99]: 2026-11-07 07:47:34 1sAoM5-00000009r3p-06vq Frozen",
                (
                    Some(22),
                    "Nov  7 07:47:34",
                    Some("mx1"),
                    "exim",
                    Some(99),
                    None,
                    true,
                    Some("1sAoM5-00000009r3p-06vq"),
                    "frozen",
                ),
            ),
            (
                "<22>1 2026-11-27T07:47:34.123+00:00 mx1.example.com exim 123 - - H=[192.0.2.1] dropped by 'connect' ACL: blocked",
                (
                    Some(22),
                    "2026-11-27T07:47:34.123+00:00",
                    Some("mx1.example.com"),
                    "exim",
                    Some(123),
                    None,
                    false,
                    None,
                    "dropped",
                ),
            ),
            (
                "<21>1 2026-11-27T07:47:34Z mx1 exim 123 - [meta x=\"1\\]\"] no host name found for IP address 192.0.2.1",
                (
                    Some(21),
                    "2026-11-27T07:47:34Z",
                    Some("mx1"),
                    "exim",
                    Some(123),
                    None,
                    false,
                    None,
                    "host_lookup_failed",
                ),
            ),
            (
                "2026-11-27T07:47:34+0000 mx1 exim[123]: [1/2] [123] 1sAoM5-00000009r3p-06vq removed by root",
                (
                    None,
                    "2026-11-27T07:47:34+0000",
                    Some("mx1"),
                    "exim",
                    Some(123),
                    Some((1, 2, false)),
                    false,
                    Some("1sAoM5-00000009r3p-06vq"),
                    "removed",
                ),
            ),
            (
                "Nov 27 07:47:34 mx1 exim: [2\\2] rest of a line",
                (
                    None,
                    "Nov 27 07:47:34",
                    Some("mx1"),
                    "exim",
                    None,
                    Some((2, 2, true)),
                    false,
                    None,
                    "unknown",
                ),
            ),
        ];
        for (input, want) in cases {
            let l =
                parse_syslog_line(input.as_bytes()).unwrap_or_else(|e| panic!("{input}: {e:?}"));
            let got = (
                l.priority,
                l.time.to_string(),
                l.host.map(|t| t.to_string()),
                l.program.to_string(),
                l.pid,
                l.chunk.map(|c| (c.index, c.count, c.at_newline)),
                l.timestamp.is_some(),
                l.body.message_id.map(|m| m.as_str().to_string()),
                l.body.event.name(),
            );
            let want = (
                want.0,
                want.1.to_string(),
                want.2.map(String::from),
                want.3.to_string(),
                want.4,
                want.5,
                want.6,
                want.7.map(String::from),
                want.8,
            );
            assert_eq!(got, want, "{input}");
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes_prefix_and_event_keys_together() {
        let l = parse_syslog_line(
            b"<22>Nov 27 07:47:34 mx1 exim[7]: [2/3] H=[192.0.2.1] dropped by 'connect' ACL",
        )
        .unwrap();
        let v = serde_json::to_value(&l).unwrap();
        assert_eq!(v["event"], "dropped");
        assert_eq!(v["host"]["ip"], "192.0.2.1");
        assert_eq!(v["syslog_host"], "mx1");
        assert_eq!(v["what"], "connect");
        assert_eq!(v["pid"], 7);
        assert_eq!(v["chunk"]["index"], 2);
        assert_eq!(v["priority"], 22);
    }

    #[test]
    fn journal_export_records() {
        let mut buf = Vec::new();
        buf.extend_from_slice(b"__CURSOR=s=1\n__REALTIME_TIMESTAMP=1795765654000000\n_HOSTNAME=mx1\nSYSLOG_IDENTIFIER=exim\n_PID=812\nMESSAGE=no host name found for IP address 192.0.2.1\n\n");
        buf.extend_from_slice(b"__REALTIME_TIMESTAMP=1\n_COMM=cron\n\n");
        // A binary MESSAGE (it holds a newline).
        let msg = b"1sAoM5-00000009r3p-06vq Frozen by the system filter: two\nlines";
        buf.extend_from_slice(b"SYSLOG_IDENTIFIER=exim\nMESSAGE\n");
        buf.extend_from_slice(&(msg.len() as u64).to_le_bytes());
        buf.extend_from_slice(msg);
        buf.extend_from_slice(b"\n\n");
        let v: Vec<_> = JournalExport::new(&buf).map(Result::unwrap).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].body.event.name(), "host_lookup_failed");
        assert_eq!(
            (v[0].host.unwrap(), v[0].pid),
            (Text::from("mx1"), Some(812))
        );
        assert_eq!(v[0].time, "1795765654000000");
        assert_eq!(v[1].body.event.name(), "frozen");
        assert_eq!(
            v[1].body.message_id.unwrap().as_str(),
            "1sAoM5-00000009r3p-06vq"
        );
        // A binary field cut short is an error, then the end.
        let mut it = JournalExport::new(b"MESSAGE\n\x05\x00\x00\x00\x00\x00\x00\x00ab");
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
    }

    #[test]
    fn priority_parts_and_errors() {
        let l = parse_syslog_line(b"<21>Nov 27 07:47:34 mx1 exim[1]: x").unwrap();
        assert_eq!((l.facility(), l.severity()), (Some(2), Some(5)));
        assert_eq!(parse_syslog_line(b"").unwrap_err().kind, ErrorKind::Empty);
        assert!(parse_syslog_line(b"<x>Nov").is_err());
        assert!(parse_syslog_line(b"garbage").is_err());
    }
}
