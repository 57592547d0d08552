//! `spam-sources`: rank who sends the mail leaving this server, by script
//! directory (`cwd=`), local user (`U=`), authenticated login (`A=`) and
//! relaying host, to find compromised scripts and accounts.
//!
//! ```text
//! cargo run -p exim-log-examples --bin spam-sources                 # the bundled sample
//! cargo run --release -p exim-log-examples --bin spam-sources -- /var/log/exim4/
//! ```
//!
//! See `spam-sources --help`, and [`exim_log_examples::report::spam`] for what
//! is counted.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use exim_log::assemble::Assembled;
use exim_log_examples::cli::{COMMON_HELP, Common, drive};
use exim_log_examples::report::spam::SpamSources;

const USAGE: &str = "\
Usage: spam-sources [OPTIONS] [FILE|DIR...]

Ranks who sends mail through this Exim, the outbound-spam hunt: the script
directory that submitted it (cwd= of +arguments, linked to each message), the
local user (U=), the authenticated login (A=), and hosts relaying without
authentication. For each: messages, recipients, recipient domains, failed and
deferred deliveries, bounces caused, top subjects (+subject), first and last
seen, and a message id to give to `trace`.

";

fn main() -> ExitCode {
    let common = match Common::parse(std::env::args().skip(1), |_, _| Ok(false)) {
        Ok(c) => c,
        Err(e) if e.is_empty() => {
            print!("{USAGE}{COMMON_HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("spam-sources: {e}\n\n{USAGE}{COMMON_HELP}");
            return ExitCode::from(2);
        }
    };
    let records = match common.open() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("spam-sources: {e}");
            return ExitCode::from(2);
        }
    };
    let mut agg = SpamSources::new(common.window);
    let problems = drive(records, "spam-sources", |a| {
        if let Assembled::Message(m) = a {
            agg.add(&m);
        }
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
        eprintln!("spam-sources: {e}");
        return ExitCode::from(2);
    }
    if problems.fatal > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
