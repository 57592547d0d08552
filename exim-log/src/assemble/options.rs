//! The limits and rules of an [`Assembler`](super::Assembler).

use crate::budget::MemoryBudget;

/// Limits and rules of an [`Assembler`](super::Assembler).
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
    /// Most bytes of log data held (lines of the messages in flight, args
    /// lines waiting); past it the oldest message is flushed early, marked
    /// [`Status::Evicted`](super::Status::Evicted) (default
    /// [`MemoryBudget::DEFAULT`], 32 MiB).
    pub memory_budget: MemoryBudget,
    /// Whether a message keeps its lines (default true). With `false` (the
    /// lean mode, [`AssemblerOptions::keep_lines`]) no line of a message is
    /// copied: [`Message::lines`](super::Message::lines) stays empty, and
    /// the caller counts each line from its parse as it is read.
    pub keep_lines: bool,
    /// Whether `+arguments` lines (`cwd=... args: ...`) are linked to the
    /// messages they submit or name (default true). With `false`
    /// ([`AssemblerOptions::keep_arguments`]) they are lines of no message.
    pub keep_arguments: bool,
}

impl Default for AssemblerOptions {
    fn default() -> Self {
        AssemblerOptions {
            max_in_flight: 100_000,
            max_pending_arguments: 4096,
            adjacency_seconds: 1,
            adjacency_lines: 10,
            pid_max_age: 3600,
            memory_budget: MemoryBudget::DEFAULT,
            keep_lines: true,
            keep_arguments: true,
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

    /// Sets [`AssemblerOptions::memory_budget`].
    pub fn memory_budget(mut self, budget: MemoryBudget) -> Self {
        self.memory_budget = budget;
        self
    }

    /// Sets [`AssemblerOptions::pid_max_age`].
    pub fn pid_max_age(mut self, seconds: i64) -> Self {
        self.pid_max_age = seconds;
        self
    }

    /// Sets [`AssemblerOptions::keep_lines`]. With `false`, the lean mode,
    /// the assembler links, groups and times messages as before, but keeps
    /// none of their lines: a [`Message`](super::Message) comes out with
    /// its id, status, times ([`Message::queue_time`](super::Message::queue_time)),
    /// links, bounces, next hops and [`Message::line_count`](super::Message::line_count),
    /// and no [`Message::lines`](super::Message::lines) (so no
    /// [`Message::arrival`](super::Message::arrival)). It is for a report
    /// that reads each line's parse as it is fed ([`Assembler::push_parsed`](super::Assembler::push_parsed),
    /// [`crate::report::summary::Summary::add_message_line`]) and needs of
    /// the message only what it keeps: the copy of every line (about a
    /// quarter of `summary`'s instructions, callgrind) is saved, and the
    /// memory budget counts no line text, so a long-deferred message is
    /// no longer flushed early for its lines.
    ///
    /// ```
    /// use exim_log::assemble::{Assembled, Assembler, AssemblerOptions, Status};
    /// use exim_log::{Position, parse_line};
    ///
    /// let mut asm = Assembler::with_options(AssemblerOptions::default().keep_lines(false));
    /// let log: [&[u8]; 2] = [
    ///     b"2024-05-25 10:00:00 1sAfXv-0001UX-00 <= a@b.example U=a P=local S=812",
    ///     b"2024-05-25 10:00:03 1sAfXv-0001UX-00 Completed QT=3s",
    /// ];
    /// for (n, raw) in log.into_iter().enumerate() {
    ///     let line = parse_line(raw).unwrap();
    ///     assert!(asm.push_parsed(raw, &line, Position::new(n as u64 + 1, 0)));
    /// }
    /// let Some(Assembled::Message(m)) = asm.pop() else { panic!() };
    /// assert_eq!(m.status, Status::Completed);
    /// assert!(m.lines.is_empty());
    /// assert_eq!(m.line_count(), 2);
    /// assert_eq!(m.queue_time().map(|q| q.as_secs_f64()), Some(3.0));
    /// ```
    pub fn keep_lines(mut self, keep: bool) -> Self {
        self.keep_lines = keep;
        self
    }

    /// Sets [`AssemblerOptions::keep_arguments`]. With `false`, an args
    /// line is not read for ids, not held and linked to no message
    /// ([`Message::arguments`](super::Message::arguments) stays empty, and
    /// no message is started by an args line naming its id): it is a line
    /// of no message, emitted as [`Assembled::Line`](super::Assembled::Line)
    /// by [`Assembler::push`](super::Assembler::push), and
    /// [`Assembler::push_parsed`](super::Assembler::push_parsed) returns
    /// false for it. For a report that reads no link (`exim-log summary`):
    /// the copy, the id search and the holding of every args line (about
    /// 1,500 instructions each, callgrind) are saved, and no args line
    /// counts against the memory budget.
    ///
    /// ```
    /// use exim_log::assemble::{Assembled, Assembler, AssemblerOptions};
    /// use exim_log::{Position, parse_line};
    ///
    /// let opts = AssemblerOptions::default().keep_arguments(false);
    /// let mut asm = Assembler::with_options(opts);
    /// let log: [&[u8]; 3] = [
    ///     b"2024-05-25 10:00:00 cwd=/home/a 3 args: /usr/sbin/sendmail -t -i",
    ///     b"2024-05-25 10:00:00 1sAfXv-0001UX-00 <= a@b.example U=a P=local S=812",
    ///     b"2024-05-25 10:00:03 1sAfXv-0001UX-00 Completed",
    /// ];
    /// let kept: Vec<bool> = log
    ///     .iter()
    ///     .enumerate()
    ///     .map(|(n, raw)| asm.push_parsed(raw, &parse_line(raw).unwrap(), Position::new(n as u64 + 1, 0)))
    ///     .collect();
    /// assert_eq!(kept, [false, true, true], "the args line is a line of no message");
    /// let Some(Assembled::Message(m)) = asm.pop() else { panic!() };
    /// assert!(m.arguments.is_empty() && m.submission().is_none());
    /// ```
    pub fn keep_arguments(mut self, keep: bool) -> Self {
        self.keep_arguments = keep;
        self
    }
}
