//! Where the lines come from, the same for every subcommand: files and
//! directories (a rotated set, oldest first), plain or gzip (detected from the
//! content), standard input when it is not a terminal or when `-` is given,
//! and the bundled sample only when asked for (or when there is nothing else to
//! read), said on stderr.
//!
//! Every input is checked before anything is read, so an input that cannot be
//! opened is named once, before any output; and at the end, input with no Exim
//! line at all is an error that says what was read.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use exim_log::reader::{Input, LineMatcher, Located, LogReader, Prefilter, order_rotated, rotated};
use exim_log::{ReadError, Record, parse_line};

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

type Reader = LogReader<Input<Box<dyn Read>>>;

/// Counts the bytes read from a file, before decompression: what the
/// progress bar shows against the files' sizes.
struct Counted<R> {
    inner: R,
    bytes: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

/// The planned inputs read one after the other as one stream of lines, with
/// one `read_line` shape whatever they are.
pub struct Source {
    pending: VecDeque<Named>,
    current: Option<(Reader, Seen)>,
    seen: Vec<Seen>,
    names: Vec<String>,
    bytes: Rc<Cell<u64>>,
    progress: Option<Progress>,
    /// Lines since the progress bar was last updated.
    since_tick: u32,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("names", &self.names)
            .field("pending", &self.pending)
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
        Source {
            pending: inputs.into(),
            current: None,
            seen: Vec::new(),
            names,
            bytes: Rc::new(Cell::new(0)),
            progress,
            since_tick: 0,
        }
    }

    /// The inputs' names, for report headers.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// True when the only input is standard input (which cannot be read twice).
    pub fn is_stdin(&self) -> bool {
        self.names.len() == 1 && self.pending.front() == Some(&Named::Stdin)
    }

    /// The files among the inputs (for a command that reads them twice).
    pub fn files(&self) -> Vec<PathBuf> {
        self.pending
            .iter()
            .filter_map(|i| match i {
                Named::File(p) => Some(p.clone()),
                _ => None,
            })
            .collect()
    }

    fn open_next(&mut self) -> Option<Result<(), ReadError>> {
        let input = self.pending.pop_front()?;
        let (rdr, file): (Box<dyn Read>, Option<Arc<Path>>) = match &input {
            Named::Sample => (Box::new(SAMPLE), None),
            Named::Stdin => (Box::new(io::stdin().lock()), None),
            Named::File(p) => {
                let path: Arc<Path> = Arc::from(p.as_path());
                match File::open(p) {
                    Ok(f) => (
                        Box::new(Counted {
                            inner: f,
                            bytes: self.bytes.clone(),
                        }),
                        Some(path),
                    ),
                    Err(e) => return Some(Err(open_error(path, e))),
                }
            }
        };
        let input_seen = Seen {
            input,
            lines: 0,
            exim: None,
        };
        match Input::detect(rdr) {
            Ok(i) => {
                let mut r = LogReader::new(i);
                if let Some(f) = file {
                    r = r.with_file(f);
                }
                self.current = Some((r, input_seen));
                Some(Ok(()))
            }
            Err(e) => {
                self.seen.push(input_seen);
                let file = file.unwrap_or_else(|| Arc::from(Path::new("-")));
                Some(Err(open_error(file, e)))
            }
        }
    }

    /// Reads the next line into `buf` (without its line ending), with where it
    /// is; `None` after the last input. An error that ends an input (it cannot
    /// be opened or read) is given once, and reading goes on with the next.
    pub fn read_line(&mut self, buf: &mut Vec<u8>) -> Option<Result<Located, ReadError>> {
        self.next_with(true, |r| r.read_line(buf)).inspect(|r| {
            if r.is_ok() {
                self.note_line(buf);
            }
        })
    }

    /// Reads the next line that `matcher` matches (see
    /// [`LogReader::read_matching_line_by`]); the others are skipped unparsed.
    pub fn read_matching_line_by<M: LineMatcher + ?Sized>(
        &mut self,
        matcher: &M,
        buf: &mut Vec<u8>,
    ) -> Option<Result<Located, ReadError>> {
        self.next_with(false, |r| r.read_matching_line_by(matcher, buf))
            .inspect(|r| {
                if r.is_ok() {
                    self.note_line(buf);
                }
            })
    }

    /// [`Source::read_matching_line_by`] for a [`Prefilter`] (its fast search).
    pub fn read_matching_line(
        &mut self,
        filter: &Prefilter,
        buf: &mut Vec<u8>,
    ) -> Option<Result<Located, ReadError>> {
        self.next_with(false, |r| r.read_matching_line(filter, buf))
            .inspect(|r| {
                if r.is_ok() {
                    self.note_line(buf);
                }
            })
    }

    /// Notes a line read: the first Exim line of an input settles it.
    fn note_line(&mut self, line: &[u8]) {
        if let Some((_, seen)) = &mut self.current
            && seen.exim != Some(true)
            && parse_line(line).is_ok()
        {
            seen.exim = Some(true);
        }
        self.since_tick += 1;
        if self.since_tick >= 4096 {
            self.since_tick = 0;
            if let Some(p) = &self.progress {
                p.set(self.bytes.get());
            }
        }
    }

    fn next_with(
        &mut self,
        every_line: bool,
        mut f: impl FnMut(&mut Reader) -> Result<Option<exim_log::Position>, ReadError>,
    ) -> Option<Result<Located, ReadError>> {
        loop {
            if self.current.is_none()
                && let Err(e) = self.open_next()?
            {
                return Some(Err(e));
            }
            let (rdr, _) = self.current.as_mut()?;
            match f(rdr) {
                Ok(Some(pos)) => return Some(Ok((pos, rdr.file().cloned()))),
                Ok(None) => self.end_input(every_line),
                Err(e) => {
                    if e.is_fatal() {
                        self.end_input(every_line);
                    }
                    return Some(Err(e));
                }
            }
        }
    }

    fn end_input(&mut self, every_line: bool) {
        if let Some((rdr, mut seen)) = self.current.take() {
            seen.lines = rdr.next_position().line.saturating_sub(1);
            if every_line && seen.exim.is_none() {
                seen.exim = Some(false);
            }
            self.seen.push(seen);
        }
        if self.pending.is_empty()
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
        // Inputs never read (a command that stopped early, or a check without
        // a read) are looked at now.
        while let Some(input) = self.pending.pop_front() {
            let exim = (input == Named::Sample).then_some(true);
            self.seen.push(Seen {
                input,
                lines: 0,
                exim,
            });
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

    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = Vec::new();
        Some(
            self.read_line(&mut buf)?
                .map(|(position, file)| Record::new(buf, position, file)),
        )
    }
}

fn open_error(file: Arc<Path>, e: io::Error) -> ReadError {
    ReadError {
        file: Some(file),
        position: exim_log::Position::start(),
        kind: exim_log::reader::ReadErrorKind::Open(e),
    }
}

/// Reads `path` up to its first Exim line: (lines read, one was Exim).
fn sniff(path: &Path) -> (u64, bool) {
    let Ok(mut r) = LogReader::open(path) else {
        return (0, false);
    };
    let mut buf = Vec::new();
    let mut lines = 0;
    while let Ok(Some(_)) = r.read_line(&mut buf) {
        lines += 1;
        if parse_line(&buf).is_ok() {
            return (lines, true);
        }
    }
    (lines, false)
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
