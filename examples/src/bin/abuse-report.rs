//! `abuse-report`: inbound abuse at SMTP time (dictionary attacks, RBL and
//! HELO rejections, sender verification and AUTH failures, protocol errors)
//! and the IPs a firewall could block.
//!
//! ```text
//! cargo run -p exim-log-examples --bin abuse-report                 # the bundled sample
//! cargo run --release -p exim-log-examples --bin abuse-report -- --offenders /var/log/exim4/
//! ```
//!
//! See `abuse-report --help`, and [`exim_log_examples::report::abuse`].

use std::process::ExitCode;

use exim_log_examples::cli::{finish, start_lines};
use exim_log_examples::report::Render;
use exim_log_examples::report::abuse::{AbuseReport, Report};

const USAGE: &str = "\
Usage: abuse-report [OPTIONS] [FILE|DIR...]

Inbound abuse seen at SMTP time: dictionary attacks (RCPTs rejected as
unknown, per host and per connection, distinct local parts tried, messages
accepted beside them), RBL rejections by list and host, HELO/EHLO rejections
by reason, sender verification failures, AUTH failures by host and by login,
SMTP protocol errors; then the offenders: IPs with at least --threshold
events of one kind.

  --offenders    print only the offending IPs, one per line (for a firewall)

";

fn main() -> ExitCode {
    let mut offenders_only = false;
    let started = start_lines("abuse-report", USAGE, |a, _| {
        offenders_only |= a == "--offenders";
        Ok(a == "--offenders")
    });
    let (common, lines) = match started {
        Ok(started) => started,
        Err(code) => return code,
    };
    // Log order matters (connections open and close), and no message needs
    // assembling: lines are counted as they are read.
    let mut agg = AbuseReport::new(common.window);
    let problems = lines.for_each("abuse-report", |raw| {
        if let Ok(line) = exim_log::parse_line(raw) {
            agg.add(&line);
        }
    });
    let report = agg.report(common.top, common.threshold_or(5));
    finish("abuse-report", &problems, |out| {
        if offenders_only {
            report
                .offenders
                .iter()
                .try_for_each(|o| writeln!(out, "{}", o.ip))
        } else {
            common.write_report(out, &report, Report::write_text)
        }
    })
}
