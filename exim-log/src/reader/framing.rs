//! How the lines of an input are wrapped, told from its content: Exim's own
//! log files, or the same text passed through syslog or journald (spec §1.5).
//!
//! The reader only tells; it yields raw lines either way. A caller unwraps
//! syslog lines with [`crate::syslog`], per input, so a directory holding both
//! `mainlog` and a syslog export reads right.

/// How the lines of one input are wrapped. See [`Framing::detect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Framing {
    /// Exim's own log lines (`2026-11-25 10:00:01 ...`), or nothing recognized.
    Plain,
    /// Lines with a syslog prefix: RFC 3164, RFC 5424 or `journalctl -o short*`
    /// ([`crate::syslog::parse_syslog_line`]).
    Syslog,
    /// `journalctl -o export` records, one `KEY=value` field per line
    /// ([`crate::syslog::JournalExport`]).
    JournalExport,
}

impl Framing {
    /// Tells the framing from the first line of an input. A line Exim wrote
    /// itself is [`Framing::Plain`]; a line the syslog parser accepts is
    /// [`Framing::Syslog`]; a journal export field (`__CURSOR=`,
    /// `__REALTIME_TIMESTAMP=`, `MESSAGE=`...) is [`Framing::JournalExport`];
    /// anything else is `Plain` (its lines then fail to parse, and say so).
    ///
    /// ```
    /// use exim_log::reader::Framing;
    /// assert_eq!(Framing::detect(b"2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed"), Framing::Plain);
    /// assert_eq!(Framing::detect(b"Nov 25 10:00:01 mx1 exim[4321]: 1sAoM5-00000009r3p-06vq Completed"), Framing::Syslog);
    /// assert_eq!(Framing::detect(b"__CURSOR=s=0123;i=1"), Framing::JournalExport);
    /// ```
    pub fn detect(first_line: &[u8]) -> Framing {
        if crate::line::parse_line(first_line).is_ok() {
            return Framing::Plain;
        }
        if crate::syslog::parse_syslog_line(first_line).is_ok() {
            return Framing::Syslog;
        }
        if is_journal_field(first_line) {
            return Framing::JournalExport;
        }
        Framing::Plain
    }
}

/// A journal export field line: an upper-case name (`[A-Z0-9_]+`, journald's
/// field name rule) then `=`.
fn is_journal_field(line: &[u8]) -> bool {
    let Some(eq) = memchr::memchr(b'=', line) else {
        return false;
    };
    let name = line.get(..eq).unwrap_or_default();
    !name.is_empty()
        && name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
}
