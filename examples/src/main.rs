//! The `exim-log` command; everything is in the library ([`exim_log_cli`]).

fn main() -> std::process::ExitCode {
    exim_log_cli::main_with(std::env::args_os())
}
