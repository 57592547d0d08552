//! `journalctl -o json` (and `-o json-seq`): one JSON object a line, the
//! journal's fields as its keys, every value a string, except a value that is
//! not UTF-8 (an array of its bytes), a field with several values (an array of
//! them) and a field over 4096 bytes without `journalctl --all` (`null`).
//!
//! Only the fields [`super::Unwrap`] needs are taken: `MESSAGE`,
//! `__REALTIME_TIMESTAMP`, `SYSLOG_IDENTIFIER` (or `_COMM`), `SYSLOG_PID` (or
//! `_PID`). A scanner by hand, not nom or serde_json: the objects are flat, a
//! value is found by looking for its closing quote (`memchr2`), and a string
//! without escapes (an Exim line without `"`) is returned as a slice of the
//! line, decoded only when it has some.

use memchr::memchr2;

/// Nesting deeper than this (the journal writes none) makes a line not a record.
const MAX_DEPTH: usize = 32;

/// The fields of one record that [`super::Unwrap`] uses.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct JsonRecord<'a> {
    /// `MESSAGE`.
    pub message: Option<Value<'a>>,
    /// `__REALTIME_TIMESTAMP`: microseconds since the epoch.
    pub time: Option<u64>,
    /// `SYSLOG_IDENTIFIER`, else `_COMM`.
    pub program: Option<Value<'a>>,
    /// `SYSLOG_PID`, else `_PID`: whose `[n/m]` chunks are joined.
    pub pid: Option<u32>,
}

/// A field's value as the line writes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    /// A string: its bytes between the quotes, escapes not decoded
    /// (`escaped`: it has some).
    Str { raw: &'a [u8], escaped: bool },
    /// An array of numbers: the bytes of a value that is not UTF-8 (the text
    /// between the brackets).
    Bytes(&'a [u8]),
    /// `null` (a field too long for `journalctl` without `--all`), a number,
    /// or another shape.
    Other,
}

impl Value<'_> {
    /// Appends the value's bytes to `out`; `false` for [`Value::Other`].
    pub(crate) fn decode_into(&self, out: &mut Vec<u8>) -> bool {
        match *self {
            Value::Str {
                raw,
                escaped: false,
            } => out.extend_from_slice(raw),
            Value::Str { raw, escaped: true } => unescape(raw, out),
            Value::Bytes(list) => {
                // journalctl writes numbers 0-255 only: anything else (a
                // string, 256, an empty element) is not a value of it.
                for n in list.split(|b| *b == b',') {
                    match crate::parse::fields::number::<u8>(n.trim_ascii()) {
                        Some(b) => out.push(b),
                        None => return false,
                    }
                }
            }
            Value::Other => return false,
        }
        true
    }
}

/// Is `line` (its first bytes are enough) a `journalctl -o json` record?
pub(crate) fn is_record(line: &[u8]) -> bool {
    let body = start(line);
    body.starts_with(b"{\"")
        && (memchr::memmem::find(body, b"\"__REALTIME_TIMESTAMP\"").is_some()
            || memchr::memmem::find(body, b"\"__CURSOR\"").is_some()
            || memchr::memmem::find(body, b"\"MESSAGE\"").is_some())
}

/// The line without `json-seq`'s record separator and leading blanks.
fn start(line: &[u8]) -> &[u8] {
    let line = line.trim_ascii_start();
    line.strip_prefix(b"\x1e")
        .unwrap_or(line)
        .trim_ascii_start()
}

/// The record of one line; `None` when it is not a JSON object.
pub(crate) fn record(line: &[u8]) -> Option<JsonRecord<'_>> {
    let mut s = Scan {
        b: start(line),
        i: 0,
    };
    let mut rec = JsonRecord::default();
    let mut comm = None;
    s.expect(b'{')?;
    if s.eat(b'}') {
        return Some(rec);
    }
    loop {
        let (key, _) = s.string()?;
        s.expect(b':')?;
        let value = s.value()?;
        match key {
            b"MESSAGE" => {
                rec.message.get_or_insert(value);
            }
            b"__REALTIME_TIMESTAMP" => {
                if let Value::Str { raw, .. } = value {
                    rec.time = rec.time.or(crate::parse::fields::number(raw));
                }
            }
            b"SYSLOG_IDENTIFIER" => {
                rec.program.get_or_insert(value);
            }
            b"_COMM" => comm = comm.or(Some(value)),
            b"SYSLOG_PID" | b"_PID" => {
                if let Value::Str { raw, .. } = value
                    && let Some(n) = crate::parse::fields::number(raw)
                {
                    // The process's own id first (`_PID` may be the journal's
                    // view of a forked child's).
                    if key == b"SYSLOG_PID" || rec.pid.is_none() {
                        rec.pid = Some(n);
                    }
                }
            }
            _ => {}
        }
        if s.eat(b',') {
            continue;
        }
        s.expect(b'}')?;
        break;
    }
    rec.program = rec.program.or(comm);
    Some(rec)
}

/// A position in the bytes of one line.
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    fn peek(&mut self) -> Option<u8> {
        while let Some(c) = self.b.get(self.i) {
            if !c.is_ascii_whitespace() {
                return Some(*c);
            }
            self.i += 1;
        }
        None
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// A string: its raw bytes and whether it has escapes.
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        self.expect(b'"')?;
        let from = self.i;
        let mut escaped = false;
        loop {
            let rest = self.b.get(self.i..)?;
            let k = memchr2(b'"', b'\\', rest)?;
            if rest.get(k) == Some(&b'"') {
                let raw = self.b.get(from..self.i + k)?;
                self.i += k + 1;
                return Some((raw, escaped));
            }
            escaped = true;
            // The backslash and the character it escapes.
            self.i += k + 2;
        }
    }

    /// A value: a string, the first string or the bytes of an array, or
    /// anything else skipped.
    fn value(&mut self) -> Option<Value<'a>> {
        match self.peek()? {
            b'"' => {
                let (raw, escaped) = self.string()?;
                Some(Value::Str { raw, escaped })
            }
            b'[' => {
                // `peek` left the position on the bracket.
                let open = self.i;
                self.i += 1;
                let first = self.peek();
                self.i = open;
                match first {
                    Some(b'0'..=b'9') => {
                        self.skip()?;
                        // Between the brackets.
                        Some(Value::Bytes(
                            self.b.get(open + 1..self.i.saturating_sub(1))?,
                        ))
                    }
                    Some(b'"') => {
                        // Several values: the first.
                        self.i = open + 1;
                        let (raw, escaped) = self.string()?;
                        self.i = open;
                        self.skip()?;
                        Some(Value::Str { raw, escaped })
                    }
                    _ => {
                        self.skip()?;
                        Some(Value::Other)
                    }
                }
            }
            _ => {
                self.skip()?;
                Some(Value::Other)
            }
        }
    }

    /// Skips one value of any shape (nested at most [`MAX_DEPTH`] deep).
    fn skip(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return None;
                    }
                    self.i += 1;
                }
                b']' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    self.i += 1;
                }
                b',' | b':' if depth > 0 => self.i += 1,
                _ => {
                    // A number, `true`, `false` or `null`.
                    let rest = self.b.get(self.i..)?;
                    let n = rest
                        .iter()
                        .position(|c| {
                            matches!(c, b',' | b']' | b'}' | b':') || c.is_ascii_whitespace()
                        })
                        .unwrap_or(rest.len());
                    if n == 0 {
                        return None;
                    }
                    self.i += n;
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }
}

/// Decodes the escapes of a JSON string's bytes into `out` (a lone or
/// malformed `\u` surrogate becomes U+FFFD, as a lossy decoder gives it).
fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(rest) = raw.get(i..).filter(|r| !r.is_empty()) {
        let Some(k) = memchr::memchr(b'\\', rest) else {
            out.extend_from_slice(rest);
            return;
        };
        out.extend_from_slice(rest.get(..k).unwrap_or_default());
        i += k + 1;
        let Some(&c) = raw.get(i) else { return };
        i += 1;
        let byte = match c {
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'b' => 8,
            b'f' => 12,
            b'u' => {
                let (ch, used) = unicode(raw.get(i..).unwrap_or_default());
                i += used;
                let mut utf8 = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
                continue;
            }
            // `"`, `\`, `/` and anything else: itself.
            other => other,
        };
        out.push(byte);
    }
}

/// The character of `XXXX` (after `\u`), joined with a following
/// `\uXXXX` low surrogate; the bytes used.
fn unicode(rest: &[u8]) -> (char, usize) {
    let hex = |b: Option<&[u8]>| {
        b.and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let Some(hi) = hex(rest.get(..4)) else {
        return (char::REPLACEMENT_CHARACTER, 0);
    };
    if (0xD800..0xDC00).contains(&hi)
        && rest.get(4..6) == Some(b"\\u")
        && let Some(lo) = hex(rest.get(6..10)).filter(|lo| (0xDC00..0xE000).contains(lo))
    {
        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        return (char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER), 10);
    }
    (char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER), 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(line: &str) -> Option<Vec<u8>> {
        let rec = record(line.as_bytes())?;
        let mut out = Vec::new();
        rec.message?.decode_into(&mut out).then_some(out)
    }

    #[test]
    fn fields_of_a_record() {
        let line = r#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1765101600123456","_PID":"812","_COMM":"exim4","SYSLOG_IDENTIFIER":"exim","MESSAGE":"2026-12-07 10:00:00 Start queue run: pid=812","_HOSTNAME":"mx1"}"#;
        let rec = record(line.as_bytes()).unwrap();
        assert_eq!(rec.time, Some(1_765_101_600_123_456));
        assert_eq!(rec.pid, Some(812));
        // SYSLOG_PID (the sender's own) before _PID, in either order.
        for line in [
            r#"{"_PID":"2","SYSLOG_PID":"1","MESSAGE":"x"}"#,
            r#"{"SYSLOG_PID":"1","_PID":"2","MESSAGE":"x"}"#,
        ] {
            assert_eq!(record(line.as_bytes()).unwrap().pid, Some(1), "{line}");
        }
        assert_eq!(
            rec.program,
            Some(Value::Str {
                raw: b"exim",
                escaped: false
            })
        );
        assert_eq!(
            rec.message,
            Some(Value::Str {
                raw: b"2026-12-07 10:00:00 Start queue run: pid=812",
                escaped: false
            })
        );
        // `_COMM` when there is no `SYSLOG_IDENTIFIER`.
        let rec = record(br#"{"_COMM":"exim4","MESSAGE":"x"}"#).unwrap();
        assert_eq!(
            rec.program,
            Some(Value::Str {
                raw: b"exim4",
                escaped: false
            })
        );
    }

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(
            message(r#"{"MESSAGE":"C=\"250 OK\" T=\"a\\b\/c\" \u00e9\ud83d\ude00\n\t"}"#).unwrap(),
            "C=\"250 OK\" T=\"a\\b/c\" é😀\n\t".as_bytes()
        );
        // A lone surrogate, a short or bad \u: U+FFFD.
        assert_eq!(
            message(r#"{"MESSAGE":"a\ud800b\u12"}"#).unwrap(),
            "a\u{FFFD}b\u{FFFD}12".as_bytes()
        );
    }

    #[test]
    fn bytes_and_several_values() {
        // Not UTF-8: an array of its bytes.
        assert_eq!(
            message(r#"{"MESSAGE":[84,61,34,233,34]}"#).unwrap(),
            b"T=\"\xe9\""
        );
        // Several values: the first.
        assert_eq!(
            message(r#"{"MESSAGE":["first","second"],"X":[[1],{"a":[2]}]}"#).unwrap(),
            b"first"
        );
        // Arrays journalctl does not write: not a value.
        for odd in [r#"[65,"x"]"#, "[65,256]", "[65,,66]", "[65,]"] {
            let line = format!(r#"{{"MESSAGE":{odd}}}"#);
            assert_eq!(message(&line), None, "{line}");
        }
        assert_eq!(message(r#"{"MESSAGE":[ 65 , 66 ]}"#).unwrap(), b"AB");
        // Too long for journalctl without --all.
        assert_eq!(message(r#"{"MESSAGE":null}"#), None);
        assert_eq!(
            record(br#"{"MESSAGE":null}"#).unwrap().message,
            Some(Value::Other)
        );
    }

    #[test]
    fn json_seq_and_blanks() {
        assert_eq!(message("\x1e{ \"MESSAGE\" : \"a b\" }").unwrap(), b"a b");
        assert!(is_record(b"\x1e{\"__CURSOR\":\"s\"}"));
        assert!(!is_record(b"2026-12-07 10:00:00 {\"MESSAGE\":1}"));
    }

    #[test]
    fn not_records() {
        for bad in [
            "",
            "{",
            "{\"MESSAGE\"",
            "{\"MESSAGE\":\"unterminated}",
            "{\"MESSAGE\":\"x\" \"Y\":1}",
            "{\"A\":[1,2}",
            "{\"A\":}",
            "[1]",
            "{\"MESSAGE\":\"x\\",
        ] {
            assert_eq!(record(bad.as_bytes()), None, "{bad:?}");
        }
        let deep = format!("{{\"A\":{}{}}}", "[".repeat(40), "]".repeat(40));
        assert_eq!(record(deep.as_bytes()), None);
        let ok = format!("{{\"A\":{}{}}}", "[".repeat(20), "]".repeat(20));
        assert!(record(ok.as_bytes()).is_some());
    }
}
