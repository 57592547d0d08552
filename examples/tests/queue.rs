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

/// The bundled sample's queue (examples/data/spool, written by Exim) linked to
/// the mainlog Exim wrote beside it: each queued message's arrival gives the
/// script directory, and a listing record gets the arrival's user.
#[test]
fn queued_messages_linked_to_their_arrivals() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/spool");
    let spool = data.to_str().unwrap();
    let log = data.join("log/mainlog");
    let log = log.to_str().unwrap();
    let script = "/home/farmurba/public_html/wp-includes/css/dist/.cache";
    let (code, out, err) = run(&["--json", spool, "--log", log], b"");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["totals"]["messages"], 4);
    assert_eq!(v["totals"]["linked"], 4);
    let section = |kind: &str| {
        v["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == kind)
            .unwrap()
            .clone()
    };
    let scripts = section("script");
    assert_eq!(scripts["rows"][0]["key"], script);
    assert_eq!(scripts["rows"][0]["messages"], 4);
    // The RFC 2047 subject is grouped decoded.
    let subjects = section("subject");
    assert!(
        subjects["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["key"] == "Ihre Rechnung ist überfällig"),
        "{subjects}"
    );
    // Without --log nothing is linked and there is no script row.
    let (_, out, _) = run(&["--json", spool], b"");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["totals"]["linked"], 0);

    // --each: every message with its arrival, the ids matching.
    let (code, out, err) = run(&["--each", spool, "--log", log], b"");
    assert_eq!(code, 0, "{err}");
    let mut n = 0;
    for line in out.lines() {
        let m: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(m["log"]["id"], m["id"]);
        assert_eq!(m["log"]["cwd"], script);
        assert_eq!(m["log"]["user"], "farmurba");
        n += 1;
    }
    assert_eq!(n, 4);

    // A listing (what `exim -bp` prints) of two of the ids: the user comes
    // from the log, since a listing names none.
    let ids: Vec<String> = SpoolDir::open(&data)
        .unwrap()
        .map(|f| f.unwrap().id().unwrap().to_string())
        .take(2)
        .collect();
    let listing = format!(
        " 5m   700 {} <farmurba@cp01.hostingco.example.net>\n          a@example.com\n\n\
          5m   700 {} <farmurba@cp01.hostingco.example.net>\n          b@example.com\n\n\
          5m   700 1sAfZZ-0001ZZ-00 <other@example.com>\n          c@example.com\n\n",
        ids[0], ids[1]
    );
    let (code, out, err) = run(&["--json", "--log", log], listing.as_bytes());
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["totals"]["linked"], 2);
    let users = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "user")
        .unwrap()
        .clone();
    assert_eq!(users["rows"][0]["key"], "farmurba");
    assert_eq!(users["rows"][0]["messages"], 2);
}
