//! `exim-log received`: parse `Received:` headers and print one JSON object per
//! header.
//!
//! The input is a sequence of records separated by blank lines. A record is
//! either a message's header block (any header fields; its `Received:` headers
//! are printed, newest first as they appear) or one bare header given without
//! its `Received:` name (starting with `from`, `by`, `(`...). Records with neither,
//! such as message body text, print nothing. Output follows the input order;
//! keys are listed in SCHEMA.md, "Received headers".

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use exim_log::reader::Input;
use exim_log::{Received, header_blocks, received_headers};

use crate::input::io_reason;
use crate::outcome::{self, Error, Outcome, Status};

/// The long help.
pub const ABOUT: &str = "\
Parses Received: headers and prints one JSON object per header (SCHEMA.md,
\"Received headers\"), with the Exim message id each hop gave. The input is
records separated by blank lines: whole header blocks (their Received:
headers are printed, newest first) or bare headers without the \"Received:\"
name. Files may be gzip; `-` or no FILE reads standard input. Input with no
Received header at all is an error (exit 2).";

/// `exim-log received` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// Files of headers (plain or gzip); `-` or none is standard input
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
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

/// Writes the headers of `input`; returns how many.
fn convert(input: &[u8], out: &mut dyn Write) -> Result<u64, Error> {
    let mut n = 0;
    for rec in header_blocks(input) {
        let mut any = false;
        for h in received_headers(rec) {
            any = true;
            n += 1;
            serde_json::to_writer(&mut *out, &Received::parse(h))?;
            out.write_all(b"\n")?;
        }
        if !any && bare_header(rec) {
            n += 1;
            serde_json::to_writer(&mut *out, &Received::parse(rec))?;
            out.write_all(b"\n")?;
        }
    }
    Ok(n)
}

/// Reads a whole input (gzip detected from the content).
fn read_all(path: &PathBuf) -> Result<Vec<u8>, Error> {
    let name = path.display();
    let err = |e: io::Error| Error::Message(format!("{name}: {}", io_reason(&e)));
    let rdr: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).map_err(err)?)
    };
    let mut buf = Vec::new();
    Input::detect(rdr)
        .and_then(|mut i| i.read_to_end(&mut buf))
        .map_err(err)?;
    Ok(buf)
}

/// Runs `exim-log received`.
pub fn run(args: Args) -> Outcome {
    let files = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files
    };
    // Open errors first, before any output.
    for f in files.iter().filter(|f| f.as_os_str() != "-") {
        File::open(f).map_err(|e| format!("{}: {}", f.display(), io_reason(&e)))?;
    }
    let mut out = outcome::stdout();
    let mut empty = Vec::new();
    for f in &files {
        let buf = read_all(f)?;
        if convert(&buf, &mut out)? == 0 {
            empty.push(if f.as_os_str() == "-" {
                "standard input".to_string()
            } else {
                f.display().to_string()
            });
        }
    }
    out.flush()?;
    if empty.len() == files.len() {
        return Err(format!("{}: no Received: header found", empty.join(", ")).into());
    }
    Ok(Status::Success)
}
