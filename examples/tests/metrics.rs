//! `exim-log metrics`: the built exporter on loopback, scraped over HTTP:
//! counts of its inputs, follow from the end (or the start), spool gauges,
//! 404s, bad arguments, and a clean stop on SIGTERM. The counting itself is
//! tested in the library (`report::metrics`); Prometheus itself in
//! scripts/test-metrics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running exporter; killed when dropped (a failed test leaves nothing).
struct Exporter {
    child: Child,
    addr: String,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Exporter {
    let mut child = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .arg("metrics")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start exim-log metrics");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 {
        if let Some(rest) = line
            .trim()
            .strip_prefix("exim-log metrics: serving http://")
        {
            addr = rest.strip_suffix("/metrics").map(str::to_string);
            break;
        }
        line.clear();
    }
    let addr = addr.unwrap_or_else(|| panic!("no address on stderr: {line:?}"));
    // Keep draining stderr so that the exporter never writes to a closed pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = err.read_to_string(&mut sink);
    });
    Exporter { child, addr }
}

/// `GET path` over plain HTTP/1.0: (status, body).
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}

/// The value of the sample written exactly `sample` (name and labels).
fn value(body: &str, sample: &str) -> Option<u64> {
    body.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// Scrapes until `sample` equals `want` (10 s at most); the last body.
fn scrape_until(e: &Exporter, sample: &str, want: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = get(&e.addr, "/metrics");
        assert_eq!(status, 200, "{body}");
        if value(&body, sample) == Some(want) || Instant::now() > deadline {
            assert_eq!(value(&body, sample), Some(want), "{sample} in\n{body}");
            return body;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sigterm(mut e: Exporter) -> i32 {
    let ok = Command::new("kill")
        .args(["-TERM", &e.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = e.child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "no exit 10 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const LOG: &str = "\
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com H=(x) [192.0.2.1] P=esmtp S=500
2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq => b@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.2]
2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed
2026-11-25 10:00:05 H=(x) [192.0.2.9] F=<a@example.net> rejected RCPT <c@example.com>: relay not permitted
";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn append(path: &str, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn serves_the_counts_of_its_inputs_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "mainlog", LOG);
    let e = start(&[&log]);
    let body = scrape_until(&e, "exim_log_lines_total", 4);
    assert!(body.starts_with("# HELP "), "{body}");
    assert!(body.trim_end().ends_with("# EOF"), "{body}");
    for (sample, want) in [
        ("exim_messages_total{flag=\"arrived\"}", 1),
        ("exim_messages_total{flag=\"completed\"}", 1),
        ("exim_received_bytes_total", 500),
        ("exim_deliveries_total{transport=\"remote_smtp\"}", 1),
        (
            "exim_rejections_total{stage=\"rcpt\",reason=\"relay not permitted\"}",
            1,
        ),
        ("exim_log_bytes_total", LOG.len() as u64),
    ] {
        assert_eq!(value(&body, sample), Some(want), "{sample}");
    }
    assert!(!body.contains("192.0.2."), "an IP became a label:\n{body}");
    assert!(
        !body.contains("\nexim_queue "),
        "no --spool, no queue gauges"
    );
    assert_eq!(get(&e.addr, "/nothing-here").0, 404);
    assert_eq!(sigterm(e), 0);
}

#[test]
fn follow_starts_at_the_end_unless_from_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "mainlog", LOG);
    let tail = write(dir.path(), "other", LOG);
    let e = start(&["--follow", "--poll-ms", "20", &log]);
    let from_start = start(&["--follow", "--from-start", "--poll-ms", "20", &tail]);
    // The first scrape may come before the follower has even opened the file:
    // the appended lines are what proves where it started.
    append(&log, LOG);
    append(&tail, LOG);
    let body = scrape_until(&e, "exim_log_lines_total", 4);
    assert_eq!(
        value(&body, "exim_messages_total{flag=\"arrived\"}"),
        Some(1)
    );
    scrape_until(&from_start, "exim_log_lines_total", 8);
    // Through a rename rotation: the new file is read from its start.
    std::fs::rename(&log, format!("{log}.1")).unwrap();
    write(dir.path(), "mainlog", &LOG[..LOG.find('\n').unwrap() + 1]);
    scrape_until(&e, "exim_log_lines_total", 5);
    assert_eq!(sigterm(e), 0);
    assert_eq!(sigterm(from_start), 0);
}

#[test]
fn spool_gauges_and_panic_log() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(spool.join("input")).unwrap();
    for (id, frozen) in [
        ("1sAoM5-00000009r3p-06vq", true),
        ("1sAoM6-00000009r3p-06vq", false),
    ] {
        let h = format!(
            "{id}-H\nexim 93 93\n<a@example.com>\n1764064800 0\n-local\n{}XX\n1\nb@example.net\n\n",
            if frozen { "-frozen 1764064900\n" } else { "" }
        );
        std::fs::write(spool.join("input").join(format!("{id}-H")), h).unwrap();
        std::fs::write(spool.join("input").join(format!("{id}-D")), "x".repeat(10)).unwrap();
    }
    let log = write(dir.path(), "mainlog", "");
    let panic = write(dir.path(), "paniclog", "");
    let e = start(&[
        "--follow",
        "--poll-ms",
        "20",
        "--spool",
        spool.to_str().unwrap(),
        "--paniclog",
        &panic,
        &log,
    ]);
    let body = scrape_until(&e, "exim_queue", 2);
    assert_eq!(value(&body, "exim_queue_frozen"), Some(1));
    assert_eq!(value(&body, "exim_queue_data_bytes"), Some(20));
    append(
        &panic,
        "2026-11-25 10:00:00 Exim configuration error in line 12 of /etc/exim.conf:\n  missing quote\n",
    );
    scrape_until(&e, "exim_panic_total", 1);
    assert_eq!(sigterm(e), 0);
}

#[test]
fn usage_errors_exit_2_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a", LOG);
    let b = write(dir.path(), "b", LOG);
    let out = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .args(["metrics", "--listen", "127.0.0.1:0", "--follow", &a, &b])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly one file"));
    let out = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .args(["metrics", "--listen", "not-an-address", &a])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
}

#[test]
fn counters_on_the_bundled_sample_equal_summary_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .args(["summary", "--json", "--top", "1000", "--sample"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &s["totals"];
    let lines = exim_log_cli::input::SAMPLE
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64;
    let e = start(&["--sample"]);
    let body = scrape_until(&e, "exim_log_lines_total", lines);
    let sum = |prefix: &str| -> u64 {
        body.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    let n = |v: &serde_json::Value| v.as_u64().unwrap();
    for (sample, want) in [
        (
            "exim_messages_total{flag=\"arrived\"}",
            &t["received"]["messages"],
        ),
        ("exim_received_bytes_total", &t["received"]["bytes"]),
        (
            "exim_messages_total{flag=\"deferred\"}",
            &t["deferral_lines"],
        ),
        (
            "exim_messages_total{flag=\"failed\"}",
            &t["failed_addresses"],
        ),
        ("exim_messages_total{flag=\"completed\"}", &t["completed"]),
    ] {
        assert_eq!(value(&body, sample), Some(n(want)), "{sample}");
    }
    assert_eq!(
        sum("exim_deliveries_total{"),
        n(&t["delivered"]["addresses"])
    );
    assert_eq!(sum("exim_rejections_total{"), n(&t["rejects"]));
    assert_eq!(
        sum("exim_temporary_rejections_total{"),
        n(&t["temporary_rejects"])
    );
    for row in s["transports"].as_array().unwrap() {
        let key = row["key"].as_str().unwrap();
        let sample = format!("exim_deliveries_total{{transport=\"{key}\"}}");
        assert_eq!(value(&body, &sample), Some(n(&row["addresses"])), "{key}");
    }
    for row in s["reject_reasons"].as_array().unwrap() {
        let key = row["key"].as_str().unwrap();
        let label = format!("reason=\"{key}\"");
        let by_reason: u64 = body
            .lines()
            .filter(|l| l.starts_with("exim_rejections_total{") && l.contains(&label))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        assert_eq!(by_reason, n(&row["count"]), "{key}");
    }
    assert!(n(&t["received"]["messages"]) > 0 && n(&t["rejects"]) > 0);
    assert_eq!(sigterm(e), 0);
}
