//! What the mainlog says of a message's arrival, kept beside other sources of
//! the same message: the mail queue (`queue --log`: who submitted each queued
//! message, from which script directory) and web origins (which local
//! submissions a script made, and when).
//!
//! ```
//! use exim_log::assemble::{Assembled, Assembler};
//! use exim_log::reader::LogReader;
//! use exim_log::report::arrival::LoggedArrival;
//!
//! let log = b"\
//! 2024-05-25 00:46:03 [5737] cwd=/home/farmurba/public_html/x 3 args: /usr/sbin/sendmail -t -i
//! 2024-05-25 00:46:03 [5737] 1sAfXv-0001UX-00 <= farmurba@host.example U=farmurba P=local S=709
//! ";
//! let records = LogReader::new(&log[..]).into_records();
//! let Some(Ok(Assembled::Message(m))) = Assembler::new().messages(records).next() else {
//!     panic!("one message")
//! };
//! let a = LoggedArrival::of(&m).unwrap();
//! assert_eq!(a.cwd.as_deref(), Some("/home/farmurba/public_html/x"));
//! assert_eq!((a.user.as_deref(), a.is_local()), (Some("farmurba"), true));
//! assert_eq!(a.time, "2024-05-25T00:46:03");
//! ```

use crate::assemble::Message;

/// A message's arrival (`<=` line) as logged, with the `cwd=` of the
/// process that submitted it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct LoggedArrival {
    /// The message id.
    pub id: String,
    /// The arrival's time as logged (`2024-05-25T00:46:03`, the server's
    /// local time).
    pub time: String,
    /// That time in seconds since the epoch, taking it as UTC.
    pub unix_time: i64,
    /// The envelope sender (`<>` for a bounce).
    pub sender: String,
    /// `U=`: the local user who called Exim.
    pub user: Option<String>,
    /// `A=`: the authenticated id (or the authenticator when no id is
    /// logged).
    pub auth: Option<String>,
    /// `H=`: the client's IP address (or its name when no address is logged).
    pub host: Option<String>,
    /// The `cwd=` of the submitting process (`+arguments`), when linked.
    pub cwd: Option<String>,
}

impl LoggedArrival {
    /// The arrival of `m`; `None` when its `<=` line is not among its lines.
    pub fn of(m: &Message) -> Option<Self> {
        // What the assembler's parse kept of the `<=` line: no parse here.
        let line = m.arrival_line()?;
        let lossy = |t: crate::Text<'_>| t.to_string_lossy().into_owned();
        let time = line.timestamp();
        Some(LoggedArrival {
            id: m.id().as_str().to_string(),
            time: time.to_string(),
            unix_time: time.unix_seconds(),
            sender: line.sender().map(lossy).unwrap_or_default(),
            user: line.user().map(lossy),
            auth: line.auth_id().or(line.authenticator()).map(lossy),
            host: line
                .host_ip()
                .or(line.host_name())
                .or(line.helo())
                .map(lossy),
            cwd: m
                .submission()
                .and_then(|s| s.cwd())
                .map(|c| String::from_utf8_lossy(c).into_owned()),
        })
    }

    /// True for a local submission (no client host), not a bounce: the
    /// messages a script or a user on the server sent.
    pub fn is_local(&self) -> bool {
        self.host.is_none() && self.sender != "<>"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assemble::{Assembled, Assembler};
    use crate::reader::LogReader;

    /// The arrivals of a log's messages, by id (`None`: no `<=` line).
    fn arrivals(log: &str) -> Vec<(String, Option<LoggedArrival>)> {
        let records = LogReader::new(log.as_bytes()).into_records();
        Assembler::new()
            .messages(records)
            .filter_map(|item| match item {
                Ok(Assembled::Message(m)) => {
                    Some((m.id().as_str().to_string(), LoggedArrival::of(&m)))
                }
                _ => None,
            })
            .collect()
    }

    /// Each field from its part of the `<=` line; local means neither a
    /// client host nor a bounce.
    #[test]
    fn fields_of_the_arrival_line() {
        let log = "\
2024-05-25 00:46:03 [5737] cwd=/home/farmurba/public_html/x 3 args: /usr/sbin/sendmail -t -i
2024-05-25 00:46:03 [5737] 1sAfXv-0001UX-00 <= farmurba@host.example U=farmurba P=local S=709
2024-05-25 00:47:00 1sAfXw-0001UX-00 <= client@example.com H=(home-pc) [198.51.100.20] P=esmtpa A=fixed_plain:clientx S=715
2024-05-25 00:48:00 1sAfXx-0001UX-00 <= <> R=1sAfXv-0001UX-00 U=Debian-exim P=local S=2100
2024-05-25 00:49:00 1sAfXy-0001UX-00 <= a@example.org H=mx.example.org [192.0.2.7] P=esmtps A=cram S=10
2024-05-25 00:50:00 1sAfXz-0001UX-00 => b@example.org R=r T=t
";
        let got = arrivals(log);
        let want = |id: &str, time: &str, unix: i64, sender: &str, user, auth, host, cwd| {
            let s = |o: Option<&str>| o.map(str::to_string);
            (
                id.to_string(),
                Some(LoggedArrival {
                    id: id.to_string(),
                    time: time.to_string(),
                    unix_time: unix,
                    sender: sender.to_string(),
                    user: s(user),
                    auth: s(auth),
                    host: s(host),
                    cwd: s(cwd),
                }),
            )
        };
        // 2024-05-25 is day 19868 of the epoch.
        let day = 19_868 * 86_400;
        assert_eq!(
            got,
            [
                want(
                    "1sAfXv-0001UX-00",
                    "2024-05-25T00:46:03",
                    day + 46 * 60 + 3,
                    "farmurba@host.example",
                    Some("farmurba"),
                    None,
                    None,
                    Some("/home/farmurba/public_html/x")
                ),
                want(
                    "1sAfXw-0001UX-00",
                    "2024-05-25T00:47:00",
                    day + 47 * 60,
                    "client@example.com",
                    None,
                    Some("clientx"),
                    Some("198.51.100.20"),
                    None
                ),
                want(
                    "1sAfXx-0001UX-00",
                    "2024-05-25T00:48:00",
                    day + 48 * 60,
                    "<>",
                    Some("Debian-exim"),
                    None,
                    None,
                    None
                ),
                want(
                    "1sAfXy-0001UX-00",
                    "2024-05-25T00:49:00",
                    day + 49 * 60,
                    "a@example.org",
                    None,
                    Some("cram"),
                    Some("192.0.2.7"),
                    None
                ),
                ("1sAfXz-0001UX-00".to_string(), None),
            ]
        );
        let local: Vec<bool> = got
            .iter()
            .filter_map(|(_, a)| a.as_ref().map(LoggedArrival::is_local))
            .collect();
        assert_eq!(local, [true, false, false, false]);
    }
}
