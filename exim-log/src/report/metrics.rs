//! `metrics`: the counters and gauges of a Prometheus exporter, counted line
//! by line so that a follower of a live log can update them as lines arrive
//! (no message assembly, nothing held between lines).
//!
//! [`Metrics`] takes raw lines ([`Metrics::add_raw`]) and counts: lines and
//! bytes read, lines that do not parse and lines of an unknown kind, every
//! event kind, message lines by flag (as `gvengel/exim_exporter` labels them)
//! and `Completed`, the bytes of arrivals, deliveries by transport and by
//! router, deferrals and failures, rejections by SMTP stage and reason class
//! ([`super::classify::reason_class`], the `reject_reasons` of `summary`),
//! temporary rejections by stage, AUTH failures by authenticator, SMTP
//! connections, queue runs, and the time of the last line. Panic log lines
//! are counted by [`Metrics::add_panic_raw`]. [`QueueGauges`] holds the
//! gauges of a spool directory scan.
//!
//! Label values are bounded so that a hostile log cannot grow the exporter
//! without limit: no IP, host or address is ever a label, each labelled family
//! keeps at most [`LABEL_CAP`] values (later ones are counted under `other`,
//! so sums stay exact and a counter never goes back), and a value is cut to
//! [`LABEL_BYTES`]. Memory is therefore fixed once the labels are seen.
//!
//! The counts agree with `summary` on the same lines: `<=` lines are its
//! `received`, `=>`/`>>`/`*>` its `delivered` messages, adding `->` its
//! addresses, `==` its deferral lines, `**` its failed addresses, each
//! transport's deliveries its `transports[].addresses`, and the rejections by
//! reason its `reject_reasons`.
//!
//! ```
//! use exim_log::report::metrics::Metrics;
//!
//! let log = "\
//! 2024-05-25 10:00:00 1sAbCd-000Xyz-AB <= alice@example.org H=mx.example.net [192.0.2.1] P=esmtp S=1200
//! 2024-05-25 10:00:01 1sAbCd-000Xyz-AB => bob@example.com R=local T=local_delivery
//! 2024-05-25 10:00:01 1sAbCd-000Xyz-AB Completed
//! 2024-05-25 10:00:05 H=(x) [192.0.2.9] F=<a@example.net> rejected RCPT <c@example.com>: relay not permitted
//! ";
//! // Two readers (two files, two threads) each count their lines...
//! let (head, tail) = log.split_at(log.find("2024-05-25 10:00:01").unwrap_or(0));
//! let mut m = Metrics::new();
//! head.lines().for_each(|l| m.add_raw(l.as_bytes()));
//! let mut later = Metrics::new();
//! tail.lines().for_each(|l| later.add_raw(l.as_bytes()));
//! // ...and merge.
//! m.merge(later);
//! assert_eq!(m.lines(), 4);
//! assert_eq!(m.messages("arrived"), 1);
//! assert_eq!(m.messages("completed"), 1);
//! let families = m.families();
//! let rejections = families.iter().find(|f| f.name == "exim_rejections").unwrap();
//! assert_eq!(rejections.samples[0].labels, [("stage", "rcpt".to_string()), ("reason", "relay not permitted".to_string())]);
//! assert_eq!(rejections.samples[0].value, 1);
//! ```

use std::collections::HashMap;

use crate::event::Stage;
use crate::reader::QueuedFile;
use crate::{Event, Flag, Timestamp, parse_line};

use super::classify::reason_class;

/// Most values of one label family; later values are counted under `other`.
pub const LABEL_CAP: usize = 100;
/// The longest label value kept, in bytes (longer ones are cut at a
/// character boundary).
pub const LABEL_BYTES: usize = 120;
/// The label value that takes the counts past [`LABEL_CAP`].
pub const OTHER: &str = "other";

/// The `flag` label values of [`Metrics::messages`], in exporter order, as
/// `gvengel/exim_exporter` names them, `completed` last.
pub const MESSAGE_FLAGS: [&str; 9] = [
    "arrived",
    "fakereject",
    "delivered",
    "additional",
    "cutthrough",
    "suppressed",
    "failed",
    "deferred",
    "completed",
];

fn flag_index(f: Flag) -> usize {
    match f {
        Flag::Arrival => 0,
        Flag::FakeReject => 1,
        Flag::Delivery => 2,
        Flag::Additional => 3,
        Flag::Cutthrough => 4,
        Flag::Suppressed => 5,
        Flag::Failure => 6,
        Flag::Deferral => 7,
    }
}

const COMPLETED: usize = 8;

/// The label value of an SMTP stage (the JSON names of [`Stage`]).
fn stage_name(s: Stage) -> &'static str {
    match s {
        Stage::Connect => "connect",
        Stage::Helo => "helo",
        Stage::Mail => "mail",
        Stage::Rcpt => "rcpt",
        Stage::Predata => "predata",
        Stage::Data => "data",
        Stage::Mime => "mime",
        Stage::Auth => "auth",
        Stage::Vrfy => "vrfy",
        Stage::Expn => "expn",
        Stage::Etrn => "etrn",
        Stage::Starttls => "starttls",
        Stage::NonSmtp => "non_smtp",
        Stage::Other => "other",
    }
}

/// Counts under label values of which at most [`LABEL_CAP`] are kept: a value
/// seen once stays (a Prometheus counter must not vanish or go back), and
/// values past the cap are counted under [`OTHER`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelCounts {
    counts: HashMap<Vec<String>, u64>,
}

impl LabelCounts {
    /// Adds `n` under the label values `key` (one per label name).
    pub fn add(&mut self, key: &[&str], n: u64) {
        // The common case, a known key, allocates nothing but the lookup key.
        let owned: Vec<String> = key.iter().map(|k| cut(k).to_string()).collect();
        self.add_owned(owned, n);
    }

    fn add_owned(&mut self, key: Vec<String>, n: u64) {
        let full = self.counts.len() >= LABEL_CAP;
        match self.counts.get_mut(&key) {
            Some(v) => *v += n,
            None if full => {
                // Every label of the overflow key is `other` (one more key
                // past the cap, whatever the number of labels).
                let other = vec![OTHER.to_string(); key.len()];
                *self.counts.entry(other).or_insert(0) += n;
            }
            None => {
                self.counts.insert(key, n);
            }
        }
    }

    /// Adds the counts of another set (counted over other input).
    pub fn merge(&mut self, other: LabelCounts) {
        let mut theirs: Vec<_> = other.counts.into_iter().collect();
        // Heaviest first, so that a cap keeps what matters.
        theirs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (k, n) in theirs {
            self.add_owned(k, n);
        }
    }

    /// The count under `key` (0 when never seen).
    pub fn get(&self, key: &[&str]) -> u64 {
        let key: Vec<String> = key.iter().map(|k| cut(k).to_string()).collect();
        self.counts.get(&key).copied().unwrap_or(0)
    }

    /// The sum of every count.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Number of label value combinations held.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The entries, sorted by label values.
    pub fn sorted(&self) -> Vec<(&[String], u64)> {
        let mut v: Vec<_> = self
            .counts
            .iter()
            .map(|(k, n)| (k.as_slice(), *n))
            .collect();
        v.sort();
        v
    }
}

/// `s` cut to at most [`LABEL_BYTES`] at a character boundary.
fn cut(s: &str) -> &str {
    if s.len() <= LABEL_BYTES {
        return s;
    }
    let mut end = LABEL_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// The exporter's counters over the lines of a main log (and a panic log).
/// See the [module docs](self).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    lines: u64,
    bytes: u64,
    parse_errors: u64,
    unknown: u64,
    panics: u64,
    panic_parse_errors: u64,
    events: HashMap<&'static str, u64>,
    messages: [u64; 9],
    received_bytes: u64,
    transports: LabelCounts,
    routers: LabelCounts,
    deferrals: LabelCounts,
    failures: LabelCounts,
    rejections: LabelCounts,
    temporary_rejections: LabelCounts,
    auth_failures: LabelCounts,
    connections: u64,
    queue_runs: u64,
    last: Option<Timestamp>,
}

impl Metrics {
    /// No lines counted yet.
    pub fn new() -> Self {
        Metrics::default()
    }

    /// Counts one line of the main log, as read (a final `\n` or `\r\n` is
    /// allowed). Bytes count the line and one line ending.
    pub fn add_raw(&mut self, raw: &[u8]) {
        self.lines += 1;
        let body = raw.strip_suffix(b"\n").unwrap_or(raw);
        self.bytes += body.len() as u64 + 1;
        let Ok(line) = parse_line(raw) else {
            self.parse_errors += 1;
            return;
        };
        if self.last.is_none_or(|t| line.timestamp > t) {
            self.last = Some(line.timestamp);
        }
        *self.events.entry(line.event.name()).or_insert(0) += 1;
        if let Some(f) = line.flag
            && let Some(n) = self.messages.get_mut(flag_index(f))
        {
            *n += 1;
        }
        let text = |t: Option<crate::Text<'_>>| {
            t.map_or_else(
                || "(none)".to_string(),
                |t| t.to_string_lossy().into_owned(),
            )
        };
        match &line.event {
            Event::Unknown => self.unknown += 1,
            Event::Arrival(a) if line.flag == Some(Flag::Arrival) => {
                self.received_bytes += a.size.unwrap_or(0);
            }
            Event::Delivery(d) => {
                self.transports.add(&[&text(d.transport)], 1);
                self.routers.add(&[&text(d.router)], 1);
            }
            Event::Deferral(d) => self.deferrals.add(&[&text(d.transport)], 1),
            Event::Failure(d) => self.failures.add(&[&text(d.router)], 1),
            Event::Completed(_) => {
                if let Some(n) = self.messages.get_mut(COMPLETED) {
                    *n += 1;
                }
            }
            Event::Rejection(r) if r.temporary => {
                self.temporary_rejections.add(&[stage_name(r.stage)], 1);
            }
            Event::Rejection(r) => {
                self.rejections
                    .add(&[stage_name(r.stage), &reason_class(r)], 1);
            }
            Event::AuthFailed(a) => {
                let dir = if a.outgoing { "outgoing" } else { "incoming" };
                self.auth_failures
                    .add(&[&a.authenticator.to_string_lossy(), dir], 1);
            }
            Event::ConnectionOpen(_) => self.connections += 1,
            Event::QueueRun(q) if q.phase == crate::event::QueuePhase::Start => {
                self.queue_runs += 1;
            }
            _ => {}
        }
    }

    /// Counts one line of the panic log: an entry when it starts with a
    /// timestamp (continuation lines, indented, are part of the entry before).
    pub fn add_panic_raw(&mut self, raw: &[u8]) {
        match parse_line(raw) {
            Ok(_) => self.panics += 1,
            Err(_) if raw.starts_with(b" ") || raw.starts_with(b"\t") => {}
            Err(_) => self.panic_parse_errors += 1,
        }
    }

    /// Adds the counts of another value, counted over other lines (another
    /// file, thread or part).
    pub fn merge(&mut self, o: Metrics) {
        self.lines += o.lines;
        self.bytes += o.bytes;
        self.parse_errors += o.parse_errors;
        self.unknown += o.unknown;
        self.panics += o.panics;
        self.panic_parse_errors += o.panic_parse_errors;
        for (k, n) in o.events {
            *self.events.entry(k).or_insert(0) += n;
        }
        self.messages
            .iter_mut()
            .zip(o.messages)
            .for_each(|(a, b)| *a += b);
        self.received_bytes += o.received_bytes;
        self.transports.merge(o.transports);
        self.routers.merge(o.routers);
        self.deferrals.merge(o.deferrals);
        self.failures.merge(o.failures);
        self.rejections.merge(o.rejections);
        self.temporary_rejections.merge(o.temporary_rejections);
        self.auth_failures.merge(o.auth_failures);
        self.connections += o.connections;
        self.queue_runs += o.queue_runs;
        if let Some(t) = o.last
            && self.last.is_none_or(|l| t > l)
        {
            self.last = Some(t);
        }
    }

    /// Lines read from the main log.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Message lines with the flag named `flag` (one of [`MESSAGE_FLAGS`]).
    pub fn messages(&self, flag: &str) -> u64 {
        MESSAGE_FLAGS
            .iter()
            .position(|f| *f == flag)
            .and_then(|i| self.messages.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// The time of the latest line counted.
    pub fn last_timestamp(&self) -> Option<Timestamp> {
        self.last
    }

    /// Every metric family, in a fixed order, with its samples sorted by
    /// label values: what an exporter serves. Counter names are given
    /// without the `_total` suffix that the exposition format adds.
    pub fn families(&self) -> Vec<Family> {
        let one = |name, help, value: u64| Family {
            name,
            help,
            kind: Kind::Counter,
            samples: vec![Sample {
                labels: Vec::new(),
                value,
            }],
        };
        let labelled = |name, help, names: &[&'static str], c: &LabelCounts| Family {
            name,
            help,
            kind: Kind::Counter,
            samples: c
                .sorted()
                .into_iter()
                .map(|(values, n)| Sample {
                    labels: names.iter().copied().zip(values.iter().cloned()).collect(),
                    value: n,
                })
                .collect(),
        };
        let mut events: Vec<_> = self.events.iter().collect();
        events.sort();
        let mut out = vec![
            one(
                "exim_log_lines",
                "Lines read from the main log.",
                self.lines,
            ),
            one(
                "exim_log_bytes",
                "Bytes read from the main log (line endings included).",
                self.bytes,
            ),
            one(
                "exim_log_parse_errors",
                "Main log lines that are not Exim log lines (no timestamp).",
                self.parse_errors,
            ),
            one(
                "exim_log_unknown_lines",
                "Main log lines of a kind exim-log does not know.",
                self.unknown,
            ),
            Family {
                name: "exim_events",
                help: "Main log lines by event kind (the `event` of exim-log ndjson).",
                kind: Kind::Counter,
                samples: events
                    .into_iter()
                    .map(|(k, n)| Sample {
                        labels: vec![("event", (*k).to_string())],
                        value: *n,
                    })
                    .collect(),
            },
            Family {
                name: "exim_messages",
                help: "Message lines by flag (arrived <=, fakereject (=, delivered =>, additional ->, \
                       cutthrough >>, suppressed *>, failed **, deferred ==) and Completed lines.",
                kind: Kind::Counter,
                samples: MESSAGE_FLAGS
                    .iter()
                    .zip(self.messages)
                    .map(|(f, n)| Sample {
                        labels: vec![("flag", (*f).to_string())],
                        value: n,
                    })
                    .collect(),
            },
            one(
                "exim_received_bytes",
                "Sum of S= over arrival (<=) lines.",
                self.received_bytes,
            ),
            labelled(
                "exim_deliveries",
                "Delivery lines (=> -> >> *>) by transport.",
                &["transport"],
                &self.transports,
            ),
            labelled(
                "exim_deliveries_by_router",
                "Delivery lines (=> -> >> *>) by router.",
                &["router"],
                &self.routers,
            ),
            labelled(
                "exim_deferrals",
                "Deferral (==) lines by transport.",
                &["transport"],
                &self.deferrals,
            ),
            labelled(
                "exim_failures",
                "Failure (**) lines by router.",
                &["router"],
                &self.failures,
            ),
            labelled(
                "exim_rejections",
                "Rejected lines (5xx) by SMTP stage and reason class.",
                &["stage", "reason"],
                &self.rejections,
            ),
            labelled(
                "exim_temporary_rejections",
                "Temporarily rejected lines (4xx) by SMTP stage.",
                &["stage"],
                &self.temporary_rejections,
            ),
            labelled(
                "exim_auth_failures",
                "Authenticator failures by authenticator and direction.",
                &["authenticator", "direction"],
                &self.auth_failures,
            ),
            one(
                "exim_smtp_connections",
                "SMTP connections opened (smtp_connection log selector).",
                self.connections,
            ),
            one("exim_queue_runs", "Queue runs started.", self.queue_runs),
            one(
                "exim_panic",
                "Panic log entries (lines with a timestamp).",
                self.panics,
            ),
            one(
                "exim_panic_log_parse_errors",
                "Panic log lines neither an entry nor a continuation.",
                self.panic_parse_errors,
            ),
        ];
        if let Some(t) = self.last {
            out.push(Family {
                name: "exim_log_last_timestamp_seconds",
                help: "Time of the latest main log line, seconds since the epoch (the log's \
                       offset when logged, else its local time read as UTC).",
                kind: Kind::Gauge,
                samples: vec![Sample {
                    labels: Vec::new(),
                    value: u64::try_from(t.unix_seconds()).unwrap_or(0),
                }],
            });
        }
        out
    }
}

/// Gauges of the mail queue from one scan of the spool directory
/// ([`crate::reader::SpoolDir`]): add each queued file, read [`QueueGauges::families`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueGauges {
    now: i64,
    messages: u64,
    frozen: u64,
    bounces: u64,
    unreadable: u64,
    recipients: u64,
    data_bytes: u64,
    oldest: Option<i64>,
}

impl QueueGauges {
    /// An empty scan; ages are counted at `now` (seconds since the epoch).
    pub fn new(now: i64) -> Self {
        QueueGauges {
            now,
            ..QueueGauges::default()
        }
    }

    /// Adds one queued message (`-H` file).
    pub fn add_queued(&mut self, file: &QueuedFile) {
        self.messages += 1;
        self.data_bytes += file.data_len.unwrap_or(0);
        let Ok(h) = file.parse() else {
            self.unreadable += 1;
            return;
        };
        self.frozen += u64::from(h.envelope.frozen.is_some());
        self.bounces += u64::from(h.sender.is_empty());
        self.recipients += h
            .recipients()
            .filter(|r| !file.is_delivered(&h, r.address.as_bytes()))
            .count() as u64;
        self.oldest = Some(
            self.oldest
                .map_or(h.received_time, |o| o.min(h.received_time)),
        );
    }

    /// Adds a scan of other files (another directory, another thread's share).
    pub fn merge(&mut self, o: QueueGauges) {
        self.messages += o.messages;
        self.frozen += o.frozen;
        self.bounces += o.bounces;
        self.unreadable += o.unreadable;
        self.recipients += o.recipients;
        self.data_bytes += o.data_bytes;
        self.oldest = match (self.oldest, o.oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// Messages on the queue.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// The gauges.
    pub fn families(&self) -> Vec<Family> {
        let gauge = |name, help, value: u64| Family {
            name,
            help,
            kind: Kind::Gauge,
            samples: vec![Sample {
                labels: Vec::new(),
                value,
            }],
        };
        let age = self
            .oldest
            .map_or(0, |o| u64::try_from(self.now - o).unwrap_or(0));
        vec![
            gauge(
                "exim_queue",
                "Messages on the queue (exim -bpc).",
                self.messages,
            ),
            gauge(
                "exim_queue_frozen",
                "Frozen messages on the queue.",
                self.frozen,
            ),
            gauge(
                "exim_queue_bounces",
                "Bounces (empty sender) on the queue.",
                self.bounces,
            ),
            gauge(
                "exim_queue_unreadable",
                "Spool header files that could not be parsed.",
                self.unreadable,
            ),
            gauge(
                "exim_queue_recipients",
                "Recipients on the queue not yet delivered.",
                self.recipients,
            ),
            gauge(
                "exim_queue_data_bytes",
                "Bytes of the queued messages' -D files.",
                self.data_bytes,
            ),
            gauge(
                "exim_queue_oldest_seconds",
                "Age of the oldest queued message (0 when the queue is empty).",
                age,
            ),
        ]
    }
}

/// One metric family: a name, its help, its type and its samples.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Family {
    /// The name (counters without `_total`).
    pub name: &'static str,
    /// The help text.
    pub help: &'static str,
    /// Counter or gauge.
    pub kind: Kind,
    /// The samples, one per label value combination.
    pub samples: Vec<Sample>,
}

/// The type of a [`Family`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Kind {
    /// Only goes up (while the exporter runs).
    Counter,
    /// Goes up and down.
    Gauge,
}

/// One sample of a [`Family`].
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Sample {
    /// Label names and values.
    pub labels: Vec<(&'static str, String)>,
    /// The value (every count and gauge here is a whole number).
    pub value: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(m: &[Family], name: &str, labels: &[&str]) -> Option<u64> {
        let f = m.iter().find(|f| f.name == name)?;
        f.samples
            .iter()
            .find(|s| {
                s.labels
                    .iter()
                    .map(|(_, v)| v.as_str())
                    .eq(labels.iter().copied())
            })
            .map(|s| s.value)
    }

    const LOG: &[&str] = &[
        "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com H=(x) [192.0.2.1] P=esmtp S=500",
        "2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq => b@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.2]",
        "2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq -> c@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.2]",
        "2026-11-25 10:00:02 1sAoM5-00000009r3p-06vq == d@example.org R=dnslookup T=remote_smtp defer (-44): SMTP error",
        "2026-11-25 10:00:03 1sAoM5-00000009r3p-06vq ** e@example.org R=dnslookup: all hosts unreachable",
        "2026-11-25 10:00:04 1sAoM5-00000009r3p-06vq Completed",
        "2026-11-25 10:00:05 H=(x) [192.0.2.9] F=<a@example.net> rejected RCPT <c@example.com>: relay not permitted",
        "2026-11-25 10:00:06 H=(x) [192.0.2.9] F=<a@example.net> temporarily rejected RCPT <c@example.com>: greylisted",
        "2026-11-25 10:00:07 login authenticator failed for (x) [192.0.2.9]: 535 Incorrect authentication data (set_id=bob)",
        "2026-11-25 10:00:08 SMTP connection from (x) [192.0.2.9]:4321 (TCP/IP connection count = 3)",
        "2026-11-25 10:00:09 Start queue run: pid=123",
        "2026-11-25 10:00:10 something nobody logs",
        "not a log line",
    ];

    #[test]
    fn counts_each_kind_of_line() {
        let mut m = Metrics::new();
        LOG.iter().for_each(|l| m.add_raw(l.as_bytes()));
        let f = m.families();
        let get = |name: &str, labels: &[&str]| sample(&f, name, labels);
        assert_eq!(get("exim_log_lines", &[]), Some(13));
        let bytes: usize = LOG.iter().map(|l| l.len() + 1).sum();
        assert_eq!(get("exim_log_bytes", &[]), Some(bytes as u64));
        assert_eq!(get("exim_log_parse_errors", &[]), Some(1));
        assert_eq!(get("exim_log_unknown_lines", &[]), Some(1));
        for (flag, n) in [
            ("arrived", 1),
            ("delivered", 1),
            ("additional", 1),
            ("deferred", 1),
            ("failed", 1),
            ("completed", 1),
            ("cutthrough", 0),
        ] {
            assert_eq!(get("exim_messages", &[flag]), Some(n), "{flag}");
        }
        assert_eq!(get("exim_received_bytes", &[]), Some(500));
        assert_eq!(get("exim_deliveries", &["remote_smtp"]), Some(2));
        assert_eq!(get("exim_deliveries_by_router", &["dnslookup"]), Some(2));
        assert_eq!(get("exim_deferrals", &["remote_smtp"]), Some(1));
        assert_eq!(get("exim_failures", &["dnslookup"]), Some(1));
        assert_eq!(
            get("exim_rejections", &["rcpt", "relay not permitted"]),
            Some(1)
        );
        assert_eq!(get("exim_temporary_rejections", &["rcpt"]), Some(1));
        assert_eq!(get("exim_auth_failures", &["login", "incoming"]), Some(1));
        assert_eq!(get("exim_smtp_connections", &[]), Some(1));
        assert_eq!(get("exim_queue_runs", &[]), Some(1));
        assert_eq!(get("exim_events", &["arrival"]), Some(1));
        assert_eq!(get("exim_events", &["unknown"]), Some(1));
        let last = parse_line(LOG.get(11).copied().unwrap_or_default().as_bytes())
            .map(|l| l.timestamp.unix_seconds() as u64)
            .ok();
        assert_eq!(get("exim_log_last_timestamp_seconds", &[]), last);
        // No label holds an IP or an address.
        for fam in &f {
            for s in &fam.samples {
                for (_, v) in &s.labels {
                    assert!(!v.contains("192.0.2") && !v.contains('@'), "{v}");
                }
            }
        }
    }

    #[test]
    fn merge_of_parts_equals_one_pass() {
        let mut whole = Metrics::new();
        LOG.iter().for_each(|l| whole.add_raw(l.as_bytes()));
        for step in 1..LOG.len() {
            let mut acc = Metrics::new();
            for part in LOG.chunks(step) {
                let mut m = Metrics::new();
                part.iter().for_each(|l| m.add_raw(l.as_bytes()));
                acc.merge(m);
            }
            assert_eq!(acc.families(), whole.families(), "parts of {step}");
        }
    }

    #[test]
    fn label_values_are_bounded_and_sums_exact() {
        let mut m = Metrics::new();
        let n = LABEL_CAP + 50;
        for i in 0..n {
            let long = "x".repeat(300);
            let line = format!(
                "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq => b@example.net R=r T=t{i}{long}"
            );
            m.add_raw(line.as_bytes());
        }
        assert_eq!(m.transports.len(), LABEL_CAP + 1);
        assert_eq!(m.transports.total(), n as u64);
        assert!(m.transports.get(&[OTHER]) == 50);
        for (k, _) in m.transports.sorted() {
            assert!(k.iter().all(|v| v.len() <= LABEL_BYTES));
        }
        // A known value keeps counting under its own label.
        let again = "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq => b@example.net R=r T=t0";
        m.add_raw(format!("{again}{}", "x".repeat(300)).as_bytes());
        assert_eq!(m.transports.total(), n as u64 + 1);
        assert_eq!(m.transports.get(&[OTHER]), 50);
    }

    #[test]
    fn panic_log_entries() {
        let mut m = Metrics::new();
        for l in [
            "2026-11-25 10:00:00 Exim configuration error in line 12 of /etc/exim.conf:",
            "  missing quote",
            "2026-11-25 10:00:01 failed to open DB",
            "garbage",
        ] {
            m.add_panic_raw(l.as_bytes());
        }
        let f = m.families();
        assert_eq!(sample(&f, "exim_panic", &[]), Some(2));
        assert_eq!(sample(&f, "exim_panic_log_parse_errors", &[]), Some(1));
        assert_eq!(m.lines(), 0);
    }

    /// A queued message's `-H` file (Exim's spool format: id line, owner,
    /// sender, time and delay count, flags, the recipient list), `frozen`
    /// or not, with a `-D` file of `data_len` bytes.
    fn queued_file(id: &str, sender: &str, time: i64, frozen: bool, data_len: u64) -> QueuedFile {
        QueuedFile {
            path: std::path::PathBuf::from(format!("{id}-H")),
            header: format!(
                "{id}-H\nexim 93 93\n<{sender}>\n{time} 0\n-local\n{}XX\n1\nb@example.net\n\n",
                if frozen { "-frozen 1\n" } else { "" }
            )
            .into_bytes(),
            data_len: Some(data_len),
            journal: None,
        }
    }

    #[test]
    fn queue_gauges_from_header_files() {
        let header = |id: &str, sender: &str, time: i64, frozen: bool| {
            queued_file(id, sender, time, frozen, 100)
        };
        let mut q = QueueGauges::new(10_000);
        q.add_queued(&header(
            "1sAoM5-00000009r3p-06vq",
            "a@example.com",
            9_000,
            true,
        ));
        let mut r = QueueGauges::new(10_000);
        r.add_queued(&header("1sAoM6-00000009r3p-06vq", "", 9_500, false));
        r.add_queued(&QueuedFile {
            path: "x-H".into(),
            header: b"junk".to_vec(),
            data_len: None,
            journal: None,
        });
        q.merge(r);
        let f = q.families();
        assert_eq!(sample(&f, "exim_queue", &[]), Some(3));
        assert_eq!(sample(&f, "exim_queue_unreadable", &[]), Some(1));
        assert_eq!(sample(&f, "exim_queue_frozen", &[]), Some(1));
        assert_eq!(sample(&f, "exim_queue_bounces", &[]), Some(1));
        assert_eq!(sample(&f, "exim_queue_recipients", &[]), Some(2));
        assert_eq!(sample(&f, "exim_queue_data_bytes", &[]), Some(200));
        assert_eq!(sample(&f, "exim_queue_oldest_seconds", &[]), Some(1_000));
    }

    /// The accessors agree with the families (what the exporter serves).
    #[test]
    fn accessors_of_the_counts() {
        let mut m = Metrics::new();
        assert_eq!((m.lines(), m.last_timestamp()), (0, None));
        LOG.iter().for_each(|l| m.add_raw(l.as_bytes()));
        assert_eq!(m.lines(), 13);
        assert_eq!(m.messages("arrived"), 1);
        assert_eq!(m.messages("additional"), 1);
        assert_eq!(m.messages("completed"), 1);
        assert_eq!(m.messages("cutthrough"), 0);
        assert_eq!(m.messages("no such flag"), 0);
        // Line 11 is the last with a timestamp ("not a log line" has none).
        let last = parse_line(LOG.get(11).copied().unwrap_or_default().as_bytes())
            .map(|l| l.timestamp)
            .ok();
        assert!(last.is_some());
        assert_eq!(m.last_timestamp(), last);
        assert!(!m.transports.is_empty() && LabelCounts::default().is_empty());
        assert_eq!(m.rejections.len(), 1);
        assert_eq!(m.rejections.total(), 1);
        assert_eq!(m.rejections.get(&["rcpt", "relay not permitted"]), 1);
        assert_eq!(m.rejections.get(&["rcpt", "no such reason"]), 0);
        // An earlier line later (two files read in turn) keeps the latest.
        m.add_raw(b"2026-11-25 09:00:00 Start queue run: pid=1");
        assert_eq!(m.last_timestamp(), last);
        let q = QueueGauges::new(0);
        assert_eq!(q.messages(), 0);
    }

    /// Lines that look like counted ones but are not: a fakereject's `(=`
    /// (its S= is no received byte, as eximstats counts only `<=`), the end
    /// of a queue run, a panic log continuation indented with a tab.
    #[test]
    fn near_misses_are_not_counted() {
        let mut m = Metrics::new();
        for l in [
            "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq (= a@example.com H=(x) [192.0.2.1] P=esmtp S=700",
            "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vr <= a@example.com H=(x) [192.0.2.1] P=esmtp S=50",
            "2026-11-25 10:00:09 Start queue run: pid=123",
            "2026-11-25 10:00:19 End queue run: pid=123",
        ] {
            m.add_raw(l.as_bytes());
        }
        for l in [
            "2026-11-25 10:00:00 panic",
            "\tcontinued",
            " continued",
            "x",
        ] {
            m.add_panic_raw(l.as_bytes());
        }
        let f = m.families();
        assert_eq!(m.messages("fakereject"), 1);
        assert_eq!(sample(&f, "exim_received_bytes", &[]), Some(50));
        assert_eq!(sample(&f, "exim_queue_runs", &[]), Some(1));
        assert_eq!(sample(&f, "exim_panic", &[]), Some(1));
        assert_eq!(sample(&f, "exim_panic_log_parse_errors", &[]), Some(1));
    }

    /// A label value is cut before a character that crosses
    /// [`LABEL_BYTES`], never inside it.
    #[test]
    fn long_label_values_are_cut_at_a_character_boundary() {
        let x = "x".repeat(LABEL_BYTES - 1);
        // "é" takes bytes 119 and 120: the cut at 120 falls inside it.
        assert_eq!(cut(&format!("{x}\u{e9}tail")), x);
        assert_eq!(cut(&format!("{x}y\u{e9}")), format!("{x}y"));
        let exact = "z".repeat(LABEL_BYTES);
        assert_eq!(cut(&exact), exact);
        assert_eq!(cut("short"), "short");
    }

    /// Merged parts add every count, those that only one kind of input has
    /// too: panic log entries and their parse errors on both sides, frozen
    /// messages in both scans (counted by hand: 2 + 1 entries, 1 + 2 errors,
    /// 2 + 1 frozen of 4 messages).
    #[test]
    fn merged_parts_add_panics_and_frozen_messages() {
        let panics = |lines: &[&str]| {
            let mut m = Metrics::new();
            lines.iter().for_each(|l| m.add_panic_raw(l.as_bytes()));
            m
        };
        let mut a = panics(&[
            "2026-11-25 10:00:00 failed to open DB",
            "garbage",
            "2026-11-25 10:00:01 failed to open DB again",
        ]);
        a.merge(panics(&["2026-11-25 10:00:02 panic", "x", "y"]));
        let f = a.families();
        assert_eq!(sample(&f, "exim_panic", &[]), Some(3));
        assert_eq!(sample(&f, "exim_panic_log_parse_errors", &[]), Some(3));

        let file = |id: &str, frozen: bool| queued_file(id, "a@example.com", 9000, frozen, 10);
        let mut q = QueueGauges::new(10_000);
        q.add_queued(&file("1sAoM5-00000009r3p-06vq", true));
        q.add_queued(&file("1sAoM6-00000009r3p-06vq", true));
        let mut r = QueueGauges::new(10_000);
        r.add_queued(&file("1sAoM7-00000009r3p-06vq", true));
        r.add_queued(&file("1sAoM8-00000009r3p-06vq", false));
        q.merge(r);
        let f = q.families();
        assert_eq!(sample(&f, "exim_queue", &[]), Some(4));
        assert_eq!(q.messages(), 4);
        assert_eq!(sample(&f, "exim_queue_frozen", &[]), Some(3));
    }
}
