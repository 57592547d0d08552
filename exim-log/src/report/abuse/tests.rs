//! The counting and the report of `abuse-report`, on hand-written lines.

use super::*;

fn feed(r: &mut AbuseReport, line: &str) {
    match crate::parse_line(line.as_bytes()) {
        Ok(l) => r.add(&l),
        Err(e) => panic!("{line}: {e}"),
    }
}

/// A kind's total counts every event even when its table, over budget,
/// dropped rows (it summed the rows before: 30% short on a busy day).
#[test]
fn a_total_stays_exact_when_rows_are_trimmed() {
    let ts = crate::parse_line(b"2024-05-25 10:10:28 Start queue run: pid=1")
        .unwrap()
        .timestamp;
    let mut t = Tallies::default();
    t.0.set_max_bytes(16 << 10);
    for i in 0..5_000 {
        t.note(&format!("host-{i}.example"), None, ts);
    }
    assert!(
        t.0.len() < 5_000,
        "the table kept every row: no trim tested"
    );
    assert_eq!(t.total(), 5_000);
    let mut later = Tallies::default();
    later.note("host-1.example", None, ts);
    later.note("other.example", None, ts);
    t.merge(later);
    assert_eq!(t.total(), 5_002);
}

/// The state travels (Python pickles a `Report`): a report cut in two,
/// each half serialized and read back, merges into the one-pass report,
/// offenders' first and last seen included.
#[cfg(feature = "serde")]
#[test]
fn serialized_halves_merge_into_one_pass() {
    let lines: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "2024-05-25 10:{:02}:{:02} [{}] H=(x) [192.0.2.{}] F=<a@example.net> rejected RCPT <u{i}@example.com>: Unknown user",
                i / 60,
                i % 60,
                100 + i / 7,
                i % 3
            )
        })
        .collect();
    let mut whole = AbuseReport::new(TimeWindow::default());
    let (mut a, mut b) = (whole.clone(), whole.clone());
    for (i, l) in lines.iter().enumerate() {
        feed(&mut whole, l);
        feed(if i < 17 { &mut a } else { &mut b }, l);
    }
    let travel = |r: &AbuseReport| -> AbuseReport {
        let json = serde_json::to_vec(r).unwrap_or_default();
        serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{e}"))
    };
    let mut merged = travel(&a);
    merged.merge(travel(&b));
    let (want, got) = (whole.report(10, 1), merged.report(10, 1));
    let json = |r| serde_json::to_value(r).unwrap_or_default();
    assert_eq!(json(&got), json(&want));
    assert_eq!(want.offenders.len(), 3);
    assert!(json(&want).to_string().contains("2024-05-25T10:00:39"));
}

#[test]
fn open_connections_stay_bounded() {
    let mut r = AbuseReport::new(TimeWindow::default());
    // The daemon logs every open under its own pid; the closes come from
    // the children, so these opens are never closed under this key.
    for _ in 0..1000 {
        feed(
            &mut r,
            "2024-06-01 10:00:00 [100] SMTP connection from [192.0.2.1] (TCP/IP connection count = 1)",
        );
    }
    assert!(r.open.values().all(|v| v.len() <= PER_KEY_CAP));
    for i in 0..(OPEN_CAP + 100) {
        let (a, b) = (i / 256, i % 256);
        feed(
            &mut r,
            &format!(
                "2024-06-01 10:00:01 SMTP connection from [10.0.{a}.{b}] (TCP/IP connection count = 1)"
            ),
        );
    }
    assert!(r.open.len() <= OPEN_CAP);
}

/// Issue 16: the open connections are held within their share of the
/// budget in bytes (counted honestly), and what is closed early to stay
/// there is counted in `memory.hits`; the default budget closes none.
#[test]
fn open_connections_stay_within_their_bytes() {
    let budget = MemoryBudget::bytes(256 << 10);
    let mut small = AbuseReport::with_budget(TimeWindow::default(), budget);
    let mut default = AbuseReport::new(TimeWindow::default());
    for i in 0..3000 {
        let (a, b) = (i / 256, i % 256);
        // Never closed; each rejects a few unknown users (its local parts
        // grow while it is open).
        let mut lines = vec![format!(
            "2024-06-01 10:00:00 [{}] SMTP connection from [10.1.{a}.{b}] (TCP/IP connection count = 1)",
            1000 + i
        )];
        for j in 0..3 {
            lines.push(format!(
                "2024-06-01 10:00:00 [{}] H=(x) [10.1.{a}.{b}] F=<p@example.org> rejected RCPT <user{j}-{}@example.test>: Unknown user",
                1000 + i,
                "l".repeat(40)
            ));
        }
        for l in &lines {
            feed(&mut small, l);
            feed(&mut default, l);
        }
        assert!(
            small.open_bytes <= small.open_budget,
            "{}",
            small.open_bytes
        );
        let counted: usize = small
            .open
            .iter()
            .flat_map(|(k, v)| v.iter().map(move |c| conn_bytes(k, c)))
            .sum();
        assert_eq!(small.open_bytes, counted);
    }
    assert_eq!(small.open_budget, (256 << 10) / OPEN_SHARE);
    assert!(small.open_peak > small.open_budget / 2);
    let (s, d) = (small.report(10, 1), default.report(10, 1));
    assert!(s.bounds.memory.hits >= small.open_evicted && small.open_evicted > 0);
    assert_eq!(default.open_evicted, 0);
    assert!(d.bounds.memory.hits < s.bounds.memory.hits);
    // Closed early is still counted (a connection closed early that
    // rejects again counts as two, as a message flushed early continues).
    assert!(s.dictionary.connections_seen >= 3000);
    assert_eq!(d.dictionary.connections_seen, 3000);
}

#[test]
fn protocol_kinds() {
    let cases = [
        (
            "2024-06-01 10:00:00 SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[192.0.2.1] input=\"EHLO x\"",
            "SMTP protocol synchronization error",
        ),
        (
            "2024-06-01 10:00:00 SMTP call from (x) [192.0.2.1] dropped: too many nonmail commands (last was \"RSET\")",
            "dropped: too many nonmail commands",
        ),
    ];
    for (line, want) in cases {
        let l = crate::parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(protocol_kind(&l), want, "{line}");
    }
}

/// The key cap grows with the budget: more offending IPs than [`TABLE_CAP`]
/// are all kept, each counted exactly, at 1 GiB (before, 50,000 keys
/// whatever the budget); at the default budget the table is cut and says so.
#[test]
fn key_cap_grows_with_the_budget() {
    assert_eq!(table_cap(MemoryBudget::DEFAULT), TABLE_CAP);
    assert_eq!(table_cap(MemoryBudget::bytes(1 << 20)), TABLE_CAP);
    assert_eq!(table_cap(MemoryBudget::bytes(96 << 20)), 4 * TABLE_CAP);
    assert_eq!(
        table_cap(MemoryBudget::bytes(usize::MAX)),
        usize::MAX / (24 << 20)
    );
    let n = TABLE_CAP + TABLE_CAP / 5;
    let lines: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "2024-05-25 10:00:00 dovecot_login authenticator failed for (pc) [10.{}.{}.{}]: 535 Incorrect authentication data (set_id=u@example.test)",
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255
            )
        })
        .collect();
    let run = |budget| {
        let mut r = AbuseReport::with_budget(TimeWindow::default(), budget);
        for l in &lines {
            feed(&mut r, l);
        }
        r.report(10, 1)
    };
    let big = run(MemoryBudget::bytes(1 << 30));
    assert!(!big.bounds.approximate, "{:?}", big.bounds);
    assert_eq!(big.offenders.len(), n);
    assert!(big.offenders.iter().all(|o| o.events == 1));
    let small = run(MemoryBudget::DEFAULT);
    assert!(small.bounds.approximate);
    assert!(small.offenders.len() < n);
}
