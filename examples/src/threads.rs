//! `--threads N`: how many cores a subcommand reads its logs on
//! ([`exim_log::parallel`]). The output is the same whatever N.

use exim_log::parallel::{MIN_UNIT_BYTES, Plan, available_threads};

use crate::input::Source;

/// The `--threads` option of the subcommands that read whole logs.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ThreadsArgs {
    /// Threads to read and count on (default: the available cores). Plain
    /// files are cut into byte ranges, each .gz file is read on a core of
    /// its own (a single .gz is decompressed on one thread and parsed on
    /// another); the output is the same as with --threads 1
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Smallest unit of work in bytes (for tests: cut small logs into many
    /// units)
    #[arg(long, value_name = "BYTES", hide = true)]
    pub unit_bytes: Option<u64>,
}

impl ThreadsArgs {
    /// The threads to use.
    pub fn threads(&self) -> usize {
        self.threads.unwrap_or_else(available_threads).max(1)
    }

    /// The units to read on several threads, or `None` to read `source` on
    /// this thread alone (one thread asked for, or an input that is not a
    /// file: standard input, the sample). `units_per_thread` units are made
    /// per thread (more: better balance, more partial results to merge).
    pub fn plan(&self, source: &Source, units_per_thread: usize) -> Option<Plan> {
        self.plan_by(
            source,
            self.threads() * units_per_thread.max(1),
            MIN_UNIT_BYTES,
        )
    }

    /// [`ThreadsArgs::plan`] with units of about `unit_bytes` each (the
    /// hidden `--unit-bytes` wins), however large the input: for work
    /// whose output waits in memory for its turn (`ndjson`), so that each
    /// unit's output stays small enough for the cores' caches.
    pub fn plan_units_of(&self, source: &Source, unit_bytes: u64) -> Option<Plan> {
        self.plan_by(source, usize::MAX, unit_bytes)
    }

    fn plan_by(&self, source: &Source, parts: usize, min_unit: u64) -> Option<Plan> {
        let threads = self.threads();
        let paths = source.paths()?;
        let min = self.unit_bytes.unwrap_or(min_unit);
        let plan = Plan::sized(&paths, parts, min).ok()?;
        // One unit (a small file, one .gz) gains nothing from threads but the
        // pipelined .gz, which the one-thread reader does too.
        (threads > 1 && plan.len() > 1).then_some(plan)
    }
}
