//! The `exigrep` job, done right: every line of the messages that have a line
//! matching a pattern, grouped per message, with the `cwd=... args:` line of
//! the process that submitted it, its bounce parent, bounces and next hops.
//!
//! One engine for the `exim-log trace` command and Python's
//! `exim_log.trace()`: a [`Trace`] reads any [`LineSource`] (files, a rotated
//! set, stdin, a followed file) and yields [`Traced`] messages and lone lines.
//!
//! * A message is yielded when any of its lines, or a `cwd=` line linked to
//!   it, matches ([`Pattern`]); with [`TraceOptions::invert`], when none does.
//!   A line that belongs to no message is yielded alone when it matches.
//! * **Ids fast path.** Searching for message ids (either format, several in
//!   one run) or literal case-sensitive strings scans raw bytes with `memmem`
//!   and parses only the lines holding an id; `cwd=` lines are held back
//!   unparsed and handed to the assembler only when a wanted line follows
//!   (they may link its arrival). A line that matches but carries another
//!   message's id (a bounce's `R=parent`) adds that message, as `exigrep` does.
//!   The fast path does not see other messages' arrivals, so without `+pid`
//!   a held `cwd=` line that such an arrival took can be linked by adjacency
//!   to a wanted local arrival within the window (the heuristic's known
//!   limits, see [`crate::assemble`]); with `+pid` the link is exact.
//! * **First pass.** A regular expression over input that can be read twice
//!   ([`Trace::first_pass`]) first runs alone over whole read buffers to
//!   collect the ids of matching lines, then takes the id path; it falls back
//!   to assembling every line when the pattern matches many messages or a
//!   `cwd=` line.
//!
//! ```
//! use exim_log::reader::LogReader;
//! use exim_log::trace::{Pattern, Trace, TraceOptions, Traced};
//!
//! let log = b"\
//! 2026-11-25 10:00:00 cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i
//! 2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= shop@example.com U=shop P=local S=900
//! 2026-11-25 10:00:00 1sAoM6-0000000AAAA-0000 <= other@example.com U=other P=local S=100
//! 2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq => a@example.org R=dnslookup T=remote_smtp
//! 2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed
//! ";
//! let pattern = Pattern::new(&["1sAoM5-00000009r3p-06vq"], false, true)?;
//! let mut trace = Trace::new(pattern, TraceOptions::default());
//! let mut src = LogReader::new(&log[..]);
//! let Some(Ok(Traced::Message(m))) = trace.next(&mut src) else { panic!() };
//! assert_eq!(m.lines.len(), 3);
//! assert!(m.submission().is_some()); // the cwd= line, linked by adjacency
//! assert!(trace.next(&mut src).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod fast;
mod parallel;
mod pattern;

use std::collections::VecDeque;

use crate::assemble::{Assembled, Assembler, AssemblerOptions, Message};
use crate::budget::MemoryUse;
use crate::line::parse_line;
use crate::reader::{LineMatcher, LineSource, Position, Prefilter, ReadError, Record};
use crate::report::TimeWindow;

use fast::FastPath;
pub use pattern::{Pattern, PatternError, is_id};

/// Above this many matching messages, the first pass gives up and every line
/// is assembled instead (the id path then costs more than it saves).
const FIRST_PASS_MAX_IDS: usize = 64;
/// Above this many matching lines that belong to no message, likewise.
const FIRST_PASS_MAX_LONE: usize = 10_000;

/// What is yielded besides the matching messages and lines.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct TraceOptions {
    /// Yield the messages (and lone lines) that do NOT match.
    pub invert: bool,
    /// Only messages at least this many seconds on the queue (`Completed QT=`,
    /// or first to last line); lone lines are then not yielded.
    pub min_queue_time: Option<f64>,
    /// Only messages with a line inside the window (then whole), and lone
    /// lines inside it.
    pub window: TimeWindow,
    /// How messages are assembled.
    pub assembler: AssemblerOptions,
}

impl TraceOptions {
    /// Yield what does not match (`exigrep -v`).
    pub fn invert(mut self, invert: bool) -> Self {
        self.invert = invert;
        self
    }

    /// Only messages at least `seconds` on the queue (`exigrep -t`).
    pub fn min_queue_time(mut self, seconds: Option<f64>) -> Self {
        self.min_queue_time = seconds;
        self
    }

    /// Only what has a line inside `window` (`--since`/`--until`).
    pub fn window(mut self, window: TimeWindow) -> Self {
        self.window = window;
        self
    }

    /// Assembles with these options.
    pub fn assembler(mut self, opts: AssemblerOptions) -> Self {
        self.assembler = opts;
        self
    }
}

/// One result of a [`Trace`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Traced {
    /// A message with every line carrying its id and its links.
    Message(Box<Message>),
    /// A matching line that belongs to no message.
    Line(Record),
}

/// Where a trace is in its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Reading,
    /// Everything was read and assembled; what is queued is the rest.
    Done,
}

/// The trace engine: see the [module documentation](self).
#[derive(Debug)]
pub struct Trace {
    /// Shared with the threads of [`Trace::run_plan`].
    pattern: std::sync::Arc<Pattern>,
    opts: TraceOptions,
    fast: Option<FastPath>,
    asm: Assembler,
    /// False when the first pass already gave the lone matching lines.
    lone: bool,
    out: VecDeque<Result<Traced, ReadError>>,
    buf: Vec<u8>,
    state: State,
}

impl Trace {
    /// A trace of `pattern`. Literal patterns (ids) take the fast path unless
    /// [`TraceOptions::invert`] is set (every message is then needed).
    pub fn new(pattern: Pattern, opts: TraceOptions) -> Self {
        let fast = match pattern.literals() {
            Some(p) if !opts.invert => Some(FastPath::new(p.clone(), &opts.assembler)),
            _ => None,
        };
        Trace {
            asm: Assembler::with_options(opts.assembler.clone()),
            pattern: std::sync::Arc::new(pattern),
            opts,
            fast,
            lone: true,
            out: VecDeque::new(),
            buf: Vec::with_capacity(4096),
            state: State::Reading,
        }
    }

    /// The pattern.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// True when the first pass applies: a pattern that is not literal (a
    /// regular expression or the caller's matcher) and no `invert`.
    pub fn wants_first_pass(&self) -> bool {
        self.fast.is_none() && !self.opts.invert && self.state == State::Reading
    }

    /// The first pass of a search over input that can be read twice: the
    /// pattern alone runs over `src`'s read buffers and collects the ids of
    /// the messages with a matching line. When they are few (and no `cwd=`
    /// line matched), the trace then reads only those messages' lines (the id
    /// fast path) when [`Trace::next`] is given the same input again from its
    /// start; the lone matching lines found are queued now. Returns true when
    /// the search was narrowed so; false when every line will be assembled
    /// (nothing is queued then). Does nothing and returns false when
    /// [`Trace::wants_first_pass`] is false.
    ///
    /// When no message matched, the trace is complete after this pass (its
    /// read errors are queued) and [`Trace::next`] reads nothing.
    pub fn first_pass(&mut self, src: &mut impl LineSource) -> bool {
        if !self.wants_first_pass() {
            return false;
        }
        match first_scan(&self.pattern, src, &|| false) {
            Some(found) => self.narrow(found),
            None => false,
        }
    }

    /// Takes what the first pass found: queues the lone lines (and, when no
    /// message matched, the read errors: the trace is then complete), and
    /// makes the trace read only the lines of the messages found.
    fn narrow(&mut self, found: FirstScan) -> bool {
        let FirstScan { ids, lone, errors } = found;
        for r in lone {
            if self.lone_wanted(&r) {
                self.out.push_back(Ok(Traced::Line(r)));
            }
        }
        self.lone = false;
        if ids.is_empty() {
            // Nothing more to find: the errors of this pass are the only ones.
            self.out.extend(errors.into_iter().map(Err));
            self.state = State::Done;
        } else {
            // The second pass meets the same errors again.
            self.fast = Some(FastPath::new(Prefilter::new(&ids), &self.opts.assembler));
        }
        true
    }

    /// The next message or lone line, reading `src` as far as needed; `None`
    /// at the end of the input. A read error is given in its place and the
    /// trace goes on.
    pub fn next(&mut self, src: &mut impl LineSource) -> Option<Result<Traced, ReadError>> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            if self.state == State::Done {
                return None;
            }
            self.step(src);
        }
    }

    /// True when a result is queued: [`Trace::next`] gives it without reading.
    /// (A follower flushes its output when nothing is queued, before the next
    /// read may wait for the log to grow.)
    pub fn has_queued(&self) -> bool {
        !self.out.is_empty()
    }

    /// The ledger of the `cwd=` lines the id fast path holds back unparsed
    /// (empty without the fast path): they keep within half of
    /// [`AssemblerOptions::memory_budget`] (the assembler, which gets them
    /// when a wanted line comes, needs room too), the oldest dropped first;
    /// `hits` counts how often that happened.
    pub fn memory(&self) -> MemoryUse {
        match &self.fast {
            Some(f) => f.mem,
            None => MemoryUse::new(self.opts.assembler.memory_budget.share(2)),
        }
    }

    /// The assembler's ledger ([`Assembler::memory`]): the messages in
    /// flight, within the same budget.
    pub fn assembler_memory(&self) -> MemoryUse {
        self.asm.memory()
    }

    /// Reads one line (or the end) of `src` and queues what it completes.
    fn step(&mut self, src: &mut impl LineSource) {
        let next = match &self.fast {
            Some(f) => src.read_matching_line(&f.read, &mut self.buf),
            None => src.read_line(&mut self.buf),
        };
        match next {
            Ok(Some(pos)) => self.take_line(pos),
            Ok(None) => self.end(),
            Err(e) => self.out.push_back(Err(e)),
        }
    }

    /// Everything was read: queues what the assembler still holds.
    fn end(&mut self) {
        self.asm.finish();
        self.drain();
        self.state = State::Done;
    }

    /// Takes the line just read into `self.buf` (at `pos`) and queues what
    /// it completes.
    fn take_line(&mut self, pos: Position) {
        if let Some(f) = self.fast.as_mut() {
            if !f.wants(&self.buf) {
                // A `cwd=` line only: it matters if a wanted arrival follows.
                f.hold(&mut self.buf, pos);
                return;
            }
            f.flush(&mut self.asm);
            if let Some(id) = other_id(&self.pattern, &self.buf) {
                // A line that matches but belongs to another message (a bounce's
                // `R=parent`): gather that message's other lines too.
                f.add(&id);
            }
        }
        self.asm
            .push(Record::new(std::mem::take(&mut self.buf), pos));
        self.drain();
    }

    /// Queues what the assembler completed and the options keep.
    fn drain(&mut self) {
        while let Some(a) = self.asm.pop() {
            match a {
                Assembled::Message(m) => {
                    if self.message_wanted(&m) {
                        self.out.push_back(Ok(Traced::Message(Box::new(m))));
                    }
                }
                Assembled::Line(r) => {
                    if self.lone
                        && self.pattern.is_match(r.raw()) != self.opts.invert
                        && self.lone_wanted(&r)
                    {
                        self.out.push_back(Ok(Traced::Line(r)));
                    }
                }
            }
        }
    }

    fn message_wanted(&self, m: &Message) -> bool {
        let matches = m.lines.iter().any(|r| self.pattern.is_match(r.raw()))
            || m.arguments
                .iter()
                .any(|a| self.pattern.is_match(a.record.raw()));
        if matches == self.opts.invert {
            return false;
        }
        if let Some(min) = self.opts.min_queue_time
            && queue_seconds(m).is_none_or(|t| t < min)
        {
            return false;
        }
        let w = &self.opts.window;
        (w.since.is_none() && w.until.is_none())
            || m.lines.iter().any(|l| w.contains(&l.timestamp()))
    }

    /// A lone line is kept when inside the window, and never with a minimum
    /// queue time (it has none).
    fn lone_wanted(&self, r: &Record) -> bool {
        self.opts.min_queue_time.is_none() && self.in_window(r)
    }

    /// True when the line is inside the window (always without one; never
    /// for a line without a timestamp with one).
    fn in_window(&self, r: &Record) -> bool {
        let w = &self.opts.window;
        if w.since.is_none() && w.until.is_none() {
            return true;
        }
        parse_line(r.raw()).is_ok_and(|l| w.contains(&l.timestamp))
    }
}

/// The id of a line that `pattern` matches, if it has one: the id path
/// then wants that message's lines too.
fn other_id(pattern: &Pattern, line: &[u8]) -> Option<String> {
    if !pattern.is_match(line) {
        return None;
    }
    let parsed = parse_line(line).ok()?;
    parsed.message_id.map(|id| id.as_str().to_string())
}

/// What the first pass found in its input: the ids of the messages with a
/// matching line (in order of first match), the matching lines of no
/// message, and the read errors.
#[derive(Debug, Default)]
struct FirstScan {
    ids: Vec<String>,
    lone: Vec<Record>,
    errors: Vec<ReadError>,
}

/// The first pass over `src`: `None` when it gives up (a matching `cwd=`
/// line, too many ids or lone lines: every line must then be assembled),
/// or when `stop()` says another thread gave up.
fn first_scan(
    pattern: &Pattern,
    src: &mut impl LineSource,
    stop: &dyn Fn() -> bool,
) -> Option<FirstScan> {
    let mut found = FirstScan::default();
    let mut buf = Vec::new();
    loop {
        if stop() {
            return None;
        }
        let pos = match src.read_matching_line_by(pattern, &mut buf) {
            Ok(Some(pos)) => pos,
            Ok(None) => return Some(found),
            Err(e) => {
                found.errors.push(e);
                continue;
            }
        };
        match parse_line(&buf) {
            // Which message a `cwd=` line links to is known only by assembling.
            Ok(line) if line.text().as_bytes().starts_with(b"cwd=") => return None,
            Ok(line) if line.message_id.is_some() => {
                let id = line.message_id.map(|i| i.as_str()).unwrap_or_default();
                if !found.ids.iter().any(|i| i == id) {
                    found.ids.push(id.to_string());
                }
                if found.ids.len() > FIRST_PASS_MAX_IDS {
                    return None;
                }
            }
            _ => {
                found.lone.push(Record::new(std::mem::take(&mut buf), pos));
                if found.lone.len() > FIRST_PASS_MAX_LONE {
                    return None;
                }
            }
        }
    }
}

/// A message's time on the queue in seconds.
fn queue_seconds(m: &Message) -> Option<f64> {
    m.queue_time().map(|t| t.as_secs_f64())
}
