//! The generator's promises: same seed, same bytes; the ground truth matches the
//! lines (checked with plain byte searches, not with the parser under test); every
//! line has a valid prefix for `exim_log::parse_line`.
// Helpers outside #[test] fns are test code too: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use exim_log::{IdFormat, MessageId, parse_line};
use exim_log_benches::{Config, Truth, generate};

fn lines(log: &[u8]) -> impl Iterator<Item = &[u8]> {
    log.split(|b| *b == b'\n').filter(|l| !l.is_empty())
}

fn contains(hay: &[u8], needle: &str) -> bool {
    memchr::memmem::find(hay, needle.as_bytes()).is_some()
}

fn count(log: &[u8], needle: &str) -> u64 {
    lines(log).filter(|l| contains(l, needle)).count() as u64
}

/// The text after `needle` up to the next space (or end of line).
fn word_after<'a>(line: &'a [u8], needle: &str) -> Option<&'a str> {
    let at = memchr::memmem::find(line, needle.as_bytes())? + needle.len();
    let rest = line.get(at..)?;
    let end = rest.iter().position(|b| *b == b' ').unwrap_or(rest.len());
    std::str::from_utf8(rest.get(..end)?).ok()
}

/// The `[ip]` of `H=` on a reject line: the last bracket before ` F=<`.
fn client_ip(line: &[u8]) -> &str {
    let f = memchr::memmem::find(line, b" F=<").unwrap();
    let head = line.get(..f).unwrap();
    let open = memchr::memrchr(b'[', head).unwrap();
    let close = memchr::memrchr(b']', head).unwrap();
    std::str::from_utf8(head.get(open + 1..close).unwrap()).unwrap()
}

fn variants() -> Vec<Config> {
    let mut out = Vec::new();
    let mut base = Config::with_incidents(7, 200_000);
    out.push(base.clone());
    base.id_format = IdFormat::Old;
    base.pid = true;
    out.push(base.clone());
    base.millisec = true;
    base.utc_offset_minutes = Some(-330);
    base.rich = true;
    base.seed = 99;
    out.push(base.clone());
    let mut plain = Config::new(3, 100_000);
    plain.subject = false;
    plain.received_recipients = false;
    plain.smtp_connection = false;
    out.push(plain);
    out
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for config in variants() {
        let (a, ta) = generate(&config);
        let (b, tb) = generate(&config);
        assert!(a == b, "two runs of {config:?} differ");
        assert_eq!(ta, tb);
        let mut other = config.clone();
        other.seed += 1;
        assert!(generate(&other).0 != a);
    }
}

#[test]
fn size_and_line_counts() {
    for config in variants() {
        let (log, t) = generate(&config);
        assert_eq!(t.bytes, log.len() as u64);
        assert!(t.bytes >= config.target_bytes);
        // Finishing open lifecycles adds a little, not a lot.
        assert!(t.bytes < config.target_bytes + 64 * 1024, "{}", t.bytes);
        assert_eq!(t.lines, memchr::memchr_iter(b'\n', &log).count() as u64);
        assert_eq!(log.last(), Some(&b'\n'));
    }
}

#[test]
fn truth_counts_match_the_lines() {
    for config in variants() {
        let (log, t) = generate(&config);
        assert_eq!(count(&log, " <= "), t.arrivals, "{config:?}");
        assert_eq!(count(&log, " <= <> R="), t.bounces);
        assert_eq!(count(&log, " P=local "), t.arrivals_local + t.bounces);
        assert_eq!(count(&log, " A=dovecot_login:"), t.arrivals_authenticated);
        assert_eq!(
            t.arrivals,
            t.arrivals_remote + t.arrivals_local + t.arrivals_authenticated + t.bounces
        );
        assert_eq!(count(&log, " => "), t.deliveries);
        assert_eq!(count(&log, " -> "), t.additional_deliveries);
        assert_eq!(
            count(&log, " T=remote_smtp") - count(&log, " ** ") - count(&log, " == "),
            t.deliveries_remote
        );
        assert_eq!(
            t.deliveries + t.additional_deliveries,
            t.deliveries_local + t.deliveries_remote
        );
        assert_eq!(count(&log, " == "), t.deferrals);
        assert_eq!(count(&log, " ** "), t.failures);
        assert_eq!(count(&log, " Completed"), t.completed);
        assert_eq!(count(&log, " Frozen"), t.frozen);
        assert_eq!(count(&log, " cwd="), t.arguments_lines);
        assert_eq!(count(&log, "(TCP/IP connection count = "), t.connections);
        assert_eq!(count(&log, "Start queue run: pid="), t.queue_runs);
        assert_eq!(count(&log, "End queue run: pid="), t.queue_runs);
        assert_eq!(count(&log, " rejected RCPT <"), t.rejected_rcpt);
        assert_eq!(count(&log, ">: Unknown user"), t.unknown_user_rejections);
        assert_eq!(count(&log, " is in an RBL: "), t.rbl_rejections);
        assert_eq!(count(&log, "rejected EHLO"), t.helo_rejections);
        assert_eq!(count(&log, " authenticator failed for "), t.auth_failures);
        // Every message is completed or frozen (a frozen bounce never completes).
        assert_eq!(t.completed + t.frozen, t.arrivals);
        let s_sum: u64 = lines(&log)
            .filter(|l| contains(l, " <= "))
            .filter_map(|l| word_after(l, " S=")?.parse::<u64>().ok())
            .sum();
        assert_eq!(s_sum, t.received_bytes);
    }
}

fn tally<'a>(it: impl Iterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for k in it {
        *m.entry(k.to_string()).or_insert(0) += 1;
    }
    m
}

#[test]
fn per_script_user_login_and_attacker_maps_match() {
    let mut config = Config::with_incidents(11, 400_000);
    config.pid = true;
    config.incident_percent = 15;
    let (log, t) = generate(&config);
    let all: Vec<&[u8]> = lines(&log).collect();
    // Each `sendmail` cwd= line is followed by its `<=` line: same second, same pid.
    let mut scripts = Vec::new();
    for (i, l) in all.iter().enumerate() {
        if !contains(l, " args: /usr/sbin/sendmail ") {
            continue;
        }
        let next = all.get(i + 1).expect("a line after cwd=");
        assert_eq!(l.get(..19), next.get(..19), "same second");
        let pid = word_after(l, "[").unwrap();
        assert_eq!(word_after(next, "["), Some(pid), "same pid");
        assert!(contains(next, " <= ") && contains(next, " P=local "));
        scripts.push(word_after(l, "cwd=").unwrap());
    }
    assert_eq!(tally(scripts.into_iter()), t.per_script);
    let users = lines(&log)
        .filter(|l| contains(l, " <= ") && contains(l, " P=local ") && !contains(l, " <= <> "))
        .map(|l| word_after(l, " U=").unwrap());
    assert_eq!(tally(users), t.per_user);
    let logins = lines(&log).filter_map(|l| word_after(l, " A=dovecot_login:"));
    assert_eq!(tally(logins), t.per_login);
    let attackers = lines(&log)
        .filter(|l| contains(l, ">: Unknown user"))
        .map(client_ip);
    assert_eq!(tally(attackers), t.dictionary_attacks);
    let rbl = lines(&log)
        .filter(|l| contains(l, " is in an RBL: "))
        .map(client_ip);
    assert_eq!(tally(rbl), t.rbl_hosts);

    // The injected abuse stands out.
    let spam_dir = t.incidents.compromised_scripts.first().unwrap();
    let top_script = t.per_script.iter().max_by_key(|(_, n)| **n).unwrap().0;
    assert_eq!(top_script, spam_dir);
    let spam_login = t.incidents.spamming_logins.first().unwrap();
    let top_login = t.per_login.iter().max_by_key(|(_, n)| **n).unwrap().0;
    assert_eq!(top_login, spam_login);
    for ip in &t.incidents.dictionary_attackers {
        assert!(
            t.dictionary_attacks.get(ip).copied().unwrap_or(0) >= 15,
            "{ip}"
        );
    }
}

#[test]
fn recorded_messages_match_lines_by_id() {
    let config = Config::with_incidents(5, 300_000);
    let (log, t) = generate(&config);
    assert_eq!(t.messages.len() as u64, t.arrivals);
    let mut by_id: BTreeMap<&str, u32> = BTreeMap::new();
    for l in lines(&log) {
        let line = parse_line(l).unwrap();
        if let Some(id) = line.message_id {
            *by_id.entry(id.as_str()).or_insert(0) += 1;
        }
    }
    assert_eq!(
        by_id.len(),
        t.messages.len(),
        "ids are unique and all logged"
    );
    for m in &t.messages {
        assert_eq!(by_id.get(m.id.as_str()).copied(), Some(m.lines), "{}", m.id);
        if let Some(parent) = &m.bounce_of {
            assert!(by_id.contains_key(parent.as_str()));
        }
    }
    let frozen = t.messages.iter().filter(|m| !m.completed).count() as u64;
    assert_eq!(frozen, t.frozen);
}

#[test]
fn every_line_parses_and_ids_encode_arrival_time() {
    for config in variants() {
        let (log, t) = generate(&config);
        let mut n = 0;
        for l in lines(&log) {
            let line =
                parse_line(l).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(l)));
            n += 1;
            assert_eq!(line.pid.is_some(), config.pid);
            assert_eq!(line.timestamp.millisecond.is_some(), config.millisec);
            assert_eq!(line.timestamp.utc_offset_minutes, config.utc_offset_minutes);
            let Some(id) = line.message_id else { continue };
            assert_eq!(id.format(), config.id_format);
            if contains(l, " <= ") {
                // The id encodes when reception started: at or a few seconds before `<=`.
                let ts = line.timestamp.unix_seconds();
                let born = id.time() as i64;
                assert!(born <= ts && ts - born <= 5, "{id} at {ts}");
            }
        }
        assert_eq!(n, t.lines);
    }
}

#[test]
fn ids_in_lines_are_valid_and_unique_per_message() {
    let (log, _) = generate(&Config::with_incidents(21, 200_000));
    for l in lines(&log).filter(|l| contains(l, " <= ")) {
        let id = l.get(20..43).unwrap();
        assert!(MessageId::parse(id).is_some());
    }
}

#[test]
fn truth_is_printable_and_comparable() {
    let t = Truth::default();
    assert_eq!(t.lines, 0);
    assert!(format!("{t:?}").contains("dictionary_attacks"));
}
