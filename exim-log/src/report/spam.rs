//! `spam-sources`: who sends the mail leaving this server.
//!
//! Every message with its arrival (`<=`) in the time window is attributed to
//! the sources it came from (the seed's two cases of outbound spam, a
//! compromised script and a compromised account, plus relays):
//!
//! * **script**: the `cwd=` directory of the process that submitted a local
//!   message (`+arguments`), linked by the assembler
//!   ([`crate::assemble::Message::submission`]);
//! * **user**: `U=` of a local submission (no `H=`; bounces, sender `<>`, are
//!   left out, they are counted against the message that caused them);
//! * **login**: the authenticated id of `A=authenticator:id` (the
//!   authenticator name when no id is logged);
//! * **host**: the sending IP of mail received from a host without
//!   authentication and delivered to at least one remote host (relayed).
//!
//! A local message counts under both its script and its user. For each source:
//! messages, recipients (the `for` list with `+received_recipients`, otherwise
//! the distinct addresses of its delivery lines), distinct recipient domains,
//! deliveries, failed (`**`) and deferred (`==`) lines, bounce messages
//! generated, bytes, top subjects (`+subject`), first and last seen, and the id
//! of its first message, to give to `trace`.

use std::borrow::Cow;

use crate::assemble::{LineFields, LineKind, Message, MessageLine};
use crate::hash::Map;
use crate::message_id::IdBuf;
use crate::text::{Escaping, Quoted};
use crate::{Flag, LogLine, Timestamp};

use super::bounded::{
    BoundedMap, Bounds, CappedSet, Distinct, Merge, RebalanceClock, Weight, rebalance_budget,
};
use super::{TimeWindow, merge_span, widen_span};
use crate::budget::MemoryBudget;

/// Most distinct recipient domains remembered per source.
pub const DOMAINS_CAP: usize = 10_000;
/// Most distinct subjects tracked per source.
pub const SUBJECTS_CAP: usize = 64;

/// What a source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SourceKind {
    /// `cwd=` directory of a local submission.
    Script,
    /// `U=` of a local submission.
    User,
    /// Authenticated id (`A=`).
    Login,
    /// Sending IP of relayed mail.
    Host,
}

impl SourceKind {
    /// Every kind, in report order.
    pub const ALL: [SourceKind; 4] = [
        SourceKind::Script,
        SourceKind::User,
        SourceKind::Login,
        SourceKind::Host,
    ];

    /// The singular name, as in `script`.
    pub const fn name(&self) -> &'static str {
        match self {
            SourceKind::Script => "script",
            SourceKind::User => "user",
            SourceKind::Login => "login",
            SourceKind::Host => "host",
        }
    }
}

/// What is kept per source while reading.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Stats {
    label: Option<String>,
    messages: u64,
    recipients: u64,
    domains: CappedSet,
    delivered: u64,
    failed: u64,
    deferred: u64,
    bounce_messages: u64,
    bytes: u64,
    subjects: BoundedMap<String, u64>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    example: Option<String>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            label: None,
            messages: 0,
            recipients: 0,
            domains: CappedSet::new(DOMAINS_CAP),
            delivered: 0,
            failed: 0,
            deferred: 0,
            bounce_messages: 0,
            bytes: 0,
            subjects: BoundedMap::new(SUBJECTS_CAP),
            first: None,
            last: None,
            example: None,
        }
    }
}

impl Merge for Stats {
    fn merge(&mut self, o: Self) {
        if self.label.is_none() {
            self.label = o.label;
        }
        self.messages += o.messages;
        self.recipients += o.recipients;
        self.domains.merge(o.domains);
        self.delivered += o.delivered;
        self.failed += o.failed;
        self.deferred += o.deferred;
        self.bounce_messages += o.bounce_messages;
        self.bytes += o.bytes;
        self.subjects.merge(o.subjects);
        if merge_span(&mut self.first, &mut self.last, o.first, o.last) || self.example.is_none() {
            self.example = o.example;
        }
    }
}

impl Weight for Stats {
    fn weight(&self) -> u64 {
        self.messages
    }

    fn heap_bytes(&self) -> usize {
        self.domains.bytes()
            + self.subjects.bytes()
            + self.label.as_ref().map_or(0, String::len)
            + self.example.as_ref().map_or(0, String::len)
    }
}

/// One message, reduced to what the tables need.
#[derive(Debug, Default)]
struct Facts<'a> {
    id: &'a str,
    time: Option<Timestamp>,
    /// How many recipients.
    recipients: u64,
    /// Their distinct domains, lower-cased: found once per message (which
    /// counts for up to two sources), borrowed from the message's lines when
    /// they are UTF-8 and lower case (nearly always).
    domains: Vec<Cow<'a, str>>,
    delivered: u64,
    failed: u64,
    deferred: u64,
    bounces: u64,
    size: u64,
    subject: Option<&'a str>,
}

/// Subjects as a reader sees them ([`Quoted::header_text`]), by their text
/// as logged: the messages of a campaign share a few, and decoding one
/// (escapes, encoded words, charsets) into a new string cost about 900
/// instructions a message (callgrind). At most [`SubjectMemo::MAX`]
/// subjects of at most [`SubjectMemo::LONGEST`] bytes (about 200 KB), then
/// it starts again; longer ones are decoded each time.
#[derive(Clone, Debug, Default)]
struct SubjectMemo {
    decoded: Map<Box<[u8]>, (Escaping, String)>,
    /// A subject too long to remember, decoded last.
    long: String,
}

impl SubjectMemo {
    const MAX: usize = 256;
    const LONGEST: usize = 256;

    /// `q.header_text()`.
    fn get(&mut self, q: Quoted<'_>) -> &str {
        let raw = q.raw();
        if raw.len() > Self::LONGEST {
            self.long = q.header_text();
            return &self.long;
        }
        let known = matches!(self.decoded.get(raw), Some((e, _)) if *e == q.escaping());
        if !known {
            if self.decoded.len() >= Self::MAX {
                self.decoded.clear();
            }
            self.decoded
                .insert(raw.into(), (q.escaping(), q.header_text()));
        }
        self.decoded.get(raw).map_or("", |(_, s)| s.as_str())
    }
}

impl Stats {
    fn add(&mut self, f: &Facts<'_>) {
        self.messages += 1;
        self.recipients += f.recipients;
        for d in &f.domains {
            self.domains.insert(d);
        }
        self.delivered += f.delivered;
        self.failed += f.failed;
        self.deferred += f.deferred;
        self.bounce_messages += f.bounces;
        self.bytes += f.size;
        if let Some(s) = f.subject {
            self.subjects.bump(s);
        }
        // The example is replaced nearly every message (they come in time
        // order): its buffer is reused, not allocated again.
        let newest = f
            .time
            .is_some_and(|t| widen_span(&mut self.first, &mut self.last, t));
        if newest || self.example.is_none() {
            let example = self.example.get_or_insert_with(String::new);
            example.clear();
            example.push_str(f.id);
        }
    }
}

/// The number of `recipients` and their distinct domains, lower-cased (a
/// set of the domains is what the tables keep: duplicates and order do not
/// change it).
fn recipients_and_domains<'a>(
    recipients: impl Iterator<Item = Cow<'a, str>>,
) -> (u64, Vec<Cow<'a, str>>) {
    let (mut count, mut domains) = (0, Vec::new());
    for r in recipients {
        count += 1;
        // Lower-cased only when it has upper case (no copy otherwise).
        let lower = |d: &str| d.to_ascii_lowercase();
        let domain = match r {
            Cow::Borrowed(r) => super::classify::domain_part(r).map(|d| {
                if d.bytes().any(|b| b.is_ascii_uppercase()) {
                    Cow::Owned(lower(d))
                } else {
                    Cow::Borrowed(d)
                }
            }),
            Cow::Owned(r) => super::classify::domain_part(&r).map(|d| Cow::Owned(lower(d))),
        };
        domains.extend(domain);
    }
    domains.sort_unstable();
    domains.dedup();
    (count, domains)
}

/// What a message's lines add up to: deliveries (`=>`, `->`, ...), failures
/// (`**`), deferrals (`==`), and whether one of them went to a remote host.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    delivered: u64,
    failed: u64,
    deferred: u64,
    remote: bool,
}

impl Tally {
    /// A delivery, failure or deferral: a line whose address counts as a
    /// recipient when the arrival lists none.
    fn addressed(kind: LineKind) -> bool {
        matches!(
            kind,
            LineKind::Delivery | LineKind::Failure | LineKind::Deferral
        )
    }

    fn line<L: LineFields>(&mut self, l: &L) {
        match l.kind() {
            LineKind::Delivery => {
                self.delivered += 1;
                self.remote |= l.has_host();
            }
            LineKind::Failure => self.failed += 1,
            LineKind::Deferral => {
                self.deferred += 1;
                self.remote |= l.has_host();
            }
            _ => {}
        }
    }
}

/// What [`SpamSources::add_message_line`] keeps of a message in flight.
#[derive(Clone, Debug, Default)]
struct Open {
    /// Its first arrival (`<=`) line, copied.
    arrival: Option<MessageLine>,
    tally: Tally,
    /// The addresses of its delivery, failure and deferral lines, while
    /// they may be needed (no arrival read yet, or one without recipients).
    to: Vec<Box<[u8]>>,
}

impl Open {
    /// Bytes counted for a message's entry besides its text: the entry in
    /// the table (twice: the table keeps spare slots) and the first
    /// allocation of the arrival's copy (allocator rounding, generous).
    const OVERHEAD: usize = 2 * std::mem::size_of::<(IdBuf, Open)>() + 64;
    /// Bytes counted per address kept besides its text (its box, twice:
    /// the vector doubles as it grows).
    const ADDRESS_OVERHEAD: usize = 2 * std::mem::size_of::<Box<[u8]>>();
}

/// Counts over every message read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Totals {
    /// Arrivals (`<=`) in the window, bounces included.
    pub messages: u64,
    /// Local submissions (no `H=`, sender not `<>`).
    pub local: u64,
    /// Local submissions linked to a `cwd=` line.
    pub local_with_script: u64,
    /// Authenticated submissions (`A=`).
    pub authenticated: u64,
    /// Unauthenticated mail from a host, delivered to a remote host.
    pub relayed: u64,
    /// Unauthenticated mail from a host delivered only locally (inbound).
    pub inbound: u64,
    /// Bounces generated here (`<= <>`).
    pub bounces: u64,
    /// Messages whose arrival is not in the input (started before it).
    pub without_arrival: u64,
    /// The first arrival counted.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub first: Option<String>,
    /// The last arrival counted.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub last: Option<String>,
}

/// One table per [`SourceKind`].
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Tables {
    script: BoundedMap<String, Stats>,
    user: BoundedMap<String, Stats>,
    login: BoundedMap<String, Stats>,
    host: BoundedMap<String, Stats>,
}

impl Tables {
    /// Empty tables of a report with `budget` ([`BoundedMap::for_budget`]).
    fn new(budget: MemoryBudget) -> Self {
        Tables {
            script: BoundedMap::for_budget(budget),
            user: BoundedMap::for_budget(budget),
            login: BoundedMap::for_budget(budget),
            host: BoundedMap::for_budget(budget),
        }
    }

    fn get(&self, kind: SourceKind) -> &BoundedMap<String, Stats> {
        match kind {
            SourceKind::Script => &self.script,
            SourceKind::User => &self.user,
            SourceKind::Login => &self.login,
            SourceKind::Host => &self.host,
        }
    }

    fn get_mut(&mut self, kind: SourceKind) -> &mut BoundedMap<String, Stats> {
        match kind {
            SourceKind::Script => &mut self.script,
            SourceKind::User => &mut self.user,
            SourceKind::Login => &mut self.login,
            SourceKind::Host => &mut self.host,
        }
    }
}

/// The totals as state: the counters alone, every field always written, so
/// the state also travels in formats that are not self-describing (the Python
/// `Report`'s binary pickle). `first`/`last` are the report's, filled from
/// [`SpamSources`]' own timestamps when it is made.
#[cfg(feature = "serde")]
mod totals_state {
    use super::Totals;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type State = (u64, u64, u64, u64, u64, u64, u64, u64);

    pub(super) fn serialize<S: Serializer>(t: &Totals, s: S) -> Result<S::Ok, S::Error> {
        let state: State = (
            t.messages,
            t.local,
            t.local_with_script,
            t.authenticated,
            t.relayed,
            t.inbound,
            t.bounces,
            t.without_arrival,
        );
        state.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Totals, D::Error> {
        let (
            messages,
            local,
            local_with_script,
            authenticated,
            relayed,
            inbound,
            bounces,
            without_arrival,
        ) = State::deserialize(d)?;
        Ok(Totals {
            messages,
            local,
            local_with_script,
            authenticated,
            relayed,
            inbound,
            bounces,
            without_arrival,
            first: None,
            last: None,
        })
    }
}

/// The aggregator: feed it every assembled message with [`SpamSources::add`].
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SpamSources {
    window: TimeWindow,
    budget: MemoryBudget,
    tables: Tables,
    #[cfg_attr(feature = "serde", serde(with = "totals_state"))]
    totals: Totals,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    #[cfg_attr(feature = "serde", serde(skip))]
    subject_memo: SubjectMemo,
    /// The messages in flight whose lines were taken as they were read
    /// ([`SpamSources::add_message_line`]; empty when messages come with
    /// their lines).
    #[cfg_attr(feature = "serde", serde(skip))]
    open: Map<IdBuf, Open>,
    /// Messages counted since the tables' budget was last shared out again
    /// ([`rebalance_budget`]).
    #[cfg_attr(feature = "serde", serde(skip))]
    since_rebalance: RebalanceClock,
}

impl SpamSources {
    /// An empty aggregator counting messages that arrived inside `window`.
    pub fn new(window: TimeWindow) -> Self {
        SpamSources::with_budget(window, MemoryBudget::DEFAULT)
    }

    /// An empty aggregator whose tables hold at most `budget` bytes in all.
    pub fn with_budget(window: TimeWindow, budget: MemoryBudget) -> Self {
        let mut s = SpamSources {
            window,
            budget,
            tables: Tables::new(budget),
            totals: Totals::default(),
            first: None,
            last: None,
            subject_memo: SubjectMemo::default(),
            open: Map::default(),
            since_rebalance: RebalanceClock::default(),
        };
        s.rebalance(&[]);
        s
    }

    /// Shares the budget among the four tables by what each holds and how
    /// fast it grows (and `coming`: what a merge adds to each), from equal
    /// first shares, see [`rebalance_budget`].
    fn rebalance(&mut self, coming: &[usize]) {
        let t = &mut self.tables;
        rebalance_budget(
            &mut [&mut t.script, &mut t.user, &mut t.login, &mut t.host],
            coming,
            self.budget.get(),
            &[self.budget.get() / 4; 4],
        );
    }

    /// Adds the counts of `other`, made over later input (another thread's
    /// share of the messages, the next file): the result is what one pass
    /// over both inputs gives, as long as each message was whole in one part.
    pub fn merge(&mut self, other: SpamSources) {
        // Room for both parts' tables first, where the budget allows.
        let o = &other.tables;
        let coming = [&o.script, &o.user, &o.login, &o.host].map(|t| t.usage().bytes);
        self.rebalance(&coming);
        let (t, o) = (&mut self.totals, other.totals);
        t.messages += o.messages;
        t.local += o.local;
        t.local_with_script += o.local_with_script;
        t.authenticated += o.authenticated;
        t.relayed += o.relayed;
        t.inbound += o.inbound;
        t.bounces += o.bounces;
        t.without_arrival += o.without_arrival;
        merge_span(&mut self.first, &mut self.last, other.first, other.last);
        let Tables {
            script,
            user,
            login,
            host,
        } = other.tables;
        self.tables.script.merge(script);
        self.tables.user.merge(user);
        self.tables.login.merge(login);
        self.tables.host.merge(host);
    }

    /// Counts one message. A message of an assembler that keeps no lines
    /// ([`AssemblerOptions::keep_lines`]) is counted from what
    /// [`SpamSources::add_message_line`] kept of its lines.
    ///
    /// [`AssemblerOptions::keep_lines`]: crate::assemble::AssemblerOptions::keep_lines
    pub fn add(&mut self, m: &Message) {
        if self.since_rebalance.due() {
            self.rebalance(&[]);
        }
        if !self.open.is_empty()
            && let Some(open) = self.open.remove(&m.id_buf())
        {
            let to = || {
                let mut to: Vec<Cow<'_, str>> =
                    open.to.iter().map(|a| String::from_utf8_lossy(a)).collect();
                to.sort_unstable();
                to.dedup();
                to
            };
            self.count(m, open.arrival.as_ref(), open.tally, to);
            return;
        }
        // Counted from what the assembler kept of each line: no line is
        // parsed again.
        let mut tally = Tally::default();
        let mut arrival = None;
        for l in &m.lines {
            if l.kind() == LineKind::Arrival && l.flag() == Some(Flag::Arrival) && arrival.is_none()
            {
                arrival = Some(l);
            }
            tally.line(l);
        }
        let to = || {
            // The distinct addresses of its delivery lines.
            let mut to: Vec<Cow<'_, str>> = m
                .lines
                .iter()
                .filter(|l| Tally::addressed(l.kind()))
                .map(|l| l.address().unwrap_or_default().to_string_lossy())
                .collect();
            to.sort_unstable();
            to.dedup();
            to
        };
        self.count(m, arrival, tally, to);
    }

    /// Takes one line of a message as it is read, from its parse, for an
    /// assembler that keeps no lines
    /// ([`AssemblerOptions::keep_lines`]`(false)`): give it every line the
    /// assembler took as a message's ([`Assembler::push_parsed`] true, not
    /// an args line) after the items that push emitted went to
    /// [`SpamSources::add`], and the emitted messages to
    /// [`SpamSources::add`] as usual: the result is the one of messages
    /// with their lines. What the message's count needs is held here while
    /// it is in flight: a copy of its arrival line, its delivery counts and,
    /// when the arrival has no recipients list, the addresses delivered to.
    ///
    /// Returns the bytes this line added to what is held for its message:
    /// give them to [`Assembler::hold`] for the line's id, so the
    /// assembler's memory budget counts them and flushes the message early
    /// (to [`SpamSources::add`], which lets them go) like one whose lines it
    /// keeps. Without that, a message with many deliveries to long
    /// addresses would grow here without bound.
    ///
    /// [`AssemblerOptions::keep_lines`]: crate::assemble::AssemblerOptions::keep_lines
    /// [`Assembler::push_parsed`]: crate::assemble::Assembler::push_parsed
    /// [`Assembler::hold`]: crate::assemble::Assembler::hold
    pub fn add_message_line(&mut self, line: &LogLine<'_>) -> usize {
        let kind = line.kind();
        let arrival = kind == LineKind::Arrival && line.flag == Some(Flag::Arrival);
        if !arrival && !Tally::addressed(kind) {
            // Nothing else counts here.
            return 0;
        }
        let Some(id) = line.message_id.and_then(|id| IdBuf::new(id.as_bytes())) else {
            return 0;
        };
        let mut held = 0;
        let open = self.open.entry(id).or_insert_with(|| {
            held += Open::OVERHEAD;
            Open::default()
        });
        if arrival && open.arrival.is_none() {
            let copy = MessageLine::of_parse(line);
            held += copy.raw().len();
            open.arrival = Some(copy);
        }
        open.tally.line(line);
        if Tally::addressed(kind)
            && open
                .arrival
                .as_ref()
                .is_none_or(|a| a.recipients().is_none())
        {
            let address: Box<[u8]> = line.address().unwrap_or_default().as_bytes().into();
            held += address.len() + Open::ADDRESS_OVERHEAD;
            open.to.push(address);
        }
        held
    }

    /// The bytes held for the messages in flight
    /// ([`SpamSources::add_message_line`]), counted as it counts them.
    #[cfg(test)]
    fn open_bytes(&self) -> usize {
        self.open
            .values()
            .map(|o| {
                Open::OVERHEAD
                    + o.arrival.as_ref().map_or(0, |a| a.raw().len())
                    + o.to
                        .iter()
                        .map(|a| a.len() + Open::ADDRESS_OVERHEAD)
                        .sum::<usize>()
            })
            .sum()
    }

    /// Counts message `m`: its first arrival, the tally of its lines, the
    /// distinct addresses of its delivery lines (`to`, read only when the
    /// arrival has no recipients list).
    fn count<'a>(
        &mut self,
        m: &'a Message,
        arrival: Option<&'a MessageLine>,
        tally: Tally,
        to: impl FnOnce() -> Vec<Cow<'a, str>>,
    ) {
        let Tally {
            delivered,
            failed,
            deferred,
            remote: remote_delivery,
        } = tally;
        let Some(a) = arrival else {
            self.totals.without_arrival += 1;
            return;
        };
        let time = a.timestamp();
        if !self.window.contains(&time) {
            return;
        }
        let login = a.authenticator().map(|au| a.auth_id().unwrap_or(au));
        let has_host = a.has_host();
        let bounce = a.sender().is_some_and(|s| s.as_bytes() == b"<>");
        let local = !has_host && !bounce;
        let cwd = m
            .submission()
            .and_then(|s| s.cwd())
            .filter(|_| local)
            .map(String::from_utf8_lossy);

        self.totals.messages += 1;
        self.first = Some(self.first.map_or(time, |x| x.min(time)));
        self.last = Some(self.last.map_or(time, |x| x.max(time)));
        if login.is_some() {
            self.totals.authenticated += 1;
        } else if has_host {
            if remote_delivery {
                self.totals.relayed += 1;
            } else {
                self.totals.inbound += 1;
            }
        } else if bounce {
            self.totals.bounces += 1;
        }
        if local {
            self.totals.local += 1;
            self.totals.local_with_script += u64::from(cwd.is_some());
        }
        let user = a.user().filter(|_| local);
        let to_host = login.is_none() && has_host && remote_delivery;
        if login.is_none() && !to_host && user.is_none() && cwd.is_none() {
            // No table takes it (inbound mail, bounces): the rest is not needed.
            return;
        }

        let (recipients, domains) = match &a.recipients() {
            Some(list) => recipients_and_domains(list.iter().map(|t| t.to_string_lossy())),
            None => recipients_and_domains(to().into_iter()),
        };
        let facts = Facts {
            id: m.id().as_str(),
            time: Some(time),
            recipients,
            domains,
            delivered,
            failed,
            deferred,
            bounces: m.bounces.len() as u64,
            size: a.size().unwrap_or(0),
            // Grouped and shown as a reader sees it: encoded words decoded,
            // legacy 8-bit text readable (issue 13).
            subject: a.subject().map(|q| self.subject_memo.get(q)),
        };
        // The tables by field: `facts` borrows the subject memo.
        let tables = &mut self.tables;
        if let Some(login) = login {
            tables
                .get_mut(SourceKind::Login)
                .update(&*login.to_string_lossy(), |s| s.add(&facts));
        } else if to_host {
            // The client: its IP, labelled with its name; or its name alone
            // (decoded only here: most messages with a host go to no table
            // of hosts).
            let name = a.host_name().or(a.helo());
            let (ip, name) = match a.host_ip() {
                Some(ip) => (ip.to_string_lossy(), name),
                None => (name.unwrap_or_default().to_string_lossy(), None),
            };
            tables.get_mut(SourceKind::Host).update(&*ip, |s| {
                if s.label.is_none() {
                    s.label = name.map(|n| n.to_string_lossy().into_owned());
                }
                s.add(&facts);
            });
        }
        if let Some(user) = user {
            tables
                .get_mut(SourceKind::User)
                .update(&*user.to_string_lossy(), |s| s.add(&facts));
        }
        if let Some(cwd) = cwd {
            tables
                .get_mut(SourceKind::Script)
                .update(&*cwd, |s| s.add(&facts));
        }
    }

    /// The report: per kind, the `top` sources with at least `threshold` messages.
    pub fn report(&self, top: usize, threshold: u64) -> SpamReport {
        let mut totals = self.totals.clone();
        totals.first = self.first.map(|t| t.to_string());
        totals.last = self.last.map(|t| t.to_string());
        let mut sections = Vec::new();
        for kind in SourceKind::ALL {
            let table = self.tables.get(kind);
            let rows = table
                .top(top, threshold)
                .into_iter()
                .map(|(k, s)| Row::new(k, s))
                .collect();
            sections.push(Section {
                kind,
                sources: table.len() as u64,
                rows,
            });
        }
        let findings = sections
            .iter()
            .filter_map(|s| s.rows.first().map(|r| Finding::new(s.kind, r)))
            .collect();
        let t = &self.tables;
        let bounds = Bounds::of(&[&t.script, &t.user, &t.login, &t.host], self.budget);
        SpamReport {
            totals,
            findings,
            sections,
            bounds,
        }
    }
}

/// The result of [`SpamSources::report`]: the `--json` document.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct SpamReport {
    /// Counts over all messages.
    pub totals: Totals,
    /// The top source of each kind, in one sentence each.
    pub findings: Vec<Finding>,
    /// One ranked table per kind.
    pub sections: Vec<Section>,
    /// How the tables kept to the memory budget (`approximate`,
    /// `truncated_keys`, `memory`: flattened into the JSON).
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub bounds: Bounds,
}

/// The top source of one kind.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Finding {
    /// The kind.
    pub kind: SourceKind,
    /// The source (directory, user, login, IP).
    pub source: String,
    /// Its messages.
    pub messages: u64,
    /// Its recipients.
    pub recipients: u64,
    /// A message id to give to `trace`.
    pub example_message_id: Option<String>,
}

impl Finding {
    fn new(kind: SourceKind, r: &Row) -> Self {
        Finding {
            kind,
            source: r.source.clone(),
            messages: r.messages,
            recipients: r.recipients,
            example_message_id: r.example_message_id.clone(),
        }
    }
}

/// One table of the report.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Section {
    /// What the sources are.
    pub kind: SourceKind,
    /// Distinct sources of this kind seen.
    pub sources: u64,
    /// The top rows, most messages first.
    pub rows: Vec<Row>,
}

/// One source.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Row {
    /// The directory, user, login or IP.
    pub source: String,
    /// For hosts: the host name (or HELO name) first seen.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub label: Option<String>,
    /// Messages received from it.
    pub messages: u64,
    /// Their recipients.
    pub recipients: u64,
    /// Distinct recipient domains.
    pub recipient_domains: Distinct,
    /// Successful delivery lines.
    pub delivered: u64,
    /// Failed (`**`) lines: recipients that bounced.
    pub failed: u64,
    /// Deferral (`==`) lines.
    pub deferred: u64,
    /// Bounce messages generated for its messages.
    pub bounce_messages: u64,
    /// Sum of `S=`.
    pub bytes: u64,
    /// Most frequent subjects, with their counts.
    pub top_subjects: Vec<Subject>,
    /// First arrival.
    pub first_seen: Option<String>,
    /// Last arrival.
    pub last_seen: Option<String>,
    /// The id of its first message, to trace.
    pub example_message_id: Option<String>,
}

/// A subject and how many messages had it.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Subject {
    /// The decoded subject.
    pub subject: String,
    /// Messages with it.
    pub count: u64,
}

impl Row {
    fn new(key: &str, s: &Stats) -> Self {
        Row {
            source: key.to_string(),
            label: s.label.clone(),
            messages: s.messages,
            recipients: s.recipients,
            recipient_domains: s.domains.count(),
            delivered: s.delivered,
            failed: s.failed,
            deferred: s.deferred,
            bounce_messages: s.bounce_messages,
            bytes: s.bytes,
            top_subjects: s
                .subjects
                .top(3, 1)
                .into_iter()
                .map(|(subject, count)| Subject {
                    subject: subject.clone(),
                    count: *count,
                })
                .collect(),
            first_seen: s.first.map(|t| t.to_string()),
            last_seen: s.last.map(|t| t.to_string()),
            example_message_id: s.example.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assemble::{Assembled, Assembler, AssemblerOptions};
    use crate::reader::LogReader;

    /// The report of messages with their lines.
    fn full_report(log: &[u8], opts: AssemblerOptions) -> String {
        let mut s = SpamSources::new(TimeWindow::default());
        for item in Assembler::with_options(opts).messages(LogReader::new(log).into_records()) {
            if let Ok(Assembled::Message(m)) = item {
                s.add(&m);
            }
        }
        format!("{:?}", s.report(1000, 1))
    }

    /// The counts with each message line taken as it is read, by an
    /// assembler that keeps none of them and holds what the report keeps
    /// for them (as `exim-log spam-sources --threads 1` does); `check` sees
    /// both after each line.
    fn lean_run(
        log: &[u8],
        opts: AssemblerOptions,
        mut check: impl FnMut(&SpamSources, &Assembler),
    ) -> SpamSources {
        let mut asm = Assembler::with_options(opts.keep_lines(false));
        let mut s = SpamSources::new(TimeWindow::default());
        let add = |s: &mut SpamSources, asm: &mut Assembler| {
            while let Some(item) = asm.pop() {
                if let Assembled::Message(m) = item {
                    s.add(&m);
                }
            }
        };
        for (n, raw) in log.split_inclusive(|&b| b == b'\n').enumerate() {
            let Ok(line) = crate::parse_line(raw) else {
                continue;
            };
            let kept = asm.push_parsed(raw, &line, crate::Position::new(n as u64 + 1, 0));
            add(&mut s, &mut asm);
            if kept && !matches!(line.event, crate::Event::Arguments(_)) {
                let held = s.add_message_line(&line);
                if held > 0 {
                    let id = line.message_id.unwrap_or_else(|| panic!("no id: {line:?}"));
                    assert!(asm.hold(id, held), "not in flight: {line:?}");
                    add(&mut s, &mut asm);
                }
            }
            check(&s, &asm);
        }
        asm.finish();
        add(&mut s, &mut asm);
        assert!(s.open.is_empty(), "a message's state outlived it");
        s
    }

    /// [`lean_run`]'s report.
    fn lean_report(log: &[u8], opts: AssemblerOptions) -> String {
        format!("{:?}", lean_run(log, opts, |_, _| {}).report(1000, 1))
    }

    /// What is kept for the messages in flight is held by the assembler,
    /// within its budget: a log of many messages that never complete, each
    /// delivered to many long addresses (no recipients list on the arrival,
    /// so each address is kept), stays within 64 KiB, the messages flushed
    /// early with what was kept for them. Every line is still counted once.
    #[test]
    fn what_is_kept_for_messages_in_flight_stays_within_the_budget() {
        let budget = 64 << 10;
        let (messages, deliveries) = (400, 20);
        let mut log = Vec::new();
        let id = |i: usize| format!("1s{i:04}-0001UX-00");
        for i in 0..messages {
            log.extend_from_slice(
                format!(
                    "2024-05-25 10:00:00 {} <= a@b.example H=(x) [192.0.2.1] A=plain:user{i} P=esmtpa S=812\n",
                    id(i)
                )
                .as_bytes(),
            );
        }
        for d in 0..deliveries {
            for i in 0..messages {
                let address = format!("{}{d}@{i}.example", "x".repeat(200));
                log.extend_from_slice(
                    format!(
                        "2024-05-25 10:00:01 {} == {address} R=dnslookup T=remote_smtp defer (-44): x\n",
                        id(i)
                    )
                    .as_bytes(),
                );
            }
        }
        let opts = AssemblerOptions::default().memory_budget(MemoryBudget::bytes(budget));
        let mut most = 0;
        let s = lean_run(&log, opts, |s, asm| {
            let (kept, held) = (s.open_bytes(), asm.memory().held);
            most = most.max(kept);
            assert!(kept <= held, "kept {kept} > held {held}");
            assert!(held <= budget, "held {held} > budget {budget}");
        });
        // The addresses alone are 4 MB: the budget was needed.
        assert!(most > budget / 2, "{most}");
        // Each arrival is in the first part of its message, counted once.
        let report = s.report(usize::MAX, 1);
        assert_eq!(report.totals.messages, messages as u64);
        assert_eq!(report.totals.authenticated, messages as u64);
        assert_eq!(report.sections[2].kind, SourceKind::Login);
        assert_eq!(report.sections[2].sources, messages as u64);
    }

    /// Taking each line as it is read gives the report of whole messages:
    /// on every corpus mainlog, one by one and as one log, and with at most
    /// two messages in flight (most pushed out early and continued).
    #[test]
    fn lines_taken_as_read_give_the_report_of_whole_messages() {
        let Some(files) = crate::assemble::corpus_mainlogs() else {
            return;
        };
        for cap in [100_000, 2] {
            let opts = AssemblerOptions::default().max_in_flight(cap);
            let mut all = Vec::new();
            for f in &files {
                let log = std::fs::read(f).unwrap_or_else(|e| panic!("{e}"));
                let full = full_report(&log, opts.clone());
                assert_eq!(lean_report(&log, opts.clone()), full, "{}", f.display());
                all.extend_from_slice(&log);
            }
            assert_eq!(lean_report(&all, opts.clone()), full_report(&all, opts));
        }
    }

    /// Every kind of source and total, each message whole (its lines in a
    /// row, the bounce inside its parent's): the script's messages are the
    /// first three, the rest come later (for the merge test's split).
    const SOURCES: &str = "\
2006-04-27 17:40:00 1FZ7aa-0004zz-Z9 => k@example.net R=lookuphost T=remote_smtp H=mx.example.net [192.0.2.25]
2006-04-27 17:40:00 1FZ7aa-0004zz-Z9 Completed
2006-04-27 17:43:41 1FZ8zt-0005lz-E7 <= nobody@server.example.com U=nobody P=local S=4001 T=\"Buy Me!\" for a@example.net b@Example.ORG
2006-04-27 17:43:50 cwd=/home/x/public_html/ 5 args: /usr/sbin/exim -Mc 1FZ8zt-0005lz-E7
2006-04-27 17:43:53 1FZ8zt-0005lz-E7 => a@example.net R=lookuphost T=remote_smtp H=mx.example.net [192.0.2.25]
2006-04-27 17:43:53 1FZ8zt-0005lz-E7 ** b@Example.ORG R=lookuphost T=remote_smtp H=mx.example.org [192.0.2.26]: SMTP error from remote mail server after RCPT TO:<b@Example.ORG>: 550 unknown user
2006-04-27 17:43:54 1FZ8zu-0005m0-A1 <= <> R=1FZ8zt-0005lz-E7 U=Debian-exim P=local S=2100 T=\"Mail delivery failed: returning message to sender\" for nobody@server.example.com
2006-04-27 17:43:54 1FZ8zu-0005m0-A1 => nobody <nobody@server.example.com> R=localuser T=local_delivery
2006-04-27 17:43:54 1FZ8zu-0005m0-A1 Completed
2006-04-27 17:43:55 1FZ8zt-0005lz-E7 Completed
2006-04-27 17:50:00 1FZ8zv-0005m1-B2 <= nobody@server.example.com U=nobody P=local S=1000 T=\"Cheap pills\"
2006-04-27 17:50:01 cwd=/home/x/public_html/ 5 args: /usr/sbin/exim -Mc 1FZ8zv-0005m1-B2
2006-04-27 17:50:02 1FZ8zv-0005m1-B2 => c@example.net R=lookuphost T=remote_smtp H=mx.example.net [192.0.2.25]
2006-04-27 17:50:02 1FZ8zv-0005m1-B2 == d@other.example R=lookuphost T=remote_smtp defer (-44) H=mx.other.example [192.0.2.27]: SMTP error from remote mail server after RCPT TO:<d@other.example>: 451 later
2006-04-27 17:50:03 1FZ8zv-0005m1-B2 => c@example.net R=lookuphost T=remote_smtp H=mx.example.net [192.0.2.25]
2006-04-27 17:51:00 1FZ8zv-0005m1-B2 => d@other.example R=lookuphost T=remote_smtp H=mx.other.example [192.0.2.27]
2006-04-27 17:51:00 1FZ8zv-0005m1-B2 Completed
2006-04-27 17:52:00 1FZ8zw-0005m2-C3 <= nobody@server.example.com U=nobody P=local S=500 T=\"Buy Me!\" for e@example.net
2006-04-27 17:52:01 1FZ8zw-0005m2-C3 => e@example.net R=lookuphost T=remote_smtp H=mx.example.net [192.0.2.25]
2006-04-27 17:52:01 1FZ8zw-0005m2-C3 Completed
2006-04-27 17:54:51 1FZ9lT-000707-O2 <= client@example.com H=(home-pc) [198.51.100.20] P=esmtpa A=fixed_plain:clientx S=715 id=ABCDEFG@home-pc T=\"Hello\" for f@example.net g@example.net
2006-04-27 17:54:52 1FZ9lT-000707-O2 => f@example.net R=lookuphost T=remote_smtp H=mx.example.net [192.0.2.25]
2006-04-27 17:54:52 1FZ9lT-000707-O2 == g@example.net R=lookuphost T=remote_smtp defer (-44) H=mx.example.net [192.0.2.25]: SMTP error from remote mail server after RCPT TO:<g@example.net>: 451 later
2006-04-27 17:55:10 1FZ9lU-000708-A1 <= relay@example.com H=open.example.com [203.0.113.50] P=esmtp S=900 for d@example.net
2006-04-27 17:55:11 1FZ9lU-000708-A1 => d@example.net R=lookuphost T=remote_smtp H=mx.example.net [192.0.2.25]
2006-04-27 17:55:11 1FZ9lU-000708-A1 Completed
2006-04-27 17:56:00 1FZ9lV-000709-B2 <= friend@example.net H=mx.example.net [192.0.2.25] P=esmtp S=1200 for clientx@server.example.com
2006-04-27 17:56:00 1FZ9lV-000709-B2 => clientx <clientx@server.example.com> R=localuser T=local_delivery
2006-04-27 17:56:00 1FZ9lV-000709-B2 Completed
2006-04-27 17:56:30 1FZ9lW-00070A-C3 <= other@example.com H=(different-helo) [203.0.113.50] P=esmtp S=100 for h@example.org
2006-04-27 17:56:31 1FZ9lW-00070A-C3 => h@example.org R=lookuphost T=remote_smtp H=mx.example.org [192.0.2.26]
2006-04-27 17:56:31 1FZ9lW-00070A-C3 Completed
2006-04-27 17:57:00 1FZ9lX-00070B-D4 <= x@example.com H=(helo-only) [203.0.113.51] P=esmtp S=50 for i@example.com
2006-04-27 17:57:01 1FZ9lX-00070B-D4 == i@example.com R=lookuphost T=remote_smtp defer (-44) H=mx.example.com [192.0.2.28]: SMTP error from remote mail server after RCPT TO:<i@example.com>: 451 later
2006-04-27 17:58:00 1FZ9lY-00070C-E5 <= y@example.com H=(pc) [198.51.100.21] P=esmtpa A=cram S=300 for j@example.net
2006-04-27 17:58:01 1FZ9lY-00070C-E5 => j@example.net R=lookuphost T=remote_smtp H=mx.example.net [192.0.2.25]
2006-04-27 17:58:01 1FZ9lY-00070C-E5 Completed
";

    /// [`SOURCES`]' report over `window`.
    fn sources_report(log: &str, window: TimeWindow) -> SpamSources {
        let mut s = SpamSources::new(window);
        for item in Assembler::new().messages(LogReader::new(log.as_bytes()).into_records()) {
            if let Ok(Assembled::Message(m)) = item {
                s.add(&m);
            }
        }
        s
    }

    /// A row's counts: (messages, recipients, domains, delivered, failed,
    /// deferred, bounce messages, bytes).
    fn counts(r: &Row) -> (u64, u64, u64, u64, u64, u64, u64, u64) {
        (
            r.messages,
            r.recipients,
            r.recipient_domains.count,
            r.delivered,
            r.failed,
            r.deferred,
            r.bounce_messages,
            r.bytes,
        )
    }

    /// The rows of `kind` by source.
    fn rows(r: &SpamReport, kind: SourceKind) -> Map<&str, &Row> {
        let section = r.sections.iter().find(|s| s.kind == kind);
        section.map_or_else(Map::default, |s| {
            s.rows
                .iter()
                .map(|row| (row.source.as_str(), row))
                .collect()
        })
    }

    /// Every field of every table and total of [`SOURCES`], counted by hand
    /// from its lines.
    #[test]
    fn every_count_of_each_kind_of_source() {
        let r = sources_report(SOURCES, TimeWindow::default()).report(10, 1);
        let t = &r.totals;
        // 10 arrivals (the bounce one of them); the first message has none.
        assert_eq!(
            (
                t.messages,
                t.local,
                t.local_with_script,
                t.authenticated,
                t.relayed,
                t.inbound,
                t.bounces,
                t.without_arrival
            ),
            (10, 3, 2, 2, 3, 1, 1, 1)
        );
        assert_eq!(t.first.as_deref(), Some("2006-04-27T17:43:41"));
        assert_eq!(t.last.as_deref(), Some("2006-04-27T17:58:00"));
        let kinds: Vec<_> = r.sections.iter().map(|s| (s.kind, s.sources)).collect();
        assert_eq!(
            kinds,
            [
                (SourceKind::Script, 1),
                (SourceKind::User, 1),
                (SourceKind::Login, 2),
                (SourceKind::Host, 2)
            ]
        );
        let names: Vec<_> = SourceKind::ALL.iter().map(SourceKind::name).collect();
        assert_eq!(names, ["script", "user", "login", "host"]);

        // The script: the first two messages (the third has no cwd= line).
        // Recipients: the first's `for` list (2), the second's distinct
        // delivered addresses (c twice, d deferred then delivered: 2).
        let script = rows(&r, SourceKind::Script)["/home/x/public_html/"];
        assert_eq!(counts(script), (2, 4, 3, 4, 1, 1, 1, 5001));
        assert_eq!(script.label, None);
        assert_eq!(script.first_seen.as_deref(), Some("2006-04-27T17:43:41"));
        assert_eq!(script.last_seen.as_deref(), Some("2006-04-27T17:50:00"));
        assert_eq!(
            script.example_message_id.as_deref(),
            Some("1FZ8zt-0005lz-E7")
        );
        let subjects = |row: &Row| -> Vec<(String, u64)> {
            let s = row.top_subjects.iter();
            s.map(|s| (s.subject.clone(), s.count)).collect()
        };
        assert_eq!(
            subjects(script),
            [("Buy Me!".to_string(), 1), ("Cheap pills".to_string(), 1)]
        );
        // The user: the three local messages (not the bounce's Debian-exim).
        let user = rows(&r, SourceKind::User)["nobody"];
        assert_eq!(counts(user), (3, 5, 3, 5, 1, 1, 1, 5501));
        assert_eq!(user.last_seen.as_deref(), Some("2006-04-27T17:52:00"));
        assert_eq!(user.example_message_id.as_deref(), Some("1FZ8zt-0005lz-E7"));
        assert_eq!(
            subjects(user),
            [("Buy Me!".to_string(), 2), ("Cheap pills".to_string(), 1)]
        );
        // Logins: the id of A=, or the authenticator's name without one.
        let logins = rows(&r, SourceKind::Login);
        assert_eq!(logins.len(), 2);
        assert_eq!(counts(logins["clientx"]), (1, 2, 1, 1, 0, 1, 0, 715));
        assert_eq!(subjects(logins["clientx"]), [("Hello".to_string(), 1)]);
        assert_eq!(counts(logins["cram"]), (1, 1, 1, 1, 0, 0, 0, 300));
        assert_eq!(logins["cram"].top_subjects.len(), 0);
        // Hosts relayed through (a deferral to a remote host counts), named
        // as first seen; the inbound message and the logins are no host's.
        let hosts = rows(&r, SourceKind::Host);
        assert_eq!(hosts.len(), 2);
        let open = hosts["203.0.113.50"];
        assert_eq!(counts(open), (2, 2, 2, 2, 0, 0, 0, 1000));
        assert_eq!(open.label.as_deref(), Some("open.example.com"));
        assert_eq!(open.first_seen.as_deref(), Some("2006-04-27T17:55:10"));
        assert_eq!(open.last_seen.as_deref(), Some("2006-04-27T17:56:30"));
        assert_eq!(open.example_message_id.as_deref(), Some("1FZ9lU-000708-A1"));
        let helo = hosts["203.0.113.51"];
        assert_eq!(counts(helo), (1, 1, 1, 0, 0, 1, 0, 50));
        assert_eq!(helo.label.as_deref(), Some("helo-only"));
        // One finding a kind: its top row (ties by name).
        let findings: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.kind, f.source.as_str(), f.messages, f.recipients))
            .collect();
        assert_eq!(
            findings,
            [
                (SourceKind::Script, "/home/x/public_html/", 2, 4),
                (SourceKind::User, "nobody", 3, 5),
                (SourceKind::Login, "clientx", 1, 2),
                (SourceKind::Host, "203.0.113.50", 2, 2)
            ]
        );
        assert_eq!(
            r.findings[3].example_message_id.as_deref(),
            Some("1FZ9lU-000708-A1")
        );
        // `top` and `threshold`.
        let r = sources_report(SOURCES, TimeWindow::default()).report(1, 2);
        let shown: Vec<_> = r.sections.iter().map(|s| s.rows.len()).collect();
        assert_eq!(shown, [1, 1, 0, 1]);
        assert_eq!(r.findings.len(), 3);
        // The lean way (lines taken as read) counts the same.
        assert_eq!(
            lean_report(SOURCES.as_bytes(), AssemblerOptions::default()),
            full_report(SOURCES.as_bytes(), AssemblerOptions::default())
        );
    }

    /// A window counts the arrivals inside it (`[since, until)`); a message
    /// without its arrival is counted whatever the window.
    #[test]
    fn the_window_takes_the_arrivals_inside_it() {
        let at = |s: &str| {
            let t = crate::parse_line(format!("2006-04-27 {s} x").as_bytes())
                .map(|l| l.timestamp)
                .unwrap_or_else(|e| panic!("{e}"));
            super::super::log_seconds(&t)
        };
        let w = TimeWindow {
            since: Some(at("17:52:00")),
            until: Some(at("17:57:00")),
        };
        let r = sources_report(SOURCES, w).report(10, 1);
        let t = &r.totals;
        assert_eq!(
            (
                t.messages,
                t.local,
                t.authenticated,
                t.relayed,
                t.inbound,
                t.without_arrival
            ),
            (5, 1, 1, 2, 1, 1)
        );
        assert_eq!(t.first.as_deref(), Some("2006-04-27T17:52:00"));
        assert_eq!(t.last.as_deref(), Some("2006-04-27T17:56:30"));
        assert_eq!(counts(rows(&r, SourceKind::User)["nobody"]).0, 1);
        assert_eq!(rows(&r, SourceKind::Script).len(), 0);
    }

    /// Two parts merged give the report of the whole, in either order (the
    /// example stays the earliest message); cut inside the user's messages
    /// (the failure and bounce in the first part, the deferral in the
    /// second) and inside the host's.
    #[test]
    fn parts_merged_give_the_report_of_the_whole() {
        let whole = sources_report(SOURCES, TimeWindow::default()).report(10, 1);
        // Each row's counts, span and example, by kind and source.
        let every = |r: &SpamReport| -> Vec<String> {
            let rows = r.sections.iter().flat_map(|s| {
                s.rows.iter().map(move |row| {
                    let (f, l, e) = (&row.first_seen, &row.last_seen, &row.example_message_id);
                    format!(
                        "{:?} {} {:?} {f:?} {l:?} {e:?}",
                        s.kind,
                        row.source,
                        counts(row)
                    )
                })
            });
            rows.chain([format!("{:?}", r.totals)]).collect()
        };
        for at in ["17:50:00", "17:54:51", "17:56:00"] {
            let cut = SOURCES
                .find(&format!("2006-04-27 {at}"))
                .unwrap_or_default();
            let (a, b) = SOURCES.split_at(cut);
            let mut ab = sources_report(a, TimeWindow::default());
            ab.merge(sources_report(b, TimeWindow::default()));
            assert_eq!(
                format!("{:?}", ab.report(10, 1)),
                format!("{whole:?}"),
                "{at}"
            );
            let mut ba = sources_report(b, TimeWindow::default());
            ba.merge(sources_report(a, TimeWindow::default()));
            let r = ba.report(10, 1);
            assert_eq!(every(&r), every(&whole), "{at}, the later part first");
            // The label is the one seen first in the part merged into.
            let open = rows(&r, SourceKind::Host)["203.0.113.50"];
            let label = if at == "17:56:00" {
                "different-helo"
            } else {
                "open.example.com"
            };
            assert_eq!(open.label.as_deref(), Some(label), "{at}");
        }
    }

    /// The state travels (the Python `Report` pickles it): read back, it
    /// gives the same report, totals included.
    #[cfg(feature = "serde")]
    #[test]
    fn the_state_read_back_gives_the_same_report() {
        let s = sources_report(SOURCES, TimeWindow::default());
        let json = serde_json::to_vec(&s).unwrap_or_else(|e| panic!("{e}"));
        let back: SpamSources = serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{e}"));
        let (want, got) = (s.report(10, 1), back.report(10, 1));
        assert_eq!(got.totals, want.totals);
        assert_eq!(got.totals.messages, 10);
        assert_eq!(format!("{got:?}"), format!("{want:?}"));
    }

    /// What `add_message_line` returns is what it added to the bytes held
    /// for the messages in flight, line by line.
    #[test]
    fn the_bytes_returned_are_the_bytes_held() {
        let mut s = SpamSources::new(TimeWindow::default());
        let mut returned = 0;
        for raw in SOURCES.lines() {
            let line = crate::parse_line(raw.as_bytes()).unwrap_or_else(|e| panic!("{raw}: {e}"));
            returned += s.add_message_line(&line);
            assert_eq!(returned, s.open_bytes(), "{raw}");
        }
        // Each of the eleven messages is held (none went to `add`).
        assert_eq!(s.open.len(), 11);
        assert!(returned > 11 * Open::OVERHEAD);
    }

    /// A source's example is its earliest message, whatever order its
    /// messages come in (logs read out of time order).
    #[test]
    fn the_example_is_the_earliest_message() {
        let t = |s: &str| {
            crate::parse_line(format!("2024-05-25 {s} x").as_bytes())
                .map(|l| l.timestamp)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let mut s = Stats::default();
        for (at, id) in [
            ("10:00:00", "A"),
            ("09:00:00", "B"),
            ("11:00:00", "C"),
            ("09:00:00", "D"),
        ] {
            s.add(&Facts {
                id,
                time: Some(t(at)),
                ..Facts::default()
            });
        }
        assert_eq!(s.example.as_deref(), Some("B"));
        assert_eq!(
            (s.first, s.last),
            (Some(t("09:00:00")), Some(t("11:00:00")))
        );
        assert_eq!(s.messages, 4);
    }

    /// What a source's entry holds besides its counts: a label or an
    /// example adds its length, a domain or a subject adds to it.
    #[test]
    fn a_source_weighs_its_messages_and_holds_its_texts() {
        let mut s = Stats::default();
        let empty = s.heap_bytes();
        s.label = Some("open.example.com".to_string());
        assert_eq!(s.heap_bytes(), empty + 16);
        s.example = Some("1FZ8zt-0005lz-E7".to_string());
        assert_eq!(s.heap_bytes(), empty + 32);
        s.domains.insert("example.net");
        let domain = s.heap_bytes();
        assert!(domain >= empty + 32 + "example.net".len(), "{domain}");
        s.subjects.bump("Buy Me!");
        assert!(s.heap_bytes() >= domain + "Buy Me!".len());
        s.messages = 7;
        assert_eq!(s.weight(), 7);
    }

    #[test]
    fn recipients_are_counted_and_their_domains_kept_once_lower_cased() {
        let to = [
            Cow::Borrowed("a@Example.ORG"),
            Cow::Borrowed("<b@example.org>"),
            Cow::Borrowed("postmaster"),
            Cow::Owned("c@Other.example".to_string()),
            Cow::Borrowed("a@Example.ORG"),
            Cow::Borrowed("d@z.example"),
        ];
        let (count, domains) = recipients_and_domains(to.into_iter());
        // Every recipient counts, duplicates too (the old count: the list's length).
        assert_eq!(count, 6);
        assert_eq!(domains, ["example.org", "other.example", "z.example"]);
        assert!(
            matches!(domains[2], Cow::Borrowed(_)),
            "no copy when lower case"
        );
        let (count, domains) = recipients_and_domains(std::iter::empty());
        assert_eq!((count, domains.len()), (0, 0));
    }

    /// The memo keeps subjects of up to [`SubjectMemo::LONGEST`] bytes, at
    /// most [`SubjectMemo::MAX`] of them (then it starts again), and never
    /// a longer one.
    #[test]
    fn the_subject_memo_keeps_short_subjects_up_to_its_cap() {
        let mut memo = SubjectMemo::default();
        let longest = "s".repeat(SubjectMemo::LONGEST);
        let q = Quoted::new(longest.as_bytes(), Escaping::Subject);
        assert_eq!(memo.get(q), longest);
        assert_eq!(
            memo.decoded.len(),
            1,
            "a subject of the longest size is kept"
        );
        let longer = "s".repeat(SubjectMemo::LONGEST + 1);
        let q = Quoted::new(longer.as_bytes(), Escaping::Subject);
        assert_eq!(memo.get(q), longer);
        assert_eq!(memo.decoded.len(), 1, "a longer one is not");
        for i in 1..SubjectMemo::MAX {
            let raw = format!("subject {i}");
            memo.get(Quoted::new(raw.as_bytes(), Escaping::Subject));
            assert_eq!(memo.decoded.len(), i + 1);
        }
        memo.get(Quoted::new(b"one more", Escaping::Subject));
        assert_eq!(memo.decoded.len(), 1, "full: started again");
    }

    #[test]
    fn remembered_subjects_are_the_decoded_subjects() {
        let mut memo = SubjectMemo::default();
        let long = format!("=?utf-8?q?Cr=C3=A9dit?= {}", "x".repeat(300));
        let subjects: Vec<(Vec<u8>, Escaping)> = vec![
            (b"Buy Me!".to_vec(), Escaping::Subject),
            (
                b"=?utf-8?q?Cr=C3=A9dit_imm=C3=A9diat?=".to_vec(),
                Escaping::Subject,
            ),
            (
                br"Tab\there \\ and \042quote\042".to_vec(),
                Escaping::Subject,
            ),
            // The same bytes under another escaping decode otherwise.
            (
                br"Tab\there \\ and \042quote\042".to_vec(),
                Escaping::Printing,
            ),
            (b"caf\xe9 cr\xe8me".to_vec(), Escaping::Subject),
            (long.into_bytes(), Escaping::Subject),
        ];
        // Twice over (the second time from the memo), then past its cap.
        for round in 0..2 {
            for (raw, e) in &subjects {
                let q = Quoted::new(raw, *e);
                assert_eq!(memo.get(q), q.header_text(), "round {round}: {raw:?}");
            }
        }
        for i in 0..3 * SubjectMemo::MAX {
            let raw = format!("=?iso-8859-1?q?num=E9ro_{i}?=");
            let q = Quoted::new(raw.as_bytes(), Escaping::Subject);
            assert_eq!(memo.get(q), format!("numéro {i}"));
            assert!(memo.decoded.len() <= SubjectMemo::MAX);
        }
        let (raw, e) = &subjects[1];
        assert_eq!(memo.get(Quoted::new(raw, *e)), "Crédit immédiat");
    }
}
