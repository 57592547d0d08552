//! `spam-sources` on generated logs: every table equals the generator's
//! ground truth (exact counts), whatever the id format and `+pid`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::collections::BTreeMap;

use exim_log::IdFormat;
use exim_log::assemble::Assembled;
use exim_log_benches::{Config, Truth, generate, sample_config};
use exim_log_cli::report::spam::{SourceKind, SpamReport, SpamSources};
use exim_log_cli::window::{TimeWindow, parse_time};

fn report(log: &[u8], window: TimeWindow) -> SpamReport {
    let mut agg = SpamSources::new(window);
    for a in support::assembled(log) {
        if let Assembled::Message(m) = a {
            agg.add(&m);
        }
    }
    agg.report(usize::MAX, 1)
}

fn table(r: &SpamReport, kind: SourceKind) -> BTreeMap<String, u64> {
    r.sections
        .iter()
        .find(|s| s.kind == kind)
        .expect("section")
        .rows
        .iter()
        .map(|row| (row.source.clone(), row.messages))
        .collect()
}

fn check_against_truth(log: &[u8], t: &Truth) -> SpamReport {
    let r = report(log, TimeWindow::default());
    assert_eq!(table(&r, SourceKind::Script), t.per_script, "per script");
    assert_eq!(table(&r, SourceKind::User), t.per_user, "per user");
    assert_eq!(table(&r, SourceKind::Login), t.per_login, "per login");
    assert_eq!(r.totals.messages, t.arrivals);
    assert_eq!(r.totals.local, t.arrivals_local);
    assert_eq!(r.totals.local_with_script, t.arrivals_local);
    assert_eq!(r.totals.authenticated, t.arrivals_authenticated);
    assert_eq!(r.totals.bounces, t.bounces);
    // The injected abuse is the top of its table, and the finding says so.
    let script = &t.incidents.compromised_scripts[0];
    let login = &t.incidents.spamming_logins[0];
    let top = |k: SourceKind| {
        r.findings
            .iter()
            .find(|f| f.kind == k)
            .map(|f| f.source.clone())
    };
    assert_eq!(top(SourceKind::Script).as_ref(), Some(script));
    assert_eq!(top(SourceKind::Login).as_ref(), Some(login));
    r
}

#[test]
fn tables_equal_ground_truth_new_ids() {
    let (log, t) = generate(&Config::with_incidents(11, 400 << 10));
    let r = check_against_truth(&log, &t);
    // Recipients and failures of the spam script: the script's messages are
    // the truth's messages with that script.
    let script = &t.incidents.compromised_scripts[0];
    let want_rcpts: u64 = t
        .messages
        .iter()
        .filter(|m| m.script.as_ref() == Some(script))
        .map(|m| u64::from(m.recipients))
        .sum();
    let row = r.sections[0]
        .rows
        .iter()
        .find(|x| &x.source == script)
        .unwrap();
    assert_eq!(row.recipients, want_rcpts);
    assert!(row.example_message_id.is_some());
}

#[test]
fn tables_equal_ground_truth_old_ids_and_pid() {
    let mut c = Config::with_incidents(12, 300 << 10);
    c.id_format = IdFormat::Old;
    c.pid = true;
    let (log, t) = generate(&c);
    check_against_truth(&log, &t);
}

#[test]
fn time_window_splits_the_counts() {
    let (log, t) = generate(&Config::with_incidents(13, 200 << 10));
    let all = report(&log, TimeWindow::default());
    // Split at the middle of the log's time span.
    let first = parse_time(&all.totals.first.clone().unwrap()).unwrap();
    let last = parse_time(&all.totals.last.clone().unwrap()).unwrap();
    let mid = (first + last) / 2;
    let before = report(
        &log,
        TimeWindow {
            since: None,
            until: Some(mid),
        },
    );
    let after = report(
        &log,
        TimeWindow {
            since: Some(mid),
            until: None,
        },
    );
    assert_eq!(before.totals.messages + after.totals.messages, t.arrivals);
    assert!(before.totals.messages > 0 && after.totals.messages > 0);
    let sum = |k| {
        let mut m = table(&before, k);
        for (key, n) in table(&after, k) {
            *m.entry(key).or_default() += n;
        }
        m
    };
    assert_eq!(sum(SourceKind::User), t.per_user);
}

#[test]
fn no_argument_run_shows_the_sample_findings() {
    // The README's first command: the bundled sample.
    let (_, t) = generate(&sample_config());
    let (code, out, err) = support::run("spam-sources", &["--sample"]);
    assert_eq!(code, 0, "{err}");
    let script = &t.incidents.compromised_scripts[0];
    let login = &t.incidents.spamming_logins[0];
    let n_script = t.per_script[script];
    assert!(
        out.contains(&format!("script {script}: {n_script} messages")),
        "{out}"
    );
    assert!(
        out.contains(&format!("login  {login}: {} messages", t.per_login[login])),
        "{out}"
    );
    // The script's table starts with it.
    let section = out.split("Scripts (cwd=").nth(1).unwrap();
    let first_row = section.lines().nth(3).unwrap();
    assert!(first_row.ends_with(script.as_str()), "{first_row}");
}

#[test]
fn json_and_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let (log, t) = generate(&Config::with_incidents(14, 100 << 10));
    let path = support::write(dir.path(), "mainlog", &log);
    let v = support::run_json(
        "spam-sources",
        &["--json", "--top", "1", "--threshold", "2", &path],
    );
    assert_eq!(v["totals"]["messages"], t.arrivals);
    for s in v["sections"].as_array().unwrap() {
        let rows = s["rows"].as_array().unwrap();
        assert!(rows.len() <= 1);
        assert!(rows.iter().all(|r| r["messages"].as_u64().unwrap() >= 2));
    }
    let logins = &v["sections"][2];
    assert_eq!(logins["kind"], "login");
    assert_eq!(
        logins["rows"][0]["source"],
        t.incidents.spamming_logins[0].as_str()
    );
}

/// The seed's two cases, written out: a PHP script running as `nobody` whose
/// only `cwd=` line is the `-Mc` delivery process started in its directory,
/// and a client relaying through an authenticated session; plus a host
/// relaying without authentication and an inbound message (not a source).
const SEED: &str = "\
2006-04-27 17:43:41 1FZ8zt-0005lz-E7 <= nobody@server.example.com U=nobody P=local S=4001 T=\"Buy Me!\" for a@example.net b@example.org
2006-04-27 17:43:50 cwd=/home/clientx/public_html/phpBB/ 5 args: /usr/sbin/exim -Mc 1FZ8zt-0005lz-E7
2006-04-27 17:43:53 1FZ8zt-0005lz-E7 => a@example.net R=lookuphost T=remote_smtp H=mx.example.net [192.0.2.25]
2006-04-27 17:43:53 1FZ8zt-0005lz-E7 ** b@example.org R=lookuphost T=remote_smtp H=mx.example.org [192.0.2.26]: SMTP error from remote mail server after RCPT TO:<b@example.org>: 550 unknown user
2006-04-27 17:43:53 1FZ8zt-0005lz-E7 Completed
2006-04-27 17:54:51 1FZ9lT-000707-O2 <= client@example.com H=(home-pc) [198.51.100.20] P=esmtpa A=fixed_plain:clientx S=715 id=ABCDEFG@home-pc T=\"Buy Me!\" for c@example.net
2006-04-27 17:54:51 cwd=/var/spool/exim 3 args: /usr/sbin/exim -Mc 1FZ9lT-000707-O2
2006-04-27 17:54:52 1FZ9lT-000707-O2 == c@example.net R=lookuphost T=remote_smtp defer (-44) H=mx.example.net [192.0.2.25]: SMTP error from remote mail server after RCPT TO:<c@example.net>: 451 later
2006-04-27 17:55:10 1FZ9lU-000708-A1 <= relay@example.com H=open.example.com [203.0.113.50] P=esmtp S=900 for d@example.net
2006-04-27 17:55:11 1FZ9lU-000708-A1 => d@example.net R=lookuphost T=remote_smtp H=mx.example.net [192.0.2.25]
2006-04-27 17:55:11 1FZ9lU-000708-A1 Completed
2006-04-27 17:56:00 1FZ9lV-000709-B2 <= friend@example.net H=mx.example.net [192.0.2.25] P=esmtp S=1200 for clientx@server.example.com
2006-04-27 17:56:00 1FZ9lV-000709-B2 => clientx <clientx@server.example.com> R=localuser T=local_delivery
2006-04-27 17:56:00 1FZ9lV-000709-B2 Completed
";

#[test]
fn seed_cases_by_hand() {
    let r = report(SEED.as_bytes(), TimeWindow::default());
    assert_eq!(
        table(&r, SourceKind::Script),
        BTreeMap::from([("/home/clientx/public_html/phpBB/".to_string(), 1)])
    );
    assert_eq!(
        table(&r, SourceKind::User),
        BTreeMap::from([("nobody".to_string(), 1)])
    );
    assert_eq!(
        table(&r, SourceKind::Login),
        BTreeMap::from([("clientx".to_string(), 1)])
    );
    assert_eq!(
        table(&r, SourceKind::Host),
        BTreeMap::from([("203.0.113.50".to_string(), 1)])
    );
    let t = &r.totals;
    assert_eq!(
        (
            t.messages,
            t.local,
            t.authenticated,
            t.relayed,
            t.inbound,
            t.without_arrival
        ),
        (4, 1, 1, 1, 1, 0)
    );
    let script = &r.sections[0].rows[0];
    assert_eq!(
        (
            script.recipients,
            script.recipient_domains.count,
            script.delivered,
            script.failed
        ),
        (2, 2, 1, 1)
    );
    assert_eq!(script.top_subjects[0].subject, "Buy Me!");
    assert_eq!(
        script.example_message_id.as_deref(),
        Some("1FZ8zt-0005lz-E7")
    );
    let login = &r.sections[2].rows[0];
    assert_eq!((login.deferred, login.bytes), (1, 715));
    let host = &r.sections[3].rows[0];
    assert_eq!(host.label.as_deref(), Some("open.example.com"));
}

#[test]
fn window_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::write(dir.path(), "mainlog", SEED.as_bytes());
    let bin = "spam-sources";
    let v = support::run_json(bin, &["--json", "--since", "2006-04-27 17:50", &path]);
    assert_eq!(v["totals"]["messages"], 3);
    assert_eq!(v["totals"]["local"], 0);
    let (code, _, err) = support::run(bin, &["--since", "yesterday", &path]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    // A missing file is an error naming it, with exit status 2.
    let (code, _, err) = support::run(bin, &["/nonexistent/mainlog"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/mainlog"), "{err}");
}
