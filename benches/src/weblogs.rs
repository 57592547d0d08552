//! Web access logs (cPanel `domlogs/USER/DOMAIN`, combined format) matching a
//! generated mainlog, with the ground truth of which client ran which script.
//!
//! Every local submission of the mainlog (`cwd=DIR` linked to its `<=` line)
//! gets the web request that ran it, 0 to 3 seconds before the arrival: from
//! the one attacker IP of the script when `DIR` is a compromised script, from
//! a fresh visitor otherwise (a contact form). Around them, visitors browse
//! the same sites: other pages in the very seconds of the attacks, and the
//! script's own folder at other times (images, the kit's harmless files).
//! A web-origins search must name every attacker, with no visitor above it.

use std::collections::BTreeMap;

use exim_log::assemble::{Assembled, Assembler};
use exim_log::reader::LogReader;

use crate::Rng;

/// What the access logs contain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebTruth {
    /// Compromised script directory -> the attacker IP that ran it.
    pub attackers: BTreeMap<String, String>,
    /// Script directory -> messages it submitted (all scripts).
    pub submissions: BTreeMap<String, u64>,
    /// Requests written, and bytes.
    pub requests: u64,
    /// Bytes of all the files.
    pub bytes: u64,
}

const PAGES: &[&str] = &[
    "/",
    "/index.php",
    "/shop/cart.php",
    "/blog/",
    "/wp-login.php",
    "/about.html",
    "/images/logo.png",
    "/contact/",
    "/feed/",
    "/wp-json/wp/v2/posts",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn visitor(rng: &mut Rng) -> String {
    // 100.64.0.0/10 (shared address space): never one of the attackers below.
    format!(
        "100.{}.{}.{}",
        rng.range(64, 127),
        rng.below(256),
        rng.range(1, 254)
    )
}

fn attacker(rng: &mut Rng) -> String {
    // 198.18.0.0/15 (benchmarking space).
    format!(
        "198.{}.{}.{}",
        rng.range(18, 19),
        rng.below(256),
        rng.range(1, 254)
    )
}

/// `[05/Dec/2026:10:49:58 +0000]` of seconds since the epoch (UTC).
fn clf_time(t: i64) -> String {
    let Some(ts) = exim_log::Timestamp::from_unix_seconds(t) else {
        return String::new();
    };
    let month = MONTHS
        .get(usize::from(ts.month.saturating_sub(1)))
        .copied()
        .unwrap_or("Jan");
    format!(
        "[{:02}/{month}/{}:{:02}:{:02}:{:02} +0000]",
        ts.day, ts.year, ts.hour, ts.minute, ts.second
    )
}

/// The user and URL path of a script directory `/home/USER/public_html/REST`.
fn url_of(dir: &str) -> Option<(String, String)> {
    let mut parts = dir.trim_end_matches('/').split('/').skip(1);
    let _home = parts.next()?;
    let user = parts.next()?.to_string();
    if parts.next()? != "public_html" {
        return None;
    }
    let rest: String = parts.map(|p| format!("/{p}")).collect();
    Some((user, rest))
}

/// Builds the access logs of `log` (a generated mainlog, times taken as UTC):
/// file name (`USER/www.USER.example`, `-ssl_log` for some) -> contents, each
/// in time order, and the truth.
pub fn domlogs(
    log: &[u8],
    seed: u64,
    compromised: &[String],
) -> (BTreeMap<String, Vec<u8>>, WebTruth) {
    domlogs_with(log, seed, compromised, 1)
}

/// [`domlogs`] with `visits` times the background browsing around each
/// submission (2 to 6 requests, times `visits`): web traffic is usually far
/// larger than mail, and the speed benchmark needs large access logs.
/// `visits` 1 is [`domlogs`].
pub fn domlogs_with(
    log: &[u8],
    seed: u64,
    compromised: &[String],
    visits: u64,
) -> (BTreeMap<String, Vec<u8>>, WebTruth) {
    let mut rng = Rng::new(seed ^ 0x0005_EED0_F0EB);
    let mut truth = WebTruth::default();
    for dir in compromised {
        truth.attackers.insert(dir.clone(), attacker(&mut rng));
    }
    // (file, time, line)
    let mut lines: Vec<(String, i64, String)> = Vec::new();
    let mut push =
        |rng: &mut Rng, user: &str, t: i64, ip: &str, method: &str, path: &str, agent: &str| {
            let file = if rng.percent(30) {
                format!("{user}/www.{user}.example-ssl_log")
            } else {
                format!("{user}/www.{user}.example")
            };
            let status = if method == "POST" {
                200
            } else {
                200 + 104 * u64::from(rng.percent(5))
            };
            let line = format!(
                "{ip} - - {} \"{method} {path} HTTP/1.1\" {status} {} \"-\" \"{agent}\"\n",
                clf_time(t),
                rng.range(200, 40_000)
            );
            lines.push((file, t, line));
        };
    let records = LogReader::new(log).into_records();
    for item in Assembler::new().messages(records) {
        let Ok(Assembled::Message(m)) = item else {
            continue;
        };
        let Some(cwd) = m
            .submission()
            .and_then(|s| s.arguments())
            .map(|a| a.cwd.to_string())
        else {
            continue;
        };
        let Some(first) = m.lines.first() else {
            continue;
        };
        let Ok(arrival) = first.parse() else { continue };
        let t = arrival.timestamp.unix_seconds();
        let Some((user, url)) = url_of(&cwd) else {
            continue;
        };
        *truth.submissions.entry(cwd.clone()).or_default() += 1;
        let at = t - i64::try_from(rng.range(0, 3)).unwrap_or(0);
        match truth.attackers.get(&cwd).cloned() {
            Some(ip) => {
                push(
                    &mut rng,
                    &user,
                    at,
                    &ip,
                    "POST",
                    &format!("{url}/wp-mail.php"),
                    "python-requests/2.31",
                );
                // Visitors of other pages in the same seconds.
                for _ in 0..rng.range(1, 3) {
                    let v = visitor(&mut rng);
                    let page = rng.pick(PAGES);
                    let agent = rng.pick(AGENTS);
                    push(&mut rng, &user, at, &v, "GET", page, agent);
                }
            }
            None => {
                let v = visitor(&mut rng);
                let agent = rng.pick(AGENTS);
                push(
                    &mut rng,
                    &user,
                    at,
                    &v,
                    "POST",
                    &format!("{url}/send.php"),
                    agent,
                );
            }
        }
        // Someone browsing the script's folder at another time (an hour off).
        if rng.percent(40) {
            let v = visitor(&mut rng);
            let agent = rng.pick(AGENTS);
            let off = i64::try_from(rng.range(600, 3600)).unwrap_or(600);
            push(
                &mut rng,
                &user,
                t - off,
                &v,
                "GET",
                &format!("{url}/style.css"),
                agent,
            );
        }
        // Background browsing of the site.
        for _ in 0..rng.range(2 * visits.max(1), 6 * visits.max(1)) {
            let v = visitor(&mut rng);
            let page = rng.pick(PAGES);
            let agent = rng.pick(AGENTS);
            let off = i64::try_from(rng.range(0, 7200)).unwrap_or(0) - 3600;
            push(&mut rng, &user, t + off, &v, "GET", page, agent);
        }
    }
    lines.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (file, _, line) in lines {
        truth.requests += 1;
        truth.bytes += line.len() as u64;
        files
            .entry(file)
            .or_default()
            .extend_from_slice(line.as_bytes());
    }
    (files, truth)
}

/// The seed of the bundled sample's access logs.
pub const SAMPLE_SEED: u64 = 4;

/// The access logs bundled beside the sample (`examples/data/domlogs/`): those
/// of the sample mainlog ([`crate::sample_config`]) followed by `extra`, the
/// mainlog Exim itself wrote for the bundled spool (`examples/data/spool/log/`,
/// made by `scripts/make-spool-samples --sample`), whose messages the same
/// attacker's requests ran.
pub fn sample_domlogs(extra: &[u8]) -> (BTreeMap<String, Vec<u8>>, WebTruth) {
    let (mut log, truth) = crate::generate(&crate::sample_config());
    log.extend_from_slice(extra);
    domlogs(&log, SAMPLE_SEED, &truth.incidents.compromised_scripts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_times() {
        assert_eq!(clf_time(1_796_467_798), "[05/Dec/2026:10:49:58 +0000]");
        assert_eq!(clf_time(951_782_400), "[29/Feb/2000:00:00:00 +0000]");
    }
}
