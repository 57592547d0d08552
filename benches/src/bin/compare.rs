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
use exim_log_benches::work::{self, ParseStats};
use exim_log_benches::{Config, FORMAT_VERSION, IdFormat, generate_to};

const BLOCK: usize = 1 << 20;

struct Args {
    size: u64,
    seed: u64,
    input: Option<PathBuf>,
    dir: PathBuf,
    runs: u32,
    stats_size: u64,
    external: bool,
}

fn parse_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.as_bytes().last()? {
        b'k' | b'K' => (s.get(..s.len() - 1)?, 1 << 10),
        b'm' | b'M' => (s.get(..s.len() - 1)?, 1 << 20),
        b'g' | b'G' => (s.get(..s.len() - 1)?, 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
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
            _ => {
                return Err(
                    "usage: compare [--size 256M] [--seed N] [--input FILE] [--dir DIR] [--runs N] \
                     [--stats-size 32M] [--no-external]"
                        .into(),
                );
            }
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

/// Our id trace: every line that contains `id` (what `exigrep -l` selects),
/// found with a SIMD substring search, each hit parsed and checked.
fn trace(input: impl Read, id: &[u8]) -> io::Result<(u64, u64)> {
    let finder = memchr::memmem::Finder::new(id);
    let mut hits = 0u64;
    let mut prefixed = 0u64;
    work::for_each_block(input, BLOCK, |run| {
        for at in finder.find_iter(run) {
            let start =
                memchr::memrchr(b'\n', run.get(..at).unwrap_or_default()).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', run.get(at..).unwrap_or_default())
                .map_or(run.len(), |i| at + i);
            // A line holding the id twice is still one line.
            if start < at
                && memchr::memmem::find(run.get(start..at).unwrap_or_default(), id).is_some()
            {
                continue;
            }
            hits += 1;
            if let Ok(line) = parse_line(run.get(start..end).unwrap_or_default()) {
                if line.message_id.is_some_and(|m| m.as_str().as_bytes() == id) {
                    prefixed += 1;
                }
            }
        }
    })?;
    Ok((hits, prefixed))
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

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
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
    // From the page cache (one warm-up read first) and from .gz.
    let _ = work::for_each_block(File::open(&plain)?, BLOCK, |r| {
        black_box(r);
    })?;
    let (mut read, mut read_parse, mut gunzip, mut gunzip_parse) = (
        Best::default(),
        Best::default(),
        Best::default(),
        Best::default(),
    );
    for _ in 0..a.runs {
        let (d, _) = time(|| {
            work::for_each_block(File::open(&plain)?, BLOCK, |r| {
                black_box(r);
            })
        });
        read.add(d);
        let (d, r) = time(|| work::parse_stream(File::open(&plain)?, BLOCK));
        r?;
        read_parse.add(d);
        let (d, r) = time(|| {
            work::for_each_block(gz_reader(&gz)?, BLOCK, |r| {
                black_box(r);
            })
        });
        r?;
        gunzip.add(d);
        let (d, r) = time(|| work::parse_stream(gz_reader(&gz)?, BLOCK));
        r?;
        gunzip_parse.add(d);
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
    row(&mut out, "read file + full parse", &read_parse)?;
    row(&mut out, "gunzip (flate2) only", &gunzip)?;
    row(&mut out, "gunzip + full parse", &gunzip_parse)?;
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
        "file: read+parse / read: {:.2}x (target <= 1.5x)",
        read_parse.secs() / read.secs()
    )?;
    writeln!(
        out,
        "gz: gunzip+parse / gunzip: {:.2}x (target <= 1.5x)",
        gunzip_parse.secs() / gunzip.secs()
    )?;

    // Id trace.
    let Some(id) = middle_id(&buf) else {
        writeln!(out, "no message id found for the trace comparison")?;
        return Ok(());
    };
    let mut ours = Best::default();
    let mut hits = (0, 0);
    for _ in 0..a.runs {
        let (d, r) = time(|| trace(File::open(&plain)?, id.as_bytes()));
        hits = r?;
        ours.add(d);
    }
    let mut ours_gz = Best::default();
    for _ in 0..a.runs.min(3) {
        let (d, r) = time(|| trace(gz_reader(&gz)?, id.as_bytes()));
        r?;
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
        "| ours, file (memmem + parse of hits) | {:.3} | 1.0x |",
        ours.secs()
    )?;
    writeln!(
        out,
        "| ours, .gz | {:.3} | {:.1}x (vs gunzip only: {:.2}x) |",
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
        }
        (false, _) => skipped.push("eximstats (--no-external)".into()),
        (true, None) => {
            skipped.push("eximstats (not installed: apt-get install exim4-base)".into())
        }
    }
    if !skipped.is_empty() {
        writeln!(out, "\nskipped: {}", skipped.join("; "))?;
    }
    Ok(())
}
