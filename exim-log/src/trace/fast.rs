//! The id fast path: the reader skips every line that holds neither a wanted
//! needle (an id) nor `cwd=`.
//!
//! `cwd=` lines are needed to link a submission to the script that made it (by
//! pid or adjacency), but on a shared host they are a large share of the log
//! (one per Exim process) and almost none link to a wanted message. So a `cwd=`
//! line without a wanted needle is held back unparsed and is given to the
//! assembler only when a wanted line comes (an arrival it may link to); until
//! then it costs a copy, not a parse, an allocation and a trip through the
//! assembler. Lines older than the assembler's linking windows are dropped, as
//! the assembler itself would.

use std::collections::VecDeque;

use crate::assemble::{Assembler, AssemblerOptions};
use crate::budget::MemoryUse;
use crate::line::parse_line;
use crate::reader::{Position, Prefilter, Record};

/// A line held back, unparsed: its bytes and position.
type Held = (Vec<u8>, Position);

/// Most `cwd=` lines held back at once (a memory bound).
const HELD_MAX: usize = 1 << 16;

#[derive(Debug)]
pub(super) struct FastPath {
    /// The needles of the lines wanted (ids, or literal strings).
    wanted: Prefilter,
    /// `wanted` and `cwd=`: what the reader stops at.
    pub(super) read: Prefilter,
    held: VecDeque<Held>,
    /// Bytes of held lines against half the assembler's memory budget (a file of
    /// long `cwd=` lines, written by strangers, must not hold gigabytes);
    /// a hit is counted each time lines are dropped to keep within it.
    pub(super) mem: MemoryUse,
    /// Spare line buffers (no allocation per held line).
    spare: Vec<Vec<u8>>,
    /// Held lines older than this many seconds before the newest can link nothing.
    max_age: i64,
    /// Prune the held lines when there are this many.
    prune_at: usize,
}

impl FastPath {
    pub(super) fn new(wanted: Prefilter, opts: &AssemblerOptions) -> Self {
        let mut read = wanted.clone();
        read.add("cwd=");
        FastPath {
            wanted,
            read,
            held: VecDeque::new(),
            // Half the budget: the held lines go to the assembler on a wanted
            // line, which must then still have room for the message.
            mem: MemoryUse::new(opts.memory_budget.share(2)),
            spare: Vec::new(),
            max_age: opts.pid_max_age.max(opts.adjacency_seconds),
            prune_at: 1024,
        }
    }

    /// The needles of the lines wanted.
    pub(super) fn wanted(&self) -> &Prefilter {
        &self.wanted
    }

    /// True when `line` holds a wanted needle (not only `cwd=`).
    pub(super) fn wants(&self, line: &[u8]) -> bool {
        self.wanted.is_match(line)
    }

    /// Wants the lines of one more message (a bounce's parent, ...).
    pub(super) fn add(&mut self, needle: &str) {
        self.wanted.add(needle);
        self.read.add(needle);
    }

    /// Keeps the line in `buf` (taking its buffer) for a later [`FastPath::flush`].
    pub(super) fn hold(&mut self, buf: &mut Vec<u8>, pos: Position) {
        // The oldest go first, so that what is held never passes the budget
        // (the ledger's peak included).
        let n = buf.len();
        if self.mem.held.saturating_add(n) > self.mem.budget {
            self.mem.hit();
            while self.mem.held.saturating_add(n) > self.mem.budget && !self.held.is_empty() {
                self.drop_oldest();
            }
        }
        let spare = self.spare.pop().unwrap_or_default();
        self.mem.add(n);
        self.held.push_back((std::mem::replace(buf, spare), pos));
        if self.held.len() >= self.prune_at {
            self.prune();
            self.prune_at = (2 * self.held.len()).max(1024);
        }
    }

    /// Drops the held lines too old to link to anything still to come: a log is
    /// in time order, so a binary search parses a few lines, not all of them.
    /// Then the oldest go until the count bound holds.
    fn prune(&mut self) {
        let time = |h: &Held| parse_line(&h.0).ok().map(|l| l.timestamp.unix_seconds());
        let old = match self.held.back().and_then(time) {
            Some(newest) => self
                .held
                .partition_point(|h| time(h).is_some_and(|t| newest - t > self.max_age)),
            None => 0,
        };
        let old = old.max(self.held.len().saturating_sub(HELD_MAX));
        for _ in 0..old {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        if let Some((mut raw, _)) = self.held.pop_front() {
            self.mem.sub(raw.len());
            if self.spare.len() < 64 && raw.capacity() <= 64 * 1024 {
                raw.clear();
                self.spare.push(raw);
            }
        }
    }

    /// Gives every held line to the assembler, in log order.
    pub(super) fn flush(&mut self, asm: &mut Assembler) {
        self.mem.sub(self.mem.held);
        for (raw, pos) in self.held.drain(..) {
            asm.push(Record::new(raw, pos));
        }
    }
}
