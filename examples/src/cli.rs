//! Command-line handling shared by the example programs: which files to read
//! (plain, `.gz`, rotated sets, stdin, or the bundled sample), `--json`, a time
//! window, `--top N` and `--threshold N`.

use std::io;
use std::path::PathBuf;

use exim_log::assemble::{Assembled, Assembler};
use exim_log::reader::{LogFiles, LogReader, order_rotated, rotated};
use exim_log::{ReadError, Record, Timestamp};

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

/// Seconds since 1970-01-01 00:00:00 of a timestamp's wall-clock fields.
pub fn log_seconds(t: &Timestamp) -> i64 {
    civil_seconds(
        i64::from(t.year),
        i64::from(t.month),
        i64::from(t.day),
        i64::from(t.hour) * 3600 + i64::from(t.minute) * 60 + i64::from(t.second),
    )
}

/// Days from civil (Howard Hinnant's algorithm), plus the seconds of the day.
fn civil_seconds(y: i64, m: i64, d: i64, secs_of_day: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400 + secs_of_day
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS]`
/// into [`log_seconds`] units.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let bad = || format!("{s}: expected YYYY-MM-DD[ HH:MM[:SS]]");
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let num = |p: Option<&str>, lo: i64, hi: i64| {
        p.and_then(|p| p.parse::<i64>().ok())
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(bad)
    };
    let mut d = date.split('-');
    let (y, m, day) = (
        num(d.next(), 1970, 9999)?,
        num(d.next(), 1, 12)?,
        num(d.next(), 1, 31)?,
    );
    if d.next().is_some() {
        return Err(bad());
    }
    let mut secs = 0;
    if let Some(t) = time {
        let mut p = t.split(':');
        let (h, mi) = (num(p.next(), 0, 23)?, num(p.next(), 0, 59)?);
        let sec = match p.next() {
            Some(x) => num(Some(x), 0, 60)?,
            None => 0,
        };
        if p.next().is_some() {
            return Err(bad());
        }
        secs = h * 3600 + mi * 60 + sec;
    }
    Ok(civil_seconds(y, m, day, secs))
}

/// A stream of raw lines with their positions.
pub type Records = Box<dyn Iterator<Item = Result<Record, ReadError>>>;

/// The bundled sample log, read when a program is given no file.
pub fn sample_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join("mainlog")
}

/// Opens `files` as one stream: nothing means the bundled sample, `-` stdin
/// (gzip detected), a directory its rotated `mainlog` set; files are put in
/// rotation order, oldest first.
pub fn open(files: &[String]) -> io::Result<Records> {
    if files.is_empty() {
        return Ok(Box::new(LogFiles::new([sample_path()])));
    }
    if files == ["-"] {
        return Ok(Box::new(
            LogReader::detect(io::stdin().lock())?.into_records(),
        ));
    }
    let mut paths = Vec::new();
    for f in files {
        let p = PathBuf::from(f);
        if p.is_dir() {
            paths.extend(rotated(&p)?);
        } else {
            paths.push(p);
        }
    }
    Ok(Box::new(LogFiles::new(order_rotated(paths))))
}

/// Read errors met while driving a report.
#[derive(Debug, Default)]
pub struct ReadProblems {
    /// Errors that ended a file (missing, unreadable, truncated gzip).
    pub fatal: u64,
    /// Other errors (over-long lines), after which reading went on.
    pub other: u64,
}

/// Feeds every assembled message and lone line of `records` to `each`,
/// printing read errors to stderr prefixed by `program`.
pub fn drive(records: Records, program: &str, mut each: impl FnMut(Assembled)) -> ReadProblems {
    let mut problems = ReadProblems::default();
    for item in Assembler::new().messages(records) {
        match item {
            Ok(a) => each(a),
            Err(e) => {
                eprintln!("{program}: {e}");
                if e.is_fatal() {
                    problems.fatal += 1;
                } else {
                    problems.other += 1;
                }
            }
        }
    }
    problems
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
