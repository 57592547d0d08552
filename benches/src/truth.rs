//! What a generated log contains, counted while it was written: the expected
//! answers for tests of programs that read the log.

use std::collections::BTreeMap;

/// The ground truth of one generated log. Every count is defined by a line
/// shape, so a test can also check it with plain byte searches; the shapes are
/// those of `docs/exim-log-format.md` (§ numbers below).
///
/// All maps are ordered (`BTreeMap`) so that printing the truth is deterministic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Truth {
    /// Lines written (each ends with `\n`).
    pub lines: u64,
    /// Bytes written.
    pub bytes: u64,

    /// `<=` lines (§3): every message received, bounces included.
    pub arrivals: u64,
    /// `<=` lines from remote hosts without authentication (`P=esmtp`, `P=esmtps`, `P=smtp`).
    pub arrivals_remote: u64,
    /// `<=` lines of local submissions (`P=local`, sender not `<>`): web scripts and
    /// shell users.
    pub arrivals_local: u64,
    /// `<=` lines with `A=` (`P=esmtpa` / `P=esmtpsa`).
    pub arrivals_authenticated: u64,
    /// `<= <>` lines: bounces generated here (`R=<parent id>`, `U=mailnull`).
    pub bounces: u64,
    /// Sum of `S=` over all `<=` lines.
    pub received_bytes: u64,

    /// `=>` lines (first address of a delivery, §4.1).
    pub deliveries: u64,
    /// `->` lines (further addresses delivered in the same transaction).
    pub additional_deliveries: u64,
    /// `=>` and `->` lines with a local transport (`T=virtual_userdelivery` or
    /// `T=local_delivery`).
    pub deliveries_local: u64,
    /// `=>` and `->` lines with `T=remote_smtp`.
    pub deliveries_remote: u64,
    /// `==` lines (§4.2).
    pub deferrals: u64,
    /// `**` lines (§4.3).
    pub failures: u64,
    /// `Completed` lines.
    pub completed: u64,
    /// `Frozen` lines (bounces that could not be delivered).
    pub frozen: u64,

    /// `cwd=... args: ...` lines (`+arguments`, §10).
    pub arguments_lines: u64,
    /// `SMTP connection from ... (TCP/IP connection count = N)` lines (connection opened).
    pub connections: u64,
    /// `Start queue run: pid=N` lines (each has its `End queue run: pid=N`).
    pub queue_runs: u64,

    /// Lines containing `rejected RCPT` (dictionary attacks and RBL hits).
    pub rejected_rcpt: u64,
    /// `rejected RCPT <...>: Unknown user` lines.
    pub unknown_user_rejections: u64,
    /// `rejected RCPT <...>: JunkMail rejected - ... is in an RBL: ...` lines.
    pub rbl_rejections: u64,
    /// HELO rejections: `rejected EHLO or HELO <name>: ...` (ACL) and
    /// `rejected EHLO from [ip]: syntactically invalid argument(s): ...` lines.
    pub helo_rejections: u64,
    /// `dovecot_login authenticator failed for ...: 535 Incorrect authentication data` lines.
    pub auth_failures: u64,
    /// Other non-message lines (`no host name found for IP address`, TLS errors, ...).
    pub other_lines: u64,

    /// Messages (`<=` lines) per working directory of the submitting process: the
    /// `cwd=` of the `... args: /usr/sbin/sendmail ...` line that precedes a local
    /// `<=` line (same second, same `[pid]`).
    pub per_script: BTreeMap<String, u64>,
    /// Messages (`<=` lines) per `U=` of local submissions (bounces excluded).
    pub per_user: BTreeMap<String, u64>,
    /// Messages (`<=` lines) per authenticated id: the part after `dovecot_login:` in `A=`.
    pub per_login: BTreeMap<String, u64>,
    /// Dictionary attacks: per host IP (the `[ip]` of `H=`), the number of
    /// `rejected RCPT <...>: Unknown user` lines.
    pub dictionary_attacks: BTreeMap<String, u64>,
    /// Per host IP, the number of RBL `rejected RCPT` lines.
    pub rbl_hosts: BTreeMap<String, u64>,
    /// Per host IP, the number of `authenticator failed` lines.
    pub auth_failure_hosts: BTreeMap<String, u64>,

    /// The injected abuse, by name, as a program hunting it should report it.
    pub incidents: Incidents,

    /// One entry per message, in order of arrival, when
    /// [`Config::record_messages`](crate::Config::record_messages) is set.
    pub messages: Vec<MessageTruth>,
}

/// The abuse the generator injected (see [`Config`](crate::Config) for the knobs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Incidents {
    /// `cwd=` directories of compromised web scripts (look them up in [`Truth::per_script`]).
    pub compromised_scripts: Vec<String>,
    /// Authenticated ids used to send spam (look them up in [`Truth::per_login`]).
    pub spamming_logins: Vec<String>,
    /// IPs of hosts running dictionary attacks (see [`Truth::dictionary_attacks`]).
    pub dictionary_attackers: Vec<String>,
}

/// How a message entered the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// From a remote host (`P=esmtp`/`esmtps`/`smtp`).
    Remote,
    /// Local submission by a script or user (`P=local`).
    Local,
    /// Authenticated SMTP submission (`P=esmtpsa`).
    Authenticated,
    /// A bounce generated here (`<= <> R=parent`).
    Bounce,
}

/// One message of the log: its id and how many lines carry that id.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageTruth {
    /// The message id as logged.
    pub id: String,
    /// How it arrived.
    pub origin: Origin,
    /// Lines whose prefix carries this id (the `<=`, deliveries, `Completed`...).
    /// This is what a trace by id (`exigrep`-style, without the connection lines)
    /// returns.
    pub lines: u32,
    /// For a bounce, the id of the message that caused it (`R=` on its `<=` line).
    pub bounce_of: Option<String>,
    /// `cwd=` of the submitting script, for local submissions.
    pub script: Option<String>,
    /// Envelope recipients.
    pub recipients: u32,
    /// True when the message ended with `Completed` (false: frozen).
    pub completed: bool,
}
