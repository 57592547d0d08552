//! `exim-log web-origins`: the web requests that ran the scripts that sent
//! mail, from the mainlog (`cwd=` of each submission, `+arguments`) and the
//! web server's access logs (cPanel's `domlogs/`). What is matched:
//! [`exim_log::report::web_origins`].

use std::io::Write;
use std::path::PathBuf;

use exim_log::assemble::Assembled;
use exim_log::reader::{SpoolDir, cpanel_userdata, domlogs};
use exim_log::report::web_origins::{Submission, WebOrigins};

use super::{BudgetArgs, WithAssembler, each_message, fold_messages};
use crate::input::{InputArgs, Show};
use crate::outcome::{self, Outcome, status, warn};
use crate::report::text;
use crate::threads::ThreadsArgs;

/// The long help.
pub const ABOUT: &str = "\
Finds the web requests behind the mail that scripts sent: for every message a
script submitted (cwd= of +arguments, linked to the message), the requests in
the access logs (--domlogs: cPanel's domlogs folder, USER/DOMAIN and
-ssl_log files, rotated and .gz) to paths under that script's directory
(/home/USER/public_html/X is /X on the account's sites; --docroot maps other
folders; --cpanel-userdata reads cPanel's document roots and homes) at most
--window seconds before the arrival. Per script: messages, messages
explained, and the client IPs, URLs and user agents ranked by the messages
they explain. Mainlog times are taken as UTC unless --log-offset is given
(the server's offset, e.g. -0500).

--queue SPOOL also takes the messages waiting in Exim's queue whose cPanel
X-PHP-Script header names the script (host/path for IP): the requests for
that path on that site before each message's reception. With --queue and no
log FILE, no mainlog is read.

Memory is bounded (--memory-budget): each script's arrival times are kept
per second with counts; past the budget they are kept to coarser buckets
(\"resolution\" in the JSON), the scripts with fewest messages are dropped,
or the lightest table rows, and a line on stderr says so.";

/// `exim-log web-origins` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    /// The access logs: a domlogs folder (or a user's logs folder)
    #[arg(long, value_name = "DIR", required = true)]
    pub domlogs: Vec<PathBuf>,
    /// A document root of a domain, PATH=DOMAIN (repeatable)
    #[arg(long, value_name = "PATH=DOMAIN")]
    pub docroot: Vec<String>,
    /// cPanel's user data folder (/var/cpanel/userdata): document roots and
    /// home directories of every site
    #[arg(long, value_name = "DIR")]
    pub cpanel_userdata: Option<PathBuf>,
    /// A spool directory whose queued messages' X-PHP-Script headers name
    /// scripts (repeatable)
    #[arg(long, value_name = "SPOOL")]
    pub queue: Vec<PathBuf>,
    /// Seconds before an arrival in which a request counts
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub window: i64,
    /// UTC offset of the mainlog's times (+HHMM or -HHMM)
    #[arg(
        long,
        value_name = "OFFSET",
        default_value = "+0000",
        allow_hyphen_values = true
    )]
    pub log_offset: String,
    /// Rows per table
    #[arg(long, short = 'n', value_name = "N", default_value_t = 5)]
    pub top: usize,
    /// One JSON document instead of text (SCHEMA.md "Web origins")
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub memory: BudgetArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub threads: ThreadsArgs,
}

fn offset_seconds(s: &str) -> Option<i64> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, s.get(1..)?),
        b'-' => (-1, s.get(1..)?),
        _ => (1, s),
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i64 = digits.get(..2)?.parse().ok()?;
    let m: i64 = digits.get(2..)?.parse().ok()?;
    Some(sign * (h * 3600 + m * 60))
}

/// Runs `exim-log web-origins`.
pub fn run(args: Args) -> Outcome {
    let offset = offset_seconds(&args.log_offset)
        .ok_or_else(|| format!("--log-offset {}: expected +HHMM or -HHMM", args.log_offset))?;
    let mut roots = Vec::new();
    for d in &args.docroot {
        let (path, domain) = d
            .split_once('=')
            .ok_or_else(|| format!("--docroot {d}: expected PATH=DOMAIN"))?;
        roots.push((path.to_string(), domain.to_string()));
    }
    let mut sets = Vec::new();
    for dir in &args.domlogs {
        sets.extend(domlogs(dir).map_err(|e| format!("{}: {e}", dir.display()))?);
    }
    let budget = args.memory.budget();
    let mut w = WebOrigins::with_budget(args.window, roots, budget);
    if let Some(dir) = &args.cpanel_userdata {
        let sites = cpanel_userdata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for u in &sites {
            w.add_userdata(u);
        }
    }
    let mut failed = false;
    let mut assembler = None;
    for dir in &args.queue {
        let files = SpoolDir::open(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for f in files {
            match f {
                Ok(f) => match f.parse() {
                    Ok(h) => {
                        w.add_header(&h);
                    }
                    Err(e) => warn(format!("{}: {e}", f.path.display())),
                },
                Err(e) => {
                    warn(e);
                    failed = true;
                }
            }
        }
    }
    if args.queue.is_empty() || args.input.sample || !args.input.files.is_empty() {
        let mut source = args.input.open(if args.json {
            Show::Quiet
        } else {
            Show::Progress
        })?;
        source.pipelined(args.threads.threads() > 1);
        let (log_failed, memory) = if args.threads.plan(&source, 2).is_some() {
            // Each unit collects its submissions, added here in input order
            // (the report does not depend on their order: it sorts scripts).
            let (_, failed, memory) = fold_messages(
                &args.threads,
                budget,
                &mut source,
                Vec::new(),
                Vec::new,
                |subs: &mut Vec<Submission>, item| {
                    if let Assembled::Message(m) = item
                        && let Some(s) = Submission::of(m, offset)
                    {
                        subs.push(s);
                    }
                },
                |_, subs| {
                    for s in &subs {
                        w.add(s);
                    }
                },
            );
            (failed, memory)
        } else {
            // One thread: straight into the engine (within its budget).
            each_message(&mut source, budget, |item| {
                if let Assembled::Message(m) = item {
                    w.add_message(&m, offset);
                }
            })
        };
        assembler = Some(memory);
        failed |= log_failed | source.check()?;
    }
    for set in &sets {
        if let Err(e) = w.add_domlog(set, |e| warn(e)) {
            warn(&e);
            failed = true;
        }
    }
    let report = w.report(args.top);
    outcome::budget_hits(&[
        (
            assembler.map_or(0, |a: exim_log::budget::MemoryUse| a.hits),
            "messages flushed early",
        ),
        (
            report.memory.hits,
            "times arrival times were coarsened, scripts dropped, tables trimmed or keys cut",
        ),
    ]);
    let mut out = outcome::stdout();
    if args.json {
        match assembler {
            Some(assembler_memory) => outcome::write_json(
                &mut out,
                &WithAssembler {
                    report: &report,
                    assembler_memory,
                },
            )?,
            None => outcome::write_json(&mut out, &report)?,
        }
    } else {
        writeln!(
            out,
            "web-origins: {} script directories, {} access-log sets, window {} s",
            report.scripts.len(),
            sets.len(),
            report.window
        )?;
        if report.resolution > 1 {
            writeln!(
                out,
                "(approximate: arrival times kept to {} s by the memory budget)",
                report.resolution
            )?;
        }
        if report.scripts_dropped > 0 {
            writeln!(
                out,
                "({} script directories with fewest messages dropped by the memory budget)",
                report.scripts_dropped
            )?;
        }
        for s in &report.scripts {
            if s.from_queue {
                text::heading(&mut out, &format!("{} (X-PHP-Script in the queue)", s.dir))?;
            } else {
                text::heading(&mut out, &s.dir)?;
            }
            let site = match &s.site {
                Some(site) => format!(
                    "{}{}",
                    site.domain
                        .clone()
                        .or_else(|| site.user.as_ref().map(|u| format!("(sites of {u})")))
                        .unwrap_or_default(),
                    if site.url_prefix.is_empty() {
                        "/"
                    } else {
                        &site.url_prefix
                    }
                ),
                None => "(no site: not under a document root or public_html)".to_string(),
            };
            writeln!(
                out,
                "  {} messages, {} explained; served as {site}",
                s.messages, s.explained
            )?;
            for (what, rows) in [
                ("client", &s.clients),
                ("url", &s.urls),
                ("user agent", &s.user_agents),
            ] {
                for r in rows {
                    writeln!(
                        out,
                        "  {what:<10} {:>6} msgs {:>6} reqs  {}",
                        r.messages, r.requests, r.key
                    )?;
                }
            }
        }
    }
    out.flush()?;
    Ok(status(failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(offset_seconds("+0000"), Some(0));
        assert_eq!(offset_seconds("-0530"), Some(-19_800));
        assert_eq!(offset_seconds("0100"), Some(3600));
        assert_eq!(offset_seconds("+1"), None);
    }
}
