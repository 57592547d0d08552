//! The reject log (spec §10.1): each entry is the reject line, as in the main
//! log, and, when the message header had been read, `Envelope-from:`,
//! `Envelope-to:` (up to 4 more recipients on `    ` lines, `    ...` if there
//! were more) and the message headers, each prefixed by a one-character type
//! flag, with folded lines kept. `*** truncated ***` ends an overflowing entry.
//!
//! ```
//! use exim_log::rejectlog::RejectLog;
//! let log = b"2024-05-25 10:00:00 1sAoM5-00000009r3p-06vq H=(x) [192.0.2.1] F=<a@b.example> rejected after DATA: spam\n\
//! Envelope-from: <a@b.example>\n\
//! Envelope-to: <c@d.example>\n\
//! P Received: from [192.0.2.1]\n\
//! \tby mx.d.example\n\
//! \x20 Subject: win\n";
//! let e = RejectLog::new(log).next().unwrap().unwrap();
//! assert_eq!(e.line.event.name(), "rejection");
//! assert_eq!(e.envelope_from.unwrap(), "<a@b.example>");
//! let h: Vec<_> = e.headers().map(|h| (h.flag, h.name().unwrap().to_string())).collect();
//! assert_eq!(h, [('P', "Received".to_string()), (' ', "Subject".to_string())]);
//! ```

#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

use crate::entries::{Entries, RawEntry};
use crate::error::ParseError;
use crate::line::LogLine;
use crate::text::Text;

/// One reject log entry.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RejectEntry<'a> {
    /// Byte offset of the entry in the buffer.
    pub offset: usize,
    /// The reject line, parsed as a main log line.
    pub line: LogLine<'a>,
    /// `Envelope-from:` value, as logged (with angle brackets).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub envelope_from: Option<Text<'a>>,
    /// `Envelope-to:` and the indented recipient lines after it.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Recipients::is_empty"))]
    pub envelope_to: Recipients<'a>,
    /// The header block, flags included (see [`RejectEntry::headers`]).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "headers", serialize_with = "ser_headers")
    )]
    pub header_block: Text<'a>,
    /// The entry ended with `*** truncated ***` (the log buffer overflowed).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub truncated: bool,
    /// The whole entry, without its final line ending.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub raw: Text<'a>,
}

impl<'a> RejectEntry<'a> {
    /// The headers, in order, each with its flag and folded lines.
    pub fn headers(&self) -> HeaderIter<'a> {
        HeaderIter {
            rest: self.header_block.as_bytes(),
        }
    }
}

#[cfg(feature = "serde")]
fn ser_headers<S: Serializer>(block: &Text<'_>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(HeaderIter {
        rest: block.as_bytes(),
    })
}

/// The recipients of `Envelope-to:`: the first on that line, up to four more on
/// lines indented by four spaces, and a final `    ...` when Exim left some out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Recipients<'a>(Text<'a>);

impl<'a> Recipients<'a> {
    /// The recipient lines as logged (after `Envelope-to: `).
    pub const fn raw(&self) -> Text<'a> {
        self.0
    }

    /// True when there is no recipient.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The recipients, as logged (with angle brackets), without the `...` marker.
    pub fn iter(&self) -> impl Iterator<Item = Text<'a>> + 'a {
        self.0
            .as_bytes()
            .split(|b| *b == b'\n')
            .map(|l| l.trim_ascii())
            .filter(|l| !l.is_empty() && *l != b"...")
            .map(Text::new)
    }

    /// True when the list ends with `...`: there were more than five recipients.
    pub fn more(&self) -> bool {
        self.0
            .as_bytes()
            .split(|b| *b == b'\n')
            .any(|l| l.trim_ascii() == b"...")
    }
}

#[cfg(feature = "serde")]
impl Serialize for Recipients<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// A header of a reject log entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Header<'a> {
    /// The type flag from the spool file (spec §10.1): `P` Received, `I`
    /// Message-ID, `F` From, `T` To, `C` Cc, `B` Bcc, `R` Reply-To, `S` Sender,
    /// `*` replaced or deleted, `' '` any other header.
    pub flag: char,
    /// The header as logged after the flag and space (`Name: value`), with
    /// folded continuation lines and their line breaks.
    pub text: Text<'a>,
}

impl<'a> Header<'a> {
    /// The header name, before the first `:`.
    pub fn name(&self) -> Option<Text<'a>> {
        let t = self.text.as_bytes();
        let colon = memchr::memchr(b':', t)?;
        t.get(..colon).map(Text::new)
    }

    /// The value after `Name:`, folded lines included.
    pub fn value(&self) -> Option<Text<'a>> {
        let t = self.text.as_bytes();
        let colon = memchr::memchr(b':', t)?;
        t.get(colon + 1..).map(|v| Text::new(v.trim_ascii_start()))
    }
}

/// Is `line` the first line of a header (`<flag> Name: ...`) rather than a
/// folded continuation line? A flag is a letter or `*`; the "other header" flag
/// is a space, so `  Name: value` starts a header when `Name` is a field name
/// (RFC 5322: printable, no space or colon) directly followed by `:`.
fn header_start(line: &[u8]) -> bool {
    match line {
        [f, b' ', first, ..] if f.is_ascii_alphabetic() || *f == b'*' => *first != b' ',
        [b' ', b' ', rest @ ..] => {
            let n = rest
                .iter()
                .take_while(|b| b.is_ascii_graphic() && **b != b':')
                .count();
            n > 0 && rest.get(n) == Some(&b':')
        }
        _ => false,
    }
}

/// Iterator over the headers of a [`RejectEntry`].
#[derive(Clone, Debug)]
pub struct HeaderIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = Header<'a>;

    fn next(&mut self) -> Option<Header<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        // A header runs until the next line that starts a header.
        let mut end = memchr::memchr(b'\n', self.rest).unwrap_or(self.rest.len());
        while let Some(next) = self.rest.get(end + 1..) {
            if next.is_empty() || header_start(next) {
                break;
            }
            end += 1 + memchr::memchr(b'\n', next).unwrap_or(next.len());
        }
        let (h, rest) = self.rest.split_at(end);
        self.rest = rest.get(1..).unwrap_or_default();
        let flag = h.first().map_or(' ', |b| char::from(*b));
        Some(Header {
            flag,
            text: Text::new(h.get(2..).unwrap_or_default()),
        })
    }
}

/// What a reject log line after the reject line is, read on its own
/// ([`entry_line`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum EntryLineKind {
    /// `Envelope-from: <sender>`.
    EnvelopeFrom,
    /// `Envelope-to: <first recipient>`.
    EnvelopeTo,
    /// The first line of a header: `<flag> Name: value`.
    Header,
    /// A line indented by white space: a folded header line, or one of the
    /// further `Envelope-to:` recipients (`    <addr>`, `    ...`), which look
    /// the same on their own ([`RejectLog`] tells them apart by position).
    Continuation,
    /// `*** truncated ***`: the log buffer overflowed and the entry ends here.
    Truncated,
}

/// A reject log line that follows a reject line (spec §10.1), classified
/// without the lines around it, so that a line-by-line reader (`exim-log
/// ndjson`) can say what it is. Serialized as `{"rejectlog": kind, "flag",
/// "name", "value", "raw"}` (absent keys omitted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct EntryLine<'a> {
    /// What the line is.
    #[cfg_attr(feature = "serde", serde(rename = "rejectlog"))]
    pub kind: EntryLineKind,
    /// A header's type flag (see [`Header::flag`]).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub flag: Option<char>,
    /// A header's name.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub name: Option<Text<'a>>,
    /// The value: the address of `Envelope-from:`/`Envelope-to:` as logged,
    /// a header's text after `Name:` on this line, a continuation line
    /// without its leading white space.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub value: Option<Text<'a>>,
    /// The whole line without its line ending.
    pub raw: Text<'a>,
}

/// Classifies one reject log line that is not a log line (it has no
/// timestamp): the envelope and header lines Exim writes after a rejection
/// (log.c). `None` for any other text. The line ending, if any, is ignored.
///
/// ```
/// use exim_log::rejectlog::{entry_line, EntryLineKind};
/// let l = entry_line(b"P Received: from [192.0.2.1]\n").unwrap();
/// assert_eq!(l.kind, EntryLineKind::Header);
/// assert_eq!((l.flag, l.name.unwrap().as_bytes()), (Some('P'), &b"Received"[..]));
/// assert_eq!(entry_line(b"Envelope-to: <c@d.example>").unwrap().value.unwrap(), "<c@d.example>");
/// assert!(entry_line(b"stray words").is_none());
/// ```
pub fn entry_line(raw: &[u8]) -> Option<EntryLine<'_>> {
    let line = raw.strip_suffix(b"\n").unwrap_or(raw);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut l = EntryLine {
        kind: EntryLineKind::Continuation,
        flag: None,
        name: None,
        value: None,
        raw: Text::new(line),
    };
    if let Some(v) = line.strip_prefix(b"Envelope-from: ") {
        l.kind = EntryLineKind::EnvelopeFrom;
        l.value = Some(Text::new(v));
    } else if let Some(v) = line.strip_prefix(b"Envelope-to: ") {
        l.kind = EntryLineKind::EnvelopeTo;
        l.value = Some(Text::new(v));
    } else if line == b"*** truncated ***" {
        l.kind = EntryLineKind::Truncated;
    } else if header_start(line) && line.get(2..).is_some_and(|t| t.contains(&b':')) {
        let h = Header {
            flag: char::from(*line.first()?),
            text: Text::new(line.get(2..)?),
        };
        l.kind = EntryLineKind::Header;
        l.flag = Some(h.flag);
        l.name = h.name();
        l.value = h.value();
    } else if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        let v = line.trim_ascii_start();
        if v.is_empty() {
            return None;
        }
        l.value = Some(Text::new(v));
    } else {
        return None;
    }
    Some(l)
}

/// Iterator over the entries of a reject log held in memory. Every byte of the
/// buffer belongs to exactly one entry; an entry whose first line is not a
/// valid log line (e.g. text before the first timestamp) is an `Err` with the
/// byte offset, and iteration goes on.
#[derive(Clone, Debug)]
pub struct RejectLog<'a> {
    entries: Entries<'a>,
}

impl<'a> RejectLog<'a> {
    /// Iterates over the entries of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        RejectLog {
            entries: Entries::new(buf),
        }
    }
}

impl<'a> Iterator for RejectLog<'a> {
    type Item = Result<RejectEntry<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let e = self.entries.next()?;
        Some(entry(e))
    }
}

fn entry(e: RawEntry<'_>) -> Result<RejectEntry<'_>, ParseError> {
    let line = e.parse_first()?;
    let mut rest = e.rest;
    let mut truncated = false;
    if let Some(r) = rest.strip_suffix(b"*** truncated ***") {
        truncated = true;
        rest = r.strip_suffix(b"\n").unwrap_or(r);
    }
    let mut envelope_from = None;
    let mut envelope_to = Recipients::default();
    if let Some(r) = rest.strip_prefix(b"Envelope-from: ") {
        let end = memchr::memchr(b'\n', r).unwrap_or(r.len());
        envelope_from = r.get(..end).map(Text::new);
        rest = r.get(end + 1..).unwrap_or_default();
    }
    if let Some(r) = rest.strip_prefix(b"Envelope-to: ") {
        // The first recipient, then lines indented by four spaces.
        let mut end = memchr::memchr(b'\n', r).unwrap_or(r.len());
        while let Some(next) = r.get(end + 1..).filter(|n| n.starts_with(b"    ")) {
            end += 1 + memchr::memchr(b'\n', next).unwrap_or(next.len());
        }
        envelope_to = Recipients(Text::new(r.get(..end).unwrap_or_default()));
        rest = r.get(end + 1..).unwrap_or_default();
    }
    Ok(RejectEntry {
        offset: e.offset,
        line,
        envelope_from,
        envelope_to,
        header_block: Text::new(rest),
        truncated,
        raw: Text::new(e.raw),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &[u8] = b"2024-05-25 10:00:00 H=(pc) [192.0.2.1] F=<a@b.example> rejected RCPT <x@d.example>: Unknown user
2024-05-25 10:00:01 1sAoM5-00000009r3p-06vq H=(pc) [192.0.2.1] F=<a@b.example> rejected after DATA: spam
Envelope-from: <a@b.example>
Envelope-to: <c1@d.example>
    <c2@d.example>
    <c3@d.example>
    ...
P Received: from [192.0.2.1] (helo=pc)
\tby mx.d.example with esmtp (Exim 4.97)
\tid 1sAoM5-00000009r3p-06vq
I Message-ID: <x@pc>
F From: \"Win\" <a@b.example>
  Subject: You won
  X-Folded: one
   two
* X-Removed: yes
2024-05-25 10:00:02 U=www F=<w@d.example> rejected by non-SMTP ACL: no
Envelope-from: <w@d.example>
Envelope-to: <z@e.example>
T To: z@e.example
*** truncated ***
";

    #[test]
    fn entries_with_envelope_and_headers() {
        let e: Vec<_> = RejectLog::new(LOG).map(Result::unwrap).collect();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].offset, 0);
        assert!(e[0].envelope_from.is_none() && e[0].headers().next().is_none());
        let b = &e[1];
        assert_eq!(
            b.line.message_id.unwrap().as_str(),
            "1sAoM5-00000009r3p-06vq"
        );
        let to: Vec<_> = b.envelope_to.iter().map(|t| t.to_string()).collect();
        assert_eq!(to, ["<c1@d.example>", "<c2@d.example>", "<c3@d.example>"]);
        assert!(b.envelope_to.more());
        let h: Vec<_> = b
            .headers()
            .map(|h| (h.flag, h.name().unwrap().to_string()))
            .collect();
        assert_eq!(
            h,
            [
                ('P', "Received".into()),
                ('I', "Message-ID".into()),
                ('F', "From".into()),
                (' ', "Subject".into()),
                (' ', "X-Folded".into()),
                ('*', "X-Removed".into()),
            ]
        );
        let received = b.headers().next().unwrap();
        assert_eq!(
            received.value().unwrap(),
            "from [192.0.2.1] (helo=pc)\n\tby mx.d.example with esmtp (Exim 4.97)\n\tid 1sAoM5-00000009r3p-06vq"
        );
        assert_eq!(b.headers().nth(4).unwrap().value().unwrap(), "one\n   two");
        let c = &e[2];
        assert!(c.truncated);
        assert_eq!(c.headers().count(), 1);
        assert_eq!(c.offset, LOG.len() - 163);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes_entry() {
        let e = RejectLog::new(LOG).nth(1).unwrap().unwrap();
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["line"]["event"], "rejection");
        assert_eq!(v["envelope_to"][2], "<c3@d.example>");
        assert_eq!(v["headers"][3]["flag"], " ");
        assert_eq!(v["headers"][3]["text"], "Subject: You won");
    }

    /// Every line of an entry but the first, read on its own, is what
    /// log.c wrote it as; the text around the entry is not.
    #[test]
    fn entry_lines_on_their_own() {
        use EntryLineKind::*;
        let got: Vec<_> = LOG
            .split(|b| *b == b'\n')
            .filter(|l| !l.starts_with(b"2024-"))
            .map(|l| {
                entry_line(l).map(|e| {
                    (
                        e.kind,
                        e.flag,
                        e.name.map(|t| t.to_string()),
                        e.value.map(|t| t.to_string()),
                    )
                })
            })
            .collect();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            got,
            [
                Some((EnvelopeFrom, None, None, s("<a@b.example>"))),
                Some((EnvelopeTo, None, None, s("<c1@d.example>"))),
                Some((Continuation, None, None, s("<c2@d.example>"))),
                Some((Continuation, None, None, s("<c3@d.example>"))),
                Some((Continuation, None, None, s("..."))),
                Some((
                    Header,
                    Some('P'),
                    s("Received"),
                    s("from [192.0.2.1] (helo=pc)")
                )),
                Some((
                    Continuation,
                    None,
                    None,
                    s("by mx.d.example with esmtp (Exim 4.97)")
                )),
                Some((Continuation, None, None, s("id 1sAoM5-00000009r3p-06vq"))),
                Some((Header, Some('I'), s("Message-ID"), s("<x@pc>"))),
                Some((Header, Some('F'), s("From"), s("\"Win\" <a@b.example>"))),
                Some((Header, Some(' '), s("Subject"), s("You won"))),
                Some((Header, Some(' '), s("X-Folded"), s("one"))),
                Some((Continuation, None, None, s("two"))),
                Some((Header, Some('*'), s("X-Removed"), s("yes"))),
                Some((EnvelopeFrom, None, None, s("<w@d.example>"))),
                Some((EnvelopeTo, None, None, s("<z@e.example>"))),
                Some((Header, Some('T'), s("To"), s("z@e.example"))),
                Some((Truncated, None, None, None)),
                // The empty text after the last line ending.
                None,
            ]
        );
        for stray in [
            &b"stray words"[..],
            b"",
            b"   ",
            b"P nocolon here",
            b"Envelope-from:",
        ] {
            assert!(entry_line(stray).is_none(), "{:?}", Text::new(stray));
        }
        assert_eq!(
            entry_line(b"Envelope-to: <c@d.example>\r\n")
                .unwrap()
                .value
                .unwrap(),
            "<c@d.example>"
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes_entry_line() {
        let v = serde_json::to_value(entry_line(b"S Sender: <a@b.example>").unwrap()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"rejectlog": "header", "flag": "S", "name": "Sender",
                "value": "<a@b.example>", "raw": "S Sender: <a@b.example>"})
        );
        let v = serde_json::to_value(entry_line(b"*** truncated ***").unwrap()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"rejectlog": "truncated", "raw": "*** truncated ***"})
        );
    }

    #[test]
    fn leading_garbage_is_an_error_with_offset() {
        let mut it = RejectLog::new(b"stray\n2024-05-25 10:00:00 x\n");
        assert!(it.next().unwrap().is_err());
        assert_eq!(it.next().unwrap().unwrap().offset, 6);
        assert!(it.next().is_none());
    }
}
