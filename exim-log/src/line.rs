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
// `#[inline]` and small on purpose: the event is large (hundreds of bytes), and
// returning it from a function that fills it costs a full copy, since Rust
// cannot build a borrowed local in the return slot. Inlined into the caller,
// the local and the caller's variable are merged by the optimizer, and the
// copy goes away (callgrind; the count is in benches/README.md).
#[inline(always)]
pub fn parse_line(line: &[u8]) -> Result<LogLine<'_>, ParseError> {
    let line = trim_line_ending(line);
    let p = parse::prefix::prefix(line)?;
    let mut out = LogLine {
        timestamp: p.timestamp,
        pid: p.pid,
        message_id: p.message_id,
        flag: None,
        event: Event::Unknown,
        raw: Text::new(line),
        body: p.body,
    };
    let text = line.get(p.body..).unwrap_or_default();
    parse::body_into(text, p.message_id.is_some(), &mut out.flag, &mut out.event);
    Ok(out)
}
