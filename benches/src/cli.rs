//! Command-line helpers shared by the `genlog` and `compare` programs.

use std::process::ExitCode;

/// Parses a byte size with an optional binary suffix: `4096`, `64k`, `256M`, `2G`
/// (either case). `None` on anything else or on overflow.
///
/// ```
/// use exim_log_benches::cli::parse_size;
/// assert_eq!(parse_size("64k"), Some(64 << 10));
/// assert_eq!(parse_size("256M"), Some(256 << 20));
/// assert_eq!(parse_size("1000"), Some(1000));
/// assert_eq!(parse_size("12x"), None);
/// assert_eq!(parse_size(""), None);
/// ```
pub fn parse_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.as_bytes().last()? {
        b'k' | b'K' => (s.get(..s.len() - 1)?, 1 << 10),
        b'm' | b'M' => (s.get(..s.len() - 1)?, 1 << 20),
        b'g' | b'G' => (s.get(..s.len() - 1)?, 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

/// The parsed arguments, or (after printing the message to stderr) exit code 2,
/// the usual code for a usage error.
pub fn args_or_exit<T>(parsed: Result<T, String>) -> Result<T, ExitCode> {
    parsed.map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}
