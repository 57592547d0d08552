//! `abuse-report`: inbound abuse seen at SMTP time, and the IPs a firewall
//! could block.
//!
//! Fed every line in log order ([`AbuseReport::add`]), it counts:
//!
//! * **dictionary attacks**: `rejected RCPT` whose reason says the recipient
//!   does not exist
//!   ([`is_unknown_recipient`](super::classify::is_unknown_recipient)), per
//!   host and per SMTP connection, with the distinct local parts tried and the
//!   messages accepted (`<=` from the same host) beside them. A connection runs from its
//!   `SMTP connection from` line to its close (`closed by`, `lost`, timeout,
//!   `no MAIL`, `dropped`) for the same IP (`+smtp_connection`); without those
//!   lines, a host's lines up to a pause of [`IDLE_SECONDS`] are one connection;
//! * **RBL rejections** by list ([`rbl_list`](super::classify::rbl_list)) and by host;
//! * **HELO/EHLO rejections** by reason and by host;
//! * **sender verification failures** (`sender verify fail|defer`) by host and
//!   by sender domain;
//! * **AUTH failures** (incoming `authenticator failed`) by host and by login;
//! * **SMTP protocol errors** (syntax, protocol, synchronization errors, and
//!   `dropped: too many ...`) by kind and by host;
//! * other rejections by reason;
//! * **offenders**: every IP with at least `threshold` offender events in
//!   total, each of a kind ([`Offense`]): everything fail2ban's `exim` (all
//!   modes) and `exim-spam` filters and CrowdSec's `exim` scenarios treat as
//!   abuse, plus HELO rejections and rate-limit deferrals (side by side in
//!   `docs/abuse-events.md`). A total, not a per-kind maximum, because that is
//!   what those tools ban on: fail2ban's `maxretry` counts every matching line
//!   of an IP.

use std::borrow::Cow;

use crate::{Event, LogLine, Peer, Reject, Stage, Timestamp};

use super::bounded::{
    BoundedMap, Bounds, CappedSet, Distinct, Merge, RebalanceClock, Table, Weight, rebalance_budget,
};
use super::classify::{
    domain_part, local_part, lower_str, rbl_in_lower_str, text_class_into, unknown_in_lower,
};
use super::{LogClock, TimeWindow, log_seconds, merge_span, widen_span};
use crate::budget::MemoryBudget;
use crate::hash::Map;

mod report;
pub use report::{
    ConnRow, DictHostRow, Dictionary, Offender, Report, Row, Section, SenderVerifySection,
};

/// Most distinct values remembered per key (local parts, logins, hosts...).
pub const DISTINCT_CAP: usize = 10_000;
/// Without connection lines, a pause this long (seconds) ends a host's connection.
pub const IDLE_SECONDS: i64 = 300;
/// Most finished connections kept for the per-connection table.
pub const CONNECTIONS_CAP: usize = 2_000;
/// Most keys with open connections at once (older ones are closed past it).
pub const OPEN_CAP: usize = 20_000;
/// The share of a report's memory budget for its open connections (one
/// eighth; the tables share the rest): past it the oldest half is closed
/// early and counted in the hits of [`Report::bounds`]' `memory`.
pub const OPEN_SHARE: usize = 8;

/// The share of the tables' bytes (after [`OPEN_SHARE`]) that goes to the
/// dictionary table, whose rows carry sets of local parts: one quarter.
pub const DICT_SHARE: usize = 4;
/// Most open connections per key (concurrent connections of one IP).
pub const PER_KEY_CAP: usize = 256;

/// Count, distinct values and time span of one key.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Tally {
    count: u64,
    distinct: CappedSet,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            count: 0,
            distinct: CappedSet::new(DISTINCT_CAP),
            first: None,
            last: None,
        }
    }
}

impl Merge for Tally {
    fn merge(&mut self, o: Self) {
        self.count += o.count;
        self.distinct.merge(o.distinct);
        merge_span(&mut self.first, &mut self.last, o.first, o.last);
    }
}

impl Weight for Tally {
    fn weight(&self) -> u64 {
        self.count
    }

    fn heap_bytes(&self) -> usize {
        self.distinct.bytes()
    }
}

/// A table of [`Tally`] by key, and the number of events noted (exact, past trims).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Tallies(BoundedMap<String, Tally>, u64);

impl Tallies {
    fn for_budget(budget: MemoryBudget) -> Self {
        Tallies(BoundedMap::for_budget(budget), 0)
    }

    fn note(&mut self, key: &str, distinct: Option<&str>, t: Timestamp) {
        self.1 += 1;
        self.0.update(key, |v| {
            v.count += 1;
            if let Some(d) = distinct {
                v.distinct.insert(d);
            }
            widen_span(&mut v.first, &mut v.last, t);
        });
    }

    fn rows(&self, top: usize, min: u64) -> Vec<Row> {
        self.0
            .top(top, min)
            .into_iter()
            .map(|(k, v)| Row {
                key: k.clone(),
                count: v.count,
                distinct: v.distinct.count(),
                first_seen: v.first.map(|t| t.to_string()),
                last_seen: v.last.map(|t| t.to_string()),
            })
            .collect()
    }

    fn merge(&mut self, other: Tallies) {
        self.0.merge(other.0);
        self.1 += other.1;
    }

    /// Every event noted, counted apart from the rows: a row trimmed when
    /// the table is over its budget must not make the total smaller.
    fn total(&self) -> u64 {
        self.1
    }
}

/// One SMTP connection's dictionary-attack counts.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Conn {
    ip: String,
    start: Timestamp,
    last: Timestamp,
    rejected_unknown: u64,
    rejected_other: u64,
    local_parts: CappedSet,
    accepted_messages: u64,
    accepted_recipients: u64,
    /// Started by a line of a connection whose open this part did not see
    /// (nothing of its key was open): perhaps the continuation of a
    /// connection still open at the end of the previous part, which
    /// [`AbuseReport::merge`] joins it to.
    head: bool,
}

impl Conn {
    fn new(ip: &str, t: Timestamp, head: bool) -> Self {
        Conn {
            ip: ip.to_string(),
            head,
            start: t,
            last: t,
            rejected_unknown: 0,
            rejected_other: 0,
            local_parts: CappedSet::new(DISTINCT_CAP),
            accepted_messages: 0,
            accepted_recipients: 0,
        }
    }
}

/// Per-host dictionary-attack counts.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct DictHost {
    rejected_unknown: u64,
    local_parts: CappedSet,
    connections: u64,
    accepted_messages: u64,
    accepted_recipients: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl Default for DictHost {
    fn default() -> Self {
        DictHost {
            rejected_unknown: 0,
            local_parts: CappedSet::new(DISTINCT_CAP),
            connections: 0,
            accepted_messages: 0,
            accepted_recipients: 0,
            first: None,
            last: None,
        }
    }
}

impl Merge for DictHost {
    fn merge(&mut self, o: Self) {
        self.rejected_unknown += o.rejected_unknown;
        self.local_parts.merge(o.local_parts);
        self.connections += o.connections;
        self.accepted_messages += o.accepted_messages;
        self.accepted_recipients += o.accepted_recipients;
        merge_span(&mut self.first, &mut self.last, o.first, o.last);
    }
}

impl Weight for DictHost {
    fn weight(&self) -> u64 {
        self.rejected_unknown
    }

    fn heap_bytes(&self) -> usize {
        self.local_parts.bytes()
    }
}

/// What one IP did, for the offenders list: one count per kind of offender
/// event (each line counts once, in one kind).
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Offense {
    /// RCPTs rejected as unknown recipients, and `too many unknown recipients`.
    pub dictionary: u64,
    /// RBL (DNSBL) rejections.
    pub rbl: u64,
    /// HELO/EHLO rejections (counted by neither fail2ban nor CrowdSec).
    pub helo: u64,
    /// Incoming AUTH failures, any authenticator name.
    pub auth: u64,
    /// SMTP protocol and syntax errors, synchronization errors, `dropped: too
    /// many ...`.
    pub protocol: u64,
    /// `sender verify fail` lines (not `defer`).
    pub sender_verify: u64,
    /// `rejected RCPT ...: relay not permitted`.
    pub relay: u64,
    /// Other permanent RCPT rejections (`Sender verify failed`, `SMTP AUTH
    /// required`, ACL denials).
    pub rcpt: u64,
    /// Temporary rejections at any stage whose reason speaks of a rate limit
    /// (`ratelimit`, `rate limit`).
    pub rate_limit: u64,
    /// `no MAIL in SMTP connection` (`+smtp_no_mail`).
    pub no_mail: u64,
    /// `SMTP connection ... closed by DROP in ACL` and `dropped by '<acl>' ACL`.
    pub acl_drop: u64,
    /// Messages rejected by `local_scan()`, or after DATA for a virus or
    /// malware.
    pub content: u64,
    /// Host lookup failures naming the client (`no host name found for IP
    /// address`, `no IP address found for host ... (during SMTP connection
    /// from ...)`).
    pub host_lookup: u64,
    #[cfg_attr(feature = "serde", serde(skip))]
    first: Option<Timestamp>,
    #[cfg_attr(feature = "serde", serde(skip))]
    last: Option<Timestamp>,
}

impl Merge for Offense {
    fn merge(&mut self, o: Self) {
        self.dictionary += o.dictionary;
        self.rbl += o.rbl;
        self.helo += o.helo;
        self.auth += o.auth;
        self.protocol += o.protocol;
        self.sender_verify += o.sender_verify;
        self.relay += o.relay;
        self.rcpt += o.rcpt;
        self.rate_limit += o.rate_limit;
        self.no_mail += o.no_mail;
        self.acl_drop += o.acl_drop;
        self.content += o.content;
        self.host_lookup += o.host_lookup;
        merge_span(&mut self.first, &mut self.last, o.first, o.last);
    }
}

impl Weight for Offense {
    fn weight(&self) -> u64 {
        self.kinds().iter().map(|(_, n)| n).sum()
    }
}

impl Offense {
    /// Every kind with its count, in a fixed order (names as the text
    /// report prints them).
    pub fn kinds(&self) -> [(&'static str, u64); 13] {
        [
            ("dictionary", self.dictionary),
            ("rbl", self.rbl),
            ("helo", self.helo),
            ("auth", self.auth),
            ("protocol", self.protocol),
            ("sender-verify", self.sender_verify),
            ("relay", self.relay),
            ("rcpt", self.rcpt),
            ("rate-limit", self.rate_limit),
            ("no-mail", self.no_mail),
            ("acl-drop", self.acl_drop),
            ("content", self.content),
            ("host-lookup", self.host_lookup),
        ]
    }
}

/// The kinds of [`Offense`].
#[derive(Clone, Copy, Debug)]
enum Kind {
    Dictionary,
    Rbl,
    Helo,
    Auth,
    Protocol,
    SenderVerify,
    Relay,
    Rcpt,
    RateLimit,
    NoMail,
    AclDrop,
    Content,
    HostLookup,
}

/// Whether a temporary rejection's reason, lower-cased, speaks of a rate
/// limit (Exim's `ratelimit` ACL condition; cPanel's `Host is ratelimited`).
fn is_rate_limit(lower: &str) -> bool {
    ["ratelimit", "rate limit", "rate-limit"]
        .iter()
        .any(|m| lower.contains(m))
}

/// Whether a DATA-stage rejection is about content: `local_scan()`, a virus
/// or malware (fail2ban's `exim-spam`); `lower` is its reason lower-cased.
fn is_content_rejection(what: &str, lower: &str) -> bool {
    what.contains("local_scan()") || lower.contains("virus") || lower.contains("malware")
}

/// The offenders table as state: each [`Offense`] with its first and last
/// seen, which the report's JSON of an `Offense` leaves out.
#[cfg(feature = "serde")]
mod offenders_state {
    use super::{BoundedMap, Offense, Timestamp};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct State {
        counts: Offense,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
    }

    pub(super) fn serialize<S: Serializer>(
        map: &BoundedMap<String, Offense>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        map.map_values(|o| State {
            counts: o.clone(),
            first: o.first,
            last: o.last,
        })
        .serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BoundedMap<String, Offense>, D::Error> {
        let map = BoundedMap::<String, State>::deserialize(d)?;
        Ok(map.map_values(|st| Offense {
            first: st.first,
            last: st.last,
            ..st.counts.clone()
        }))
    }
}

/// The aggregator.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AbuseReport {
    window: TimeWindow,
    budget: MemoryBudget,
    lines: u64,
    /// Lines counted since the tables' budget was last shared out again
    /// ([`rebalance_budget`]).
    #[cfg_attr(feature = "serde", serde(skip))]
    since_rebalance: RebalanceClock,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    /// Open connections by [`conn_key`], oldest first.
    open: Map<String, Vec<Conn>>,
    /// Bytes `open` holds ([`conn_bytes`]), most ever, and its budget.
    open_bytes: usize,
    open_peak: usize,
    open_budget: usize,
    /// Open connections closed early because `open` was full.
    open_evicted: u64,
    /// Closed [`Conn::head`]s, the first of each key, held for
    /// [`AbuseReport::merge`] until the report.
    closed_heads: Map<String, Conn>,
    /// Closes that found nothing open of their key: they may end a
    /// connection of the previous part (key, time, `D=` seconds, and whether
    /// they came before this part's head of that key).
    orphan_closes: Vec<OrphanClose>,
    connections: Vec<Conn>,
    connections_seen: u64,
    dict_hosts: BoundedMap<String, DictHost>,
    /// RCPTs rejected for another reason than an unknown recipient, by host
    /// (reported for the hosts of `dict_hosts`).
    rcpt_other: BoundedMap<String, u64>,
    rbl_lists: Tallies,
    rbl_hosts: Tallies,
    helo_reasons: Tallies,
    helo_hosts: Tallies,
    verify_hosts: Tallies,
    verify_domains: Tallies,
    verify_fail: u64,
    verify_defer: u64,
    auth_hosts: Tallies,
    auth_logins: Tallies,
    protocol_kinds: Tallies,
    protocol_hosts: Tallies,
    other_reasons: Tallies,
    // Offense's own serialization is the report's (no first/last seen).
    #[cfg_attr(feature = "serde", serde(with = "offenders_state"))]
    offenders: BoundedMap<String, Offense>,
    /// Lines' times in log seconds, the day's part remembered (a cache).
    #[cfg_attr(feature = "serde", serde(skip))]
    clock: LogClock,
    /// A rejection's reason lower-cased, and its class: buffers reused
    /// from one rejection to the next (scratch, not report state).
    #[cfg_attr(feature = "serde", serde(skip))]
    scratch: (String, String),
}

/// A close that found no open connection of its key (see
/// [`AbuseReport::merge`]).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct OrphanClose {
    key: String,
    time: Timestamp,
    duration: Option<i64>,
    before_head: bool,
}

/// Bytes an open connection of `key` holds, as counted against the budget.
fn conn_bytes(key: &str, c: &Conn) -> usize {
    std::mem::size_of::<Conn>() + key.len() + c.ip.len() + c.local_parts.bytes()
}

/// What tells one connection of an IP from another: `Ci=` (`+connection_id`),
/// else the `[pid]` of the line (`+pid`; the connection's own process logs
/// its rejections and its end), else nothing (concurrent connections from one
/// IP are then told apart only by their `D=` at close).
fn conn_key<'a>(ip: &'a str, peer: &Peer<'_>, line: &LogLine<'_>) -> Cow<'a, str> {
    key_of(ip, peer.connection_id, line.pid)
}

/// [`conn_key`] from its parts: the IP itself (borrowed, no allocation)
/// when the line has neither `Ci=` nor a pid.
fn key_of(ip: &str, connection_id: Option<u64>, pid: Option<u32>) -> Cow<'_, str> {
    match (connection_id, pid) {
        (Some(ci), _) => Cow::Owned(format!("{ip} Ci={ci}")),
        (None, Some(pid)) => Cow::Owned(format!("{ip} [{pid}]")),
        (None, None) => Cow::Borrowed(ip),
    }
}

/// The IP of a peer, or its name, or `(no host)`: never one shared bucket
/// for every host (eximstats 4.99 puts id-less lines under `local`).
/// Borrowed from the line (the tables copy a key only when it is new).
fn host_key<'a>(peer: &Peer<'a>) -> Cow<'a, str> {
    let h = peer.host;
    h.and_then(|h| h.ip.or(h.name).or(h.helo))
        .map_or(Cow::Borrowed("(no host)"), |t| t.to_string_lossy())
}

impl AbuseReport {
    /// An empty aggregator counting lines inside `window`.
    pub fn new(window: TimeWindow) -> Self {
        AbuseReport::with_budget(window, MemoryBudget::DEFAULT)
    }

    /// An empty aggregator whose tables hold at most `budget` bytes in all
    /// (their bytes bound them, not a count of keys:
    /// [`BoundedMap::for_budget`]).
    pub fn with_budget(window: TimeWindow, budget: MemoryBudget) -> Self {
        let mut r = AbuseReport {
            window,
            budget,
            lines: 0,
            since_rebalance: RebalanceClock::default(),
            first: None,
            last: None,
            open: Map::default(),
            open_bytes: 0,
            open_peak: 0,
            open_budget: budget.get() / OPEN_SHARE,
            open_evicted: 0,
            closed_heads: Map::default(),
            orphan_closes: Vec::new(),
            connections: Vec::new(),
            connections_seen: 0,
            dict_hosts: BoundedMap::for_budget(budget),
            rcpt_other: BoundedMap::for_budget(budget),
            rbl_lists: Tallies::for_budget(budget),
            rbl_hosts: Tallies::for_budget(budget),
            helo_reasons: Tallies::for_budget(budget),
            helo_hosts: Tallies::for_budget(budget),
            verify_hosts: Tallies::for_budget(budget),
            verify_domains: Tallies::for_budget(budget),
            verify_fail: 0,
            verify_defer: 0,
            auth_hosts: Tallies::for_budget(budget),
            auth_logins: Tallies::for_budget(budget),
            protocol_kinds: Tallies::for_budget(budget),
            protocol_hosts: Tallies::for_budget(budget),
            other_reasons: Tallies::for_budget(budget),
            offenders: BoundedMap::for_budget(budget),
            clock: LogClock::default(),
            scratch: (String::new(), String::new()),
        };
        r.rebalance(&[]);
        r
    }

    /// The tables' bytes (the budget less the open connections' share) and
    /// each table's first share of them. The dictionary table (first) holds
    /// a set of up to DISTINCT_CAP local parts per host: its rows are
    /// hundreds of times larger than the other tables' counters, so an equal
    /// share starved it on a busy server's day (the top attackers' rows were
    /// trimmed and counted again from zero). It gets DICT_SHARE of the
    /// tables' bytes; the others share the rest. The same shares split what
    /// no table holds when the budget is shared out again ([`rebalance_budget`]).
    fn table_shares(&self) -> (usize, [usize; 14]) {
        let tables = self.budget.get() - self.budget.get() / OPEN_SHARE;
        let dict = tables / DICT_SHARE;
        let mut shares = [(tables - dict) / 13; 14];
        shares[0] = dict;
        (tables, shares)
    }

    /// Shares the tables' bytes out again by what each holds (and `coming`:
    /// what a merge adds to each), see [`rebalance_budget`].
    fn rebalance(&mut self, coming: &[usize]) {
        let (tables, weights) = self.table_shares();
        rebalance_budget(&mut self.tables_mut(), coming, tables, &weights);
    }

    fn tables_mut(&mut self) -> [&mut dyn Table; 14] {
        [
            &mut self.dict_hosts,
            &mut self.rcpt_other,
            &mut self.rbl_lists.0,
            &mut self.rbl_hosts.0,
            &mut self.helo_reasons.0,
            &mut self.helo_hosts.0,
            &mut self.verify_hosts.0,
            &mut self.verify_domains.0,
            &mut self.auth_hosts.0,
            &mut self.auth_logins.0,
            &mut self.protocol_kinds.0,
            &mut self.protocol_hosts.0,
            &mut self.other_reasons.0,
            &mut self.offenders,
        ]
    }

    fn tables(&self) -> [&dyn Table; 14] {
        [
            &self.dict_hosts,
            &self.rcpt_other,
            &self.rbl_lists.0,
            &self.rbl_hosts.0,
            &self.helo_reasons.0,
            &self.helo_hosts.0,
            &self.verify_hosts.0,
            &self.verify_domains.0,
            &self.auth_hosts.0,
            &self.auth_logins.0,
            &self.protocol_kinds.0,
            &self.protocol_hosts.0,
            &self.other_reasons.0,
            &self.offenders,
        ]
    }

    fn offense(&mut self, ip: &str, kind: Kind, t: Timestamp) {
        if ip == "(no host)" {
            return;
        }
        self.offenders.update(ip, |o| {
            match kind {
                Kind::Dictionary => o.dictionary += 1,
                Kind::Rbl => o.rbl += 1,
                Kind::Helo => o.helo += 1,
                Kind::Auth => o.auth += 1,
                Kind::Protocol => o.protocol += 1,
                Kind::SenderVerify => o.sender_verify += 1,
                Kind::Relay => o.relay += 1,
                Kind::Rcpt => o.rcpt += 1,
                Kind::RateLimit => o.rate_limit += 1,
                Kind::NoMail => o.no_mail += 1,
                Kind::AclDrop => o.acl_drop += 1,
                Kind::Content => o.content += 1,
                Kind::HostLookup => o.host_lookup += 1,
            }
            widen_span(&mut o.first, &mut o.last, t);
        });
    }

    /// The connection a line of `key` belongs to at `t`: the newest open one,
    /// or a new one when there is none or the open ones went idle (logs
    /// without `+smtp_connection`).
    fn conn(&mut self, key: &str, ip: &str, t: Timestamp) -> Option<&mut Conn> {
        let clock = &mut self.clock;
        let now = clock.seconds(&t);
        let idle: Vec<usize> = self.open.get(key).map_or(Vec::new(), |v| {
            v.iter()
                .enumerate()
                .filter(|(_, c)| now - clock.seconds(&c.last) > IDLE_SECONDS)
                .map(|(i, _)| i)
                .collect()
        });
        for i in idle.into_iter().rev() {
            self.close_at(key, i);
        }
        if self.open.get(key).is_none_or(Vec::is_empty) {
            let head = !self.closed_heads.contains_key(key);
            self.start(key, ip, t, head);
        }
        let c = self.open.get_mut(key)?.last_mut()?;
        c.last = t;
        Some(c)
    }

    /// Counts `n` more bytes in `open`; past its budget, closes the oldest
    /// half of its keys early.
    fn grow_open(&mut self, n: usize) {
        self.open_bytes = self.open_bytes.saturating_add(n);
        self.open_peak = self.open_peak.max(self.open_bytes);
        if self.open_bytes > self.open_budget {
            self.close_oldest_half();
        }
    }

    /// Closes the connections of the oldest half of the open keys (at least
    /// one): their end was never logged, or the budget is full. Counted.
    fn close_oldest_half(&mut self) {
        let mut by_age: Vec<(Timestamp, String)> = self
            .open
            .iter()
            .filter_map(|(k, v)| v.last().map(|c| (c.last, k.clone())))
            .collect();
        by_age.sort();
        let n = by_age.len().div_ceil(2);
        for (_, old) in by_age.into_iter().take(n) {
            while self.open.get(&old).is_some_and(|v| !v.is_empty()) {
                self.close_at(&old, 0);
                self.open_evicted += 1;
            }
            self.open.remove(&old);
        }
    }

    fn start(&mut self, key: &str, ip: &str, t: Timestamp, head: bool) {
        let need = std::mem::size_of::<Conn>() + key.len() + ip.len();
        if self.open.len() >= OPEN_CAP || self.open_bytes + need > self.open_budget {
            self.close_oldest_half();
        }
        if self.open.get(key).is_some_and(|v| v.len() >= PER_KEY_CAP) {
            // Opens whose close is logged under another key (the daemon's
            // pid): the oldest cannot still be running.
            self.close_at(key, 0);
        }
        self.open
            .entry(key.to_string())
            .or_default()
            .push(Conn::new(ip, t, head));
        self.grow_open(need);
    }

    /// Ends a connection of `key` closed at `t` after `duration` seconds: the
    /// open one whose start is nearest `t - duration` (concurrent connections
    /// from one IP), or the oldest when no duration was logged.
    fn close(&mut self, key: &str, t: Timestamp, duration: Option<i64>) {
        let Some(v) = self.open.get(key).filter(|v| !v.is_empty()) else {
            if self.orphan_closes.len() < OPEN_CAP {
                self.orphan_closes.push(OrphanClose {
                    key: key.to_string(),
                    time: t,
                    duration,
                    before_head: !self.closed_heads.contains_key(key),
                });
            }
            return;
        };
        let i = match duration {
            // One connection open (the usual case): it is the one.
            Some(_) if v.len() == 1 => 0,
            Some(d) => {
                let clock = &mut self.clock;
                let began = clock.seconds(&t) - d;
                v.iter()
                    .enumerate()
                    .min_by_key(|(_, c)| (clock.seconds(&c.start) - began).abs())
                    .map_or(0, |(i, _)| i)
            }
            None => 0,
        };
        self.close_at(key, i);
    }

    /// Ends the `i`th open connection of `key`, keeping it if it saw
    /// unknown-recipient rejections.
    fn close_at(&mut self, key: &str, i: usize) {
        let Some(v) = self.open.get_mut(key) else {
            return;
        };
        if i >= v.len() {
            return;
        }
        let c = v.remove(i);
        if v.is_empty() {
            self.open.remove(key);
        }
        self.open_bytes = self.open_bytes.saturating_sub(conn_bytes(key, &c));
        if c.head && !self.closed_heads.contains_key(key) && self.closed_heads.len() < OPEN_CAP {
            self.closed_heads.insert(key.to_string(), c);
            return;
        }
        self.finalize(c);
    }

    /// Counts a connection that ended.
    fn finalize(&mut self, c: Conn) {
        if c.rejected_unknown == 0 {
            return;
        }
        self.connections_seen += 1;
        self.dict_hosts.update(c.ip.as_str(), |h| {
            h.connections += 1;
            h.accepted_messages += c.accepted_messages;
            h.accepted_recipients += c.accepted_recipients;
        });
        self.connections.push(c);
        if self.connections.len() > CONNECTIONS_CAP {
            self.connections.sort_by(conn_order);
            self.connections.truncate(CONNECTIONS_CAP / 2);
        }
    }

    /// Counts one line (lines outside the window are ignored).
    pub fn add(&mut self, line: &LogLine<'_>) {
        let t = line.timestamp;
        if !self.window.contains(&t) {
            return;
        }
        self.lines += 1;
        if self.since_rebalance.due() {
            self.rebalance(&[]);
        }
        widen_span(&mut self.first, &mut self.last, t);
        // Keys are borrowed from the line (`Cow`): a table copies one only
        // when it is new to it.
        match &line.event {
            Event::ConnectionOpen(s) => {
                if let Some(ip) = s.peer.ip() {
                    let ip = ip.to_string_lossy();
                    self.start(&conn_key(&ip, &s.peer, line), &ip, t, false);
                }
            }
            Event::ConnectionClose(s)
            | Event::ConnectionLost(s)
            | Event::SmtpTimeout(s)
            | Event::NoMail(s) => {
                if let Some(ip) = s.peer.ip() {
                    let ip = ip.to_string_lossy();
                    let d = s.duration.map(|d| d.as_millis() / 1000);
                    self.close(&conn_key(&ip, &s.peer, line), t, d);
                    if matches!(line.event, Event::NoMail(_)) {
                        self.offense(&ip, Kind::NoMail, t);
                    } else if matches!(line.event, Event::ConnectionClose(_))
                        && s.reason.is_some_and(|r| r.as_bytes() == b"DROP in ACL")
                    {
                        self.offense(&ip, Kind::AclDrop, t);
                    }
                }
            }
            Event::HostLookupFailed(s) => {
                // Only the client's IP: `no IP address found for host X` of a
                // delivery names no client.
                if let Some(ip) = s.peer.ip() {
                    self.offense(&ip.to_string_lossy(), Kind::HostLookup, t);
                }
            }
            Event::Dropped(r) => {
                let ip = host_key(&r.peer);
                self.offense(&ip, Kind::AclDrop, t);
            }
            Event::SmtpError(s) | Event::SmtpDropped(s) => {
                let ip = host_key(&s.peer);
                let kind = protocol_kind(line);
                self.protocol_kinds.note(&kind, Some(&ip), t);
                self.protocol_hosts.note(&ip, Some(&kind), t);
                self.offense(&ip, Kind::Protocol, t);
                if matches!(line.event, Event::SmtpDropped(_)) {
                    self.close(
                        &conn_key(&ip, &s.peer, line),
                        t,
                        s.duration.map(|d| d.as_millis() / 1000),
                    );
                }
            }
            Event::Arrival(a) => {
                let Some(ip) = a.host.and_then(|h| h.ip) else {
                    return;
                };
                let ip = ip.to_string_lossy();
                let rcpts = a.recipients.map_or(0, |r| r.iter().count() as u64);
                let key = key_of(&ip, a.connection_id, line.pid);
                if let Some(c) = self.conn(&key, &ip, t) {
                    c.accepted_messages += 1;
                    c.accepted_recipients += rcpts;
                }
            }
            Event::Rejection(r) => {
                let (mut lower, mut class) = std::mem::take(&mut self.scratch);
                self.reject(r, line, &mut lower, &mut class);
                self.scratch = (lower, class);
            }
            Event::SenderVerify(v) => {
                let ip = host_key(&v.peer);
                let addr = v.address.to_string_lossy();
                let domain = domain_part(&addr).map_or(Cow::Borrowed("(none)"), lower_str);
                if v.temporary {
                    self.verify_defer += 1;
                } else {
                    self.verify_fail += 1;
                    self.offense(&ip, Kind::SenderVerify, t);
                }
                self.verify_hosts.note(&ip, Some(&addr), t);
                self.verify_domains.note(&domain, Some(&ip), t);
            }
            Event::AuthFailed(a) if !a.outgoing => {
                let ip = host_key(&a.peer);
                let login = a
                    .set_id
                    .map_or(Cow::Borrowed("(no login logged)"), |s| s.to_string_lossy());
                self.auth_hosts.note(&ip, Some(&login), t);
                self.auth_logins.note(&login, Some(&ip), t);
                self.offense(&ip, Kind::Auth, t);
            }
            _ => {}
        }
    }

    /// Counts a rejection. `lower` and `class` are buffers for its reason
    /// lower-cased (every test below reads that) and its class, reused from
    /// one rejection to the next: no text of a rejection is copied unless a
    /// table meets it for the first time.
    fn reject(
        &mut self,
        r: &Reject<'_>,
        line: &LogLine<'_>,
        lower: &mut String,
        class: &mut String,
    ) {
        let t = line.timestamp;
        let ip = host_key(&r.peer);
        let reason = r.reason.map_or(Cow::Borrowed(""), |x| x.to_string_lossy());
        lower.clear();
        lower.push_str(&reason);
        lower.make_ascii_lowercase();
        let lower = lower.as_str();
        // The list of `rbl_list`: Exim's default text, else the usual ACL texts.
        let list = match r.reason.and_then(crate::event::dnslist_domain) {
            Some(d) => Some(super::classify::lower(d)),
            None => rbl_in_lower_str(lower).map(Cow::Borrowed),
        };
        if let Some(list) = list {
            self.rbl_lists.note(&list, Some(&ip), t);
            self.rbl_hosts.note(&ip, Some(&list), t);
            self.offense(&ip, Kind::Rbl, t);
            return;
        }
        match r.stage {
            Stage::Rcpt if unknown_in_lower(lower) => {
                let rcpt = r
                    .recipient
                    .map_or(Cow::Borrowed(""), |x| x.to_string_lossy());
                let lp = lower_str(local_part(&rcpt));
                let key = conn_key(&ip, &r.peer, line);
                if let Some(c) = self.conn(&key, &ip, t) {
                    c.rejected_unknown += 1;
                    let before = c.local_parts.bytes();
                    c.local_parts.insert(&lp);
                    let grown = c.local_parts.bytes() - before;
                    self.grow_open(grown);
                }
                self.dict_hosts.update(&*ip, |h| {
                    h.rejected_unknown += 1;
                    h.local_parts.insert(&lp);
                    widen_span(&mut h.first, &mut h.last, t);
                });
                self.offense(&ip, Kind::Dictionary, t);
            }
            Stage::Helo => {
                text_class_into(&reason, class);
                self.helo_reasons.note(class, Some(&ip), t);
                self.helo_hosts.note(&ip, Some(class.as_str()), t);
                self.offense(&ip, Kind::Helo, t);
            }
            stage => {
                if stage == Stage::Rcpt {
                    let key = conn_key(&ip, &r.peer, line);
                    if let Some(c) = self.conn(&key, &ip, t) {
                        c.rejected_other += 1;
                    }
                    self.rcpt_other.bump(&*ip);
                }
                text_class_into(&reason, class);
                self.other_reasons.note(class, Some(&ip), t);
                if r.temporary {
                    if is_rate_limit(lower) {
                        self.offense(&ip, Kind::RateLimit, t);
                    }
                } else if stage == Stage::Rcpt {
                    // fail2ban's `more` mode counts every permanent
                    // RCPT rejection.
                    let kind = if lower.contains("relay not permitted") {
                        Kind::Relay
                    } else {
                        Kind::Rcpt
                    };
                    self.offense(&ip, kind, t);
                } else if stage == Stage::Data
                    && is_content_rejection(&r.what.to_string_lossy(), lower)
                {
                    self.offense(&ip, Kind::Content, t);
                }
            }
        }
    }

    /// Ends the input (closes the connections still open) and builds the
    /// report: `top` rows per table, rows and offenders with at least
    /// `threshold` events.
    pub fn report(&self, top: usize, threshold: u64) -> Report {
        self.clone().into_report(top, threshold)
    }

    /// [`AbuseReport::report`] of an aggregator no longer needed: its
    /// tables are read where they are, not copied first.
    pub fn into_report(mut self, top: usize, threshold: u64) -> Report {
        self.close_all();
        self.build(top, threshold)
    }

    /// Ends every connection still open or held for a merge.
    fn close_all(&mut self) {
        let mut keys: Vec<String> = self.open.keys().cloned().collect();
        keys.sort();
        for k in keys {
            while self.open.contains_key(&k) {
                self.close_at(&k, 0);
            }
        }
        let mut held: Vec<(String, Conn)> = self.closed_heads.drain().collect();
        held.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, c) in held {
            self.finalize(c);
        }
    }

    /// Adds the counts of `other`, made over the lines that follow this
    /// part's (the next file, the next byte range). Tables add up; an SMTP
    /// connection cut in two by the split is joined again: `other`'s closes
    /// that found nothing open end this part's open connections, and the
    /// first connection `other` saw of a key without its open continues this
    /// part's open one of that key unless it had been idle for
    /// [`IDLE_SECONDS`], as one pass would do. Exact except when a split
    /// falls among several connections open at once under one key.
    pub fn merge(&mut self, mut other: AbuseReport) {
        // Room for both parts' tables first, where the budget allows.
        let coming = other.tables().map(|t| t.usage().bytes);
        self.rebalance(&coming);
        self.lines += other.lines;
        merge_span(&mut self.first, &mut self.last, other.first, other.last);
        // Closes of the other part before its first connection of their key.
        let (before, after): (Vec<OrphanClose>, Vec<OrphanClose>) =
            std::mem::take(&mut other.orphan_closes)
                .into_iter()
                .partition(|c| c.before_head);
        for c in before {
            self.close(&c.key, c.time, c.duration);
        }
        // The other part's heads, held closed or still open, in key order.
        let mut heads: Vec<(String, Conn, bool)> = other
            .closed_heads
            .drain()
            .map(|(k, c)| (k, c, true))
            .collect();
        for (k, v) in other.open.iter_mut() {
            if let Some(i) = v.iter().position(|c| c.head) {
                heads.push((k.clone(), v.remove(i), false));
            }
        }
        other.open.retain(|_, v| !v.is_empty());
        heads.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, head, closed) in heads {
            self.join(&key, head, closed);
        }
        for c in after {
            self.close(&c.key, c.time, c.duration);
        }
        // The other part's connections are newer than ours: after them.
        let mut keys: Vec<String> = other.open.keys().cloned().collect();
        keys.sort();
        for key in keys {
            for c in other.open.remove(&key).unwrap_or_default() {
                self.start(&key, &c.ip.clone(), c.start, false);
                if let Some(mine) = self.open.get_mut(&key).and_then(|v| v.last_mut()) {
                    *mine = c;
                }
            }
        }
        // What `open` holds now, counted again (connections were moved in).
        self.open_bytes = self
            .open
            .iter()
            .flat_map(|(k, v)| v.iter().map(move |c| conn_bytes(k, c)))
            .sum();
        self.open_peak = self.open_peak.max(other.open_peak).max(self.open_bytes);
        self.open_evicted += other.open_evicted;
        self.connections_seen += other.connections_seen;
        self.connections.append(&mut other.connections);
        if self.connections.len() > CONNECTIONS_CAP {
            self.connections.sort_by(conn_order);
            self.connections.truncate(CONNECTIONS_CAP / 2);
        }
        self.dict_hosts.merge(other.dict_hosts);
        self.rcpt_other.merge(other.rcpt_other);
        self.rbl_lists.merge(other.rbl_lists);
        self.rbl_hosts.merge(other.rbl_hosts);
        self.helo_reasons.merge(other.helo_reasons);
        self.helo_hosts.merge(other.helo_hosts);
        self.verify_hosts.merge(other.verify_hosts);
        self.verify_domains.merge(other.verify_domains);
        self.verify_fail += other.verify_fail;
        self.verify_defer += other.verify_defer;
        self.auth_hosts.merge(other.auth_hosts);
        self.auth_logins.merge(other.auth_logins);
        self.protocol_kinds.merge(other.protocol_kinds);
        self.protocol_hosts.merge(other.protocol_hosts);
        self.other_reasons.merge(other.other_reasons);
        self.offenders.merge(other.offenders);
    }

    /// Joins `head`, the other part's first connection of `key`, to the
    /// newest connection of `key` still open here (closing the idle ones
    /// first, as [`AbuseReport::conn`] does); `closed` when the other part
    /// saw it end.
    fn join(&mut self, key: &str, head: Conn, closed: bool) {
        let began = log_seconds(&head.start);
        let idle: Vec<usize> = self.open.get(key).map_or(Vec::new(), |v| {
            v.iter()
                .enumerate()
                .filter(|(_, c)| began - log_seconds(&c.last) > IDLE_SECONDS)
                .map(|(i, _)| i)
                .collect()
        });
        for i in idle.into_iter().rev() {
            self.close_at(key, i);
        }
        let Some(v) = self.open.get_mut(key).filter(|v| !v.is_empty()) else {
            // A connection of its own: held like any head of this part.
            let mut head = head;
            head.head = !self.closed_heads.contains_key(key) && !self.open.contains_key(key);
            if closed {
                if head.head && self.closed_heads.len() < OPEN_CAP {
                    self.closed_heads.insert(key.to_string(), head);
                } else {
                    self.finalize(head);
                }
            } else {
                self.open.entry(key.to_string()).or_default().push(head);
            }
            return;
        };
        let at = v.len() - 1;
        let Some(mine) = v.get_mut(at) else {
            return;
        };
        mine.last = head.last;
        mine.rejected_unknown += head.rejected_unknown;
        mine.rejected_other += head.rejected_other;
        mine.local_parts.merge(head.local_parts);
        mine.accepted_messages += head.accepted_messages;
        mine.accepted_recipients += head.accepted_recipients;
        if closed {
            self.close_at(key, at);
        }
    }
}

/// The order of the per-connection table: most unknown recipients first,
/// then earliest, then every other field (so that the order never depends on
/// the order connections ended in).
fn conn_order(a: &Conn, b: &Conn) -> std::cmp::Ordering {
    b.rejected_unknown
        .cmp(&a.rejected_unknown)
        .then(a.start.cmp(&b.start))
        .then_with(|| a.ip.cmp(&b.ip))
        .then(a.last.cmp(&b.last))
        .then(a.rejected_other.cmp(&b.rejected_other))
        .then(a.accepted_messages.cmp(&b.accepted_messages))
        .then(a.accepted_recipients.cmp(&b.accepted_recipients))
        .then(
            a.local_parts
                .count()
                .count
                .cmp(&b.local_parts.count().count),
        )
}

/// The kind of a protocol-error line: the text before its details, e.g.
/// `SMTP syntax error`, `SMTP protocol synchronization error`, `dropped: too
/// many syntax or protocol errors`.
fn protocol_kind(line: &LogLine<'_>) -> String {
    let text = line.text().to_string_lossy();
    if let Some(at) = text.find(" dropped: ") {
        let rest = text.get(at + 1..).unwrap_or_default();
        return rest.split(" (").next().unwrap_or(rest).to_string();
    }
    let end = [" in \"", " (", ":", " H="]
        .iter()
        .filter_map(|m| text.find(m))
        .min()
        .unwrap_or(text.len());
    text.get(..end).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests;
