//! SMTP session lines (spec §10: connection open/close/lost, timeouts, no MAIL,
//! syntax/protocol/synchronization errors, dropped connections, refusals, TLS
//! errors, host lookups, ETRN; `smtp_in.c`, `daemon.c`).

use super::peer::{angle, number, tags, tags_into};
use crate::event::{AddressList, Event, Session};
use crate::host::Host;
use crate::text::Text;

/// Non-empty trimmed text.
fn text(i: &[u8]) -> Option<Text<'_>> {
    let i = i.strip_prefix(b" ").unwrap_or(i);
    (!i.is_empty()).then_some(Text::new(i))
}

/// `"cmd"` at the start of `i`: the command ends at a `"` followed by a space,
/// `,`, `)` or the end (the command is client text and may hold quotes).
fn quoted(i: &[u8]) -> Option<(Text<'_>, &[u8])> {
    let inner = i.strip_prefix(b"\"")?;
    let end = (0..inner.len()).find(|&k| {
        inner.get(k) == Some(&b'"') && matches!(inner.get(k + 1), None | Some(b' ' | b',' | b')'))
    })?;
    let (c, rest) = inner.split_at(end);
    Some((Text::new(c), rest.get(1..).unwrap_or_default()))
}

/// `"<cmd>" <HI>` (smtp_in.c `"SMTP %s error in \"%s\" %s %s"` with
/// `string_printing(smtp_cmd_buffer)` and `host_and_ident(TRUE)`): the
/// command is the client's and `string_printing` leaves `"` as it is, so a
/// command may hold `" H=(x) [ip]`. The client block Exim wrote comes after
/// all of it: the command ends at the last `" H=` (or `" U=`) that starts a
/// well-formed client block. Returns the command and the text from the space
/// before the block.
fn command_then_client(i: &[u8]) -> Option<(Text<'_>, &[u8])> {
    let inner = i.strip_prefix(b"\"")?;
    let mut upto = inner.len();
    while let Some(p) = inner.get(..upto).and_then(|h| memchr::memrchr(b'"', h)) {
        upto = p;
        let Some(after) = inner.get(p + 1..) else {
            continue;
        };
        if !(after.starts_with(b" H=") || after.starts_with(b" U=")) {
            continue;
        }
        let (t, _) = tags(after, false);
        let ok = match t.peer.host {
            Some(h) => h.ip.is_some(),
            None => t.peer.user.is_some(),
        };
        if ok {
            return Some((Text::new(inner.get(..p)?), after));
        }
    }
    quoted(i)
}

/// Parses the text after `SMTP `.
pub(crate) fn smtp(i: &[u8]) -> Option<Event<'_>> {
    if let Some(r) = i.strip_prefix(b"connection lost after final dot") {
        let (t, _) = tags(r, false);
        let mut s = t;
        // Reasons are slices of the line itself, like every other field.
        s.reason = i
            .get(b"connection lost ".len()..i.len() - r.len())
            .map(Text::new);
        return Some(Event::ConnectionLost(s));
    }
    if let Some(r) = i.strip_prefix(b"command timeout on ") {
        let (tls, r) = match r.strip_prefix(b"TLS ") {
            Some(r) => (true, r),
            None => (false, r),
        };
        let r = r.strip_prefix(b"connection from ")?;
        let (t, _) = tags(r, true);
        let mut s = t;
        let len = if tls {
            b"command timeout on TLS connection".len()
        } else {
            b"command timeout".len()
        };
        s.reason = i.get(..len).map(Text::new);
        return Some(Event::SmtpTimeout(s));
    }
    if let Some(r) = i.strip_prefix(b"data timeout (message abandoned) on connection from ") {
        let (t, _) = tags(r, true);
        let mut s = t;
        s.reason = i.get(..b"data timeout".len()).map(Text::new);
        return Some(Event::SmtpTimeout(s));
    }
    if let Some(r) = i
        .strip_prefix(b"syntax error in ")
        .or_else(|| i.strip_prefix(b"protocol error in "))
    {
        let (cmd, r) = command_then_client(r)?;
        let (t, r) = tags(r, false);
        let mut s = t;
        s.command = Some(cmd);
        s.reason = text(r);
        return Some(Event::SmtpError(s));
    }
    if let Some(r) = i.strip_prefix(b"protocol synchronization error (") {
        return sync_error(r);
    }
    if let Some(r) = i.strip_prefix(b"call from ") {
        return dropped(r);
    }
    if i.starts_with(b"error from remote mail server after ") {
        // The host is on the line before in this form; keep the text.
        return Some(Event::HostError(Session {
            reason: text(i),
            ..Session::default()
        }));
    }
    None
}

/// The text after `SMTP `, written into `event` (which is [`Event::Unknown`]).
/// `connection ...` lines, a quarter of a busy log, build their session in
/// its final place; the rest go through [`smtp`].
pub(crate) fn smtp_into<'a>(i: &'a [u8], event: &mut Event<'a>) {
    if !i.starts_with(b"connection lost after final dot")
        && let Some(r) = i.strip_prefix(b"connection")
    {
        connection_into(r, event);
    } else if let Some(e) = smtp(i) {
        *event = e;
    }
}

/// What a `SMTP connection` line says after its tags.
#[derive(Clone, Copy, PartialEq)]
enum Connection {
    Open,
    Close,
    Lost,
}

/// After `SMTP connection`: `[ Ci=n] from <host>[ I=..] <what>`, into `event`.
///
/// The session is a few hundred bytes: built in a local and moved into the
/// event it cost two full copies a line (callgrind; the count is in benches/README.md). So the
/// kind is guessed first from the last byte (`... count = N)` opens, `closed
/// by QUIT` closes), the tags are parsed straight into that variant, and only
/// a wrong guess pays one copy. Unknown shapes leave [`Event::Unknown`].
fn connection_into<'a>(i: &'a [u8], event: &mut Event<'a>) {
    // Usually ` from ` follows at once: then there is no tag to read, and
    // skipping `tags` saves building an empty `Tags` (callgrind; the count is in benches/README.md).
    let (ci, r) = if i.starts_with(b" from ") {
        (None, i)
    } else {
        let (t, r) = tags(i, false);
        (t.peer.connection_id, r)
    };
    let Some(r) = r.strip_prefix(b" from ") else {
        return;
    };
    let guess = if i.last() == Some(&b')') {
        Connection::Open
    } else {
        Connection::Close
    };
    *event = match guess {
        Connection::Open => Event::ConnectionOpen(Session::default()),
        _ => Event::ConnectionClose(Session::default()),
    };
    let (Event::ConnectionOpen(s) | Event::ConnectionClose(s)) = event else {
        return;
    };
    let rest = tags_into(s, r, true);
    if s.peer.connection_id.is_none() {
        s.peer.connection_id = ci;
    }
    let Some(kind) = connection_rest(s, rest) else {
        *event = Event::Unknown;
        return;
    };
    if kind != guess {
        let s = *s;
        *event = match kind {
            Connection::Open => Event::ConnectionOpen(s),
            Connection::Close => Event::ConnectionClose(s),
            Connection::Lost => Event::ConnectionLost(s),
        };
    }
}

/// Reads what follows the tags of a `SMTP connection` line into `s`.
fn connection_rest<'a>(s: &mut Session<'a>, rest: &'a [u8]) -> Option<Connection> {
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    if rest.is_empty() || rest.starts_with(b"(via ") || rest.starts_with(b"(ODMR") {
        s.reason = text(rest);
        return Some(Connection::Open);
    }
    if let Some(c) = rest.strip_prefix(b"(TCP/IP connection count = ") {
        s.connection_count = number(c.strip_suffix(b")").unwrap_or(c));
        return Some(Connection::Open);
    }
    if let Some(why) = rest.strip_prefix(b"closed by ") {
        s.reason = text(why);
        return Some(Connection::Close);
    }
    if rest.starts_with(b"closed ") {
        s.reason = text(rest);
        return Some(Connection::Close);
    }
    let lost = rest.strip_prefix(b"TFO ").unwrap_or(rest);
    if lost.starts_with(b"lost") {
        // `lost[ (error: ...)] D=2s` or `lost while reading message data[ (...)]`.
        let (d, r) = match super::peer::rfind(lost, b" D=") {
            Some(p) => {
                let (r, d) = lost.split_at(p);
                (
                    crate::duration::LogDuration::parse(d.get(3..).unwrap_or_default()),
                    r,
                )
            }
            None => (None, lost),
        };
        s.duration = s.duration.or(d);
        s.reason = text(r);
        return Some(Connection::Lost);
    }
    None
}

/// After `SMTP protocol synchronization error (`.
fn sync_error(i: &[u8]) -> Option<Event<'_>> {
    let close = super::peer::find(i, b"): rejected ")?;
    let reason = i.get(..close)?;
    let r = i.get(close + 12..)?;
    let mut s = Session::default();
    let r = if let Some(r) = r.strip_prefix(b"connection from ") {
        r
    } else {
        let (cmd, r) = quoted(r)?;
        s.command = Some(cmd);
        r
    };
    let (t, _) = tags(r, false);
    s.peer = t.peer;
    s.reason = Some(Text::new(reason));
    Some(Event::SmtpError(s))
}

/// After `SMTP call from `: `<host>[ tags] dropped: <reason>`.
fn dropped(i: &[u8]) -> Option<Event<'_>> {
    let (t, r) = tags(i, true);
    let r = r.strip_prefix(b" dropped: ")?;
    let mut s = t;
    // `... (last command was "<cmd>",  C=<hist>)` or `(last was "<cmd>")`.
    let last = super::peer::find(r, b" (last command was ")
        .map(|p| (p, 19))
        .or_else(|| super::peer::find(r, b" (last was ").map(|p| (p, 11)));
    match last {
        Some((p, n)) => {
            s.reason = r.get(..p).map(Text::new);
            if let Some((cmd, after)) = r.get(p + n..).and_then(quoted) {
                s.command = Some(cmd);
                if let Some(h) = after.strip_prefix(b",  C=") {
                    let h = h.strip_suffix(b")").unwrap_or(h);
                    s.commands = Some(crate::event::CommandList::new(Text::new(h)));
                }
            }
        }
        None => s.reason = text(r),
    }
    Some(Event::SmtpDropped(s))
}

/// `no MAIL in ...`, `no host name found ...`, `no IP address found ...`.
pub(crate) fn no(i: &[u8]) -> Option<Event<'_>> {
    if let Some(r) = i.strip_prefix(b"MAIL in ") {
        let r = r.strip_prefix(b"TFO ").unwrap_or(r);
        let r = r.strip_prefix(b"SMTP connection from ")?;
        let (t, _) = tags(r, true);
        return Some(Event::NoMail(t));
    }
    if let Some(ip) = i.strip_prefix(b"host name found for IP address ") {
        let host = Host {
            ip: Some(Text::new(ip)),
            ..Host::default()
        };
        let mut s = Session::default();
        s.peer.host = Some(host);
        return Some(Event::HostLookupFailed(s));
    }
    if let Some(r) = i.strip_prefix(b"IP address found for host ") {
        // host.c host_find_byname: `no IP address found for host <name>[
        // (during <CONN>)]`; the `during` part names the SMTP client whose
        // session made the lookup (smtp_get_connection_info).
        if let Some(p) = super::peer::find(r, b" (during ")
            && let Some(conn) = r.get(p + 9..).and_then(|c| c.strip_suffix(b")"))
            && let Some(mut s) = during(conn)
        {
            s.reason = r.get(..p).map(Text::new);
            return Some(Event::HostLookupFailed(s));
        }
        let host = Host {
            name: Some(Text::new(r)),
            ..Host::default()
        };
        let mut s = Session::default();
        s.peer.host = Some(host);
        return Some(Event::HostLookupFailed(s));
    }
    None
}

/// `SMTP connection from <fullhost or ip>[ I=[ip]:port][ (via inetd)]`
/// (smtp_in.c smtp_get_connection_info), read from the right so that the
/// client's HELO inside `<fullhost>` cannot move the address.
fn during(i: &[u8]) -> Option<Session<'_>> {
    let r = i.strip_prefix(b"SMTP connection from ")?;
    let r = r.strip_suffix(b" (via inetd)").unwrap_or(r);
    let mut s = Session::default();
    let r = match super::peer::rfind(r, b" I=[") {
        Some(p) => match r.get(p + 3..).and_then(super::host::endpoint) {
            Some((e, [])) => {
                s.peer.interface = Some(e);
                r.get(..p)?
            }
            _ => r,
        },
        None => r,
    };
    let host = super::host::fullhost_from_right(r).or_else(|| {
        // Before the full host is built Exim names the bare address.
        super::host::endpoint(r)
            .filter(|(_, rest)| rest.is_empty())
            .map(|(e, _)| Host {
                ip: Some(e.ip),
                ..Host::default()
            })
    })?;
    s.peer.host = Some(host);
    Some(s)
}

/// `name [ip][:port] <strerror>` (transports/smtp.c write_logs before 4.86,
/// which wrote no `H=`): the error of an outgoing connection. The name is
/// the DNS name Exim connected to, so it holds no space; the error starts
/// with an upper-case letter as every strerror text does.
pub(crate) fn old_host_error(i: &[u8]) -> Option<Event<'_>> {
    let (h, rest) = super::host::host(i)?;
    // A host name, not an address (`a@b [x] ...` is some ACL's text).
    if h.name?.as_bytes().contains(&b'@')
        || !h.ip?.as_bytes().iter().any(|b| matches!(b, b'.' | b':'))
        || h.helo.is_some()
        || h.connection_reused
    {
        return None;
    }
    let e = rest.strip_prefix(b" ")?;
    if !e.first().is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    let mut s = Session::default();
    s.peer.host = Some(h);
    s.reason = Some(Text::new(e));
    Some(Event::HostError(s))
}

/// `unexpected disconnection|EOF while reading SMTP command from <host>[ (error)] D=..`.
pub(crate) fn unexpected(i: &[u8]) -> Option<Event<'_>> {
    let r = i
        .strip_prefix(b"disconnection while reading SMTP command from ")
        .or_else(|| i.strip_prefix(b"EOF while reading SMTP command from "))?;
    let (t, rest) = tags(r, true);
    let mut s = t;
    if let Some(p) = super::peer::rfind(rest, b" D=") {
        s.duration = s
            .duration
            .or_else(|| crate::duration::LogDuration::parse(rest.get(p + 3..)?));
        s.reason = rest.get(..p).and_then(text);
    } else {
        s.reason = text(rest);
    }
    Some(Event::ConnectionLost(s))
}

/// `TLS error on connection from <host> (fn): error`, `TLS error on connection
/// (fn): error` (outgoing, after `H=`), `TLS session: ...`.
pub(crate) fn tls_error<'a>(i: &'a [u8], mut s: Session<'a>) -> Option<Event<'a>> {
    if let Some(r) = i.strip_prefix(b"TLS error on connection from ") {
        let (t, rest) = tags(r, true);
        let mut s2 = t;
        s2.reason = text(rest);
        return Some(Event::TlsError(s2));
    }
    let r = i
        .strip_prefix(b"TLS error on connection ")
        .or_else(|| i.strip_prefix(b"TLS session: "))?;
    s.reason = text(r);
    Some(Event::TlsError(s))
}

/// Does `text` start like one of the refusal lines [`refused`] parses?
pub(crate) fn is_refusal(text: &[u8]) -> bool {
    [
        &b"Connection from "[..],
        b"connection from ",
        b"refused connection ",
        b"temporarily refused connection ",
    ]
    .iter()
    .any(|p| text.starts_with(p))
}

/// TLS problems that are not `TLS error on connection` lines: `TLS session:
/// ...` (transports/smtp.c), `[ip] SSL verify error: ...` (tls-openssl.c
/// verify callback), `DANE error: ...`, `DANE attempt failed; ...`, and the
/// OCSP stapling results (tls-openssl.c).
pub(crate) fn tls_notice(text: &[u8]) -> Option<Event<'_>> {
    if text.starts_with(b"TLS ") {
        return tls_error(text, Session::default());
    }
    if let Some(r) = text.strip_prefix(b"[") {
        let close = memchr::memchr(b']', r)?;
        let rest = r.get(close + 1..)?.strip_prefix(b" ")?;
        if !rest.starts_with(b"SSL verify error: ") {
            return None;
        }
        let mut s = Session::default();
        s.peer.host = Some(Host {
            ip: r.get(..close).map(Text::new),
            ..Host::default()
        });
        s.reason = Some(Text::new(rest));
        return Some(Event::TlsError(s));
    }
    let known = [
        &b"DANE "[..],
        b"OCSP ",
        b"Required TLS certificate status",
        b"Server certificate revoked",
    ];
    known.iter().any(|p| text.starts_with(p)).then(|| {
        Event::TlsError(Session {
            reason: Some(Text::new(text)),
            ..Session::default()
        })
    })
}

/// After `ignoring AUTH=`: `<value> from <HI> (<why>)` (`smtp_in.c`).
pub(crate) fn auth_sender_ignored(i: &[u8]) -> Option<Event<'_>> {
    let (value, rest) = super::peer::word(i);
    let rest = rest.strip_prefix(b" from ")?;
    // `host_and_ident(TRUE)`: the block starts with its `H=` or `U=` tag, so
    // no bare host is read first (which took `H=(helo)` for a host name).
    let (t, why) = tags(rest, false);
    let why = why.strip_prefix(b" (").unwrap_or(why);
    Some(Event::AuthSenderIgnored(Session {
        peer: t.peer,
        command: Some(Text::new(value)),
        reason: Some(Text::new(why.strip_suffix(b")").unwrap_or(why))),
        ..Session::default()
    }))
}

/// `Connection from <host>[ I=..] refused: ...`, `connection from <h> refused ...`,
/// `[temporarily ]refused connection from <host>...`.
pub(crate) fn refused(i: &[u8]) -> Option<Event<'_>> {
    let r = i
        .strip_prefix(b"Connection from ")
        .or_else(|| i.strip_prefix(b"connection from "));
    if let Some(r) = r {
        let (t, rest) = tags(r, true);
        let why = rest.strip_prefix(b" refused")?;
        let mut s = t;
        s.reason = text(why.strip_prefix(b":").unwrap_or(why));
        return Some(Event::ConnectionRefused(s));
    }
    let r = i
        .strip_prefix(b"refused connection from ")
        .or_else(|| i.strip_prefix(b"temporarily refused connection from "))?;
    let (t, rest) = tags(r, true);
    let mut s = t;
    s.reason = text(rest.strip_prefix(b":").unwrap_or(rest));
    Some(Event::ConnectionRefused(s))
}

/// `ETRN <arg> received from <host>` / `ATRN '<arg>' received from <host>`.
pub(crate) fn etrn(i: &[u8]) -> Option<Event<'_>> {
    let p = super::peer::find(i, b" received from ")?;
    let arg = i.get(5..p)?;
    let arg = arg
        .strip_prefix(b"'")
        .and_then(|a| a.strip_suffix(b"'"))
        .unwrap_or(arg);
    let (t, _) = tags(i.get(p + 15..)?, true);
    let mut s = t;
    s.command = Some(Text::new(arg));
    Some(Event::Etrn(s))
}

/// After `<HI> incomplete transaction (`: `<why>) from <s> for r1 r2`.
pub(crate) fn incomplete<'a>(i: &'a [u8], mut s: Session<'a>) -> Option<Event<'a>> {
    let close = memchr::memchr(b')', i)?;
    s.reason = i.get(..close).map(Text::new);
    let mut r = i.get(close + 1..).unwrap_or_default();
    if let Some(f) = r.strip_prefix(b" from ") {
        let (a, rest) = angle(f)?;
        s.from = Some(Text::new(a));
        r = rest;
    }
    if let Some(f) = r.strip_prefix(b" for ") {
        s.recipients = Some(AddressList::new(Text::new(f)));
    }
    Some(Event::IncompleteTransaction(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind is guessed from the last byte before the tags are read; a
    /// wrong guess must still give the right kind and fields (spec §10).
    #[test]
    fn connection_kind_guess_can_be_wrong() {
        // input after `SMTP `, kind, ip, reason
        let cases: &[(&str, &str, &str, Option<&str>)] = &[
            (
                "connection from [192.0.2.1]:4000",
                "connection_open",
                "192.0.2.1",
                None,
            ),
            (
                "connection from [192.0.2.1] (via ODMR)",
                "connection_open",
                "192.0.2.1",
                Some("(via ODMR)"),
            ),
            (
                "connection from (pc) [192.0.2.2] closed by DROP (in ACL)",
                "connection_close",
                "192.0.2.2",
                Some("DROP (in ACL)"),
            ),
            (
                "connection from (pc) [192.0.2.3] lost D=1s",
                "connection_lost",
                "192.0.2.3",
                Some("lost"),
            ),
            (
                "connection from [192.0.2.4] lost (error: Connection reset by peer)",
                "connection_lost",
                "192.0.2.4",
                Some("lost (error: Connection reset by peer)"),
            ),
        ];
        for (input, kind, ip, reason) in cases {
            let (name, s) = ses(smtp_event(input.as_bytes()));
            assert_eq!(name, *kind, "{input}");
            assert_eq!(s.peer.ip().unwrap(), *ip, "{input}");
            assert_eq!(
                s.reason.map(|r| r.to_string()).as_deref(),
                *reason,
                "{input}"
            );
        }
        // Not a known shape, whichever the guess: nothing is made up.
        assert!(smtp_event(b"connection from [192.0.2.5] went away)").is_none());
        assert!(smtp_event(b"connection from [192.0.2.5] went away").is_none());
    }

    /// The text after `SMTP ` through [`smtp_into`], the parser's entry point;
    /// `None` when it stays [`Event::Unknown`].
    fn smtp_event(i: &[u8]) -> Option<Event<'_>> {
        let mut e = Event::Unknown;
        smtp_into(i, &mut e);
        (e != Event::Unknown).then_some(e)
    }

    fn ses(e: Option<Event<'_>>) -> (&'static str, Session<'_>) {
        let e = e.expect("parsed");
        let s = e.session().cloned();
        (
            e.name(),
            s.unwrap_or_else(|| panic!("not a session: {e:?}")),
        )
    }

    #[test]
    fn smtp_table() {
        // text after `SMTP `, (event, ip, duration ms, command, reason)
        type Want<'s> = (
            &'s str,
            Option<&'s str>,
            Option<i64>,
            Option<&'s str>,
            Option<&'s str>,
        );
        let cases: &[(&str, Want)] = &[
            (
                "connection from [192.0.2.10]:51234 I=[198.51.100.2]:25 Ci=3141 (TCP/IP connection count = 3)",
                ("connection_open", Some("192.0.2.10"), None, None, None),
            ),
            (
                "connection Ci=3141 from mail.example.net (helo.example.net) [192.0.2.10]:51234 I=[198.51.100.2]:25 D=1m2s closed by QUIT",
                (
                    "connection_close",
                    Some("192.0.2.10"),
                    Some(62_000),
                    None,
                    Some("QUIT"),
                ),
            ),
            (
                "connection from (spammer) [203.0.113.5] lost D=20s",
                (
                    "connection_lost",
                    Some("203.0.113.5"),
                    Some(20_000),
                    None,
                    Some("lost"),
                ),
            ),
            (
                "connection from (x) [203.0.113.5] lost (error: Connection reset by peer) D=3s",
                (
                    "connection_lost",
                    Some("203.0.113.5"),
                    Some(3_000),
                    None,
                    Some("lost (error: Connection reset by peer)"),
                ),
            ),
            (
                "connection from (x) [203.0.113.5] lost while reading message data",
                (
                    "connection_lost",
                    Some("203.0.113.5"),
                    None,
                    None,
                    Some("lost while reading message data"),
                ),
            ),
            (
                "connection lost after final dot H=(x) [203.0.113.5] P=esmtp",
                (
                    "connection_lost",
                    Some("203.0.113.5"),
                    None,
                    None,
                    Some("after final dot"),
                ),
            ),
            (
                "command timeout on TLS connection from (x) [203.0.113.5] D=5m",
                (
                    "smtp_timeout",
                    Some("203.0.113.5"),
                    Some(300_000),
                    None,
                    Some("command timeout on TLS connection"),
                ),
            ),
            (
                "data timeout (message abandoned) on connection from (x) [203.0.113.5] F=<a@b.example> D=10m",
                (
                    "smtp_timeout",
                    Some("203.0.113.5"),
                    Some(600_000),
                    None,
                    Some("data timeout"),
                ),
            ),
            (
                "syntax error in \"GET / HTTP/1.1\" H=[203.0.113.5] unrecognized command",
                (
                    "smtp_error",
                    Some("203.0.113.5"),
                    None,
                    Some("GET / HTTP/1.1"),
                    Some("unrecognized command"),
                ),
            ),
            (
                "protocol error in \"DATA\" H=(x) [203.0.113.5]:4000 I=[198.51.100.2]:25 valid RCPT command must precede DATA",
                (
                    "smtp_error",
                    Some("203.0.113.5"),
                    None,
                    Some("DATA"),
                    Some("valid RCPT command must precede DATA"),
                ),
            ),
            (
                "protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[203.0.113.5] input=\"EHLO x\\r\\n\"",
                (
                    "smtp_error",
                    Some("203.0.113.5"),
                    None,
                    None,
                    Some("input sent without waiting for greeting"),
                ),
            ),
            (
                "protocol synchronization error (next input sent too soon: pipelining was not advertised): rejected \"rcpt to:<a@b>\" H=(x) [203.0.113.5] next input=\"data\\r\\n\"",
                (
                    "smtp_error",
                    Some("203.0.113.5"),
                    None,
                    Some("rcpt to:<a@b>"),
                    Some("next input sent too soon: pipelining was not advertised"),
                ),
            ),
            (
                "call from (x) [203.0.113.5] dropped: too many syntax or protocol errors (last command was \"RCPT TO:<>\",  C=EHLO,MAIL,RCPT,RCPT)",
                (
                    "smtp_dropped",
                    Some("203.0.113.5"),
                    None,
                    Some("RCPT TO:<>"),
                    Some("too many syntax or protocol errors"),
                ),
            ),
            (
                "call from [203.0.113.5] dropped: too many nonmail commands (last was \"NOOP\")",
                (
                    "smtp_dropped",
                    Some("203.0.113.5"),
                    None,
                    Some("NOOP"),
                    Some("too many nonmail commands"),
                ),
            ),
        ];
        for (input, want) in cases {
            let (name, s) = ses(smtp_event(input.as_bytes()));
            let got = (
                name,
                s.peer.ip().map(|t| t.to_string()),
                s.duration.map(|d| d.as_millis()),
                s.command.map(|t| t.to_string()),
                s.reason.map(|t| t.to_string()),
            );
            let want = (
                want.0,
                want.1.map(String::from),
                want.2,
                want.3.map(String::from),
                want.4.map(String::from),
            );
            assert_eq!(got, want, "{input}");
        }
        assert!(smtp_event(b"connection pool exhausted").is_none());
    }

    #[test]
    fn connection_open_count_and_history() {
        let (_, s) = ses(smtp_event(
            b"connection from [192.0.2.1] (TCP/IP connection count = 17)",
        ));
        assert_eq!(s.connection_count, Some(17));
        let (_, s) = ses(smtp_event(
            b"call from (x) [192.0.2.1] dropped: too many syntax or protocol errors (last command was \"a\",  C=...,RCPT,QUIT)",
        ));
        let c = s.commands.unwrap();
        assert!(c.truncated());
        assert_eq!(c.iter().count(), 2);
    }

    #[test]
    fn no_mail_and_lookups() {
        let (n, s) = ses(no(b"MAIL in SMTP connection from (x) [192.0.2.1]:1234 I=[198.51.100.2]:587 D=31s A=login:bob X=TLS1.3:TLS_AES_128_GCM_SHA256:128 C=EHLO,STARTTLS,EHLO,AUTH,QUIT"));
        assert_eq!(n, "no_mail");
        assert_eq!(s.peer.auth.unwrap().id.unwrap(), "bob");
        assert_eq!(s.commands.unwrap().iter().count(), 5);
        assert_eq!(s.duration.unwrap().as_millis(), 31_000);
        let (n, s) = ses(no(b"host name found for IP address 192.0.2.77"));
        assert_eq!(
            (n, s.peer.ip().unwrap().to_string()),
            ("host_lookup_failed", "192.0.2.77".into())
        );
        assert!(no(b"recipients found in headers").is_none());
    }

    /// host.c host_find_byname / host_name_lookup, smtp_in.c
    /// smtp_get_connection_info: the client comes out of the `(during ...)`
    /// part, the name that had no address is the reason.
    #[test]
    fn host_lookup_lines() {
        // text after `no `, looked-up name (reason), client ip, port, helo, interface
        type Case<'s> = (
            &'s str,
            Option<&'s str>,
            Option<&'s str>,
            Option<u16>,
            Option<&'s str>,
            Option<&'s str>,
        );
        let cases: &[Case] = &[
            (
                "IP address found for host mx.example.net (during SMTP connection from [192.0.2.9])",
                Some("mx.example.net"),
                Some("192.0.2.9"),
                None,
                None,
                None,
            ),
            (
                "IP address found for host mx.example.net (during SMTP connection from [192.0.2.9]:41234 I=[198.51.100.1]:25)",
                Some("mx.example.net"),
                Some("192.0.2.9"),
                Some(41234),
                None,
                Some("198.51.100.1"),
            ),
            (
                "IP address found for host bad.example (during SMTP connection from (helo.example) [2001:db8::9]:587)",
                Some("bad.example"),
                Some("2001:db8::9"),
                Some(587),
                Some("helo.example"),
                None,
            ),
            (
                "IP address found for host bad.example (during SMTP connection from ptr.example (x) [10.0.0.1]:25 I=[1.1.1.1]:1) [192.0.2.9]:41234 I=[198.51.100.1]:25)",
                Some("bad.example"),
                Some("192.0.2.9"),
                Some(41234),
                Some("x) [10.0.0.1]:25 I=[1.1.1.1]:1"),
                Some("198.51.100.1"),
            ),
            (
                "IP address found for host mx.example.net (during SMTP connection from 192.0.2.9 (via inetd))",
                Some("mx.example.net"),
                Some("192.0.2.9"),
                None,
                None,
                None,
            ),
            (
                "host name found for IP address 192.0.2.77",
                None,
                Some("192.0.2.77"),
                None,
                None,
                None,
            ),
        ];
        for (text, reason, ip, port, helo, iface) in cases {
            let (n, s) = ses(no(text.as_bytes()));
            assert_eq!(n, "host_lookup_failed", "{text}");
            let h = s.peer.host.unwrap();
            assert_eq!(
                (
                    s.reason.map(|t| t.to_string()),
                    h.ip.map(|t| t.to_string()),
                    h.port,
                    h.helo.map(|t| t.to_string()),
                    s.peer.interface.map(|e| e.ip.to_string()),
                ),
                (
                    reason.map(String::from),
                    ip.map(String::from),
                    *port,
                    helo.map(String::from),
                    iface.map(String::from),
                ),
                "{text}"
            );
        }
        // Without `(during ...)` (a lookup while routing) the name is the host.
        let (_, s) = ses(no(b"IP address found for host mx.example.net"));
        assert_eq!(s.peer.host.unwrap().name.unwrap(), "mx.example.net");
        assert!(s.peer.host.unwrap().ip.is_none());
    }

    #[test]
    fn old_host_errors_without_h() {
        // transports/smtp.c write_logs of 4.6x-4.85: host name, address,
        // optional port (+outgoing_port), strerror.
        let cases: &[(&str, &str, &str, Option<u16>, &str)] = &[
            (
                "mx.example.com [192.0.2.1] Connection refused",
                "mx.example.com",
                "192.0.2.1",
                None,
                "Connection refused",
            ),
            (
                "mx.example.com [192.0.2.1]:25 Network is unreachable",
                "mx.example.com",
                "192.0.2.1",
                Some(25),
                "Network is unreachable",
            ),
            (
                "mx6.example.com [2001:db8::25] No route to host",
                "mx6.example.com",
                "2001:db8::25",
                None,
                "No route to host",
            ),
        ];
        for (text, name, ip, port, reason) in cases {
            let (n, s) = ses(old_host_error(text.as_bytes()));
            assert_eq!(n, "host_error", "{text}");
            let h = s.peer.host.unwrap();
            assert_eq!(h.name.unwrap(), *name, "{text}");
            assert_eq!(h.ip.unwrap(), *ip, "{text}");
            assert_eq!(h.port, *port, "{text}");
            assert_eq!(s.reason.unwrap(), *reason, "{text}");
        }
        for text in [
            "mx.example.com [192.0.2.1]",
            "mx.example.com [192.0.2.1] lowercase text",
            "(helo) [192.0.2.1] Connection refused",
            "a@b [x] Connection refused",
            // Each check alone: an address-like name, an address without `.`
            // or `:`, a HELO, a reused connection's `*` (deliveries only).
            "a@b.example [192.0.2.1] Connection refused",
            "mx.example.com [x] Connection refused",
            "mx.example.com (helo) [192.0.2.1] Connection refused",
            "mx.example.com [192.0.2.1]* Connection refused",
        ] {
            assert!(old_host_error(text.as_bytes()).is_none(), "{text}");
        }
    }

    /// smtp_in.c: `ignoring AUTH=%s from %s (%s)` with `host_and_ident(TRUE)`,
    /// so the client block starts with `H=` or, without a host, `U=`.
    #[test]
    fn auth_sender_ignored_lines() {
        let e = auth_sender_ignored(
            b"a@b.example from H=(pc.example) [192.0.2.1] U=joe (client not authenticated)",
        );
        let Some(Event::AuthSenderIgnored(s)) = e else {
            panic!("{e:?}");
        };
        let h = s.peer.host.unwrap();
        assert_eq!(h.name, None);
        assert_eq!(h.helo.unwrap(), "pc.example");
        assert_eq!(h.ip.unwrap(), "192.0.2.1");
        assert_eq!(s.peer.user.unwrap(), "joe");
        assert_eq!(s.command.unwrap(), "a@b.example");
        assert_eq!(s.reason.unwrap(), "client not authenticated");
        let e = auth_sender_ignored(b"<> from U=root (rejected by ACL)");
        let Some(Event::AuthSenderIgnored(s)) = e else {
            panic!("{e:?}");
        };
        assert_eq!(s.peer.host, None);
        assert_eq!(s.peer.user.unwrap(), "root");
        assert_eq!(s.command.unwrap(), "<>");
        assert_eq!(s.reason.unwrap(), "rejected by ACL");
    }

    /// smtp_in.c writes the command with `string_printing`, which leaves `"`:
    /// a command may hold `" H=(x) [ip]`; the client block Exim wrote is the
    /// last well-formed one.
    #[test]
    fn command_holding_a_client_block() {
        for (input, cmd, ip, user) in [
            (
                &b"syntax error in \"a\" H=(x) [10.0.0.1] b\" H=(pc) [192.0.2.1] unrecognized command"[..],
                "a\" H=(x) [10.0.0.1] b",
                Some("192.0.2.1"),
                None,
            ),
            (
                b"protocol error in \"x\" U=y\" U=joe valid RCPT command must precede DATA",
                "x\" U=y",
                None,
                Some("joe"),
            ),
        ] {
            let (name, s) = ses(smtp(input));
            let text = String::from_utf8_lossy(input);
            assert_eq!(name, "smtp_error", "{text}");
            assert_eq!(s.command.unwrap(), cmd, "{text}");
            assert_eq!(s.peer.ip().map(|t| t.to_string()).as_deref(), ip, "{text}");
            assert_eq!(s.peer.user.map(|t| t.to_string()).as_deref(), user, "{text}");
        }
        // The error of an outgoing connection whose host is on the line before.
        let (name, s) = ses(smtp(
            b"error from remote mail server after RCPT TO:<a@b.example>: 550 unknown user",
        ));
        assert_eq!(name, "host_error");
        assert_eq!(
            s.reason.unwrap(),
            "error from remote mail server after RCPT TO:<a@b.example>: 550 unknown user"
        );
    }

    /// tls-openssl.c: `[%s] SSL verify error%s: depth=%d error=%s cert=%s`,
    /// `DANE error: No usable TLSA records`, `OCSP dates invalid`.
    #[test]
    fn tls_notices() {
        let (name, s) = ses(tls_notice(
            b"[192.0.2.7] SSL verify error: depth=0 error=certificate has expired cert=/CN=mx.example.net",
        ));
        assert_eq!(name, "tls_error");
        assert_eq!(s.peer.ip().unwrap(), "192.0.2.7");
        assert_eq!(
            s.reason.unwrap(),
            "SSL verify error: depth=0 error=certificate has expired cert=/CN=mx.example.net"
        );
        for text in [
            &b"DANE error: No usable TLSA records"[..],
            b"OCSP dates invalid",
        ] {
            let (name, s) = ses(tls_notice(text));
            assert_eq!(name, "tls_error");
            assert_eq!(s.reason.unwrap().as_bytes(), text);
            assert_eq!(s.peer.host, None);
        }
        assert!(tls_notice(b"[192.0.2.7] Connection refused").is_none());
        assert!(tls_notice(b"[192.0.2.7]SSL verify error: x").is_none());
        assert!(tls_notice(b"Daemon stopped").is_none());
    }

    #[test]
    fn other_session_lines() {
        let (n, s) = ses(unexpected(
            b"disconnection while reading SMTP command from (x) [192.0.2.1] D=1s",
        ));
        assert_eq!(
            (n, s.duration.unwrap().as_millis()),
            ("connection_lost", 1000)
        );
        // Spec §10 "lost mid-transaction": an `(error: ...)` comes between
        // the host and `D=`, so the tags stop before `D=`.
        let (n, s) = ses(unexpected(
            b"disconnection while reading SMTP command from (x) [192.0.2.1] (error: Connection reset by peer) D=3s",
        ));
        assert_eq!(n, "connection_lost");
        assert_eq!(s.duration.unwrap().as_millis(), 3000);
        assert_eq!(s.reason.unwrap(), "(error: Connection reset by peer)");
        let (n, s) = ses(tls_error(b"TLS error on connection from (x) [192.0.2.1] (SSL_accept): error:0A000076:SSL routines::no suitable signature algorithm", Session::default()));
        assert_eq!(n, "tls_error");
        assert_eq!(
            s.reason.unwrap().to_string(),
            "(SSL_accept): error:0A000076:SSL routines::no suitable signature algorithm"
        );
        let (n, s) = ses(refused(
            b"Connection from [192.0.2.1]:4321 refused: too many connections from that IP address",
        ));
        assert_eq!(
            (n, s.reason.unwrap().to_string()),
            (
                "connection_refused",
                "too many connections from that IP address".into()
            )
        );
        let (n, s) = ses(refused(
            b"refused connection from [192.0.2.1] (host_reject_connection)",
        ));
        assert_eq!(
            (n, s.peer.ip().unwrap().to_string()),
            ("connection_refused", "192.0.2.1".into())
        );
        let (n, s) = ses(etrn(b"ETRN #example.org received from (x) [192.0.2.1]"));
        assert_eq!(
            (n, s.command.unwrap().to_string()),
            ("etrn", "#example.org".into())
        );
        assert_eq!(s.peer.host.unwrap().helo.unwrap(), "x");
        assert_eq!(s.peer.ip().unwrap(), "192.0.2.1");
        let (n, s) = ses(incomplete(
            b"QUIT) from <a@b.example> for c@d.example e@f.example",
            Session::default(),
        ));
        assert_eq!(
            (n, s.reason.unwrap().to_string()),
            ("incomplete_transaction", "QUIT".into())
        );
        assert_eq!(s.recipients.unwrap().iter().count(), 2);
    }
}
