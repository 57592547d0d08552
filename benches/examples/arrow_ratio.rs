//! Lines -> Arrow record batches against the bare parse, on one generated log
//! in memory, in one process (issue 18: Arrow at >= 60% of the parse speed).
//!
//! ```sh
//! cargo run --release -p exim-log-benches --features arrow --example arrow_ratio -- [MIB] [RUNS]
//! taskset -c 1 target/release/examples/arrow_ratio 256 5
//! ```
//!
//! Prints MB/s and lines/s of each (best of RUNS, alternating) and the ratio.
//! A third argument (`parse`, `in-place`, `all`, `raw`, `narrow`) runs that one only, for
//! `valgrind --tool=callgrind --toggle-collect='exim_log::arrow::LinesBuilder::*'`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use exim_log::arrow::{ArrowOptions, DEFAULT_BATCH_ROWS, LinesBuilder};
use exim_log::{parse_line, parse_line_with};
use exim_log_benches::work;
use exim_log_benches::{Config, generate};

/// The narrow projection measured beside the whole table.
const NARROW: [&str; 12] = [
    "timestamp",
    "message_id",
    "flag",
    "event",
    "sender",
    "recipient",
    "host_ip",
    "user",
    "auth_id",
    "size",
    "transport",
    "error",
];

fn best(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..runs {
        let t = Instant::now();
        out = black_box(f());
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mib: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3).max(1);
    // `parse`, `all`, `raw` or `narrow`: that measurement only (for callgrind).
    let only = args.next();
    let on = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let mut config = Config::with_incidents(2024, mib << 20);
    config.record_messages = false;
    let log = generate(&config).0;
    let lines: Vec<&[u8]> = work::lines(&log).collect();
    let lines = &lines;
    let bytes = log.len() as f64;

    let parse = || {
        let mut sum = 0usize;
        for l in lines {
            if let Ok(line) = parse_line(l) {
                sum = sum.wrapping_add(work::touch(&line));
            }
        }
        sum
    };
    // As the builder reads lines (`push_bytes`): in place, without
    // `parse_line`'s copy of the returned line.
    let in_place = || {
        let mut sum = 0usize;
        for l in lines {
            if let Ok(n) = parse_line_with(l, work::touch) {
                sum = sum.wrapping_add(n);
            }
        }
        sum
    };
    let arrow = move |opts: ArrowOptions| {
        move || {
            let mut b = LinesBuilder::new(opts.clone());
            let mut rows = 0;
            for l in lines {
                b.push_bytes(l);
                if b.len() >= DEFAULT_BATCH_ROWS {
                    rows += b.finish().map_or(0, |x| x.num_rows());
                }
            }
            rows + b.finish().map_or(0, |x| x.num_rows())
        }
    };
    // Alternate so that load changes hit both alike.
    let (mut tp, mut ti, mut ta, mut tr, mut tn) = (
        Duration::MAX,
        Duration::MAX,
        Duration::MAX,
        Duration::MAX,
        Duration::MAX,
    );
    let all = ArrowOptions::default();
    let narrow = ArrowOptions::default().with_columns(NARROW);
    for _ in 0..runs {
        if on("parse") {
            tp = tp.min(best(1, &parse).0);
        }
        if on("in-place") {
            ti = ti.min(best(1, &in_place).0);
        }
        if on("all") {
            let (t, rows) = best(1, arrow(all.clone()));
            assert_eq!(rows, lines.len(), "one row per line");
            ta = ta.min(t);
        }
        if on("raw") {
            tr = tr.min(best(1, arrow(all.clone().with_raw(true))).0);
        }
        if on("narrow") {
            tn = tn.min(best(1, arrow(narrow.clone())).0);
        }
    }
    println!(
        "{:.1} MB generated log, {} lines, best of {runs}",
        bytes / 1e6,
        lines.len()
    );
    println!(
        "| measurement | time (s) | MB/s | lines/s | speed vs bare parse | vs bare parse in place |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, t) in [
        ("bare parse (parse_line + touch)", tp),
        ("bare parse in place (parse_line_with + touch)", ti),
        ("lines -> Arrow batches", ta),
        ("lines -> Arrow batches, with raw", tr),
        ("lines -> Arrow batches, 12 columns (`columns`)", tn),
    ] {
        if t == Duration::MAX {
            continue; // not measured (a third argument picked another)
        }
        let s = t.as_secs_f64();
        let ratio = |base: Duration| {
            if base == Duration::MAX {
                "-".to_string()
            } else {
                format!("{:.0}%", base.as_secs_f64() / s * 100.0)
            }
        };
        let (vs, vs_in_place) = (ratio(tp), ratio(ti));
        println!(
            "| {name} | {s:.3} | {:.0} | {:.2}M | {vs} | {vs_in_place} |",
            bytes / s / 1e6,
            lines.len() as f64 / s / 1e6,
        );
    }
}
