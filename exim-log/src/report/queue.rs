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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::{parse_header, parse_listing};

    /// A spool `-H` file (Exim's spool_out.c layout): the id line, login with
    /// uid and gid, `<sender>`, reception time (the first argument), the envelope lines, the
    /// non-recipients tree (`NN addr` for one delivered address, else `XX`),
    /// the recipients, a blank line, then each header as `NNN  Name: value`,
    /// NNN counting the header's bytes with its newline.
    fn spool_file(
        (id, login, sender, time): (&str, &str, &str, i64),
        envelope: &[&str],
        delivered: Option<&str>,
        recipients: &[&str],
        headers: &[&str],
    ) -> Vec<u8> {
        let mut s = format!("{id}-H\n{login}\n<{sender}>\n{time} 0\n");
        for e in envelope {
            s.push_str(e);
            s.push('\n');
        }
        match delivered {
            Some(a) => s.push_str(&format!("NN {a}\n")),
            None => s.push_str("XX\n"),
        }
        s.push_str(&format!("{}\n", recipients.len()));
        for r in recipients {
            s.push_str(r);
            s.push('\n');
        }
        s.push('\n');
        for h in headers {
            s.push_str(&format!("{:03}  {h}\n", h.len() + 1));
        }
        s.into_bytes()
    }

    /// A message submitted by a web script, with every table's key set: the
    /// login, the SMTP client and its AUTH id, both PHP headers, a subject,
    /// and three recipients, one delivered, two in one domain.
    fn full_message(id: &str, time: i64) -> Vec<u8> {
        spool_file(
            (id, "www 33 33", "shop@shop.example", time),
            &[
                "--host_address [203.0.113.45]:50123",
                "--host_auth dovecot_login",
                "--auth_id spammer@shop.example",
                "-frozen 1796467815",
            ],
            Some("c@sink.example"),
            &["a@Victim.Example", "b@victim.example", "c@sink.example"],
            &[
                "Subject: =?UTF-8?B?Q2Fmw6kgb2ZmZXI=?=",
                "X-PHP-Originating-Script: 1000:mailer.php",
                "X-PHP-Script: www.shop.example/up/mailer.php for 198.51.100.23",
            ],
        )
    }

    /// A local message of `nobody` with its AUTH id but no `-host_auth` (not
    /// an SMTP AUTH login), a bounce, not frozen, one recipient.
    fn local_bounce(id: &str, time: i64) -> Vec<u8> {
        spool_file(
            (id, "nobody 65534 65534", "", time),
            &["-auth_id nobody", "-local"],
            None,
            &["x@Later.Example"],
            &[],
        )
    }

    /// (key, messages, recipients, frozen) of each row of the `g` table.
    fn rows(s: &QueueSummary, g: QueueGroup) -> Vec<(String, u64, u64, u64)> {
        let section = s.sections.iter().find(|x| x.kind == g);
        section.map_or_else(Vec::new, |x| {
            x.rows
                .iter()
                .map(|r| (r.key.clone(), r.messages, r.recipients, r.frozen))
                .collect()
        })
    }

    fn row(key: &str, messages: u64, recipients: u64, frozen: u64) -> (String, u64, u64, u64) {
        (key.to_string(), messages, recipients, frozen)
    }

    #[test]
    fn group_names_and_report_order() {
        let names: Vec<&str> = QueueGroup::ALL.iter().map(QueueGroup::name).collect();
        assert_eq!(
            names,
            [
                "script",
                "user",
                "auth_login",
                "host",
                "sender",
                "php_script",
                "web_script",
                "web_client",
                "subject",
                "recipient_domain"
            ]
        );
        for (i, g) in QueueGroup::ALL.iter().enumerate() {
            assert_eq!(g.index(), i, "{g:?}");
            #[cfg(feature = "serde")]
            assert_eq!(serde_json::to_value(g).unwrap(), g.name());
        }
        let r = QueueReport::new(0).report(10, 1);
        let kinds: Vec<QueueGroup> = r.sections.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, QueueGroup::ALL);
    }

    #[test]
    fn a_spool_file_counts_under_each_of_its_keys() {
        let now = 1_796_470_000;
        let mut q = QueueReport::new(now);
        let full = full_message("1xZnLL-0006bQ-1M", now - 100);
        let bounce = local_bounce("1xZnLL-0006bR-1N", now - 200);
        q.add_header(&parse_header(&full).unwrap());
        q.add_header(&parse_header(&bounce).unwrap());
        let r = q.report(10, 1);
        // 4 recipients, of which c@sink.example is delivered; one frozen
        // message, one bounce.
        assert_eq!(
            r.totals,
            QueueTotals {
                messages: 2,
                frozen: 1,
                bounces: 1,
                recipients: 4,
                undelivered: 3,
                unreadable: 0,
                linked: 0,
            }
        );
        assert!(!r.approximate);
        // Open recipients: 2 for the full message, 1 for the bounce.
        assert_eq!(
            rows(&r, QueueGroup::User),
            [row("nobody (65534)", 1, 1, 0), row("www (33)", 1, 2, 1)]
        );
        assert_eq!(
            rows(&r, QueueGroup::Sender),
            [row("<>", 1, 1, 0), row("shop@shop.example", 1, 2, 1)]
        );
        // `-auth_id` without `-host_auth` is no SMTP AUTH login.
        assert_eq!(
            rows(&r, QueueGroup::AuthLogin),
            [row("spammer@shop.example", 1, 2, 1)]
        );
        assert_eq!(rows(&r, QueueGroup::Host), [row("203.0.113.45", 1, 2, 1)]);
        assert_eq!(
            rows(&r, QueueGroup::PhpScript),
            [row("1000:mailer.php", 1, 2, 1)]
        );
        assert_eq!(
            rows(&r, QueueGroup::WebScript),
            [row("www.shop.example/up/mailer.php", 1, 2, 1)]
        );
        assert_eq!(
            rows(&r, QueueGroup::WebClient),
            [row("198.51.100.23", 1, 2, 1)]
        );
        // The subject decoded (RFC 2047 base64 of "Café offer").
        assert_eq!(
            rows(&r, QueueGroup::Subject),
            [row("Caf\u{e9} offer", 1, 2, 1)]
        );
        // Domains lower-cased, one row per domain with its own open
        // recipients; the delivered one's domain not at all.
        assert_eq!(
            rows(&r, QueueGroup::RecipientDomain),
            [
                row("later.example", 1, 1, 0),
                row("victim.example", 1, 2, 1)
            ]
        );
        assert_eq!(rows(&r, QueueGroup::Script), []);
        let sender = &r.sections[QueueGroup::Sender.index()].rows[1];
        assert_eq!(
            (
                sender.oldest,
                sender.newest,
                sender.ids.clone(),
                sender.more_ids
            ),
            (
                Some(now - 100),
                Some(now - 100),
                vec!["1xZnLL-0006bQ-1M".to_string()],
                false
            )
        );
        // The sections' distinct keys.
        assert_eq!(r.sections[QueueGroup::RecipientDomain.index()].groups, 2);
        assert_eq!(r.sections[QueueGroup::Script.index()].groups, 0);
        // Rows by messages, then key (equal here); none of 2 messages.
        assert!(q.report(10, 2).sections.iter().all(|s| s.rows.is_empty()));
        // Top 1: the heavier row (2 recipients do not make it heavier: by
        // messages, then key).
        assert_eq!(
            rows(&q.report(1, 1), QueueGroup::User),
            [row("nobody (65534)", 1, 1, 0)]
        );
    }

    #[test]
    fn spool_files_through_the_directory_reader() {
        let now = 1_796_470_000;
        let mut q = QueueReport::new(now);
        let file = |header: Vec<u8>, journal: Option<&[u8]>| QueuedFile {
            path: "x-H".into(),
            header,
            data_len: Some(10),
            journal: journal.map(<[u8]>::to_vec),
        };
        // The journal names b@victim.example delivered too.
        q.add_queued(&file(
            full_message("1xZnLL-0006bQ-1M", now - 100),
            Some(b"b@victim.example\n"),
        ));
        q.add_queued(&file(b"junk".to_vec(), None));
        let r = q.report(10, 1);
        assert_eq!(
            (r.totals.messages, r.totals.recipients, r.totals.undelivered),
            (2, 3, 1)
        );
        assert_eq!(r.totals.unreadable, 1);
        assert_eq!(
            r.ages,
            Ages {
                under_1h: 1,
                unknown: 1,
                ..Ages::default()
            }
        );
        assert_eq!(
            rows(&r, QueueGroup::RecipientDomain),
            [row("victim.example", 1, 1, 1)]
        );
    }

    #[test]
    fn ages_at_the_hour_day_and_week() {
        let mut a = Ages::default();
        for m in [
            0,
            59,
            60,
            24 * 60 - 1,
            24 * 60,
            7 * 24 * 60 - 1,
            7 * 24 * 60,
        ] {
            a.add(Some(m));
        }
        a.add(None);
        let expected = Ages {
            under_1h: 2,
            under_1d: 2,
            under_1w: 2,
            older: 1,
            unknown: 1,
        };
        assert_eq!(a, expected);
        let mut b = expected;
        b.merge(expected);
        assert_eq!(
            b,
            Ages {
                under_1h: 4,
                under_1d: 4,
                under_1w: 4,
                older: 2,
                unknown: 2,
            }
        );
        // A spool file's age in whole minutes: 3599 s is 59 minutes, 3600 s
        // an hour.
        let now = 1_796_470_000;
        let mut q = QueueReport::new(now);
        for (k, age) in [3599, 3600, 7 * 86_400].into_iter().enumerate() {
            let f = local_bounce(&format!("1xZnLL-0006bR-1{k}"), now - age);
            q.add_header(&parse_header(&f).unwrap());
        }
        assert_eq!(
            q.report(10, 1).ages,
            Ages {
                under_1h: 1,
                under_1d: 1,
                older: 1,
                ..Ages::default()
            }
        );
    }

    #[test]
    fn listing_records_and_their_linked_arrivals() {
        let bp = b" 2h   540 1xZnLD-0006Ud-23 <nobody@host.example> *** frozen ***\n\
          D a@Victim.example\n\
            b@victim.example\n\
            c@victim.example\n\
         +D child@generated.example\n\
\n\
 8d   560 1xZnLD-0006Ug-24 <>\n\
            d@other.example\n\
\n\
      1xZnLD-0006Uh-25\n\
    *** spool format error: size=12 ***\n\
\n";
        let mut q = QueueReport::new(0);
        q.link(LoggedArrival {
            id: "1xZnLD-0006Ud-23".into(),
            time: "2026-12-05T10:00:00".into(),
            unix_time: 0,
            sender: "nobody@host.example".into(),
            user: Some("nobody".into()),
            auth: Some("login1".into()),
            host: Some("192.0.2.7".into()),
            cwd: Some("/home/u/public_html/up".into()),
        });
        q.link(LoggedArrival {
            id: "1xZnLD-0006Zz-99".into(),
            time: String::new(),
            unix_time: 0,
            sender: String::new(),
            user: None,
            auth: None,
            host: None,
            cwd: Some("/elsewhere".into()),
        });
        for e in parse_listing(bp) {
            q.add_entry(&e.unwrap());
        }
        let r = q.report(10, 1);
        // The generated `+D` address is not a recipient of the message.
        assert_eq!(
            r.totals,
            QueueTotals {
                messages: 3,
                frozen: 1,
                bounces: 1,
                recipients: 4,
                undelivered: 3,
                unreadable: 1,
                linked: 1,
            }
        );
        assert_eq!(
            r.ages,
            Ages {
                under_1d: 1,
                older: 1,
                unknown: 1,
                ..Ages::default()
            }
        );
        assert_eq!(
            rows(&r, QueueGroup::RecipientDomain),
            [
                row("other.example", 1, 1, 0),
                row("victim.example", 1, 2, 1)
            ]
        );
        assert_eq!(
            rows(&r, QueueGroup::Sender),
            [row("<>", 1, 1, 0), row("nobody@host.example", 1, 2, 1)]
        );
        // The linked arrival's cwd=, U=, A= and H=.
        assert_eq!(
            rows(&r, QueueGroup::Script),
            [row("/home/u/public_html/up", 1, 2, 1)]
        );
        assert_eq!(rows(&r, QueueGroup::User), [row("nobody", 1, 2, 1)]);
        assert_eq!(rows(&r, QueueGroup::AuthLogin), [row("login1", 1, 2, 1)]);
        assert_eq!(rows(&r, QueueGroup::Host), [row("192.0.2.7", 1, 2, 1)]);
        // A listing row has no reception times.
        let s = &r.sections[QueueGroup::Script.index()].rows[0];
        assert_eq!((s.oldest, s.newest), (None, None));

        // A spool file links its cwd= only: its own header names the user.
        let mut q = QueueReport::new(1_796_470_000);
        q.link(LoggedArrival {
            id: "1xZnLL-0006bR-1N".into(),
            time: String::new(),
            unix_time: 0,
            sender: String::new(),
            user: Some("linked-user".into()),
            auth: None,
            host: None,
            cwd: Some("/home/u/public_html/up".into()),
        });
        let f = local_bounce("1xZnLL-0006bR-1N", 1_796_469_000);
        q.add_header(&parse_header(&f).unwrap());
        let r = q.report(10, 1);
        assert_eq!(r.totals.linked, 1);
        assert_eq!(
            rows(&r, QueueGroup::Script),
            [row("/home/u/public_html/up", 1, 1, 0)]
        );
        assert_eq!(rows(&r, QueueGroup::User), [row("nobody (65534)", 1, 1, 0)]);
    }

    #[test]
    fn merged_partial_reports_add_up() {
        let now = 1_796_470_000;
        let spool = |id: &str, t: i64| full_message(id, t);
        let mut a = QueueReport::new(now);
        let mut b = QueueReport::new(now);
        a.add_header(&parse_header(&spool("1xZnLL-0006bA-01", now - 300)).unwrap());
        a.add_header(&parse_header(&local_bounce("1xZnLL-0006bB-02", now - 90_000)).unwrap());
        b.add_header(&parse_header(&spool("1xZnLL-0006bC-03", now - 100)).unwrap());
        b.add_header(&parse_header(&spool("1xZnLL-0006bD-04", now - 700)).unwrap());
        b.add_queued(&QueuedFile {
            path: "x-H".into(),
            header: b"junk".to_vec(),
            data_len: None,
            journal: None,
        });
        let bp = b" 2h   540 1xZnLD-0006Ud-23 <shop@shop.example>\n  a@victim.example\n\n";
        for e in parse_listing(bp) {
            b.add_entry(&e.unwrap());
        }
        b.link(LoggedArrival {
            id: "1xZnLD-0006Ud-23".into(),
            time: String::new(),
            unix_time: 0,
            sender: String::new(),
            user: None,
            auth: None,
            host: None,
            cwd: None,
        });
        let bp2 = b" 3h   540 1xZnLD-0006Ud-23 <shop@shop.example>\n  a@victim.example\n\n";
        for e in parse_listing(bp2) {
            b.add_entry(&e.unwrap());
        }
        a.merge(b);
        let r = a.report(10, 1);
        assert_eq!(
            r.totals,
            QueueTotals {
                messages: 7,
                frozen: 3,
                bounces: 1,
                recipients: 3 * 3 + 1 + 1 + 1,
                undelivered: 3 * 2 + 1 + 1 + 1,
                unreadable: 1,
                linked: 1,
            }
        );
        assert_eq!(
            r.ages,
            Ages {
                under_1h: 3,
                under_1d: 2,
                under_1w: 1,
                unknown: 1,
                ..Ages::default()
            }
        );
        // The sender's row of both parts: times from the spool files only,
        // ids in the order added (a's, then b's).
        let s = &r.sections[QueueGroup::Sender.index()].rows[0];
        assert_eq!(
            (s.key.as_str(), s.messages, s.recipients, s.frozen),
            ("shop@shop.example", 5, 3 * 2 + 1 + 1, 3)
        );
        assert_eq!((s.oldest, s.newest), (Some(now - 700), Some(now - 100)));
        assert_eq!(
            s.ids,
            [
                "1xZnLL-0006bA-01",
                "1xZnLL-0006bC-03",
                "1xZnLL-0006bD-04",
                "1xZnLD-0006Ud-23",
                "1xZnLD-0006Ud-23"
            ]
        );
        // The other order: the times of a row of listing records first.
        let mut c = QueueReport::new(now);
        for e in parse_listing(bp) {
            c.add_entry(&e.unwrap());
        }
        let mut d = QueueReport::new(now);
        d.add_header(&parse_header(&spool("1xZnLL-0006bC-03", now - 100)).unwrap());
        d.add_header(&parse_header(&spool("1xZnLL-0006bD-04", now - 700)).unwrap());
        c.merge(d);
        let s = &c.report(10, 1).sections[QueueGroup::Sender.index()].rows[0];
        assert_eq!((s.oldest, s.newest), (Some(now - 700), Some(now - 100)));
        assert_eq!(s.messages, 3);
    }

    /// Totals that both parts have add up: a bounce and a frozen message on
    /// each side (counted by hand from the two spool files of each part).
    #[test]
    fn merged_totals_of_both_sides_add_up() {
        let now = 1_796_470_000;
        let part = |bounce: &str, full: &str| {
            let mut q = QueueReport::new(now);
            q.add_header(&parse_header(&local_bounce(bounce, now - 100)).unwrap());
            q.add_header(&parse_header(&full_message(full, now - 100)).unwrap());
            q
        };
        let mut a = part("1xZnLL-0006bA-01", "1xZnLL-0006bB-02");
        a.merge(part("1xZnLL-0006bC-03", "1xZnLL-0006bD-04"));
        // Each part: 2 messages, 1 bounce, 1 frozen, 1 + 3 recipients of
        // which 1 + 2 not delivered.
        assert_eq!(
            a.report(10, 1).totals,
            QueueTotals {
                messages: 4,
                frozen: 2,
                bounces: 2,
                recipients: 8,
                undelivered: 6,
                unreadable: 0,
                linked: 0,
            }
        );
    }

    #[test]
    fn ids_kept_per_row_up_to_the_cap() {
        let listing = |n: usize, first: usize| {
            let mut bp = Vec::new();
            for k in first..first + n {
                bp.extend_from_slice(
                    format!(" 0m   540 1xZnLD-{k:06}-23 <s@x.example>\n  a@y.example\n\n")
                        .as_bytes(),
                );
            }
            let mut q = QueueReport::new(0);
            for e in parse_listing(&bp) {
                q.add_entry(&e.unwrap());
            }
            q
        };
        let sender = |q: &QueueReport| {
            let r = q.report(1, 1);
            let s = &r.sections[QueueGroup::Sender.index()].rows[0];
            (s.messages, s.ids.len(), s.more_ids, s.ids.last().cloned())
        };
        let last = |k: usize| Some(format!("1xZnLD-{k:06}-23"));
        let full = listing(IDS_PER_ROW, 0);
        assert_eq!(sender(&full), (1000, 1000, false, last(999)));
        let over = listing(IDS_PER_ROW + 1, 0);
        assert_eq!(sender(&over), (1001, 1000, true, last(999)));
        // Merged: a full row stays marked whatever the other part.
        let mut m = listing(IDS_PER_ROW + 1, 0);
        m.merge(listing(1, 5000));
        assert_eq!(sender(&m), (1002, 1000, true, last(999)));
        let mut m = listing(1, 5000);
        m.merge(listing(IDS_PER_ROW + 1, 0));
        assert_eq!(sender(&m), (1002, 1000, true, last(998)));
        let mut m = listing(2, 5000);
        m.merge(listing(3, 0));
        assert_eq!(sender(&m), (5, 5, false, last(2)));
    }

    #[test]
    fn approximate_once_a_table_dropped_keys() {
        let mut q = QueueReport::new(0);
        let bp = b" 0m   540 1xZnLD-000001-23 <a@x.example>\n  a@y.example\n\n\
 0m   540 1xZnLD-000002-23 <b@x.example>\n  a@y.example\n\n\
 0m   540 1xZnLD-000003-23 <c@x.example>\n  a@y.example\n\n";
        q.tables[QueueGroup::Sender.index()] = BoundedMap::new(2);
        for e in parse_listing(bp).take(2) {
            q.add_entry(&e.unwrap());
        }
        assert!(!q.report(10, 1).approximate);
        for e in parse_listing(bp).skip(2) {
            q.add_entry(&e.unwrap());
        }
        assert!(q.report(10, 1).approximate);
    }

    #[test]
    fn sender_and_domain_keys() {
        assert_eq!(sender_key(b""), "<>");
        assert_eq!(sender_key(b"a@b"), "a@b");
        assert_eq!(domain_of(b"\"a@b\"@Mail.Example.ORG"), "mail.example.org");
        assert_eq!(domain_of(b"postmaster"), "postmaster");
        assert_eq!(domain_of(b"x@"), "");
    }
}
