//! `--threads N` gives the output of `--threads 1`, byte for byte, for every
//! subcommand that takes it: on the Exim test-suite corpus (835 small files,
//! message ids used again from file to file) and on generated logs, alone and
//! as a rotated set with `.gz` members, cut into many small units
//! (`--unit-bytes`) so that hundreds of messages, SMTP connections and
//! `+arguments` links cross a cut.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use exim_log_benches::{Config, generate};
use serde_json::Value;

/// The corpus's mainlogs (`$EXIM_LOG_CORPUS` or ../shared/corpus); `None`
/// when missing outside CI (under `CI=true` a missing corpus fails).
fn corpus_mainlogs() -> Option<Vec<PathBuf>> {
    let dir = std::env::var_os("EXIM_LOG_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/exim-testsuite"),
        PathBuf::from,
    );
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "corpus not found at {}; CI requires it",
            dir.display()
        );
        eprintln!("skipping corpus test: no corpus at {}", dir.display());
        return None;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("mainlog"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Some(files)
}

/// Runs the command; (exit code, stdout, stderr).
fn exim_log(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .args(args)
        .output()
        .expect("run exim-log");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The report JSON without `assembler_memory.peak`: the most bytes one
/// assembler held, which depends on how the input was shared out.
fn comparable(stdout: &[u8], json: bool) -> Vec<u8> {
    if !json {
        return stdout.to_vec();
    }
    let mut v: Value = serde_json::from_slice(stdout).expect("one JSON document");
    if let Some(m) = v.get_mut("assembler_memory").and_then(Value::as_object_mut) {
        assert!(m.remove("peak").is_some(), "assembler_memory.peak");
    }
    serde_json::to_vec_pretty(&v).unwrap()
}

/// Every subcommand with `--threads`, as (arguments, output is one JSON).
const RUNS: &[(&[&str], bool)] = &[
    (&["ndjson"], false),
    (&["summary", "--json"], true),
    (&["summary"], false),
    (&["spam-sources", "--json", "-n", "50"], true),
    (
        &["abuse-report", "--json", "-n", "50", "--threshold", "1"],
        true,
    ),
    (&["abuse-report", "--offenders", "--threshold", "1"], false),
];

/// Checks that every run of [`RUNS`] over `inputs` gives the same exit code,
/// output and warnings with `threads` threads and `unit` bytes per unit as
/// with one thread.
fn same_with_threads(what: &str, inputs: &[PathBuf], threads: &str, unit: &str) {
    same_runs_with_threads(RUNS, what, inputs, threads, unit);
}

fn same_runs_with_threads(
    runs: &[(&[&str], bool)],
    what: &str,
    inputs: &[PathBuf],
    threads: &str,
    unit: &str,
) {
    let inputs: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    for (args, json) in runs {
        let one: Vec<&str> = args
            .iter()
            .copied()
            .chain(["--threads", "1"])
            .chain(inputs.iter().copied())
            .collect();
        let many: Vec<&str> = args
            .iter()
            .copied()
            .chain(["--threads", threads, "--unit-bytes", unit])
            .chain(inputs.iter().copied())
            .collect();
        let (code1, out1, err1) = exim_log(&one);
        let (code2, out2, err2) = exim_log(&many);
        assert!(!out1.is_empty(), "{what} {args:?}: no output ({err1})");
        assert_eq!(code1, code2, "{what} {args:?}: exit codes");
        assert_eq!(err1, err2, "{what} {args:?}: warnings");
        let (a, b) = (comparable(&out1, *json), comparable(&out2, *json));
        if a != b {
            let a = String::from_utf8_lossy(&a);
            let b = String::from_utf8_lossy(&b);
            let first = a
                .lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .unwrap_or(0);
            panic!(
                "{what} {args:?} --threads {threads}: output differs from line {first}:\n\
                 one thread: {:?}\n{threads} threads: {:?}",
                a.lines().nth(first),
                b.lines().nth(first)
            );
        }
    }
}

#[test]
fn corpus_output_is_the_same_on_several_threads() {
    let Some(files) = corpus_mainlogs() else {
        return;
    };
    assert!(files.len() > 100, "{} corpus mainlogs", files.len());
    // abuse-report at its default threshold: below it, the dictionary
    // connections table shows one connection counted differently, the limit
    // `AbuseReport::merge` documents (a cut among several connections open
    // at once under one key: the test-suite files reuse one IP without pids
    // and leave connections open at their ends).
    let runs: Vec<(&[&str], bool)> = RUNS
        .iter()
        .copied()
        .filter(|(args, _)| !args.contains(&"--threshold"))
        .chain([(&["abuse-report", "--json"][..], true)])
        .collect();
    same_runs_with_threads(&runs, "corpus", &files, "3", "3000");
}

/// Writes `log` cut at line starts into a rotated set: `mainlog.2.gz`,
/// `mainlog.1`, `mainlog` (oldest first, as `LogFiles::from_args` orders a
/// directory).
fn rotated_set(dir: &Path, log: &[u8]) -> PathBuf {
    let cut = |at: usize| at + log[at..].iter().position(|b| *b == b'\n').unwrap() + 1;
    let (a, b) = (cut(log.len() / 3), cut(2 * log.len() / 3));
    let set = dir.join("set");
    std::fs::create_dir(&set).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&log[..a]).unwrap();
    std::fs::write(set.join("mainlog.2.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(set.join("mainlog.1"), &log[a..b]).unwrap();
    std::fs::write(set.join("mainlog"), &log[b..]).unwrap();
    set
}

#[test]
fn generated_output_is_the_same_on_several_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut with_pid = Config::with_incidents(21, 600_000);
    with_pid.pid = true;
    with_pid.incident_percent = 25;
    let mut plain = Config::with_incidents(22, 600_000);
    plain.incident_percent = 25;
    for (name, config) in [("generated+pid", with_pid), ("generated", plain)] {
        let log = generate(&config).0;
        let path = dir.path().join(format!("{name}.log"));
        std::fs::write(&path, &log).unwrap();
        for (threads, unit) in [("2", "20000"), ("4", "7000")] {
            same_with_threads(name, std::slice::from_ref(&path), threads, unit);
        }
        // Units whose JSON is several of ndjson's 64 KiB chunks: written as
        // they fill while it is the unit's turn, set aside before.
        let ndjson: &[(&[&str], bool)] = &[(&["ndjson"], false)];
        same_runs_with_threads(ndjson, name, std::slice::from_ref(&path), "2", "100000");
        if name == "generated" {
            let set = rotated_set(dir.path(), &log);
            same_with_threads("rotated set", &[set], "3", "20000");
        }
    }
}

/// A generated log as rsyslog writes it (RFC 3164, `exim[pid]:` before each
/// Exim line), with other programs' lines between and lines longer than
/// the reader's limit: every subcommand gives one thread's output and
/// warnings on several, and read errors name the same line numbers (the
/// units' skipped lines count: positions number them).
#[test]
fn a_syslog_file_gives_the_same_output_and_line_numbers_on_several_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::with_incidents(23, 300_000);
    c.incident_percent = 25;
    let log = generate(&c).0;
    let mut text = Vec::new();
    for (i, line) in log
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i % 3 == 0 {
            writeln!(
                text,
                "Nov 27 07:47:34 mx1 sshd[{i}]: Accepted publickey for root"
            )
            .unwrap();
        }
        if i % 700 == 350 {
            // Over the 1 MiB line limit: a read error with its line number.
            text.extend_from_slice(b"Nov 27 07:47:34 mx1 exim[7]: ");
            text.extend(std::iter::repeat_n(b'x', (1 << 20) + 10));
            text.push(b'\n');
        }
        text.extend_from_slice(b"Nov 27 07:47:34 mx1 exim[812]: ");
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    let path = dir.path().join("syslog");
    std::fs::write(&path, &text).unwrap();
    let file = path.to_str().unwrap();
    // One thread: the Exim lines inside are found (no "0 of N lines look
    // like Exim log lines"), and each over-long line is named by its number.
    let (code, out, err) = exim_log(&["ndjson", "--threads", "1", file]);
    // (A line too long is said and skipped: not a failure.)
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("look like Exim"), "{err}");
    let long: Vec<usize> = text
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| l.len() > 1 << 20)
        .map(|(i, _)| i + 1)
        .collect();
    assert!(long.len() >= 2, "{long:?}");
    for n in &long {
        assert!(
            err.contains(&format!("line {n} ")),
            "line {n} not named: {err}"
        );
    }
    assert_eq!(
        out.iter().filter(|b| **b == b'\n').count(),
        log.iter().filter(|b| **b == b'\n').count(),
        "one JSON line per Exim line"
    );
    for (threads, unit) in [("2", "20000"), ("3", "7000")] {
        same_with_threads("syslog", std::slice::from_ref(&path), threads, unit);
    }
}

/// Exim splits a long line for syslog into `[n/m]` chunks (log.c
/// write_syslog), each a syslog line of its own, another process's lines
/// possibly between them: a unit cut between two chunks of a line reads the
/// rest past its end, so no line is lost or split, whatever the cuts.
#[test]
fn syslog_chunks_of_a_line_cut_between_units_are_joined() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::with_incidents(24, 200_000);
    c.incident_percent = 25;
    let log = generate(&c).0;
    let mut text = Vec::new();
    let mut lines = 0;
    let mut split = 0;
    let mut queue_runs = 0;
    for (i, line) in log
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        lines += 1;
        let pieces: Vec<&[u8]> = line.chunks(60).collect();
        if pieces.len() == 1 {
            text.extend_from_slice(b"Nov 27 07:47:34 mx1 exim[812]: ");
            text.extend_from_slice(line);
            text.push(b'\n');
            continue;
        }
        split += 1;
        let m = pieces.len();
        for (k, piece) in pieces.iter().enumerate() {
            write!(
                text,
                "Nov 27 07:47:34 mx1 exim[{}]: [{}/{m}] ",
                1000 + i % 7,
                k + 1
            )
            .unwrap();
            text.extend_from_slice(piece);
            text.push(b'\n');
            if k % 2 == 0 {
                // Another Exim process and another program between chunks.
                writeln!(
                    text,
                    "Nov 27 07:47:34 mx1 exim[99]: 2026-11-27 07:47:34 Start queue run: pid=99"
                )
                .unwrap();
                queue_runs += 1;
                writeln!(
                    text,
                    "Nov 27 07:47:34 mx1 sshd[9]: Accepted publickey for root"
                )
                .unwrap();
            }
        }
    }
    assert!(split > lines / 2, "{split} of {lines} lines split");
    let path = dir.path().join("syslog");
    std::fs::write(&path, &text).unwrap();
    let file = path.to_str().unwrap();
    let (code, out, err) = exim_log(&["ndjson", "--threads", "1", file]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.iter().filter(|b| **b == b'\n').count() - queue_runs,
        lines,
        "every line joined again"
    );
    for (threads, unit) in [("2", "5000"), ("3", "1777")] {
        same_with_threads("syslog chunks", std::slice::from_ref(&path), threads, unit);
    }
}

#[test]
fn a_gzip_log_is_read_the_same_pipelined() {
    let dir = tempfile::tempdir().unwrap();
    let log = generate(&Config::with_incidents(23, 300_000)).0;
    let path = dir.path().join("mainlog.1.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&log).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let (code, one, _) = exim_log(&["ndjson", "--threads", "1", path.to_str().unwrap()]);
    let (code2, two, _) = exim_log(&["ndjson", "--threads", "2", path.to_str().unwrap()]);
    assert_eq!((code, code2), (0, 0));
    assert_eq!(
        one.iter().filter(|b| **b == b'\n').count(),
        log.iter().filter(|b| **b == b'\n').count()
    );
    assert!(one == two, "pipelined .gz output differs");
}

/// Runs `args` with `--threads 1` and with `threads` threads cut into
/// `unit`-byte units (the options go before `tail`, the files); checks the
/// exit code, warnings and output (JSON without `assembler_memory.peak`) are
/// the same, and returns the one-thread output.
fn same_run(args: &[&str], tail: &[&str], json: bool, threads: &str, unit: &str) -> Vec<u8> {
    let run = |extra: &[&str]| {
        let all: Vec<&str> = args.iter().chain(extra).chain(tail).copied().collect();
        exim_log(&all)
    };
    let (code1, out1, err1) = run(&["--threads", "1"]);
    let (code2, out2, err2) = run(&["--threads", threads, "--unit-bytes", unit]);
    let what = format!("{args:?} --threads {threads} --unit-bytes {unit}");
    assert_eq!(
        (code1, &err1),
        (code2, &err2),
        "{what}: exit codes, warnings"
    );
    let (a, b) = (comparable(&out1, json), comparable(&out2, json));
    if a != b {
        let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        let first = a.lines().zip(b.lines()).position(|(x, y)| x != y);
        let first = first.unwrap_or_else(|| a.lines().count().min(b.lines().count()));
        panic!(
            "{what}: output differs from line {first}:\none thread: {:?}\nmany: {:?}",
            a.lines().nth(first),
            b.lines().nth(first)
        );
    }
    out1
}

/// `queue --log` finds the arrivals of the queued messages on several
/// threads as on one: a listing of every third message of a generated log
/// (hundreds of them cross a cut), linked to the log and to the rotated set.
#[test]
fn queue_links_the_same_arrivals_on_several_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::with_incidents(24, 400_000);
    c.compromised_scripts = 2;
    c.incident_percent = 25;
    let log = generate(&c).0;
    let path = dir.path().join("mainlog");
    std::fs::write(&path, &log).unwrap();
    // `exim -bp` records of every third arrival's id.
    let mut listing = String::new();
    let text = String::from_utf8_lossy(&log);
    for (i, id) in text
        .lines()
        .filter(|l| l.contains(" <= "))
        .filter_map(|l| l.split(' ').nth(2))
        .enumerate()
    {
        if i % 3 == 0 {
            listing += &format!(" 5m   700 {id} <a@example.net>\n          b@example.com\n\n");
        }
    }
    let bp = dir.path().join("bp");
    std::fs::write(&bp, &listing).unwrap();
    let set = rotated_set(dir.path(), &log);
    let bp = bp.to_str().unwrap();
    for logs in [&path, &set] {
        let logs = logs.to_str().unwrap();
        let each = same_run(
            &["queue", "--each", bp],
            &["--log", logs],
            false,
            "3",
            "9000",
        );
        // Most records were linked (the rest: arrivals without a cwd= or
        // user still give a log object; ids are all from the log).
        let linked = String::from_utf8_lossy(&each)
            .lines()
            .filter(|l| l.contains("\"log\":"))
            .count();
        let records = listing.matches(" 5m ").count();
        assert!(
            linked > 50 && linked == records,
            "{linked} of {records} linked"
        );
        same_run(
            &["queue", "--json", bp],
            &["--log", logs],
            true,
            "2",
            "20000",
        );
    }
}

/// `web-origins` matches the same submissions on several threads as on one
/// (a generated log with compromised scripts and its access logs).
#[test]
fn web_origins_are_the_same_on_several_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::with_incidents(25, 400_000);
    c.compromised_scripts = 3;
    c.incident_percent = 25;
    let (log, truth) = generate(&c);
    let (files, _) =
        exim_log_benches::weblogs::domlogs(&log, 25, &truth.incidents.compromised_scripts);
    for (name, data) in &files {
        let p = dir.path().join("domlogs").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    let path = dir.path().join("mainlog");
    std::fs::write(&path, &log).unwrap();
    let set = rotated_set(dir.path(), &log);
    let domlogs = dir.path().join("domlogs");
    let domlogs = domlogs.to_str().unwrap();
    for logs in [&path, &set] {
        let logs = logs.to_str().unwrap();
        let out = same_run(
            &["web-origins", "--json", "--domlogs", domlogs],
            &[logs],
            true,
            "3",
            "9000",
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert!(v["scripts"].as_array().unwrap().len() >= 3, "{v}");
        same_run(
            &["web-origins", "--domlogs", domlogs],
            &[logs],
            false,
            "2",
            "20000",
        );
    }
}

/// Message ids of a log's text: the parents of every `step`-th bounce
/// (`<= <> R=ID`: the trace then follows the bounce too) and of every
/// `step`-th arrival.
fn ids_to_trace(log: &str, step: usize) -> Vec<String> {
    let mut ids: Vec<String> = log
        .lines()
        .filter_map(|l| l.split_once(" <= <> R=").map(|(_, r)| r))
        .filter_map(|r| r.split(' ').next())
        .step_by(step)
        .map(str::to_string)
        .collect();
    ids.extend(
        log.lines()
            .filter(|l| l.contains(" <= ") && !l.contains(" <= <> "))
            .filter_map(|l| l.split(' ').nth(2))
            .step_by(step)
            .map(str::to_string),
    );
    ids.sort();
    ids.dedup();
    ids
}

/// The searches `trace` runs on several threads or one: ids (the id path),
/// a regular expression over a few of them (the first pass narrows to
/// them), lone lines only, a pattern matching most messages, an inverted
/// search (every line assembled, on one thread), each as text and NDJSON.
fn trace_searches(ids: &[String]) -> Vec<Vec<String>> {
    let mut by_id = Vec::new();
    for id in ids.iter().take(40) {
        by_id.extend(["-e".to_string(), id.clone()]);
    }
    let few = ids.iter().take(5).cloned().collect::<Vec<_>>().join("|");
    let mut searches = vec![
        by_id,
        vec!["-e".into(), format!("({few}) ")],
        vec!["-e".into(), "rejected (RCPT|after)".into()],
        vec!["-e".into(), "Completed".into()],
        vec!["-v".into(), "-e".into(), ids[0].clone()],
    ];
    for s in searches.clone() {
        searches.push([vec!["--json".to_string()], s].concat());
    }
    searches
}

/// `trace` prints the same on several threads as on one: the corpus (ids
/// used again from file to file), generated logs with and without `+pid`
/// cut into 32 units (traced messages cross the cuts: checked against the
/// plan's cuts) and a rotated set with a `.gz` member.
#[test]
fn trace_is_the_same_on_several_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut straddling = 0;
    for (seed, pid) in [(26, true), (27, false)] {
        let mut c = Config::with_incidents(seed, 600_000);
        c.pid = pid;
        c.incident_percent = 25;
        let log = generate(&c).0;
        let path = dir.path().join(format!("mainlog{seed}"));
        std::fs::write(&path, &log).unwrap();
        let ids = ids_to_trace(&String::from_utf8_lossy(&log), 3);
        assert!(ids.len() >= 30, "{} ids", ids.len());
        let file = path.to_str().unwrap();
        // --threads 8 plans 8 x 4 units (trace's units per thread).
        let cuts: Vec<u64> = exim_log::parallel::Plan::sized([&path], 32, 1000)
            .unwrap()
            .units()
            .iter()
            .filter_map(|u| u.range.as_ref().map(|r| r.start))
            .filter(|s| *s > 0)
            .collect();
        assert!(cuts.len() >= 20, "{} cuts", cuts.len());
        // Every search on the +pid log; on the other, those that do not
        // assemble every line (the id path, the first pass).
        let searches = trace_searches(&ids);
        let kept = |i: usize| pid || [0, 1, 2, 5, 6].contains(&i);
        for (_, search) in searches.iter().enumerate().filter(|(i, _)| kept(*i)) {
            let args: Vec<&str> = ["trace"]
                .into_iter()
                .chain(search.iter().map(String::as_str))
                .collect();
            let out = same_run(&args, &[file], false, "8", "1000");
            if search.first().is_some_and(|a| a == "--json") && search.len() > 50 {
                // The id search: count the messages whose lines lie on both
                // sides of a cut.
                let mut spans: std::collections::BTreeMap<String, (u64, u64)> =
                    std::collections::BTreeMap::new();
                for line in String::from_utf8_lossy(&out).lines() {
                    let v: Value = serde_json::from_str(line).unwrap();
                    let (Some(id), Some(at)) = (
                        v["trace"]["message_id"].as_str(),
                        v["position"]["byte"].as_u64(),
                    ) else {
                        continue;
                    };
                    let e = spans.entry(id.to_string()).or_insert((at, at));
                    *e = (e.0.min(at), e.1.max(at));
                }
                straddling += spans
                    .values()
                    .filter(|(a, b)| cuts.iter().any(|c| a < c && c <= b))
                    .count();
            }
        }
        if !pid {
            let set = rotated_set(dir.path(), &log);
            let set = set.to_str().unwrap();
            for search in trace_searches(&ids).into_iter().take(3) {
                let args: Vec<&str> = ["trace"]
                    .into_iter()
                    .chain(search.iter().map(String::as_str))
                    .collect();
                same_run(&args, &[set], false, "3", "1000");
            }
        }
    }
    assert!(straddling >= 2, "{straddling} traced messages cross a cut");
    let Some(files) = corpus_mainlogs() else {
        return;
    };
    let text: String = files
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned())
        .collect();
    let ids = ids_to_trace(&text, 5);
    let files: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    // The id path and the first pass (the rest is one thread's anyway).
    let searches = trace_searches(&ids);
    for i in [0, 1, 2, 5] {
        let args: Vec<&str> = ["trace"]
            .into_iter()
            .chain(searches[i].iter().map(String::as_str))
            .collect();
        same_run(&args, &files, false, "3", "3000");
    }
}
