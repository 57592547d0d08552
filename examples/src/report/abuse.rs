//! The text of `abuse-report`; the counting is [`exim_log::report::abuse`]
//! (re-exported here).

use std::io::{self, Write};

pub use exim_log::report::abuse::*;

use super::Render;
use super::text::{self, Align, Table};

/// `dictionary 72, auth 3`: the non-zero kinds of an offender.
pub fn why(o: &Offender) -> String {
    o.counts
        .kinds()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn rows_table(out: &mut dyn Write, rows: &[Row], key: &str, distinct: &str) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut t = Table::new(&[
        ("count", Align::Right),
        (distinct, Align::Right),
        ("first seen", Align::Left),
        ("last seen", Align::Left),
        (key, Align::Left),
    ]);
    for r in rows {
        t.row(vec![
            r.count.to_string(),
            r.distinct.to_string(),
            r.first_seen.clone().unwrap_or_default(),
            r.last_seen.clone().unwrap_or_default(),
            r.key.clone(),
        ]);
    }
    t.write(out)
}

/// A section's title, then its two tables (or `(none)`).
fn section(
    out: &mut dyn Write,
    title: &str,
    total: u64,
    tables: [(&[Row], &str, &str); 2],
) -> io::Result<()> {
    text::heading(out, title)?;
    if total == 0 {
        return writeln!(out, "  (none)");
    }
    for (i, (rows, key, distinct)) in tables.into_iter().enumerate() {
        if i > 0 && !rows.is_empty() {
            writeln!(out)?;
        }
        rows_table(out, rows, key, distinct)?;
    }
    Ok(())
}

impl Render for Report {
    fn write_text(&self, out: &mut dyn Write, inputs: &[String]) -> io::Result<()> {
        writeln!(out, "abuse-report: {}", inputs.join(" "))?;
        writeln!(
            out,
            "{} lines from {} to {}",
            self.lines,
            self.first.as_deref().unwrap_or("-"),
            self.last.as_deref().unwrap_or("-")
        )?;
        let d = &self.dictionary;
        text::heading(
            out,
            &format!(
                "Dictionary attacks: {} RCPTs rejected as unknown, from {} hosts in {} connections",
                d.rejected_unknown, d.hosts_seen, d.connections_seen
            ),
        )?;
        if d.hosts.is_empty() {
            writeln!(out, "  (none)")?;
        } else {
            let mut t = Table::new(&[
                ("unknown", Align::Right),
                ("local parts", Align::Right),
                ("other", Align::Right),
                ("conns", Align::Right),
                ("accepted", Align::Right),
                ("first seen", Align::Left),
                ("last seen", Align::Left),
                ("host", Align::Left),
            ]);
            for h in &d.hosts {
                t.row(vec![
                    h.rejected_unknown.to_string(),
                    h.local_parts.to_string(),
                    h.rejected_other.to_string(),
                    h.connections.to_string(),
                    h.accepted_messages.to_string(),
                    h.first_seen.clone().unwrap_or_default(),
                    h.last_seen.clone().unwrap_or_default(),
                    h.ip.clone(),
                ]);
            }
            t.write(out)?;
            writeln!(out, "  per connection:")?;
            let mut t = Table::new(&[
                ("unknown", Align::Right),
                ("local parts", Align::Right),
                ("other", Align::Right),
                ("accepted", Align::Right),
                ("start", Align::Left),
                ("end", Align::Left),
                ("host", Align::Left),
            ]);
            for c in &d.connections {
                t.row(vec![
                    c.rejected_unknown.to_string(),
                    c.local_parts.to_string(),
                    c.rejected_other.to_string(),
                    c.accepted_messages.to_string(),
                    c.start.clone(),
                    c.end.clone(),
                    c.ip.clone(),
                ]);
            }
            t.write(out)?;
        }
        section(
            out,
            &format!("RBL rejections: {}", self.rbl.total),
            self.rbl.total,
            [
                (&self.rbl.by_key, "list", "hosts"),
                (&self.rbl.by_host, "host", "lists"),
            ],
        )?;
        section(
            out,
            &format!("HELO/EHLO rejections: {}", self.helo.total),
            self.helo.total,
            [
                (&self.helo.by_key, "reason", "hosts"),
                (&self.helo.by_host, "host", "reasons"),
            ],
        )?;
        let v = &self.sender_verify;
        section(
            out,
            &format!(
                "Sender verification: {} failed, {} deferred",
                v.failed, v.deferred
            ),
            v.failed + v.deferred,
            [
                (&v.by_domain, "sender domain", "hosts"),
                (&v.by_host, "host", "senders"),
            ],
        )?;
        section(
            out,
            &format!("AUTH failures: {}", self.auth.total),
            self.auth.total,
            [
                (&self.auth.by_host, "host", "logins"),
                (&self.auth.by_key, "login tried", "hosts"),
            ],
        )?;
        section(
            out,
            &format!("SMTP protocol errors: {}", self.protocol.total),
            self.protocol.total,
            [
                (&self.protocol.by_key, "kind", "hosts"),
                (&self.protocol.by_host, "host", "kinds"),
            ],
        )?;
        let o = &self.other_rejections;
        section(
            out,
            &format!("Other rejections: {}", o.total),
            o.total,
            [(&o.by_key, "reason", "hosts"), (&[], "", "")],
        )?;
        text::heading(
            out,
            &format!(
                "Offenders (IPs with at least {} offender events; `--offenders` lists the IPs alone)",
                self.threshold
            ),
        )?;
        if self.offenders.is_empty() {
            writeln!(out, "  (none)")?;
        }
        let mut t = Table::new(&[
            ("events", Align::Right),
            ("ip", Align::Left),
            ("first seen", Align::Left),
            ("last seen", Align::Left),
            ("what", Align::Left),
        ]);
        for o in &self.offenders {
            t.row(vec![
                o.events.to_string(),
                o.ip.clone(),
                o.first_seen.clone().unwrap_or_default(),
                o.last_seen.clone().unwrap_or_default(),
                why(o),
            ]);
        }
        if !t.is_empty() {
            t.write(out)?;
        }
        text::bounds_notes(out, &self.bounds)
    }
}
