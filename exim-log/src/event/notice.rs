//! Message lines without a flag (spec §2 "Other message-level keywords") and a
//! few other one-off lines: `Frozen`, `removed by`, `no immediate delivery`,
//! `error ignored`, transport output, `DKIM:`, address rewriting.

use crate::text::Text;

/// A state change or notice with an optional actor and reason: the `frozen`,
/// `unfrozen`, `removed`, `cancelled`, `message_is_frozen`, `spool_locked`,
/// `no_immediate_delivery`, `recipients_ignored`, `dnslist`, `moved` and `expansion_failed` events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Note<'a> {
    /// Who did it: `CALLER` in `removed by CALLER`, `ACL`, `the system filter`,
    /// `auto-thaw`, `timeout_frozen_after`, ...
    pub by: Option<Text<'a>>,
    /// The rest: `delivery error message` in `Frozen (delivery error message)`,
    /// the text after `: `, the queueing reason, ...
    pub reason: Option<Text<'a>>,
}

crate::json_object::json_object!(Note<'a>, struct {
    opt by,
    opt reason,
});

/// `<address>[ <parent>]: error ignored[: detail]` (`deliver.c`): a bounce
/// that was not sent (errors_to empty, or DSN NOTIFY=NEVER).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorIgnored<'a> {
    /// The address, as logged.
    pub address: Text<'a>,
    /// The parent address, in `<...>`, when logged.
    pub parent: Option<Text<'a>>,
    /// The text after `error ignored: `.
    pub reason: Option<Text<'a>>,
}

crate::json_object::json_object!(ErrorIgnored<'a>, struct {
    req address,
    opt parent,
    opt reason,
});

/// `<address>: <transport> transport output: <line>` (transport `log_output`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportOutput<'a> {
    /// The address, with its angle brackets as logged.
    pub address: Text<'a>,
    /// The transport name.
    pub transport: Text<'a>,
    /// The first line of output.
    pub output: Text<'a>,
}

crate::json_object::json_object!(TransportOutput<'a>, struct {
    req address,
    req transport,
    req output,
});

/// `DKIM: d=<dom> s=<sel> ... [status]` (`+dkim_verbose`, `miscmods/dkim.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dkim<'a> {
    /// `d=`: the signing domain.
    pub domain: Option<Text<'a>>,
    /// `s=`: the selector.
    pub selector: Option<Text<'a>>,
    /// The bracketed result at the end, e.g. `verification succeeded`.
    pub status: Option<Text<'a>>,
    /// Everything after `DKIM: `.
    pub detail: Text<'a>,
}

crate::json_object::json_object!(Dkim<'a>, struct {
    opt domain,
    opt selector,
    opt status,
    req detail,
});

/// `"old" from <where> rewritten as "new" by rule N` (`rewrite.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rewrite<'a> {
    /// The address before rewriting, without quotes.
    pub original: Text<'a>,
    /// Where: `env-from`, `env-to`, `from:`, `smtp recipient`, ...
    pub place: Text<'a>,
    /// The rewritten address, without quotes.
    pub rewritten: Text<'a>,
    /// The rule number.
    pub rule: Option<u32>,
}

crate::json_object::json_object!(Rewrite<'a>, struct {
    req original,
    req place,
    req rewritten,
    opt rule,
});

/// `PRDR R=<recipient> acceptance|refusal|temporary refusal` (`receive.c`): the
/// per-recipient answer after DATA when PRDR was used; `PRDR recipient message`
/// when the PRDR ACL set a `log_message` (or only a `message`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrdrResult<'a> {
    /// The recipient, as logged: with `<>` after `R=`, bare before an ACL's message.
    pub recipient: Text<'a>,
    /// `acceptance`, `refusal` or `temporary refusal`, or the ACL's message.
    pub result: Text<'a>,
}

crate::json_object::json_object!(PrdrResult<'a>, struct {
    req recipient,
    req result,
});

/// What an administrator did to a queued message (`exim -Mar`, `-Mmd`,
/// `-Mmad`, `-Mes`; queue.c `queue_action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum AdminKind {
    /// `recipient <a> added by <user>` (`-Mar`).
    RecipientAdded,
    /// `address <a> marked delivered by <user>` (`-Mmd`, `-Mmad`).
    MarkedDelivered,
    /// `sender address changed to <a> by <user>` (`-Mes`).
    SenderChanged,
}

/// An administrator's change to a queued message (queue.c): the
/// `admin_action` event. Freezing, thawing and removal have their own events
/// (`frozen`, `unfrozen`, `removed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminAction<'a> {
    /// What was done.
    pub action: AdminKind,
    /// The address added, marked or set, without the angle brackets.
    pub address: Text<'a>,
    /// The user who did it (`root`, the caller's login).
    pub by: Option<Text<'a>>,
}

crate::json_object::json_object!(AdminAction<'a>, struct {
    req action,
    req address,
    opt by,
});

/// A line of the SA-Exim `local_scan` add-on (SpamAssassin at SMTP time,
/// Debian's `sa-exim`): `SA: Action: <action>: hits|score=S required=R[
/// trigger=T] (scanned in N/M secs | Message-Id: <id>). From <s> (host=<name>
/// [<ip>]) for <rcpts>`, and its `SA: Notice:`, `SA: Debug<n>:`, `SA: PANIC:`
/// lines (where only `kind` and `detail` are set).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SaExim<'a> {
    /// `Action`, `Notice`, `Debug3`, `PANIC`, ...
    pub kind: Text<'a>,
    /// What was done: `permanently rejected message`, `temporarily rejected
    /// message`, `flagged as Spam but accepted`, `scanned but message isn't
    /// spam`, `silently tossed message`, `teergrubed sender ...`.
    pub action: Option<Text<'a>>,
    /// SpamAssassin's score (`hits=` or `score=`).
    pub score: Option<f64>,
    /// `required=`: the spam threshold.
    pub required: Option<f64>,
    /// `trigger=`: the threshold of the action taken.
    pub trigger: Option<f64>,
    /// `Message-Id:` of the message (SA-Exim's cleaned copy).
    pub header_id: Option<Text<'a>>,
    /// `From <...>`: the envelope sender, without the brackets.
    pub sender: Option<Text<'a>>,
    /// `(host=<name> [<ip>])`: the sending host (`name` is `(null)` when
    /// it had none); absent for `(local)`.
    pub host: Option<crate::host::Host<'a>>,
    /// `for <rcpts>`: the recipients, comma-separated as logged.
    pub recipients: Option<Text<'a>>,
    /// Everything after `SA: <kind>: `.
    pub detail: Text<'a>,
}

crate::json_object::json_object!(SaExim<'a>, struct {
    req kind,
    opt action,
    opt score,
    opt required,
    opt trigger,
    opt header_id,
    opt sender,
    opt host,
    opt recipients,
    req detail,
});

/// What a [`SystemNotice`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SystemKind {
    /// `spool directory space check failed: space=N inodes=N` (receive.c):
    /// a message was refused because `check_spool_space`/`_inodes` failed.
    SpoolSpace,
    /// `log directory space check failed: space=N inodes=N` (receive.c).
    LogSpace,
    /// `ridiculously long message header received from <host> (more than N
    /// characters): message abandoned` (receive.c, `header_maxsize`).
    HeaderTooLong,
    /// `overlong message header line received from <host> (more than N
    /// characters): message abandoned` (receive.c, `header_line_maxsize`).
    HeaderLineTooLong,
    /// `ident connection to <ip> timed out` (verify.c, `+ident_timeout`).
    IdentTimeout,
    /// `N accept() failure[s]: <strerror>` (daemon.c, batched errors).
    AcceptFailures,
    /// `N select() failure[s]: <strerror>` (daemon.c, batched errors).
    SelectFailures,
    /// `listen backlog N I=[ip]:port` (daemon.c, `smtp_backlog_monitor`).
    ListenBacklog,
    /// `notify triggered queue run` (daemon.c, queue_run_in_order ramp).
    NotifyQueueRun,
    /// `SIGSEGV (<what>)` (exim.c segv_handler; also written to the paniclog)
    /// and the `SEGV_MAPERR`-style line after it (`detail` is that word).
    Crash,
    /// `[queue run: ]process <pid> crashed with signal <n> while delivering
    /// <id>` (exim.c, queue.c): a delivery process died; `count` is the
    /// signal, `detail` the message id.
    DeliveryCrash,
    /// `local_scan() function crashed with signal <n> - message temporarily
    /// rejected (size <n>)` (receive.c); `count` is the signal.
    LocalScanCrash,
    /// `local_scan() function timed out - message temporarily rejected (size
    /// <n>)` (receive.c).
    LocalScanTimeout,
    /// `routing loop for <address>` (route.c: more than 100 generations of
    /// parents); `address` is set.
    RoutingLoop,
    /// `Message abandoned: <why>` (receive.c: the spool file could not be
    /// written); `detail` is `<why>`, `host` (or `user`) the sender when it
    /// is the `... error (<err>) while receiving message from <host>` form.
    MessageAbandoned,
    /// `Delivery deferred by system filter` (deliver.c: the filter's `defer`).
    FilterDeferred,
    /// A taint check refused a value (4.94+): `Tainted filename for search`,
    /// `tainted search query is not properly quoted`, `attempt to use tainted
    /// ...`; `detail` is the whole text.
    Taint,
    /// Another DMARC line (dmarc.c): a library, history-file or forensic
    /// report failure, the synthesized SPF domain; `detail` is the
    /// whole text. The verdict line is the `dmarc_result` event.
    Dmarc,
    /// A failed system call or an internal error of Exim itself (fork,
    /// memory, pipes, spool and journal files, lookups, limits, DCC, SRS,
    /// ...), written to the mainlog and often the paniclog too; `detail` is
    /// the whole text.
    Internal,
}

/// A line about Exim itself rather than a message or a session: resource
/// checks, oversized headers, ident timeouts, daemon socket trouble, crashes.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct SystemNotice<'a> {
    /// What happened.
    pub kind: SystemKind,
    /// The client (`HeaderTooLong`, `HeaderLineTooLong`: its `sender_fullhost`,
    /// or `user` when the message was local; `IdentTimeout`: its address) or
    /// the listening interface (`ListenBacklog`).
    pub peer: crate::event::Peer<'a>,
    /// The number the line reports: failures in a row (`AcceptFailures`,
    /// `SelectFailures`), the backlog (`ListenBacklog`), the configured limit
    /// in characters (`HeaderTooLong`, `HeaderLineTooLong`), the signal
    /// (`DeliveryCrash`, `LocalScanCrash`).
    pub count: Option<u64>,
    /// `space=` of a space check: free kilobytes (-1: not checked).
    pub space: Option<i64>,
    /// `inodes=` of a space check: free inodes (-1: not checked).
    pub inodes: Option<i64>,
    /// The error text (`AcceptFailures`, `SelectFailures`: strerror) or what
    /// the crash handler said (`Crash`: the text in parentheses), the message
    /// id (`DeliveryCrash`), the text after ` - ` (`LocalScanCrash`,
    /// `LocalScanTimeout`), the text after `Message abandoned: `
    /// (`MessageAbandoned`), the whole text (`Taint`, `Dmarc`, `Internal`).
    pub detail: Option<Text<'a>>,
    /// The address the line is about (`RoutingLoop`; `Internal` for the
    /// `<address>: <error>` lines of callout and transport set-up).
    pub address: Option<Text<'a>>,
}

crate::json_object::json_object!(SystemNotice<'a>, map {
    req kind,
    flat peer,
    opt count,
    opt space,
    opt inodes,
    opt detail,
    opt address,
});

/// `DMARC results: spf_domain=<d> dmarc_domain=<d> spf_align=yes|no
/// dkim_align=yes|no enforcement='<text>'` (dmarc.c, after DATA when the
/// From: domain has a DMARC record): the `dmarc_result` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DmarcResult<'a> {
    /// `spf_domain=`: the domain SPF checked (the envelope sender's, or the
    /// HELO name when the sender was empty).
    pub spf_domain: Text<'a>,
    /// `dmarc_domain=`: the domain whose DMARC record was used.
    pub dmarc_domain: Text<'a>,
    /// `spf_align=yes`: SPF passed for a domain aligned with the From: domain.
    pub spf_aligned: bool,
    /// `dkim_align=yes`: a DKIM signature aligned with the From: domain verified.
    pub dkim_aligned: bool,
    /// `enforcement='...'`: libopendmarc's verdict text, e.g. `Accept`,
    /// `Reject`, `Quarantine`, `Permit and report`, without the quotes.
    pub enforcement: Text<'a>,
}

crate::json_object::json_object!(DmarcResult<'a>, struct {
    req spf_domain,
    req dmarc_domain,
    req spf_aligned,
    req dkim_aligned,
    req enforcement,
});
