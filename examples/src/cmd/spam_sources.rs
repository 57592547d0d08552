//! `exim-log spam-sources`: rank who sends the mail leaving this server, by
//! script directory (`cwd=`), local user (`U=`), authenticated login (`A=`) and
//! relaying host, to find compromised scripts and accounts. What is counted:
//! [`crate::report::spam`].

use exim_log::assemble::Assembled;

use super::ReportArgs;
use crate::outcome::{Outcome, status};
use crate::report::Render;
use crate::report::spam::{SpamReport, SpamSources};

/// The long help.
pub const ABOUT: &str = "\
Ranks who sends mail through this Exim, the outbound-spam hunt: the script
directory that submitted it (cwd= of +arguments, linked to each message), the
local user (U=), the authenticated login (A=), and hosts relaying without
authentication. For each: messages, recipients, recipient domains, failed and
deferred deliveries, bounces caused, top subjects (+subject), first and last
seen, and a message id to give to `exim-log trace`.";

/// `exim-log spam-sources` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub report: ReportArgs,
}

/// Runs `exim-log spam-sources`.
pub fn run(args: Args) -> Outcome {
    let a = args.report;
    let mut source = a.open()?;
    let window = a.window.window();
    // On one thread the lines of messages are taken as they are read, only
    // each message's arrival copied (the lean assembler), the copies held
    // against the assembler's budget.
    let (agg, failed, assembler) = a.fold_messages_lean_held(
        &mut source,
        SpamSources::with_budget(window, a.budget()),
        || SpamSources::with_budget(window, a.partial_budget()),
        |agg, item| {
            if let Assembled::Message(m) = item {
                agg.add(m);
            }
        },
        |agg, line| agg.add_message_line(line),
        // Lines of no message count for nothing here: never copied.
        |_, _| {},
        SpamSources::merge,
    );
    let warned = source.check()?;
    let report = agg.report(a.top, a.threshold.unwrap_or(1));
    a.write(
        &report,
        report.bounds.memory,
        Some(assembler),
        source.names(),
        SpamReport::write_text,
    )?;
    Ok(status(failed || warned))
}
