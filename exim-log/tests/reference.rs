//! The parser against an independent reading of every corpus line (issue 21).
//!
//! `exim-log-reference` reads the core fields with simple regexes written from
//! the format reference, never from our parser; here both read every line of the
//! corpus mainlogs (and of real Exim logs given in `$EXIM_LOG_LAB_LOGS`), and
//! every field on which they disagree fails the test, unless it is listed in
//! [`EXPLAINED`] with the reason. Values are compared through the public JSON
//! (SCHEMA.md), so the test survives refactors of the Rust types.

mod common;

use exim_log::parse_line;
use exim_log_reference::{Disagreement, compare, read};
use std::path::{Path, PathBuf};

/// Disagreements that are understood: (a substring of the line, the key, why).
/// Each entry must still match at least one disagreement (a stale one fails).
const EXPLAINED: &[(&str, &str, &str)] = &[];

/// A field on which both readings differ, with the line.
struct Found {
    file: PathBuf,
    line: String,
    d: Disagreement,
}

/// Compares both readings on every line of `files`; returns how many lines the
/// reference read and the disagreements.
fn compare_files(files: &[PathBuf]) -> (usize, usize, Vec<Found>) {
    let (mut lines, mut read_lines) = (0, 0);
    let mut found = Vec::new();
    for f in files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for raw in data.split(|b| *b == b'\n') {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let Ok(text) = std::str::from_utf8(raw) else {
                continue;
            };
            lines += 1;
            let Some(r) = read(text) else { continue };
            read_lines += 1;
            let json = match parse_line(raw) {
                Ok(l) => serde_json::to_value(&l).expect("serialize"),
                Err(_) => serde_json::Value::Null,
            };
            for d in compare(&r, &json) {
                found.push(Found {
                    file: f.clone(),
                    line: text.to_string(),
                    d,
                });
            }
        }
    }
    (lines, read_lines, found)
}

fn explained(f: &Found) -> Option<usize> {
    EXPLAINED
        .iter()
        .position(|(sub, key, _)| f.line.contains(sub) && *key == f.d.key)
}

/// Fails with every unexplained disagreement, and with explained ones that no
/// longer occur (so the table cannot rot).
fn check(found: &[Found], require_all_explanations: bool) {
    let mut used = vec![false; EXPLAINED.len()];
    let mut bad = Vec::new();
    for f in found {
        match explained(f) {
            Some(i) => {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
            }
            None => bad.push(format!(
                "{}: {}\n    {}: reference {} parser {}",
                f.file.display(),
                f.line,
                f.d.key,
                f.d.reference,
                f.d.parser
            )),
        }
    }
    let n = bad.len();
    bad.truncate(40);
    assert!(
        n == 0,
        "{n} unexplained disagreements (first 40):\n{}",
        bad.join("\n")
    );
    if require_all_explanations {
        let stale: Vec<_> = EXPLAINED
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(e, _)| e)
            .collect();
        assert!(
            stale.is_empty(),
            "explanations that match nothing: {stale:?}"
        );
    }
}

#[test]
fn corpus_mainlogs_agree_with_the_reference() {
    let files = common::corpus_files("mainlog");
    if files.is_empty() {
        return;
    }
    let (lines, read_lines, found) = compare_files(&files);
    eprintln!(
        "reference read {read_lines} of {lines} corpus lines; {} disagreements",
        found.len()
    );
    // The reference must cover most of the corpus, or the comparison says little.
    assert!(
        read_lines * 10 >= lines * 5,
        "the reference read only {read_lines} of {lines} lines"
    );
    check(&found, true);
}

/// Real Exim logs (the lab's, issue 13): every file under `$EXIM_LOG_LAB_LOGS`
/// (a file or a folder), compared the same way. Skipped when unset.
#[test]
fn lab_logs_agree_with_the_reference() {
    let Some(dir) = std::env::var_os("EXIM_LOG_LAB_LOGS") else {
        eprintln!("EXIM_LOG_LAB_LOGS not set: no lab logs compared");
        return;
    };
    let dir = PathBuf::from(dir);
    let mut files = Vec::new();
    collect(&dir, &mut files);
    assert!(!files.is_empty(), "no files under {}", dir.display());
    let (lines, read_lines, found) = compare_files(&files);
    eprintln!(
        "reference read {read_lines} of {lines} lab lines; {} disagreements",
        found.len()
    );
    assert!(read_lines > 0, "the reference read no lab line");
    check(&found, false);
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_file() {
        out.push(p.to_path_buf());
    } else if let Ok(entries) = std::fs::read_dir(p) {
        let mut v: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        v.sort();
        for e in v {
            collect(&e, out);
        }
    }
}

/// The comparison can fail: a wrong value is a disagreement.
#[test]
fn a_wrong_value_is_a_disagreement() {
    let line = "2025-01-06 12:00:00 1sAoM5-00000009r3p-06vq => a@b.example R=dnslookup T=remote_smtp H=mx.b.example [192.0.2.1]";
    let r = read(line).expect("the reference reads a plain delivery");
    let mut json = serde_json::to_value(parse_line(line.as_bytes()).unwrap()).unwrap();
    assert!(compare(&r, &json).is_empty());
    json["host"]["ip"] = "192.0.2.".into();
    json["router"] = "remote_smtp".into();
    let keys: Vec<_> = compare(&r, &json).into_iter().map(|d| d.key).collect();
    assert_eq!(keys, ["router", "host.ip"]);
}
