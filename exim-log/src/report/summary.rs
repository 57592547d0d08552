//! `summary`: what `eximstats` reports, computed from parsed lines so it is
//! right for both message-id formats (eximstats 4.96 reports zero messages for
//! 23-character ids) and never lumps id-less rejections under one host
//! (eximstats 4.99 puts them all under `local`).
//!
//! Counted as eximstats counts them, so the totals can be compared:
//!
//! * **received**: `<=` lines, with the sum of their `S=`;
//! * **delivered**: `=>` lines as messages, `=>` and `->` lines as addresses,
//!   and for volume the `S=` of the message's arrival per `=>` line;
//! * **delayed** / **failed**: messages with at least one `==` / `**` line;
//! * **rejects**: `rejected` lines (temporary ones apart), by reason
//!   ([`reason_class`](super::classify::reason_class)) and by host IP.
//!
//! Plus per-transport and per-host tables, the queue-time distribution of
//! completed messages, the size distribution of arrivals, the top senders and
//! recipients, and a [`Timeline`] of received, delivered, deferred, failed
//! and rejected over log time.

use crate::assemble::LineFields;
use crate::assemble::{Assembled, LineKind, Message};
use crate::hash::Map;
use crate::message_id::IdBuf;
use crate::{Event, Flag, LogLine, Text, Timestamp};

use super::bounded::{BoundedMap, Bounds, Merge, RebalanceClock, Table, Weight, rebalance_budget};
use super::classify::{ReasonClasses, domain_part_bytes, lower_bytes};
use super::timeline::{REPORT_POINTS, Series, Timeline, TimelineReport};
use super::{LogClock, TimeWindow};
use super::{merge_span, widen_span};
use crate::budget::MemoryBudget;

/// How many bounded tables a [`Summary`] keeps (its budget is shared among
/// them; see `Summary::tables_mut`).
const TABLES: usize = 9;

/// Upper bounds (seconds) of the queue-time buckets, eximstats' own.
pub const QUEUE_BUCKETS: [(u64, &str); 9] = [
    (60, "1m"),
    (300, "5m"),
    (900, "15m"),
    (1800, "30m"),
    (3600, "1h"),
    (10_800, "3h"),
    (21_600, "6h"),
    (43_200, "12h"),
    (86_400, "1d"),
];

/// Upper bounds (bytes) of the arrival-size buckets, and their labels.
pub const SIZE_BUCKETS: [(u64, &str); 5] = [
    (1 << 10, "1 KiB"),
    (10 << 10, "10 KiB"),
    (100 << 10, "100 KiB"),
    (1 << 20, "1 MiB"),
    (10 << 20, "10 MiB"),
];

/// Messages, addresses and bytes of one key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Volume {
    /// Messages (`<=` lines, or `=>` lines for deliveries).
    pub messages: u64,
    /// Addresses (`=>` and `->` lines); 0 for received mail.
    pub addresses: u64,
    /// Bytes.
    pub bytes: u64,
}

impl Merge for Volume {
    fn merge(&mut self, o: Self) {
        self.messages += o.messages;
        self.addresses += o.addresses;
        self.bytes += o.bytes;
    }
}

impl Weight for Volume {
    fn weight(&self) -> u64 {
        self.messages.max(self.addresses)
    }
}

type Table_ = BoundedMap<String, Volume>;

/// The aggregator: feed it every assembled message ([`Summary::add_message`])
/// and every lone line ([`Summary::add_line`]).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Summary {
    window: TimeWindow,
    budget: MemoryBudget,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    received: Volume,
    delivered: Volume,
    delayed: u64,
    failed: u64,
    failed_addresses: u64,
    deferral_lines: u64,
    completed: u64,
    rejects: u64,
    temp_rejects: u64,
    received_per_hour: [u64; 24],
    delivered_per_hour: [u64; 24],
    queue_all: [u64; 10],
    queue_remote: [u64; 10],
    sizes: [u64; 6],
    timeline: Timeline,
    sending_hosts: Table_,
    local_senders: Table_,
    senders: Table_,
    transports: Table_,
    destinations: Table_,
    recipients: Table_,
    recipient_domains: Table_,
    reject_reasons: BoundedMap<String, u64>,
    reject_hosts: BoundedMap<String, u64>,
    /// The class of each rejection reason seen, remembered (a cache: not
    /// report state).
    #[cfg_attr(feature = "serde", serde(skip))]
    reasons: ReasonClasses,
    /// Lines' times in log seconds, the day's part remembered (a cache).
    #[cfg_attr(feature = "serde", serde(skip))]
    clock: LogClock,
    /// The messages in flight whose lines were counted as they were read
    /// ([`Summary::add_message_line`]), with what their later lines need
    /// (empty when messages come with their lines).
    #[cfg_attr(feature = "serde", serde(skip))]
    open: Map<IdBuf, Open>,
    /// Items counted since the tables' budget was last shared out again
    /// ([`rebalance_budget`]).
    #[cfg_attr(feature = "serde", serde(skip))]
    since_rebalance: RebalanceClock,
}

/// What a message's lines counted so far leave for its later lines and for
/// the message as a whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Open {
    /// `S=` of its latest arrival counted (the volume of its deliveries).
    size: u64,
    /// An arrival counted.
    arrived: bool,
    /// A deferral counted (a delayed message).
    deferred: bool,
    /// A failure counted.
    failed: bool,
    /// A delivery to a remote host counted.
    remote: bool,
}

/// A number that orders timestamps as `Timestamp`'s `Ord` does (field by
/// field: date, time, milliseconds, UTC offset; `None` first), made once a
/// line so that a message's earliest and latest lines are found with
/// integer comparisons (the derived comparison of two `Option<Timestamp>`
/// per line cost about 70 instructions, callgrind).
fn order_key(t: &Timestamp) -> u128 {
    let ms = t.millisecond.map_or(0, |m| u128::from(m) + 1);
    let tz = t
        .utc_offset_minutes
        .map_or(0, |o| (i128::from(o) + 32_769).unsigned_abs());
    (u128::from(t.year) << 96)
        | (u128::from(t.month) << 88)
        | (u128::from(t.day) << 80)
        | (u128::from(t.hour) << 72)
        | (u128::from(t.minute) << 64)
        | (u128::from(t.second) << 56)
        | (ms << 32)
        | tz
}

/// The earliest and latest times of a message's lines, with their
/// [`order_key`]s.
#[derive(Clone, Copy)]
struct Span {
    first: (u128, Timestamp),
    last: (u128, Timestamp),
}

impl Span {
    fn widen(span: &mut Option<Span>, t: Timestamp) {
        let k = order_key(&t);
        match span {
            None => {
                *span = Some(Span {
                    first: (k, t),
                    last: (k, t),
                });
            }
            Some(s) => {
                if k < s.first.0 {
                    s.first = (k, t);
                }
                if k > s.last.0 {
                    s.last = (k, t);
                }
            }
        }
    }
}

fn bucket(secs: f64) -> usize {
    QUEUE_BUCKETS
        .iter()
        .position(|(b, _)| secs < *b as f64)
        .unwrap_or(QUEUE_BUCKETS.len())
}

impl Summary {
    /// An empty summary of what happened inside `window`.
    pub fn new(window: TimeWindow) -> Self {
        Summary::with_budget(window, MemoryBudget::DEFAULT)
    }

    /// An empty summary whose tables hold at most `budget` bytes in all.
    pub fn with_budget(window: TimeWindow, budget: MemoryBudget) -> Self {
        let mut s = Summary {
            window,
            budget,
            first: None,
            last: None,
            received: Volume::default(),
            delivered: Volume::default(),
            delayed: 0,
            failed: 0,
            failed_addresses: 0,
            deferral_lines: 0,
            completed: 0,
            rejects: 0,
            temp_rejects: 0,
            received_per_hour: [0; 24],
            delivered_per_hour: [0; 24],
            queue_all: [0; 10],
            queue_remote: [0; 10],
            sizes: [0; 6],
            timeline: Timeline::new(),
            sending_hosts: BoundedMap::for_budget(budget),
            local_senders: BoundedMap::for_budget(budget),
            senders: BoundedMap::for_budget(budget),
            transports: BoundedMap::for_budget(budget),
            destinations: BoundedMap::for_budget(budget),
            recipients: BoundedMap::for_budget(budget),
            recipient_domains: BoundedMap::for_budget(budget),
            reject_reasons: BoundedMap::for_budget(budget),
            reject_hosts: BoundedMap::for_budget(budget),
            reasons: ReasonClasses::default(),
            clock: LogClock::default(),
            open: Map::default(),
            since_rebalance: RebalanceClock::default(),
        };
        s.rebalance(&[]);
        s
    }

    /// Counts an item towards the next sharing out of the tables' budget.
    #[inline]
    fn tick(&mut self) {
        if self.since_rebalance.due() {
            self.rebalance(&[]);
        }
    }

    /// Shares the budget among the tables by what they hold (and `coming`:
    /// what a merge adds to each), see [`rebalance_budget`].
    fn rebalance(&mut self, coming: &[usize]) {
        let budget = self.budget.get();
        // Equal first shares.
        let first = [budget / TABLES; TABLES];
        rebalance_budget(&mut self.tables_mut(), coming, budget, &first);
    }

    fn tables_mut(&mut self) -> [&mut dyn Table; TABLES] {
        [
            &mut self.sending_hosts,
            &mut self.local_senders,
            &mut self.senders,
            &mut self.transports,
            &mut self.destinations,
            &mut self.recipients,
            &mut self.recipient_domains,
            &mut self.reject_reasons,
            &mut self.reject_hosts,
        ]
    }

    fn tables(&self) -> [&dyn Table; TABLES] {
        [
            &self.sending_hosts,
            &self.local_senders,
            &self.senders,
            &self.transports,
            &self.destinations,
            &self.recipients,
            &self.recipient_domains,
            &self.reject_reasons,
            &self.reject_hosts,
        ]
    }

    /// Adds the counts of `other`, made over other input (another thread's
    /// share of the messages, the next file): the result is what one pass
    /// over both inputs gives, as long as each message was whole in one part.
    /// What `other` holds for the messages in flight at its end, counted
    /// line by line ([`Summary::add_message_line`]), is kept: the rest of
    /// such a message, read in a later part, is then counted here as one
    /// pass counts it ([`crate::parallel::fold_messages_lean`]).
    pub fn merge(&mut self, other: Summary) {
        // Room for both parts' tables first, where the budget allows.
        let coming = other.tables().map(|t| t.usage().bytes);
        self.rebalance(&coming);
        if !other.open.is_empty() {
            self.open.extend(other.open);
        }
        merge_span(&mut self.first, &mut self.last, other.first, other.last);
        self.received.merge(other.received);
        self.delivered.merge(other.delivered);
        self.delayed += other.delayed;
        self.failed += other.failed;
        self.failed_addresses += other.failed_addresses;
        self.deferral_lines += other.deferral_lines;
        self.completed += other.completed;
        self.rejects += other.rejects;
        self.temp_rejects += other.temp_rejects;
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.received_per_hour, &other.received_per_hour);
        add(&mut self.delivered_per_hour, &other.delivered_per_hour);
        add(&mut self.queue_all, &other.queue_all);
        add(&mut self.queue_remote, &other.queue_remote);
        add(&mut self.sizes, &other.sizes);
        self.timeline.merge(other.timeline);
        self.sending_hosts.merge(other.sending_hosts);
        self.local_senders.merge(other.local_senders);
        self.senders.merge(other.senders);
        self.transports.merge(other.transports);
        self.destinations.merge(other.destinations);
        self.recipients.merge(other.recipients);
        self.recipient_domains.merge(other.recipient_domains);
        self.reject_reasons.merge(other.reject_reasons);
        self.reject_hosts.merge(other.reject_hosts);
    }

    fn seen(&mut self, t: Timestamp) {
        widen_span(&mut self.first, &mut self.last, t);
    }

    /// Counts one message: its arrival, deliveries, deferrals, failures,
    /// queue time, and any rejection logged with its id. A message of an
    /// assembler that keeps no lines ([`AssemblerOptions::keep_lines`])
    /// had its lines counted already ([`Summary::add_message_line`]): what
    /// is left is what needs the whole message (delayed, failed, its time
    /// on the queue).
    ///
    /// [`AssemblerOptions::keep_lines`]: crate::assemble::AssemblerOptions::keep_lines
    pub fn add_message(&mut self, m: &Message) {
        self.tick();
        let mut state = if self.open.is_empty() {
            Open::default()
        } else {
            self.open.remove(&m.id_buf()).unwrap_or_default()
        };
        // The first and last times counted widen the report's span once
        // per message: the same as once per line (min and max).
        let mut span = None;
        // What the assembler's parse kept (kind, flag, time, the arrival's
        // and deliveries' fields) is read from each line: no line is parsed
        // again.
        for l in &m.lines {
            self.count_line(&mut state, Some(&mut span), l);
        }
        if let Some(span) = span {
            self.seen(span.first.1);
            self.seen(span.last.1);
        }
        self.delayed += u64::from(state.deferred);
        self.failed += u64::from(state.failed);
        if state.arrived
            && m.is_complete()
            && let Some(q) = m.queue_time()
        {
            let b = bucket(q.as_secs_f64());
            if let Some(n) = self.queue_all.get_mut(b) {
                *n += 1;
            }
            if state.remote
                && let Some(n) = self.queue_remote.get_mut(b)
            {
                *n += 1;
            }
        }
    }

    /// Counts one line of a message as it is read, from its parse, for an
    /// assembler that keeps no lines
    /// ([`AssemblerOptions::keep_lines`]`(false)`): give it every line the
    /// assembler took as a message's ([`Assembler::push_parsed`] true, not
    /// an args line), after the items that push emitted went to
    /// [`Summary::add`] (an arrival may push the oldest message out, whose
    /// lines end before it), and the emitted messages to [`Summary::add`]
    /// as usual: the result is the one of [`Summary::add_message`] on
    /// messages with their lines. What a message's later lines need of its
    /// earlier ones (the arrival's size, whether it was deferred) is held
    /// here, a few bytes per message in flight, until the message comes out.
    ///
    /// ```
    /// use exim_log::assemble::{Assembler, AssemblerOptions};
    /// use exim_log::report::summary::Summary;
    /// use exim_log::report::TimeWindow;
    /// use exim_log::{Event, Position, parse_line};
    ///
    /// let log = b"\
    /// 2026-11-25 10:00:00 1sAoM6-0000000AAAA-0000 <= c@example.com U=carol P=local S=500
    /// 2026-11-25 10:00:02 1sAoM6-0000000AAAA-0000 => dan@example.com R=localuser T=local_delivery
    /// 2026-11-25 10:00:03 1sAoM6-0000000AAAA-0000 Completed
    /// ";
    /// let mut asm = Assembler::with_options(AssemblerOptions::default().keep_lines(false));
    /// let mut summary = Summary::new(TimeWindow::default());
    /// for (n, raw) in log.split_inclusive(|&b| b == b'\n').enumerate() {
    ///     let Ok(line) = parse_line(raw) else { continue };
    ///     let kept = asm.push_parsed(raw, &line, Position::new(n as u64 + 1, 0));
    ///     while let Some(item) = asm.pop() {
    ///         summary.add(&item);
    ///     }
    ///     if !kept {
    ///         summary.add_line(&line);
    ///     } else if !matches!(line.event, Event::Arguments(_)) {
    ///         summary.add_message_line(&line);
    ///     }
    /// }
    /// asm.finish();
    /// while let Some(item) = asm.pop() {
    ///     summary.add(&item);
    /// }
    /// let r = summary.report(10, 1);
    /// assert_eq!((r.totals.received.messages, r.totals.delivered.bytes), (1, 500));
    /// assert_eq!(r.queue_times[0].messages, 1, "3 seconds: under 1m");
    /// ```
    ///
    /// [`AssemblerOptions::keep_lines`]: crate::assemble::AssemblerOptions::keep_lines
    /// [`Assembler::push_parsed`]: crate::assemble::Assembler::push_parsed
    pub fn add_message_line(&mut self, line: &LogLine<'_>) {
        self.tick();
        if matches!(line.event, Event::Arguments(_)) {
            return;
        }
        let Some(id) = line.message_id.and_then(|id| IdBuf::new(id.as_bytes())) else {
            return;
        };
        // Only these lines read or change the message's state: the others
        // cost no lookup.
        let stateful = matches!(
            line.event,
            Event::Arrival(_) | Event::Delivery(_) | Event::Deferral(_) | Event::Failure(_)
        );
        let before = if stateful {
            self.open.get(&id).copied().unwrap_or_default()
        } else {
            Open::default()
        };
        let mut state = before;
        // One line: its time widens the report's span itself (no `Span` of
        // the message's lines to keep).
        if self.count_line(&mut state, None, line) {
            self.seen(line.timestamp);
        }
        if state != before {
            self.open.insert(id, state);
        }
    }

    /// Counts one line of a message (`state`: what its earlier lines left;
    /// `span`, if given: the times counted, widened); false when the line is
    /// outside the window (not counted).
    fn count_line<L: LineFields>(
        &mut self,
        state: &mut Open,
        span: Option<&mut Option<Span>>,
        l: &L,
    ) -> bool {
        let timestamp = l.timestamp();
        let secs = self.clock.seconds(&timestamp);
        if !self.window.contains_seconds(secs) {
            return false;
        }
        if let Some(span) = span {
            Span::widen(span, timestamp);
        }
        match (l.kind(), l.flag()) {
            (LineKind::Arrival, Some(Flag::Arrival)) => {
                state.arrived = true;
                let size = l.size().unwrap_or(0);
                state.size = size;
                self.received.messages += 1;
                self.received.bytes += size;
                let b = SIZE_BUCKETS
                    .iter()
                    .position(|(b, _)| size < *b)
                    .unwrap_or(SIZE_BUCKETS.len());
                if let Some(n) = self.sizes.get_mut(b) {
                    *n += 1;
                }
                self.timeline.add_seconds(secs, Series::Received);
                if let Some(n) = self.received_per_hour.get_mut(usize::from(timestamp.hour)) {
                    *n += 1;
                }
                let add = |v: &mut Volume| {
                    v.messages += 1;
                    v.bytes += size;
                };
                // Keys as the line's bytes: a key counted before is found
                // without being decoded or copied.
                let host = if l.has_host() {
                    l.host_name()
                        .or(l.helo())
                        .or(l.host_ip())
                        .map_or(&b""[..], |t| t.as_bytes())
                } else {
                    b"local"
                };
                self.sending_hosts.update_bytes(host, add);
                if !l.has_host()
                    && let Some(u) = l.user()
                {
                    self.local_senders.update_bytes(u.as_bytes(), add);
                }
                let sender = l.sender().unwrap_or_default();
                if sender.as_bytes() != b"<>" {
                    self.senders
                        .update_bytes(&lower_bytes(sender.as_bytes()), add);
                }
            }
            (LineKind::Delivery, Some(flag)) => {
                let first = flag != Flag::Additional;
                let size = state.size;
                let add = |v: &mut Volume| {
                    if first {
                        v.messages += 1;
                        v.bytes += size;
                    }
                    v.addresses += 1;
                };
                add(&mut self.delivered);
                if first {
                    self.timeline.add_seconds(secs, Series::Delivered);
                }
                if first
                    && let Some(n) = self.delivered_per_hour.get_mut(usize::from(timestamp.hour))
                {
                    *n += 1;
                }
                state.remote |= l.has_host();
                let transport = l.transport().map_or(&b"(none)"[..], |t| t.as_bytes());
                self.transports.update_bytes(transport, add);
                let dest = if l.has_host() {
                    l.host_name()
                        .or(l.host_ip())
                        .map_or(&b""[..], |t| t.as_bytes())
                } else {
                    b"local"
                };
                self.destinations.update_bytes(dest, add);
                let addr = lower_bytes(l.address().map_or(&b""[..], |t| t.as_bytes()));
                let addr = match l.original() {
                    Some(o) if !addr.contains(&b'@') => lower_bytes(o.as_bytes()),
                    _ => addr,
                };
                // Lower-cased already: its domain is too.
                if let Some(dom) = domain_part_bytes(&addr) {
                    self.recipient_domains.update_bytes(dom, add);
                }
                self.recipients.update_bytes(&addr, add);
            }
            (LineKind::Deferral, _) => {
                state.deferred = true;
                self.deferral_lines += 1;
                self.timeline.add_seconds(secs, Series::Deferrals);
            }
            (LineKind::Failure, _) => {
                state.failed = true;
                self.failed_addresses += 1;
                self.timeline.add_seconds(secs, Series::Failures);
            }
            (LineKind::Completed, _) => self.completed += 1,
            (LineKind::Rejection, _) => {
                let host = l.host_ip().or(l.host_name()).or(l.helo());
                self.reject_parts(secs, l.temporary(), l.reason(), host);
            }
            _ => {}
        }
        true
    }

    /// Counts one item of an [`Assembler`](crate::assemble::Assembler): a
    /// message ([`Summary::add_message`]) or a lone line that parses
    /// ([`Summary::add_line`]).
    pub fn add(&mut self, item: &Assembled) {
        match item {
            Assembled::Message(m) => self.add_message(m),
            Assembled::Line(r) => {
                if let Ok(line) = r.parse() {
                    self.add_line(&line);
                }
            }
        }
    }

    /// Counts one line that belongs to no message (rejections, mostly).
    pub fn add_line(&mut self, line: &LogLine<'_>) {
        self.tick();
        let secs = self.clock.seconds(&line.timestamp);
        if !self.window.contains_seconds(secs) {
            return;
        }
        self.seen(line.timestamp);
        if let Event::Rejection(r) = &line.event {
            let host = r.peer.host.and_then(|h| h.ip.or(h.name).or(h.helo));
            self.reject_parts(secs, r.temporary, r.reason, host);
        }
    }

    /// Counts one rejection from the parts the report reads: its time (in
    /// [`log_seconds`](super::log_seconds)),
    /// whether it was temporary, its reason and its client (the IP, else the
    /// name, else the HELO).
    fn reject_parts(
        &mut self,
        log_seconds: i64,
        temporary: bool,
        reason: Option<Text<'_>>,
        host: Option<Text<'_>>,
    ) {
        if temporary {
            self.temp_rejects += 1;
            return;
        }
        self.rejects += 1;
        self.timeline.add_seconds(log_seconds, Series::Rejections);
        let class = self.reasons.class(reason);
        self.reject_reasons.bump(&*class);
        // Each rejection under its own client, else an explicit "(no host
        // logged)" (a non-SMTP ACL), never "local".
        let host = host.map_or(&b"(no host logged)"[..], |t| t.as_bytes());
        self.reject_hosts.bump_bytes(host);
    }

    /// The report, `top` rows per table.
    pub fn report(&self, top: usize, threshold: u64) -> Report {
        let vol = |t: &Table_| -> Vec<VolumeRow> {
            t.top(top, threshold)
                .into_iter()
                .map(|(k, v)| VolumeRow {
                    key: k.clone(),
                    volume: *v,
                })
                .collect()
        };
        let counts = |t: &BoundedMap<String, u64>| -> Vec<CountRow> {
            t.top(top, threshold)
                .into_iter()
                .map(|(k, v)| CountRow {
                    key: k.clone(),
                    count: *v,
                })
                .collect()
        };
        let queue = |b: &[u64; 10]| -> Vec<QueueRow> {
            let labels = QUEUE_BUCKETS
                .iter()
                .map(|(_, l)| format!("under {l}"))
                .chain(std::iter::once("over 1d".to_string()));
            labels
                .zip(b.iter())
                .map(|(label, n)| QueueRow {
                    bucket: label,
                    messages: *n,
                })
                .collect()
        };
        let sizes = SIZE_BUCKETS
            .iter()
            .map(|(_, l)| format!("under {l}"))
            .chain(std::iter::once(format!(
                "{} and over",
                SIZE_BUCKETS.last().map_or("", |(_, l)| l)
            )))
            .zip(self.sizes.iter())
            .map(|(bucket, n)| SizeRow {
                bucket,
                messages: *n,
            })
            .collect();
        let bounds = Bounds::of(&self.tables(), self.budget);
        Report {
            first: self.first.map(|t| t.to_string()),
            last: self.last.map(|t| t.to_string()),
            totals: Totals {
                received: self.received,
                received_hosts: self.sending_hosts.len() as u64,
                delivered: self.delivered,
                delivered_hosts: self.destinations.len() as u64,
                delayed: self.delayed,
                deferral_lines: self.deferral_lines,
                failed: self.failed,
                failed_addresses: self.failed_addresses,
                completed: self.completed,
                rejects: self.rejects,
                reject_hosts: self.reject_hosts.len() as u64,
                temporary_rejects: self.temp_rejects,
            },
            received_per_hour: self.received_per_hour.to_vec(),
            delivered_per_hour: self.delivered_per_hour.to_vec(),
            transports: vol(&self.transports),
            sending_hosts: vol(&self.sending_hosts),
            local_senders: vol(&self.local_senders),
            senders: vol(&self.senders),
            destinations: vol(&self.destinations),
            recipients: vol(&self.recipients),
            recipient_domains: vol(&self.recipient_domains),
            queue_times: queue(&self.queue_all),
            queue_times_remote: queue(&self.queue_remote),
            sizes,
            timeline: self.timeline.report(REPORT_POINTS),
            reject_reasons: counts(&self.reject_reasons),
            reject_hosts: counts(&self.reject_hosts),
            bounds,
        }
    }
}

/// The `--json` document of `summary`.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Report {
    /// First line counted.
    pub first: Option<String>,
    /// Last line counted.
    pub last: Option<String>,
    /// The grand totals.
    pub totals: Totals,
    /// Arrivals per hour of the day (0-23), eximstats' "received per hour".
    pub received_per_hour: Vec<u64>,
    /// `=>` lines per hour of the day.
    pub delivered_per_hour: Vec<u64>,
    /// Deliveries by transport (`T=`).
    pub transports: Vec<VolumeRow>,
    /// Received by sending host (name, HELO or IP; `local` for local submissions).
    pub sending_hosts: Vec<VolumeRow>,
    /// Received from local users (`U=`).
    pub local_senders: Vec<VolumeRow>,
    /// Received by envelope sender.
    pub senders: Vec<VolumeRow>,
    /// Delivered by destination host (`local` for local transports).
    pub destinations: Vec<VolumeRow>,
    /// Delivered by recipient address.
    pub recipients: Vec<VolumeRow>,
    /// Delivered by recipient domain.
    pub recipient_domains: Vec<VolumeRow>,
    /// Completed messages by time on the queue.
    pub queue_times: Vec<QueueRow>,
    /// The same, for messages with at least one remote delivery.
    pub queue_times_remote: Vec<QueueRow>,
    /// Arrivals by size (`S=`): `under 1 KiB`, ..., `10 MiB and over`.
    pub sizes: Vec<SizeRow>,
    /// Received, delivered, deferred, failed and rejected over log time:
    /// per minute, 5 or 15 minutes, hour, day or more, the finest that gives
    /// at most [`REPORT_POINTS`] points.
    pub timeline: TimelineReport,
    /// Rejections by reason class.
    pub reject_reasons: Vec<CountRow>,
    /// Rejections by client IP.
    pub reject_hosts: Vec<CountRow>,
    /// How the tables kept to the memory budget (`approximate`,
    /// `truncated_keys`, `memory`: flattened into the JSON).
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub bounds: Bounds,
}

/// eximstats' "Grand total summary".
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Totals {
    /// `<=` lines and their bytes.
    pub received: Volume,
    /// Distinct sending hosts (`local` is one).
    pub received_hosts: u64,
    /// `=>` lines (messages), `=>` + `->` (addresses), bytes.
    pub delivered: Volume,
    /// Distinct destination hosts (`local` is one).
    pub delivered_hosts: u64,
    /// Messages with at least one `==`.
    pub delayed: u64,
    /// `==` lines.
    pub deferral_lines: u64,
    /// Messages with at least one `**`.
    pub failed: u64,
    /// `**` lines.
    pub failed_addresses: u64,
    /// `Completed` lines.
    pub completed: u64,
    /// `rejected` lines (not temporary).
    pub rejects: u64,
    /// Distinct hosts rejected.
    pub reject_hosts: u64,
    /// `temporarily rejected` lines.
    pub temporary_rejects: u64,
}

/// A key with its volume.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct VolumeRow {
    /// The key.
    pub key: String,
    /// Its counts.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub volume: Volume,
}

/// A key with a count.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CountRow {
    /// The key.
    pub key: String,
    /// Its count.
    pub count: u64,
}

/// One arrival-size bucket.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SizeRow {
    /// `under 1 KiB`, ..., `10 MiB and over`.
    pub bucket: String,
    /// Arrivals in it.
    pub messages: u64,
}

/// One queue-time bucket.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct QueueRow {
    /// `under 1m`, ..., `over 1d`.
    pub bucket: String,
    /// Completed messages in it.
    pub messages: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assemble::{Assembler, AssemblerOptions};
    use crate::reader::LogReader;

    #[test]
    fn queue_buckets() {
        let cases = [
            (0.0, 0),
            (59.9, 0),
            (60.0, 1),
            (299.0, 1),
            (3599.0, 4),
            (86_399.0, 8),
            (86_400.0, 9),
            (1e9, 9),
        ];
        for (secs, want) in cases {
            assert_eq!(bucket(secs), want, "{secs}");
        }
    }

    fn ts(s: &str) -> Timestamp {
        crate::parse_line(format!("{s} x").as_bytes())
            .map(|l| l.timestamp)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn order_key_orders_as_timestamps_do() {
        let times = [
            "2026-11-25 10:00:00",
            "2026-11-25 10:00:00.000",
            "2026-11-25 10:00:00.999",
            "2026-11-25 10:00:00 -0800",
            "2026-11-25 10:00:00 +0000",
            "2026-11-25 10:00:00 +1400",
            "2026-11-25 10:00:00.001 -1200",
            "2026-11-25 10:00:01",
            "2026-11-25 09:59:59.999 +0100",
            "2026-11-26 00:00:00",
            "2026-12-01 00:00:00",
            "2027-01-01 00:00:00",
            "1999-12-31 23:59:60",
        ];
        let times: Vec<Timestamp> = times.iter().map(|s| ts(s)).collect();
        for a in &times {
            for b in &times {
                assert_eq!(order_key(a).cmp(&order_key(b)), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn the_clock_gives_log_seconds_across_days_and_years() {
        let mut clock = LogClock::default();
        // In order, back in time, across a leap day and a year, with an
        // offset (ignored by log seconds).
        for s in [
            "2024-02-28 23:59:59",
            "2024-02-29 00:00:00",
            "2024-02-29 12:30:01 +0200",
            "2024-03-01 00:00:00",
            "2024-02-29 23:59:59",
            "2024-12-31 23:59:59",
            "2025-01-01 00:00:00",
            "2025-01-01 00:00:00 -0500",
        ] {
            let t = ts(s);
            assert_eq!(clock.seconds(&t), super::super::log_seconds(&t), "{s}");
        }
        // Hand-computed: 2025-01-01 is day 20089 of the epoch.
        assert_eq!(
            clock.seconds(&ts("2025-01-01 00:01:02")),
            20_089 * 86_400 + 62
        );
    }

    /// Counts whose expectations are worked out by hand: a message deferred
    /// twice then failed is one delayed and one failed message; queue
    /// times fall in eximstats' buckets; sizes, volumes and keys as the
    /// module docs say. At one thread and at two, with units so small that
    /// each message crosses a cut.
    #[test]
    fn hand_counted_summary_at_one_and_two_threads() {
        let log = b"\
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@Example.com H=mx.example.net [192.0.2.1] P=esmtp S=2048
2026-11-25 10:00:05 1sAoM5-00000009r3p-06vq == b@example.org R=dnslookup T=remote_smtp defer (-44): retry later
2026-11-25 10:10:05 1sAoM5-00000009r3p-06vq == b@example.org R=dnslookup T=remote_smtp defer (-44): retry later
2026-11-25 10:20:05 1sAoM5-00000009r3p-06vq ** b@example.org R=dnslookup T=remote_smtp: SMTP error from remote mail server after RCPT TO:<b@example.org>: 550 no such user
2026-11-25 10:20:05 1sAoM5-00000009r3p-06vq Completed
2026-11-25 10:30:00 1sAoM6-0000000AAAA-0000 <= c@example.com U=carol P=local S=500
2026-11-25 10:30:01 H=(bad.example) [192.0.2.9] F=<x@example.com> rejected RCPT <u@example.org>: Unknown user
2026-11-25 10:30:02 1sAoM6-0000000AAAA-0000 => Dan@Example.COM R=localuser T=local_delivery
2026-11-25 10:30:02 1sAoM6-0000000AAAA-0000 -> eve@example.com R=localuser T=local_delivery
2026-11-25 10:30:03 1sAoM6-0000000AAAA-0000 Completed
2026-11-25 10:31:00 1sAoM7-0000000AAAA-0000 <= f@example.com H=relay.example.net [192.0.2.2] P=esmtp S=20000
2026-11-25 10:31:01 1sAoM7-0000000AAAA-0000 => g@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7]
2026-11-25 13:31:01 1sAoM7-0000000AAAA-0000 Completed
";
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("mainlog");
        std::fs::write(&path, log).unwrap_or_else(|e| panic!("{e}"));
        let one = {
            let mut s = Summary::new(TimeWindow::default());
            let asm = Assembler::new();
            for item in asm.messages(LogReader::new(&log[..]).into_records()) {
                let Ok(item) = item else { panic!("read error") };
                s.add(&item);
            }
            s.report(10, 1)
        };
        let plan = crate::parallel::Plan::sized([&path], 8, 1).unwrap_or_else(|e| panic!("{e}"));
        assert!(plan.len() >= 4, "units: {}", plan.len());
        let two = crate::parallel::fold_messages_and_lines(
            &plan,
            2,
            crate::assemble::AssemblerOptions::default(),
            Summary::new(TimeWindow::default()),
            || Summary::new(TimeWindow::default()),
            |s, item| s.add(item),
            |s, line| s.add_line(line),
            Summary::merge,
        )
        .value
        .report(10, 1);
        for r in [one, two] {
            let t = &r.totals;
            assert_eq!(
                (t.received.messages, t.received.bytes),
                (3, 2048 + 500 + 20_000)
            );
            // `=>` lines as messages, `=>` and `->` as addresses, bytes of
            // the message's arrival per `=>` line.
            assert_eq!(
                (
                    t.delivered.messages,
                    t.delivered.addresses,
                    t.delivered.bytes
                ),
                (2, 3, 500 + 20_000)
            );
            assert_eq!((t.delayed, t.deferral_lines), (1, 2));
            assert_eq!((t.failed, t.failed_addresses), (1, 1));
            assert_eq!((t.completed, t.rejects, t.reject_hosts), (3, 1, 1));
            assert_eq!((t.received_hosts, t.delivered_hosts), (3, 2));
            let queue = |v: &[QueueRow]| v.iter().map(|q| q.messages).collect::<Vec<_>>();
            // 20m05s: under 30m; 3s: under 1m; 3h00m01s: under 6h.
            assert_eq!(queue(&r.queue_times), [1, 0, 0, 1, 0, 0, 1, 0, 0, 0]);
            // Only the last had a remote delivery.
            assert_eq!(queue(&r.queue_times_remote), [0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
            let sizes: Vec<u64> = r.sizes.iter().map(|b| b.messages).collect();
            assert_eq!(sizes, [1, 1, 1, 0, 0, 0]);
            let rows = |v: &[VolumeRow]| {
                let mut v: Vec<_> = v
                    .iter()
                    .map(|r| {
                        let v = r.volume;
                        (r.key.clone(), v.messages, v.addresses, v.bytes)
                    })
                    .collect();
                v.sort();
                v
            };
            let own = |v: &[(&str, u64, u64, u64)]| -> Vec<(String, u64, u64, u64)> {
                v.iter()
                    .map(|(k, m, a, b)| ((*k).to_string(), *m, *a, *b))
                    .collect()
            };
            assert_eq!(
                rows(&r.transports),
                own(&[("local_delivery", 1, 2, 500), ("remote_smtp", 1, 1, 20_000)])
            );
            assert_eq!(
                rows(&r.recipients),
                own(&[
                    ("dan@example.com", 1, 1, 500),
                    ("eve@example.com", 0, 1, 0),
                    ("g@example.org", 1, 1, 20_000),
                ])
            );
            assert_eq!(
                rows(&r.recipient_domains),
                own(&[("example.com", 1, 2, 500), ("example.org", 1, 1, 20_000)])
            );
            assert_eq!(
                rows(&r.senders),
                own(&[
                    ("a@example.com", 1, 0, 2048),
                    ("c@example.com", 1, 0, 500),
                    ("f@example.com", 1, 0, 20_000),
                ])
            );
            assert_eq!(rows(&r.local_senders), own(&[("carol", 1, 0, 500)]));
            // Received by host name (else HELO, else IP; `local` without
            // one), delivered by host name or `local`.
            assert_eq!(
                rows(&r.sending_hosts),
                own(&[
                    ("local", 1, 0, 500),
                    ("mx.example.net", 1, 0, 2048),
                    ("relay.example.net", 1, 0, 20_000),
                ])
            );
            assert_eq!(
                rows(&r.destinations),
                own(&[("local", 1, 2, 500), ("mx.example.org", 1, 1, 20_000)])
            );
            let mut hours = [0; 24];
            hours[10] = 3;
            assert_eq!(r.received_per_hour, hours);
            hours[10] = 2;
            assert_eq!(r.delivered_per_hour, hours);
            assert_eq!(r.first.as_deref(), Some("2026-11-25T10:00:00"));
            assert_eq!(r.last.as_deref(), Some("2026-11-25T13:31:01"));
            let c = r.timeline.points.iter().fold((0, 0, 0, 0, 0), |a, p| {
                let c = p.counts;
                (
                    a.0 + c.received,
                    a.1 + c.delivered,
                    a.2 + c.deferrals,
                    a.3 + c.failures,
                    a.4 + c.rejections,
                )
            });
            assert_eq!(c, (3, 2, 2, 1, 1));
        }
    }

    /// The bucket labels, and the bounds of each: a value equal to a bucket's
    /// bound is in the next one (`under 1m` is under 60 seconds).
    #[test]
    fn buckets_at_their_bounds() {
        let log = b"\
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com U=a P=local S=1023
2026-11-25 10:00:59 1sAoM5-00000009r3p-06vq Completed
2026-11-25 10:01:00 1sAoM6-0000000AAAA-0000 <= a@example.com U=a P=local S=1024
2026-11-25 10:02:00 1sAoM6-0000000AAAA-0000 Completed
2026-11-25 10:03:00 1sAoM7-0000000AAAA-0000 <= a@example.com U=a P=local S=10485759
2026-11-25 10:03:00 1sAoM8-0000000AAAA-0000 <= a@example.com U=a P=local S=10485760
2026-11-25 10:03:00 1sAoM9-0000000AAAA-0000 <= a@example.com U=a P=local S=10240
2026-11-25 10:03:00 1sAoMA-0000000AAAA-0000 <= a@example.com U=a P=local S=102400
";
        let mut s = Summary::new(TimeWindow::default());
        for item in Assembler::new().messages(LogReader::new(&log[..]).into_records()) {
            let Ok(item) = item else { panic!("read error") };
            s.add(&item);
        }
        let r = s.report(10, 1);
        let sizes: Vec<_> = r
            .sizes
            .iter()
            .map(|b| (b.bucket.as_str(), b.messages))
            .collect();
        assert_eq!(
            sizes,
            [
                ("under 1 KiB", 1),
                ("under 10 KiB", 1),
                ("under 100 KiB", 1),
                ("under 1 MiB", 1),
                ("under 10 MiB", 1),
                ("10 MiB and over", 1)
            ]
        );
        // 59 seconds and 60 seconds on the queue.
        let queue: Vec<_> = r
            .queue_times
            .iter()
            .map(|b| (b.bucket.as_str(), b.messages))
            .collect();
        assert_eq!(
            queue,
            [
                ("under 1m", 1),
                ("under 5m", 1),
                ("under 15m", 0),
                ("under 30m", 0),
                ("under 1h", 0),
                ("under 3h", 0),
                ("under 6h", 0),
                ("under 12h", 0),
                ("under 1d", 0),
                ("over 1d", 0)
            ]
        );
        assert_eq!(r.totals.completed, 2);
        // A row's weight is its messages: six from `local`, none at 7.
        let rows = |top, threshold| -> Vec<(String, u64)> {
            let r = s.report(top, threshold);
            r.sending_hosts
                .iter()
                .map(|v| (v.key.clone(), v.volume.messages))
                .collect()
        };
        assert_eq!(rows(10, 6), [("local".to_string(), 6)]);
        assert_eq!(rows(10, 7), []);
        assert_eq!(rows(0, 1), []);
    }

    /// Only what falls in `[since, until)` counts, messages' lines and lone
    /// lines alike; a temporary rejection counts apart from the others.
    #[test]
    fn the_window_and_temporary_rejections() {
        let log = b"\
2026-11-25 09:59:59 1sAoM5-00000009r3p-06vq <= a@example.com U=a P=local S=100
2026-11-25 09:59:59 1sAoM5-00000009r3p-06vq => b@example.org R=r T=t
2026-11-25 09:59:59 1sAoM5-00000009r3p-06vq Completed
2026-11-25 09:59:59 H=(bad.example) [192.0.2.9] F=<x@example.com> rejected RCPT <u@example.org>: Unknown user
2026-11-25 10:00:00 1sAoM6-0000000AAAA-0000 <= c@example.com U=carol P=local S=500
2026-11-25 10:00:01 1sAoM6-0000000AAAA-0000 => d@example.org R=r T=t
2026-11-25 10:00:02 1sAoM6-0000000AAAA-0000 Completed
2026-11-25 10:30:00 H=(bad.example) [192.0.2.9] F=<x@example.com> rejected RCPT <u@example.org>: Unknown user
2026-11-25 10:30:01 H=(bad.example) [192.0.2.9] F=<x@example.com> temporarily rejected RCPT <u@example.org>: greylisted
2026-11-25 10:59:59 1sAoM7-0000000AAAA-0000 <= e@example.com U=e P=local S=700
2026-11-25 11:00:00 1sAoM7-0000000AAAA-0000 => f@example.org R=r T=t
2026-11-25 11:00:00 1sAoM7-0000000AAAA-0000 Completed
2026-11-25 11:00:00 H=(bad.example) [192.0.2.9] F=<x@example.com> rejected RCPT <u@example.org>: Unknown user
";
        let at = |s: &str| {
            let t = crate::parse_line(format!("2026-11-25 {s} x").as_bytes())
                .map(|l| l.timestamp)
                .unwrap_or_else(|e| panic!("{e}"));
            super::super::log_seconds(&t)
        };
        let window = TimeWindow {
            since: Some(at("10:00:00")),
            until: Some(at("11:00:00")),
        };
        let summary = |log: &[u8]| {
            let mut s = Summary::new(window);
            for item in Assembler::new().messages(LogReader::new(log).into_records()) {
                let Ok(item) = item else { panic!("read error") };
                s.add(&item);
            }
            s
        };
        let r = summary(&log[..]).report(10, 1);
        // Cut before and after the temporary rejection, merged: the same.
        for at in ["10:30:01", "10:59:59"] {
            let text = String::from_utf8_lossy(log);
            let cut = text.find(&format!("2026-11-25 {at}")).unwrap_or_default();
            let (a, b) = log.split_at(cut);
            let mut merged = summary(a);
            merged.merge(summary(b));
            assert_eq!(
                format!("{:?}", merged.report(10, 1)),
                format!("{r:?}"),
                "{at}"
            );
        }
        let t = &r.totals;
        assert_eq!((t.received.messages, t.received.bytes), (2, 1200));
        assert_eq!((t.delivered.messages, t.delivered.bytes), (1, 500));
        assert_eq!(t.completed, 1);
        assert_eq!((t.rejects, t.temporary_rejects, t.reject_hosts), (1, 1, 1));
        assert_eq!(r.reject_reasons.len(), 1);
        assert_eq!(r.first.as_deref(), Some("2026-11-25T10:00:00"));
        assert_eq!(r.last.as_deref(), Some("2026-11-25T10:59:59"));
    }

    /// A delivery counts under its address, or under its `<original>` when
    /// the address is a bare local part (a local user), lower-cased.
    #[test]
    fn a_bare_local_part_counts_under_its_original_address() {
        let log = b"\
2026-11-25 10:00:00 1sAoM6-0000000AAAA-0000 <= c@example.com H=mx.example.net [192.0.2.1] P=esmtp S=500 for ClientX@Server.example.com alias@example.com
2026-11-25 10:00:01 1sAoM6-0000000AAAA-0000 => clientx <ClientX@Server.example.com> R=localuser T=local_delivery
2026-11-25 10:00:02 1sAoM6-0000000AAAA-0000 => fwd@elsewhere.example <alias@example.com> R=redirect T=remote_smtp H=mx.elsewhere.example [192.0.2.5]
2026-11-25 10:00:03 1sAoM6-0000000AAAA-0000 Completed
";
        let mut s = Summary::new(TimeWindow::default());
        for item in Assembler::new().messages(LogReader::new(&log[..]).into_records()) {
            let Ok(item) = item else { panic!("read error") };
            s.add(&item);
        }
        let r = s.report(10, 1);
        let mut keys: Vec<_> = r.recipients.iter().map(|v| v.key.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["clientx@server.example.com", "fwd@elsewhere.example"]
        );
        let mut keys: Vec<_> = r.recipient_domains.iter().map(|v| v.key.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["elsewhere.example", "server.example.com"]);
    }

    /// A message's span is its earliest and latest lines, in whatever order
    /// they come.
    #[test]
    fn a_span_takes_the_earliest_and_latest_lines() {
        let times: Vec<Timestamp> = [
            "2026-11-25 10:00:00",
            "2026-11-25 10:00:00.001",
            "2026-11-25 10:00:00 +0100",
            "2026-11-25 10:00:01",
        ]
        .iter()
        .map(|s| ts(s))
        .collect();
        let mut span = None;
        for i in [2, 1, 3, 0, 2] {
            Span::widen(&mut span, times[i]);
        }
        let span = span.unwrap_or_else(|| panic!("no span"));
        assert_eq!((span.first.1, span.last.1), (times[0], times[3]));
    }

    /// The summary of messages with their lines, one message at a time.
    fn full_report(log: &[u8], opts: AssemblerOptions) -> String {
        let mut s = Summary::new(TimeWindow::default());
        for item in Assembler::with_options(opts).messages(LogReader::new(log).into_records()) {
            let Ok(item) = item else { panic!("read error") };
            s.add(&item);
        }
        format!("{:?}", s.report(1000, 1))
    }

    /// The summary with each message line counted as it is read, by an
    /// assembler that keeps none of them.
    fn lean_report(log: &[u8], opts: AssemblerOptions) -> String {
        let mut asm = Assembler::with_options(opts.keep_lines(false));
        let mut s = Summary::new(TimeWindow::default());
        for (n, raw) in log.split_inclusive(|&b| b == b'\n').enumerate() {
            let Ok(line) = crate::parse_line(raw) else {
                continue;
            };
            let kept = asm.push_parsed(raw, &line, crate::Position::new(n as u64 + 1, 0));
            while let Some(item) = asm.pop() {
                s.add(&item);
            }
            if !kept {
                s.add_line(&line);
            } else if !matches!(line.event, Event::Arguments(_)) {
                s.add_message_line(&line);
            }
        }
        asm.finish();
        while let Some(item) = asm.pop() {
            s.add(&item);
        }
        assert!(s.open.is_empty(), "a message's state outlived it");
        format!("{:?}", s.report(1000, 1))
    }

    /// Counting each line as it is read gives the report of counting whole
    /// messages: on every corpus mainlog, and with at most two messages in
    /// flight (most are pushed out early and continued, so a delivery
    /// often comes without its arrival's size).
    #[test]
    fn lines_counted_as_read_give_the_report_of_whole_messages() {
        let Some(files) = crate::assemble::corpus_mainlogs() else {
            return;
        };
        let mut differed = 0;
        for cap in [100_000, 2] {
            let opts = AssemblerOptions::default().max_in_flight(cap);
            let mut all = Vec::new();
            for f in &files {
                let log = std::fs::read(f).unwrap_or_else(|e| panic!("{e}"));
                let full = full_report(&log, opts.clone());
                assert_eq!(lean_report(&log, opts.clone()), full, "{}", f.display());
                all.extend_from_slice(&log);
            }
            // All of them as one log: ids used again, much in flight.
            let full = full_report(&all, opts.clone());
            assert_eq!(lean_report(&all, opts), full);
            differed += usize::from(full != full_report(&all, AssemblerOptions::default()));
        }
        assert_eq!(
            differed, 1,
            "the cap of 2 changes the report (early flushes)"
        );
    }

    /// The lean fold on several threads ([`crate::parallel::fold_messages_lean`])
    /// over `path`, cut into units of about `unit` bytes, with `opts`: its
    /// report, and how many units were assembled again (an id in flight
    /// across a cut used again after it).
    fn lean_report_on_threads(
        path: &std::path::Path,
        threads: usize,
        unit: u64,
        opts: AssemblerOptions,
    ) -> (String, usize) {
        let plan = crate::parallel::Plan::sized([path], usize::MAX, unit)
            .unwrap_or_else(|e| panic!("{e}"));
        let f = crate::parallel::fold_messages_lean(
            &plan,
            threads,
            opts,
            Summary::new(TimeWindow::default()),
            || Summary::new(TimeWindow::default()),
            |s, item| s.add(item),
            |s, line| s.add_message_line(line),
            |s, line| s.add_line(line),
            Summary::merge,
        );
        assert!(f.value.open.is_empty(), "a message's state outlived it");
        (format!("{:?}", f.value.report(1000, 1)), f.again)
    }

    /// The lean fold on two and three threads gives the one-thread report,
    /// on every corpus mainlog and on all of them as one log, cut into units
    /// of a few hundred bytes: most messages cross a cut (their state
    /// carried to the units after), and ids are used again within a file
    /// and from file to file (a message completed in a unit, and a new one
    /// of the same id still in flight at its end).
    #[test]
    fn lean_on_several_threads_gives_the_one_thread_report() {
        let Some(files) = crate::assemble::corpus_mainlogs() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut all = Vec::new();
        let mut cut = 0;
        for f in &files {
            let log = std::fs::read(f).unwrap_or_else(|e| panic!("{e}"));
            let one = lean_report(&log, AssemblerOptions::default());
            let unlinked = AssemblerOptions::default().keep_arguments(false);
            let (many, _) = lean_report_on_threads(f, 2, 300, AssemblerOptions::default());
            assert_eq!(many, one, "{}", f.display());
            let (many, _) = lean_report_on_threads(f, 3, 300, unlinked.clone());
            assert_eq!(many, one, "{} without args links", f.display());
            assert_eq!(lean_report(&log, unlinked), one, "{}", f.display());
            cut += usize::from(log.len() > 600);
            all.extend_from_slice(&log);
        }
        assert!(cut > 400, "{cut} files cut in three units or more");
        let path = dir.path().join("all");
        std::fs::write(&path, &all).unwrap_or_else(|e| panic!("{e}"));
        let one = lean_report(&all, AssemblerOptions::default());
        assert_eq!(one, full_report(&all, AssemblerOptions::default()));
        let mut again = 0;
        for (threads, unit) in [(2, 500), (3, 3000), (2, 64 << 10)] {
            let opts = AssemblerOptions::default().keep_arguments(unit > 1000);
            let (many, n) = lean_report_on_threads(&path, threads, unit, opts);
            assert_eq!(many, one, "{threads} threads, units of {unit} bytes");
            again += n;
        }
        assert!(again > 0, "an id in flight across a cut used again");
    }

    /// Rejections logged with a message's id are counted from what the
    /// assembler kept of them as lone rejections are from their parse.
    #[test]
    fn rejections_in_messages_count_like_lone_ones() {
        let log = b"\
2026-11-25 10:00:00 H=(bad.example) [192.0.2.9] F=<x@example.com> rejected RCPT <u@example.org>: Unknown user
2026-11-25 10:00:01 1sAoM6-0000000AAAA-0000 H=(bad.example) [192.0.2.9] F=<x@example.com> rejected after DATA: Spam score 21.5 [too high]
2026-11-25 10:00:02 1sAoM6-0000000AAAA-0000 H=relay.example.org [192.0.2.10] F=<y@example.com> temporarily rejected after DATA: Try again later
2026-11-25 10:00:03 1sAoM7-0000000AAAA-0000 F=<z@example.com> rejected after DATA: 192.0.2.8 is in a black list at dnsbl.example.net
";
        let mut s = Summary::new(TimeWindow::default());
        let mut messages = 0;
        for item in Assembler::new().messages(LogReader::new(&log[..]).into_records()) {
            let Ok(item) = item else { panic!("read error") };
            messages += u64::from(matches!(item, Assembled::Message(_)));
            s.add(&item);
        }
        assert_eq!(messages, 2);
        let r = s.report(10, 1);
        assert_eq!((r.totals.rejects, r.totals.temporary_rejects), (3, 1));
        let rows = |v: &[CountRow]| -> Vec<(String, u64)> {
            let mut v: Vec<_> = v.iter().map(|c| (c.key.clone(), c.count)).collect();
            v.sort();
            v
        };
        let own = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
            v.iter().map(|(k, n)| ((*k).to_string(), *n)).collect()
        };
        assert_eq!(
            rows(&r.reject_reasons),
            own(&[
                ("RBL dnsbl.example.net", 1),
                ("Spam score 21.5 [...]", 1),
                ("unknown recipient", 1),
            ])
        );
        assert_eq!(
            rows(&r.reject_hosts),
            own(&[("(no host logged)", 1), ("192.0.2.9", 2)])
        );
        assert_eq!(r.first.as_deref(), Some("2026-11-25T10:00:00"));
        assert_eq!(r.last.as_deref(), Some("2026-11-25T10:00:03"));
    }
}
