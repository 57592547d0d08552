//! One module per subcommand: its `Args` (clap derive) and `run`.
//!
//! The report subcommands (`spam-sources`, `abuse-report`, `summary`) share
//! [`ReportArgs`] and the read loops below; what they count is in
//! [`crate::report`].

use std::io::Write;

use exim_log::assemble::{Assembled, Assembler, AssemblerOptions};
use exim_log::budget::{MemoryBudget, MemoryUse};
use exim_log::{LogLine, ReadError};
use serde::Serialize;

use crate::input::{InputArgs, Show, Source};
use crate::outcome::{self, Error, warn};
use crate::threads::ThreadsArgs;
use crate::window::WindowArgs;

pub mod abuse_report;
pub mod completions;
pub mod metrics;
pub mod ndjson;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod queue;
pub mod received;
pub mod report;
pub mod selector;
pub mod spam_sources;
pub mod summary;
pub mod trace;
pub mod web_origins;

/// The options of every report subcommand.
#[derive(Clone, Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub window: WindowArgs,
    /// Rows per table
    #[arg(long, short = 'n', value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Leave out rows counting fewer than N (default 1; abuse-report's hosts
    /// and offenders: 5)
    #[arg(long, value_name = "N")]
    pub threshold: Option<u64>,
    /// One JSON document instead of text (SCHEMA.md)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub memory: BudgetArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub threads: ThreadsArgs,
}

/// `--memory-budget`'s default: the library's ([`MemoryBudget::DEFAULT`]), in MiB.
const DEFAULT_BUDGET_MIB: usize = MemoryBudget::DEFAULT.get() >> 20;

/// `--memory-budget`, shared by the report subcommands and `trace`.
#[derive(Clone, Debug, clap::Args)]
pub struct BudgetArgs {
    /// Most MiB of log data held at once, by the messages being assembled
    /// and by the tables (or trace's held cwd= lines) each; past it the
    /// oldest message is counted early and the lightest table rows (or
    /// oldest cwd= lines) are dropped (the report says so)
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_BUDGET_MIB)]
    pub memory_budget: usize,
}

impl Default for BudgetArgs {
    fn default() -> Self {
        BudgetArgs {
            memory_budget: DEFAULT_BUDGET_MIB,
        }
    }
}

impl BudgetArgs {
    /// The memory budget of `--memory-budget`.
    pub fn budget(&self) -> MemoryBudget {
        MemoryBudget::bytes(self.memory_budget.saturating_mul(1 << 20))
    }
}

impl ReportArgs {
    /// The memory budget of `--memory-budget`.
    pub fn budget(&self) -> MemoryBudget {
        self.memory.budget()
    }

    /// Opens the inputs (a progress bar unless `--json`); with more than one
    /// thread, gzip inputs are decompressed on a thread of their own.
    pub fn open(&self) -> Result<Source, Error> {
        let mut source = self.input.open(if self.json {
            Show::Quiet
        } else {
            Show::Progress
        })?;
        source.pipelined(self.threads.threads() > 1);
        Ok(source)
    }

    /// The memory budget of one partial report when `threads` count at
    /// once: the partials in flight (two per thread) share one budget, the
    /// merged report has its own.
    pub fn partial_budget(&self) -> MemoryBudget {
        self.budget().share(2 * self.threads.threads())
    }

    /// Folds every assembled message and lone line of `source` into `total`:
    /// on this thread ([`each_message`]), or with `--threads` on several
    /// ([`exim_log::parallel::fold_messages`]: each unit into `init()`, the
    /// partials merged in input order by `merge`; the same result). Returns
    /// the result, whether an input could not be read to its end, and the
    /// assembler's ledger.
    pub fn fold_messages<T: Send>(
        &self,
        source: &mut Source,
        total: T,
        init: impl Fn() -> T + Sync,
        add: impl Fn(&mut T, &Assembled) + Sync,
        merge: impl FnMut(&mut T, T),
    ) -> (T, bool, MemoryUse) {
        fold_messages(
            &self.threads,
            self.budget(),
            source,
            total,
            init,
            add,
            merge,
        )
    }

    /// As [`ReportArgs::fold_messages`], with the lines that belong to no
    /// message given to `lone` as the assembler parsed them (not copied, not
    /// parsed again), on this thread ([`each_message_and_line`]) or on
    /// several ([`exim_log::parallel::fold_messages_and_lines`]). `add`
    /// still gets the args lines that linked to nothing.
    pub fn fold_messages_and_lines<T: Send>(
        &self,
        source: &mut Source,
        total: T,
        init: impl Fn() -> T + Sync,
        add: impl Fn(&mut T, &Assembled) + Sync,
        lone: impl Fn(&mut T, &LogLine<'_>) + Sync,
        merge: impl FnMut(&mut T, T),
    ) -> (T, bool, MemoryUse) {
        let Some(plan) = self.threads.plan(source, 2) else {
            // Both callbacks add to the one total, never at once.
            let total = std::cell::RefCell::new(total);
            let (failed, memory) = each_message_and_line(
                source,
                self.budget(),
                |item| add(&mut total.borrow_mut(), &item),
                |line| lone(&mut total.borrow_mut(), line),
            );
            return (total.into_inner(), failed, memory);
        };
        let plan = plan.quiet();
        let opts = AssemblerOptions::default().memory_budget(self.budget());
        let f = exim_log::parallel::fold_messages_and_lines(
            &plan,
            self.threads.threads(),
            opts,
            total,
            init,
            add,
            lone,
            merge,
        );
        let failed = read_elsewhere(source, &plan, &f.lines, &f.errors);
        (f.value, failed, f.memory)
    }

    /// As [`ReportArgs::fold_messages_and_lines`], but with an assembler
    /// that keeps no lines: the lines of messages go to `message_line` as
    /// they are read (their parse) and the messages come to `add` without
    /// them, on this thread ([`each_message_lean`]) or on several
    /// ([`exim_log::parallel::fold_messages_lean`]: there a message that a
    /// cut may split keeps its lines, and `merge` must keep what a partial
    /// holds for its messages in flight). `add`, `message_line` and `lone`
    /// together must count what `add` counts of messages with their lines.
    /// For a report that keeps a few fixed bytes per message in flight
    /// (bounded by the assembler's `max_in_flight`) and reads no args line
    /// links (`keep_arguments(false)`: args lines go to `lone`, as lines of
    /// no message); one that keeps more uses
    /// [`ReportArgs::fold_messages_lean_held`].
    #[allow(clippy::too_many_arguments)]
    pub fn fold_messages_lean<T: Send>(
        &self,
        source: &mut Source,
        total: T,
        init: impl Fn() -> T + Sync,
        add: impl Fn(&mut T, &Assembled) + Sync,
        message_line: impl Fn(&mut T, &LogLine<'_>) + Sync,
        lone: impl Fn(&mut T, &LogLine<'_>) + Sync,
        merge: impl FnMut(&mut T, T),
    ) -> (T, bool, MemoryUse) {
        if let Some(plan) = self.threads.plan(source, 2) {
            let plan = plan.quiet();
            let opts = AssemblerOptions::default()
                .memory_budget(self.budget())
                .keep_arguments(false);
            let f = exim_log::parallel::fold_messages_lean(
                &plan,
                self.threads.threads(),
                opts,
                total,
                init,
                add,
                message_line,
                lone,
                merge,
            );
            let failed = read_elsewhere(source, &plan, &f.lines, &f.errors);
            return (f.value, failed, f.memory);
        }
        let held = |t: &mut T, line: &LogLine<'_>| {
            message_line(t, line);
            0
        };
        let opts = AssemblerOptions::default()
            .memory_budget(self.budget())
            .keep_lines(false)
            .keep_arguments(false);
        lean_one_thread(source, opts, total, add, held, lone)
    }

    /// As [`ReportArgs::fold_messages_lean`], with `message_line` returning
    /// the bytes it added to what `total` holds for the line's message: the
    /// assembler counts them against the memory budget until the message
    /// comes out ([`exim_log::assemble::Assembler::hold`]), flushing messages
    /// early as for their lines, so that state stays within the budget.
    #[allow(clippy::too_many_arguments)]
    pub fn fold_messages_lean_held<T: Send>(
        &self,
        source: &mut Source,
        total: T,
        init: impl Fn() -> T + Sync,
        add: impl Fn(&mut T, &Assembled) + Sync,
        message_line: impl Fn(&mut T, &LogLine<'_>) -> usize,
        lone: impl Fn(&mut T, &LogLine<'_>) + Sync,
        merge: impl FnMut(&mut T, T),
    ) -> (T, bool, MemoryUse) {
        if self.threads.threads() > 1 {
            return self.fold_messages_and_lines(source, total, init, add, lone, merge);
        }
        let opts = AssemblerOptions::default()
            .memory_budget(self.budget())
            .keep_lines(false);
        lean_one_thread(source, opts, total, add, message_line, lone)
    }

    /// Folds every line of `source` into `total`: on this thread
    /// ([`each_line`]), or with `--threads` on several
    /// ([`exim_log::parallel::fold_lines`]; the same result). `each` says
    /// whether the line parsed (see [`each_line`]). Returns the result and
    /// whether an input could not be read to its end.
    pub fn fold_lines<T: Send>(
        &self,
        source: &mut Source,
        total: T,
        init: impl Fn() -> T + Sync,
        each: impl Fn(&mut T, &[u8]) -> bool + Sync,
        merge: impl FnMut(&mut T, T),
    ) -> (T, bool) {
        let Some(plan) = self.threads.plan(source, 2) else {
            let mut total = total;
            let failed = each_line(source, |raw| each(&mut total, raw));
            return (total, failed);
        };
        let f = exim_log::parallel::fold_lines(
            &plan,
            self.threads.threads(),
            total,
            init,
            |t, raw, _| {
                each(t, raw);
            },
            merge,
        );
        let failed = read_elsewhere(source, &plan, &f.lines, &f.errors);
        (f.value, failed)
    }

    /// Writes `report` to stdout: JSON with `--json`, otherwise its text
    /// through `text` (given the input names).
    /// `assembler` (the ledger of [`each_message`]) goes into the JSON as
    /// `assembler_memory`. When the budget was hit (`memory`, the report's
    /// own ledger, or the assembler's), one line on stderr says so, with
    /// `--json` or not ([`outcome::budget_hits`]).
    pub fn write<R: Serialize>(
        &self,
        report: &R,
        memory: MemoryUse,
        assembler: Option<MemoryUse>,
        inputs: &[String],
        text: impl FnOnce(&R, &mut dyn Write, &[String]) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        outcome::budget_hits(&[
            (assembler.map_or(0, |a| a.hits), "messages flushed early"),
            (memory.hits, "times report tables were trimmed or keys cut"),
        ]);
        let mut out = outcome::stdout();
        if self.json {
            match assembler {
                Some(assembler_memory) => outcome::write_json(
                    &mut out,
                    &WithAssembler {
                        report,
                        assembler_memory,
                    },
                )?,
                None => outcome::write_json(&mut out, report)?,
            }
        } else {
            text(report, &mut out, inputs)?;
        }
        out.flush()?;
        Ok(())
    }
}

/// Folds every assembled message and lone line of `source` into `total`
/// within `budget`: on this thread ([`each_message`]), or with `--threads`
/// on several ([`exim_log::parallel::fold_messages`]: each unit into
/// `init()`, the partials merged in input order by `merge`; the same
/// result). Returns the result, whether an input could not be read to its
/// end, and the assembler's ledger.
pub fn fold_messages<T: Send>(
    threads: &ThreadsArgs,
    budget: MemoryBudget,
    source: &mut Source,
    total: T,
    init: impl Fn() -> T + Sync,
    add: impl Fn(&mut T, &Assembled) + Sync,
    merge: impl FnMut(&mut T, T),
) -> (T, bool, MemoryUse) {
    let Some(plan) = threads.plan(source, 2) else {
        let mut total = total;
        let (failed, memory) = each_message(source, budget, |item| add(&mut total, &item));
        return (total, failed, memory);
    };
    fold_planned(plan, threads, budget, source, total, init, add, merge)
}

/// The several-threads part of [`fold_messages`], on a plan made already.
#[allow(clippy::too_many_arguments)]
fn fold_planned<T: Send>(
    plan: exim_log::parallel::Plan,
    threads: &ThreadsArgs,
    budget: MemoryBudget,
    source: &mut Source,
    total: T,
    init: impl Fn() -> T + Sync,
    add: impl Fn(&mut T, &Assembled) + Sync,
    merge: impl FnMut(&mut T, T),
) -> (T, bool, MemoryUse) {
    let plan = plan.quiet();
    let opts = AssemblerOptions::default().memory_budget(budget);
    let f =
        exim_log::parallel::fold_messages(&plan, threads.threads(), opts, total, init, add, merge);
    let failed = read_elsewhere(source, &plan, &f.lines, &f.errors);
    (f.value, failed, f.memory)
}

/// The one-thread part of [`ReportArgs::fold_messages_lean_held`] (and of
/// [`ReportArgs::fold_messages_lean`]), with an assembler of `opts` (lean:
/// `keep_lines(false)`).
fn lean_one_thread<T>(
    source: &mut Source,
    opts: AssemblerOptions,
    total: T,
    add: impl Fn(&mut T, &Assembled),
    message_line: impl Fn(&mut T, &LogLine<'_>) -> usize,
    lone: impl Fn(&mut T, &LogLine<'_>),
) -> (T, bool, MemoryUse) {
    let total = std::cell::RefCell::new(total);
    let (failed, memory) = each_message_with(
        source,
        opts,
        true,
        |item| add(&mut total.borrow_mut(), &item),
        |line, kept| {
            let t = &mut *total.borrow_mut();
            if !kept {
                lone(t, line);
                0
            } else if !matches!(line.event, exim_log::Event::Arguments(_)) {
                message_line(t, line)
            } else {
                0
            }
        },
    );
    (total.into_inner(), failed, memory)
}

/// After a read on several threads: tells `source` how many lines each
/// file had, prints the read errors in order; true when one ended its input.
pub fn read_elsewhere(
    source: &mut Source,
    plan: &exim_log::parallel::Plan,
    lines: &[u64],
    errors: &[ReadError],
) -> bool {
    for (u, n) in plan.units().iter().zip(lines) {
        source.read_elsewhere(&u.path, *n);
    }
    let mut failed = false;
    for e in errors {
        failed |= read_error(e);
    }
    failed
}

/// Prints a read error; true when it ended its input (the run then exits 2).
pub fn read_error(e: &ReadError) -> bool {
    warn(e);
    e.is_fatal()
}

/// Feeds every assembled message and lone line of `source` to `each`; true
/// when an input could not be read to its end, and the assembler's memory
/// ledger (its hits are messages flushed early by the budget).
pub fn each_message(
    source: &mut Source,
    budget: MemoryBudget,
    mut each: impl FnMut(Assembled),
) -> (bool, MemoryUse) {
    let mut failed = false;
    let asm = Assembler::with_options(AssemblerOptions::default().memory_budget(budget));
    let mut messages = asm.messages(source);
    for item in messages.by_ref() {
        match item {
            Ok(a) => each(a),
            Err(e) => failed |= read_error(&e),
        }
    }
    (failed, messages.assembler().memory())
}

/// As [`each_message`], but the lines that belong to no message go to
/// `lone` as the assembler parsed them ([`Assembler::push_line`]: read into
/// one buffer, never copied; those that do not parse are skipped), not to
/// `each`; args lines that linked to nothing still come to `each`.
pub fn each_message_and_line(
    source: &mut Source,
    budget: MemoryBudget,
    each: impl FnMut(Assembled),
    mut lone: impl FnMut(&LogLine<'_>),
) -> (bool, MemoryUse) {
    each_message_and_parse(source, budget, each, |line, kept| {
        if !kept {
            lone(line);
        }
    })
}

/// As [`each_message_and_line`], but every line that parses goes to
/// `parsed`, with whether a message (or an args line's record) kept it: the
/// one parse of each line, for a caller that counts every line besides the
/// messages (`exim-log report`: abuse-report's counting).
pub fn each_message_and_parse(
    source: &mut Source,
    budget: MemoryBudget,
    each: impl FnMut(Assembled),
    mut parsed: impl FnMut(&LogLine<'_>, bool),
) -> (bool, MemoryUse) {
    let opts = AssemblerOptions::default().memory_budget(budget);
    each_message_with(source, opts, false, each, |line, kept| {
        parsed(line, kept);
        0
    })
}

/// As [`each_message_and_parse`], with an assembler that keeps no lines
/// ([`AssemblerOptions::keep_lines`]`(false)`, the messages come to `each`
/// without them), and each line's parse given to `parsed` after the items
/// its push emitted went to `each` (a message that the line pushed out
/// ends before it), as [`exim_log::report::summary::Summary::add_message_line`]
/// wants. `parsed` returns the bytes the caller now holds for the line's
/// message, which the assembler counts as the message's
/// ([`Assembler::hold`]; 0 for none).
pub fn each_message_lean(
    source: &mut Source,
    budget: MemoryBudget,
    each: impl FnMut(Assembled),
    parsed: impl FnMut(&LogLine<'_>, bool) -> usize,
) -> (bool, MemoryUse) {
    let opts = AssemblerOptions::default()
        .memory_budget(budget)
        .keep_lines(false);
    each_message_with(source, opts, true, each, parsed)
}

/// The loop of [`each_message_and_parse`] and [`each_message_lean`]
/// (`emitted_first`: the items a line's push emitted go to `each` before
/// the line's parse goes to `parsed`; what `parsed` returns is held for
/// the line's message, [`Assembler::hold`]).
fn each_message_with(
    source: &mut Source,
    opts: AssemblerOptions,
    emitted_first: bool,
    mut each: impl FnMut(Assembled),
    mut parsed: impl FnMut(&LogLine<'_>, bool) -> usize,
) -> (bool, MemoryUse) {
    let mut failed = false;
    let mut asm = Assembler::with_options(opts);
    loop {
        // Each line borrowed from the reader (not copied), its parse
        // borrowed where it was made (a `LogLine` is large to move).
        let read = source.next_line_with(|raw, position| {
            exim_log::parse_line_with(raw, |line| {
                let kept = asm.push_parsed(raw, line, position.clone());
                if emitted_first {
                    while let Some(a) = asm.pop() {
                        each(a);
                    }
                }
                let held = parsed(line, kept);
                if held > 0
                    && let Some(id) = line.message_id
                {
                    // Flushes messages early if the budget needs it: they
                    // go to `each` after this line, as a line's evictions do.
                    // (Its message is in flight: a line's push emits its own
                    // message only at `Completed`, for which nothing is held.)
                    asm.hold(id, held);
                }
            })
            .is_ok()
        });
        match read {
            Ok(true) => {
                while let Some(a) = asm.pop() {
                    each(a);
                }
            }
            Ok(false) => break,
            Err(e) => failed |= read_error(&e),
        }
    }
    asm.finish();
    while let Some(a) = asm.pop() {
        each(a);
    }
    (failed, asm.memory())
}

/// A report's JSON with the assembler's ledger added as `assembler_memory`
/// (SCHEMA.md): the report's own `memory` counts only its tables.
#[derive(Serialize)]
pub struct WithAssembler<'a, R> {
    #[serde(flatten)]
    report: &'a R,
    assembler_memory: MemoryUse,
}

/// Calls `each` on every line of `source`, borrowed from the read buffer
/// ([`Source::next_line_with`]: no copy of the line); `each` says whether the
/// line parsed as an Exim line (the input's accounts need it, and `each`
/// parses the line anyway). True when an input could not be read to its end.
pub fn each_line(source: &mut Source, mut each: impl FnMut(&[u8]) -> bool) -> bool {
    let mut failed = false;
    loop {
        match source.next_line_with(|raw, _| each(raw)) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => failed |= read_error(&e),
        }
    }
    failed
}
