//! `exim-log report --html`: the page, parsed with an HTML tokenizer, shows the
//! numbers of `summary`, `spam-sources` and `abuse-report --json` of the same
//! input (every table row and cell, every chart bar, every total), and log
//! text that is HTML stays text. The browser's view of the same page is
//! checked by `scripts/test-html` (headless Chromium).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::collections::BTreeMap;

use html5gum::{DefaultEmitter, Token, Tokenizer};
use serde_json::Value;

/// One table cell: its `data-col`, `data-v` and text.
#[derive(Debug, Default)]
struct Cell {
    col: Option<String>,
    v: Option<String>,
    text: String,
}

#[derive(Debug, Default)]
struct Table {
    path: String,
    declared: usize,
    rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Default)]
struct Chart {
    path: String,
    series: String,
    declared: usize,
    /// (data-key, data-n) of each bar.
    bars: Vec<(String, u64)>,
}

#[derive(Debug, Default)]
struct Page {
    tables: Vec<Table>,
    charts: Vec<Chart>,
    totals: Vec<(String, u64)>,
    /// Every start tag: name and attributes.
    tags: Vec<(String, BTreeMap<String, String>)>,
    /// All text outside script and style.
    text: String,
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn parse(html: &str) -> Page {
    let mut emitter = DefaultEmitter::default();
    // Script and style content is raw text, as a browser reads it.
    emitter.naively_switch_states(true);
    let mut page = Page::default();
    let (mut in_cell, mut in_raw, mut in_body) = (false, false, false);
    let (mut table, mut chart): (Option<Table>, Option<Chart>) = (None, None);
    for token in Tokenizer::new_with_emitter(html, emitter) {
        let Ok(token) = token;
        match token {
            Token::StartTag(t) => {
                let name = s(&t.name);
                let attrs: BTreeMap<String, String> = t
                    .attributes
                    .iter()
                    .map(|(k, v)| (s(k), s(&v.value)))
                    .collect();
                let a = |k: &str| attrs.get(k).cloned();
                match name.as_str() {
                    "script" | "style" => in_raw = true,
                    "table" if a("data-table").is_some() => {
                        table = Some(Table {
                            path: a("data-table").unwrap(),
                            declared: a("data-rows").unwrap().parse().unwrap(),
                            rows: Vec::new(),
                        });
                    }
                    "p" if a("data-table").is_some() => page.tables.push(Table {
                        path: a("data-table").unwrap(),
                        declared: a("data-rows").unwrap().parse().unwrap(),
                        rows: Vec::new(),
                    }),
                    "tbody" => in_body = true,
                    "tr" if in_body => {
                        if let Some(t) = &mut table {
                            t.rows.push(Vec::new());
                        }
                    }
                    "td" if in_body => {
                        in_cell = true;
                        if let Some(t) = &mut table {
                            t.rows.last_mut().unwrap().push(Cell {
                                col: a("data-col"),
                                v: a("data-v"),
                                text: String::new(),
                            });
                        }
                    }
                    "svg" if a("data-chart").is_some() => {
                        chart = Some(Chart {
                            path: a("data-chart").unwrap(),
                            series: a("data-series").unwrap(),
                            declared: a("data-bars").unwrap().parse().unwrap(),
                            bars: Vec::new(),
                        });
                    }
                    "rect" if a("class").as_deref() == Some("bar") => {
                        let c = chart.as_mut().expect("a bar outside a chart");
                        c.bars.push((
                            a("data-key").unwrap(),
                            a("data-n").unwrap().parse().unwrap(),
                        ));
                    }
                    "data" => page.totals.push((
                        a("data-total").unwrap(),
                        a("value").unwrap().parse().unwrap(),
                    )),
                    _ => {}
                }
                page.tags.push((name, attrs));
            }
            Token::EndTag(t) => match &*s(&t.name) {
                "script" | "style" => in_raw = false,
                "td" => in_cell = false,
                "tbody" => in_body = false,
                "table" => page.tables.extend(table.take()),
                "svg" => page.charts.extend(chart.take()),
                _ => {}
            },
            Token::String(text) if !in_raw => {
                let text = s(&text.value);
                if in_cell
                    && let Some(c) = table
                        .as_mut()
                        .and_then(|t| t.rows.last_mut())
                        .and_then(|r| r.last_mut())
                {
                    c.text.push_str(&text);
                }
                page.text.push_str(&text);
            }
            _ => {}
        }
    }
    page
}

/// The value at a dotted path (`spam.sections.0.rows`), the first segment
/// naming the document.
fn at<'a>(docs: &'a BTreeMap<&str, Value>, path: &str) -> &'a Value {
    let mut parts = path.split('.');
    let mut v = &docs[parts.next().unwrap()];
    for p in parts {
        v = match p.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[p],
        };
    }
    v
}

/// Every table the page must have.
const TABLES: &[&str] = &[
    "spam.sections.0.rows",
    "spam.sections.1.rows",
    "spam.sections.2.rows",
    "spam.sections.3.rows",
    "abuse.offenders",
    "abuse.dictionary.hosts",
    "abuse.dictionary.connections",
    "abuse.rbl.by_key",
    "abuse.rbl.by_host",
    "abuse.helo.by_key",
    "abuse.helo.by_host",
    "abuse.sender_verify.by_domain",
    "abuse.sender_verify.by_host",
    "abuse.auth.by_key",
    "abuse.auth.by_host",
    "abuse.protocol.by_key",
    "abuse.protocol.by_host",
    "abuse.other_rejections.by_key",
    "summary.transports",
    "summary.destinations",
    "summary.recipient_domains",
    "summary.sending_hosts",
    "summary.local_senders",
    "summary.senders",
    "summary.recipients",
    "summary.reject_reasons",
    "summary.reject_hosts",
];

/// Checks the page made with `args` against the JSON of the three
/// subcommands with the same `args`; returns the page and how many table
/// rows and chart bars it checked.
fn check(args: &[&str]) -> (Page, usize, usize) {
    let with = |extra: &[&str]| -> Vec<String> {
        extra
            .iter()
            .chain(args)
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
    };
    let (code, html, err) = support::run(
        "report",
        &with(&["--html", "-"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(code, 0, "{err}");
    let json = |sub: &str| {
        support::run_json(
            sub,
            &with(&["--json"])
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
    };
    let docs: BTreeMap<&str, Value> = [
        ("summary", json("summary")),
        ("spam", json("spam-sources")),
        ("abuse", json("abuse-report")),
    ]
    .into_iter()
    .collect();
    let page = parse(&html);

    let paths: Vec<&str> = page.tables.iter().map(|t| t.path.as_str()).collect();
    assert_eq!(paths, TABLES);
    let mut rows_checked = 0;
    for t in &page.tables {
        let want = at(&docs, &t.path).as_array().expect(&t.path);
        assert_eq!(t.rows.len(), want.len(), "{}: rows", t.path);
        assert_eq!(t.declared, want.len(), "{}: data-rows", t.path);
        for (i, (row, json_row)) in t.rows.iter().zip(want).enumerate() {
            let whr = format!("{} row {i}", t.path);
            // The rank column first, then one cell per JSON field.
            assert_eq!(row[0].v.as_deref(), Some((i + 1).to_string().as_str()));
            assert!(row.len() > 2, "{whr}: cells");
            for c in &row[1..] {
                let col = c.col.as_deref().expect("data-col");
                let v = col.split('.').fold(json_row, |v, k| &v[k]);
                let text = c.text.trim();
                match v {
                    Value::Number(n) => {
                        assert_eq!(c.v.as_deref(), Some(n.to_string().as_str()), "{whr} {col}");
                        assert_eq!(text.replace(',', ""), n.to_string(), "{whr} {col}");
                    }
                    Value::String(want) => assert_eq!(text, want, "{whr} {col}"),
                    Value::Null => assert_eq!(text, "", "{whr} {col}"),
                    // A distinct count.
                    Value::Object(o) if o.contains_key("count") => {
                        let n = o["count"].to_string();
                        assert_eq!(c.v.as_deref(), Some(n.as_str()), "{whr} {col}");
                        assert!(text.ends_with(&n), "{whr} {col}: {text}");
                    }
                    // An offender's counts by kind: the non-zero ones.
                    Value::Object(o) => {
                        for (k, n) in o.iter().filter(|(_, n)| n.as_u64() != Some(0)) {
                            assert!(text.contains(&format!("{k} {n}")), "{whr} {col}: {k}");
                        }
                    }
                    // Top subjects.
                    Value::Array(a) => {
                        for x in a {
                            let want =
                                format!("{} ({})", x["subject"].as_str().unwrap(), x["count"]);
                            assert!(text.contains(&want), "{whr} {col}: {want}");
                        }
                    }
                    Value::Bool(_) => panic!("{whr} {col}: a flag as a column"),
                }
            }
            // Every field of the JSON row with a value is shown, but for
            // the ones the page leaves to the text report.
            let shown: Vec<&str> = row[1..].iter().filter_map(|c| c.col.as_deref()).collect();
            for (k, v) in json_row.as_object().unwrap() {
                let left_out = ["bytes", "accepted_recipients"];
                if !v.is_null() && !shown.contains(&k.as_str()) {
                    assert!(left_out.contains(&k.as_str()), "{whr}: {k} not shown");
                }
            }
            rows_checked += 1;
        }
    }

    let mut bars_checked = 0;
    for c in &page.charts {
        let want = at(&docs, &c.path).as_array().expect(&c.path);
        assert_eq!(c.bars.len(), want.len(), "{} {}: bars", c.path, c.series);
        assert_eq!(c.declared, want.len());
        for ((key, n), w) in c.bars.iter().zip(want) {
            let (want_n, want_key) = if c.series.is_empty() {
                (w.as_u64().unwrap(), None)
            } else {
                let k = ["start", "bucket", "key", "source", "ip"]
                    .iter()
                    .find_map(|k| w[*k].as_str());
                (w[c.series.as_str()].as_u64().unwrap(), k)
            };
            assert_eq!(*n, want_n, "{} {} {key}", c.path, c.series);
            if let Some(k) = want_key {
                assert_eq!(key, k, "{} {}", c.path, c.series);
            }
            bars_checked += 1;
        }
    }
    // The five series over time, both hour-of-day charts, both queue-time
    // histograms and the size histogram are always drawn.
    for (path, n) in [
        ("summary.timeline.points", 5),
        ("summary.received_per_hour", 1),
        ("summary.delivered_per_hour", 1),
        ("summary.queue_times", 1),
        ("summary.queue_times_remote", 1),
        ("summary.sizes", 1),
    ] {
        let drawn = page.charts.iter().filter(|c| c.path == path).count();
        let nonempty = !at(&docs, path).as_array().unwrap().is_empty();
        assert_eq!(drawn, if nonempty { n } else { 0 }, "{path}");
    }

    assert!(page.totals.len() >= 12);
    for (path, n) in &page.totals {
        assert_eq!(at(&docs, path).as_u64(), Some(*n), "{path}");
    }
    (page, rows_checked, bars_checked)
}

#[test]
fn sample_page_equals_the_json_reports() {
    let (page, rows, bars) = check(&["--sample"]);
    // The sample has a spamming script, an authenticated spammer and a
    // dictionary attack: those tables are not empty.
    for path in [
        "spam.sections.0.rows",
        "spam.sections.2.rows",
        "abuse.dictionary.hosts",
    ] {
        let t = page.tables.iter().find(|t| t.path == path).unwrap();
        assert!(!t.rows.is_empty(), "{path}");
    }
    assert!(rows > 50 && bars > 100, "{rows} rows, {bars} bars");
    let (_, rows_top3, _) = check(&["--sample", "--top", "3", "--threshold", "2"]);
    assert!(rows_top3 < rows && rows_top3 > 10);
}

#[test]
fn generated_log_page_equals_the_json_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) =
        exim_log_benches::generate(&exim_log_benches::Config::with_incidents(5, 1 << 20));
    let path = support::write(dir.path(), "mainlog", &log);
    let (_, rows, bars) = check(&[&path]);
    assert!(rows > 50 && bars > 100, "{rows} rows, {bars} bars");
}

#[test]
fn a_long_log_is_charted_per_day() {
    let log = "\
2024-05-01 10:00:00 1sAbCd-000Xyz-AB <= a@example.org H=mx.example.net [192.0.2.1] P=esmtp S=1200
2024-05-01 10:00:01 1sAbCd-000Xyz-AB => b@example.com R=r T=local_delivery
2024-05-01 10:00:01 1sAbCd-000Xyz-AB Completed
2024-05-20 11:00:00 H=(x) [192.0.2.9] F=<a@example.net> rejected RCPT <c@example.com>: relay not permitted
";
    let dir = tempfile::tempdir().unwrap();
    let path = support::write(dir.path(), "mainlog", log.as_bytes());
    let (page, _, _) = check(&[&path]);
    let received = page
        .charts
        .iter()
        .find(|c| c.path == "summary.timeline.points" && c.series == "received")
        .unwrap();
    // 20 days: daily points, from the first day to the last.
    assert_eq!(received.bars.len(), 20);
    assert_eq!(received.bars[0], ("2024-05-01T00:00:00".to_string(), 1));
    assert!(page.text.contains("per day"));
}

/// Log text that is HTML (subjects, HELO names, senders, script paths,
/// logins) comes out as text: no tag, attribute or script of its own.
#[test]
fn hostile_log_text_stays_text() {
    let payloads = [
        "/home/x/<script>alert(1)</script>",
        "<img src=x onerror=alert(2)> & </title>",
        "\"><iframe src=javascript:alert(4)>",
        "<b onmouseover=alert(6)>",
    ];
    let log = format!(
        "\
2024-05-25 10:00:00 [100] cwd={p0} 3 args: /usr/sbin/sendmail -t -i
2024-05-25 10:00:00 [100] 1sAbCd-000Xyz-AB <= x@example.org U=x P=local S=500 T=\"{p1}\" for a@remote.example
2024-05-25 10:00:01 [101] 1sAbCd-000Xyz-AB => a@remote.example R=dnslookup T=remote_smtp H=mx.remote.example [192.0.2.5]
2024-05-25 10:00:01 [101] 1sAbCd-000Xyz-AB Completed
2024-05-25 10:00:02 [102] 1sAbCe-000Xyz-AB <= \"<script>alert(7)</script>\"@evil.example H=({p2}) [192.0.2.10] P=esmtp S=300
2024-05-25 10:00:02 [102] 1sAbCe-000Xyz-AB => u@example.org R=local T=local_delivery
2024-05-25 10:00:02 [102] 1sAbCe-000Xyz-AB Completed
2024-05-25 10:00:05 [103] dovecot_login authenticator failed for H=(x) [192.0.2.11]: 535 Incorrect authentication data (set_id={p3})
2024-05-25 10:00:06 [104] H=({p2}) [192.0.2.12] rejected EHLO or HELO {p2}: {p3}
",
        p0 = payloads[0],
        p1 = payloads[1],
        p2 = payloads[2],
        p3 = payloads[3],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = support::write(dir.path(), "mainlog", log.as_bytes());
    let (page, rows, _) = check(&[&path, "--threshold", "1"]);
    assert!(rows > 5);
    // Each payload is on the page as text (so the test has teeth)...
    for p in payloads {
        assert!(page.text.contains(p), "{p} not shown");
    }
    assert!(
        page.text
            .contains("\"<script>alert(7)</script>\"@evil.example")
    );
    // ...and none is markup: our tags only, one script, no handler, no URL.
    let ours = [
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "h1",
        "p",
        "time",
        "code",
        "nav",
        "a",
        "main",
        "section",
        "h2",
        "h3",
        "div",
        "data",
        "figure",
        "figcaption",
        "svg",
        "line",
        "text",
        "rect",
        "ul",
        "li",
        "strong",
        "table",
        "caption",
        "thead",
        "tr",
        "th",
        "tbody",
        "td",
        "script",
    ];
    for (name, attrs) in &page.tags {
        assert!(ours.contains(&name.as_str()), "tag {name}");
        for (k, v) in attrs {
            assert!(!k.starts_with("on"), "{name} {k}={v}");
            assert!(!v.contains("javascript:"), "{name} {k}={v}");
            if k == "href" {
                assert!(v.starts_with('#'), "{name} {k}={v}");
            }
        }
    }
    let scripts = page.tags.iter().filter(|(n, _)| n == "script").count();
    assert_eq!(scripts, 1);
    // The policy is the first thing after the charset.
    let csp = &page.tags[3];
    assert_eq!(csp.0, "meta");
    assert_eq!(csp.1["http-equiv"], "Content-Security-Policy");
    assert!(csp.1["content"].starts_with("default-src 'none'"));
}

#[test]
fn writes_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    let (code, stdout, err) =
        support::run("report", &["--html", out.to_str().unwrap(), "--sample"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(stdout, "");
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>"));
    let (code, _, err) = support::run("report", &["--html", "/nonexistent/dir/r.html", "--sample"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/dir/r.html"), "{err}");
}

/// `--threads` (files cut into byte ranges) gives the page of one thread.
#[test]
fn threads_give_the_same_page() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) =
        exim_log_benches::generate(&exim_log_benches::Config::with_incidents(7, 1 << 20));
    let path = support::write(dir.path(), "mainlog", &log);
    let page = |threads: &str| {
        let (code, html, err) = support::run(
            "report",
            &[
                "--html",
                "-",
                "--threads",
                threads,
                "--unit-bytes",
                "65536",
                &path,
            ],
        );
        assert_eq!(code, 0, "{err}");
        html
    };
    let one = page("1");
    assert!(one.contains("data-table=\"spam.sections.0.rows\""));
    assert_eq!(page("3"), one);
}
