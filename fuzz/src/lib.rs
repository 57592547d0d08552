//! Invariant checks shared by the fuzz targets and by the stable regression test.
//!
//! Each `check_*` function parses its input through one public entry point of
//! `exim_log` and panics (with a message saying which invariant broke) when the
//! result is inconsistent with the input. "No panic" alone is not enough for a
//! zero-copy parser, so the checks also assert that:
//!
//! * every borrowed slice in a result lies inside the input (pointer ranges);
//! * error offsets are `<=` the input length;
//! * lines in equal results out;
//! * the parts of a result that should reassemble the input do;
//! * serialization (JSON) succeeds and agrees with the typed values.
//!
//! This file is the library of the `exim-log-fuzz` crate and is also compiled
//! into `exim-log/tests/regressions.rs` through `#[path]`, so the minimized
//! crashers in `fuzz/regressions/` replay through the very same checks under
//! `cargo test` on the stable toolchain. It therefore names the library only as
//! `exim_log::...` and uses nothing but `exim_log` and `serde_json`, which both
//! crates depend on.

use exim_log::{Event, LogLine, MessageId, Quoted, parse_line};

/// The fuzz targets, by name (the folder names under `fuzz/regressions/`).
pub const TARGETS: &[&str] = &["line", "buffer", "differential"];

/// Runs the check of `target` on `data`. Returns `false` for an unknown target.
pub fn check(target: &str, data: &[u8]) -> bool {
    match target {
        "line" => check_line(data),
        "buffer" => check_buffer(data),
        "differential" => check_differential(data),
        _ => return false,
    }
    true
}

/// True when `part` lies inside `whole`, compared as address ranges.
///
/// An empty `part` is accepted wherever it points: an empty slice carries no
/// bytes, and `unwrap_or_default()` on a missing sub-slice legitimately yields
/// one that points elsewhere.
pub fn inside(whole: &[u8], part: &[u8]) -> bool {
    if part.is_empty() {
        return true;
    }
    let w = whole.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    // `whole` is a live allocation, so `w + len` cannot overflow.
    p >= w && p.saturating_add(part.len()) <= w + whole.len()
}

/// Byte offset of `part` within `whole` (which must contain it).
fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize)
}

/// Collects the borrowed byte slices of a value, for the [`inside`] check.
#[derive(Default)]
pub struct Slices<'a> {
    /// Each slice with the name of the field it came from.
    pub all: Vec<(&'static str, &'a [u8])>,
}

impl<'a> Slices<'a> {
    fn add(&mut self, name: &'static str, s: &'a [u8]) {
        self.all.push((name, s));
    }

    fn text(&mut self, name: &'static str, t: Option<exim_log::Text<'a>>) {
        if let Some(t) = t {
            self.add(name, t.as_bytes());
        }
    }

    fn quoted(&mut self, name: &'static str, q: Option<Quoted<'a>>) {
        if let Some(q) = q {
            check_quoted(q);
            self.add(name, q.raw());
        }
    }

    fn host(&mut self, h: Option<exim_log::Host<'a>>) {
        if let Some(h) = h {
            self.text("host.name", h.name);
            self.text("host.helo", h.helo);
            self.text("host.ip", h.ip);
            self.text("host.ident", h.ident);
        }
    }

    fn endpoint(&mut self, name: &'static str, e: Option<exim_log::Endpoint<'a>>) {
        if let Some(e) = e {
            self.add(name, e.ip.as_bytes());
        }
    }

    fn tls(&mut self, t: Option<exim_log::Tls<'a>>) {
        if let Some(t) = t {
            self.text("tls.cipher", t.cipher);
            self.text("tls.certificate_verified", t.certificate_verified);
            self.quoted("tls.peer_dn", t.peer_dn);
            self.text("tls.sni", t.sni);
            // The accessors split `cipher`; they must stay inside it too.
            self.text("tls.version", t.version());
            self.text("tls.cipher_name", t.cipher_name());
            let _ = t.bits();
        }
    }

    fn auth(&mut self, a: Option<exim_log::Auth<'a>>) {
        if let Some(a) = a {
            self.add("auth.authenticator", a.authenticator.as_bytes());
            self.text("auth.id", a.id);
            self.text("auth.sender", a.sender);
        }
    }

    fn fields(&mut self, fields: &[exim_log::Field<'a>]) {
        for f in fields {
            self.add("field.tag", f.tag.as_bytes());
            self.text("field.value", f.value);
        }
    }

    fn id(&mut self, name: &'static str, id: Option<MessageId<'a>>) {
        if let Some(id) = id {
            check_message_id(id);
            self.add(name, id.as_str().as_bytes());
        }
    }

    /// Every slice of a parsed line.
    pub fn line(&mut self, line: &LogLine<'a>) {
        self.add("raw", line.raw.as_bytes());
        self.add("text", line.text().as_bytes());
        self.id("message_id", line.message_id);
        self.event(&line.event);
    }

    /// Every slice of an event. New variants are added here as they land; an
    /// unknown variant contributes no slice (it is still checked by the JSON
    /// and reassembly checks).
    pub fn event(&mut self, event: &Event<'a>) {
        match event {
            Event::Arrival(a) => {
                self.add("arrival.sender", a.sender.as_bytes());
                self.id("arrival.bounce_parent", a.bounce_parent);
                self.host(a.host);
                self.endpoint("arrival.interface", a.interface);
                self.text("arrival.tcp_fast_open", a.tcp_fast_open);
                self.text("arrival.user", a.user);
                self.text("arrival.protocol", a.protocol);
                self.text("arrival.pipelining", a.pipelining);
                self.text("arrival.spf", a.spf);
                self.tls(a.tls);
                self.auth(a.auth);
                self.text("arrival.proxy", a.proxy);
                self.text("arrival.dkim", a.dkim);
                self.text("arrival.dmarc", a.dmarc);
                self.text("arrival.queue", a.queue);
                self.text("arrival.header_id", a.header_id);
                self.quoted("arrival.subject", a.subject);
                self.text("arrival.received_sender", a.received_sender);
                if let Some(r) = a.recipients {
                    self.add("arrival.recipients", r.raw().as_bytes());
                    let raw = r.raw().as_bytes();
                    for item in r.iter() {
                        assert!(inside(raw, item.as_bytes()), "recipient outside the list");
                    }
                }
                self.fields(&a.other_fields);
            }
            Event::Delivery(d) | Event::Deferral(d) | Event::Failure(d) => {
                self.add("delivery.address", d.address.as_bytes());
                self.text("delivery.parents", d.parents);
                self.text("delivery.original", d.original);
                self.text("delivery.sender", d.sender);
                self.text("delivery.queue", d.queue);
                self.text("delivery.return_path", d.return_path);
                self.text("delivery.router", d.router);
                self.text("delivery.transport", d.transport);
                self.host(d.host);
                self.endpoint("delivery.proxy", d.proxy);
                self.endpoint("delivery.interface", d.interface);
                self.text("delivery.tcp_fast_open", d.tcp_fast_open);
                self.text("delivery.protocol_detail", d.protocol_detail);
                self.tls(d.tls);
                self.auth(d.auth);
                self.text("delivery.pipelining", d.pipelining);
                self.text("delivery.dkim", d.dkim);
                self.text("delivery.shadow_transport", d.shadow_transport);
                self.quoted("delivery.confirmation", d.confirmation);
                self.text("delivery.error", d.error);
                self.fields(&d.other_fields);
            }
            Event::Arguments(a) => {
                self.add("arguments.cwd", a.cwd.as_bytes());
                let raw = a.args.raw().as_bytes();
                self.add("arguments.args", raw);
                let mut last_end = 0;
                for arg in a.args.iter() {
                    check_quoted(arg);
                    assert!(inside(raw, arg.raw()), "argument outside the list");
                    // Arguments come out in order and do not overlap.
                    if !arg.raw().is_empty() {
                        let at = offset_in(raw, arg.raw());
                        assert!(at >= last_end, "arguments out of order");
                        last_end = at + arg.raw().len();
                    }
                }
            }
            _ => {}
        }
    }
}

/// `Quoted::decode` never grows the value (every escape is at least two bytes
/// and decodes to one), and borrows when there is nothing to decode.
pub fn check_quoted(q: Quoted<'_>) {
    let decoded = q.decode();
    assert!(
        decoded.len() <= q.raw().len(),
        "decoded value longer than the raw value"
    );
    if !q.raw().contains(&b'\\') {
        assert_eq!(decoded.as_ref(), q.raw(), "value without escapes changed");
    }
}

/// A parsed id is a valid id on its own and keeps its layout.
pub fn check_message_id(id: MessageId<'_>) {
    let s = id.as_str();
    assert!(matches!(s.len(), 16 | 23), "id of length {}", s.len());
    assert_eq!(
        MessageId::parse(s.as_bytes()),
        Some(id),
        "id does not re-parse"
    );
    let _ = (id.time(), id.pid(), id.fraction(), id.format());
}

/// The line without one trailing `\n`, `\r\n` or `\r` (as `parse_line` documents).
pub fn trim_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Checks one parsed line against the input it came from.
pub fn check_parsed_line<'a>(input: &'a [u8], line: &LogLine<'a>) {
    let raw = line.raw.as_bytes();
    assert_eq!(raw, trim_line_ending(input), "raw is not the input line");
    assert!(inside(input, raw), "raw not borrowed from the input");

    // Prefix + text reassemble the line.
    let at = line.text_offset();
    assert!(at <= raw.len(), "text offset {at} past the line");
    assert_eq!(
        raw.get(at..),
        Some(line.text().as_bytes()),
        "text() is not raw[text_offset..]"
    );

    // The timestamp passed its range checks.
    let t = line.timestamp;
    assert!((1..=12).contains(&t.month) && (1..=31).contains(&t.day));
    assert!(t.hour <= 23 && t.minute <= 59 && t.second <= 60);
    assert!(t.millisecond.is_none_or(|ms| ms <= 999));
    let _ = t.unix_millis();

    // The id, when present, sits right after the timestamp/pid, before the text.
    if let Some(id) = line.message_id {
        let id = id.as_str().as_bytes();
        assert!(inside(raw, id), "message id not in the line");
        assert!(offset_in(raw, id) + id.len() <= at, "id after the text");
    }

    let mut slices = Slices::default();
    slices.line(line);
    for (name, s) in &slices.all {
        assert!(inside(raw, s), "{name} is not borrowed from the line");
    }

    // Serialization succeeds and agrees with the typed values.
    let json = serde_json::to_value(line).unwrap_or_else(|e| panic!("JSON: {e}"));
    let field = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    assert_eq!(field("event").as_deref(), Some(line.event.name()));
    assert_eq!(field("timestamp"), Some(t.to_string()));
    assert_eq!(field("raw"), Some(line.raw.to_string_lossy().into_owned()));
    assert_eq!(
        field("message_id").as_deref(),
        line.message_id.map(|m| m.as_str())
    );
}

/// Target `line`: one mainlog line through [`parse_line`].
pub fn check_line(data: &[u8]) {
    match parse_line(data) {
        Ok(line) => {
            check_parsed_line(data, &line);
            // Deterministic.
            assert_eq!(parse_line(data).ok(), Some(line), "second parse differs");
        }
        Err(e) => {
            assert!(
                e.offset <= data.len(),
                "error offset {} past the input",
                e.offset
            );
            let _ = e.to_string();
        }
    }
}

/// Splits a buffer into lines the way a log reader must: on `\n`, a final line
/// without `\n` included, no empty line after a final `\n`.
pub fn split_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let empty = data.is_empty();
    body.split(|b| *b == b'\n').filter(move |_| !empty)
}

/// Target `buffer`: a whole buffer of lines, each through [`parse_line`]; every
/// line gives exactly one result (a line or an error), and the results in
/// order cover the buffer.
pub fn check_buffer(data: &[u8]) {
    let mut results = 0usize;
    let mut next_start = 0usize;
    for line in split_lines(data) {
        assert!(inside(data, line) || line.is_empty());
        let start = offset_in(data, line);
        if !line.is_empty() {
            assert_eq!(start, next_start, "lines do not tile the buffer");
        }
        next_start = start + line.len() + 1;
        match parse_line(line) {
            Ok(l) => {
                check_parsed_line(line, &l);
                assert!(inside(data, l.raw.as_bytes()));
            }
            Err(e) => assert!(e.offset <= line.len()),
        }
        results += 1;
    }
    let newlines = data.iter().filter(|b| **b == b'\n').count();
    let expected = newlines + usize::from(!data.is_empty() && !data.ends_with(b"\n"));
    assert_eq!(results, expected, "lines in != results out");
}

/// Target `differential`: two ways to the same answer must agree.
///
/// * A line parses the same with no line ending, `\n` and `\r\n`.
/// * The JSON of a line agrees with its typed fields (checked in
///   [`check_parsed_line`]), and serializing twice gives the same text.
pub fn check_differential(data: &[u8]) {
    // Only the first line: the appended endings must be the line's only ones.
    let line = data
        .split(|b| *b == b'\n' || *b == b'\r')
        .next()
        .unwrap_or_default();
    let bare = parse_line(line);
    for ending in [&b"\n"[..], b"\r\n", b"\r"] {
        let mut with = line.to_vec();
        with.extend_from_slice(ending);
        let other = parse_line(&with);
        match (&bare, &other) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "line ending changed the result");
                check_parsed_line(&with, b);
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "line ending changed the error"),
            _ => panic!("line ending changed success into failure or back"),
        }
    }
    if let Ok(l) = &bare {
        let a = serde_json::to_string(l).unwrap_or_default();
        let b = serde_json::to_string(l).unwrap_or_default();
        assert_eq!(a, b, "serialization is not deterministic");
    }
}
