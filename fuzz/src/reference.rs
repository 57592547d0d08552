//! A second, independent reading of Exim log lines: the test oracle of issue 21.
//!
//! It lives in the fuzz crate (module `exim_log_fuzz::reference`) so that the
//! fuzz `line` target compares it with the parser on every input, and is shared
//! with exim-log's tests through the `tests/fuzz_checks` symlinks like the rest
//! of the fuzz checks, so the packaged crate's tests have it too. It uses only
//! `regex` and `serde_json`, never `exim_log`: it cannot call the parser it checks.
//!
//! Written from the format reference (`exim-log-format.md`, cited as §N below),
//! never from exim-log's parser, and deliberately simple: one regex per line
//! shape, read left to right. It knows the core fields of the common lines and
//! says so by *claiming* them; for anything it is unsure of it claims nothing
//! (returns `None`, or leaves the key out), so a disagreement with the parser is
//! always worth a look: either the parser or this reading is wrong.
//!
//! A [`Reading`] maps keys of the JSON schema (`SCHEMA.md`, objects flattened
//! with dots: `host.ip`) to the value the reference expects, `Value::Null`
//! meaning "the line has no such field". [`compare`] compares a reading
//! with the parser's JSON of the same line.

use regex::Regex;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// What the reference read from one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The JSON `event` name the line must have (`arrival`, `delivery`, ...).
    pub event: &'static str,
    /// Claimed keys (flattened JSON paths) with the expected value; `Null` = absent.
    pub fields: Vec<(&'static str, Value)>,
}

impl Reading {
    fn new(event: &'static str) -> Self {
        Reading {
            event,
            fields: Vec::new(),
        }
    }

    fn set(&mut self, key: &'static str, v: Value) {
        self.fields.retain(|(k, _)| *k != key);
        self.fields.push((key, v));
    }

    fn forget(&mut self, key: &'static str) {
        self.fields.retain(|(k, _)| *k != key);
    }

    /// The claimed value of `key`, if the reference claims it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// One field on which the reference and the parser disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct Disagreement {
    /// The flattened JSON key (`router`, `host.ip`, `event`).
    pub key: &'static str,
    /// What the reference read.
    pub reference: Value,
    /// What the parser's JSON holds (`Null` when absent).
    pub parser: Value,
}

fn re(s: &str) -> Regex {
    // The patterns are literals of this file; a bad one fails every test at once.
    #[allow(clippy::unwrap_used)]
    Regex::new(s).unwrap()
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn opt(v: Option<&str>) -> Value {
    v.map_or(Value::Null, s)
}

fn cap<'h>(c: &regex::Captures<'h>, i: usize) -> Option<&'h str> {
    c.get(i).map(|m| m.as_str())
}

/// A decimal that fits JSON's integers, else `Null` (the parser keeps such a value
/// in `other_fields`, SCHEMA.md "Message events").
fn int(v: Option<&str>) -> Value {
    match v {
        Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => {
            d.parse::<u64>().map_or(Value::Null, Value::from)
        }
        _ => Value::Null,
    }
}

/// §1: `timestamp [pid] [message-id] text`; exigrep's prefix regex (§1.1) with the
/// message id pattern of `msgid.frag` (§0).
static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d{3})?)(?: ([+-]\d\d)(\d\d))? ",
        r"(?:\[(\d{1,9})\] )?",
        r"(?:([0-9A-Za-z]{6}-(?:[0-9A-Za-z]{11}-[0-9A-Za-z]{4}|[0-9A-Za-z]{6}-[0-9A-Za-z]{2})) )?",
        r"(.*)$"
    ))
});

/// A message id alone, both formats (§0, `msgid.frag`).
static MESSAGE_ID: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^[0-9A-Za-z]{6}-(?:[0-9A-Za-z]{11}-[0-9A-Za-z]{4}|[0-9A-Za-z]{6}-[0-9A-Za-z]{2})$")
});

/// Reads one line (without its line end). `None`: the reference does not know
/// this shape and claims nothing.
pub fn read(line: &str) -> Option<Reading> {
    // Exim's log buffer is 8 KiB (LOG_BUFFER_SIZE; §1.6 overflow): longer input
    // is not a line Exim writes, and the regexes' time grows with it.
    if line.len() > 8192 {
        return None;
    }
    // Exim prints the control bytes of what it logs as escapes (string_printing):
    // a raw one is not a line Exim writes, and the reference claims nothing.
    if line.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    let c = PREFIX.captures(line)?;
    if !real_time(&c) {
        // An impossible date, time or offset: Exim never writes one (§1.1), and
        // the parser refuses it; the reference claims nothing about it.
        return None;
    }
    let body = cap(&c, 7)?;
    if body.starts_with('[') || body.is_empty() {
        // A pid too long for the regex, or nothing after the prefix: not ours.
        return None;
    }
    // §1.3: message lines (flags, `Completed`) carry the message id.
    let mut r = match cap(&c, 6) {
        Some(_) => message(body).or_else(|| other(body))?,
        None => other(body)?,
    };
    let mut ts = format!("{}T{}", cap(&c, 1)?, cap(&c, 2)?);
    if let (Some(h), Some(m)) = (cap(&c, 3), cap(&c, 4)) {
        ts.push_str(&format!("{h}:{m}"));
    }
    r.set("timestamp", Value::String(ts));
    r.set("pid", int(cap(&c, 5)));
    r.set("message_id", opt(cap(&c, 6)));
    Some(r)
}

/// Whether the prefix's date, time and UTC offset exist on the calendar:
/// months of 28-31 days (Gregorian leap years), hours to 23, minutes to 59,
/// seconds to 60 (a leap second), offsets to 23:59, year from 1.
fn real_time(c: &regex::Captures<'_>) -> bool {
    let num = |s: &str| s.parse::<u32>().ok();
    let Some(date) = cap(c, 1) else { return false };
    let Some(time) = cap(c, 2) else { return false };
    let d: Vec<u32> = date.split('-').filter_map(num).collect();
    let t: Vec<u32> = time.split(['.', ':']).filter_map(num).collect();
    let (&[y, m, day], &[h, min, sec, ..]) = (d.as_slice(), t.as_slice()) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    let offset_ok = match (cap(c, 3), cap(c, 4)) {
        (Some(oh), Some(om)) => {
            oh.get(1..).and_then(num).is_some_and(|h| h <= 23) && num(om).is_some_and(|m| m <= 59)
        }
        _ => true,
    };
    y >= 1 && (1..=month_days).contains(&day) && h <= 23 && min <= 59 && sec <= 60 && offset_ok
}

// ---------------------------------------------------------------------------
// Values

/// §8: `[Nw][Nd][Nh][Nm][Ns]` or `S.mmms`, as seconds.
pub fn duration(v: &str) -> Option<f64> {
    static D: LazyLock<Regex> = LazyLock::new(|| {
        re(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d{1,3})?)s)?$")
    });
    let c = D.captures(v)?;
    if v.is_empty() {
        return None;
    }
    let n = |i: usize, unit: f64| -> Option<f64> {
        Some(cap(&c, i).map_or(Ok(0.0), str::parse::<f64>).ok()? * unit)
    };
    Some(n(1, 604_800.0)? + n(2, 86_400.0)? + n(3, 3600.0)? + n(4, 60.0)? + n(5, 1.0)?)
}

fn dur(v: Option<&str>) -> Value {
    v.and_then(duration)
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// §7 string_printing escapes, undone: `\n \r \b \v \f \t` and `\ooo`. `None`
/// for any other escape (the reference does not guess).
fn unprint(v: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = v.iter().copied().peekable();
    while let Some(b) = i.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let e = i.next()?;
        out.push(match e {
            b'n' => b'\n',
            b'r' => b'\r',
            b'b' => 8,
            b'v' => 11,
            b'f' => 12,
            b't' => b'\t',
            b'0'..=b'7' => {
                let d2 = i.next()?;
                let d3 = i.next()?;
                if !(b'0'..=b'7').contains(&d2) || !(b'0'..=b'7').contains(&d3) {
                    return None;
                }
                let n = u32::from(e - b'0') * 64 + u32::from(d2 - b'0') * 8 + u32::from(d3 - b'0');
                u8::try_from(n).ok()?
            }
            _ => return None,
        });
    }
    Some(out)
}

/// Removes one `\"` / `\\` layer (§7 subject step 3, C= step 2); other escapes
/// stay for [`unprint`].
fn unquote_layer(v: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = v.bytes().peekable();
    while let Some(b) = i.next() {
        if b == b'\\' && matches!(i.peek(), Some(b'"' | b'\\')) {
            if let Some(n) = i.next() {
                out.push(n);
            }
        } else {
            out.push(b);
        }
    }
    out
}

fn text(v: Vec<u8>) -> Value {
    Value::String(String::from_utf8_lossy(&v).into_owned())
}

/// §7 `T="subject"`: `\"` and `\\` literal, then the string_printing escapes,
/// decoded left to right in one pass.
fn subject(v: &str) -> Option<Value> {
    let mut out = Vec::new();
    let mut rest = v.as_bytes();
    while let Some(p) = rest.iter().position(|&b| b == b'\\') {
        out.extend_from_slice(rest.get(..p)?);
        let e = *rest.get(p + 1)?;
        if e == b'"' || e == b'\\' {
            out.push(e);
            rest = rest.get(p + 2..)?;
        } else {
            let len = if e.is_ascii_digit() { 4 } else { 2 };
            out.extend(unprint(rest.get(p..p + len)?)?);
            rest = rest.get(p + len..)?;
        }
    }
    out.extend_from_slice(rest);
    Some(text(out))
}

/// §7 `C="..."`: the `\"`/`\\` layer, then (not on `>>`) string_printing.
fn confirmation(v: &str, cutthrough: bool) -> Option<Value> {
    let layer = unquote_layer(v);
    if cutthrough {
        return Some(text(layer));
    }
    unprint(&layer).map(text)
}

// ---------------------------------------------------------------------------
// Hosts

/// §3.1 inbound `H=`: `[name ][(helo) ][ip][:port]`. A HELO with parentheses or
/// brackets is not claimed (the spec warns only the last `[ip]` is reliable).
const HOST_IN: &str =
    r"(?:([^\s()\[\]]+) )?(?:\(([^()\[\]]*)\) )?\[([0-9A-Za-z.:%_]+)\](?::(\d+))?";
/// §4.1 outbound `H=`: `name[ DS] [ip][:port][*]`. An `[ip]` is IPv4 or IPv6 (hex
/// digits, dots, colons, a `%scope`) or a letters-and-digits placeholder; other
/// bytes there are not an address and the line is not claimed. A host name holds no
/// parentheses (a DNS name; the HELO in parentheses is inbound only).
/// A port that is not a number (the test suite's `PORT_D`) is no port.
const HOST_OUT: &str = r"([^\s\[\]()]+)( DS)? \[([0-9A-Za-z.:%_]+)\](?::([0-9A-Za-z_]+))?(\*)?";

fn host_in(r: &mut Reading, c: &regex::Captures<'_>, first: usize) {
    r.set("host.name", opt(cap(c, first)));
    r.set("host.helo", opt(cap(c, first + 1)));
    r.set("host.ip", opt(cap(c, first + 2)));
    r.set("host.port", int(cap(c, first + 3)));
}

fn host_out(r: &mut Reading, c: &regex::Captures<'_>, first: usize) {
    r.set("host.name", opt(cap(c, first)));
    r.set("host.ip", opt(cap(c, first + 2)));
    r.set("host.port", int(cap(c, first + 3)));
    let flag = |i: usize| {
        if c.get(i).is_some() {
            Value::Bool(true)
        } else {
            Value::Null
        }
    };
    r.set("host.dnssec", flag(first + 1));
    r.set("host.connection_reused", flag(first + 4));
}

// ---------------------------------------------------------------------------
// Fields of message lines

/// One ` TAG=value` or bare token of a message line.
struct Tok<'a> {
    tag: &'a str,
    value: Option<&'a str>,
    caps: Option<regex::Captures<'a>>,
}

/// Splits the field area of a message line (`rest` starts with a space) into
/// tokens, stopping at a ` : ` error separator (failures) or where nothing
/// matches. Returns the tokens and the unread rest.
fn tokens<'a>(mut rest: &'a str, inbound: bool) -> (Vec<Tok<'a>>, &'a str) {
    static HIN: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"^ H={HOST_IN}")));
    static HOUT: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"^ H={HOST_OUT}")));
    static QUOTED: LazyLock<Regex> =
        LazyLock::new(|| re(r#"^ (T|C|DN)="((?:[^"\\]|\\.)*)"(?: |$)"#));
    // `F=<sender>`: an address holds a space only in a quoted local part, and
    // only a local part's word is quoted (Exim's parse.c); other quotes are not
    // claimed.
    static ANGLE: LazyLock<Regex> =
        LazyLock::new(|| re(r#"^ (F|P)=<((?:"(?:[^"\\]|\\.)*"@)?[^<>\s"]*)>(?: |$)"#));
    // A value ends before a space, or before `: ` (the ≤ 4.98 error separator
    // follows the last tag directly: `R=r0: bounced`); driver names and the
    // other unquoted values never end with a colon.
    static TAGGED: LazyLock<Regex> =
        LazyLock::new(|| re(r#"^ ([A-Z][A-Za-z0-9]*|id\*?)=([^\s"]*[^\s":])(?:$| |: )"#));
    static BARE: LazyLock<Regex> =
        LazyLock::new(|| re(r"^ (DS|K|L|L-|L\.|L\*|L\.-|PRDR|TFO|TFO\*|ARC|SPF|DMARC)(?: |$)"));
    let mut out = Vec::new();
    loop {
        let host = if inbound { &*HIN } else { &*HOUT };
        let step = if let Some(c) = host.captures(rest) {
            let len = c.get(0).map_or(0, |m| m.end());
            // The host must end at a field boundary.
            let after = rest.get(len..).unwrap_or("");
            if !(after.is_empty() || after.starts_with(' ') || after.starts_with(':')) {
                break;
            }
            out.push(Tok {
                tag: "H",
                value: None,
                caps: Some(c),
            });
            len
        } else if let Some(c) = QUOTED
            .captures(rest)
            .or_else(|| ANGLE.captures(rest))
            .or_else(|| {
                // On delivery lines `F=` and `P=` are always `<...>` (§5); on
                // arrivals `T=` is always the quoted subject (§7, receive.c);
                // `C=` and `DN=` are always quoted (deliver.c, tls.c).
                TAGGED.captures(rest).filter(|c| {
                    if matches!(cap(c, 1), Some("C" | "DN")) {
                        false
                    } else if inbound {
                        cap(c, 1) != Some("T")
                    } else {
                        !matches!(cap(c, 1), Some("F" | "P"))
                    }
                })
            })
        {
            // The value's end (a closing quote or bracket is part of the match).
            let whole = c.get(0).map_or("", |m| m.as_str()).trim_end_matches(' ');
            let len = match c.get(2) {
                Some(v) if !whole.ends_with(['"', '>']) => v.end(),
                _ => whole.len(),
            };
            out.push(Tok {
                tag: cap(&c, 1).unwrap_or(""),
                value: cap(&c, 2),
                caps: None,
            });
            len
        } else if let Some(c) = BARE.captures(rest) {
            out.push(Tok {
                tag: cap(&c, 1).unwrap_or(""),
                value: None,
                caps: None,
            });
            c.get(1).map_or(0, |m| m.end())
        } else {
            break;
        };
        rest = rest.get(step..).unwrap_or("");
        if rest.is_empty() {
            break;
        }
    }
    (out, rest)
}

/// `A=authenticator[:id[:sender]]` (§5).
fn auth(r: &mut Reading, v: &str) {
    let mut p = v.splitn(3, ':');
    r.set("auth.authenticator", opt(p.next()));
    r.set("auth.id", opt(p.next()));
    r.set("auth.sender", opt(p.next()));
}

/// `X=` cipher without the resumption `*` (§5).
fn cipher(r: &mut Reading, v: &str) {
    r.set("tls.cipher", s(v.strip_suffix('*').unwrap_or(v)));
}

/// Keys every message line's reading claims as absent unless a token sets them.
fn absent(r: &mut Reading, keys: &[&'static str]) {
    for k in keys {
        r.set(k, Value::Null);
    }
}

/// True when every token is one the reference reads; a field it does not know
/// (or a tag seen twice) makes it claim nothing about the line.
fn known(toks: &[Tok<'_>], allowed: &[&str]) -> bool {
    let mut seen: Vec<&str> = Vec::new();
    for t in toks {
        if !allowed.contains(&t.tag) || seen.contains(&t.tag) {
            return false;
        }
        seen.push(t.tag);
    }
    true
}

fn message(body: &str) -> Option<Reading> {
    static FLAG: LazyLock<Regex> = LazyLock::new(|| re(r"^(<=|\(=|=>|->|>>|\*>|\*\*|==) (.*)$"));
    static COMPLETED: LazyLock<Regex> = LazyLock::new(|| re(r"^Completed(?: QT=(\S+))?$"));
    if let Some(c) = COMPLETED.captures(body) {
        let mut r = Reading::new("completed");
        r.set("flag", Value::Null);
        match cap(&c, 1) {
            Some(q) => {
                // A Completed with a QT= that is no duration is `unknown` (SCHEMA.md).
                duration(q)?;
                r.set("queue_time", dur(Some(q)));
            }
            None => r.set("queue_time", Value::Null),
        }
        return Some(r);
    }
    let c = FLAG.captures(body)?;
    let flag = cap(&c, 1)?;
    let rest = cap(&c, 2)?;
    let mut r = match flag {
        "<=" | "(=" => arrival(rest)?,
        "==" => deferral(rest)?,
        "**" => failure(rest)?,
        _ => delivery(rest, flag == ">>")?,
    };
    r.set("flag", s(flag));
    Some(r)
}

/// §3: `<= SENDER [tags] [from <s>] [for r1 r2]`.
fn arrival(rest: &str) -> Option<Reading> {
    static SENDER: LazyLock<Regex> =
        LazyLock::new(|| re(r#"^(<>|"[^"\\]*"@[^\s"<>]+|[^\s"<>]+)( .*)?$"#));
    static TAIL: LazyLock<Regex> =
        LazyLock::new(|| re(r"^(?: from <([^<>\s]*)>)?(?: for ([^\s\x22]+(?: [^\s\x22]+)*))?$"));
    let c = SENDER.captures(rest)?;
    let sender = cap(&c, 1)?;
    if sender.contains('=') {
        return None;
    }
    let (toks, tail) = tokens(cap(&c, 2).unwrap_or(""), true);
    let t = TAIL.captures(tail)?;
    if !known(
        &toks,
        &[
            "R", "H", "U", "P", "S", "A", "X", "T", "I", "Ci", "id", "id*", "CV", "K", "L", "L-",
            "L.", "L*", "PRDR", "DS", "Q", "RT", "M8S", "DKIM", "TFO", "TFO*", "SNI", "DN",
        ],
    ) {
        return None;
    }
    let mut r = Reading::new("arrival");
    r.set("sender", s(sender));
    absent(
        &mut r,
        &[
            "bounce_parent",
            "host.name",
            "host.helo",
            "host.ip",
            "host.port",
            "user",
            "protocol",
            "size",
            "auth.authenticator",
            "auth.id",
            "auth.sender",
            "tls.cipher",
            "subject",
            "interface.ip",
            "interface.port",
        ],
    );
    for tok in &toks {
        let v = tok.value.unwrap_or("");
        match tok.tag {
            "H" => {
                let c = tok.caps.as_ref()?;
                host_in(&mut r, c, 1);
            }
            // `R=` of a bounce names the parent's message id (§3); other text is
            // not an id and not claimed.
            "R" if MESSAGE_ID.is_match(v) => r.set("bounce_parent", s(v)),
            "R" => r.forget("bounce_parent"),
            "U" => r.set("user", s(v)),
            "P" => r.set("protocol", s(v)),
            "S" => r.set("size", int(Some(v))),
            "A" => auth(&mut r, v),
            "X" => cipher(&mut r, v),
            "T" => match subject(v) {
                Some(sub) => r.set("subject", sub),
                None => r.forget("subject"),
            },
            "I" => endpoint(&mut r, v)?,
            _ => {}
        }
    }
    r.set("received_sender", opt(cap(&t, 1)));
    match cap(&t, 2) {
        Some(list) => r.set("recipients", Value::Array(list.split(' ').map(s).collect())),
        None => r.set("recipients", Value::Null),
    }
    Some(r)
}

/// `I=[ip]:port` (§5); a port that is not a number is not a port. A port is
/// a number, or a letters-and-digits placeholder (the test suite's `PORT_D`);
/// anything else there is not a line Exim writes and is not claimed.
fn endpoint(r: &mut Reading, v: &str) -> Option<()> {
    static I: LazyLock<Regex> =
        LazyLock::new(|| re(r"^\[([0-9A-Za-z.:%_]+)\](?::([0-9A-Za-z_]+))?$"));
    let c = I.captures(v)?;
    r.set("interface.ip", opt(cap(&c, 1)));
    r.set("interface.port", int(cap(&c, 2)));
    Some(())
}

/// §4.4 ADDRESS-PART followed by the first of the tags a delivery, deferral or
/// failure line has (§4.1–4.3): `final [(parents)] [<original>]`. The address is
/// taken up to the first ` TAG=`, so an address with spaces (a pipe command, a
/// quoted local part) is read whole.
fn address_then(rest: &str, then: &'static str) -> Option<(Reading, String)> {
    // One compiled regex per `then` (a handful of literals), built on first use.
    static CACHE: LazyLock<Mutex<HashMap<&'static str, Regex>>> = LazyLock::new(Default::default);
    let regex = {
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(then)
            .or_insert_with(|| {
                re(&format!(
                    r"^(.+?)(?: \(([^()]*)\))?(?: <([^<>]*)>)?({then})$"
                ))
            })
            .clone()
    };
    let c = regex.captures(rest)?;
    let addr = cap(&c, 1)?;
    // A line that starts with a tag has no address (redacted logs, SCHEMA.md);
    // the reference leaves those to the parser.
    static TAG_FIRST: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z][A-Za-z0-9*]*="));
    if TAG_FIRST.is_match(addr) {
        return None;
    }
    // An address with spaces is claimed only when the original shows why: a
    // quoted local part (`x y@d <"x y"@d>`) or a pipe command (`|/bin/p a <u@d>`).
    // The quoted original must spell the same address with its quotes removed.
    let orig = cap(&c, 3);
    let spelled = |o: &str| {
        let Some(q) = o.strip_prefix('"') else {
            return false;
        };
        let Some(close) = q.rfind('"') else {
            return false;
        };
        let (Some(local), Some(domain)) = (q.get(..close), q.get(close + 1..)) else {
            return false;
        };
        addr.strip_prefix(local)
            .is_some_and(|d| d.eq_ignore_ascii_case(domain))
    };
    if addr.contains(' ')
        && !(orig.is_some_and(spelled) || (orig.is_some() && addr.starts_with('|')))
    {
        return None;
    }
    // A pipe command with double quotes may quote spaces and `<...>` inside its
    // arguments; this reading does not follow quotes, so it claims nothing there.
    if addr.contains(' ') && addr.starts_with('|') && addr.contains('"') {
        return None;
    }
    // An address never holds a word that starts a field written first after
    // it (`F= Q= P= R= T=`, deliver.c): the address would end there.
    if addr.split(' ').skip(1).any(|w| {
        ["F=", "Q=", "P=", "R=", "T="]
            .iter()
            .any(|t| w.starts_with(t))
    }) {
        return None;
    }
    // A pipe command with a `<` word closed by a `>` before the original: which
    // group is the original is then a guess (the parser takes the first, this
    // regex the last).
    if addr.starts_with('|')
        && addr.find(" <").is_some_and(|p| {
            let after = addr.get(p..).unwrap_or("");
            after.contains("> ") || after.ends_with('>')
        })
    {
        return None;
    }
    let mut r = Reading::new("");
    r.set("recipient", s(addr));
    r.set("parents", opt(cap(&c, 2)));
    r.set("original_recipient", opt(cap(&c, 3)));
    Some((r, cap(&c, 4).unwrap_or("").to_string()))
}

const DELIVERY_ABSENT: &[&str] = &[
    "router",
    "transport",
    "host.name",
    "host.ip",
    "host.port",
    "host.dnssec",
    "host.connection_reused",
    "sender",
    "return_path",
    "size",
    "tls.cipher",
    "auth.authenticator",
    "auth.id",
    "auth.sender",
    "confirmation",
    "queue_time",
    "delivery_time",
    "interface.ip",
    "interface.port",
];

const DELIVERY_TAGS: &[&str] = &[
    "F", "P", "R", "T", "S", "H", "I", "X", "CV", "DN", "A", "C", "QT", "DT", "L", "L*", "K",
    "PRDR", "TFO", "TFO*", "DKIM", "PS", "Q",
];

fn delivery_fields(r: &mut Reading, toks: &[Tok<'_>], cutthrough: bool) -> Option<()> {
    absent(r, DELIVERY_ABSENT);
    for tok in toks {
        let v = tok.value.unwrap_or("");
        match tok.tag {
            "H" => host_out(r, tok.caps.as_ref()?, 1),
            "F" => r.set("sender", s(v)),
            "P" => r.set("return_path", s(v)),
            "R" => r.set("router", s(v)),
            "T" => r.set("transport", s(v)),
            "S" => r.set("size", int(Some(v))),
            "X" => cipher(r, v),
            "A" => auth(r, v),
            "C" => match confirmation(v, cutthrough) {
                Some(c) => r.set("confirmation", c),
                None => r.forget("confirmation"),
            },
            "QT" => r.set("queue_time", dur(Some(v))),
            "DT" => r.set("delivery_time", dur(Some(v))),
            "I" => endpoint(r, v)?,
            _ => {}
        }
    }
    Some(())
}

/// §4.1 `=> ADDRESS-PART [tags]` (also `->`, `>>`, `*>`).
fn delivery(rest: &str, cutthrough: bool) -> Option<Reading> {
    // receive.c's `=> blackhole <local_scan_data>` has no fields: free text
    // that may look like them (the `(.. discarded recipients)` shape is read).
    static ACL_DISCARD: LazyLock<Regex> =
        LazyLock::new(|| re(r"^blackhole \([^)]* discarded recipients\)"));
    if rest.starts_with("blackhole ") && !ACL_DISCARD.is_match(rest) {
        return None;
    }
    let (mut r, tail) = address_then(rest, r"(?: (?:F|P|R|T|Q)=.*)?")?;
    let (toks, left) = tokens(&tail, false);
    if !left.is_empty() || !known(&toks, DELIVERY_TAGS) {
        return None;
    }
    // Without a tag the address would run to the end of the line, through
    // free text such as `blackhole (DATA ACL discarded recipients): msg`.
    if toks.is_empty() && r.get("recipient").and_then(Value::as_str)?.contains(' ') {
        return None;
    }
    r.event = "delivery";
    delivery_fields(&mut r, &toks, cutthrough)?;
    Some(r)
}

/// §4.2 `== ADDRESS-PART [Q=] [R=] [T=] [routing] defer (errno)[: error]` or
/// `defer (errno) H=host: error`.
fn deferral(rest: &str) -> Option<Reading> {
    // A non-numeric errno (the test suite's `dd`) is no errno (SCHEMA.md).
    static DEFER: LazyLock<Regex> =
        LazyLock::new(|| re(r"^( routing)? defer \((-?[0-9A-Za-z]+)\)(.*)$"));
    static AFTER_HOST: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"^ H={HOST_OUT}: (.*)$")));
    let (mut r, tail) = address_then(rest, r"(?: (?:R|T|Q)=\S+)*(?: routing)? defer \(.*")?;
    let (toks, left) = tokens(&tail, false);
    let d = DEFER.captures(left)?;
    if !known(&toks, &["R", "T", "Q"]) {
        return None;
    }
    r.event = "deferral";
    delivery_fields(&mut r, &toks, false)?;
    r.set(
        "routing",
        if d.get(1).is_some() {
            Value::Bool(true)
        } else {
            Value::Null
        },
    );
    r.set(
        "errno",
        cap(&d, 2)
            .and_then(|e| e.parse::<i64>().ok())
            .map_or(Value::Null, Value::from),
    );
    let after = cap(&d, 3)?;
    if after.is_empty() {
        r.set("error", Value::Null);
    } else if let Some(e) = after.strip_prefix(": ") {
        // §4.2: `[: strerror] [H=..] [DT=t][: message]`: with a `DT=` the
        // reference reads only the time (real 4.96 `+all`: `...: Connection
        // refused DT=0.000s`) and leaves the error text to the parser.
        static DT: LazyLock<Regex> = LazyLock::new(|| re(r" DT=(\S+)(?:$|: )"));
        if let Some(dt) = DT.captures(e) {
            r.forget("error");
            r.set("delivery_time", dur(cap(&dt, 1)));
        } else {
            r.set("error", s(e));
        }
    } else if let Some(h) = AFTER_HOST.captures(after) {
        host_out(&mut r, &h, 1);
        r.set("error", opt(cap(&h, 6)));
    } else {
        return None;
    }
    Some(r)
}

/// §4.3 `** ADDRESS-PART [tags] : error [DT=t]` (4.99+), `** ADDRESS-PART: error`
/// (≤ 4.98 and retry timeouts).
fn failure(rest: &str) -> Option<Reading> {
    static ERR: LazyLock<Regex> = LazyLock::new(|| re(r"^(?: :|:) (.*?)(?: DT=(\S+))?$"));
    // Tags first: an address with ": " in it (`:fail: x@y <...> R=r : x`) still
    // ends at its first tag.
    let (mut r, tail) = address_then(rest, r" (?:F|P|R|T|Q|H)=.*")
        .or_else(|| address_then(rest, r" : .*"))
        .or_else(|| address_then(rest, r": .*"))?;
    // A pipe command's glued `: ` is the separator only when no field or
    // 4.99 ` : ` follows (the parser's rule: then the colon is the command's).
    let field_word = |w: &str| {
        ["F=", "Q=", "P=", "R=", "T="]
            .iter()
            .any(|t| w.starts_with(t))
    };
    // Nor when an original glued to the ≤ 4.98 separator, or ending the line,
    // follows (`** |cmd: a <x@d>: error`): deliver.c writes the original right
    // after the address, so that `>` ends the address part and the first `: `
    // is the command's.
    if r.get("recipient")
        .and_then(Value::as_str)
        .is_some_and(|a| a.starts_with('|'))
        && tail.starts_with(": ")
        && (tail.split(' ').any(field_word)
            || tail.contains(" : ")
            || tail.contains(">: ")
            || tail.ends_with('>'))
    {
        return None;
    }
    // Nor when a quoted original follows: the address before it needed quotes
    // and may hold `: ` (`:fail: no such user@d <":fail: no such user"@d>`).
    if tail.starts_with(": ") && tail.contains(" <\"") {
        return None;
    }
    let (toks, left) = tokens(&tail, false);
    if !known(&toks, DELIVERY_TAGS) {
        return None;
    }
    r.event = "failure";
    delivery_fields(&mut r, &toks, false)?;
    if left.is_empty() {
        r.set("error", Value::Null);
        return Some(r);
    }
    let e = ERR.captures(left)?;
    r.set("error", opt(cap(&e, 1)));
    if let Some(dt) = cap(&e, 2) {
        r.set("delivery_time", dur(Some(dt)));
    }
    Some(r)
}

// ---------------------------------------------------------------------------
// Lines without a flag (§10)

fn other(body: &str) -> Option<Reading> {
    // §10 ACL reject: `<HI>[ F=<s>] [temporarily ]rejected <what>[: msg]`.
    static REJECT: LazyLock<Regex> = LazyLock::new(|| {
        re(&format!(
            concat!(
                r"^(?:H={}(?: U=(\S+))?|U=(\S+))(?: F=(<[^<>]*>))? (temporarily )?rejected ",
                r#"(RCPT <([^<>]*)>|MAIL <[^<>]*>|after DATA|DATA|connection in "connect" ACL|EHLO or HELO \S+)"#,
                r"(?:: (.*))?$"
            ),
            HOST_IN
        ))
    });
    // §10 connection open: `SMTP connection from <h>[ I=[ip]:port][ Ci=n] (TCP/IP connection count = N)`
    // (the port as in `endpoint`).
    static OPEN: LazyLock<Regex> = LazyLock::new(|| {
        re(&format!(
            r"^SMTP connection from {HOST_IN}(?: I=\[([0-9A-Za-z.:%_]+)\]:([0-9A-Za-z_]+))?(?: Ci=\S+)? \(TCP/IP connection count = (\d+)\)$"
        ))
    });
    // §10 connection close: `<CONN> D=5s closed by QUIT|EOF`.
    static CLOSE: LazyLock<Regex> = LazyLock::new(|| {
        re(&format!(
            r"^SMTP connection from {HOST_IN}(?: I=\[([0-9A-Za-z.:%_]+)\]:([0-9A-Za-z_]+))?(?: Ci=\S+)? D=(\S+) closed by (QUIT|EOF)$"
        ))
    });
    // §10 args: `cwd=<dir> <N> args: <argv...>`.
    static ARGS: LazyLock<Regex> = LazyLock::new(|| re(r"^cwd=(\S+) (\d+) args: ([^\x22\\]*)$"));
    // §10 host lookup: `no host name found for IP address <ip>`.
    static NO_NAME: LazyLock<Regex> =
        LazyLock::new(|| re(r"^no host name found for IP address (\S+)$"));

    if let Some(c) = REJECT.captures(body) {
        let mut r = Reading::new("rejection");
        host_in(&mut r, &c, 1);
        r.set("user", opt(cap(&c, 5).or(cap(&c, 6))));
        r.set("sender", opt(cap(&c, 7)));
        r.set("temporary", Value::Bool(c.get(8).is_some()));
        let what = cap(&c, 9)?;
        let stage = match what.split(' ').next()? {
            "RCPT" => "rcpt",
            "MAIL" => "mail",
            "after" => "data",
            "DATA" => "predata",
            "connection" => "connect",
            _ => "helo",
        };
        r.set("stage", s(stage));
        r.set("what", s(what));
        r.set("recipient", opt(cap(&c, 10)));
        r.set("reason", opt(cap(&c, 11)));
        return Some(r);
    }
    if let Some(c) = OPEN.captures(body) {
        let mut r = Reading::new("connection_open");
        host_in(&mut r, &c, 1);
        r.set("interface.ip", opt(cap(&c, 5)));
        r.set("interface.port", int(cap(&c, 6)));
        r.set("connection_count", int(cap(&c, 7)));
        return Some(r);
    }
    if let Some(c) = CLOSE.captures(body) {
        let mut r = Reading::new("connection_close");
        host_in(&mut r, &c, 1);
        r.set("interface.ip", opt(cap(&c, 5)));
        r.set("interface.port", int(cap(&c, 6)));
        r.set("duration", dur(cap(&c, 7)));
        r.set("reason", opt(cap(&c, 8)));
        return Some(r);
    }
    if let Some(c) = ARGS.captures(body) {
        let mut r = Reading::new("arguments");
        r.set("cwd", opt(cap(&c, 1)));
        r.set("argc", int(cap(&c, 2)));
        let args: Vec<Value> = cap(&c, 3)?.split(' ').map(s).collect();
        // argc counts the words only when no argument had spaces (then quoted).
        if Some(args.len() as u64) == r.get("argc").and_then(Value::as_u64) {
            r.set("args", Value::Array(args));
        }
        return Some(r);
    }
    if let Some(c) = NO_NAME.captures(body) {
        let mut r = Reading::new("host_lookup_failed");
        r.set("host.ip", opt(cap(&c, 1)));
        return Some(r);
    }
    None
}

// ---------------------------------------------------------------------------
// Comparison

/// The parser's JSON with nested objects flattened one level (`host.ip`).
pub fn flatten(v: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(m) = v {
        for (k, v) in m {
            if let Value::Object(inner) = v {
                for (ik, iv) in inner {
                    out.insert(format!("{k}.{ik}"), iv.clone());
                }
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-9,
            _ => x == y,
        },
        _ => a == b,
    }
}

/// Compares a reading of a line with `parsed`, the parser's JSON of the same
/// line (`serde_json::to_value(&LogLine)`): the claimed fields that differ.
pub fn compare(r: &Reading, parsed: &Value) -> Vec<Disagreement> {
    let flat = flatten(parsed);
    let mut out = Vec::new();
    let event = flat.get("event").cloned().unwrap_or(Value::Null);
    if event != Value::String(r.event.to_string()) {
        out.push(Disagreement {
            key: "event",
            reference: s(r.event),
            parser: event,
        });
        return out;
    }
    for (k, want) in &r.fields {
        let got = flat.get(*k).cloned().unwrap_or(Value::Null);
        if !same(want, &got) {
            out.push(Disagreement {
                key: k,
                reference: want.clone(),
                parser: got,
            });
        }
    }
    out
}
