//! `summary` on generated logs in both id formats (exact totals from the
//! generator's ground truth) and on hand-written logs for what eximstats gets
//! wrong: id-less rejections each under their own host, never `local`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::collections::BTreeMap;

use exim_log::IdFormat;
use exim_log_benches::{Config, Truth, generate, sample_config};
use exim_log_cli::report::summary::{Report, Summary};
use exim_log_cli::window::TimeWindow;

fn report(log: &[u8]) -> Report {
    let mut agg = Summary::new(TimeWindow::default());
    for a in support::assembled(log) {
        agg.add(&a);
    }
    agg.report(usize::MAX, 1)
}

fn check_totals(r: &Report, t: &Truth) {
    let x = &r.totals;
    assert_eq!(x.received.messages, t.arrivals);
    assert_eq!(x.received.bytes, t.received_bytes);
    assert_eq!(x.delivered.messages, t.deliveries);
    assert_eq!(
        x.delivered.addresses,
        t.deliveries + t.additional_deliveries
    );
    assert_eq!(x.deferral_lines, t.deferrals);
    assert_eq!(x.failed_addresses, t.failures);
    assert_eq!(x.completed, t.completed);
    // The generator writes no temporary rejections.
    assert_eq!(x.rejects, t.rejected_rcpt + t.helo_rejections);
    assert_eq!(x.temporary_rejects, 0);
    // The timeline and the size histogram count the same events over time
    // and size.
    let mut over_time = [0u64; 5];
    for p in &r.timeline.points {
        let c = &p.counts;
        let each = [
            c.received,
            c.delivered,
            c.deferrals,
            c.failures,
            c.rejections,
        ];
        over_time.iter_mut().zip(each).for_each(|(a, b)| *a += b);
    }
    assert_eq!(
        over_time,
        [
            t.arrivals,
            t.deliveries,
            t.deferrals,
            t.failures,
            t.rejected_rcpt + t.helo_rejections
        ]
    );
    assert!(!r.timeline.points.is_empty() && r.timeline.points.len() <= 168);
    let by_size: u64 = r.sizes.iter().map(|s| s.messages).sum();
    assert_eq!(by_size, t.arrivals);
    let by_transport: u64 = r.transports.iter().map(|row| row.volume.addresses).sum();
    assert_eq!(by_transport, t.deliveries + t.additional_deliveries);
    let local: u64 = r
        .transports
        .iter()
        .filter(|row| row.key == "virtual_userdelivery" || row.key == "local_delivery")
        .map(|row| row.volume.addresses)
        .sum();
    assert_eq!(local, t.deliveries_local);
    let remote: u64 = r
        .transports
        .iter()
        .filter(|row| row.key == "remote_smtp")
        .map(|row| row.volume.addresses)
        .sum();
    assert_eq!(remote, t.deliveries_remote);
    // Every completed message with its arrival has a queue time.
    let queued: u64 = r.queue_times.iter().map(|q| q.messages).sum();
    assert!(queued > 0 && queued <= t.completed);
    // Rejections per host: the dictionary attackers' counts are theirs alone.
    let hosts: BTreeMap<&str, u64> = r
        .reject_hosts
        .iter()
        .map(|h| (h.key.as_str(), h.count))
        .collect();
    for (ip, n) in &t.dictionary_attacks {
        let rbl = t.rbl_hosts.get(ip).copied().unwrap_or(0);
        assert_eq!(hosts.get(ip.as_str()).copied(), Some(n + rbl), "{ip}");
    }
    assert!(!hosts.contains_key("local"));
    assert_eq!(r.received_per_hour.iter().sum::<u64>(), t.arrivals);
    assert_eq!(r.delivered_per_hour.iter().sum::<u64>(), t.deliveries);
}

#[test]
fn totals_equal_ground_truth_in_both_id_formats() {
    for (seed, format) in [
        (31, IdFormat::New),
        (31, IdFormat::Old),
        (32, IdFormat::Old),
    ] {
        let mut c = Config::with_incidents(seed, 300 << 10);
        c.id_format = format;
        c.rich = seed == 32;
        let (log, t) = generate(&c);
        assert!(t.arrivals > 0);
        check_totals(&report(&log), &t);
    }
}

/// Rejections without a message id from three clients, in the shapes Exim
/// writes them (spec §10), and one message whose volume is known.
const HAND: &str = "\
2024-06-01 10:00:00 H=(a.example) [192.0.2.1] F=<x@a.example> rejected RCPT <u1@example.org>: Unknown user
2024-06-01 10:00:01 H=(a.example) [192.0.2.1] F=<x@a.example> rejected RCPT <u2@example.org>: Unknown user
2024-06-01 10:00:02 rejected EHLO from [192.0.2.2]: syntactically invalid argument(s): a_b
2024-06-01 10:00:03 H=mx.c.example [192.0.2.3] rejected connection in \"connect\" ACL
2024-06-01 10:00:04 H=mx.c.example [192.0.2.3] F=<y@c.example> temporarily rejected RCPT <u3@example.org>: greylisted
2024-06-01 10:00:05 1sAoM5-00000009r3p-06vq <= alice@example.org U=alice P=local S=1000 for b@example.net c@example.net d@example.com
2024-06-01 10:00:06 1sAoM5-00000009r3p-06vq => b@example.net R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.1]
2024-06-01 10:00:06 1sAoM5-00000009r3p-06vq -> c@example.net R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.1]
2024-06-01 10:00:07 1sAoM5-00000009r3p-06vq == d@example.com R=dnslookup T=remote_smtp defer (-44) H=mx.example.com [198.51.100.2]: SMTP error from remote mail server after RCPT TO:<d@example.com>: 451 try later
2024-06-01 10:20:07 1sAoM5-00000009r3p-06vq => d@example.com R=dnslookup T=remote_smtp H=mx.example.com [198.51.100.2]
2024-06-01 10:20:07 1sAoM5-00000009r3p-06vq Completed
2024-06-01 10:00:08 1sAoM6-0000000AAAA-0000 <= bob@example.org U=bob P=local S=500 for nobody@example.net
2024-06-01 10:00:09 1sAoM6-0000000AAAA-0000 ** nobody@example.net R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.1]: SMTP error from remote mail server after RCPT TO:<nobody@example.net>: 550 unknown user
";

#[test]
fn hand_written_log() {
    let r = report(HAND.as_bytes());
    let x = &r.totals;
    assert_eq!((x.received.messages, x.received.bytes), (2, 1500));
    // Two `=>` lines of the 1000-byte message: two messages, 2000 bytes; the
    // `->` adds an address, not volume (eximstats' rule).
    assert_eq!(
        (
            x.delivered.messages,
            x.delivered.addresses,
            x.delivered.bytes
        ),
        (2, 3, 2000)
    );
    assert_eq!(
        (x.delayed, x.deferral_lines, x.failed, x.failed_addresses),
        (1, 1, 1, 1)
    );
    assert_eq!((x.rejects, x.reject_hosts, x.temporary_rejects), (4, 3, 1));
    let hosts: Vec<(&str, u64)> = r
        .reject_hosts
        .iter()
        .map(|h| (h.key.as_str(), h.count))
        .collect();
    assert_eq!(
        hosts,
        [("192.0.2.1", 2), ("192.0.2.2", 1), ("192.0.2.3", 1)]
    );
    let reasons: BTreeMap<&str, u64> = r
        .reject_reasons
        .iter()
        .map(|h| (h.key.as_str(), h.count))
        .collect();
    assert_eq!(
        reasons,
        BTreeMap::from([
            ("(no reason)", 1),
            ("syntactically invalid argument(s)", 1),
            ("unknown recipient", 2)
        ])
    );
    assert_eq!(r.received_per_hour[10], 2);
    assert_eq!(r.received_per_hour.iter().sum::<u64>(), 2);
    assert_eq!(r.delivered_per_hour[10], 2);
    // alice's message completed after 20m02s: the 30m bucket.
    let q: Vec<(&str, u64)> = r
        .queue_times
        .iter()
        .filter(|b| b.messages > 0)
        .map(|b| (b.bucket.as_str(), b.messages))
        .collect();
    assert_eq!(q, [("under 30m", 1)]);
    let senders: Vec<(&str, u64)> = r
        .local_senders
        .iter()
        .map(|s| (s.key.as_str(), s.volume.messages))
        .collect();
    assert_eq!(senders, [("alice", 1), ("bob", 1)]);
    let dests: Vec<(&str, u64, u64)> = r
        .destinations
        .iter()
        .map(|s| (s.key.as_str(), s.volume.messages, s.volume.addresses))
        .collect();
    assert_eq!(dests, [("mx.example.net", 1, 2), ("mx.example.com", 1, 1)]);
}

#[test]
fn same_totals_for_old_and_new_ids() {
    // The same lines with 16-character ids: nothing but the ids differ.
    let old = HAND
        .replace("1sAoM5-00000009r3p-06vq", "1FZ8zt-0005lz-E7")
        .replace("1sAoM6-0000000AAAA-0000", "1FZ9lT-000707-O2");
    let (a, b) = (report(HAND.as_bytes()), report(old.as_bytes()));
    assert_eq!(
        serde_json::to_value(&a.totals).unwrap(),
        serde_json::to_value(&b.totals).unwrap()
    );
    assert_eq!(b.totals.received.messages, 2);
}

#[test]
fn no_argument_run_and_json() {
    let (_, t) = generate(&sample_config());
    let (code, out, err) = support::run("summary", &["--sample"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Grand total"), "{out}");
    let v = support::run_json("summary", &["--json", "--sample"]);
    assert_eq!(v["totals"]["received"]["messages"], t.arrivals);
    assert_eq!(v["totals"]["delivered"]["messages"], t.deliveries);
    assert_eq!(v["totals"]["failed_addresses"], t.failures);
}

#[test]
fn window_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::write(dir.path(), "mainlog", HAND.as_bytes());
    let bin = "summary";
    // Until 10:00:05: the four rejections and the temporary one, no message.
    let v = support::run_json(bin, &["--json", "--until", "2024-06-01 10:00:05", &path]);
    assert_eq!(v["totals"]["received"]["messages"], 0);
    assert_eq!(v["totals"]["rejects"], 4);
    assert_eq!(v["totals"]["temporary_rejects"], 1);
    // From 10:00:05: both arrivals, no rejection.
    let v = support::run_json(bin, &["--json", "--since", "2024-06-01 10:00:05", &path]);
    assert_eq!(v["totals"]["received"]["messages"], 2);
    assert_eq!(v["totals"]["rejects"], 0);
}

/// Issue 16: the assembler's ledger is in the JSON as `assembler_memory`;
/// 3,000 messages in flight hit a 1 MiB budget (flushed early, none lost)
/// and not the default one.
#[test]
fn assembler_memory_in_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let subject = "s".repeat(1000);
    let mut log = String::new();
    for i in 0..3000 {
        log.push_str(&format!(
            "2024-06-01 10:00:00 1sAoM5-{i:011}-0000 <= a@example.com H=mx.example.net [192.0.2.1] P=esmtp S=100 T=\"{subject}\"\n"
        ));
    }
    let path = support::write(dir.path(), "mainlog", log.as_bytes());
    let small = support::run_json("summary", &["--json", "--memory-budget", "1", &path]);
    let default = support::run_json("summary", &["--json", &path]);
    for v in [&small, &default] {
        assert_eq!(v["totals"]["received"]["messages"], 3000);
    }
    let (s, d) = (&small["assembler_memory"], &default["assembler_memory"]);
    assert_eq!(s["budget"], 1 << 20);
    assert!(s["hits"].as_u64().unwrap() > 0, "{s}");
    // The assembler makes room before it takes a line: never over.
    assert!(s["peak"].as_u64().unwrap() <= 1 << 20, "{s}");
    assert_eq!(d["budget"], 32 << 20);
    assert_eq!(d["hits"], 0, "{d}");
    // Summary keeps no line, on one thread or several (issue 17): what is
    // held is each message in flight, not its 1 KB line.
    let peak = d["peak"].as_u64().unwrap();
    assert!((100_000..3_000_000).contains(&peak), "{d}");
    // The text report says it too, in one line on stderr; the default run
    // (no hit) says nothing.
    let (code, out, err) = support::run("summary", &["--memory-budget", "1", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3000"), "{out}");
    let hits = s["hits"].as_u64().unwrap();
    let line = format!("the memory budget was hit: {hits} messages flushed early");
    assert_eq!(err.matches("memory budget").count(), 1, "{err}");
    assert!(err.contains(&line), "{err}");
    let (_, _, err) = support::run("summary", &[&path]);
    assert!(!err.contains("memory budget"), "{err}");
}

/// Issue 17: on several threads summary counts each unit's messages as
/// their lines are read (lean), and carries what a message cut by a unit's
/// end leaves for its later lines: the text and the JSON (but the
/// assembler's peak, which depends on how the input was shared out) are
/// the one thread's, on generated logs in both id formats, with `+pid`,
/// milliseconds and a UTC offset, cut into units of a few kilobytes (most
/// deferred messages cross several cuts).
#[test]
fn the_same_summary_on_several_threads_with_messages_cut_by_units() {
    let dir = tempfile::tempdir().unwrap();
    let mut old = Config::with_incidents(31, 400_000);
    old.id_format = IdFormat::Old;
    old.pid = true;
    let mut new = Config::with_incidents(32, 400_000);
    new.id_format = IdFormat::New;
    new.millisec = true;
    new.utc_offset_minutes = Some(60);
    new.rich = true;
    for (name, config) in [("old", old), ("new", new)] {
        let path = support::write(dir.path(), name, &generate(&config).0);
        let peakless = |mut v: serde_json::Value| {
            v["assembler_memory"]["peak"] = serde_json::Value::Null;
            v
        };
        let one = support::run("summary", &["--threads", "1", &path]);
        let one_json = peakless(support::run_json(
            "summary",
            &["--json", "--threads", "1", &path],
        ));
        for (threads, unit) in [("2", "1500"), ("3", "6000")] {
            let args = ["--threads", threads, "--unit-bytes", unit, &path];
            assert_eq!(support::run("summary", &args), one, "{name}: {args:?}");
            let json = ["--json", "--threads", threads, "--unit-bytes", unit, &path];
            let many = peakless(support::run_json("summary", &json));
            assert_eq!(many, one_json, "{name}: {json:?}");
        }
    }
}
