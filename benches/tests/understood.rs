//! Every line the generator writes is a shape the library knows: `parse_line`
//! returns a specific event, never `Event::Unknown`, and the event matches the
//! kind told by plain byte checks; and the events, counted as a `summary` or
//! `spam-sources` program would, reproduce the generator's ground truth.
// Helpers outside #[test] fns are test code too: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use exim_log::{Event, Flag, parse_line};
use exim_log_benches::work::{Kind, lines};
use exim_log_benches::{Config, Truth, generate};

fn configs() -> Vec<Config> {
    let mut rich = Config::with_incidents(8, 300_000);
    rich.rich = true;
    rich.pid = true;
    rich.millisec = true;
    rich.utc_offset_minutes = Some(120);
    let mut old = Config::with_incidents(9, 300_000);
    old.id_format = exim_log::IdFormat::Old;
    vec![Config::with_incidents(7, 300_000), rich, old]
}

#[test]
fn no_generated_line_is_unknown() {
    for config in configs() {
        let (log, _) = generate(&config);
        for l in lines(&log) {
            let kind = Kind::of(l);
            let line = parse_line(l).unwrap();
            let text = String::from_utf8_lossy(l);
            assert!(!matches!(line.event, Event::Unknown), "unknown: {text}");
            let ok = match kind {
                Kind::Cwd => matches!(line.event, Event::Arguments(_)),
                Kind::Completed => matches!(line.event, Event::Completed(_)),
                Kind::Rejection => matches!(line.event, Event::Rejection(_)),
                Kind::Arrival => matches!(line.event, Event::Arrival(_)),
                Kind::Delivery => matches!(line.event, Event::Delivery(_)),
                Kind::Failure => matches!(line.event, Event::Failure(_)),
                Kind::Deferral => matches!(line.event, Event::Deferral(_)),
                _ => true,
            };
            assert!(ok, "{kind:?} parsed as {}: {text}", line.event.name());
        }
    }
}

fn bump(map: &mut BTreeMap<String, u64>, key: impl std::fmt::Display) {
    *map.entry(key.to_string()).or_insert(0) += 1;
}

/// The ground truth recomputed from parsed events: what a `summary` or
/// `spam-sources` program built on the library would report.
fn truth_from_events(log: &[u8]) -> Truth {
    let mut t = Truth::default();
    let mut last_script: Option<(Option<u32>, String)> = None;
    for l in lines(log) {
        let line = parse_line(l).unwrap();
        match &line.event {
            Event::Arrival(a) => {
                t.arrivals += 1;
                t.received_bytes += a.size.unwrap();
                let proto = a.protocol.map(|p| p.to_string()).unwrap_or_default();
                if a.sender == "<>" {
                    t.bounces += 1;
                    assert!(a.bounce_parent.is_some(), "bounce without R=");
                } else if let Some(auth) = a.auth {
                    t.arrivals_authenticated += 1;
                    bump(&mut t.per_login, auth.id.unwrap());
                } else if proto == "local" {
                    t.arrivals_local += 1;
                    bump(&mut t.per_user, a.user.unwrap());
                    // The script's cwd= line came just before, from the same process.
                    let (pid, cwd) = last_script.take().expect("cwd= before a local <=");
                    assert_eq!(pid, line.pid);
                    bump(&mut t.per_script, cwd);
                } else {
                    t.arrivals_remote += 1;
                }
            }
            Event::Delivery(d) => {
                match line.flag {
                    Some(Flag::Delivery) => t.deliveries += 1,
                    Some(Flag::Additional) => t.additional_deliveries += 1,
                    other => panic!("delivery flag {other:?}"),
                }
                if d.transport.unwrap() == "remote_smtp" {
                    t.deliveries_remote += 1;
                } else {
                    t.deliveries_local += 1;
                }
            }
            Event::Deferral(_) => t.deferrals += 1,
            Event::Failure(_) => t.failures += 1,
            Event::Completed(_) => t.completed += 1,
            Event::Frozen(_) => t.frozen += 1,
            Event::Arguments(a) => {
                t.arguments_lines += 1;
                let argv: Vec<String> = a.args.iter().map(|q| q.to_string_lossy()).collect();
                if argv.first().is_some_and(|a| a == "/usr/sbin/sendmail") {
                    last_script = Some((line.pid, a.cwd.to_string()));
                }
            }
            Event::Rejection(r) => {
                let ip = r.peer.ip().unwrap().to_string();
                if r.recipient.is_some() {
                    t.rejected_rcpt += 1;
                    // cPanel's ACL text, not Exim's default dnslists message, so
                    // `Reject::dnslist_domain` (default message only) does not apply.
                    let reason = r.reason.unwrap().as_bytes();
                    if memchr::memmem::find(reason, b" is in an RBL: ").is_some() {
                        t.rbl_rejections += 1;
                        bump(&mut t.rbl_hosts, ip);
                    } else if r.reason.is_some_and(|x| x == "Unknown user") {
                        t.unknown_user_rejections += 1;
                        bump(&mut t.dictionary_attacks, ip);
                    }
                } else {
                    t.helo_rejections += 1;
                }
            }
            Event::AuthFailed(f) => {
                t.auth_failures += 1;
                bump(&mut t.auth_failure_hosts, f.peer.ip().unwrap());
            }
            _ => {}
        }
    }
    t
}

#[test]
fn parsed_events_reproduce_the_ground_truth() {
    for config in configs() {
        let (log, want) = generate(&config);
        let got = truth_from_events(&log);
        let pairs = [
            ("arrivals", got.arrivals, want.arrivals),
            ("arrivals_remote", got.arrivals_remote, want.arrivals_remote),
            ("arrivals_local", got.arrivals_local, want.arrivals_local),
            (
                "arrivals_authenticated",
                got.arrivals_authenticated,
                want.arrivals_authenticated,
            ),
            ("bounces", got.bounces, want.bounces),
            ("received_bytes", got.received_bytes, want.received_bytes),
            ("deliveries", got.deliveries, want.deliveries),
            (
                "additional_deliveries",
                got.additional_deliveries,
                want.additional_deliveries,
            ),
            (
                "deliveries_local",
                got.deliveries_local,
                want.deliveries_local,
            ),
            (
                "deliveries_remote",
                got.deliveries_remote,
                want.deliveries_remote,
            ),
            ("deferrals", got.deferrals, want.deferrals),
            ("failures", got.failures, want.failures),
            ("completed", got.completed, want.completed),
            ("frozen", got.frozen, want.frozen),
            ("arguments_lines", got.arguments_lines, want.arguments_lines),
            ("rejected_rcpt", got.rejected_rcpt, want.rejected_rcpt),
            (
                "unknown_user_rejections",
                got.unknown_user_rejections,
                want.unknown_user_rejections,
            ),
            ("rbl_rejections", got.rbl_rejections, want.rbl_rejections),
            ("helo_rejections", got.helo_rejections, want.helo_rejections),
            ("auth_failures", got.auth_failures, want.auth_failures),
        ];
        for (name, g, w) in pairs {
            assert_eq!(g, w, "{name} ({config:?})");
        }
        assert_eq!(got.per_script, want.per_script);
        assert_eq!(got.per_user, want.per_user);
        assert_eq!(got.per_login, want.per_login);
        assert_eq!(got.dictionary_attacks, want.dictionary_attacks);
        assert_eq!(got.rbl_hosts, want.rbl_hosts);
        assert_eq!(got.auth_failure_hosts, want.auth_failure_hosts);
    }
}

#[test]
fn subjects_decode_to_what_was_written() {
    use exim_log_benches::{SPAM_SUBJECTS, SUBJECTS};
    let (log, _) = generate(&Config::with_incidents(12, 300_000));
    let mut seen = std::collections::BTreeSet::new();
    for l in lines(&log) {
        let line = parse_line(l).unwrap();
        let Event::Arrival(a) = &line.event else {
            continue;
        };
        let Some(subject) = a.subject else { continue };
        let decoded = subject.decode().into_owned();
        assert!(
            SUBJECTS.contains(&decoded.as_slice()) || SPAM_SUBJECTS.contains(&decoded.as_slice()),
            "{:?} from {}",
            String::from_utf8_lossy(&decoded),
            String::from_utf8_lossy(l)
        );
        seen.insert(decoded);
    }
    // The escapes were exercised: quotes, backslashes, a newline, 8-bit bytes.
    for s in [
        &b"Fwd: \"Quarterly report\" draft"[..],
        b"Backup path C:\\Users\\admin\\Desktop",
        b"R\xe9sum\xe9 attached",
    ] {
        assert!(seen.contains(s), "{}", String::from_utf8_lossy(s));
    }
}
