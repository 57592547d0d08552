//! `exim-log report --html FILE`: the `summary`, `spam-sources` and
//! `abuse-report` reports of one pass over the input, as one self-contained
//! HTML page ([`crate::report::html`]).

use std::io::Write;
use std::path::PathBuf;

use exim_log::assemble::{Assembled, Assembler, AssemblerOptions};
use exim_log::report::abuse::AbuseReport;
use exim_log::report::spam::SpamSources;
use exim_log::report::summary::Summary;

use super::{BudgetArgs, read_error};
use crate::input::{InputArgs, Show};
use crate::outcome::{self, Outcome, status};
use crate::report::html::Page;
use crate::window::WindowArgs;

/// The long help.
pub const ABOUT: &str = "\
One self-contained HTML page (inline CSS and SVG charts, a small script to
sort tables, no request at view time; light, dark and print styles) with what
summary, spam-sources and abuse-report find in one pass over the input:
totals and time range; received, delivered, deferred, failed and rejected over
time; outbound spam suspects; inbound abuse; deliveries by transport and host;
queue-time and size histograms; an id to trace in every table of senders.
Its numbers are those of the three subcommands' --json with the same options.";

/// `exim-log report` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub window: WindowArgs,
    /// Write the HTML page to FILE (`-`: standard output)
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
    /// Rows per table
    #[arg(long, short = 'n', value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Leave out rows counting fewer than N (default as each subcommand: 1;
    /// abuse-report's hosts and offenders: 5)
    #[arg(long, value_name = "N")]
    pub threshold: Option<u64>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub memory: BudgetArgs,
}

/// Runs `exim-log report`.
pub fn run(args: Args) -> Outcome {
    let to_stdout = args.html.as_os_str() == "-";
    let mut source = args.input.open(if to_stdout {
        Show::Quiet
    } else {
        Show::Progress
    })?;
    let (window, budget) = (args.window.window(), args.memory.budget());
    // One pass feeds the three engines, each as its own subcommand would:
    // abuse-report every line in log order, the other two the assembled
    // messages (and summary the lone lines too). Each has the whole budget,
    // so the page equals the three subcommands run alone.
    let mut abuse = AbuseReport::with_budget(window, budget);
    let mut summary = Summary::with_budget(window, budget);
    let mut spam = SpamSources::with_budget(window, budget);
    let mut failed = false;
    {
        let lines = source.by_ref().inspect(|r| {
            if let Ok(record) = r
                && let Ok(line) = record.parse()
            {
                abuse.add(&line);
            }
        });
        let asm = Assembler::with_options(AssemblerOptions::default().memory_budget(budget));
        for item in asm.messages(lines) {
            match item {
                Ok(a) => {
                    summary.add(&a);
                    if let Assembled::Message(m) = &a {
                        spam.add(m);
                    }
                }
                Err(e) => failed |= read_error(&e),
            }
        }
    }
    let warned = source.check()?;
    let page = Page {
        inputs: source.names(),
        summary: &summary.report(args.top, args.threshold.unwrap_or(1)),
        spam: &spam.report(args.top, args.threshold.unwrap_or(1)),
        abuse: &abuse.report(args.top, args.threshold.unwrap_or(5)),
    }
    .render();
    if to_stdout {
        let mut out = outcome::stdout();
        out.write_all(page.as_bytes())?;
        out.flush()?;
    } else {
        std::fs::write(&args.html, page)
            .map_err(|e| format!("{}: {}", args.html.display(), crate::input::io_reason(&e)))?;
    }
    Ok(status(failed || warned))
}
