//! Property tests on the stable toolchain: arbitrary input never panics and keeps
//! the invariants of the fuzz targets, and values rendered the way Exim writes them
//! (exim-log-format.md §0, §1, §7, §8) parse back to what was rendered.
//!
//! `PROPTEST_CASES=10000 cargo test -p exim-log --test proptest` runs longer.

#[allow(dead_code)]
// not every check is used here
// The fuzz crate's checks, through a symlink so that the packaged crate has them.
#[path = "fuzz_checks/mod.rs"]
mod invariants;

use exim_log::{
    AddressList, ArgList, Escaping, IdFormat, LogDuration, LogSelector, MessageId, Mta, Quoted,
    Received, Selector, Text, parse_line,
};
use proptest::collection::vec;
use proptest::prelude::*;

// ---------------------------------------------------------------- renderers
// Each writes a value the way Exim does, independently of the parser.

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` in base 62, left-padded with `0` to `width` digits (§0).
fn base62(mut n: u64, width: usize) -> String {
    let mut digits = vec![b'0'; width];
    for d in digits.iter_mut().rev() {
        *d = BASE62.get((n % 62) as usize).copied().unwrap_or(b'?');
        n /= 62;
    }
    assert_eq!(n, 0, "value does not fit {width} digits");
    String::from_utf8_lossy(&digits).into_owned()
}

/// `string.c string_printing` with flags 0 (§7): 32-126 and TAB as they are,
/// `\n \r \b \v \f` by name, anything else as three octal digits.
fn string_printing(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in raw {
        match b {
            b'\t' | 32..=126 => out.push(b),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0b => out.extend_from_slice(b"\\v"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
        }
    }
    out
}

/// A backslash before each `"` and `\`.
fn escape_quotes(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in raw {
        if matches!(b, b'"' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// `string_timediff` (§8): `[-][Nw][Nd][Nh][Nm][Ns]`, zero parts left out, `0s` for zero.
fn timediff(neg: bool, parts: [u64; 5]) -> String {
    let mut s = String::new();
    for (n, unit) in parts.iter().zip(["w", "d", "h", "m", "s"]) {
        if *n != 0 {
            s.push_str(&format!("{n}{unit}"));
        }
    }
    if s.is_empty() {
        s.push_str("0s");
    }
    if neg { format!("-{s}") } else { s }
}

// ---------------------------------------------------------------- strategies

/// Bytes that look like log text more often than uniform bytes do.
fn logish_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(&b" =<>[]()\":.-*@+,;\\"[..]),
        4 => b'a'..=b'z',
        2 => b'0'..=b'9',
        1 => b'A'..=b'Z',
        1 => any::<u8>(),
    ];
    vec(byte, 0..max)
}

/// Tokens of mainlog lines, for bodies that reach deep into the field parsers.
fn token() -> impl Strategy<Value = Vec<u8>> {
    let fixed = prop::sample::select(vec![
        "<=",
        "=>",
        "->",
        ">>",
        "*>",
        "**",
        "==",
        "(=",
        "Completed",
        "H=",
        "U=",
        "P=",
        "S=",
        "A=",
        "X=",
        "CV=yes",
        "DN=\"",
        "T=\"",
        "C=\"",
        "R=",
        "T=",
        "I=[",
        "F=<",
        "id=",
        "Ci=",
        "QT=",
        "DT=",
        "RT=",
        "L",
        "K",
        "PRDR",
        "DS",
        "for",
        "from",
        "defer",
        "(",
        ")",
        "[",
        "]",
        "\"",
        ":",
        "cwd=/tmp",
        "args:",
        "rejected",
        "RCPT",
        "<a@example.com>",
        "[192.0.2.1]:25",
        "(helo.example)",
        "mail.example.com",
        "3m45s",
        "0.304s",
        "1sAoM5-00000009r3p-06vq",
        "1FZ8zt-0005lz-E7",
        "\\n",
        "\\\"",
    ])
    .prop_map(|s: &str| s.as_bytes().to_vec());
    prop_oneof![4 => fixed, 1 => logish_bytes(12)]
}

/// A plausible line: valid prefix, optional id, then tokens separated by spaces.
fn plausible_line() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::option::of(any::<u64>()),
        vec(token(), 0..24),
        prop::sample::select(vec!["", "\n", "\r\n"]),
    )
        .prop_map(|(id, toks, ending)| {
            let mut l = b"2024-05-25 10:10:28 ".to_vec();
            if let Some(pid) = id {
                l.extend_from_slice(format!("1sAoM5-{}-06vq ", base62(pid, 11)).as_bytes());
            }
            l.extend_from_slice(&toks.join(&b' '));
            l.extend_from_slice(ending.as_bytes());
            l
        })
}

// ---------------------------------------------------------------- properties

proptest! {
    #[test]
    fn arbitrary_bytes_keep_the_line_invariants(data in vec(any::<u8>(), 0..300)) {
        invariants::check_line(&data);
        invariants::check_buffer(&data);
        invariants::check_differential(&data);
    }

    #[test]
    fn prefixed_garbage_keeps_the_line_invariants(tail in logish_bytes(300)) {
        let mut line = b"2024-05-25 10:10:28 ".to_vec();
        line.extend_from_slice(&tail);
        invariants::check_line(&line);
        invariants::check_differential(&line);
    }

    #[test]
    fn plausible_lines_keep_the_line_invariants(line in plausible_line()) {
        invariants::check_line(&line);
        invariants::check_differential(&line);
    }

    #[test]
    fn buffers_of_plausible_lines_give_one_result_per_line(
        lines in vec(plausible_line(), 0..20),
    ) {
        let mut buf = Vec::new();
        for mut l in lines {
            if !l.ends_with(b"\n") {
                l.push(b'\n');
            }
            buf.extend_from_slice(&l);
        }
        invariants::check_buffer(&buf);
    }

    #[test]
    fn arbitrary_values_never_panic(data in vec(any::<u8>(), 0..200)) {
        for e in [Escaping::Printing, Escaping::Subject, Escaping::Confirmation] {
            invariants::check_quoted(Quoted::new(&data, e));
        }
        // A duration is made of Exim's duration characters only, and agrees
        // with the independent reading of the format reference (§8).
        let d = LogDuration::parse(&data);
        if d.is_some() {
            prop_assert!(data.iter().all(|b| b"-0123456789wdhms.".contains(b)), "{:?}", data);
        }
        if let Some(want) = std::str::from_utf8(&data).ok().filter(|s| s.len() <= 12).and_then(invariants::reference::duration) {
            prop_assert_eq!(d.map(|d| d.as_secs_f64()), Some(want));
        }
        if let Some(id) = MessageId::parse(&data) {
            invariants::check_message_id(id);
        }
        if let Some((id, rest)) = MessageId::parse_prefix(&data) {
            invariants::check_message_id(id);
            prop_assert!(invariants::inside(&data, rest));
            prop_assert_eq!(id.as_str().len() + rest.len(), data.len());
        }
        let list = AddressList::new(Text::new(&data));
        for a in list.iter() {
            prop_assert!(invariants::inside(&data, a.as_bytes()));
            prop_assert!(!a.is_empty(), "empty address");
        }
        for a in ArgList::new(Text::new(&data)).iter() {
            prop_assert!(invariants::inside(&data, a.raw()));
        }
    }

    /// §1: `YYYY-MM-DD HH:MM:SS[.mmm][ +HHMM][ [pid]][ id] text`, rendered, parses back.
    #[test]
    fn prefix_round_trips(
        (year, month, day) in (1u16..=9999, 1u8..=12, 1u8..=31),
        (hour, minute, second) in (0u8..=23, 0u8..=59, 0u8..=60),
        ms in prop::option::of(0u16..=999),
        tz in prop::option::of((any::<bool>(), 0i16..=23, 0i16..=59)),
        pid in prop::option::of(any::<u32>()),
        id in prop::option::of((0u64..62u64.pow(6), any::<u64>(), 0u64..62u64.pow(4))),
        tail in logish_bytes(60),
    ) {
        // A real calendar date (the parser rejects the others, see hostile.rs).
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let month_len = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let day = day.min(month_len[usize::from(month - 1)]);
        let mut line = format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
        if let Some(ms) = ms {
            line.push_str(&format!(".{ms:03}"));
        }
        if let Some((neg, hh, mm)) = tz {
            line.push_str(&format!(" {}{hh:02}{mm:02}", if neg { '-' } else { '+' }));
        }
        if let Some(pid) = pid {
            line.push_str(&format!(" [{pid}]"));
        }
        let id_text = id.map(|(t, p, f)| format!("{}-{}-{}", base62(t, 6), base62(p, 11), base62(f, 4)));
        if let Some(id) = &id_text {
            line.push(' ');
            line.push_str(id);
        }
        // `x ` cannot start an id, a pid or an offset, so the text is exactly the tail.
        let mut bytes = line.into_bytes();
        bytes.extend_from_slice(b" x ");
        let text_at = bytes.len() - 2;
        bytes.extend(tail.iter().copied().filter(|b| !matches!(b, b'\n' | b'\r')));

        let l = parse_line(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let t = l.timestamp;
        prop_assert_eq!((t.year, t.month, t.day), (year, month, day));
        prop_assert_eq!((t.hour, t.minute, t.second), (hour, minute, second));
        prop_assert_eq!(t.millisecond, ms);
        prop_assert_eq!(
            t.utc_offset_minutes,
            tz.map(|(neg, hh, mm)| if neg { -(hh * 60 + mm) } else { hh * 60 + mm })
        );
        prop_assert_eq!(l.pid, pid);
        prop_assert_eq!(l.message_id.map(|m| m.as_str().to_owned()), id_text);
        prop_assert_eq!(l.text_offset(), text_at);
        invariants::check_parsed_line(&bytes, &l);
    }

    /// §0: both id layouts, rendered in base 62, decode to the numbers they encode.
    #[test]
    fn message_ids_round_trip(
        time in 0u64..62u64.pow(6),
        pid in any::<u64>(),
        frac in 0u64..62u64.pow(4),
        old in any::<bool>(),
    ) {
        let (pid, frac, text) = if old {
            let (p, f) = (pid % 62u64.pow(6), frac % 62u64.pow(2));
            (p, f, format!("{}-{}-{}", base62(time, 6), base62(p, 6), base62(f, 2)))
        } else {
            (pid, frac, format!("{}-{}-{}", base62(time, 6), base62(pid, 11), base62(frac, 4)))
        };
        let id = MessageId::parse(text.as_bytes()).ok_or_else(|| TestCaseError::fail(text.clone()))?;
        prop_assert_eq!(id.as_str(), text.as_str());
        prop_assert_eq!(id.format(), if old { IdFormat::Old } else { IdFormat::New });
        prop_assert_eq!((id.time(), id.pid(), id.fraction()), (time, pid, frac));
        let with_rest = format!("{text} Completed");
        let (id2, rest) = MessageId::parse_prefix(with_rest.as_bytes()).ok_or_else(|| TestCaseError::fail("prefix"))?;
        prop_assert_eq!(id2, id);
        prop_assert_eq!(rest, b" Completed");
        // One more id character: not an id (§1.3 needs a boundary).
        let longer = format!("{text}0");
        prop_assert!(MessageId::parse_prefix(longer.as_bytes()).is_none());
    }

    /// §8: `string_timediff` output parses to the same number of milliseconds.
    #[test]
    fn durations_round_trip(neg in any::<bool>(), parts in prop::array::uniform5(0u64..2000)) {
        let text = timediff(neg, parts);
        let [w, d, h, m, s] = parts.map(|p| p as i64);
        let ms = (((w * 7 + d) * 24 + h) * 60 + m) * 60_000 + s * 1000;
        let want = if neg { -ms } else { ms };
        let got = LogDuration::parse(text.as_bytes()).map(|d| d.as_millis());
        prop_assert_eq!(got, Some(want), "{}", text);
    }

    /// §8: the `+millisec` short form `S.mmms`.
    #[test]
    fn millisecond_durations_round_trip(s in 0i64..5, ms in 0i64..1000) {
        let text = format!("{s}.{ms:03}s");
        prop_assert_eq!(LogDuration::parse(text.as_bytes()).map(|d| d.as_millis()), Some(s * 1000 + ms));
    }

    /// §7 `T="..."`: quotes and backslashes escaped, then string_printing; decoding
    /// gives back every byte of the subject.
    #[test]
    fn subjects_round_trip(subject in vec(any::<u8>(), 0..120)) {
        let logged = string_printing(&escape_quotes(&subject));
        let decoded = Quoted::new(&logged, Escaping::Subject).decode();
        prop_assert_eq!(decoded.as_ref(), &subject[..]);
    }

    /// §7 `C="..."`: string_printing, then quotes and backslashes escaped. Exact
    /// unless the response held a backslash (the format is ambiguous then).
    #[test]
    fn confirmations_round_trip(resp in vec(any::<u8>().prop_filter("no backslash", |b| *b != b'\\'), 0..120)) {
        let logged = escape_quotes(&string_printing(&resp));
        let decoded = Quoted::new(&logged, Escaping::Confirmation).decode();
        prop_assert_eq!(decoded.as_ref(), &resp[..]);
    }

    /// §7 `DN=`, `id=`: string_printing only (exact without backslashes).
    #[test]
    fn printing_values_round_trip(v in vec(any::<u8>().prop_filter("no backslash", |b| *b != b'\\'), 0..120)) {
        let logged = string_printing(&v);
        let decoded = Quoted::new(&logged, Escaping::Printing).decode();
        prop_assert_eq!(decoded.as_ref(), &v[..]);
    }

    /// §7 `+arguments`: an empty argument or one with white space is wrapped in `"`,
    /// non-printing bytes are escaped; iterating and decoding gives the argv back.
    #[test]
    fn argument_lists_round_trip(
        args in vec(vec(any::<u8>().prop_filter("no quote or backslash", |b| !matches!(b, b'"' | b'\\')), 0..12), 1..8),
    ) {
        let mut logged = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                logged.push(b' ');
            }
            let printed = string_printing(a);
            if a.is_empty() || a.iter().any(u8::is_ascii_whitespace) || a.contains(&0x0b) {
                logged.push(b'"');
                logged.extend_from_slice(&printed);
                logged.push(b'"');
            } else {
                logged.extend_from_slice(&printed);
            }
        }
        let got: Vec<Vec<u8>> = ArgList::new(Text::new(&logged)).iter().map(|q| q.decode().into_owned()).collect();
        prop_assert_eq!(got, args);
    }

    /// §7: addresses are logged raw and space-separated; a quoted local part may
    /// hold spaces and stays one address.
    #[test]
    fn address_lists_round_trip(
        addrs in vec(
            (prop::bool::ANY, "[a-z0-9.+=-]{1,10}", "[a-z ]{0,8}", "[a-z0-9.-]{1,12}")
                .prop_map(|(quoted, plain, spaced, domain)| {
                    if quoted { format!("\"{spaced}\"@{domain}") } else { format!("{plain}@{domain}") }
                }),
            0..6,
        ),
    ) {
        let logged = addrs.join(" ");
        let list = AddressList::new(Text::from(logged.as_str()));
        let got: Vec<String> = list.iter().map(|t| t.to_string()).collect();
        prop_assert_eq!(got, addrs);
    }
}

// ------------------------------------------- received headers and log_selector

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`), for the weekday.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// A host name or HELO: dot-separated labels.
fn hostname() -> impl Strategy<Value = String> {
    // Two labels at least, so that no name is a clause keyword (`by`, `id`...).
    vec("[a-z][a-z0-9]{0,8}", 2..4).prop_map(|l| l.join("."))
}

fn ipv4() -> impl Strategy<Value = String> {
    prop::array::uniform4(any::<u8>()).prop_map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}"))
}

proptest! {
    /// §11.1: Exim's default `received_header_text`, rendered field by field for a
    /// remote host (with the 4.93+ TLS part and the 4.95+ date line), parses back.
    #[test]
    fn exim_received_headers_round_trip(
        (name, helo, ip, port) in (prop::option::of(hostname()), prop::option::of(hostname()), ipv4(), prop::option::of(1u16..)),
        by in hostname(),
        proto in prop::sample::select(vec!["esmtp", "esmtps", "esmtpsa", "smtp", "esmtpa"]),
        tls in any::<bool>(),
        sender in prop::option::of(("[a-z]{1,8}", hostname()).prop_map(|(l, d)| format!("{l}@{d}"))),
        id in (0u64..62u64.pow(6), any::<u64>(), 0u64..62u64.pow(4)),
        rcpt in prop::option::of(("[a-z]{1,8}", hostname()).prop_map(|(l, d)| format!("{l}@{d}"))),
        (year, month, day) in (1971i64..2100, 1i64..=12, 1i64..=28),
        (hour, minute, second) in (0u8..=23, 0u8..=59, 0u8..=59),
        (neg, oh, om) in (any::<bool>(), 0i16..=14, prop::sample::select(vec![0i16, 30, 45])),
        crlf in any::<bool>(),
    ) {
        // `$sender_rcvhost` (§11.1 table): `name ([ip][:port][ helo=HELO])` when
        // verified; `[ip]` then ` (port=N helo=HELO)` items, when any, when not.
        let rcvhost = match &name {
            Some(n) => {
                let mut c = format!("[{ip}]");
                if let Some(p) = port {
                    c.push_str(&format!(":{p}"));
                }
                if let Some(h) = &helo {
                    c.push_str(&format!(" helo={h}"));
                }
                format!("{n} ({c})")
            }
            None => {
                let mut items = Vec::new();
                if let Some(p) = port {
                    items.push(format!("port={p}"));
                }
                if let Some(h) = &helo {
                    items.push(format!("helo={h}"));
                }
                if items.is_empty() {
                    format!("[{ip}]")
                } else {
                    format!("[{ip}] ({})", items.join(" "))
                }
            }
        };
        let tls_part = if tls { " (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\t" } else { "" };
        let id_text = format!("{}-{}-{}", base62(id.0, 6), base62(id.1, 11), base62(id.2, 4));
        let mut h = format!("Received: from {rcvhost}\n\tby {by} with {proto} {tls_part}(Exim 4.97.1)\n\t");
        if let Some(s) = &sender {
            h.push_str(&format!("(envelope-from <{s}>)\n\t"));
        }
        h.push_str(&format!("id {id_text}"));
        if let Some(r) = &rcpt {
            h.push_str(&format!("\n\tfor {r}"));
        }
        let wd = WEEKDAYS[days_from_civil(year, month, day).rem_euclid(7) as usize];
        let sign = if neg { '-' } else { '+' };
        h.push_str(&format!(
            ";\n\t{wd}, {day:02} {} {year} {hour:02}:{minute:02}:{second:02} {sign}{oh:02}{om:02}\n",
            MONTHS[(month - 1) as usize]
        ));
        if crlf {
            h = h.replace('\n', "\r\n");
        }

        let r = Received::parse(h.as_bytes());
        prop_assert_eq!(r.mta, Mta::Exim);
        prop_assert_eq!(r.message_id.map(|m| m.as_str().to_owned()), Some(id_text));
        let from = r.from.ok_or_else(|| TestCaseError::fail("no from"))?;
        prop_assert_eq!(from.ip.map(|t| t.to_string()), Some(ip));
        prop_assert_eq!(from.port, port);
        prop_assert_eq!(from.name.map(|t| t.to_string()), name);
        prop_assert_eq!(from.helo.map(|t| t.to_string()), helo);
        prop_assert_eq!(r.by.map(|t| t.to_string()), Some(by));
        prop_assert_eq!(r.protocol.map(|t| t.to_string()), Some(proto.to_owned()));
        prop_assert_eq!(r.envelope_from.map(|t| t.to_string()), sender);
        prop_assert_eq!(r.recipient.map(|t| t.to_string()), rcpt);
        prop_assert_eq!(r.exim_release().map(|t| t.to_string()), Some("4.97.1".to_owned()));
        if tls {
            let t = r.tls.ok_or_else(|| TestCaseError::fail("no tls"))?;
            let cipher = t.cipher.map(|c| c.to_string());
            prop_assert_eq!(cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
        }
        let d = r.date.ok_or_else(|| TestCaseError::fail("no date"))?;
        prop_assert_eq!((i64::from(d.year), i64::from(d.month), i64::from(d.day)), (year, month, day));
        prop_assert_eq!((d.hour, d.minute, d.second), (hour, minute, second));
        let off = oh * 60 + om;
        prop_assert_eq!(d.utc_offset_minutes, Some(if neg { -off } else { off }));
        invariants::check_received(h.as_bytes());
    }

    /// §9.1: items apply left to right, the last one wins, `+all`/`-all` set or
    /// clear everything; white space between items is optional. Checked against a
    /// model of those rules, and the canonical form parses back to the same set.
    #[test]
    fn log_selector_settings_follow_the_rules(
        items in vec((any::<bool>(), 0usize..200, prop::sample::select(vec!["", " ", "  ", "\t"])), 0..12),
    ) {
        let names: Vec<Selector> = Selector::all().collect();
        let mut model = LogSelector::default();
        let mut setting = String::new();
        for (i, (plus, pick, sep)) in items.iter().enumerate() {
            if i > 0 {
                setting.push_str(sep);
            }
            setting.push(if *plus { '+' } else { '-' });
            // About one item in ten is `all`.
            match names.get(*pick % (names.len() + names.len() / 9 + 1)) {
                Some(s) => {
                    setting.push_str(s.name());
                    if *plus { model.insert(*s); } else { model.remove(*s); }
                }
                None => {
                    setting.push_str("all");
                    model = if *plus { LogSelector::all() } else { LogSelector::empty() };
                }
            }
        }
        let set = LogSelector::parse(&setting).map_err(|e| TestCaseError::fail(format!("{setting:?}: {e}")))?;
        prop_assert_eq!(set, model, "{}", setting);
        prop_assert_eq!(LogSelector::parse(&set.to_setting()), Ok(set));
        invariants::check_selector(setting.as_bytes());
    }
}
