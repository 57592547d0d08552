//! `exim-log trace`: every line of the messages you are looking for, grouped,
//! with the script that sent them. The `exigrep` job, done right.
//!
//! ```text
//! exim-log trace [OPTIONS] PATTERN [FILE|DIR...]
//! exim-log trace [OPTIONS] -e PATTERN [-e PATTERN...] [FILE|DIR...]
//! ```
//!
//! A message is printed when any of its lines, or the `cwd=` line linked to
//! it, matches a pattern (so `trace -l /home/shop/public_html` lists what a
//! script sent). See `exim-log trace --help` for the options and `SCHEMA.md`
//! §"Messages (assembled)" for `--json`.
//!
//! The search itself (the id fast path, the first pass of a regular
//! expression over files, the links) is the library's [`exim_log::trace`];
//! this command parses the options and prints.

use std::ffi::OsString;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use exim_log::Record;
use exim_log::assemble::{AssemblerOptions, Link, Message};
use exim_log::budget::MemoryBudget;
use exim_log::reader::{Follow, LineSource};
use exim_log::trace::{Pattern, Trace, TraceOptions, Traced};
use serde::Serialize;

use super::BudgetArgs;
use crate::input::{InputArgs, Named, Show, Source as Inputs};
use crate::outcome::{self, Error, Outcome, Status};
use crate::threads::ThreadsArgs;
use crate::window::{TimeWindow, WindowArgs};

/// The long help.
pub const ABOUT: &str = "\
Prints every line of each Exim message that has a line matching a pattern,
grouped per message, with the `cwd=... args:` line of the process that
submitted it (+arguments), its bounce parent, bounces and next-hop ids.
Lines that belong to no message are printed alone when they match.

Patterns are regular expressions (Rust `regex` syntax), matched against whole
raw lines, case-insensitively, like exigrep. A pattern that is a message id
(16 or 23 characters) is always matched literally and with case (ids are base
62), and a search for ids only reads at disk speed. A regular expression over
files is first run alone over the raw bytes; when it matches few messages (up
to 64) and no `cwd=` line, only those messages are then assembled. `^` and
`$` match at line ends; `\\A` and `\\z` are not supported.

With --since/--until, a message is printed when one of its lines is inside
the window (then whole), a lone line when it is.

Exit status: 0 if something was printed, 1 if nothing matched, 2 on an error
(reading goes on after a read error).";

/// `exim-log trace` options.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Args {
    /// A pattern; repeatable; every positional argument is then a file
    #[arg(short = 'e', value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// Patterns are literal strings, not regular expressions
    #[arg(short = 'l')]
    pub literal: bool,
    /// Case-sensitive matching
    #[arg(short = 'I')]
    pub case_sensitive: bool,
    /// Print the messages (and lone lines) that do NOT match
    #[arg(short = 'v')]
    pub invert: bool,
    /// Only messages at least SECONDS on the queue (Completed QT=, or first to
    /// last line); lone lines are then not printed
    #[arg(short = 't', value_name = "SECONDS")]
    pub min_queue_time: Option<f64>,
    /// Keep reading FILE as Exim appends to it, across rotation (like tail -F;
    /// one file; messages print as they complete)
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// NDJSON: one object per line, the line's JSON (SCHEMA.md) with
    /// `position` and a `trace` object (message, status, role, link)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub window: WindowArgs,
    /// Read the bundled sample log
    #[arg(long)]
    pub sample: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub memory: BudgetArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub threads: ThreadsArgs,
    /// The pattern (unless -e is given), then log files or directories
    /// (rotated sets, plain or gzip; `-` or none is standard input)
    #[arg(
        value_name = "PATTERN] [FILE|DIR",
        required_unless_present = "patterns"
    )]
    pub positional: Vec<OsString>,
}

#[derive(Debug, Default)]
struct Options {
    patterns: Vec<String>,
    input: InputArgs,
    literal: bool,
    case_sensitive: bool,
    invert: bool,
    min_queue_time: Option<f64>,
    json: bool,
    follow: bool,
    window: TimeWindow,
    budget: MemoryBudget,
    threads: ThreadsArgs,
}

impl Options {
    fn new(a: Args) -> Result<Options, Error> {
        let mut positional = a.positional.into_iter();
        let mut patterns = a.patterns;
        if patterns.is_empty() {
            let p = positional.next().ok_or("no pattern given".to_string())?;
            let p = p
                .into_string()
                .map_err(|p| format!("{}: the pattern is not UTF-8", p.to_string_lossy()))?;
            patterns.push(p);
        }
        let files: Vec<PathBuf> = positional.map(PathBuf::from).collect();
        if a.follow && files.len() != 1 {
            return Err("--follow needs exactly one file".to_string().into());
        }
        if a.sample && !files.is_empty() {
            return Err("--sample and files cannot be given together"
                .to_string()
                .into());
        }
        Ok(Options {
            patterns,
            input: InputArgs {
                files,
                sample: a.sample,
            },
            literal: a.literal,
            case_sensitive: a.case_sensitive,
            invert: a.invert,
            min_queue_time: a.min_queue_time,
            json: a.json,
            follow: a.follow,
            window: a.window.window(),
            budget: a.memory.budget(),
            threads: a.threads,
        })
    }
}

/// Prints what the trace engine yields, as text or NDJSON.
struct Printer<W: Write> {
    json: bool,
    out: W,
    printed: bool,
}

impl<W: Write> Printer<W> {
    fn emit(&mut self, t: Traced) -> io::Result<()> {
        self.printed = true;
        match t {
            Traced::Message(m) if self.json => self.message_json(&m),
            Traced::Message(m) => self.message_text(&m),
            Traced::Line(r) => self.emit_lone(&r),
            _ => Ok(()),
        }
    }

    /// Prints a line that belongs to no message.
    fn emit_lone(&mut self, r: &Record) -> io::Result<()> {
        if self.json {
            let trace = TraceJson {
                role: "standalone",
                ..TraceJson::default()
            };
            self.json_line(r, trace)
        } else {
            self.out.write_all(r.raw())?;
            self.out.write_all(b"\n\n")
        }
    }

    fn message_text(&mut self, m: &Message) -> io::Result<()> {
        let o = &mut self.out;
        write!(o, "# message {} ({}", m.id(), m.status.name())?;
        if let Some(t) = m.queue_time() {
            write!(o, ", {}s on queue", t.as_secs_f64())?;
        }
        write!(o, ")")?;
        if let Some(p) = &m.bounce_parent {
            write!(o, " bounce of {p}")?;
        }
        if !m.bounces.is_empty() {
            write!(o, " bounced as {}", m.bounces.join(" "))?;
        }
        for h in &m.next_hops {
            write!(o, " next hop {} for {}", h.message_id, h.recipient)?;
        }
        writeln!(o)?;
        for a in &m.arguments {
            let how = match a.link {
                Link::Adjacent { ambiguous: true } => "adjacent, ambiguous",
                l => l.name(),
            };
            write!(o, "# cwd ({how}): ")?;
            o.write_all(a.record.raw())?;
            writeln!(o)?;
        }
        for r in &m.lines {
            o.write_all(r.raw())?;
            writeln!(o)?;
        }
        writeln!(o)
    }

    fn message_json(&mut self, m: &Message) -> io::Result<()> {
        let group = TraceJson {
            message_id: Some(m.id().as_str()),
            status: Some(m.status.name()),
            bounce_parent: m.bounce_parent.as_deref(),
            ..TraceJson::default()
        };
        for a in &m.arguments {
            let trace = TraceJson {
                role: "arguments",
                link: Some(a.link.name()),
                ambiguous: matches!(a.link, Link::Adjacent { ambiguous: true }),
                ..group
            };
            self.json_line(&a.record, trace)?;
        }
        for r in &m.lines {
            let trace = TraceJson {
                role: "line",
                ..group
            };
            self.json_line(r.record(), trace)?;
        }
        Ok(())
    }

    fn json_line(&mut self, record: &Record, trace: TraceJson<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &LineJson { record, trace })?;
        self.out.write_all(b"\n")
    }
}

/// One `--json` output line: the line's JSON plus `trace` (SCHEMA.md).
#[derive(Serialize)]
struct LineJson<'a> {
    #[serde(flatten)]
    record: &'a Record,
    trace: TraceJson<'a>,
}

/// The grouping keys of a `--json` line.
#[derive(Clone, Copy, Default, Serialize)]
struct TraceJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    ambiguous: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    bounce_parent: Option<&'a str>,
}

/// Runs `exim-log trace`.
pub fn run(args: Args) -> Outcome {
    let opts = Options::new(args)?;
    let pattern = Pattern::new(&opts.patterns, opts.literal, !opts.case_sensitive)
        .map_err(|e| e.to_string())?;
    let trace_opts = TraceOptions::default()
        .invert(opts.invert)
        .min_queue_time(opts.min_queue_time)
        .window(opts.window)
        .assembler(AssemblerOptions::default().memory_budget(opts.budget));
    let mut trace = Trace::new(pattern, trace_opts);
    let mut printer = Printer {
        json: opts.json,
        out: BufWriter::with_capacity(1 << 16, io::stdout().lock()),
        printed: false,
    };
    if opts.follow {
        let [file] = opts.input.files.as_slice() else {
            return Err("--follow needs exactly one file".to_string().into());
        };
        let failed = drive(&mut trace, &mut printer, &mut Follow::new(file), true)?;
        budget_hits(&trace);
        return Ok(end(printer.printed, failed));
    }
    let plan = opts.input.plan()?;
    let show = if opts.json {
        Show::Quiet
    } else {
        Show::Progress
    };
    let mut source = Inputs::new(plan.clone(), show);
    if let Some(units) = opts.threads.plan(&source, 4) {
        let threads = opts.threads.threads();
        // The search's reading on several threads, its assembly on this one.
        trace.first_pass_plan(&units, threads);
        let mut failed = false;
        let mut written = Ok(());
        let lines = trace.run_plan(&units, threads, |item| match item {
            Ok(t) if written.is_ok() => written = printer.emit(t),
            Ok(_) => {}
            Err(e) => {
                outcome::warn(&e);
                failed = true;
            }
        });
        if let Some(lines) = lines {
            written?;
            printer.out.flush()?;
            budget_hits(&trace);
            super::read_elsewhere(&mut source, &units, &lines, &[]);
            failed |= source.check()?;
            return Ok(end(printer.printed, failed));
        }
        // Every line is assembled, in order, on this thread (what the first
        // pass found is queued in the trace).
        let mut failed = drive(&mut trace, &mut printer, &mut source, false)?;
        budget_hits(&trace);
        failed |= source.check()?;
        return Ok(end(printer.printed, failed));
    }
    // Files can be read twice: a regular expression first runs alone over them.
    if !plan.contains(&Named::Stdin) && trace.wants_first_pass() {
        trace.first_pass(&mut Inputs::new(plan, Show::Quiet));
    }
    let mut failed = drive(&mut trace, &mut printer, &mut source, false)?;
    budget_hits(&trace);
    // Input with no Exim line is an error, not "nothing matched".
    failed |= source.check()?;
    Ok(end(printer.printed, failed))
}

/// Says on stderr when the memory budget made the trace give something up
/// (never silently): a message printed in parts, or `cwd=` lines dropped
/// before a wanted line could link to them.
fn budget_hits(trace: &Trace) {
    outcome::budget_hits(&[
        (trace.assembler_memory().hits, "messages printed early"),
        (trace.memory().hits, "times held cwd= lines were dropped"),
    ]);
}

/// Prints everything the trace finds in `source`; true when a read error was
/// met. With `live` (following a log), output is flushed whenever the trace
/// has nothing more queued, so a message shows as soon as it completes.
fn drive<W: Write>(
    trace: &mut Trace,
    printer: &mut Printer<W>,
    source: &mut impl LineSource,
    live: bool,
) -> Result<bool, Error> {
    let mut failed = false;
    while let Some(item) = trace.next(source) {
        match item {
            Ok(t) => printer.emit(t)?,
            Err(e) => {
                outcome::warn(&e);
                failed = true;
            }
        }
        if live && !trace.has_queued() {
            printer.out.flush()?;
        }
    }
    printer.out.flush()?;
    Ok(failed)
}

/// The exit status: errors first, then whether anything was printed.
fn end(printed: bool, failed: bool) -> Status {
    match (printed, failed) {
        (_, true) => Status::Failed,
        (true, false) => Status::Success,
        (false, false) => Status::NothingMatched,
    }
}
