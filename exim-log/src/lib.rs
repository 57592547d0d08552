//! # exim-log
//!
//! A fast, exact, zero-copy parser for the logs of the [Exim](https://www.exim.org)
//! mail server: mainlog, rejectlog and paniclog lines, `Received:` headers and
//! `log_selector` settings.
//!
//! ```
//! use exim_log::{parse_line, Event};
//!
//! let line = parse_line(b"2006-04-27 17:43:53 1FZ8zt-0005lz-E7 Completed").unwrap();
//! assert_eq!(line.timestamp.to_string(), "2006-04-27T17:43:53");
//! assert_eq!(line.event.name(), "completed");
//! ```
#![forbid(unsafe_code)]

pub mod assemble;
mod duration;
mod entries;
mod error;
mod event;
mod host;
mod line;
mod message_id;
mod options;
pub mod paniclog;
mod parse;
pub mod reader;
mod received;
pub mod rejectlog;
mod selector;
pub mod syslog;
mod text;
mod timestamp;

pub use duration::LogDuration;
pub use error::{ErrorKind, ParseError};
pub use event::{
    AddressIter, AddressList, ArgIter, ArgList, Arguments, Arrival, Auth, AuthFailure, CommandList,
    Completed, DaemonSignal, DaemonStart, Delivery, Dkim, ErrorIgnored, Event, Field, Flag, Note,
    Peer, PrdrResult, QueuePhase, QueueRun, Reject, Rewrite, SenderVerify, Session, Stage, Tls,
    TransportOutput, Warning,
};
pub use host::{Endpoint, Host};
pub use line::{LogLine, parse_line};
pub use message_id::{IdFormat, MessageId};
pub use options::{Options, Strictness};
pub use reader::{LogReader, Position, ReadError, Record};
pub use received::{
    Folded, Mta, Received, ReceivedHeaders, ReceivedTls, exim_message_ids, parse_received,
    received_headers,
};
pub use selector::{
    Evidence, Inference, LogSelector, Observation, Selector, SelectorError, SelectorErrorKind,
};
pub use text::{Escaping, Quoted, Text};
pub use timestamp::Timestamp;
