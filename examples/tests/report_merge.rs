//! Reports merged from parts equal the single pass: a log (the bundled
//! sample, generated logs under attack with and without `+pid`) is cut every
//! few lines (abuse) or every few assembled items (summary, spam sources),
//! each part counted apart, the parts merged (left to right, and as a tree),
//! and the JSON of the merged report compared with the JSON of one pass.

use exim_log::assemble::{Assembled, Assembler};
use exim_log::reader::LogReader;
use exim_log::report::TimeWindow;
use exim_log::report::abuse::AbuseReport;
use exim_log::report::spam::SpamSources;
use exim_log::report::summary::Summary;
use exim_log_benches::{Config, generate, sample_config};
use serde_json::Value;

/// The sample (one dictionary attack of 48 RCPTs in one connection, which
/// most splits cut in two), and two generated logs under attack.
fn logs() -> Vec<(&'static str, Vec<u8>)> {
    let mut pid = Config::with_incidents(11, 300_000);
    pid.pid = true;
    pid.incident_percent = 25;
    let mut plain = Config::with_incidents(12, 200_000);
    plain.incident_percent = 25;
    vec![
        ("sample", generate(&sample_config()).0),
        ("generated with +pid", generate(&pid).0),
        ("generated", generate(&plain).0),
    ]
}

fn items(log: &[u8]) -> Vec<Assembled> {
    let records = LogReader::new(log).into_records();
    Assembler::new()
        .messages(records)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Part sizes to cut at: single items, small odd sizes, and large parts.
const SIZES: [usize; 5] = [1, 3, 7, 50, 400];

/// Folds `parts` left to right, and also as a balanced tree (parts of parts,
/// as Dask or a thread pool would combine them).
fn merged<T>(mut parts: Vec<T>, merge: impl Fn(&mut T, T) + Copy) -> (T, T)
where
    T: Clone,
{
    let tree = {
        let mut level = parts.clone();
        while level.len() > 1 {
            let mut next = Vec::new();
            let mut it = level.into_iter();
            while let Some(mut a) = it.next() {
                if let Some(b) = it.next() {
                    merge(&mut a, b);
                }
                next.push(a);
            }
            level = next;
        }
        level.pop()
    };
    let rest = parts.split_off(1);
    let mut fold = parts.pop().unwrap_or_else(|| panic!("no part"));
    for p in rest {
        merge(&mut fold, p);
    }
    (fold, tree.unwrap_or_else(|| panic!("no part")))
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn abuse_parts_merge_to_the_single_pass() {
    for (name, log) in logs() {
        let lines: Vec<&[u8]> = log.split(|b| *b == b'\n').collect();
        let add = |r: &mut AbuseReport, raw: &[u8]| {
            if let Ok(line) = exim_log::parse_line(raw) {
                r.add(&line);
            }
        };
        let mut whole = AbuseReport::new(TimeWindow::default());
        lines.iter().for_each(|l| add(&mut whole, l));
        let want = json(&whole.report(1000, 1));
        // Attacks that most splits cut in two: the merge must join them again.
        let seen = want["dictionary"]["connections_seen"].as_u64();
        assert!(seen >= Some(1), "{name}: {want}");
        let top = want["dictionary"]["connections"][0]["rejected_unknown"].as_u64();
        assert!(top >= Some(15), "{name}: {want}");
        assert!(want["offenders"].as_array().is_some_and(|o| !o.is_empty()));
        for size in SIZES {
            let parts: Vec<AbuseReport> = lines
                .chunks(size)
                .map(|chunk| {
                    let mut r = AbuseReport::new(TimeWindow::default());
                    chunk.iter().for_each(|l| add(&mut r, l));
                    r
                })
                .collect();
            let (fold, tree) = merged(parts, |a, b| a.merge(b));
            assert_eq!(
                json(&fold.report(1000, 1)),
                want,
                "{name}: parts of {size} lines"
            );
            assert_eq!(
                json(&tree.report(1000, 1)),
                want,
                "{name}: tree of {size} lines"
            );
        }
    }
}

#[test]
fn summary_parts_merge_to_the_single_pass() {
    for (name, log) in logs() {
        let items = items(&log);
        let mut whole = Summary::new(TimeWindow::default());
        items.iter().for_each(|i| whole.add(i));
        let want = json(&whole.report(1000, 1));
        assert!(
            want["totals"]["received"]["messages"].as_u64() > Some(50),
            "{want}"
        );
        assert!(want["totals"]["rejects"].as_u64() > Some(10), "{want}");
        for size in SIZES {
            let parts: Vec<Summary> = items
                .chunks(size)
                .map(|chunk| {
                    let mut r = Summary::new(TimeWindow::default());
                    chunk.iter().for_each(|i| r.add(i));
                    r
                })
                .collect();
            let (fold, tree) = merged(parts, |a, b| a.merge(b));
            assert_eq!(
                json(&fold.report(1000, 1)),
                want,
                "{name}: parts of {size} items"
            );
            assert_eq!(
                json(&tree.report(1000, 1)),
                want,
                "{name}: tree of {size} items"
            );
        }
    }
}

#[test]
fn spam_parts_merge_to_the_single_pass() {
    for (name, log) in logs() {
        let items = items(&log);
        let add = |r: &mut SpamSources, i: &Assembled| {
            if let Assembled::Message(m) = i {
                r.add(m);
            }
        };
        let mut whole = SpamSources::new(TimeWindow::default());
        items.iter().for_each(|i| add(&mut whole, i));
        let want = json(&whole.report(1000, 1));
        assert!(
            want["totals"]["local_with_script"].as_u64() > Some(5),
            "{want}"
        );
        for size in SIZES {
            let parts: Vec<SpamSources> = items
                .chunks(size)
                .map(|chunk| {
                    let mut r = SpamSources::new(TimeWindow::default());
                    chunk.iter().for_each(|i| add(&mut r, i));
                    r
                })
                .collect();
            let (fold, tree) = merged(parts, |a, b| a.merge(b));
            assert_eq!(
                json(&fold.report(1000, 1)),
                want,
                "{name}: parts of {size} items"
            );
            assert_eq!(
                json(&tree.report(1000, 1)),
                want,
                "{name}: tree of {size} items"
            );
        }
    }
}
