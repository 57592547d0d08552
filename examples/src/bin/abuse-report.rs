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

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use exim_log_examples::cli::{COMMON_HELP, Common};
use exim_log_examples::report::abuse::AbuseReport;

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
    let parsed = Common::parse(std::env::args().skip(1), |a, _| {
        offenders_only |= a == "--offenders";
        Ok(a == "--offenders")
    });
    let common = match parsed {
        Ok(c) => c,
        Err(e) if e.is_empty() => {
            print!("{USAGE}{COMMON_HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("abuse-report: {e}\n\n{USAGE}{COMMON_HELP}");
            return ExitCode::from(2);
        }
    };
    let records = match common.open() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("abuse-report: {e}");
            return ExitCode::from(2);
        }
    };
    // Log order matters (connections open and close), and no message needs
    // assembling: lines are counted as they are read.
    let mut agg = AbuseReport::new(common.window);
    let mut fatal = false;
    for rec in records {
        match rec {
            Ok(r) => {
                if let Ok(line) = r.parse() {
                    agg.add(&line);
                }
            }
            Err(e) => {
                eprintln!("abuse-report: {e}");
                fatal |= e.is_fatal();
            }
        }
    }
    let report = agg.report(common.top, common.threshold_or(5));
    let mut out = BufWriter::new(io::stdout().lock());
    let written = if offenders_only {
        report
            .offenders
            .iter()
            .try_for_each(|o| writeln!(out, "{}", o.ip))
    } else if common.json {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        report.write_text(&mut out, &common.input_names())
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        eprintln!("abuse-report: {e}");
        return ExitCode::from(2);
    }
    if fatal {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
