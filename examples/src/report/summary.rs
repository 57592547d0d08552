//! The text of `summary`; the counting is [`exim_log::report::summary`]
//! (re-exported here).

use std::io::{self, Write};

pub use exim_log::report::summary::*;

use super::Render;
use super::text::{self, Align, Table};

fn pct(n: u64, of: u64) -> String {
    if of == 0 {
        return "-".to_string();
    }
    format!("{:.1}%", n as f64 * 100.0 / of as f64)
}

fn volume_table(
    out: &mut dyn Write,
    title: &str,
    rows: &[VolumeRow],
    addresses: bool,
) -> io::Result<()> {
    text::heading(out, title)?;
    if rows.is_empty() {
        return writeln!(out, "  (none)");
    }
    let mut cols = vec![("messages", Align::Right)];
    if addresses {
        cols.push(("addresses", Align::Right));
    }
    cols.extend([("bytes", Align::Right), ("", Align::Left)]);
    let mut t = Table::new(&cols);
    for r in rows {
        let mut cells = vec![r.volume.messages.to_string()];
        if addresses {
            cells.push(r.volume.addresses.to_string());
        }
        cells.extend([text::bytes(r.volume.bytes), r.key.clone()]);
        t.row(cells);
    }
    t.write(out)
}

fn queue_table(out: &mut dyn Write, title: &str, rows: &[QueueRow]) -> io::Result<()> {
    text::heading(out, title)?;
    let total: u64 = rows.iter().map(|r| r.messages).sum();
    if total == 0 {
        return writeln!(out, "  (none)");
    }
    let mut t = Table::new(&[
        ("", Align::Left),
        ("messages", Align::Right),
        ("share", Align::Right),
        ("cumulative", Align::Right),
    ]);
    let mut cum = 0;
    for r in rows.iter().filter(|r| r.messages > 0) {
        cum += r.messages;
        t.row(vec![
            r.bucket.clone(),
            r.messages.to_string(),
            pct(r.messages, total),
            pct(cum, total),
        ]);
    }
    t.write(out)
}

fn hours_table(out: &mut dyn Write, received: &[u64], delivered: &[u64]) -> io::Result<()> {
    text::heading(out, "Per hour of the day")?;
    let mut t = Table::new(&[
        ("hour", Align::Left),
        ("received", Align::Right),
        ("delivered", Align::Right),
    ]);
    for (h, (r, d)) in received.iter().zip(delivered).enumerate() {
        if *r > 0 || *d > 0 {
            t.row(vec![
                format!("{h:02}-{:02}", h + 1),
                r.to_string(),
                d.to_string(),
            ]);
        }
    }
    if t.is_empty() {
        return writeln!(out, "  (none)");
    }
    t.write(out)
}

fn count_table(out: &mut dyn Write, title: &str, rows: &[CountRow]) -> io::Result<()> {
    text::heading(out, title)?;
    if rows.is_empty() {
        return writeln!(out, "  (none)");
    }
    let mut t = Table::new(&[("count", Align::Right), ("", Align::Left)]);
    for r in rows {
        t.row(vec![r.count.to_string(), r.key.clone()]);
    }
    t.write(out)
}

impl Render for Report {
    fn write_text(&self, out: &mut dyn Write, inputs: &[String]) -> io::Result<()> {
        writeln!(out, "summary: {}", inputs.join(" "))?;
        writeln!(
            out,
            "from {} to {}",
            self.first.as_deref().unwrap_or("-"),
            self.last.as_deref().unwrap_or("-")
        )?;
        let t = &self.totals;
        text::heading(out, "Grand total")?;
        let mut g = Table::new(&[
            ("", Align::Left),
            ("messages", Align::Right),
            ("addresses", Align::Right),
            ("volume", Align::Right),
            ("hosts", Align::Right),
            ("share", Align::Right),
        ]);
        let rc = t.received.messages;
        g.row(vec![
            "received".into(),
            rc.to_string(),
            String::new(),
            text::bytes(t.received.bytes),
            t.received_hosts.to_string(),
        ]);
        g.row(vec![
            "delivered".into(),
            t.delivered.messages.to_string(),
            t.delivered.addresses.to_string(),
            text::bytes(t.delivered.bytes),
            t.delivered_hosts.to_string(),
        ]);
        g.row(vec![
            "delayed".into(),
            t.delayed.to_string(),
            t.deferral_lines.to_string(),
            String::new(),
            String::new(),
            pct(t.delayed, rc),
        ]);
        g.row(vec![
            "failed".into(),
            t.failed.to_string(),
            t.failed_addresses.to_string(),
            String::new(),
            String::new(),
            pct(t.failed, rc),
        ]);
        g.row(vec![
            "rejected".into(),
            t.rejects.to_string(),
            String::new(),
            String::new(),
            t.reject_hosts.to_string(),
        ]);
        g.row(vec![
            "temp. rejected".into(),
            t.temporary_rejects.to_string(),
        ]);
        g.write(out)?;
        writeln!(
            out,
            "  (delayed/failed: messages with at least one ==/** line; addresses: lines)"
        )?;
        volume_table(out, "Deliveries by transport", &self.transports, true)?;
        hours_table(out, &self.received_per_hour, &self.delivered_per_hour)?;
        queue_table(out, "Time on the queue: all messages", &self.queue_times)?;
        queue_table(
            out,
            "Time on the queue: messages with at least one remote delivery",
            &self.queue_times_remote,
        )?;
        volume_table(out, "Top sending hosts", &self.sending_hosts, false)?;
        volume_table(out, "Top local senders (U=)", &self.local_senders, false)?;
        volume_table(out, "Top senders", &self.senders, false)?;
        volume_table(out, "Top destination hosts", &self.destinations, true)?;
        volume_table(out, "Top recipients", &self.recipients, true)?;
        volume_table(out, "Top recipient domains", &self.recipient_domains, true)?;
        count_table(out, "Rejections by reason", &self.reject_reasons)?;
        count_table(out, "Rejections by host", &self.reject_hosts)?;
        text::bounds_notes(out, &self.bounds)
    }
}
