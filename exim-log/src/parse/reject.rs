//! ACL decisions (spec §10 "ACL reject", "ACL drop", "sender verify", "HELO
//! syntax", "size", "discard", "Warning"; `smtp_in.c smtp_handle_acl_fail`,
//! `acl.c`), and the other lines that start with the client block `<HI>`.

use super::peer::{angle, tags, word};
use super::session;
use crate::event::{AuthFailure, Event, Peer, Reject, SenderVerify, Session, Stage, Warning};
use crate::text::Text;

/// Splits `what: reason` at the first `: ` (after the `<...>` of an RCPT or MAIL
/// argument, which may itself hold `: `). Only a `<` in the first two words is
/// that argument (`RCPT <a>`, `MAIL FROM:<s>`); one further on is in the reason
/// (`after DATA: message body <...>`).
fn split_reason(i: &[u8]) -> (&[u8], Option<Text<'_>>) {
    let first_space = memchr::memchr(b' ', i).map_or(i.len(), |p| p + 1);
    let second_space = i
        .get(first_space..)
        .and_then(|s| memchr::memchr(b' ', s))
        .map_or(i.len(), |p| first_space + p);
    let skip = i
        .get(..second_space)
        .and_then(|words| memchr::memchr(b'<', words))
        .and_then(|lt| angle(i.get(lt..)?).map(|(a, _)| lt + a.len()))
        .unwrap_or(0);
    match i.get(skip..).and_then(|s| super::peer::find(s, b": ")) {
        Some(p) => (
            i.get(..skip + p).unwrap_or(i),
            i.get(skip + p + 2..).map(Text::new),
        ),
        None => (i, None),
    }
}

/// The stage named by the `<what>` of a reject line, and the recipient of RCPT.
fn stage(what: &[u8]) -> (Stage, Option<Text<'_>>) {
    let (w, rest) = word(what);
    let s = match w {
        b"RCPT" => {
            let r = rest.strip_prefix(b" ").unwrap_or(rest);
            let rcpt = match angle(r) {
                Some((a, _)) => a.get(1..a.len().saturating_sub(1)),
                None => Some(word(r).0),
            };
            return (Stage::Rcpt, rcpt.map(Text::new));
        }
        // `MAIL`, and `MAILAUTH` (the ACL of `AUTH=` on MAIL).
        _ if w.starts_with(b"MAIL") => Stage::Mail,
        b"DATA" => Stage::Predata,
        b"after" | b"from" => Stage::Data,
        b"during" => Stage::Mime,
        b"connection" => Stage::Connect,
        b"EHLO" | b"HELO" | b"\"EHLO" | b"\"HELO" => Stage::Helo,
        b"AUTH" => Stage::Auth,
        b"VRFY" => Stage::Vrfy,
        b"EXPN" => Stage::Expn,
        b"ETRN" => Stage::Etrn,
        b"STARTTLS" => Stage::Starttls,
        b"by" if rest.starts_with(b" non-SMTP") => Stage::NonSmtp,
        b"by" if rest.starts_with(b" local_scan") => Stage::Data,
        _ => Stage::Other,
    };
    (s, None)
}

/// `rejected <what>[: reason]` (after `temporarily ` when `temporary`).
fn rejection<'a>(mut peer: Peer<'a>, i: &'a [u8], temporary: bool) -> Event<'a> {
    let (what, reason) = split_reason(i);
    let (stage, recipient) = stage(what);
    if peer.host.is_none() && peer.user.is_none() {
        // `rejected EHLO from [ip]`, `rejected MAIL FROM:<s> H=...`: the host
        // is inside `<what>` (spec §10 "HELO syntax", "size").
        if let Some(p) = super::peer::find(what, b" from ") {
            let (t, _) = tags(what.get(p + 6..).unwrap_or_default(), true);
            if t.peer.host.is_some() {
                peer = t.peer;
            }
        }
        for tag in [&b" H="[..], b" U="] {
            if let Some(p) = super::peer::find(what, tag) {
                let (t, _) = tags(what.get(p..).unwrap_or_default(), false);
                peer.host = peer.host.or(t.peer.host);
                peer.user = peer.user.or(t.peer.user);
                peer.interface = peer.interface.or(t.peer.interface);
            }
        }
    }
    Event::Rejection(Reject {
        peer,
        stage,
        what: Text::new(what),
        recipient,
        temporary,
        reason,
    })
}

/// A line that starts with `rejected ` or `temporarily rejected ` (no `<HI>`).
pub(crate) fn bare_rejection(i: &[u8]) -> Option<Event<'_>> {
    if let Some(r) = i.strip_prefix(b"rejected ") {
        return Some(rejection(Peer::default(), r, false));
    }
    let r = i.strip_prefix(b"temporarily rejected ")?;
    Some(rejection(Peer::default(), r, true))
}

/// `unqualified sender|recipient|verify rejected: <addr> <HI>[ (failed to find
/// host name from IP address)]` (smtp_in.c, `sender_unqualified_hosts` /
/// `recipient_unqualified_hosts`; `verify` is a VRFY of a bare local part,
/// seen in the lab with `+smtp_syntax_error`). The address is the client's, so the
/// client block is read from the right.
pub(crate) fn unqualified(i: &[u8]) -> Option<Event<'_>> {
    let r = i.strip_prefix(b"unqualified ")?;
    let (stage, r) = if let Some(r) = r.strip_prefix(b"sender rejected: ") {
        (Stage::Mail, r)
    } else if let Some(r) = r.strip_prefix(b"verify rejected: ") {
        (Stage::Vrfy, r)
    } else {
        (Stage::Rcpt, r.strip_prefix(b"recipient rejected: ")?)
    };
    let what = i.get(..i.len() - r.len() - b" rejected: ".len())?;
    const LOOKUP: &[u8] = b" (failed to find host name from IP address)";
    let (r, reason) = match r.strip_suffix(LOOKUP) {
        Some(h) => (h, i.get(i.len() - LOOKUP.len() + 2..i.len() - 1)),
        None => (r, None),
    };
    let (mut peer, addr) = super::peer::host_and_ident_from_right(r)?;
    let addr = addr.strip_prefix(b"<")?.strip_suffix(b">")?;
    if stage == Stage::Mail {
        peer.sender = Some(Text::new(addr));
    }
    Some(Event::Rejection(Reject {
        peer,
        stage,
        what: Text::new(what),
        recipient: (stage != Stage::Mail).then(|| Text::new(addr)),
        temporary: false,
        reason: reason.map(Text::new),
    }))
}

/// A line that starts with the client block (`H=`, `U=`, `DS H=`, `F=`).
pub(crate) fn client_line(i: &[u8]) -> Option<Event<'_>> {
    let (t, rest) = tags(i, false);
    let peer = t.peer;
    let r = rest.strip_prefix(b" ").unwrap_or(rest);
    if let Some(x) = r.strip_prefix(b"rejected ") {
        return Some(rejection(peer, x, false));
    }
    if let Some(x) = r.strip_prefix(b"temporarily rejected ") {
        return Some(rejection(peer, x, true));
    }
    if let Some(x) = r.strip_prefix(b"Warning: ") {
        return Some(Event::Warning(Warning {
            peer,
            message: Text::new(x),
        }));
    }
    if let Some(x) = r.strip_prefix(b"sender verify ") {
        let (temporary, x) = match x.strip_prefix(b"fail for ") {
            Some(x) => (false, x),
            None => (true, x.strip_prefix(b"defer for ")?),
        };
        let (address, rest) = angle(x).unwrap_or_else(|| word(x));
        let reason = rest.strip_prefix(b": ").map(Text::new);
        return Some(Event::SenderVerify(SenderVerify {
            peer,
            temporary,
            address: Text::new(address),
            reason,
        }));
    }
    if let Some(x) = r.strip_prefix(b"dropped by '") {
        let q = super::peer::find(x, b"' ACL")?;
        let reason = x
            .get(q + 5..)
            .and_then(|s| s.strip_prefix(b": "))
            .map(Text::new);
        return Some(Event::Dropped(Reject {
            peer,
            stage: Stage::Connect,
            what: Text::new(x.get(..q)?),
            recipient: None,
            temporary: false,
            reason,
        }));
    }
    if r.starts_with(b"RCPT ") || r.starts_with(b"MAIL ") {
        // `RCPT <r>: discarded by RCPT|MAIL ACL[: msg]` (smtp_in.c). The
        // address is the client's and may hold that very text: the phrase
        // Exim wrote is the last one.
        let p = [&b": discarded by RCPT ACL"[..], b": discarded by MAIL ACL"]
            .iter()
            .filter_map(|m| {
                super::peer::rfind(r, m)
                    .filter(|&p| matches!(r.get(p + m.len()..), Some([] | [b':', b' ', ..])))
            })
            .max()?;
        let (what, reason) = (r.get(..p)?, r.get(p + 2..).map(Text::new));
        let (stage, recipient) = stage(what);
        return Some(Event::Discarded(Reject {
            peer,
            stage,
            what: Text::new(what),
            recipient,
            temporary: false,
            reason,
        }));
    }
    let session = Session {
        peer,
        duration: t.duration,
        commands: t.commands,
        ..Session::default()
    };
    if let Some(x) = r.strip_prefix(b"incomplete transaction (") {
        return session::incomplete(x, session);
    }
    if r.starts_with(b"TLS ") {
        return session::tls_error(r, session);
    }
    // An outgoing connection's error (`deliver.c`, transports/smtp.c):
    // `H=host [ip] Connection refused`, `H=host [ip]: SMTP error from ...`.
    let error = rest
        .strip_prefix(b": ")
        .or_else(|| r.first().is_some_and(u8::is_ascii_uppercase).then_some(r));
    match error {
        Some(e) if peer.host.is_some() => Some(Event::HostError(Session {
            reason: Some(Text::new(e)),
            ..session
        })),
        _ => None,
    }
}

/// After `too many recipients: `: `message rejected: sender=<s> <HI>` or
/// `excess temporarily rejected: sender=<s> <HI>` (`smtp_in.c`, spec §10
/// "recipients"): `recipients_max` was reached.
pub(crate) fn too_many_recipients(text: &[u8]) -> Option<Event<'_>> {
    // Every field borrows the line, so `what` is the line's own words.
    let what = text.get(..b"too many recipients".len())?;
    let i = text.strip_prefix(b"too many recipients: ")?;
    let (temporary, r) = match i.strip_prefix(b"message rejected: ") {
        Some(r) => (false, r),
        None => (true, i.strip_prefix(b"excess temporarily rejected: ")?),
    };
    let r = r.strip_prefix(b"sender=")?;
    let (sender, rest) = angle(r).unwrap_or_else(|| word(r));
    let (t, _) = tags(rest, false);
    let mut peer = t.peer;
    peer.sender = Some(Text::new(sender));
    Some(Event::Rejection(Reject {
        peer,
        stage: Stage::Rcpt,
        what: Text::new(what),
        recipient: None,
        temporary,
        reason: i.get(..i.len() - r.len() - 9).map(Text::new),
    }))
}

/// After `VRFY failed for `: `<address> <HI>` (`smtp_in.c`), a VRFY the
/// server could not verify: a rejection at the VRFY stage.
pub(crate) fn vrfy_failed(text: &[u8]) -> Option<Event<'_>> {
    let reason = text.get(..b"VRFY failed".len())?;
    let i = text.strip_prefix(b"VRFY failed for ")?;
    let (addr, rest) = angle(i).unwrap_or_else(|| word(i));
    let (t, _) = tags(rest, false);
    let rcpt = addr
        .strip_prefix(b"<")
        .and_then(|a| a.strip_suffix(b">"))
        .unwrap_or(addr);
    Some(Event::Rejection(Reject {
        peer: t.peer,
        stage: Stage::Vrfy,
        what: Text::new(addr),
        recipient: Some(Text::new(rcpt)),
        temporary: false,
        reason: Some(Text::new(reason)),
    }))
}

/// `<name> authenticator failed for <host>...: <reason>` (incoming) and
/// `<name> authenticator failed H=...` (outgoing); `i` is the whole text.
pub(crate) fn auth_failed(i: &[u8]) -> Option<Event<'_>> {
    let p = super::peer::find(i, b" authenticator failed ")?;
    let name = i.get(..p)?;
    if name.is_empty() || name.contains(&b' ') {
        return None;
    }
    let r = i.get(p + 22..)?;
    let (outgoing, r) = match r.strip_prefix(b"for ") {
        Some(r) => (false, r),
        None => (true, r),
    };
    // Incoming lines end the client block with `: ` (so `U=x:` is `x`);
    // outgoing ones go on with the response after a space.
    let (t, rest) = match super::peer::find(r, b": ").filter(|_| !outgoing) {
        Some(p) => (tags(r.get(..p)?, !r.starts_with(b"H=")).0, r.get(p + 2..)?),
        None => tags(r, !r.starts_with(b"H=")),
    };
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    // `... (set_id=<id>)[: more]`; the id may hold spaces.
    let (reason, set_id) = match super::peer::rfind(rest, b" (set_id=") {
        Some(s) => {
            let inner = rest.get(s + 9..)?;
            let close = memchr::memrchr(b')', inner)?;
            let mut reason = rest.get(..s)?;
            while let Some(x) = reason.strip_suffix(b" ") {
                reason = x;
            }
            (reason, inner.get(..close).map(Text::new))
        }
        None => (rest, None),
    };
    Some(Event::AuthFailed(AuthFailure {
        authenticator: Text::new(name),
        peer: t.peer,
        outgoing,
        set_id,
        reason: (!reason.is_empty()).then_some(Text::new(reason)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// smtp_in.c: `unqualified %s rejected: <%s> %s%s` with host_and_ident(TRUE)
    /// and host_lookup_msg. The address is the client's: whatever it holds,
    /// the client block comes from the right.
    #[test]
    fn unqualified_rejections() {
        // text, stage, address, ip, port, helo, interface, reason
        type Case<'s> = (
            &'s str,
            Stage,
            &'s str,
            &'s str,
            Option<u16>,
            Option<&'s str>,
            Option<&'s str>,
            Option<&'s str>,
        );
        let cases: &[Case] = &[
            (
                "unqualified sender rejected: <joe> H=(pc) [192.0.2.1]",
                Stage::Mail,
                "joe",
                "192.0.2.1",
                None,
                Some("pc"),
                None,
                None,
            ),
            (
                "unqualified recipient rejected: <postmaster> H=mx.example.net (pc) [192.0.2.1]:4000 I=[198.51.100.1]:25 (failed to find host name from IP address)",
                Stage::Rcpt,
                "postmaster",
                "192.0.2.1",
                Some(4000),
                Some("pc"),
                Some("198.51.100.1"),
                Some("failed to find host name from IP address"),
            ),
            (
                "unqualified recipient rejected: <x> H=(y) [8.8.8.8]:25 I=[1.1.1.1]:1> H=(pc) [192.0.2.1]:4000",
                Stage::Rcpt,
                "x> H=(y) [8.8.8.8]:25 I=[1.1.1.1]:1",
                "192.0.2.1",
                Some(4000),
                Some("pc"),
                None,
                None,
            ),
            (
                // Exim 4.96 in the lab: `VRFY alice` with +smtp_syntax_error
                "unqualified verify rejected: <alice> H=(relay.example) [192.0.2.14]:57899 I=[198.51.100.1]:25",
                Stage::Vrfy,
                "alice",
                "192.0.2.14",
                Some(57899),
                Some("relay.example"),
                Some("198.51.100.1"),
                None,
            ),
            (
                "unqualified recipient rejected: <x> H=(x) [8.8.8.8] U=a) [192.0.2.1] U=ident",
                Stage::Rcpt,
                "x",
                "192.0.2.1",
                None,
                Some("x) [8.8.8.8] U=a"),
                None,
                None,
            ),
        ];
        // `what` is the line's `unqualified <kind>` (the format's words).
        for (text, what) in [
            (cases[0].0, "unqualified sender"),
            (cases[1].0, "unqualified recipient"),
            (cases[3].0, "unqualified verify"),
        ] {
            let Some(Event::Rejection(r)) = unqualified(text.as_bytes()) else {
                panic!("{text}");
            };
            assert_eq!(r.what, what, "{text}");
        }
        for (text, stage, addr, ip, port, helo, iface, reason) in cases {
            let Some(Event::Rejection(r)) = unqualified(text.as_bytes()) else {
                panic!("{text}");
            };
            let h = r.peer.host.unwrap();
            assert_eq!(r.stage, *stage, "{text}");
            let got_addr = match stage {
                Stage::Mail => r.peer.sender,
                _ => r.recipient,
            };
            assert_eq!(got_addr.unwrap(), *addr, "{text}");
            assert_eq!(h.ip.unwrap(), *ip, "{text}");
            assert_eq!(h.port, *port, "{text}");
            assert_eq!(h.helo.map(|t| t.to_string()).as_deref(), *helo, "{text}");
            assert_eq!(
                r.peer.interface.map(|e| e.ip.to_string()).as_deref(),
                *iface,
                "{text}"
            );
            assert_eq!(
                r.reason.map(|t| t.to_string()).as_deref(),
                *reason,
                "{text}"
            );
        }
    }

    /// The payload of one event kind, or a panic naming what came instead.
    macro_rules! payload {
        ($e:expr, $kind:path) => {
            match $e {
                Some($kind(x)) => x,
                e => panic!("not {}: {e:?}", stringify!($kind)),
            }
        };
    }

    /// smtp_in.c smtp_handle_acl_fail: `<what>` is `acl_wherenames[where]`
    /// and the command's argument (globals.c), except `DATA`, `after DATA[
    /// PRDR]` and `during MIME ACL checks`; receive.c writes `rejected from
    /// <s> ...` (size after DATA) and `rejected by local_scan(): ...`.
    #[test]
    fn stage_table() {
        let cases: &[(&str, Stage, Option<&str>)] = &[
            ("RCPT <a@b.example>", Stage::Rcpt, Some("a@b.example")),
            (
                "RCPT a@b.example NOTIFY=NEVER",
                Stage::Rcpt,
                Some("a@b.example"),
            ),
            ("MAIL <s@b.example>", Stage::Mail, None),
            ("MAIL FROM:<s@b.example>", Stage::Mail, None),
            ("MAILAUTH <id@b.example>", Stage::Mail, None),
            ("DATA", Stage::Predata, None),
            ("after DATA", Stage::Data, None),
            ("after DATA PRDR", Stage::Data, None),
            ("from <s@b.example> H=[192.0.2.1]", Stage::Data, None),
            ("during MIME ACL checks", Stage::Mime, None),
            ("connection in \"connect\" ACL", Stage::Connect, None),
            ("EHLO or HELO pc.example", Stage::Helo, None),
            ("\"HELO pc.example\" from [192.0.2.1]", Stage::Helo, None),
            ("AUTH PLAIN", Stage::Auth, None),
            ("VRFY alice", Stage::Vrfy, None),
            ("EXPN staff", Stage::Expn, None),
            ("ETRN #example.org", Stage::Etrn, None),
            ("STARTTLS ", Stage::Starttls, None),
            ("by non-SMTP ACL", Stage::NonSmtp, None),
            ("by local_scan()", Stage::Data, None),
            ("QUIT ", Stage::Other, None),
            ("by someone", Stage::Other, None),
        ];
        for (what, want, rcpt) in cases {
            let (got, r) = stage(what.as_bytes());
            assert_eq!(got, *want, "{what}");
            assert_eq!(r.map(|t| t.to_string()).as_deref(), *rcpt, "{what}");
        }
    }

    #[test]
    fn rejection_table() {
        // input, (event, ip, user, sender, stage, recipient, temporary, reason)
        type Want<'s> = (
            &'s str,
            Option<&'s str>,
            Option<&'s str>,
            Option<&'s str>,
            Stage,
            Option<&'s str>,
            bool,
            Option<&'s str>,
        );
        let cases: &[(&str, Want)] = &[
            (
                "H=(friend) [203.0.113.7] F=<info@shop.example> rejected RCPT <nosuch@example.com>: Unknown user",
                (
                    "rejection",
                    Some("203.0.113.7"),
                    None,
                    Some("<info@shop.example>"),
                    Stage::Rcpt,
                    Some("nosuch@example.com"),
                    false,
                    Some("Unknown user"),
                ),
            ),
            (
                "H=mx.example.net [192.0.2.3]:4455 I=[198.51.100.2]:25 F=<> temporarily rejected RCPT <a@example.com>: greylisted",
                (
                    "rejection",
                    Some("192.0.2.3"),
                    None,
                    Some("<>"),
                    Stage::Rcpt,
                    Some("a@example.com"),
                    true,
                    Some("greylisted"),
                ),
            ),
            (
                "H=[192.0.2.3] U=root rejected connection in \"connect\" ACL",
                (
                    "rejection",
                    Some("192.0.2.3"),
                    Some("root"),
                    None,
                    Stage::Connect,
                    None,
                    false,
                    None,
                ),
            ),
            (
                "H=(bad_helo) [192.0.2.3] rejected EHLO or HELO bad_helo: invalid HELO name",
                (
                    "rejection",
                    Some("192.0.2.3"),
                    None,
                    None,
                    Stage::Helo,
                    None,
                    false,
                    Some("invalid HELO name"),
                ),
            ),
            (
                "H=(x) [192.0.2.3] F=<a@b.example> rejected after DATA: spam score too high: 12.3",
                (
                    "rejection",
                    Some("192.0.2.3"),
                    None,
                    Some("<a@b.example>"),
                    Stage::Data,
                    None,
                    false,
                    Some("spam score too high: 12.3"),
                ),
            ),
            (
                "U=apache F=<www@example.com> rejected by non-SMTP ACL: local sending disabled",
                (
                    "rejection",
                    None,
                    Some("apache"),
                    Some("<www@example.com>"),
                    Stage::NonSmtp,
                    None,
                    false,
                    Some("local sending disabled"),
                ),
            ),
            (
                "rejected EHLO from [192.0.2.3]: syntactically invalid argument(s): a_b c",
                (
                    "rejection",
                    Some("192.0.2.3"),
                    None,
                    None,
                    Stage::Helo,
                    None,
                    false,
                    Some("syntactically invalid argument(s): a_b c"),
                ),
            ),
            (
                "rejected MAIL FROM:<big@example.org> H=(x) [192.0.2.3]: message too big: size=90000000 max=52428800",
                (
                    "rejection",
                    Some("192.0.2.3"),
                    None,
                    None,
                    Stage::Mail,
                    None,
                    false,
                    Some("message too big: size=90000000 max=52428800"),
                ),
            ),
            (
                "temporarily rejected \"EHLO bogus.example\" from [192.0.2.3]",
                (
                    "rejection",
                    Some("192.0.2.3"),
                    None,
                    None,
                    Stage::Helo,
                    None,
                    true,
                    None,
                ),
            ),
            (
                "H=[192.0.2.3] dropped by 'connect' ACL: too many bad commands",
                (
                    "dropped",
                    Some("192.0.2.3"),
                    None,
                    None,
                    Stage::Connect,
                    None,
                    false,
                    Some("too many bad commands"),
                ),
            ),
            (
                "H=(x) [192.0.2.3] F=<a@b.example> RCPT <c@d.example>: discarded by RCPT ACL",
                (
                    "discarded",
                    Some("192.0.2.3"),
                    None,
                    Some("<a@b.example>"),
                    Stage::Rcpt,
                    Some("c@d.example"),
                    false,
                    Some("discarded by RCPT ACL"),
                ),
            ),
            (
                // `VRFY <argument>` is the client's text (smtp_in.c): a
                // ` from [ip]` inside it does not replace the client block.
                "H=(pc) [192.0.2.3] rejected VRFY x from [198.51.100.9]: Administrative prohibition",
                (
                    "rejection",
                    Some("192.0.2.3"),
                    None,
                    None,
                    Stage::Vrfy,
                    None,
                    false,
                    Some("Administrative prohibition"),
                ),
            ),
            (
                // The RCPT argument is logged as typed (spec §10): a quoted
                // local part may hold `: `, which is not the reason's separator.
                "H=(pc) [192.0.2.3] F=<a@b.example> rejected RCPT <\"a: b\"@example.com>: Unknown user",
                (
                    "rejection",
                    Some("192.0.2.3"),
                    None,
                    Some("<a@b.example>"),
                    Stage::Rcpt,
                    Some("\"a: b\"@example.com"),
                    false,
                    Some("Unknown user"),
                ),
            ),
            (
                // The ACL's own message may hold `<...>: ` too: only a `<` in
                // the first two words (`RCPT <r>`, `MAIL FROM:<s>`) is the
                // command's argument, and the reason starts at the first `: `.
                "H=(x) [192.0.2.3] F=<a@b.example> rejected after DATA: message from <c@d.example>: sender is blacklisted",
                (
                    "rejection",
                    Some("192.0.2.3"),
                    None,
                    Some("<a@b.example>"),
                    Stage::Data,
                    None,
                    false,
                    Some("message from <c@d.example>: sender is blacklisted"),
                ),
            ),
        ];
        for (input, want) in cases {
            let i = input.as_bytes();
            let e = if i.starts_with(b"H=") || i.starts_with(b"U=") {
                client_line(i)
            } else {
                bare_rejection(i)
            };
            let e = e.unwrap_or_else(|| panic!("{input}"));
            let name = e.name();
            let (Event::Rejection(r) | Event::Dropped(r) | Event::Discarded(r)) = e else {
                panic!("{input}: {e:?}");
            };
            let s = |x: Option<Text<'_>>| x.map(|t| t.to_string());
            let got = (
                name,
                s(r.peer.ip()),
                s(r.peer.user),
                s(r.peer.sender),
                r.stage,
                s(r.recipient),
                r.temporary,
                s(r.reason),
            );
            let want = (
                want.0,
                want.1.map(String::from),
                want.2.map(String::from),
                want.3.map(String::from),
                want.4,
                want.5.map(String::from),
                want.6,
                want.7.map(String::from),
            );
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn sender_verify_warning_and_host_errors() {
        let v = payload!(client_line(
            b"H=(x) [192.0.2.3] sender verify defer for <a@slow.example>: host lookup did not complete",
        ), Event::SenderVerify);
        assert!(v.temporary);
        assert_eq!(v.address, "<a@slow.example>");
        assert_eq!(v.reason.unwrap(), "host lookup did not complete");
        let w = payload!(
            client_line(b"H=(x) [192.0.2.3] Warning: listed in bl.example.net",),
            Event::Warning
        );
        assert_eq!(w.message, "listed in bl.example.net");
        let h = payload!(
            client_line(b"H=mx.example.org [192.0.2.9] Connection refused",),
            Event::HostError
        );
        assert_eq!(h.reason.unwrap(), "Connection refused");
        let h = payload!(client_line(
            b"H=mx.example.org [192.0.2.9]: SMTP error from remote mail server after RCPT TO:<a@b>: 550 no",
        ), Event::HostError);
        assert!(h.reason.unwrap().as_bytes().starts_with(b"SMTP error"));
        assert!(client_line(b"H=mx.example.org [192.0.2.9] whatever lower case").is_none());
        // An outgoing connection's error names the host (`H=`); a client
        // block without one followed by capitalised text is not such an error.
        assert!(client_line(b"U=exim F=<a@b.example> Frozen by the admin").is_none());
    }

    #[test]
    fn too_many_recipients_lines() {
        let r = payload!(
            too_many_recipients(
                b"too many recipients: excess temporarily rejected: sender=<a@b.example> H=(pc) [192.0.2.1]",
            ),
            Event::Rejection
        );
        assert!(r.temporary);
        assert_eq!(r.peer.sender.unwrap(), "<a@b.example>");
        assert_eq!(r.peer.ip().unwrap(), "192.0.2.1");
        assert_eq!(r.reason.unwrap(), "excess temporarily rejected");
        let r = payload!(
            too_many_recipients(b"too many recipients: message rejected: sender=<> U=bob"),
            Event::Rejection
        );
        assert!(!r.temporary);
        assert_eq!(r.reason.unwrap(), "message rejected");
        assert!(too_many_recipients(b"whatever").is_none());
    }

    /// smtp_in.c: `VRFY failed for %s %s` with the argument as typed and
    /// `host_and_ident(TRUE)`.
    #[test]
    fn vrfy_failed_lines() {
        let r = payload!(
            vrfy_failed(b"VRFY failed for <alice@example.com> H=(pc) [192.0.2.1]"),
            Event::Rejection
        );
        assert_eq!(r.stage, Stage::Vrfy);
        assert_eq!(r.what, "<alice@example.com>");
        assert_eq!(r.recipient.unwrap(), "alice@example.com");
        assert_eq!(r.reason.unwrap(), "VRFY failed");
        assert_eq!(r.peer.ip().unwrap(), "192.0.2.1");
        assert!(!r.temporary);
        let r = payload!(
            vrfy_failed(b"VRFY failed for bob@example.com U=root"),
            Event::Rejection
        );
        assert_eq!(r.recipient.unwrap(), "bob@example.com");
        assert_eq!(r.peer.user.unwrap(), "root");
        assert!(vrfy_failed(b"VRFY failed").is_none());
    }

    #[test]
    fn auth_failed_table() {
        // input, (authenticator, outgoing, ip, user, set_id, reason)
        type Want<'s> = (
            &'s str,
            bool,
            Option<&'s str>,
            Option<&'s str>,
            Option<&'s str>,
            Option<&'s str>,
        );
        let cases: &[(&str, Want)] = &[
            (
                "login authenticator failed for H=(pc) [192.0.2.8] U=x: 535 Incorrect authentication data (set_id=admin)",
                (
                    "login",
                    false,
                    Some("192.0.2.8"),
                    Some("x"),
                    Some("admin"),
                    Some("535 Incorrect authentication data"),
                ),
            ),
            (
                "plain authenticator failed for (pc) [192.0.2.8]: 535 Incorrect authentication data (set_id=info@example.com)",
                (
                    "plain",
                    false,
                    Some("192.0.2.8"),
                    None,
                    Some("info@example.com"),
                    Some("535 Incorrect authentication data"),
                ),
            ),
            (
                "cram authenticator failed H=smtp.example.net [192.0.2.9] 535 5.7.8 Error: authentication failed",
                (
                    "cram",
                    true,
                    Some("192.0.2.9"),
                    None,
                    None,
                    Some("535 5.7.8 Error: authentication failed"),
                ),
            ),
        ];
        for (input, want) in cases {
            let a = payload!(auth_failed(input.as_bytes()), Event::AuthFailed);
            let s = |x: Option<Text<'_>>| x.map(|t| t.to_string());
            let got = (
                a.authenticator.to_string(),
                a.outgoing,
                s(a.peer.ip()),
                s(a.peer.user),
                s(a.set_id),
                s(a.reason),
            );
            let want = (
                want.0.to_string(),
                want.1,
                want.2.map(String::from),
                want.3.map(String::from),
                want.4.map(String::from),
                want.5.map(String::from),
            );
            assert_eq!(got, want, "{input}");
        }
        assert!(auth_failed(b"two words authenticator failed for x").is_none());
        // Outgoing (transports/smtp.c): `H=` is the tag, not part of the name.
        let a = payload!(
            auth_failed(b"cram authenticator failed H=smtp.example.net [192.0.2.9] 535 no"),
            Event::AuthFailed
        );
        assert_eq!(a.peer.host.unwrap().name.unwrap(), "smtp.example.net");
    }
}
