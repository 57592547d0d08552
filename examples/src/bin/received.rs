//! `received`: parse `Received:` headers and print one JSON object per header.
//!
//! Usage: `received [FILE...]` (no file, or `-`, reads stdin).
//!
//! The input is a sequence of records separated by blank lines. A record is
//! either a message's header block (any header fields; its `Received:` headers
//! are printed, newest first as they appear) or one bare header given without
//! its `Received:` name (starting with `from`, `by`, `(`...). Records with neither,
//! such as message body text, print nothing. Output follows the input order;
//! keys are listed in SCHEMA.md, "Received headers".

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use exim_log::{Received, received_headers};

/// Splits the input at blank lines (lines that are empty or only `\r`).
fn records(input: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let (mut start, mut pos) = (None, 0usize);
    for line in input.split_inclusive(|b| *b == b'\n') {
        let blank = line.iter().all(|b| matches!(b, b'\r' | b'\n'));
        match (blank, start) {
            (true, Some(s)) => {
                out.extend(input.get(s..pos));
                start = None;
            }
            (false, None) => start = Some(pos),
            _ => {}
        }
        pos += line.len();
    }
    if let Some(s) = start {
        out.extend(input.get(s..));
    }
    out
}

/// A record without a header name that starts like a `Received:` body.
fn bare_header(rec: &[u8]) -> bool {
    let word: Vec<u8> = rec
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .map(u8::to_ascii_lowercase)
        .collect();
    rec.first() == Some(&b'(') || matches!(word.as_slice(), b"from" | b"by" | b"with" | b"id")
}

fn convert(input: &[u8], out: &mut impl Write) -> io::Result<()> {
    for rec in records(input) {
        let mut any = false;
        for h in received_headers(rec) {
            any = true;
            serde_json::to_writer(&mut *out, &Received::parse(h))?;
            out.write_all(b"\n")?;
        }
        if !any && bare_header(rec) {
            serde_json::to_writer(&mut *out, &Received::parse(rec))?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let files = if args.is_empty() {
        vec!["-".to_string()]
    } else {
        args
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for f in &files {
        let mut buf = Vec::new();
        let res = if f == "-" {
            io::stdin().lock().read_to_end(&mut buf)
        } else {
            File::open(f).and_then(|mut h| h.read_to_end(&mut buf))
        }
        .and_then(|_| convert(&buf, &mut out));
        if let Err(e) = res {
            let _ = out.flush();
            eprintln!("received: {f}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("received: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
