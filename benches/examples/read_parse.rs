//! Read and parse whole logs through the library's readers, on one thread or
//! several: the "parse of a rotated set" and ".gz read + parse" rows of
//! `scripts/bench-parallel` (issue 17). Prints the lines, refused lines and a
//! checksum of every line's main fields, which must be the same whatever the
//! threads.
//!
//! ```text
//! read_parse [--threads N] [--no-pipeline] FILE|DIR...
//! ```
//!
//! `--threads 1` reads with one `LogFiles` (a `.gz` decompressed on a second
//! thread unless `--no-pipeline`); more threads read the units of
//! `exim_log::parallel::Plan` (byte ranges of plain files, whole `.gz` files).

use exim_log::parallel::{Plan, available_threads, fold_lines};
use exim_log::reader::LogFiles;
use exim_log_benches::work::{ParseStats, touch};

fn add(s: &mut ParseStats, raw: &[u8]) {
    s.lines += 1;
    match exim_log::parse_line(raw) {
        Ok(line) => {
            if matches!(line.event, exim_log::Event::Unknown) {
                s.unknown += 1;
            }
            s.checksum = s.checksum.wrapping_add(touch(&line) as u64);
        }
        Err(_) => s.errors += 1,
    }
}

fn main() {
    let mut threads = available_threads();
    let mut pipeline = true;
    let mut inputs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            "--no-pipeline" => pipeline = false,
            _ => inputs.push(a),
        }
    }
    if inputs.is_empty() {
        eprintln!("usage: read_parse [--threads N] [--no-pipeline] FILE|DIR...");
        std::process::exit(2);
    }
    // Directories as rotated sets, oldest first, as the programs take them.
    let mut paths = Vec::new();
    for i in &inputs {
        let path = std::path::Path::new(i);
        match exim_log::reader::rotated(path) {
            Ok(set) if path.is_dir() && !set.is_empty() => paths.extend(set),
            _ => paths.push(path.to_path_buf()),
        }
    }
    let t = std::time::Instant::now();
    let stats = if threads > 1 {
        let plan = Plan::new(&paths, 2 * threads).unwrap_or_default();
        let f = fold_lines(
            &plan,
            threads,
            ParseStats::default(),
            ParseStats::default,
            |s, raw, _| add(s, raw),
            |a, b| *a += b,
        );
        f.value
    } else {
        let mut files = LogFiles::new(paths).pipelined(pipeline);
        let mut s = ParseStats::default();
        loop {
            match files.next_line() {
                Ok(Some((raw, _))) => add(&mut s, raw),
                Ok(None) => break,
                Err(e) => eprintln!("{e}"),
            }
        }
        s
    };
    eprintln!("{:?}", t.elapsed());
    println!(
        "{} lines, {} refused, {} unknown, checksum {}",
        stats.lines, stats.errors, stats.unknown, stats.checksum
    );
}
