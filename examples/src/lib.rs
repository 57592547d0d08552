//! The `exim-log` command: one program with a subcommand for each job done with
//! Exim's logs, built on the [`exim_log`] library.
//!
//! ```text
//! cargo install --path examples        # or: cargo install exim-log-cli
//! exim-log spam-sources /var/log/exim4/
//! zcat mainlog.1.gz | exim-log summary
//! exim-log trace 1FZ8zt-0005lz-E7 /var/log/exim4/
//! exim-log --help
//! ```
//!
//! Every subcommand reads its inputs the same way ([`input`]): files and
//! directories (rotated sets, oldest first), plain or gzip, standard input when
//! piped or given as `-`, and the bundled sample only with `--sample`. Exit
//! statuses are those of grep ([`outcome`]): 0 success, 1 nothing matched
//! (`trace`), 2 errors; a closed pipe ends quietly.
//!
//! To add a subcommand: a module in [`cmd`] with an `Args` struct (clap derive,
//! its doc comment is the help) and a `run(Args) -> Outcome`, then one variant
//! in [`Command`] and one arm in [`Command::run`].
#![forbid(unsafe_code)]
// `eprintln!` panics when stderr is a closed pipe: diagnostics go through
// `outcome::say`, which ignores a failed write.
#![deny(clippy::print_stderr)]

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod cmd;
pub mod input;
pub mod outcome;
pub mod progress;
pub mod report;
pub mod threads;
pub mod window;

use outcome::{Outcome, exit_status};

/// Exim log tools: spam sources, abuse, statistics, message trace.
///
/// Reads Exim mainlog files (plain or gzip, rotated sets, directories, or
/// standard input) and answers the questions administrators ask of them.
/// Exit status: 0 success, 1 nothing matched (trace), 2 error.
#[derive(Debug, Parser)]
#[command(
    name = "exim-log",
    version,
    propagate_version = true,
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// The job to do.
    #[command(subcommand)]
    pub command: Command,
}

const AFTER_HELP: &str = "\
Inputs (every subcommand that reads logs): FILE may be plain or gzip
(detected from the content); several files are read oldest first by their
rotation suffix (mainlog.2.gz, mainlog.1, mainlog); a directory means its
mainlog (or exim_mainlog) rotated set; `-`, or no FILE when standard input is
not a terminal, reads standard input. --sample reads the bundled sample log.
Syslog files (RFC 3164, RFC 5424, rsyslog templates) and journalctl output
(-o short, short-iso, export, json) are told from their content and unwrapped.

Examples:
  exim-log spam-sources --sample
  exim-log spam-sources /var/log/exim4/
  zcat /var/log/exim4/mainlog.1.gz | exim-log abuse-report --offenders
  journalctl -u exim4 -o json --since today | exim-log summary
  exim-log trace 1FZ8zt-0005lz-E7 /var/log/exim4/
  exim-log summary --json --since 2026-11-25 /var/log/exim4/mainlog*
  exim-log report --html report.html /var/log/exim4/
  exim-log queue /var/spool/exim4            (or: exim -bp | exim-log queue)";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Who sends mail out of this server: scripts, users, logins, relaying hosts
    #[command(long_about = cmd::spam_sources::ABOUT)]
    SpamSources(cmd::spam_sources::Args),
    /// Inbound abuse: dictionary attacks, RBL/HELO rejections, AUTH guessing
    #[command(long_about = cmd::abuse_report::ABOUT)]
    AbuseReport(cmd::abuse_report::Args),
    /// What eximstats reports: totals and top tables
    #[command(long_about = cmd::summary::ABOUT)]
    Summary(cmd::summary::Args),
    /// One self-contained HTML page of summary, spam-sources and abuse-report
    #[command(long_about = cmd::report::ABOUT)]
    Report(cmd::report::Args),
    /// Every line of the messages matching a pattern or id (exigrep)
    #[command(long_about = cmd::trace::ABOUT)]
    Trace(cmd::trace::Args),
    /// Received: headers to JSON, one object per header
    #[command(long_about = cmd::received::ABOUT)]
    Received(cmd::received::Args),
    /// A log_selector setting as JSON, or the selectors a log shows (--infer)
    #[command(long_about = cmd::selector::ABOUT)]
    Selector(cmd::selector::Args),
    /// Any Exim log to one JSON object per line
    #[command(long_about = cmd::ndjson::ABOUT)]
    Ndjson(cmd::ndjson::Args),
    /// Logs to a Parquet dataset (lines and messages, by server and date)
    #[cfg(feature = "parquet")]
    #[command(long_about = cmd::parquet::ABOUT)]
    Parquet(cmd::parquet::Args),
    /// The mail queue grouped by user, login, host, PHP script, web client...
    #[command(long_about = cmd::queue::ABOUT)]
    Queue(cmd::queue::Args),
    /// The web requests (domlogs) that ran the scripts that sent mail
    #[command(long_about = cmd::web_origins::ABOUT)]
    WebOrigins(cmd::web_origins::Args),
    /// A Prometheus exporter of the log's counters and the queue's gauges
    #[command(long_about = cmd::metrics::ABOUT)]
    Metrics(cmd::metrics::Args),
    /// Shell completion script for bash, zsh, fish, elvish or powershell
    Completions(cmd::completions::Args),
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> Outcome {
        match self {
            Command::SpamSources(a) => cmd::spam_sources::run(a),
            Command::AbuseReport(a) => cmd::abuse_report::run(a),
            Command::Summary(a) => cmd::summary::run(a),
            Command::Report(a) => cmd::report::run(a),
            Command::Trace(a) => cmd::trace::run(a),
            Command::Received(a) => cmd::received::run(a),
            Command::Selector(a) => cmd::selector::run(a),
            Command::Ndjson(a) => cmd::ndjson::run(a),
            #[cfg(feature = "parquet")]
            Command::Parquet(a) => cmd::parquet::run(a),
            Command::Queue(a) => cmd::queue::run(a),
            Command::WebOrigins(a) => cmd::web_origins::run(a),
            Command::Metrics(a) => cmd::metrics::run(a),
            Command::Completions(a) => cmd::completions::run(a),
        }
    }
}

/// The whole program: parses `args` (with the program name first), runs the
/// subcommand and gives the exit code. Usage errors exit with 2, `--help` and
/// `--version` with 0.
pub fn main_with<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    ExitCode::from(run(args))
}

/// [`main_with`] with the exit status as a number, for a host program that
/// runs the command in its own process (the Python package's
/// `python -m exim_log`). Output goes to the process's stdout and stderr.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are "errors" that print to stdout; a closed
            // pipe there (`exim-log --help | head -1`) is fine too.
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    exit_status(cli.command.run())
}
