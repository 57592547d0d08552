//! `exim-log queue`: the mail queue grouped for the spam hunt, from a spool
//! directory or from `exim -bp` output. What is counted:
//! [`exim_log::report::queue`].

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use exim_log::assemble::Assembled;
use exim_log::budget::MemoryBudget;
use exim_log::reader::{Input, SpoolDir};
use exim_log::report::arrival::LoggedArrival;
use exim_log::report::queue::{QueueGroup, QueueReport};
use exim_log::spool::parse_listing;

use super::fold_messages;
use crate::input::{InputArgs, Show, io_reason};
use crate::outcome::{self, Error, Outcome, status, warn};
use crate::report::Render;
use crate::threads::ThreadsArgs;

/// The long help.
pub const ABOUT: &str = "\
Groups the messages waiting in Exim's queue the way a spam hunt needs: by
the user and uid that submitted them, the SMTP-authenticated login, the
sending host, the envelope sender, PHP's X-PHP-Originating-Script, cPanel's
X-PHP-Script site/path and the web client IP it names, the subject and the
recipient domains; with ages, frozen counts and the message ids of each row
(for exim -Mrm, or `exim-log trace`).

PATH is a spool directory (/var/spool/exim4 or /var/spool/exim, or its input/
folder; split or not), read file by file (needs read access, usually root);
or a file of `exim -bp` / `mailq` output; `-` or no PATH reads that output
from standard input (exim -bp | exim-log queue). The listing tells only the
sender, recipients, age and frozen flag; the other tables need the spool.

--log FILE|DIR links each queued message to its arrival in the mainlog (a
rotated set, .gz): the cwd= of the process that submitted it (the script
directory, +arguments) becomes a table, and listing records get the U=, A=
and H= of their arrival. With --each, each message gets a log object.";

/// `exim-log queue` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// A spool directory, or a file of `exim -bp` output (`-`: standard input)
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Rows per table
    #[arg(long, short = 'n', value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Leave out rows of fewer than N messages
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub threshold: u64,
    /// Print only the ids of the messages of one row, one a line: KIND=KEY,
    /// e.g. web_client=198.51.100.23 or php_script=1000:mailer.php
    #[arg(long, value_name = "KIND=KEY")]
    pub ids: Option<String>,
    /// One JSON document instead of text (SCHEMA.md "Queue report")
    #[arg(long)]
    pub json: bool,
    /// Instead of the report, one JSON object per message: the parsed spool
    /// file, or the listing record (SCHEMA.md "Spool files")
    #[arg(long, conflicts_with_all = ["json", "ids"])]
    pub each: bool,
    /// Mainlogs (files or directories, plain or gzip) in which to find the
    /// arrival of each queued message (repeatable)
    #[arg(long, value_name = "FILE|DIR")]
    pub log: Vec<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub threads: ThreadsArgs,
}

/// One input of the queue: a spool directory, or listing text read whole.
enum Queued {
    Spool(PathBuf),
    Listing(String, Vec<u8>),
}

/// The ids of the queued messages (to find in the logs).
fn queued_ids(inputs: &[Queued]) -> Result<HashSet<String>, Error> {
    let mut ids = HashSet::new();
    for q in inputs {
        match q {
            Queued::Spool(dir) => {
                let files = SpoolDir::open(dir).map_err(|e| Error::Message(e.to_string()))?;
                ids.extend(files.flatten().filter_map(|f| f.id().map(str::to_string)));
            }
            Queued::Listing(_, buf) => {
                ids.extend(parse_listing(buf).flatten().map(|e| e.id.to_string()));
            }
        }
    }
    Ok(ids)
}

/// The arrivals of `ids` in the logs (on `threads`); true when a log could
/// not be read.
fn arrivals(
    logs: &[PathBuf],
    ids: &HashSet<String>,
    threads: &ThreadsArgs,
) -> Result<(HashMap<String, LoggedArrival>, bool), Error> {
    let input = InputArgs {
        files: logs.to_vec(),
        sample: false,
    };
    let mut source = input.open(Show::Quiet)?;
    source.pipelined(threads.threads() > 1);
    // An id used again (a log of test runs): the last arrival read wins, on
    // one thread or several (partials merge in input order).
    let (found, mut failed, _) = fold_messages(
        threads,
        MemoryBudget::DEFAULT,
        &mut source,
        HashMap::new(),
        HashMap::new,
        |found: &mut HashMap<String, LoggedArrival>, item| {
            if let Assembled::Message(m) = item
                && ids.contains(m.id().as_str())
                && let Some(a) = LoggedArrival::of(m)
            {
                found.insert(a.id.clone(), a);
            }
        },
        |found, later| found.extend(later),
    );
    failed |= source.check()?;
    Ok((found, failed))
}

/// A message of `--each`, with its arrival when `--log` found it.
#[derive(serde::Serialize)]
struct WithLog<'a, T> {
    #[serde(flatten)]
    item: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<&'a LoggedArrival>,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Where each message goes: into the report, or printed as JSON (`--each`,
/// with the arrivals found by `--log`).
enum Sink<'a> {
    Report(&'a mut QueueReport),
    Each(&'a mut dyn Write, &'a HashMap<String, LoggedArrival>),
}

/// Adds a spool directory; true when a file could not be read.
fn add_spool(sink: &mut Sink<'_>, dir: &PathBuf) -> Result<bool, Error> {
    let files = SpoolDir::open(dir).map_err(|e| Error::Message(e.to_string()))?;
    let mut failed = false;
    for f in files {
        match f {
            Ok(f) => {
                let parsed = f.parse();
                if let Err(e) = &parsed {
                    warn(format!("{}: {e}", f.path.display()));
                }
                match sink {
                    Sink::Report(q) => q.add_queued(&f),
                    Sink::Each(out, links) => {
                        if let Ok(h) = parsed {
                            let log = links.get(&h.id.to_string());
                            serde_json::to_writer(&mut **out, &WithLog { item: h, log })?;
                            out.write_all(b"\n")?;
                        }
                    }
                }
            }
            Err(e) => {
                warn(e);
                failed = true;
            }
        }
    }
    Ok(failed)
}

/// Reads an `exim -bp` listing (plain or gzip) whole.
fn read_listing(name: &str, rdr: Box<dyn Read>) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    Input::detect(rdr)
        .and_then(|mut i| i.read_to_end(&mut buf))
        .map_err(|e| format!("{name}: {}", io_reason(&e)))?;
    Ok(buf)
}

/// Adds an `exim -bp` listing; true when a record could not be read.
fn add_listing(sink: &mut Sink<'_>, name: &str, buf: &[u8]) -> Result<bool, Error> {
    let mut failed = false;
    for e in parse_listing(buf) {
        match e {
            Ok(e) => match sink {
                Sink::Report(q) => q.add_entry(&e),
                Sink::Each(out, links) => {
                    let log = links.get(&e.id.to_string());
                    serde_json::to_writer(&mut **out, &WithLog { item: &e, log })?;
                    out.write_all(b"\n")?;
                }
            },
            Err(e) => {
                warn(format!("{name}: {e}"));
                failed = true;
            }
        }
    }
    Ok(failed)
}

/// Runs `exim-log queue`.
pub fn run(args: Args) -> Outcome {
    let paths = if args.paths.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err("give a spool directory (e.g. /var/spool/exim4) or pipe `exim -bp` into `exim-log queue`".to_string().into());
        }
        vec![PathBuf::from("-")]
    } else {
        args.paths.clone()
    };
    let want = match &args.ids {
        Some(spec) => {
            let (kind, key) = spec
                .split_once('=')
                .ok_or_else(|| format!("--ids {spec}: expected KIND=KEY"))?;
            let kind = QueueGroup::ALL
                .into_iter()
                .find(|g| g.name() == kind)
                .ok_or_else(|| {
                    let names: Vec<_> = QueueGroup::ALL.iter().map(|g| g.name()).collect();
                    format!("--ids: unknown kind {kind:?} (one of {})", names.join(", "))
                })?;
            Some((kind, key.to_string()))
        }
        None => None,
    };
    let mut inputs = Vec::new();
    let mut names = Vec::new();
    for p in &paths {
        if p.as_os_str() == "-" {
            let name = "standard input".to_string();
            let buf = read_listing(&name, Box::new(std::io::stdin().lock()))?;
            names.push(name.clone());
            inputs.push(Queued::Listing(name, buf));
        } else if p.is_dir() {
            names.push(p.display().to_string());
            inputs.push(Queued::Spool(p.clone()));
        } else {
            let name = p.display().to_string();
            let f = std::fs::File::open(p).map_err(|e| format!("{name}: {}", io_reason(&e)))?;
            let buf = read_listing(&name, Box::new(f))?;
            names.push(name.clone());
            inputs.push(Queued::Listing(name, buf));
        }
    }
    let mut failed = false;
    let mut links = HashMap::new();
    if !args.log.is_empty() {
        let ids = queued_ids(&inputs)?;
        let (found, log_failed) = arrivals(&args.log, &ids, &args.threads)?;
        failed |= log_failed;
        links = found;
    }
    let mut q = QueueReport::new(now());
    if !args.each {
        for a in links.values() {
            q.link(a.clone());
        }
    }
    let mut out = outcome::stdout();
    {
        let mut sink = if args.each {
            Sink::Each(&mut out, &links)
        } else {
            Sink::Report(&mut q)
        };
        for i in &inputs {
            match i {
                Queued::Spool(dir) => failed |= add_spool(&mut sink, dir)?,
                Queued::Listing(name, buf) => failed |= add_listing(&mut sink, name, buf)?,
            }
        }
    }
    if args.each {
        out.flush()?;
        return Ok(status(failed));
    }
    if let Some((kind, key)) = want {
        let report = q.report(usize::MAX, 1);
        let row = report
            .sections
            .iter()
            .find(|s| s.kind == kind)
            .and_then(|s| s.rows.iter().find(|r| r.key == key));
        let Some(row) = row else {
            out.flush()?;
            return Ok(outcome::Status::NothingMatched);
        };
        for id in &row.ids {
            writeln!(out, "{id}")?;
        }
        if row.more_ids {
            warn(format!(
                "{kind:?} {key}: only the first {} ids were kept",
                row.ids.len()
            ));
        }
        out.flush()?;
        return Ok(status(failed));
    }
    let report = q.report(args.top, args.threshold);
    if args.json {
        outcome::write_json(&mut out, &report)?;
    } else {
        report.write_text(&mut out, &names)?;
    }
    out.flush()?;
    Ok(status(failed))
}
