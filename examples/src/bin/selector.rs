//! `selector`: what a `log_selector` setting turns on, and what a log shows was on.
//!
//! Usage:
//! * `selector [SETTING...]`: parses the setting (the arguments joined by spaces, or
//!   stdin when there are none; a whole `log_selector = ...` line with backslash
//!   continuations is fine) and prints one JSON object: the names on, the canonical
//!   setting, what each added selector logs, or the error with its byte offset.
//! * `selector --infer [--want SETTING] FILE...`: reads mainlog files (`-` is stdin)
//!   and prints one JSON object: which selectors the lines show evidence of, the
//!   fields a tool can rely on, and which of the `--want` selectors (e.g.
//!   `+arguments +subject`) have no evidence.
//!
//! The JSON shapes are described in SCHEMA.md, section "log_selector". Exit status:
//! 0, 1 for a setting error, 2 for a usage or I/O error.

use std::io::{self, Read};
use std::process::ExitCode;

use exim_log::{Evidence, Inference, LogSelector, Selector};
use serde_json::{Value, json};

fn names(set: LogSelector) -> Vec<&'static str> {
    set.iter().map(Selector::name).collect()
}

fn setting(input: &str) -> (Value, bool) {
    match LogSelector::parse(input) {
        Ok(set) => {
            let effects: serde_json::Map<String, Value> = set
                .added()
                .iter()
                .map(|s| (s.name().to_owned(), json!(s.effect())))
                .collect();
            let v = json!({
                "input": input,
                "ok": true,
                "selectors": names(set),
                "canonical": set.to_setting(),
                "added": names(set.added()),
                "removed": names(set.removed()),
                "effects": effects,
            });
            (v, true)
        }
        Err(e) => {
            let v = json!({
                "input": input,
                "ok": false,
                "error": {
                    "kind": e.kind().name(),
                    "message": e.message(),
                    "offset": e.offset(),
                    "found": e.found(),
                    "suggestion": e.suggestion(),
                },
            });
            (v, false)
        }
    }
}

fn infer(files: &[String], want: Option<&str>) -> Result<Value, String> {
    let wanted = match want {
        // Only the listed names count as wanted, not Exim's defaults.
        Some(w) => LogSelector::parse(&format!("-all {w}")).map_err(|e| format!("--want: {e}"))?,
        None => LogSelector::empty(),
    };
    let mut inf = Inference::new();
    for f in files {
        let buf = if f == "-" {
            let mut b = Vec::new();
            io::stdin().read_to_end(&mut b).map(|_| b)
        } else {
            std::fs::read(f)
        }
        .map_err(|e| format!("{f}: {e}"))?;
        inf.add_bytes(&buf);
    }
    let seen = inf.seen();
    let observations: Vec<Value> = inf
        .observations()
        .filter(|o| o.evidence != Evidence::NoEvidence)
        .map(|o| {
            json!({
                "selector": o.selector,
                "evidence": o.evidence,
                "lines": o.lines,
                "first_line": o.first_line,
                "rule": o.selector.inference_rule(),
            })
        })
        .collect();
    let reliable: Vec<Value> = inf
        .reliable_fields()
        .map(|(s, effect)| json!({"selector": s, "effect": effect}))
        .collect();
    let no_evidence: Vec<&str> = Selector::all()
        .filter(|s| inf.evidence(*s) == Evidence::NoEvidence)
        .map(Selector::name)
        .collect();
    Ok(json!({
        "files": files,
        "lines": inf.lines(),
        "unparsed": inf.unparsed(),
        "seen": names(seen),
        "off": Selector::all().filter(|s| inf.evidence(*s) == Evidence::Off).map(Selector::name).collect::<Vec<_>>(),
        "no_evidence": no_evidence,
        "observations": observations,
        "reliable_fields": reliable,
        "wanted": names(wanted),
        "missing": names(inf.missing(wanted)),
    }))
}

/// SCHEMA.md: absent fields are omitted, never `null`.
fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        v => v,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (value, code) = if args.first().is_some_and(|a| a == "--infer") {
        let mut rest = args.get(1..).unwrap_or_default();
        let mut want = None;
        if rest.first().is_some_and(|a| a == "--want") {
            want = rest.get(1).map(String::as_str);
            rest = rest.get(2..).unwrap_or_default();
        }
        if rest.is_empty() {
            eprintln!("usage: selector --infer [--want SETTING] FILE...");
            return ExitCode::from(2);
        }
        match infer(rest, want) {
            Ok(v) => (v, ExitCode::SUCCESS),
            Err(e) => {
                eprintln!("selector: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        let input = if args.is_empty() {
            let mut s = String::new();
            if let Err(e) = io::stdin().read_to_string(&mut s) {
                eprintln!("selector: stdin: {e}");
                return ExitCode::from(2);
            }
            s
        } else {
            args.join(" ")
        };
        let (v, ok) = setting(&input);
        (
            v,
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            },
        )
    };
    match serde_json::to_string_pretty(&strip_nulls(value)) {
        Ok(s) => println!("{s}"),
        Err(e) => {
            eprintln!("selector: {e}");
            return ExitCode::from(2);
        }
    }
    code
}
