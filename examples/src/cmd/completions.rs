//! `exim-log completions SHELL`: the shell completion script, from the same
//! clap definition as the command itself.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::Cli;
use crate::outcome::{self, Outcome, Status};

/// `exim-log completions` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// The shell (bash: `exim-log completions bash > /etc/bash_completion.d/exim-log`)
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Prints the completion script.
pub fn run(args: Args) -> Outcome {
    // Into memory first: clap_complete panics on a write error (`| head`).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "exim-log", &mut script);
    let mut out = outcome::stdout();
    out.write_all(&script)?;
    out.flush()?;
    Ok(Status::Success)
}
