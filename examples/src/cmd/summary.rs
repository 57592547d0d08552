//! `exim-log summary`: the eximstats totals and tables, right on every Exim
//! version. How each total is counted (as eximstats does, so they can be
//! compared): [`crate::report::summary`].

use super::ReportArgs;
use crate::outcome::{Outcome, status};
use crate::report::Render;
use crate::report::summary::{Report, Summary};

/// The long help.
pub const ABOUT: &str = "\
What eximstats reports: totals (received, delivered, delayed, failed,
rejected, volume), deliveries by transport, time on the queue, top sending
hosts, local senders, senders, destination hosts, recipients and recipient
domains, rejections by reason and by host. Both message-id formats (16 and
23 characters) are understood, and rejections without a message id are
counted under their own client IP.";

/// `exim-log summary` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub report: ReportArgs,
}

/// Runs `exim-log summary`.
pub fn run(args: Args) -> Outcome {
    let a = args.report;
    let mut source = a.open()?;
    let window = a.window.window();
    // On one thread the lines of messages are counted as they are read,
    // never copied (the lean assembler).
    let (agg, failed, assembler) = a.fold_messages_lean(
        &mut source,
        Summary::with_budget(window, a.budget()),
        || Summary::with_budget(window, a.partial_budget()),
        |agg, item| agg.add(item),
        |agg, line| agg.add_message_line(line),
        |agg, line| agg.add_line(line),
        Summary::merge,
    );
    let warned = source.check()?;
    let report = agg.report(a.top, a.threshold.unwrap_or(1));
    // The tables are freed by the process's exit: dropping their tens of
    // thousands of keys one by one cost about 1% of a run (callgrind).
    std::mem::forget(agg);
    a.write(
        &report,
        report.bounds.memory,
        Some(assembler),
        source.names(),
        Report::write_text,
    )?;
    Ok(status(failed || warned))
}
