//! The linking rules, fed with facts directly so they are tested apart from
//! the line parser (tests/assemble.rs runs them on full log lines).
use super::assembler::{ArgsFacts, ArrivalFacts, Clock, Facts, Kind, is_submission, next_hop_id};
use super::line::ArgsSpans;
use super::*;
use crate::event::Arguments;
use crate::reader::{Position, Record};

const T: i64 = 1_795_600_000;
const A: &str = "1sAoM5-00000009r3p-06vq";
const B: &str = "1sAoM6-0000000AAAA-0000";

fn rec(line: u64) -> Record {
    Record::new(
        format!("line {line}").into_bytes(),
        Position::new(line, line * 100),
    )
}

fn args(asm: &mut Assembler, line: u64, time: i64, pid: Option<u32>, named: &[&str]) {
    let a = ArgsFacts {
        time,
        pid,
        named: named
            .iter()
            .filter_map(|s| crate::message_id::IdBuf::new(s.as_bytes()))
            .collect(),
        submission: true,
        batch: false,
        spans: ArgsSpans::NONE,
        delivery: false,
    };
    asm.push_classified(rec(line), Kind::Arguments(a));
}

fn line(asm: &mut Assembler, line: u64, id: &str, time: i64, pid: Option<u32>) -> Facts {
    let _ = (asm, line);
    Facts {
        id: crate::message_id::IdBuf::new(id.as_bytes()).unwrap_or_default(),
        line: super::line::LineFacts::other(),
        time,
        timestamp: None,
        queue_time: None,
        pid,
        arrival: None,
        next_hop: None,
        completed: false,
    }
}

fn arrival(asm: &mut Assembler, n: u64, id: &str, time: i64, pid: Option<u32>, local: bool) {
    let mut f = line(asm, n, id, time, pid);
    f.arrival = Some(ArrivalFacts {
        local,
        bounce_parent: None,
        received: true,
    });
    asm.push_classified(rec(n), Kind::Message(f));
}

fn drain(asm: &mut Assembler) -> Vec<Assembled> {
    asm.finish();
    std::iter::from_fn(|| asm.pop()).collect()
}

fn message(out: &[Assembled], id: &str) -> Message {
    out.iter()
        .find_map(|a| match a {
            Assembled::Message(m) if m.id().as_str() == id => Some(m.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no message {id}"))
}

fn links(m: &Message) -> Vec<(u64, Link)> {
    m.arguments
        .iter()
        .map(|a| (a.record.position().line, a.link))
        .collect()
}

#[test]
fn pid_links_to_latest_args_line_of_that_pid() {
    let mut asm = Assembler::new();
    args(&mut asm, 1, T, Some(100), &[]);
    args(&mut asm, 2, T, Some(200), &[]);
    args(&mut asm, 3, T + 5, Some(100), &[]);
    arrival(&mut asm, 4, A, T + 9, Some(100), true);
    // A remote arrival by pid too (inetd `-bs` logs args, then `H=` arrivals).
    arrival(&mut asm, 5, B, T + 9, Some(200), false);
    let out = drain(&mut asm);
    assert_eq!(links(&message(&out, A)), [(3, Link::Pid)]);
    assert_eq!(links(&message(&out, B)), [(2, Link::Pid)]);
}

#[test]
fn pid_link_has_a_maximum_age() {
    let mut asm = Assembler::with_options(AssemblerOptions::default().pid_max_age(60));
    args(&mut asm, 1, T, Some(100), &[]);
    arrival(&mut asm, 2, A, T + 61, Some(100), true);
    let out = drain(&mut asm);
    assert!(message(&out, A).arguments.is_empty());
    // The expired args line is still emitted.
    assert!(matches!(&out[0], Assembled::Line(r) if r.position().line == 1));
}

#[test]
fn adjacency_links_nearest_preceding_local_submission_once() {
    let mut asm = Assembler::new();
    args(&mut asm, 10, T, None, &[]);
    arrival(&mut asm, 12, A, T + 1, None, true);
    arrival(&mut asm, 13, B, T + 1, None, true);
    let out = drain(&mut asm);
    assert_eq!(
        links(&message(&out, A)),
        [(10, Link::Adjacent { ambiguous: false })]
    );
    assert!(message(&out, B).arguments.is_empty(), "args line used once");
}

#[test]
fn adjacency_marks_ambiguous_candidates() {
    let mut asm = Assembler::new();
    args(&mut asm, 10, T, None, &[]);
    args(&mut asm, 11, T, None, &[]);
    arrival(&mut asm, 12, A, T, None, true);
    let out = drain(&mut asm);
    assert_eq!(
        links(&message(&out, A)),
        [(11, Link::Adjacent { ambiguous: true })]
    );
}

#[test]
fn adjacency_window_and_locality() {
    // (args line, args time, arrival line, arrival time, local, linked?)
    let cases = [
        (10, T, 21, T, true, true),      // 10 lines between: at the limit
        (10, T, 22, T, true, false),     // 11 lines between
        (10, T, 11, T + 2, true, false), // 2 seconds later
        (10, T, 11, T - 1, true, false), // args line logged after the arrival
        (10, T, 11, T, false, false),    // remote arrival (H=)
    ];
    for (al, at, rl, rt, local, want) in cases {
        let mut asm = Assembler::new();
        args(&mut asm, al, at, None, &[]);
        arrival(&mut asm, rl, A, rt, None, local);
        let out = drain(&mut asm);
        assert_eq!(
            !message(&out, A).arguments.is_empty(),
            want,
            "{al} {at} {rl} {rt} {local}"
        );
    }
}

#[test]
fn args_with_pid_are_not_used_by_adjacency() {
    let mut asm = Assembler::new();
    args(&mut asm, 1, T, Some(7), &[]);
    arrival(&mut asm, 2, A, T, None, true);
    assert!(message(&drain(&mut asm), A).arguments.is_empty());
}

#[test]
fn named_id_links_even_after_the_arrival() {
    let mut asm = Assembler::new();
    arrival(&mut asm, 1, A, T, None, true);
    args(&mut asm, 2, T + 9, None, &[A]);
    let out = drain(&mut asm);
    let m = message(&out, A);
    assert_eq!(links(&m), [(2, Link::NamedId)]);
    // "line 2" is not a `-Mc` args line, so it is no submission.
    assert!(m.submission().is_none());
}

#[test]
fn named_id_without_lines_is_a_message_of_its_arguments() {
    // `exim -Mc ID` for a message whose lines are in an older log: the
    // process that named it is kept, as a message with no lines of its own.
    let mut asm = Assembler::new();
    args(&mut asm, 1, T, None, &[A]);
    let out = drain(&mut asm);
    let m = message(&out, A);
    assert!(m.lines.is_empty());
    assert_eq!(links(&m), [(1, Link::NamedId)]);
}

#[test]
fn bounce_links_both_ways() {
    let mut asm = Assembler::new();
    arrival(&mut asm, 1, A, T, None, false);
    let mut f = line(&mut asm, 2, B, T, None);
    f.arrival = Some(ArrivalFacts {
        local: true,
        bounce_parent: Some(A.to_string()),
        received: true,
    });
    asm.push_classified(rec(2), Kind::Message(f));
    let out = drain(&mut asm);
    assert_eq!(message(&out, B).bounce_parent.as_deref(), Some(A));
    assert_eq!(message(&out, A).bounces, [B]);
}

#[test]
fn completed_emits_and_cap_evicts_oldest() {
    let mut asm = Assembler::with_options(AssemblerOptions::default().max_in_flight(2));
    let ids = [A, B, "1sAoM7-0000000CCCC-0000"];
    for (i, id) in ids.iter().enumerate() {
        arrival(&mut asm, i as u64 + 1, id, T, None, false);
        assert!(asm.in_flight() <= 2);
    }
    let mut done = line(&mut asm, 9, B, T, None);
    done.completed = true;
    asm.push_classified(rec(9), Kind::Message(done));
    let out: Vec<(String, Status)> = drain(&mut asm)
        .into_iter()
        .filter_map(|a| match a {
            Assembled::Message(m) => Some((m.id().as_str().to_string(), m.status)),
            Assembled::Line(_) => None,
        })
        .collect();
    assert_eq!(
        out,
        [
            (A.to_string(), Status::Evicted),
            (B.to_string(), Status::Completed),
            (ids[2].to_string(), Status::EndOfInput),
        ]
    );
}

#[test]
fn eviction_skips_messages_gone_and_the_order_list_stays_small() {
    let mut asm = Assembler::with_options(AssemblerOptions::default().max_in_flight(3));
    let id = |i: u64| format!("1sAoM7-{i:011}-0000");
    // A stays in flight while a thousand messages arrive and complete.
    arrival(&mut asm, 1, A, T, None, false);
    for i in 0..1000 {
        arrival(&mut asm, 2 * i + 2, &id(i), T, None, false);
        let mut done = line(&mut asm, 2 * i + 3, &id(i), T, None);
        done.completed = true;
        asm.push_classified(rec(2 * i + 3), Kind::Message(done));
        // About twice the table plus 64 (without compaction: i + 2).
        assert!(asm.order_len() <= 2 * asm.in_flight() + 66, "at {i}");
    }
    // Then B, an id used again after its Completed, and two more: each
    // arrival past the cap evicts the oldest message still in flight.
    arrival(&mut asm, 3000, B, T, None, false);
    arrival(&mut asm, 3001, &id(5), T, None, false);
    arrival(&mut asm, 3002, &id(1000), T, None, false);
    arrival(&mut asm, 3003, &id(1001), T, None, false);
    let evicted = evicted_ids(&mut asm);
    assert_eq!(evicted, [A.to_string(), B.to_string()]);
}

#[test]
fn the_order_list_is_compacted_after_many_messages_complete_between_two_arrivals() {
    // The list is compacted only when a message is looked up (an arrival or
    // another line of it); a `Completed` line takes its message out of the
    // table without that. So 101 messages completed one after another leave
    // 101 stale entries and none in flight: 101 > 2 * 0 + 64, and the next
    // arrival must compact the list, although the count never passed
    // through the threshold exactly (each completion moves it by two).
    let mut asm = Assembler::new();
    let id = |i: u64| format!("1sAoM7-{i:011}-0000");
    for i in 0..101 {
        arrival(&mut asm, i + 1, &id(i), T, None, false);
    }
    for i in 0..101 {
        let mut done = line(&mut asm, 200 + i, &id(i), T, None);
        done.completed = true;
        asm.push_classified(rec(200 + i), Kind::Message(done));
    }
    assert_eq!((asm.in_flight(), asm.order_len()), (0, 101));
    arrival(&mut asm, 400, A, T, None, false);
    assert_eq!((asm.in_flight(), asm.order_len()), (1, 1));
}

#[test]
fn submissions_are_told_from_other_invocations() {
    let cases = [
        ("/usr/sbin/sendmail -t -i", true),
        (
            "/usr/sbin/sendmail -i -f www@example.com -- user@example.org",
            true,
        ),
        ("/usr/sbin/exim -odi user@example.org", true),
        ("/usr/sbin/exim -bs", true),
        ("/usr/sbin/exim -bd -q30m", false),
        ("/usr/sbin/exim -q", false),
        ("/usr/sbin/exim -Mc 1sAoM5-00000009r3p-06vq", false),
        ("/usr/sbin/exim -bpc", false),
        ("/usr/sbin/exim -bt user@example.org", false),
        ("/usr/sbin/exim", false),
    ];
    for (argv, want) in cases {
        let a = Arguments {
            cwd: crate::text::Text::from("/home/u"),
            argc: 0,
            args: crate::event::ArgList::new(crate::text::Text::from(argv)),
        };
        assert_eq!(is_submission(&a), want, "{argv}");
    }
}

/// Every option of a process that submits nothing (queue runs, `-M...`
/// actions, the daemon, the test and listing modes: exim's `-q`, `-M`,
/// `-bd`, `-bp`, `-bt`, `-bv`, `-be`, `-bV`, `-bh`, `-bP`, `-br`, `-bF`,
/// `-bf`, `-bi`), alone or with more letters, wins over a recipient; the
/// other `-b` modes and a bare `-b` do not.
#[test]
fn every_excluded_option_is_no_submission() {
    let excluded = [
        "-q", "-M", "-bd", "-bp", "-bt", "-bv", "-be", "-bV", "-bh", "-bP", "-br", "-bF", "-bf",
        "-bi",
    ];
    let is = |argv: &str| {
        is_submission(&Arguments {
            cwd: crate::text::Text::from("/home/u"),
            argc: 0,
            args: crate::event::ArgList::new(crate::text::Text::from(argv)),
        })
    };
    for x in excluded {
        for argv in [
            format!("/usr/sbin/exim {x} user@example.org"),
            format!("/usr/sbin/exim -t {x}zz"),
        ] {
            assert!(!is(&argv), "{argv}");
        }
        // The program name is not an option.
        assert!(is(&format!("{x} -t")), "{x} -t");
    }
    for argv in [
        "exim -bm u@example.org",
        "exim -bS",
        "exim -b u@example.org",
        "exim -bx u@x",
    ] {
        assert!(is(argv), "{argv}");
    }
}

#[test]
fn next_hop_ids_in_confirmations() {
    let cases: &[(&[u8], Option<&str>)] = &[
        (
            b"250 OK id=1sAoM7-0000000BBBB-0001",
            Some("1sAoM7-0000000BBBB-0001"),
        ),
        (b"250 OK id=1FZ8zt-0005lz-E7", Some("1FZ8zt-0005lz-E7")),
        (b"250 2.0.0 Ok: queued as 4XyZ1234", None),
        (b"250 OK id=not-an-id", None),
    ];
    for (c, want) in cases {
        assert_eq!(next_hop_id(Some(c)).as_deref(), *want);
    }
}

#[test]
fn message_lines_keep_what_the_parse_found() {
    let log = b"\
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com H=mail.example.com (hi.example.com) [192.0.2.1] U=ann P=esmtpa A=plain:ann S=812 T=\"Caf\\351 \\\"x\\\"\" for bob@example.org carol@example.net
2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq => bob@example.org <Bob@Example.org> R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7] C=\"250 OK\"
2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq -> carol <carol@example.net> R=local T=local_delivery
2026-11-25 10:00:02 1sAoM5-00000009r3p-06vq == dave@example.net R=dnslookup T=remote_smtp defer (-44): SMTP error
2026-11-25 10:00:03 1sAoM5-00000009r3p-06vq Completed
";
    let mut out = Assembler::new().messages(crate::reader::LogReader::new(&log[..]).into_records());
    let Some(Ok(Assembled::Message(m))) = out.next() else {
        panic!("no message");
    };
    assert_eq!(m.id(), A);
    let kinds: Vec<_> = m.lines.iter().map(|l| (l.kind(), l.flag())).collect();
    use crate::event::Flag;
    assert_eq!(
        kinds,
        [
            (LineKind::Arrival, Some(Flag::Arrival)),
            (LineKind::Delivery, Some(Flag::Delivery)),
            (LineKind::Delivery, Some(Flag::Additional)),
            (LineKind::Deferral, Some(Flag::Deferral)),
            (LineKind::Completed, None),
        ]
    );
    let text = |t: Option<crate::Text<'_>>| t.map(|t| t.to_string_lossy().into_owned());
    let [arrival, to_bob, to_carol, to_dave, done] = &m.lines[..] else {
        panic!("{} lines", m.lines.len());
    };
    assert_eq!(
        arrival.address(),
        None,
        "an arrival keeps no delivery fields"
    );
    assert_eq!(text(arrival.sender()).as_deref(), Some("a@example.com"));
    assert_eq!(arrival.size(), Some(812));
    assert!(arrival.has_host());
    assert_eq!(
        text(arrival.host_name()).as_deref(),
        Some("mail.example.com")
    );
    assert_eq!(text(arrival.helo()).as_deref(), Some("hi.example.com"));
    assert_eq!(text(arrival.host_ip()).as_deref(), Some("192.0.2.1"));
    assert_eq!(text(arrival.user()).as_deref(), Some("ann"));
    assert_eq!(text(arrival.protocol()).as_deref(), Some("esmtpa"));
    assert_eq!(text(arrival.authenticator()).as_deref(), Some("plain"));
    assert_eq!(text(arrival.auth_id()).as_deref(), Some("ann"));
    assert_eq!(
        arrival.subject().map(|q| q.raw()),
        Some(&b"Caf\\351 \\\"x\\\""[..])
    );
    assert_eq!(
        arrival.subject_decoded().as_deref(),
        Some("Caf\u{e9} \"x\"")
    );
    let to: Vec<_> = arrival
        .recipients()
        .map(|r| r.iter().collect())
        .unwrap_or_default();
    assert_eq!(to, ["bob@example.org", "carol@example.net"]);
    assert_eq!(to_bob.sender(), None, "a delivery keeps no arrival fields");
    assert_eq!(to_bob.size(), None);
    assert_eq!(done.timestamp().second, 3);
    assert_eq!(text(to_bob.address()).as_deref(), Some("bob@example.org"));
    assert_eq!(text(to_bob.original()).as_deref(), Some("Bob@Example.org"));
    assert_eq!(text(to_bob.transport()).as_deref(), Some("remote_smtp"));
    assert!(to_bob.has_host());
    assert_eq!(text(to_bob.host_name()).as_deref(), Some("mx.example.org"));
    assert_eq!(text(to_bob.host_ip()).as_deref(), Some("192.0.2.7"));
    assert_eq!(text(to_carol.address()).as_deref(), Some("carol"));
    assert_eq!(
        text(to_carol.original()).as_deref(),
        Some("carol@example.net")
    );
    assert!(!to_carol.has_host());
    assert_eq!(to_carol.host_ip(), None);
    assert_eq!(text(to_dave.address()).as_deref(), Some("dave@example.net"));
    assert_eq!(to_dave.timestamp().second, 2);
    assert_eq!(m.arrival_line().map(|l| l.position().line), Some(1));
    assert_eq!(m.records().count(), 5);
}

#[test]
fn rejection_lines_keep_host_reason_and_temporary() {
    let log = b"\
2026-11-25 10:00:00 1sAoM6-0000000AAAA-0000 H=(helo.example.org) [192.0.2.9] F=<x@example.com> rejected after DATA: Spam score 21.5 too high
2026-11-25 10:00:01 1sAoM6-0000000AAAA-0000 H=relay.example.org [192.0.2.10] F=<y@example.com> temporarily rejected after DATA: Try again later
2026-11-25 10:00:02 1sAoM6-0000000AAAA-0000 F=<z@example.com> rejected after DATA
";
    let mut out = Assembler::new().messages(crate::reader::LogReader::new(&log[..]).into_records());
    let Some(Ok(Assembled::Message(m))) = out.next() else {
        panic!("no message");
    };
    let text = |t: Option<crate::Text<'_>>| t.map(|t| t.to_string_lossy().into_owned());
    let [helo_only, named, no_host] = &m.lines[..] else {
        panic!("{} lines", m.lines.len());
    };
    assert!(
        m.lines.iter().all(|l| l.kind() == LineKind::Rejection),
        "{:?}",
        m.lines.iter().map(MessageLine::kind).collect::<Vec<_>>()
    );
    assert!(!helo_only.temporary());
    assert_eq!(
        text(helo_only.reason()).as_deref(),
        Some("Spam score 21.5 too high")
    );
    assert!(helo_only.has_host());
    assert_eq!(helo_only.host_name(), None);
    assert_eq!(text(helo_only.helo()).as_deref(), Some("helo.example.org"));
    assert_eq!(text(helo_only.host_ip()).as_deref(), Some("192.0.2.9"));
    assert!(named.temporary());
    assert_eq!(text(named.reason()).as_deref(), Some("Try again later"));
    assert_eq!(
        text(named.host_name()).as_deref(),
        Some("relay.example.org")
    );
    assert_eq!(text(named.host_ip()).as_deref(), Some("192.0.2.10"));
    assert!(!no_host.temporary());
    assert_eq!(no_host.reason(), None);
    assert!(!no_host.has_host());
    assert_eq!(no_host.helo(), None);
    assert_eq!(
        no_host.sender(),
        None,
        "a rejection keeps no arrival fields"
    );
}

/// `push_line` assembles what `push` does; the lines `push` emits as lone
/// lines come back from `push_line` as their parse (or parse error), except
/// args lines, which it still holds and emits.
#[test]
fn push_line_keeps_what_push_keeps_and_returns_the_rest() {
    let log = "\
2026-11-25 09:59:59 cwd=/home/ann 3 args: /usr/sbin/sendmail -t -i
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= ann@example.com U=ann P=local S=300
2026-11-25 10:00:00 H=(x.example) [192.0.2.9] F=<a@b.example> rejected RCPT <c@d.example>: no
not a log line
2026-11-25 10:00:01 cwd=/var/spool/exim4 3 args: exim -q -v
2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq => bob@example.org R=r T=remote_smtp H=mx.example.org [192.0.2.7]
2026-11-25 10:00:02 1sAoM5-00000009r3p-06vq Completed
";
    let mut by_push = Assembler::new();
    let mut by_line = Assembler::new();
    let (mut pushed, mut fed, mut returned) = (Vec::new(), Vec::new(), Vec::new());
    for (n, line) in log.lines().enumerate() {
        let position = Position::new(n as u64 + 1, 0);
        by_push.push(Record::new(line.as_bytes().to_vec(), position.clone()));
        match by_line.push_line(line.as_bytes(), position) {
            Some(Ok(l)) => returned.push((n + 1, Some(l.timestamp.second))),
            Some(Err(_)) => returned.push((n + 1, None)),
            None => {}
        }
    }
    by_push.finish();
    by_line.finish();
    while let Some(a) = by_push.pop() {
        pushed.push(a);
    }
    while let Some(a) = by_line.pop() {
        fed.push(a);
    }
    assert_eq!(returned, [(3, Some(0)), (4, None)]);
    let lone = |v: &[Assembled]| -> Vec<u64> {
        v.iter()
            .filter_map(|a| match a {
                Assembled::Line(r) => Some(r.position().line),
                Assembled::Message(_) => None,
            })
            .collect()
    };
    assert_eq!(lone(&pushed), [3, 4, 5]);
    assert_eq!(lone(&fed), [5], "the args line that linked to nothing");
    let messages = |v: &[Assembled]| -> Vec<Message> {
        v.iter()
            .filter_map(|a| match a {
                Assembled::Message(m) => Some(m.clone()),
                Assembled::Line(_) => None,
            })
            .collect()
    };
    let (a, b) = (messages(&pushed), messages(&fed));
    assert_eq!(a.len(), 1);
    assert_eq!(a, b);
    assert_eq!(b.first().map(|m| m.lines.len()), Some(3));
    assert_eq!(
        b.first().and_then(|m| m.submission()).and_then(|s| s.cwd()),
        Some(&b"/home/ann"[..])
    );
}

/// A linked args line gives back its parse from the spans the assembler kept
/// (the line is not parsed again): `cwd=`, the count Exim logged, and the
/// arguments with Exim's quoting undone (a `"`-wrapped argument holding a
/// space, as `string_printing` writes it in the `args:` list).
#[test]
fn linked_arguments_give_back_their_parse() {
    let log = "\
2026-11-25 09:59:59 [4242] cwd=/home/ann/public_html 4 args: /usr/sbin/sendmail -t -i \"-Fann b\"
2026-11-25 10:00:00 [4242] 1sAoM5-00000009r3p-06vq <= ann@example.com U=ann P=local S=300
2026-11-25 10:00:02 [4243] 1sAoM5-00000009r3p-06vq Completed
";
    let mut asm = Assembler::new();
    for (n, line) in log.lines().enumerate() {
        asm.push(Record::new(
            line.as_bytes().to_vec(),
            Position::new(n as u64 + 1, 0),
        ));
    }
    asm.finish();
    let m = message(&drain(&mut asm), "1sAoM5-00000009r3p-06vq");
    let sub = m.submission().expect("the args line links by pid");
    assert_eq!(sub.link, Link::Pid);
    let a = sub.arguments().expect("the kept spans");
    assert_eq!(a.cwd, "/home/ann/public_html");
    assert_eq!(a.argc, 4);
    let args: Vec<Vec<u8>> = a.args.iter().map(|q| q.decode().into_owned()).collect();
    assert_eq!(
        args,
        [
            &b"/usr/sbin/sendmail"[..],
            &b"-t"[..],
            &b"-i"[..],
            &b"-Fann b"[..]
        ]
    );
    // The same as a fresh parse of the line.
    let fresh = sub.record.parse().expect("an args line");
    assert_eq!(fresh.event, crate::event::Event::Arguments(a));
}

#[test]
fn the_clock_gives_unix_seconds_across_days_offsets_and_leap_seconds() {
    let mut clock = Clock::default();
    let at = |y, mo, d, h, mi, s, off| crate::Timestamp {
        year: y,
        month: mo,
        day: d,
        hour: h,
        minute: mi,
        second: s,
        millisecond: Some(999),
        utc_offset_minutes: off,
    };
    // Same day twice (the remembered part), the next day, a new year, a
    // leap day, a leap second, an offset on the same date, then back.
    let times = [
        at(2024, 5, 25, 0, 0, 1, None),
        at(2024, 5, 25, 23, 59, 59, None),
        at(2024, 5, 26, 0, 0, 0, None),
        at(2024, 12, 31, 23, 59, 60, None),
        at(2025, 1, 1, 0, 0, 0, None),
        at(2024, 2, 29, 12, 30, 0, None),
        at(2024, 2, 29, 12, 30, 0, Some(-210)),
        at(2024, 2, 29, 12, 30, 0, Some(330)),
        at(1969, 12, 31, 23, 0, 0, None),
        at(2024, 2, 29, 12, 31, 0, None),
    ];
    let mut seen = Vec::new();
    for t in times {
        let got = clock.seconds(&t);
        assert_eq!(got, t.unix_seconds(), "{t}");
        seen.push(got);
    }
    // The offsets moved the same wall-clock time by their minutes.
    assert_eq!(seen[6] - seen[5], 210 * 60);
    assert_eq!(seen[5] - seen[7], 330 * 60);
}

/// The corpus mainlogs (`../shared/corpus`, or `$EXIM_LOG_CORPUS`): `None`
/// when missing outside CI (under `CI=true` a missing corpus fails).
pub(crate) fn corpus_mainlogs() -> Option<Vec<std::path::PathBuf>> {
    let dir = std::env::var_os("EXIM_LOG_CORPUS").map_or_else(
        || {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/corpus/exim-testsuite")
        },
        std::path::PathBuf::from,
    );
    if !dir.is_dir() {
        let msg = format!("corpus not found at {}", dir.display());
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{msg}; CI requires it"
        );
        eprintln!("skipping corpus test: {msg}");
        return None;
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.join("mainlog"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Some(files)
}

/// Feeds `log` line by line to an assembler with `opts` through
/// `push_parsed`, and returns what it emitted.
fn assemble_parsed(log: &[u8], opts: AssemblerOptions) -> Vec<Assembled> {
    let mut asm = Assembler::with_options(opts);
    let mut out = Vec::new();
    let mut byte = 0;
    for (n, raw) in log.split_inclusive(|&b| b == b'\n').enumerate() {
        let position = Position::new(n as u64 + 1, byte);
        byte += raw.len() as u64;
        if let Ok(line) = crate::parse_line(raw) {
            asm.push_parsed(raw, &line, position);
        }
        out.extend(std::iter::from_fn(|| asm.pop()));
    }
    out.extend(drain(&mut asm));
    out
}

/// A message as the lean mode gives it: everything but the lines.
fn without_lines(m: &Message) -> Message {
    let mut m = m.clone();
    m.lines.clear();
    m
}

/// The lean mode emits the messages the default mode does, in the same
/// order, with the same status, links, times and line count, only without
/// their lines: on every corpus mainlog, and with so few messages in
/// flight that most are pushed out early.
#[test]
fn lean_mode_emits_the_same_messages_without_lines() {
    let Some(files) = corpus_mainlogs() else {
        return;
    };
    let mut messages = 0;
    for cap in [100_000, 2] {
        for f in &files {
            let log = std::fs::read(f).unwrap_or_else(|e| panic!("{e}"));
            let opts = AssemblerOptions::default().max_in_flight(cap);
            let full = assemble_parsed(&log, opts.clone());
            let lean = assemble_parsed(&log, opts.keep_lines(false));
            assert_eq!(full.len(), lean.len(), "{}", f.display());
            for (a, b) in full.iter().zip(&lean) {
                match (a, b) {
                    (Assembled::Message(a), Assembled::Message(b)) => {
                        messages += 1;
                        assert!(b.lines.is_empty());
                        assert_eq!(a.line_count(), a.lines.len());
                        assert_eq!(b.line_count(), a.lines.len(), "{}", f.display());
                        assert_eq!(b.starts_with_arrival(), a.starts_with_arrival());
                        assert_eq!(b.queue_time(), a.queue_time());
                        assert_eq!(b, &without_lines(a), "{}", f.display());
                    }
                    _ => assert_eq!(a, b, "{}", f.display()),
                }
            }
        }
    }
    assert!(messages > 1000, "{messages} messages compared");
}

/// The fields a report reads are the same from a line's parse
/// ([`LineFields`] of a `LogLine`, the lean mode) as from what a kept line
/// holds ([`MessageLine`], where `LineFacts::of` found them): on every line
/// of every corpus mainlog.
#[test]
fn line_fields_of_a_parse_equal_those_kept() {
    use super::line::LineFields;
    fn fields<L: LineFields>(l: &L) -> String {
        format!(
            "{:?}",
            (
                l.timestamp(),
                l.kind(),
                l.flag(),
                l.has_host(),
                (l.host_name(), l.host_ip(), l.helo()),
                (l.address(), l.original(), l.transport()),
                (l.sender(), l.size(), l.user()),
                (l.temporary(), l.reason()),
            )
        )
    }
    let Some(files) = corpus_mainlogs() else {
        return;
    };
    let (mut lines, mut kinds) = (0, std::collections::HashSet::new());
    for f in &files {
        let log = std::fs::read(f).unwrap_or_else(|e| panic!("{e}"));
        for raw in log.split_inclusive(|&b| b == b'\n') {
            let Ok(line) = crate::parse_line(raw) else {
                continue;
            };
            let kept = MessageLine::of_parse(&line);
            assert_eq!(
                fields(&line),
                fields(&kept),
                "{}",
                String::from_utf8_lossy(raw)
            );
            lines += 1;
            kinds.insert(LineFields::kind(&line));
        }
    }
    assert!(
        lines > 10_000 && kinds.len() == 7,
        "{lines} lines, {kinds:?}"
    );
}

/// The messages an assembler makes of `log` (one line each, numbered from 1),
/// in the order it emits them, ended or not.
fn assemble_log(log: &str, finish: bool) -> Vec<Message> {
    let mut asm = Assembler::new();
    for (n, line) in log.lines().enumerate() {
        asm.push(Record::new(
            line.as_bytes().to_vec(),
            Position::new(n as u64 + 1, 0),
        ));
    }
    if finish {
        asm.finish();
    }
    std::iter::from_fn(|| asm.pop())
        .filter_map(|a| match a {
            Assembled::Message(m) => Some(m),
            Assembled::Line(_) => None,
        })
        .collect()
}

/// A submission's args line is the sending process; a `-Mc ID` line is the
/// delivery process a submission starts (spec §10 "args").
#[test]
fn linked_arguments_tell_the_delivery_process() {
    let log = "\
2026-11-25 10:00:00 cwd=/home/ann 3 args: /usr/sbin/sendmail -t -i
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= ann@example.com U=ann P=local S=300
2026-11-25 10:00:00 cwd=/home/ann 3 args: /usr/sbin/exim -Mc 1sAoM5-00000009r3p-06vq
2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed
";
    let [m] = &assemble_log(log, true)[..] else {
        panic!("one message")
    };
    let got: Vec<(u64, Link, bool, Option<&[u8]>)> = m
        .arguments
        .iter()
        .map(|a| (a.record.position().line, a.link, a.is_delivery(), a.cwd()))
        .collect();
    let home = Some(&b"/home/ann"[..]);
    assert_eq!(
        got,
        [
            (1, Link::Adjacent { ambiguous: false }, false, home),
            (3, Link::NamedId, true, home)
        ]
    );
    assert_eq!(m.submission().map(|a| a.record.position().line), Some(1));
    // With only the `-Mc` line linked, it stands for the submission.
    let only_mc = assemble_log(&log.lines().skip(1).collect::<Vec<_>>().join("\n"), true);
    let sub = only_mc[0].submission().expect("the -Mc line");
    assert!(sub.is_delivery() && sub.link == Link::NamedId);
}

/// What a message tells of its own lines: the arrival (parsed again), whether
/// it starts with it, the bytes its lines hold, its id by value.
#[test]
fn message_reads_its_arrival_and_counts_its_text() {
    let arrival =
        "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= ann@example.com U=ann P=local S=300";
    let done = "2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed";
    let [m] = &assemble_log(&format!("{arrival}\n{done}\n"), true)[..] else {
        panic!("one message")
    };
    assert!(m.starts_with_arrival());
    assert!(m.is_complete());
    // No `QT=`: from the first line's time to the last's.
    assert_eq!(m.queue_time().map(|q| q.as_secs_f64()), Some(1.0));
    let [open] = &assemble_log(arrival, true)[..] else {
        panic!("one message")
    };
    assert!(!open.is_complete(), "{:?}", open.status);
    let a = m.arrival().expect("its arrival, parsed");
    assert!(
        matches!(&a.event, crate::Event::Arrival(x) if x.sender == "ann@example.com"),
        "{a:?}"
    );
    assert_eq!(
        m.arrival_line().map(MessageLine::raw),
        Some(arrival.as_bytes())
    );
    assert_eq!(
        m.text_bytes(),
        arrival.len() + done.len() + 2 * std::mem::size_of::<MessageLine>()
    );
    assert_eq!(m.id_buf().as_str(), "1sAoM5-00000009r3p-06vq");
    // A message whose first line here is not its arrival (it started earlier).
    let deferral = "2026-11-25 09:00:00 1sAoM5-00000009r3p-06vq == b@example.org R=dnslookup T=remote_smtp defer (-44): retry";
    let [m] = &assemble_log(&format!("{deferral}\n{arrival}\n{done}\n"), true)[..] else {
        panic!("one message")
    };
    assert!(!m.starts_with_arrival());
    assert_eq!(
        m.arrival_line().map(MessageLine::raw),
        Some(arrival.as_bytes())
    );
    let [m] = &assemble_log(&format!("{deferral}\n{done}\n"), true)[..] else {
        panic!("one message")
    };
    assert!(!m.starts_with_arrival());
    assert!(m.arrival().is_none() && m.arrival_line().is_none());
}

/// A message read in two parts (a log cut in two, `crate::parallel`): the
/// later part absorbed into the earlier gives what one pass gives.
#[test]
fn absorb_joins_two_parts_as_one_pass_reads_them() {
    let log = "\
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq == b@example.org R=dnslookup T=remote_smtp defer (-44): retry
2026-11-25 10:00:05 1sAoM5-00000009r3p-06vq <= <> R=1sAoM4-00000009r3p-0000 U=Debian-exim P=local S=1200
2026-11-25 10:00:06 1sAoM5-00000009r3p-06vq => c@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7] C=\"250 OK id=1sAoM9-0000000BBBB-0000\"
2026-11-25 10:00:07 1sAoM5-00000009r3p-06vq Completed QT=9s
";
    let lines: Vec<&str> = log.lines().collect();
    let whole = assemble_log(log, true);
    let [mut earlier] = assemble_log(lines[0], true)
        .try_into()
        .expect("one message");
    let later = assemble_log(&lines[1..].join("\n"), true);
    let [later] = later.try_into().expect("one message");
    assert_eq!(earlier.status, Status::EndOfInput);
    earlier.absorb(later);
    // Positions differ (each part counted its lines from 1): compare the rest.
    let raws = |m: &Message| m.lines.iter().map(|l| l.raw().to_vec()).collect::<Vec<_>>();
    let [one] = &whole[..] else {
        panic!("one message")
    };
    assert_eq!(raws(&earlier), raws(one));
    assert_eq!(earlier.status, Status::Completed);
    assert_eq!(earlier.line_count(), 4);
    assert_eq!(
        earlier.arrival_line().map(MessageLine::raw),
        Some(lines[1].as_bytes())
    );
    assert_eq!(
        earlier.bounce_parent.as_deref(),
        Some("1sAoM4-00000009r3p-0000")
    );
    assert_eq!(earlier.next_hops, one.next_hops);
    assert_eq!(earlier.next_hops.len(), 1);
    assert_eq!(earlier.first_time(), one.first_time());
    assert_eq!(earlier.last_time(), one.last_time());
    assert_eq!(earlier.first_time().map(|t| t.second), Some(0));
    assert_eq!(earlier.last_time().map(|t| t.second), Some(7));
    // `QT=` (9 s: the message came from an earlier log), not 7 s of lines.
    assert_eq!(earlier.queue_time().map(|q| q.as_secs_f64()), Some(9.0));
}

/// The JSON of SCHEMA.md §"Messages (assembled)": what a message has, and
/// no key for what it has not.
#[cfg(feature = "serde")]
#[test]
fn message_json_has_a_key_for_what_the_message_has() {
    let keys = |m: &Message| -> Vec<String> {
        let v = serde_json::to_value(m).expect("json");
        v.as_object().expect("an object").keys().cloned().collect()
    };
    let arrival =
        "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= ann@example.com U=ann P=local S=300";
    let [m] = &assemble_log(arrival, true)[..] else {
        panic!("one message")
    };
    let mut k = keys(m);
    k.sort();
    assert_eq!(k, ["lines", "message_id", "status"]);
    let v = serde_json::to_value(m).expect("json");
    assert_eq!(v["status"], "end_of_input");
    assert_eq!(v["message_id"], "1sAoM5-00000009r3p-06vq");

    let log = "\
2026-11-25 10:00:00 cwd=/home/ann 3 args: /usr/sbin/sendmail -t -i
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= <> R=1sAoM4-00000009r3p-0000 U=ann P=local S=300
2026-11-25 10:00:00 cwd=/home/ann 3 args: /usr/sbin/exim -Mc 1sAoM5-00000009r3p-06vq
2026-11-25 10:00:01 1sAoM6-0000000AAAA-0000 <= <> R=1sAoM5-00000009r3p-06vq U=Debian-exim P=local S=900
2026-11-25 10:00:06 1sAoM5-00000009r3p-06vq => c@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7] C=\"250 OK id=1sAoM9-0000000BBBB-0000\"
2026-11-25 10:00:07 1sAoM5-00000009r3p-06vq Completed
";
    let out = assemble_log(log, true);
    let m = out
        .iter()
        .find(|m| m.id().as_str() == "1sAoM5-00000009r3p-06vq")
        .expect("the parent");
    let v = serde_json::to_value(m).expect("json");
    assert_eq!(v["status"], "completed");
    assert_eq!(v["bounce_parent"], "1sAoM4-00000009r3p-0000");
    assert_eq!(v["bounces"], serde_json::json!(["1sAoM6-0000000AAAA-0000"]));
    assert_eq!(
        v["next_hops"],
        serde_json::json!([{"recipient": "c@example.org", "message_id": "1sAoM9-0000000BBBB-0000"}])
    );
    let links: Vec<&str> = v["arguments"]
        .as_array()
        .expect("arguments")
        .iter()
        .map(|a| a["link"].as_str().expect("a link"))
        .collect();
    assert_eq!(links, ["adjacent", "named_id"]);
    assert_eq!(v["lines"].as_array().map(Vec::len), Some(3));
    assert!(v.get("continued").is_none());

    // Pushed out by the in-flight cap, then continued.
    let log = "\
2026-11-25 10:00:00 [7] cwd=/home/ann 3 args: /usr/sbin/sendmail -t -i
2026-11-25 10:00:00 [7] 1sAoM5-00000009r3p-06vq <= ann@example.com U=ann P=local S=300
2026-11-25 10:00:01 [8] 1sAoM6-0000000AAAA-0000 <= bob@example.com U=bob P=local S=300
2026-11-25 10:00:02 [9] 1sAoM5-00000009r3p-06vq Completed
";
    let mut asm = Assembler::with_options(AssemblerOptions::default().max_in_flight(1));
    for (n, line) in log.lines().enumerate() {
        asm.push(Record::new(line.into(), Position::new(n as u64 + 1, 0)));
    }
    asm.finish();
    let out: Vec<serde_json::Value> = std::iter::from_fn(|| asm.pop())
        .filter_map(|a| match a {
            Assembled::Message(m) => Some(serde_json::to_value(&m).expect("json")),
            Assembled::Line(_) => None,
        })
        .collect();
    let got: Vec<(String, String, bool)> = out
        .iter()
        .map(|v| {
            (
                v["message_id"].as_str().unwrap_or_default().to_string(),
                v["status"].as_str().unwrap_or_default().to_string(),
                v.get("continued").is_some_and(|c| c == true),
            )
        })
        .collect();
    let want = [
        ("1sAoM5-00000009r3p-06vq", "evicted", false),
        ("1sAoM5-00000009r3p-06vq", "completed", true),
        ("1sAoM6-0000000AAAA-0000", "end_of_input", false),
    ];
    let want: Vec<(String, String, bool)> = want
        .iter()
        .map(|(i, s, c)| (i.to_string(), s.to_string(), *c))
        .collect();
    assert_eq!(got, want);
    assert_eq!(out[0]["arguments"][0]["link"], "pid");
}

/// Each builder of the options sets its field (the defaults are other values).
#[test]
fn options_builders_set_their_fields() {
    use crate::budget::MemoryBudget;
    let o = AssemblerOptions::default()
        .max_in_flight(0)
        .max_pending_arguments(7)
        .adjacency(5, 20)
        .memory_budget(MemoryBudget::bytes(1 << 20))
        .pid_max_age(60)
        .keep_lines(false)
        .keep_arguments(false);
    assert_eq!(o.max_in_flight, 1, "at least one");
    assert_eq!(o.max_pending_arguments, 7);
    assert_eq!((o.adjacency_seconds, o.adjacency_lines), (5, 20));
    assert_eq!(o.memory_budget, MemoryBudget::bytes(1 << 20));
    assert_eq!(o.pid_max_age, 60);
    assert!(!o.keep_lines && !o.keep_arguments);
    let d = AssemblerOptions::default();
    assert_eq!(
        (
            d.max_in_flight,
            d.max_pending_arguments,
            d.adjacency_seconds
        ),
        (100_000, 4096, 1)
    );
    assert_eq!((d.adjacency_lines, d.pid_max_age), (10, 3600));
    assert!(d.keep_lines && d.keep_arguments);
    assert_eq!(
        AssemblerOptions::default().max_in_flight(9).max_in_flight,
        9
    );
}

/// `Messages::assembler` is the assembler the iterator feeds: what is in
/// flight there after a message came out.
#[test]
fn messages_lends_its_assembler() {
    let log = b"\
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com U=a P=local S=812
2026-11-25 10:00:00 1sAoM6-0000000AAAA-0000 <= b@example.com U=b P=local S=900
2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed
";
    let mut msgs =
        Assembler::new().messages(crate::reader::LogReader::new(&log[..]).into_records());
    assert_eq!(msgs.assembler().in_flight(), 0);
    assert!(matches!(msgs.next(), Some(Ok(Assembled::Message(m))) if m.id() == A));
    assert_eq!(msgs.assembler().in_flight(), 1, "{B} is still in flight");
}

/// The corpus logs' sizes are munged (`S=sss`, the test suite's), so the
/// corpus comparison above never sees one: the size of an arrival is the same
/// from its parse as from its kept line, and is the logged one.
#[test]
fn line_fields_give_an_arrivals_size_both_ways() {
    use super::line::LineFields;
    let raw = b"2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com H=mail.example.com [192.0.2.1] U=ann P=esmtp S=812";
    let line = crate::parse_line(raw).expect("an arrival");
    let kept = MessageLine::of_parse(&line);
    assert_eq!(LineFields::size(&line), Some(812));
    assert_eq!(LineFields::size(&kept), Some(812));
    let raw = b"2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed";
    let line = crate::parse_line(raw).expect("a completion");
    assert_eq!(LineFields::size(&line), None);
    assert_eq!(LineFields::size(&MessageLine::of_parse(&line)), None);
}

/// A line of a part of a log read on its own (`crate::parallel`) is moved by
/// the lines before the part; its bytes and facts stay.
#[test]
fn message_line_shifts_its_line_number() {
    let raw = b"2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed";
    let line = crate::parse_line(raw).expect("a completion");
    let mut kept = MessageLine::of_parse(&line);
    assert_eq!(kept.position().line, 1);
    kept.shift_line(41);
    assert_eq!(kept.position().line, 42);
    assert_eq!(kept.raw(), raw);
    assert_eq!(kept.kind(), LineKind::Completed);
    assert_eq!(kept.into_record().position().line, 42);
}

/// What the assembler counts against its budget it gives back when what
/// holds it goes out, no more, no less: once every other message came out
/// (linked by named ids, adjacency, bounces, next hops, `hold`), what is
/// held is what the one message still in flight (read first) holds alone.
#[test]
fn memory_held_is_released_with_what_holds_it() {
    let others = "\
2026-11-25 09:59:59 cwd=/home/ann 3 args: /usr/sbin/sendmail -t -i
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= ann@example.com U=ann P=local S=300
2026-11-25 10:00:00 cwd=/home/ann 4 args: /usr/sbin/exim -Mc 1sAoM5-00000009r3p-06vq 1sAoM7-0000000CCCC-0000
2026-11-25 10:00:02 1sAoM6-0000000AAAA-0000 <= <> R=1sAoM5-00000009r3p-06vq U=Debian-exim P=local S=900
2026-11-25 10:00:06 1sAoM5-00000009r3p-06vq => c@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7] C=\"250 OK id=1sAoM9-0000000BBBB-0000\"
2026-11-25 10:00:07 1sAoM5-00000009r3p-06vq Completed
2026-11-25 10:00:07 1sAoM6-0000000AAAA-0000 Completed
2026-11-25 10:00:07 1sAoM7-0000000CCCC-0000 Completed
";
    let alone = "\
2026-11-25 09:59:50 cwd=/var/spool 3 args: /usr/sbin/sendmail -i bob@example.org
2026-11-25 09:59:50 1sAoM8-0000000DDDD-0000 <= ann@example.com U=ann P=local S=100
2026-11-25 09:59:51 1sAoM8-0000000DDDD-0000 == bob@example.org R=dnslookup T=remote_smtp defer (-44): retry
";
    let held = |log: &str, keep_lines: bool| {
        let mut asm = Assembler::with_options(AssemblerOptions::default().keep_lines(keep_lines));
        let mut out = 0;
        for (n, raw) in log.lines().enumerate() {
            let line = crate::parse_line(raw.as_bytes()).expect("a log line");
            asm.push_parsed(raw.as_bytes(), &line, Position::new(n as u64 + 1, 0));
            if matches!(line.event, crate::Event::Arrival(_))
                && line
                    .message_id
                    .is_some_and(|id| id == "1sAoM5-00000009r3p-06vq")
            {
                assert!(asm.hold(line.message_id.expect("an id"), 500));
            }
            out += std::iter::from_fn(|| asm.pop()).count();
        }
        assert_eq!(asm.in_flight(), 1, "{log}");
        (asm.memory().held, asm.memory().peak, out)
    };
    for keep_lines in [true, false] {
        let (one, _, _) = held(alone, keep_lines);
        let (all, peak, out) = held(&format!("{alone}{others}"), keep_lines);
        assert!(one > 0 && peak > one + 1500, "{one} {peak}");
        assert_eq!(out, 3, "three messages came out");
        assert_eq!(all, one, "keep_lines {keep_lines}");
    }
}

/// Only the arguments after the program name tell a submission: `exim -v`
/// (a recipient-less, option-only call) submits nothing, so a local arrival
/// after it is not linked to it.
#[test]
fn the_program_name_is_no_submission_marker() {
    let log = "\
2026-11-25 10:00:00 cwd=/root 2 args: /usr/sbin/exim -v
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= root@example.com U=root P=local S=300
";
    let [m] = &assemble_log(log, true)[..] else {
        panic!("one message")
    };
    assert!(m.arguments.is_empty(), "{:?}", m.arguments);
}

/// `-bs` (SMTP on stdin) submits many messages from one process: its args
/// line links every local arrival in the window, not only the first.
#[test]
fn a_batch_submission_links_each_of_its_messages() {
    let log = "\
2026-11-25 10:00:00 cwd=/home/ann 2 args: /usr/sbin/sendmail -bs
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= ann@example.com U=ann P=local-smtp S=300
2026-11-25 10:00:01 1sAoM6-0000000AAAA-0000 <= ann@example.com U=ann P=local-smtp S=400
";
    let out = assemble_log(log, true);
    let got: Vec<(String, Vec<u64>)> = out
        .iter()
        .map(|m| {
            let lines = m
                .arguments
                .iter()
                .map(|a| a.record.position().line)
                .collect();
            (m.id().as_str().to_string(), lines)
        })
        .collect();
    let want = [
        ("1sAoM5-00000009r3p-06vq".to_string(), vec![1]),
        ("1sAoM6-0000000AAAA-0000".to_string(), vec![1]),
    ];
    assert_eq!(got, want);
}

/// One part of a log read leanly ([`Assembler::push_parsed_part`], as
/// `parallel` reads each byte range): a message whose first line here is its
/// `<=` arrival starts in this part and is taken lean (nothing copied); any
/// other message may continue one of an earlier part, so its lines are
/// copied for the parts to be joined, as are those of ids the caller says
/// are in flight across the part's start. Args lines are always copied, a
/// line of no message is not the assembler's.
#[test]
fn a_part_copies_only_the_lines_that_may_continue_an_earlier_part() {
    const C: &str = "1sAoM7-0000000BBBB-0000";
    const D: &str = "1sAoM8-0000000CCCC-0000";
    const E: &str = "1sAoM9-0000000DDDD-0000";
    let log = [
        // A starts here: lean, its later lines too.
        format!(
            "2026-11-25 10:00:00 {A} <= a@example.com H=mx.example.net [192.0.2.1] P=esmtp S=500"
        ),
        format!(
            "2026-11-25 10:00:01 {A} => b@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.2]"
        ),
        // B's first line here is a delivery: its arrival was in an earlier part.
        format!(
            "2026-11-25 10:00:02 {B} => c@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.2]"
        ),
        format!("2026-11-25 10:00:03 {B} Completed"),
        // A fakereject arrival `(=` is no `<=`: copied, as the doc says.
        format!(
            "2026-11-25 10:00:04 {C} (= d@example.com H=mx.example.net [192.0.2.1] P=esmtp S=500"
        ),
        // D is named by an args line first (a message with no line yet),
        // then arrives here: lean.
        format!("2026-11-25 10:00:05 cwd=/var/spool/exim4 3 args: /usr/sbin/exim4 -Mc {D}"),
        format!("2026-11-25 10:00:06 {D} <= e@example.com U=e P=local S=300"),
        // E arrives here, but the caller has it in flight across the start.
        format!("2026-11-25 10:00:07 {E} <= f@example.com U=f P=local S=300"),
        "2026-11-25 10:00:08 Start queue run: pid=1234".to_string(),
    ];
    let expected = [
        Some(false),
        Some(false),
        Some(true),
        Some(true),
        Some(true),
        Some(true),
        Some(false),
        Some(true),
        None,
    ];
    let in_flight: std::collections::HashSet<String> = [E.to_string()].into();
    let mut asm = Assembler::with_options(AssemblerOptions::default().keep_lines(false));
    for (n, (l, want)) in log.iter().zip(expected).enumerate() {
        let parsed = crate::parse_line(l.as_bytes()).unwrap_or_else(|e| panic!("{l}: {e}"));
        let pos = Position::new(n as u64 + 1, 0);
        let got = asm.push_parsed_part(l.as_bytes(), &parsed, pos, Some(&in_flight));
        assert_eq!(got, want, "line {}: {l}", n + 1);
    }
}

/// `lines` parsed and fed to an assembler with `budget`: its ledger then.
fn ledger_after(lines: &[String], budget: usize) -> crate::budget::MemoryUse {
    let opts =
        AssemblerOptions::default().memory_budget(crate::budget::MemoryBudget::bytes(budget));
    let mut asm = Assembler::with_options(opts);
    for (n, l) in lines.iter().enumerate() {
        let parsed = crate::parse_line(l.as_bytes()).unwrap_or_else(|e| panic!("{l}: {e}"));
        asm.push_parsed(l.as_bytes(), &parsed, Position::new(n as u64 + 1, 0));
        while asm.pop().is_some() {}
    }
    asm.memory()
}

/// A message line makes room for at most what it can add, and exactly that
/// when it adds everything: a new message's arrival linked to a waiting
/// submission, a bounce whose parent is in flight. With a budget of what is
/// held after the lines nothing is flushed early; with one byte less the
/// oldest message is flushed before the budget is passed, not after. A line
/// that adds no link (a new message's first line a delivery, with its next
/// hop; an arrival nothing links to) asks for the link's bytes besides.
#[test]
fn a_message_line_makes_room_for_what_it_can_add() {
    use super::assembler::LINK_OVERHEAD;
    const C: &str = "1sAoM7-0000000BBBB-0000";
    let arrival =
        |id: &str| format!("2026-11-25 10:00:00 {id} <= a@example.com U=alice P=local S=500");
    let cases = [
        (
            "a bounce linked by pid, its parent in flight",
            vec![
                arrival(A),
                "2026-11-25 10:00:01 [4242] cwd=/home/alice 3 args: /usr/sbin/sendmail -t -i"
                    .to_string(),
                format!("2026-11-25 10:00:02 [4242] {B} <= <> R={A} U=alice P=local S=900"),
            ],
            0,
        ),
        (
            "a new message's delivery with its next hop",
            vec![
                arrival(A),
                format!(
                    "2026-11-25 10:00:02 {B} => x@example.org R=dnslookup T=remote_smtp \
                     H=mx.example.org [192.0.2.2] C=\"250 OK id={C}\""
                ),
            ],
            LINK_OVERHEAD,
        ),
        (
            "an arrival nothing links to",
            vec![arrival(A), arrival(B)],
            LINK_OVERHEAD,
        ),
    ];
    for (what, lines, spare) in cases {
        let end = ledger_after(&lines, 1 << 30);
        assert_eq!((end.hits, end.peak), (0, end.held), "{what}");
        let budget = end.held + spare;
        let fits = ledger_after(&lines, budget);
        assert_eq!(
            (fits.hits, fits.held),
            (0, end.held),
            "{what}: nothing flushed"
        );
        let tight = ledger_after(&lines, budget - 1);
        assert!(
            tight.hits >= 1 && tight.peak < budget,
            "{what}: flushed before the budget is passed: {tight:?}"
        );
    }
}

/// At most `max_pending_arguments` submissions wait for their arrival: the
/// one over it lets the oldest go, as a line of no message.
#[test]
fn at_most_max_pending_arguments_submissions_wait() {
    let mut asm = Assembler::with_options(AssemblerOptions::default().max_pending_arguments(3));
    let mut out = Vec::new();
    for n in 0..4u32 {
        let l = format!(
            "2026-11-25 10:00:0{n} [{}] cwd=/home/u{n} 3 args: /usr/sbin/sendmail -t -i",
            100 + n
        );
        let parsed = crate::parse_line(l.as_bytes()).unwrap_or_else(|e| panic!("{l}: {e}"));
        asm.push_parsed(l.as_bytes(), &parsed, Position::new(u64::from(n) + 1, 0));
        out.push(drain_lines(&mut asm));
    }
    // Three wait; the fourth pushes the first out.
    assert_eq!(out, [vec![], vec![], vec![], vec![1]]);
}

/// The line numbers of the lines `asm` let out so far.
fn drain_lines(asm: &mut Assembler) -> Vec<u64> {
    std::iter::from_fn(|| asm.pop())
        .filter_map(|a| match a {
            Assembled::Line(r) => Some(r.position().line),
            _ => None,
        })
        .collect()
}

/// Every message flushed early is remembered (up to `EVICTED_MEMORY`), not
/// only the latest: the next lines of each come out marked `continued`.
#[test]
fn each_message_flushed_early_continues_in_its_next_lines() {
    const C: &str = "1sAoM7-0000000CCCC-0000";
    let mut asm = Assembler::with_options(AssemblerOptions::default().max_in_flight(1));
    // B pushes A out, C pushes B out.
    for (n, id) in [A, B, C].into_iter().enumerate() {
        arrival(&mut asm, n as u64 + 1, id, T, None, false);
    }
    for (n, id) in [A, B].into_iter().enumerate() {
        let f = line(&mut asm, n as u64 + 10, id, T, None);
        asm.push_classified(rec(n as u64 + 10), Kind::Message(f));
    }
    let continued: Vec<(String, bool)> = drain(&mut asm)
        .into_iter()
        .filter_map(|a| match a {
            Assembled::Message(m) => Some((m.id().as_str().to_string(), m.continued)),
            Assembled::Line(_) => None,
        })
        .collect();
    let want = [(A, false), (B, false), (C, false), (A, true), (B, true)];
    let want: Vec<(String, bool)> = want.iter().map(|(i, c)| (i.to_string(), *c)).collect();
    assert_eq!(continued, want);
}

/// A pid links an arrival only to an args line logged at or before it
/// (within `pid_max_age`): one logged after the arrival's time is not its
/// submission (a log whose lines are out of time order).
#[test]
fn a_pid_links_no_args_line_logged_after_the_arrival() {
    let mut asm = Assembler::new();
    args(&mut asm, 1, T + 5, Some(100), &[]);
    arrival(&mut asm, 2, A, T + 4, Some(100), true);
    let out = drain(&mut asm);
    assert!(message(&out, A).arguments.is_empty());
    let mut asm = Assembler::new();
    args(&mut asm, 1, T + 5, Some(100), &[]);
    arrival(&mut asm, 2, A, T + 5, Some(100), true);
    assert_eq!(links(&message(&drain(&mut asm), A)), [(1, Link::Pid)]);
}

/// An id that completes and comes back is a new message, its place in the
/// eviction order its new arrival's: the cap pushes out the oldest message
/// in flight, not the comeback (its old order entry is stale).
#[test]
fn a_comeback_id_is_evicted_in_its_new_turn() {
    const C: &str = "1sAoM7-0000000CCCC-0000";
    let mut asm = Assembler::with_options(AssemblerOptions::default().max_in_flight(2));
    arrival(&mut asm, 1, A, T, None, false);
    let mut done = line(&mut asm, 2, A, T, None);
    done.completed = true;
    asm.push_classified(rec(2), Kind::Message(done));
    arrival(&mut asm, 3, B, T, None, false);
    arrival(&mut asm, 4, A, T, None, false);
    arrival(&mut asm, 5, C, T, None, false);
    let evicted = evicted_ids(&mut asm);
    assert_eq!(evicted, [B]);
}

/// An args line past the adjacency window stays unlinked even while it
/// still waits in the queue (behind an older one with a pid, which waits
/// longer: the queue lets lines go from its front only).
#[test]
fn adjacency_stops_at_the_window_behind_a_waiting_pid_line() {
    let secs = AssemblerOptions::default().adjacency_seconds;
    let mut asm = Assembler::new();
    args(&mut asm, 1, T, Some(100), &[]);
    args(&mut asm, 2, T, None, &[]);
    arrival(&mut asm, 3, A, T + secs + 1, None, true);
    assert!(message(&drain(&mut asm), A).arguments.is_empty());
}

/// A pid's latest args line is found by its pid after an older one of the
/// same pid left the queue (pushed out by `max_pending_arguments`).
#[test]
fn a_pids_latest_args_line_outlives_its_older_one() {
    let mut asm = Assembler::with_options(AssemblerOptions::default().max_pending_arguments(1));
    args(&mut asm, 1, T, Some(100), &[]);
    args(&mut asm, 2, T + 1, Some(100), &[]);
    arrival(&mut asm, 3, A, T + 2, Some(100), true);
    let out = drain(&mut asm);
    assert_eq!(links(&message(&out, A)), [(2, Link::Pid)]);
}

/// The ids of the messages `asm` flushed early, in the order they came out.
fn evicted_ids(asm: &mut Assembler) -> Vec<String> {
    drain(asm)
        .into_iter()
        .filter_map(|a| match a {
            Assembled::Message(m) if m.status == Status::Evicted => {
                Some(m.id().as_str().to_string())
            }
            _ => None,
        })
        .collect()
}
