//! Message assembly: group log lines into messages while streaming, and link
//! each message to the process that submitted it, to its bounce parent and to
//! the next hop's id.
//!
//! A message is every line that carries its id (spec §1.3): its arrival `<=`,
//! deliveries `=>`/`->`, deferrals `==`, failures `**`, `Frozen`, ..., and
//! `Completed`. The [`Assembler`] keeps the messages in flight and emits each
//! one when its `Completed` line arrives; at the end of input the rest are
//! emitted marked [`Status::EndOfInput`]. Lines that belong to no message come
//! out as [`Assembled::Line`] in input order, so no line is lost. A line that
//! carries an id after that message's `Completed` (rare) starts a new group.
//!
//! # Memory
//!
//! Memory is bounded by the messages in flight, capped by
//! [`AssemblerOptions::max_in_flight`]. When a new message would exceed the cap,
//! the **oldest** message in flight (by its first line) is emitted at once,
//! marked [`Status::Evicted`]: a long-deferred message is the likely victim, and
//! its later lines then start a new, incomplete group. `+arguments` lines wait
//! in a second bounded queue ([`AssemblerOptions::max_pending_arguments`]) and
//! leave it after [`AssemblerOptions::pid_max_age`] seconds of log time
//! ([`AssemblerOptions::adjacency_seconds`] without `+pid`); one that linked to
//! nothing is then emitted as an [`Assembled::Line`].
//!
//! # Which script sent this message: the `cwd=` link
//!
//! With `+arguments`, every Exim process logs `cwd=DIR N args: ARGV` when it
//! starts (spec §10 "args"). A message submitted locally (`sendmail -t -i` from
//! a PHP script, cron, ...) is linked to the args line of the process that
//! received it, by one of three rules, recorded as its [`Link`]:
//!
//! 1. [`Link::NamedId`]: the args name the message id, as in
//!    `/usr/sbin/exim -Mc 1sAoM5-00000009r3p-06vq` (the delivery process a
//!    submission starts; it runs in the submitter's directory, which is why its
//!    `cwd=` names the script's directory). Exact.
//! 2. [`Link::Pid`]: with `+pid`, the arrival's `[pid]` equals the args line's
//!    `[pid]` (the latest such line, at most `pid_max_age` seconds older).
//!    Exact, up to pid reuse within that window by a process that logged no
//!    args line (a daemon-forked SMTP receiver).
//! 3. [`Link::Adjacent`] (no `+pid`): a heuristic. The arrival must be local
//!    (no `H=`), and the args line must precede it in the same file by at most
//!    [`AssemblerOptions::adjacency_lines`] lines and
//!    [`AssemblerOptions::adjacency_seconds`] seconds, look like a submission
//!    (`-t`, `-i`, `-oi`, `-bm`, `-bs`, `-bS`, `-od…`, or a non-option argument
//!    such as a recipient; never `-bd`, `-q…`, `-M…`, `-bp`, `-bt`, `-bv`...), and
//!    not be linked already (except `-bs`/`-bS`, which submit many messages).
//!    The nearest candidate wins; when several qualified the link is marked
//!    `ambiguous`. **Limits:** on a busy host two scripts submitting in the
//!    same second can be swapped; a submission slower than the window, or whose
//!    args line is in the previous file of a rotated set, is not linked. Turn on
//!    `+pid` for exact links.
//!
//! A bounce (`<= <> R=PARENT`, spec §3) records its parent in
//! [`Message::bounce_parent`], and the parent, if in flight, the bounce in
//! [`Message::bounces`]. A delivery whose `C="250 OK id=X"` names the next
//! hop's Exim id is recorded in [`Message::next_hops`].
//!
//! ```
//! use exim_log::assemble::{Assembled, Assembler, Status};
//! use exim_log::reader::LogReader;
//!
//! let log = b"\
//! 2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com U=a P=local S=812
//! 2026-11-25 10:00:00 1sAoM6-0000000AAAA-0000 <= b@example.com U=b P=local S=900
//! 2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq => c@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7]
//! 2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed
//! ";
//! let mut msgs = Assembler::new().messages(LogReader::new(&log[..]).into_records());
//! let Some(Ok(Assembled::Message(first))) = msgs.next() else { panic!() };
//! assert_eq!(first.id, "1sAoM5-00000009r3p-06vq");
//! assert_eq!(first.lines.len(), 3);
//! assert_eq!(first.status, Status::Completed);
//! let Some(Ok(Assembled::Message(second))) = msgs.next() else { panic!() };
//! assert_eq!(second.status, Status::EndOfInput);
//! assert!(msgs.next().is_none());
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::event::{Arguments, Event};
use crate::line::parse_line;
use crate::message_id::MessageId;
use crate::reader::{ReadError, Record};

/// Limits and rules of an [`Assembler`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssemblerOptions {
    /// Most messages kept in flight; past it the oldest is evicted (default 100 000).
    pub max_in_flight: usize,
    /// Most `+arguments` lines kept waiting for a message (default 4096).
    pub max_pending_arguments: usize,
    /// Adjacency rule: most seconds from the args line to the arrival (default 1,
    /// so a submission that crosses a second boundary still links).
    pub adjacency_seconds: i64,
    /// Adjacency rule: most lines between the args line and the arrival (default 10).
    pub adjacency_lines: u64,
    /// Pid rule: most seconds between an args line and the arrival it links to,
    /// which is also how long an args line with a pid waits (default 3600).
    pub pid_max_age: i64,
}

impl Default for AssemblerOptions {
    fn default() -> Self {
        AssemblerOptions {
            max_in_flight: 100_000,
            max_pending_arguments: 4096,
            adjacency_seconds: 1,
            adjacency_lines: 10,
            pid_max_age: 3600,
        }
    }
}

impl AssemblerOptions {
    /// Sets [`AssemblerOptions::max_in_flight`] (at least 1).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Sets [`AssemblerOptions::max_pending_arguments`].
    pub fn max_pending_arguments(mut self, n: usize) -> Self {
        self.max_pending_arguments = n;
        self
    }

    /// Sets the adjacency window (seconds and lines).
    pub fn adjacency(mut self, seconds: i64, lines: u64) -> Self {
        self.adjacency_seconds = seconds;
        self.adjacency_lines = lines;
        self
    }

    /// Sets [`AssemblerOptions::pid_max_age`].
    pub fn pid_max_age(mut self, seconds: i64) -> Self {
        self.pid_max_age = seconds;
        self
    }
}

/// How an args line was linked to a message (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Link {
    /// The args name the message id (`-Mc ID`, `-M ID`). Exact.
    NamedId,
    /// Same `[pid]` (`+pid`). Exact up to pid reuse.
    Pid,
    /// The adjacency heuristic (no `+pid`).
    Adjacent {
        /// More than one args line qualified; the nearest was taken.
        ambiguous: bool,
    },
}

impl Link {
    /// The name used in JSON: `named_id`, `pid`, `adjacent`.
    pub const fn name(&self) -> &'static str {
        match self {
            Link::NamedId => "named_id",
            Link::Pid => "pid",
            Link::Adjacent { .. } => "adjacent",
        }
    }
}

/// An args line (`cwd=... args: ...`) linked to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkedArguments {
    /// The args line.
    pub record: Record,
    /// Which rule linked it.
    pub link: Link,
}

impl LinkedArguments {
    /// The parsed args (`None` only if the line no longer parses as args).
    pub fn arguments(&self) -> Option<Arguments<'_>> {
        match self.record.parse().ok()?.event {
            Event::Arguments(a) => Some(a),
            _ => None,
        }
    }
}

/// Why a message was emitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Its `Completed` line was read.
    Completed,
    /// The input ended while it was in flight (still queued, or its start or
    /// end is in another file).
    EndOfInput,
    /// Pushed out by [`AssemblerOptions::max_in_flight`].
    Evicted,
}

impl Status {
    /// The name used in JSON: `completed`, `end_of_input`, `evicted`.
    pub const fn name(&self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::EndOfInput => "end_of_input",
            Status::Evicted => "evicted",
        }
    }
}

/// A delivery whose confirmation names the receiving Exim's message id
/// (`C="250 OK id=1sAoM7-..."`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NextHop {
    /// The address delivered to.
    pub recipient: String,
    /// The id the next hop gave the message.
    pub message_id: String,
}

/// The lines of one message, in input order, with its links.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The message id.
    pub id: String,
    /// Every line carrying the id, in input order.
    pub lines: Vec<Record>,
    /// Whether it completed.
    pub status: Status,
    /// Linked `+arguments` lines: the submitting process (pid or adjacency) and
    /// processes that named the id (`-Mc`), in the order they were linked.
    pub arguments: Vec<LinkedArguments>,
    /// For a bounce, the id of the message that caused it (`R=` on `<= <>`).
    pub bounce_parent: Option<String>,
    /// Bounces of this message seen while it was in flight.
    pub bounces: Vec<String>,
    /// Next-hop ids from delivery confirmations.
    pub next_hops: Vec<NextHop>,
}

impl Message {
    fn new(id: &str) -> Self {
        Message {
            id: id.to_string(),
            lines: Vec::new(),
            status: Status::EndOfInput,
            arguments: Vec::new(),
            bounce_parent: None,
            bounces: Vec::new(),
            next_hops: Vec::new(),
        }
    }

    /// True when the `Completed` line was read.
    pub fn is_complete(&self) -> bool {
        self.status == Status::Completed
    }

    /// The args line of the submitting process, if linked: the `-Mc` delivery
    /// process when nothing else was linked (it runs in the submitter's
    /// directory). Other processes naming the id (`-Mrm ID` by an admin) are in
    /// [`Message::arguments`] but never the submission.
    pub fn submission(&self) -> Option<&LinkedArguments> {
        let is_mc = |a: &&LinkedArguments| {
            a.arguments()
                .is_some_and(|x| x.args.iter().any(|q| q.raw() == b"-Mc"))
        };
        self.arguments
            .iter()
            .find(|a| a.link != Link::NamedId)
            .or_else(|| self.arguments.iter().find(is_mc))
    }

    /// Seconds on the queue: `Completed QT=` when logged (`+queue_time_overall`),
    /// otherwise from the first to the last line's timestamp.
    pub fn queue_time(&self) -> Option<f64> {
        let last = self.lines.last()?.parse().ok()?;
        if let Event::Completed(c) = &last.event
            && let Some(qt) = c.queue_time
        {
            return Some(qt.as_secs_f64());
        }
        let first = self.lines.first()?.parse().ok()?;
        let ms = last.timestamp.unix_millis() - first.timestamp.unix_millis();
        Some(ms as f64 / 1000.0)
    }
}

impl Serialize for Message {
    /// The JSON of `SCHEMA.md` §"Messages (assembled)".
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("message_id", &self.id)?;
        m.serialize_entry("status", self.status.name())?;
        if let Some(p) = &self.bounce_parent {
            m.serialize_entry("bounce_parent", p)?;
        }
        if !self.bounces.is_empty() {
            m.serialize_entry("bounces", &self.bounces)?;
        }
        if !self.next_hops.is_empty() {
            m.serialize_entry("next_hops", &self.next_hops)?;
        }
        if !self.arguments.is_empty() {
            let args: Vec<ArgumentsJson<'_>> = self
                .arguments
                .iter()
                .map(|a| ArgumentsJson {
                    line: &a.record,
                    link: a.link.name(),
                    ambiguous: matches!(a.link, Link::Adjacent { ambiguous: true }),
                })
                .collect();
            m.serialize_entry("arguments", &args)?;
        }
        m.serialize_entry("lines", &self.lines)?;
        m.end()
    }
}

#[derive(Serialize)]
struct ArgumentsJson<'a> {
    #[serde(flatten)]
    line: &'a Record,
    link: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    ambiguous: bool,
}

/// What the [`Assembler`] emits.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Assembled {
    /// A message, completed or not.
    Message(Message),
    /// A line that belongs to no message: no message id (connections,
    /// rejections, daemon lines, args lines that linked to nothing), or no
    /// valid prefix at all.
    Line(Record),
}

/// An args line waiting for the arrival it belongs to.
#[derive(Debug)]
struct Pending {
    record: Record,
    time: i64,
    pid: Option<u32>,
    used: bool,
    /// `-bs` / `-bS`: one process, many messages.
    batch: bool,
}

/// Groups records into messages; see the module docs for rules and limits.
#[derive(Debug, Default)]
pub struct Assembler {
    opts: AssemblerOptions,
    in_flight: HashMap<String, (u64, Message)>,
    /// First-line order of the messages in flight, for eviction.
    order: BTreeMap<u64, String>,
    seq: u64,
    pending: VecDeque<Pending>,
    /// Sequence number of `pending.front()`; entries are numbered consecutively.
    pending_base: u64,
    /// For each pid, the sequence number of its latest pending args line, so the
    /// pid rule is a lookup rather than a scan of the queue.
    by_pid: HashMap<u32, u64>,
    out: VecDeque<Assembled>,
}

/// What one message line contributes, extracted before the record moves.
struct Facts {
    id: String,
    time: i64,
    pid: Option<u32>,
    arrival: Option<ArrivalFacts>,
    next_hop: Option<NextHop>,
    completed: bool,
}

/// What an args line contributes.
struct ArgsFacts {
    time: i64,
    pid: Option<u32>,
    /// Message ids named in the args (`-Mc ID`).
    named: Vec<String>,
    submission: bool,
    batch: bool,
}

/// The part of a parsed line the assembler acts on.
enum Kind {
    Arguments(ArgsFacts),
    Message(Facts),
    /// No message id, or no valid prefix (`time` is `None` then).
    Other {
        time: Option<i64>,
    },
}

/// Parses a record once and keeps only what assembly needs, so the record can
/// move into its message.
fn classify(record: &Record) -> Kind {
    let Ok(line) = parse_line(record.raw()) else {
        return Kind::Other { time: None };
    };
    let time = line.timestamp.unix_seconds();
    if let Event::Arguments(args) = &line.event {
        let named = args
            .args
            .iter()
            .filter_map(|a| MessageId::parse(a.raw()))
            .map(|id| id.as_str().to_string())
            .collect();
        return Kind::Arguments(ArgsFacts {
            time,
            pid: line.pid,
            named,
            submission: is_submission(args),
            batch: args.args.iter().any(|a| matches!(a.raw(), b"-bs" | b"-bS")),
        });
    }
    let Some(id) = line.message_id else {
        return Kind::Other { time: Some(time) };
    };
    Kind::Message(Facts {
        id: id.as_str().to_string(),
        time,
        pid: line.pid,
        arrival: match &line.event {
            Event::Arrival(a) => Some(ArrivalFacts {
                local: a.host.is_none(),
                bounce_parent: a.bounce_parent.map(|p| p.as_str().to_string()),
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
    })
}

struct ArrivalFacts {
    local: bool,
    bounce_parent: Option<String>,
}

impl Assembler {
    /// An assembler with default options.
    pub fn new() -> Self {
        Assembler::default()
    }

    /// An assembler with these options.
    pub fn with_options(opts: AssemblerOptions) -> Self {
        Assembler {
            opts,
            ..Assembler::default()
        }
    }

    /// The number of messages in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Feeds one record. Whatever it completes is available from [`Assembler::pop`].
    pub fn push(&mut self, record: Record) {
        let kind = classify(&record);
        self.push_classified(record, kind);
    }

    fn push_classified(&mut self, record: Record, kind: Kind) {
        match kind {
            Kind::Other { time } => {
                if let Some(t) = time {
                    self.expire_pending(t);
                }
                self.out.push_back(Assembled::Line(record));
            }
            Kind::Arguments(a) => {
                self.expire_pending(a.time);
                self.push_arguments(record, a);
            }
            Kind::Message(f) => {
                self.expire_pending(f.time);
                self.push_message_line(record, f);
            }
        }
    }

    fn push_arguments(&mut self, record: Record, a: ArgsFacts) {
        if !a.named.is_empty() {
            for id in a.named {
                let link = LinkedArguments {
                    record: record.clone(),
                    link: Link::NamedId,
                };
                self.entry(&id).arguments.push(link);
                self.evict_over_cap();
            }
        } else if a.submission {
            if let Some(pid) = a.pid {
                let seq = self.pending_base + self.pending.len() as u64;
                self.by_pid.insert(pid, seq);
            }
            self.pending.push_back(Pending {
                record,
                time: a.time,
                pid: a.pid,
                used: false,
                batch: a.batch,
            });
            if self.pending.len() > self.opts.max_pending_arguments {
                self.pop_pending();
            }
        } else {
            self.out.push_back(Assembled::Line(record));
        }
    }

    fn push_message_line(&mut self, record: Record, f: Facts) {
        let link = match &f.arrival {
            Some(a) => self.link_submission(&record, f.time, f.pid, a.local),
            None => None,
        };
        let entry = self.entry(&f.id);
        entry.lines.push(record);
        entry.arguments.extend(link);
        if let Some(nh) = f.next_hop {
            entry.next_hops.push(nh);
        }
        if let Some(parent) = f.arrival.and_then(|a| a.bounce_parent) {
            entry.bounce_parent = Some(parent.clone());
            if let Some((_, p)) = self.in_flight.get_mut(&parent) {
                p.bounces.push(f.id.clone());
            }
        }
        if f.completed {
            if let Some((seq, mut msg)) = self.in_flight.remove(&f.id) {
                self.order.remove(&seq);
                msg.status = Status::Completed;
                self.out.push_back(Assembled::Message(msg));
            }
        } else {
            self.evict_over_cap();
        }
    }

    /// The message in flight with this id, created if new.
    fn entry(&mut self, id: &str) -> &mut Message {
        let (seq, order) = (&mut self.seq, &mut self.order);
        &mut self
            .in_flight
            .entry(id.to_string())
            .or_insert_with(|| {
                *seq += 1;
                order.insert(*seq, id.to_string());
                (*seq, Message::new(id))
            })
            .1
    }

    fn evict_over_cap(&mut self) {
        while self.in_flight.len() > self.opts.max_in_flight {
            let Some((_, id)) = self.order.pop_first() else {
                return;
            };
            if let Some((_, mut msg)) = self.in_flight.remove(&id) {
                msg.status = Status::Evicted;
                self.out.push_back(Assembled::Message(msg));
            }
        }
    }

    /// Finds the args line of the process that submitted an arrival.
    fn link_submission(
        &mut self,
        arrival: &Record,
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
            return Some(LinkedArguments {
                record: p.record.clone(),
                link: Link::Pid,
            });
        }
        if !local {
            return None;
        }
        let (secs, lines) = (self.opts.adjacency_seconds, self.opts.adjacency_lines);
        let at = arrival.position();
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
                    && p.record.file() == arrival.file()
                    && pos.line < at.line
                    && at.line - pos.line - 1 <= lines
                    && time >= p.time
            });
        let nearest = candidates.next()?;
        let ambiguous = candidates.next().is_some();
        nearest.used = true;
        Some(LinkedArguments {
            record: nearest.record.clone(),
            link: Link::Adjacent { ambiguous },
        })
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
        if !p.used {
            self.out.push_back(Assembled::Line(p.record));
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
        while let Some((_, id)) = self.order.pop_first() {
            if let Some((_, msg)) = self.in_flight.remove(&id) {
                self.out.push_back(Assembled::Message(msg));
            }
        }
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

/// Does this args line start a submission (see the module docs)?
fn is_submission(args: &Arguments<'_>) -> bool {
    let mut marker = false;
    for a in args.args.iter().skip(1) {
        let a = a.raw();
        let excluded = [
            &b"-q"[..],
            b"-M",
            b"-bd",
            b"-bp",
            b"-bt",
            b"-bv",
            b"-be",
            b"-bV",
            b"-bh",
            b"-bP",
            b"-br",
            b"-bF",
            b"-bf",
            b"-bi",
        ];
        if excluded.iter().any(|x| a.starts_with(x)) {
            return false;
        }
        marker |= matches!(a, b"-t" | b"-i" | b"-oi" | b"-bm" | b"-bs" | b"-bS")
            || a.starts_with(b"-od")
            || !a.starts_with(b"-");
    }
    marker
}

/// The Exim id in a confirmation such as `250 OK id=1sAoM7-...` (spec §0).
fn next_hop_id(confirmation: Option<&[u8]>) -> Option<String> {
    let c = confirmation?;
    let at = memchr::memmem::find(c, b"id=")?;
    let (id, _) = MessageId::parse_prefix(c.get(at + 3..)?)?;
    Some(id.as_str().to_string())
}

/// Iterator of [`Assembled`] items over a record stream; see [`Assembler::messages`].
#[derive(Debug)]
pub struct Messages<I> {
    records: I,
    asm: Assembler,
    finished: bool,
}

impl<I> Messages<I> {
    /// The assembler (e.g. to check [`Assembler::in_flight`]).
    pub fn assembler(&self) -> &Assembler {
        &self.asm
    }
}

impl<I: Iterator<Item = Result<Record, ReadError>>> Iterator for Messages<I> {
    type Item = Result<Assembled, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(a) = self.asm.pop() {
                return Some(Ok(a));
            }
            if self.finished {
                return None;
            }
            match self.records.next() {
                Some(Ok(r)) => self.asm.push(r),
                Some(Err(e)) => return Some(Err(e)),
                None => {
                    self.asm.finish();
                    self.finished = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The linking rules, fed with facts directly so they are tested apart from
    //! the line parser (tests/assemble.rs runs them on full log lines).
    use super::*;
    use crate::reader::Position;

    const T: i64 = 1_795_600_000;
    const A: &str = "1sAoM5-00000009r3p-06vq";
    const B: &str = "1sAoM6-0000000AAAA-0000";

    fn rec(line: u64) -> Record {
        Record::new(
            format!("line {line}").into_bytes(),
            Position::new(line, line * 100),
        )
    }

    fn args(asm: &mut Assembler, line: u64, time: i64, pid: Option<u32>, named: &[&str]) {
        let a = ArgsFacts {
            time,
            pid,
            named: named.iter().map(|s| s.to_string()).collect(),
            submission: true,
            batch: false,
        };
        asm.push_classified(rec(line), Kind::Arguments(a));
    }

    fn line(asm: &mut Assembler, line: u64, id: &str, time: i64, pid: Option<u32>) -> Facts {
        let _ = (asm, line);
        Facts {
            id: id.to_string(),
            time,
            pid,
            arrival: None,
            next_hop: None,
            completed: false,
        }
    }

    fn arrival(asm: &mut Assembler, n: u64, id: &str, time: i64, pid: Option<u32>, local: bool) {
        let mut f = line(asm, n, id, time, pid);
        f.arrival = Some(ArrivalFacts {
            local,
            bounce_parent: None,
        });
        asm.push_classified(rec(n), Kind::Message(f));
    }

    fn drain(asm: &mut Assembler) -> Vec<Assembled> {
        asm.finish();
        std::iter::from_fn(|| asm.pop()).collect()
    }

    fn message(out: &[Assembled], id: &str) -> Message {
        out.iter()
            .find_map(|a| match a {
                Assembled::Message(m) if m.id == id => Some(m.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no message {id}"))
    }

    fn links(m: &Message) -> Vec<(u64, Link)> {
        m.arguments
            .iter()
            .map(|a| (a.record.position().line, a.link))
            .collect()
    }

    #[test]
    fn pid_links_to_latest_args_line_of_that_pid() {
        let mut asm = Assembler::new();
        args(&mut asm, 1, T, Some(100), &[]);
        args(&mut asm, 2, T, Some(200), &[]);
        args(&mut asm, 3, T + 5, Some(100), &[]);
        arrival(&mut asm, 4, A, T + 9, Some(100), true);
        // A remote arrival by pid too (inetd `-bs` logs args, then `H=` arrivals).
        arrival(&mut asm, 5, B, T + 9, Some(200), false);
        let out = drain(&mut asm);
        assert_eq!(links(&message(&out, A)), [(3, Link::Pid)]);
        assert_eq!(links(&message(&out, B)), [(2, Link::Pid)]);
    }

    #[test]
    fn pid_link_has_a_maximum_age() {
        let mut asm = Assembler::with_options(AssemblerOptions::default().pid_max_age(60));
        args(&mut asm, 1, T, Some(100), &[]);
        arrival(&mut asm, 2, A, T + 61, Some(100), true);
        let out = drain(&mut asm);
        assert!(message(&out, A).arguments.is_empty());
        // The expired args line is still emitted.
        assert!(matches!(&out[0], Assembled::Line(r) if r.position().line == 1));
    }

    #[test]
    fn adjacency_links_nearest_preceding_local_submission_once() {
        let mut asm = Assembler::new();
        args(&mut asm, 10, T, None, &[]);
        arrival(&mut asm, 12, A, T + 1, None, true);
        arrival(&mut asm, 13, B, T + 1, None, true);
        let out = drain(&mut asm);
        assert_eq!(
            links(&message(&out, A)),
            [(10, Link::Adjacent { ambiguous: false })]
        );
        assert!(message(&out, B).arguments.is_empty(), "args line used once");
    }

    #[test]
    fn adjacency_marks_ambiguous_candidates() {
        let mut asm = Assembler::new();
        args(&mut asm, 10, T, None, &[]);
        args(&mut asm, 11, T, None, &[]);
        arrival(&mut asm, 12, A, T, None, true);
        let out = drain(&mut asm);
        assert_eq!(
            links(&message(&out, A)),
            [(11, Link::Adjacent { ambiguous: true })]
        );
    }

    #[test]
    fn adjacency_window_and_locality() {
        // (args line, args time, arrival line, arrival time, local, linked?)
        let cases = [
            (10, T, 21, T, true, true),      // 10 lines between: at the limit
            (10, T, 22, T, true, false),     // 11 lines between
            (10, T, 11, T + 2, true, false), // 2 seconds later
            (10, T, 11, T - 1, true, false), // args line logged after the arrival
            (10, T, 11, T, false, false),    // remote arrival (H=)
        ];
        for (al, at, rl, rt, local, want) in cases {
            let mut asm = Assembler::new();
            args(&mut asm, al, at, None, &[]);
            arrival(&mut asm, rl, A, rt, None, local);
            let out = drain(&mut asm);
            assert_eq!(
                !message(&out, A).arguments.is_empty(),
                want,
                "{al} {at} {rl} {rt} {local}"
            );
        }
    }

    #[test]
    fn args_with_pid_are_not_used_by_adjacency() {
        let mut asm = Assembler::new();
        args(&mut asm, 1, T, Some(7), &[]);
        arrival(&mut asm, 2, A, T, None, true);
        assert!(message(&drain(&mut asm), A).arguments.is_empty());
    }

    #[test]
    fn named_id_links_even_after_the_arrival() {
        let mut asm = Assembler::new();
        arrival(&mut asm, 1, A, T, None, true);
        args(&mut asm, 2, T + 9, None, &[A]);
        let out = drain(&mut asm);
        let m = message(&out, A);
        assert_eq!(links(&m), [(2, Link::NamedId)]);
        // "line 2" is not a `-Mc` args line, so it is no submission.
        assert!(m.submission().is_none());
    }

    #[test]
    fn bounce_links_both_ways() {
        let mut asm = Assembler::new();
        arrival(&mut asm, 1, A, T, None, false);
        let mut f = line(&mut asm, 2, B, T, None);
        f.arrival = Some(ArrivalFacts {
            local: true,
            bounce_parent: Some(A.to_string()),
        });
        asm.push_classified(rec(2), Kind::Message(f));
        let out = drain(&mut asm);
        assert_eq!(message(&out, B).bounce_parent.as_deref(), Some(A));
        assert_eq!(message(&out, A).bounces, [B]);
    }

    #[test]
    fn completed_emits_and_cap_evicts_oldest() {
        let mut asm = Assembler::with_options(AssemblerOptions::default().max_in_flight(2));
        let ids = [A, B, "1sAoM7-0000000CCCC-0000"];
        for (i, id) in ids.iter().enumerate() {
            arrival(&mut asm, i as u64 + 1, id, T, None, false);
            assert!(asm.in_flight() <= 2);
        }
        let mut done = line(&mut asm, 9, B, T, None);
        done.completed = true;
        asm.push_classified(rec(9), Kind::Message(done));
        let out: Vec<(String, Status)> = drain(&mut asm)
            .into_iter()
            .filter_map(|a| match a {
                Assembled::Message(m) => Some((m.id, m.status)),
                Assembled::Line(_) => None,
            })
            .collect();
        assert_eq!(
            out,
            [
                (A.to_string(), Status::Evicted),
                (B.to_string(), Status::Completed),
                (ids[2].to_string(), Status::EndOfInput),
            ]
        );
    }

    #[test]
    fn submissions_are_told_from_other_invocations() {
        let cases = [
            ("/usr/sbin/sendmail -t -i", true),
            (
                "/usr/sbin/sendmail -i -f www@example.com -- user@example.org",
                true,
            ),
            ("/usr/sbin/exim -odi user@example.org", true),
            ("/usr/sbin/exim -bs", true),
            ("/usr/sbin/exim -bd -q30m", false),
            ("/usr/sbin/exim -q", false),
            ("/usr/sbin/exim -Mc 1sAoM5-00000009r3p-06vq", false),
            ("/usr/sbin/exim -bpc", false),
            ("/usr/sbin/exim -bt user@example.org", false),
            ("/usr/sbin/exim", false),
        ];
        for (argv, want) in cases {
            let a = Arguments {
                cwd: crate::text::Text::from("/home/u"),
                argc: 0,
                args: crate::event::ArgList::new(crate::text::Text::from(argv)),
            };
            assert_eq!(is_submission(&a), want, "{argv}");
        }
    }

    #[test]
    fn next_hop_ids_in_confirmations() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (
                b"250 OK id=1sAoM7-0000000BBBB-0001",
                Some("1sAoM7-0000000BBBB-0001"),
            ),
            (b"250 OK id=1FZ8zt-0005lz-E7", Some("1FZ8zt-0005lz-E7")),
            (b"250 2.0.0 Ok: queued as 4XyZ1234", None),
            (b"250 OK id=not-an-id", None),
        ];
        for (c, want) in cases {
            assert_eq!(next_hop_id(Some(c)).as_deref(), *want);
        }
    }
}
