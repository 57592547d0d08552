//! Message lines with a flag (`<=`, `(=`, `=>`, `->`, `>>`, `*>`, `**`, `==`) and
//! `Completed` (spec §2-§4). The fields are parsed in [`super::arrival`] and
//! [`super::delivery`].

use super::arrival::arrival;
use super::delivery::delivery;
use crate::duration::LogDuration;
use crate::event::{Completed, Event, Flag};

/// Parses a flagged message line body, or `Completed`. `None` when it is
/// neither, so the caller can try the unflagged shapes (`Frozen`, ...).
#[inline]
pub(crate) fn flagged(text: &[u8]) -> Option<(Option<Flag>, Event<'_>)> {
    if let Some(rest) = text.strip_prefix(b"Completed") {
        let queue_time = rest.strip_prefix(b" QT=").and_then(LogDuration::parse);
        if rest.is_empty() || queue_time.is_some() {
            return Some((None, Event::Completed(Completed { queue_time })));
        }
        return None;
    }
    let flag = Flag::from_bytes(text.get(..2)?)?;
    // The flag is a token of its own: `<= sender`, or a bare flag at the end.
    let body = match text.get(2..) {
        Some([]) => &[][..],
        Some([b' ', body @ ..]) => body,
        _ => return None,
    };
    let event = match flag {
        Flag::Arrival | Flag::FakeReject => Event::Arrival(arrival(body)),
        Flag::Failure => Event::Failure(delivery(flag, body)),
        Flag::Deferral => Event::Deferral(delivery(flag, body)),
        _ => Event::Delivery(delivery(flag, body)),
    };
    Some((Some(flag), event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_by_flag() {
        // body, flag, event name
        let cases = [
            ("<= a@example.com U=a P=local S=1", Some("<="), "arrival"),
            (
                "(= a@example.com H=(x) [10.0.0.1] P=esmtp S=1",
                Some("(="),
                "arrival",
            ),
            ("=> a@example.com R=r T=t", Some("=>"), "delivery"),
            ("-> b@example.com R=r T=t", Some("->"), "delivery"),
            (">> b@example.com R=r T=t", Some(">>"), "delivery"),
            ("*> b@example.com R=r T=t", Some("*>"), "delivery"),
            (
                "== b@example.com R=r defer (-1): no",
                Some("=="),
                "deferral",
            ),
            (
                "** b@example.com : Unrouteable address",
                Some("**"),
                "failure",
            ),
            (
                "=> blackhole (RCPT ACL discarded recipients)",
                Some("=>"),
                "delivery",
            ),
            ("Completed", None, "completed"),
            ("Completed QT=1s", None, "completed"),
        ];
        for (body, flag, name) in cases {
            let (f, e) = flagged(body.as_bytes()).unwrap_or_else(|| panic!("{body}"));
            assert_eq!(f.map(|f| f.as_str()), flag, "{body}");
            assert_eq!(e.name(), name, "{body}");
        }
    }

    #[test]
    fn not_flagged() {
        for body in [
            "Frozen",
            "Completed later",
            "<=x",
            "Message is frozen",
            "",
            "=",
        ] {
            assert!(flagged(body.as_bytes()).is_none(), "{body}");
        }
    }

    #[test]
    fn completed_queue_time() {
        let (_, e) = flagged(b"Completed QT=3m45s").unwrap();
        assert_eq!(
            e,
            Event::Completed(Completed {
                queue_time: Some(LogDuration::from_millis(225_000))
            })
        );
    }
}
