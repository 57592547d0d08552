//! [`Options`]: what the configured Exim logs, so a parser knows what to expect.
//!
//! One options type, built from a `log_selector` setting ([`LogSelector`]) and the
//! `log_timezone` main option (exim-log-format.md §1.1, §9).

use crate::error::{ErrorKind, ParseError};
use crate::line::{LogLine, parse_line};
use crate::selector::{LogSelector, Selector, SelectorError, line_evidence};

/// How [`Options::parse_line`] treats a line that contradicts the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Strictness {
    /// Accept every line [`parse_line`] accepts (a log may span a configuration
    /// change, and rotated logs mix settings).
    #[default]
    Lenient,
    /// Reject a line that contradicts the settings with
    /// [`ErrorKind::SelectorMismatch`] or [`ErrorKind::TimezoneMismatch`].
    Strict,
}

/// What the Exim that wrote a log was configured to log.
///
/// `Default` is Exim's default `log_selector`, any `log_timezone`, lenient.
///
/// ```
/// use exim_log::{ErrorKind, Options, Selector};
///
/// let opts = Options::from_setting("+pid +subject").unwrap().strict();
/// assert!(opts.expects_pid() && !opts.expects_millisec());
///
/// let ok = b"2024-05-25 11:10:28 [4711] 1sAoM5-00000009r3p-06vq <= a@example.com P=local S=10 T=\"hi\"";
/// assert!(opts.parse_line(ok).is_ok());
///
/// // No `[pid]` although +pid is set: the error says which selector and where.
/// let e = opts.parse_line(b"2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq Completed").unwrap_err();
/// assert_eq!((e.kind, e.offset), (ErrorKind::SelectorMismatch(Selector::Pid), 19));
///
/// // `RT=` appears, but +receive_time is not set.
/// let bad = b"2024-05-25 11:10:28 [4711] 1sAoM5-00000009r3p-06vq <= a@example.com P=local S=10 RT=0.012s";
/// let e = opts.parse_line(bad).unwrap_err();
/// assert_eq!(e.kind, ErrorKind::SelectorMismatch(Selector::ReceiveTime));
/// assert_eq!(&bad[e.offset..e.offset + 3], b"RT=");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Options {
    /// The effective `log_selector`.
    pub selectors: LogSelector,
    /// The `log_timezone` main option: `Some(true)` means every timestamp carries a
    /// `±HHMM` offset, `Some(false)` none, `None` either (unknown).
    pub log_timezone: Option<bool>,
    /// What to do with lines that contradict the settings.
    pub strictness: Strictness,
}

impl Options {
    /// Options for a known selector set (lenient, any timezone).
    pub fn new(selectors: LogSelector) -> Self {
        Options {
            selectors,
            ..Options::default()
        }
    }

    /// Options from a `log_selector` setting (see [`LogSelector::parse`]).
    pub fn from_setting(setting: &str) -> Result<Self, SelectorError> {
        LogSelector::parse(setting).map(Options::new)
    }

    /// The same options with `log_timezone` set.
    pub fn with_log_timezone(mut self, on: bool) -> Self {
        self.log_timezone = Some(on);
        self
    }

    /// The same options in [`Strictness::Strict`] mode.
    pub fn strict(mut self) -> Self {
        self.strictness = Strictness::Strict;
        self
    }

    /// Every line starts `TIMESTAMP [pid] ` (`+pid`, §1.2).
    pub fn expects_pid(&self) -> bool {
        self.selectors.contains(Selector::Pid)
    }

    /// Timestamps have `.mmm` (`+millisec`, §1.1).
    pub fn expects_millisec(&self) -> bool {
        self.selectors.contains(Selector::Millisec)
    }

    /// True when the fields or lines of `s` may appear (see [`Selector::effect`]).
    pub fn may_appear(&self, s: Selector) -> bool {
        self.selectors.contains(s)
    }

    /// Parses a line with [`parse_line`]. In strict mode, it then checks the line
    /// against the settings, and returns the first contradiction with its offset:
    ///
    /// * prefix, both ways: `[pid]` present or missing against `pid`, `.mmm` against
    ///   `millisec`, `±HHMM` against `log_timezone` (every line has a prefix);
    /// * body, one way only: a field or line that needs a selector that is off (the
    ///   evidence rules of [`Selector::inference_rule`]). A missing field is never an
    ///   error: Exim omits `T=` when the message has no subject, `X=` without TLS,
    ///   `QT=` on `**` lines, and so on, so absence proves nothing.
    pub fn parse_line<'a>(&self, line: &'a [u8]) -> Result<LogLine<'a>, ParseError> {
        let parsed = parse_line(line)?;
        if self.strictness == Strictness::Strict {
            self.check(&parsed)?;
        }
        Ok(parsed)
    }

    /// The strict-mode check of an already parsed line.
    pub fn check(&self, line: &LogLine<'_>) -> Result<(), ParseError> {
        let ts = line.timestamp;
        // `YYYY-MM-DD HH:MM:SS` is 19 bytes; `.mmm` and ` ±HHMM` follow (§1.1).
        let after_seconds = 19;
        if ts.millisecond.is_some() != self.expects_millisec() {
            return Err(mismatch(Selector::Millisec, after_seconds));
        }
        let after_ms = after_seconds + if ts.millisecond.is_some() { 4 } else { 0 };
        if let Some(tz) = self.log_timezone
            && ts.utc_offset_minutes.is_some() != tz
        {
            return Err(ParseError::new(ErrorKind::TimezoneMismatch, after_ms));
        }
        let after_ts = after_ms
            + if ts.utc_offset_minutes.is_some() {
                6
            } else {
                0
            };
        if line.pid.is_some() != self.expects_pid() {
            // Point at the `[`, or where it should have been.
            let at = if line.pid.is_some() {
                after_ts + 1
            } else {
                after_ts
            };
            return Err(mismatch(Selector::Pid, at));
        }
        let mut first: Option<(Selector, usize)> = None;
        line_evidence(line, &mut |s, at| {
            if first.is_none() && !self.selectors.contains(s) {
                first = Some((s, at));
            }
        });
        match first {
            Some((s, at)) => Err(mismatch(s, at)),
            None => Ok(()),
        }
    }
}

fn mismatch(s: Selector, at: usize) -> ParseError {
    ParseError::new(ErrorKind::SelectorMismatch(s), at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::type_complexity)]
    fn strict_prefix_checks() {
        use Selector::{Millisec, Pid};
        // (setting, log_timezone, line, expected error (kind, offset))
        let cases: &[(&str, Option<bool>, &str, Option<(ErrorKind, usize)>)] = &[
            ("", None, "2024-05-25 11:10:28 Start queue run: pid=1", None),
            (
                "+pid",
                None,
                "2024-05-25 11:10:28 [12] Start queue run: pid=1",
                None,
            ),
            (
                "+pid",
                None,
                "2024-05-25 11:10:28 Start queue run: pid=1",
                Some((ErrorKind::SelectorMismatch(Pid), 19)),
            ),
            (
                "",
                None,
                "2024-05-25 11:10:28 [12] Start queue run: pid=1",
                Some((ErrorKind::SelectorMismatch(Pid), 20)),
            ),
            (
                "+millisec",
                None,
                "2024-05-25 11:10:28 Start queue run: pid=1",
                Some((ErrorKind::SelectorMismatch(Millisec), 19)),
            ),
            (
                "",
                None,
                "2024-05-25 11:10:28.500 Start queue run: pid=1",
                Some((ErrorKind::SelectorMismatch(Millisec), 19)),
            ),
            (
                "+millisec +pid",
                Some(true),
                "2024-05-25 11:10:28.500 +0100 [7] Start queue run: pid=1",
                None,
            ),
            (
                "+millisec +pid",
                Some(true),
                "2024-05-25 11:10:28.500 +0100 Start queue run: pid=1",
                Some((ErrorKind::SelectorMismatch(Pid), 29)),
            ),
            (
                "",
                Some(true),
                "2024-05-25 11:10:28 Start queue run: pid=1",
                Some((ErrorKind::TimezoneMismatch, 19)),
            ),
            (
                "",
                Some(false),
                "2024-05-25 11:10:28 -0230 Start queue run: pid=1",
                Some((ErrorKind::TimezoneMismatch, 19)),
            ),
        ];
        for (setting, tz, line, want) in cases {
            let mut o = Options::from_setting(setting).unwrap().strict();
            o.log_timezone = *tz;
            let got = o
                .parse_line(line.as_bytes())
                .err()
                .map(|e| (e.kind, e.offset));
            assert_eq!(got, *want, "{setting} | {line}");
            // Lenient mode accepts every one of them.
            o.strictness = Strictness::Lenient;
            assert!(o.parse_line(line.as_bytes()).is_ok(), "{line}");
        }
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn strict_body_checks() {
        use Selector::*;
        let id = "1sAoM5-00000009r3p-06vq";
        // (setting, body after the id, expected mismatching selector and the text at its offset)
        let cases: &[(&str, &str, Option<(Selector, &str)>)] = &[
            (
                "+subject",
                r#"<= a@example.com P=local S=10 T="x RT=1s""#,
                None,
            ),
            (
                "",
                r#"<= a@example.com P=local S=10 T="x""#,
                Some((Subject, "T=")),
            ),
            (
                "",
                "<= a@example.com P=local S=10 for b@example.org",
                Some((ReceivedRecipients, "for")),
            ),
            (
                "",
                "=> b@example.org R=r T=t H=mx.example.org [192.0.2.7] C=\"250 OK\" QT=2s",
                Some((QueueTime, "QT=")),
            ),
            (
                "+queue_time",
                "=> b@example.org R=r T=t H=mx.example.org [192.0.2.7] C=\"250 OK\" QT=2s",
                None,
            ),
            (
                "-smtp_confirmation",
                "=> b@example.org R=r T=t H=mx.example.org [192.0.2.7] C=\"250 OK\"",
                Some((SmtpConfirmation, "C=")),
            ),
            (
                "",
                "=> b@example.org R=r T=t H=mx.example.org [192.0.2.7]:25 C=\"250 OK\"",
                Some((OutgoingPort, "H=")),
            ),
            (
                "",
                "<= a@example.com H=(helo) [192.0.2.1]:5555 P=esmtp S=10",
                Some((IncomingPort, "H=")),
            ),
            (
                "+incoming_port",
                "<= a@example.com H=(helo) [192.0.2.1]:5555 P=esmtp S=10",
                None,
            ),
            ("", "Completed QT=5s", Some((QueueTimeOverall, "Completed"))),
        ];
        for (setting, body, want) in cases {
            let line = format!("2024-05-25 11:10:28 {id} {body}");
            let o = Options::from_setting(setting).unwrap().strict();
            let got = o.parse_line(line.as_bytes()).err().map(|e| {
                let ErrorKind::SelectorMismatch(s) = e.kind else {
                    panic!("{line}: {e}");
                };
                (s, &line[e.offset..])
            });
            match (got, want) {
                (None, None) => {}
                (Some((s, at)), Some((ws, wat))) => {
                    assert_eq!(s, *ws, "{line}");
                    assert!(at.starts_with(wat), "{line}: at {at:?}");
                }
                (g, w) => panic!("{line}: got {g:?}, want {w:?}"),
            }
        }
    }

    #[test]
    fn cwd_line_needs_arguments() {
        let line = b"2024-05-25 11:10:28 cwd=/var/spool/exim 3 args: /usr/sbin/exim -bd -q30m";
        let e = Options::default().strict().parse_line(line).unwrap_err();
        assert_eq!(
            (e.kind, e.offset),
            (ErrorKind::SelectorMismatch(Selector::Arguments), 20)
        );
        assert!(
            Options::from_setting("+arguments")
                .unwrap()
                .strict()
                .parse_line(line)
                .is_ok()
        );
    }
}
