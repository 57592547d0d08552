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
