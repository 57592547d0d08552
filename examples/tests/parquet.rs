//! `exim-log parquet` on generated logs of two servers: the dataset has one
//! lines row per input line and one messages row per assembled message, in
//! `server=NAME/date=YYYY-MM-DD` partitions named after the log directories.
//! (The round trip through pyarrow and DuckDB is in exim-log-py/tests.)
#![cfg(feature = "parquet")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use exim_log::assemble::Assembled;
use exim_log_benches::{Config, generate};
use parquet::file::reader::{FileReader, SerializedFileReader};

/// Rows per partition directory (`server=../date=..`) under `dir`.
fn rows(dir: &Path) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for server in std::fs::read_dir(dir).unwrap() {
        let server = server.unwrap().path();
        for date in std::fs::read_dir(&server).unwrap() {
            let date = date.unwrap().path();
            for part in std::fs::read_dir(&date).unwrap() {
                let f = std::fs::File::open(part.unwrap().path()).unwrap();
                let r = SerializedFileReader::new(f).unwrap();
                let key = format!(
                    "{}/{}",
                    server.file_name().unwrap().to_string_lossy(),
                    date.file_name().unwrap().to_string_lossy()
                );
                *out.entry(key).or_default() += r.metadata().file_metadata().num_rows();
            }
        }
    }
    out
}

/// How many lines the bundled sample has (one row each in the lines table).
fn sample_lines() -> i64 {
    exim_log_cli::input::SAMPLE
        .iter()
        .filter(|b| **b == b'\n')
        .count() as i64
}

#[test]
fn rows_per_line_and_message_by_server() {
    let tmp = tempfile::tempdir().unwrap();
    let mut want_lines = BTreeMap::new();
    let mut want_messages = BTreeMap::new();
    let mut args = vec![
        "-o".to_string(),
        tmp.path().join("out").display().to_string(),
    ];
    for (server, seed) in [("mx1", 31), ("mx2", 32)] {
        let (log, _) = generate(&Config::with_incidents(seed, 300 << 10));
        let dir = tmp.path().join("logs").join(server);
        std::fs::create_dir_all(&dir).unwrap();
        args.push(support::write(&dir, "mainlog", &log));
        let lines = log.iter().filter(|b| **b == b'\n').count() as i64;
        let messages = support::assembled(&log)
            .iter()
            .filter(|a| matches!(a, Assembled::Message(_)))
            .count() as i64;
        // The generator writes one day.
        let day = String::from_utf8_lossy(&log[..10]).into_owned();
        want_lines.insert(format!("server={server}/date={day}"), lines);
        want_messages.insert(format!("server={server}/date={day}"), messages);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = support::run("parquet", &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&tmp.path().join("out/lines")), want_lines);
    assert_eq!(rows(&tmp.path().join("out/messages")), want_messages);
}

#[test]
fn server_option_and_one_table() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out").display().to_string();
    let (code, _, err) = support::run(
        "parquet",
        &[
            "--sample", "--server", "edge", "--tables", "lines", "-o", &out,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let got = rows(&tmp.path().join("out/lines"));
    assert_eq!(got.values().sum::<i64>(), sample_lines());
    assert!(
        got.keys().all(|k| k.starts_with("server=edge/date=")),
        "{got:?}"
    );
    assert!(!tmp.path().join("out/messages").exists());
}

/// `--columns`: the lines files hold the named columns only (in schema
/// order), one row per line still; the messages table is whole.
#[test]
fn columns_option_projects_the_lines_table() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out").display().to_string();
    let (code, _, err) = support::run(
        "parquet",
        &["--sample", "--columns", "sender,event,host_ip", "-o", &out],
    );
    assert_eq!(code, 0, "{err}");
    let got = rows(&tmp.path().join("out/lines"));
    assert_eq!(got.values().sum::<i64>(), sample_lines());
    let mut files = Vec::new();
    for table in ["lines", "messages"] {
        let mut stack = vec![tmp.path().join("out").join(table)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push((table, p));
                }
            }
        }
    }
    assert!(files.iter().any(|(t, _)| *t == "messages"));
    for (table, f) in files {
        let r = SerializedFileReader::new(std::fs::File::open(&f).unwrap()).unwrap();
        let schema = r.metadata().file_metadata().schema_descr();
        let names: Vec<&str> = schema
            .root_schema()
            .get_fields()
            .iter()
            .map(|c| c.name())
            .collect();
        if table == "lines" {
            assert_eq!(names, ["event", "sender", "host_ip"], "{}", f.display());
        } else {
            assert!(names.contains(&"cwd") && names.len() > 20, "{names:?}");
        }
    }
}
