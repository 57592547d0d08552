//! The page of `exim-log report --html`: one self-contained HTML file that
//! shows the `summary`, `spam-sources` and `abuse-report` reports of one input
//! (the library's report values, [`exim_log::report`]; nothing is counted
//! here).
//!
//! * **Self-contained**: inline CSS, inline SVG charts drawn here (bars are
//!   rectangles: a chart crate would add a dependency tree for that and would
//!   set its own colours, where ours follow the light/dark theme through CSS
//!   classes), and one small inline script that sorts tables. A strict
//!   Content-Security-Policy allows exactly that style and that script (by
//!   their SHA-256) and nothing else: no request can leave the page.
//! * **Escaped**: the page is written with maud, whose templates escape every
//!   value unless marked `PreEscaped` (only the constant CSS and script are):
//!   subjects, HELO names, addresses and paths are attacker text.
//! * **Checkable**: every number carries its JSON path in data attributes
//!   (`data-table="spam.sections.0.rows"`, `data-col="messages"`,
//!   `data-v="12"`; `data-chart`, `data-n`; `data-total`), so tests compare
//!   the page with the `--json` documents of the same input.

use base64::Engine;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use super::abuse::Report as AbuseReport;
use super::spam::{SourceKind, SpamReport};
use super::summary::Report as SummaryReport;
use crate::input::thousands;

/// The page's style sheet (light, dark, print).
const CSS: &str = include_str!("html/report.css");

/// The page's script: sortable tables.
const SCRIPT: &str = include_str!("html/sort.js");

/// The three reports of one input, and what was read.
#[derive(Debug)]
pub struct Page<'a> {
    /// The inputs' names.
    pub inputs: &'a [String],
    /// `summary`.
    pub summary: &'a SummaryReport,
    /// `spam-sources`.
    pub spam: &'a SpamReport,
    /// `abuse-report`.
    pub abuse: &'a AbuseReport,
}

/// `'sha256-...'` of a CSP source expression.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The Content-Security-Policy of the page: nothing but its own inline style
/// and script.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; \
         base-uri 'none'; form-action 'none'",
        csp_hash(CSS),
        csp_hash(SCRIPT)
    )
}

/// One cell of a table.
enum Cell {
    /// A count (sorted as a number).
    Num(u64),
    /// A distinct count, `>=N` when capped.
    Distinct(exim_log::report::bounded::Distinct),
    /// Text from the log.
    Text(String),
    /// An optional time.
    Time(Option<String>),
    /// A message id to trace.
    Id(Option<String>),
}

/// A column: its JSON field (a dotted path inside the row), heading and cell.
struct Col<'r, R> {
    field: &'static str,
    head: &'static str,
    cell: Box<dyn Fn(&R) -> Cell + 'r>,
}

fn col<'r, R>(
    field: &'static str,
    head: &'static str,
    cell: impl Fn(&R) -> Cell + 'r,
) -> Col<'r, R> {
    Col {
        field,
        head,
        cell: Box::new(cell),
    }
}

/// A cell, marked with its JSON field (`data-col`) and, for numbers, the
/// value it sorts by (`data-v`).
fn cell(field: &str, c: Cell) -> Markup {
    match c {
        Cell::Num(n) => html! { td.num data-col=(field) data-v=(n) { (thousands(n)) } },
        Cell::Distinct(d) => html! { td.num data-col=(field) data-v=(d.count) { (d) } },
        Cell::Text(t) => html! { td.text data-col=(field) { (t) } },
        Cell::Time(t) => html! { td.time data-col=(field) { (t.unwrap_or_default()) } },
        Cell::Id(id) => html! {
            td.id data-col=(field) {
                @if let Some(id) = id {
                    code title={ "exim-log trace " (id) } { (id) }
                }
            }
        },
    }
}

/// A sortable table of `rows`, named by its JSON path (`report.path`).
fn table<R>(path: &str, caption: &str, rows: &[R], cols: &[Col<'_, R>]) -> Markup {
    html! {
        @if rows.is_empty() {
            p.none data-table=(path) data-rows="0" { (caption) ": none." }
        } @else {
            div.scroll {
                table.sortable data-table=(path) data-rows=(rows.len()) {
                    caption { (caption) }
                    thead { tr {
                        th.rank scope="col" { "#" }
                        @for c in cols { th scope="col" { (c.head) } }
                    } }
                    tbody {
                        @for (i, r) in rows.iter().enumerate() {
                            tr {
                                td.rank.num data-v=(i + 1) { (i + 1) }
                                @for c in cols { (cell(c.field, (c.cell)(r))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Geometry of the charts (SVG user units).
const CHART_W: f64 = 720.0;
const LEFT: f64 = 48.0;

/// Vertical bars over a series (time, or histogram buckets): `points` are
/// (label, value); labels under at most `ticks` evenly spaced bars.
fn vbars(
    path: &str,
    series: &str,
    title: &str,
    class: &str,
    points: &[(String, u64)],
    ticks: usize,
) -> Markup {
    let h = 150.0;
    let (top, bottom) = (14.0, 22.0);
    let plot_h = h - top - bottom;
    let max = points.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let n = points.len().max(1) as f64;
    let slot = (CHART_W - LEFT - 4.0) / n;
    let bar_w = (slot * 0.8).max(0.5);
    let every = points.len().div_ceil(ticks.max(1)).max(1);
    let tick = tick_labels(points);
    html! {
        figure.chart {
            figcaption { (title) }
            svg.vbars.(class) viewBox={ "0 0 " (CHART_W) " " (h) } role="img"
                aria-label=(title) data-chart=(path) data-series=(series)
                data-bars=(points.len()) {
                line.axis x1=(LEFT) y1=(top + plot_h) x2=(CHART_W - 4.0) y2=(top + plot_h) {}
                text.tick x=(LEFT - 4.0) y=(top + 4.0) text-anchor="end" { (thousands(max)) }
                text.tick x=(LEFT - 4.0) y=(top + plot_h) text-anchor="end" { "0" }
                @for (i, (label, v)) in points.iter().enumerate() {
                    @let bh = if max == 0 { 0.0 } else { plot_h * *v as f64 / max as f64 };
                    @let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
                    rect.bar x=(fmt1(x)) y=(fmt1(top + plot_h - bh)) width=(fmt1(bar_w))
                        height=(fmt1(bh)) data-key=(label) data-n=(v) {
                        title { (label) ": " (thousands(*v)) }
                    }
                    @if i % every == 0 {
                        text.tick x=(fmt1(LEFT + slot * i as f64 + slot / 2.0)) y=(h - 6.0)
                            text-anchor="middle" { (tick(label)) }
                    }
                }
            }
        }
    }
}

/// How the ticks of a time axis (`YYYY-MM-DDTHH:MM:00` keys) are written:
/// `HH:MM` within one day, `MM-DD` for whole days, else `MM-DD HH:MM`;
/// other keys as they are.
fn tick_labels(points: &[(String, u64)]) -> impl Fn(&str) -> String {
    let times = points
        .iter()
        .all(|(k, _)| k.len() == 19 && k.as_bytes().get(10) == Some(&b'T'));
    let date = |k: &str| k.get(..10).unwrap_or(k).to_string();
    let one_day = times
        && points
            .iter()
            .all(|(k, _)| points.first().is_some_and(|(f, _)| date(f) == date(k)));
    let midnights = times && points.iter().all(|(k, _)| k.ends_with("T00:00:00"));
    move |k: &str| {
        if !times {
            k.to_string()
        } else if one_day {
            k.get(11..16).unwrap_or(k).to_string()
        } else if midnights {
            k.get(5..10).unwrap_or(k).to_string()
        } else {
            format!(
                "{} {}",
                k.get(5..10).unwrap_or(k),
                k.get(11..16).unwrap_or(k)
            )
        }
    }
}

/// Horizontal bars, one per table row: (label, value).
fn hbars(path: &str, series: &str, title: &str, rows: &[(String, u64)]) -> Markup {
    let row_h = 18.0;
    let label_w = 260.0;
    let h = row_h * rows.len() as f64 + 6.0;
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let plot_w = CHART_W - label_w - 70.0;
    html! {
        @if !rows.is_empty() {
            figure.chart {
                figcaption { (title) }
                svg.hbars viewBox={ "0 0 " (CHART_W) " " (fmt1(h)) } role="img" aria-label=(title)
                    data-chart=(path) data-series=(series) data-bars=(rows.len()) {
                    @for (i, (label, v)) in rows.iter().enumerate() {
                        @let y = 3.0 + row_h * i as f64;
                        @let w = if max == 0 { 0.0 } else { plot_w * *v as f64 / max as f64 };
                        text.label x=(label_w - 6.0) y=(fmt1(y + 13.0)) text-anchor="end" {
                            (shorten(label, 40))
                        }
                        rect.bar x=(label_w) y=(fmt1(y + 2.0)) width=(fmt1(w)) height=(row_h - 4.0)
                            data-key=(label) data-n=(v) {
                            title { (label) ": " (thousands(*v)) }
                        }
                        text.value x=(fmt1(label_w + w + 4.0)) y=(fmt1(y + 13.0)) {
                            (thousands(*v))
                        }
                    }
                }
            }
        }
    }
}

/// `1 host`, `2,048 hosts`.
fn count(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), if n == 1 { "" } else { "s" })
}

fn fmt1(x: f64) -> String {
    format!("{x:.1}")
}

/// At most `n` characters, with an ellipsis when cut.
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A total: its JSON path and value.
fn total(path: &str, label: &str, n: u64, detail: Option<Markup>) -> Markup {
    html! {
        div.card {
            data.big data-total=(path) value=(n) { (thousands(n)) }
            div.what { (label) }
            @if let Some(d) = detail { div.detail { (d) } }
        }
    }
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    match UNITS.get(u) {
        Some(unit) if u > 0 => format!("{v:.1} {unit}"),
        _ => format!("{n} B"),
    }
}

fn width_name(minutes: u64) -> String {
    match minutes {
        1 => "per minute".to_string(),
        60 => "per hour".to_string(),
        1440 => "per day".to_string(),
        m if m < 60 => format!("per {m} minutes"),
        m => format!("per {} days", m / 1440),
    }
}

impl Page<'_> {
    /// The whole page.
    pub fn render(&self) -> String {
        let s = self.summary;
        let title = "Exim log report";
        let markup = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta http-equiv="Content-Security-Policy" content=(content_security_policy());
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="color-scheme" content="light dark";
                    meta name="generator" content={ "exim-log " (env!("CARGO_PKG_VERSION")) };
                    title { (title) }
                    style { (PreEscaped(CSS)) }
                }
                body {
                    header {
                        h1 { (title) }
                        p.inputs { "Read: " (self.inputs.join(", ")) }
                        p.range {
                            "From " time { (s.first.as_deref().unwrap_or("-")) }
                            " to " time { (s.last.as_deref().unwrap_or("-")) }
                            " (the log's own clock). Written by exim-log "
                            (env!("CARGO_PKG_VERSION")) "; every number here is also in "
                            code { "exim-log summary|spam-sources|abuse-report --json" }
                            " of the same input, and every id can be followed with "
                            code { "exim-log trace ID" } "."
                        }
                        nav {
                            a href="#totals" { "Totals" }
                            a href="#activity" { "Activity" }
                            a href="#spam" { "Outbound spam suspects" }
                            a href="#abuse" { "Inbound abuse" }
                            a href="#deliveries" { "Deliveries" }
                            a href="#distributions" { "Queue times and sizes" }
                            a href="#senders" { "Senders, recipients, rejections" }
                        }
                        (self.approximate())
                    }
                    main {
                        (self.totals())
                        (self.activity())
                        (self.spam())
                        (self.abuse())
                        (self.deliveries())
                        (self.distributions())
                        (self.senders())
                    }
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        };
        markup.into_string()
    }

    fn approximate(&self) -> Markup {
        let any = self.summary.bounds.approximate
            || self.spam.bounds.approximate
            || self.abuse.bounds.approximate;
        html! {
            @if any {
                p.warn { "Some tables reached their memory budget and dropped light rows: \
                          the counts of the rows shown are lower bounds (--memory-budget)." }
            }
        }
    }

    fn totals(&self) -> Markup {
        let t = &self.summary.totals;
        let sp = &self.spam.totals;
        let ab = self.abuse;
        html! {
            section #totals {
                h2 { "Totals" }
                div.cards {
                    (total("summary.totals.received.messages", "messages received",
                        t.received.messages, Some(html! {
                            (bytes(t.received.bytes)) " from "
                            data data-total="summary.totals.received_hosts" value=(t.received_hosts) {
                                (thousands(t.received_hosts)) } " hosts" })))
                    (total("summary.totals.delivered.messages", "messages delivered",
                        t.delivered.messages, Some(html! {
                            data data-total="summary.totals.delivered.addresses"
                                value=(t.delivered.addresses) { (thousands(t.delivered.addresses)) }
                            " addresses, " (bytes(t.delivered.bytes)) })))
                    (total("summary.totals.delayed", "messages delayed", t.delayed, Some(html! {
                        data data-total="summary.totals.deferral_lines" value=(t.deferral_lines) {
                            (thousands(t.deferral_lines)) } " deferrals" })))
                    (total("summary.totals.failed", "messages failed", t.failed, Some(html! {
                        data data-total="summary.totals.failed_addresses" value=(t.failed_addresses) {
                            (thousands(t.failed_addresses)) } " addresses" })))
                    (total("summary.totals.completed", "messages completed", t.completed, None))
                    (total("summary.totals.rejects", "rejections", t.rejects, Some(html! {
                        data data-total="summary.totals.reject_hosts" value=(t.reject_hosts) {
                            (thousands(t.reject_hosts)) } " hosts, "
                        data data-total="summary.totals.temporary_rejects" value=(t.temporary_rejects) {
                            (thousands(t.temporary_rejects)) } " temporary" })))
                    (total("spam.totals.local", "local submissions", sp.local, Some(html! {
                        data data-total="spam.totals.local_with_script" value=(sp.local_with_script) {
                            (thousands(sp.local_with_script)) } " from a script" })))
                    (total("spam.totals.authenticated", "authenticated submissions",
                        sp.authenticated, None))
                    (total("spam.totals.relayed", "relayed without authentication",
                        sp.relayed, None))
                    (total("abuse.dictionary.rejected_unknown", "RCPTs to unknown users",
                        ab.dictionary.rejected_unknown, None))
                    (total("abuse.auth.total", "AUTH failures", ab.auth.total, None))
                    (total("abuse.lines", "lines read", ab.lines, None))
                }
            }
        }
    }

    fn activity(&self) -> Markup {
        let s = self.summary;
        let tl = &s.timeline;
        let per = width_name(tl.bucket_minutes);
        let ticks = 8;
        let series = |name: &'static str, f: fn(&exim_log::report::timeline::Counts) -> u64| {
            let points: Vec<(String, u64)> = tl
                .points
                .iter()
                .map(|p| (p.start.clone(), f(&p.counts)))
                .collect();
            (name, points)
        };
        let all = [
            series("received", |c| c.received),
            series("delivered", |c| c.delivered),
            series("deferrals", |c| c.deferrals),
            series("failures", |c| c.failures),
            series("rejections", |c| c.rejections),
        ];
        let hours = |v: &[u64]| -> Vec<(String, u64)> {
            v.iter()
                .enumerate()
                .map(|(h, n)| (format!("{h:02}"), *n))
                .collect()
        };
        html! {
            section #activity {
                h2 { "Activity " (per) }
                @if tl.points.is_empty() {
                    p.none { "Nothing counted." }
                } @else {
                    div.grid {
                        @for (name, pts) in &all {
                            (vbars("summary.timeline.points", name,
                                &format!("{} {per}", capitalize(name)), name, pts, ticks))
                        }
                    }
                }
                h3 { "By hour of the day (as eximstats)" }
                div.grid {
                    (vbars("summary.received_per_hour", "", "Received per hour of the day",
                        "received", &hours(&s.received_per_hour), 12))
                    (vbars("summary.delivered_per_hour", "", "Delivered per hour of the day",
                        "delivered", &hours(&s.delivered_per_hour), 12))
                }
            }
        }
    }

    fn spam(&self) -> Markup {
        let sp = self.spam;
        html! {
            section #spam {
                h2 { "Outbound spam suspects" }
                p { "Who sends the mail leaving this server (" code { "exim-log spam-sources" }
                    "): " (thousands(sp.totals.messages)) " messages, "
                    (thousands(sp.totals.bounces)) " bounces generated here." }
                @if !sp.findings.is_empty() {
                    ul.findings {
                        @for f in &sp.findings {
                            li { strong { (f.kind.name()) } " " code.key { (f.source) } ": "
                                (thousands(f.messages)) " messages, " (thousands(f.recipients))
                                " recipients"
                                @if let Some(id) = &f.example_message_id {
                                    " (trace " code { (id) } ")"
                                }
                            }
                        }
                    }
                }
                @for (i, sec) in sp.sections.iter().enumerate() {
                    @let path = format!("spam.sections.{i}.rows");
                    h3 { (super::spam::title(sec.kind)) }
                    p.sub { (thousands(sec.sources)) " distinct seen" }
                    (hbars(&path, "messages", "Messages per source",
                        &sec.rows.iter().map(|r| (r.source.clone(), r.messages)).collect::<Vec<_>>()))
                    (table(&path, super::spam::title(sec.kind), &sec.rows, &spam_cols(sec.kind)))
                }
            }
        }
    }

    fn abuse(&self) -> Markup {
        use super::abuse::{ConnRow, DictHostRow, Offender, Row};
        let a = self.abuse;
        let rows = |path: &str, caption: &str, key: &'static str, rows: &[Row]| -> Markup {
            let cols: Vec<Col<'_, Row>> = vec![
                col("key", key, |r: &Row| Cell::Text(r.key.clone())),
                col("count", "count", |r: &Row| Cell::Num(r.count)),
                col("distinct", "distinct", |r: &Row| Cell::Distinct(r.distinct)),
                col("first_seen", "first", |r: &Row| {
                    Cell::Time(r.first_seen.clone())
                }),
                col("last_seen", "last", |r: &Row| {
                    Cell::Time(r.last_seen.clone())
                }),
            ];
            table(path, caption, rows, &cols)
        };
        let dict_cols: Vec<Col<'_, DictHostRow>> = vec![
            col("ip", "IP", |r: &DictHostRow| Cell::Text(r.ip.clone())),
            col("rejected_unknown", "unknown RCPTs", |r: &DictHostRow| {
                Cell::Num(r.rejected_unknown)
            }),
            col("local_parts", "local parts", |r: &DictHostRow| {
                Cell::Distinct(r.local_parts)
            }),
            col("rejected_other", "other rejections", |r: &DictHostRow| {
                Cell::Num(r.rejected_other)
            }),
            col("connections", "connections", |r: &DictHostRow| {
                Cell::Num(r.connections)
            }),
            col("accepted_messages", "accepted", |r: &DictHostRow| {
                Cell::Num(r.accepted_messages)
            }),
            col("first_seen", "first", |r: &DictHostRow| {
                Cell::Time(r.first_seen.clone())
            }),
            col("last_seen", "last", |r: &DictHostRow| {
                Cell::Time(r.last_seen.clone())
            }),
        ];
        let conn_cols: Vec<Col<'_, ConnRow>> = vec![
            col("ip", "IP", |r: &ConnRow| Cell::Text(r.ip.clone())),
            col("start", "start", |r: &ConnRow| {
                Cell::Time(Some(r.start.clone()))
            }),
            col("end", "end", |r: &ConnRow| Cell::Time(Some(r.end.clone()))),
            col("rejected_unknown", "unknown RCPTs", |r: &ConnRow| {
                Cell::Num(r.rejected_unknown)
            }),
            col("local_parts", "local parts", |r: &ConnRow| {
                Cell::Distinct(r.local_parts)
            }),
            col("rejected_other", "other rejections", |r: &ConnRow| {
                Cell::Num(r.rejected_other)
            }),
            col("accepted_messages", "accepted", |r: &ConnRow| {
                Cell::Num(r.accepted_messages)
            }),
        ];
        let off_cols: Vec<Col<'_, Offender>> = vec![
            col("ip", "IP", |r: &Offender| Cell::Text(r.ip.clone())),
            col("events", "events", |r: &Offender| Cell::Num(r.events)),
            col("counts", "of which", |r: &Offender| {
                Cell::Text(offense_text(&r.counts))
            }),
            col("first_seen", "first", |r: &Offender| {
                Cell::Time(r.first_seen.clone())
            }),
            col("last_seen", "last", |r: &Offender| {
                Cell::Time(r.last_seen.clone())
            }),
        ];
        html! {
            section #abuse {
                h2 { "Inbound abuse" }
                p { "Seen at SMTP time (" code { "exim-log abuse-report" } "); offenders have at least "
                    (a.threshold) " offender events." }
                h3 { "Offenders" }
                (hbars("abuse.offenders", "events", "Offender events per IP",
                    &a.offenders.iter().map(|o| (o.ip.clone(), o.events)).collect::<Vec<_>>()))
                (table("abuse.offenders", "Offending IPs (for a firewall: abuse-report --offenders)",
                    &a.offenders, &off_cols))
                h3 { "Dictionary attacks" }
                p.sub { (thousands(a.dictionary.rejected_unknown)) " RCPTs rejected as unknown from "
                    (count(a.dictionary.hosts_seen, "host")) " in "
                    (count(a.dictionary.connections_seen, "connection")) }
                (hbars("abuse.dictionary.hosts", "rejected_unknown", "Unknown recipients tried per host",
                    &a.dictionary.hosts.iter().map(|h| (h.ip.clone(), h.rejected_unknown)).collect::<Vec<_>>()))
                (table("abuse.dictionary.hosts", "Dictionary attackers", &a.dictionary.hosts, &dict_cols))
                (table("abuse.dictionary.connections", "Dictionary attack connections",
                    &a.dictionary.connections, &conn_cols))
                h3 { "RBL rejections" }
                (rows("abuse.rbl.by_key", "RBL rejections by list", "list", &a.rbl.by_key))
                (rows("abuse.rbl.by_host", "RBL rejections by host", "host", &a.rbl.by_host))
                h3 { "HELO/EHLO rejections" }
                (rows("abuse.helo.by_key", "HELO rejections by reason", "reason", &a.helo.by_key))
                (rows("abuse.helo.by_host", "HELO rejections by host", "host", &a.helo.by_host))
                h3 { "Sender verification" }
                p.sub { (thousands(a.sender_verify.failed)) " failed, "
                    (thousands(a.sender_verify.deferred)) " deferred" }
                (rows("abuse.sender_verify.by_domain", "Sender verify failures by sender domain",
                    "domain", &a.sender_verify.by_domain))
                (rows("abuse.sender_verify.by_host", "Sender verify failures by host", "host",
                    &a.sender_verify.by_host))
                h3 { "AUTH password guessing" }
                (rows("abuse.auth.by_key", "AUTH failures by login", "login", &a.auth.by_key))
                (rows("abuse.auth.by_host", "AUTH failures by host", "host", &a.auth.by_host))
                h3 { "SMTP protocol errors" }
                (rows("abuse.protocol.by_key", "Protocol errors by kind", "kind", &a.protocol.by_key))
                (rows("abuse.protocol.by_host", "Protocol errors by host", "host", &a.protocol.by_host))
                h3 { "Other rejections" }
                (rows("abuse.other_rejections.by_key", "Other rejections by reason", "reason",
                    &a.other_rejections.by_key))
            }
        }
    }

    fn deliveries(&self) -> Markup {
        let s = self.summary;
        let vol = |rows: &[super::summary::VolumeRow]| -> Vec<(String, u64)> {
            rows.iter()
                .map(|r| (r.key.clone(), r.volume.addresses))
                .collect()
        };
        html! {
            section #deliveries {
                h2 { "Deliveries" }
                (hbars("summary.transports", "addresses", "Addresses delivered per transport",
                    &vol(&s.transports)))
                (table("summary.transports", "Deliveries by transport (T=)", &s.transports,
                    &volume_cols("transport")))
                (hbars("summary.destinations", "addresses", "Addresses delivered per host",
                    &vol(&s.destinations)))
                (table("summary.destinations", "Deliveries by remote host (local: local transports)",
                    &s.destinations, &volume_cols("host")))
                (table("summary.recipient_domains", "Deliveries by recipient domain",
                    &s.recipient_domains, &volume_cols("domain")))
            }
        }
    }

    fn distributions(&self) -> Markup {
        let s = self.summary;
        let q = |rows: &[super::summary::QueueRow]| -> Vec<(String, u64)> {
            rows.iter()
                .map(|r| (r.bucket.clone(), r.messages))
                .collect()
        };
        let sizes: Vec<(String, u64)> = s
            .sizes
            .iter()
            .map(|r| (r.bucket.clone(), r.messages))
            .collect();
        html! {
            section #distributions {
                h2 { "Queue times and sizes" }
                div.grid {
                    (vbars("summary.queue_times", "messages",
                        "Time on the queue, completed messages", "delivered", &q(&s.queue_times), 10))
                    (vbars("summary.queue_times_remote", "messages",
                        "Time on the queue, messages with a remote delivery", "delivered",
                        &q(&s.queue_times_remote), 10))
                    (vbars("summary.sizes", "messages", "Size of arrivals (S=)", "received", &sizes, 6))
                }
            }
        }
    }

    fn senders(&self) -> Markup {
        use super::summary::CountRow;
        let s = self.summary;
        let count_cols = |key: &'static str| -> Vec<Col<'static, CountRow>> {
            vec![
                col("key", key, |r: &CountRow| Cell::Text(r.key.clone())),
                col("count", "count", |r: &CountRow| Cell::Num(r.count)),
            ]
        };
        html! {
            section #senders {
                h2 { "Senders, recipients, rejections" }
                (table("summary.sending_hosts", "Received by sending host", &s.sending_hosts,
                    &volume_cols("host")))
                (table("summary.local_senders", "Received from local users (U=)", &s.local_senders,
                    &volume_cols("user")))
                (table("summary.senders", "Received by envelope sender", &s.senders,
                    &volume_cols("sender")))
                (table("summary.recipients", "Delivered by recipient", &s.recipients,
                    &volume_cols("recipient")))
                (table("summary.reject_reasons", "Rejections by reason", &s.reject_reasons,
                    &count_cols("reason")))
                (table("summary.reject_hosts", "Rejections by client", &s.reject_hosts,
                    &count_cols("client")))
            }
        }
    }
}

fn volume_cols(key: &'static str) -> Vec<Col<'static, super::summary::VolumeRow>> {
    use super::summary::VolumeRow;
    vec![
        col("key", key, |r: &VolumeRow| Cell::Text(r.key.clone())),
        col("messages", "messages", |r: &VolumeRow| {
            Cell::Num(r.volume.messages)
        }),
        col("addresses", "addresses", |r: &VolumeRow| {
            Cell::Num(r.volume.addresses)
        }),
        col("bytes", "bytes", |r: &VolumeRow| Cell::Num(r.volume.bytes)),
    ]
}

fn spam_cols(kind: SourceKind) -> Vec<Col<'static, super::spam::Row>> {
    use super::spam::Row;
    let mut cols: Vec<Col<'static, Row>> = vec![col("source", kind.name(), |r: &Row| {
        Cell::Text(r.source.clone())
    })];
    if kind == SourceKind::Host {
        cols.push(col("label", "name", |r: &Row| {
            Cell::Text(r.label.clone().unwrap_or_default())
        }));
    }
    cols.extend([
        col("messages", "messages", |r: &Row| Cell::Num(r.messages)),
        col("recipients", "recipients", |r: &Row| {
            Cell::Num(r.recipients)
        }),
        col("recipient_domains", "domains", |r: &Row| {
            Cell::Distinct(r.recipient_domains)
        }),
        col("delivered", "delivered", |r: &Row| Cell::Num(r.delivered)),
        col("failed", "failed", |r: &Row| Cell::Num(r.failed)),
        col("deferred", "deferred", |r: &Row| Cell::Num(r.deferred)),
        col("bounce_messages", "bounces", |r: &Row| {
            Cell::Num(r.bounce_messages)
        }),
        col("top_subjects", "top subjects", |r: &Row| {
            Cell::Text(
                r.top_subjects
                    .iter()
                    .map(|s| format!("{} ({})", s.subject, s.count))
                    .collect::<Vec<_>>()
                    .join(" · "),
            )
        }),
        col("first_seen", "first", |r: &Row| {
            Cell::Time(r.first_seen.clone())
        }),
        col("last_seen", "last", |r: &Row| {
            Cell::Time(r.last_seen.clone())
        }),
        col("example_message_id", "trace", |r: &Row| {
            Cell::Id(r.example_message_id.clone())
        }),
    ]);
    cols
}

/// `dictionary 12 · auth 3`: the kinds of offender events of an IP.
fn offense_text(o: &super::abuse::Offense) -> String {
    let kinds = [
        ("dictionary", o.dictionary),
        ("rbl", o.rbl),
        ("helo", o.helo),
        ("auth", o.auth),
        ("protocol", o.protocol),
        ("sender_verify", o.sender_verify),
        ("relay", o.relay),
        ("rcpt", o.rcpt),
        ("rate_limit", o.rate_limit),
        ("no_mail", o.no_mail),
        ("acl_drop", o.acl_drop),
        ("content", o.content),
        ("host_lookup", o.host_lookup),
    ];
    kinds
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_counts_characters() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcdé", 3), "ab…");
    }

    #[test]
    fn bytes_are_binary_units() {
        let cases = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536 << 10, "1.5 MiB"),
        ];
        for (n, want) in cases {
            assert_eq!(bytes(n), want);
        }
    }

    #[test]
    fn policy_names_the_hashes_of_our_style_and_script() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
        // SHA-256 of "" in base64, a known value, checks the encoding.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }
}
