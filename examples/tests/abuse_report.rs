//! `abuse-report` on generated logs (exact counts from the generator's ground
//! truth) and on a small hand-written log for what the truth does not cover:
//! per-connection counts with concurrent connections from one IP, distinct
//! local parts, sender verification, protocol errors, both AUTH failure forms.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::collections::BTreeMap;

use exim_log::IdFormat;
use exim_log::reader::LogReader;
use exim_log_benches::{Config, generate, sample_config};
use exim_log_cli::report::abuse::{AbuseReport, Report, Row};
use exim_log_cli::window::TimeWindow;

fn report(log: &[u8], threshold: u64) -> Report {
    let mut agg = AbuseReport::new(TimeWindow::default());
    for r in LogReader::new(log).into_records() {
        let r = r.unwrap();
        if let Ok(line) = r.parse() {
            agg.add(&line);
        }
    }
    agg.report(usize::MAX, threshold)
}

fn map(rows: &[Row]) -> BTreeMap<String, u64> {
    rows.iter().map(|r| (r.key.clone(), r.count)).collect()
}

#[test]
fn generated_logs_match_ground_truth() {
    for (seed, format) in [(21, IdFormat::New), (22, IdFormat::Old)] {
        let mut c = Config::with_incidents(seed, 400 << 10);
        c.id_format = format;
        let (log, t) = generate(&c);
        let r = report(&log, 1);
        let dict: BTreeMap<String, u64> = r
            .dictionary
            .hosts
            .iter()
            .map(|h| (h.ip.clone(), h.rejected_unknown))
            .collect();
        assert_eq!(dict, t.dictionary_attacks, "{format:?}");
        assert_eq!(r.dictionary.rejected_unknown, t.unknown_user_rejections);
        assert_eq!(r.rbl.total, t.rbl_rejections);
        assert_eq!(map(&r.rbl.by_host), t.rbl_hosts);
        assert_eq!(r.helo.total, t.helo_rejections);
        assert_eq!(map(&r.auth.by_host), t.auth_failure_hosts, "{format:?}");
        assert_eq!(r.auth.total, t.auth_failures);
        // Every attacker that attacked is an offender.
        for ip in t.dictionary_attacks.keys() {
            assert!(r.offenders.iter().any(|o| &o.ip == ip), "{ip}");
        }
        // Each connection's guesses add up to its host's.
        let per_conn: u64 = r
            .dictionary
            .connections
            .iter()
            .map(|c| c.rejected_unknown)
            .sum();
        assert_eq!(per_conn, t.unknown_user_rejections);
    }
}

/// Two connections of one IP overlap (B from 10:10:00, C from 10:10:05); their
/// closes carry `D=`, which tells them apart.
const HAND: &str = "\
2024-06-01 10:00:00 SMTP connection from [192.0.2.10] (TCP/IP connection count = 1)
2024-06-01 10:00:01 H=(probe.example.net) [192.0.2.10] F=<x@spam.example> rejected RCPT <alice@example.org>: Unknown user
2024-06-01 10:00:02 H=(probe.example.net) [192.0.2.10] F=<x@spam.example> rejected RCPT <bob@example.org>: Unknown user
2024-06-01 10:00:03 H=(probe.example.net) [192.0.2.10] F=<x@spam.example> rejected RCPT <Alice@example.org>: Unknown user
2024-06-01 10:00:04 1sAoM5-00000009r3p-06vq <= x@spam.example H=(probe.example.net) [192.0.2.10] P=esmtp S=1000 for carol@example.org
2024-06-01 10:00:05 SMTP connection from (probe.example.net) [192.0.2.10] D=5s closed by QUIT
2024-06-01 10:10:00 SMTP connection from [192.0.2.10] (TCP/IP connection count = 1)
2024-06-01 10:10:01 H=(probe.example.net) [192.0.2.10] F=<x@spam.example> rejected RCPT <dave@example.org>: Unknown user
2024-06-01 10:10:05 SMTP connection from [192.0.2.10] (TCP/IP connection count = 2)
2024-06-01 10:10:06 H=(probe.example.net) [192.0.2.10] F=<x@spam.example> rejected RCPT <erin@example.org>: Unknown user
2024-06-01 10:10:06 H=(probe.example.net) [192.0.2.10] F=<x@spam.example> rejected RCPT <frank@example.org>: Unknown user
2024-06-01 10:10:07 H=(probe.example.net) [192.0.2.10] F=<x@spam.example> rejected RCPT <grace@other.example>: relay not permitted
2024-06-01 10:10:08 SMTP connection from (probe.example.net) [192.0.2.10] D=3s closed by QUIT
2024-06-01 10:10:09 H=(probe.example.net) [192.0.2.10] F=<x@spam.example> rejected RCPT <heidi@example.org>: Unknown user
2024-06-01 10:10:10 SMTP connection from (probe.example.net) [192.0.2.10] D=10s closed by QUIT
2024-06-01 11:00:00 dovecot_login authenticator failed for H=(ylmf-pc) [198.51.100.7]: 535 Incorrect authentication data (set_id=info@example.org)
2024-06-01 11:00:01 dovecot_login authenticator failed for H=(ylmf-pc) [198.51.100.7]: 535 Incorrect authentication data (set_id=info@example.org)
2024-06-01 11:00:02 dovecot_login authenticator failed for H=(ylmf-pc) [198.51.100.7]: 535 Incorrect authentication data (set_id=admin@example.org)
2024-06-01 11:00:03 dovecot_plain authenticator failed for (ylmf-pc) [198.51.100.7]: 535 Incorrect authentication data (set_id=admin@example.org)
2024-06-01 11:00:04 H=mail.bad.example [198.51.100.7] sender verify fail for <nobody@bad.example>: Unrouteable address
2024-06-01 11:00:05 H=mail.bad.example [198.51.100.7] F=<nobody@bad.example> rejected RCPT <info@example.org>: Sender verify failed
2024-06-01 11:00:06 SMTP syntax error in \"junk\" H=mail.bad.example [198.51.100.7] unrecognized command
2024-06-01 11:00:07 SMTP call from mail.bad.example [198.51.100.7] dropped: too many syntax or protocol errors (last command was \"junk\",  C=EHLO,junk,junk)
2024-06-01 12:00:00 H=(x) [203.0.113.5] F=<a@b.example> rejected RCPT <c@example.org>: rejected because 203.0.113.5 is in a black list at zen.spamhaus.org
2024-06-01 12:00:01 H=(x) [203.0.113.6] F=<a@b.example> rejected RCPT <c@example.org>: JunkMail rejected - [203.0.113.6] is in an RBL: bl.spamcop.net
2024-06-01 12:00:02 rejected EHLO from [203.0.113.9]: syntactically invalid argument(s): a_b
2024-06-01 12:00:03 H=(203.0.113.1) [203.0.113.9] rejected EHLO or HELO 203.0.113.1: HELO/EHLO set to my IP address
";

fn check_hand_report(r: &Report) {
    let d = &r.dictionary;
    assert_eq!(d.rejected_unknown, 7);
    assert_eq!(d.connections_seen, 3);
    let h = &d.hosts[0];
    assert_eq!(h.ip, "192.0.2.10");
    assert_eq!(
        (
            h.rejected_unknown,
            h.local_parts.count,
            h.rejected_other,
            h.connections
        ),
        (7, 6, 1, 3)
    );
    assert_eq!((h.accepted_messages, h.accepted_recipients), (1, 1));
    // (unknown, distinct local parts, other, accepted, start) per connection.
    let conns: Vec<(u64, u64, u64, u64, String)> = d
        .connections
        .iter()
        .map(|c| {
            (
                c.rejected_unknown,
                c.local_parts.count,
                c.rejected_other,
                c.accepted_messages,
                c.start.clone(),
            )
        })
        .collect();
    assert_eq!(conns.len(), 3);
    assert_eq!(conns[0].0, 3);
    assert_eq!((conns[0].1, conns[0].3), (2, 1));
    let mut rest: Vec<(u64, u64, u64)> = conns[1..].iter().map(|c| (c.0, c.1, c.2)).collect();
    rest.sort();
    assert_eq!(rest, [(2, 2, 0), (2, 2, 1)]);

    assert_eq!(r.auth.total, 4);
    assert_eq!(
        map(&r.auth.by_host),
        BTreeMap::from([("198.51.100.7".to_string(), 4)])
    );
    assert_eq!(r.auth.by_host[0].distinct.count, 2);
    assert_eq!(
        map(&r.auth.by_key),
        BTreeMap::from([
            ("admin@example.org".to_string(), 2),
            ("info@example.org".to_string(), 2)
        ])
    );
    assert_eq!((r.sender_verify.failed, r.sender_verify.deferred), (1, 0));
    assert_eq!(r.sender_verify.by_domain[0].key, "bad.example");
    assert_eq!(r.protocol.total, 2);
    assert_eq!(
        map(&r.protocol.by_key),
        BTreeMap::from([
            ("SMTP syntax error".to_string(), 1),
            ("dropped: too many syntax or protocol errors".to_string(), 1)
        ])
    );
    assert_eq!(r.rbl.total, 2);
    assert_eq!(
        map(&r.rbl.by_key),
        BTreeMap::from([
            ("bl.spamcop.net".to_string(), 1),
            ("zen.spamhaus.org".to_string(), 1)
        ])
    );
    assert_eq!(r.helo.total, 2);
    assert_eq!(
        map(&r.helo.by_host),
        BTreeMap::from([("203.0.113.9".to_string(), 2)])
    );
    assert_eq!(
        map(&r.other_rejections.by_key),
        BTreeMap::from([
            ("Sender verify failed".to_string(), 1),
            ("relay not permitted".to_string(), 1)
        ])
    );
    // Threshold 2 on the total of offender events: 192.0.2.10 has 7 unknown
    // users and 1 relay attempt; 198.51.100.7 has 4 AUTH failures, a sender
    // verify failure and its RCPT rejection, a syntax error and a drop; the
    // RBL hosts (1 each) are not offenders.
    let offenders: Vec<(&str, u64)> = r
        .offenders
        .iter()
        .map(|o| (o.ip.as_str(), o.events))
        .collect();
    assert_eq!(
        offenders,
        [("192.0.2.10", 8), ("198.51.100.7", 8), ("203.0.113.9", 2)]
    );
}

#[test]
fn hand_written_log_without_pid() {
    check_hand_report(&report(HAND.as_bytes(), 2));
}

#[test]
fn hand_written_log_with_pid() {
    // +pid: the daemon (pid 100) logs the connection, its child the rest, so
    // concurrent connections are told apart by pid.
    let mut log = String::new();
    let mut conn_pid = 0;
    for line in HAND.lines() {
        let (ts, rest) = line.split_at(19);
        let pid = if rest.contains("(TCP/IP connection count") {
            conn_pid += 1;
            100
        } else if ts.starts_with("2024-06-01 10:10") && rest.contains("<dave@") {
            2001
        } else if ts.starts_with("2024-06-01 10:10")
            && (rest.contains("<erin@")
                || rest.contains("<frank@")
                || rest.contains("<grace@")
                || rest.contains("D=3s"))
        {
            2002
        } else if ts.starts_with("2024-06-01 10:10") {
            2001
        } else {
            1000 + conn_pid
        };
        log.push_str(&format!("{ts} [{pid}]{rest}\n"));
    }
    check_hand_report(&report(log.as_bytes(), 2));
}

#[test]
fn offenders_flag_lists_ips_only() {
    let (_, t) = generate(&sample_config());
    let (code, out, err) = support::run("abuse-report", &["--offenders", "--sample"]);
    assert_eq!(code, 0, "{err}");
    let ips: Vec<&str> = out.lines().collect();
    for ip in &t.incidents.dictionary_attackers {
        assert!(ips.contains(&ip.as_str()), "{out}");
    }
    assert!(
        ips.iter().all(|l| l.parse::<std::net::IpAddr>().is_ok()),
        "{out}"
    );
}

#[test]
fn text_and_json_on_the_sample() {
    let (_, t) = generate(&sample_config());
    let attacker = &t.incidents.dictionary_attackers[0];
    let (code, out, err) = support::run("abuse-report", &["--sample"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "Dictionary attacks: {} RCPTs rejected as unknown",
            t.unknown_user_rejections
        )),
        "{out}"
    );
    assert!(out.contains(attacker.as_str()));
    let v = support::run_json("abuse-report", &["--json", "--sample"]);
    assert_eq!(v["dictionary"]["hosts"][0]["ip"], attacker.as_str());
    assert_eq!(
        v["dictionary"]["hosts"][0]["rejected_unknown"],
        t.dictionary_attacks[attacker]
    );
}
