//! `ndjson`: turn Exim mainlog files (or stdin) into one JSON object per line.
//!
//! Usage: `ndjson [FILE...]` (no file, or `-`, reads stdin).
//!
//! Every input line produces exactly one output line, in input order. A line
//! that cannot be parsed (no timestamp) becomes `{"error": ..., "offset": N, "raw": ...}`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;

fn convert(input: impl BufRead, out: &mut impl Write) -> io::Result<()> {
    let mut input = input;
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let files = if args.is_empty() {
        vec!["-".to_string()]
    } else {
        args
    };
    for f in &files {
        let res = if f == "-" {
            convert(io::stdin().lock(), &mut out)
        } else {
            File::open(f).and_then(|h| convert(BufReader::new(h), &mut out))
        };
        if let Err(e) = res {
            let _ = out.flush();
            eprintln!("ndjson: {f}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("ndjson: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
