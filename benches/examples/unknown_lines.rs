//! Lists generated lines the parser returns as `Event::Unknown`, counted by kind:
//! `cargo run -p exim-log-benches --example unknown_lines [FILE]` (default: a
//! freshly generated rich log).

use std::collections::BTreeMap;

use exim_log::{Event, parse_line};
use exim_log_benches::work::{Kind, lines};
use exim_log_benches::{Config, generate};

fn main() {
    let log = match std::env::args().nth(1) {
        Some(path) => std::fs::read(&path).unwrap_or_default(),
        None => {
            let mut config = Config::with_incidents(1, 2 << 20);
            config.rich = true;
            config.pid = true;
            generate(&config).0
        }
    };
    let mut by_kind: BTreeMap<Kind, (u64, u64)> = BTreeMap::new();
    let mut examples: BTreeMap<Kind, Vec<String>> = BTreeMap::new();
    for l in lines(&log) {
        let kind = Kind::of(l);
        let e = by_kind.entry(kind).or_default();
        e.0 += 1;
        if parse_line(l).is_ok_and(|p| matches!(p.event, Event::Unknown)) {
            e.1 += 1;
            let ex = examples.entry(kind).or_default();
            if ex.len() < 3 {
                ex.push(String::from_utf8_lossy(l).into_owned());
            }
        }
    }
    for (kind, (all, unknown)) in &by_kind {
        println!("{kind:?}: {unknown} of {all} unknown");
        for ex in examples.get(kind).into_iter().flatten() {
            println!("    {ex}");
        }
    }
}
