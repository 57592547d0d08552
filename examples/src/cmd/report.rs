//! `exim-log report --html FILE`: the `summary`, `spam-sources` and
//! `abuse-report` reports of the input, as one self-contained HTML page
//! ([`crate::report::html`]).

use std::io::Write;
use std::path::PathBuf;

use exim_log::assemble::Assembled;
use exim_log::report::abuse::AbuseReport;
use exim_log::report::spam::SpamSources;
use exim_log::report::summary::Summary;

use super::{BudgetArgs, ReportArgs, each_message_and_parse};
use crate::input::{InputArgs, Source};
use crate::outcome::{self, Outcome, status};
use crate::report::html::Page;
use crate::threads::ThreadsArgs;
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
    #[command(flatten)]
    #[allow(missing_docs)]
    pub threads: ThreadsArgs,
}

/// Runs `exim-log report`.
pub fn run(args: Args) -> Outcome {
    let to_stdout = args.html.as_os_str() == "-";
    // The options of the three subcommands, so that each engine counts as
    // its subcommand would (quiet, like --json, when the page goes to stdout).
    let a = ReportArgs {
        input: args.input,
        window: args.window,
        top: args.top,
        threshold: args.threshold,
        json: to_stdout,
        memory: args.memory,
        threads: args.threads,
    };
    let mut source = a.open()?;
    let (abuse, summary, spam, failed) = match a.threads.plan(&source, 2) {
        Some(plan) => on_threads(&a, &mut source, &plan),
        None => one_pass(&a, &mut source),
    };
    let warned = source.check()?;
    let page = Page {
        inputs: source.names(),
        summary: &summary.report(a.top, a.threshold.unwrap_or(1)),
        spam: &spam.report(a.top, a.threshold.unwrap_or(1)),
        abuse: &abuse.report(a.top, a.threshold.unwrap_or(5)),
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

/// One pass on this thread feeds the three engines, each as its subcommand
/// would: abuse-report every line in log order, the other two the assembled
/// messages (and summary the lone lines too). Each has the whole budget, so
/// the page equals the three subcommands run alone. Standard input is read
/// this way (it cannot be read twice).
fn one_pass(a: &ReportArgs, source: &mut Source) -> (AbuseReport, Summary, SpamSources, bool) {
    let (window, budget) = (a.window.window(), a.budget());
    let mut abuse = AbuseReport::with_budget(window, budget);
    let mut summary = Summary::with_budget(window, budget);
    let mut spam = SpamSources::with_budget(window, budget);
    // Both callbacks count into `summary`, never at once.
    let summary_cell = std::cell::RefCell::new(&mut summary);
    // Each line is parsed once, for abuse-report and the assembler both.
    let (failed, _) = each_message_and_parse(
        source,
        budget,
        |a| {
            summary_cell.borrow_mut().add(&a);
            if let Assembled::Message(m) = &a {
                spam.add(m);
            }
        },
        |line, kept| {
            abuse.add(line);
            if !kept {
                summary_cell.borrow_mut().add_line(line);
            }
        },
    );
    (abuse, summary, spam, failed)
}

/// With `--threads` over files: the messages folded on several threads as
/// `summary` and `spam-sources` do, then the lines as `abuse-report` does
/// (a second read of the files; its read errors and line counts are those
/// of the first, so they are not said twice).
fn on_threads(
    a: &ReportArgs,
    source: &mut Source,
    plan: &exim_log::parallel::Plan,
) -> (AbuseReport, Summary, SpamSources, bool) {
    let window = a.window.window();
    let ((summary, spam), failed, _) = a.fold_messages_and_lines(
        source,
        (
            Summary::with_budget(window, a.budget()),
            SpamSources::with_budget(window, a.budget()),
        ),
        || {
            (
                Summary::with_budget(window, a.partial_budget()),
                SpamSources::with_budget(window, a.partial_budget()),
            )
        },
        |(summary, spam), item| {
            summary.add(item);
            if let Assembled::Message(m) = item {
                spam.add(m);
            }
        },
        |(summary, _), line| summary.add_line(line),
        |(summary, spam), (s, p)| {
            summary.merge(s);
            spam.merge(p);
        },
    );
    let abuse = exim_log::parallel::fold_lines(
        plan,
        a.threads.threads(),
        AbuseReport::with_budget(window, a.budget()),
        || AbuseReport::with_budget(window, a.partial_budget()),
        |agg, raw, _| {
            let _ = exim_log::parse_line_with(raw, |line| agg.add(line));
        },
        AbuseReport::merge,
    )
    .value;
    (abuse, summary, spam, failed)
}
