//! # exim-log
//!
//! A fast, exact, zero-copy parser for the logs of the [Exim](https://www.exim.org)
//! mail server: mainlog, rejectlog and paniclog lines (also through syslog),
//! `Received:` headers and `log_selector` settings. Both message-id formats
//! (16 characters up to Exim 4.96, 23 from 4.97) are understood everywhere.
//!
//! * [`parse_line`] turns one line into a [`LogLine`]: timestamp, `[pid]`,
//!   message id, flag and a typed [`Event`] whose fields borrow from the input.
//!   It fails only when the line has no valid prefix; a line it does not
//!   understand is [`Event::Unknown`], so counts in always equal counts out.
//!   [`parse_line_with`] reads the line where it was parsed (no copy of the
//!   large `LogLine`): the fastest way to look at every line.
//! * [`reader`] streams plain or gzipped files, rotated sets and growing files,
//!   with positions; [`assemble`] groups lines into messages and links each to
//!   the script that submitted it (`cwd=`), its bounce parent and next hop.
//! * [`Received`] and [`exim_message_ids`] read the headers of a spam message;
//!   [`LogSelector`] and [`Options`] read `log_selector`, and [`Inference`]
//!   tells which selectors a log shows.
//! * Everything serializes with `serde` to the JSON described in [`schema`]
//!   (`SCHEMA.md`).
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `serde` | on | `serde::Serialize` for every public type: the JSON of [`schema`], used by the `exim-log` command and the Python package. |
//! | `gzip` | on | reading `.gz` logs (detected from the content) through `flate2` (pure-Rust backend); without it gzip input is a read error (`std::io::ErrorKind::Unsupported`) that says so. |
//! | `regex` | off | regular expressions and case-insensitive matching in [`trace::Pattern`] (without it, literal patterns and [`trace::Pattern::custom`]). |
//!
//! A minimal build (`default-features = false`) parses, reads, assembles and
//! counts exactly the same; it only cannot serialize or read `.gz`.
//!
//! ## Hunting outbound spam, in three steps
//!
//! A spam message sent from this server carries, in the `Received:` header
//! Exim added, the message id to look up in the mainlog:
//!
//! ```
//! let headers = b"Received: from forums by www.example.com with local (Exim 4.43)\n\
//! \tid 1FZ8zt-0005lz-E7\n\
//! \tfor victim@example.org; Thu, 27 Apr 2006 12:05:41 -0400\n\
//! Subject: Buy Me!\n\n";
//! let ids = exim_log::exim_message_ids(headers);
//! assert_eq!(ids[0].as_str(), "1FZ8zt-0005lz-E7");
//! ```
//!
//! Every line of that message, from any number of (rotated, gzipped) logs,
//! grouped by the [`assemble::Assembler`], says who sent it: a local user
//! (`U=nobody`), an authenticated login (`A=`) or, with `+arguments`, the
//! directory of the script (`cwd=`):
//!
//! ```
//! use exim_log::assemble::{Assembled, Assembler};
//! use exim_log::reader::LogReader;
//! use exim_log::Event;
//!
//! let log = b"\
//! 2006-04-27 17:43:41 cwd=/home/clientx/public_html/phpBB 3 args: /usr/sbin/sendmail -t -i
//! 2006-04-27 17:43:41 1FZ8zt-0005lz-E7 <= nobody@www.example.com U=nobody P=local S=4001 T=\"Buy Me!\"
//! 2006-04-27 17:43:53 1FZ8zt-0005lz-E7 => victim@example.org R=lookuphost T=remote_smtp H=mx.example.org [192.0.2.7]
//! 2006-04-27 17:43:53 1FZ8zt-0005lz-E7 Completed
//! ";
//! let records = LogReader::new(&log[..]).into_records();
//! for item in Assembler::new().messages(records) {
//!     let Assembled::Message(msg) = item? else { continue };
//!     assert_eq!(msg.id(), "1FZ8zt-0005lz-E7");
//!     // Kept from when the lines were read: nothing is parsed again.
//!     let delivery = &msg.lines[1];
//!     assert_eq!(delivery.address().unwrap(), "victim@example.org");
//!     assert_eq!(delivery.transport().unwrap(), "remote_smtp");
//!     let script = msg.submission().and_then(|s| s.cwd());
//!     assert_eq!(script, Some(&b"/home/clientx/public_html/phpBB"[..]));
//!     assert_eq!(msg.queue_time().map(|t| t.as_secs_f64()), Some(12.0));
//!     // The `<=` line, parsed (zero-copy, from the message's own bytes).
//!     let arrival = msg.arrival().unwrap();
//!     let Event::Arrival(a) = arrival.event else { panic!("not an arrival") };
//!     assert_eq!(a.user.unwrap(), "nobody");
//!     assert_eq!(a.subject.unwrap().to_string_lossy(), "Buy Me!");
//! }
//! # Ok::<(), exim_log::reader::ReadError>(())
//! ```
//!
//! ## One line at a time
//!
//! ```
//! use exim_log::{parse_line, Event, Flag};
//!
//! let line = parse_line(b"2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq <= tom@example.com \
//!     H=mail.example.com (helo.example.com) [192.0.2.1]:38432 P=esmtpsa \
//!     X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_login:tom S=4312 \
//!     id=abc@example.com T=\"caf\\303\\251\"").unwrap();
//! assert_eq!(line.flag, Some(Flag::Arrival));
//! let Event::Arrival(a) = &line.event else { panic!() };
//! let host = a.host.unwrap();
//! assert_eq!(host.ip.unwrap(), "192.0.2.1");
//! assert_eq!(host.port, Some(38432));
//! assert_eq!(a.auth.unwrap().id.unwrap(), "tom");
//! assert_eq!(a.subject.unwrap().to_string_lossy(), "caf\u{e9}"); // octal escapes decoded lazily
//! assert_eq!(line.message_id.unwrap().time(), 1_716_631_825); // reception time, from the id
//!
//! // The JSON of SCHEMA.md (the `serde` feature, on by default).
//! # #[cfg(feature = "serde")] {
//! let json = serde_json::to_value(&line).unwrap();
//! assert_eq!(json["event"], "arrival");
//! assert_eq!(json["host"]["helo"], "helo.example.com");
//! # }
//! ```
//!
//! ## Inbound spam
//!
//! Connection-level lines carry no message id but are typed too: the
//! dictionary-attack line is an [`Event::Rejection`] with the host, the
//! sender, the recipient tried and the reason.
//!
//! ```
//! use exim_log::{parse_line, Event, Stage};
//!
//! let line = parse_line(b"2026-11-27 07:47:34 H=(win-abc) [203.0.113.9] F=<x@spam.example> \
//!     rejected RCPT <random@example.com>: Unknown user").unwrap();
//! let Event::Rejection(r) = &line.event else { panic!() };
//! assert_eq!(r.stage, Stage::Rcpt);
//! assert_eq!(r.recipient.unwrap(), "random@example.com");
//! assert_eq!(r.peer.host.unwrap().ip.unwrap(), "203.0.113.9");
//! ```
#![forbid(unsafe_code)]

/// The JSON of every type (its `serde` serialization), the NDJSON of the
/// `exim-log` command and the dicts of the Python package: the project's
/// `SCHEMA.md`, shipped with the crate.
///
#[doc = include_str!("../SCHEMA.md")]
pub mod schema {}

// The crate README's Rust examples run as doc tests, so they cannot drift from the API.
// They show the default features (the README's JSON line needs `serde`).
#[cfg(all(doctest, feature = "serde"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "arrow")]
pub mod arrow;
pub mod assemble;
pub mod budget;
pub mod cpanel;
mod duration;
mod entries;
mod error;
mod event;
mod hash;
mod host;
#[cfg(feature = "serde")]
pub mod json;
mod json_object;
mod line;
mod message_id;
pub mod mime;
mod options;
pub mod paniclog;
pub mod parallel;
mod parse;
pub mod reader;
mod received;
pub mod rejectlog;
pub mod report;
mod scan;
mod selector;
pub mod spool;
pub mod syslog;
mod text;
mod timestamp;
pub mod trace;
pub mod weblog;

pub use duration::LogDuration;
pub use entries::starts_entry;
pub use error::{ErrorKind, ParseError};
pub use event::{
    AddressIter, AddressList, AdminAction, AdminKind, ArgIter, ArgList, Arguments, Arrival, Auth,
    AuthFailure, CommandList, Completed, DaemonSignal, DaemonStart, Delivery, Dkim, DmarcResult,
    ErrorIgnored, Event, Field, Flag, Note, Peer, PrdrResult, QueuePhase, QueueRun, Reject,
    Rewrite, SaExim, SenderVerify, Session, Stage, SystemKind, SystemNotice, Tls, TransportOutput,
    Warning,
};
pub use host::{Endpoint, Host};
pub use line::{LogLine, parse_line, parse_line_with};
pub use message_id::{IdFormat, MessageId};
pub use options::{Options, Strictness};
pub use reader::{LogReader, Position, ReadError, Record};
pub use received::{
    Folded, HeaderBlocks, Mta, Received, ReceivedHeaders, ReceivedTls, exim_message_ids,
    header_blocks, parse_received, received_headers,
};
pub use selector::{
    Evidence, Inference, LogSelector, Observation, Selector, SelectorError, SelectorErrorKind,
};
pub use text::{Escaping, Quoted, Text};
pub use timestamp::Timestamp;
