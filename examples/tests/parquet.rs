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

/// The `raw` column of every lines part file under `dir`, by partition
/// (`server=../date=..`), part files read in the order they were made.
fn raw_rows(dir: &Path) -> BTreeMap<String, Vec<String>> {
    use exim_log::arrow::arrow_array::{Array, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let mut out = BTreeMap::new();
    for server in std::fs::read_dir(dir).unwrap() {
        let server = server.unwrap().path();
        for date in std::fs::read_dir(&server).unwrap() {
            let date = date.unwrap().path();
            let mut parts: Vec<_> = std::fs::read_dir(&date)
                .unwrap()
                .map(|p| p.unwrap().path())
                .collect();
            // part-0, part-1, ...: the order they were written in.
            parts.sort_by_key(|p| {
                let name = p.file_stem().unwrap().to_string_lossy().into_owned();
                name.trim_start_matches("part-").parse::<u32>().unwrap()
            });
            let key = format!(
                "{}/{}",
                server.file_name().unwrap().to_string_lossy(),
                date.file_name().unwrap().to_string_lossy()
            );
            let rows: &mut Vec<String> = out.entry(key).or_default();
            for part in parts {
                let f = std::fs::File::open(&part).unwrap();
                for batch in ParquetRecordBatchReaderBuilder::try_new(f)
                    .unwrap()
                    .build()
                    .unwrap()
                {
                    let batch = batch.unwrap();
                    let raw = batch.column_by_name("raw").unwrap();
                    let raw = raw.as_any().downcast_ref::<StringArray>().unwrap();
                    assert_eq!(raw.null_count(), 0);
                    rows.extend(raw.iter().map(|s| s.unwrap().to_string()));
                }
            }
        }
    }
    out
}

/// `parquet --raw --tables lines` of `inputs` with `threads` threads (units of
/// 64 KiB, so that a small log is cut many times): the raw rows by partition.
fn lines_at(inputs: &[String], threads: &str, tmp: &Path) -> BTreeMap<String, Vec<String>> {
    let out = tmp.join(format!("out-{threads}"));
    let out_arg = out.display().to_string();
    let mut args = vec![
        "--raw",
        "--tables",
        "lines",
        "--threads",
        threads,
        "--unit-bytes",
        "65536",
        "-o",
        &out_arg,
    ];
    args.extend(inputs.iter().map(String::as_str));
    let (code, _, err) = support::run("parquet", &args);
    assert_eq!(code, 0, "{err}");
    raw_rows(&out.join("lines"))
}

/// `--threads`: the lines are parsed on several threads, and every partition
/// still holds the input's lines in input order, the same rows at 1, 2 and
/// 3 threads. Two servers' generated logs, each over two days, with indented
/// lines (no timestamp: they go to the date of the line before them, also
/// when a cut puts them first in a unit) spread through them.
#[test]
fn lines_in_input_order_at_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut inputs = Vec::new();
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (server, seed) in [("mx1", 41), ("mx2", 42)] {
        let mut log = String::new();
        for day in 0..2 {
            let mut c = Config::with_incidents(seed + day, 200 << 10);
            c.start_ms += i64::try_from(day).unwrap() * 86_400_000;
            let (part, _) = generate(&c);
            let part = String::from_utf8_lossy(&part).into_owned();
            for (i, line) in part.lines().enumerate() {
                // The first lines of the second day are indented ones.
                if i % 7 == 3 || (day == 1 && i < 3) {
                    log += &format!("  detail {i} of the line before\n");
                }
                log += line;
                log.push('\n');
            }
        }
        // What one pass gives: each line under the date of the last line
        // that had one.
        let mut date = String::from("unknown");
        for line in log.lines() {
            if exim_log::parse_line(line.as_bytes()).is_ok() {
                date = line[..10].to_string();
            }
            want.entry(format!("server={server}/date={date}"))
                .or_default()
                .push(line.to_string());
        }
        let dir = tmp.path().join("logs").join(server);
        std::fs::create_dir_all(&dir).unwrap();
        inputs.push(support::write(&dir, "mainlog", log.as_bytes()));
    }
    assert_eq!(want.len(), 4, "{:?}", want.keys());
    for threads in ["1", "2", "3"] {
        let got = lines_at(&inputs, threads, tmp.path());
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        for (k, rows) in &want {
            assert!(got[k] == *rows, "--threads {threads}: {k}: rows differ");
        }
    }
}

/// The same rows in the same order at 1, 2 and 3 threads over the Exim
/// test-suite corpus (835 small files: many partitions, lines that are not
/// log lines), one row per line.
#[test]
fn corpus_same_rows_at_any_thread_count() {
    let dir = std::env::var_os("EXIM_LOG_CORPUS").map_or_else(
        || {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/corpus/exim-testsuite")
        },
        std::path::PathBuf::from,
    );
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "corpus not found at {}; CI requires it",
            dir.display()
        );
        eprintln!("skipping corpus test: no corpus at {}", dir.display());
        return;
    }
    let mut files: Vec<String> = std::fs::read_dir(dir.join("mainlog"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    let lines: usize = files
        .iter()
        .map(|f| {
            let b = std::fs::read(f).unwrap();
            b.split(|c| *c == b'\n').count() - usize::from(b.ends_with(b"\n"))
        })
        .sum();
    let tmp = tempfile::tempdir().unwrap();
    let one = lines_at(&files, "1", tmp.path());
    assert_eq!(one.values().map(Vec::len).sum::<usize>(), lines);
    for threads in ["2", "3"] {
        let many = lines_at(&files, threads, tmp.path());
        assert!(one == many, "--threads {threads}: rows differ");
    }
}

/// Partitions are closed when a line two days newer comes (logs are in time
/// order) and opened again as a new part file when a late line of their day
/// follows; the partition still open is found again after that. Every line
/// lands in its day's partition, the late one in `part-1`.
#[test]
fn late_lines_reopen_a_closed_day_as_a_new_part() {
    let tmp = tempfile::tempdir().unwrap();
    let days = [
        "2024-05-01",
        "2024-05-01",
        "2024-05-02",
        "2024-05-01",
        "2024-05-04", // closes the 1st and the 2nd
        "2024-05-02", // a late line: the 2nd again, as part-1
        "2024-05-04",
        "2024-05-02",
        "2024-05-04",
    ];
    let log: String = days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{d} 10:00:{i:02} Start queue run: pid={i}\n"))
        .collect();
    let input = support::write(tmp.path(), "mainlog", log.as_bytes());
    let out = tmp.path().join("out");
    let (code, _, err) = support::run(
        "parquet",
        &[
            "--server",
            "mx",
            "--tables",
            "lines",
            "-o",
            &out.display().to_string(),
            &input,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let want: BTreeMap<String, i64> = [
        ("server=mx/date=2024-05-01", 3),
        ("server=mx/date=2024-05-02", 3),
        ("server=mx/date=2024-05-04", 3),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(rows(&out.join("lines")), want);
    let parts = |day: &str| {
        let mut p: Vec<String> = std::fs::read_dir(out.join("lines/server=mx").join(day))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        p.sort();
        p
    };
    assert_eq!(parts("date=2024-05-01"), ["part-0.parquet"]);
    assert_eq!(
        parts("date=2024-05-02"),
        ["part-0.parquet", "part-1.parquet"]
    );
    assert_eq!(parts("date=2024-05-04"), ["part-0.parquet"]);
}
