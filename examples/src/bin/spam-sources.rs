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

use std::process::ExitCode;

use exim_log::assemble::Assembled;
use exim_log_examples::cli::{drive, finish, start};
use exim_log_examples::report::Render;
use exim_log_examples::report::spam::{SpamReport, SpamSources};

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
    let (common, records) = match start("spam-sources", USAGE, |_, _| Ok(false)) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let mut agg = SpamSources::new(common.window);
    let problems = drive(records, "spam-sources", |a| {
        if let Assembled::Message(m) = a {
            agg.add(&m);
        }
    });
    let report = agg.report(common.top, common.threshold_or(1));
    finish("spam-sources", &problems, |out| {
        common.write_report(out, &report, SpamReport::write_text)
    })
}
