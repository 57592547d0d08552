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
                serde_json::to_writer(&mut out, &line)?;
            }
            Err(_) if windowed => continue,
            Err(e) => {
                let obj = serde_json::json!({
                    "error": e.kind.description(),
                    "offset": e.offset,
                    "raw": String::from_utf8_lossy(&buf),
                });
                serde_json::to_writer(&mut out, &obj)?;
            }
        }
        out.write_all(b"\n")?;
    }
    out.flush()?;
    let warned = source.check()?;
    Ok(status(failed || warned))
}
