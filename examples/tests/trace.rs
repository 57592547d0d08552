//! The `trace` binary on a rotated set (one file gzipped): grouping, both id
//! formats, the fast path agreeing with the regex path, options, JSON, errors.
// Helpers outside #[test] fns may unwrap and index too (clippy.toml allows it only inside them).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SPAM: &str = "1sAoM5-00000009r3p-06vq";
const INBOUND: &str = "1sAoM6-0000000AAAA-0000";
const BOUNCE: &str = "1sAoMA-0000000BBBB-0000";
const OLD: &str = "1FZ8zt-0005lz-E7";

const OLDER: &str = "\
2026-11-25 23:59:58 cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i
2026-11-25 23:59:58 1sAoM5-00000009r3p-06vq <= shop@host.example.com U=shop P=local S=1822 T=\"Your invoice\" for victim1@example.org victim2@example.net
2026-11-25 23:59:59 1sAoM6-0000000AAAA-0000 <= alice@example.com H=mail.example.com [192.0.2.10] P=esmtps S=4211 id=abc@example.com
2026-11-25 23:59:59 1sAoM5-00000009r3p-06vq => victim1@example.org R=dnslookup T=remote_smtp H=mx.example.org [198.51.100.7] C=\"250 OK id=1sAoN0-0000000ZZZZ-0001\"
2026-11-25 23:59:59 1sAoM6-0000000AAAA-0000 => bob <bob@example.com> R=localuser T=local_delivery
2026-11-25 23:59:59 1sAoM6-0000000AAAA-0000 Completed
2006-04-27 17:43:41 1FZ8zt-0005lz-E7 <= nobody@server.example.com U=nobody P=local S=4001 T=\"Buy Me!\"
";

const CURRENT: &str = "\
2026-11-26 00:00:03 1sAoM5-00000009r3p-06vq ** victim2@example.net R=dnslookup T=remote_smtp H=mx.example.net [203.0.113.5] : SMTP error from remote mail server after RCPT TO:<victim2@example.net>: 550 5.1.1 User unknown
2026-11-26 00:00:03 1sAoMA-0000000BBBB-0000 <= <> R=1sAoM5-00000009r3p-06vq U=Debian-exim P=local S=2533
2026-11-26 00:00:03 1sAoM5-00000009r3p-06vq Completed
2026-11-26 00:00:04 1sAoMA-0000000BBBB-0000 => shop <shop@host.example.com> R=localuser T=local_delivery
2026-11-26 00:00:04 1sAoMA-0000000BBBB-0000 Completed
2026-11-26 00:00:05 H=(spammer) [192.0.2.66] F=<x@spam.example> rejected RCPT <y@example.com>: relay not permitted
2006-04-27 17:43:53 1FZ8zt-0005lz-E7 => victim@example.org R=lookuphost T=remote_smtp H=mx.example.org [198.51.100.9]
2006-04-27 17:45:53 1FZ8zt-0005lz-E7 Completed
";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn set() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mainlog.1.gz"), gzip(OLDER.as_bytes())).unwrap();
    std::fs::write(dir.path().join("mainlog"), CURRENT).unwrap();
    dir
}

fn trace(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .arg("trace")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Runs `trace` with `args`, `input` on its stdin.
fn trace_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .arg("trace")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The ids of the `# message ID` headers, in order.
fn ids(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.strip_prefix("# message "))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect()
}

/// The input lines of message `id`, in order.
fn lines_of(id: &str) -> Vec<String> {
    OLDER
        .lines()
        .chain(CURRENT.lines())
        .filter(|l| l.get(20..).is_some_and(|r| r.starts_with(id)))
        .map(str::to_string)
        .collect()
}

#[test]
fn an_id_prints_its_message_whole_across_files_and_its_bounce() {
    let dir = set();
    // The glob order a shell gives (mainlog before mainlog.1.gz) is corrected.
    let o = trace(&[SPAM, "mainlog", "mainlog.1.gz"], dir.path());
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    // The bounce names the id in `R=`, so it matches too, as with exigrep.
    assert_eq!(ids(&out), [SPAM, BOUNCE]);
    let spam_block: Vec<String> = out
        .split("\n\n")
        .find(|b| b.starts_with(&format!("# message {SPAM}")))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    assert_eq!(spam_block, lines_of(SPAM));
    assert!(out.contains(&format!("# message {BOUNCE} (completed")));
}

#[test]
fn both_id_formats_in_one_run_from_a_directory() {
    let dir = set();
    let o = trace(&["-e", OLD, "-e", INBOUND, "."], dir.path());
    assert!(o.status.success());
    let out = stdout(&o);
    assert_eq!(ids(&out), [INBOUND, OLD]);
    for id in [INBOUND, OLD] {
        for line in lines_of(id) {
            assert!(out.contains(&line), "{line}");
        }
    }
}

#[test]
fn the_fast_path_and_the_regex_path_agree() {
    let dir = set();
    let fast = stdout(&trace(&[SPAM, "."], dir.path()));
    // A regex that matches the same id forces the full assembly path.
    let pattern = SPAM.replace("06vq", "06v[q]");
    let slow = stdout(&trace(&[&pattern, "."], dir.path()));
    assert_eq!(ids(&fast), ids(&slow));
    let body = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(body(&fast), body(&slow));
}

#[test]
fn case_invert_and_minimum_queue_time() {
    let dir = set();
    // Case-insensitive by default, like exigrep; -I makes it case-sensitive.
    assert_eq!(
        ids(&stdout(&trace(&["USER UNKNOWN", "."], dir.path()))),
        [SPAM]
    );
    let o = trace(&["-I", "USER UNKNOWN", "."], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    // -l: the pattern is literal (`.` and `[` are not special).
    assert_eq!(
        ids(&stdout(&trace(&["-l", "[198.51.100.9]", "."], dir.path()))),
        [OLD]
    );
    // -v: the messages that do not match, and the lone lines that do not.
    let out = stdout(&trace(&["-v", "example.net", "."], dir.path()));
    assert_eq!(ids(&out), [INBOUND, BOUNCE, OLD]);
    assert!(out.contains("rejected RCPT"));
    // -t: at least 60 s on the queue: only the 2006 message (17:43:41 -> 17:45:53).
    assert_eq!(
        ids(&stdout(&trace(&["-t", "60", "example", "."], dir.path()))),
        [OLD]
    );
}

#[test]
fn lone_matching_lines_are_printed() {
    let dir = set();
    let out = stdout(&trace(&["spammer", "."], dir.path()));
    assert!(ids(&out).is_empty());
    assert!(out.contains("H=(spammer) [192.0.2.66]"));
}

#[test]
fn json_is_one_object_per_line_with_position_and_trace() {
    let dir = set();
    let o = trace(&["--json", INBOUND, "."], dir.path());
    let out = stdout(&o);
    let objs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 3);
    for (v, raw) in objs.iter().zip(lines_of(INBOUND)) {
        assert_eq!(v["raw"], raw.as_str());
        assert_eq!(v["message_id"], INBOUND);
        assert_eq!(v["trace"]["message_id"], INBOUND);
        assert_eq!(v["trace"]["status"], "completed");
        assert_eq!(v["trace"]["role"], "line");
        assert!(
            v["position"]["file"]
                .as_str()
                .unwrap()
                .ends_with("mainlog.1.gz")
        );
    }
    assert_eq!(objs[2]["event"], "completed");
    assert_eq!(objs[2]["position"]["line"], 6);
}

#[test]
fn stdin_plain_or_gzip() {
    for input in [CURRENT.as_bytes().to_vec(), gzip(CURRENT.as_bytes())] {
        let o = trace_stdin(&[BOUNCE], &input);
        assert_eq!(ids(&stdout(&o)), [BOUNCE]);
    }
}

#[test]
fn a_truncated_gzip_is_reported_after_its_complete_lines() {
    let dir = set();
    let gz = gzip(OLDER.as_bytes());
    std::fs::write(dir.path().join("mainlog.1.gz"), &gz[..gz.len() - 8]).unwrap();
    let o = trace(&[INBOUND, "."], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr.clone()).unwrap();
    assert!(err.contains("mainlog.1.gz: line 8"), "{err}");
    // Every complete line before the fault was read: the message is whole.
    assert_eq!(ids(&stdout(&o)), [INBOUND]);
}

#[test]
fn help_and_usage_errors() {
    let dir = set();
    let o = trace(&["--help"], dir.path());
    assert!(o.status.success());
    assert!(stdout(&o).contains("-t <SECONDS>"));
    let o = trace(&[], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let o = trace(&["-x", "a"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let o = trace(&["(unclosed", "."], dir.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn two_pass_regex_search_agrees_with_full_assembly() {
    let dir = set();
    let all = format!("{OLDER}{CURRENT}");
    std::fs::write(dir.path().join("all.log"), &all).unwrap();
    let sorted = |s: String| -> Vec<String> {
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    for pattern in [
        "user unknown",
        r"example\.net",
        "spammer",
        "^2006-",
        "buy me",
        "06v[q] Completed$",
    ] {
        // From a file: the two-pass path (regex over buffers, then the id path).
        let files = stdout(&trace(&[pattern, "all.log"], dir.path()));
        // From stdin: one pass, every line assembled.
        let piped = stdout(&trace_stdin(&[pattern], all.as_bytes()));
        assert!(!files.is_empty(), "{pattern}");
        assert_eq!(sorted(files), sorted(piped), "{pattern}");
    }
}

#[test]
fn the_submitting_script_is_shown_and_searchable() {
    let dir = set();
    let out = stdout(&trace(&[SPAM, "."], dir.path()));
    assert!(
        out.contains(
            "# cwd (adjacent): 2026-11-25 23:59:58 cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i\n"
        ),
        "{out}"
    );
    // Searching the script's directory finds the messages it sent.
    let out = stdout(&trace(&["-l", "/home/shop/public_html", "."], dir.path()));
    assert_eq!(ids(&out), [SPAM]);
    // In JSON the args line comes first, with its link.
    let out = stdout(&trace(&["--json", SPAM, "."], dir.path()));
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["event"], "arguments");
    assert_eq!(first["cwd"], "/home/shop/public_html");
    assert_eq!(first["trace"]["role"], "arguments");
    assert_eq!(first["trace"]["link"], "adjacent");
    assert_eq!(first["trace"]["message_id"], SPAM);
}

/// Issue 16: `--memory-budget` reaches the trace engine: 2 MB of long `cwd=`
/// lines before the wanted message hit a 1 MiB budget (said on stderr), not
/// the default one, and the message is still printed with its script.
#[test]
fn memory_budget_bounds_held_cwd_lines_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let filler = "x".repeat(1000);
    let mut log = String::new();
    for i in 0..2000 {
        log.push_str(&format!(
            "2026-11-25 23:59:57 cwd=/home/u{i}/{filler} 3 args: /usr/sbin/sendmail -t\n"
        ));
    }
    log.push_str(OLDER);
    std::fs::write(dir.path().join("mainlog"), &log).unwrap();
    let small = trace(&["--memory-budget", "1", SPAM, "mainlog"], dir.path());
    let default = trace(&[SPAM, "mainlog"], dir.path());
    for o in [&small, &default] {
        assert!(o.status.success(), "{o:?}");
        let out = stdout(o);
        assert!(out.contains("cwd=/home/shop/public_html"), "{out}");
        assert!(out.contains("=> victim1@example.org"), "{out}");
    }
    let err = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err(&small).contains("memory budget was hit"),
        "{}",
        err(&small)
    );
    assert!(
        !err(&default).contains("memory budget"),
        "{}",
        err(&default)
    );
    // With --json too (stdout stays one object per message), in one line.
    let json = trace(
        &["--json", "--memory-budget", "1", SPAM, "mainlog"],
        dir.path(),
    );
    assert!(json.status.success(), "{json:?}");
    assert_eq!(err(&json).matches("memory budget was hit").count(), 1);
    assert!(err(&json).contains("times held cwd= lines were dropped"));
    for l in stdout(&json).lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap();
    }
}
