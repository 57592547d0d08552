//! `exim-log ndjson`: any Exim log to one JSON object per line (SCHEMA.md).
//!
//! Every input line gives exactly one output line, in input order. A reject
//! log entry's envelope and header lines become `{"rejectlog": kind, ...}`
//! (`exim_log::rejectlog::entry_line`); any other line that cannot be parsed
//! (no timestamp) becomes `{"error": ..., "offset": N, "raw": ...}`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use exim_log::parallel::{LineNumbers, Plan, read_lines, run_ordered};
use exim_log::reader::LogFiles;
use exim_log::report::TimeWindow;

use super::read_error;
use crate::input::{InputArgs, Show, Source};
use crate::outcome::{self, Error, Outcome, status};
use crate::threads::ThreadsArgs;
use crate::window::WindowArgs;

/// The long help.
pub const ABOUT: &str = "\
Turns Exim log lines into NDJSON: one JSON object per input line, in input
order, with the fields of SCHEMA.md. The envelope and header lines of a
reject log entry become {\"rejectlog\": kind, ...}; any other line that cannot
be parsed becomes {\"error\": ..., \"offset\": N, \"raw\": ...}. With --since/--until only the
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

/// Appends the JSON of one input line and its newline to `json` (nothing for
/// a line outside `window`, or without a timestamp when there is a window).
/// The library's writers fill the buffer directly (`exim_log::json::write_line`
/// for log lines: the same bytes as serde_json, several times cheaper).
pub fn write_line(
    json: &mut Vec<u8>,
    raw: &[u8],
    window: &TimeWindow,
) -> Result<(), exim_log::json::Error> {
    let windowed = window.since.is_some() || window.until.is_some();
    // The line parsed and read in place (`parse_line_with`: not moved).
    let written = exim_log::parse_line_with(raw, |line| {
        let inside = !windowed || window.contains(&line.timestamp);
        if inside {
            exim_log::json::write_line(json, line);
        }
        inside
    });
    match written {
        Ok(true) => {}
        Ok(false) => return Ok(()),
        Err(_) if windowed => return Ok(()),
        // The envelope and header lines after a reject log's reject line.
        Err(_) if let Some(l) = exim_log::rejectlog::entry_line(raw) => {
            exim_log::json::write(json, &l)?;
        }
        Err(e) => {
            let obj = serde_json::json!({
                "error": e.kind.description(),
                "offset": e.offset,
                "raw": String::from_utf8_lossy(raw),
            });
            exim_log::json::write(json, &obj)?;
        }
    }
    json.push(b'\n');
    Ok(())
}

/// Runs `exim-log ndjson`.
pub fn run(args: Args) -> Outcome {
    let mut source = args.input.open(Show::Quiet)?;
    source.pipelined(args.threads.threads() > 1);
    let window = args.window.window();
    if let Some(plan) = args.threads.plan_units_of(&source, UNIT_BYTES) {
        // Written from the worker threads: stdout, not the calling
        // thread's lock of it (which they would wait for forever).
        let failed = in_parallel(
            &mut source,
            &plan,
            args.threads.threads(),
            &window,
            std::io::stdout(),
        )?;
        let warned = source.check()?;
        return Ok(status(failed || warned));
    }
    let mut out = outcome::stdout();
    let failed = match source.paths() {
        Some(paths) => by_file(&mut source, &paths, &window, &mut out)?,
        None => {
            let mut buf = Vec::with_capacity(4096);
            // The JSON of many lines, written in one call.
            let mut json = Vec::with_capacity(1 << 16);
            let mut failed = false;
            loop {
                match source.read_line(&mut buf) {
                    Ok(Some(_)) => write_line(&mut json, &buf, &window)?,
                    Ok(None) => break,
                    Err(e) => failed |= read_error(&e),
                }
                if json.len() >= FLUSH_BYTES {
                    out.write_all(&json)?;
                    json.clear();
                }
            }
            out.write_all(&json)?;
            failed
        }
    };
    out.flush()?;
    let warned = source.check()?;
    Ok(status(failed || warned))
}

/// The JSON of many lines, written in one call once it holds this much.
const FLUSH_BYTES: usize = 1 << 16;

/// One thread over files: each file's lines borrowed from its reader's
/// buffer (`Source::read_line` copies each into a line buffer first: about
/// 5% of this command's instructions, callgrind), the JSON written every
/// [`FLUSH_BYTES`]. Read errors are told as met; the files' Exim lines are
/// checked by [`Source::check`], as after a run on several threads.
fn by_file(
    source: &mut Source,
    paths: &[PathBuf],
    window: &TimeWindow,
    out: &mut impl Write,
) -> Result<bool, Error> {
    let mut json = Vec::with_capacity(2 * FLUSH_BYTES);
    let mut failed = false;
    for path in paths {
        let mut files = LogFiles::default();
        files.push_path(path);
        let mut lines = 0;
        loop {
            match files.next_line() {
                Ok(Some((raw, _))) => {
                    lines += 1;
                    write_line(&mut json, raw, window)?;
                }
                Ok(None) => break,
                Err(e) => failed |= read_error(&e),
            }
            if json.len() >= FLUSH_BYTES {
                out.write_all(&json)?;
                json.clear();
            }
        }
        source.read_elsewhere(path, lines);
    }
    out.write_all(&json)?;
    Ok(failed)
}

/// Bytes of input per unit: the JSON of each unit (about 2.7 times its
/// input) waits in memory until the units before it are written, and the
/// buffers are reused, so small units keep the output in the cores' caches.
/// Cachegrind (4 MiB last-level cache, `--threads 2`, 14 MB log): units of
/// 1 MiB missed on 629,000 cache-line writes (nearly every line of the
/// output), units of 256 KiB on 61,000 (one thread: 14,000), for 2.8% more
/// instructions (each unit is opened and its framing detected). Units of
/// 5 MiB (16 per thread on a 150 MB log) also cost 13,600 page faults.
/// Timed on a quiet 2-core VM (2 MiB L2 a core; 161.5 MB log, `taskset -c
/// 0,1`, best of 7, interleaved): 256 KiB 0.174 s, 512 KiB 0.167 s, 1 MiB
/// 0.165 s, 2 MiB 0.165 s (one thread 0.288 s): the model's 4 MiB cache
/// undersells the real one, and 1 MiB is the fastest with the fewest units.
const UNIT_BYTES: u64 = 1 << 20;

/// Bytes of JSON a unit gathers before handing them on: written at once
/// when the unit's turn has come, else set aside until it comes. The chunks
/// are reused, so the output stays in the cores' caches as one thread's
/// 64 KiB buffer does, whatever the unit size (a unit's whole JSON, 2.7
/// times its input, went through memory once per unit).
const CHUNK_BYTES: usize = 1 << 16;

/// The output of the units, in turn: `head` is the unit whose JSON may be
/// written now (every unit before it was written whole).
struct Turn<W> {
    out: Mutex<(W, Result<(), Error>)>,
    head: AtomicUsize,
    /// Written chunks, cleared, for the next to fill.
    spare: Mutex<Vec<Vec<u8>>>,
}

impl<W: Write> Turn<W> {
    fn chunk(&self) -> Vec<u8> {
        lock(&self.spare)
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(2 * CHUNK_BYTES))
    }

    /// Writes `chunks` in order (after the first write error, nothing) and
    /// keeps them for reuse.
    fn write(&self, chunks: impl IntoIterator<Item = Vec<u8>>) {
        let mut spare = Vec::new();
        {
            let mut out = lock(&self.out);
            let (w, written) = &mut *out;
            for mut c in chunks {
                if written.is_ok() {
                    *written = w.write_all(&c).map_err(Error::from);
                }
                c.clear();
                spare.push(c);
            }
        }
        lock(&self.spare).append(&mut spare);
    }

    /// Unit `i` filled `cur`: written with what it set aside before when its
    /// turn has come, else set aside; `cur` is then an empty chunk.
    fn hand_on(&self, i: usize, cur: &mut Vec<u8>, aside: &mut Vec<Vec<u8>>) {
        if self.head.load(Ordering::Acquire) == i {
            let full = std::mem::replace(cur, self.chunk());
            self.write(aside.drain(..).chain([full]));
        } else {
            aside.push(std::mem::replace(cur, self.chunk()));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Each unit's lines to JSON on its own thread, written in input order: the
/// unit whose turn it is writes its JSON as it goes, every
/// [`CHUNK_BYTES`], as one thread does; the others set theirs aside until
/// their turn. Read errors are printed in order too. True when an input
/// could not be read to its end.
fn in_parallel(
    source: &mut Source,
    plan: &Plan,
    threads: usize,
    window: &TimeWindow,
    out: impl Write + Send,
) -> Result<bool, Error> {
    let units = plan.units();
    let mut failed = false;
    let mut numbers = LineNumbers::default();
    let turn = Turn {
        out: Mutex::new((out, Ok(()))),
        head: AtomicUsize::new(0),
        spare: Mutex::new(Vec::new()),
    };
    run_ordered(
        units.len(),
        threads,
        |i| {
            let mut cur = turn.chunk();
            let mut aside = Vec::new();
            let mut files = units.get(i).map_or_else(Default::default, |u| u.open(true));
            let mut res = Ok(());
            let read = read_lines(&mut files, |raw, _| {
                if res.is_ok() {
                    res = write_line(&mut cur, raw, window);
                    if cur.len() >= CHUNK_BYTES {
                        turn.hand_on(i, &mut cur, &mut aside);
                    }
                }
            });
            aside.push(cur);
            (aside, read, res)
        },
        |i, (aside, read, res)| {
            if let Some(u) = units.get(i) {
                source.read_elsewhere(&u.path, read.lines);
                let before = numbers.unit(u, read.lines);
                for mut e in read.errors {
                    LineNumbers::fix(&mut e, before);
                    failed |= read_error(&e);
                }
            }
            if let Err(e) = res {
                let mut out = lock(&turn.out);
                if out.1.is_ok() {
                    out.1 = Err(Error::from(e));
                }
            }
            // The rest of the unit's JSON; then the next unit's turn.
            turn.write(aside);
            turn.head.store(i + 1, Ordering::Release);
        },
    );
    let (mut out, written) = turn.out.into_inner().unwrap_or_else(|p| p.into_inner());
    written?;
    out.flush()?;
    Ok(failed)
}
