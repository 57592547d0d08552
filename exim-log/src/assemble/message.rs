//! What the assembler emits: a [`Message`] with its lines and links.

use std::sync::Arc;

#[cfg(feature = "serde")]
use serde::Serialize;
#[cfg(feature = "serde")]
use serde::ser::{SerializeMap, Serializer};

use crate::event::Arguments;
use crate::line::LogLine;
use crate::message_id::{IdBuf, MessageId};
use crate::reader::Record;

use super::line::{ArgsSpans, MessageLine};
use crate::{LogDuration, Timestamp};

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
    /// The args line, shared by every message it links to (one `-Mc ID ID
    /// ...` line naming thousands of ids is held once).
    pub record: Arc<Record>,
    /// Which rule linked it.
    pub link: Link,
    /// Where `cwd=` and the arguments lie in the line, found when it was
    /// read.
    pub(super) spans: ArgsSpans,
    /// The args include `-Mc`: a delivery process.
    pub(super) delivery: bool,
}

impl LinkedArguments {
    /// The working directory of the process (`cwd=`), as logged: read from
    /// where the assembler found it, without parsing the line again.
    pub fn cwd(&self) -> Option<&[u8]> {
        self.spans.cwd(self.record.raw())
    }

    /// True when the args include `-Mc` (the delivery process a submission
    /// starts, which runs in the submitter's directory).
    pub fn is_delivery(&self) -> bool {
        self.delivery
    }

    /// The parsed args, from what the assembler's parse found (the line is
    /// not parsed again); `None` only when that parse did not place them in
    /// the line.
    pub fn arguments(&self) -> Option<Arguments<'_>> {
        self.spans.arguments(self.record.raw())
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
    /// Pushed out by [`AssemblerOptions::max_in_flight`] or by the memory
    /// budget ([`AssemblerOptions::memory_budget`]): its lines so far. Its
    /// later lines, if any, come in a message marked
    /// [`Message::continued`].
    ///
    /// [`AssemblerOptions::max_in_flight`]: super::AssemblerOptions::max_in_flight
    /// [`AssemblerOptions::memory_budget`]: super::AssemblerOptions::memory_budget
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
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct NextHop {
    /// The address delivered to.
    pub recipient: String,
    /// The id the next hop gave the message.
    pub message_id: String,
}

/// The lines of one message, in input order, with its links and what the
/// assembler read in its lines as it parsed them ([`MessageLine`]'s facts,
/// the times, `QT=`, where the arrival is), so that nothing parses them
/// again.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The message id, held by value ([`Message::id`]).
    id: IdBuf,
    /// Every line carrying the id, in input order, each with what its parse
    /// found.
    pub lines: Vec<MessageLine>,
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
    /// True when earlier lines of this id were emitted before, in a message
    /// [`Status::Evicted`] (a long-lived message, or the memory budget).
    pub continued: bool,
    /// What the assembler read while it parsed the lines, so that nothing
    /// parses them again.
    pub(super) facts: MessageFacts,
}

/// What the assembler learnt from a message's lines as it parsed them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct MessageFacts {
    /// Time of the first and the last line.
    pub(super) first: Option<Timestamp>,
    pub(super) last: Option<Timestamp>,
    /// `QT=` of its `Completed` line.
    pub(super) queue_time: Option<LogDuration>,
    /// Index of its first `<=` line among its lines read (in `lines`
    /// when they are kept).
    pub(super) arrival: Option<u32>,
    /// Lines read, kept in `lines` or not
    /// ([`AssemblerOptions::keep_lines`](super::AssemblerOptions::keep_lines)):
    /// 32 bits, so that the facts take no more room than before it (the
    /// assembler counts each message's size); past 4 billion lines of one
    /// message it stays at the most.
    pub(super) count: u32,
    /// Bytes it holds in the assembler (lines, links, overhead).
    pub(super) held: usize,
}

impl Message {
    pub(super) fn new(id: IdBuf) -> Self {
        Message {
            id,
            lines: Vec::new(),
            status: Status::EndOfInput,
            arguments: Vec::new(),
            bounce_parent: None,
            bounces: Vec::new(),
            next_hops: Vec::new(),
            continued: false,
            facts: MessageFacts::default(),
        }
    }

    /// True when its first line is its arrival (`<=`): a message that did
    /// not start in an earlier part of the log.
    pub(crate) fn starts_with_arrival(&self) -> bool {
        self.facts.arrival == Some(0)
    }

    /// Bytes of log text it holds (its lines), for the memory ledgers.
    pub(crate) fn text_bytes(&self) -> usize {
        self.lines.iter().map(|r| r.raw().len()).sum::<usize>()
            + self.lines.len() * std::mem::size_of::<MessageLine>()
    }

    /// Appends the part of the same message read in a later part of the log
    /// (a continuation cut off by a split, [`crate::parallel::Stitch`]): the
    /// lines, links and facts as one pass would have gathered them.
    pub(crate) fn absorb(&mut self, later: Message) {
        let Message {
            lines,
            status,
            arguments,
            bounce_parent,
            bounces,
            next_hops,
            facts,
            ..
        } = later;
        if self.facts.arrival.is_none() {
            self.facts.arrival = facts.arrival.map(|i| i.saturating_add(self.facts.count));
        }
        self.facts.count = self.facts.count.saturating_add(facts.count);
        self.lines.extend(lines);
        self.status = status;
        self.arguments.extend(arguments);
        if self.bounce_parent.is_none() {
            self.bounce_parent = bounce_parent;
        }
        self.bounces.extend(bounces);
        self.next_hops.extend(next_hops);
        if self.facts.first.is_none() {
            self.facts.first = facts.first;
        }
        if facts.last.is_some() {
            self.facts.last = facts.last;
        }
        if facts.queue_time.is_some() {
            self.facts.queue_time = facts.queue_time;
        }
    }

    /// The message id.
    pub fn id(&self) -> MessageId<'_> {
        self.id.id()
    }

    /// The id, held by value (the key of the tables that gather messages).
    pub(crate) fn id_buf(&self) -> IdBuf {
        self.id
    }

    /// The arrival (`<=`) line, parsed (the only line parsed again: the
    /// assembler kept where it is).
    pub fn arrival(&self) -> Option<LogLine<'_>> {
        self.arrival_line()?.parse().ok()
    }

    /// The arrival (`<=`) line, unparsed, with its facts (`None` when the
    /// lines are not kept, [`AssemblerOptions::keep_lines`](super::AssemblerOptions::keep_lines)).
    pub fn arrival_line(&self) -> Option<&MessageLine> {
        self.lines.get(usize::try_from(self.facts.arrival?).ok()?)
    }

    /// How many lines of the message were read: `lines.len()`, or with
    /// [`AssemblerOptions::keep_lines`](super::AssemblerOptions::keep_lines)
    /// off (no line kept), the lines it had.
    pub fn line_count(&self) -> usize {
        self.facts.count as usize
    }

    /// The records of its lines, in input order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = &Record> + '_ {
        self.lines.iter().map(MessageLine::record)
    }

    /// The time of the first line.
    pub fn first_time(&self) -> Option<Timestamp> {
        self.facts.first
    }

    /// The time of the last line.
    pub fn last_time(&self) -> Option<Timestamp> {
        self.facts.last
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
        self.arguments
            .iter()
            .find(|a| a.link != Link::NamedId)
            .or_else(|| self.arguments.iter().find(|a| a.delivery))
    }

    /// Time on the queue: `Completed QT=` when logged (`+queue_time_overall`),
    /// otherwise from the first to the last line's timestamp.
    pub fn queue_time(&self) -> Option<LogDuration> {
        if let Some(qt) = self.facts.queue_time {
            return Some(qt);
        }
        let (first, last) = (self.facts.first?, self.facts.last?);
        Some(LogDuration::from_millis(
            last.unix_millis() - first.unix_millis(),
        ))
    }
}

#[cfg(feature = "serde")]
impl Serialize for Message {
    /// The JSON of `SCHEMA.md` §"Messages (assembled)".
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("message_id", self.id.as_str())?;
        m.serialize_entry("status", self.status.name())?;
        if self.continued {
            m.serialize_entry("continued", &true)?;
        }
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
                    line: a.record.as_ref(),
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

#[cfg(feature = "serde")]
#[derive(serde::Serialize)]
struct ArgumentsJson<'a> {
    #[serde(flatten)]
    line: &'a Record,
    link: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    ambiguous: bool,
}
