//! The queue listing of `exim -bp` (and `mailq`, `-bpu`, `-bpa`, `-bpr`), as
//! `queue.c queue_list` prints it:
//!
//! ```text
//! 25m  2.9K 1xZnLD-0006Uh-25 <spammer@shop.example> *** frozen ***
//!         D one@sink.example
//!           four@later.example
//!        +D child@generated.example
//!
//! ```
//!
//! A record is a line with the time on the queue (`%2dm`, `%2dh` after 90
//! minutes, `%2dd` after 72 hours), the size (`string_format_size`), the id,
//! the sender in angle brackets (followed by the caller's login in parentheses
//! when an untrusted caller set it) and ` *** frozen ***`; then a line per
//! recipient, `D` marking the delivered ones (`+D`: delivered addresses that
//! routing generated, with `-bpa`); then a blank line. When Exim could not read
//! the spool file, the age is missing and a `*** spool format error ***` or
//! `*** spool read error: ... ***` line follows.
//!
//! Administrators paste and pipe this output, so CRLF line ends and leading
//! blanks are accepted, and a record that cannot be read is reported with its
//! offset without stopping the listing.

use std::fmt;

#[cfg(feature = "serde")]
use serde::ser::SerializeSeq;
#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

use super::{SpoolError, SpoolErrorKind};
use crate::message_id::MessageId;
use crate::text::Text;

/// The unit of a [`QueueAge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AgeUnit {
    /// `m`: up to 90 minutes.
    Minutes,
    /// `h`: rounded hours, up to 72.
    Hours,
    /// `d`: rounded days.
    Days,
}

/// How long a message has been on the queue, as `exim -bp` rounds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QueueAge {
    /// The number printed.
    pub value: u32,
    /// Its unit.
    pub unit: AgeUnit,
}

impl QueueAge {
    /// The age in minutes, as the printed value says (hours and days were
    /// rounded to the nearest, so this is within half a unit of the truth).
    pub fn minutes(&self) -> u64 {
        let v = u64::from(self.value);
        match self.unit {
            AgeUnit::Minutes => v,
            AgeUnit::Hours => v * 60,
            AgeUnit::Days => v * 24 * 60,
        }
    }
}

impl fmt::Display for QueueAge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = match self.unit {
            AgeUnit::Minutes => 'm',
            AgeUnit::Hours => 'h',
            AgeUnit::Days => 'd',
        };
        write!(f, "{}{u}", self.value)
    }
}

#[cfg(feature = "serde")]
impl Serialize for QueueAge {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The age column of `exim -bp` for a message `seconds` old (`queue.c`),
/// right-aligned in two columns: `" 5m"`, `"12h"`, `" 4d"`.
///
/// ```
/// use exim_log::spool::format_age;
/// assert_eq!(format_age(5 * 60), " 5m");
/// assert_eq!(format_age(91 * 60), " 2h"); // (91 + 30) / 60
/// assert_eq!(format_age(80 * 3600), " 3d"); // (80 + 12) / 24
/// ```
pub fn format_age(seconds: i64) -> String {
    let mut i = seconds / 60;
    if i > 90 {
        i = (i + 30) / 60;
        if i > 72 {
            format!("{:2}d", (i + 12) / 24)
        } else {
            format!("{i:2}h")
        }
    } else {
        format!("{i:2}m")
    }
}

/// The size column of `exim -bp` (`string.c string_format_size`): five columns,
/// blank for 0, bytes below 1024, then `K` and `M` with one decimal below 10.
///
/// ```
/// use exim_log::spool::format_size;
/// assert_eq!(format_size(0), "     ");
/// assert_eq!(format_size(423), "  423");
/// assert_eq!(format_size(1652), " 1.6K");
/// assert_eq!(format_size(20_000), "  20K");
/// ```
pub fn format_size(size: u64) -> String {
    const K: u64 = 1024;
    #[allow(clippy::cast_precision_loss)] // sizes are far below 2^52
    let f = size as f64;
    if size == 0 {
        "     ".to_string()
    } else if size < K {
        format!("{size:5}")
    } else if size < 10 * K {
        format!("{:4.1}K", f / 1024.0)
    } else if size < K * K {
        format!("{:4}K", (size + 512) / K)
    } else if size < 10 * K * K {
        format!("{:4.1}M", f / (1024.0 * 1024.0))
    } else {
        format!("{:4}M", (size + 512 * K) / (K * K))
    }
}

/// One message of an `exim -bp` listing. Fields borrow from the listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueEntry<'a> {
    /// Time on the queue; missing when Exim could not read the spool file.
    pub age: Option<QueueAge>,
    /// The size as printed (`2.9K`); `None` when blank (zero).
    pub size: Option<Text<'a>>,
    /// The message id.
    pub id: MessageId<'a>,
    /// The envelope sender without angle brackets (empty for a bounce);
    /// `None` when not printed.
    pub sender: Option<Text<'a>>,
    /// The caller's login, printed after the sender when an untrusted caller
    /// set the sender.
    pub login: Option<Text<'a>>,
    /// ` *** frozen ***`.
    pub frozen: bool,
    /// The `*** spool ... error ... ***` text, when Exim printed one.
    pub error: Option<Text<'a>>,
    recipients: &'a [u8],
}

impl<'a> QueueEntry<'a> {
    /// The recipients listed (all of them for `-bp`, the undelivered ones for
    /// `-bpu`, plus generated delivered ones for `-bpa`).
    pub fn recipients(&self) -> QueueRecipients<'a> {
        QueueRecipients(self.recipients)
    }

    /// The size in bytes as far as the printed size tells (`2.9K` is 2970).
    pub fn size_bytes(&self) -> Option<u64> {
        let s = self.size?.as_bytes();
        let (num, mult) = match s.split_last() {
            Some((b'K', n)) => (n, 1024.0),
            Some((b'M', n)) => (n, 1024.0 * 1024.0),
            _ => (s, 1.0),
        };
        let v: f64 = std::str::from_utf8(num).ok()?.parse().ok()?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some((v * mult).round() as u64)
    }
}

#[cfg(feature = "serde")]
impl Serialize for QueueEntry<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("QueueEntry", 8)?;
        st.serialize_field("id", &self.id)?;
        if let Some(age) = &self.age {
            st.serialize_field("age", age)?;
            st.serialize_field("age_minutes", &age.minutes())?;
        }
        if let Some(size) = &self.size {
            st.serialize_field("size", size)?;
        }
        if let Some(sender) = &self.sender {
            st.serialize_field("sender", sender)?;
        }
        if let Some(login) = &self.login {
            st.serialize_field("login", login)?;
        }
        st.serialize_field("frozen", &self.frozen)?;
        if let Some(error) = &self.error {
            st.serialize_field("error", error)?;
        }
        st.serialize_field("recipients", &AllRecipients(self.recipients()))?;
        st.end()
    }
}

#[cfg(feature = "serde")]
struct AllRecipients<'a>(QueueRecipients<'a>);

#[cfg(feature = "serde")]
impl Serialize for AllRecipients<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for r in self.0.clone() {
            seq.serialize_element(&r)?;
        }
        seq.end()
    }
}

/// A recipient line of an `exim -bp` record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct QueueRecipient<'a> {
    /// The address.
    pub address: Text<'a>,
    /// `D`: already delivered.
    pub delivered: bool,
    /// `+D` (`-bpa`): an address routing generated, delivered.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub generated: bool,
}

/// The recipient lines of one record.
#[derive(Clone, Debug)]
pub struct QueueRecipients<'a>(&'a [u8]);

impl<'a> Iterator for QueueRecipients<'a> {
    type Item = QueueRecipient<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (line, rest) = split_line(self.0)?;
            self.0 = rest;
            if let Some(r) = recipient_line(line) {
                return Some(r);
            }
        }
    }
}

fn recipient_line(line: &[u8]) -> Option<QueueRecipient<'_>> {
    let t = line.trim_ascii_start();
    if t.starts_with(b"***") || t.is_empty() {
        return None;
    }
    let (delivered, generated, addr) = if let Some(a) = t.strip_prefix(b"+D ") {
        (true, true, a)
    } else if let Some(a) = t.strip_prefix(b"D ") {
        (true, false, a)
    } else {
        (false, false, t)
    };
    let addr = addr.trim_ascii();
    if addr.is_empty() {
        return None;
    }
    Some(QueueRecipient {
        address: Text::new(addr),
        delivered,
        generated,
    })
}

/// The next line without its line end, and the rest.
fn split_line(b: &[u8]) -> Option<(&[u8], &[u8])> {
    if b.is_empty() {
        return None;
    }
    let (line, rest) = match memchr::memchr(b'\n', b) {
        Some(n) => (b.get(..n)?, b.get(n + 1..)?),
        None => (b, b.get(b.len()..)?),
    };
    Some((line.strip_suffix(b"\r").unwrap_or(line), rest))
}

/// Reads an `exim -bp` listing, one record at a time.
///
/// ```
/// use exim_log::spool::parse_listing;
///
/// let out = b" 0m   423 1xZnLD-0006Uh-25 <spammer@shop.example>\n\
///         D one@sink.example\n\
///           four@later.example\n\
/// \n\
/// 26h  1.6K 1xZnLD-0006Uq-2A <> *** frozen ***\n\
///           spammer@shop.example\n\n";
/// let entries: Vec<_> = parse_listing(out).collect::<Result<_, _>>()?;
/// assert_eq!(entries[0].id.as_str(), "1xZnLD-0006Uh-25");
/// let rcpt: Vec<_> = entries[0].recipients().map(|r| (r.address.to_string(), r.delivered)).collect();
/// assert_eq!(rcpt, [("one@sink.example".into(), true), ("four@later.example".into(), false)]);
/// assert!(entries[1].frozen && entries[1].sender.unwrap().is_empty());
/// assert_eq!(entries[1].age.unwrap().minutes(), 26 * 60);
/// # Ok::<(), exim_log::spool::SpoolError>(())
/// ```
pub fn parse_listing(input: &[u8]) -> QueueListing<'_> {
    QueueListing { input, pos: 0 }
}

/// The records of an `exim -bp` listing ([`parse_listing`]).
#[derive(Clone, Debug)]
pub struct QueueListing<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for QueueListing<'a> {
    type Item = Result<QueueEntry<'a>, SpoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Skip blank lines between records.
        loop {
            let rest = self.input.get(self.pos..)?;
            let (line, after) = split_line(rest)?;
            if !line.trim_ascii().is_empty() {
                break;
            }
            self.pos = self.input.len() - after.len();
        }
        let start = self.pos;
        let rest = self.input.get(start..)?;
        let (first, mut after) = split_line(rest)?;
        // The record's other lines run to the next blank line.
        let body_start = self.input.len() - after.len();
        while let Some((line, next)) = split_line(after) {
            if line.trim_ascii().is_empty() {
                break;
            }
            after = next;
        }
        let body_end = self.input.len() - after.len();
        self.pos = body_end;
        let body = self.input.get(body_start..body_end).unwrap_or_default();
        Some(record(first, body).ok_or(SpoolError::new(SpoolErrorKind::Listing, start)))
    }
}

/// Parses the first line of a record (and takes the error line from the body).
fn record<'a>(first: &'a [u8], body: &'a [u8]) -> Option<QueueEntry<'a>> {
    let mut rest = first.trim_ascii_start();
    let mut word = || -> Option<&'a [u8]> {
        let w_end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
        let w = rest.get(..w_end)?;
        rest = rest.get(w_end..)?.trim_ascii_start();
        (!w.is_empty()).then_some(w)
    };
    let mut w = word()?;
    let mut age = None;
    if let Some((&u, digits)) = w.split_last() {
        let unit = match u {
            b'm' => Some(AgeUnit::Minutes),
            b'h' => Some(AgeUnit::Hours),
            b'd' => Some(AgeUnit::Days),
            _ => None,
        };
        if let Some(unit) =
            unit.filter(|_| !digits.is_empty() && digits.iter().all(u8::is_ascii_digit))
        {
            let value = std::str::from_utf8(digits).ok()?.parse().ok()?;
            age = Some(QueueAge { value, unit });
            w = word()?;
        }
    }
    let mut size = None;
    if MessageId::parse(w).is_none() {
        let ok = w.first().is_some_and(u8::is_ascii_digit)
            && w.iter()
                .all(|&c| c.is_ascii_digit() || c == b'.' || c == b'K' || c == b'M');
        if !ok {
            return None;
        }
        size = Some(Text::new(w));
        w = word()?;
    }
    let id = MessageId::parse(w)?;

    // `rest` is now ` <sender>[ (login)][ *** frozen ***]` without the leading blank.
    let mut tail = rest.trim_ascii_end();
    let mut frozen = false;
    if let Some(t) = tail.strip_suffix(b"*** frozen ***") {
        frozen = true;
        tail = t.trim_ascii_end();
    }
    let mut sender = None;
    let mut login = None;
    if !tail.is_empty() {
        let inner = tail.strip_prefix(b"<")?;
        let (addr, who) = match (
            inner.strip_suffix(b")"),
            memchr::memmem::rfind(inner, b"> ("),
        ) {
            (Some(_), Some(at)) => (inner.get(..at)?, inner.get(at + 3..inner.len() - 1)),
            _ => (inner.strip_suffix(b">")?, None),
        };
        sender = Some(Text::new(addr));
        login = who.map(Text::new);
    }
    // An error line (`    *** spool format error: size=N ***`), maybe with the
    // frozen flag after it.
    let mut error = None;
    let mut lines = body;
    while let Some((line, next)) = split_line(lines) {
        lines = next;
        let t = line.trim_ascii();
        if t.starts_with(b"***") {
            let (text, frozen_after) = error_line(t);
            frozen |= frozen_after;
            error = Some(Text::new(text));
        }
    }
    Some(QueueEntry {
        age,
        size,
        id,
        sender,
        login,
        frozen,
        error,
        recipients: body,
    })
}

/// Splits an error line (trimmed, starting with `***`) into the error text and
/// whether ` *** frozen ***` follows it. `queue.c queue_list` prints one of
/// `*** spool format error: size=N ***`, `*** spool format error ***` and
/// `*** spool read error: <strerror> ***`, each opening and closing with `***`
/// and holding no other `***`; after a header error it adds ` *** frozen ***`
/// for a frozen message. So the text ends at the first `***` after the opening
/// one, and what follows is the frozen flag or nothing. A line of any other
/// shape is kept whole as the error text, which reads back the same.
fn error_line(t: &[u8]) -> (&[u8], bool) {
    let close = t
        .get(3..)
        .and_then(|r| memchr::memmem::find(r, b"***"))
        .map(|at| at + 6);
    if let Some(end) = close
        && let (Some(text), Some(after)) = (t.get(..end), t.get(end..))
        && after.trim_ascii() == b"*** frozen ***"
    {
        return (text, true);
    }
    (t, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        let table = [
            (0, " 0m"),
            (59, " 0m"),
            (90 * 60, "90m"),
            (91 * 60, " 2h"),
            (72 * 3600, "72h"),
            (72 * 3600 + 30 * 60, " 3d"),
            (400 * 86400, "400d"),
        ];
        for (secs, want) in table {
            assert_eq!(format_age(secs), want, "{secs}");
        }
    }

    #[test]
    fn sizes() {
        let table = [
            (1023, " 1023"),
            (1024, " 1.0K"),
            (10 * 1024 - 1, "10.0K"),
            (10 * 1024, "  10K"),
            (1024 * 1024, " 1.0M"),
            (50 * 1024 * 1024, "  50M"),
        ];
        for (n, want) in table {
            assert_eq!(format_size(n), want, "{n}");
        }
    }

    #[test]
    fn records() {
        let e = record(
            b" 3d  1.2K 1xZnLD-0006Uh-25 <a b@x> (www-data) *** frozen ***",
            b"",
        )
        .unwrap();
        assert_eq!(
            e.age,
            Some(QueueAge {
                value: 3,
                unit: AgeUnit::Days
            })
        );
        assert_eq!(e.size.unwrap(), "1.2K");
        assert_eq!(e.size_bytes(), Some(1229));
        assert_eq!(e.sender.unwrap(), "a b@x");
        assert_eq!(e.login.unwrap(), "www-data");
        assert!(e.frozen);

        // No age, no size: Exim could not read the envelope.
        let e = record(
            b"      1xZnLD-0006Uh-25",
            b"    *** spool format error: size=12 ***\n",
        )
        .unwrap();
        assert_eq!((e.age, e.size, e.sender), (None, None, None));
        assert_eq!(e.error.unwrap(), "*** spool format error: size=12 ***");
        assert_eq!(e.recipients().count(), 0);

        let e = record(
            b"1xZnLD-0006Uh-25 <x@y>",
            b"    *** spool read error: x *** *** frozen ***\n",
        )
        .unwrap();
        assert!(e.frozen);
        assert_eq!(e.error.unwrap(), "*** spool read error: x ***");

        // The three error texts of queue.c, with and without the frozen flag
        // Exim prints after a header error.
        for (line, text, frozen) in [
            (
                &b"    *** spool format error: size=1234 *** *** frozen ***"[..],
                &b"*** spool format error: size=1234 ***"[..],
                true,
            ),
            (
                b"    *** spool format error ***",
                b"*** spool format error ***",
                false,
            ),
            (
                b"    *** spool read error: Permission denied *** *** frozen ***",
                b"*** spool read error: Permission denied ***",
                true,
            ),
            // Not Exim's shape: kept whole, so printing it again reads the same.
            (
                b"    ***\x0c\x0c *** frozen ***\x0c *** frozen ***",
                b"***\x0c\x0c *** frozen ***\x0c *** frozen ***",
                false,
            ),
            (
                b"    ***\x0c\x0c *** frozen ***",
                b"***\x0c\x0c *** frozen ***",
                false,
            ),
            (b"    ****** *** frozen ***", b"******", true),
            (b"    *** frozen ***", b"*** frozen ***", false),
        ] {
            let e = record(b"1xZnLD-0006Uh-25", line).unwrap();
            assert_eq!(e.error.unwrap().as_bytes(), text, "{line:?}");
            assert_eq!(e.frozen, frozen, "{line:?}");
            assert_eq!(e.recipients().count(), 0);
        }

        assert!(record(b"hello world", b"").is_none());
        assert!(record(b" 0m   423 1xZnLD-0006Uh-25 spammer", b"").is_none());
    }

    #[test]
    fn listing_errors_do_not_stop_it() {
        let out = b"garbage line\n  a@b\n\n 0m   1 1xZnLD-0006Uh-25 <>\r\n    D a@b\r\n\r\n";
        let all: Vec<_> = parse_listing(out).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], Err(SpoolError::new(SpoolErrorKind::Listing, 0)));
        let e = all[1].as_ref().unwrap();
        let r: Vec<_> = e.recipients().collect();
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].address.as_bytes(), r[0].delivered),
            (&b"a@b"[..], true)
        );
    }
}
