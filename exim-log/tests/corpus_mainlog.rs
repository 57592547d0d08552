//! Corpus test (issue 2): every timestamped message-id line of the Exim test
//! suite's mainlogs parses with no error and no panic, and the flagged ones
//! (the 8 flags and `Completed`) are understood.
//!
//! Run with `cargo test -p exim-log --test corpus_mainlog -- --nocapture` to see
//! the counts. Under `CI=true` a missing corpus fails (see `common`).

// Test code: a panic is the failure report (this also covers `common`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;

use exim_log::{Event, parse_line};

/// `YYYY-MM-DD HH:MM:SS` at the start, checked without the parser under test.
fn starts_with_timestamp(line: &[u8]) -> bool {
    const SHAPE: &[u8; 19] = b"dddd-dd-dd dd:dd:dd";
    line.len() >= SHAPE.len()
        && SHAPE.iter().zip(line).all(|(s, b)| match s {
            b'd' => b.is_ascii_digit(),
            _ => s == b,
        })
}

/// True when a message id follows the prefix `TIMESTAMP[.mmm][ +hhmm][ [pid]] `,
/// per exigrep's regex (spec §1.1), checked without the parser under test.
fn message_id_after_prefix(line: &[u8]) -> bool {
    let mut i = 19;
    if line.get(i) == Some(&b'.') {
        i += 1 + line
            .get(i + 1..)
            .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count());
    }
    let Some(mut rest) = line.get(i..).and_then(|r| r.strip_prefix(b" ")) else {
        return false;
    };
    if let Some(r) = rest.strip_prefix(b"+").or_else(|| rest.strip_prefix(b"-"))
        && r.len() > 4
        && r.iter().take(4).all(u8::is_ascii_digit)
        && r.get(4) == Some(&b' ')
    {
        rest = r.get(5..).unwrap_or_default();
    }
    if let Some(r) = rest.strip_prefix(b"[") {
        let n = r.iter().take_while(|b| b.is_ascii_digit()).count();
        if n > 0 && r.get(n..n + 2) == Some(b"] ") {
            rest = r.get(n + 2..).unwrap_or_default();
        }
    }
    let tok = rest.split(|b| *b == b' ').next().unwrap_or_default();
    let parts: Vec<usize> = tok.split(|b| *b == b'-').map(<[u8]>::len).collect();
    (parts == [6, 6, 2] || parts == [6, 11, 4])
        && tok.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// The flags of spec §2 and `Completed`.
fn is_flagged(text: &[u8]) -> bool {
    const FLAGS: [&[u8]; 9] = [
        b"<= ",
        b"(= ",
        b"=> ",
        b"-> ",
        b">> ",
        b"*> ",
        b"** ",
        b"== ",
        b"Completed",
    ];
    FLAGS.iter().any(|f| text.starts_with(f))
}

#[derive(Default)]
struct Counts {
    id_lines: usize,
    flagged: usize,
    flagged_unknown: Vec<String>,
    unknown: usize,
    kinds: BTreeMap<&'static str, usize>,
    /// Tags that ended up in `other_fields`, to see what the corpus holds beyond
    /// the typed fields (mostly the test suite's placeholders such as `S=sss`).
    other_tags: BTreeMap<String, usize>,
    errors: Vec<String>,
}

fn other_tags(event: &Event<'_>) -> Vec<String> {
    let fields = match event {
        Event::Arrival(a) => &a.other_fields,
        Event::Delivery(d) | Event::Deferral(d) | Event::Failure(d) => &d.other_fields,
        _ => return Vec::new(),
    };
    fields
        .iter()
        .map(|f| {
            let mut t = f.tag.to_string();
            t.truncate(24);
            t
        })
        .collect()
}

#[test]
fn every_message_line_of_the_corpus_parses() {
    let files = common::corpus_files("mainlog");
    if files.is_empty() {
        return; // explained by common::corpus_dir
    }
    let mut c = Counts::default();
    for path in &files {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (n, line) in data.split(|b| *b == b'\n').enumerate() {
            if !starts_with_timestamp(line) || !message_id_after_prefix(line) {
                continue;
            }
            let where_ = format!("{}:{}", path.display(), n + 1);
            let parsed =
                std::panic::catch_unwind(|| parse_line(line).map(|l| l.message_id.is_some()));
            let has_id = match parsed {
                Err(_) => {
                    c.errors.push(format!("{where_}: panic"));
                    continue;
                }
                Ok(Err(e)) => {
                    c.errors.push(format!("{where_}: {e}"));
                    continue;
                }
                Ok(Ok(has_id)) => has_id,
            };
            assert!(has_id, "{where_}: message id not recognized");
            let Ok(l) = parse_line(line) else { continue };
            c.id_lines += 1;
            let name = l.event.name();
            *c.kinds.entry(name).or_default() += 1;
            if name == "unknown" {
                c.unknown += 1;
            }
            if is_flagged(l.text().as_bytes()) {
                c.flagged += 1;
                if name == "unknown" {
                    c.flagged_unknown.push(format!("{where_}: {}", l.raw));
                }
                for t in other_tags(&l.event) {
                    *c.other_tags.entry(t).or_default() += 1;
                }
            }
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!("files: {}", files.len());
    println!("timestamped message-id lines: {}", c.id_lines);
    for (k, v) in &c.kinds {
        println!("  {k:<12} {v:>6}");
    }
    println!(
        "unknown overall: {} ({:.2}%; unflagged lines such as `Frozen` belong to parse::other)",
        c.unknown,
        pct(c.unknown, c.id_lines)
    );
    println!(
        "flagged lines: {}, unknown among them: {} ({:.3}%)",
        c.flagged,
        c.flagged_unknown.len(),
        pct(c.flagged_unknown.len(), c.flagged)
    );
    println!("tags kept in other_fields (flagged lines):");
    for (k, v) in &c.other_tags {
        println!("  {k:<24} {v:>6}");
    }
    for u in c.flagged_unknown.iter().take(20) {
        println!("unknown flagged: {u}");
    }
    assert!(c.errors.is_empty(), "errors: {:#?}", c.errors);
    assert!(
        c.id_lines > 10_000,
        "too few lines: is the corpus complete?"
    );
    assert!(
        pct(c.flagged_unknown.len(), c.flagged) < 0.5,
        "{} of {} flagged lines are unknown",
        c.flagged_unknown.len(),
        c.flagged
    );
}

#[test]
fn flagged_lines_carry_their_key_fields() {
    // Deeper than "not unknown": every arrival has a sender and a size or
    // protocol, every delivery a recipient, every deferral an error or errno,
    // every failure an error.
    let files = common::corpus_files("mainlog");
    let mut bad = Vec::new();
    for path in &files {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (n, line) in data.split(|b| *b == b'\n').enumerate() {
            let Ok(l) = parse_line(line) else { continue };
            let ok = match &l.event {
                Event::Arrival(a) => {
                    !a.sender.is_empty() && (a.protocol.is_some() || a.size.is_some())
                }
                Event::Delivery(d) => !d.address.is_empty(),
                Event::Deferral(d) => {
                    !d.address.is_empty() && (d.error.is_some() || d.errno.is_some())
                }
                Event::Failure(d) => !d.address.is_empty() && d.error.is_some(),
                _ => true,
            };
            if !ok {
                bad.push(format!("{}:{}: {}", path.display(), n + 1, l.raw));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} lines lack key fields: {:#?}",
        bad.len(),
        bad
    );
}

/// `parse_line_with` reads each line where it was built instead of returning
/// it: the same line, field for field, and the same error, on every line of
/// the corpus (the programs read with it, the library's users mostly with
/// `parse_line`).
#[test]
fn parse_line_with_sees_what_parse_line_returns() {
    let files = common::corpus_files("mainlog");
    if files.is_empty() {
        return; // explained by common::corpus_dir
    }
    let (mut lines, mut errors) = (0, 0);
    for path in &files {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (n, line) in data.split_inclusive(|b| *b == b'\n').enumerate() {
            let returned = parse_line(line);
            let seen = exim_log::parse_line_with(line, |l| l.clone());
            assert_eq!(seen, returned, "{}:{}", path.display(), n + 1);
            lines += 1;
            errors += usize::from(returned.is_err());
        }
    }
    // Both kinds compared: lines that parse, and lines without a prefix.
    assert!(
        lines > 10_000 && errors > 0,
        "{lines} lines, {errors} errors"
    );
}
