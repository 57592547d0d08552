//! `ndjson`: turn Exim mainlog files (or stdin) into one JSON object per line.
//!
//! Usage: `ndjson [FILE...]` (no file, or `-`, reads stdin).
//!
//! Every input line produces exactly one output line, in input order. A line
//! that cannot be parsed (no timestamp) becomes `{"error": ..., "offset": N, "raw": ...}`.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use exim_log_examples::cli::filter_files;

fn convert(input: &mut dyn BufRead, out: &mut dyn Write) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        match exim_log::parse_line(&buf) {
            Ok(line) => serde_json::to_writer(&mut *out, &line)?,
            Err(e) => {
                let raw = String::from_utf8_lossy(exim_log_trim(&buf));
                let obj = serde_json::json!({
                    "error": e.kind.description(),
                    "offset": e.offset,
                    "raw": raw,
                });
                serde_json::to_writer(&mut *out, &obj)?;
            }
        }
        out.write_all(b"\n")?;
    }
}

fn exim_log_trim(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

fn main() -> ExitCode {
    filter_files("ndjson", convert)
}
