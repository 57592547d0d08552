//! The text of `queue`; the counting is [`exim_log::report::queue`]
//! (re-exported here).

use std::io::{self, Write};

pub use exim_log::report::queue::*;

use super::Render;
use super::text::{self, Align, Table};

/// Ids shown per row in the text (all of them are in `--json` and `--ids`).
const IDS_SHOWN: usize = 3;

/// The section title of a group.
pub const fn title(kind: QueueGroup) -> &'static str {
    match kind {
        QueueGroup::Script => "Script directories (cwd= of the submission, from the mainlog)",
        QueueGroup::User => "Submitting users (login and uid that called Exim)",
        QueueGroup::AuthLogin => "Authenticated logins (SMTP AUTH)",
        QueueGroup::Host => "Sending hosts",
        QueueGroup::Sender => "Envelope senders",
        QueueGroup::PhpScript => "PHP scripts (X-PHP-Originating-Script: uid:script)",
        QueueGroup::WebScript => "Web scripts (X-PHP-Script: site/path)",
        QueueGroup::WebClient => "Web clients that ran them (X-PHP-Script: ... for IP)",
        QueueGroup::Subject => "Subjects",
        QueueGroup::RecipientDomain => "Recipient domains (undelivered recipients)",
        _ => "Other",
    }
}

impl Render for QueueSummary {
    fn write_text(&self, out: &mut dyn Write, inputs: &[String]) -> io::Result<()> {
        let t = &self.totals;
        let a = &self.ages;
        writeln!(out, "queue: {}", inputs.join(" "))?;
        writeln!(
            out,
            "{} messages ({} frozen, {} bounces), {} recipients of which {} undelivered{}",
            t.messages,
            t.frozen,
            t.bounces,
            t.recipients,
            t.undelivered,
            if t.unreadable > 0 {
                format!(", {} unreadable", t.unreadable)
            } else {
                String::new()
            }
        )?;
        if t.linked > 0 {
            writeln!(out, "{} of them found in the mainlog", t.linked)?;
        }
        writeln!(
            out,
            "age: {} under 1h, {} under 1d, {} under 1w, {} older{}",
            a.under_1h,
            a.under_1d,
            a.under_1w,
            a.older,
            if a.unknown > 0 {
                format!(", {} unknown", a.unknown)
            } else {
                String::new()
            }
        )?;
        for s in &self.sections {
            if s.rows.is_empty() {
                continue;
            }
            text::heading(out, title(s.kind))?;
            let mut table = Table::new(&[
                ("messages", Align::Right),
                ("rcpts", Align::Right),
                ("frozen", Align::Right),
                ("ids", Align::Left),
                (s.kind.name(), Align::Left),
            ]);
            for r in &s.rows {
                let mut ids = r
                    .ids
                    .iter()
                    .take(IDS_SHOWN)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ");
                let more = r.messages.saturating_sub(IDS_SHOWN as u64);
                if more > 0 {
                    ids.push_str(&format!(" +{more}"));
                }
                table.row(vec![
                    r.messages.to_string(),
                    r.recipients.to_string(),
                    r.frozen.to_string(),
                    ids,
                    r.key.clone(),
                ]);
            }
            table.write(out)?;
        }
        writeln!(
            out,
            "\nAll ids of a row: exim-log queue --ids KIND=KEY ... | xargs exim -Mrm (or exim-log trace ID LOG)"
        )?;
        text::trimmed_note(out, self.approximate)
    }
}
