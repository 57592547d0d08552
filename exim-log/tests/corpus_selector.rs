//! Every `log_selector` value of the Exim test suite parses and round-trips.
//!
//! The corpus files hold `NNNN: value` lines (test number, value). Some values are
//! config macros (`LOG_SELECTOR`, `SELECTOR`, `OPTION`) that the test harness fills
//! in with `-D`: a value that is only a macro is skipped; a macro inside a list is
//! expanded as empty (its default when no `-D` is given) and counted.

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
