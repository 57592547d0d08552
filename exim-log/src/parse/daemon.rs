//! Daemon start and queue-run lines (spec §10 "daemon start", "queue run";
//! `daemon.c`, `queue.c queue_run`).

use super::peer::{number, word};
use crate::event::{DaemonSignal, DaemonStart, Event, QueuePhase, QueueRun};
use crate::text::Text;

/// `pid=N` up to `,` or space; the number is `None` for a non-decimal value
/// (the test suite writes `pid=p1234`).
fn pid(i: &[u8]) -> Option<(Option<u32>, &[u8])> {
    let v = i.strip_prefix(b"pid=")?;
    let end = v
        .iter()
        .position(|b| matches!(b, b',' | b' '))
        .unwrap_or(v.len());
    let (n, rest) = v.split_at(end);
    (!n.is_empty()).then(|| (number(n), rest))
}

/// Parses the text after `exim `: `<version> daemon started: pid=N[, rest]`,
/// or `<version> daemon terminating, <why>` (daemon.c, inetd wait mode).
pub(crate) fn daemon_started(i: &[u8]) -> Option<Event<'_>> {
    let (version, rest) = word(i);
    if let Some(why) = rest.strip_prefix(b" daemon terminating") {
        let why = why.strip_prefix(b", ").unwrap_or(why);
        return Some(Event::DaemonStopped(crate::event::Note {
            by: Some(Text::new(version)),
            reason: (!why.is_empty()).then(|| Text::new(why)),
        }));
    }
    let rest = rest.strip_prefix(b" daemon started: ")?;
    let (pid, rest) = pid(rest)?;
    let detail = rest
        .strip_prefix(b", ")
        .filter(|d| !d.is_empty())
        .map(Text::new);
    Some(Event::DaemonStarted(DaemonStart {
        version: Text::new(version),
        pid,
        detail,
    }))
}

/// Parses the text after `pid `: `N: SIGHUP received: re-exec daemon`.
pub(crate) fn signal(i: &[u8]) -> Option<Event<'_>> {
    let colon = memchr::memchr(b':', i)?;
    let (n, rest) = i.split_at(colon);
    let detail = rest.strip_prefix(b": ")?;
    if n.is_empty() || n.contains(&b' ') {
        return None;
    }
    Some(Event::DaemonSignal(DaemonSignal {
        pid: number(n),
        detail: Text::new(detail),
    }))
}

/// Parses `Start|End|Abandon [ODMR ]['name' ]queue run: pid=N[ options]`.
pub(crate) fn queue_run(i: &[u8]) -> Option<Event<'_>> {
    let (phase, mut rest) = if let Some(r) = i.strip_prefix(b"Start ") {
        (QueuePhase::Start, r)
    } else if let Some(r) = i.strip_prefix(b"End ") {
        (QueuePhase::End, r)
    } else {
        (QueuePhase::Abandon, i.strip_prefix(b"Abandon ")?)
    };
    let odmr = match rest.strip_prefix(b"ODMR ") {
        Some(r) => {
            rest = r;
            true
        }
        None => false,
    };
    let mut queue = None;
    if let Some(r) = rest.strip_prefix(b"'") {
        let q = super::peer::find(r, b"' ")?;
        queue = r.get(..q).map(Text::new);
        rest = r.get(q + 2..)?;
    }
    let rest = rest.strip_prefix(b"queue run: ")?;
    let (pid, rest) = pid(rest)?;
    let options = rest
        .strip_prefix(b" ")
        .or_else(|| rest.strip_prefix(b", "))
        .filter(|o| !o.is_empty())
        .map(Text::new);
    Some(Event::QueueRun(QueueRun {
        phase,
        queue,
        odmr,
        pid,
        options,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_started_table() {
        type Want<'s> = (&'s str, Option<u32>, Option<&'s str>);
        let cases: &[(&str, Want)] = &[
            (
                "4.97 daemon started: pid=1234, -q30m, listening for SMTP on port 25 (IPv6 and IPv4)",
                (
                    "4.97",
                    Some(1234),
                    Some("-q30m, listening for SMTP on port 25 (IPv6 and IPv4)"),
                ),
            ),
            (
                "4.98.1 daemon started: pid=77, no queue runs, not listening for SMTP",
                (
                    "4.98.1",
                    Some(77),
                    Some("no queue runs, not listening for SMTP"),
                ),
            ),
            ("4.96 daemon started: pid=x9", ("4.96", None, None)),
        ];
        for (input, (v, p, d)) in cases {
            let Some(Event::DaemonStarted(e)) = daemon_started(input.as_bytes()) else {
                panic!("{input}");
            };
            assert_eq!((e.version.to_string().as_str(), e.pid), (*v, *p), "{input}");
            assert_eq!(e.detail.map(|t| t.to_string()).as_deref(), *d, "{input}");
        }
        assert!(daemon_started(b"4.97 shutting down").is_none());
    }

    /// daemon.c: `exim %s daemon terminating, inetd wait timeout reached.`
    #[test]
    fn daemon_terminating() {
        let Some(Event::DaemonStopped(n)) =
            daemon_started(b"4.96 daemon terminating, inetd wait timeout reached.")
        else {
            panic!()
        };
        assert_eq!(n.by.unwrap(), "4.96");
        assert_eq!(n.reason.unwrap(), "inetd wait timeout reached.");
        let Some(Event::DaemonStopped(n)) = daemon_started(b"4.96 daemon terminating") else {
            panic!()
        };
        assert!(n.reason.is_none());
    }

    #[test]
    fn daemon_signal() {
        let Some(Event::DaemonSignal(s)) = signal(b"4711: SIGHUP received: re-exec daemon") else {
            panic!()
        };
        assert_eq!(
            (s.pid, s.detail),
            (Some(4711), Text::from("SIGHUP received: re-exec daemon"))
        );
        assert!(signal(b"is 5").is_none());
        // daemon.c writes `pid %ld: `: a number, nothing else before the `:`.
        assert!(signal(b": SIGHUP received").is_none());
        assert!(signal(b"4711 x: SIGHUP received").is_none());
    }

    #[test]
    fn queue_run_table() {
        // input, (phase, queue, odmr, pid, options)
        type Want<'s> = (
            QueuePhase,
            Option<&'s str>,
            bool,
            Option<u32>,
            Option<&'s str>,
        );
        let cases: &[(&str, Want)] = &[
            (
                "Start queue run: pid=4242",
                (QueuePhase::Start, None, false, Some(4242), None),
            ),
            (
                "End queue run: pid=4242 -qff",
                (QueuePhase::End, None, false, Some(4242), Some("-qff")),
            ),
            (
                "Start 'bulk' queue run: pid=9 -R example.com",
                (
                    QueuePhase::Start,
                    Some("bulk"),
                    false,
                    Some(9),
                    Some("-R example.com"),
                ),
            ),
            (
                "Start ODMR 'odmr q' queue run: pid=12 -qq",
                (
                    QueuePhase::Start,
                    Some("odmr q"),
                    true,
                    Some(12),
                    Some("-qq"),
                ),
            ),
            (
                "Abandon queue run: pid=5 (load 9.10, max 8.00)",
                (
                    QueuePhase::Abandon,
                    None,
                    false,
                    Some(5),
                    Some("(load 9.10, max 8.00)"),
                ),
            ),
        ];
        for (input, want) in cases {
            let Some(Event::QueueRun(q)) = queue_run(input.as_bytes()) else {
                panic!("{input}");
            };
            let got = (
                q.phase,
                q.queue.map(|t| t.to_string()),
                q.odmr,
                q.pid,
                q.options.map(|t| t.to_string()),
            );
            let want = (
                want.0,
                want.1.map(String::from),
                want.2,
                want.3,
                want.4.map(String::from),
            );
            assert_eq!(got, want, "{input}");
        }
        assert!(queue_run(b"Start the engines").is_none());
    }
}
