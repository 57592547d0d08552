//! The parser against an independent reading of every corpus line (issue 21).
//!
//! `fuzz/src/reference.rs` reads the core fields with simple regexes written from
//! the format reference, never from our parser; here both read every line of the
//! corpus mainlogs (and of real Exim logs given in `$EXIM_LOG_LAB_LOGS`), and
//! every field on which they disagree fails the test, unless it is listed in
//! [`EXPLAINED`] with the reason. Values are compared through the public JSON
//! (SCHEMA.md), so the test survives refactors of the Rust types.
#![cfg(feature = "serde")] // compares through the JSON: `serde`'s

mod common;

// The reference reading, shared with the fuzz crate (see its module doc).
#[allow(dead_code)] // not every item is used here
#[path = "fuzz_checks/reference.rs"]
mod reference;

use exim_log::parse_line;
use reference::{Disagreement, compare, read};
use std::path::{Path, PathBuf};

/// Disagreements that are understood: (a substring of the line, the key, why).
/// Each entry must still match at least one disagreement (a stale one fails).
const EXPLAINED: &[(&str, &str, &str)] = &[
    // Empty: every disagreement found so far was a parser bug and is fixed
    // (quoted local parts with spaces, `<` in a reject reason, and the
    // `R=router: text` separator of <= 4.98, fixed for issue 13).
];

/// A field on which both readings differ, with the line.
struct Found {
    file: PathBuf,
    line: String,
    d: Disagreement,
}

/// How much of the input the reference read.
#[derive(Default, Debug)]
struct Coverage {
    lines: usize,
    read: usize,
    /// Lines the parser gives a flag (`<=`, `=>`, `**`, ...).
    flagged: usize,
    flagged_read: usize,
}

/// Compares both readings on every line of `files`; returns the coverage and
/// the disagreements.
fn compare_files(files: &[PathBuf]) -> (Coverage, Vec<Found>) {
    let mut cov = Coverage::default();
    let mut found = Vec::new();
    for f in files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for raw in data.split(|b| *b == b'\n') {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let Ok(text) = std::str::from_utf8(raw) else {
                continue;
            };
            cov.lines += 1;
            let json = match parse_line(raw) {
                Ok(l) => serde_json::to_value(&l).unwrap_or_else(|e| panic!("serialize: {e}")),
                Err(_) => serde_json::Value::Null,
            };
            let flagged = json.get("flag").is_some();
            cov.flagged += usize::from(flagged);
            let Some(r) = read(text) else { continue };
            cov.read += 1;
            cov.flagged_read += usize::from(flagged);
            for d in compare(&r, &json) {
                found.push(Found {
                    file: f.clone(),
                    line: text.to_string(),
                    d,
                });
            }
        }
    }
    (cov, found)
}

fn explained(f: &Found) -> Option<usize> {
    EXPLAINED
        .iter()
        .position(|(sub, key, _)| f.line.contains(sub) && *key == f.d.key)
}

/// Fails with every unexplained disagreement, and with explained ones that no
/// longer occur (so the table cannot rot).
fn check(found: &[Found], require_all_explanations: bool) {
    let mut used = vec![false; EXPLAINED.len()];
    let mut bad = Vec::new();
    for f in found {
        match explained(f) {
            Some(i) => {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
            }
            None => bad.push(format!(
                "{}: {}\n    {}: reference {} parser {}",
                f.file.display(),
                f.line,
                f.d.key,
                f.d.reference,
                f.d.parser
            )),
        }
    }
    let n = bad.len();
    bad.truncate(40);
    assert!(
        n == 0,
        "{n} unexplained disagreements (first 40):\n{}",
        bad.join("\n")
    );
    if require_all_explanations {
        let stale: Vec<_> = EXPLAINED
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(e, _)| e)
            .collect();
        assert!(
            stale.is_empty(),
            "explanations that match nothing: {stale:?}"
        );
    }
}

#[test]
fn corpus_mainlogs_agree_with_the_reference() {
    let files = common::corpus_files("mainlog");
    if files.is_empty() {
        return;
    }
    let (cov, found) = compare_files(&files);
    eprintln!("{cov:?}; {} disagreements", found.len());
    // The reference must cover nearly all message lines (94% when written; the
    // rest have fields it does not read), or the comparison says little. Most
    // unflagged corpus lines are the test configurations' own log_write text.
    assert!(
        cov.flagged_read * 100 >= cov.flagged * 90,
        "the reference read only {cov:?}"
    );
    assert!(cov.read * 2 >= cov.lines, "the reference read only {cov:?}");
    check(&found, true);
}

/// Real Exim logs (the lab's, issue 13): every file under `$EXIM_LOG_LAB_LOGS`
/// (a file or a folder), compared the same way. Skipped when unset.
#[test]
fn lab_logs_agree_with_the_reference() {
    let Some(dir) = std::env::var_os("EXIM_LOG_LAB_LOGS") else {
        eprintln!("EXIM_LOG_LAB_LOGS not set: no lab logs compared");
        return;
    };
    let dir = PathBuf::from(dir);
    let mut files = Vec::new();
    collect(&dir, &mut files);
    assert!(!files.is_empty(), "no files under {}", dir.display());
    let (cov, found) = compare_files(&files);
    eprintln!("lab: {cov:?}; {} disagreements", found.len());
    assert!(cov.read > 0, "the reference read no lab line");
    check(&found, false);
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_file() {
        out.push(p.to_path_buf());
    } else if let Ok(entries) = std::fs::read_dir(p) {
        let mut v: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        v.sort();
        for e in v {
            collect(&e, out);
        }
    }
}

/// The comparison can fail: a wrong value is a disagreement.
#[test]
fn a_wrong_value_is_a_disagreement() {
    let line = "2025-01-06 12:00:00 1sAoM5-00000009r3p-06vq => a@b.example R=dnslookup T=remote_smtp H=mx.b.example [192.0.2.1]";
    let r = read(line).expect("the reference reads a plain delivery");
    let mut json = serde_json::to_value(parse_line(line.as_bytes()).unwrap()).unwrap();
    assert!(compare(&r, &json).is_empty());
    json["host"]["ip"] = "192.0.2.".into();
    json["router"] = "remote_smtp".into();
    let keys: Vec<_> = compare(&r, &json).into_iter().map(|d| d.key).collect();
    assert_eq!(keys, ["router", "host.ip"]);
}

/// Lines whose values are known from the format reference alone (written here,
/// not copied from any output): both the parser and the reference must read
/// them so. Hosts and addresses are our own (RFC 2606/5737 names).
const KNOWN: &[(&str, &[(&str, &str)])] = &[
    (
        // §4.1 remote delivery: router, transport, host name/ip/port, confirmation.
        r#"2025-01-06 12:00:00 1tUa2b-00000000Ab1-0c2D => rcpt@example.net <Rcpt@example.net> R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.25]:2525 X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C="250 OK id=1tUa2c-00000000Ab2-0d3E" QT=1m5s"#,
        &[
            ("recipient", "rcpt@example.net"),
            ("original_recipient", "Rcpt@example.net"),
            ("router", "dnslookup"),
            ("transport", "remote_smtp"),
            ("host.name", "mx.example.net"),
            ("host.ip", "192.0.2.25"),
            ("host.port", "2525"),
            ("tls.cipher", "TLS1.3:TLS_AES_256_GCM_SHA384:256"),
            ("confirmation", "250 OK id=1tUa2c-00000000Ab2-0d3E"),
            ("queue_time", "65"),
        ],
    ),
    (
        // §4.3, 4.99+: the error separator ` : ` is not part of the router.
        "2025-01-06 12:00:01 1tUa2b-00000000Ab1-0c2D ** gone@example.org R=system_aliases : This user has left the company",
        &[
            ("recipient", "gone@example.org"),
            ("router", "system_aliases"),
            ("transport", "null"),
            ("error", "This user has left the company"),
        ],
    ),
    (
        // §4.3, <= 4.98 and retry timeouts: `: ` right after the router.
        "2025-01-06 12:00:01 1neFfG-000Bu6-U9 ** gone@example.org R=system_aliases: This user has left the company",
        &[
            ("recipient", "gone@example.org"),
            ("router", "system_aliases"),
            ("error", "This user has left the company"),
        ],
    ),
    (
        // §4.3 with a transport and a host, then `DT=` after the error.
        "2025-01-06 12:00:02 1tUa2b-00000000Ab1-0c2D ** nobody@example.com R=dnslookup T=remote_smtp H=mx1.example.com [198.51.100.7] : SMTP error from remote mail server after RCPT TO:<nobody@example.com>: 550 5.1.1 No such user DT=2s",
        &[
            ("router", "dnslookup"),
            ("transport", "remote_smtp"),
            ("host.ip", "198.51.100.7"),
            (
                "error",
                "SMTP error from remote mail server after RCPT TO:<nobody@example.com>: 550 5.1.1 No such user",
            ),
            ("delivery_time", "2"),
        ],
    ),
    (
        // §4.4 + §7: a quoted local part with spaces is logged unquoted, then quoted as the original.
        r#"2025-01-06 12:00:03 1tUa2b-00000000Ab1-0c2D ** :fail: no such user@example.org <":fail: no such user"@example.org> R=special : no such user"#,
        &[
            ("recipient", ":fail: no such user@example.org"),
            ("original_recipient", "\":fail: no such user\"@example.org"),
            ("router", "special"),
            ("error", "no such user"),
        ],
    ),
    (
        // §4.2 deferral with the host after `defer (N)`.
        "2025-01-06 12:00:04 1tUa2b-00000000Ab1-0c2D == later@example.com R=dnslookup T=remote_smtp defer (-44) H=mx2.example.com [203.0.113.9]: SMTP error from remote mail server after RCPT TO:<later@example.com>: 451 4.7.1 Greylisted",
        &[
            ("router", "dnslookup"),
            ("transport", "remote_smtp"),
            ("errno", "-44"),
            ("host.name", "mx2.example.com"),
            ("host.ip", "203.0.113.9"),
            (
                "error",
                "SMTP error from remote mail server after RCPT TO:<later@example.com>: 451 4.7.1 Greylisted",
            ),
        ],
    ),
    (
        // §3 arrival: host name/helo/ip/port, auth, size, subject escapes, recipients.
        r#"2025-01-06 12:00:05 1tUa2b-00000000Ab1-0c2D <= sender@example.com H=client.example.com (helo.example.com) [192.0.2.80]:41234 P=esmtpsa X=TLS1.3:TLS_AES_128_GCM_SHA256:128 A=login:sender@example.com S=2345 id=abc@example.com T="Re: \"Invoice\" \\ 100\303\251" for one@example.net two@example.net"#,
        &[
            ("sender", "sender@example.com"),
            ("host.name", "client.example.com"),
            ("host.helo", "helo.example.com"),
            ("host.ip", "192.0.2.80"),
            ("host.port", "41234"),
            ("protocol", "esmtpsa"),
            ("auth.authenticator", "login"),
            ("auth.id", "sender@example.com"),
            ("size", "2345"),
            ("subject", "Re: \"Invoice\" \\ 100é"),
            ("recipients", "one@example.net,two@example.net"),
        ],
    ),
    (
        // §10 ACL reject whose reason holds `<...>`: the `<what>` ends at the first `: `.
        "2025-01-06 12:00:06 1tUa2b-00000000Ab1-0c2D H=(laptop) [192.0.2.81] F=<a@example.com> rejected after DATA: body <too long> found",
        &[
            ("stage", "data"),
            ("what", "after DATA"),
            ("host.helo", "laptop"),
            ("host.ip", "192.0.2.81"),
            ("sender", "<a@example.com>"),
            ("reason", "body <too long> found"),
        ],
    ),
    (
        // §10 connection open with port and interface.
        "2025-01-06 12:00:07 SMTP connection from [2001:db8::5]:50000 I=[2001:db8::1]:25 (TCP/IP connection count = 4)",
        &[
            ("host.ip", "2001:db8::5"),
            ("host.port", "50000"),
            ("interface.ip", "2001:db8::1"),
            ("interface.port", "25"),
            ("connection_count", "4"),
        ],
    ),
];

/// The JSON value as the table writes it: strings bare, numbers in decimal,
/// arrays joined with commas, absent as `null`.
fn plain(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "null".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|x| plain(Some(x)))
            .collect::<Vec<_>>()
            .join(","),
        // 65 and 65.0 are the same duration.
        Some(serde_json::Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Some(v) => v.to_string(),
    }
}

#[test]
fn known_values_from_the_format_reference() {
    for (line, want) in KNOWN {
        let parsed = serde_json::to_value(parse_line(line.as_bytes()).expect("prefix")).unwrap();
        let flat = reference::flatten(&parsed);
        let r = read(line).unwrap_or_else(|| panic!("the reference does not read {line}"));
        for (key, value) in *want {
            assert_eq!(plain(flat.get(*key)), *value, "parser, {key} of {line}");
            let claimed = r
                .get(key)
                .unwrap_or_else(|| panic!("reference claims no {key}"));
            assert_eq!(plain(Some(claimed)), *value, "reference, {key} of {line}");
        }
        assert_eq!(compare(&r, &parsed), [], "{line}");
    }
}

/// Unit tests of the reference reading itself (so a wrong reference is caught
/// before it is trusted).
mod reference_reading {
    use super::reference::*;
    use serde_json::Value;

    fn get(line: &str, key: &str) -> Value {
        let r = read(line).unwrap_or_else(|| panic!("no reading of {line}"));
        r.get(key)
            .cloned()
            .unwrap_or_else(|| panic!("{key} not claimed in {line}"))
    }

    #[test]
    fn prefix() {
        let l = "2024-05-25 11:10:28.123 +0100 [77] 1sAoM5-00000009r3p-06vq Completed";
        assert_eq!(get(l, "timestamp"), "2024-05-25T11:10:28.123+01:00");
        assert_eq!(get(l, "pid"), 77);
        assert_eq!(get(l, "message_id"), "1sAoM5-00000009r3p-06vq");
        assert_eq!(read(l).map(|r| r.event), Some("completed"));
    }

    #[test]
    fn failure_separators() {
        let l = "2025-01-06 12:00:00 1sAoM5-00000009r3p-06vq ** a@b.example R=nope : Unrouteable address";
        assert_eq!(get(l, "router"), "nope");
        assert_eq!(get(l, "error"), "Unrouteable address");
        let l = "2025-01-06 12:00:00 1sAoM5-00000009r3p-06vq ** a@b.example R=r0: bounced (:fail:)";
        assert_eq!(get(l, "router"), "r0");
        assert_eq!(get(l, "error"), "bounced (:fail:)");
        let l = "2025-01-06 12:00:00 1neFfG-000Bu6-U9 ** a@b.example: retry timeout exceeded";
        assert_eq!(get(l, "recipient"), "a@b.example");
        assert_eq!(get(l, "router"), Value::Null);
    }

    #[test]
    fn delivery_hosts_and_confirmation() {
        let l = r#"2025-01-06 12:00:00 1sAoM5-00000009r3p-06vq => x@y.example <X@y.example> R=dnslookup T=remote_smtp H=mx.y.example DS [192.0.2.7]:2525* X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C="250- a\\nb \"q\"" QT=1m2s DT=0.304s"#;
        assert_eq!(get(l, "recipient"), "x@y.example");
        assert_eq!(get(l, "original_recipient"), "X@y.example");
        assert_eq!(get(l, "router"), "dnslookup");
        assert_eq!(get(l, "transport"), "remote_smtp");
        assert_eq!(get(l, "host.name"), "mx.y.example");
        assert_eq!(get(l, "host.ip"), "192.0.2.7");
        assert_eq!(get(l, "host.port"), 2525);
        assert_eq!(get(l, "host.dnssec"), true);
        assert_eq!(get(l, "host.connection_reused"), true);
        assert_eq!(get(l, "tls.cipher"), "TLS1.3:TLS_AES_256_GCM_SHA384:256");
        assert_eq!(get(l, "confirmation"), "250- a\nb \"q\"");
        assert_eq!(get(l, "queue_time"), 62.0);
        assert_eq!(get(l, "delivery_time"), 0.304);
    }

    #[test]
    fn arrival_fields() {
        let l = r#"2025-01-06 12:00:00 1sAoM5-00000009r3p-06vq <= a@b.example H=mx.b.example (helo.b) [192.0.2.1]:4321 I=[192.0.2.2]:25 P=esmtpsa X=TLS1.3:X:256 A=plain:joe S=1234 id=m@b T="Hi \"there\"\\ \303\251" from <raw@b> for c@d e@f"#;
        assert_eq!(get(l, "sender"), "a@b.example");
        assert_eq!(get(l, "host.name"), "mx.b.example");
        assert_eq!(get(l, "host.helo"), "helo.b");
        assert_eq!(get(l, "host.ip"), "192.0.2.1");
        assert_eq!(get(l, "host.port"), 4321);
        assert_eq!(get(l, "interface.port"), 25);
        assert_eq!(get(l, "auth.authenticator"), "plain");
        assert_eq!(get(l, "auth.id"), "joe");
        assert_eq!(get(l, "size"), 1234);
        assert_eq!(get(l, "subject"), "Hi \"there\"\\ é");
        assert_eq!(get(l, "received_sender"), "raw@b");
        assert_eq!(get(l, "recipients"), serde_json::json!(["c@d", "e@f"]));
    }

    #[test]
    fn deferral_shapes() {
        let l = "2025-01-06 12:00:00 1sAoM5-00000009r3p-06vq == u@e.example R=dnslookup T=remote_smtp defer (-44) H=mx.e.example [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<u@e.example>: 451 Greylisted";
        assert_eq!(get(l, "errno"), -44);
        assert_eq!(get(l, "host.ip"), "192.0.2.1");
        assert_eq!(
            get(l, "error"),
            "SMTP error from remote mail server after RCPT TO:<u@e.example>: 451 Greylisted"
        );
        let l = "2025-01-06 12:00:00 1sAoM5-00000009r3p-06vq == u@e.example routing defer (-52): retry time not reached";
        assert_eq!(get(l, "routing"), true);
        assert_eq!(get(l, "router"), Value::Null);
    }

    #[test]
    fn rejections_and_sessions() {
        let l = "2025-01-06 12:00:00 H=(x.example) [192.0.2.9] F=<s@x.example> temporarily rejected RCPT <r@y.example>: greylisted";
        assert_eq!(get(l, "stage"), "rcpt");
        assert_eq!(get(l, "host.helo"), "x.example");
        assert_eq!(get(l, "host.ip"), "192.0.2.9");
        assert_eq!(get(l, "recipient"), "r@y.example");
        assert_eq!(get(l, "temporary"), true);
        assert_eq!(get(l, "reason"), "greylisted");
        let l = "2025-01-06 12:00:00 SMTP connection from [192.0.2.9]:5678 I=[192.0.2.1]:25 (TCP/IP connection count = 3)";
        assert_eq!(get(l, "host.port"), 5678);
        assert_eq!(get(l, "connection_count"), 3);
        let l = "2025-01-06 12:00:00 cwd=/var/spool/exim 3 args: /usr/sbin/exim -bd -q30m";
        assert_eq!(get(l, "cwd"), "/var/spool/exim");
        assert_eq!(get(l, "argc"), 3);
    }

    #[test]
    fn unknown_shapes_claim_nothing() {
        assert!(read("2025-01-06 12:00:00 something new").is_none());
        assert!(read("not a log line").is_none());
        // A tag the reference does not read makes it decline the whole line.
        assert!(read("2025-01-06 12:00:00 1sAoM5-00000009r3p-06vq => a@b R=r T=t NEW=1").is_none());
    }

    #[test]
    fn durations() {
        assert_eq!(duration("1w2d3h4m5s"), Some(788_645.0));
        assert_eq!(duration("0s"), Some(0.0));
        assert_eq!(duration("1.578s"), Some(1.578));
        assert_eq!(duration("qqs"), None);
        assert_eq!(duration(""), None);
    }
}
