//! What a log line says: the [`Event`] enum and the field structs of its variants.
//!
//! Every struct here borrows from the line it was parsed from. Serialization
//! follows `SCHEMA.md`: absent fields are omitted, the event name is the
//! `event` key.

#[cfg(feature = "serde")]
use serde::Serialize;

use crate::text::Text;

/// The variants whose payload is a [`Session`], as one pattern binding it to `$x`:
/// the accessor and the serializer (`ser.rs`, a child module declared below,
/// so in the macro's textual scope) list them once, here.
macro_rules! session_events {
    ($x:ident) => {
        $crate::event::Event::ConnectionOpen($x)
            | $crate::event::Event::ConnectionClose($x)
            | $crate::event::Event::ConnectionLost($x)
            | $crate::event::Event::SmtpTimeout($x)
            | $crate::event::Event::NoMail($x)
            | $crate::event::Event::SmtpError($x)
            | $crate::event::Event::SmtpDropped($x)
            | $crate::event::Event::ConnectionRefused($x)
            | $crate::event::Event::TlsError($x)
            | $crate::event::Event::HostError($x)
            | $crate::event::Event::HostLookupFailed($x)
            | $crate::event::Event::IncompleteTransaction($x)
            | $crate::event::Event::Etrn($x)
            | $crate::event::Event::AuthSenderIgnored($x)
    };
}

/// The variants whose payload is a [`Note`], as one pattern binding it to `$x`:
/// the accessor and the serializer (`ser.rs`, a child module declared below,
/// so in the macro's textual scope) list them once, here.
macro_rules! note_events {
    ($x:ident) => {
        $crate::event::Event::Frozen($x)
            | $crate::event::Event::Unfrozen($x)
            | $crate::event::Event::Removed($x)
            | $crate::event::Event::Cancelled($x)
            | $crate::event::Event::MessageIsFrozen($x)
            | $crate::event::Event::SpoolLocked($x)
            | $crate::event::Event::NoImmediateDelivery($x)
            | $crate::event::Event::RecipientsIgnored($x)
            | $crate::event::Event::Dnslist($x)
            | $crate::event::Event::Moved($x)
            | $crate::event::Event::ExpansionFailed($x)
            | $crate::event::Event::ConfigError($x)
            | $crate::event::Event::MalwareError($x)
            | $crate::event::Event::RewriteError($x)
            | $crate::event::Event::SelfRouting($x)
            | $crate::event::Event::ListMatchFailed($x)
            | $crate::event::Event::DaemonStopped($x)
    };
}

mod daemon;
mod message;
mod notice;
mod process;
mod reject;
#[cfg(feature = "serde")]
mod ser;
mod session;

pub use daemon::{DaemonSignal, DaemonStart, QueuePhase, QueueRun};
pub use message::{Arrival, Auth, Completed, Delivery, Tls};
pub use notice::{
    AdminAction, AdminKind, Dkim, DmarcResult, ErrorIgnored, Note, PrdrResult, Rewrite, SaExim,
    SystemKind, SystemNotice, TransportOutput,
};
pub use process::{ArgIter, ArgList, Arguments};
pub(crate) use reject::dnslist_domain;
pub use reject::{AuthFailure, Reject, SenderVerify, Stage, Warning};
pub use session::{CommandList, Peer, Session};

/// The event a log line records. The set grows as Exim grows: match with a `_` arm.
// `Serialize` (`{"event": name, ...fields}`) is written by hand in ser.rs.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// `<=` message arrival, or `(=` fake-reject arrival.
    Arrival(Arrival<'a>),
    /// `=>`, `->`, `>>` or `*>`: a successful (or suppressed) delivery.
    Delivery(Delivery<'a>),
    /// `==`: delivery deferred (temporary failure).
    Deferral(Delivery<'a>),
    /// `**`: delivery failed permanently (the address bounced).
    Failure(Delivery<'a>),
    /// `Completed`: every address of the message is done.
    Completed(Completed),
    /// `cwd=DIR N args: ...` (`+arguments`): an Exim process started, with its command line.
    Arguments(Arguments<'a>),
    /// `exim x.y daemon started: pid=N, ...`.
    DaemonStarted(DaemonStart<'a>),
    /// `Start|End|Abandon [ODMR ]['name' ]queue run: pid=N ...`.
    QueueRun(QueueRun<'a>),
    /// `SMTP connection from ... (TCP/IP connection count = N)`.
    ConnectionOpen(Session<'a>),
    /// `SMTP connection from ... D=5s closed by QUIT|EOF|...` (`reason` is the word after `closed by`).
    ConnectionClose(Session<'a>),
    /// `SMTP connection from ... lost`, `... lost while reading message data`, `unexpected disconnection while reading SMTP command`, `SMTP connection lost after final dot`.
    ConnectionLost(Session<'a>),
    /// `SMTP command timeout on ...`, `SMTP data timeout (message abandoned) on ...`.
    SmtpTimeout(Session<'a>),
    /// `no MAIL in SMTP connection from ... D=.. C=EHLO,QUIT` (`+smtp_no_mail`).
    NoMail(Session<'a>),
    /// `SMTP syntax error in "cmd" ...`, `SMTP protocol error in ...`, `SMTP protocol synchronization error ...`.
    SmtpError(Session<'a>),
    /// `SMTP call from ... dropped: too many ...`.
    SmtpDropped(Session<'a>),
    /// `Connection from [ip] refused: ...`, `refused connection from ...`, `temporarily refused connection from ...`.
    ConnectionRefused(Session<'a>),
    /// `TLS error on connection from ... (fn): error`, `TLS session: (fn): ...`.
    TlsError(Session<'a>),
    /// `H=host [ip] Connection refused`, `H=host [ip]: SMTP error from remote mail server after ...` and other errors about a remote host Exim delivered to.
    HostError(Session<'a>),
    /// `no host name found for IP address ip`, `no IP address found for host
    /// name[ (during SMTP connection from ...)]`. With `during`, `host` is the
    /// SMTP client whose session made the lookup and `reason` the name that
    /// had no address; without it, `host.name` is that name.
    HostLookupFailed(Session<'a>),
    /// `H=... incomplete transaction (QUIT) from <s> for r1 r2`.
    IncompleteTransaction(Session<'a>),
    /// `ETRN #dom received from ...` and `ATRN 'dom' received from ...`.
    Etrn(Session<'a>),
    /// `[temporarily ]rejected <what>[: reason]`: an ACL (or Exim) refused a command.
    Rejection(Reject<'a>),
    /// `H=... dropped by '<acl>' ACL[: msg]`: the connection was dropped.
    Dropped(Reject<'a>),
    /// `H=... F=<s> RCPT <r>: discarded by RCPT|MAIL ACL`.
    Discarded(Reject<'a>),
    /// `H=... sender verify fail|defer for <a>[: reason]`.
    SenderVerify(SenderVerify<'a>),
    /// `[H=... ]Warning: ...` (ACL `warn` with `log_message`).
    Warning(Warning<'a>),
    /// `<name> authenticator failed for ...` (incoming) or `<name> authenticator failed H=...` (outgoing).
    AuthFailed(AuthFailure<'a>),
    /// `Frozen[ (reason)| by the system filter[: text]]`, `frozen by ACL|local_scan()|user`.
    Frozen(Note<'a>),
    /// `Unfrozen by auto-thaw|errmsg timer|forced delivery`, `unfrozen by <user>`.
    Unfrozen(Note<'a>),
    /// `removed by <user>` (`exim -Mrm`).
    Removed(Note<'a>),
    /// `cancelled by <user>|timeout_frozen_after|system filter[: text]`.
    Cancelled(Note<'a>),
    /// `Message is frozen`: a delivery attempt skipped a frozen message.
    MessageIsFrozen(Note<'a>),
    /// `Spool file[ for <id>] is locked (another process is handling this message)`.
    SpoolLocked(Note<'a>),
    /// `no immediate delivery: <reason>` (the message was queued).
    NoImmediateDelivery(Note<'a>),
    /// `original recipients ignored (system filter)`.
    RecipientsIgnored(Note<'a>),
    /// `DNS list lookup defer (probably timeout) for <query>: assumed ...` and
    /// `DNS list lookup for <q> at <list> returned <ip>; not in ...`; `reason`
    /// is the text after `DNS list lookup `.
    Dnslist(Note<'a>),
    /// `pid N: SIGHUP received: re-exec daemon`.
    DaemonSignal(DaemonSignal<'a>),
    /// `<address>: error ignored`.
    ErrorIgnored(ErrorIgnored<'a>),
    /// `<address>: <t> transport output: <line>`.
    TransportOutput(TransportOutput<'a>),
    /// `DKIM: d=.. s=.. ... [status]`.
    Dkim(Dkim<'a>),
    /// `"old" from <where> rewritten as "new" by rule N`.
    Rewrite(Rewrite<'a>),
    /// `moved from <queue> input, msglog to <queue> input, msglog` (`exim -MG`).
    Moved(Note<'a>),
    /// `failed to expand ...` / `Failed to expand ...`: a configuration string
    /// did not expand (the text is in `reason`).
    ExpansionFailed(Note<'a>),
    /// `Exim configuration error[ in line N of <file>| in <r> router|...]:`
    /// (spec §10.2); `reason` is the location, the detail is on the next line
    /// ([`crate::paniclog::PanicEntry::detail`]).
    ConfigError(Note<'a>),
    /// `malware acl condition: <scanner> <error>` (`malware.c`): the virus
    /// scanner failed; `reason` is the text after the colon.
    MalwareError(Note<'a>),
    /// `PRDR R=<rcpt> acceptance|refusal|temporary refusal`.
    Prdr(PrdrResult<'a>),
    /// `ignoring AUTH=<sender> from <HI> (<why>)` (`smtp_in.c`): the AUTH=
    /// parameter of MAIL FROM was not trusted; `command` is the AUTH= value.
    AuthSenderIgnored(Session<'a>),
    /// `recipient <a> added by <user>`, `address <a> marked delivered by
    /// <user>`, `sender address changed to <a> by <user>` (queue.c, `exim -M...`).
    AdminAction(AdminAction<'a>),
    /// `rewrite: <error>` (rewrite.c): a header address could not be parsed
    /// for rewriting, e.g. `domain missing or malformed`; `reason` is the error.
    RewriteError(Note<'a>),
    /// `remote host address is the local host: <domain>[ (while ...)]` and
    /// `lowest numbered MX record points to local host: ...`
    /// (routers/rf_self_action.c, `self = freeze`); `reason` is the text after
    /// the first `: `.
    SelfRouting(Note<'a>),
    /// `list matching forced to fail: <error>` (match.c): a lookup in a host
    /// or address list failed; `reason` is the error.
    ListMatchFailed(Note<'a>),
    /// `exim <version> daemon terminating, inetd wait timeout reached.`
    /// (daemon.c); `by` is the version, `reason` the text after the comma.
    DaemonStopped(Note<'a>),
    /// `SA: Action: ...` and the other lines of the SA-Exim add-on.
    SaExim(SaExim<'a>),
    /// A line about Exim itself (space checks, oversized headers, ident
    /// timeouts, accept() failures, listen backlog, notify-triggered queue
    /// runs, SIGSEGV); see [`SystemKind`].
    SystemNotice(SystemNotice<'a>),
    /// `DMARC results: ...` (dmarc.c): the DMARC verdict of a message.
    DmarcResult(DmarcResult<'a>),
    /// A line this library does not (yet) understand. Its text is in [`crate::LogLine::raw`].
    Unknown,
}

impl<'a> Event<'a> {
    /// The [`Session`] of the SMTP connection-level events (connection open,
    /// close, lost, timeouts, no MAIL, SMTP errors and drops, refusals, TLS and
    /// host errors, host lookup failures, incomplete transactions, ETRN, ignored
    /// `AUTH=` senders); `None` for every other event.
    ///
    /// ```
    /// use exim_log::parse_line;
    /// let l = parse_line(b"2024-05-25 10:00:00 SMTP connection from [192.0.2.1]:4321 \
    ///     (TCP/IP connection count = 3)").unwrap();
    /// assert_eq!(l.event.session().unwrap().peer.ip().unwrap(), "192.0.2.1");
    /// ```
    pub fn session(&self) -> Option<&Session<'a>> {
        match self {
            session_events!(s) => Some(s),
            _ => None,
        }
    }

    /// The [`Note`] of the events that carry only a `by` and a `reason`
    /// (frozen, unfrozen, removed, cancelled, spool locked, expansion and
    /// configuration errors, daemon stopped, ...); `None` for every other
    /// event.
    ///
    /// ```
    /// use exim_log::parse_line;
    /// let l = parse_line(b"2024-05-25 10:00:00 1a2B3c-000DEF-gh Frozen (delivery error message)")
    ///     .unwrap();
    /// assert_eq!(l.event.note().unwrap().reason.unwrap(), "delivery error message");
    /// ```
    pub fn note(&self) -> Option<&Note<'a>> {
        match self {
            note_events!(n) => Some(n),
            _ => None,
        }
    }

    /// The `event` name used in JSON (`arrival`, `delivery`, ..., `unknown`).
    pub fn name(&self) -> &'static str {
        match self {
            Event::Arrival(_) => "arrival",
            Event::Delivery(_) => "delivery",
            Event::Deferral(_) => "deferral",
            Event::Failure(_) => "failure",
            Event::Completed(_) => "completed",
            Event::Arguments(_) => "arguments",
            Event::DaemonStarted(_) => "daemon_started",
            Event::QueueRun(_) => "queue_run",
            Event::ConnectionOpen(_) => "connection_open",
            Event::ConnectionClose(_) => "connection_close",
            Event::ConnectionLost(_) => "connection_lost",
            Event::SmtpTimeout(_) => "smtp_timeout",
            Event::NoMail(_) => "no_mail",
            Event::SmtpError(_) => "smtp_error",
            Event::SmtpDropped(_) => "smtp_dropped",
            Event::ConnectionRefused(_) => "connection_refused",
            Event::TlsError(_) => "tls_error",
            Event::HostError(_) => "host_error",
            Event::HostLookupFailed(_) => "host_lookup_failed",
            Event::IncompleteTransaction(_) => "incomplete_transaction",
            Event::Etrn(_) => "etrn",
            Event::Rejection(_) => "rejection",
            Event::Dropped(_) => "dropped",
            Event::Discarded(_) => "discarded",
            Event::SenderVerify(_) => "sender_verify",
            Event::Warning(_) => "warning",
            Event::AuthFailed(_) => "auth_failed",
            Event::Frozen(_) => "frozen",
            Event::Unfrozen(_) => "unfrozen",
            Event::Removed(_) => "removed",
            Event::Cancelled(_) => "cancelled",
            Event::MessageIsFrozen(_) => "message_is_frozen",
            Event::SpoolLocked(_) => "spool_locked",
            Event::NoImmediateDelivery(_) => "no_immediate_delivery",
            Event::RecipientsIgnored(_) => "recipients_ignored",
            Event::Dnslist(_) => "dnslist",
            Event::DaemonSignal(_) => "daemon_signal",
            Event::ErrorIgnored(_) => "error_ignored",
            Event::TransportOutput(_) => "transport_output",
            Event::Dkim(_) => "dkim",
            Event::Rewrite(_) => "rewrite",
            Event::Moved(_) => "moved",
            Event::ExpansionFailed(_) => "expansion_failed",
            Event::ConfigError(_) => "config_error",
            Event::MalwareError(_) => "malware_error",
            Event::Prdr(_) => "prdr",
            Event::AuthSenderIgnored(_) => "auth_sender_ignored",
            Event::AdminAction(_) => "admin_action",
            Event::RewriteError(_) => "rewrite_error",
            Event::SelfRouting(_) => "self_routing",
            Event::ListMatchFailed(_) => "list_match_failed",
            Event::DaemonStopped(_) => "daemon_stopped",
            Event::SystemNotice(_) => "system_notice",
            Event::DmarcResult(_) => "dmarc_result",
            Event::SaExim(_) => "sa_exim",
            Event::Unknown => "unknown",
        }
    }
}

/// The two-character flag after the message id (spec §"Log line flags").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flag {
    /// `<=` arrival.
    Arrival,
    /// `(=` fake-reject arrival (`control = fakereject`).
    FakeReject,
    /// `=>` delivery.
    Delivery,
    /// `->` additional address in the same delivery.
    Additional,
    /// `>>` cutthrough delivery (logged before the `<=` line).
    Cutthrough,
    /// `*>` delivery suppressed by `-N`.
    Suppressed,
    /// `**` permanent failure.
    Failure,
    /// `==` deferral.
    Deferral,
}

impl Flag {
    /// The flag as logged, e.g. `"<="`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Flag::Arrival => "<=",
            Flag::FakeReject => "(=",
            Flag::Delivery => "=>",
            Flag::Additional => "->",
            Flag::Cutthrough => ">>",
            Flag::Suppressed => "*>",
            Flag::Failure => "**",
            Flag::Deferral => "==",
        }
    }

    /// Recognizes the two flag bytes.
    pub fn from_bytes(b: &[u8]) -> Option<Flag> {
        Some(match b {
            b"<=" => Flag::Arrival,
            b"(=" => Flag::FakeReject,
            b"=>" => Flag::Delivery,
            b"->" => Flag::Additional,
            b">>" => Flag::Cutthrough,
            b"*>" => Flag::Suppressed,
            b"**" => Flag::Failure,
            b"==" => Flag::Deferral,
            _ => return None,
        })
    }
}

#[cfg(feature = "serde")]
impl Serialize for Flag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A tag this library has no dedicated field for, kept in order so nothing is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Field<'a> {
    /// The tag before `=`, or the whole bare token (e.g. `ARC`).
    pub tag: Text<'a>,
    /// The value after `=`, absent for bare tokens.
    pub value: Option<Text<'a>>,
}

crate::json_object::json_object!(Field<'a>, struct {
    req tag,
    opt value,
});

/// A space-separated list of raw addresses (the ` for a b c` tail of `<=`).
/// A quoted local part may contain spaces; iteration keeps it whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct AddressList<'a>(Text<'a>);

impl<'a> AddressList<'a> {
    /// Wraps the raw list text.
    pub const fn new(raw: Text<'a>) -> Self {
        AddressList(raw)
    }

    /// The list exactly as logged.
    pub const fn raw(&self) -> Text<'a> {
        self.0
    }

    /// True when the list holds no address.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The addresses, in logged order, borrowed from the line.
    pub fn iter(&self) -> AddressIter<'a> {
        AddressIter {
            rest: self.0.as_bytes(),
        }
    }
}

/// Iterator over an [`AddressList`].
#[derive(Clone, Debug)]
pub struct AddressIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for AddressIter<'a> {
    type Item = Text<'a>;

    fn next(&mut self) -> Option<Text<'a>> {
        let start = self.rest.iter().position(|b| *b != b' ')?;
        let s = self.rest.get(start..)?;
        let (item, rest) = crate::parse::fields::address(s);
        self.rest = rest;
        Some(Text::new(item))
    }
}

#[cfg(feature = "serde")]
impl Serialize for AddressList<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}
