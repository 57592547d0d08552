//! Command-line handling shared by the example programs: which files to read
//! (plain, `.gz`, rotated sets, stdin, or the bundled sample), `--json`, a time
//! window, `--top N` and `--threshold N`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use exim_log::assemble::{Assembled, Assembler};
use exim_log::reader::LogFiles;
use exim_log::{ReadError, Record, Timestamp};
use serde::Serialize;

/// The options every program takes, described by [`COMMON_HELP`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Common {
    /// Files or directories to read; empty means the bundled sample, `-` stdin.
    pub files: Vec<String>,
    /// Print JSON instead of text.
    pub json: bool,
    /// Only what happened inside this window is counted.
    pub window: TimeWindow,
    /// Rows per table.
    pub top: usize,
    /// Smallest count worth a row (and, for `abuse-report`, a firewall
    /// entry); `None` for the program's default.
    pub threshold: Option<u64>,
}

/// Help text for the options of [`Common`], to append to a program's usage.
pub const COMMON_HELP: &str = "\
Common options:
  --since TIME   count only what happened at or after TIME
  --until TIME   count only what happened before TIME
                 (TIME is YYYY-MM-DD[ HH:MM[:SS]] or YYYY-MM-DDTHH:MM[:SS],
                 in the log's own clock)
  --top N        rows per table (default 10)
  --threshold N  leave out rows counting fewer than N (default 1; for
                 abuse-report, hosts and offenders, 5)
  --json         one JSON document instead of text
  -h, --help     this help

FILE may be plain or gzip (detected from the content); several files are read
oldest first by their rotation suffix (mainlog.2.gz, mainlog.1, mainlog), and
a directory means its mainlog rotated set. `-` reads stdin. Without FILE the
bundled sample (examples/data/mainlog) is read.
";

impl Common {
    /// Parses `args` (without the program name). `extra` is offered every
    /// option this module does not know, with the remaining arguments; it
    /// returns `Ok(true)` when it took the option. `Err("")` means `--help`.
    pub fn parse<I>(
        args: I,
        mut extra: impl FnMut(&str, &mut dyn Iterator<Item = String>) -> Result<bool, String>,
    ) -> Result<Common, String>
    where
        I: IntoIterator<Item = String>,
    {
        let mut c = Common {
            files: Vec::new(),
            json: false,
            window: TimeWindow::default(),
            top: 10,
            threshold: None,
        };
        let mut it = args.into_iter();
        let mut only_files = false;
        while let Some(a) = it.next() {
            if only_files || a == "-" || !a.starts_with('-') {
                c.files.push(a);
                continue;
            }
            let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
            match a.as_str() {
                "--" => only_files = true,
                "--json" => c.json = true,
                "-h" | "--help" => return Err(String::new()),
                "--since" => c.window.since = Some(parse_time(&value("--since")?)?),
                "--until" => c.window.until = Some(parse_time(&value("--until")?)?),
                "--top" | "-n" => c.top = parse_number(&a, &value(&a)?)?,
                "--threshold" => c.threshold = Some(parse_number(&a, &value(&a)?)?),
                _ => {
                    if !extra(&a, &mut it)? {
                        return Err(format!("unknown option {a}"));
                    }
                }
            }
        }
        Ok(c)
    }

    /// The threshold given, or `default`.
    pub fn threshold_or(&self, default: u64) -> u64 {
        self.threshold.unwrap_or(default)
    }

    /// The names of the inputs, for report headers.
    pub fn input_names(&self) -> Vec<String> {
        if self.files.is_empty() {
            vec![sample_path().display().to_string()]
        } else {
            self.files.clone()
        }
    }

    /// Opens the inputs: see [`open`].
    pub fn open(&self) -> io::Result<Records> {
        open(&self.files)
    }

    /// Writes `report` as asked: JSON with `--json`, otherwise its text
    /// through `text` (e.g. the report's `write_text`), given the input names.
    pub fn write_report<R: Serialize>(
        &self,
        out: &mut dyn Write,
        report: &R,
        text: impl FnOnce(&R, &mut dyn Write, &[String]) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.json {
            write_json(out, report)
        } else {
            text(report, out, &self.input_names())
        }
    }
}

fn parse_number<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{name} {v}: not a number"))
}

/// A half-open window of log time, `[since, until)`, in seconds of the log's
/// own clock (the timestamp as written, its UTC offset ignored, so that a
/// window typed by an administrator means what the log says).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeWindow {
    /// Inclusive start.
    pub since: Option<i64>,
    /// Exclusive end.
    pub until: Option<i64>,
}

impl TimeWindow {
    /// True when `t` is inside the window.
    pub fn contains(&self, t: &Timestamp) -> bool {
        let s = log_seconds(t);
        self.since.is_none_or(|a| s >= a) && self.until.is_none_or(|b| s < b)
    }
}

/// Seconds since 1970-01-01 00:00:00 of a timestamp's wall-clock fields (its
/// UTC offset, if logged, ignored).
pub fn log_seconds(t: &Timestamp) -> i64 {
    Timestamp {
        utc_offset_minutes: None,
        ..*t
    }
    .unix_seconds()
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS]`
/// into [`log_seconds`] units.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let bad = || format!("{s}: expected YYYY-MM-DD[ HH:MM[:SS]]");
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    fn num<T: std::str::FromStr + PartialOrd>(p: Option<&str>, lo: T, hi: T) -> Option<T> {
        p.and_then(|p| p.parse::<T>().ok())
            .filter(|n| (lo..=hi).contains(n))
    }
    let mut d = date.split('-');
    let mut t = Timestamp {
        year: num(d.next(), 1970, 9999).ok_or_else(bad)?,
        month: num(d.next(), 1, 12).ok_or_else(bad)?,
        day: num(d.next(), 1, 31).ok_or_else(bad)?,
        hour: 0,
        minute: 0,
        second: 0,
        millisecond: None,
        utc_offset_minutes: None,
    };
    if d.next().is_some() {
        return Err(bad());
    }
    if let Some(time) = time {
        let mut p = time.split(':');
        t.hour = num(p.next(), 0, 23).ok_or_else(bad)?;
        t.minute = num(p.next(), 0, 59).ok_or_else(bad)?;
        if let Some(x) = p.next() {
            t.second = num(Some(x), 0, 60).ok_or_else(bad)?;
        }
        if p.next().is_some() {
            return Err(bad());
        }
    }
    Ok(t.unix_seconds())
}

/// A stream of raw lines with their positions.
pub type Records = Box<dyn Iterator<Item = Result<Record, ReadError>>>;

/// The bundled sample log, read when a program is given no file.
pub fn sample_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join("mainlog")
}

/// Opens `files` as one stream: nothing means the bundled sample, otherwise
/// [`LogFiles::from_args`] (`-` stdin, a directory its rotated `mainlog` set,
/// files put in rotation order, oldest first; gzip detected).
pub fn open(files: &[String]) -> io::Result<Records> {
    Ok(Box::new(Lines::open(files)?.0))
}

/// The inputs read line by line with each line borrowed from the reader's
/// buffer (no copy, no allocation per line): for programs that look at each
/// line once and keep nothing (the others assemble owned [`Records`]).
#[derive(Debug)]
pub struct Lines(LogFiles);

impl Lines {
    /// Opens `files` like [`open`].
    pub fn open(files: &[String]) -> io::Result<Lines> {
        if files.is_empty() {
            return Ok(Lines(LogFiles::new([sample_path()])));
        }
        Ok(Lines(LogFiles::from_args(files)))
    }

    /// Calls `each` on every line, in order; read errors are printed to stderr
    /// prefixed by `program`, counted, and reading goes on.
    pub fn for_each(mut self, program: &str, mut each: impl FnMut(&[u8])) -> ReadProblems {
        let mut problems = ReadProblems::default();
        loop {
            match self.0.next_line() {
                Ok(Some((line, _))) => each(line),
                Err(e) => problems.note(program, &e),
                Ok(None) => return problems,
            }
        }
    }
}

/// Read errors met while driving a report.
#[derive(Debug, Default)]
pub struct ReadProblems {
    /// Errors that ended a file (missing, unreadable, truncated gzip).
    pub fatal: u64,
    /// Other errors (over-long lines), after which reading went on.
    pub other: u64,
}

impl ReadProblems {
    /// Prints `e` to stderr, prefixed by `program`, and counts it.
    pub fn note(&mut self, program: &str, e: &ReadError) {
        eprintln!("{program}: {e}");
        if e.is_fatal() {
            self.fatal += 1;
        } else {
            self.other += 1;
        }
    }
}

/// Feeds every assembled message and lone line of `records` to `each`,
/// printing read errors to stderr prefixed by `program`.
pub fn drive(records: Records, program: &str, mut each: impl FnMut(Assembled)) -> ReadProblems {
    let mut problems = ReadProblems::default();
    for item in Assembler::new().messages(records) {
        match item {
            Ok(a) => each(a),
            Err(e) => problems.note(program, &e),
        }
    }
    problems
}

/// The start of every report program: parses the command line with
/// [`Common::parse`] (`extra` as there) and opens the inputs.
///
/// `--help` prints `usage` and [`COMMON_HELP`] and gives
/// `Err(ExitCode::SUCCESS)`; a bad option (with the usage) or an input that
/// cannot be opened is printed to stderr, prefixed by `program`, and gives
/// `Err(ExitCode::from(2))`.
pub fn start(
    program: &str,
    usage: &str,
    extra: impl FnMut(&str, &mut dyn Iterator<Item = String>) -> Result<bool, String>,
) -> Result<(Common, Records), ExitCode> {
    start_with(program, usage, extra, Common::open)
}

/// [`start`] for a program that reads borrowed [`Lines`] instead of records.
pub fn start_lines(
    program: &str,
    usage: &str,
    extra: impl FnMut(&str, &mut dyn Iterator<Item = String>) -> Result<bool, String>,
) -> Result<(Common, Lines), ExitCode> {
    start_with(program, usage, extra, |c| Lines::open(&c.files))
}

fn start_with<T>(
    program: &str,
    usage: &str,
    extra: impl FnMut(&str, &mut dyn Iterator<Item = String>) -> Result<bool, String>,
    open: impl FnOnce(&Common) -> io::Result<T>,
) -> Result<(Common, T), ExitCode> {
    let common = match Common::parse(std::env::args().skip(1), extra) {
        Ok(c) => c,
        Err(e) if e.is_empty() => {
            print!("{usage}{COMMON_HELP}");
            return Err(ExitCode::SUCCESS);
        }
        Err(e) => {
            eprintln!("{program}: {e}\n\n{usage}{COMMON_HELP}");
            return Err(ExitCode::from(2));
        }
    };
    match open(&common) {
        Ok(input) => Ok((common, input)),
        Err(e) => {
            eprintln!("{program}: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// The end of every report program: runs `write` on a buffered stdout and
/// flushes it. The exit code is 2 when writing failed (printed to stderr,
/// prefixed by `program`) or reading met a fatal error, 0 otherwise.
pub fn finish(
    program: &str,
    problems: &ReadProblems,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> ExitCode {
    let mut out = BufWriter::new(io::stdout().lock());
    if let Err(e) = write(&mut out).and_then(|()| out.flush()) {
        eprintln!("{program}: {e}");
        return ExitCode::from(2);
    }
    if problems.fatal > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// The main of the filter programs (`ndjson`, `received`): runs `convert` on
/// each file named in the arguments, in order (no file, or `-`, is stdin),
/// writing to one buffered stdout. The first error is printed, prefixed by
/// `program` and the file name, and gives `ExitCode::FAILURE`.
pub fn filter_files(
    program: &str,
    mut convert: impl FnMut(&mut dyn BufRead, &mut dyn Write) -> io::Result<()>,
) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let files = if args.is_empty() {
        vec!["-".to_string()]
    } else {
        args
    };
    let mut out = BufWriter::new(io::stdout().lock());
    for f in &files {
        let res = if f == "-" {
            convert(&mut io::stdin().lock(), &mut out)
        } else {
            File::open(f).and_then(|h| convert(&mut BufReader::new(h), &mut out))
        };
        if let Err(e) = res {
            let _ = out.flush();
            eprintln!("{program}: {f}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("{program}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Writes `value` as indented JSON and a newline: the `--json` output.
fn write_json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn time_forms() {
        // 2024-05-25 00:00:00 UTC is 1716595200 (the benches generator's start).
        let cases = [
            ("2024-05-25", Ok(1_716_595_200)),
            ("2024-05-25 00:00", Ok(1_716_595_200)),
            ("2024-05-25T01:02:03", Ok(1_716_595_200 + 3723)),
            ("1970-01-01", Ok(0)),
            ("2000-03-01", Ok(951_868_800)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_time(s), want, "{s}");
        }
        for bad in [
            "2024-13-01",
            "2024-05",
            "yesterday",
            "2024-05-25 25:00",
            "2024-05-25-1",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn window_is_half_open() {
        let w = TimeWindow {
            since: Some(parse_time("2024-05-25 10:00").unwrap_or_default()),
            until: Some(parse_time("2024-05-25 11:00").unwrap_or_default()),
        };
        let ts = |s: &[u8]| exim_log::parse_line(s).map(|l| l.timestamp);
        let inside = ts(b"2024-05-25 10:00:00 x").unwrap_or_else(|e| panic!("{e}"));
        let end = ts(b"2024-05-25 11:00:00 x").unwrap_or_else(|e| panic!("{e}"));
        let before = ts(b"2024-05-25 09:59:59 x").unwrap_or_else(|e| panic!("{e}"));
        // The offset is ignored: the window is in the log's clock.
        let zoned = ts(b"2024-05-25 10:30:00 +0200 x").unwrap_or_else(|e| panic!("{e}"));
        assert!(w.contains(&inside) && w.contains(&zoned));
        assert!(!w.contains(&end) && !w.contains(&before));
    }

    #[test]
    fn common_options() {
        let mut offenders = false;
        let c = Common::parse(
            args(&[
                "--top",
                "3",
                "--json",
                "a.log",
                "--offenders",
                "--threshold",
                "20",
                "-",
            ]),
            |a, _| {
                offenders |= a == "--offenders";
                Ok(a == "--offenders")
            },
        );
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert!(offenders && c.json);
        assert_eq!((c.top, c.threshold_or(1)), (3, 20));
        assert_eq!(c.files, ["a.log", "-"]);
        assert_eq!(
            Common::parse(args(&["--bogus"]), |_, _| Ok(false)),
            Err("unknown option --bogus".to_string())
        );
        assert!(Common::parse(args(&["--top", "x"]), |_, _| Ok(false)).is_err());
        assert_eq!(
            Common::parse(args(&["-h"]), |_, _| Ok(false)),
            Err(String::new())
        );
    }
}
