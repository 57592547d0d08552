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
        let threads = self.threads();
        let paths = source.paths()?;
        let min = self.unit_bytes.unwrap_or(MIN_UNIT_BYTES);
        let plan = Plan::sized(&paths, threads * units_per_thread.max(1), min).ok()?;
        // One unit (a small file, one .gz) gains nothing from threads but the
        // pipelined .gz, which the one-thread reader does too.
        (threads > 1 && plan.len() > 1).then_some(plan)
    }
}
