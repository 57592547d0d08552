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
    /// [`MemoryBudget::DEFAULT`], 24 MiB).
    pub memory_budget: MemoryBudget,
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
}
