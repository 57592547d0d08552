//! `exim-log abuse-report`: inbound abuse at SMTP time (dictionary attacks, RBL
//! and HELO rejections, sender verification and AUTH failures, protocol
//! errors) and the IPs a firewall could block. What is counted:
//! [`crate::report::abuse`].

use std::io::Write;

use super::ReportArgs;
use crate::outcome::{self, Outcome, status};
use crate::report::Render;
use crate::report::abuse::{AbuseReport, Report};

/// The long help.
pub const ABOUT: &str = "\
Inbound abuse seen at SMTP time: dictionary attacks (RCPTs rejected as
unknown, per host and per connection, distinct local parts tried, messages
accepted beside them), RBL rejections by list and host, HELO/EHLO rejections
by reason, sender verification failures, AUTH failures by host and by login,
SMTP protocol errors; then the offenders: IPs with at least --threshold
offender events in total. Offender events are what fail2ban's exim and
exim-spam filters and CrowdSec's exim scenarios count (AUTH failures,
rejected RCPTs, relay attempts, RBL, sender verify, no MAIL, DROP in ACL,
local_scan and virus rejections, protocol errors, host lookup failures)
plus HELO rejections and rate-limit deferrals; see docs/abuse-events.md.";

/// `exim-log abuse-report` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub report: ReportArgs,
    /// Print only the offending IPs, one per line (for a firewall)
    #[arg(long)]
    pub offenders: bool,
}

/// Runs `exim-log abuse-report`.
pub fn run(args: Args) -> Outcome {
    let a = args.report;
    let mut source = a.open()?;
    // Log order matters (connections open and close), and no message needs
    // assembling: lines are counted as they are read.
    // On several threads, each part's connections are joined by `merge`.
    let window = a.window.window();
    let (agg, failed) = a.fold_lines(
        &mut source,
        AbuseReport::with_budget(window, a.budget()),
        || AbuseReport::with_budget(window, a.partial_budget()),
        |agg, raw| exim_log::parse_line_with(raw, |line| agg.add(line)).is_ok(),
        AbuseReport::merge,
    );
    let warned = source.check()?;
    let report = agg.into_report(a.top, a.threshold.unwrap_or(5));
    if args.offenders {
        let mut out = outcome::stdout();
        for o in &report.offenders {
            writeln!(out, "{}", o.ip)?;
        }
        out.flush()?;
    } else {
        a.write(
            &report,
            report.bounds.memory,
            None,
            source.names(),
            Report::write_text,
        )?;
    }
    Ok(status(failed || warned))
}
