//! `exim-log received`: parse `Received:` headers and print one JSON object per
//! header.
//!
//! The input is a sequence of records separated by blank lines. A record is
//! either a message's header block (any header fields; its `Received:` headers
//! are printed, newest first as they appear) or one bare header given without
//! its `Received:` name (starting with `from`, `by`, `(`...). Records with neither,
//! such as message body text, print nothing. Records are streamed, at most
//! [`MAX_BLOCK_LEN`] bytes each. Output follows the input order;
//! keys are listed in SCHEMA.md, "Received headers".

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use exim_log::reader::LogFiles;
use exim_log::{Received, header_blocks, received_headers};

use crate::cmd::read_error;
use crate::input::io_reason;
use crate::outcome::{self, Error, Outcome, warn};

/// The long help.
pub const ABOUT: &str = "\
Parses Received: headers and prints one JSON object per header (SCHEMA.md,
\"Received headers\"), with the Exim message id each hop gave. The input is
records separated by blank lines: whole header blocks (their Received:
headers are printed, newest first) or bare headers without the \"Received:\"
name. Files may be gzip; `-` or no FILE reads standard input. Records are
read one at a time: one longer than 1 MiB is reported and skipped (exit 2).
Input with no Received header at all is an error (exit 2).";

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

/// The most bytes one record may hold: a longer one is reported and skipped
/// (its lines are read and dropped, so memory stays bounded on any input).
pub const MAX_BLOCK_LEN: usize = 1 << 20;

/// Writes the headers of one record; returns how many.
fn convert(rec: &[u8], out: &mut dyn Write) -> Result<u64, Error> {
    let mut n = 0;
    // One record at a time: `header_blocks` trims the blank lines around it.
    for rec in header_blocks(rec) {
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

/// What one input gave.
#[derive(Default)]
struct Streamed {
    headers: u64,
    failed: bool,
}

/// Streams one input (a file, a directory's rotated set or `-`, gzip by
/// content, through the library's reader and its line cap), one record of at
/// most `cap` bytes at a time.
fn stream(input: &PathBuf, cap: usize, out: &mut dyn Write) -> Result<Streamed, Error> {
    let mut src = LogFiles::from_args([input]);
    let mut done = Streamed::default();
    let mut block: Vec<u8> = Vec::new();
    // The first line of the record being read (named when it is too long).
    let mut start = 0;
    // Set while the lines of a record too long to keep are skipped.
    let mut over: Option<u64> = None;
    loop {
        let line = match src.next_line() {
            Ok(Some((line, pos))) => Some((line, pos.line)),
            Ok(None) => None,
            Err(e) => {
                done.failed |= read_error(&e);
                if !e.is_fatal() && over.is_none() {
                    // A line over the reader's cap: its record is incomplete.
                    over = Some(if block.is_empty() {
                        e.position.line
                    } else {
                        start
                    });
                    block = Vec::new();
                }
                continue;
            }
        };
        let blank = line.is_none_or(|(l, _)| l.iter().all(|&c| c == b'\r'));
        if blank {
            if let Some(first) = over.take() {
                warn(format_args!(
                    "{}: line {first}: header block longer than {cap} bytes, skipped",
                    input.display()
                ));
                done.failed = true;
            } else {
                done.headers += convert(&block, out)?;
            }
            block.clear();
        } else if let Some((l, no)) = line
            && over.is_none()
        {
            if block.is_empty() {
                start = no;
            }
            if block.len() + l.len() + 1 > cap {
                over = Some(start);
                block = Vec::new();
            } else {
                block.extend_from_slice(l);
                block.push(b'\n');
            }
        }
        if line.is_none() {
            return Ok(done);
        }
    }
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
    let (mut empty, mut failed) = (Vec::new(), false);
    for f in &files {
        let done = stream(f, MAX_BLOCK_LEN, &mut out)?;
        failed |= done.failed;
        if done.headers == 0 {
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
    Ok(outcome::status(failed))
}
