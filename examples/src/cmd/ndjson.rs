//! `exim-log ndjson`: any Exim log to one JSON object per line (SCHEMA.md).
//!
//! Every input line gives exactly one output line, in input order. A line that
//! cannot be parsed (no timestamp) becomes `{"error": ..., "offset": N, "raw": ...}`.

use std::io::Write;

use exim_log::parallel::{LineNumbers, Plan, read_lines, run_ordered};
use exim_log::report::TimeWindow;

use super::read_error;
use crate::input::{InputArgs, Show, Source};
use crate::outcome::{self, Error, Outcome, status};
use crate::threads::ThreadsArgs;
use crate::window::WindowArgs;

/// The long help.
pub const ABOUT: &str = "\
Turns Exim log lines into NDJSON: one JSON object per input line, in input
order, with the fields of SCHEMA.md. A line that cannot be parsed becomes
{\"error\": ..., \"offset\": N, \"raw\": ...}. With --since/--until only the
lines inside the window are written (lines without a timestamp are then
left out).";

/// `exim-log ndjson` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub window: WindowArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub threads: ThreadsArgs,
}

/// Writes the JSON of one input line and its newline to `out` (nothing for
/// a line outside `window`, or without a timestamp when there is a window).
pub fn write_line(out: &mut impl Write, raw: &[u8], window: &TimeWindow) -> std::io::Result<()> {
    let windowed = window.since.is_some() || window.until.is_some();
    match exim_log::parse_line(raw) {
        Ok(line) => {
            if windowed && !window.contains(&line.timestamp) {
                return Ok(());
            }
            serde_json::to_writer(&mut *out, &line)?;
        }
        Err(_) if windowed => return Ok(()),
        Err(e) => {
            let obj = serde_json::json!({
                "error": e.kind.description(),
                "offset": e.offset,
                "raw": String::from_utf8_lossy(raw),
            });
            serde_json::to_writer(&mut *out, &obj)?;
        }
    }
    out.write_all(b"\n")
}

/// Runs `exim-log ndjson`.
pub fn run(args: Args) -> Outcome {
    let mut source = args.input.open(Show::Quiet)?;
    source.pipelined(args.threads.threads() > 1);
    let window = args.window.window();
    let mut out = outcome::stdout();
    let failed = match args.threads.plan(&source, UNITS_PER_THREAD) {
        Some(plan) => in_parallel(
            &mut source,
            &plan,
            args.threads.threads(),
            &window,
            &mut out,
        )?,
        None => {
            let mut buf = Vec::with_capacity(4096);
            let mut failed = false;
            loop {
                match source.read_line(&mut buf) {
                    Ok(Some(_)) => write_line(&mut out, &buf, &window)?,
                    Ok(None) => break,
                    Err(e) => failed |= read_error(&e),
                }
            }
            failed
        }
    };
    out.flush()?;
    let warned = source.check()?;
    Ok(status(failed || warned))
}

/// Units per thread: the output of each unit waits in memory until the
/// units before it are written, so units are small (a few MiB of input).
const UNITS_PER_THREAD: usize = 16;

/// Each unit's lines to JSON on its own thread, written in input order; its
/// read errors printed in order too. True when an input could not be read to
/// its end.
fn in_parallel(
    source: &mut Source,
    plan: &Plan,
    threads: usize,
    window: &TimeWindow,
    out: &mut impl Write,
) -> Result<bool, Error> {
    let units = plan.units();
    let mut failed = false;
    let mut written: std::io::Result<()> = Ok(());
    let mut numbers = LineNumbers::default();
    run_ordered(
        units.len(),
        threads,
        |i| {
            let mut json = Vec::new();
            let mut files = units.get(i).map_or_else(Default::default, |u| u.open(true));
            let mut res = Ok(());
            let read = read_lines(&mut files, |raw, _| {
                if res.is_ok() {
                    res = write_line(&mut json, raw, window);
                }
            });
            (json, read, res)
        },
        |i, (json, read, res)| {
            if let Some(u) = units.get(i) {
                source.read_elsewhere(&u.path, read.lines);
                let before = numbers.unit(u, read.lines);
                for mut e in read.errors {
                    LineNumbers::fix(&mut e, before);
                    failed |= read_error(&e);
                }
            }
            if written.is_ok() {
                written = res.and_then(|()| out.write_all(&json));
            }
        },
    );
    written?;
    Ok(failed)
}
