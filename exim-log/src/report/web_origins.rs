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
//! different log files [`WebOrigins::merge`]. Memory: the arrival times, and
//! bounded tables per script.
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

use super::bounded::{BoundedMap, Merge, Weight};
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

/// The counts of one client, URL or user agent of a script.
#[derive(Clone, Debug, Default)]
struct Hits {
    requests: u64,
    arrivals: HashSet<u32>,
}

impl Weight for Hits {
    fn weight(&self) -> u64 {
        self.arrivals.len() as u64
    }
}

impl Merge for Hits {
    fn merge(&mut self, o: Self) {
        self.requests += o.requests;
        self.arrivals.extend(o.arrivals);
    }
}

#[derive(Clone, Debug)]
struct Script {
    dir: String,
    from_queue: bool,
    site: Option<Site>,
    /// (time, message id), sorted by time once requests start.
    arrivals: Vec<(i64, String)>,
    explained: Vec<bool>,
    clients: BoundedMap<String, Hits>,
    urls: BoundedMap<String, Hits>,
    agents: BoundedMap<String, Hits>,
}

/// A script a log's lines can match, and a searcher for its URL prefix
/// (`None`: the site's root, every line).
#[derive(Clone, Debug)]
struct Candidate {
    script: usize,
    prefix: Option<memchr::memmem::Finder<'static>>,
}

/// The web-origins engine (see the module documentation).
#[derive(Clone, Debug)]
pub struct WebOrigins {
    window: i64,
    docroots: Vec<(String, String)>,
    homes: Vec<(String, String)>,
    scripts: Vec<Script>,
    by_dir: HashMap<String, usize>,
    sorted: bool,
    /// The scripts a log's lines can match, for the last (domain, user)
    /// seen: every line of a file has the same, so the site test runs once
    /// per file, not once per line and script.
    candidates: Option<(String, Option<String>, Arc<[Candidate]>)>,
}

impl WebOrigins {
    /// An engine matching requests at most `window` seconds before an arrival,
    /// with the document roots `(path, domain)` known (may be empty).
    pub fn new(window: i64, docroots: Vec<(String, String)>) -> Self {
        WebOrigins {
            window: window.max(0),
            docroots,
            homes: Vec::new(),
            scripts: Vec::new(),
            by_dir: HashMap::new(),
            sorted: true,
            candidates: None,
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
    }

    /// Phase 1 from an assembled message: a local submission (no client
    /// host, not a bounce) with a linked `cwd=` is added under that
    /// directory, at its arrival time minus `offset` (the server's UTC offset
    /// in seconds: mainlog times are local). True when it was added.
    pub fn add_message(&mut self, m: &crate::assemble::Message, offset: i64) -> bool {
        let Some(a) = super::arrival::LoggedArrival::of(m) else {
            return false;
        };
        let Some(cwd) = a.cwd.as_deref().filter(|_| a.is_local()) else {
            return false;
        };
        self.add_submission(cwd, a.unix_time - offset, &a.id);
        true
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
        let site = Site {
            domain: Some(host.into_owned()),
            user: None,
            url_prefix: path.into_owned(),
        };
        self.add_arrival(&key, true, Some(site), h.received_time, &h.id.to_string());
        true
    }

    /// Phase 1: a message the script in `dir` submitted, arrived at `time`
    /// (seconds since the epoch, UTC: convert mainlog times with the server's
    /// offset).
    pub fn add_submission(&mut self, dir: &str, time: i64, id: &str) {
        let dir = dir.trim_end_matches('/');
        let site = site_in(dir, &self.docroots, &self.homes);
        self.add_arrival(dir, false, site, time, id);
    }

    fn add_arrival(
        &mut self,
        dir: &str,
        from_queue: bool,
        site: Option<Site>,
        time: i64,
        id: &str,
    ) {
        let i = match self.by_dir.get(dir) {
            Some(&i) => i,
            None => {
                self.scripts.push(Script {
                    dir: dir.to_string(),
                    from_queue,
                    site,
                    arrivals: Vec::new(),
                    explained: Vec::new(),
                    clients: BoundedMap::new(KEYS_CAP),
                    urls: BoundedMap::new(KEYS_CAP),
                    agents: BoundedMap::new(KEYS_CAP),
                });
                self.by_dir.insert(dir.to_string(), self.scripts.len() - 1);
                self.scripts.len() - 1
            }
        };
        if let Some(s) = self.scripts.get_mut(i) {
            s.arrivals.push((time, id.to_string()));
            s.explained.push(false);
        }
        self.sorted = false;
    }

    fn sort(&mut self) {
        if self.sorted {
            return;
        }
        for s in &mut self.scripts {
            s.arrivals.sort();
            s.explained = vec![false; s.arrivals.len()];
        }
        self.sorted = true;
        self.candidates = None;
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
        self.sort();
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
        self.sort();
        let Some(path) = line.path() else { return };
        let path = path.as_bytes();
        let t = line.unix_seconds();
        let window = self.window;
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
            // Arrivals in [t, t + window].
            let from = s.arrivals.partition_point(|(a, _)| *a < t);
            let to = s
                .arrivals
                .partition_point(|(a, _)| *a <= t.saturating_add(window));
            if from >= to {
                continue;
            }
            let hit: Vec<u32> = (from..to).filter_map(|k| u32::try_from(k).ok()).collect();
            for &k in &hit {
                if let Some(e) = s.explained.get_mut(k as usize) {
                    *e = true;
                }
            }
            let add = |m: &mut BoundedMap<String, Hits>, key: &str| {
                m.update(key, |h: &mut Hits| {
                    h.requests += 1;
                    h.arrivals.extend(hit.iter().copied());
                });
            };
            add(&mut s.clients, &line.client.to_string_lossy());
            add(&mut s.urls, &String::from_utf8_lossy(path));
            add(
                &mut s.agents,
                &line
                    .user_agent
                    .map(|a| a.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
        }
    }

    /// Adds the request-phase results of `other`, an engine given the same
    /// submissions and other access-log lines.
    pub fn merge(&mut self, mut other: WebOrigins) {
        self.sort();
        other.sort();
        for o in other.scripts {
            let Some(&i) = self.by_dir.get(&o.dir) else {
                continue;
            };
            let Some(s) = self.scripts.get_mut(i) else {
                continue;
            };
            if s.arrivals.len() != o.arrivals.len() {
                continue;
            }
            for (e, oe) in s.explained.iter_mut().zip(o.explained) {
                *e |= oe;
            }
            s.clients.merge(o.clients);
            s.urls.merge(o.urls);
            s.agents.merge(o.agents);
        }
    }

    /// The result, `top` rows per table, scripts with most messages first.
    pub fn report(&mut self, top: usize) -> WebOriginsReport {
        self.sort();
        let rows = |m: &BoundedMap<String, Hits>| -> Vec<OriginRow> {
            m.top(top, 1)
                .into_iter()
                .map(|(k, h)| OriginRow {
                    key: k.clone(),
                    messages: h.arrivals.len() as u64,
                    requests: h.requests,
                })
                .collect()
        };
        let mut scripts: Vec<ScriptOrigins> = self
            .scripts
            .iter()
            .map(|s| ScriptOrigins {
                dir: s.dir.clone(),
                from_queue: s.from_queue,
                site: s.site.clone(),
                messages: s.arrivals.len() as u64,
                explained: s.explained.iter().filter(|e| **e).count() as u64,
                clients: rows(&s.clients),
                urls: rows(&s.urls),
                user_agents: rows(&s.agents),
                approximate: s.clients.dropped() + s.urls.dropped() + s.agents.dropped() > 0,
            })
            .collect();
        scripts.sort_by(|a, b| b.messages.cmp(&a.messages).then_with(|| a.dir.cmp(&b.dir)));
        WebOriginsReport {
            window: self.window,
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
        assert!(!same_site("example.org", "example.net"));
    }

    #[test]
    fn sites() {
        assert_eq!(site_of("/var/www/x", &[]), None);
        let s = site_of("/home/u/public_html", &[]).unwrap();
        assert_eq!(s.url_prefix, "");
    }
}
