//! `summary`: the eximstats totals and tables, right on every Exim version.
//!
//! ```text
//! cargo run -p exim-log-examples --bin summary                      # the bundled sample
//! cargo run --release -p exim-log-examples --bin summary -- --json /var/log/exim4/
//! ```
//!
//! See `summary --help`, and [`exim_log_examples::report::summary`] for how
//! each total is counted (the same way as eximstats, so they can be compared).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use exim_log::assemble::Assembled;
use exim_log_examples::cli::{COMMON_HELP, Common, drive};
use exim_log_examples::report::summary::Summary;

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
    let common = match Common::parse(std::env::args().skip(1), |_, _| Ok(false)) {
        Ok(c) => c,
        Err(e) if e.is_empty() => {
            print!("{USAGE}{COMMON_HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("summary: {e}\n\n{USAGE}{COMMON_HELP}");
            return ExitCode::from(2);
        }
    };
    let records = match common.open() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("summary: {e}");
            return ExitCode::from(2);
        }
    };
    let mut agg = Summary::new(common.window);
    let problems = drive(records, "summary", |a| match a {
        Assembled::Message(m) => agg.add_message(&m),
        Assembled::Line(r) => {
            if let Ok(line) = r.parse() {
                agg.add_line(&line);
            }
        }
        _ => {}
    });
    let report = agg.report(common.top, common.threshold_or(1));
    let mut out = BufWriter::new(io::stdout().lock());
    let written = if common.json {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        report.write_text(&mut out, &common.input_names())
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        eprintln!("summary: {e}");
        return ExitCode::from(2);
    }
    if problems.fatal > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
