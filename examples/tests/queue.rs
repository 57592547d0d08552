//! `exim-log queue` on the spool samples Exim wrote (exim-log/tests/data/spool).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use exim_log::reader::SpoolDir;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../exim-log/tests/data/spool")
}

fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .arg("queue")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn report_of_a_spool_directory() {
    let dir = samples().join("flat");
    let (code, out, err) = run(&["--json", dir.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["totals"]["messages"], 6);
    assert_eq!(v["totals"]["frozen"], 2);
    assert_eq!(v["totals"]["undelivered"], 8);
    let clients = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "web_client")
        .unwrap();
    assert_eq!(clients["rows"][0]["key"], "198.51.100.23");
    assert_eq!(clients["rows"][0]["messages"], 2);

    let (code, text, _) = run(&[dir.to_str().unwrap()], b"");
    assert_eq!(code, 0);
    assert!(text.contains("6 messages (2 frozen, 2 bounces)"), "{text}");
    assert!(text.contains("1000:mailer.php"), "{text}");
}

#[test]
fn ids_of_a_row_for_exim_mrm() {
    let dir = samples().join("flat");
    let d = dir.to_str().unwrap();
    let (code, out, err) = run(&["--ids", "web_client=198.51.100.23", d], b"");
    assert_eq!(code, 0, "{err}");
    let want: Vec<String> = SpoolDir::open(&dir)
        .unwrap()
        .map(|f| f.unwrap())
        .filter(|f| f.parse().unwrap().php_script().is_some())
        .map(|f| f.id().unwrap().to_string())
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
    let (code, out, _) = run(&["--ids", "web_client=192.0.2.99", d], b"");
    assert_eq!(
        (code, out.as_str()),
        (1, ""),
        "no such row: nothing matched"
    );
    let (code, _, err) = run(&["--ids", "colour=red", d], b"");
    assert_eq!(code, 2);
    assert!(err.contains("unknown kind"), "{err}");
}

#[test]
fn each_message_as_json_equals_the_library() {
    let dir = samples().join("flat");
    let (code, out, err) = run(&["--each", dir.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    let got: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want: Vec<serde_json::Value> = SpoolDir::open(&dir)
        .unwrap()
        .map(|f| {
            let f = f.unwrap();
            serde_json::to_value(f.parse().unwrap()).unwrap()
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn listing_on_standard_input() {
    let bp = std::fs::read(samples().join("flat.bp")).unwrap();
    let (code, out, err) = run(&["--json"], &bp);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["totals"]["messages"], 6);
    assert_eq!(v["totals"]["frozen"], 2);
    let (code, out, _) = run(&["--each", "-"], &bp);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 6);
    let (code, _, err) = run(&["-"], b"not a listing\n");
    assert_eq!(code, 2, "a record that cannot be read is an error");
    assert!(err.contains("exim -bp record"), "{err}");
}
