//! Hostile input shapes (issue "Fuzzing in CI and hardening"): each must give a
//! result or a clear error, never a panic, and keep the fuzz invariants
//! (`fuzz/src/lib.rs`). Sizes are large enough that a quadratic path would show
//! up as a very slow test, but nothing here measures time: the size/time
//! linearity check is a benchmark, not a test.

#[allow(dead_code)]
// not every check is used here
// The fuzz crate's checks, through a symlink so that the packaged crate has them.
#[path = "fuzz_checks/mod.rs"]
mod invariants;

use exim_log::{
    ErrorKind, Escaping, LogLine, LogSelector, MessageId, Quoted, Received, parse_line,
};

const TS: &str = "2024-05-25 10:10:28 ";
const ID: &str = "1sAoM5-00000009r3p-06vq";

fn line_of(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Parses `input` as a line, runs every line invariant, and returns the result.
fn parse_checked(input: &[u8]) -> Result<LogLine<'_>, exim_log::ParseError> {
    invariants::check_line(input);
    invariants::check_differential(input);
    parse_line(input)
}

fn ok(input: &[u8]) -> LogLine<'_> {
    parse_checked(input).unwrap_or_else(|e| panic!("expected a line, got {e}"))
}

fn err(input: &[u8]) -> (ErrorKind, usize) {
    match parse_checked(input) {
        Ok(l) => panic!("expected an error, got {:?}", l.event.name()),
        Err(e) => (e.kind, e.offset),
    }
}

#[test]
fn ten_megabyte_line() {
    let big = vec![b'a'; 10 << 20];
    // An arrival whose sender is 10 MB long.
    let line = line_of(&[TS.as_bytes(), ID.as_bytes(), b" <= ", &big, b" S=1"]);
    let l = ok(&line);
    assert_eq!(l.message_id.map(|m| m.as_str()), Some(ID));
    assert_eq!(l.raw.len(), line.len());
    // A 10 MB subject that never closes its quote.
    let line = line_of(&[TS.as_bytes(), ID.as_bytes(), b" <= a@b.example T=\"", &big]);
    assert_eq!(ok(&line).raw.len(), line.len());
    // 10 MB without a timestamp: a clear error at byte 0.
    assert_eq!(err(&big), (ErrorKind::Timestamp, 0));
    // The same as a buffer: one line in, one result out.
    invariants::check_buffer(&big);
}

#[test]
fn hundred_thousand_fields() {
    let mut line = format!("{TS}{ID} <= sender@example.com H=mail.example.com [192.0.2.1]");
    for i in 0..100_000 {
        line.push_str(&format!(" X{i}=v{i}"));
    }
    let l = ok(line.as_bytes());
    assert_eq!(l.raw.len(), line.len());

    // A delivery line with 100,000 known tags repeated.
    let mut line = format!("{TS}{ID} => user@example.com R=dnslookup T=remote_smtp");
    for _ in 0..100_000 {
        line.push_str(" H=mx.example.com [192.0.2.2] C=\"250 OK\" QT=1s");
    }
    assert_eq!(ok(line.as_bytes()).raw.len(), line.len());

    // A `+received_recipients` list of 100,000 addresses.
    let mut line = format!("{TS}{ID} <= a@example.com P=esmtp S=10 for");
    for i in 0..100_000 {
        line.push_str(&format!(" r{i}@example.com"));
    }
    ok(line.as_bytes());
}

#[test]
fn unbalanced_quotes_and_parentheses() {
    let bodies: &[&str] = &[
        "<= a@b.example H=(helo.example [192.0.2.1] P=esmtp S=1",
        "<= a@b.example H=((((( [192.0.2.1] P=esmtp",
        "<= a@b.example H=))))) [192.0.2.1] P=esmtp",
        "<= a@b.example H=(a) [ [192.0.2.1] P=esmtp",
        "<= a@b.example H=[192.0.2.1 P=esmtp",
        "<= a@b.example H=[ S=1",
        "<= a@b.example T=\"no end S=1",
        "<= a@b.example T=\"a\\\" S=1",
        "<= a@b.example T=\"\\",
        "<= \"quoted local part@b.example H=[192.0.2.1] S=1 for \"x y@z",
        "=> a@b.example R=r T=t H=mx.example.com [192.0.2.1] C=\"250 unterminated",
        "=> a@b.example <b@c.example R=r T=t",
        "=> a@b.example (parent@c.example R=r",
        "== a@b.example R=r T=t defer (-44: SMTP error",
        "** a@b.example: \"quoted",
        "<= a@b.example X=TLS1.3:x:256 CV=yes DN=\"CN=unterminated",
        "cwd=/tmp 3 args: \"a b \"c",
        "cwd=\"/tmp 1 args:",
    ];
    for body in bodies {
        let line = format!("{TS}{ID} {body}");
        let l = ok(line.as_bytes());
        assert_eq!(l.text().as_bytes(), body.as_bytes(), "{body}");
    }
    for raw in [&b"\"unterminated"[..], b"\\", b"\\0", b"\\12", b"\\\\\\"] {
        for e in [
            Escaping::Printing,
            Escaping::Subject,
            Escaping::Confirmation,
        ] {
            invariants::check_quoted(Quoted::new(raw, e));
        }
    }
}

#[test]
fn deeply_nested_parentheses() {
    let depth = 100_000;
    let helo = format!("{}x{}", "(".repeat(depth), ")".repeat(depth));
    let line = format!("{TS}{ID} <= a@b.example H={helo} [192.0.2.1] P=esmtp S=1");
    ok(line.as_bytes());
    let line = format!("{TS}{ID} <= a@b.example H={} P=esmtp", "(".repeat(depth));
    ok(line.as_bytes());
    let line = format!("{TS}{ID} => a@b.example {} R=r", "(".repeat(depth));
    ok(line.as_bytes());
}

/// §11 "Treat parenthesised comments as nestable": a deep comment is skipped as
/// one, so the clauses after it are still read.
#[test]
fn deeply_nested_parentheses_in_received_headers() {
    let depth = 100_000;
    let tail = "\n\tby mx.example.net with esmtp (Exim 4.97)\n\tid 1sAoM5-00000009r3p-06vq;\n\tSat, 25 May 2024 11:10:28 +0100\n";
    let nested = format!(
        "Received: from x.example.com ([192.0.2.1] {}c{}){tail}",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    invariants::check_received(nested.as_bytes());
    let r = Received::parse(nested.as_bytes());
    assert_eq!(r.message_id.map(|m| m.as_str()), Some(ID));
    assert_eq!(
        r.by.map(|b| b.to_string()).as_deref(),
        Some("mx.example.net")
    );

    // Never closed, never opened: a result, whatever was readable.
    for h in [
        format!("Received: from x ({}{tail}", "(".repeat(depth)),
        format!("Received: from x {}{tail}", ")".repeat(depth)),
        format!("Received: {}", "(a ".repeat(depth)),
    ] {
        invariants::check_received(h.as_bytes());
        assert_eq!(Received::parse(h.as_bytes()).raw.len(), h.trim_end().len());
    }
}

/// The other entry points with the same shapes: a result or a clear error.
#[test]
fn hostile_reject_logs_and_selectors() {
    // A reject log entry with 100,000 header lines, CRLF, NUL and invalid UTF-8.
    let mut log = format!("{TS}{ID} H=(pc) [192.0.2.1] F=<a@b.example> rejected after DATA: x\r\n");
    log.push_str("Envelope-from: <a@b.example>\r\nEnvelope-to: <c@d.example>\r\n");
    for i in 0..100_000 {
        log.push_str(&format!("  X-H{i}: \0 v\r\n"));
    }
    let mut bytes = log.into_bytes();
    bytes.extend_from_slice(b"F From: \xff\xfe\n\tfolded");
    invariants::check_rejectlog(&bytes);

    // A 1 MB selector value, unbalanced signs, NUL: a set or an error with an
    // offset inside the input.
    let long = "+subject -pid ".repeat(75_000);
    assert!(LogSelector::parse(&long).is_ok());
    for value in [
        "+", "-", "++pid", "+pid\0", "+pid -", "=", "+all\\", "\\\n+pid",
    ] {
        invariants::check_selector(value.as_bytes());
    }
    assert!(LogSelector::parse("+pid\0").is_err());
}

#[test]
fn nul_bytes() {
    // In the text: kept as it is.
    let line = line_of(&[
        TS.as_bytes(),
        ID.as_bytes(),
        b" <= a\0b@c.example T=\"\0\" S=1",
    ]);
    assert!(ok(&line).text().as_bytes().contains(&0));
    // Inside the timestamp: a timestamp error where the NUL is.
    assert_eq!(err(b"2024-05-25\x0010:10:28 x"), (ErrorKind::Timestamp, 10));
    // A line of NULs.
    assert_eq!(err(&[0u8; 4096]), (ErrorKind::Timestamp, 0));
    // NUL right after the prefix.
    let line = line_of(&[TS.as_bytes(), b"\0"]);
    assert_eq!(ok(&line).text().as_bytes(), b"\0");
}

#[test]
fn invalid_utf8() {
    let line = line_of(&[
        TS.as_bytes(),
        ID.as_bytes(),
        b" <= \xff\xfe@\xc3.example H=(\x80\x81) [192.0.2.1] T=\"\xed\xa0\x80\" S=1",
    ]);
    let l = ok(&line);
    assert!(l.raw.to_str().is_err());
    // Serialized lossily, never an error.
    #[cfg(feature = "serde")]
    {
        let json = serde_json::to_string(&l).unwrap_or_else(|e| panic!("{e}"));
        assert!(json.contains('\u{fffd}'));
    }
    // Invalid UTF-8 where the id would be: no id, the bytes stay in the text.
    let line = line_of(&[TS.as_bytes(), b"1sAoM5-00000009r3p-06v\xff Completed"]);
    let l = ok(&line);
    assert_eq!(l.message_id, None);
    assert!(l.text().as_bytes().starts_with(b"1sAoM5"));
}

#[test]
fn line_endings() {
    let bare = format!("{TS}{ID} Completed");
    for ending in ["", "\n", "\r\n", "\r"] {
        let line = format!("{bare}{ending}");
        let l = ok(line.as_bytes());
        assert_eq!(l.raw, bare.as_str(), "{ending:?}");
        assert_eq!(l.event.name(), "completed", "{ending:?}");
    }
    // Only one ending is removed: the rest is text.
    let two = format!("{bare}\r\r\n");
    let l = ok(two.as_bytes());
    assert_eq!(l.raw.as_bytes(), format!("{bare}\r").as_bytes());
    // A CR in the middle is text.
    let cr = format!("{TS}{ID} <= a@b\rc.example S=1");
    let l = ok(cr.as_bytes());
    assert!(l.raw.as_bytes().contains(&b'\r'));
    // Just a line ending: empty.
    for e in ["", "\n", "\r\n", "\r"] {
        assert_eq!(err(e.as_bytes()), (ErrorKind::Empty, 0), "{e:?}");
    }
    // Buffers with CRLF, bare CR and no final newline: one result per line.
    let buf = format!("{bare}\r\n{bare}\r\n{bare}");
    invariants::check_buffer(buf.as_bytes());
    invariants::check_buffer(format!("{bare}\r{bare}\n\n\n").as_bytes());
    invariants::check_buffer(b"\n\n\r\n");
}

#[test]
fn impossible_timestamps() {
    // (line, kind, first, last): §1.1 ranges and the calendar (a range error
    // points at the first field out of range); a malformed timestamp points into the malformed field,
    // at most at the first byte that cannot be part of it.
    let cases: &[(&str, ErrorKind, usize, usize)] = &[
        ("2024-13-25 10:10:28 x", ErrorKind::TimestampRange, 5, 5),
        ("2024-00-25 10:10:28 x", ErrorKind::TimestampRange, 5, 5),
        ("2024-05-32 10:10:28 x", ErrorKind::TimestampRange, 8, 8),
        ("2024-05-00 10:10:28 x", ErrorKind::TimestampRange, 8, 8),
        ("2024-02-30 10:10:28 x", ErrorKind::TimestampRange, 8, 8),
        ("2023-02-29 10:10:28 x", ErrorKind::TimestampRange, 8, 8),
        ("0000-05-25 10:10:28 x", ErrorKind::TimestampRange, 0, 0),
        ("2024-05-25 24:10:28 x", ErrorKind::TimestampRange, 11, 11),
        ("2024-05-25 10:60:28 x", ErrorKind::TimestampRange, 14, 14),
        ("2024-05-25 10:10:61 x", ErrorKind::TimestampRange, 17, 17),
        (
            "2024-05-25 10:10:28 +9959 x",
            ErrorKind::TimestampRange,
            20,
            20,
        ),
        ("9999-99-99 99:99:99 x", ErrorKind::TimestampRange, 5, 5),
        ("2024-5-25 10:10:28 x", ErrorKind::Timestamp, 5, 6),
        ("2024-05-25T10:10:28 x", ErrorKind::Timestamp, 10, 10),
        ("2024-05-25 10:10:28.1 x", ErrorKind::Timestamp, 19, 21),
        ("-024-05-25 10:10:28 x", ErrorKind::Timestamp, 0, 0),
        ("2024-05-25 10:10:28", ErrorKind::MissingText, 19, 19),
    ];
    for (line, kind, first, last) in cases {
        let (k, at) = err(line.as_bytes());
        assert_eq!(k, *kind, "{line}");
        assert!((*first..=*last).contains(&at), "{line}: offset {at}");
    }
    // A bracket that is not a valid `[pid]` (too many digits for a pid, empty): no
    // pid, and the bracket starts the text (Exim also writes lines that begin with
    // `[ip]`).
    for line in [
        "2024-05-25 10:10:28 [99999999999] x",
        "2024-05-25 10:10:28 [] x",
    ] {
        let l = parse_checked(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(l.pid, None, "{line}");
        assert!(l.text().as_bytes().starts_with(b"["), "{line}");
    }
    // Accepted: a leap second and a leap day (issue 16: dates the calendar
    // lacks are rejected, above, so that `Line.datetime` cannot fail).
    for line in ["2024-05-25 23:59:60 x", "2024-02-29 10:10:28 x"] {
        ok(line.as_bytes());
    }
    // An offset-shaped field out of range is an error, not text.
    assert_eq!(
        err(b"2024-05-25 10:10:28 +2460 x"),
        (ErrorKind::TimestampRange, 20)
    );
    // Not offset-shaped (three digits): it stays in the text.
    let l = ok(b"2024-05-25 10:10:28 +246 x");
    assert_eq!(l.timestamp.utc_offset_minutes, None);
    assert_eq!(l.text().as_bytes(), b"+246 x");
}

#[test]
fn id_shaped_tokens_with_bad_characters() {
    let bad: &[&[u8]] = &[
        b"1sAoM5-00000009r3p-06v!",
        b"1sAoM5_00000009r3p-06vq",
        b"1sAoM5-00000009r3p_06vq",
        b"1sAoM5-0000000-r3p-06vq",
        b"1sAoM5-00000009r3p-06v\0",
        b"1sAoM5-00000009r3p-06v\xc3\xa9",
        b"\xff\xfeAoM5-00000009r3p-06vq",
        b"1sAoM5-00000009r3p-06vqX",
        b"1sAoM5-00000009r3p-06v",
        b"1FZ8zt-0005lz-E!",
        b"-----------------------",
    ];
    for id in bad {
        assert_eq!(MessageId::parse(id), None, "{id:?}");
        let line = line_of(&[TS.as_bytes(), id, b" Completed"]);
        let l = ok(&line);
        assert_eq!(l.message_id, None, "{id:?}");
        assert_eq!(l.event.name(), "unknown", "{id:?}");
        assert!(l.text().as_bytes().starts_with(id), "{id:?}");
    }
}
