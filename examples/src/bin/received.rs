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

use std::io::{self, Write};
use std::process::ExitCode;

use exim_log::{Received, header_blocks, received_headers};
use exim_log_examples::cli::filter_files;

/// A record without a header name that starts like a `Received:` body.
fn bare_header(rec: &[u8]) -> bool {
    let word: Vec<u8> = rec
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .map(u8::to_ascii_lowercase)
        .collect();
    rec.first() == Some(&b'(') || matches!(word.as_slice(), b"from" | b"by" | b"with" | b"id")
}

fn convert(input: &[u8], out: &mut dyn Write) -> io::Result<()> {
    for rec in header_blocks(input) {
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
    filter_files("received", |input, out| {
        let mut buf = Vec::new();
        input.read_to_end(&mut buf)?;
        convert(&buf, out)
    })
}
