//! The hash tables of the assembler and the reports.
//!
//! Their keys are message ids, addresses, hosts and reasons read from the log,
//! hashed several times a line. std's SipHash cost about a tenth of a report's
//! instructions (callgrind; the count is in benches/README.md); foldhash is
//! several times cheaper and still seeded per process, so a log cannot be
//! written to collide in every run.

/// A `HashMap` with foldhash.
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// A `HashSet` with foldhash.
pub(crate) type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
