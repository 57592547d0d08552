//! Web origins: which web requests ran the PHP scripts that sent mail.
//!
//! `spam-sources` names the directory of a spamming script (`cwd=` of the
//! submission) and when each message arrived; the web server's access logs
//! (cPanel's `domlogs/`) hold the requests that ran it. A request explains a
//! message when its path lies under the script's directory, mapped to the
//! site's URL space, on the site's domain, and the request came in at most
//! `window` seconds before the arrival (PHP's `mail()` runs `sendmail` while
//! the request is served). Per script, the clients, URLs and user agents are
//! ranked by the messages they explain.
//!
//! It works in two phases: first every submission
//! ([`WebOrigins::add_submission`]), then the access-log lines, streamed
//! ([`WebOrigins::add_request`]); partial results of the second phase over
//! different log files [`WebOrigins::merge`]. Memory is bounded in bytes
//! ([`WebOrigins::with_budget`]): a script's arrivals are kept as the
//! seconds in which its messages arrived, with counts (messages of one
//! second are alike to the join), and a client, URL or user agent keeps the
//! ranges of those seconds it explains; while the budget is not hit, the
//! result is exact.
//!
//! A directory is mapped to a site by the document roots given (cPanel's
//! `/var/cpanel/userdata/USER/DOMAIN` `documentroot:` lines,
//! [`WebOrigins::add_userdata`]), the longest root first; otherwise
//! `HOME/public_html/REST` is the URL path `/REST` on any of that account's
//! sites, `HOME` being `/home*/USER` or a user data `homedir:`.
//!
//! The queue names scripts too: cPanel's `X-PHP-Script: host/path for IP`
//! header of a queued message ([`WebOrigins::add_header`]) is matched against
//! the requests for that path on that site before the message's reception.
//!
//! ```
//! use exim_log::report::web_origins::WebOrigins;
//! use exim_log::weblog::parse_access_line;
//!
//! let mut w = WebOrigins::new(30, vec![]);
//! w.add_submission("/home/clientx/public_html/forum", 1796467800, "1xZnLD-0006Ud-23");
//! let hit = parse_access_line(b"198.51.100.23 - - [05/Dec/2026:10:49:58 +0000] \
//!     \"POST /forum/x.php HTTP/1.1\" 200 5 \"-\" \"evil/1.0\"")?;
//! let other = parse_access_line(b"192.0.2.1 - - [05/Dec/2026:09:00:00 +0000] \
//!     \"GET /forum/index.php HTTP/1.1\" 200 5 \"-\" \"browser\"")?;
//! w.add_request("forum.example", Some("clientx"), &hit);
//! w.add_request("forum.example", Some("clientx"), &other);
//! let r = w.report(10);
//! assert_eq!(r.scripts[0].explained, 1);
//! assert_eq!(r.scripts[0].clients[0].key, "198.51.100.23");
//! assert_eq!(r.scripts[0].clients.len(), 1, "the visit an hour earlier explains nothing");
//! # Ok::<(), exim_log::weblog::WeblogError>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::bounded::{BoundedMap, TableUse, Weight};
use crate::budget::{MemoryBudget, MemoryUse};
use crate::weblog::AccessLine;

/// Keys kept per table of a script.
pub const KEYS_CAP: usize = 10_000;

/// Where a script directory is served from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Site {
    /// The domain, when a document root said it; `None`: any site of `user`.
    pub domain: Option<String>,
    /// The account (`/home/USER/...`), when the path tells it.
    pub user: Option<String>,
    /// The URL path of the directory (`/forum`; `` for the root).
    pub url_prefix: String,
}

/// Maps a directory to its site: the longest document root containing it,
/// else cPanel's `/home*/USER/public_html/...` layout.
///
/// ```
/// use exim_log::report::web_origins::site_of;
/// let roots = vec![("/home/u/addon.example".to_string(), "addon.example".to_string())];
/// let s = site_of("/home/u/addon.example/wp/x", &roots).unwrap();
/// assert_eq!((s.domain.as_deref(), s.url_prefix.as_str()), (Some("addon.example"), "/wp/x"));
/// let s = site_of("/home2/u/public_html/forum", &roots).unwrap();
/// assert_eq!((s.domain, s.user.as_deref(), s.url_prefix.as_str()), (None, Some("u"), "/forum"));
/// ```
pub fn site_of(dir: &str, docroots: &[(String, String)]) -> Option<Site> {
    site_in(dir, docroots, &[])
}

/// True when `dir` is `root` or under it.
fn is_under(dir: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    dir == root || dir.strip_prefix(root).is_some_and(|r| r.starts_with('/'))
}

/// The account's home containing `dir` and the account: the longest of
/// `homes` (cPanel's `homedir:`), else `/home*/USER`.
fn home_of<'d>(dir: &'d str, homes: &[(String, String)]) -> Option<(&'d str, String)> {
    if let Some((home, user)) = homes
        .iter()
        .filter(|(home, _)| is_under(dir, home))
        .max_by_key(|(home, _)| home.trim_end_matches('/').len())
    {
        return Some((dir.get(..home.trim_end_matches('/').len())?, user.clone()));
    }
    let mut parts = dir.split('/').skip(1);
    let top = parts.next()?;
    let user = parts.next()?;
    if !top.starts_with("home") || user.is_empty() {
        return None;
    }
    Some((dir.get(..top.len() + user.len() + 2)?, user.to_string()))
}

/// [`site_of`] knowing the accounts' homes (`(homedir, user)`).
fn site_in(dir: &str, docroots: &[(String, String)], homes: &[(String, String)]) -> Option<Site> {
    let dir = dir.trim_end_matches('/');
    let user_of = |d: &str| home_of(d, homes).map(|(_, u)| u);
    let best = docroots
        .iter()
        .filter(|(root, _)| is_under(dir, root))
        .max_by_key(|(root, _)| root.trim_end_matches('/').len());
    if let Some((root, domain)) = best {
        let rest = dir
            .get(root.trim_end_matches('/').len()..)
            .unwrap_or_default();
        return Some(Site {
            domain: Some(domain.clone()),
            user: user_of(dir),
            url_prefix: rest.to_string(),
        });
    }
    let (home, user) = home_of(dir, homes)?;
    let rest = dir.get(home.len()..)?;
    let url = rest.strip_prefix("/public_html")?;
    if !(url.is_empty() || url.starts_with('/')) {
        return None;
    }
    Some(Site {
        domain: None,
        user: Some(user),
        url_prefix: url.to_string(),
    })
}

/// Two names of the same site: equal but for case and a leading `www.`.
fn same_site(a: &str, b: &str) -> bool {
    fn strip(d: &str) -> &str {
        if d.len() > 4 && d.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("www.")) {
            d.get(4..).unwrap_or(d)
        } else {
            d
        }
    }
    strip(a).eq_ignore_ascii_case(strip(b))
}

/// The arrival times of one script: the seconds (or, once the budget
/// coarsened them, the buckets of `grain` seconds) in which its messages
/// arrived, each with its count, in time order. Messages of the same second
/// are alike to the join (a request explains all of them or none), so this
/// loses nothing while the resolution is 1 s, and it holds 8 bytes per
/// distinct second instead of a time and an id per message. Times are kept
/// in units of the engine's grain: unit `u` is the seconds `u * grain ..
/// u * grain + grain - 1`.
#[derive(Clone, Debug, Default)]
struct Arrivals {
    /// The unit of offset 0.
    origin: i64,
    /// (unit - origin, messages in it) before the request phase; (unit -
    /// origin, messages in it and every earlier bucket) during it, so that
    /// the messages of any range of buckets are one subtraction. Counts
    /// saturate at `u32::MAX` (4 billion messages of one script).
    buckets: Vec<(u32, u32)>,
    /// Units (with their messages) that came out of time order, or too far
    /// from `origin` for 32 bits, not yet in `buckets`.
    pending: Vec<(i64, u32)>,
    /// True while `buckets` holds running totals (the request phase).
    sealed: bool,
    /// One bit per bucket explained by some request (request phase).
    explained: Vec<u64>,
    /// Messages in the explained buckets.
    explained_messages: u64,
    /// Messages submitted.
    messages: u64,
}

impl Arrivals {
    fn bytes(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<(u32, u32)>()
            + self.pending.capacity() * std::mem::size_of::<(i64, u32)>()
            + self.explained.capacity() * 8
    }

    /// A message arrived in `unit`. False when its units no longer fit in
    /// 32 bits from one origin: the engine must coarsen.
    fn push(&mut self, unit: i64) -> bool {
        self.unseal();
        self.messages += 1;
        if self.pending.is_empty() {
            if self.buckets.is_empty() {
                self.origin = unit;
                self.buckets.push((0, 1));
                return true;
            }
            let off = unit
                .checked_sub(self.origin)
                .and_then(|d| u32::try_from(d).ok());
            match (self.buckets.last_mut(), off) {
                (Some(last), Some(off)) if last.0 == off => {
                    last.1 = last.1.saturating_add(1);
                    return true;
                }
                (Some(last), Some(off)) if last.0 < off => {
                    self.buckets.push((off, 1));
                    return true;
                }
                _ => {}
            }
        }
        self.pending.push((unit, 1));
        // Merged once they are as many as a quarter of the buckets:
        // out-of-order input costs amortized O(log n) per message.
        if self.pending.len() > 64 + self.buckets.len() / 4 {
            return self.flush();
        }
        true
    }

    /// Every bucket, pending ones merged in: (unit, messages) in order.
    fn take_units(&mut self) -> Vec<(i64, u32)> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable();
        let mut merged: Vec<(i64, u32)> = Vec::with_capacity(self.buckets.len() + pending.len());
        let mut add = |unit: i64, n: u32| match merged.last_mut() {
            Some(last) if last.0 == unit => last.1 = last.1.saturating_add(n),
            _ => merged.push((unit, n)),
        };
        let origin = self.origin;
        let mut old = std::mem::take(&mut self.buckets)
            .into_iter()
            .map(|(off, n)| (origin.saturating_add(i64::from(off)), n))
            .peekable();
        for (unit, k) in pending {
            while let Some(&(u, n)) = old.peek() {
                if u > unit {
                    break;
                }
                add(u, n);
                old.next();
            }
            add(unit, k);
        }
        old.for_each(|(u, n)| add(u, n));
        merged
    }

    /// Stores `units` (in order) as the buckets; when they span more than
    /// 32 bits of units they stay pending and this returns false.
    fn store(&mut self, units: Vec<(i64, u32)>) -> bool {
        let (Some(&(first, _)), Some(&(last, _))) = (units.first(), units.last()) else {
            return true;
        };
        if last
            .checked_sub(first)
            .and_then(|d| u32::try_from(d).ok())
            .is_none()
        {
            self.pending = units;
            return false;
        }
        self.origin = first;
        self.buckets = units
            .into_iter()
            .map(|(u, n)| (u32::try_from(u - first).unwrap_or(u32::MAX), n))
            .collect();
        true
    }

    /// Merges the pending units into the buckets; false when they do not
    /// fit in 32 bits (the engine must coarsen).
    fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let units = self.take_units();
        self.store(units)
    }

    /// Halves the resolution: units of twice the seconds, equal ones joined.
    /// False when they still do not fit in 32 bits.
    fn coarsen(&mut self) -> bool {
        let mut out: Vec<(i64, u32)> = Vec::new();
        for (u, n) in self.take_units() {
            let u = u.div_euclid(2);
            match out.last_mut() {
                Some(last) if last.0 == u => last.1 = last.1.saturating_add(n),
                _ => out.push((u, n)),
            }
        }
        self.store(out)
    }

    /// Enters the request phase: running totals, nothing explained yet
    /// (pending units must be flushed).
    fn seal(&mut self) {
        if self.sealed {
            return;
        }
        let mut total = 0u32;
        for b in &mut self.buckets {
            total = total.saturating_add(b.1);
            b.1 = total;
        }
        self.explained = vec![0; self.buckets.len().div_ceil(64)];
        self.explained_messages = 0;
        self.sealed = true;
    }

    /// Back to counts (a submission after requests: the request phase
    /// starts over).
    fn unseal(&mut self) {
        if !self.sealed {
            return;
        }
        let mut before = 0u32;
        for b in &mut self.buckets {
            let total = b.1;
            b.1 = total.saturating_sub(before);
            before = total;
        }
        self.explained = Vec::new();
        self.explained_messages = 0;
        self.sealed = false;
    }

    /// Messages in buckets `[a, b)` (sealed).
    fn messages_in(&self, a: usize, b: usize) -> u64 {
        let upto = |k: usize| {
            k.checked_sub(1)
                .and_then(|k| self.buckets.get(k))
                .map_or(0, |x| u64::from(x.1))
        };
        upto(b).saturating_sub(upto(a))
    }

    /// The buckets `[from, to)` holding an arrival in `[t, t + window]`
    /// (seconds; units of `grain` seconds).
    fn within(&self, t: i64, window: i64, grain: i64) -> (usize, usize) {
        let lo = t.div_euclid(grain);
        let hi = t.saturating_add(window).div_euclid(grain);
        let unit = |off: u32| self.origin.saturating_add(i64::from(off));
        let from = self.buckets.partition_point(|&(o, _)| unit(o) < lo);
        let to = self.buckets.partition_point(|&(o, _)| unit(o) <= hi);
        (from, to.max(from))
    }

    /// Marks buckets `[a, b)` explained.
    fn explain(&mut self, a: usize, b: usize) {
        for k in a..b {
            let bit = 1u64 << (k % 64);
            if let Some(w) = self.explained.get_mut(k / 64)
                && *w & bit == 0
            {
                *w |= bit;
                self.explained_messages += self.messages_in(k, k + 1);
            }
        }
    }
}

/// The buckets of a script's [`Arrivals`] a client, URL or user agent
/// explains: disjoint ranges of bucket indices, with the messages in them.
/// Requests come in time order, so a key's ranges mostly extend its last
/// one: the attacker who ran every message of a script holds one range.
#[derive(Clone, Debug, Default)]
struct Covered {
    /// Half-open `[start, end)` ranges, in order, neither overlapping nor
    /// touching.
    spans: Vec<(u32, u32)>,
    /// Messages in the covered buckets.
    messages: u64,
}

impl Covered {
    /// Adds the buckets `[a, b)` of `arrivals` (sealed).
    fn cover(&mut self, a: usize, b: usize, arrivals: &Arrivals) {
        let (Ok(a), Ok(b)) = (u32::try_from(a), u32::try_from(b)) else {
            return;
        };
        if a >= b {
            return;
        }
        // The spans overlapping or touching [a, b): spans[i..j].
        let i = self.spans.partition_point(|&(_, e)| e < a);
        let j = self.spans.partition_point(|&(s, _)| s <= b);
        let mut new = arrivals.messages_in(a as usize, b as usize);
        let (mut lo, mut hi) = (a, b);
        for &(s, e) in self.spans.get(i..j).unwrap_or_default() {
            let (os, oe) = (s.max(a), e.min(b));
            if os < oe {
                new = new.saturating_sub(arrivals.messages_in(os as usize, oe as usize));
            }
            lo = lo.min(s);
            hi = hi.max(e);
        }
        if i <= j && j <= self.spans.len() {
            self.spans.splice(i..j, [(lo, hi)]);
        }
        self.messages += new;
    }
}

/// The counts of one client, URL or user agent of a script.
#[derive(Clone, Debug, Default)]
struct Hits {
    requests: u64,
    covered: Covered,
}

impl Weight for Hits {
    fn weight(&self) -> u64 {
        self.covered.messages
    }

    fn heap_bytes(&self) -> usize {
        self.covered.spans.capacity() * std::mem::size_of::<(u32, u32)>()
    }
}

#[derive(Clone, Debug)]
struct Script {
    dir: String,
    from_queue: bool,
    site: Option<Site>,
    arrivals: Arrivals,
    clients: BoundedMap<String, Hits>,
    urls: BoundedMap<String, Hits>,
    agents: BoundedMap<String, Hits>,
    /// Keys the tables of merged partial results dropped.
    dropped_elsewhere: u64,
}

impl Script {
    /// Bytes of the script besides its tables: its texts and arrivals.
    fn bytes(&self) -> usize {
        SCRIPT_OVERHEAD
            + self.dir.len()
            + self.site.as_ref().map_or(0, |s| {
                s.url_prefix.len()
                    + s.domain.as_ref().map_or(0, String::len)
                    + s.user.as_ref().map_or(0, String::len)
            })
            + self.arrivals.bytes()
    }

    /// The arrivals (read) and the three request tables (written), borrowed
    /// apart: counting a request updates the tables against the arrivals.
    fn tables(&mut self) -> (&Arrivals, [&mut BoundedMap<String, Hits>; 3]) {
        let Script {
            arrivals,
            clients,
            urls,
            agents,
            ..
        } = self;
        (arrivals, [clients, urls, agents])
    }

    fn table_use(&self) -> TableUse {
        self.clients.usage() + self.urls.usage() + self.agents.usage()
    }
}

/// Bytes counted per script besides its texts and arrival times (the
/// struct, its entry in the directory index).
const SCRIPT_OVERHEAD: usize = std::mem::size_of::<Script>() + 64;

/// The coarsest arrival buckets the budget may make (about 34 years): past
/// it, script directories are dropped instead.
const MAX_GRAIN: i64 = 1 << 30;

/// A script a log's lines can match, and a searcher for its URL prefix
/// (`None`: the site's root, every line).
#[derive(Clone, Debug)]
struct Candidate {
    script: usize,
    prefix: Option<memchr::memmem::Finder<'static>>,
}

/// What phase 1 takes from an assembled message: a local submission (no
/// client host, not a bounce) with a linked `cwd=`. Small and `Send`, so
/// threads that assemble parts of a log can hand them to one
/// [`WebOrigins`] ([`WebOrigins::add`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The `cwd=` directory of the process that submitted the message.
    pub dir: String,
    /// The arrival time, seconds since the epoch, UTC.
    pub time: i64,
    /// The message id.
    pub id: String,
}

impl Submission {
    /// The submission of `m`, or `None` when `m` is not a local submission
    /// with a linked `cwd=`; `offset` is the server's UTC offset in seconds
    /// (mainlog times are local).
    pub fn of(m: &crate::assemble::Message, offset: i64) -> Option<Submission> {
        let a = super::arrival::LoggedArrival::of(m)?;
        if !a.is_local() {
            return None;
        }
        Some(Submission {
            dir: a.cwd?,
            time: a.unix_time - offset,
            id: a.id,
        })
    }
}

/// The web-origins engine (see the module documentation).
#[derive(Clone, Debug)]
pub struct WebOrigins {
    window: i64,
    docroots: Vec<(String, String)>,
    homes: Vec<(String, String)>,
    scripts: Vec<Script>,
    by_dir: HashMap<String, usize>,
    /// True once requests are being added (arrivals sealed, tables given
    /// their budget).
    sealed: bool,
    /// The scripts a log's lines can match, for the last (domain, user)
    /// seen: every line of a file has the same, so the site test runs once
    /// per file, not once per line and script.
    candidates: Option<(String, Option<String>, Arc<[Candidate]>)>,
    budget: MemoryBudget,
    /// Seconds per arrival bucket: 1 (exact) unless the budget coarsened.
    grain: i64,
    /// Bytes of the scripts and their arrivals (half the budget).
    script_bytes: usize,
    /// Bytes of the scripts' tables (the other half).
    table_bytes: usize,
    /// Budget hits of the arrivals: coarsenings and script prunes.
    hits: u64,
    /// Script directories dropped by the budget.
    scripts_dropped: u64,
    /// Table hits (prunes, truncations) of merged partial results.
    merged_table_hits: u64,
    peak: usize,
}

impl WebOrigins {
    /// An engine matching requests at most `window` seconds before an
    /// arrival, with the document roots `(path, domain)` known (may be
    /// empty), within the default memory budget.
    pub fn new(window: i64, docroots: Vec<(String, String)>) -> Self {
        WebOrigins::with_budget(window, docroots, MemoryBudget::DEFAULT)
    }

    /// [`WebOrigins::new`] holding at most about `budget` bytes: a quarter
    /// for the scripts and their arrival times (8 bytes per second with
    /// messages), three quarters for their client, URL and user-agent
    /// tables (one pool: past it, the biggest table drops its lightest
    /// keys). When the arrivals outgrow their
    /// half, their times are kept to 2, 4, 8... seconds (a request then
    /// counts for a whole bucket touching its window) or, when the scripts
    /// themselves are too many, the scripts with the fewest messages are
    /// dropped; tables drop their lightest keys. The report says so
    /// (`approximate`, `memory.hits`); below the budget, results are exact.
    pub fn with_budget(window: i64, docroots: Vec<(String, String)>, budget: MemoryBudget) -> Self {
        WebOrigins {
            window: window.max(0),
            docroots,
            homes: Vec::new(),
            scripts: Vec::new(),
            by_dir: HashMap::new(),
            sealed: false,
            candidates: None,
            budget,
            grain: 1,
            script_bytes: 0,
            table_bytes: 0,
            hits: 0,
            scripts_dropped: 0,
            merged_table_hits: 0,
            peak: 0,
        }
    }

    /// A site of cPanel's user data ([`crate::reader::cpanel_userdata`]):
    /// its document root maps directories under it to the site, its home
    /// directory names the account of paths not under `/home*/USER`.
    pub fn add_userdata(&mut self, u: &crate::cpanel::Userdata) {
        if let Some(root) = &u.documentroot {
            self.docroots.push((root.clone(), u.domain.clone()));
        }
        if let (Some(home), Some(user)) = (&u.homedir, &u.user)
            && !self.homes.iter().any(|(h, _)| h == home)
        {
            self.homes.push((home.clone(), user.clone()));
        }
        for s in &mut self.scripts {
            if !s.from_queue {
                s.site = site_in(&s.dir, &self.docroots, &self.homes);
            }
        }
        self.candidates = None;
        self.recount();
    }

    /// Phase 1 from an assembled message: a local submission (no client
    /// host, not a bounce) with a linked `cwd=` is added under that
    /// directory, at its arrival time minus `offset` (the server's UTC offset
    /// in seconds: mainlog times are local). True when it was added.
    pub fn add_message(&mut self, m: &crate::assemble::Message, offset: i64) -> bool {
        match Submission::of(m, offset) {
            Some(s) => {
                self.add(&s);
                true
            }
            None => false,
        }
    }

    /// Phase 1 from a [`Submission`] taken from a message elsewhere (on
    /// another thread: [`crate::parallel::fold_messages`]); the same as
    /// [`WebOrigins::add_message`] of that message.
    pub fn add(&mut self, s: &Submission) {
        self.add_submission(&s.dir, s.time, &s.id);
    }

    /// Phase 1 from the mail queue: a spool file whose cPanel `X-PHP-Script:
    /// host/path for IP` names the script that sent it; the requests for
    /// that exact path on that site (`www.` or not) before its reception
    /// count. True when it had the header.
    pub fn add_header(&mut self, h: &crate::spool::HeaderFile<'_>) -> bool {
        let Some(p) = h.php_script() else {
            return false;
        };
        let host = p.host.to_string_lossy();
        let path = p.path.to_string_lossy();
        let key = format!("{host}{path}");
        if !self.by_dir.contains_key(&key) {
            let site = Site {
                domain: Some(host.into_owned()),
                user: None,
                url_prefix: path.into_owned(),
            };
            self.new_script(&key, true, Some(site));
        }
        self.add_arrival(&key, h.received_time);
        true
    }

    /// Phase 1: a message the script in `dir` submitted, arrived at `time`
    /// (seconds since the epoch, UTC: convert mainlog times with the server's
    /// offset). `id` (the message id) is not kept: messages of one second
    /// are counted together. A submission added after requests starts the
    /// request phase over (the requests so far are forgotten).
    pub fn add_submission(&mut self, dir: &str, time: i64, id: &str) {
        let _ = id;
        let dir = dir.trim_end_matches('/');
        if !self.by_dir.contains_key(dir) {
            let site = site_in(dir, &self.docroots, &self.homes);
            self.new_script(dir, false, site);
        }
        self.add_arrival(dir, time);
    }

    fn new_script(&mut self, dir: &str, from_queue: bool, site: Option<Site>) {
        let s = Script {
            dir: dir.to_string(),
            from_queue,
            site,
            arrivals: Arrivals::default(),
            clients: BoundedMap::new(KEYS_CAP),
            urls: BoundedMap::new(KEYS_CAP),
            agents: BoundedMap::new(KEYS_CAP),
            dropped_elsewhere: 0,
        };
        self.script_bytes += s.bytes();
        self.scripts.push(s);
        self.by_dir.insert(dir.to_string(), self.scripts.len() - 1);
        self.candidates = None;
    }

    fn add_arrival(&mut self, dir: &str, time: i64) {
        if self.sealed {
            self.restart();
        }
        let grain = self.grain;
        let Some(s) = self.by_dir.get(dir).and_then(|&i| self.scripts.get_mut(i)) else {
            return;
        };
        let before = s.arrivals.bytes();
        let fits = s.arrivals.push(time.div_euclid(grain));
        self.script_bytes = (self.script_bytes + s.arrivals.bytes()).saturating_sub(before);
        self.note_peak();
        if !fits {
            self.settle();
        }
        if self.script_bytes > self.budget.get() / 4 {
            self.fit();
        }
    }

    /// Doubles the seconds of an arrival bucket.
    fn coarsen(&mut self) -> bool {
        self.grain = self.grain.saturating_mul(2);
        self.hits += 1;
        let mut fits = true;
        for s in &mut self.scripts {
            fits &= s.arrivals.coarsen();
        }
        fits
    }

    /// Every script's pending arrivals merged in, coarsening while some
    /// span more than 32 bits of units (times centuries apart: a hostile
    /// log).
    fn settle(&mut self) {
        let mut fits = true;
        for s in &mut self.scripts {
            fits &= s.arrivals.flush();
        }
        while !fits && self.grain < i64::MAX / 2 {
            fits = self.coarsen();
        }
        self.recount();
    }

    /// Back to phase 1 after requests: counts again, tables emptied.
    fn restart(&mut self) {
        for s in &mut self.scripts {
            s.arrivals.unseal();
            for t in [&mut s.clients, &mut s.urls, &mut s.agents] {
                *t = BoundedMap::new(KEYS_CAP);
            }
        }
        self.sealed = false;
        self.recount();
    }

    fn recount(&mut self) {
        self.script_bytes = self.scripts.iter().map(Script::bytes).sum();
        self.table_bytes = self.scripts.iter().map(|s| s.table_use().bytes).sum();
        self.note_peak();
    }

    fn note_peak(&mut self) {
        self.peak = self.peak.max(self.script_bytes + self.table_bytes);
    }

    /// Brings the scripts and their arrivals back under an eighth of the
    /// budget (half of their quarter, so that this runs rarely): coarser
    /// arrival buckets while the buckets are most of the bytes, else the
    /// lighter half of the scripts dropped.
    fn fit(&mut self) {
        self.settle();
        for s in &mut self.scripts {
            s.arrivals.buckets.shrink_to_fit();
            s.arrivals.pending.shrink_to_fit();
        }
        self.recount();
        let limit = self.budget.get() / 8;
        while self.script_bytes > limit {
            let buckets: usize = self
                .scripts
                .iter()
                .map(|s| s.arrivals.buckets.len() * std::mem::size_of::<(u32, u32)>())
                .sum();
            if buckets * 2 >= self.script_bytes && self.grain < MAX_GRAIN {
                if !self.coarsen() {
                    self.settle();
                }
            } else if self.scripts.len() > 1 {
                self.drop_lighter_scripts();
                self.hits += 1;
            } else {
                break;
            }
            self.recount();
        }
    }

    /// Drops the scripts with the fewest messages (ties: by directory), half
    /// of them.
    fn drop_lighter_scripts(&mut self) {
        let mut order: Vec<(u64, String)> = self
            .scripts
            .iter()
            .map(|s| (s.arrivals.messages, s.dir.clone()))
            .collect();
        order.sort_unstable_by(|a, b| b.cmp(a));
        let keep: HashSet<String> = order
            .into_iter()
            .take(self.scripts.len() / 2)
            .map(|(_, d)| d)
            .collect();
        let before = self.scripts.len();
        self.scripts.retain(|s| keep.contains(&s.dir));
        self.scripts_dropped += (before - self.scripts.len()) as u64;
        self.by_dir = self
            .scripts
            .iter()
            .enumerate()
            .map(|(i, s)| (s.dir.clone(), i))
            .collect();
        self.candidates = None;
    }

    /// Enters the request phase: arrivals as running totals, each table
    /// given its share of the tables' half of the budget.
    fn seal(&mut self) {
        if self.sealed {
            return;
        }
        self.settle();
        for s in &mut self.scripts {
            s.arrivals.seal();
        }
        self.sealed = true;
        self.candidates = None;
        self.recount();
    }

    /// The scripts whose site the lines of `domain` (of `user`) can be on.
    fn candidates(&mut self, domain: &str, user: Option<&str>) -> Arc<[Candidate]> {
        if let Some((d, u, c)) = &self.candidates
            && d == domain
            && u.as_deref() == user
        {
            return c.clone();
        }
        let c: Arc<[Candidate]> = self
            .scripts
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                let Some(site) = &s.site else { return false };
                match (&site.domain, &site.user, user) {
                    (Some(d), _, _) => same_site(d, domain),
                    // Unknown site: any domain of the account, or any domain
                    // when the log's account is not known.
                    (None, Some(u), Some(lu)) => u == lu,
                    (None, _, _) => true,
                }
            })
            .map(|(i, s)| Candidate {
                script: i,
                prefix: s
                    .site
                    .as_ref()
                    .filter(|site| !site.url_prefix.is_empty())
                    .map(|site| {
                        memchr::memmem::Finder::new(site.url_prefix.as_bytes()).into_owned()
                    }),
            })
            .collect();
        self.candidates = Some((domain.to_string(), user.map(str::to_string), c.clone()));
        c
    }

    /// A quick test before parsing a raw access-log line of `domain` (of
    /// `user`): false when [`WebOrigins::add_request`] would certainly ignore
    /// it, because no script of that site has its URL prefix anywhere in the
    /// line (the request's path is a slice of the line, so this never drops a
    /// match). Most lines of a busy site are skipped without being parsed.
    pub fn may_match(&mut self, domain: &str, user: Option<&str>, raw: &[u8]) -> bool {
        self.seal();
        self.candidates(domain, user)
            .iter()
            .any(|c| c.prefix.as_ref().is_none_or(|f| f.find(raw).is_some()))
    }

    /// Phase 2 for a whole set of cPanel `domlogs/` files (see
    /// [`crate::reader::domlogs`]): every line read, skipped early by
    /// [`WebOrigins::may_match`], parsed and added; lines that are not access-log
    /// lines are ignored. Read errors that let reading go on are given to
    /// `on_error`; a fatal one ends the set and is returned.
    pub fn add_domlog(
        &mut self,
        set: &crate::reader::DomLog,
        mut on_error: impl FnMut(&crate::ReadError),
    ) -> Result<(), crate::ReadError> {
        let mut files = crate::reader::LogFiles::new(set.files.clone());
        let user = set.user.as_deref();
        let mut buf = Vec::new();
        loop {
            match files.read_line(&mut buf) {
                Ok(Some(_)) => {
                    if self.may_match(&set.domain, user, &buf)
                        && let Ok(l) = crate::weblog::parse_access_line(&buf)
                    {
                        self.add_request(&set.domain, user, &l);
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => on_error(&e),
            }
        }
    }

    /// Phase 2: one access-log line of `domain` (in `user`'s `domlogs/USER/`
    /// folder, if known).
    pub fn add_request(&mut self, domain: &str, user: Option<&str>, line: &AccessLine<'_>) {
        self.seal();
        let Some(path) = line.path() else { return };
        let path = path.as_bytes();
        let t = line.unix_seconds();
        let (window, grain) = (self.window, self.grain);
        for i in self.candidates(domain, user).iter().map(|c| c.script) {
            let Some(s) = self.scripts.get_mut(i) else {
                continue;
            };
            let Some(site) = &s.site else { continue };
            let prefix = site.url_prefix.as_bytes();
            let under = path.starts_with(prefix)
                && (path.len() == prefix.len() || path.get(prefix.len()) == Some(&b'/'));
            if !under {
                continue;
            }
            let (from, to) = s.arrivals.within(t, window, grain);
            if from >= to {
                continue;
            }
            let before = s.table_use().bytes;
            s.arrivals.explain(from, to);
            let (arrivals, [clients, urls, agents]) = s.tables();
            let add = |m: &mut BoundedMap<String, Hits>, key: &str| {
                m.update(key, |h: &mut Hits| {
                    h.requests += 1;
                    h.covered.cover(from, to, arrivals);
                });
            };
            add(clients, &line.client.to_string_lossy());
            add(urls, &String::from_utf8_lossy(path));
            add(
                agents,
                &line
                    .user_agent
                    .map(|a| a.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
            let after = s.table_use().bytes;
            self.table_bytes = (self.table_bytes + after).saturating_sub(before);
            self.peak = self.peak.max(self.script_bytes + self.table_bytes);
        }
        self.trim_tables();
    }

    /// The tables share one pool, 3/4 of the budget: a busy site's root
    /// script may need most of it while a hundred quiet scripts need
    /// little. Past it, the biggest table drops its lighter half (as a
    /// [`BoundedMap`] does when full), until a quarter of the pool is free.
    fn trim_tables(&mut self) {
        let pool = self.budget.get() / 4 * 3;
        if self.table_bytes <= pool {
            return;
        }
        let goal = pool / 4 * 3;
        while self.table_bytes > goal {
            let biggest = self
                .scripts
                .iter_mut()
                .flat_map(|s| s.tables().1)
                .max_by_key(|t| t.bytes());
            let Some(t) = biggest else { break };
            let before = t.bytes();
            if before == 0 {
                break;
            }
            // Over a budget just below what it holds, the map prunes to
            // half of it; then it may grow again within the pool.
            t.set_max_bytes(before - 1);
            t.set_max_bytes(usize::MAX);
            self.table_bytes = self.table_bytes.saturating_sub(before - t.bytes());
        }
    }

    /// Adds the request-phase results of `other`, an engine given the same
    /// submissions (and budget) and other access-log lines. A script whose
    /// arrivals differ in `other` (other submissions, or coarsened to
    /// another resolution) is left as it is.
    pub fn merge(&mut self, mut other: WebOrigins) {
        self.seal();
        other.seal();
        self.merged_table_hits += other.merged_table_hits;
        if self.grain != other.grain {
            return;
        }
        for o in other.scripts {
            let Some(&i) = self.by_dir.get(&o.dir) else {
                continue;
            };
            let Some(s) = self.scripts.get_mut(i) else {
                continue;
            };
            if (s.arrivals.origin, &s.arrivals.buckets) != (o.arrivals.origin, &o.arrivals.buckets)
            {
                continue;
            }
            for (k, w) in o.arrivals.explained.iter().enumerate() {
                let mine = s.arrivals.explained.get(k).copied().unwrap_or(0);
                let mut new = w & !mine;
                while new != 0 {
                    let b = k * 64 + new.trailing_zeros() as usize;
                    s.arrivals.explain(b, b + 1);
                    new &= new - 1;
                }
            }
            let used = o.table_use();
            s.dropped_elsewhere +=
                o.dropped_elsewhere + o.clients.dropped() + o.urls.dropped() + o.agents.dropped();
            self.merged_table_hits += used.prunes + used.truncated;
            let (arrivals, tables) = s.tables();
            for (mine, theirs) in tables.into_iter().zip([o.clients, o.urls, o.agents]) {
                // Heaviest first, so that a prune on the way keeps what
                // matters (as BoundedMap::merge does).
                for (k, h) in theirs.top(usize::MAX, 0) {
                    mine.update_key(k, |m: &mut Hits| {
                        m.requests += h.requests;
                        for &(a, b) in &h.covered.spans {
                            m.covered.cover(a as usize, b as usize, arrivals);
                        }
                    });
                }
            }
        }
        self.peak = self.peak.max(other.peak);
        self.recount();
        // Each part kept its tables within the pool, together they may not.
        self.trim_tables();
    }

    /// The memory ledger: the bytes held against the budget, the most held,
    /// and how often the budget was hit (arrival times coarsened, scripts
    /// dropped, table prunes and keys cut).
    pub fn memory(&self) -> MemoryUse {
        let tables: TableUse = self.scripts.iter().map(Script::table_use).sum();
        MemoryUse {
            budget: self.budget.get(),
            held: self.script_bytes + self.table_bytes,
            peak: self.peak.max(self.script_bytes + self.table_bytes),
            hits: self.hits + tables.prunes + tables.truncated + self.merged_table_hits,
        }
    }

    /// The result, `top` rows per table, scripts with most messages first.
    pub fn report(&mut self, top: usize) -> WebOriginsReport {
        self.seal();
        let rows = |m: &BoundedMap<String, Hits>| -> Vec<OriginRow> {
            m.top(top, 1)
                .into_iter()
                .map(|(k, h)| OriginRow {
                    key: k.clone(),
                    messages: h.covered.messages,
                    requests: h.requests,
                })
                .collect()
        };
        let coarse = self.grain > 1;
        let mut scripts: Vec<ScriptOrigins> = self
            .scripts
            .iter()
            .map(|s| ScriptOrigins {
                dir: s.dir.clone(),
                from_queue: s.from_queue,
                site: s.site.clone(),
                messages: s.arrivals.messages,
                explained: s.arrivals.explained_messages,
                clients: rows(&s.clients),
                urls: rows(&s.urls),
                user_agents: rows(&s.agents),
                approximate: coarse
                    || s.dropped_elsewhere
                        + s.clients.dropped()
                        + s.urls.dropped()
                        + s.agents.dropped()
                        > 0,
            })
            .collect();
        scripts.sort_by(|a, b| b.messages.cmp(&a.messages).then_with(|| a.dir.cmp(&b.dir)));
        WebOriginsReport {
            window: self.window,
            resolution: self.grain,
            approximate: self.scripts_dropped > 0 || scripts.iter().any(|s| s.approximate),
            scripts_dropped: self.scripts_dropped,
            memory: self.memory(),
            scripts,
        }
    }
}

/// The result of [`WebOrigins::report`].
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct WebOriginsReport {
    /// The window, in seconds before an arrival.
    pub window: i64,
    /// Seconds to which arrival times were kept: 1 (exact) unless the memory
    /// budget coarsened them (a request then counts for every message of a
    /// bucket of that many seconds touching its window).
    pub resolution: i64,
    /// True when the budget made any count inexact: arrival times
    /// coarsened, script directories dropped, or a table's light keys
    /// dropped (see each script's `approximate`).
    pub approximate: bool,
    /// Script directories dropped by the budget (those with fewest
    /// messages), not in `scripts`.
    pub scripts_dropped: u64,
    /// The engine's memory ledger against its budget.
    pub memory: MemoryUse,
    /// One entry per script directory.
    pub scripts: Vec<ScriptOrigins>,
}
/// The requests behind one script.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ScriptOrigins {
    /// The script's directory (`cwd=`), or for a script named by the
    /// queue's `X-PHP-Script`, its `host/path`.
    pub dir: String,
    /// True when the script is named by `X-PHP-Script` headers in the queue
    /// ([`WebOrigins::add_header`]), not by the mainlog's `cwd=`.
    pub from_queue: bool,
    /// Where it is served from; `None` when the directory maps to no site.
    pub site: Option<Site>,
    /// Messages it submitted.
    pub messages: u64,
    /// Of them, those with at least one request in the window.
    pub explained: u64,
    /// Client addresses, by messages explained.
    pub clients: Vec<OriginRow>,
    /// Request paths.
    pub urls: Vec<OriginRow>,
    /// User agents (`""` when not logged).
    pub user_agents: Vec<OriginRow>,
    /// True when a table dropped light keys to bound memory.
    pub approximate: bool,
}

/// A client, URL or user agent.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct OriginRow {
    /// The address, path or agent.
    pub key: String,
    /// Messages whose window held one of its requests.
    pub messages: u64,
    /// Its requests in some window.
    pub requests: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weblog::parse_access_line;
    use std::collections::{BTreeMap, BTreeSet};

    fn line(ip: &str, secs: u32, path: &str) -> String {
        format!(
            "{ip} - - [05/Dec/2026:10:{:02}:{:02} +0000] \"POST {path} HTTP/1.1\" 200 5 \"-\" \"ua-{ip}\"",
            secs / 60,
            secs % 60
        )
    }

    /// 10:00:00 of the test day, in seconds.
    const T0: i64 = 1_796_464_800;

    #[test]
    fn attacker_ranked_above_visitors_and_merge_is_the_single_pass() {
        let roots = vec![(
            "/home/u/public_html".to_string(),
            "shop.example".to_string(),
        )];
        let mut base = WebOrigins::new(10, roots);
        for k in 0..5 {
            base.add_submission(
                "/home/u/public_html/up",
                T0 + 100 * k + 3,
                &format!("id{k}"),
            );
        }
        let mut lines = Vec::new();
        for k in 0..5u32 {
            lines.push(line("198.51.100.23", 100 * k, "/up/m.php"));
            // A visitor of another page in the same seconds, and one of the
            // script's folder long before.
            lines.push(line("192.0.2.1", 100 * k, "/shop/cart.php"));
        }
        lines.push(line("192.0.2.2", 3000, "/up/m.php"));
        lines.push(line("192.0.2.3", 100 + 50, "/upload/x.php"));

        let mut whole = base.clone();
        for l in &lines {
            whole.add_request(
                "shop.example",
                None,
                &parse_access_line(l.as_bytes()).unwrap(),
            );
        }
        // The quick test before parsing skips lines, never a match.
        let mut filtered = base.clone();
        let mut skipped = 0;
        for l in &lines {
            if filtered.may_match("shop.example", None, l.as_bytes()) {
                filtered.add_request(
                    "shop.example",
                    None,
                    &parse_access_line(l.as_bytes()).unwrap(),
                );
            } else {
                skipped += 1;
            }
        }
        // The /shop/cart.php lines; /upload/x.php holds "/up" and is parsed.
        assert_eq!(skipped, 5);
        assert!(!filtered.may_match("blog.example", None, lines[0].as_bytes()));
        #[cfg(feature = "serde")]
        assert_eq!(
            serde_json::to_value(filtered.report(10)).unwrap(),
            serde_json::to_value(whole.report(10)).unwrap()
        );
        let f = filtered.report(10);
        assert_eq!(f.scripts[0].explained, 5);
        assert_eq!(f.scripts[0].clients[0].key, "198.51.100.23");
        let r = whole.report(10);
        let s = &r.scripts[0];
        assert_eq!((s.messages, s.explained), (5, 5));
        let clients: Vec<_> = s
            .clients
            .iter()
            .map(|c| (c.key.as_str(), c.messages))
            .collect();
        assert_eq!(clients, [("198.51.100.23", 5)]);
        assert_eq!(s.urls[0].key, "/up/m.php");

        // Another domain does not count.
        let mut other = base.clone();
        other.add_request(
            "blog.example",
            None,
            &parse_access_line(lines[0].as_bytes()).unwrap(),
        );
        assert_eq!(other.report(10).scripts[0].explained, 0);

        let (a, b) = lines.split_at(5);
        let mut first = base.clone();
        let mut second = base.clone();
        for l in a {
            first.add_request(
                "shop.example",
                None,
                &parse_access_line(l.as_bytes()).unwrap(),
            );
        }
        for l in b {
            second.add_request(
                "shop.example",
                None,
                &parse_access_line(l.as_bytes()).unwrap(),
            );
        }
        first.merge(second);
        #[cfg(feature = "serde")]
        assert_eq!(
            serde_json::to_value(first.report(10)).unwrap(),
            serde_json::to_value(whole.report(10)).unwrap()
        );
    }

    /// A request at `t` (in December 2026, UTC).
    fn at(client: &str, t: i64, path: &str, agent: &str) -> String {
        let s = t - (T0 - 10 * 3600 - 4 * 86_400);
        format!(
            "{client} - - [{:02}/Dec/2026:{:02}:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" 200 5 \"-\" \"{agent}\"",
            s / 86_400 + 1,
            s % 86_400 / 3600,
            s % 3600 / 60,
            s % 60
        )
    }

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) % n
        }
    }

    /// The join done the plain way, one message at a time: every arrival
    /// kept, and per client, URL and user agent the set of the messages it
    /// explains. Returns per script (messages, explained, rows by key).
    #[allow(clippy::type_complexity)]
    fn per_message_join(
        arrivals: &[(&str, i64)],
        requests: &[(String, i64, String, String)],
        window: i64,
    ) -> BTreeMap<String, (u64, u64, BTreeMap<(usize, String), (u64, u64)>)> {
        let mut out = BTreeMap::new();
        let dirs: BTreeSet<&str> = arrivals.iter().map(|a| a.0).collect();
        for dir in dirs {
            let prefix = dir.strip_prefix("/home/u/public_html").unwrap();
            let times: Vec<i64> = arrivals
                .iter()
                .filter(|a| a.0 == dir)
                .map(|a| a.1)
                .collect();
            let mut explained = BTreeSet::new();
            let mut keys: BTreeMap<(usize, String), (BTreeSet<usize>, u64)> = BTreeMap::new();
            for (client, t, path, agent) in requests {
                let under = path.starts_with(prefix)
                    && (path.len() == prefix.len() || path[prefix.len()..].starts_with('/'));
                let hit: Vec<usize> = (0..times.len())
                    .filter(|&k| times[k] >= *t && times[k] <= t + window)
                    .collect();
                if !under || hit.is_empty() {
                    continue;
                }
                explained.extend(hit.iter().copied());
                for (kind, key) in [(0, client), (1, path), (2, agent)] {
                    let e = keys.entry((kind, key.clone())).or_default();
                    e.0.extend(hit.iter().copied());
                    e.1 += 1;
                }
            }
            let rows = keys
                .into_iter()
                .map(|(k, (set, n))| (k, (set.len() as u64, n)))
                .collect();
            out.insert(
                dir.to_string(),
                (times.len() as u64, explained.len() as u64, rows),
            );
        }
        out
    }

    #[allow(clippy::type_complexity)]
    fn rows_of(
        r: &WebOriginsReport,
    ) -> BTreeMap<String, (u64, u64, BTreeMap<(usize, String), (u64, u64)>)> {
        r.scripts
            .iter()
            .map(|s| {
                let mut rows = BTreeMap::new();
                for (kind, t) in [(0, &s.clients), (1, &s.urls), (2, &s.user_agents)] {
                    for row in t {
                        rows.insert((kind, row.key.clone()), (row.messages, row.requests));
                    }
                }
                (s.dir.clone(), (s.messages, s.explained, rows))
            })
            .collect()
    }

    #[test]
    fn equal_to_the_per_message_join_in_any_order_and_merged() {
        for seed in 1..=20u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let dirs = [
                "/home/u/public_html/up",
                "/home/u/public_html/up/deep",
                "/home/u/public_html",
                "/home/u/public_html/forum",
            ];
            // Arrivals in bursts (several per second), out of time order.
            let mut arrivals = Vec::new();
            for _ in 0..rng.below(400) + 1 {
                let dir = dirs[rng.below(dirs.len() as u64) as usize];
                let t = T0 + rng.below(3000) as i64;
                for _ in 0..rng.below(3) + 1 {
                    arrivals.push((dir, t));
                }
            }
            let paths = [
                "/up/m.php",
                "/up/deep/x.php",
                "/index.php",
                "/forum/a.php",
                "/upx.php",
            ];
            let mut requests = Vec::new();
            for _ in 0..rng.below(1500) {
                requests.push((
                    format!("192.0.2.{}", rng.below(30)),
                    T0 - 20 + rng.below(3040) as i64,
                    paths[rng.below(paths.len() as u64) as usize].to_string(),
                    format!("agent-{}", rng.below(5)),
                ));
            }
            // Half the requests in time order (as a log is), half not.
            if seed % 2 == 0 {
                requests.sort_by_key(|r| r.1);
            }
            let window = rng.below(15) as i64;
            let mut base = WebOrigins::new(window, vec![]);
            for (k, (dir, t)) in arrivals.iter().enumerate() {
                base.add_submission(dir, *t, &format!("id{k}"));
            }
            let line = |(client, t, path, agent): &(String, i64, String, String)| {
                at(client, *t, path, agent)
            };
            let mut whole = base.clone();
            let mut first = base.clone();
            let mut second = base.clone();
            let cut = requests.len() / 3;
            for (k, r) in requests.iter().enumerate() {
                let l = line(r);
                let l = parse_access_line(l.as_bytes()).unwrap();
                assert_eq!(l.unix_seconds(), r.1);
                whole.add_request("u.example", Some("u"), &l);
                let part = if k < cut { &mut first } else { &mut second };
                part.add_request("u.example", Some("u"), &l);
            }
            let expected = per_message_join(&arrivals, &requests, window);
            let r = whole.report(usize::MAX);
            assert!(!r.approximate && r.resolution == 1, "seed {seed}");
            assert_eq!(rows_of(&r), expected, "seed {seed}");
            first.merge(second);
            assert_eq!(
                rows_of(&first.report(usize::MAX)),
                expected,
                "seed {seed}, merged"
            );
        }
    }

    #[test]
    fn budget_bounds_memory_and_keeps_the_attacker_on_top() {
        let budget = MemoryBudget::bytes(256 << 10);
        let mut w = WebOrigins::with_budget(10, vec![], budget);
        let mut rng = Rng(7);
        // The attacker's script sends one message every few seconds for
        // six days (far more distinct seconds than the budget holds),
        // amid 3,000 contact forms of one message each.
        let mut t = T0;
        let mut sent = Vec::new();
        for k in 0..60_000u64 {
            t += 1 + rng.below(17) as i64;
            w.add_submission("/home/u/public_html/up", t, "x");
            sent.push(t);
            if k % 64 == 0 {
                w.add_submission(&format!("/home/f{k}/public_html/contact"), t, "y");
            }
            if k % 1000 == 0 {
                assert!(w.memory().held <= budget.get(), "after {k} messages");
            }
        }
        assert!(w.grain > 1);
        let held = w.memory().held;
        // The attacker ran each, 1 to 3 seconds before; visitors browse the
        // folder at random times.
        for (k, &t) in sent.iter().enumerate() {
            let l = at("198.51.100.23", t - 1 - (k % 3) as i64, "/up/m.php", "evil");
            w.add_request(
                "u.example",
                Some("u"),
                &parse_access_line(l.as_bytes()).unwrap(),
            );
            if k % 5 == 0 {
                let v = format!("100.64.{}.{}", rng.below(256), rng.below(256));
                let l = at(
                    &v,
                    t - 400 + rng.below(800) as i64,
                    "/up/logo.png",
                    "browser",
                );
                w.add_request(
                    "u.example",
                    Some("u"),
                    &parse_access_line(l.as_bytes()).unwrap(),
                );
            }
        }
        let r = w.report(5);
        assert!(r.approximate && r.resolution > 1);
        assert!(r.memory.hits > 0);
        assert!(r.memory.peak <= budget.get(), "{:?}", r.memory);
        assert!(r.memory.held >= held);
        let s = r
            .scripts
            .iter()
            .find(|s| s.dir == "/home/u/public_html/up")
            .unwrap();
        assert_eq!((s.messages, s.explained), (60_000, 60_000));
        assert_eq!(s.clients[0].key, "198.51.100.23");
        assert_eq!(s.clients[0].messages, 60_000);
        assert!(s.clients[1..].iter().all(|c| c.messages < 60_000 / 10));
        assert_eq!(r.scripts[0].dir, s.dir);
    }

    #[test]
    fn times_centuries_apart_are_coarsened_not_lost() {
        let mut w = WebOrigins::new(10, vec![]);
        for t in [T0, i64::MIN, T0 + 5, i64::MAX, 0, T0 + 5, -1] {
            w.add_submission("/home/u/public_html/up", t, "x");
        }
        let l = at("198.51.100.23", T0 + 1, "/up/m.php", "evil");
        w.add_request(
            "u.example",
            Some("u"),
            &parse_access_line(l.as_bytes()).unwrap(),
        );
        let r = w.report(5);
        assert!(r.resolution >= 1 << 32 && r.approximate, "{r:?}");
        assert_eq!(r.scripts[0].messages, 7);
        // Coarse buckets: the request counts for every message of its bucket.
        assert!(r.scripts[0].explained >= 3);
        assert_eq!(r.scripts[0].clients[0].key, "198.51.100.23");
    }

    #[test]
    fn cpanel_userdata_maps_addon_domains_and_homes_outside_home() {
        let submit = |w: &mut WebOrigins| {
            w.add_submission("/data/u1/public_html/up", T0 + 5, "a");
            w.add_submission("/home/u2/addon.example/up", T0 + 5, "b");
        };
        let requests = |w: &mut WebOrigins| {
            for (domain, user, l) in [
                (
                    "u1.example",
                    Some("u1"),
                    line("198.51.100.1", 3, "/up/m.php"),
                ),
                (
                    "www.addon.example",
                    None,
                    line("198.51.100.2", 3, "/up/m.php"),
                ),
            ] {
                w.add_request(domain, user, &parse_access_line(l.as_bytes()).unwrap());
            }
        };
        // By path alone neither maps to a site.
        let mut plain = WebOrigins::new(10, vec![]);
        submit(&mut plain);
        requests(&mut plain);
        let r = plain.report(5);
        assert!(
            r.scripts
                .iter()
                .all(|s| s.site.is_none() && s.explained == 0)
        );

        let mut w = WebOrigins::new(10, vec![]);
        submit(&mut w);
        for text in [
            &b"documentroot: /data/u1/public_html\nhomedir: /data/u1\nuser: u1\n"[..],
            b"documentroot: /home/u2/addon.example\nhomedir: /home/u2\nuser: u2\nservername: addon.example\n",
        ] {
            w.add_userdata(&crate::cpanel::parse_userdata("u1.example", text));
        }
        requests(&mut w);
        let r = w.report(5);
        let by = |dir: &str| r.scripts.iter().find(|s| s.dir == dir).unwrap();
        let a = by("/data/u1/public_html/up");
        assert_eq!(a.site.as_ref().unwrap().user.as_deref(), Some("u1"));
        assert_eq!(
            (a.explained, a.clients[0].key.as_str()),
            (1, "198.51.100.1")
        );
        let b = by("/home/u2/addon.example/up");
        assert_eq!(
            b.site.as_ref().unwrap().domain.as_deref(),
            Some("addon.example")
        );
        assert_eq!(
            (b.explained, b.clients[0].key.as_str()),
            (1, "198.51.100.2")
        );
        assert_eq!(b.clients.len(), 1);
    }

    #[test]
    fn homes_and_site_names() {
        let homes = vec![("/srv/www/u".to_string(), "u".to_string())];
        let s = site_in("/srv/www/u/public_html/x/y", &[], &homes).unwrap();
        assert_eq!(
            (s.user.as_deref(), s.url_prefix.as_str()),
            (Some("u"), "/x/y")
        );
        assert_eq!(site_in("/srv/www/u/public_htmlx", &[], &homes), None);
        assert_eq!(site_in("/home/u/private/x", &[], &[]), None);
        assert!(same_site("WWW.Example.org", "example.org"));
        assert!(!same_site("www.", "other"));
        // "www." alone is a name, not a prefix of the empty one.
        assert!(!same_site("www.", ""));
        assert!(!same_site("example.org", "example.net"));
    }

    #[test]
    fn sites() {
        assert_eq!(site_of("/var/www/x", &[]), None);
        let s = site_of("/home/u/public_html", &[]).unwrap();
        assert_eq!(s.url_prefix, "");
    }

    /// The ledger holds what the arrivals allocate: 8 bytes a second kept,
    /// 16 an arrival pending (out of time order), 8 a word of the explained
    /// bits, besides the script's overhead and texts; kept up to date on
    /// every arrival, not only when recounted.
    #[test]
    fn the_ledger_counts_the_arrivals_as_allocated() {
        let mut w = WebOrigins::new(10, vec![]);
        let dir = "/home/u/public_html/up";
        // The directory, the account "u" and the URL prefix "/up".
        let fixed = SCRIPT_OVERHEAD + dir.len() + 1 + 3;
        let arrivals = |w: &WebOrigins| {
            let a = &w.scripts[0].arrivals;
            a.buckets.capacity() * 8 + a.pending.capacity() * 16 + a.explained.capacity() * 8
        };
        let tables =
            |w: &WebOrigins| -> usize { w.scripts.iter().map(|s| s.table_use().bytes).sum() };
        for k in 0..1000 {
            w.add_submission(dir, T0 + k, "x");
        }
        assert!(w.scripts[0].arrivals.pending.is_empty());
        assert!(arrivals(&w) >= 8 * 1000);
        assert_eq!(w.memory().held, fixed + arrivals(&w));
        // Earlier seconds: pending, not yet merged.
        for k in 1..=40 {
            w.add_submission(dir, T0 - k, "x");
        }
        assert_eq!(w.scripts[0].arrivals.pending.len(), 40);
        assert_eq!(w.memory().held, fixed + arrivals(&w));
        let l = at("198.51.100.23", T0 + 5, "/up/m.php", "evil");
        w.add_request(
            "u.example",
            Some("u"),
            &parse_access_line(l.as_bytes()).unwrap(),
        );
        let a = &w.scripts[0].arrivals;
        assert!(a.pending.is_empty() && a.buckets.len() == 1040 && a.explained.len() == 17);
        assert!(tables(&w) > 0);
        assert_eq!(w.memory().held, fixed + arrivals(&w) + tables(&w));
    }

    /// Phase 1 from assembled messages: only a local submission (no client
    /// host, not a bounce) with its `cwd=` counts, at its time less the
    /// server's offset; a submission after requests starts phase 2 over.
    #[test]
    fn submissions_from_messages_and_the_request_phase_started_over() {
        use crate::assemble::{Assembled, Assembler};
        use crate::reader::LogReader;
        let log = b"\
2026-12-05 11:00:00 [5737] cwd=/home/u/public_html/up 3 args: /usr/sbin/sendmail -t -i
2026-12-05 11:00:00 [5737] 1sAfXv-0001UX-00 <= u@host.example U=u P=local S=709
2026-12-05 11:01:00 1sAfXw-0001UX-00 <= a@remote.example H=mx.example.net [192.0.2.1] P=esmtp S=100
2026-12-05 11:02:00 [5738] cwd=/home/u/public_html/up 3 args: /usr/sbin/sendmail -t -i
2026-12-05 11:02:00 [5738] 1sAfXx-0001UX-00 <= <> R=1sAfXv-0001UX-00 U=mailnull P=local S=100
";
        let records = LogReader::new(&log[..]).into_records();
        let messages: Vec<_> = Assembler::new()
            .messages(records)
            .filter_map(|a| match a {
                Ok(Assembled::Message(m)) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(messages.len(), 3);
        // 11:00:00 logged at UTC+1: 10:00:00 UTC.
        let t = T0;
        assert_eq!(
            Submission::of(&messages[0], 3600),
            Some(Submission {
                dir: "/home/u/public_html/up".into(),
                time: t,
                id: "1sAfXv-0001UX-00".into(),
            })
        );
        let mut w = WebOrigins::new(30, vec![]);
        let added: Vec<bool> = messages.iter().map(|m| w.add_message(m, 3600)).collect();
        assert_eq!(added, [true, false, false]);
        let request = |w: &mut WebOrigins, client: &str, at_t: i64| {
            let l = at(client, at_t, "/up/m.php", "ua");
            w.add_request(
                "u.example",
                Some("u"),
                &parse_access_line(l.as_bytes()).unwrap(),
            );
        };
        request(&mut w, "198.51.100.1", t - 30);
        request(&mut w, "198.51.100.9", t - 31);
        let r = w.report(10);
        let clients = |r: &WebOriginsReport| -> Vec<(String, u64, u64)> {
            r.scripts[0]
                .clients
                .iter()
                .map(|c| (c.key.clone(), c.messages, c.requests))
                .collect()
        };
        assert_eq!((r.scripts[0].messages, r.scripts[0].explained), (1, 1));
        assert_eq!(clients(&r), [("198.51.100.1".to_string(), 1, 1)]);

        // A later submission: the requests so far are forgotten.
        let mut again = w.clone();
        again.add(&Submission {
            dir: "/home/u/public_html/up/".into(),
            time: t + 1000,
            id: "1sAfXy-0001UX-00".into(),
        });
        let r = again.report(10);
        assert_eq!((r.scripts.len(), r.scripts[0].messages), (1, 2));
        assert_eq!((r.scripts[0].explained, clients(&r)), (0, vec![]));
        request(&mut again, "198.51.100.2", t + 995);
        request(&mut again, "198.51.100.2", t + 999);
        let r = again.report(10);
        assert_eq!(r.scripts[0].explained, 1);
        assert_eq!(clients(&r), [("198.51.100.2".to_string(), 1, 2)]);
    }

    /// Phase 1 from the queue: cPanel's `X-PHP-Script: host/path for IP`
    /// names the script by its URL on that site (`www.` or not), and only
    /// requests for that exact path explain its messages.
    #[test]
    fn scripts_named_by_the_queue() {
        let received = T0 + 50;
        let spool = |php: Option<&str>| {
            let mut s = format!(
                "1xZnLL-0006bM-1H-H\nnobody 65534 65534\n<nobody@h.example>\n{received} 0\n-local\nXX\n1\nv@later.example\n\n"
            );
            if let Some(v) = php {
                let h = format!("X-PHP-Script: {v}");
                s.push_str(&format!("{:03}  {h}\n", h.len() + 1));
            }
            s.into_bytes()
        };
        let with = spool(Some("www.shop.example/up/mailer.php for 198.51.100.23"));
        let without = spool(None);
        let mut w = WebOrigins::new(10, vec![]);
        assert!(w.add_header(&crate::spool::parse_header(&with).unwrap()));
        assert!(!w.add_header(&crate::spool::parse_header(&without).unwrap()));
        // A document root over the path changes nothing: the header said
        // where the script is.
        w.add_userdata(&crate::cpanel::parse_userdata(
            "shop.example",
            b"documentroot: /\nuser: u\n",
        ));
        for (domain, client, path, t) in [
            (
                "shop.example",
                "203.0.113.1",
                "/up/mailer.php",
                received - 2,
            ),
            (
                "shop.example",
                "203.0.113.2",
                "/up/mailer.phpx",
                received - 2,
            ),
            (
                "shop.example",
                "203.0.113.3",
                "/up/mailer.php/x",
                received - 2,
            ),
            (
                "other.example",
                "203.0.113.4",
                "/up/mailer.php",
                received - 2,
            ),
            (
                "shop.example",
                "203.0.113.5",
                "/up/mailer.php",
                received - 20,
            ),
        ] {
            let l = at(client, t, path, "ua");
            w.add_request(domain, None, &parse_access_line(l.as_bytes()).unwrap());
        }
        let r = w.report(10);
        assert_eq!(r.scripts.len(), 1);
        let s = &r.scripts[0];
        assert_eq!(s.dir, "www.shop.example/up/mailer.php");
        assert!(s.from_queue);
        assert_eq!(
            s.site,
            Some(Site {
                domain: Some("www.shop.example".into()),
                user: None,
                url_prefix: "/up/mailer.php".into(),
            })
        );
        assert_eq!((s.messages, s.explained), (1, 1));
        let clients: Vec<&str> = s.clients.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(clients, ["203.0.113.1", "203.0.113.3"]);
    }

    /// Arrivals in time order are counts per second in place; earlier ones
    /// wait in `pending` until they are more than 64 plus a quarter of the
    /// buckets, then are merged in, an equal second joining its bucket.
    #[test]
    fn arrivals_kept_as_counts_per_second() {
        let mut a = Arrivals::default();
        for u in [100, 100, 101, 102, 103, 104, 105, 106, 107] {
            assert!(a.push(u));
        }
        assert_eq!(a.origin, 100);
        let eight: Vec<(u32, u32)> = (0..8).map(|o| (o, if o == 0 { 2 } else { 1 })).collect();
        assert_eq!((a.buckets.clone(), a.pending.len()), (eight.clone(), 0));
        // 8 buckets: up to 64 + 2 pending.
        assert!(a.push(103));
        for u in (35..=99).rev() {
            assert!(a.push(u));
        }
        assert_eq!((a.buckets.clone(), a.pending.len()), (eight, 66));
        assert!(a.push(34));
        assert!(a.pending.is_empty());
        assert_eq!(a.origin, 34);
        let mut expected: Vec<(u32, u32)> = (0..66).map(|o| (o, 1)).collect();
        expected.extend([(66, 2), (67, 1), (68, 1), (69, 2)]);
        expected.extend((70..74).map(|o| (o, 1)));
        assert_eq!(a.buckets, expected);
        assert_eq!(a.messages, 9 + 67);
        // Coarsened: units of two seconds, 34 and 35 one bucket, and so on.
        assert!(a.coarsen());
        assert_eq!(a.origin, 17);
        let mut halves: Vec<(u32, u32)> = (0..33).map(|o| (o, 2)).collect();
        halves.extend([(33, 3), (34, 3), (35, 2), (36, 2)]);
        assert_eq!(a.buckets, halves);
    }

    /// The ledger's hits count a key cut to its first bytes (not an
    /// approximation: the rows stay exact); its peak survives the tables
    /// being emptied by a later submission.
    #[test]
    fn the_ledger_hits_and_peak() {
        let mut w = WebOrigins::new(10, vec![]);
        w.add_submission("/home/u/public_html/up", T0 + 5, "x");
        let m = w.memory();
        assert_eq!((m.hits, m.peak), (0, m.held));
        assert_eq!(m.budget, MemoryBudget::DEFAULT.get());
        let agent = "a".repeat(300);
        for client in ["198.51.100.1", "198.51.100.2"] {
            let l = at(client, T0, "/up/m.php", &agent);
            w.add_request(
                "u.example",
                Some("u"),
                &parse_access_line(l.as_bytes()).unwrap(),
            );
        }
        let m = w.memory();
        assert_eq!(m.hits, 2);
        assert_eq!(m.peak, m.held);
        let r = w.report(10);
        assert!(!r.approximate && !r.scripts[0].approximate);
        assert_eq!(r.memory, m);
        assert_eq!(r.scripts[0].user_agents[0].requests, 2);
        // Tables emptied by a submission after the requests: less held, the
        // peak kept.
        w.add_submission("/home/u/public_html/up", T0 + 6, "y");
        let after = w.memory();
        assert!(after.held < m.held);
        assert_eq!(after.peak, m.peak);
    }

    /// A key's covered buckets: ranges that overlap or touch are joined,
    /// and a bucket's messages count once however often it is covered.
    #[test]
    fn covered_ranges_join_and_count_once() {
        let mut a = Arrivals::default();
        for u in [10, 11, 11, 12, 13, 14, 15, 16, 17] {
            a.push(u);
        }
        a.seal();
        // Buckets 0..8 hold 1, 2, 1, 1, 1, 1, 1, 1 messages.
        let mut c = Covered::default();
        c.cover(0, 2, &a);
        assert_eq!((c.spans.clone(), c.messages), (vec![(0, 2)], 3));
        c.cover(2, 4, &a);
        assert_eq!((c.spans.clone(), c.messages), (vec![(0, 4)], 5));
        c.cover(1, 3, &a);
        c.cover(3, 3, &a);
        assert_eq!((c.spans.clone(), c.messages), (vec![(0, 4)], 5));
        c.cover(6, 7, &a);
        assert_eq!((c.spans.clone(), c.messages), (vec![(0, 4), (6, 7)], 6));
        c.cover(5, 6, &a);
        assert_eq!((c.spans.clone(), c.messages), (vec![(0, 4), (5, 7)], 7));
        c.cover(3, 8, &a);
        assert_eq!((c.spans.clone(), c.messages), (vec![(0, 8)], 9));

        // A key's ranges count against its table: 8 bytes each held.
        let mut m: BoundedMap<String, Hits> = BoundedMap::new(10);
        m.update("k", |_| {});
        let empty = m.bytes();
        m.update("k", |h| h.covered.spans.reserve_exact(5));
        let held = m.get("k").map_or(0, |h| h.covered.spans.capacity());
        assert!(held >= 5);
        assert_eq!(m.bytes() - empty, 8 * held);
        assert_eq!(
            Hits {
                requests: 7,
                covered: c
            }
            .weight(),
            9
        );
    }

    /// Scripts past their quarter of the budget: the lighter half dropped
    /// (fewest messages), counted, and the report says so.
    #[test]
    fn scripts_past_the_budget_drop_the_lighter_half() {
        let budget = MemoryBudget::bytes(1 << 10);
        // One script alone is past a quarter of 1 KiB: kept (nothing to
        // drop it for), each new one dropped at once.
        assert!(SCRIPT_OVERHEAD > budget.get() / 4);
        let mut w = WebOrigins::with_budget(10, vec![], budget);
        for k in 0..3 {
            w.add_submission("/home/u/public_html/heavy", T0 + k, "x");
        }
        assert_eq!((w.scripts.len(), w.scripts_dropped), (1, 0));
        w.add_submission("/home/u/public_html/light", T0, "x");
        w.add_submission("/home/v/public_html/light", T0, "x");
        let r = w.report(10);
        let dirs: Vec<(&str, u64)> = r
            .scripts
            .iter()
            .map(|s| (s.dir.as_str(), s.messages))
            .collect();
        assert_eq!(dirs, [("/home/u/public_html/heavy", 3)]);
        assert_eq!((r.scripts_dropped, r.memory.hits), (2, 2));
        assert!(r.approximate && !r.scripts[0].approximate);
        assert_eq!(r.resolution, 1);
        // The peak remembers the second script, held before it was dropped.
        assert!(r.memory.peak >= r.memory.held + SCRIPT_OVERHEAD);
    }

    /// The tables' pool (3/4 of the budget): past it, the biggest table
    /// drops its lighter half until a quarter of the pool is free; the
    /// ledger stays equal to what the tables hold, and the heavy key stays.
    #[test]
    fn tables_past_their_pool_drop_their_lighter_keys() {
        let budget = MemoryBudget::bytes(64 << 10);
        let (pool, goal) = (budget.get() / 4 * 3, budget.get() / 4 * 3 / 4 * 3);
        let mut w = WebOrigins::with_budget(10, vec![], budget);
        let dir = "/home/u/public_html/up";
        for k in 0..10 {
            w.add_submission(dir, T0 + 100 * k, "x");
        }
        let fixed = SCRIPT_OVERHEAD + dir.len() + 1 + 3;
        let tables =
            |w: &WebOrigins| -> usize { w.scripts.iter().map(|s| s.table_use().bytes).sum() };
        let parts = |w: &WebOrigins| {
            let a = &w.scripts[0].arrivals;
            fixed
                + a.buckets.capacity() * 8
                + a.pending.capacity() * 16
                + a.explained.capacity() * 8
                + tables(w)
        };
        let request = |w: &mut WebOrigins, client: &str, t: i64| {
            let l = at(client, t, "/up/m.php", "browser");
            w.add_request(
                "u.example",
                Some("u"),
                &parse_access_line(l.as_bytes()).unwrap(),
            );
        };
        let (mut before, mut trims, mut most) = (0, 0, 0);
        for i in 0..2000i64 {
            if i % 200 == 0 {
                request(&mut w, "198.51.100.23", T0 + 100 * (i / 200) - 2);
            }
            let v = format!("100.64.{}.{}", i / 256, i % 256);
            request(&mut w, &v, T0 + 100 * (i % 10) - 1);
            let now = tables(&w);
            assert!(now <= pool, "request {i}: {now}");
            if now < before {
                trims += 1;
                // Down to the goal, not far below: the clients' table holds
                // most of the pool, and one halving of it is enough.
                assert!(
                    now <= goal && now > goal / 2,
                    "request {i}: {now} after a trim"
                );
            }
            before = now;
            most = most.max(now);
            assert_eq!(w.memory().held, parts(&w), "request {i}");
        }
        // Trimmed only when the pool is full, not before.
        assert!(trims > 0 && most > (pool + goal) / 2, "{most}");
        let r = w.report(3);
        let s = &r.scripts[0];
        assert!(r.approximate && s.approximate && r.memory.hits > 0);
        assert_eq!((s.messages, s.explained), (10, 10));
        assert_eq!(
            (
                s.clients[0].key.as_str(),
                s.clients[0].messages,
                s.clients[0].requests
            ),
            ("198.51.100.23", 10, 10)
        );
        assert_eq!((s.urls[0].messages, s.urls[0].requests), (10, 2010));
    }

    /// Each account's home directory of the user data counts, once.
    #[test]
    fn homes_of_several_accounts() {
        let mut w = WebOrigins::new(10, vec![]);
        w.add_submission("/srv/u3/public_html/x", T0, "a");
        for (domain, text) in [
            ("u1.example", &b"homedir: /data/u1\nuser: u1\n"[..]),
            ("u1b.example", b"homedir: /data/u1\nuser: u1\n"),
            ("u3.example", b"homedir: /srv/u3\nuser: u3\n"),
        ] {
            w.add_userdata(&crate::cpanel::parse_userdata(domain, text));
        }
        assert_eq!(w.homes.len(), 2);
        let r = w.report(5);
        let site = r.scripts[0].site.clone().unwrap();
        assert_eq!(
            (site.user.as_deref(), site.url_prefix.as_str()),
            (Some("u3"), "/x")
        );
        // The struct itself is the least a script is counted for.
        assert!(SCRIPT_OVERHEAD > std::mem::size_of::<Script>());
    }

    /// Times too far apart for 32 bits of seconds wait with the earlier
    /// ones; when they are merged in (65 of them past one bucket), the
    /// engine coarsens at once, not at the first request.
    #[test]
    fn times_too_far_apart_coarsen_when_merged() {
        let mut w = WebOrigins::new(10, vec![]);
        w.add_submission("/home/u/public_html/up", T0, "x");
        for k in 0..64 {
            w.add_submission("/home/u/public_html/up", T0 + (1 << 33) + k, "x");
        }
        assert_eq!((w.grain, w.scripts[0].arrivals.pending.len()), (1, 64));
        w.add_submission("/home/u/public_html/up", T0 + (1 << 33) + 64, "x");
        // 2^33 + 64 seconds: in 32 bits at 4 seconds a unit, two halvings.
        assert_eq!((w.grain, w.memory().hits), (4, 2));
        assert!(w.scripts[0].arrivals.pending.is_empty());
    }

    /// An engine with `budget` given `k + 1` submissions at `T0` from the
    /// `k`th of `dirs` (the later, the heavier).
    fn submitted_ascending<D: AsRef<str>>(dirs: &[D], budget: MemoryBudget) -> WebOrigins {
        let mut w = WebOrigins::with_budget(10, vec![], budget);
        for (k, d) in dirs.iter().enumerate() {
            for _ in 0..=k {
                w.add_submission(d.as_ref(), T0, "x");
            }
        }
        w
    }

    /// Scripts holding exactly a quarter of the budget are within it; a
    /// byte less of budget and the lighter half is dropped.
    #[test]
    fn scripts_at_exactly_a_quarter_of_the_budget() {
        let dirs = ["/home/a/public_html/x", "/home/b/public_html/x"];
        let engine = |budget| submitted_ascending(&dirs, budget);
        let held = engine(MemoryBudget::DEFAULT).memory().held;
        let w = engine(MemoryBudget::bytes(4 * held));
        assert_eq!(
            (w.memory().held, w.scripts.len(), w.scripts_dropped),
            (held, 2, 0)
        );
        let w = engine(MemoryBudget::bytes(4 * held - 1));
        let kept: Vec<&str> = w.scripts.iter().map(|s| s.dir.as_str()).collect();
        assert_eq!((kept, w.scripts_dropped), (vec![dirs[1]], 1));
    }

    /// Past a quarter of the budget, scripts are dropped down to an eighth
    /// of it: 5 alike scripts just past a quarter keep the 2 heaviest. The
    /// fifth script's first message passes the quarter (its later ones
    /// add no bytes): u4 and u3 are kept, u5's other 4 messages start it
    /// again.
    #[test]
    fn scripts_are_dropped_down_to_an_eighth_of_the_budget() {
        let dirs: Vec<String> = (1..=5)
            .map(|k| format!("/home/u{k}/public_html/x"))
            .collect();
        let engine = |budget| submitted_ascending(&dirs, budget);
        let held = engine(MemoryBudget::DEFAULT).memory().held;
        let w = engine(MemoryBudget::bytes(4 * held - 4));
        let kept: Vec<(&str, u64)> = w
            .scripts
            .iter()
            .map(|s| (s.dir.as_str(), s.arrivals.messages))
            .collect();
        assert_eq!(
            kept,
            [
                (dirs[2].as_str(), 3),
                (dirs[3].as_str(), 4),
                (dirs[4].as_str(), 4)
            ]
        );
        assert_eq!(w.scripts_dropped, 3);
    }

    /// The budget coarsens arrival times to at most [`MAX_GRAIN`] seconds
    /// (then it would drop scripts instead).
    #[test]
    fn the_budget_coarsens_to_max_grain_at_most() {
        let mut w = WebOrigins::with_budget(10, vec![], MemoryBudget::bytes(1 << 10));
        for k in 0..200 {
            w.add_submission("/home/u/public_html/up", T0 + k * (1 << 31), "x");
        }
        assert_eq!(w.grain, MAX_GRAIN);
        assert_eq!(w.scripts[0].arrivals.buckets.len(), 200);
    }

    /// Merging partial results: keys a part dropped make the script
    /// approximate, their prunes count in the ledger (through nested
    /// merges too), and a part given other submissions is left out.
    #[test]
    fn merges_keep_the_parts_budget_hits() {
        let budget = MemoryBudget::bytes(64 << 10);
        let dir = "/home/u/public_html/up";
        let mut base = WebOrigins::with_budget(10, vec![], budget);
        for k in 0..10 {
            base.add_submission(dir, T0 + 100 * k, "x");
        }
        let request = |w: &mut WebOrigins, client: &str, t: i64| {
            let l = at(client, t, "/up/m.php", "browser");
            w.add_request(
                "u.example",
                Some("u"),
                &parse_access_line(l.as_bytes()).unwrap(),
            );
        };
        let mut small = base.clone();
        request(&mut small, "198.51.100.23", T0 - 2);
        let mut crowded = base.clone();
        for i in 0..2000i64 {
            let v = format!("100.64.{}.{}", i / 256, i % 256);
            request(&mut crowded, &v, T0 + 100 * (i % 10) - 1);
        }
        let pruned = crowded.memory().hits;
        assert!(pruned > 0 && crowded.report(1).approximate);
        let mut whole = base.clone();
        whole.merge(small.clone());
        assert!(!whole.report(1).scripts[0].approximate);
        whole.merge(crowded);
        let r = whole.report(1);
        assert!(r.approximate && r.scripts[0].approximate);
        assert!(r.memory.hits >= pruned);
        assert_eq!(r.scripts[0].explained, 10);
        let mut top = base.clone();
        top.merge(whole);
        assert!(top.memory().hits >= pruned);
        assert!(top.report(1).scripts[0].approximate);

        // Keys dropped from the URL or user-agent table of a part, or cut.
        for table in ["url", "agent", "cut"] {
            let mut part = base.clone();
            for i in 0..2000i64 {
                let (path, agent) = match table {
                    "url" => (format!("/up/{i}.php"), "ua".to_string()),
                    "agent" => ("/up/m.php".to_string(), format!("agent {i}")),
                    _ => ("/up/m.php".to_string(), "a".repeat(300)),
                };
                let l = at("198.51.100.23", T0 + 100 * (i % 10) - 1, &path, &agent);
                part.add_request(
                    "u.example",
                    Some("u"),
                    &parse_access_line(l.as_bytes()).unwrap(),
                );
            }
            let hits = part.memory().hits;
            assert_eq!(part.report(1).scripts[0].approximate, table != "cut");
            let mut mine = base.clone();
            mine.merge(part);
            let r = mine.report(1);
            assert_eq!(r.scripts[0].approximate, table != "cut", "{table}");
            if table == "cut" {
                // The part's 2,000 cuts, each counted once: its cut key is
                // not cut again (and counted one more time) on the way in.
                assert_eq!((hits, r.memory.hits), (2000, 2000));
            } else {
                assert!(r.memory.hits >= hits, "{table}");
            }
        }

        // Other submissions: the part's requests do not count here.
        let mut other = base.clone();
        other.add_submission(dir, T0 + 5000, "y");
        request(&mut other, "198.51.100.24", T0 - 2);
        let mut mine = base.clone();
        mine.merge(other);
        let r = mine.report(5);
        assert_eq!((r.scripts[0].explained, r.scripts[0].clients.len()), (0, 0));
        mine.merge(small);
        let r = mine.report(5);
        assert_eq!((r.scripts[0].explained, r.scripts[0].clients.len()), (1, 1));
    }

    /// Parts whose tables each fill the pool (3/4 of the budget) merge
    /// into tables trimmed back within it, as one pass over all their
    /// requests would hold them: the heaviest client of each part kept.
    #[test]
    fn merged_tables_stay_within_their_pool() {
        let budget = MemoryBudget::bytes(64 << 10);
        let pool = budget.get() / 4 * 3;
        let dir = "/home/u/public_html/up";
        let mut base = WebOrigins::with_budget(10, vec![], budget);
        for k in 0..10 {
            base.add_submission(dir, T0 + 100 * k, "x");
        }
        let tables =
            |w: &WebOrigins| -> usize { w.scripts.iter().map(|s| s.table_use().bytes).sum() };
        let mut whole = base.clone();
        for part in 0..3i64 {
            let mut w = base.clone();
            for i in 0..2000i64 {
                // Each part's own heavy client, in every message's window.
                if i % 200 == 0 {
                    let l = at(
                        &format!("198.51.100.{part}"),
                        T0 + 100 * (i / 200) - 2,
                        "/up/m.php",
                        "b",
                    );
                    w.add_request(
                        "u.example",
                        Some("u"),
                        &parse_access_line(l.as_bytes()).unwrap(),
                    );
                }
                let v = format!("100.{}.{}.{}", 64 + part, i / 256, i % 256);
                let l = at(&v, T0 + 100 * (i % 10) - 1, "/up/m.php", "b");
                w.add_request(
                    "u.example",
                    Some("u"),
                    &parse_access_line(l.as_bytes()).unwrap(),
                );
            }
            assert!(tables(&w) <= pool);
            whole.merge(w);
            assert!(
                tables(&whole) <= pool,
                "after part {part}: {}",
                tables(&whole)
            );
            assert!(whole.memory().held <= budget.get());
        }
        let r = whole.report(3);
        let mut heavy: Vec<(&str, u64)> = r.scripts[0]
            .clients
            .iter()
            .map(|c| (c.key.as_str(), c.messages))
            .collect();
        heavy.sort_unstable();
        assert_eq!(
            heavy,
            [
                ("198.51.100.0", 10),
                ("198.51.100.1", 10),
                ("198.51.100.2", 10)
            ]
        );
    }

    /// A domlogs set read from its files: every request line counted,
    /// lines that are not requests skipped, a line too long reported and
    /// passed, a file that cannot be opened the end (an error).
    #[test]
    fn domlog_files_read_to_the_first_fatal_error() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("u.example");
        let mut text = String::new();
        text.push_str(&at("198.51.100.1", T0 - 2, "/up/m.php", "ua"));
        text.push_str("\nnot an access-log line\n");
        text.push_str(&"x".repeat(crate::reader::DEFAULT_MAX_LINE_LEN + 1));
        text.push('\n');
        text.push_str(&at("198.51.100.2", T0 - 3, "/up/m.php", "ua"));
        text.push('\n');
        std::fs::write(&log, text).unwrap();
        let set = crate::reader::DomLog {
            domain: "u.example".into(),
            user: Some("u".into()),
            ssl: false,
            files: vec![log, dir.path().join("missing")],
        };
        let mut w = WebOrigins::new(10, vec![]);
        w.add_submission("/home/u/public_html/up", T0 + 5, "x");
        let mut passed = 0;
        let end = w.add_domlog(&set, |e| {
            assert!(!e.is_fatal());
            passed += 1;
        });
        assert!(end.is_err_and(|e| e.is_fatal()));
        assert_eq!(passed, 1);
        let r = w.report(5);
        let clients: Vec<&str> = r.scripts[0]
            .clients
            .iter()
            .map(|c| c.key.as_str())
            .collect();
        assert_eq!(clients, ["198.51.100.1", "198.51.100.2"]);
    }

    /// The scripts a log can match depend on its account too: two
    /// accounts' logs of one domain, one after the other, each count for
    /// that account's script only.
    #[test]
    fn candidates_by_domain_and_account() {
        let mut w = WebOrigins::new(10, vec![]);
        for user in ["u1", "u2"] {
            w.add_submission(&format!("/home/{user}/public_html/x"), T0 + 5, "x");
        }
        for (user, client) in [("u1", "198.51.100.1"), ("u2", "198.51.100.2")] {
            let l = at(client, T0, "/x/a.php", "ua");
            w.add_request(
                "x.example",
                Some(user),
                &parse_access_line(l.as_bytes()).unwrap(),
            );
        }
        let r = w.report(5);
        let clients: Vec<(&str, &str)> = r
            .scripts
            .iter()
            .flat_map(|s| s.clients.iter().map(|c| (s.dir.as_str(), c.key.as_str())))
            .collect();
        assert_eq!(
            clients,
            [
                ("/home/u1/public_html/x", "198.51.100.1"),
                ("/home/u2/public_html/x", "198.51.100.2")
            ]
        );
    }
}
