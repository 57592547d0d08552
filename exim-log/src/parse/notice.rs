//! Message lines without a flag (spec §2 "Other message-level keywords"):
//! `Frozen`, `Unfrozen`, `removed by`, `cancelled by`, `Message is frozen`,
//! `Spool file ... is locked`, `no immediate delivery`, `error ignored`,
//! transport output, `DKIM:`, and address rewriting (`rewrite.c`).

use super::peer::word;
use crate::event::{
    AdminAction, AdminKind, Dkim, ErrorIgnored, Event, Note, Peer, PrdrResult, Rewrite, SaExim,
    SystemKind, SystemNotice, TransportOutput, Warning,
};
use crate::text::Text;

fn some(i: &[u8]) -> Option<Text<'_>> {
    (!i.is_empty()).then_some(Text::new(i))
}

/// `by <who>[: reason]` -> (who, reason).
fn by(i: &[u8]) -> Note<'_> {
    match super::peer::find(i, b": ") {
        Some(p) => Note {
            by: i.get(..p).and_then(some),
            reason: i.get(p + 2..).and_then(some),
        },
        None => Note {
            by: some(i),
            reason: None,
        },
    }
}

fn note(reason: Option<Text<'_>>) -> Note<'_> {
    Note { by: None, reason }
}

/// The administrator's changes to a queued message (queue.c): `recipient <a>
/// added by U`, `address <a> marked delivered by U`, `sender address changed
/// to <a> by U`. The address is read up to the last `> <phrase> by `, so one
/// holding `>` stays whole.
pub(crate) fn admin(text: &[u8]) -> Option<Event<'_>> {
    let (action, r, phrase): (_, _, &[u8]) = if let Some(r) = text.strip_prefix(b"recipient <") {
        (AdminKind::RecipientAdded, r, b"> added by ")
    } else if let Some(r) = text.strip_prefix(b"address <") {
        (AdminKind::MarkedDelivered, r, b"> marked delivered by ")
    } else {
        let r = text.strip_prefix(b"sender address changed to <")?;
        (AdminKind::SenderChanged, r, b"> by ")
    };
    let at = super::peer::rfind(r, phrase)?;
    Some(Event::AdminAction(AdminAction {
        action,
        address: Text::new(r.get(..at)?),
        by: r.get(at + phrase.len()..).and_then(some),
    }))
}

/// One-line notices Exim writes outside a delivery, by their fixed first
/// words: `rewrite: ` (rewrite.c), the two `self = freeze` texts
/// (rf_self_action.c), `list matching forced to fail: ` (match.c), and the
/// cutthrough warning of receive.c.
pub(crate) fn fixed(text: &[u8]) -> Option<Event<'_>> {
    if let Some(r) = text.strip_prefix(b"rewrite: ") {
        return Some(Event::RewriteError(note(some(r))));
    }
    if text.starts_with(b"remote host address is the local host: ")
        || text.starts_with(b"lowest numbered MX record points to local host: ")
    {
        let p = super::peer::find(text, b": ")?;
        return Some(Event::SelfRouting(note(text.get(p + 2..).and_then(some))));
    }
    if let Some(r) = text.strip_prefix(b"list matching forced to fail: ") {
        return Some(Event::ListMatchFailed(note(some(r))));
    }
    if text.starts_with(b"Header modification in data ACLs will not take effect on cutthrough") {
        return Some(Event::Warning(Warning {
            peer: Peer::default(),
            message: Text::new(text),
        }));
    }
    None
}

/// A number of SpamAssassin's status (`5.0`, `-1.2`).
fn score(w: &[u8]) -> Option<f64> {
    std::str::from_utf8(w).ok()?.parse().ok()
}

/// `SA: <kind>: <detail>` (the SA-Exim add-on's `log_write` calls).
pub(crate) fn sa_exim(text: &[u8]) -> Option<Event<'_>> {
    let r = text.strip_prefix(b"SA: ")?;
    let colon = super::peer::find(r, b": ")?;
    let kind = r.get(..colon)?;
    if kind.is_empty() || kind.contains(&b' ') {
        return None;
    }
    let detail = r.get(colon + 2..)?;
    let mut sa = SaExim {
        kind: Text::new(kind),
        action: None,
        score: None,
        required: None,
        trigger: None,
        header_id: None,
        sender: None,
        host: None,
        recipients: None,
        detail: Text::new(detail),
    };
    if kind == b"Action" {
        sa_action(&mut sa, detail);
    }
    Some(Event::SaExim(sa))
}

/// `<action>[: <status>] (scanned in|time: N/M secs | Message-Id: <id>).
/// From <s> (host=<name> [<ip>])|(local) for <rcpts>`. Action, status and
/// id are SA-Exim's and SpamAssassin's words; the sender and recipients are
/// the client's; the host block is the last `> (host=<name> [<ip>]) for `
/// (or `> (local) for `) whose name is one word and whose address is well
/// formed, since a recipient passed RCPT verification and the sender did not.
fn sa_action<'a>(sa: &mut SaExim<'a>, d: &'a [u8]) {
    let Some(open) =
        super::peer::find(d, b" (scanned in ").or_else(|| super::peer::find(d, b" (time: "))
    else {
        sa.action = some(d);
        return;
    };
    let head = d.get(..open).unwrap_or_default();
    let status_at = [&b": hits="[..], b": score="]
        .iter()
        .find_map(|m| super::peer::find(head, m));
    match status_at {
        Some(p) => {
            sa.action = head.get(..p).and_then(some);
            for w in head.get(p + 2..).unwrap_or_default().split(|b| *b == b' ') {
                if let Some(v) = w
                    .strip_prefix(b"hits=")
                    .or_else(|| w.strip_prefix(b"score="))
                {
                    sa.score = score(v);
                } else if let Some(v) = w.strip_prefix(b"required=") {
                    sa.required = score(v);
                } else if let Some(v) = w.strip_prefix(b"trigger=") {
                    sa.trigger = score(v);
                }
            }
        }
        None => sa.action = some(head),
    }
    let tail = d.get(open..).unwrap_or_default();
    let Some(end) = super::peer::find(tail, b"). From <") else {
        return;
    };
    if let Some(m) = super::peer::find(tail, b"| Message-Id: ").filter(|&m| m < end) {
        sa.header_id = tail.get(m + 14..end).and_then(some);
    }
    let from = tail.get(end + 9..).unwrap_or_default();
    // `From <%s> (host=%s [%s]) for %s` or `From <%s> (local) for %s`: the
    // sender and the recipients are both the client's, but a recipient passed
    // RCPT verification (an existing local part, as a rule) while the sender
    // is any text MAIL FROM gave. So the block is the last `> (` that starts
    // a well-formed one: a sender imitating it stays in the sender.
    let mut upto = from.len();
    while let Some(at) = from.get(..upto).and_then(|f| super::peer::rfind(f, b"> (")) {
        upto = at;
        let Some(block) = from.get(at + 3..) else {
            break;
        };
        if let Some(rcpts) = block.strip_prefix(b"local) for ") {
            sa.sender = from.get(..at).map(Text::new);
            sa.recipients = some(rcpts);
            return;
        }
        let Some(h) = block.strip_prefix(b"host=") else {
            continue;
        };
        let Some(sp) = memchr::memchr(b' ', h) else {
            continue;
        };
        let (name, r) = h.split_at(sp);
        let Some((ip, rest)) = r
            .strip_prefix(b" ")
            .and_then(|r| r.strip_prefix(b"["))
            .and_then(|r| {
                let close = memchr::memchr(b']', r)?;
                Some((r.get(..close)?, r.get(close + 1..)?))
            })
        else {
            continue;
        };
        let Some(rcpts) = rest.strip_prefix(b") for ") else {
            continue;
        };
        if ip.is_empty()
            || !ip
                .iter()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':'))
        {
            continue;
        }
        sa.sender = from.get(..at).map(Text::new);
        sa.host = Some(crate::host::Host {
            name: some(name),
            ip: Some(Text::new(ip)),
            ..crate::host::Host::default()
        });
        sa.recipients = some(rcpts);
        return;
    }
}

/// The fixed-phrase lines of this module, by their first words: `Frozen`,
/// `removed by`, `Spool file`, `DKIM:`, `Warning:`, `PRDR`, `moved from`,
/// `failed to expand`, `Exim configuration error`, ...
pub(crate) fn keyword(text: &[u8]) -> Option<Event<'_>> {
    let (w, rest) = word(text);
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    match w {
        b"Frozen" | b"frozen" => frozen(text),
        b"Unfrozen" | b"unfrozen" => unfrozen(text),
        b"removed" | b"cancelled" => removed(text),
        b"Message" | b"Spool" => skipped(text),
        b"DKIM:" => dkim(text),
        b"Warning:" | b"WARNING:" => Some(Event::Warning(Warning {
            peer: Peer::default(),
            message: Text::new(rest),
        })),
        b"PRDR" => {
            // receive.c: `PRDR R=<%s> %s` with Exim's answer when the PRDR
            // ACL set no message, else `PRDR %s %s` with the bare address
            // and the ACL's log_message (or message).
            let (rcpt, result) = match rest.strip_prefix(b"R=") {
                Some(r) if r.starts_with(b"<") => word(r),
                _ => super::fields::address(rest),
            };
            if rcpt.is_empty() {
                return None;
            }
            Some(Event::Prdr(PrdrResult {
                recipient: Text::new(rcpt),
                result: Text::new(result.strip_prefix(b" ")?),
            }))
        }
        b"DNS" if rest.starts_with(b"list lookup ") => {
            Some(Event::Dnslist(note(rest.get(12..).and_then(some))))
        }
        b"moved" if rest.starts_with(b"from ") => Some(Event::Moved(note(some(rest)))),
        b"failed" | b"Failed" if rest.starts_with(b"to expand ") => {
            Some(Event::ExpansionFailed(note(some(text))))
        }
        b"original" if rest.starts_with(b"recipients ignored") => {
            let r = rest.get(18..).unwrap_or_default();
            let r = r.strip_prefix(b" (").unwrap_or(r);
            Some(Event::RecipientsIgnored(note(some(
                r.strip_suffix(b")").unwrap_or(r),
            ))))
        }
        b"Exim" if rest.starts_with(b"configuration error") => {
            let r = rest.get(19..).unwrap_or_default();
            let r = r.strip_suffix(b":").unwrap_or(r).trim_ascii();
            Some(Event::ConfigError(note(some(r))))
        }
        // acl.c: a `message` with a wrong SMTP code in the configuration.
        b"configured" if rest.starts_with(b"error code ") => {
            Some(Event::ConfigError(note(some(text))))
        }
        b"malware" if rest.starts_with(b"acl condition: ") => {
            Some(Event::MalwareError(note(rest.get(15..).and_then(some))))
        }
        _ => None,
    }
}

/// `Frozen[ (reason)| by <who>[: text]]` and `frozen by <who>`.
pub(crate) fn frozen(i: &[u8]) -> Option<Event<'_>> {
    let r = i
        .strip_prefix(b"Frozen")
        .or_else(|| i.strip_prefix(b"frozen"))?;
    let note = if r.is_empty() {
        Note::default()
    } else if let Some(b) = r.strip_prefix(b" by ") {
        by(b)
    } else if let Some(p) = r.strip_prefix(b" (") {
        Note {
            by: None,
            reason: some(p.strip_suffix(b")").unwrap_or(p)),
        }
    } else {
        return None;
    };
    Some(Event::Frozen(note))
}

/// `Unfrozen by <who>` / `unfrozen by <who>`.
pub(crate) fn unfrozen(i: &[u8]) -> Option<Event<'_>> {
    let r = i
        .strip_prefix(b"Unfrozen by ")
        .or_else(|| i.strip_prefix(b"unfrozen by "))?;
    Some(Event::Unfrozen(by(r)))
}

/// `removed by <who>`, `cancelled by <who>[: text]`.
pub(crate) fn removed(i: &[u8]) -> Option<Event<'_>> {
    if let Some(r) = i.strip_prefix(b"removed by ") {
        return Some(Event::Removed(by(r)));
    }
    Some(Event::Cancelled(by(i.strip_prefix(b"cancelled by ")?)))
}

/// `Message is frozen` and `Spool file[ for <id>] is locked (...)`.
pub(crate) fn skipped(i: &[u8]) -> Option<Event<'_>> {
    if i == b"Message is frozen" {
        return Some(Event::MessageIsFrozen(Note::default()));
    }
    let r = i.strip_prefix(b"Spool file ")?;
    let p = super::peer::find(r, b"is locked")?;
    let reason = r.get(p + 9..).unwrap_or_default();
    let reason = reason.strip_prefix(b" (").unwrap_or(reason);
    Some(Event::SpoolLocked(Note {
        by: None,
        reason: some(reason.strip_suffix(b")").unwrap_or(reason)),
    }))
}

/// `no immediate delivery: <reason>`, after `no `.
pub(crate) fn no_immediate(i: &[u8]) -> Option<Event<'_>> {
    let r = i.strip_prefix(b"immediate delivery: ")?;
    Some(Event::NoImmediateDelivery(Note {
        by: None,
        reason: some(r),
    }))
}

/// `DKIM: d=<dom> s=<sel> ... [status]` or other `DKIM: ` text.
pub(crate) fn dkim(i: &[u8]) -> Option<Event<'_>> {
    let detail = i.strip_prefix(b"DKIM: ")?;
    let mut d = Dkim {
        domain: None,
        selector: None,
        status: None,
        detail: Text::new(detail),
    };
    let mut rest = detail;
    while let Some(s) = rest.strip_prefix(b" ").or(Some(rest)) {
        if s.first() == Some(&b'[') {
            d.status = s.get(1..).and_then(|x| x.strip_suffix(b"]")).map(Text::new);
            break;
        }
        let (w, r) = word(s);
        if w.is_empty() {
            break;
        }
        if let Some(v) = w.strip_prefix(b"d=") {
            d.domain = Some(Text::new(v));
        } else if let Some(v) = w.strip_prefix(b"s=") {
            d.selector = Some(Text::new(v));
        }
        rest = r;
    }
    Some(Event::Dkim(d))
}

/// `<addr>[ <parent>]: error ignored[: ...]` and
/// `<addr>: <transport> transport output: <line>`.
pub(crate) fn address_line(i: &[u8]) -> Option<Event<'_>> {
    if let Some(p) = super::peer::find(i, b": error ignored") {
        let head = i.get(..p)?;
        let (address, parent) = match super::peer::find(head, b" <") {
            Some(s) => (head.get(..s)?, head.get(s + 1..)),
            None => (head, None),
        };
        let tail = i.get(p + 15..).unwrap_or_default();
        return Some(Event::ErrorIgnored(ErrorIgnored {
            address: Text::new(address),
            parent: parent.map(Text::new),
            reason: tail.strip_prefix(b": ").map(Text::new),
        }));
    }
    let p = super::peer::find(i, b" transport output: ")?;
    let head = i.get(..p)?;
    let colon = super::peer::rfind(head, b": ")?;
    Some(Event::TransportOutput(TransportOutput {
        address: Text::new(head.get(..colon)?),
        transport: Text::new(head.get(colon + 2..)?),
        output: Text::new(i.get(p + 19..)?),
    }))
}

/// `"old" from <where> rewritten as "new" by rule N` (also `rewritten with
/// (address part of) "new"`).
pub(crate) fn rewrite(i: &[u8]) -> Option<Event<'_>> {
    let inner = i.strip_prefix(b"\"")?;
    let q = super::peer::find(inner, b"\" from ")?;
    let original = inner.get(..q)?;
    let r = inner.get(q + 7..)?;
    let p = super::peer::find(r, b" rewritten ")?;
    let place = r.get(..p)?;
    let r = r.get(p + 11..)?;
    let open = memchr::memchr(b'"', r)?;
    let r = r.get(open + 1..)?;
    let close = memchr::memrchr(b'"', r)?;
    let rewritten = r.get(..close)?;
    let rule = r
        .get(close + 1..)
        .and_then(|t| t.strip_prefix(b" by rule "))
        .and_then(super::peer::number);
    Some(Event::Rewrite(Rewrite {
        original: Text::new(original),
        place: Text::new(place),
        rewritten: Text::new(rewritten),
        rule,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// queue.c queue_action, exim.c: what `-Mar`, `-Mmd`/`-Mmad` and `-Mes` log.
    #[test]
    fn admin_actions() {
        let cases: &[(&str, AdminKind, &str, &str)] = &[
            (
                "recipient <new@example.com> added by root",
                AdminKind::RecipientAdded,
                "new@example.com",
                "root",
            ),
            (
                "address <a@example.com> marked delivered by jane",
                AdminKind::MarkedDelivered,
                "a@example.com",
                "jane",
            ),
            (
                "sender address changed to <> by root",
                AdminKind::SenderChanged,
                "",
                "root",
            ),
            (
                "recipient <odd> added by x@example.com> added by root",
                AdminKind::RecipientAdded,
                "odd> added by x@example.com",
                "root",
            ),
        ];
        for (text, kind, address, by) in cases {
            let Some(Event::AdminAction(a)) = admin(text.as_bytes()) else {
                panic!("{text}");
            };
            assert_eq!(
                (a.action, a.address.to_string(), a.by.map(|t| t.to_string())),
                (*kind, address.to_string(), Some(by.to_string())),
                "{text}"
            );
        }
        assert!(admin(b"recipient added by root").is_none());
    }

    /// The format strings of sa-exim.c (`"SA: Action: %s: %s (scanned in %d/%d
    /// secs | Message-Id: %s). %s"`, mailinfo `"From <%s> (host=%s [%s]) for"`
    /// or `"From <%s> (local) for"` and the recipients).
    #[test]
    fn sa_exim_lines() {
        type Want<'s> = (
            &'s str,
            Option<&'s str>,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            Option<&'s str>,
            Option<&'s str>,
            Option<(&'s str, &'s str)>,
            Option<&'s str>,
        );
        let cases: &[(&str, Want)] = &[
            (
                "SA: Action: permanently rejected message: hits=14.2 required=5.0 trigger=12.0 (scanned in 3/3 secs | Message-Id: 4f2a.1c@spam.example). From <x@spam.example> (host=mail.spam.example [192.0.2.66]) for a@example.org, b@example.org",
                (
                    "Action",
                    Some("permanently rejected message"),
                    Some(14.2),
                    Some(5.0),
                    Some(12.0),
                    Some("4f2a.1c@spam.example"),
                    Some("x@spam.example"),
                    Some(("mail.spam.example", "192.0.2.66")),
                    Some("a@example.org, b@example.org"),
                ),
            ),
            (
                "SA: Action: scanned but message isn't spam: score=-1.9 required=5.0 (scanned in 1/1 secs | Message-Id: abc@ham.example). From <> (host=(null) [2001:db8::5]) for a@example.org",
                (
                    "Action",
                    Some("scanned but message isn't spam"),
                    Some(-1.9),
                    Some(5.0),
                    None,
                    Some("abc@ham.example"),
                    Some(""),
                    Some(("(null)", "2001:db8::5")),
                    Some("a@example.org"),
                ),
            ),
            (
                "SA: Action: flagged as Spam but accepted: score=6.1 required=5.0 (scanned in 2/2 secs | Message-Id: q@local.example). From <joe@example.org> (local) for a@example.org",
                (
                    "Action",
                    Some("flagged as Spam but accepted"),
                    Some(6.1),
                    Some(5.0),
                    None,
                    Some("q@local.example"),
                    Some("joe@example.org"),
                    None,
                    Some("a@example.org"),
                ),
            ),
            (
                // The sender imitates the host block: the address must not move.
                "SA: Action: temporarily rejected message: hits=9.0 required=5.0 trigger=8.0 (scanned in 2/2 secs | Message-Id: m@x.example). From <a> (host=fake [8.8.8.8]) for> (host=mx.x.example [192.0.2.7]) for a@example.org",
                (
                    "Action",
                    Some("temporarily rejected message"),
                    Some(9.0),
                    Some(5.0),
                    Some(8.0),
                    Some("m@x.example"),
                    Some("a> (host=fake [8.8.8.8]) for"),
                    Some(("mx.x.example", "192.0.2.7")),
                    Some("a@example.org"),
                ),
            ),
            (
                // The sender imitates the whole block, `) for ` included: the
                // block is read from the right, so the address stays.
                "SA: Action: permanently rejected message: hits=20.0 required=5.0 (scanned in 1/1 secs | Message-Id: m@x.example). From <a> (host=fake [8.8.8.8]) for x> (host=mx.x.example [192.0.2.7]) for a@example.org",
                (
                    "Action",
                    Some("permanently rejected message"),
                    Some(20.0),
                    Some(5.0),
                    None,
                    Some("m@x.example"),
                    Some("a> (host=fake [8.8.8.8]) for x"),
                    Some(("mx.x.example", "192.0.2.7")),
                    Some("a@example.org"),
                ),
            ),
            (
                // A sender imitating `(local)` does not hide the host.
                "SA: Action: permanently rejected message: hits=20.0 required=5.0 (scanned in 1/1 secs | Message-Id: m@x.example). From <a> (local) for x> (host=(null) [192.0.2.8]) for a@example.org",
                (
                    "Action",
                    Some("permanently rejected message"),
                    Some(20.0),
                    Some(5.0),
                    None,
                    Some("m@x.example"),
                    Some("a> (local) for x"),
                    Some(("(null)", "192.0.2.8")),
                    Some("a@example.org"),
                ),
            ),
            (
                // And a sender imitating a host block on a local message.
                "SA: Action: flagged as Spam but accepted: hits=6.0 required=5.0 (scanned in 1/1 secs | Message-Id: m@x.example). From <a> (host=fake [8.8.8.8]) for x> (local) for a@example.org",
                (
                    "Action",
                    Some("flagged as Spam but accepted"),
                    Some(6.0),
                    Some(5.0),
                    None,
                    Some("m@x.example"),
                    Some("a> (host=fake [8.8.8.8]) for x"),
                    None,
                    Some("a@example.org"),
                ),
            ),
            (
                "SA: Action: SA didn't successfully run against message, accepting (time: 0/0 secs | Message-Id: m@x.example). From <a@x.example> (host=mx.x.example [192.0.2.7]) for b@example.org",
                (
                    "Action",
                    Some("SA didn't successfully run against message, accepting"),
                    None,
                    None,
                    None,
                    Some("m@x.example"),
                    Some("a@x.example"),
                    Some(("mx.x.example", "192.0.2.7")),
                    Some("b@example.org"),
                ),
            ),
            (
                "SA: Notice: SAEximRejCond expanded to false, not applying reject rules",
                ("Notice", None, None, None, None, None, None, None, None),
            ),
        ];
        for (text, want) in cases {
            let Some(Event::SaExim(sa)) = sa_exim(text.as_bytes()) else {
                panic!("{text}");
            };
            let s = |t: Option<Text<'_>>| t.map(|t| t.to_string());
            let got = (
                sa.kind.to_string(),
                s(sa.action),
                sa.score,
                sa.required,
                sa.trigger,
                s(sa.header_id),
                s(sa.sender),
                sa.host
                    .map(|h| (h.name.unwrap().to_string(), h.ip.unwrap().to_string())),
                s(sa.recipients),
            );
            let o = |t: Option<&str>| t.map(String::from);
            let want = (
                want.0.to_string(),
                o(want.1),
                want.2,
                want.3,
                want.4,
                o(want.5),
                o(want.6),
                want.7.map(|(n, i)| (n.to_string(), i.to_string())),
                o(want.8),
            );
            assert_eq!(got, want, "{text}");
        }
        assert!(sa_exim(b"SA:x").is_none());
    }

    #[test]
    fn fixed_notices() {
        let Some(Event::SelfRouting(n)) =
            fixed(b"remote host address is the local host: example.com (while verifying <a@example.com> from host (pc) [192.0.2.1])")
        else {
            panic!()
        };
        assert_eq!(
            n.reason.unwrap(),
            "example.com (while verifying <a@example.com> from host (pc) [192.0.2.1])"
        );
        let Some(Event::RewriteError(n)) = fixed(b"rewrite: domain missing or malformed") else {
            panic!()
        };
        assert_eq!(n.reason.unwrap(), "domain missing or malformed");
        assert!(fixed(b"rewritten as").is_none());
    }

    fn note(e: Option<Event<'_>>) -> (&'static str, Option<String>, Option<String>) {
        let e = e.expect("parsed");
        let name = e.name();
        let n = e.note().unwrap_or_else(|| panic!("{e:?}"));
        (
            name,
            n.by.map(|t| t.to_string()),
            n.reason.map(|t| t.to_string()),
        )
    }

    #[test]
    fn notes_table() {
        type P = for<'a> fn(&'a [u8]) -> Option<Event<'a>>;
        type Want<'s> = (&'s str, Option<&'s str>, Option<&'s str>);
        let cases: &[(P, &str, Want)] = &[
            (frozen, "Frozen", ("frozen", None, None)),
            (
                frozen,
                "Frozen (delivery error message)",
                ("frozen", None, Some("delivery error message")),
            ),
            (
                frozen,
                "Frozen by the system filter: spam suspected",
                ("frozen", Some("the system filter"), Some("spam suspected")),
            ),
            (frozen, "frozen by ACL", ("frozen", Some("ACL"), None)),
            (
                unfrozen,
                "Unfrozen by errmsg timer",
                ("unfrozen", Some("errmsg timer"), None),
            ),
            (
                unfrozen,
                "unfrozen by admin",
                ("unfrozen", Some("admin"), None),
            ),
            (removed, "removed by root", ("removed", Some("root"), None)),
            (
                removed,
                "cancelled by system filter: bad attachment",
                ("cancelled", Some("system filter"), Some("bad attachment")),
            ),
            (
                skipped,
                "Message is frozen",
                ("message_is_frozen", None, None),
            ),
            (
                skipped,
                "Spool file for 1sAoM5-00000009r3p-06vq is locked (another process is handling this message)",
                (
                    "spool_locked",
                    None,
                    Some("another process is handling this message"),
                ),
            ),
            (
                no_immediate,
                "immediate delivery: load average 12.40",
                ("no_immediate_delivery", None, Some("load average 12.40")),
            ),
        ];
        for (f, input, want) in cases {
            let got = note(f(input.as_bytes()));
            let want = (want.0, want.1.map(String::from), want.2.map(String::from));
            assert_eq!(got, want, "{input}");
        }
        assert!(frozen(b"Frozenx").is_none());
    }

    #[test]
    fn dkim_line() {
        let Some(Event::Dkim(d)) = dkim(b"DKIM: d=example.com s=mail2024 c=relaxed/relaxed a=rsa-sha256 b=2048 [verification succeeded]") else {
            panic!()
        };
        assert_eq!(
            (d.domain.unwrap(), d.selector.unwrap()),
            (Text::from("example.com"), Text::from("mail2024"))
        );
        assert_eq!(d.status.unwrap(), "verification succeeded");
    }

    #[test]
    fn address_lines() {
        let Some(Event::ErrorIgnored(e)) =
            address_line(b"bob@example.com <list@example.com>: error ignored")
        else {
            panic!()
        };
        assert_eq!(
            (e.address, e.parent),
            (
                Text::from("bob@example.com"),
                Some(Text::from("<list@example.com>"))
            )
        );
        let Some(Event::TransportOutput(t)) = address_line(
            b"<bob@example.com>: procmail_pipe transport output: procmail: Quota exceeded",
        ) else {
            panic!()
        };
        assert_eq!(
            (t.address, t.transport, t.output),
            (
                Text::from("<bob@example.com>"),
                Text::from("procmail_pipe"),
                Text::from("procmail: Quota exceeded")
            )
        );
        assert!(address_line(b"bob: something else").is_none());
    }

    #[test]
    fn rewrite_line() {
        let Some(Event::Rewrite(r)) = rewrite(
            b"\"bob@host.example.com\" from env-from rewritten as \"bob@example.com\" by rule 2",
        ) else {
            panic!()
        };
        assert_eq!(
            (r.original, r.place, r.rewritten, r.rule),
            (
                Text::from("bob@host.example.com"),
                Text::from("env-from"),
                Text::from("bob@example.com"),
                Some(2)
            )
        );
    }
}

fn system_notice(kind: SystemKind) -> SystemNotice<'static> {
    SystemNotice {
        kind,
        peer: Peer::default(),
        count: None,
        space: None,
        inodes: None,
        detail: None,
        address: None,
    }
}

fn number<T: std::str::FromStr>(w: &[u8]) -> Option<T> {
    std::str::from_utf8(w).ok()?.parse().ok()
}

/// Lines about Exim itself, by their fixed words (receive.c, verify.c,
/// daemon.c, exim.c of 4.93-4.98); see [`SystemKind`]. `None` for any
/// other text.
pub(crate) fn system(text: &[u8]) -> Option<Event<'_>> {
    let mut n;
    if let Some((kind, r)) = text
        .strip_prefix(b"spool directory space check failed: ")
        .map(|r| (SystemKind::SpoolSpace, r))
        .or_else(|| {
            text.strip_prefix(b"log directory space check failed: ")
                .map(|r| (SystemKind::LogSpace, r))
        })
    {
        // `space=%d inodes=%d` (PR_EXIM_ARITH: a signed 64-bit number).
        n = system_notice(kind);
        let r = r.strip_prefix(b"space=")?;
        let at = super::peer::find(r, b" inodes=")?;
        n.space = number(r.get(..at)?);
        n.inodes = number(r.get(at + 8..)?);
    } else if let Some((kind, r)) = text
        .strip_prefix(b"ridiculously long message header received from ")
        .map(|r| (SystemKind::HeaderTooLong, r))
        .or_else(|| {
            text.strip_prefix(b"overlong message header line received from ")
                .map(|r| (SystemKind::HeaderLineTooLong, r))
        })
    {
        // `<sender_fullhost or sender_ident> (more than N characters):
        // message abandoned`: Exim's words end the line, so they are read
        // from the right; the host (its HELO is the client's) is what is left.
        n = system_notice(kind);
        let r = r.strip_suffix(b" characters): message abandoned")?;
        let at = super::peer::rfind(r, b" (more than ")?;
        n.count = number(r.get(at + 12..)?);
        let who = r.get(..at)?;
        match crate::parse::host::fullhost_from_right(who) {
            Some(h) => n.peer.host = Some(h),
            // A local message: `sender_ident`, the login of the caller.
            None => n.peer.user = some(who),
        }
    } else if let Some(r) = text.strip_prefix(b"ident connection to ") {
        n = system_notice(SystemKind::IdentTimeout);
        let ip = r.strip_suffix(b" timed out")?;
        if ip.is_empty() || ip.contains(&b' ') {
            return None;
        }
        n.peer.host = Some(crate::host::Host {
            ip: Some(Text::new(ip)),
            ..Default::default()
        });
    } else if let Some(r) = text.strip_prefix(b"listen backlog ") {
        n = system_notice(SystemKind::ListenBacklog);
        let sp = memchr::memchr(b' ', r)?;
        n.count = number(r.get(..sp)?);
        let (e, rest) = super::host::endpoint(r.get(sp + 1..)?.strip_prefix(b"I=")?)?;
        if !rest.is_empty() {
            return None;
        }
        n.peer.interface = Some(e);
    } else if let Some(r) = text
        .strip_prefix(b"queue run: process ")
        .or_else(|| text.strip_prefix(b"process "))
    {
        // `process %d crashed with signal %d while delivering %s`.
        n = system_notice(SystemKind::DeliveryCrash);
        let sp = memchr::memchr(b' ', r)?;
        number::<u32>(r.get(..sp)?)?;
        let r = r.get(sp + 1..)?.strip_prefix(b"crashed with signal ")?;
        let sp = memchr::memchr(b' ', r)?;
        n.count = Some(number(r.get(..sp)?)?);
        n.detail = r
            .get(sp + 1..)?
            .strip_prefix(b"while delivering ")
            .and_then(some);
        n.detail?;
    } else if let Some(r) = text.strip_prefix(b"local_scan() function ") {
        // `crashed with signal %d - <why>` or `timed out - <why>`.
        let at = super::peer::find(r, b" - ")?;
        let what = r.get(..at)?;
        if what == b"timed out" {
            n = system_notice(SystemKind::LocalScanTimeout);
        } else {
            n = system_notice(SystemKind::LocalScanCrash);
            n.count = Some(number(what.strip_prefix(b"crashed with signal ")?)?);
        }
        n.detail = r.get(at + 3..).and_then(some);
    } else if text == b"notify triggered queue run" {
        n = system_notice(SystemKind::NotifyQueueRun);
    } else if let Some(r) = text.strip_prefix(b"SIGSEGV (") {
        n = system_notice(SystemKind::Crash);
        n.detail = r.strip_suffix(b")").and_then(some);
    } else if text.first().is_some_and(u8::is_ascii_digit) {
        // `%d %s() failure%s: %s` with `accept` or `select`.
        let sp = memchr::memchr(b' ', text)?;
        let r = text.get(sp + 1..)?;
        let (kind, r) = if let Some(r) = r.strip_prefix(b"accept() failure") {
            (SystemKind::AcceptFailures, r)
        } else {
            (
                SystemKind::SelectFailures,
                r.strip_prefix(b"select() failure")?,
            )
        };
        let r = r.strip_prefix(b"s").unwrap_or(r).strip_prefix(b": ")?;
        n = system_notice(kind);
        n.count = Some(number(text.get(..sp)?)?);
        n.detail = some(r);
    } else {
        return None;
    }
    Some(Event::SystemNotice(n))
}

/// First words of the TLS and OCSP texts of tls-openssl.c, tls-gnu.c and
/// tls.c (4.93-4.98) that `session::tls_notice` does not take: library
/// errors, OCSP stapling, certificate files. They are `tls_error` events.
const TLS_PREFIXES: &[&[u8]] = &[
    b"TLS error",
    b"TLS ALPN (",
    b"SSL verify ",
    b"SSL channel closed",
    b"SSL_write",
    b"Received TLS cert status response",
    b"Server OSCP dates invalid",
    b"Server certificate status unknown",
    b"Failed to open OCSP response file",
    b"Error reading OCSP response",
    b"Failed to read PEM file",
    b"ALPN unusable",
    b"SNI unusable",
    b"already initialised GnuTLS",
    b"tls_verify_certificates ",
    b"could not stat '",
    b"failed to load cert chain",
    b"fork failed for TLS check",
];

/// Fixed first words of the log_write texts of Exim 4.93-4.98 (src/src/**/*.c,
/// LOG_MAIN, often with LOG_PANIC too) that report trouble inside Exim rather
/// than a message or a client, by the [`SystemKind`] they are. Only lines no
/// other parser took get here; the whole text is the `detail`.
const SYSTEM_PREFIXES: &[(SystemKind, &[&[u8]])] = &[
    // exim.c segv_handler: the si_code line after `SIGSEGV (fault address: ..)`.
    (SystemKind::Crash, &[b"SEGV_"]),
    // Taint checks (4.94+).
    (
        SystemKind::Taint,
        &[
            b"Tainted ",
            b"tainted ",
            b"Taint mismatch",
            b"attempt to use tainted ",
            b"attempt to open tainted ",
            b"Attempt to exec tainted ",
        ],
    ),
    // deliver.c, receive.c, spool_*.c, queue.c, daemon.c, exim.c, store.c,
    // string.c, log.c, readconf.c, acl.c, lookups, dcc.c, srs.c, arc.c,
    // dkim.c, ...: failed system calls and internal errors.
    (
        SystemKind::Internal,
        &[
            b"2nd fork for serialized ETRN failed",
            b"ACL for QUIT returned ERROR",
            b"ACL for not-QUIT returned ERROR",
            b"ACL \"warn\" with \"message\" setting",
            b"\"discard\" verb not allowed",
            b"\"drop\" verb not allowed",
            b"\"timeout_dns\" is no longer available",
            b"ARC: ",
            b"Attempt to open msglog file path",
            b"Bad db record size",
            b"Bad expansion for socks_proxy",
            b"Berkeley DB error",
            b"CNAME loop for ",
            b"Cannot lock ",
            b"Could not open datafile",
            b"Couldn't ",
            b"DCC: ",
            b"Temporary error with DCC",
            b"Unknown DCC response",
            b"Wrong header from DCC",
            b"Daemon cannot be run when mua_wrapper",
            b"Input from inetd is not supported",
            b"Delivery status for ",
            b"EHLO/HELO response must not contain newlines",
            b"Error in system filter",
            b"Error in ",
            b"Error loading lookup module",
            b"Error reading spool file",
            b"Exim configuration file ",
            b"Exim internal error",
            b"Failed ",
            b"Fork failed",
            b"Format error in spool file",
            b"IPv4 socket creation failed",
            b"IPv6 socket creation failed",
            b"attempt to open journal for reading",
            b"Internal error",
            b"Long ",
            b"Lookup module ",
            b"Loop detected in lookup",
            b"MIME acl condition warning",
            b"Malformed IP address",
            b"Message removed because older than",
            b"More than one path given in log_file_path",
            b"Process ",
            b"Rewrite of ",
            b"SRS Configuration Error",
            b"Setting IPV6_V6ONLY",
            b"Spool error",
            b"Stat failed on ",
            b"Too many recipients: ",
            b"Unexpected error return",
            b"Unrecognised socks auth method",
            b"Wrong ownership on ",
            b"acl_smtp_mime: error",
            b"backtrace",
            b"bad ",
            b"bind of [",
            b"bmi warning",
            b"both local_from_check and local_sender_retain",
            b"buffer underflow in ",
            b"callout transport ",
            b"can't return to previous working dir",
            b"cannot accept message: failed to stat",
            b"cannot run initgroups",
            b"creation of pipe for filter",
            b"daemon: ",
            b"debug tag may not contain",
            b"debugging Exim in inetd",
            b"deliver_datafile lseek",
            b"delivery re-exec ",
            b"delivery setrlimit",
            b"dlfunc{",
            b"dns_again_means_nonexist recursion",
            b"dnslist query is too long",
            b"dnslists domain ",
            b"dnssec fail on SRV",
            b"excessive memory alloc",
            b"exec of ",
            b"exim user lost privilege",
            b"failed to ",
            b"fork ",
            b"fork() failed",
            b"getrlimit(",
            b"getsockname() failed",
            b"getsockopt() failed",
            b"header snprintf failed",
            b"host name alias list truncated",
            b"initgroups failed",
            b"internal ",
            b"invalid ",
            b"link(",
            b"live variable ",
            b"local part longer than",
            b"log_file_path ",
            b"log_write called with no log flags",
            b"malformed ratelimit data",
            b"malloc() failed",
            b"mime_regex acl condition warning",
            b"no @ found in the subject of an address list match",
            b"no port specified for interface",
            b"non-existent configuration file",
            b"null conn-context pointer",
            b"overlong formatted string",
            b"overlong write_command",
            b"partial matching is not applicable",
            b"peer close after all rcpt responses",
            b"pid file path ",
            b"pid_file_path is longer",
            b"qualify/rewrite: ",
            b"queue run: ",
            b"re-exec of exim ",
            b"read from fakens failed",
            b"readsock fdopen",
            b"redirection process ",
            b"regex acl condition",
            b"regular expression error",
            b"remote delivery process count got out of step",
            b"rescind the above message-accept",
            b"responsible-mailbox truncated",
            b"rewrite rule repeat ignored",
            b"rmdir(",
            b"setitimer() failed",
            b"setrlimit(",
            b"setsockopt(",
            b"setting SO_REUSEADDR",
            b"shadow transport ",
            b"signing: ",
            b"signing_init: ",
            b"smtp-wait database entry",
            b"socket bind() to port ",
            b"socks auth failed",
            b"spool_directory ",
            b"spoolfile error on close",
            b"store_mark called",
            b"store_reset called",
            b"string too large in smtp_printf",
            b"string too long in header_add",
            b"string_format",
            b"string_sprintf expansion was longer",
            b"syslog_processname is longer",
            b"system filter generated more than",
            b"timed out while reading local message",
            b"too many lookups open",
            b"unable to ",
            b"uname() failed",
            b"unknown item in dnslist",
            b"unknown log name ",
            b"unknown named",
            b"unlink(",
        ],
    ),
];

/// The lines no other parser took that Exim 4.93-4.98 writes about itself
/// (see [`SystemKind`]) and `DMARC results:`. `None` for any other text.
pub(crate) fn last_resort(text: &[u8]) -> Option<Event<'_>> {
    let mut n;
    if let Some(r) = text.strip_prefix(b"DMARC results: ") {
        return dmarc_result(r);
    } else if let Some(r) = text.strip_prefix(b"routing loop for ") {
        n = system_notice(SystemKind::RoutingLoop);
        n.address = some(r);
        n.address?;
    } else if let Some(r) = text.strip_prefix(b"Message abandoned: ") {
        // receive.c: `<Input read|Spool write> error (<err>) while receiving
        // message from <sender_fullhost or sender_ident>`, or the spool
        // writer's own error text.
        n = system_notice(SystemKind::MessageAbandoned);
        n.detail = some(r);
        n.detail?;
        if let Some(at) = super::peer::find(r, b") while receiving message from ")
            && (r.starts_with(b"Input read error (") || r.starts_with(b"Spool write error ("))
            && let Some(who) = r.get(at + 31..)
        {
            match crate::parse::host::fullhost_from_right(who) {
                Some(h) => n.peer.host = Some(h),
                None => n.peer.user = some(who),
            }
        }
    } else if let Some(r) = text.strip_prefix(b"<")
        && let Some(at) = super::peer::find(r, b">: ")
    {
        // verify.c, transports/smtp.c: `<%s>: %s` with the address being
        // verified or delivered and a set-up error of the callout or
        // transport (interface, port, helo_data, tls_sni expansion).
        n = system_notice(SystemKind::Internal);
        n.address = some(r.get(..at)?);
        n.detail = some(r.get(at + 3..)?);
        n.detail?;
    } else if text == b"Delivery deferred by system filter" {
        n = system_notice(SystemKind::FilterDeferred);
    } else if text.starts_with(b"expansion of ")
        || text.starts_with(b"Expansion of ")
        || text.starts_with(b"unable to expand ")
    {
        // Like `failed to expand ...` (keyword()): a configuration expansion.
        return Some(Event::ExpansionFailed(note(some(text))));
    } else if let Some(r) = text.strip_prefix(b"[")
        && let Some(close) = memchr::memchr(b']', r)
        && let Some(rest) = r.get(close + 1..).and_then(|x| x.strip_prefix(b" "))
        && (rest.starts_with(b"SSL verify error")
            || rest.starts_with(b"after QUIT, client reset TCP")
            || super::peer::find(rest, b" verify denied by event-action").is_some()
            || super::peer::find(rest, b"Received TLS cert").is_some())
    {
        // tls-openssl.c, tls-gnu.c: `[<peer address>] ...`, like the `[ip]
        // SSL verify error: ` of session::tls_notice.
        return Some(Event::TlsError(crate::event::Session {
            peer: Peer {
                host: Some(crate::host::Host {
                    ip: some(r.get(..close)?),
                    ..Default::default()
                }),
                ..Peer::default()
            },
            reason: some(rest),
            ..crate::event::Session::default()
        }));
    } else if TLS_PREFIXES.iter().any(|p| text.starts_with(p)) {
        return Some(Event::TlsError(crate::event::Session {
            reason: some(text),
            ..crate::event::Session::default()
        }));
    } else if let Some((kind, _)) = SYSTEM_PREFIXES
        .iter()
        .find(|(_, ps)| ps.iter().any(|p| text.starts_with(p)))
    {
        n = system_notice(*kind);
        n.detail = some(text);
    } else if text.starts_with(b"DMARC ")
        || (text.starts_with(b"failure to ") && super::peer::find(text, b"DMARC").is_some())
    {
        n = system_notice(SystemKind::Dmarc);
        n.detail = some(text);
    } else if super::peer::find(text, b"untainted").is_some()
        || super::peer::find(text, b" tainted ").is_some()
    {
        // `<option> is not untainted after expansion`, other taint texts.
        n = system_notice(SystemKind::Taint);
        n.detail = some(text);
    } else {
        return None;
    }
    Some(Event::SystemNotice(n))
}

/// The text after `DMARC results: ` (dmarc.c): `spf_domain=%s dmarc_domain=%s
/// spf_align=%s dkim_align=%s enforcement='%s'`. The domains are Exim's
/// (checked by SPF and the DMARC lookup) and hold no spaces; the verdict is
/// libopendmarc's text in quotes, last on the line.
fn dmarc_result(r: &[u8]) -> Option<Event<'_>> {
    let r = r.strip_prefix(b"spf_domain=")?;
    let at = super::peer::find(r, b" dmarc_domain=")?;
    let spf_domain = r.get(..at)?;
    let r = r.get(at + 14..)?;
    let at = super::peer::find(r, b" spf_align=")?;
    let dmarc_domain = r.get(..at)?;
    let r = r.get(at + 11..)?;
    let yes = |w: &[u8]| match w {
        b"yes" => Some(true),
        b"no" => Some(false),
        _ => None,
    };
    let at = super::peer::find(r, b" dkim_align=")?;
    let spf_aligned = yes(r.get(..at)?)?;
    let r = r.get(at + 12..)?;
    let at = super::peer::find(r, b" enforcement='")?;
    let dkim_aligned = yes(r.get(..at)?)?;
    let enforcement = r.get(at + 14..)?.strip_suffix(b"'")?;
    Some(Event::DmarcResult(crate::event::DmarcResult {
        spf_domain: Text::new(spf_domain),
        dmarc_domain: Text::new(dmarc_domain),
        spf_aligned,
        dkim_aligned,
        enforcement: Text::new(enforcement),
    }))
}

#[cfg(test)]
mod system_tests {
    use super::*;

    fn get(text: &str) -> SystemNotice<'_> {
        match system(text.as_bytes()) {
            Some(Event::SystemNotice(n)) => n,
            other => panic!("{text}: {other:?}"),
        }
    }

    /// One line per log_write format of receive.c, verify.c, daemon.c and
    /// exim.c (4.93-4.98), with the values Exim fills in.
    #[test]
    fn system_lines() {
        // (line, kind, count, space, inodes, detail, host ip, helo, user, interface ip)
        type Case = (
            &'static str,
            SystemKind,
            Option<u64>,
            Option<i64>,
            Option<i64>,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
        );
        let cases: &[Case] = &[
            (
                "spool directory space check failed: space=812 inodes=-1",
                SystemKind::SpoolSpace,
                None,
                Some(812),
                Some(-1),
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "log directory space check failed: space=-1 inodes=40",
                SystemKind::LogSpace,
                None,
                Some(-1),
                Some(40),
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "ridiculously long message header received from mx.b.example (pc) [192.0.2.7]:4100 (more than 1048576 characters): message abandoned",
                SystemKind::HeaderTooLong,
                Some(1_048_576),
                None,
                None,
                None,
                Some("192.0.2.7"),
                Some("pc"),
                None,
                None,
            ),
            // A junk HELO imitating Exim's own words stays inside the HELO.
            (
                "overlong message header line received from (x (more than 1 characters) [10.0.0.1]) [192.0.2.8] (more than 998 characters): message abandoned",
                SystemKind::HeaderLineTooLong,
                Some(998),
                None,
                None,
                None,
                Some("192.0.2.8"),
                Some("x (more than 1 characters) [10.0.0.1]"),
                None,
                None,
            ),
            // A local message: sender_ident, the caller's login.
            (
                "overlong message header line received from alice (more than 998 characters): message abandoned",
                SystemKind::HeaderLineTooLong,
                Some(998),
                None,
                None,
                None,
                None,
                None,
                Some("alice"),
                None,
            ),
            (
                "ident connection to 2001:db8::5 timed out",
                SystemKind::IdentTimeout,
                None,
                None,
                None,
                None,
                Some("2001:db8::5"),
                None,
                None,
                None,
            ),
            (
                "listen backlog 27 I=[198.51.100.1]:25",
                SystemKind::ListenBacklog,
                Some(27),
                None,
                None,
                None,
                None,
                None,
                None,
                Some("198.51.100.1"),
            ),
            // queue.c: `queue run: process %d crashed with signal %d while
            // delivering %s`, the message id.
            (
                "queue run: process 4242 crashed with signal 11 while delivering 1rAbCd-000123-AB",
                SystemKind::DeliveryCrash,
                Some(11),
                None,
                None,
                Some("1rAbCd-000123-AB"),
                None,
                None,
                None,
                None,
            ),
            // receive.c (the corpus's test 9400): `local_scan() function
            // crashed with signal %d - <text>`, `... timed out - <text>`.
            (
                "local_scan() function crashed with signal 11 - message temporarily rejected (size 35)",
                SystemKind::LocalScanCrash,
                Some(11),
                None,
                None,
                Some("message temporarily rejected (size 35)"),
                None,
                None,
                None,
                None,
            ),
            (
                "local_scan() function timed out - message temporarily rejected (size 29)",
                SystemKind::LocalScanTimeout,
                None,
                None,
                None,
                Some("message temporarily rejected (size 29)"),
                None,
                None,
                None,
                None,
            ),
            (
                "notify triggered queue run",
                SystemKind::NotifyQueueRun,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "SIGSEGV (fault address: 0x7f3a00001000)",
                SystemKind::Crash,
                None,
                None,
                None,
                Some("fault address: 0x7f3a00001000"),
                None,
                None,
                None,
                None,
            ),
            (
                "SIGSEGV (null pointer indirection)",
                SystemKind::Crash,
                None,
                None,
                None,
                Some("null pointer indirection"),
                None,
                None,
                None,
                None,
            ),
            (
                "1 accept() failure: Too many open files",
                SystemKind::AcceptFailures,
                Some(1),
                None,
                None,
                Some("Too many open files"),
                None,
                None,
                None,
                None,
            ),
            (
                "50 select() failures: Interrupted system call",
                SystemKind::SelectFailures,
                Some(50),
                None,
                None,
                Some("Interrupted system call"),
                None,
                None,
                None,
                None,
            ),
        ];
        for &(line, kind, count, space, inodes, detail, ip, helo, user, iface) in cases {
            let n = get(line);
            assert_eq!(n.kind, kind, "{line}");
            assert_eq!(n.count, count, "{line}");
            assert_eq!(n.space, space, "{line}");
            assert_eq!(n.inodes, inodes, "{line}");
            assert_eq!(n.detail.map(|t| t.to_string()).as_deref(), detail, "{line}");
            let h = n.peer.host;
            assert_eq!(
                h.and_then(|h| h.ip).map(|t| t.to_string()).as_deref(),
                ip,
                "{line}"
            );
            assert_eq!(
                h.and_then(|h| h.helo).map(|t| t.to_string()).as_deref(),
                helo,
                "{line}"
            );
            assert_eq!(
                n.peer.user.map(|t| t.to_string()).as_deref(),
                user,
                "{line}"
            );
            assert_eq!(
                n.peer.interface.map(|e| e.ip.to_string()).as_deref(),
                iface,
                "{line}"
            );
        }
    }

    /// Texts that only look like these lines stay unknown here.
    #[test]
    fn system_near_misses() {
        for line in [
            "spool directory space check failed",
            "ident connection to 192.0.2.1 failed: Connection refused",
            // ident.c writes sender_host_address there: one word.
            "ident connection to  timed out",
            "ident connection to 192.0.2.1 port 113 timed out",
            "listen backlog 27",
            "3 accepted() failures: x",
            "notify triggered queue run now",
            "12 messages",
            "process x crashed with signal 11 while delivering y",
            "process 12 exited",
            "local_scan() function crashed with signal x - y",
        ] {
            assert_eq!(system(line.as_bytes()), None, "{line}");
        }
    }
}

#[cfg(test)]
mod last_resort_tests {
    use super::*;
    use crate::event::DmarcResult;

    fn notice(text: &str) -> SystemNotice<'_> {
        match last_resort(text.as_bytes()) {
            Some(Event::SystemNotice(n)) => n,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn ip_of(peer: &Peer<'_>) -> Option<String> {
        peer.ip().map(|t| t.to_string())
    }

    fn dmarc(text: &str) -> DmarcResult<'_> {
        match last_resort(text.as_bytes()) {
            Some(Event::DmarcResult(d)) => d,
            other => panic!("{text}: {other:?}"),
        }
    }

    /// dmarc.c: `DMARC results: spf_domain=%s dmarc_domain=%s spf_align=%s
    /// dkim_align=%s enforcement='%s'`, the aligns `yes`/`no`.
    #[test]
    fn dmarc_results() {
        let d = dmarc(
            "DMARC results: spf_domain=bounce.example.org dmarc_domain=example.org spf_align=yes dkim_align=no enforcement='Accept'",
        );
        assert_eq!(d.spf_domain, "bounce.example.org");
        assert_eq!(d.dmarc_domain, "example.org");
        assert!(d.spf_aligned && !d.dkim_aligned);
        assert_eq!(d.enforcement, "Accept");
        let d = dmarc(
            "DMARC results: spf_domain=helo.example.net dmarc_domain=example.com spf_align=no dkim_align=yes enforcement='Permit and report'",
        );
        assert!(!d.spf_aligned && d.dkim_aligned);
        assert_eq!(d.enforcement, "Permit and report");
        for bad in [
            "DMARC results: spf_domain=a dmarc_domain=b spf_align=maybe dkim_align=no enforcement='Accept'",
            "DMARC results: spf_domain=a dmarc_domain=b spf_align=no dkim_align=no enforcement='Accept",
            "DMARC results: dmarc_domain=b spf_align=no dkim_align=no enforcement='Accept'",
        ] {
            assert!(last_resort(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    /// route.c, receive.c, deliver.c: the texts with fields of their own.
    #[test]
    fn loops_abandoned_deferred() {
        let n = notice("routing loop for joe@example.org");
        assert_eq!(n.kind, SystemKind::RoutingLoop);
        assert_eq!(n.address.unwrap(), "joe@example.org");
        assert!(last_resort(b"routing loop for ").is_none());

        // receive.c: `%s error (%s) while receiving message from %s` with
        // sender_fullhost; the HELO is the client's, so the host is read
        // from the right.
        let n = notice(
            "Message abandoned: Spool write error (No space left on device) while receiving message from mx.example.net (x) [1.2.3.4]) [192.0.2.7]",
        );
        assert_eq!(n.kind, SystemKind::MessageAbandoned);
        let h = n.peer.host.unwrap();
        assert_eq!(h.ip.unwrap(), "192.0.2.7");
        assert_eq!(h.name.unwrap(), "mx.example.net");
        assert!(
            n.detail
                .unwrap()
                .as_bytes()
                .starts_with(b"Spool write error (No space")
        );
        // A local message: sender_ident.
        let n = notice(
            "Message abandoned: Input read error (Connection reset by peer) while receiving message from www-data",
        );
        assert_eq!(n.peer.user.unwrap(), "www-data");
        assert!(n.peer.host.is_none());
        // spool_write_header's own error: no sender.
        let n = notice("Message abandoned: spool file write error: No space left on device");
        assert_eq!(
            n.detail.unwrap(),
            "spool file write error: No space left on device"
        );
        assert!(n.peer.host.is_none() && n.peer.user.is_none());

        let n = notice(
            "<joe@example.org>: failed to expand transport's helo_data value for callout: unknown variable",
        );
        assert_eq!(n.kind, SystemKind::Internal);
        assert_eq!(n.address.unwrap(), "joe@example.org");
        assert_eq!(
            n.detail.unwrap(),
            "failed to expand transport's helo_data value for callout: unknown variable"
        );
        assert!(last_resort(b"<joe@example.org>: ").is_none());

        let n = notice("Delivery deferred by system filter");
        assert_eq!(n.kind, SystemKind::FilterDeferred);
        assert!(n.detail.is_none());
        assert!(last_resort(b"Delivery deferred by system filter today").is_none());
    }

    /// One line per class, with the values Exim writes; `detail` is the
    /// whole text, `host.ip` the `[peer]` of tls-openssl.c's lines.
    #[test]
    fn classes() {
        let cases: &[(&str, SystemKind, Option<&str>)] = &[
            (
                "Tainted filename for search: '/etc/exim4/lists/joe'",
                SystemKind::Taint,
                None,
            ),
            (
                "tainted search query is not properly quoted (router r1, /etc/exim4/exim4.conf 69): select 1",
                SystemKind::Taint,
                None,
            ),
            (
                "attempt to use tainted value '/tmp/x' from '$local_part' for transport",
                SystemKind::Taint,
                None,
            ),
            (
                "bounce_message_file is not untainted after expansion: '/srv/x'",
                SystemKind::Taint,
                None,
            ),
            (
                "DMARC failure to load tld list '/etc/exim4/tld.txt': No such file or directory",
                SystemKind::Dmarc,
                None,
            ),
            (
                "failure to write to DMARC history file: /var/spool/exim4/dmarc.hist",
                SystemKind::Dmarc,
                None,
            ),
            (
                "fork of delivery process from queue runner 4242 failed",
                SystemKind::Internal,
                None,
            ),
            (
                "daemon: fork of queue-runner process failed: Resource temporarily unavailable",
                SystemKind::Internal,
                None,
            ),
            (
                "Spool error for 1rAbCd-000123-AB: Permission denied",
                SystemKind::Internal,
                None,
            ),
            (
                "IPv6 socket creation failed: Address family not supported by protocol",
                SystemKind::Internal,
                None,
            ),
            ("SEGV_MAPERR", SystemKind::Crash, None),
        ];
        for (text, kind, ip) in cases {
            let n = notice(text);
            assert_eq!(n.kind, *kind, "{text}");
            assert_eq!(n.detail.unwrap(), *text, "{text}");
            assert_eq!(ip_of(&n.peer).as_deref(), *ip, "{text}");
        }
    }

    /// The TLS and OCSP texts join `tls_error` (session::tls_notice): the
    /// `[peer] ...` ones with the peer's address and the text after it, the
    /// others whole.
    #[test]
    fn tls_texts() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                "[192.0.2.9] SSL verify error (during S-verify for [192.0.2.9]): depth=0 error=certificate has expired cert=/CN=mx.example.net",
                Some("192.0.2.9"),
                "SSL verify error (during S-verify for [192.0.2.9]): depth=0 error=certificate has expired cert=/CN=mx.example.net",
            ),
            (
                "[2001:db8::25] after QUIT, client reset TCP before SMTP response and TLS close",
                Some("2001:db8::25"),
                "after QUIT, client reset TCP before SMTP response and TLS close",
            ),
            (
                "[192.0.2.9] SSL verify denied by event-action: depth=1 cert=/CN=x: no",
                Some("192.0.2.9"),
                "SSL verify denied by event-action: depth=1 cert=/CN=x: no",
            ),
            (
                "TLS error (SSL_read): error:0A000126:SSL routines::unexpected eof while reading",
                None,
                "TLS error (SSL_read): error:0A000126:SSL routines::unexpected eof while reading",
            ),
            (
                "Server certificate status unknown, in OCSP stapling",
                None,
                "Server certificate status unknown, in OCSP stapling",
            ),
            (
                "Failed to open OCSP response file \"/etc/exim4/ocsp.der\": No such file or directory",
                None,
                "Failed to open OCSP response file \"/etc/exim4/ocsp.der\": No such file or directory",
            ),
        ];
        for (text, ip, reason) in cases {
            let Some(Event::TlsError(s)) = last_resort(text.as_bytes()) else {
                panic!("{text}");
            };
            assert_eq!(s.reason.unwrap(), *reason, "{text}");
            assert_eq!(ip_of(&s.peer).as_deref(), *ip, "{text}");
        }
    }

    /// Expansion failures join `expansion_failed`; text that is none of
    /// Exim's is still unknown.
    #[test]
    fn expansions_and_misses() {
        for text in [
            "Expansion of \"${if\" (smtp_banner) failed: unknown condition",
            "expansion of smtp_accept_max_per_host failed for 192.0.2.1: bad",
        ] {
            let Some(Event::ExpansionFailed(n)) = last_resort(text.as_bytes()) else {
                panic!("{text}");
            };
            assert_eq!(n.reason.unwrap(), text);
        }
        for text in [
            "[192.0.2.9] hello there",
            "[192.0.2.9 SSL verify error: x",
            "the DMARC policy is fine",
            "something untold",
            "Tainting is fine",
            "",
        ] {
            assert!(last_resort(text.as_bytes()).is_none(), "{text}");
        }
    }
}

#[cfg(test)]
mod keyword_tests {
    use super::*;

    /// The kind a whole line body gets through the dispatch of `other`.
    fn kind(text: &str) -> &'static str {
        let mut e = Event::Unknown;
        crate::parse::other::event_into(text.as_bytes(), &mut e);
        e.name()
    }

    /// Lines whose first word is one of `keyword`'s but whose next words are
    /// not that notice's: each is what Exim means by it (the source named),
    /// not the keyword's event.
    #[test]
    fn keyword_words_need_their_phrase() {
        let cases = [
            // deliver.c LOG_MAIN|LOG_PANIC: a failed system call, not an expansion.
            (
                "failed to fsync journal: Input/output error",
                "system_notice",
            ),
            // acl.c: an expansion.
            (
                "failed to expand ACL message \"$acl_m1\": unknown variable name \"acl_m1\"",
                "expansion_failed",
            ),
            // readconf.c log_write_die(LOG_MAIN): not a configuration syntax error.
            (
                "Exim configuration file /etc/exim/exim.conf has the wrong owner, group, or mode",
                "system_notice",
            ),
            // smtp_in.c LOG_MAIN|LOG_PANIC: a message set with a wrong SMTP code.
            (
                "configured error code starts with incorrect digit (expected 5) in \"450 go away\"",
                "config_error",
            ),
            // receive.c: the PRDR answer for one recipient.
            ("PRDR R=<a@b.example> refusal", "prdr"),
            // tls-openssl.c: a bare warning, no client block.
            (
                "Warning: No server certificate defined; will use a selfsigned one.",
                "warning",
            ),
            ("WARNING: something odd", "warning"),
        ];
        for (text, want) in cases {
            assert_eq!(kind(text), want, "{text}");
        }
        // The same first words with other text after them: no such notice.
        for text in [
            "original sin",
            "moved on",
            "DNS said no",
            "malware found",
            "configured nothing",
            "Exim is fine",
        ] {
            assert!(keyword(text.as_bytes()).is_none(), "{text}");
        }
        // receive.c writes `PRDR R=<%s> %s` with its own answer, or `PRDR %s
        // %s` with the PRDR ACL's log_message (or message) and the bare address.
        let prdr: &[(&str, &str, &str)] = &[
            (
                "PRDR R=<a@b.example> temporary refusal",
                "<a@b.example>",
                "temporary refusal",
            ),
            (
                "PRDR a@b.example content rejected for this recipient",
                "a@b.example",
                "content rejected for this recipient",
            ),
            (
                "PRDR \"a b\"@b.example no thanks",
                "\"a b\"@b.example",
                "no thanks",
            ),
            // An address that starts like the tag: only `R=<` is one.
            ("PRDR R=x@b.example spam", "R=x@b.example", "spam"),
        ];
        for (text, rcpt, result) in prdr {
            let Some(Event::Prdr(p)) = keyword(text.as_bytes()) else {
                panic!("{text}")
            };
            assert_eq!(
                (p.recipient.to_string(), p.result.to_string()),
                (rcpt.to_string(), result.to_string()),
                "{text}"
            );
        }
        for text in ["PRDR", "PRDR ", "PRDR a@b.example", "PRDR R=<a@b.example>"] {
            assert!(keyword(text.as_bytes()).is_none(), "{text}");
        }
        let Some(Event::ConfigError(n)) =
            keyword(b"configured error code starts with incorrect digit (expected 4) in \"550 x\"")
        else {
            panic!()
        };
        assert_eq!(
            n.reason.unwrap(),
            "configured error code starts with incorrect digit (expected 4) in \"550 x\""
        );
    }

    /// deliver.c `"%s%s%s%s: error ignored%s"`: the parent in `<>`, and
    /// `: RFC 3461 DSN, failure notify not requested` when the error is
    /// ignored for DSN rather than by configuration.
    #[test]
    fn error_ignored_reason() {
        let Some(Event::ErrorIgnored(e)) = address_line(
            b"bob@example.com <list@example.com>: error ignored: RFC 3461 DSN, failure notify not requested",
        ) else {
            panic!()
        };
        assert_eq!(e.address, "bob@example.com");
        assert_eq!(e.parent.unwrap(), "<list@example.com>");
        assert_eq!(
            e.reason.unwrap(),
            "RFC 3461 DSN, failure notify not requested"
        );
        let Some(Event::ErrorIgnored(e)) = address_line(b"bob@example.com: error ignored") else {
            panic!()
        };
        assert!(e.parent.is_none() && e.reason.is_none());
    }

    /// sa-exim.c writes `SA: <Kind>: ` with one word; a host block whose
    /// address is not an address belongs to the recipients' text.
    #[test]
    fn sa_exim_shapes() {
        for text in ["SA: : x", "SA: not a kind: x"] {
            assert!(sa_exim(text.as_bytes()).is_none(), "{text}");
        }
        // The status words are read after the action, however short it is.
        let Some(Event::SaExim(sa)) = sa_exim(
            b"SA: Action: x: score=7.5 required=5.0 (scanned in 1/1 secs | Message-Id: m@x.example). From <a@x.example> (local) for b@example.org",
        ) else {
            panic!()
        };
        assert_eq!(
            (sa.action.unwrap(), sa.score, sa.required),
            (Text::from("x"), Some(7.5), Some(5.0))
        );
        let Some(Event::SaExim(sa)) = sa_exim(
            b"SA: Action: permanently rejected message: hits=20.0 required=5.0 (scanned in 1/1 secs | Message-Id: m@x.example). From <a> (host=mx.x.example [192.0.2.7]) for x> (host=fake [not.an.ip]) for a@example.org",
        ) else {
            panic!()
        };
        assert_eq!(sa.sender.unwrap(), "a");
        let h = sa.host.unwrap();
        assert_eq!(
            (h.name.unwrap(), h.ip.unwrap()),
            (Text::from("mx.x.example"), Text::from("192.0.2.7"))
        );
        assert_eq!(
            sa.recipients.unwrap(),
            "x> (host=fake [not.an.ip]) for a@example.org"
        );
    }
}
