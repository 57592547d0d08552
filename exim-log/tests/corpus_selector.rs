//! Every `log_selector` value of the Exim test suite parses and round-trips.
//!
//! The corpus files hold `NNNN: value` lines (test number, value). Some values are
//! config macros (`LOG_SELECTOR`, `SELECTOR`, `OPTION`) that the test harness fills
//! in with `-D`: a value that is only a macro is skipped; a macro inside a list is
//! expanded as empty (its default when no `-D` is given) and counted.
// Test code: panicking on a broken corpus is the point (the shared helper in
// `common` is not inside a #[test] fn, so clippy's test exemptions miss it).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use exim_log::{LogSelector, Selector, SelectorErrorKind};

/// A config macro name: Exim macros start with an upper-case letter.
fn is_macro(token: &str) -> bool {
    token.starts_with(|c: char| c.is_ascii_uppercase())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// An independent reading of a value: the sign of the last item for each name,
/// with `+all`/`-all` resetting everything (exim-log-format.md §9.1).
fn expected(value: &str) -> LogSelector {
    let mut set = LogSelector::default();
    let items = value.replace('+', " +").replace('-', " -");
    for item in items.split_whitespace() {
        let (sign, name) = item.split_at(1);
        match (sign, name) {
            ("+", "all") => set = LogSelector::all(),
            ("-", "all") => set = LogSelector::empty(),
            ("+", n) => {
                set.insert(Selector::from_name(n).unwrap_or_else(|| panic!("{n}")));
            }
            ("-", n) => {
                set.remove(Selector::from_name(n).unwrap_or_else(|| panic!("{n}")));
            }
            _ => panic!("unexpected item {item}"),
        }
    }
    set
}

#[test]
fn corpus_values_parse_and_round_trip() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let (mut parsed, mut skipped, mut expanded) = (0, Vec::new(), Vec::new());
    let mut names_seen = LogSelector::empty();
    for file in ["log-selectors.txt", "log-selectors-from-scripts.txt"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("corpus file");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let (test, value) = line.split_once(": ").expect("NNNN: value");
            let value = value.trim();
            if is_macro(value) {
                skipped.push(format!("{file} {test}: {value}"));
                continue;
            }
            let tokens: Vec<&str> = value.split_whitespace().collect();
            let value = if tokens.iter().any(|t| is_macro(t)) {
                // Exim sees the raw text only after macro expansion; unexpanded, the
                // macro is an item without a sign.
                let e = LogSelector::parse(value).expect_err(value);
                assert_eq!(e.kind(), SelectorErrorKind::ExpectedSign, "{value}");
                assert!(is_macro(e.found()), "{value}: {e}");
                expanded.push(format!("{file} {test}: {value}"));
                tokens
                    .iter()
                    .filter(|t| !is_macro(t))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                value.to_owned()
            };
            let set = LogSelector::parse(&value)
                .unwrap_or_else(|e| panic!("{file} {test}: {value:?}: {e}"));
            assert_eq!(set, expected(&value), "{file} {test}: {value}");
            // Also as a whole option line.
            let line_form = format!("log_selector = {value}");
            assert_eq!(
                LogSelector::parse(&line_form).ok(),
                Some(set),
                "{line_form}"
            );
            let canonical = set.to_setting();
            let back = LogSelector::parse(&canonical)
                .unwrap_or_else(|e| panic!("{file} {test}: canonical {canonical:?}: {e}"));
            assert_eq!(back, set, "{file} {test}: {value} -> {canonical}");
            assert_eq!(back.to_setting(), canonical);
            names_seen.extend(set.added().iter().chain(set.removed().iter()));
            parsed += 1;
        }
    }
    println!(
        "log_selector corpus: {parsed} values parsed and round-tripped; {} skipped (value is only a config macro): {:?}; {} with a macro expanded as empty: {:?}; {} distinct names changed from the defaults",
        skipped.len(),
        skipped,
        expanded.len(),
        expanded,
        names_seen.len()
    );
    // 80 + 13 values, 3 of them bare macros (README of the corpus).
    assert_eq!(parsed + skipped.len(), 93);
    assert_eq!(skipped.len(), 3);
}

/// Inference must not claim a selector the configuration did not set: for every
/// test with a single `log_selector` value in its configuration and none passed by
/// its script (a script's `-D` applies to some runs only), each selector seen in its
/// mainlog is on in that value.
#[test]
fn inference_has_no_false_positives_on_corpus() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let mut values: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for file in ["log-selectors.txt", "log-selectors-from-scripts.txt"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("corpus file");
        for line in text.lines() {
            if let Some((test, value)) = line.split_once(": ") {
                // A script value marks the test as multi-setting.
                let v = if file.contains("scripts") {
                    "-D"
                } else {
                    value.trim()
                };
                values
                    .entry(test.to_owned())
                    .or_default()
                    .push(v.to_owned());
            }
        }
    }
    let (mut checked, mut evidence) = (0, 0);
    for (test, vals) in &values {
        let [value] = vals.as_slice() else { continue };
        let Ok(configured) = LogSelector::parse(value) else {
            continue; // a macro
        };
        let Ok(log) = std::fs::read(dir.join("mainlog").join(test)) else {
            continue;
        };
        let inf = exim_log::Inference::from_bytes(&log);
        let extra: Vec<Selector> = inf
            .seen()
            .iter()
            .filter(|s| !configured.contains(*s))
            .collect();
        assert!(
            extra.is_empty(),
            "mainlog/{test} ({value}): seen but not configured: {extra:?}"
        );
        checked += 1;
        evidence += inf.seen().len();
    }
    // And every mainlog file goes through inference without panicking.
    let mut lines = 0;
    for f in common::corpus_files("mainlog") {
        let log = std::fs::read(&f).expect("mainlog");
        lines += exim_log::Inference::from_bytes(&log).lines();
    }
    println!(
        "inference: {checked} single-setting tests checked, {evidence} selectors evidenced, none unconfigured; {lines} mainlog lines scanned"
    );
    assert!(checked >= 40, "only {checked} tests checked");
}

/// Strict [`exim_log::Options`] built from each single-setting test's value accepts
/// every line of its mainlog that has a prefix.
#[test]
fn strict_options_accept_their_own_corpus_logs() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let scripts =
        std::fs::read_to_string(dir.join("log-selectors-from-scripts.txt")).expect("corpus");
    let confs = std::fs::read_to_string(dir.join("log-selectors.txt")).expect("corpus");
    let mut counts: std::collections::BTreeMap<&str, (usize, &str)> = Default::default();
    for (test, value) in confs.lines().filter_map(|l| l.split_once(": ")) {
        let e = counts.entry(test).or_insert((0, value));
        e.0 += 1;
    }
    let (mut tests, mut lines, mut rejected) = (0, 0, Vec::new());
    for (test, (n, value)) in counts {
        if n != 1 || scripts.lines().any(|l| l.starts_with(&format!("{test}:"))) {
            continue;
        }
        let Ok(opts) = exim_log::Options::from_setting(value) else {
            continue;
        };
        let opts = opts.strict();
        let Ok(log) = std::fs::read(dir.join("mainlog").join(test)) else {
            continue;
        };
        tests += 1;
        for line in log.split(|b| *b == b'\n') {
            if exim_log::parse_line(line).is_err() {
                continue;
            }
            lines += 1;
            if let Err(e) = opts.parse_line(line) {
                rejected.push(format!("{test}: {e:?}: {}", String::from_utf8_lossy(line)));
            }
        }
    }
    println!(
        "strict options: {tests} tests, {lines} lines, {} rejected",
        rejected.len()
    );
    for r in rejected.iter().take(20) {
        println!("  {r}");
    }
    assert!(rejected.is_empty());
}
