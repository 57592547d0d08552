//! `compare`: times, in one process on one generated log, the full parse against
//! the `memchr` line count (the floor) and a naive split on spaces (a reference),
//! from memory, from a file in the page cache and from `.gz`; and, where Debian's
//! `exim4-base` is installed, `exigrep -l ID` against our id trace and `eximstats`
//! against a summary pass. Prints a Markdown table of MB/s and ratios.
//!
//! ```text
//! compare [--size 256M] [--seed N] [--input FILE] [--dir DIR] [--runs N]
//!         [--stats-size 32M] [--no-external]
//! ```
//!
//! The machine is shared and noisy, so each timing is the best of `--runs`, the
//! measurements are interleaved, and ratios (taken in the same process) matter
//! more than absolute speeds. Run it on one core: `taskset -c 0 compare ...`.

use std::fs::File;
use std::hint::black_box;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use exim_log::{Event, parse_line};
use exim_log_benches::cli::{self, parse_size};
use exim_log_benches::work::{self, ParseStats};
use exim_log_benches::{Config, FORMAT_VERSION, IdFormat, generate_to};

const BLOCK: usize = 1 << 20;

const USAGE: &str = "usage: compare [--size 256M] [--seed N] [--input FILE] [--dir DIR] [--runs N] \
                     [--stats-size 32M] [--no-external]";

struct Args {
    size: u64,
    seed: u64,
    input: Option<PathBuf>,
    dir: PathBuf,
    runs: u32,
    stats_size: u64,
    external: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        size: 256 << 20,
        seed: 1,
        input: None,
        dir: std::env::temp_dir(),
        runs: 5,
        stats_size: 32 << 20,
        external: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--size" => a.size = parse_size(&value()?).ok_or("bad --size")?,
            "--seed" => a.seed = value()?.parse().map_err(|_| "bad --seed")?,
            "--input" => a.input = Some(PathBuf::from(value()?)),
            "--dir" => a.dir = PathBuf::from(value()?),
            "--runs" => a.runs = value()?.parse().map_err(|_| "bad --runs")?,
            "--stats-size" => a.stats_size = parse_size(&value()?).ok_or("bad --stats-size")?,
            "--no-external" => a.external = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    a.runs = a.runs.max(1);
    Ok(a)
}

/// The generated log and its `.gz`, reused when already there (same seed and
/// size give the same bytes).
fn ensure_files(a: &Args) -> io::Result<(PathBuf, PathBuf)> {
    let plain = match &a.input {
        Some(p) => p.clone(),
        None => {
            let p = a.dir.join(format!(
                "exim-log-compare-v{FORMAT_VERSION}-{}-{}.log",
                a.seed, a.size
            ));
            if !p.exists() {
                eprintln!("generating {} ...", p.display());
                let mut config = Config::with_incidents(a.seed, a.size);
                config.record_messages = false;
                let tmp = p.with_extension("tmp");
                generate_to(&config, BufWriter::new(File::create(&tmp)?))?;
                std::fs::rename(&tmp, &p)?;
            }
            p
        }
    };
    let gz = PathBuf::from(format!("{}.gz", plain.display()));
    if !gz.exists() {
        eprintln!("compressing {} ...", gz.display());
        let tmp = gz.with_extension("tmp");
        let mut enc = flate2::write::GzEncoder::new(
            BufWriter::new(File::create(&tmp)?),
            flate2::Compression::default(),
        );
        io::copy(&mut File::open(&plain)?, &mut enc)?;
        enc.finish()?.flush()?;
        std::fs::rename(&tmp, &gz)?;
    }
    Ok((plain, gz))
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let v = black_box(f());
    (t.elapsed(), v)
}

/// Keeps the best (shortest) time of several runs.
#[derive(Default)]
struct Best(Option<Duration>);

impl Best {
    fn add(&mut self, d: Duration) {
        self.0 = Some(self.0.map_or(d, |b| b.min(d)));
    }
    fn secs(&self) -> f64 {
        self.0.map_or(f64::NAN, |d| d.as_secs_f64())
    }
}

fn mbps(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / 1e6 / secs
}

fn gz_reader(path: &Path) -> io::Result<impl Read> {
    Ok(flate2::read::MultiGzDecoder::new(
        io::BufReader::with_capacity(1 << 16, File::open(path)?),
    ))
}

/// A stand-in for our `summary` example: arrivals, deliveries and received
/// bytes, from one full parse of a file.
fn summary(input: impl Read) -> io::Result<(u64, u64, u64)> {
    let (mut arrivals, mut deliveries, mut bytes) = (0, 0, 0);
    work::for_each_block(input, BLOCK, |run| {
        for l in work::lines(run) {
            if let Ok(line) = parse_line(l) {
                match line.event {
                    Event::Arrival(a) => {
                        arrivals += 1;
                        bytes += a.size.unwrap_or(0);
                    }
                    Event::Delivery(_) => deliveries += 1,
                    _ => {}
                }
            }
        }
    })?;
    Ok((arrivals, deliveries, bytes))
}

/// Runs `eximstats FILE`; its wall time and the message count of its
/// `Received` summary row.
fn eximstats_received(cmd: &Path, file: &str) -> io::Result<(Duration, Option<u64>)> {
    let t = Instant::now();
    let out = Command::new(cmd).arg(file).stderr(Stdio::null()).output()?;
    let d = t.elapsed();
    let received = work::lines(&out.stdout).find_map(|l| {
        let text = std::str::from_utf8(l).ok()?;
        let mut words = text.split_whitespace();
        if words.next()? != "Received" {
            return None;
        }
        words.nth(1)?.parse().ok()
    });
    Ok((d, received))
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .chain(["/usr/sbin", "/usr/local/sbin"])
        .map(|d| Path::new(d).join(cmd))
        .find(|p| p.is_file())
}

/// A binary of the workspace built next to this one (`target/release/NAME`).
fn sibling(name: &str) -> Option<PathBuf> {
    let p = std::env::current_exe().ok()?.parent()?.join(name);
    p.is_file().then_some(p)
}

/// Runs an external command with stdout counted and discarded; its wall time.
fn run_external(cmd: &Path, args: &[&str]) -> io::Result<(Duration, u64)> {
    let t = Instant::now();
    let mut child = Command::new(cmd)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut lines = 0u64;
    if let Some(out) = child.stdout.take() {
        work::for_each_block(out, BLOCK, |run| {
            lines += work::lines(run).filter(|l| !l.is_empty()).count() as u64
        })?;
    }
    child.wait()?;
    Ok((t.elapsed(), lines))
}

/// The id of the first arrival after the middle of the log.
fn middle_id(buf: &[u8]) -> Option<String> {
    let mid = buf.len() / 2;
    work::lines(buf.get(mid..)?).skip(1).find_map(|l| {
        let line = parse_line(l).ok()?;
        if memchr::memmem::find(l, b" <= ").is_some() {
            line.message_id.map(|m| m.as_str().to_string())
        } else {
            None
        }
    })
}

/// Child mode `compare --rss-child FILE...`: one reader pass with full parse over
/// the files, then the lines read and the peak resident set size (kB).
fn rss_child(files: &[String]) -> ExitCode {
    match work::reader_pass(files, true) {
        Ok(stats) => {
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0);
            println!("{} {hwm}", stats.lines);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Peak RSS of a reader pass over `files`, in a fresh process: (lines, kB).
fn peak_rss(files: &[&Path]) -> io::Result<(u64, u64)> {
    let out = Command::new(std::env::current_exe()?)
        .arg("--rss-child")
        .args(files)
        .stderr(Stdio::inherit())
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text
        .split_whitespace()
        .filter_map(|w| w.parse::<u64>().ok());
    match (it.next(), it.next()) {
        (Some(lines), Some(kb)) => Ok((lines, kb)),
        _ => Err(io::Error::other("the --rss-child run failed")),
    }
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().is_some_and(|a| a == "--rss-child") {
        return rss_child(raw.get(1..).unwrap_or_default());
    }
    let args = match cli::args_or_exit(parse_args()) {
        Ok(a) => a,
        Err(code) => return code,
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(a: &Args) -> io::Result<()> {
    let (plain, gz) = ensure_files(a)?;
    let buf = std::fs::read(&plain)?;
    let n = buf.len() as u64;
    let gz_len = std::fs::metadata(&gz)?.len();
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "input: {} ({:.1} MB, {} lines; gz {:.1} MB)",
        plain.display(),
        n as f64 / 1e6,
        work::count_lines(&buf),
        gz_len as f64 / 1e6
    )?;
    writeln!(out, "best of {} runs each, interleaved\n", a.runs)?;

    // From memory.
    let (mut floor, mut naive, mut parse) = (Best::default(), Best::default(), Best::default());
    let mut stats = ParseStats::default();
    for _ in 0..a.runs {
        floor.add(time(|| work::count_lines(black_box(&buf))).0);
        naive.add(time(|| work::naive_split(black_box(&buf))).0);
        let (d, s) = time(|| work::parse_all(black_box(&buf)));
        parse.add(d);
        stats = s;
    }
    // From the page cache (one warm-up read first) and from .gz, through the
    // library's reader (one reused line buffer, gzip detected).
    let _ = work::for_each_block(File::open(&plain)?, BLOCK, |r| {
        black_box(r);
    })?;
    let files = [plain.as_path()];
    let gz_files = [gz.as_path()];
    let (mut read, mut lib_read, mut lib_parse, mut gunzip, mut lib_gz_parse) = (
        Best::default(),
        Best::default(),
        Best::default(),
        Best::default(),
        Best::default(),
    );
    let (mut copy_read, mut copy_parse) = (Best::default(), Best::default());
    for _ in 0..a.runs {
        let (d, _) = time(|| {
            work::for_each_block(File::open(&plain)?, BLOCK, |r| {
                black_box(r);
            })
        });
        read.add(d);
        let (d, r) = time(|| work::reader_pass(&files, false));
        r.map_err(io::Error::other)?;
        lib_read.add(d);
        let (d, r) = time(|| work::reader_pass(&files, true));
        r.map_err(io::Error::other)?;
        lib_parse.add(d);
        let (d, r) = time(|| work::reader_pass_copying(&files, false));
        r.map_err(io::Error::other)?;
        copy_read.add(d);
        let (d, r) = time(|| work::reader_pass_copying(&files, true));
        r.map_err(io::Error::other)?;
        copy_parse.add(d);
        let (d, r) = time(|| {
            work::for_each_block(gz_reader(&gz)?, BLOCK, |r| {
                black_box(r);
            })
        });
        r?;
        gunzip.add(d);
        let (d, r) = time(|| work::reader_pass(&gz_files, true));
        r.map_err(io::Error::other)?;
        lib_gz_parse.add(d);
    }

    writeln!(
        out,
        "| measurement | time (s) | MB/s | vs floor | vs naive split |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|")?;
    let row = |out: &mut dyn Write, name: &str, b: &Best| -> io::Result<()> {
        writeln!(
            out,
            "| {name} | {:.3} | {:.0} | {:.1}x | {:.2}x |",
            b.secs(),
            mbps(n, b.secs()),
            b.secs() / floor.secs(),
            b.secs() / naive.secs()
        )
    };
    row(&mut out, "memchr line count (floor), memory", &floor)?;
    row(&mut out, "naive split on spaces, memory", &naive)?;
    row(&mut out, "**full parse, memory**", &parse)?;
    row(&mut out, "read file (page cache), 1 MiB blocks", &read)?;
    row(
        &mut out,
        "LogReader::read_line (copy into a buffer), lines only, file",
        &copy_read,
    )?;
    row(
        &mut out,
        "LogReader::read_line (copy) + full parse, file",
        &copy_parse,
    )?;
    row(
        &mut out,
        "LogFiles::next_line (borrowed), lines only, file",
        &lib_read,
    )?;
    row(
        &mut out,
        "**LogFiles::next_line (borrowed) + full parse, file**",
        &lib_parse,
    )?;
    row(&mut out, "gunzip (flate2) only, 1 MiB blocks", &gunzip)?;
    row(&mut out, "**LogReader + full parse, .gz**", &lib_gz_parse)?;
    writeln!(out)?;
    writeln!(
        out,
        "parsed {} lines: {} without a valid prefix, {} unknown shape ({:.1}%)",
        stats.lines,
        stats.errors,
        stats.unknown,
        100.0 * stats.unknown as f64 / stats.lines.max(1) as f64
    )?;
    writeln!(
        out,
        "full parse / floor: {:.1}x slower; full parse / naive split: {:.2}x",
        parse.secs() / floor.secs(),
        parse.secs() / naive.secs()
    )?;
    writeln!(
        out,
        "file: LogReader+parse / read: {:.2}x (target <= 1.5x); lines only / read: {:.2}x",
        lib_parse.secs() / read.secs(),
        lib_read.secs() / read.secs()
    )?;
    writeln!(
        out,
        "file, copying each line (read_line): +parse / read: {:.2}x; lines only / read: {:.2}x",
        copy_parse.secs() / read.secs(),
        copy_read.secs() / read.secs()
    )?;
    writeln!(
        out,
        "gz: LogReader+parse / gunzip: {:.2}x",
        lib_gz_parse.secs() / gunzip.secs()
    )?;

    // Id trace.
    let Some(id) = middle_id(&buf) else {
        writeln!(out, "no message id found for the trace comparison")?;
        return Ok(());
    };
    let mut ours = Best::default();
    let mut hits = (0, 0);
    for _ in 0..a.runs {
        let (d, r) = time(|| work::reader_trace(&plain, &id));
        hits = r.map_err(io::Error::other)?;
        ours.add(d);
    }
    let mut ours_gz = Best::default();
    for _ in 0..a.runs.min(3) {
        let (d, r) = time(|| work::reader_trace(&gz, &id));
        r.map_err(io::Error::other)?;
        ours_gz.add(d);
    }
    writeln!(
        out,
        "\nid trace of {id}: {} lines contain it ({} carry it as their message id)",
        hits.0, hits.1
    )?;
    writeln!(out, "| trace | time (s) | vs ours |")?;
    writeln!(out, "|---|---:|---:|")?;
    writeln!(
        out,
        "| ours: LogReader + Prefilter (memmem over read buffers), parse of hits, file | {:.3} | 1.0x |",
        ours.secs()
    )?;
    writeln!(
        out,
        "| ours, same, .gz | {:.3} | {:.1}x (vs gunzip only: {:.2}x) |",
        ours_gz.secs(),
        ours_gz.secs() / ours.secs(),
        ours_gz.secs() / gunzip.secs()
    )?;
    let mut skipped: Vec<String> =
        vec!["Python package vs plain re (measured by the Python engineer)".into()];
    match (a.external, which("exigrep")) {
        (true, Some(exigrep)) => {
            let file = plain.to_string_lossy();
            let (d, lines) = run_external(&exigrep, &["-l", &id, &file])?;
            writeln!(
                out,
                "| exigrep -l ID (Perl), file | {:.3} | {:.1}x slower ({lines} lines out) |",
                d.as_secs_f64(),
                d.as_secs_f64() / ours.secs()
            )?;
            let gzs = gz.to_string_lossy();
            let (d, _) = run_external(&exigrep, &["-l", &id, &gzs])?;
            writeln!(
                out,
                "| exigrep -l ID, .gz | {:.3} | {:.1}x slower than ours on .gz |",
                d.as_secs_f64(),
                d.as_secs_f64() / ours_gz.secs()
            )?;
        }
        (false, _) => skipped.push("exigrep (--no-external)".into()),
        (true, None) => skipped.push("exigrep (not installed: apt-get install exim4-base)".into()),
    }
    match sibling("exim-log") {
        Some(exim_log) => {
            let file = plain.to_string_lossy();
            let (d, lines) = run_external(&exim_log, &["trace", &id, &file])?;
            writeln!(
                out,
                "| `exim-log trace ID FILE` | {:.3} | {:.1}x ({lines} lines out) |",
                d.as_secs_f64(),
                d.as_secs_f64() / ours.secs()
            )?;
        }
        None => {
            skipped.push("exim-log trace (build it: cargo build --release -p exim-log-cli)".into())
        }
    }

    // Summary against eximstats. Debian's eximstats (4.96) reads ids at fixed
    // offsets for the 16-character layout, so it gets a log with old ids (and it is
    // slow, so a smaller one).
    match (a.external, which("eximstats")) {
        (true, Some(eximstats)) => {
            let mut config = Config::with_incidents(a.seed, a.stats_size);
            config.id_format = IdFormat::Old;
            config.record_messages = false;
            let sub = a.dir.join(format!(
                "exim-log-compare-v{FORMAT_VERSION}-{}-{}.old-ids.log",
                a.seed, a.stats_size
            ));
            let truth = generate_to(&config, BufWriter::new(File::create(&sub)?))?;
            let len = truth.bytes;
            let mut best = Best::default();
            let mut counts = (0, 0, 0);
            for _ in 0..a.runs {
                let (d, c) = time(|| summary(File::open(&sub)?));
                best.add(d);
                counts = c?;
            }
            let file = sub.to_string_lossy();
            let (d, received) = eximstats_received(&eximstats, &file)?;
            let example = match sibling("exim-log") {
                Some(exim_log) => Some(run_external(&exim_log, &["summary", &file])?.0),
                None => {
                    skipped.push(
                        "exim-log summary (build it: cargo build --release -p exim-log-cli)".into(),
                    );
                    None
                }
            };
            let _ = std::fs::remove_file(&sub);
            writeln!(
                out,
                "\nsummary of a {:.1} MB log with old-format ids (generator truth: {} arrivals, {} deliveries incl. ->):",
                len as f64 / 1e6,
                truth.arrivals,
                truth.deliveries + truth.additional_deliveries
            )?;
            writeln!(out, "| summary | time (s) | MB/s | messages received |")?;
            writeln!(out, "|---|---:|---:|---:|")?;
            writeln!(
                out,
                "| ours (read file, one parse + counters) | {:.3} | {:.0} | {} |",
                best.secs(),
                mbps(len, best.secs()),
                counts.0
            )?;
            writeln!(
                out,
                "| eximstats (Perl), file | {:.3} | {:.0} ({:.0}x slower) | {} |",
                d.as_secs_f64(),
                mbps(len, d.as_secs_f64()),
                d.as_secs_f64() / best.secs(),
                received.map_or("?".to_string(), |r| r.to_string())
            )?;
            if let Some(e) = example {
                writeln!(
                    out,
                    "| `exim-log summary FILE`, file | {:.3} | {:.0} | |",
                    e.as_secs_f64(),
                    mbps(len, e.as_secs_f64())
                )?;
            }
        }
        (false, _) => skipped.push("eximstats (--no-external)".into()),
        (true, None) => {
            skipped.push("eximstats (not installed: apt-get install exim4-base)".into())
        }
    }
    // Reader memory against input size: one file, then the same file four times
    // in a row (LogFiles), each in a fresh process.
    let (l1, kb1) = peak_rss(&[&plain])?;
    let (l4, kb4) = peak_rss(&[&plain, &plain, &plain, &plain])?;
    writeln!(
        out,
        "\nreader memory (LogReader + full parse, fresh process):"
    )?;
    writeln!(out, "| input | lines | peak RSS |")?;
    writeln!(out, "|---|---:|---:|")?;
    writeln!(
        out,
        "| {:.0} MB | {l1} | {:.1} MB |",
        n as f64 / 1e6,
        kb1 as f64 / 1024.0
    )?;
    writeln!(
        out,
        "| {:.0} MB (4 files) | {l4} | {:.1} MB |",
        4.0 * n as f64 / 1e6,
        kb4 as f64 / 1024.0
    )?;

    if !skipped.is_empty() {
        writeln!(out, "\nskipped: {}", skipped.join("; "))?;
    }
    Ok(())
}
