//! Message lines without a flag (spec §2 "Other message-level keywords"):
//! `Frozen`, `Unfrozen`, `removed by`, `cancelled by`, `Message is frozen`,
//! `Spool file ... is locked`, `no immediate delivery`, `error ignored`,
//! transport output, `DKIM:`, and address rewriting (`rewrite.c`).

use super::peer::word;
use crate::event::{
    AdminAction, AdminKind, Dkim, ErrorIgnored, Event, Note, Peer, PrdrResult, Rewrite,
    TransportOutput, Warning,
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
            let r = rest.strip_prefix(b"R=")?;
            let (rcpt, result) = word(r);
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
        match e {
            Event::Frozen(n)
            | Event::Unfrozen(n)
            | Event::Removed(n)
            | Event::Cancelled(n)
            | Event::MessageIsFrozen(n)
            | Event::SpoolLocked(n)
            | Event::NoImmediateDelivery(n) => (
                name,
                n.by.map(|t| t.to_string()),
                n.reason.map(|t| t.to_string()),
            ),
            other => panic!("{other:?}"),
        }
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
