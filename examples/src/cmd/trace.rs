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
//! Searching for message ids (either format, several in one run) takes a fast
//! path: raw bytes are scanned with `memmem` and only lines holding an id are
//! parsed; `cwd=` lines are held back unparsed and handed to the assembler only
//! when a wanted line follows (they may link its arrival). A regex search over
//! files does a first pass with the regex alone over whole buffers to collect
//! the ids of matching lines, then takes the id path (falling back to
//! assembling every line when the regex matches many messages or a `cwd=` line).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use exim_log::assemble::{Assembled, Assembler, AssemblerOptions, Link, Message};
use exim_log::reader::{Follow, LineMatcher, LineSource, Position, Prefilter};
use exim_log::{MessageId, Record, parse_line};
use serde::Serialize;

use crate::input::{InputArgs, Named, Show, Source as Inputs};
use crate::outcome::{self, Error, Outcome, Status};
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
        })
    }
}

/// Decides whether a line matches.
enum Matcher {
    /// Exact bytes: message ids, or `-l -I`.
    Literal(Prefilter),
    Regex(regex::bytes::Regex),
}

impl Matcher {
    fn new(o: &Options) -> Result<Self, String> {
        let is_id = |p: &String| MessageId::parse(p.as_bytes()).is_some();
        if o.patterns
            .iter()
            .all(|p| is_id(p) || (o.literal && o.case_sensitive))
        {
            return Ok(Matcher::Literal(Prefilter::new(&o.patterns)));
        }
        let alternatives: Vec<String> = o
            .patterns
            .iter()
            .map(|p| {
                if o.literal || is_id(p) {
                    regex::escape(p)
                } else {
                    format!("(?:{p})")
                }
            })
            .collect();
        // Ids stay case-sensitive inside a case-insensitive regex.
        let case = |p: &String, r: String| {
            if is_id(p) || o.case_sensitive {
                format!("(?-i:{r})")
            } else {
                r
            }
        };
        let joined: Vec<String> = o
            .patterns
            .iter()
            .zip(alternatives)
            .map(|(p, r)| case(p, r))
            .collect();
        let re = format!("(?i){}", joined.join("|"));
        // Multi-line and CRLF modes: `^` and `$` mean the same in a read buffer as
        // in one line, which the buffer-wide search of the first pass relies on.
        regex::bytes::RegexBuilder::new(&re)
            .multi_line(true)
            .crlf(true)
            .build()
            .map(Matcher::Regex)
            .map_err(|e| e.to_string())
    }

    fn is_match(&self, line: &[u8]) -> bool {
        match self {
            Matcher::Literal(f) => f.is_match(line),
            Matcher::Regex(r) => r.is_match(line),
        }
    }
}

/// A regular expression searched over whole read buffers (first pass).
struct RegexLines<'a>(&'a regex::bytes::Regex);

impl LineMatcher for RegexLines<'_> {
    fn find(&self, haystack: &[u8]) -> Option<usize> {
        self.0.find(haystack).map(|m| m.start())
    }

    fn is_match(&self, line: &[u8]) -> bool {
        self.0.is_match(line)
    }
}

struct Tracer<W: Write> {
    opts: Options,
    matcher: Matcher,
    out: W,
    printed: bool,
    /// False when the first pass already printed the lone matching lines.
    print_lone: bool,
}

impl<W: Write> Tracer<W> {
    fn message_matches(&self, m: &Message) -> bool {
        m.lines.iter().any(|r| self.matcher.is_match(r.raw()))
            || m.arguments
                .iter()
                .any(|a| self.matcher.is_match(a.record.raw()))
    }

    fn emit(&mut self, a: Assembled) -> io::Result<()> {
        match a {
            Assembled::Message(m) => {
                if self.message_matches(&m) == self.opts.invert {
                    return Ok(());
                }
                if let Some(min) = self.opts.min_queue_time
                    && m.queue_time().is_none_or(|t| t.as_secs_f64() < min)
                {
                    return Ok(());
                }
                if !m.lines.iter().any(|r| self.in_window(r)) {
                    return Ok(());
                }
                self.printed = true;
                if self.opts.json {
                    self.message_json(&m)
                } else {
                    self.message_text(&m)
                }
            }
            Assembled::Line(r) => {
                if !self.print_lone || self.matcher.is_match(r.raw()) == self.opts.invert {
                    return Ok(());
                }
                self.emit_lone(&r)
            }
            _ => Ok(()),
        }
    }

    /// True when the line is inside the `--since`/`--until` window (always
    /// without one; never for a line without a timestamp with one).
    fn in_window(&self, r: &Record) -> bool {
        let w = &self.opts.window;
        if w.since.is_none() && w.until.is_none() {
            return true;
        }
        parse_line(r.raw()).is_ok_and(|l| w.contains(&l.timestamp))
    }

    /// Prints a line that belongs to no message (not with `-t`: it has no queue time).
    fn emit_lone(&mut self, r: &Record) -> io::Result<()> {
        if self.opts.min_queue_time.is_some() || !self.in_window(r) {
            return Ok(());
        }
        self.printed = true;
        if self.opts.json {
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
        write!(o, "# message {} ({}", m.id, m.status.name())?;
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
            message_id: Some(&m.id),
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
            self.json_line(r, trace)?;
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

/// The needles of the fast path, or `None` when every line must be assembled.
fn fast_path(o: &Options, m: &Matcher) -> Option<FastPath> {
    match m {
        Matcher::Literal(f) if !o.invert => Some(FastPath::new(f.clone())),
        _ => None,
    }
}

/// A line held back, unparsed: its bytes and position.
type Held = (Vec<u8>, Position);

/// Most `cwd=` lines held back at once (a memory bound: about 10 MB of lines).
const HELD_MAX: usize = 1 << 16;

/// The id fast path. The reader skips every line that holds neither a wanted
/// needle (an id) nor `cwd=`. `cwd=` lines are needed to link a submission to
/// the script that made it (by pid or adjacency), but on a shared host they are
/// a large share of the log (one per Exim process) and almost none link to a
/// wanted message. So a `cwd=` line without a wanted needle is held back
/// unparsed and is given to the assembler only when a wanted line comes (an
/// arrival it may link to); until then it costs a copy, not a parse, an
/// allocation and a trip through the assembler. Lines older than the
/// assembler's linking windows are dropped, as the assembler itself would.
struct FastPath {
    /// The needles of the lines wanted (ids, or `-l -I` strings).
    wanted: Prefilter,
    /// `wanted` and `cwd=`: what the reader stops at.
    read: Prefilter,
    held: VecDeque<Held>,
    /// Spare line buffers (no allocation per held line).
    spare: Vec<Vec<u8>>,
    /// Held lines older than this many seconds before the newest can link nothing.
    max_age: i64,
    /// Prune the held lines when there are this many.
    prune_at: usize,
}

impl FastPath {
    fn new(wanted: Prefilter) -> Self {
        let mut read = wanted.clone();
        read.add("cwd=");
        let opts = AssemblerOptions::default();
        FastPath {
            wanted,
            read,
            held: VecDeque::new(),
            spare: Vec::new(),
            max_age: opts.pid_max_age.max(opts.adjacency_seconds),
            prune_at: 1024,
        }
    }

    /// Wants the lines of one more message (a bounce's parent, ...).
    fn add(&mut self, needle: &str) {
        self.wanted.add(needle);
        self.read.add(needle);
    }

    /// Keeps the line in `buf` (taking its buffer) for a later [`FastPath::flush`].
    fn hold(&mut self, buf: &mut Vec<u8>, pos: Position) {
        let spare = self.spare.pop().unwrap_or_default();
        self.held.push_back((std::mem::replace(buf, spare), pos));
        if self.held.len() >= self.prune_at {
            self.prune();
            self.prune_at = (2 * self.held.len()).max(1024);
        }
    }

    /// Drops the held lines too old to link to anything still to come: a log is
    /// in time order, so a binary search parses a few lines, not all of them.
    fn prune(&mut self) {
        let time = |h: &Held| parse_line(&h.0).ok().map(|l| l.timestamp.unix_seconds());
        let Some(newest) = self.held.back().and_then(time) else {
            return;
        };
        let old = self
            .held
            .partition_point(|h| time(h).is_some_and(|t| newest - t > self.max_age));
        let old = old.max(self.held.len().saturating_sub(HELD_MAX));
        for (mut raw, ..) in self.held.drain(..old) {
            if self.spare.len() < 64 {
                raw.clear();
                self.spare.push(raw);
            }
        }
    }

    /// Gives every held line to the assembler, in log order.
    fn flush(&mut self, asm: &mut Assembler) {
        for (raw, pos) in self.held.drain(..) {
            asm.push(Record::new(raw, pos));
        }
    }
}

/// Above this many matching messages, or lone matching lines, the first pass
/// gives up and every line is assembled instead.
const FIRST_PASS_MAX_IDS: usize = 64;
const FIRST_PASS_MAX_LONE: usize = 10_000;

/// What the first pass of a regex search over files found.
enum FirstPass {
    /// The ids of the messages with a matching line, the matching lines that
    /// belong to no message, and the read errors (to report if no second pass).
    Found {
        ids: Vec<String>,
        lone: Vec<Record>,
        errors: Vec<String>,
    },
    /// Too many matches, or a matching `cwd=` line (its messages are known only
    /// by assembling): assemble everything.
    Assemble,
}

/// A regex search over files reads them twice when that is cheaper: first the
/// regex alone runs over whole buffers to collect the ids of matching lines
/// (exigrep's "any line matches" rule), then the id fast path prints those
/// messages whole. Parsing every line is then avoided.
fn first_pass(inputs: &[Named], re: &regex::bytes::Regex) -> FirstPass {
    let mut src = Inputs::new(inputs.to_vec(), Show::Quiet);
    let (mut ids, mut lone, mut errors) = (Vec::<String>::new(), Vec::new(), Vec::new());
    let mut buf = Vec::new();
    loop {
        let pos = match src.read_matching_line_by(&RegexLines(re), &mut buf) {
            Ok(Some(pos)) => pos,
            Ok(None) => break,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        match parse_line(&buf) {
            Ok(line) if line.text().as_bytes().starts_with(b"cwd=") => {
                return FirstPass::Assemble;
            }
            Ok(line) if line.message_id.is_some() => {
                let id = line.message_id.map(|i| i.as_str()).unwrap_or_default();
                if !ids.iter().any(|i| i == id) {
                    ids.push(id.to_string());
                }
                if ids.len() > FIRST_PASS_MAX_IDS {
                    return FirstPass::Assemble;
                }
            }
            _ => {
                lone.push(Record::new(std::mem::take(&mut buf), pos));
                if lone.len() > FIRST_PASS_MAX_LONE {
                    return FirstPass::Assemble;
                }
            }
        }
    }
    FirstPass::Found { ids, lone, errors }
}

/// Runs `exim-log trace`.
pub fn run(args: Args) -> Outcome {
    let opts = Options::new(args)?;
    let matcher = Matcher::new(&opts)?;
    let mut fast = fast_path(&opts, &matcher);
    let plan = if opts.follow {
        Vec::new()
    } else {
        opts.input.plan()?
    };
    let show = if opts.json {
        Show::Quiet
    } else {
        Show::Progress
    };
    let mut tracer = Tracer {
        opts,
        matcher,
        out: BufWriter::with_capacity(1 << 16, io::stdout().lock()),
        printed: false,
        print_lone: true,
    };
    let o = &tracer.opts;
    let rereadable = !plan.contains(&Named::Stdin);
    let first = match &tracer.matcher {
        Matcher::Regex(re) if !(o.invert || o.follow) && rereadable => first_pass(&plan, re),
        _ => FirstPass::Assemble,
    };
    let mut failed = false;
    if let FirstPass::Found { ids, lone, errors } = first {
        for r in &lone {
            tracer.emit_lone(r)?;
        }
        if ids.is_empty() {
            for e in &errors {
                outcome::warn(e);
            }
            tracer.out.flush()?;
            if !tracer.printed {
                // Nothing matched: was there anything to match?
                Inputs::new(plan, Show::Quiet).check()?;
            }
            return Ok(end(tracer.printed, !errors.is_empty()));
        }
        fast = Some(FastPath::new(Prefilter::new(&ids)));
        tracer.print_lone = false;
    }
    match tracer.opts.input.files.as_slice() {
        [file] if tracer.opts.follow => {
            let mut source = Follow::new(file);
            failed |= drive(&mut tracer, fast, &mut source)?;
        }
        _ => {
            let mut source = Inputs::new(plan, show);
            failed |= drive(&mut tracer, fast, &mut source)?;
            // Input with no Exim line is an error, not "nothing matched".
            failed |= source.check()?;
        }
    }
    Ok(end(tracer.printed, failed))
}

/// Reads `source` to its end through the assembler, printing as messages
/// complete; true when a read error was met.
fn drive<W: Write>(
    tracer: &mut Tracer<W>,
    mut fast: Option<FastPath>,
    source: &mut impl LineSource,
) -> Result<bool, Error> {
    let mut failed = false;
    let mut asm = Assembler::new();
    let mut buf = Vec::with_capacity(4096);
    loop {
        let next = match fast.as_ref() {
            Some(f) => source.read_matching_line(&f.read, &mut buf),
            None => source.read_line(&mut buf),
        };
        let pos = match next {
            Ok(Some(pos)) => pos,
            Ok(None) => break,
            Err(e) => {
                outcome::warn(&e);
                failed = true;
                continue;
            }
        };
        if let Some(f) = fast.as_mut() {
            if !f.wanted.is_match(&buf) {
                // A `cwd=` line only: it matters if a wanted arrival follows.
                f.hold(&mut buf, pos);
                continue;
            }
            f.flush(&mut asm);
            if tracer.matcher.is_match(&buf)
                && let Ok(line) = parse_line(&buf)
                && let Some(id) = line.message_id
            {
                // A line that matches but belongs to another message (a bounce's
                // `R=parent`): gather that message's other lines too, as exigrep does.
                f.add(id.as_str());
            }
        }
        asm.push(Record::new(std::mem::take(&mut buf), pos));
        let mut emitted = false;
        while let Some(a) = asm.pop() {
            tracer.emit(a)?;
            emitted = true;
        }
        if emitted && tracer.opts.follow {
            // Live output: do not sit on a completed message until the buffer fills.
            tracer.out.flush()?;
        }
    }
    asm.finish();
    while let Some(a) = asm.pop() {
        tracer.emit(a)?;
    }
    tracer.out.flush()?;
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
