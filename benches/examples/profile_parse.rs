//! Profiling helper: the full parse of a file (read into memory first), RUNS
//! times (3 by default), and nothing else, so a profiler sees only the parser:
//!
//! ```text
//! cargo build --release -p exim-log-benches --example profile_parse
//! perf record -g ./target/release/examples/profile_parse FILE && perf report
//! ```
//!
//! `profile_parse FILE 1` is the "bare parse" row of `scripts/bench-speed`
//! (`parse_line` on every line); `profile_parse FILE 1 in-place` its "bare
//! parse, in place" row (`parse_line_with`: the line read where it was
//! parsed, not returned by value).

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: profile_parse FILE [RUNS [in-place]]");
        std::process::exit(2);
    };
    let runs: u32 = match std::env::args().nth(2).map(|r| r.parse()) {
        None => 3,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: profile_parse FILE [RUNS] (RUNS a positive number)");
            std::process::exit(2);
        }
    };
    let parse = match std::env::args().nth(3).as_deref() {
        None => exim_log_benches::work::parse_all,
        Some("in-place") => exim_log_benches::work::parse_all_in_place,
        Some(other) => {
            eprintln!("profile_parse: unknown mode {other:?} (only in-place)");
            std::process::exit(2);
        }
    };
    let buf = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let t = std::time::Instant::now();
    let mut stats = exim_log_benches::work::ParseStats::default();
    for _ in 0..runs {
        stats = parse(&buf);
    }
    let per_run = t.elapsed() / runs;
    eprintln!(
        "size_of::<LogLine>() = {} bytes",
        std::mem::size_of::<exim_log::LogLine<'_>>()
    );
    eprintln!(
        "{} lines, {} unknown, {:?} per run, {:.0} MB/s",
        stats.lines,
        stats.unknown,
        per_run,
        buf.len() as f64 / 1e6 / per_run.as_secs_f64()
    );
}
