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
//! `/var/cpanel/userdata/USER/DOMAIN` `documentroot:` lines), the longest
//! root first; otherwise `/home*/USER/public_html/REST` is the URL path
//! `/REST` on any of that account's sites.
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
    let dir = dir.trim_end_matches('/');
    let user_of = |d: &str| {
        let mut parts = d.split('/').skip(1);
        let home = parts.next()?;
        home.starts_with("home")
            .then(|| parts.next().map(str::to_string))?
    };
    let best = docroots
        .iter()
        .filter(|(root, _)| {
            let root = root.trim_end_matches('/');
            dir == root || dir.strip_prefix(root).is_some_and(|r| r.starts_with('/'))
        })
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
    let user = user_of(dir)?;
    let after = dir.split('/').skip(3).collect::<Vec<_>>();
    let (first, rest) = after.split_first()?;
    if *first != "public_html" {
        return None;
    }
    let url = rest.iter().map(|p| format!("/{p}")).collect::<String>();
    Some(Site {
        domain: None,
        user: Some(user),
        url_prefix: url,
    })
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
    site: Option<Site>,
    /// (time, message id), sorted by time once requests start.
    arrivals: Vec<(i64, String)>,
    explained: Vec<bool>,
    clients: BoundedMap<String, Hits>,
    urls: BoundedMap<String, Hits>,
    agents: BoundedMap<String, Hits>,
}

/// The web-origins engine (see the module documentation).
#[derive(Clone, Debug)]
pub struct WebOrigins {
    window: i64,
    docroots: Vec<(String, String)>,
    scripts: Vec<Script>,
    by_dir: HashMap<String, usize>,
    sorted: bool,
}

impl WebOrigins {
    /// An engine matching requests at most `window` seconds before an arrival,
    /// with the document roots `(path, domain)` known (may be empty).
    pub fn new(window: i64, docroots: Vec<(String, String)>) -> Self {
        WebOrigins {
            window: window.max(0),
            docroots,
            scripts: Vec::new(),
            by_dir: HashMap::new(),
            sorted: true,
        }
    }

    /// Phase 1: a message the script in `dir` submitted, arrived at `time`
    /// (seconds since the epoch, UTC: convert mainlog times with the server's
    /// offset).
    pub fn add_submission(&mut self, dir: &str, time: i64, id: &str) {
        let dir = dir.trim_end_matches('/');
        let i = match self.by_dir.get(dir) {
            Some(&i) => i,
            None => {
                self.scripts.push(Script {
                    dir: dir.to_string(),
                    site: site_of(dir, &self.docroots),
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
    }

    /// Phase 2: one access-log line of `domain` (in `user`'s `domlogs/USER/`
    /// folder, if known).
    pub fn add_request(&mut self, domain: &str, user: Option<&str>, line: &AccessLine<'_>) {
        self.sort();
        let Some(path) = line.path() else { return };
        let path = path.as_bytes();
        let t = line.unix_seconds();
        let window = self.window;
        for s in &mut self.scripts {
            let Some(site) = &s.site else { continue };
            let domain_ok = match (&site.domain, &site.user, user) {
                (Some(d), _, _) => d.eq_ignore_ascii_case(domain),
                // Unknown site: any domain of the account, or any domain when
                // the log's account is not known.
                (None, Some(u), Some(lu)) => u == lu,
                (None, _, _) => true,
            };
            let prefix = site.url_prefix.as_bytes();
            let under = path.starts_with(prefix)
                && (path.len() == prefix.len() || path.get(prefix.len()) == Some(&b'/'));
            if !domain_ok || !under {
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
    /// The script's directory (`cwd=`).
    pub dir: String,
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
    fn sites() {
        assert_eq!(site_of("/var/www/x", &[]), None);
        let s = site_of("/home/u/public_html", &[]).unwrap();
        assert_eq!(s.url_prefix, "");
    }
}
