//! `exim-log selector`: what a `log_selector` setting turns on, and what a log
//! shows was on.
//!
//! * `exim-log selector [SETTING...]`: parses the setting (the arguments joined
//!   by spaces, or standard input when there are none; a whole
//!   `log_selector = ...` line with backslash continuations is fine) and prints
//!   one JSON object: the names on, the canonical setting, what each added
//!   selector logs, or the error with its byte offset.
//! * `exim-log selector --infer [--want SETTING] [FILE|DIR...]`: reads logs like
//!   every other subcommand and prints one JSON object: which selectors the
//!   lines show evidence of, the fields a tool can rely on, and which of the
//!   `--want` selectors (e.g. `+arguments +subject`) have no evidence.
//!
//! The JSON shapes are described in SCHEMA.md, section "log_selector". Exit
//! status: 0, 1 for a setting error, 2 for a usage or I/O error.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;

use exim_log::{Evidence, Inference, LogSelector, Selector};
use serde_json::{Value, json};

use super::each_line;
use crate::input::{InputArgs, Show, Source};
use crate::outcome::{self, Error, Outcome, Status, status};

/// The long help.
pub const ABOUT: &str = "\
Without --infer: parses a log_selector setting (the arguments joined by
spaces, or standard input when there are none; a whole `log_selector = ...`
line with backslash continuations is fine) and prints one JSON object: the
selectors on, the canonical setting, what each added selector logs, or the
error with its byte offset and the closest valid name. Exit 1 for an invalid
setting.

With --infer: reads logs (files, directories, gzip, standard input, like the
other subcommands) and prints which selectors the lines show evidence of,
the fields a tool can rely on, and which --want selectors have no evidence.

Examples:
  exim-log selector +arguments +subject -retry_defer
  exim-log selector --infer --want '+arguments +subject' /var/log/exim4/";

/// `exim-log selector` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// Read logs and show which selectors they evidently had
    #[arg(long)]
    pub infer: bool,
    /// With --infer: the selectors a tool needs (e.g. '+arguments +subject');
    /// those without evidence are listed as missing
    #[arg(long, value_name = "SETTING", requires = "infer")]
    pub want: Option<String>,
    /// With --infer: read the bundled sample log
    #[arg(long, requires = "infer")]
    pub sample: bool,
    /// The setting (words starting with + or -), or with --infer the log
    /// files and directories
    #[arg(value_name = "SETTING|FILE", allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

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

fn infer(source: &mut Source, want: Option<&str>) -> Result<(Value, bool), Error> {
    let wanted = match want {
        // Only the listed names count as wanted, not Exim's defaults.
        Some(w) => LogSelector::parse(&format!("-all {w}")).map_err(|e| format!("--want: {e}"))?,
        None => LogSelector::empty(),
    };
    let mut inf = Inference::new();
    let failed = each_line(source, |line| inf.add_raw(line));
    let warned = source.check()?;
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
    let off: Vec<&str> = Selector::all()
        .filter(|s| inf.evidence(*s) == Evidence::Off)
        .map(Selector::name)
        .collect();
    let v = json!({
        "files": source.names(),
        "lines": inf.lines(),
        "unparsed": inf.unparsed(),
        "seen": names(seen),
        "off": off,
        "no_evidence": no_evidence,
        "observations": observations,
        "reliable_fields": reliable,
        "wanted": names(wanted),
        "missing": names(inf.missing(wanted)),
    });
    Ok((v, failed || warned))
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

/// Runs `exim-log selector`.
pub fn run(args: Args) -> Outcome {
    let (value, result) = if args.infer {
        let input = InputArgs {
            files: args.args.iter().map(PathBuf::from).collect(),
            sample: args.sample,
        };
        let mut source = input.open(Show::Quiet)?;
        let (v, failed) = infer(&mut source, args.want.as_deref())?;
        (v, status(failed))
    } else {
        let input = if args.args.is_empty() {
            if io::stdin().is_terminal() {
                return Err("give a log_selector setting (e.g. +subject -retry_defer), \
                     pipe one in, or use --infer FILE to read a log"
                    .to_string()
                    .into());
            }
            let mut s = String::new();
            io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("standard input: {e}"))?;
            s
        } else {
            let words: Vec<String> = args
                .args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            words.join(" ")
        };
        let (v, ok) = setting(&input);
        (
            v,
            if ok {
                Status::Success
            } else {
                Status::NothingMatched
            },
        )
    };
    let mut out = outcome::stdout();
    outcome::write_json(&mut out, &strip_nulls(value))?;
    out.flush()?;
    Ok(result)
}
