//! `exim-log ndjson`: any Exim log to one JSON object per line (SCHEMA.md).
//!
//! Every input line gives exactly one output line, in input order. A line that
//! cannot be parsed (no timestamp) becomes `{"error": ..., "offset": N, "raw": ...}`.

use std::io::Write;

use super::read_error;
use crate::input::{InputArgs, Show};
use crate::outcome::{self, Outcome, status};
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
}

/// Runs `exim-log ndjson`.
pub fn run(args: Args) -> Outcome {
    let mut source = args.input.open(Show::Quiet)?;
    let window = args.window.window();
    let windowed = window.since.is_some() || window.until.is_some();
    let mut out = outcome::stdout();
    let mut buf = Vec::with_capacity(4096);
    // The JSON of many lines is gathered here and written in one call: the
    // library's writer fills this buffer directly (exim_log::json).
    let mut json = Vec::with_capacity(1 << 16);
    let mut failed = false;
    loop {
        match source.read_line(&mut buf) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                failed |= read_error(&e);
                continue;
            }
        }
        match exim_log::parse_line(&buf) {
            Ok(line) => {
                if windowed && !window.contains(&line.timestamp) {
                    continue;
                }
                exim_log::json::write(&mut json, &line)?;
            }
            Err(_) if windowed => continue,
            Err(e) => {
                let obj = serde_json::json!({
                    "error": e.kind.description(),
                    "offset": e.offset,
                    "raw": String::from_utf8_lossy(&buf),
                });
                exim_log::json::write(&mut json, &obj)?;
            }
        }
        json.push(b'\n');
        if json.len() >= 1 << 16 {
            out.write_all(&json)?;
            json.clear();
        }
    }
    out.write_all(&json)?;
    out.flush()?;
    let warned = source.check()?;
    Ok(status(failed || warned))
}
