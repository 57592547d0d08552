//! A deterministic generator of realistic Exim mainlogs, for benchmarks and tests.
//!
//! It simulates a busy shared-hosting server (cPanel style): inbound mail from
//! remote hosts, web scripts calling `sendmail` (with the `+arguments` `cwd=`
//! line), authenticated submissions, local and remote (TLS) deliveries, `->`
//! multi-recipient transactions, greylisting deferrals retried by queue runs,
//! bounces (`<= <> R=parent`) and frozen bounces, dictionary attacks, RBL, HELO and
//! AUTH rejections. Line shapes follow `docs/exim-log-format.md` (cited by §).
//!
//! The same [`Config`] always produces the same bytes, and alongside them a
//! [`Truth`]: exact counts of what was written (messages received, delivered,
//! deferred, failed, bounced; messages per script, per user, per login;
//! dictionary-attack hosts and their rejected-RCPT counts...), so programs that
//! read logs can be tested against known answers.
//!
//! ```
//! use exim_log_benches::{Config, generate};
//!
//! let mut config = Config::new(42, 256 * 1024);
//! config.compromised_scripts = 1;
//! config.incident_percent = 15;
//! let (log, truth) = generate(&config);
//! assert_eq!(truth.bytes, log.len() as u64);
//! assert!(truth.bytes >= 256 * 1024);
//! // Every arrival is one `<=` line.
//! let arrivals = log.split(|b| *b == b'\n').filter(|l| memchr::memmem::find(l, b" <= ").is_some()).count();
//! assert_eq!(arrivals as u64, truth.arrivals);
//! // The compromised script is the top sender among scripts.
//! let spam_dir = &truth.incidents.compromised_scripts[0];
//! let top = truth.per_script.iter().max_by_key(|(_, n)| **n).unwrap();
//! assert_eq!(top.0, spam_dir);
//! ```
#![forbid(unsafe_code)]

use std::io::{self, Write};

pub use exim_log::IdFormat;

mod catalog;
pub mod cli;
mod clock;
mod generator;
mod rng;
mod truth;
pub mod weblogs;
pub mod work;

pub use catalog::{HOSTNAME, OUR_IP, SPAM_SUBJECTS, SUBJECTS};
pub use rng::Rng;
pub use truth::{Incidents, MessageTruth, Origin, Truth};

/// Bumped whenever the bytes a given [`Config`] produces change, so cached
/// generated files can be told apart (the `sample` test catches unplanned changes).
pub const FORMAT_VERSION: u32 = 3;

/// What to generate. Build with [`Config::new`], then set fields.
///
/// The defaults model a cPanel server with `log_selector = +arguments +subject
/// +received_recipients +smtp_connection`, Exim 4.99 (new 23-character ids).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Seed of the PRNG: the same config gives the same bytes.
    pub seed: u64,
    /// Stop starting new activity once this many bytes are written; open message
    /// lifecycles are then finished, so the output is a little longer.
    pub target_bytes: u64,
    /// Time of the first activity, in milliseconds since the Unix epoch (UTC).
    pub start_ms: i64,
    /// Message-id layout (§0). [`IdFormat::Old`] also selects the 4.96 line
    /// variants: `**` error separator `": "` (§4.3) and `authenticator failed for
    /// (helo) [ip]` without `H=` (§10); [`IdFormat::New`] the 4.99 ones.
    pub id_format: IdFormat,
    /// `+pid`: `[pid]` after the timestamp (§1.2).
    pub pid: bool,
    /// `+millisec`: `.mmm` timestamps and `0.304s` durations (§1.1, §8).
    pub millisec: bool,
    /// `log_timezone = true`: local time with this offset from UTC, in minutes,
    /// and the `±HHMM` suffix (§1.1). `None`: UTC, no suffix.
    pub utc_offset_minutes: Option<i16>,
    /// An `+all`-like selector: `:port` on `H=` (`+incoming_port`), `I=`, `M8S=`,
    /// `RT=`, ` from <sender>`, `F=`/`P=` and `S=` on deliveries, `QT=`, `DT=`,
    /// `Completed QT=`.
    pub rich: bool,
    /// `+subject`: `T="..."` on arrivals, with escapes and 8-bit bytes (§7).
    pub subject: bool,
    /// `+received_recipients`: ` for a b c` on arrivals (§1.4).
    pub received_recipients: bool,
    /// `+smtp_connection`: connection open and close lines (§10).
    pub smtp_connection: bool,
    /// Number of compromised web scripts sending spam (see [`Incidents`]).
    pub compromised_scripts: u32,
    /// Number of stolen mailbox passwords used to send spam.
    pub spamming_logins: u32,
    /// Number of hosts running dictionary attacks.
    pub dictionary_attackers: u32,
    /// Share of activities (in percent) that are abuse by the injected actors,
    /// when there are any. Each dictionary attack is one connection with 15-120
    /// rejected recipients, so it counts for a third of the others. Default 7.
    pub incident_percent: u32,
    /// Fill [`Truth::messages`] (one entry per message; memory grows with the log).
    pub record_messages: bool,
}

impl Config {
    /// A config with the defaults described on [`Config`], starting on
    /// 2024-05-25 00:00:00 UTC, and no injected abuse.
    pub fn new(seed: u64, target_bytes: u64) -> Self {
        Config {
            seed,
            target_bytes,
            start_ms: 1_716_595_200_000,
            id_format: IdFormat::New,
            pid: false,
            millisec: false,
            utc_offset_minutes: None,
            rich: false,
            subject: true,
            received_recipients: true,
            smtp_connection: true,
            compromised_scripts: 0,
            spamming_logins: 0,
            dictionary_attackers: 0,
            incident_percent: 7,
            record_messages: false,
        }
    }

    /// A config for a busy server under attack: one compromised script, one stolen
    /// login, two dictionary attackers, messages recorded.
    pub fn with_incidents(seed: u64, target_bytes: u64) -> Self {
        let mut c = Config::new(seed, target_bytes);
        c.compromised_scripts = 1;
        c.spamming_logins = 1;
        c.dictionary_attackers = 2;
        c.record_messages = true;
        c
    }
}

/// The config of the project's bundled sample, `examples/data/mainlog` (517
/// lines; `genlog --sample` writes it). It holds one compromised web script, one
/// stolen mailbox login and one dictionary attack, with `+pid`. Tests of example
/// programs get the exact expected answers from `generate(&sample_config()).1`.
///
/// ```
/// use exim_log_benches::{generate, sample_config};
/// let (_, truth) = generate(&sample_config());
/// assert_eq!(truth.lines, 517);
/// let attacker = &truth.incidents.dictionary_attackers[0];
/// assert_eq!(truth.dictionary_attacks[attacker], 48);
/// ```
pub fn sample_config() -> Config {
    let mut c = Config::new(4, 70 * 1024);
    c.pid = true;
    c.compromised_scripts = 1;
    c.spamming_logins = 1;
    c.dictionary_attackers = 1;
    c.incident_percent = 20;
    c.record_messages = true;
    c
}

/// Generates the whole log in memory.
pub fn generate(config: &Config) -> (Vec<u8>, Truth) {
    let mut out = Vec::with_capacity(usize::try_from(config.target_bytes).unwrap_or(0) + 4096);
    // Writing to a Vec cannot fail.
    let truth = generate_to(config, &mut out).unwrap_or_default();
    (out, truth)
}

/// Generates the log into `out` (a file, a gzip encoder...), streaming: memory
/// stays small whatever the size (unless [`Config::record_messages`] is set).
pub fn generate_to<W: Write>(config: &Config, mut out: W) -> io::Result<Truth> {
    let mut g = generator::Generator::new(config);
    g.run(&mut out)?;
    out.flush()?;
    Ok(g.truth)
}
