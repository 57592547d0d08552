//! Parsing a `log_selector` setting like Exim's `log.c decode_bits`
//! (exim-log-format.md §9.1), after the config reader's line joining
//! (`readconf.c get_config_line`).
//!
//! The grammar is written as nom combinators, one function per production:
//!
//! ```text
//! option-line = [blank] "log_selector" *(SP / TAB) "=" setting   ; or a bare setting
//! setting     = numeric-form / *(blank item) [blank]
//! numeric-form = "=" *any                                         ; Exim's re-exec form
//! item        = sign name
//! sign        = "+" / "-"
//! name        = *(ALPHA / DIGIT / "_")
//! ```
//!
//! The nom error type stays inside this module: the public error is
//! [`SelectorError`] (a kind, an offset into the input, the text found).

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while};
use nom::combinator::{eof, opt, value};
use nom::sequence::preceded;
use nom::{IResult, Parser};
use thiserror::Error;

use super::{ALL_BITS, DEFAULT_BITS, LogSelector, Selector, TABLE};

/// What is wrong with a `log_selector` setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SelectorErrorKind {
    /// An item does not start with `+` or `-` (Exim: `malformed log_selector list
    /// (+ or - expected but found "...")`).
    ExpectedSign,
    /// The name after `+`/`-` is not a selector (Exim: `unknown log_selector setting:
    /// +name`). Names are case-sensitive.
    UnknownName,
    /// The internal `=<number>` form Exim uses on re-exec. Its bit numbers depend on
    /// the Exim build, so it is not decoded.
    NumericForm,
    /// Text on a further line that is not a continuation (the previous line does not
    /// end with a backslash): for Exim that would be another option.
    TrailingLine,
}

impl SelectorErrorKind {
    /// The stable `snake_case` name of the kind, as the command-line programs and
    /// the Python `ParseError.kind` attribute show it (like [`crate::Event::name`]).
    ///
    /// ```
    /// use exim_log::LogSelector;
    /// let e = LogSelector::parse("+no_such_thing").unwrap_err();
    /// assert_eq!(e.kind().name(), "unknown_name");
    /// ```
    pub const fn name(&self) -> &'static str {
        match self {
            SelectorErrorKind::ExpectedSign => "expected_sign",
            SelectorErrorKind::UnknownName => "unknown_name",
            SelectorErrorKind::NumericForm => "numeric_form",
            SelectorErrorKind::TrailingLine => "trailing_line",
        }
    }

    /// A short human description.
    pub const fn description(&self) -> &'static str {
        match self {
            SelectorErrorKind::ExpectedSign => "+ or - expected",
            SelectorErrorKind::UnknownName => "unknown log_selector setting",
            SelectorErrorKind::NumericForm => "internal numeric (=N) log_selector form",
            SelectorErrorKind::TrailingLine => "text after the end of the setting",
        }
    }
}

/// An error in a `log_selector` setting: its kind, the byte offset into the input,
/// what was found there and, for an unknown name, the closest valid name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Error)]
#[error("{} at byte {}", self.message(), self.offset)]
pub struct SelectorError {
    kind: SelectorErrorKind,
    offset: usize,
    found: Box<str>,
    suggestion: Option<&'static str>,
}

impl SelectorError {
    /// What went wrong.
    pub fn kind(&self) -> SelectorErrorKind {
        self.kind
    }

    /// Byte offset into the parsed input: the first byte of the unknown name, or of
    /// the item that lacks a sign.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The offending text: the unknown name (without its sign), or the token found
    /// where a sign was expected (up to the next white space, at most 40 bytes).
    pub fn found(&self) -> &str {
        &self.found
    }

    /// For [`SelectorErrorKind::UnknownName`]: the valid name (or `all`) at the
    /// smallest edit distance from [`SelectorError::found`].
    pub fn suggestion(&self) -> Option<&'static str> {
        self.suggestion
    }

    /// The message without the position, in Exim's wording where it has one.
    pub fn message(&self) -> String {
        match self.kind {
            SelectorErrorKind::ExpectedSign => {
                format!("+ or - expected but found \"{}\"", self.found)
            }
            SelectorErrorKind::UnknownName => match self.suggestion {
                Some(s) => format!(
                    "unknown log_selector setting: \"{}\" (closest valid name: {s})",
                    self.found
                ),
                None => format!("unknown log_selector setting: \"{}\"", self.found),
            },
            k => k.description().to_owned(),
        }
    }
}

/// The setting after line joining, with the input offset of every byte.
struct Joined {
    bytes: Vec<u8>,
    origin: Vec<usize>,
    /// Input offset just past the value (for errors at its end).
    end: usize,
    /// Offset of the first non-blank byte of a line after the value, if any.
    trailing: Option<usize>,
}

impl Joined {
    fn origin(&self, i: usize) -> usize {
        self.origin.get(i).copied().unwrap_or(self.end)
    }
}

/// Exim's `isspace` in the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Where a production failed, and why; mapped to [`SelectorError`] at the edge.
#[derive(Debug, PartialEq)]
struct Syntax<'a> {
    /// The input at the failure.
    at: &'a [u8],
    kind: SelectorErrorKind,
}

impl<'a> nom::error::ParseError<&'a [u8]> for Syntax<'a> {
    fn from_error_kind(at: &'a [u8], _: nom::error::ErrorKind) -> Self {
        // Every failing production of a setting is a place where an item (a sign)
        // was expected.
        Syntax {
            at,
            kind: SelectorErrorKind::ExpectedSign,
        }
    }

    fn append(_: &'a [u8], _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type Res<'a, T> = IResult<&'a [u8], T, Syntax<'a>>;

/// `blank`: white space as Exim's `isspace` sees it (the joined setting may still
/// hold a newline only if the input had a lone `\r`).
fn blank(i: &[u8]) -> Res<'_, &[u8]> {
    take_while(is_space)(i)
}

/// `option-line` up to the value: `[blank] log_selector *(SP / TAB) =`.
fn option_name(i: &[u8]) -> Res<'_, ()> {
    value(
        (),
        (
            blank,
            tag(&b"log_selector"[..]),
            take_while(|b| matches!(b, b' ' | b'\t')),
            tag(&b"="[..]),
        ),
    )
    .parse(i)
}

/// Skips `log_selector =` when the input is a whole option line.
fn value_start(input: &[u8]) -> usize {
    match option_name(input) {
        Ok((after, ())) => input.len() - after.len(),
        Err(_) => 0,
    }
}

/// `sign`: `true` for `+` (add), `false` for `-` (remove).
fn sign(i: &[u8]) -> Res<'_, bool> {
    alt((value(true, tag(&b"+"[..])), value(false, tag(&b"-"[..])))).parse(i)
}

/// `name`: the selector name after the sign, possibly empty (`+ pid` names nothing,
/// which is an unknown name, as Exim says).
fn name(i: &[u8]) -> Res<'_, &[u8]> {
    take_while(|b: u8| b.is_ascii_alphanumeric() || b == b'_')(i)
}

/// One `item`: a sign and a name.
#[derive(Debug, PartialEq)]
struct Item<'a> {
    add: bool,
    name: &'a [u8],
}

/// `item = sign name`.
fn item(i: &[u8]) -> Res<'_, Item<'_>> {
    (sign, name).map(|(add, name)| Item { add, name }).parse(i)
}

/// `numeric-form`: the internal `=N` form Exim passes on re-exec.
fn numeric_form(i: &[u8]) -> Res<'_, ()> {
    match tag::<_, _, Syntax<'_>>(&b"="[..]).parse(i) {
        Ok(_) => Err(nom::Err::Failure(Syntax {
            at: i,
            kind: SelectorErrorKind::NumericForm,
        })),
        Err(e) => Err(e),
    }
}

/// `setting = numeric-form / *(blank item) [blank]`, to the end of the input.
/// Each item goes to `each` as soon as it is read, so the first problem from the
/// left is the one reported, whether a bad name (from `each`) or a missing sign.
fn setting<'a>(
    i: &'a [u8],
    mut each: impl FnMut(Item<'a>) -> Result<(), Syntax<'a>>,
) -> Res<'a, ()> {
    let (mut i, _) = opt(numeric_form).parse(i)?;
    loop {
        match preceded(blank, item).parse(i) {
            Ok((rest, it)) => {
                each(it).map_err(nom::Err::Failure)?;
                i = rest;
            }
            Err(nom::Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    value((), (blank, eof)).parse(i)
}

/// Joins backslash-continued lines like Exim's config reader: trailing white space
/// of a line is dropped; a line ending in `\` continues on the next line, whose
/// leading white space is dropped; comment lines (`#` first) inside a continuation
/// are skipped (spec "Configuration file format").
fn join(input: &[u8]) -> Joined {
    let mut bytes = Vec::with_capacity(input.len());
    let mut origin = Vec::with_capacity(input.len());
    let mut pos = value_start(input);
    let mut continuation = false;
    let mut end = input.len();
    let mut trailing = None;
    while pos <= input.len() {
        let line_end = input
            .get(pos..)
            .and_then(|r| memchr::memchr(b'\n', r))
            .map_or(input.len(), |n| pos + n);
        let line = input.get(pos..line_end).unwrap_or_default();
        let next = line_end + 1;
        let lead = if continuation {
            line.iter().take_while(|b| is_space(**b)).count()
        } else {
            0
        };
        let body = line.get(lead..).unwrap_or_default();
        if continuation && body.first() == Some(&b'#') {
            pos = next;
            continue;
        }
        let trimmed = body.len() - body.iter().rev().take_while(|b| is_space(**b)).count();
        let body = body.get(..trimmed).unwrap_or_default();
        let (body, more) = match body.strip_suffix(b"\\") {
            Some(b) => (b, true),
            None => (body, false),
        };
        let start = pos + lead;
        bytes.extend_from_slice(body);
        origin.extend(start..start + body.len());
        end = start + body.len();
        continuation = more;
        pos = next;
        if !more {
            break;
        }
    }
    // Anything but white space after the value's last line is another option line.
    if let Some(rest) = input.get(pos..)
        && let Some(n) = rest.iter().position(|b| !is_space(*b))
    {
        trailing = Some(pos + n);
    }
    Joined {
        bytes,
        origin,
        end,
        trailing,
    }
}

/// Levenshtein distance (two rows).
fn distance(a: &[u8], b: &[u8]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(c) = cur.first_mut() {
            *c = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let del = prev.get(j + 1).copied().unwrap_or(usize::MAX);
            let ins = cur.get(j).copied().unwrap_or(usize::MAX);
            let sub = prev.get(j).copied().unwrap_or(usize::MAX);
            let v = (del.saturating_add(1))
                .min(ins.saturating_add(1))
                .min(sub.saturating_add(usize::from(ca != cb)));
            if let Some(c) = cur.get_mut(j + 1) {
                *c = v;
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// The valid item name closest to `name` (ties: table order; `all` last).
pub(super) fn closest(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return None;
    }
    // Compare case-insensitively, so `PID` suggests `pid`.
    let lower = name.to_ascii_lowercase();
    TABLE
        .iter()
        .map(|r| r.name)
        .chain(std::iter::once("all"))
        .min_by_key(|n| distance(lower.as_bytes(), n.as_bytes()))
}

/// Parses a setting (see [`LogSelector::parse`]).
pub(super) fn parse(input: &str) -> Result<LogSelector, SelectorError> {
    let joined = join(input.as_bytes());
    let s = joined.bytes.as_slice();
    let err = |kind, at: usize, found: &[u8], suggestion| SelectorError {
        kind,
        offset: joined.origin(at),
        found: String::from_utf8_lossy(found).into(),
        suggestion,
    };
    // Where a slice of the joined setting starts in it.
    let at = |part: &[u8]| (part.as_ptr() as usize).saturating_sub(s.as_ptr() as usize);
    let mut bits = DEFAULT_BITS;
    let apply = |Item { add, name }| {
        // Only ASCII name bytes were taken: always valid UTF-8.
        match std::str::from_utf8(name).unwrap_or_default() {
            // `log_notall` is empty: `+all` sets every bit, `-all` clears the defaults too.
            "all" => bits = if add { ALL_BITS } else { 0 },
            n => match Selector::from_name(n) {
                Some(sel) if add => bits |= sel.bit(),
                Some(sel) => bits &= !sel.bit(),
                None => {
                    return Err(Syntax {
                        at: name,
                        kind: SelectorErrorKind::UnknownName,
                    });
                }
            },
        }
        Ok(())
    };
    match setting(s, apply) {
        Ok(_) => {}
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
            let (found, suggestion) = match e.kind {
                SelectorErrorKind::NumericForm => (e.at, None),
                SelectorErrorKind::UnknownName => {
                    (e.at, closest(std::str::from_utf8(e.at).unwrap_or_default()))
                }
                // The token found where a sign was expected, as Exim quotes it.
                _ => {
                    let tok = e.at.iter().take_while(|b| !is_space(**b)).count();
                    (e.at.get(..tok.min(40)).unwrap_or_default(), None)
                }
            };
            return Err(err(e.kind, at(e.at), found, suggestion));
        }
        // Complete parsers never ask for more input.
        Err(nom::Err::Incomplete(_)) => {
            return Err(err(SelectorErrorKind::ExpectedSign, 0, s, None));
        }
    }
    if let Some(at) = joined.trailing {
        let rest = input.as_bytes().get(at..).unwrap_or_default();
        let tok = rest.iter().take_while(|b| !is_space(**b)).count().min(40);
        return Err(SelectorError {
            kind: SelectorErrorKind::TrailingLine,
            offset: at,
            found: String::from_utf8_lossy(rest.get(..tok).unwrap_or_default()).into(),
            suggestion: None,
        });
    }
    Ok(LogSelector(bits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Selector::*;

    fn set(on: &[Selector]) -> LogSelector {
        on.iter().copied().collect()
    }

    fn defaults_plus(add: &[Selector], remove: &[Selector]) -> LogSelector {
        let mut s = LogSelector::default();
        add.iter().for_each(|x| {
            s.insert(*x);
        });
        remove.iter().for_each(|x| {
            s.remove(*x);
        });
        s
    }

    #[test]
    fn ordering_rules() {
        let cases: [(&str, LogSelector); 12] = [
            ("", LogSelector::default()),
            ("   ", LogSelector::default()),
            ("-all +pid", set(&[Pid])),
            ("+pid -all", LogSelector::empty()),
            ("-all", LogSelector::empty()),
            ("+all", LogSelector::all()),
            ("+all -subject", {
                let mut s = LogSelector::all();
                s.remove(Subject);
                s
            }),
            ("-subject +all", LogSelector::all()),
            ("+pid +pid +pid", defaults_plus(&[Pid], &[])),
            ("+pid -pid", LogSelector::default()),
            ("-pid +pid", defaults_plus(&[Pid], &[])),
            (
                "-tls_cipher +tls_cipher -tls_cipher",
                defaults_plus(&[], &[TlsCipher]),
            ),
        ];
        for (input, expected) in cases {
            let got = LogSelector::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(got, expected, "{input}");
        }
    }

    #[test]
    fn white_space_between_items_is_optional() {
        let cases: &[(&str, &[Selector], &[Selector])] = &[
            ("+pid+millisec", &[Pid, Millisec], &[]),
            (
                "+incoming_interface+incoming_port",
                &[IncomingInterface, IncomingPort],
                &[],
            ),
            (
                "+received_recipients-msg_id",
                &[ReceivedRecipients],
                &[MsgId],
            ),
            ("\t+pid \t -dkim\t", &[Pid], &[Dkim]),
            (
                "+rejected_headers -rejected_headers",
                &[],
                &[RejectedHeader],
            ),
        ];
        for (input, add, remove) in cases {
            let got = LogSelector::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(got, defaults_plus(add, remove), "{input}");
        }
    }

    #[test]
    fn option_lines_and_continuations() {
        let want = defaults_plus(&[Arguments, Subject, ReceivedRecipients], &[]);
        let cases = [
            "log_selector = +arguments +subject +received_recipients",
            "  log_selector=+arguments +subject +received_recipients  \n",
            "log_selector = +arguments \\\n   +subject \\\n\t+received_recipients",
            "log_selector = +arguments \\\r\n   +subject \\  \r\n +received_recipients\r\n",
            // A name split by a continuation is joined (leading white space dropped).
            "log_selector = +argu\\\n      ments +subject +received_recipients",
            // A comment line inside a continuation is skipped.
            "log_selector = +arguments \\\n# +pid \\\n  +subject +received_recipients",
            "+arguments +subject +received_recipients\n\n",
        ];
        for input in cases {
            let got = LogSelector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn errors_have_positions() {
        // (input, kind, offset, found, suggestion)
        let cases: &[(&str, SelectorErrorKind, usize, &str, Option<&str>)] = &[
            (
                "+pid +subjct",
                SelectorErrorKind::UnknownName,
                6,
                "subjct",
                Some("subject"),
            ),
            (
                "+foo",
                SelectorErrorKind::UnknownName,
                1,
                "foo",
                Some("pid"),
            ),
            (
                "+PID",
                SelectorErrorKind::UnknownName,
                1,
                "PID",
                Some("pid"),
            ),
            ("-al", SelectorErrorKind::UnknownName, 1, "al", Some("all")),
            (
                "+tod_log",
                SelectorErrorKind::UnknownName,
                1,
                "tod_log",
                Some("tls_sni"),
            ),
            (
                "+received_recipient",
                SelectorErrorKind::UnknownName,
                1,
                "received_recipient",
                Some("received_recipients"),
            ),
            ("+", SelectorErrorKind::UnknownName, 1, "", None),
            ("+ pid", SelectorErrorKind::UnknownName, 1, "", None),
            ("pid", SelectorErrorKind::ExpectedSign, 0, "pid", None),
            (
                "+pid millisec",
                SelectorErrorKind::ExpectedSign,
                5,
                "millisec",
                None,
            ),
            (
                "+pid,+millisec",
                SelectorErrorKind::ExpectedSign,
                4,
                ",+millisec",
                None,
            ),
            (
                "+smtp_no_mail LOG_SELECTOR",
                SelectorErrorKind::ExpectedSign,
                14,
                "LOG_SELECTOR",
                None,
            ),
            (
                "log_selector = +pid +subjct",
                SelectorErrorKind::UnknownName,
                21,
                "subjct",
                Some("subject"),
            ),
            // Offsets point into the input, across continuation lines.
            (
                "log_selector = +pid \\\n    +subjekt",
                SelectorErrorKind::UnknownName,
                27,
                "subjekt",
                Some("subject"),
            ),
            ("=12345", SelectorErrorKind::NumericForm, 0, "=12345", None),
            // The numeric form is the whole setting (Exim reads it with strtoul to
            // the end, log.c decode_bits), so the whole setting is what was found.
            (
                "=12345 +pid",
                SelectorErrorKind::NumericForm,
                0,
                "=12345 +pid",
                None,
            ),
            (
                "+pid\n+subject",
                SelectorErrorKind::TrailingLine,
                5,
                "+subject",
                None,
            ),
        ];
        for (input, kind, offset, found, suggestion) in cases {
            let e = LogSelector::parse(input).expect_err(input);
            assert_eq!(
                (e.kind(), e.offset(), e.found(), e.suggestion()),
                (*kind, *offset, *found, *suggestion),
                "{input:?}"
            );
            assert!(e.offset() <= input.len());
        }
    }

    #[test]
    fn error_messages_use_exim_wording() {
        let e = LogSelector::parse("+pid millisec").expect_err("no sign");
        assert_eq!(
            e.to_string(),
            "+ or - expected but found \"millisec\" at byte 5"
        );
        let e = LogSelector::parse("+subjct").expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "unknown log_selector setting: \"subjct\" (closest valid name: subject) at byte 1"
        );
    }

    /// Each kind has its stable name (what the CLI and Python's
    /// `ParseError.kind` show) and a description; the first two in Exim's own
    /// words (readconf.c: "+ or - expected", "unknown log_selector setting").
    #[test]
    fn kinds_have_names_and_descriptions() {
        let kind = |s: &str| LogSelector::parse(s).expect_err(s).kind();
        let cases = [
            ("+pid millisec", "expected_sign", "+ or - expected"),
            ("+subjct", "unknown_name", "unknown log_selector setting"),
            ("=123", "numeric_form", ""),
            ("+pid\nfoo", "trailing_line", ""),
        ];
        let mut descriptions = Vec::new();
        for (input, name, words) in cases {
            let k = kind(input);
            assert_eq!(k.name(), name, "{input:?}");
            assert!(k.description().starts_with(words), "{input:?}");
            assert!(!k.description().is_empty(), "{input:?}");
            descriptions.push(k.description());
        }
        descriptions.sort_unstable();
        descriptions.dedup();
        assert_eq!(descriptions.len(), 4, "one description a kind");
    }

    #[test]
    fn productions() {
        assert_eq!(sign(b"+pid"), Ok((&b"pid"[..], true)));
        assert_eq!(sign(b"-pid"), Ok((&b"pid"[..], false)));
        assert!(sign(b"pid").is_err());
        assert_eq!(name(b"tls_sni +pid"), Ok((&b" +pid"[..], &b"tls_sni"[..])));
        assert_eq!(name(b" pid"), Ok((&b" pid"[..], &b""[..])));
        assert_eq!(
            item(b"-retry_defer+pid"),
            Ok((
                &b"+pid"[..],
                Item {
                    add: false,
                    name: b"retry_defer"
                }
            ))
        );
        assert_eq!(
            option_name(b" log_selector\t= +pid"),
            Ok((&b" +pid"[..], ()))
        );
        assert!(option_name(b"log_selectors = +pid").is_err());
        assert!(option_name(b"+pid").is_err());
        let items = |i| {
            let mut v = Vec::new();
            setting(i, |it| {
                v.push((it.add, it.name));
                Ok(())
            })
            .map(|_| v)
        };
        assert_eq!(
            items(b" +pid\t-all +subject "),
            Ok(vec![
                (true, &b"pid"[..]),
                (false, b"all"),
                (true, b"subject")
            ])
        );
        assert_eq!(items(b""), Ok(vec![]));
        // The failure points at the token that lacks a sign.
        let Err(nom::Err::Error(e)) = items(b"+pid x+y") else {
            panic!("no error")
        };
        assert_eq!(
            (e.at, e.kind),
            (&b"x+y"[..], SelectorErrorKind::ExpectedSign)
        );
        let Err(nom::Err::Failure(e)) = items(b"=42") else {
            panic!("no failure")
        };
        assert_eq!(e.kind, SelectorErrorKind::NumericForm);
        // What `each` refuses stops the parse there.
        let refused = setting(b"+a +b c", |it| match it.name {
            b"b" => Err(Syntax {
                at: it.name,
                kind: SelectorErrorKind::UnknownName,
            }),
            _ => Ok(()),
        });
        assert!(matches!(
            refused,
            Err(nom::Err::Failure(Syntax { at: b"b", .. }))
        ));
    }

    #[test]
    fn levenshtein() {
        let cases = [
            ("", "", 0),
            ("abc", "", 3),
            ("", "abc", 3),
            ("kitten", "sitting", 3),
            ("pid", "pid", 0),
            ("subjct", "subject", 1),
            ("flaw", "lawn", 2),
            // One letter too many at the end: a deletion in the last column.
            ("ca", "c", 1),
            ("subjects", "subject", 1),
        ];
        for (a, b, d) in cases {
            assert_eq!(distance(a.as_bytes(), b.as_bytes()), d, "{a} {b}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut state = 0x1234_5678_9ABC_DEF1u64;
        let alphabet = b"+- \t\\\n#=_apidlx9\xc3\xa9";
        for _ in 0..3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let mut s = Vec::new();
            let mut x = state;
            for _ in 0..len {
                s.push(alphabet[(x % alphabet.len() as u64) as usize]);
                x = x.rotate_left(7) ^ 0x9E37_79B9;
            }
            let text = String::from_utf8_lossy(&s);
            if let Err(e) = LogSelector::parse(&text) {
                assert!(e.offset() <= text.len(), "{text:?}");
            }
        }
    }
}
