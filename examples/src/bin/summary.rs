//! `summary`: the eximstats totals and tables, right on every Exim version.
//!
//! ```text
//! cargo run -p exim-log-examples --bin summary                      # the bundled sample
//! cargo run --release -p exim-log-examples --bin summary -- --json /var/log/exim4/
//! ```
//!
//! See `summary --help`, and [`exim_log_examples::report::summary`] for how
//! each total is counted (the same way as eximstats, so they can be compared).

use std::process::ExitCode;

use exim_log_examples::cli::{drive, finish, start};
use exim_log_examples::report::Render;
use exim_log_examples::report::summary::{Report, Summary};

const USAGE: &str = "\
Usage: summary [OPTIONS] [FILE|DIR...]

What eximstats reports: totals (received, delivered, delayed, failed,
rejected, volume), deliveries by transport, time on the queue, top sending
hosts, local senders, senders, destination hosts, recipients and recipient
domains, rejections by reason and by host. Both message-id formats (16 and
23 characters) are understood, and rejections without a message id are
counted under their own client IP.

";

fn main() -> ExitCode {
    let (common, records) = match start("summary", USAGE, |_, _| Ok(false)) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let mut agg = Summary::new(common.window);
    let problems = drive(records, "summary", |a| agg.add(&a));
    let report = agg.report(common.top, common.threshold_or(1));
    finish("summary", &problems, |out| {
        common.write_report(out, &report, Report::write_text)
    })
}
