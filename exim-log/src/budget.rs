//! One memory budget in bytes for every engine that holds log data between
//! lines: the [`Assembler`](crate::assemble::Assembler), the reports
//! ([`crate::report`]) and the trace engine.
//!
//! Log text is partly written by strangers (script arguments, subjects,
//! addresses, SMTP replies), so what an engine keeps is bounded in bytes, not
//! in messages or keys: a line naming 20,000 ids, a message with a million
//! deferrals or 50 KB senders must not grow memory past the budget. What does
//! not fit is never dropped silently: the engine gives up something it can
//! give up (flushes a message early, truncates a key) and counts it in
//! [`MemoryUse::hits`], which front ends show.

/// A limit in bytes on the log data an engine holds between lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MemoryBudget(usize);

impl MemoryBudget {
    /// The default: 32 MiB, for the messages in flight and for a report's
    /// tables each. It was 24 MiB while report tables counted an entry as
    /// its key plus 64 bytes, less than it takes; counted as they take
    /// memory now, 32 MiB holds about what 24 did (a 1M-line log's reports
    /// exact), and peak RSS stays under 64 MB on every hostile input of
    /// `scripts/bench-memory` (release build).
    pub const DEFAULT: MemoryBudget = MemoryBudget(32 << 20);

    /// A budget of `bytes` (at least 1 KiB).
    pub const fn bytes(bytes: usize) -> Self {
        MemoryBudget(if bytes < 1 << 10 { 1 << 10 } else { bytes })
    }

    /// The budget in bytes.
    pub const fn get(&self) -> usize {
        self.0
    }

    /// One of `n` equal shares (for an engine made of several tables).
    pub const fn share(&self, n: usize) -> Self {
        MemoryBudget::bytes(self.0 / if n == 0 { 1 } else { n })
    }
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget::DEFAULT
    }
}

/// The ledger of an engine: the bytes it holds against its budget, the most it
/// held, and how often the budget made it give something up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MemoryUse {
    /// The budget, in bytes.
    pub budget: usize,
    /// Bytes held now.
    pub held: usize,
    /// The most bytes held at once.
    pub peak: usize,
    /// How often the budget was hit (a message flushed early, a table pruned, a
    /// key truncated).
    pub hits: u64,
}

impl MemoryUse {
    /// An empty ledger for `budget`.
    pub const fn new(budget: MemoryBudget) -> Self {
        MemoryUse {
            budget: budget.get(),
            held: 0,
            peak: 0,
            hits: 0,
        }
    }

    /// Counts `n` more bytes held.
    pub fn add(&mut self, n: usize) {
        self.held = self.held.saturating_add(n);
        self.peak = self.peak.max(self.held);
    }

    /// Counts `n` bytes released.
    pub fn sub(&mut self, n: usize) {
        self.held = self.held.saturating_sub(n);
    }

    /// True when more is held than the budget allows.
    pub fn over(&self) -> bool {
        self.held > self.budget
    }

    /// Counts one hit of the budget.
    pub fn hit(&mut self) {
        self.hits += 1;
    }

    /// Adds another ledger's counts (for merged reports): held and peak add
    /// up, as both parts' data now live in one value.
    pub fn merge(&mut self, other: MemoryUse) {
        self.held = self.held.saturating_add(other.held);
        self.peak = self.peak.max(self.held).max(other.peak);
        self.hits += other.hits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_counts_peak_and_hits() {
        let mut u = MemoryUse::new(MemoryBudget::bytes(100 << 10));
        u.add(60 << 10);
        u.add(50 << 10);
        assert!(u.over());
        u.hit();
        u.sub(70 << 10);
        assert!(!u.over());
        assert_eq!((u.held, u.peak, u.hits), (40 << 10, 110 << 10, 1));
        assert_eq!(MemoryBudget::bytes(1).get(), 1 << 10);
        assert_eq!(MemoryBudget::bytes(1 << 20).share(4).get(), 256 << 10);
    }
}
