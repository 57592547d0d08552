//! The text of `spam-sources`; the counting is
//! [`exim_log::report::spam`] (re-exported here).

use std::io::{self, Write};

pub use exim_log::report::spam::*;

use super::Render;
use super::text::{self, Align, Table};

/// The section title of a kind of source.
pub const fn title(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Script => "Scripts (cwd= of the submitting process, +arguments)",
        SourceKind::User => "Local users (U= of local submissions)",
        SourceKind::Login => "Authenticated logins (A=)",
        SourceKind::Host => "Relaying hosts (no authentication, delivered remotely)",
        // A kind added to the library later (the enum is `non_exhaustive`).
        _ => "Other sources",
    }
}

impl Render for SpamReport {
    fn write_text(&self, out: &mut dyn Write, inputs: &[String]) -> io::Result<()> {
        let t = &self.totals;
        writeln!(out, "spam-sources: {}", inputs.join(" "))?;
        writeln!(
            out,
            "{} messages from {} to {}: {} local ({} linked to a script), {} authenticated, {} relayed, {} inbound, {} bounces",
            t.messages,
            t.first.as_deref().unwrap_or("-"),
            t.last.as_deref().unwrap_or("-"),
            t.local,
            t.local_with_script,
            t.authenticated,
            t.relayed,
            t.inbound,
            t.bounces
        )?;
        if !self.findings.is_empty() {
            text::heading(out, "Top sender of each kind")?;
            for f in &self.findings {
                write!(
                    out,
                    "  {:<6} {}: {} messages, {} recipients",
                    f.kind.name(),
                    f.source,
                    f.messages,
                    f.recipients
                )?;
                if let Some(id) = &f.example_message_id {
                    write!(out, "  (trace {id})")?;
                }
                writeln!(out)?;
            }
        }
        for s in &self.sections {
            text::heading(out, title(s.kind))?;
            if s.rows.is_empty() {
                writeln!(out, "  (none)")?;
                continue;
            }
            let mut table = Table::new(&[
                ("msgs", Align::Right),
                ("rcpts", Align::Right),
                ("domains", Align::Right),
                ("failed", Align::Right),
                ("deferred", Align::Right),
                ("bounces", Align::Right),
                ("bytes", Align::Right),
                ("first seen", Align::Left),
                ("last seen", Align::Left),
                (s.kind.name(), Align::Left),
            ]);
            for r in &s.rows {
                let name = match &r.label {
                    Some(l) => format!("{} ({l})", r.source),
                    None => r.source.clone(),
                };
                table.row(vec![
                    r.messages.to_string(),
                    r.recipients.to_string(),
                    r.recipient_domains.to_string(),
                    r.failed.to_string(),
                    r.deferred.to_string(),
                    r.bounce_messages.to_string(),
                    text::bytes(r.bytes),
                    r.first_seen.clone().unwrap_or_default(),
                    r.last_seen.clone().unwrap_or_default(),
                    name,
                ]);
            }
            table.write(out)?;
            writeln!(out, "  details (top subjects; a message to trace):")?;
            for r in &s.rows {
                let subjects: Vec<String> = r
                    .top_subjects
                    .iter()
                    .map(|x| format!("{:?} x{}", text::clip(&x.subject, 50), x.count))
                    .collect();
                writeln!(
                    out,
                    "    {}: {}; trace {}",
                    r.source,
                    if subjects.is_empty() {
                        "-".to_string()
                    } else {
                        subjects.join(", ")
                    },
                    r.example_message_id.as_deref().unwrap_or("-")
                )?;
            }
            if s.sources > s.rows.len() as u64 {
                writeln!(out, "  ({} {}s in all)", s.sources, s.kind.name())?;
            }
        }
        text::bounds_notes(out, &self.bounds)
    }
}
