//! Message assembly: group log lines into messages while streaming, and link
//! each message to the process that submitted it, to its bounce parent and to
//! the next hop's id.
//!
//! A message is every line that carries its id (spec §1.3): its arrival `<=`,
//! deliveries `=>`/`->`, deferrals `==`, failures `**`, `Frozen`, ..., and
//! `Completed`. The [`Assembler`] keeps the messages in flight and emits each
//! one when its `Completed` line arrives; at the end of input the rest are
//! emitted marked [`Status::EndOfInput`]. Lines that belong to no message come
//! out as [`Assembled::Line`] in input order, so no line is lost. A line that
//! carries an id after that message's `Completed` (rare) starts a new group.
//!
//! # Memory
//!
//! Memory is bounded in bytes: [`AssemblerOptions::memory_budget`] (32 MiB by
//! default, [`crate::budget`]) caps the log data held: the lines of the
//! messages in flight, the `+arguments` lines waiting, the links. When a line
//! would pass it, the **oldest** message in flight (by its first line) is
//! emitted at once with its lines so far, marked [`Status::Evicted`]; its later
//! lines start a new message marked [`Message::continued`]. Nothing is dropped,
//! and [`Assembler::memory`] counts how often that happened. A long-deferred
//! message is the likely victim, or one message of a million deferrals, which
//! comes out in pieces. An args line naming many ids (`-Mc ID ID ...`, which
//! anyone running `sendmail` can make long) is held once and shared by those
//! messages ([`LinkedArguments::record`]).
//!
//! The number of messages in flight is capped too
//! ([`AssemblerOptions::max_in_flight`]). `+arguments` lines wait in a second
//! bounded queue ([`AssemblerOptions::max_pending_arguments`]) and leave it
//! after [`AssemblerOptions::pid_max_age`] seconds of log time
//! ([`AssemblerOptions::adjacency_seconds`] without `+pid`); one that linked to
//! nothing is then emitted as an [`Assembled::Line`].
//!
//! # What a message keeps
//!
//! The assembler parses each line once, as it is read; a [`Message`] keeps the
//! owned lines plus what that parse found, so nothing parses them again (as
//! csv's `ByteRecord` keeps field offsets beside its bytes): for each line a
//! [`MessageLine`] with its time, kind and flag and where a delivery's address,
//! `<original>`, `T=` and host lie; for the message its id by value
//! ([`Message::id`]), the first and last times, `Completed QT=`
//! ([`Message::queue_time`], a [`crate::LogDuration`]), where its `<=` line is
//! ([`Message::arrival`]), and for each args line where `cwd=` lies
//! ([`LinkedArguments::cwd`]) and whether it is the `-Mc` delivery process.
//!
//! A report that needs of a message only a few facts can have none of its
//! lines kept: with [`AssemblerOptions::keep_lines`]`(false)` (the lean
//! mode) the caller reads each line's parse as it feeds it
//! ([`Assembler::push_parsed`]), and the messages come out with their id,
//! status, times, links and [`Message::line_count`] but no
//! [`Message::lines`]; no line is copied, and the memory budget counts no
//! line text (`exim-log summary` on one thread works so).
//!
//! # Which script sent this message: the `cwd=` link
//!
//! With `+arguments`, every Exim process logs `cwd=DIR N args: ARGV` when it
//! starts (spec §10 "args"). A message submitted locally (`sendmail -t -i` from
//! a PHP script, cron, ...) is linked to the args line of the process that
//! received it, by one of three rules, recorded as its [`Link`]:
//!
//! 1. [`Link::NamedId`]: the args name the message id, as in
//!    `/usr/sbin/exim -Mc 1sAoM5-00000009r3p-06vq` (the delivery process a
//!    submission starts; it runs in the submitter's directory, which is why its
//!    `cwd=` names the script's directory). Exact.
//! 2. [`Link::Pid`]: with `+pid`, the arrival's `[pid]` equals the args line's
//!    `[pid]` (the latest such line, at most `pid_max_age` seconds older).
//!    Exact, up to pid reuse within that window by a process that logged no
//!    args line (a daemon-forked SMTP receiver).
//! 3. [`Link::Adjacent`] (no `+pid`): a heuristic. The arrival must be local
//!    (no `H=`), and the args line must precede it in the same file by at most
//!    [`AssemblerOptions::adjacency_lines`] lines and
//!    [`AssemblerOptions::adjacency_seconds`] seconds, look like a submission
//!    (`-t`, `-i`, `-oi`, `-bm`, `-bs`, `-bS`, `-od…`, or a non-option argument
//!    such as a recipient; never `-bd`, `-q…`, `-M…`, `-bp`, `-bt`, `-bv`...), and
//!    not be linked already (except `-bs`/`-bS`, which submit many messages).
//!    The nearest candidate wins; when several qualified the link is marked
//!    `ambiguous`. **Limits:** on a busy host two scripts submitting in the
//!    same second can be swapped; a submission slower than the window, or whose
//!    args line is in the previous file of a rotated set, is not linked. Turn on
//!    `+pid` for exact links.
//!
//! A bounce (`<= <> R=PARENT`, spec §3) records its parent in
//! [`Message::bounce_parent`], and the parent, if in flight, the bounce in
//! [`Message::bounces`]. A delivery whose `C="250 OK id=X"` names the next
//! hop's Exim id is recorded in [`Message::next_hops`].
//!
//! ```
//! use exim_log::assemble::{Assembled, Assembler, Status};
//! use exim_log::reader::LogReader;
//!
//! let log = b"\
//! 2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com U=a P=local S=812
//! 2026-11-25 10:00:00 1sAoM6-0000000AAAA-0000 <= b@example.com U=b P=local S=900
//! 2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq => c@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7]
//! 2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed
//! ";
//! let mut msgs = Assembler::new().messages(LogReader::new(&log[..]).into_records());
//! let Some(Ok(Assembled::Message(first))) = msgs.next() else { panic!() };
//! assert_eq!(first.id().as_str(), "1sAoM5-00000009r3p-06vq");
//! assert_eq!(first.lines.len(), 3);
//! assert_eq!(first.status, Status::Completed);
//! let Some(Ok(Assembled::Message(second))) = msgs.next() else { panic!() };
//! assert_eq!(second.status, Status::EndOfInput);
//! assert!(msgs.next().is_none());
//! ```

mod assembler;
mod line;
mod message;
mod options;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) use tests::corpus_mainlogs;

pub use assembler::Assembler;
pub(crate) use line::LineFields;
pub use line::{LineKind, MessageLine};
pub use message::{Link, LinkedArguments, Message, NextHop, Status};
pub use options::AssemblerOptions;

use crate::reader::{ReadError, Record};

/// What the [`Assembler`] emits.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Assembled {
    /// A message, completed or not.
    Message(Message),
    /// A line that belongs to no message: no message id (connections,
    /// rejections, daemon lines, args lines that linked to nothing), or no
    /// valid prefix at all.
    Line(Record),
}

/// Iterator of [`Assembled`] items over a record stream; see [`Assembler::messages`].
#[derive(Debug)]
pub struct Messages<I> {
    records: I,
    asm: Assembler,
    finished: bool,
}

impl<I> Messages<I> {
    /// The assembler (e.g. to check [`Assembler::in_flight`]).
    pub fn assembler(&self) -> &Assembler {
        &self.asm
    }
}

impl<I: Iterator<Item = Result<Record, ReadError>>> Iterator for Messages<I> {
    type Item = Result<Assembled, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(a) = self.asm.pop() {
                return Some(Ok(a));
            }
            if self.finished {
                return None;
            }
            match self.records.next() {
                Some(Ok(r)) => self.asm.push(r),
                Some(Err(e)) => return Some(Err(e)),
                None => {
                    self.asm.finish();
                    self.finished = true;
                }
            }
        }
    }
}
