//! Every timestamped line of the Exim test-suite mainlogs parses, and the lines
//! without a flag (issue 3's share) get a specific event kind.
//!
//! A line is "timestamped" when it starts with `YYYY-MM-DD ` (spec §1.1); the
//! corpus README says the other lines (SERVER separators, `**NOTE`, simulator
//! transcripts in 5100/5101/5103, filter debug in 4144, continuation lines)
//! are not Exim log lines. A line is "flagged" (parsed by the message-line
//! parser, issue 2) when its text after the prefix starts with one of the 8
//! flags or `Completed`.

// `common` (shared) uses `expect` in a helper, outside any `#[test]`.
mod common;

use std::collections::HashMap;

use exim_log::{Event, parse_line};

fn flagged(text: &[u8]) -> bool {
    text.starts_with(b"Completed")
        || matches!(
            text.get(..2),
            Some(b"<=" | b"(=" | b"=>" | b"->" | b">>" | b"*>" | b"**" | b"==")
        )
}

/// Does `text` start like a line shape of the format reference (§2 message
/// keywords, §10 table, §10.1-§10.2)? This is the rule that separates lines
/// Exim's own code writes from text a configuration writes (ACL `logwrite`,
/// `log_message` without `warn`, event actions): the test suite's
/// configurations write hundreds of such lines (`peer cert ...`, `event
/// tcp:connect ...`, `Authentication-Results: ...`) that no parser can type;
/// e.g. Exim's `test/confs/5890` has `logwrite = peer cert verified\t...` in
/// its HELO ACL and event action.
/// The leads are taken from the reference, not from the parser.
fn reference_shape(text: &[u8]) -> bool {
    const LEADS: &[&str] = &[
        "H=",
        "U=",
        "DS H=",
        "F=",
        "SMTP ",
        "rejected ",
        "temporarily ",
        "no MAIL ",
        "no host name ",
        "no IP address ",
        "no immediate delivery",
        "TLS error ",
        "TLS session",
        "unexpected ",
        "Connection from ",
        "connection from ",
        "refused connection ",
        "ETRN ",
        "ATRN ",
        "cwd=",
        "exim ",
        "Start ",
        "End ",
        "Abandon ",
        "Frozen",
        "frozen by ",
        "Unfrozen ",
        "unfrozen by ",
        "removed by ",
        "cancelled by ",
        "Message is frozen",
        "Spool file ",
        "DKIM: ",
        "original recipients ignored",
        "DNS list lookup ",
        "Warning: ",
        "pid ",
        // Exim's own lines seen in the corpus that the reference does not list
        // (smtp_in.c, receive.c, verify.c, acl.c, tls-openssl.c, malware.c):
        "too many recipients",
        "VRFY failed",
        "PRDR ",
        "ignoring AUTH=",
        "recipient verify ",
        "configured error code",
        "OCSP ",
        "Server certificate revoked",
        "Required TLS certificate",
        "DANE ",
        "malware acl condition",
        "Exim configuration error",
        "moved from ",
        "failed to expand ",
        "Failed to expand ",
    ];
    const INSIDE: &[&str] = &[
        " authenticator failed ",
        ": error ignored",
        " transport output: ",
        " rewritten ",
    ];
    LEADS.iter().any(|l| text.starts_with(l.as_bytes()))
        || INSIDE
            .iter()
            .any(|m| text.windows(m.len()).any(|w| w == m.as_bytes()))
}

/// The first words of a text, with addresses and numbers blurred, to group
/// unknown lines by shape.
fn shape(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(text);
    s.split([' ', '\t'])
        .take(4)
        .map(|w| {
            if w.starts_with("H=") || w.starts_with('[') || w.starts_with('<') {
                "*".to_string()
            } else if w.chars().any(|c| c.is_ascii_digit()) {
                "N".to_string()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn mainlog_corpus_other_lines() {
    let (mut total, mut other, mut specific) = (0usize, 0usize, 0usize);
    // Lines of a reference shape (or typed anyway), and how many of them are typed.
    let (mut exim, mut exim_specific) = (0usize, 0usize);
    let mut exim_unknown: HashMap<String, usize> = HashMap::new();
    let mut kinds: HashMap<&'static str, usize> = HashMap::new();
    let mut unknown: HashMap<String, usize> = HashMap::new();
    // EXIM_LOG_DUMP_UNKNOWN=path writes every unknown text there, for study.
    let mut dump = std::env::var_os("EXIM_LOG_DUMP_UNKNOWN").map(|_| Vec::new());
    let files = common::corpus_lines("mainlog", |f, line| {
        if !common::timestamped(line) {
            return;
        }
        total += 1;
        let l = parse_line(line).unwrap_or_else(|e| {
            panic!("{}: {e:?}: {}", f.display(), String::from_utf8_lossy(line))
        });
        let text = l.text();
        if flagged(text.as_bytes()) {
            return;
        }
        other += 1;
        *kinds.entry(l.event.name()).or_default() += 1;
        let known = !matches!(l.event, Event::Unknown);
        if known || reference_shape(text.as_bytes()) {
            exim += 1;
            if known {
                exim_specific += 1;
            } else {
                *exim_unknown.entry(shape(text.as_bytes())).or_default() += 1;
            }
        }
        if !known {
            *unknown.entry(shape(text.as_bytes())).or_default() += 1;
            if let Some(d) = dump.as_mut() {
                d.extend_from_slice(text.as_bytes());
                d.push(b'\n');
            }
        } else {
            specific += 1;
            // Every event serializes.
            #[cfg(feature = "serde")]
            serde_json::to_string(&l).unwrap();
        }
    });
    if files == 0 {
        return;
    }
    if let (Some(d), Some(p)) = (dump, std::env::var_os("EXIM_LOG_DUMP_UNKNOWN")) {
        std::fs::write(p, d).unwrap();
    }
    let ratio = specific as f64 / other as f64;
    eprintln!(
        "timestamped lines: {total}; without a flag: {other}; specific: {specific} ({:.2}%)",
        ratio * 100.0
    );
    let mut k: Vec<_> = kinds.into_iter().collect();
    k.sort_by_key(|e| std::cmp::Reverse(e.1));
    eprintln!("kinds: {k:?}");
    let top = |m: HashMap<String, usize>| {
        let mut u: Vec<_> = m.into_iter().collect();
        u.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (s, n) in u.iter().take(20) {
            eprintln!("{n:6} {s}");
        }
    };
    eprintln!("top 20 unknown shapes (all lines without a flag):");
    top(unknown);
    let exim_ratio = exim_specific as f64 / exim as f64;
    eprintln!(
        "lines of a reference shape: {exim}; specific: {exim_specific} ({:.2}%); unknown ones:",
        exim_ratio * 100.0
    );
    top(exim_unknown);
    assert!(total > 16_000, "corpus too small: {total}");
    assert!(ratio > 0.45, "specific share fell to {ratio}");
    assert!(
        exim_ratio >= 0.97,
        "reference-shape share fell to {exim_ratio}"
    );
}

/// Every cut (next to a delimiter) of every line without a flag still parses (to some event or
/// `unknown`) without a panic: the parsers must not trust that a shape they
/// started to recognize is complete.
#[test]
fn truncated_lines_never_panic() {
    let mut cuts = 0usize;
    common::corpus_lines("mainlog", |_, line| {
        let Ok(l) = parse_line(line) else { return };
        if flagged(l.text().as_bytes()) {
            return;
        }
        // Cut next to delimiters, where the parsers branch.
        let edge = |b: Option<&u8>| b.is_some_and(|b| b" :<>[]()\"=,".contains(b));
        for k in l.text_offset() + 1..line.len() {
            if !edge(line.get(k)) && !edge(line.get(k - 1)) {
                continue;
            }
            let cut = line.get(..k).unwrap();
            // Lines in equal lines out: the cut line is kept whole.
            if let Ok(c) = parse_line(cut) {
                assert_eq!(c.raw.as_bytes(), cut);
            }
            let body = cut.get(l.text_offset()..).unwrap_or_default();
            let b = exim_log::syslog::parse_body(body);
            assert!(
                body.ends_with(b.text.as_bytes()),
                "{:?}",
                String::from_utf8_lossy(cut)
            );
            cuts += 1;
        }
    });
    eprintln!("parsed {cuts} truncated lines");
    if common::corpus_dir().is_some() {
        assert!(cuts > 0, "no line was cut");
    }
}

/// Every timestamped corpus line, wrapped as syslog would carry it (spec
/// §1.5) with and without Exim's own timestamp, gives the same event as the
/// line read from the main log.
#[test]
fn syslog_wrapping_keeps_the_event() {
    use exim_log::syslog::parse_syslog_line;
    let mut n = 0usize;
    common::corpus_lines("mainlog", |_, line| {
        let Ok(l) = parse_line(line) else { return };
        if l.pid.is_some() {
            return;
        }
        let with_ts = [&b"<22>Nov 27 07:47:34 mx1 exim[4242]: "[..], line].concat();
        let id = l.message_id.map(|m| m.as_str());
        // `syslog_timestamp = false`: the id, then the text.
        let mut without_text = b"<22>1 2026-11-27T07:47:34.123+00:00 mx1 exim 4242 - - ".to_vec();
        if let Some(id) = id {
            without_text.extend_from_slice(id.as_bytes());
            without_text.push(b' ');
        }
        without_text.extend_from_slice(line.get(l.text_offset()..).unwrap());
        for wrapped in [&with_ts, &without_text] {
            let s = parse_syslog_line(wrapped)
                .unwrap_or_else(|e| panic!("{e:?}: {}", String::from_utf8_lossy(wrapped)));
            assert_eq!(
                s.body.event,
                l.event,
                "{}",
                String::from_utf8_lossy(wrapped)
            );
            assert_eq!(s.body.message_id.map(|m| m.as_str()), id);
            assert_eq!(s.pid, Some(4242));
            n += 1;
        }
    });
    eprintln!("{n} syslog-wrapped lines agree with the main log");
}

#[cfg(feature = "serde")]
/// Every corpus main log, wrapped as each syslog/journald framing would write
/// it (with and without Exim's timestamp, long lines split into `[n/m]`
/// chunks as log.c write_syslog does, at 100 bytes here to split many), is
/// recognized by `Framing::detect` and unwrapped back to lines with the same
/// events.
#[test]
fn every_framing_unwraps_to_the_same_events() {
    use exim_log::syslog::{Framing, Unwrap};
    const SPLIT: usize = 100;
    type Wrapper = fn(&[u8]) -> Vec<u8>;
    let framings: &[(Framing, Wrapper, bool)] = &[
        (
            Framing::Rfc3164,
            |t| [&b"<22>Nov 27 07:47:34 mx1 exim[42]: "[..], t].concat(),
            true,
        ),
        (
            Framing::Rfc3164,
            |t| [&b"Nov  7 07:47:34 mx1 exim[42]: "[..], t].concat(),
            false,
        ),
        (
            Framing::Rfc5424,
            |t| [&b"<22>1 2026-11-27T07:47:34.1Z mx1 exim 42 - - "[..], t].concat(),
            false,
        ),
        (
            Framing::JournalShortIso,
            |t| [&b"2026-11-27T07:47:34+0100 mx1 exim[42]: "[..], t].concat(),
            false,
        ),
        (
            Framing::EximTimeFirst,
            |t| [&b"2019-10-22 03:39:17 mx1 exim[42]: "[..], t].concat(),
            false,
        ),
        (
            Framing::HostFirst,
            |t| [&b"mx1 exim[42]: "[..], t].concat(),
            true,
        ),
    ];
    let mut files: std::collections::BTreeMap<String, Vec<Vec<u8>>> = Default::default();
    common::corpus_lines("mainlog", |path, line| {
        files
            .entry(path.display().to_string())
            .or_default()
            .push(line.to_vec());
    });
    let mut n = 0usize;
    for (name, lines) in &files {
        let parsed: Vec<_> = lines.iter().filter_map(|l| parse_line(l).ok()).collect();
        // Lines with `+pid` keep it in the text; without a timestamp the
        // framing's own `[pid]` stands in for it, so they are left out there.
        for (framing, wrap, with_ts) in framings {
            let mut file = Vec::new();
            let mut want = Vec::new();
            for l in &parsed {
                if !with_ts && l.pid.is_some() {
                    continue;
                }
                let raw = l.raw.as_bytes();
                let text = if *with_ts {
                    raw
                } else {
                    raw.get(l.text_offset() - l.message_id.map_or(0, |m| m.as_str().len() + 1)..)
                        .unwrap()
                };
                // `+pid` without the timestamp: `[pid] ` starts the text
                // that log.c then splits.
                let text = if *framing == Framing::EximTimeFirst {
                    [&b"[42] "[..], text].concat()
                } else {
                    text.to_vec()
                };
                let mut chunks: Vec<&[u8]> = text.chunks(SPLIT).collect();
                if chunks.is_empty() {
                    chunks.push(b"");
                }
                for (i, c) in chunks.iter().enumerate() {
                    let body = if chunks.len() > 1 {
                        [format!("[{}/{}] ", i + 1, chunks.len()).as_bytes(), c].concat()
                    } else {
                        c.to_vec()
                    };
                    file.extend_from_slice(&wrap(&body));
                    file.push(b'\n');
                }
                want.push((l.message_id.map(|m| m.as_str().to_owned()), l.event.clone()));
            }
            if want.is_empty() {
                continue;
            }
            assert_eq!(Framing::detect(&file), *framing, "{name}");
            let mut u = Unwrap::new(*framing).with_year(2026);
            let mut got = Vec::new();
            for line in file.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                if let Some(out) = u.line(line) {
                    let p = parse_line(out)
                        .unwrap_or_else(|e| panic!("{e:?}: {}", String::from_utf8_lossy(out)));
                    // Events borrow the unwrapped line: compare their JSON.
                    got.push((
                        p.message_id.map(|m| m.as_str().to_owned()),
                        serde_json::to_value(&p.event).unwrap(),
                    ));
                }
            }
            let want: Vec<_> = want
                .iter()
                .map(|(id, e)| (id.clone(), serde_json::to_value(e).unwrap()))
                .collect();
            assert_eq!(got.len(), want.len(), "{name} {framing:?}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "{name} {framing:?}");
            }
            n += want.len();
        }
    }
    eprintln!("{n} wrapped lines unwrap to the same events");
}

#[cfg(feature = "serde")]
/// Every corpus main-log line as `journalctl -o json` writes it (`MESSAGE`
/// encoded by serde_json, or as an array of its bytes when it is not UTF-8,
/// as journalctl does), with Exim's timestamp and without it, a line longer
/// than 100 bytes split into `[n/m]` records as log.c write_syslog splits
/// (at 100 bytes here to split many; a chunk may cut a character, its bytes
/// then an array), the chunks of two processes interleaved: the file is told
/// to be `JournalJson`, and the records unwrap to the lines themselves, byte
/// for byte (without the timestamp: to the `__REALTIME_TIMESTAMP` time and
/// the text), through `Unwrap` and through the file reader.
#[test]
fn journal_json_records_unwrap_to_the_lines() {
    use exim_log::reader::LogFiles;
    use exim_log::syslog::{Framing, Unwrap};
    let mut lines: Vec<Vec<u8>> = Vec::new();
    common::corpus_lines("mainlog", |_, line| {
        if parse_line(line).is_ok() {
            lines.push(line.to_vec());
        }
    });
    if lines.is_empty() {
        return;
    }
    let message = |text: &[u8]| match std::str::from_utf8(text) {
        Ok(s) => serde_json::Value::from(s),
        Err(_) => serde_json::Value::from(text.to_vec()),
    };
    let record = |i: usize, pid: usize, text: &[u8]| {
        let r = serde_json::json!({
            "__CURSOR": format!("s=1;i={i:x}"),
            "__REALTIME_TIMESTAMP": "1795765654250000",
            "SYSLOG_PID": pid.to_string(),
            "SYSLOG_IDENTIFIER": "exim",
            "MESSAGE": message(text),
        });
        let mut line = serde_json::to_vec(&r).unwrap();
        line.push(b'\n');
        line
    };
    const SPLIT: usize = 100;
    let dir = tempfile::tempdir().unwrap();
    for with_ts in [true, false] {
        let mut file = Vec::new();
        let mut want: Vec<Vec<u8>> = Vec::new();
        // The chunks of the previous long line, written after the first
        // chunk of the next one (another process).
        let mut held: Vec<Vec<u8>> = Vec::new();
        let mut pending: Option<Vec<u8>> = None;
        for (i, l) in lines.iter().enumerate() {
            let p = parse_line(l).unwrap();
            let text = if with_ts {
                l.clone()
            } else {
                let from = p.text_offset() - p.message_id.map_or(0, |m| m.as_str().len() + 1);
                l[from..].to_vec()
            };
            let line = if with_ts {
                text.clone()
            } else {
                [&b"2026-11-27 07:47:34.250 +0000 "[..], &text].concat()
            };
            let pid = 800 + i % 2;
            let chunks: Vec<&[u8]> = text.chunks(SPLIT).collect();
            let n = chunks.len();
            let mut records = chunks.iter().enumerate().map(|(k, c)| {
                let body = if n > 1 {
                    [format!("[{}/{n}] ", k + 1).as_bytes(), c].concat()
                } else {
                    c.to_vec()
                };
                record(i, pid, &body)
            });
            file.extend(records.next().unwrap_or_else(|| record(i, pid, b"")));
            // Unsplit, the line is whole before the rest of the one before.
            if n <= 1 {
                want.push(line.clone());
            }
            for r in held.drain(..) {
                file.extend(r);
            }
            if let Some(w) = pending.take() {
                want.push(w);
            }
            if n > 1 {
                held.extend(records);
                pending = Some(line);
            }
        }
        want.extend(pending.take());
        for r in held.drain(..) {
            file.extend(r);
        }
        assert_eq!(Framing::detect(&file), Framing::JournalJson);
        let mut u = Unwrap::new(Framing::JournalJson);
        let got: Vec<Vec<u8>> = file
            .split(|b| *b == b'\n')
            .filter_map(|l| u.line(l).map(<[u8]>::to_vec))
            .collect();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(String::from_utf8_lossy(g), String::from_utf8_lossy(w));
            assert_eq!(g, w);
        }
        let path = dir.path().join(format!("journal-{with_ts}.json"));
        std::fs::write(&path, &file).unwrap();
        let mut files = LogFiles::new([&path]);
        let mut n = 0;
        while let Some((line, _)) = files.next_line().unwrap() {
            assert_eq!(line, want[n].as_slice());
            n += 1;
        }
        assert_eq!(n, want.len());
        eprintln!(
            "{n} journalctl -o json records (timestamp kept: {with_ts}) unwrap to their lines"
        );
    }
}
