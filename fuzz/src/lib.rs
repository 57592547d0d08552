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
//! * serialization (JSON) succeeds and agrees with the typed values (with the
//!   `serde` feature, on by default: `exim-log`'s when compiled into its tests).
//!
//! This file is the library of the `exim-log-fuzz` crate and is also compiled
//! into `exim-log/tests/regressions.rs` through `#[path]`, so the minimized
//! crashers in `fuzz/regressions/` replay through the very same checks under
//! `cargo test` on the stable toolchain. It therefore names the library only as
//! `exim_log::...` and uses nothing but `exim_log`, `serde_json` and `regex`
//! (in [`reference`], the independent reading of issue 21), which both crates
//! depend on.

// Compared with the parser through its JSON (`check_reference`): without `serde`
// only its duration reading is used (by exim-log's property tests).
#[cfg_attr(not(feature = "serde"), allow(dead_code))]
pub mod reference;

use exim_log::assemble::{Assembled, Assembler, AssemblerOptions, Link};
use exim_log::budget::MemoryBudget;
use exim_log::paniclog::PanicLog;
use exim_log::reader::{LogReader, Prefilter, ReadErrorKind};
use exim_log::rejectlog::RejectLog;
use exim_log::spool;
use exim_log::syslog::{Framing, Unwrap, parse_syslog_line};
use exim_log::{
    Event, Inference, LogLine, LogSelector, MessageId, Options, Peer, Quoted, Received, Text,
    exim_message_ids, parse_line, received_headers, starts_entry,
};

/// The fuzz targets, by name (the folder names under `fuzz/regressions/`).
pub const TARGETS: &[&str] = &[
    "line",
    "buffer",
    "rejectlog",
    "received",
    "selector",
    "differential",
    "spool",
    "listing",
    "weblog",
];

/// Runs the check of `target` on `data`. Returns `false` for an unknown target.
pub fn check(target: &str, data: &[u8]) -> bool {
    match target {
        "line" => check_line(data),
        "buffer" => check_buffer(data),
        "rejectlog" => check_rejectlog(data),
        "received" => check_received(data),
        "selector" => check_selector(data),
        "differential" => check_differential(data),
        "spool" => check_spool(data),
        "listing" => check_listing(data),
        "weblog" => check_weblog(data),
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

/// Every text of a parsed value borrows the input: no field is built from a
/// string literal (the parsers once did that for a few fixed words; the
/// `fuzz/regressions/line/static-*` inputs reach each of those places).
pub fn borrowed(whole: &[u8], part: &[u8]) -> bool {
    inside(whole, part)
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

    fn txt(&mut self, name: &'static str, t: Text<'a>) {
        self.add(name, t.as_bytes());
    }

    fn peer(&mut self, p: &Peer<'a>) {
        self.host(p.host);
        self.endpoint("peer.interface", p.interface);
        self.text("peer.user", p.user);
        self.tls(p.tls);
        self.text("peer.sender", p.sender);
        self.auth(p.auth);
        self.text("peer.protocol", p.protocol);
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

    /// The slices of an SMTP connection-level event ([`Event::session`]).
    fn session(&mut self, s: &exim_log::Session<'a>) {
        self.peer(&s.peer);
        if let Some(c) = s.commands {
            self.txt("session.commands", c.raw());
            let raw = c.raw().as_bytes();
            for verb in c.iter() {
                assert!(inside(raw, verb.as_bytes()), "command outside the list");
            }
        }
        self.text("session.command", s.command);
        self.text("session.from", s.from);
        if let Some(r) = s.recipients {
            self.txt("session.recipients", r.raw());
            for a in r.iter() {
                assert!(inside(r.raw().as_bytes(), a.as_bytes()));
            }
        }
        self.text("session.reason", s.reason);
    }

    /// Every slice of an event. New variants are added here as they land; an
    /// unknown variant contributes no slice (it is still checked by the JSON
    /// and reassembly checks).
    pub fn event(&mut self, event: &Event<'a>) {
        if let Some(s) = event.session() {
            self.session(s);
        }
        if let Some(n) = event.note() {
            self.text("note.by", n.by);
            self.text("note.reason", n.reason);
        }
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
            Event::DaemonStarted(d) => {
                self.txt("daemon.version", d.version);
                self.text("daemon.detail", d.detail);
            }
            Event::QueueRun(q) => {
                self.text("queue_run.queue", q.queue);
                self.text("queue_run.options", q.options);
            }
            Event::Rejection(r) | Event::Dropped(r) | Event::Discarded(r) => {
                self.peer(&r.peer);
                self.txt("reject.what", r.what);
                self.text("reject.recipient", r.recipient);
                self.text("reject.reason", r.reason);
                self.text("reject.dnslist_domain", r.dnslist_domain());
            }
            Event::SenderVerify(v) => {
                self.peer(&v.peer);
                self.txt("sender_verify.address", v.address);
                self.text("sender_verify.reason", v.reason);
            }
            Event::Warning(w) => {
                self.peer(&w.peer);
                self.txt("warning.message", w.message);
            }
            Event::AuthFailed(a) => {
                self.txt("auth_failed.authenticator", a.authenticator);
                self.peer(&a.peer);
                self.text("auth_failed.set_id", a.set_id);
                self.text("auth_failed.reason", a.reason);
            }
            Event::DaemonSignal(d) => self.txt("daemon_signal.detail", d.detail),
            Event::ErrorIgnored(e) => {
                self.txt("error_ignored.address", e.address);
                self.text("error_ignored.parent", e.parent);
                self.text("error_ignored.reason", e.reason);
            }
            Event::TransportOutput(t) => {
                self.txt("transport_output.address", t.address);
                self.txt("transport_output.transport", t.transport);
                self.txt("transport_output.output", t.output);
            }
            Event::Dkim(d) => {
                self.text("dkim.domain", d.domain);
                self.text("dkim.selector", d.selector);
                self.text("dkim.status", d.status);
                self.txt("dkim.detail", d.detail);
            }
            Event::Rewrite(r) => {
                self.txt("rewrite.original", r.original);
                self.txt("rewrite.place", r.place);
                self.txt("rewrite.rewritten", r.rewritten);
            }
            Event::SaExim(a) => {
                self.txt("sa_exim.kind", a.kind);
                self.text("sa_exim.action", a.action);
                self.text("sa_exim.header_id", a.header_id);
                self.text("sa_exim.sender", a.sender);
                self.text("sa_exim.recipients", a.recipients);
                self.txt("sa_exim.detail", a.detail);
            }
            Event::AdminAction(a) => {
                self.txt("admin_action.address", a.address);
                self.text("admin_action.by", a.by);
            }
            Event::SystemNotice(n) => {
                self.peer(&n.peer);
                self.text("system_notice.detail", n.detail);
                self.text("system_notice.address", n.address);
            }
            Event::DmarcResult(d) => {
                self.txt("dmarc_result.spf_domain", d.spf_domain);
                self.txt("dmarc_result.dmarc_domain", d.dmarc_domain);
                self.txt("dmarc_result.enforcement", d.enforcement);
            }
            // A variant added later contributes no slice until it is listed here;
            // it is still checked by the JSON and reassembly checks.
            _ => {}
        }
    }

    /// Every slice of a `Received:` header.
    pub fn received(&mut self, r: &Received<'a>) {
        self.txt("received.raw", r.raw);
        self.host(r.from);
        self.text("received.by", r.by);
        if let Some(v) = r.via {
            self.add("received.via", v.as_bytes());
        }
        if let Some(p) = r.protocol {
            self.add("received.protocol", p.as_bytes());
        }
        if let Some(t) = r.tls {
            self.text("received.tls.version", t.version);
            self.text("received.tls.cipher", t.cipher);
            self.add("received.tls.text", t.text.as_bytes());
        }
        if let Some(v) = r.exim_version {
            self.add("received.exim_version", v.as_bytes());
        }
        self.text("received.exim_release", r.exim_release());
        self.text("received.envelope_from", r.envelope_from);
        self.text("received.id", r.id);
        self.id("received.message_id", r.message_id);
        self.text("received.recipient", r.recipient);
        if let Some(d) = r.date_text {
            self.add("received.date_text", d.as_bytes());
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
        assert!(borrowed(raw, s), "{name} is not borrowed from the line");
    }
    check_notice_values(line);

    // Serialization succeeds and agrees with the typed values.
    #[cfg(feature = "serde")]
    {
        let json = serde_json::to_value(line).unwrap_or_else(|e| panic!("JSON: {e}"));
        // The NDJSON writer (`json::write_line`, not serde): valid JSON with
        // the same value as the `Serialize` impl, and the same bytes.
        let mut ndjson = Vec::new();
        exim_log::json::write_line(&mut ndjson, line);
        let back: serde_json::Value = serde_json::from_slice(&ndjson)
            .unwrap_or_else(|e| panic!("write_line wrote invalid JSON: {e}"));
        assert_eq!(back, json, "write_line and Serialize differ");
        assert_eq!(
            ndjson,
            serde_json::to_vec(line).unwrap_or_default(),
            "write_line and serde_json::to_vec differ"
        );
        let field = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        assert_eq!(field("event").as_deref(), Some(line.event.name()));
        assert_eq!(field("timestamp"), Some(t.to_string()));
        assert_eq!(field("raw"), Some(line.raw.to_string_lossy().into_owned()));
        assert_eq!(
            field("message_id").as_deref(),
            line.message_id.map(|m| m.as_str())
        );
    }
}

/// The values of `system_notice` and `dmarc_result` agree with the text
/// they were read from (each field is also checked to be a slice of the line
/// by [`Slices`]): numbers are written in the line as parsed, the text-valued
/// kinds keep their text, and the fixed words of each kind are there.
pub fn check_notice_values(line: &LogLine<'_>) {
    let text = line.text().as_bytes();
    let has = |needle: &[u8]| memmem(text, needle);
    match &line.event {
        Event::SystemNotice(n) => {
            use exim_log::SystemKind as K;
            if let Some(c) = n.count {
                assert!(has(c.to_string().as_bytes()), "count {c} not in the line");
            }
            if n.space.is_some() || n.inodes.is_some() {
                // `... space=N inodes=N`: each value reads back from its place.
                let num = |w: &[u8]| std::str::from_utf8(w).ok()?.parse::<i64>().ok();
                let Some(at) = text.windows(6).position(|w| w == b"space=") else {
                    panic!("space check without space=");
                };
                let r = text.get(at + 6..).unwrap_or_default();
                let Some(sep) = r.windows(8).position(|w| w == b" inodes=") else {
                    panic!("space check without inodes=");
                };
                assert_eq!(n.space, r.get(..sep).and_then(num), "space value");
                assert_eq!(n.inodes, r.get(sep + 8..).and_then(num), "inodes value");
            }
            if let Some(d) = n.detail {
                assert!(!d.as_bytes().is_empty(), "empty detail");
                assert!(
                    inside(text, d.as_bytes()),
                    "detail outside the text after the prefix"
                );
            }
            // A client's host and a local login exclude each other.
            assert!(
                n.peer.host.is_none() || n.peer.user.is_none(),
                "both host and user"
            );
            let detail = n.detail.map(|d| d.as_bytes());
            match n.kind {
                K::SpoolSpace | K::LogSpace => {
                    assert!(has(b"directory space check failed: space="));
                }
                K::RoutingLoop => {
                    let a = n.address.map(|a| a.as_bytes());
                    assert!(
                        a.is_some_and(|a| !a.is_empty()),
                        "routing loop without address"
                    );
                    assert_eq!(
                        text.strip_prefix(b"routing loop for "),
                        a,
                        "routing loop address"
                    );
                }
                K::MessageAbandoned => {
                    assert_eq!(
                        text.strip_prefix(b"Message abandoned: "),
                        detail,
                        "abandoned detail"
                    );
                }
                K::FilterDeferred => {
                    assert_eq!(text, b"Delivery deferred by system filter");
                    assert!(n.detail.is_none() && n.address.is_none());
                }
                K::Taint | K::Dmarc => assert_eq!(detail, Some(text), "whole text"),
                K::Internal => match n.address {
                    // `<address>: <error>`.
                    Some(a) => {
                        let a = a.as_bytes();
                        assert_eq!(text.get(1..=a.len()), Some(a), "address after <");
                        assert_eq!(text.get(a.len() + 4..), detail, "error after the address");
                    }
                    None => assert_eq!(detail, Some(text), "whole text"),
                },
                K::DeliveryCrash | K::LocalScanCrash => {
                    assert!(n.count.is_some(), "crash without its signal");
                }
                _ => {}
            }
            #[cfg(feature = "serde")]
            {
                let json = serde_json::to_value(n).unwrap_or_else(|e| panic!("JSON: {e}"));
                assert_eq!(json.get("count").and_then(|v| v.as_u64()), n.count);
                assert_eq!(json.get("space").and_then(|v| v.as_i64()), n.space);
                assert_eq!(json.get("inodes").and_then(|v| v.as_i64()), n.inodes);
                assert!(json.get("kind").is_some_and(|k| k.is_string()));
            }
        }
        Event::DmarcResult(d) => {
            let yes = |b: bool| if b { "yes" } else { "no" };
            let want = format!(
                "DMARC results: spf_domain={} dmarc_domain={} spf_align={} dkim_align={} enforcement='{}'",
                d.spf_domain.to_string_lossy(),
                d.dmarc_domain.to_string_lossy(),
                yes(d.spf_aligned),
                yes(d.dkim_aligned),
                d.enforcement.to_string_lossy()
            );
            // The fields rebuild the text (bytes compared when they are UTF-8).
            if std::str::from_utf8(text).is_ok() {
                assert_eq!(
                    text,
                    want.as_bytes(),
                    "dmarc_result does not rebuild the line"
                );
            }
        }
        _ => {}
    }
}

/// Checks a line-parse result of `input` (a line or an error).
fn check_line_result<'a>(input: &'a [u8], r: &Result<LogLine<'a>, exim_log::ParseError>) {
    match r {
        Ok(line) => check_parsed_line(input, line),
        Err(e) => {
            assert!(
                e.offset <= input.len(),
                "error offset {} past the input",
                e.offset
            );
            let _ = e.to_string();
        }
    }
}

/// Target `line`: one mainlog line through [`parse_line`], and the same bytes as
/// a syslog line through `parse_syslog_line`.
pub fn check_line(data: &[u8]) {
    let r = parse_line(data);
    check_line_result(data, &r);
    // Deterministic.
    assert_eq!(parse_line(data), r, "second parse differs");
    // The reference compares with the JSON: only with `serde`.
    // The reference comparison runs everywhere (regressions replay, property tests,
    // local fuzzing) except where EXIM_LOG_FUZZ_NO_REFERENCE is set: the CI smoke run,
    // until random fuzzing stops finding gaps in the reference (see fuzz/README.md).
    #[cfg(feature = "serde")]
    static REFERENCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    #[cfg(feature = "serde")]
    if *REFERENCE.get_or_init(|| std::env::var_os("EXIM_LOG_FUZZ_NO_REFERENCE").is_none()) {
        check_reference(data, &r);
    }

    match parse_syslog_line(data) {
        Ok(l) => {
            let raw = l.raw.as_bytes();
            assert_eq!(raw, trim_line_ending(data), "syslog raw is not the line");
            let mut slices = Slices::default();
            slices.txt("syslog.time", l.time);
            slices.text("syslog.host", l.host);
            slices.txt("syslog.program", l.program);
            slices.txt("syslog.text", l.body.text);
            slices.id("syslog.message_id", l.body.message_id);
            slices.event(&l.body.event);
            for (name, s) in &slices.all {
                assert!(
                    borrowed(raw, s),
                    "{name} is not borrowed from the syslog line"
                );
            }
            let _ = (l.facility(), l.severity());
            #[cfg(feature = "serde")]
            serde_json::to_string(&l).unwrap_or_else(|e| panic!("JSON: {e}"));
        }
        Err(e) => assert!(e.offset <= data.len(), "syslog error offset past the input"),
    }

    // The line as each framing's line (a file of one line): no panic, and
    // what comes out is at most the line (decoded, never longer) with a
    // time put in front, and parses without a panic.
    for framing in [
        Framing::Plain,
        Framing::Rfc3164,
        Framing::Rfc5424,
        Framing::JournalShortIso,
        Framing::EximTimeFirst,
        Framing::HostFirst,
        Framing::JournalExport,
        Framing::JournalJson,
    ] {
        let mut u = Unwrap::new(framing).with_year(2026);
        if let Some(out) = u.line(data) {
            assert!(
                out.len() <= data.len() + 40,
                "{framing:?}: {} bytes out of a {}-byte line",
                out.len(),
                data.len()
            );
            let _ = parse_line(out);
        }
    }
}

/// The parser agrees with the independent reading of [`reference`]
/// ([`reference`]: regexes written from the format reference) on every field that reading
/// claims: a value that is a wrong slice of the line (a router that took the
/// ` : ` separator, an IP short by a character) passes the slice checks above
/// but not this one. The reference claims nothing on shapes it does not know.
#[cfg(feature = "serde")]
pub fn check_reference(data: &[u8], r: &Result<LogLine<'_>, exim_log::ParseError>) {
    let line = trim_line_ending(data);
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    let Some(reading) = reference::read(text) else {
        return;
    };
    let json = match r {
        Ok(l) => serde_json::to_value(l).unwrap_or_else(|e| panic!("JSON: {e}")),
        Err(e) => panic!(
            "the reference reads a {} line the parser rejects: {e}",
            reading.event
        ),
    };
    let d = reference::compare(&reading, &json);
    assert!(d.is_empty(), "the parser and the reference disagree: {d:?}");
}

/// Splits a buffer into lines the way a log reader must: on `\n`, a final line
/// without `\n` included, no empty line after a final `\n`.
pub fn split_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let empty = data.is_empty();
    body.split(|b| *b == b'\n').filter(move |_| !empty)
}

/// The start offset of every line of `data` (see [`split_lines`]).
fn line_starts(data: &[u8]) -> Vec<usize> {
    split_lines(data).map(|l| offset_in(data, l)).collect()
}

/// Target `buffer`: a whole buffer through the reader path. Every line gives
/// exactly one result, at the right line number and byte offset, holding the
/// line's bytes; the selector inference counts the same lines; the message
/// assembler loses no line and puts each in the right message.
pub fn check_buffer(data: &[u8]) {
    let lines: Vec<&[u8]> = split_lines(data).collect();
    let starts = line_starts(data);

    // The reader, with a small line cap taken from the input, so that long lines
    // and the cap's edge are exercised too.
    let cap = 64 + usize::from(data.first().copied().unwrap_or(0)) * 16;
    let mut rdr = LogReader::new(data).with_max_line_len(cap);
    let mut buf = Vec::new();
    let mut n = 0usize;
    loop {
        let r = rdr.read_line(&mut buf);
        let expected = lines.get(n).map(|l| trim_line_ending(l));
        match r {
            Ok(None) => break,
            Ok(Some(pos)) => {
                let want = expected
                    .unwrap_or_else(|| panic!("reader yielded line {} of {}", n + 1, lines.len()));
                assert_eq!(pos.line, n as u64 + 1, "line number");
                assert_eq!(
                    Some(pos.byte as usize),
                    starts.get(n).copied(),
                    "byte offset of line {}",
                    n + 1
                );
                assert_eq!(buf.as_slice(), want, "bytes of line {}", n + 1);
                assert!(buf.len() <= cap, "a line over the cap was yielded");
                let parsed = parse_line(&buf);
                check_line_result(&buf, &parsed);
            }
            Err(e) => {
                let want =
                    expected.unwrap_or_else(|| panic!("reader error after the last line: {e}"));
                assert_eq!(e.position.line, n as u64 + 1, "error line number");
                assert_eq!(Some(e.position.byte as usize), starts.get(n).copied());
                match e.kind {
                    ReadErrorKind::LineTooLong { length, limit } => {
                        assert_eq!(limit, cap);
                        assert!(
                            want.len() > cap,
                            "line of {} bytes called too long",
                            want.len()
                        );
                        // The reported length is documented as best effort: it
                        // may count the CR of a CRLF ending, and (reader as of
                        // this writing) is one short for a last line without `\n`.
                        let length = usize::try_from(length).unwrap_or(usize::MAX);
                        assert!(
                            length + 1 >= want.len() && length <= want.len() + 1,
                            "too-long line of {} bytes reported as {length}",
                            want.len()
                        );
                    }
                    _ => panic!("unexpected reader error on a byte slice: {e}"),
                }
            }
        }
        n += 1;
        assert!(n <= lines.len() + 1, "reader does not stop");
    }
    assert_eq!(n, lines.len(), "lines in != results out");
    let newlines = data.iter().filter(|b| **b == b'\n').count();
    let expected = newlines + usize::from(!data.is_empty() && !data.ends_with(b"\n"));
    assert_eq!(n, expected, "line count");

    // Records (owned) serialize, and their parse matches the borrowed parse.
    let max = exim_log::reader::DEFAULT_MAX_LINE_LEN;
    let too_long = |i: usize| {
        lines
            .get(i)
            .is_some_and(|l| trim_line_ending(l).len() > max)
    };
    let mut count = 0usize;
    for rec in LogReader::new(data).into_records() {
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) if matches!(e.kind, ReadErrorKind::LineTooLong { .. }) => {
                assert!(too_long(count), "line {} called too long", count + 1);
                count += 1;
                continue;
            }
            Err(e) => panic!("record error on a byte slice: {e}"),
        };
        #[cfg(feature = "serde")]
        serde_json::to_string(&rec).unwrap_or_else(|e| panic!("record JSON: {e}"));
        assert_eq!(
            rec.parse().ok(),
            parse_line(rec.raw()).ok(),
            "Record::parse differs from parse_line"
        );
        count += 1;
    }
    assert_eq!(count, lines.len(), "records in != lines");

    // The selector inference sees the same lines.
    let inf = Inference::from_bytes(data);
    assert_eq!(inf.lines(), lines.len() as u64, "inference line count");
    let unparsed = lines.iter().filter(|l| parse_line(l).is_err()).count();
    assert_eq!(inf.unparsed(), unparsed as u64, "inference unparsed count");
    let _ = (inf.seen(), inf.observations().count());

    // The assembler: every line comes out once (an args line linked to a
    // message comes out with it), and message lines carry their message's id.
    // A budget of 1 to 16 KiB, so that inputs of a few KiB hit it: bytes held
    // never pass it once a line is handled, and all is released at the end.
    let budget =
        MemoryBudget::bytes(1024 * (1 + usize::from(data.get(2).copied().unwrap_or(0) % 16)));
    let opts = AssemblerOptions::default()
        .max_in_flight(1 + usize::from(data.get(1).copied().unwrap_or(255) % 8))
        .max_pending_arguments(4)
        .memory_budget(budget);
    let mut seen = vec![0u32; lines.len() + 1];
    let mut items = Assembler::with_options(opts).messages(LogReader::new(data).into_records());
    while let Some(item) = items.next() {
        let held = items.assembler().memory().held;
        assert!(
            held <= budget.get(),
            "assembler holds {held} bytes, over its budget"
        );
        match item {
            Ok(Assembled::Message(m)) => {
                // A message has lines, or only the args lines that named its
                // id (`-Mc ID` for a message whose lines are not in this input).
                assert!(
                    !m.lines.is_empty()
                        || (!m.arguments.is_empty()
                            && m.arguments.iter().all(|a| a.link == Link::NamedId)),
                    "message without lines"
                );
                for rec in &m.lines {
                    let l = parse_line(rec.raw())
                        .unwrap_or_else(|e| panic!("message line does not parse: {e}"));
                    assert_eq!(
                        l.message_id.map(|i| i.as_str()),
                        Some(m.id().as_str()),
                        "line in the wrong message"
                    );
                    // What the message keeps of the assembler's parse is what
                    // a parse of the line finds.
                    assert_eq!(rec.timestamp(), l.timestamp, "kept time");
                    assert_eq!(rec.flag(), l.flag, "kept flag");
                    if let exim_log::Event::Delivery(d)
                    | exim_log::Event::Deferral(d)
                    | exim_log::Event::Failure(d) = &l.event
                    {
                        assert_eq!(rec.address(), Some(d.address), "kept address");
                        assert_eq!(rec.original(), d.original, "kept original");
                        assert_eq!(rec.transport(), d.transport, "kept transport");
                        assert_eq!(rec.has_host(), d.host.is_some(), "kept host");
                        assert_eq!(rec.host_name(), d.host.and_then(|h| h.name), "kept name");
                        assert_eq!(rec.host_ip(), d.host.and_then(|h| h.ip), "kept ip");
                        assert_eq!(rec.helo(), d.host.and_then(|h| h.helo), "kept helo");
                    }
                    if let exim_log::Event::Arrival(a) = &l.event {
                        assert_eq!(rec.sender(), Some(a.sender), "kept sender");
                        assert_eq!(rec.size(), a.size, "kept size");
                        assert_eq!(rec.has_host(), a.host.is_some(), "kept host");
                        assert_eq!(rec.host_name(), a.host.and_then(|h| h.name), "kept name");
                        assert_eq!(rec.host_ip(), a.host.and_then(|h| h.ip), "kept ip");
                        assert_eq!(rec.helo(), a.host.and_then(|h| h.helo), "kept helo");
                        assert_eq!(rec.user(), a.user, "kept user");
                        assert_eq!(rec.protocol(), a.protocol, "kept protocol");
                        let auth = a.auth.map(|au| (au.authenticator, au.id));
                        assert_eq!(
                            rec.authenticator().map(|n| (n, rec.auth_id())),
                            auth,
                            "kept A="
                        );
                        assert_eq!(rec.subject(), a.subject, "kept subject");
                        assert_eq!(rec.subject_decoded(), a.subject_decoded(), "kept subject");
                        assert_eq!(rec.recipients(), a.recipients, "kept recipients");
                    }
                    if let exim_log::Event::Rejection(r) = &l.event {
                        let h = r.peer.host;
                        assert_eq!(rec.temporary(), r.temporary, "kept temporary");
                        assert_eq!(rec.reason(), r.reason, "kept reason");
                        assert_eq!(rec.has_host(), h.is_some(), "kept host");
                        assert_eq!(rec.host_name(), h.and_then(|h| h.name), "kept name");
                        assert_eq!(rec.host_ip(), h.and_then(|h| h.ip), "kept ip");
                        assert_eq!(rec.helo(), h.and_then(|h| h.helo), "kept helo");
                    }
                    bump(&mut seen, rec.position().line);
                }
                for a in &m.arguments {
                    // What the assembler kept of an args line is its parse.
                    let fresh = a.record.parse().ok().map(|l| l.event);
                    let kept = a.arguments().map(exim_log::Event::Arguments);
                    assert_eq!(kept, fresh, "kept args");
                    let cwd = a.arguments().map(|x| x.cwd.as_bytes());
                    assert_eq!(a.cwd(), cwd, "kept cwd");
                    bump(&mut seen, a.record.position().line);
                }
                #[cfg(feature = "serde")]
                serde_json::to_string(&m).unwrap_or_else(|e| panic!("message JSON: {e}"));
            }
            Ok(Assembled::Line(rec)) => bump(&mut seen, rec.position().line),
            Ok(_) => {}
            Err(e) => assert!(!e.is_fatal(), "fatal error on a byte slice: {e}"),
        }
    }
    let mem = items.assembler().memory();
    assert_eq!(mem.held, 0, "bytes still held after the end: {mem:?}");
    // Room is made before a line is taken in: the peak stays within the
    // budget too, unless one line (with its bookkeeping) is bigger than it.
    let longest = lines.iter().map(|l| l.len()).max().unwrap_or(0);
    assert!(
        mem.peak <= budget.get().max(longest + 4096),
        "assembler peak over its budget: {mem:?}"
    );
    for (i, c) in seen.iter().enumerate().skip(1) {
        // An args line can be linked to several messages (`-bs`), and so come out
        // more than once; every other line exactly once.
        let is_args = lines
            .get(i - 1)
            .and_then(|l| parse_line(l).ok())
            .is_some_and(|l| matches!(l.event, Event::Arguments(_)));
        assert!(
            *c == 1 || (is_args && *c > 1) || (*c == 0 && too_long(i - 1)),
            "line {i} emitted {c} times by the assembler"
        );
    }
}

fn bump(seen: &mut [u32], line: u64) {
    match usize::try_from(line).ok().and_then(|i| seen.get_mut(i)) {
        Some(c) => *c += 1,
        None => panic!("assembler emitted line {line}, which is not in the input"),
    }
}

/// Target `rejectlog`: a buffer through the reject log and panic log entry
/// iterators. Entries tile the buffer (one per timestamped line, plus one for
/// text before the first), every slice lies inside its entry, and both logs
/// split the buffer the same way.
pub fn check_rejectlog(data: &[u8]) {
    let mut expected: Vec<usize> = split_lines(data)
        .filter(|l| starts_entry(l))
        .map(|l| offset_in(data, l))
        .collect();
    if !data.is_empty() && expected.first() != Some(&0) {
        expected.insert(0, 0);
    }

    let mut offsets = Vec::new();
    for r in RejectLog::new(data) {
        match r {
            Ok(e) => {
                let raw = e.raw.as_bytes();
                assert!(inside(data, raw), "entry not borrowed from the buffer");
                assert_eq!(offset_in(data, raw), e.offset, "entry offset");
                let first = data.get(e.offset..).unwrap_or_default();
                let first = first.split(|b| *b == b'\n').next().unwrap_or_default();
                // The entry's first line loses its line ending before `parse_line`
                // (which ignores one more), as the reader's lines do.
                check_parsed_line(trim_line_ending(first), &e.line);
                let mut s = Slices::default();
                s.line(&e.line);
                s.text("envelope_from", e.envelope_from);
                s.txt("envelope_to", e.envelope_to.raw());
                for r in e.envelope_to.iter() {
                    s.txt("envelope_to.item", r);
                }
                let _ = e.envelope_to.more();
                s.txt("header_block", e.header_block);
                for h in e.headers() {
                    assert!(
                        inside(e.header_block.as_bytes(), h.text.as_bytes()),
                        "header outside the block"
                    );
                    s.txt("header", h.text);
                    s.text("header.name", h.name());
                    s.text("header.value", h.value());
                }
                for (name, sl) in &s.all {
                    assert!(borrowed(raw, sl), "{name} is not inside its entry");
                }
                #[cfg(feature = "serde")]
                serde_json::to_string(&e).unwrap_or_else(|err| panic!("JSON: {err}"));
                offsets.push(e.offset);
            }
            Err(err) => {
                assert!(err.offset <= data.len(), "error offset past the buffer");
                // The offset points into the entry's first line: the entry is
                // the last one that starts at or before it.
                let at = expected
                    .iter()
                    .rev()
                    .find(|o| **o <= err.offset)
                    .copied()
                    .unwrap_or(0);
                offsets.push(at);
            }
        }
    }
    assert_eq!(
        offsets, expected,
        "entries do not match the timestamped lines"
    );

    // Each line read on its own (`exim-log ndjson`): the fields are slices of
    // the line and agree with its kind.
    for l in split_lines(data) {
        let Some(e) = exim_log::rejectlog::entry_line(l) else {
            continue;
        };
        use exim_log::rejectlog::EntryLineKind as K;
        let raw = e.raw.as_bytes();
        assert_eq!(raw, trim_line_ending(l), "entry line raw");
        for t in [e.name, e.value].into_iter().flatten() {
            assert!(
                borrowed(raw, t.as_bytes()),
                "entry line field outside the line"
            );
        }
        match e.kind {
            K::EnvelopeFrom | K::EnvelopeTo => {
                let v = e.value.map(|v| v.as_bytes()).unwrap_or_default();
                assert!(raw.ends_with(v) && raw.starts_with(b"Envelope-"));
            }
            K::Header => {
                let f = e.flag.map(|c| c as u32);
                assert_eq!(f, raw.first().map(|b| u32::from(*b)), "header flag");
                assert!(e.name.is_some(), "header without a name");
            }
            K::Continuation => {
                assert!(matches!(raw.first(), Some(b' ' | b'\t')));
                assert!(e.value.is_some_and(|v| !v.as_bytes().is_empty()));
            }
            K::Truncated => assert_eq!(raw, b"*** truncated ***"),
            _ => {}
        }
        #[cfg(feature = "serde")]
        serde_json::to_string(&e).unwrap_or_else(|err| panic!("JSON: {err}"));
    }

    // The panic log splits the same way.
    let mut count = 0usize;
    for r in PanicLog::new(data) {
        match r {
            Ok(e) => {
                let raw = e.raw.as_bytes();
                assert!(
                    inside(data, raw),
                    "panic entry not borrowed from the buffer"
                );
                assert_eq!(
                    Some(&e.offset),
                    expected.get(count),
                    "panic log entry offset"
                );
                if let Some(d) = e.detail {
                    assert!(inside(raw, d.as_bytes()), "detail outside the entry");
                }
                #[cfg(feature = "serde")]
                serde_json::to_string(&e).unwrap_or_else(|err| panic!("JSON: {err}"));
            }
            Err(err) => assert!(err.offset <= data.len()),
        }
        count += 1;
    }
    assert_eq!(count, expected.len(), "panic log entry count");
}

/// Target `received`: one header through `Received::parse`, and the buffer as a
/// header block through `received_headers` / `exim_message_ids`.
pub fn check_received(data: &[u8]) {
    let r = Received::parse(data);
    let mut s = Slices::default();
    s.received(&r);
    for (name, sl) in &s.all {
        assert!(inside(data, sl), "{name} is not borrowed from the header");
    }
    if let Some(d) = r.date {
        assert!(
            (1..=12).contains(&d.month) && (1..=31).contains(&d.day),
            "date {d}"
        );
        assert!(d.hour <= 23 && d.minute <= 59 && d.second <= 60, "date {d}");
        let _ = d.unix_millis();
    }
    let _ = r.is_exim();
    assert_eq!(exim_log::parse_received(data), r, "parse_received differs");
    #[cfg(feature = "serde")]
    {
        let json = serde_json::to_value(r).unwrap_or_else(|e| panic!("JSON: {e}"));
        assert_eq!(
            json.get("message_id").and_then(|v| v.as_str()),
            r.message_id.map(|m| m.as_str())
        );
    }

    let mut last_end = 0usize;
    for h in received_headers(data) {
        assert!(inside(data, h), "header outside the block");
        if !h.is_empty() {
            let at = offset_in(data, h);
            assert!(at >= last_end, "headers overlap or go backwards");
            last_end = at + h.len();
        }
        let hr = Received::parse(h);
        let mut s = Slices::default();
        s.received(&hr);
        for (name, sl) in &s.all {
            assert!(inside(h, sl), "{name} is not borrowed from its header");
        }
    }
    for id in exim_message_ids(data) {
        check_message_id(id);
        assert!(
            inside(data, id.as_str().as_bytes()),
            "id not borrowed from the block"
        );
    }
}

/// Target `selector`: a `log_selector` value. A setting that parses renders to a
/// canonical setting that parses back to the same set; an error points inside
/// the input.
pub fn check_selector(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match LogSelector::parse(text) {
        Ok(set) => {
            let canon = set.to_setting();
            assert_eq!(set.to_string(), canon, "Display is not to_setting");
            assert_eq!(
                LogSelector::parse(&canon),
                Ok(set),
                "{canon:?} does not parse back"
            );
            assert_eq!(set.len(), set.iter().count());
            let o = Options::from_setting(text).unwrap_or_else(|e| panic!("Options: {e}"));
            let _ = (o.expects_pid(), o.expects_millisec());
        }
        Err(e) => {
            assert!(
                e.offset() <= text.len(),
                "error offset {} past the input",
                e.offset()
            );
            assert!(
                text.is_char_boundary(e.offset()),
                "error offset inside a character"
            );
            assert!(!e.message().is_empty());
            let _ = (e.kind(), e.found(), e.suggestion(), e.to_string());
            assert!(
                Options::from_setting(text).is_err(),
                "Options accepts what LogSelector rejects"
            );
        }
    }
}

/// Target `differential`: two ways to the same answer must agree.
///
/// * The streaming reader and splitting the buffer in memory give the same lines
///   at the same positions.
/// * The reader's search fast path (`read_matching_line`) gives exactly the lines
///   that contain the needle (1-8 bytes picked from the input), at the same
///   positions.
/// * Each line parses the same with no line ending, `\n` and `\r\n`.
pub fn check_differential(data: &[u8]) {
    let (needle_len, body) = match data.split_first() {
        Some((b, r)) => (usize::from(b % 8) + 1, r),
        None => (1, data),
    };
    let needle = body.get(..needle_len.min(body.len())).unwrap_or_default();
    // A line ending in the needle could match across the end of a line.
    let needle = if needle.contains(&b'\n') || needle.contains(&b'\r') {
        &b""[..]
    } else {
        needle
    };

    let lines: Vec<&[u8]> = split_lines(body).collect();
    let starts = line_starts(body);
    let expected: Vec<(u64, u64, Vec<u8>)> = lines
        .iter()
        .zip(&starts)
        .enumerate()
        .map(|(i, (l, s))| (i as u64 + 1, *s as u64, trim_line_ending(l).to_vec()))
        .collect();

    let mut rdr = LogReader::new(body).with_max_line_len(body.len());
    let mut buf = Vec::new();
    let mut all = Vec::new();
    loop {
        match rdr.read_line(&mut buf) {
            Ok(Some(pos)) => all.push((pos.line, pos.byte, buf.clone())),
            Ok(None) => break,
            Err(e) => panic!("reader error on a byte slice: {e}"),
        }
    }
    assert_eq!(all, expected, "reader and in-memory split disagree");

    if !needle.is_empty() {
        let filter = Prefilter::new([needle]);
        let mut rdr = LogReader::new(body).with_max_line_len(body.len());
        let mut got = Vec::new();
        loop {
            match rdr.read_matching_line(&filter, &mut buf) {
                Ok(Some(pos)) => got.push((pos.line, pos.byte, buf.clone())),
                Ok(None) => break,
                Err(e) => panic!("reader error on a byte slice: {e}"),
            }
        }
        let want: Vec<(u64, u64, Vec<u8>)> = expected
            .iter()
            .filter(|(_, _, l)| l.windows(needle.len()).any(|w| w == needle))
            .cloned()
            .collect();
        assert_eq!(
            got, want,
            "read_matching_line({needle:?}) disagrees with filtering"
        );
    }

    for line in &lines {
        let line = trim_line_ending(line);
        if line.contains(&b'\r') {
            continue;
        }
        let bare = parse_line(line);
        for ending in [&b"\n"[..], b"\r\n"] {
            let mut with = line.to_vec();
            with.extend_from_slice(ending);
            let other = parse_line(&with);
            match (&bare, &other) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "line ending changed the result"),
                (Err(a), Err(b)) => assert_eq!(a, b, "line ending changed the error"),
                _ => panic!("line ending changed success into failure or back"),
            }
        }
    }
}

/// Target `spool`: a spool `-H` file. A parsed file borrows every field from the
/// input, its iterators agree with its counts, its headers run exactly to the
/// end of the input, and writing it back in Exim's format (`spool_out.c`) parses
/// to the same value; an error points inside the input.
pub fn check_spool(data: &[u8]) {
    let h = match spool::parse_header(data) {
        Ok(h) => h,
        Err(e) => {
            assert!(
                e.offset <= data.len(),
                "error offset {} past the end",
                e.offset
            );
            return;
        }
    };
    let mut s = Slices::default();
    s.add("id", h.id.as_str().as_bytes());
    s.txt("login", h.login);
    s.txt("sender", h.sender);
    let e = &h.envelope;
    for t in [
        e.received_time_complete,
        e.helo_name,
        e.host_name,
        e.host_auth,
        e.host_auth_pubname,
        e.active_hostname,
        e.ident,
        e.received_protocol,
        e.auth_id,
        e.auth_sender,
        e.local_scan,
        e.spam_bar,
        e.spam_score,
        e.spam_score_int,
        e.tls_cipher,
        e.tls_ver,
        e.tls_resumption,
        e.dsn_envid,
    ] {
        s.text("envelope", t);
    }
    s.endpoint("envelope.host_address", e.host_address);
    s.endpoint("envelope.interface_address", e.interface_address);
    s.quoted("envelope.tls_peerdn", e.tls_peerdn);
    s.quoted("envelope.tls_sni", e.tls_sni);
    for v in h.variables() {
        s.txt("variable.name", v.name);
        s.text("variable.value", v.value);
        s.text("variable.quoter", v.quoter);
        s.text("variable.data", v.data);
        let _ = v.acl_name();
    }
    for a in h.non_recipients() {
        s.txt("non_recipient", a);
        assert!(!a.is_empty(), "empty non-recipient");
    }
    assert_eq!(
        h.recipients().count(),
        h.recipient_count(),
        "recipient count"
    );
    for r in h.recipients() {
        s.txt("recipient.address", r.address);
        s.text("recipient.errors_to", r.errors_to);
        s.text("recipient.orcpt", r.orcpt);
    }
    let mut end = None;
    for m in h.headers() {
        assert_eq!(m.text.len(), m.length, "header length");
        s.add("header.text", m.text);
        assert!(inside(m.text, m.name()), "header name outside its text");
        assert!(
            inside(m.text, m.value().as_bytes()),
            "header value outside its text"
        );
        let _ = m.kind();
        end = Some(offset_in(data, m.text) + m.text.len());
    }
    if let Some(end) = end {
        assert_eq!(end, data.len(), "headers do not run to the end of the file");
    }
    for (name, sl) in &s.all {
        assert!(inside(data, sl), "{name} is not borrowed from the file");
    }
    let _ = (h.subject(), h.originating_script(), h.php_script());
    let _ = h.listing_size(u64::MAX);
    let again = render_spool(&h);
    let h2 = spool::parse_header(&again)
        .unwrap_or_else(|e| panic!("rendered file does not parse: {e}: {again:?}"));
    // Compared through their JSON: only with `serde`.
    #[cfg(feature = "serde")]
    {
        let json = serde_json::to_value(h).unwrap_or_else(|e| panic!("JSON: {e}"));
        assert_eq!(json.get("id").and_then(|v| v.as_str()), Some(h.id.as_str()));
        let json2 = serde_json::to_value(h2).unwrap_or_else(|e| panic!("JSON: {e}"));
        assert_eq!(json, json2, "render and parse again differs");
    }
    #[cfg(not(feature = "serde"))]
    let _ = h2;
}

/// Writes a parsed `-H` file in Exim's format (`spool_out.c`), the tree as a
/// chain (same pre-order) and every recipient in the full `#3` form.
fn render_spool(h: &spool::HeaderFile<'_>) -> Vec<u8> {
    let mut o = Vec::new();
    o.extend_from_slice(h.id.as_str().as_bytes());
    o.extend_from_slice(b"-H\n");
    o.extend_from_slice(h.login.as_bytes());
    o.extend_from_slice(format!(" {} {}\n<", h.uid, h.gid).as_bytes());
    o.extend_from_slice(h.sender.as_bytes());
    o.extend_from_slice(format!(">\n{} {}\n", h.received_time, h.warning_count).as_bytes());
    for v in h.variables() {
        o.push(b'-');
        if v.tainted {
            o.push(b'-');
        }
        if let Some(q) = v.quoter {
            o.push(b'(');
            o.extend_from_slice(q.as_bytes());
            o.push(b')');
        }
        o.extend_from_slice(v.name.as_bytes());
        if let Some(val) = v.value {
            o.push(b' ');
            o.extend_from_slice(val.as_bytes());
        }
        o.push(b'\n');
        if let Some(d) = v.data {
            o.extend_from_slice(d.as_bytes());
            o.push(b'\n');
        }
    }
    let tree: Vec<_> = h.non_recipients().collect();
    if tree.is_empty() {
        o.extend_from_slice(b"XX\n");
    }
    for (i, a) in tree.iter().enumerate() {
        o.extend_from_slice(if i + 1 < tree.len() { b"NY " } else { b"NN " });
        o.extend_from_slice(a.as_bytes());
        o.push(b'\n');
    }
    o.extend_from_slice(format!("{}\n", h.recipient_count()).as_bytes());
    for r in h.recipients() {
        let orcpt = r.orcpt.map_or(&b""[..], |t| t.as_bytes());
        let errors_to = r.errors_to.map_or(&b""[..], |t| t.as_bytes());
        o.extend_from_slice(r.address.as_bytes());
        o.push(b' ');
        o.extend_from_slice(orcpt);
        o.extend_from_slice(format!(" {},{} ", orcpt.len(), r.dsn_flags).as_bytes());
        o.extend_from_slice(errors_to);
        o.extend_from_slice(
            format!(" {},{}#3\n", errors_to.len(), r.parent.unwrap_or(-1)).as_bytes(),
        );
    }
    o.push(b'\n');
    for m in h.headers() {
        o.extend_from_slice(format!("{:03}", m.length).as_bytes());
        o.push(m.flag);
        o.push(b' ');
        o.extend_from_slice(m.text);
    }
    o
}

/// Target `listing`: `exim -bp` output. Every record borrows from the input,
/// errors point inside it, and printing the records again the way Exim does
/// (`queue.c queue_list`) reads back to the same records.
pub fn check_listing(data: &[u8]) {
    let mut entries = Vec::new();
    for r in spool::parse_listing(data) {
        match r {
            Ok(e) => entries.push(e),
            Err(e) => assert!(
                e.offset <= data.len(),
                "error offset {} past the end",
                e.offset
            ),
        }
    }
    let mut out = Vec::new();
    let mut comparable = Vec::new();
    for e in &entries {
        let mut s = Slices::default();
        s.add("id", e.id.as_str().as_bytes());
        s.text("size", e.size);
        s.text("sender", e.sender);
        s.text("login", e.login);
        s.text("error", e.error);
        for r in e.recipients() {
            s.txt("recipient", r.address);
            assert!(!r.address.is_empty(), "empty recipient");
        }
        for (name, sl) in &s.all {
            assert!(inside(data, sl), "{name} is not borrowed from the listing");
        }
        let _ = (e.size_bytes(), e.age.map(|a| a.minutes()));
        #[cfg(feature = "serde")]
        serde_json::to_value(e).unwrap_or_else(|err| panic!("JSON: {err}"));
        // Texts that the reading of the first line cannot tell apart from its
        // own delimiters do not come back the same; Exim has the same ambiguity.
        let awkward = |t: Option<Text<'_>>| {
            t.is_some_and(|t| {
                let b = t.as_bytes();
                memmem(b, b"> (")
                    || memmem(b, b"***")
                    || b.first() == Some(&b'<')
                    || b.iter().any(|c| c.is_ascii_whitespace() && *c != b' ')
                    || b.ends_with(b" ")
                    || b.starts_with(b" ")
                    || b.ends_with(b")")
            })
        };
        if awkward(e.sender) || awkward(e.login) {
            continue;
        }
        comparable.push(*e);
        render_entry(&mut out, e);
    }
    let again: Vec<_> = spool::parse_listing(&out)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|err| panic!("rendered listing does not parse: {err}"));
    assert_eq!(
        again.len(),
        comparable.len(),
        "record count after rendering"
    );
    // Compared through their JSON: only with `serde`.
    #[cfg(feature = "serde")]
    for (a, b) in comparable.iter().zip(&again) {
        assert_eq!(
            serde_json::to_value(a).ok(),
            serde_json::to_value(b).ok(),
            "record differs after rendering"
        );
    }
}

fn memmem(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn render_entry(o: &mut Vec<u8>, e: &spool::QueueEntry<'_>) {
    if let Some(age) = e.age {
        o.extend_from_slice(format!("{:>3} ", age.to_string()).as_bytes());
    }
    let size = e.size.map(|t| t.to_string()).unwrap_or_default();
    o.extend_from_slice(format!("{size:>5} {}", e.id).as_bytes());
    if let Some(sender) = e.sender {
        o.extend_from_slice(b" <");
        o.extend_from_slice(sender.as_bytes());
        o.push(b'>');
        if let Some(login) = e.login {
            o.extend_from_slice(b" (");
            o.extend_from_slice(login.as_bytes());
            o.push(b')');
        }
    }
    if e.frozen {
        o.extend_from_slice(b" *** frozen ***");
    }
    o.push(b'\n');
    if let Some(err) = e.error {
        o.extend_from_slice(b"    ");
        o.extend_from_slice(err.as_bytes());
        o.push(b'\n');
    }
    for r in e.recipients() {
        o.extend_from_slice(match (r.generated, r.delivered) {
            (true, _) => &b"       +D "[..],
            (false, true) => b"        D ",
            (false, false) => b"          ",
        });
        o.extend_from_slice(r.address.as_bytes());
        o.push(b'\n');
    }
    o.push(b'\n');
}

/// Target `weblog`: one web access-log line. A parsed line borrows every text
/// from the input and its request parts from its request; an error points
/// inside the input; the time is a valid calendar-ish time.
pub fn check_weblog(data: &[u8]) {
    match exim_log::weblog::parse_access_line(data) {
        Ok(l) => {
            let mut s = Slices::default();
            s.text("vhost", l.vhost);
            s.txt("client", l.client);
            s.text("ident", l.ident);
            s.text("user", l.user);
            s.txt("request", l.request);
            s.text("referer", l.referer);
            s.text("user_agent", l.user_agent);
            s.text("rest", l.rest);
            for (name, sl) in &s.all {
                assert!(inside(data, sl), "{name} is not borrowed from the line");
            }
            for part in [l.method(), l.target(), l.path()].into_iter().flatten() {
                assert!(
                    inside(l.request.as_bytes(), part.as_bytes()),
                    "request part outside the request"
                );
            }
            let t = l.time;
            assert!((1..=12).contains(&t.month) && (1..=31).contains(&t.day) && t.hour <= 23);
            let _ = l.unix_seconds();
            #[cfg(feature = "serde")]
            serde_json::to_value(l).unwrap_or_else(|e| panic!("JSON: {e}"));
        }
        Err(e) => assert!(
            e.offset <= data.len(),
            "error offset {} past the end",
            e.offset
        ),
    }
}
