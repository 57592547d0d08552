//! Where the lines come from, the same for every subcommand: files and
//! directories (a rotated set, oldest first), plain or gzip (detected from the
//! content), standard input when it is not a terminal or when `-` is given,
//! and the bundled sample only when asked for (or when there is nothing else to
//! read), said on stderr.
//!
//! Every input is checked before anything is read, so an input that cannot be
//! opened is named once, before any output; and at the end, input with no Exim
//! line at all is an error that says what was read.

use std::fs::File;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use exim_log::reader::{LineMatcher, LineSource, LogFiles, Prefilter, order_rotated, rotated};
use exim_log::{Position, ReadError, Record, parse_line};

use crate::outcome::{Error, warn};
use crate::progress::Progress;

/// The bundled sample: a generated mainlog with a compromised script, an
/// authenticated spammer and a dictionary attack in it. Built into the
/// command, so an installed `exim-log` has it too.
pub const SAMPLE: &[u8] = include_bytes!("../data/mainlog");

/// What the sample is called in report headers and messages.
pub const SAMPLE_NAME: &str = "the bundled sample (examples/data/mainlog)";

/// The input options of every subcommand that reads logs.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct InputArgs {
    /// Log files or directories (a directory is its rotated mainlog set);
    /// plain or gzip; `-` is standard input, which is also read when no
    /// FILE is given and it is not a terminal
    #[arg(value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
    /// Read the bundled sample log (also read, with a note, when no FILE is
    /// given and standard input is a terminal)
    #[arg(long, conflicts_with = "files")]
    pub sample: bool,
}

/// One input, as planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Named {
    /// The bundled [`SAMPLE`].
    Sample,
    /// Standard input.
    Stdin,
    /// A file (plain or gzip).
    File(PathBuf),
}

impl Named {
    /// How the input is called in messages and report headers.
    pub fn name(&self) -> String {
        match self {
            Named::Sample => SAMPLE_NAME.to_string(),
            Named::Stdin => "standard input".to_string(),
            Named::File(p) => p.display().to_string(),
        }
    }
}

/// How a run shows its progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Show {
    /// A progress bar on stderr when it is a terminal and the input is large.
    #[default]
    Progress,
    /// Nothing (`--json`, or output that is itself the progress, like `--follow`).
    Quiet,
}

impl InputArgs {
    /// The inputs to read, in order, each file checked to open: the first that
    /// does not is the error, and nothing is read.
    pub fn plan(&self) -> Result<Vec<Named>, Error> {
        if self.sample {
            warn(format_args!("reading {SAMPLE_NAME}"));
            return Ok(vec![Named::Sample]);
        }
        if self.files.is_empty() {
            if io::stdin().is_terminal() {
                warn(format_args!(
                    "no FILE given and standard input is a terminal: reading {SAMPLE_NAME} \
                     (give a log file or directory, or pipe a log in; --help for more)"
                ));
                return Ok(vec![Named::Sample]);
            }
            return Ok(vec![Named::Stdin]);
        }
        let mut stdin = false;
        let mut paths = Vec::new();
        for f in &self.files {
            if f.as_os_str() == "-" {
                stdin = true;
            } else if f.is_dir() {
                let set = rotated(f).map_err(|e| format!("{}: {e}", f.display()))?;
                if set.is_empty() {
                    return Err(format!(
                        "{}: no mainlog or exim_mainlog files in this directory",
                        f.display()
                    )
                    .into());
                }
                paths.extend(set);
            } else {
                paths.push(f.clone());
            }
        }
        let mut inputs = Vec::new();
        if stdin {
            inputs.push(Named::Stdin);
        }
        for p in order_rotated(paths) {
            File::open(&p).map_err(|e| format!("{}: {}", p.display(), io_reason(&e)))?;
            inputs.push(Named::File(p));
        }
        Ok(inputs)
    }

    /// Plans the inputs and opens them as one [`Source`].
    pub fn open(&self, show: Show) -> Result<Source, Error> {
        Ok(Source::new(self.plan()?, show))
    }
}

/// An I/O error without Rust's ` (os error N)` tail.
pub fn io_reason(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s.get(..i).unwrap_or(&s).to_string(),
        None => s,
    }
}

/// What one input held: lines, and whether one of them was an Exim line
/// (`None` when only matching lines were read and none came, so it is unknown).
#[derive(Clone, Debug)]
struct Seen {
    input: Named,
    lines: u64,
    exim: Option<bool>,
}

/// The planned inputs read one after the other as one stream of lines: a
/// [`LogFiles`] (the library's reader of several inputs), plus what the
/// command adds: the progress bar and, per input, whether it held an Exim
/// line at all.
pub struct Source {
    files: LogFiles,
    /// What each planned input held, in reading order.
    seen: Vec<Seen>,
    /// Inputs before this index are finished.
    finished: usize,
    /// False once a read skipped lines (`read_matching_line*`): an input with
    /// no Exim line among those read may still hold some.
    every_line: bool,
    names: Vec<String>,
    progress: Option<Progress>,
    /// Lines since the progress bar was last updated.
    since_tick: u32,
    /// The line and position of [`LineSource::next_line`].
    line: Vec<u8>,
    pos: Position,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("names", &self.names)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

/// Below this many bytes of files, no progress bar: the run is over before
/// one would be useful.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

impl Source {
    /// Reads `inputs` in order.
    pub fn new(inputs: Vec<Named>, show: Show) -> Self {
        let names = inputs.iter().map(Named::name).collect();
        let total: u64 = inputs
            .iter()
            .filter_map(|i| match i {
                Named::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                _ => None,
            })
            .sum();
        let progress = (show == Show::Progress && total >= PROGRESS_MIN_BYTES)
            .then(|| Progress::on_terminal(total))
            .flatten();
        let mut files = LogFiles::default();
        for input in &inputs {
            match input {
                Named::Sample => files.push_reader(SAMPLE, None),
                Named::Stdin => files.push_reader(io::stdin(), None),
                Named::File(p) => files.push_path(p),
            }
        }
        let seen = inputs
            .into_iter()
            .map(|input| Seen {
                exim: (input == Named::Sample).then_some(true),
                input,
                lines: 0,
            })
            .collect();
        Source {
            files,
            seen,
            finished: 0,
            every_line: true,
            names,
            progress,
            since_tick: 0,
            line: Vec::new(),
            pos: Position::start(),
        }
    }

    /// The inputs' names, for report headers.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The files to read, in order, or `None` when an input is not a file
    /// (standard input, the sample), which only this thread can read.
    pub fn paths(&self) -> Option<Vec<PathBuf>> {
        self.seen
            .iter()
            .map(|s| match &s.input {
                Named::File(p) => Some(p.clone()),
                _ => None,
            })
            .collect()
    }

    /// Reads with `threads` > 1 went past this source: `lines` lines were
    /// read from `path`. Whether the file held an Exim line is then found by
    /// [`Source::check`] (which reads it up to its first one).
    pub fn read_elsewhere(&mut self, path: &Path, lines: u64) {
        self.every_line = false;
        if let Some(s) = self
            .seen
            .iter_mut()
            .find(|s| matches!(&s.input, Named::File(p) if p == path))
        {
            s.lines += lines;
        }
        if let Some(p) = self.progress.take() {
            p.finish();
        }
    }

    /// Makes `files` decompress gzip on a thread of its own.
    pub fn pipelined(&mut self, on: bool) {
        let files = std::mem::take(&mut self.files);
        self.files = files.pipelined(on);
    }

    /// True when the only input is standard input (which cannot be read twice).
    pub fn is_stdin(&self) -> bool {
        self.seen.len() == 1 && self.seen.first().map(|s| &s.input) == Some(&Named::Stdin)
    }

    /// Reads the next line into `buf` (without its line ending); its position
    /// names its file. `Ok(None)` after the last input. An error that ends an
    /// input (it cannot be opened or read) is given once, and reading goes on
    /// with the next.
    pub fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError> {
        let r = self.files.read_line(buf);
        self.account(r, buf)
    }

    /// The zero-copy twin of [`Source::read_line`]: the next line goes to
    /// `each` with its position, borrowed from the reader's buffer
    /// ([`LogFiles::next_line`]; copying every line into a buffer cost about
    /// a tenth of `spam-sources`' instructions, callgrind). `each` says
    /// whether the line parsed (the caller parses it anyway), which the
    /// per-input accounts need. `Ok(false)` after the last input; errors as
    /// [`Source::read_line`]'s.
    // Always inlined: each caller's loop is hot, and with two callers LLVM
    // stopped inlining it into `spam-sources`' loop (+1.3% instructions,
    // callgrind on the standard log).
    #[inline(always)]
    pub fn next_line_with(
        &mut self,
        each: impl FnOnce(&[u8], &Position) -> bool,
    ) -> Result<bool, ReadError> {
        let (at, exim) = match self.files.next_line() {
            Ok(Some((raw, pos))) => (pos.line, each(raw, pos)),
            Ok(None) => {
                self.account_at(None, true, || false);
                return Ok(false);
            }
            Err(e) => {
                self.account_at(None, false, || false);
                return Err(e);
            }
        };
        self.account_at(Some(at), false, || exim);
        Ok(true)
    }

    /// Reads the next line that `matcher` matches (see
    /// [`LogFiles::read_matching_line_by`]); the others are skipped unparsed.
    pub fn read_matching_line_by<M: LineMatcher + ?Sized>(
        &mut self,
        matcher: &M,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        self.every_line = false;
        let r = self.files.read_matching_line_by(matcher, buf);
        self.account(r, buf)
    }

    /// [`Source::read_matching_line_by`] for a [`Prefilter`] (its fast search).
    pub fn read_matching_line(
        &mut self,
        filter: &Prefilter,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        self.every_line = false;
        let r = self.files.read_matching_line(filter, buf);
        self.account(r, buf)
    }

    /// Notes what a read gave: inputs the reader moved past are finished, and
    /// the first Exim line of an input settles it.
    fn account(
        &mut self,
        r: Result<Option<Position>, ReadError>,
        line: &[u8],
    ) -> Result<Option<Position>, ReadError> {
        let at = r.as_ref().ok().and_then(|p| p.as_ref().map(|p| p.line));
        self.account_at(at, matches!(r, Ok(None)), || parse_line(line).is_ok());
        r
    }

    /// [`Source::account`] of a read that gave line number `line` (or
    /// none: `done` at the end of input, else an error), told by `exim`
    /// whether the line parsed (asked only until the input's first Exim
    /// line).
    fn account_at(&mut self, line: Option<u64>, done: bool, exim: impl FnOnce() -> bool) {
        let started = self.files.inputs_started();
        let current = started.checked_sub(1);
        if let (Some(line), Some(i)) = (line, current)
            && let Some(seen) = self.seen.get_mut(i)
        {
            seen.lines = line;
            if seen.exim != Some(true) && exim() {
                seen.exim = Some(true);
            }
        }
        self.finish_upto(if done { started } else { current.unwrap_or(0) });
        self.since_tick += 1;
        if self.since_tick >= 4096 {
            self.since_tick = 0;
            if let Some(p) = &self.progress {
                p.set(self.files.bytes_read());
            }
        }
    }

    /// Marks the inputs before `upto` finished.
    fn finish_upto(&mut self, upto: usize) {
        while self.finished < upto {
            if let Some(seen) = self.seen.get_mut(self.finished)
                && self.every_line
                && seen.exim.is_none()
            {
                seen.exim = Some(false);
            }
            self.finished += 1;
        }
        if self.files.is_done()
            && let Some(p) = self.progress.take()
        {
            p.finish();
        }
    }
    /// After the last line: an error when no input held an Exim line (saying
    /// how many lines were read), a warning for each non-empty input without
    /// one beside others that had some (the result is then `Ok(true)`:
    /// something was wrong). Inputs read only in part (matching lines) whose
    /// content is unknown are checked by reading them again, up to their first
    /// Exim line (files only).
    pub fn check(&mut self) -> Result<bool, Error> {
        if let Some(p) = self.progress.take() {
            p.finish();
        }
        for s in &mut self.seen {
            if s.exim.is_none()
                && let Named::File(p) = &s.input
            {
                let (lines, exim) = sniff(p);
                s.lines = s.lines.max(lines);
                s.exim = Some(exim);
            }
        }
        let any = self.seen.iter().any(|s| s.exim != Some(false));
        let bad: Vec<&Seen> = self.seen.iter().filter(|s| s.exim == Some(false)).collect();
        if !any && !bad.is_empty() {
            let lines: u64 = bad.iter().map(|s| s.lines).sum();
            let names: Vec<String> = bad.iter().map(|s| s.input.name()).collect();
            return Err(format!(
                "{}: 0 of {} lines look like Exim log lines",
                names.join(", "),
                thousands(lines)
            )
            .into());
        }
        let mut warned = false;
        for s in bad.iter().filter(|s| s.lines > 0) {
            warn(format_args!(
                "{}: 0 of {} lines look like Exim log lines",
                s.input.name(),
                thousands(s.lines)
            ));
            warned = true;
        }
        Ok(warned)
    }
}

impl Iterator for Source {
    type Item = Result<Record, ReadError>;

    /// Reads into the reused line buffer, then copies the line into a
    /// record of its exact size: one allocation a line, where reading into
    /// a new vector grew it several times (and the assembler shrank it again).
    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = std::mem::take(&mut self.line);
        let r = self.read_line(&mut buf);
        let record = r.map(|p| p.map(|position| Record::new(buf.clone(), position)));
        self.line = buf;
        record.transpose()
    }
}

impl LineSource for Source {
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Position>, ReadError> {
        Source::read_line(self, buf)
    }

    /// Copies: the per-input accounts need the line after the read.
    fn next_line(&mut self) -> Result<Option<(&[u8], &Position)>, ReadError> {
        let mut buf = std::mem::take(&mut self.line);
        let r = self.read_line(&mut buf);
        self.line = buf;
        match r? {
            Some(pos) => {
                self.pos = pos;
                Ok(Some((&self.line, &self.pos)))
            }
            None => Ok(None),
        }
    }

    fn read_matching_line_by<M: LineMatcher + ?Sized>(
        &mut self,
        matcher: &M,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        Source::read_matching_line_by(self, matcher, buf)
    }

    fn read_matching_line(
        &mut self,
        filter: &Prefilter,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Position>, ReadError> {
        Source::read_matching_line(self, filter, buf)
    }

    fn framing(&self) -> Option<exim_log::syslog::Framing> {
        self.files.framing()
    }

    fn lines_read(&self) -> Option<u64> {
        Some(self.files.lines_read())
    }
}

/// Reads `path` up to its first Exim line: (lines read, one was Exim).
fn sniff(path: &Path) -> (u64, bool) {
    // Read as the commands read it: syslog and journald lines unwrapped
    // (a raw `exim[pid]: ...` syslog line is not an Exim line, its
    // content is).
    let mut files = LogFiles::default();
    files.push_path(path);
    loop {
        match files.next_line() {
            Ok(Some((line, _))) => {
                if parse_line(line).is_ok() {
                    return (files.lines_read(), true);
                }
            }
            Ok(None) => return (files.lines_read(), false),
            Err(e) if e.is_fatal() => return (files.lines_read(), false),
            Err(_) => {}
        }
    }
}

/// `1204` as `1,204`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1204, "1,204"),
            (1_000_000, "1,000,000"),
        ];
        for (n, s) in cases {
            assert_eq!(thousands(n), s);
        }
    }

    #[test]
    fn os_error_tail_is_dropped() {
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&e), "No such file or directory");
    }
}
