//! The abuse report as a value: the rows of each table, built from the
//! counting state ([`AbuseReport::report`]); the text and JSON renderings
//! are the CLI's and serde's.

use super::*;

impl AbuseReport {
    pub(super) fn build(&self, top: usize, threshold: u64) -> Report {
        let mut conns: Vec<&Conn> = self
            .connections
            .iter()
            .filter(|c| c.rejected_unknown >= threshold)
            .collect();
        // Only the first `top` are sorted (the others partitioned away in
        // linear time); `conn_order` ties only rows that render the same.
        if top < conns.len() {
            conns.select_nth_unstable_by(top, |a, b| conn_order(a, b));
            conns.truncate(top);
        }
        conns.sort_unstable_by(|a, b| conn_order(a, b));
        let dictionary = Dictionary {
            rejected_unknown: self
                .dict_hosts
                .iter()
                .map(|(_, h)| h.rejected_unknown)
                .sum(),
            hosts_seen: self.dict_hosts.len() as u64,
            connections_seen: self.connections_seen,
            hosts: self
                .dict_hosts
                .top(top, threshold)
                .into_iter()
                .map(|(ip, h)| DictHostRow {
                    ip: ip.clone(),
                    rejected_unknown: h.rejected_unknown,
                    local_parts: h.local_parts.count(),
                    rejected_other: self.rcpt_other.get(ip.as_str()).copied().unwrap_or(0),
                    connections: h.connections,
                    accepted_messages: h.accepted_messages,
                    accepted_recipients: h.accepted_recipients,
                    first_seen: h.first.map(|t| t.to_string()),
                    last_seen: h.last.map(|t| t.to_string()),
                })
                .collect(),
            connections: conns
                .into_iter()
                .map(|c| ConnRow {
                    ip: c.ip.clone(),
                    start: c.start.to_string(),
                    end: c.last.to_string(),
                    rejected_unknown: c.rejected_unknown,
                    local_parts: c.local_parts.count(),
                    rejected_other: c.rejected_other,
                    accepted_messages: c.accepted_messages,
                    accepted_recipients: c.accepted_recipients,
                })
                .collect(),
        };
        let mut offenders: Vec<(&String, &Offense)> = self
            .offenders
            .iter()
            .filter(|(_, o)| o.weight() >= threshold)
            .collect();
        offenders.sort_by(|a, b| b.1.weight().cmp(&a.1.weight()).then(a.0.cmp(b.0)));
        let mut bounds = Bounds::of(&self.tables(), self.budget);
        // The open connections: `into_report` ended them all before this
        // (`open_bytes` is 0 here), so they hold nothing; those closed
        // early to keep to their share of the budget count as hits. (Their
        // peak is not counted: it depends on how the input was cut for
        // threads, and the report must not.)
        bounds.memory.hits += self.open_evicted;
        Report {
            lines: self.lines,
            first: self.first.map(|t| t.to_string()),
            last: self.last.map(|t| t.to_string()),
            threshold,
            dictionary,
            rbl: Section {
                total: self.rbl_lists.total(),
                by_key: self.rbl_lists.rows(top, 1),
                by_host: self.rbl_hosts.rows(top, threshold),
            },
            helo: Section {
                total: self.helo_reasons.total(),
                by_key: self.helo_reasons.rows(top, 1),
                by_host: self.helo_hosts.rows(top, threshold),
            },
            sender_verify: SenderVerifySection {
                failed: self.verify_fail,
                deferred: self.verify_defer,
                by_domain: self.verify_domains.rows(top, 1),
                by_host: self.verify_hosts.rows(top, threshold),
            },
            auth: Section {
                total: self.auth_hosts.total(),
                by_key: self.auth_logins.rows(top, 1),
                by_host: self.auth_hosts.rows(top, threshold),
            },
            protocol: Section {
                total: self.protocol_kinds.total(),
                by_key: self.protocol_kinds.rows(top, 1),
                by_host: self.protocol_hosts.rows(top, threshold),
            },
            other_rejections: Section {
                total: self.other_reasons.total(),
                by_key: self.other_reasons.rows(top, 1),
                by_host: Vec::new(),
            },
            offenders: offenders
                .into_iter()
                .map(|(ip, o)| Offender {
                    ip: ip.clone(),
                    events: o.weight(),
                    counts: o.clone(),
                    first_seen: o.first.map(|t| t.to_string()),
                    last_seen: o.last.map(|t| t.to_string()),
                })
                .collect(),
            bounds,
        }
    }
}

/// The `--json` document of `abuse-report`.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Report {
    /// Lines counted (inside the window).
    pub lines: u64,
    /// First line counted.
    pub first: Option<String>,
    /// Last line counted.
    pub last: Option<String>,
    /// The threshold used for host rows and offenders.
    pub threshold: u64,
    /// Dictionary attacks.
    pub dictionary: Dictionary,
    /// RBL rejections: `by_key` is by list, `distinct` counting hosts.
    pub rbl: Section,
    /// HELO/EHLO rejections: `by_key` is by reason.
    pub helo: Section,
    /// Sender verification failures.
    pub sender_verify: SenderVerifySection,
    /// AUTH failures: `by_key` is by login tried, `distinct` counting hosts;
    /// `by_host` has `distinct` logins.
    pub auth: Section,
    /// SMTP protocol errors: `by_key` is by kind.
    pub protocol: Section,
    /// Other rejections (MAIL, DATA, connect, other RCPT reasons) by reason.
    pub other_rejections: Section,
    /// IPs with at least `threshold` offender events in total, most events first.
    pub offenders: Vec<Offender>,
    /// How the tables kept to the memory budget (`approximate`,
    /// `truncated_keys`, `memory`: flattened into the JSON).
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub bounds: Bounds,
}

/// Dictionary attacks.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Dictionary {
    /// RCPTs rejected as unknown, in all.
    pub rejected_unknown: u64,
    /// Hosts with at least one.
    pub hosts_seen: u64,
    /// Connections with at least one.
    pub connections_seen: u64,
    /// Top hosts.
    pub hosts: Vec<DictHostRow>,
    /// Top connections.
    pub connections: Vec<ConnRow>,
}

/// A host guessing recipients.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct DictHostRow {
    /// Its IP.
    pub ip: String,
    /// RCPTs rejected as unknown.
    pub rejected_unknown: u64,
    /// Distinct local parts tried.
    pub local_parts: Distinct,
    /// RCPTs rejected for other reasons.
    pub rejected_other: u64,
    /// Its connections with unknown-recipient rejections.
    pub connections: u64,
    /// Messages accepted in those connections.
    pub accepted_messages: u64,
    /// Recipients of those messages (`+received_recipients`).
    pub accepted_recipients: u64,
    /// First rejection.
    pub first_seen: Option<String>,
    /// Last rejection.
    pub last_seen: Option<String>,
}

/// One SMTP connection guessing recipients.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConnRow {
    /// The client IP.
    pub ip: String,
    /// Its first line.
    pub start: String,
    /// Its last line.
    pub end: String,
    /// RCPTs rejected as unknown.
    pub rejected_unknown: u64,
    /// Distinct local parts tried.
    pub local_parts: Distinct,
    /// RCPTs rejected for other reasons.
    pub rejected_other: u64,
    /// Messages accepted.
    pub accepted_messages: u64,
    /// Their recipients.
    pub accepted_recipients: u64,
}

/// One kind of abuse: a total, a table by key and a table by host.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Section {
    /// Events in all.
    pub total: u64,
    /// By list / reason / login / kind.
    pub by_key: Vec<Row>,
    /// By host IP.
    pub by_host: Vec<Row>,
}

/// Sender verification failures.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SenderVerifySection {
    /// `sender verify fail` lines.
    pub failed: u64,
    /// `sender verify defer` lines.
    pub deferred: u64,
    /// By sender domain (`distinct`: hosts).
    pub by_domain: Vec<Row>,
    /// By host (`distinct`: addresses).
    pub by_host: Vec<Row>,
}

/// A key, its count, its distinct companions and its time span.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Row {
    /// The key.
    pub key: String,
    /// Events.
    pub count: u64,
    /// Distinct companions (hosts of a list, logins of a host, ...).
    pub distinct: Distinct,
    /// First event.
    pub first_seen: Option<String>,
    /// Last event.
    pub last_seen: Option<String>,
}

/// An IP a firewall could block.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Offender {
    /// The IP.
    pub ip: String,
    /// Events of every kind.
    pub events: u64,
    /// Events per kind.
    pub counts: Offense,
    /// First event.
    pub first_seen: Option<String>,
    /// Last event.
    pub last_seen: Option<String>,
}
