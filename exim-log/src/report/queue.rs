//! The mail queue, grouped the way a spam hunt needs: who submitted the
//! queued messages (local user, SMTP-authenticated login, client host), from
//! which PHP script and web client, with which sender, subject and recipient
//! domains; how old and how many frozen. Fed with spool files
//! ([`crate::reader::QueuedFile`], [`crate::spool::HeaderFile`]) or with the
//! records of an `exim -bp` listing ([`crate::spool::QueueEntry`], which tell
//! only the sender, the recipients, the age and the frozen flag).
//!
//! ```
//! use exim_log::report::queue::{QueueGroup, QueueReport};
//! use exim_log::spool::parse_listing;
//!
//! let bp = b" 2h   540 1xZnLD-0006Ud-23 <nobody@host.example> *** frozen ***\n\
//!           a@victim.example\n\n\
//! 30m   560 1xZnLD-0006Ug-24 <nobody@host.example>\n\
//!           b@victim.example\n\n";
//! let mut q = QueueReport::new(0);
//! for e in parse_listing(bp) {
//!     q.add_entry(&e?);
//! }
//! let r = q.report(10, 1);
//! assert_eq!((r.totals.messages, r.totals.frozen), (2, 1));
//! let senders = r.sections.iter().find(|s| s.kind == QueueGroup::Sender).unwrap();
//! assert_eq!(senders.rows[0].key, "nobody@host.example");
//! assert_eq!(senders.rows[0].ids, ["1xZnLD-0006Ud-23", "1xZnLD-0006Ug-24"]);
//! # Ok::<(), exim_log::spool::SpoolError>(())
//! ```

use std::collections::HashMap;

use super::arrival::LoggedArrival;
use super::bounded::{BoundedMap, Merge, Weight};
use crate::message_id::MessageId;
use crate::reader::QueuedFile;
use crate::spool::{HeaderFile, QueueEntry};

/// Keys kept per table (see [`BoundedMap`]).
pub const GROUP_CAP: usize = 50_000;
/// Message ids kept per row, for `exim -Mrm` and `trace`.
pub const IDS_PER_ROW: usize = 1_000;
/// Subjects longer than this many characters are cut (the key of a table).
const SUBJECT_CHARS: usize = 200;

/// What a table groups the queued messages by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum QueueGroup {
    /// The login and uid that called Exim (`nobody (65534)` for a web script).
    User,
    /// The SMTP-authenticated id (`-auth_id` of a message with `-host_auth`).
    AuthLogin,
    /// The client's IP address (`-host_address`).
    Host,
    /// The envelope sender (`<>` for bounces).
    Sender,
    /// PHP's `X-PHP-Originating-Script` (`uid:script`).
    PhpScript,
    /// cPanel's `X-PHP-Script` site and path (`host/path`).
    WebScript,
    /// The web client of `X-PHP-Script` (`... for IP`).
    WebClient,
    /// The subject.
    Subject,
    /// The domains of the recipients not yet delivered.
    RecipientDomain,
    /// The `cwd=` of the process that submitted the message, from the
    /// mainlog ([`QueueReport::link`]).
    Script,
}

impl QueueGroup {
    /// Every group, in report order.
    pub const ALL: [QueueGroup; 10] = [
        QueueGroup::Script,
        QueueGroup::User,
        QueueGroup::AuthLogin,
        QueueGroup::Host,
        QueueGroup::Sender,
        QueueGroup::PhpScript,
        QueueGroup::WebScript,
        QueueGroup::WebClient,
        QueueGroup::Subject,
        QueueGroup::RecipientDomain,
    ];

    /// The JSON name.
    pub const fn name(&self) -> &'static str {
        match self {
            QueueGroup::User => "user",
            QueueGroup::AuthLogin => "auth_login",
            QueueGroup::Host => "host",
            QueueGroup::Sender => "sender",
            QueueGroup::PhpScript => "php_script",
            QueueGroup::WebScript => "web_script",
            QueueGroup::WebClient => "web_client",
            QueueGroup::Subject => "subject",
            QueueGroup::RecipientDomain => "recipient_domain",
            QueueGroup::Script => "script",
        }
    }

    fn index(self) -> usize {
        QueueGroup::ALL.iter().position(|g| *g == self).unwrap_or(0)
    }
}

/// The counts of one key of a table.
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Stats {
    messages: u64,
    recipients: u64,
    frozen: u64,
    oldest: Option<i64>,
    newest: Option<i64>,
    ids: Vec<String>,
    more_ids: bool,
}

impl Weight for Stats {
    fn weight(&self) -> u64 {
        self.messages
    }
}

impl Merge for Stats {
    fn merge(&mut self, o: Self) {
        self.messages += o.messages;
        self.recipients += o.recipients;
        self.frozen += o.frozen;
        self.oldest = min_opt(self.oldest, o.oldest);
        self.newest = max_opt(self.newest, o.newest);
        for id in o.ids {
            push_id(&mut self.ids, &mut self.more_ids, id);
        }
        self.more_ids |= o.more_ids;
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn push_id(ids: &mut Vec<String>, more: &mut bool, id: String) {
    if ids.len() < IDS_PER_ROW {
        ids.push(id);
    } else {
        *more = true;
    }
}

/// Ages of the queued messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Ages {
    /// Under an hour on the queue.
    pub under_1h: u64,
    /// An hour to a day.
    pub under_1d: u64,
    /// A day to a week.
    pub under_1w: u64,
    /// A week or more.
    pub older: u64,
    /// Age unknown (a listing record without one).
    pub unknown: u64,
}

impl Ages {
    fn add(&mut self, minutes: Option<u64>) {
        match minutes {
            None => self.unknown += 1,
            Some(m) if m < 60 => self.under_1h += 1,
            Some(m) if m < 24 * 60 => self.under_1d += 1,
            Some(m) if m < 7 * 24 * 60 => self.under_1w += 1,
            Some(_) => self.older += 1,
        }
    }

    fn merge(&mut self, o: Ages) {
        self.under_1h += o.under_1h;
        self.under_1d += o.under_1d;
        self.under_1w += o.under_1w;
        self.older += o.older;
        self.unknown += o.unknown;
    }
}

/// Counts over the whole queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct QueueTotals {
    /// Messages.
    pub messages: u64,
    /// Frozen messages.
    pub frozen: u64,
    /// Bounces (empty sender).
    pub bounces: u64,
    /// Recipients, delivered ones included.
    pub recipients: u64,
    /// Recipients not yet delivered.
    pub undelivered: u64,
    /// Spool files that could not be parsed (listed by id only).
    pub unreadable: u64,
    /// Messages whose arrival was found in the mainlog ([`QueueReport::link`]).
    pub linked: u64,
}

/// A table, its key and the recipients counted under it.
type Key<'k> = (QueueGroup, std::borrow::Cow<'k, str>, u64);

/// What is known of one queued message, from a spool file or a listing.
struct Facts<'k> {
    id: String,
    time: Option<i64>,
    minutes: Option<u64>,
    frozen: bool,
    keys: Vec<Key<'k>>,
}

/// The queue report: add messages one at a time, [`QueueReport::merge`]
/// partial reports, then [`QueueReport::report`].
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct QueueReport {
    now: i64,
    totals: QueueTotals,
    ages: Ages,
    tables: Vec<BoundedMap<String, Stats>>,
    links: HashMap<String, LoggedArrival>,
}

impl QueueReport {
    /// An empty report; ages of spool files are counted at `now` (seconds
    /// since the epoch; the listing's records carry their own age).
    pub fn new(now: i64) -> Self {
        QueueReport {
            now,
            totals: QueueTotals::default(),
            ages: Ages::default(),
            tables: QueueGroup::ALL
                .iter()
                .map(|_| BoundedMap::new(GROUP_CAP))
                .collect(),
            links: HashMap::new(),
        }
    }

    /// Links the message `arrival.id`, when it is added later, to its arrival
    /// in the mainlog: its `cwd=` counts under [`QueueGroup::Script`], and a
    /// listing record (which names no user) gets its `U=`, `A=` and `H=`.
    /// Give only the arrivals of queued messages (memory).
    pub fn link(&mut self, arrival: LoggedArrival) {
        self.links.insert(arrival.id.clone(), arrival);
    }

    /// The keys a message's linked arrival adds; `listing`: the record has no
    /// user, login or host of its own.
    fn linked_keys(&mut self, id: &MessageId<'_>, listing: bool, keys: &mut Vec<Key>, open: u64) {
        if self.links.is_empty() {
            return;
        }
        let Some(a) = self.links.get(&id.to_string()) else {
            return;
        };
        self.totals.linked += 1;
        if let Some(cwd) = &a.cwd {
            keys.push((QueueGroup::Script, cwd.clone().into(), open));
        }
        if listing {
            for (group, value) in [
                (QueueGroup::User, &a.user),
                (QueueGroup::AuthLogin, &a.auth),
                (QueueGroup::Host, &a.host),
            ] {
                if let Some(v) = value {
                    keys.push((group, v.clone().into(), open));
                }
            }
        }
    }

    fn record(&mut self, f: Facts<'_>) {
        self.totals.messages += 1;
        self.totals.frozen += u64::from(f.frozen);
        self.ages.add(f.minutes);
        for (group, key, recipients) in f.keys {
            let Some(table) = self.tables.get_mut(group.index()) else {
                continue;
            };
            table.update(key.as_ref(), |s: &mut Stats| {
                s.messages += 1;
                s.recipients += recipients;
                s.frozen += u64::from(f.frozen);
                s.oldest = min_opt(s.oldest, f.time);
                s.newest = max_opt(s.newest, f.time);
                push_id(&mut s.ids, &mut s.more_ids, f.id.clone());
            });
        }
    }

    /// Adds a message read from the spool directory (its `-J` journal counts
    /// as delivered); a file that does not parse is counted as unreadable.
    pub fn add_queued(&mut self, file: &QueuedFile) {
        match file.parse() {
            Ok(h) => self.add_header_with(&h, |a| file.is_delivered(&h, a)),
            Err(_) => {
                self.totals.messages += 1;
                self.totals.unreadable += 1;
                self.ages.add(None);
            }
        }
    }

    /// Adds a parsed `-H` file.
    pub fn add_header(&mut self, h: &HeaderFile<'_>) {
        self.add_header_with(h, |a| h.is_delivered(a));
    }

    fn add_header_with(&mut self, h: &HeaderFile<'_>, delivered: impl Fn(&[u8]) -> bool) {
        let mut all = 0u64;
        let mut open = 0u64;
        let mut domains: Vec<(String, u64)> = Vec::new();
        for r in h.recipients() {
            all += 1;
            if delivered(r.address.as_bytes()) {
                continue;
            }
            open += 1;
            let d = domain_of(r.address.as_bytes());
            match domains.iter_mut().find(|(k, _)| *k == d) {
                Some((_, n)) => *n += 1,
                None => domains.push((d, 1)),
            }
        }
        self.totals.recipients += all;
        self.totals.undelivered += open;
        self.totals.bounces += u64::from(h.sender.is_empty());

        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut keys = vec![
            (
                QueueGroup::User,
                format!("{} ({})", h.login.to_string_lossy(), h.uid).into(),
                open,
            ),
            (
                QueueGroup::Sender,
                sender_key(h.sender.as_bytes()).into(),
                open,
            ),
        ];
        let e = &h.envelope;
        if e.host_auth.is_some()
            && let Some(id) = e.auth_id
        {
            keys.push((QueueGroup::AuthLogin, lossy(id.as_bytes()).into(), open));
        }
        if let Some(a) = e.host_address {
            keys.push((QueueGroup::Host, lossy(a.ip.as_bytes()).into(), open));
        }
        if let Some(s) = h.header("X-PHP-Originating-Script") {
            keys.push((
                QueueGroup::PhpScript,
                s.value().to_string_lossy().trim().to_string().into(),
                open,
            ));
        }
        if let Some(p) = h.php_script() {
            let script = format!("{}{}", p.host.to_string_lossy(), p.path.to_string_lossy());
            keys.push((QueueGroup::WebScript, script.into(), open));
            if let Some(c) = p.client {
                keys.push((QueueGroup::WebClient, lossy(c.as_bytes()).into(), open));
            }
        }
        if let Some(s) = h.subject() {
            // Grouped as a reader sees it (issue 13): RFC 2047 words decoded,
            // like the subjects of `spam-sources`.
            let s: String = crate::mime::decode_header(&s.unfold())
                .trim()
                .chars()
                .take(SUBJECT_CHARS)
                .collect();
            keys.push((QueueGroup::Subject, s.into(), open));
        }
        for (d, n) in domains {
            keys.push((QueueGroup::RecipientDomain, d.into(), n));
        }
        self.linked_keys(&h.id, false, &mut keys, open);
        let minutes = u64::try_from(self.now.saturating_sub(h.received_time) / 60).unwrap_or(0);
        self.record(Facts {
            id: h.id.to_string(),
            time: Some(h.received_time),
            minutes: Some(minutes),
            frozen: h.envelope.frozen.is_some(),
            keys,
        });
    }

    /// Adds a record of an `exim -bp` listing: sender, recipients (`D` ones as
    /// delivered), age and frozen flag; the other tables need spool files.
    pub fn add_entry(&mut self, e: &QueueEntry<'_>) {
        let mut all = 0u64;
        let mut open = 0u64;
        let mut domains: Vec<(String, u64)> = Vec::new();
        for r in e.recipients().filter(|r| !r.generated) {
            all += 1;
            if r.delivered {
                continue;
            }
            open += 1;
            let d = domain_of(r.address.as_bytes());
            match domains.iter_mut().find(|(k, _)| *k == d) {
                Some((_, n)) => *n += 1,
                None => domains.push((d, 1)),
            }
        }
        self.totals.recipients += all;
        self.totals.undelivered += open;
        let mut keys = Vec::new();
        if let Some(s) = e.sender {
            self.totals.bounces += u64::from(s.is_empty());
            keys.push((QueueGroup::Sender, sender_key(s.as_bytes()).into(), open));
        }
        if e.error.is_some() {
            self.totals.unreadable += 1;
        }
        for (d, n) in domains {
            keys.push((QueueGroup::RecipientDomain, d.into(), n));
        }
        self.linked_keys(&e.id, true, &mut keys, open);
        self.record(Facts {
            id: e.id.to_string(),
            time: None,
            minutes: e.age.map(|a| a.minutes()),
            frozen: e.frozen,
            keys,
        });
    }

    /// Adds a partial report counted over other messages.
    pub fn merge(&mut self, other: QueueReport) {
        let t = other.totals;
        self.totals.messages += t.messages;
        self.totals.frozen += t.frozen;
        self.totals.bounces += t.bounces;
        self.totals.recipients += t.recipients;
        self.totals.undelivered += t.undelivered;
        self.totals.unreadable += t.unreadable;
        self.totals.linked += t.linked;
        self.links.extend(other.links);
        self.ages.merge(other.ages);
        for (mine, theirs) in self.tables.iter_mut().zip(other.tables) {
            mine.merge(theirs);
        }
    }

    /// The result: `top` rows per table, rows of at least `threshold` messages.
    pub fn report(&self, top: usize, threshold: u64) -> QueueSummary {
        let sections = QueueGroup::ALL
            .iter()
            .zip(&self.tables)
            .map(|(kind, table)| QueueSection {
                kind: *kind,
                groups: table.len() as u64,
                rows: table
                    .top(top, threshold.max(1))
                    .into_iter()
                    .map(|(k, s)| QueueRow {
                        key: k.clone(),
                        messages: s.messages,
                        recipients: s.recipients,
                        frozen: s.frozen,
                        oldest: s.oldest,
                        newest: s.newest,
                        ids: s.ids.clone(),
                        more_ids: s.more_ids,
                    })
                    .collect(),
            })
            .collect();
        QueueSummary {
            totals: self.totals,
            ages: self.ages,
            sections,
            approximate: self.tables.iter().any(|t| t.dropped() > 0),
        }
    }
}

fn sender_key(s: &[u8]) -> String {
    if s.is_empty() {
        "<>".to_string()
    } else {
        String::from_utf8_lossy(s).into_owned()
    }
}

/// The lower-cased domain of an address (after the last `@`; the whole
/// address when it has none).
fn domain_of(a: &[u8]) -> String {
    let d = match memchr::memrchr(b'@', a) {
        Some(at) => a.get(at + 1..).unwrap_or_default(),
        None => a,
    };
    String::from_utf8_lossy(d).to_ascii_lowercase()
}

/// The result of [`QueueReport::report`]: the `--json` document of `queue`.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct QueueSummary {
    /// Counts over the whole queue.
    pub totals: QueueTotals,
    /// How long the messages have waited.
    pub ages: Ages,
    /// One table per [`QueueGroup`].
    pub sections: Vec<QueueSection>,
    /// True when a table dropped light keys to bound memory.
    pub approximate: bool,
}

/// One table.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct QueueSection {
    /// What the rows are.
    pub kind: QueueGroup,
    /// Distinct keys seen.
    pub groups: u64,
    /// The top rows, most messages first.
    pub rows: Vec<QueueRow>,
}

/// One key of a table.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct QueueRow {
    /// The user, login, IP, sender, script, subject or domain.
    pub key: String,
    /// Queued messages.
    pub messages: u64,
    /// Their recipients not yet delivered (for `recipient_domain`: those of
    /// this domain).
    pub recipients: u64,
    /// Of the messages, frozen ones.
    pub frozen: u64,
    /// Reception time of the oldest (spool files only).
    pub oldest: Option<i64>,
    /// Reception time of the newest (spool files only).
    pub newest: Option<i64>,
    /// The message ids, in the order added (at most [`IDS_PER_ROW`]): for
    /// `exim -Mrm` or `exim-log trace`.
    pub ids: Vec<String>,
    /// True when there were more ids than kept.
    pub more_ids: bool,
}
