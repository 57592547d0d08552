//! One mainlog line: [`LogLine`] and [`parse_line`].

use crate::error::ParseError;
use crate::event::{Event, Flag};
use crate::message_id::MessageId;
use crate::parse;
use crate::text::Text;
use crate::timestamp::Timestamp;

/// One parsed log line. Every borrowed field points into the input bytes.
///
/// ```
/// use exim_log::{parse_line, Event};
/// let line = parse_line(b"2006-04-27 17:43:53 1FZ8zt-0005lz-E7 Completed").unwrap();
/// assert_eq!(line.message_id.unwrap().as_str(), "1FZ8zt-0005lz-E7");
/// assert!(matches!(line.event, Event::Completed(_)));
/// ```
// `Serialize` is written by hand in event/ser.rs: the event's fields go
// straight into the line's object.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine<'a> {
    /// When Exim wrote the line.
    pub timestamp: Timestamp,
    /// `[pid]` of the writing process (`+pid`).
    pub pid: Option<u32>,
    /// The message the line is about, when it is about one.
    pub message_id: Option<MessageId<'a>>,
    /// The flag (`<=`, `=>`, ...) of a message line.
    pub flag: Option<Flag>,
    /// What the line says.
    pub event: Event<'a>,
    /// The whole line, without its line ending.
    pub raw: Text<'a>,
    body: usize,
}

impl<'a> LogLine<'a> {
    /// The text after the prefix (timestamp, pid and message id).
    pub fn text(&self) -> Text<'a> {
        Text::new(self.raw.as_bytes().get(self.body..).unwrap_or_default())
    }

    /// Byte offset of [`LogLine::text`] within [`LogLine::raw`].
    pub fn text_offset(&self) -> usize {
        self.body
    }
}

/// Strips one trailing `\n`, `\r\n` or `\r`.
// Inlined: a call cost more than the work (callgrind; the count is in benches/README.md).
#[inline]
pub(crate) fn trim_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses one mainlog (or rejectlog/paniclog first) line. A trailing line ending
/// is ignored.
///
/// Fails only when the line has no valid prefix (timestamp, optional `[pid]`);
/// any text after a valid prefix yields a line, with [`Event::Unknown`] for
/// shapes that are not recognized, so counts in always equal counts out.
// Inlined and small on purpose: a `LogLine` is large (680 bytes) and is
// filled through a reference (`parse_body`), so the compiler cannot build it
// in the caller's slot: returning it costs one copy of it, even inlined
// (callgrind, rustc 1.95: ~100 instructions a line, 95,829 copies on the
// 95,829-line standard log). `parse_line_with` reads it in place instead.
#[inline(always)]
pub fn parse_line(line: &[u8]) -> Result<LogLine<'_>, ParseError> {
    let mut out = prefixed(line)?;
    parse_body(&mut out);
    Ok(out)
}

/// Parses one line as [`parse_line`] does and calls `f` with it borrowed,
/// returning what `f` returns (which may borrow from `line`, as the
/// line's fields do); the error of a line without a valid prefix (then `f`
/// is not called).
///
/// The fastest way to look at every line: a [`LogLine`] is large (hundreds
/// of bytes) and [`parse_line`] returns it by value, which costs a copy of
/// it (the parser fills the line through a reference, so the compiler
/// cannot build it where the caller keeps it); here it is built and read
/// in place. Measured with callgrind on a generated log: one ~680-byte
/// copy a line less, about 100 instructions (6% of a bare parse).
///
/// ```
/// use exim_log::{parse_line_with, Event};
/// let completed = parse_line_with(b"2006-04-27 17:43:53 1FZ8zt-0005lz-E7 Completed", |line| {
///     matches!(line.event, Event::Completed(_))
/// });
/// assert_eq!(completed, Ok(true));
/// // What `f` returns may borrow from the input, as the fields do.
/// let id = parse_line_with(b"2006-04-27 17:43:53 1FZ8zt-0005lz-E7 Completed", |line| {
///     line.message_id
/// });
/// assert_eq!(id.unwrap().unwrap().as_str(), "1FZ8zt-0005lz-E7");
/// assert!(parse_line_with(b"not a log line", |_| ()).is_err());
/// ```
#[inline(always)]
pub fn parse_line_with<'a, R>(
    line: &'a [u8],
    f: impl FnOnce(&LogLine<'a>) -> R,
) -> Result<R, ParseError> {
    let mut out = prefixed(line)?;
    parse_body(&mut out);
    Ok(f(&out))
}

/// The line with its prefix parsed and its event not yet ([`Event::Unknown`]).
#[inline(always)]
fn prefixed(line: &[u8]) -> Result<LogLine<'_>, ParseError> {
    let line = trim_line_ending(line);
    let p = parse::prefix::prefix(line)?;
    Ok(LogLine {
        timestamp: p.timestamp,
        pid: p.pid,
        message_id: p.message_id,
        flag: None,
        event: Event::Unknown,
        raw: Text::new(line),
        body: p.body,
    })
}

/// Parses the text after the prefix of `out` into its flag and event.
#[inline(always)]
fn parse_body(out: &mut LogLine<'_>) {
    let text = out.raw.as_bytes().get(out.body..).unwrap_or_default();
    let has_id = out.message_id.is_some();
    parse::body_into(text, has_id, &mut out.flag, &mut out.event);
}
