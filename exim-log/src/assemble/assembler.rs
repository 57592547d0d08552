//! The [`Assembler`]: lines in, messages out, with the `cwd=` link by id,
//! pid or adjacency, bounce parents and next hops.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::{
    Assembled, AssemblerOptions, Link, LinkedArguments, Message, Messages, NextHop, Status,
};
use crate::event::{Arguments, Event};
use crate::line::parse_line;
use crate::message_id::MessageId;
use crate::reader::{ReadError, Record};

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
pub(super) struct Facts {
    pub(super) id: String,
    pub(super) time: i64,
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
    pub(super) named: Vec<String>,
    pub(super) submission: bool,
    pub(super) batch: bool,
}

/// The part of a parsed line the assembler acts on.
pub(super) enum Kind {
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

pub(super) struct ArrivalFacts {
    pub(super) local: bool,
    pub(super) bounce_parent: Option<String>,
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

    pub(super) fn push_classified(&mut self, record: Record, kind: Kind) {
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
pub(super) fn is_submission(args: &Arguments<'_>) -> bool {
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
pub(super) fn next_hop_id(confirmation: Option<&[u8]>) -> Option<String> {
    let c = confirmation?;
    let at = memchr::memmem::find(c, b"id=")?;
    let (id, _) = MessageId::parse_prefix(c.get(at + 3..)?)?;
    Some(id.as_str().to_string())
}
