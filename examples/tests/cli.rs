//! The `exim-log` command as a shell user meets it: help and usage errors,
//! every input form (file, `.gz`, directory, standard input, `-`) giving the
//! same answer for every subcommand, closed pipes, bad inputs and exit codes.
// Helpers outside #[test] fns may unwrap and index too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

/// Every subcommand, for the help tests.
/// Every subcommand, from the command's own definition: one added later is
/// covered without editing this list.
fn subcommands() -> Vec<String> {
    use clap::CommandFactory;
    let names: Vec<String> = exim_log_cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    // The seven and the completions at least.
    for sub in [
        "spam-sources",
        "abuse-report",
        "summary",
        "trace",
        "received",
        "selector",
        "ndjson",
        "completions",
    ] {
        assert!(names.iter().any(|n| n == sub), "no subcommand {sub}");
    }
    names
}

/// The bundled sample, as a file of the repository.
fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mainlog")
}

fn sample_bytes() -> Vec<u8> {
    std::fs::read(sample()).unwrap()
}

/// The id of the first message that arrives in the sample.
fn sample_id() -> String {
    let log = sample_bytes();
    log.split(|&b| b == b'\n')
        .filter_map(|l| exim_log::parse_line(l).ok())
        .find(|l| matches!(l.event, exim_log::Event::Arrival(_)))
        .and_then(|l| l.message_id.map(|i| i.as_str().to_string()))
        .unwrap()
}

fn exim_log() -> Command {
    Command::new(env!("CARGO_BIN_EXE_exim-log"))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The log-reading subcommands with arguments that give output which does
/// not depend on how the input was given (no file names).
fn log_jobs() -> Vec<(&'static str, Vec<String>)> {
    let s = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        ("spam-sources", s(&["--json"])),
        ("spam-sources", s(&[])),
        ("abuse-report", s(&["--json"])),
        ("abuse-report", s(&["--offenders"])),
        ("summary", s(&["--json"])),
        ("trace", vec![sample_id()]),
        ("trace", s(&["-l", "rejected RCPT"])),
        ("ndjson", s(&[])),
        ("selector", s(&["--infer"])),
    ]
}

/// Output made comparable across input forms: text report headers name the
/// inputs, and `selector --infer` lists them.
fn normalize(sub: &str, out: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(out).into_owned();
    // The one value that depends on how many threads read (`--threads`,
    // by default the cores): how much one assembler held at most.
    if let Ok(mut v) = serde_json::from_str::<Value>(&text)
        && let Some(m) = v.get_mut("assembler_memory").and_then(Value::as_object_mut)
    {
        m.remove("peak");
        text = serde_json::to_string_pretty(&v).unwrap();
    }
    if sub == "selector" {
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v.as_object_mut().unwrap().remove("files");
        return v.to_string();
    }
    // The report header line that names the inputs.
    text.lines()
        .filter(|l| !l.ends_with(": standard input") && !l.contains("mainlog"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A temporary directory holding the sample as `mainlog`, `mainlog.gz`, and a
/// rotated set in `set/` (older half gzipped as `mainlog.1.gz`, the rest as
/// `mainlog`).
fn inputs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let log = sample_bytes();
    std::fs::write(dir.path().join("mainlog"), &log).unwrap();
    std::fs::write(dir.path().join("mainlog.gz"), gzip(&log)).unwrap();
    let mut cut = log.len() / 2;
    while log[cut - 1] != b'\n' {
        cut += 1;
    }
    let set = dir.path().join("set");
    std::fs::create_dir(&set).unwrap();
    std::fs::write(set.join("mainlog.1.gz"), gzip(&log[..cut])).unwrap();
    std::fs::write(set.join("mainlog"), &log[cut..]).unwrap();
    dir
}

#[test]
fn help_on_every_subcommand() {
    for sub in subcommands() {
        let sub = sub.as_str();
        for flag in ["--help", "-h"] {
            exim_log()
                .args([sub, flag])
                .assert()
                .success()
                .stdout(predicate::str::contains(format!("Usage: exim-log {sub}")));
        }
        exim_log()
            .args(["help", sub])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("Usage: exim-log {sub}")));
    }
    exim_log()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("spam-sources").and(predicate::str::contains("ndjson")));
    exim_log()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("exim-log {}\n", env!("CARGO_PKG_VERSION")));
    // No subcommand: the usage, as an error.
    exim_log()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage: exim-log"));
}

#[test]
fn unknown_flags_are_errors_with_suggestions() {
    for sub in ["spam-sources", "abuse-report", "summary", "trace", "ndjson"] {
        exim_log()
            .args([sub, "--bogus", "x"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("unexpected argument '--bogus'"));
    }
    exim_log()
        .args(["spam-sources", "--jsn"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "similar argument exists: '--json'",
        ));
    exim_log()
        .args(["summry"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "similar subcommand exists: 'summary'",
        ));
    // A bad value is named.
    exim_log()
        .args(["summary", "--since", "yesterday", "--sample"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("YYYY-MM-DD"));
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        exim_log()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(
                predicate::str::contains("spam-sources").and(predicate::str::contains("--since")),
            );
    }
    exim_log().args(["completions", "tcsh"]).assert().code(2);
}

/// An input form: its name, the FILE arguments, standard input.
type Case = (&'static str, Vec<PathBuf>, Option<Vec<u8>>);

#[test]
fn every_input_form_gives_the_same_answer() {
    let dir = inputs();
    let d = dir.path();
    let plain = d.join("mainlog");
    let log = sample_bytes();
    for (sub, args) in log_jobs() {
        let run = |extra: &[PathBuf], stdin: Option<Vec<u8>>| {
            let mut c = exim_log();
            c.arg(sub).args(&args).args(extra);
            // An empty stdin when none is given: it must not be read when FILEs are.
            c.write_stdin(stdin.unwrap_or_default());
            let out = c.output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{sub} {args:?} {extra:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            normalize(sub, &out.stdout)
        };
        let reference = run(std::slice::from_ref(&plain), None);
        assert!(reference.len() > 20, "{sub} {args:?}: {reference}");
        let cases: [Case; 6] = [
            (".gz file", vec![d.join("mainlog.gz")], None),
            ("directory (rotated set)", vec![d.join("set")], None),
            (
                "files of a set, in any order",
                vec![d.join("set/mainlog"), d.join("set/mainlog.1.gz")],
                None,
            ),
            ("stdin (pipe)", vec![], Some(log.clone())),
            ("stdin gzipped", vec![], Some(gzip(&log))),
            ("- for stdin", vec![PathBuf::from("-")], Some(log.clone())),
        ];
        for (what, extra, stdin) in cases {
            // Not assert_eq: the outputs are long.
            let got = run(&extra, stdin);
            assert!(
                got == reference,
                "{sub} {args:?}: {what} differs from the plain file"
            );
        }
    }
}

#[test]
fn the_sample_is_read_only_when_asked_and_said() {
    // `zcat mainlog.1.gz | exim-log spam-sources`: the pipe, never the sample.
    // An empty pipe is an error, not a report of the sample.
    for sub in ["spam-sources", "abuse-report", "summary", "ndjson"] {
        exim_log()
            .arg(sub)
            .write_stdin("")
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(
                "standard input: 0 of 0 lines look like Exim log lines",
            ));
        exim_log()
            .args([sub, "--sample"])
            .assert()
            .success()
            .stderr(predicate::str::contains("bundled sample"));
    }
    // --sample with a file is a usage error.
    exim_log()
        .args(["summary", "--sample", "mainlog"])
        .assert()
        .code(2);
}

#[test]
fn received_reads_files_gzip_and_stdin() {
    let header = "Received: from mail.example.com ([192.0.2.10] helo=mail.example.com)\n\
                  \tby mx.example.org with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\
                  \t(Exim 4.96)\n\
                  \t(envelope-from <alice@example.com>)\n\
                  \tid 1sAoM6-0000000AAAA-0000\n\
                  \tfor bob@example.org;\n\
                  \tWed, 25 Nov 2026 23:59:59 +0000\n\
                  Subject: hello\n";
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("headers");
    let gz = dir.path().join("headers.gz");
    std::fs::write(&plain, header).unwrap();
    std::fs::write(&gz, gzip(header.as_bytes())).unwrap();
    let id = |out: &[u8]| {
        let v: Value = serde_json::from_slice(out).unwrap();
        v["message_id"].as_str().unwrap().to_string()
    };
    for (args, stdin) in [
        (vec![plain.as_os_str()], ""),
        (vec![gz.as_os_str()], ""),
        (vec![], header),
        (vec![std::ffi::OsStr::new("-")], header),
    ] {
        let out = exim_log()
            .arg("received")
            .args(&args)
            .write_stdin(stdin)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert_eq!(id(&out.stdout), "1sAoM6-0000000AAAA-0000", "{args:?}");
    }
    // No Received header at all: an error, not empty output with success.
    exim_log()
        .arg("received")
        .write_stdin("Subject: nothing here\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no Received: header"));
}

#[test]
fn received_streams_and_skips_over_long_blocks() {
    // Records are read one at a time with a 1 MiB cap: a 2 MiB header block
    // (short lines) and a block holding one 1.5 MiB line are each reported
    // and skipped, and the records around them still print.
    let hop = |n: usize| {
        format!(
            "Received: from h{n}.example.com ([192.0.2.{}])\n\tby mx.example.org with esmtp \
             (Exim 4.96)\n\tid 1sAoM6-0000000AAA{}-0000;\n\tWed, 25 Nov 2026 10:00:00 +0000\n",
            n % 250,
            (b'A' + (n % 26) as u8) as char
        )
    };
    let mut input = String::new();
    for n in 0..3 {
        input += &hop(n);
        input += "\n";
    }
    input += &hop(3);
    for _ in 0..2048 {
        input += &format!("X-Filler: {}\n", "f".repeat(1014));
    }
    input += "\n";
    for n in 4..6 {
        input += &hop(n);
        input += "\n";
    }
    input += &format!("Subject: {}\n\n", "s".repeat(3 << 19));
    input += &hop(6);
    assert!(input.len() > 3 << 20);
    let out = exim_log()
        .arg("received")
        .write_stdin(input)
        .output()
        .unwrap();
    // Errors were met on the way: exit 2 after the output.
    assert_eq!(out.status.code(), Some(2));
    let ids: Vec<String> = out
        .stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(&l.unwrap()).unwrap();
            v["from"]["name"].as_str().unwrap().to_string()
        })
        .collect();
    let want: Vec<String> = [0, 1, 2, 4, 5, 6]
        .iter()
        .map(|n| format!("h{n}.example.com"))
        .collect();
    assert_eq!(ids, want);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.matches("header block longer than 1048576 bytes, skipped")
            .count(),
        2,
        "{err}"
    );
    // Each is named by the line its record starts on.
    assert!(err.contains("-: line 16: header block"), "{err}");
    assert!(err.contains("-: line 2079: header block"), "{err}");
}

/// Spawns `exim-log ARGS`, reads up to one line of its output, closes the
/// read end and waits: a closed pipe ends the run quietly with 0.
fn closed_pipe(args: &[&str], read_first: bool) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    if read_first {
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "{args:?}");
    } else {
        drop(stdout);
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    assert!(
        !err.contains("rror") && !err.contains("panic"),
        "{args:?}: {err}"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // A log big enough that every subcommand's output outgrows a pipe buffer.
    let dir = tempfile::tempdir().unwrap();
    let (log, _) =
        exim_log_benches::generate(&exim_log_benches::Config::with_incidents(3, 2 << 20));
    let big = dir.path().join("mainlog");
    std::fs::write(&big, &log).unwrap();
    let big = big.to_str().unwrap();
    let jobs: [&[&str]; 9] = [
        &["ndjson", big],
        &["trace", ".", big],
        &["trace", "--json", "-l", "=>", big],
        &["selector", "--infer", big],
        &["spam-sources", "--top", "100000", big],
        &["spam-sources", "--json", big],
        &["abuse-report", "--json", big],
        &["summary", "--top", "100000", big],
        &["completions", "bash"],
    ];
    for args in jobs {
        closed_pipe(args, true);
        closed_pipe(args, false);
    }
}

/// Runs `exim-log ARGS` with stderr a pipe whose read end is already closed:
/// every diagnostic write fails with EPIPE.
fn with_closed_stderr(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    std::process::Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .args(args)
        .stdin(Stdio::null())
        .stderr(writer)
        .output()
        .unwrap()
}

#[test]
fn a_closed_stderr_changes_nothing_but_the_messages() {
    // `eprintln!` panicked here (exit 101): the run must end as it would
    // have, with its status and its stdout.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let missing = missing.to_str().unwrap();
    let out = with_closed_stderr(&["summary", missing]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // A warning (a truncated .gz) in a run that still writes its output.
    let (text, _) =
        exim_log_benches::generate(&exim_log_benches::Config::with_incidents(3, 1 << 16));
    let gz = gzip(&text);
    let log = dir.path().join("mainlog.gz");
    std::fs::write(&log, &gz[..gz.len() / 2]).unwrap();
    let log = log.to_str().unwrap();
    for args in [&["ndjson", log][..], &["summary", "--json", log][..]] {
        let out = with_closed_stderr(args);
        let shown = exim_log().args(args).output().unwrap();
        assert!(!shown.stderr.is_empty(), "{args:?}: no warning to lose");
        assert_eq!(out.status.code(), shown.status.code(), "{args:?}");
        assert_eq!(out.stdout, shown.stdout, "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn bad_inputs_are_errors_that_say_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let empty_dir = dir.path().join("logs");
    std::fs::create_dir(&empty_dir).unwrap();
    let missing = dir.path().join("missing/mainlog");
    let id = sample_id();
    let ls = std::fs::read("/bin/ls").unwrap();
    let ls_lines = ls.split(|&b| b == b'\n').count() - usize::from(ls.ends_with(b"\n"));
    let jobs: [&[&str]; 7] = [
        &["spam-sources"],
        &["spam-sources", "--json"],
        &["abuse-report"],
        &["summary"],
        &["trace", &id],
        &["ndjson"],
        &["selector", "--infer"],
    ];
    for args in jobs {
        let sub = args[0];
        // Not a log: the error says how many lines were read.
        let out = exim_log().args(args).arg("/bin/ls").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let want = format!(
            "/bin/ls: 0 of {} lines look like Exim log lines",
            thousands(ls_lines)
        );
        assert!(err.contains(&want), "{args:?}: {err} (want {want})");
        if sub != "ndjson" {
            assert!(out.stdout.is_empty(), "{args:?}: a report after the error");
        }
        // An empty file.
        exim_log()
            .args(args)
            .arg(&empty)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "0 of 0 lines look like Exim log lines",
            ));
        // An empty directory.
        exim_log()
            .args(args)
            .arg(&empty_dir)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("no mainlog or exim_mainlog files"));
        // A missing file: named once, nothing else.
        let out = exim_log()
            .args(args)
            .arg(&missing)
            .arg(sample())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(
            err.matches(missing.to_str().unwrap()).count(),
            1,
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

/// `1204` as `1,204` (the form of the error message).
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn exit_codes() {
    let file = sample();
    let file = file.to_str().unwrap();
    let id = sample_id();
    // trace: 0 found, 1 nothing matched, 2 error.
    exim_log().args(["trace", &id, file]).assert().code(0);
    exim_log()
        .args(["trace", "1sAoZZ-0000000ZZZZ-0000", file])
        .assert()
        .code(1)
        .stdout("");
    exim_log()
        .args(["trace", "-e", "nothing like this", file])
        .assert()
        .code(1);
    exim_log()
        .args(["trace", "(unclosed", file])
        .assert()
        .code(2);
    // Reports: 0 even when a table is empty.
    exim_log().args(["spam-sources", file]).assert().code(0);
    // selector: 0 valid, 1 invalid setting.
    exim_log()
        .args(["selector", "+subject", "-retry_defer"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"ok\": true"));
    exim_log()
        .args(["selector", "+subjcet"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("subject"));
    // A truncated .gz: the lines before the fault are used, and the run says
    // so and exits 2.
    let dir = tempfile::tempdir().unwrap();
    let gz = gzip(&sample_bytes());
    let cut = dir.path().join("mainlog.1.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    exim_log()
        .args(["summary", "--json"])
        .arg(&cut)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("\"received\""))
        .stderr(predicate::str::contains("mainlog.1.gz"));
}

#[test]
fn trace_takes_a_time_window() {
    let file = sample();
    let file = file.to_str().unwrap();
    let id = sample_id();
    let first = exim_log()
        .args(["trace", "--json", &id, file])
        .output()
        .unwrap();
    let line: Value =
        serde_json::from_slice(first.stdout.split(|&b| b == b'\n').next().unwrap()).unwrap();
    let ts = line["timestamp"].as_str().unwrap().replace('T', " ");
    let day = &ts[..10];
    // Inside the window: found; a window after the whole log: nothing matched.
    exim_log()
        .args(["trace", "--since", day, &id, file])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(id.as_str()));
    exim_log()
        .args(["trace", "--since", "2099-01-01", &id, file])
        .assert()
        .code(1);
    exim_log()
        .args(["trace", "--until", day, &id, file])
        .assert()
        .code(1);
}

#[test]
fn ndjson_takes_the_window() {
    let file = sample();
    let file = file.to_str().unwrap();
    let all = exim_log().args(["ndjson", file]).output().unwrap();
    let all_lines = all
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let late = exim_log()
        .args(["ndjson", "--since", "2024-05-25 00:30", file])
        .output()
        .unwrap();
    assert!(late.status.success());
    let late: Vec<Value> = late
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert!(!late.is_empty() && late.len() < all_lines);
    assert!(
        late.iter()
            .all(|v| v["timestamp"].as_str().unwrap() >= "2024-05-25T00:30")
    );
}

/// A reject log entry through `ndjson`: the reject line is a line object, the
/// envelope and header lines after it say what they are (SCHEMA.md), and only
/// text that is neither is an `error`.
#[test]
fn ndjson_reads_reject_log_entries() {
    let log = "2024-05-25 10:00:01 1sAoM5-00000009r3p-06vq H=(pc) [192.0.2.1] F=<a@b.example> rejected after DATA: spam\n\
Envelope-from: <a@b.example>\n\
Envelope-to: <c1@d.example>\n\
\x20   <c2@d.example>\n\
P Received: from [192.0.2.1] (helo=pc)\n\
\tby mx.d.example\n\
\x20 Subject: You won\n\
*** truncated ***\n\
stray text\n";
    let out = exim_log()
        .args(["ndjson", "-"])
        .write_stdin(log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let got: Vec<Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let kinds: Vec<&str> = got
        .iter()
        .map(|v| {
            v["event"]
                .as_str()
                .or(v["rejectlog"].as_str())
                .unwrap_or("error")
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "rejection",
            "envelope_from",
            "envelope_to",
            "continuation",
            "header",
            "continuation",
            "header",
            "truncated",
            "error"
        ]
    );
    assert_eq!(got[2]["value"], "<c1@d.example>");
    assert_eq!(got[3]["value"], "<c2@d.example>");
    assert_eq!(got[4]["flag"], "P");
    assert_eq!(got[4]["name"], "Received");
    assert_eq!(got[6]["flag"], " ");
    assert_eq!(got[6]["value"], "You won");
    assert_eq!(got[5]["raw"], "\tby mx.d.example");
    assert_eq!(got[8]["raw"], "stray text");
}

#[test]
fn a_file_without_exim_lines_beside_a_log_is_named_wherever_it_comes() {
    // The reports read their inputs' lines without copying them; the
    // per-input accounts (how many lines, whether one was an Exim line)
    // must still follow the input each line came from.
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "first\nsecond\nthird\n").unwrap();
    let log = dir.path().join("mainlog");
    std::fs::copy(sample(), &log).unwrap();
    let tail = dir.path().join("tail");
    // A log whose first line is not an Exim line, so its Exim lines come later.
    let mut late = b"not a log line\n".to_vec();
    late.extend(sample_bytes());
    std::fs::write(&tail, &late).unwrap();
    for sub in ["spam-sources", "summary", "abuse-report"] {
        for threads in ["1", "2"] {
            for order in [
                [&log, &notes, &tail],
                [&notes, &log, &tail],
                [&tail, &log, &notes],
            ] {
                let out = exim_log()
                    .args([sub, "--threads", threads])
                    .args(order)
                    .output()
                    .unwrap();
                let err = String::from_utf8_lossy(&out.stderr);
                let what = format!("{sub} --threads {threads} {order:?}: {err}");
                // Something was wrong (exit 2), but the report is written.
                assert_eq!(out.status.code(), Some(2), "{what}");
                assert!(!out.stdout.is_empty(), "{what}");
                assert_eq!(
                    err.matches("notes.txt: 0 of 3 lines look like Exim log lines")
                        .count(),
                    1,
                    "{what}"
                );
                assert_eq!(err.matches("look like Exim").count(), 1, "{what}");
            }
        }
    }
}
