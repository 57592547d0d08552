//! The [`Assembler`]: lines in, messages out, with the `cwd=` link by id,
//! pid or adjacency, bounce parents and next hops.

use std::collections::VecDeque;
use std::sync::Arc;

use super::line::{ArgsSpans, LineFacts, MessageLine};
use super::{
    Assembled, AssemblerOptions, Link, LinkedArguments, Message, Messages, NextHop, Status,
};
use crate::ParseError;
use crate::budget::MemoryUse;
use crate::event::{Arguments, Event, Flag};
use crate::hash::{Map, Set};
use crate::line::{LogLine, parse_line};
use crate::message_id::{IdBuf, MessageId};
use crate::reader::{Position, ReadError, Record};
use crate::report::LogClock;
use crate::{LogDuration, Timestamp};

/// Bytes counted for a message in flight besides its lines: the boxed
/// `Message` and its table slot, its order entry, its id's copies, the first
/// allocation of its vectors (generous: allocator rounding). With these, peak
/// RSS stayed under 64 MB on ten lines naming 20,000 ids each (release build).
const MESSAGE_OVERHEAD: usize = 2 * std::mem::size_of::<Message>() + 256;
/// Bytes counted per args line held besides its text: the `Record` in its
/// `Arc`, its entry in the table of shared lines and, while it waits for an
/// arrival, its `Pending` slot and its pid's entry: twice each, as queues
/// and tables grow by doubling (tests/memory_ledger.rs measures the heap).
const LINE_OVERHEAD: usize =
    2 * (std::mem::size_of::<Record>() + std::mem::size_of::<Pending>()) + 64;
/// Bytes counted per message line held besides its text (the `MessageLine`:
/// record and facts, twice, as above).
const MESSAGE_LINE_OVERHEAD: usize = 2 * std::mem::size_of::<MessageLine>();
/// Bytes counted per link to an args line (the line itself is counted once,
/// however many messages share it).
pub(super) const LINK_OVERHEAD: usize = 2 * std::mem::size_of::<LinkedArguments>();
/// Bytes counted for message `id` in flight besides its lines (see
/// [`MESSAGE_OVERHEAD`]; the id is held twice, as the table's key and in
/// the order queue).
fn message_bytes(id: &IdBuf) -> usize {
    MESSAGE_OVERHEAD + 2 * id.byte_len()
}

/// Most ids remembered as flushed early, to mark their next lines
/// [`Message::continued`].
const EVICTED_MEMORY: usize = 4096;

/// An args line waiting for the arrival it belongs to.
#[derive(Debug)]
struct Pending {
    record: Arc<Record>,
    spans: ArgsSpans,
    delivery: bool,
    time: i64,
    pid: Option<u32>,
    used: bool,
    /// `-bs` / `-bS`: one process, many messages.
    batch: bool,
}

/// Groups records into messages; see the module docs for rules and limits.
#[derive(Debug)]
pub struct Assembler {
    opts: AssemblerOptions,
    /// Boxed: the table keeps spare slots (it never shrinks), which should
    /// cost a pointer each, not a message.
    in_flight: Map<IdBuf, (u64, Box<Message>)>,
    /// First-line order of the messages in flight, for eviction: (sequence
    /// number, id), oldest first. A message that leaves the table stays here
    /// until it reaches the front or a compaction (its number no longer
    /// matches the table's), so completing a message costs no search; at
    /// most about twice the messages in flight are listed
    /// ([`Assembler::compact_order`]).
    order: VecDeque<(u64, IdBuf)>,
    seq: u64,
    pending: VecDeque<Pending>,
    /// Sequence number of `pending.front()`; entries are numbered consecutively.
    pending_base: u64,
    /// For each pid, the sequence number of its latest pending args line, so the
    /// pid rule is a lookup rather than a scan of the queue.
    by_pid: Map<u32, u64>,
    out: VecDeque<Assembled>,
    /// Bytes held against [`AssemblerOptions::memory_budget`].
    mem: MemoryUse,
    /// Args lines held (by address of their `Arc`): their size and how many
    /// holders in the assembler (the pending queue, messages in flight) share
    /// them, so a line is counted once and released with its last holder.
    shared: Map<usize, (usize, usize)>,
    /// Ids flushed early, oldest first (at most [`EVICTED_MEMORY`]).
    evicted: VecDeque<IdBuf>,
    evicted_set: Set<IdBuf>,
    /// Working on one part of a log ([`crate::parallel`]): bounces whose
    /// parent is not in flight here, with the bounce's `<=` line position,
    /// for the parent's part to take (at most [`MAX_UNRESOLVED`]).
    unresolved: Option<Vec<(String, String, crate::reader::Position)>>,
    /// Lines' times in seconds, the day's part remembered.
    clock: Clock,
}

/// The record a kept line becomes: its bytes without the line ending.
fn kept(raw: &[u8], position: Position) -> Record {
    Record::new(crate::line::trim_line_ending(raw).to_vec(), position)
}

/// A message line as the assembler is given it: owned, or (lean mode,
/// [`AssemblerOptions::keep_lines`] off) only where it was read.
enum LineIn {
    Record(Record),
    Position(Position),
}

impl LineIn {
    fn position(&self) -> &Position {
        match self {
            LineIn::Record(r) => r.position(),
            LineIn::Position(p) => p,
        }
    }
}

/// Which message lines [`Assembler::push_parsed_as`] copies.
#[derive(Clone, Copy)]
enum Keep<'a> {
    /// As [`AssemblerOptions::keep_lines`] says.
    Options,
    /// Those of messages that may continue one of an earlier part of the
    /// log, or whose id is in the set ([`Assembler::push_parsed_part`]).
    Continuations(Option<&'a std::collections::HashSet<String>>),
}

/// Most bounces without a parent in flight remembered in one part of a log.
const MAX_UNRESOLVED: usize = 1 << 16;

/// What one message line contributes, extracted before the record moves.
pub(super) struct Facts {
    pub(super) id: IdBuf,
    /// What the message's line keeps of the parse (left empty when the
    /// line is not kept, [`AssemblerOptions::keep_lines`]; not an `Option`:
    /// wrapping it cost a copy of it per line, callgrind).
    pub(super) line: LineFacts,
    pub(super) time: i64,
    pub(super) timestamp: Option<Timestamp>,
    pub(super) queue_time: Option<LogDuration>,
    pub(super) pid: Option<u32>,
    pub(super) arrival: Option<ArrivalFacts>,
    pub(super) next_hop: Option<NextHop>,
    pub(super) completed: bool,
}

/// What an args line contributes.
pub(super) struct ArgsFacts {
    pub(super) time: i64,
    pub(super) pid: Option<u32>,
    /// Message ids named in the args (`-Mc ID`).
    pub(super) named: Vec<IdBuf>,
    pub(super) submission: bool,
    pub(super) batch: bool,
    pub(super) spans: ArgsSpans,
    pub(super) delivery: bool,
}

/// The part of a parsed line the assembler acts on.
// `Message` carries the line's facts (an arrival's spans make it the large
// variant); a `Kind` lives from `classify` to `push` only, and boxing it would
// cost an allocation per line.
#[allow(clippy::large_enum_variant)]
pub(super) enum Kind {
    Arguments(ArgsFacts),
    Message(Facts),
    /// No message id, or no valid prefix (`time` is `None` then).
    Other {
        time: Option<i64>,
    },
}

/// What assembly needs of a parsed line, `time` its
/// [`Timestamp::unix_seconds`], so the record can move into its message;
/// what it keeps of `raw` are offsets, which stay true in a copy of it.
fn classify_parsed(raw: &[u8], line: &LogLine<'_>, time: i64, keep: bool) -> Kind {
    if let Event::Arguments(args) = &line.event {
        return Kind::Arguments(args_facts(raw, line, args, time));
    }
    match line.message_id.and_then(|id| IdBuf::new(id.as_bytes())) {
        Some(id) => Kind::Message(message_facts(raw, line, id, time, keep)),
        None => Kind::Other { time: Some(time) },
    }
}

/// What an args line (`line`, whose event is `args`) gives the assembler.
fn args_facts(raw: &[u8], line: &LogLine<'_>, args: &Arguments<'_>, time: i64) -> ArgsFacts {
    // One pass over the args for the ids, `-bs`/`-bS`, `-Mc` and whether
    // it submits (a second pass cost about 200 instructions a line).
    let (mut named, mut batch, mut delivery) = (Vec::new(), false, false);
    let mut submission = Submission::default();
    for (i, a) in args.args.iter().enumerate() {
        let a = a.raw();
        batch |= matches!(a, b"-bs" | b"-bS");
        delivery |= a == b"-Mc";
        named.extend(MessageId::parse(a).and_then(|id| IdBuf::new(id.as_bytes())));
        if i > 0 {
            submission.arg(a);
        }
    }
    ArgsFacts {
        time,
        pid: line.pid,
        named,
        submission: submission.submits(),
        batch,
        // Where cwd= and the args lie (their Texts borrow from the line).
        spans: ArgsSpans::of(raw, args),
        delivery,
    }
}

/// What a line of message `id` gives the assembler (`keep`: and what its
/// [`MessageLine`] keeps).
fn message_facts(raw: &[u8], line: &LogLine<'_>, id: IdBuf, time: i64, keep: bool) -> Facts {
    Facts {
        id,
        line: if keep {
            LineFacts::of(raw, line)
        } else {
            LineFacts::empty(line.timestamp)
        },
        time,
        timestamp: Some(line.timestamp),
        queue_time: match &line.event {
            Event::Completed(c) => c.queue_time,
            _ => None,
        },
        pid: line.pid,
        arrival: match &line.event {
            Event::Arrival(a) => Some(ArrivalFacts {
                local: a.host.is_none(),
                bounce_parent: a.bounce_parent.map(|p| p.as_str().to_string()),
                received: line.flag == Some(Flag::Arrival),
            }),
            _ => None,
        },
        next_hop: match &line.event {
            Event::Delivery(d) => next_hop_id(d.confirmation.map(|c| c.raw())).map(|nh| NextHop {
                recipient: d.address.to_string_lossy().into_owned(),
                message_id: nh,
            }),
            _ => None,
        },
        completed: matches!(line.event, Event::Completed(_)),
    }
}

/// [`Timestamp::unix_seconds`] with the day's part remembered: a log is in
/// time order, so nearly every line falls on the day of the line before
/// (the whole conversion cost about 50 instructions a line, callgrind).
#[derive(Debug, Default)]
pub(super) struct Clock(LogClock);

impl Clock {
    pub(super) fn seconds(&mut self, t: &Timestamp) -> i64 {
        // `unix_seconds` is the wall-clock seconds less the logged offset.
        self.0.seconds(t) - i64::from(t.utc_offset_minutes.unwrap_or(0)) * 60
    }
}

pub(super) struct ArrivalFacts {
    pub(super) local: bool,
    pub(super) bounce_parent: Option<String>,
    /// A `<=` line (not `(=`).
    pub(super) received: bool,
}

impl Default for Assembler {
    fn default() -> Self {
        Assembler::new()
    }
}

impl Assembler {
    /// An assembler with default options.
    pub fn new() -> Self {
        Assembler::with_options(AssemblerOptions::default())
    }

    /// An assembler with these options.
    pub fn with_options(opts: AssemblerOptions) -> Self {
        Assembler {
            mem: MemoryUse::new(opts.memory_budget),
            opts,
            in_flight: Map::default(),
            order: VecDeque::new(),
            seq: 0,
            pending: VecDeque::new(),
            pending_base: 0,
            by_pid: Map::default(),
            out: VecDeque::new(),
            shared: Map::default(),
            evicted: VecDeque::new(),
            evicted_set: Set::default(),
            unresolved: None,
            clock: Clock::default(),
        }
    }

    /// The bytes of log data held now, the most held at once, the budget and
    /// how often it was hit (messages flushed early, args lines let go).
    pub fn memory(&self) -> MemoryUse {
        self.mem
    }

    /// The number of messages in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Counts `bytes` that the caller holds for message `id`, in flight, as
    /// if the message held them: against
    /// [`AssemblerOptions::memory_budget`] until the message is emitted. For
    /// a report that keeps state per message in flight in lean mode
    /// ([`AssemblerOptions::keep_lines`]`(false)`, e.g.
    /// [`crate::report::spam::SpamSources::add_message_line`]), so that the
    /// budget bounds that state as it bounds the lines it would otherwise
    /// keep. Room is made first, as for a line: past the budget the oldest
    /// messages are flushed early ([`Status::Evicted`], this one too if it
    /// is the oldest: its state then goes out with it and these bytes are
    /// not counted). False, and nothing counted, when no message `id` is in
    /// flight (a message line's own push never emits its message, but for
    /// `Completed`).
    ///
    /// ```
    /// use exim_log::assemble::{Assembled, Assembler, AssemblerOptions, Status};
    /// use exim_log::budget::MemoryBudget;
    /// use exim_log::{Position, parse_line};
    ///
    /// let opts = AssemblerOptions::default()
    ///     .keep_lines(false)
    ///     .memory_budget(MemoryBudget::bytes(64 << 10));
    /// let mut asm = Assembler::with_options(opts);
    /// let raw = b"2024-05-25 10:00:00 1sAfXv-0001UX-00 <= a@b.example U=a P=local S=812";
    /// let line = parse_line(raw).unwrap();
    /// asm.push_parsed(raw, &line, Position::new(1, 0));
    /// let id = line.message_id.unwrap();
    /// assert!(asm.hold(id, 1000));
    /// assert!(asm.memory().held >= 1000);
    /// // More than the budget: the message is flushed early, and nothing held.
    /// assert!(asm.hold(id, 100 << 10));
    /// assert!(matches!(asm.pop(), Some(Assembled::Message(m)) if m.status == Status::Evicted));
    /// assert_eq!(asm.memory().held, 0);
    /// assert!(!asm.hold(id, 1), "no longer in flight");
    /// ```
    pub fn hold(&mut self, id: MessageId<'_>, bytes: usize) -> bool {
        let Some(id) = IdBuf::new(id.as_bytes()) else {
            return false;
        };
        if !self.in_flight.contains_key(&id) {
            return false;
        }
        self.make_room(bytes);
        if let Some((_, msg)) = self.in_flight.get_mut(&id) {
            msg.facts.held += bytes;
            self.mem.add(bytes);
        }
        true
    }

    /// Feeds one record. Whatever it completes is available from [`Assembler::pop`].
    pub fn push(&mut self, mut record: Record) {
        record.shrink_to_fit();
        // Parsed once; only what assembly needs is kept, so the record can
        // move into its message.
        let kind = match parse_line(record.raw()) {
            Ok(line) => classify_parsed(
                record.raw(),
                &line,
                self.clock.seconds(&line.timestamp),
                self.opts.keep_lines,
            ),
            Err(_) => Kind::Other { time: None },
        };
        self.push_classified(record, kind);
    }

    /// Feeds one line without taking it (`raw` is borrowed, e.g. from a
    /// reader's buffer): it is copied into a [`Record`] only when the
    /// assembler keeps it, a line of a message or an args line. A line that
    /// belongs to no message is not copied nor emitted as
    /// [`Assembled::Line`]: its parse is returned for the caller to use, an
    /// `Err` when it does not parse. So a report that counts lone lines
    /// (rejections without an id) reads the assembler's parse of them
    /// instead of parsing them again, and one that ignores them pays no copy.
    ///
    /// ```
    /// use exim_log::assemble::{Assembled, Assembler};
    /// use exim_log::reader::Position;
    /// use exim_log::Event;
    ///
    /// let mut asm = Assembler::new();
    /// let lone = asm.push_line(
    ///     b"2024-05-25 10:00:00 H=(x) [192.0.2.7] F=<a@b.example> rejected RCPT <c@d.example>: no",
    ///     Position::new(1, 0),
    /// );
    /// assert!(matches!(lone, Some(Ok(l)) if matches!(l.event, Event::Rejection(_))));
    /// let kept = asm.push_line(
    ///     b"2024-05-25 10:00:01 1sAfXv-0001UX-00 Completed",
    ///     Position::new(2, 88),
    /// );
    /// assert!(kept.is_none(), "a message line is kept");
    /// assert!(matches!(asm.pop(), Some(Assembled::Message(m)) if m.lines.len() == 1));
    /// ```
    pub fn push_line<'r>(
        &mut self,
        raw: &'r [u8],
        position: Position,
    ) -> Option<Result<LogLine<'r>, ParseError>> {
        let line = match parse_line(raw) {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        if self.push_parsed(raw, &line, position) {
            None
        } else {
            Some(Ok(line))
        }
    }

    /// [`Assembler::push_line`] of a line the caller parsed already
    /// (`line` must be [`parse_line`]`(raw)`), for a caller that reads
    /// every line's parse too (`exim-log report` feeds the same parse to
    /// abuse-report's counting and to the assembler): true when the line was
    /// kept (copied into a message or an args line's record; without
    /// [`AssemblerOptions::keep_lines`], a message's line is taken but not
    /// copied), false when it belongs to no message (nothing is emitted for
    /// it then).
    ///
    /// ```
    /// use exim_log::assemble::Assembler;
    /// use exim_log::{Position, parse_line};
    ///
    /// let mut asm = Assembler::new();
    /// let raw = b"2024-05-25 10:00:01 1sAfXv-0001UX-00 Completed\n";
    /// let line = parse_line(raw).unwrap();
    /// assert!(asm.push_parsed(raw, &line, Position::new(1, 0)));
    /// let raw = b"2024-05-25 10:00:02 Start queue run: pid=2\n";
    /// let line = parse_line(raw).unwrap();
    /// assert!(!asm.push_parsed(raw, &line, Position::new(2, 48)));
    /// ```
    pub fn push_parsed(&mut self, raw: &[u8], line: &LogLine<'_>, position: Position) -> bool {
        self.push_parsed_as(raw, line, position, Keep::Options)
            .is_some()
    }

    /// [`Assembler::push_parsed`] for one part of a log read leanly
    /// ([`crate::parallel::fold_messages_lean`]; the options' `keep_lines`
    /// is not read): a message's lines are copied only when it may continue
    /// a message of an earlier part (its first line is not its arrival `<=`)
    /// or its id is in `in_flight` (ids in flight across the part's start),
    /// for the parts to be joined; a message that starts here with its
    /// arrival is taken lean. `None` when the line belongs to no message,
    /// else whether it was copied (an args line always is).
    pub(crate) fn push_parsed_part(
        &mut self,
        raw: &[u8],
        line: &LogLine<'_>,
        position: Position,
        in_flight: Option<&std::collections::HashSet<String>>,
    ) -> Option<bool> {
        self.push_parsed_as(raw, line, position, Keep::Continuations(in_flight))
    }

    /// True when a line of message `id` goes into a message that may
    /// continue one of an earlier part: one in flight whose first line was
    /// not its arrival, or (a new message, or one only linked to an args
    /// line so far) this line is not an arrival.
    fn continues(&self, id: &IdBuf, line: &LogLine<'_>) -> bool {
        match self.in_flight.get(id) {
            Some((_, m)) if m.facts.count > 0 => !m.starts_with_arrival(),
            _ => !(matches!(line.event, Event::Arrival(_)) && line.flag == Some(Flag::Arrival)),
        }
    }

    #[inline(always)]
    fn push_parsed_as(
        &mut self,
        raw: &[u8],
        line: &LogLine<'_>,
        position: Position,
        keep: Keep<'_>,
    ) -> Option<bool> {
        // As `push_classified(classify_parsed(..))`, without building the
        // `Kind` (large) and moving it twice: each case goes straight on.
        let time = self.clock.seconds(&line.timestamp);
        if let Event::Arguments(args) = &line.event {
            if !self.opts.keep_arguments {
                self.expire_pending(time);
                return None;
            }
            let a = args_facts(raw, line, args, time);
            self.expire_pending(time);
            self.push_arguments(kept(raw, position), a);
            return Some(true);
        }
        let Some(id) = line.message_id.and_then(|id| IdBuf::new(id.as_bytes())) else {
            self.expire_pending(time);
            return None;
        };
        self.expire_pending(time);
        let keep = match keep {
            Keep::Options => self.opts.keep_lines,
            Keep::Continuations(in_flight) => {
                self.continues(&id, line) || in_flight.is_some_and(|ids| ids.contains(id.as_str()))
            }
        };
        // Lean mode: nothing of the line is copied. (One call with the
        // facts made in its argument: a `Facts` made first and moved in
        // cost a copy of it per line, callgrind.)
        let held = if keep {
            LineIn::Record(kept(raw, position))
        } else {
            LineIn::Position(position)
        };
        self.push_message_line(held, message_facts(raw, line, id, time, keep));
        Some(keep)
    }

    pub(super) fn push_classified(&mut self, record: Record, kind: Kind) {
        // Keep in step with `push_parsed`, which does the same without a `Kind`.
        match kind {
            Kind::Other { time } => {
                if let Some(t) = time {
                    self.expire_pending(t);
                }
                self.out.push_back(Assembled::Line(record));
            }
            Kind::Arguments(a) => {
                self.expire_pending(a.time);
                if self.opts.keep_arguments {
                    self.push_arguments(record, a);
                } else {
                    self.out.push_back(Assembled::Line(record));
                }
            }
            Kind::Message(f) => {
                self.expire_pending(f.time);
                let line = if self.opts.keep_lines {
                    LineIn::Record(record)
                } else {
                    LineIn::Position(record.position().clone())
                };
                self.push_message_line(line, f);
            }
        }
    }

    fn push_arguments(&mut self, record: Record, a: ArgsFacts) {
        if !a.named.is_empty() {
            // One line for every id it names: shared, not copied (a line
            // naming 20,000 ids would otherwise be held 20,000 times).
            self.make_room(record.raw().len() + LINE_OVERHEAD);
            let record = Arc::new(record);
            self.share(&record, a.named.len());
            for id in a.named {
                self.make_room(LINK_OVERHEAD + message_bytes(&id));
                let link = LinkedArguments {
                    record: Arc::clone(&record),
                    link: Link::NamedId,
                    spans: a.spans,
                    delivery: a.delivery,
                };
                let msg = self.entry(id);
                msg.arguments.push(link);
                msg.facts.held += LINK_OVERHEAD;
                self.mem.add(LINK_OVERHEAD);
                self.evict_over_cap();
            }
            self.enforce_budget();
        } else if a.submission {
            self.make_room(record.raw().len() + LINE_OVERHEAD);
            let record = Arc::new(record);
            self.share(&record, 1);
            if let Some(pid) = a.pid {
                let seq = self.pending_base + self.pending.len() as u64;
                self.by_pid.insert(pid, seq);
            }
            self.pending.push_back(Pending {
                record,
                spans: a.spans,
                delivery: a.delivery,
                time: a.time,
                pid: a.pid,
                used: false,
                batch: a.batch,
            });
            if self.pending.len() > self.opts.max_pending_arguments {
                self.pop_pending();
            }
            self.enforce_budget();
        } else {
            self.out.push_back(Assembled::Line(record));
        }
    }

    fn push_message_line(&mut self, line: LineIn, f: Facts) {
        // The line's text and overhead, when it is kept.
        let text = match &line {
            LineIn::Record(r) => r.raw().len() + MESSAGE_LINE_OVERHEAD,
            LineIn::Position(_) => 0,
        };
        let next_hop = f.next_hop.as_ref().map_or(0, |nh| {
            nh.recipient.len() + nh.message_id.len() + std::mem::size_of::<NextHop>()
        });
        // A bounce's id in its parent's list, when the parent is in flight.
        let in_parent = f.id.byte_len() + std::mem::size_of::<String>();
        // Room first (at most what this line can add: a link, a new message,
        // a parent in flight), so what is held never passes the budget, not
        // even by one line.
        let parent = f.arrival.as_ref().and_then(|a| a.bounce_parent.as_ref());
        self.make_room(
            text + LINK_OVERHEAD
                + message_bytes(&f.id)
                + next_hop
                + parent.map_or(0, |p| p.len() + in_parent),
        );
        let link = match &f.arrival {
            Some(a) => self.link_submission(line.position(), f.time, f.pid, a.local),
            None => None,
        };
        let received = f.arrival.as_ref().is_some_and(|a| a.received);
        let parent = f.arrival.and_then(|a| a.bounce_parent);
        // All this line adds to its message, counted before the message is
        // looked up, so it is looked up once.
        let held = text
            + link.as_ref().map_or(0, |_| LINK_OVERHEAD)
            + next_hop
            + parent.as_ref().map_or(0, String::len);
        // Where this line is, for a bounce whose parent is in another part.
        let at = (parent.is_some() && self.unresolved.is_some()).then(|| line.position().clone());
        // A `Completed` line ends its message: taken out of the table at
        // once (one lookup, not a lookup for the line and another to remove).
        let mut done: Option<Box<Message>> = None;
        let entry: &mut Message = if f.completed
            && let Some((_, msg)) = self.in_flight.remove(&f.id)
        {
            done.insert(msg)
        } else {
            self.entry(f.id)
        };
        if let Some(t) = f.timestamp {
            entry.facts.first.get_or_insert(t);
            entry.facts.last = Some(t);
        }
        if f.queue_time.is_some() {
            entry.facts.queue_time = f.queue_time;
        }
        if received && entry.facts.arrival.is_none() {
            entry.facts.arrival = Some(entry.facts.count);
        }
        entry.facts.count = entry.facts.count.saturating_add(1);
        if let LineIn::Record(record) = line {
            if entry.lines.capacity() == 0 {
                // A first push would allocate room for four lines, twice
                // what MESSAGE_LINE_OVERHEAD counts for a message of one
                // line (most messages in flight have one, their arrival);
                // from one, the vector grows to at most twice its length.
                entry.lines.reserve_exact(1);
            }
            entry.lines.push(MessageLine::new(record, f.line));
        }
        entry.arguments.extend(link);
        entry.next_hops.extend(f.next_hop);
        if let Some(p) = &parent {
            entry.bounce_parent = Some(p.clone());
        }
        entry.facts.held += held;
        let mut parent_held = 0;
        if let Some(parent) = parent {
            if let Some((_, p)) =
                IdBuf::new(parent.as_bytes()).and_then(|parent| self.in_flight.get_mut(&parent))
            {
                parent_held = in_parent;
                p.facts.held += parent_held;
                p.bounces.push(f.id.as_str().to_string());
            } else if let Some(u) = self
                .unresolved
                .as_mut()
                .filter(|u| u.len() < MAX_UNRESOLVED)
                && let Some(at) = at
            {
                u.push((parent, f.id.as_str().to_string(), at));
            }
        }
        self.mem.add(held + parent_held);
        if f.completed {
            // (Not in flight before this line: made by it, removed now.)
            let done = done.or_else(|| self.in_flight.remove(&f.id).map(|(_, msg)| msg));
            if let Some(msg) = done {
                // Its order entry goes when it reaches the front.
                self.emit(msg, Status::Completed);
            }
        } else {
            self.evict_over_cap();
            self.enforce_budget();
        }
    }

    /// Emits a message that left the in-flight table, releasing what it held.
    fn emit(&mut self, msg: Box<Message>, status: Status) {
        let mut msg = *msg;
        self.mem.sub(msg.facts.held);
        msg.facts.held = 0;
        for a in &msg.arguments {
            self.unshare(&a.record);
        }
        if status == Status::Evicted {
            // Its next lines start a new message: mark it as a continuation.
            if self.evicted.len() >= EVICTED_MEMORY
                && let Some(old) = self.evicted.pop_front()
            {
                self.evicted_set.remove(&old);
            }
            self.evicted.push_back(msg.id_buf());
            self.evicted_set.insert(msg.id_buf());
        }
        msg.status = status;
        self.out.push_back(Assembled::Message(msg));
    }

    /// Counts `holders` more holders of a shared args line (the line itself
    /// is counted once, when its first holder takes it).
    fn share(&mut self, record: &Arc<Record>, holders: usize) {
        let e = self
            .shared
            .entry(Arc::as_ptr(record) as usize)
            .or_insert((record.raw().len() + LINE_OVERHEAD, 0));
        if e.1 == 0 {
            self.mem.add(e.0);
        }
        e.1 += holders;
    }

    /// One holder of a shared args line let it go; the last releases it.
    fn unshare(&mut self, record: &Arc<Record>) {
        let key = Arc::as_ptr(record) as usize;
        if let Some(e) = self.shared.get_mut(&key) {
            e.1 = e.1.saturating_sub(1);
            if e.1 == 0 {
                let bytes = e.0;
                self.shared.remove(&key);
                self.mem.sub(bytes);
            }
        }
    }

    /// While more is held than the budget allows, flushes the oldest message
    /// in flight early (its lines so far, [`Status::Evicted`]), then lets
    /// waiting args lines go (emitted as lines): nothing is dropped, and each
    /// time is counted in [`MemoryUse::hits`].
    fn enforce_budget(&mut self) {
        self.make_room(0);
    }

    /// Flushes early, as [`Assembler::enforce_budget`] does, until `n` more
    /// bytes fit in the budget.
    fn make_room(&mut self, n: usize) {
        while self.mem.held.saturating_add(n) > self.mem.budget {
            if let Some(msg) = self.pop_oldest() {
                self.mem.hit();
                self.emit(msg, Status::Evicted);
            } else if !self.pending.is_empty() {
                self.mem.hit();
                self.pop_pending();
            } else {
                return;
            }
        }
    }

    /// Takes the oldest message in flight (by its first line) out of the
    /// table, skipping the order entries of messages gone already.
    fn pop_oldest(&mut self) -> Option<Box<Message>> {
        while let Some((seq, id)) = self.order.pop_front() {
            if self.in_flight.get(&id).is_some_and(|(s, _)| *s == seq) {
                return self.in_flight.remove(&id).map(|(_, msg)| msg);
            }
        }
        None
    }

    /// Drops the order entries of messages gone already once they are as
    /// many as the messages in flight (so the list stays within about twice
    /// the table, whatever the front message's age; each entry is looked at
    /// a constant number of times on average).
    fn compact_order(&mut self) {
        if self.order.len() > 2 * self.in_flight.len() + 64 {
            let in_flight = &self.in_flight;
            self.order
                .retain(|(seq, id)| in_flight.get(id).is_some_and(|(s, _)| s == seq));
        }
    }

    /// Entries of the eviction order list, messages gone included.
    #[cfg(test)]
    pub(super) fn order_len(&self) -> usize {
        self.order.len()
    }

    /// The message in flight with this id, created if new.
    fn entry(&mut self, id: IdBuf) -> &mut Message {
        self.compact_order();
        let (seq, order, mem) = (&mut self.seq, &mut self.order, &mut self.mem);
        let evicted = &mut self.evicted_set;
        &mut self
            .in_flight
            .entry(id)
            .or_insert_with(|| {
                *seq += 1;
                order.push_back((*seq, id));
                let mut msg = Message::new(id);
                msg.continued = evicted.remove(&id);
                msg.facts.held = message_bytes(&id);
                mem.add(msg.facts.held);
                (*seq, Box::new(msg))
            })
            .1
    }

    fn evict_over_cap(&mut self) {
        while self.in_flight.len() > self.opts.max_in_flight {
            let Some(msg) = self.pop_oldest() else {
                return;
            };
            self.emit(msg, Status::Evicted);
        }
    }

    /// Finds the args line of the process that submitted an arrival.
    fn link_submission(
        &mut self,
        at: &Position,
        time: i64,
        pid: Option<u32>,
        local: bool,
    ) -> Option<LinkedArguments> {
        if let Some(pid) = pid {
            let max_age = self.opts.pid_max_age;
            let seq = *self.by_pid.get(&pid)?;
            let index = usize::try_from(seq.checked_sub(self.pending_base)?).ok()?;
            let p = self
                .pending
                .get_mut(index)
                .filter(|p| p.pid == Some(pid) && (0..=max_age).contains(&(time - p.time)))?;
            p.used = true;
            let link = LinkedArguments {
                record: Arc::clone(&p.record),
                link: Link::Pid,
                spans: p.spans,
                delivery: p.delivery,
            };
            self.share(&link.record, 1);
            return Some(link);
        }
        if !local {
            return None;
        }
        let (secs, lines) = (self.opts.adjacency_seconds, self.opts.adjacency_lines);
        // The queue is in time order: stop at the first line older than the window.
        let mut candidates = self
            .pending
            .iter_mut()
            .rev()
            .take_while(|p| time - p.time <= secs)
            .filter(|p| {
                let pos = p.record.position();
                p.pid.is_none()
                    && (!p.used || p.batch)
                    && p.record.file() == at.file()
                    && pos.line < at.line
                    && at.line - pos.line - 1 <= lines
                    && time >= p.time
            });
        let nearest = candidates.next()?;
        let ambiguous = candidates.next().is_some();
        nearest.used = true;
        let link = LinkedArguments {
            record: Arc::clone(&nearest.record),
            link: Link::Adjacent { ambiguous },
            spans: nearest.spans,
            delivery: nearest.delivery,
        };
        self.share(&link.record, 1);
        Some(link)
    }

    /// Drops args lines too old to link; unlinked ones are emitted as lines.
    /// An args line without a pid can only link by adjacency, so it waits only
    /// `adjacency_seconds`. (A log has `+pid` on every line or on none, so the
    /// queue stays in time order either way.)
    fn expire_pending(&mut self, now: i64) {
        let (pid_age, adjacent_age) = (self.opts.pid_max_age, self.opts.adjacency_seconds);
        while self.pending.front().is_some_and(|p| {
            now - p.time
                > if p.pid.is_some() {
                    pid_age
                } else {
                    adjacent_age
                }
        }) {
            self.pop_pending();
        }
    }

    fn pop_pending(&mut self) {
        let Some(p) = self.pending.pop_front() else {
            return;
        };
        if let Some(pid) = p.pid
            && self.by_pid.get(&pid) == Some(&self.pending_base)
        {
            self.by_pid.remove(&pid);
        }
        self.pending_base += 1;
        self.unshare(&p.record);
        if !p.used {
            // Nothing else holds an args line that linked to nothing.
            let record = Arc::try_unwrap(p.record).unwrap_or_else(|shared| (*shared).clone());
            self.out.push_back(Assembled::Line(record));
        }
    }

    /// The next emitted message or line, if any.
    pub fn pop(&mut self) -> Option<Assembled> {
        self.out.pop_front()
    }

    /// Ends the input: unlinked args lines, then every message in flight (in
    /// order of their first line, marked [`Status::EndOfInput`]), become
    /// available from [`Assembler::pop`].
    pub fn finish(&mut self) {
        while !self.pending.is_empty() {
            self.pop_pending();
        }
        while let Some(msg) = self.pop_oldest() {
            self.emit(msg, Status::EndOfInput);
        }
    }

    /// Keeps the bounces whose parent is not in flight, for
    /// [`crate::parallel::Stitch`] to give to the parent in an earlier part.
    pub(crate) fn track_unresolved_bounces(&mut self) {
        self.unresolved.get_or_insert_with(Vec::new);
    }

    /// The bounces kept by [`Assembler::track_unresolved_bounces`]: (parent
    /// id, bounce id, position of the bounce's `<=` line).
    pub(crate) fn take_unresolved_bounces(
        &mut self,
    ) -> Vec<(String, String, crate::reader::Position)> {
        self.unresolved
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Ends one part of a log: unlinked args lines become available from
    /// [`Assembler::pop`] as at [`Assembler::finish`], but the messages in
    /// flight are returned (in order of their first line) instead of
    /// emitted, for the next part's lines to complete them.
    pub(crate) fn finish_open(&mut self) -> Vec<Message> {
        while !self.pending.is_empty() {
            self.pop_pending();
        }
        let mut open = Vec::new();
        while let Some(msg) = self.pop_oldest() {
            let mut msg = *msg;
            self.mem.sub(msg.facts.held);
            for a in &msg.arguments {
                self.unshare(&a.record);
            }
            msg.status = Status::EndOfInput;
            open.push(msg);
        }
        open
    }

    /// Assembles a stream of records (e.g. [`crate::reader::LogFiles`]).
    /// Read errors pass through and do not stop the stream.
    pub fn messages<I>(self, records: I) -> Messages<I::IntoIter>
    where
        I: IntoIterator<Item = Result<Record, ReadError>>,
    {
        Messages {
            records: records.into_iter(),
            asm: self,
            finished: false,
        }
    }
}

/// Does this args line start a submission (see the module docs)? (The
/// assembler reads it in [`args_facts`]' one pass over the args.)
#[cfg(test)]
pub(super) fn is_submission(args: &Arguments<'_>) -> bool {
    let mut s = Submission::default();
    for a in args.args.iter().skip(1) {
        s.arg(a.raw());
    }
    s.submits()
}

/// What the arguments after the program name say of a submission, one at
/// a time ([`is_submission`]).
#[derive(Default)]
struct Submission {
    /// An option of a process that submits nothing (`-q`, `-M...`, `-bd`,
    /// `-bp`, `-bt`, `-bv`, `-be`, `-bV`, `-bh`, `-bP`, `-br`, `-bF`, `-bf`,
    /// `-bi` and what starts with them).
    excluded: bool,
    /// A recipient or an option of a submission (`-t`, `-i`, `-oi`, `-bm`,
    /// `-bs`, `-bS`, `-od...`).
    marker: bool,
}

impl Submission {
    fn arg(&mut self, a: &[u8]) {
        // By bytes, not a list of prefixes tried in turn (which cost about
        // 100 instructions an argument).
        self.excluded |= match a {
            [b'-', b'q' | b'M', ..] => true,
            [b'-', b'b', c, ..] => b"dptvVehPrFfi".contains(c),
            _ => false,
        };
        self.marker |= matches!(a, b"-t" | b"-i" | b"-oi" | b"-bm" | b"-bs" | b"-bS")
            || a.starts_with(b"-od")
            || !a.starts_with(b"-");
    }

    fn submits(&self) -> bool {
        self.marker && !self.excluded
    }
}

/// The Exim id in a confirmation such as `250 OK id=1sAoM7-...` (spec §0).
pub(super) fn next_hop_id(confirmation: Option<&[u8]>) -> Option<String> {
    // One searcher for every call: building one per call cost more than
    // the search (callgrind).
    static ID: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"id="));
    let c = confirmation?;
    let at = ID.find(c)?;
    let (id, _) = MessageId::parse_prefix(c.get(at + 3..)?)?;
    Some(id.as_str().to_string())
}
