//! Message lines with a flag (`<=`, `(=`, `=>`, `->`, `>>`, `*>`, `**`, `==`) and
//! `Completed` (spec §2-§4). The fields are parsed in [`super::arrival`] and
//! [`super::delivery`].

use super::arrival::arrival_into;
use super::delivery::delivery_into;
use crate::duration::LogDuration;
use crate::event::{Arrival, Completed, Delivery, Event, Flag};

/// Parses a flagged message line body, or `Completed`. `None` when it is
/// neither, so the caller can try the unflagged shapes (`Frozen`, ...).
#[cfg(test)]
pub(crate) fn flagged(text: &[u8]) -> Option<(Option<Flag>, Event<'_>)> {
    let mut flag = None;
    let mut event = Event::Unknown;
    flagged_into(text, &mut flag, &mut event).then_some((flag, event))
}

/// [`flagged`], writing into `flag` and `event` (which must be `None` and
/// [`Event::Unknown`]) and returning whether the line was one. The event is
/// built where it lies: returning it by value through the callers copied its
/// several hundred bytes twice per line (callgrind; the count is in benches/README.md).
#[inline]
pub(crate) fn flagged_into<'a>(
    text: &'a [u8],
    flag: &mut Option<Flag>,
    event: &mut Event<'a>,
) -> bool {
    if let Some(rest) = text.strip_prefix(b"Completed") {
        let queue_time = rest.strip_prefix(b" QT=").and_then(LogDuration::parse);
        if rest.is_empty() || queue_time.is_some() {
            *event = Event::Completed(Completed { queue_time });
            return true;
        }
        return false;
    }
    let Some(f) = text.get(..2).and_then(Flag::from_bytes) else {
        return false;
    };
    // The flag is a token of its own: `<= sender`, or a bare flag at the end.
    let body = match text.get(2..) {
        Some([]) => &[][..],
        Some([b' ', body @ ..]) => body,
        _ => return false,
    };
    *flag = Some(f);
    match f {
        Flag::Arrival | Flag::FakeReject => {
            *event = Event::Arrival(Arrival::default());
            if let Event::Arrival(a) = event {
                arrival_into(a, body);
            }
        }
        _ => {
            *event = match f {
                Flag::Failure => Event::Failure(Delivery::default()),
                Flag::Deferral => Event::Deferral(Delivery::default()),
                _ => Event::Delivery(Delivery::default()),
            };
            if let Event::Failure(d) | Event::Deferral(d) | Event::Delivery(d) = event {
                delivery_into(d, f, body);
            }
        }
    }
    true
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
    fn every_truncation_and_splice_parses() {
        // No panic and no lost flag, whatever byte a line is cut at (buffer
        // overflow, torn writes) or whichever two lines run together.
        let lines: [&[u8]; 6] = [
            br#"<= "a b"@example.com DS H=mx.example.com (helo [x]) [192.0.2.1]:25 I=[192.0.2.2]:25 U=a b P=esmtpsa X=TLS1.3:C:256* CV=yes DN="/CN=a "b"" A=p:u:s@x S=10 id=x@y T="a "b" \" from <c@d> for e@f "g h"@i"#,
            br#"=> |/bin/prog a b (p@x, q@y) <o@z> F=<s@x> P=<r@x> R=r T=t S=1 H=mx DS [192.0.2.1]:25* PRX=[192.0.2.3]:1080 ST=sh (err) C="250 "ok\" QT=1s DT=2s"#,
            br#"== a@b <c@d> routing defer (-52): retry time not reached"#,
            br#"== a@b R=r T=t defer (-44) H=mx [192.0.2.1]:25 DT=1s: SMTP error: 451 x"#,
            br#"** a@b (p) <c@d>: retry timeout exceeded"#,
            br#"** a@b R=r T=t H=mx [192.0.2.1]* : SMTP error from remote mail server after RCPT TO:<a@b>: 550 no DT=3s"#,
        ];
        for line in lines {
            for cut in 0..=line.len() {
                let part = line.get(..cut).unwrap_or_default();
                if let Some((flag, event)) = flagged(part) {
                    assert!(flag.is_some());
                    assert_ne!(event.name(), "unknown");
                }
            }
            for other in lines {
                let mut joined = line.to_vec();
                joined.extend_from_slice(other);
                assert!(flagged(&joined).is_some());
            }
        }
    }

    /// A line cut right after its flag (a torn write, a full disk) keeps the
    /// flag and its kind.
    #[test]
    fn bare_flag_at_the_end() {
        for (body, name) in [
            ("<=", "arrival"),
            ("(=", "arrival"),
            ("=>", "delivery"),
            ("**", "failure"),
            ("==", "deferral"),
        ] {
            let (f, e) = flagged(body.as_bytes()).unwrap_or_else(|| panic!("{body}"));
            assert_eq!(f.map(|f| f.as_str()), Some(body), "{body}");
            assert_eq!(e.name(), name, "{body}");
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
