//! Lines about SMTP sessions rather than messages: connections opening and
//! closing, timeouts, protocol errors, TLS errors, refused connections
//! (spec §10, `smtp_in.c`, `daemon.c`).

#[cfg(feature = "serde")]
use serde::Serialize;

use super::{AddressList, Auth, Tls};
use crate::duration::LogDuration;
use crate::host::{Endpoint, Host};
use crate::text::Text;

/// Who a line is about: the `host_and_ident` block (`H=`, `I=`, `U=`, `Ci=`,
/// spec §10 `<HI>`) and the tags that follow it on reject and session lines
/// (`X=`/`CV=`, `F=`, `A=`, `P=`). Every field is optional.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Peer<'a> {
    /// `H=` (or the host after `from`): the remote host.
    pub host: Option<Host<'a>>,
    /// `I=`: the local interface the connection came in on.
    pub interface: Option<Endpoint<'a>>,
    /// `U=`: RFC 1413 ident of the remote host, or the local caller's login.
    pub user: Option<Text<'a>>,
    /// `Ci=`: the pid of the connection handler (`+connection_id`). Only a
    /// decimal value becomes a number.
    pub connection_id: Option<u64>,
    /// `DS` before `H=`: the host name was DNSSEC-verified (`+dnssec`).
    pub dnssec: bool,
    /// `X=`, `CV=`, `DN=`, `SNI=`.
    pub tls: Option<Tls<'a>>,
    /// `F=<sender>`: the envelope sender as given in MAIL FROM, with the brackets.
    pub sender: Option<Text<'a>>,
    /// `A=`: SMTP authentication.
    pub auth: Option<Auth<'a>>,
    /// `P=`: the protocol (`esmtp`, ...), on `lost after final dot` lines.
    pub protocol: Option<Text<'a>>,
}

crate::json_object::json_object!(Peer<'a>, struct {
    opt host,
    opt interface,
    opt user,
    opt connection_id,
    opt dnssec,
    opt tls,
    opt sender,
    opt auth,
    opt protocol,
});

impl Peer<'_> {
    /// The remote IP address (`H=[ip]`), when known.
    pub fn ip(&self) -> Option<Text<'_>> {
        self.host.and_then(|h| h.ip)
    }
}

/// One SMTP session line: the shared fields of `connection_open`,
/// `connection_close`, `connection_lost`, `smtp_timeout`, `no_mail`,
/// `smtp_error`, `smtp_dropped`, `connection_refused`, `tls_error`,
/// `host_error`, `host_lookup_failed`, `incomplete_transaction` and `etrn` events.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[non_exhaustive]
pub struct Session<'a> {
    /// The remote host and the tags about it.
    pub peer: Peer<'a>,
    /// `D=`: how long the connection had lasted.
    pub duration: Option<LogDuration>,
    /// `C=EHLO,STARTTLS,...`: the SMTP command history (`no MAIL`, `dropped`),
    /// a leading `...` when Exim kept only the last 20.
    pub commands: Option<CommandList<'a>>,
    /// The SMTP command the line is about (`in "<cmd>"`, `last command was
    /// "<cmd>"`, `rejected "<cmd>"`, the ETRN/ATRN argument), without quotes.
    pub command: Option<Text<'a>>,
    /// `(TCP/IP connection count = N)` on a `connection_open` line.
    pub connection_count: Option<u32>,
    /// `from <sender>` of an `incomplete_transaction` line.
    pub from: Option<Text<'a>>,
    /// `for r1 r2` of an `incomplete_transaction` line.
    pub recipients: Option<AddressList<'a>>,
    /// What happened, as logged: `QUIT` for `closed by QUIT`, the error text
    /// of a TLS error, the reason of a refusal, ...
    pub reason: Option<Text<'a>>,
}

crate::json_object::json_object!(Session<'a>, map {
    flat peer,
    opt duration,
    opt commands,
    opt command,
    opt connection_count,
    opt from,
    opt recipients,
    opt reason,
});

/// The `C=` command history of `no MAIL` and `dropped` lines: comma-separated verbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct CommandList<'a>(Text<'a>);

impl<'a> CommandList<'a> {
    /// Wraps the list as logged.
    pub const fn new(raw: Text<'a>) -> Self {
        CommandList(raw)
    }

    /// The list exactly as logged.
    pub const fn raw(&self) -> Text<'a> {
        self.0
    }

    /// True when Exim cut the list to its last 20 commands (a leading `...`).
    pub fn truncated(&self) -> bool {
        self.0.as_bytes().starts_with(b"...")
    }

    /// The verbs in order, without the `...` marker.
    pub fn iter(&self) -> impl Iterator<Item = Text<'a>> + 'a {
        let b = self.0.as_bytes();
        let b = b.strip_prefix(b"...").unwrap_or(b);
        b.split(|c| *c == b',')
            .filter(|s| !s.is_empty())
            .map(Text::new)
    }
}

#[cfg(feature = "serde")]
impl Serialize for CommandList<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_list_splits_and_flags_truncation() {
        let c = CommandList::new(Text::from("...,RCPT,RCPT,QUIT"));
        assert!(c.truncated());
        let v: Vec<_> = c.iter().map(|t| t.to_string()).collect();
        assert_eq!(v, ["RCPT", "RCPT", "QUIT"]);
        let c = CommandList::new(Text::from("EHLO,STARTTLS"));
        assert!(!c.truncated());
        assert_eq!(c.iter().count(), 2);
    }
}
