//! One line of an assembled message: the owned record plus what the
//! assembler's parse found in it, as csv's `ByteRecord` keeps field offsets
//! beside its bytes, so the reports read a delivery's address or transport
//! without parsing the line again. An arrival keeps its sender, size,
//! host, `U=`, `A=`, `P=`, subject and recipients the same way, so no report
//! parses a message line twice.

use std::ops::Range;

use crate::event::{AddressList, ArgList, Arguments, Event, Flag};
use crate::line::LogLine;
use crate::reader::{Position, ReadError, Record};
use crate::text::{Escaping, Quoted};
use crate::{Text, Timestamp};

/// What kind of event a message line is (the cases the reports tell apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LineKind {
    /// An arrival (`<=`, or `(=` fake-reject: see [`MessageLine::flag`]).
    Arrival,
    /// A delivery (`=>`, `->`, `>>`, `*>`).
    Delivery,
    /// A deferral (`==`).
    Deferral,
    /// A permanent failure (`**`).
    Failure,
    /// `Completed`.
    Completed,
    /// A rejection logged with the message's id.
    Rejection,
    /// Anything else (`Frozen`, notes, ...).
    Other,
}

/// Where a field lies in the line: a byte range that fits in 32 bits each
/// way (lines are capped far below 4 GiB), or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// No such field (`start > end` never comes from a slice).
    const NONE: Span = Span { start: 1, end: 0 };

    /// Where `field`, a slice of `raw`, lies in it; [`Span::NONE`] when it
    /// is absent or (never, the parser is zero-copy) not a part of `raw`.
    pub(super) fn of(raw: &[u8], field: Option<Text<'_>>) -> Span {
        Span::of_bytes(raw, field.map(|t| t.as_bytes()))
    }

    /// As [`Span::of`], for a field given as bytes.
    fn of_bytes(raw: &[u8], field: Option<&[u8]>) -> Span {
        let Some(field) = field else {
            return Span::NONE;
        };
        if field.is_empty() {
            // An empty field may borrow from anywhere (a constant `""`).
            return Span { start: 0, end: 0 };
        }
        let start = (field.as_ptr() as usize).wrapping_sub(raw.as_ptr() as usize);
        let end = start.wrapping_add(field.len());
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(s), Ok(e)) if start <= end && end <= raw.len() => Span { start: s, end: e },
            _ => Span::NONE,
        }
    }

    pub(super) fn get(self, raw: &[u8]) -> Option<Text<'_>> {
        self.bytes(raw).map(Text::new)
    }

    pub(super) fn bytes(self, raw: &[u8]) -> Option<&[u8]> {
        let r: Range<usize> = self.start as usize..self.end as usize;
        (self.start <= self.end).then(|| raw.get(r)).flatten()
    }
}

/// What the assembler's parse found in an args line (`cwd=DIR N args:
/// ARGV`): where `cwd=` and the argument text lie, and the count, so
/// [`LinkedArguments::arguments`](super::LinkedArguments::arguments) gives
/// the parse back without parsing the line again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ArgsSpans {
    cwd: Span,
    argc: u32,
    args: Span,
}

impl ArgsSpans {
    /// An args line whose fields were not found (tests build facts by hand).
    #[cfg(test)]
    pub(super) const NONE: ArgsSpans = ArgsSpans {
        cwd: Span::NONE,
        argc: 0,
        args: Span::NONE,
    };

    /// Where the fields of `args`, parsed from `raw`, lie in it.
    pub(super) fn of(raw: &[u8], args: &Arguments<'_>) -> ArgsSpans {
        ArgsSpans {
            cwd: Span::of(raw, Some(args.cwd)),
            argc: args.argc,
            args: Span::of(raw, Some(args.args.raw())),
        }
    }

    /// The `cwd=` directory in `raw`, the line these spans were taken from.
    pub(super) fn cwd(self, raw: &[u8]) -> Option<&[u8]> {
        self.cwd.bytes(raw)
    }

    /// The parse of `raw`, the line these spans were taken from.
    pub(super) fn arguments(self, raw: &[u8]) -> Option<Arguments<'_>> {
        Some(Arguments {
            cwd: self.cwd.get(raw)?,
            argc: self.argc,
            args: ArgList::new(self.args.get(raw)?),
        })
    }
}

/// What the assembler's parse found in a message line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct LineFacts {
    timestamp: Timestamp,
    kind: LineKind,
    flag: Option<Flag>,
    has_host: bool,
    address: Span,
    original: Span,
    transport: Span,
    host_name: Span,
    host_ip: Span,
    helo: Span,
    sender: Span,
    size: Option<u64>,
    user: Span,
    protocol: Span,
    authenticator: Span,
    auth_id: Span,
    subject: Span,
    subject_escaping: Option<Escaping>,
    recipients: Span,
    /// A rejection: `temporarily rejected` (4xx).
    temporary: bool,
    /// A rejection: the reason after `: `.
    reason: Span,
}

impl LineFacts {
    /// Facts of a line of kind [`LineKind::Other`] at a fixed time, for
    /// tests that build the assembler's input by hand.
    #[cfg(test)]
    pub(super) fn other() -> Self {
        let timestamp = Timestamp {
            year: 2026,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            millisecond: None,
            utc_offset_minutes: None,
        };
        LineFacts::bare(timestamp, LineKind::Other, None)
    }

    /// No facts (a line the assembler does not keep).
    pub(super) fn empty(timestamp: Timestamp) -> Self {
        LineFacts::bare(timestamp, LineKind::Other, None)
    }

    /// A line's time, kind and flag, no fields.
    fn bare(timestamp: Timestamp, kind: LineKind, flag: Option<Flag>) -> Self {
        LineFacts {
            timestamp,
            kind,
            flag,
            has_host: false,
            address: Span::NONE,
            original: Span::NONE,
            transport: Span::NONE,
            host_name: Span::NONE,
            host_ip: Span::NONE,
            helo: Span::NONE,
            sender: Span::NONE,
            size: None,
            user: Span::NONE,
            protocol: Span::NONE,
            authenticator: Span::NONE,
            auth_id: Span::NONE,
            subject: Span::NONE,
            subject_escaping: None,
            recipients: Span::NONE,
            temporary: false,
            reason: Span::NONE,
        }
    }

    /// The facts of `line`, parsed from `raw`. One match over the event
    /// for every field: the [`LineFields`] of a [`LogLine`] read the same
    /// fields one at a time, which cost about 10% more of `summary
    /// --threads 2` here (callgrind); the test
    /// `line_fields_of_a_parse_equal_those_kept` holds the two to agree.
    pub(super) fn of(raw: &[u8], line: &LogLine<'_>) -> Self {
        let mut facts = LineFacts::bare(line.timestamp, line.kind(), line.flag);
        let host = match &line.event {
            Event::Delivery(d) | Event::Deferral(d) | Event::Failure(d) => {
                facts.address = Span::of(raw, Some(d.address));
                facts.original = Span::of(raw, d.original);
                facts.transport = Span::of(raw, d.transport);
                d.host
            }
            Event::Arrival(a) => {
                facts.sender = Span::of(raw, Some(a.sender));
                facts.size = a.size;
                facts.user = Span::of(raw, a.user);
                facts.protocol = Span::of(raw, a.protocol);
                facts.authenticator = Span::of(raw, a.auth.map(|au| au.authenticator));
                facts.auth_id = Span::of(raw, a.auth.and_then(|au| au.id));
                facts.subject = Span::of_bytes(raw, a.subject.map(|q| q.raw()));
                facts.subject_escaping = a.subject.map(|q| q.escaping());
                facts.recipients = Span::of(raw, a.recipients.map(|r| r.raw()));
                a.host
            }
            Event::Rejection(r) => {
                facts.temporary = r.temporary;
                facts.reason = Span::of(raw, r.reason);
                r.peer.host
            }
            _ => None,
        };
        facts.has_host = host.is_some();
        facts.host_name = Span::of(raw, host.and_then(|h| h.name));
        facts.host_ip = Span::of(raw, host.and_then(|h| h.ip));
        facts.helo = Span::of(raw, host.and_then(|h| h.helo));
        facts
    }
}

/// The fields of a message line that the reports read, the same from a
/// kept [`MessageLine`] (where the assembler found them) as from a line's
/// parse ([`LogLine`], in an assembler that keeps no lines:
/// [`AssemblerOptions::keep_lines`](super::AssemblerOptions::keep_lines)),
/// so that a report counts a line one way whichever it is given. Each is as
/// the [`MessageLine`] accessor of the same name says.
pub(crate) trait LineFields {
    fn timestamp(&self) -> Timestamp;
    fn kind(&self) -> LineKind;
    fn flag(&self) -> Option<Flag>;
    fn has_host(&self) -> bool;
    fn host_name(&self) -> Option<Text<'_>>;
    fn host_ip(&self) -> Option<Text<'_>>;
    fn helo(&self) -> Option<Text<'_>>;
    fn address(&self) -> Option<Text<'_>>;
    fn original(&self) -> Option<Text<'_>>;
    fn transport(&self) -> Option<Text<'_>>;
    fn sender(&self) -> Option<Text<'_>>;
    fn size(&self) -> Option<u64>;
    fn user(&self) -> Option<Text<'_>>;
    fn temporary(&self) -> bool;
    fn reason(&self) -> Option<Text<'_>>;
}

/// The host of an arrival, delivery, deferral, failure or rejection.
fn event_host<'a>(event: &Event<'a>) -> Option<crate::Host<'a>> {
    match event {
        Event::Delivery(d) | Event::Deferral(d) | Event::Failure(d) => d.host,
        Event::Arrival(a) => a.host,
        Event::Rejection(r) => r.peer.host,
        _ => None,
    }
}

/// A delivery's, deferral's or failure's fields.
fn delivery_of<'e, 'a>(event: &'e Event<'a>) -> Option<&'e crate::event::Delivery<'a>> {
    match event {
        Event::Delivery(d) | Event::Deferral(d) | Event::Failure(d) => Some(d),
        _ => None,
    }
}

/// Read from the event as [`LineFacts::of`] finds the same fields (the test
/// `line_fields_of_a_parse_equal_those_kept` holds the two to agree).
impl LineFields for LogLine<'_> {
    fn timestamp(&self) -> Timestamp {
        self.timestamp
    }

    fn kind(&self) -> LineKind {
        match &self.event {
            Event::Arrival(_) => LineKind::Arrival,
            Event::Delivery(_) => LineKind::Delivery,
            Event::Deferral(_) => LineKind::Deferral,
            Event::Failure(_) => LineKind::Failure,
            Event::Completed(_) => LineKind::Completed,
            Event::Rejection(_) => LineKind::Rejection,
            _ => LineKind::Other,
        }
    }

    fn flag(&self) -> Option<Flag> {
        self.flag
    }

    fn has_host(&self) -> bool {
        event_host(&self.event).is_some()
    }

    fn host_name(&self) -> Option<Text<'_>> {
        event_host(&self.event)?.name
    }

    fn host_ip(&self) -> Option<Text<'_>> {
        event_host(&self.event)?.ip
    }

    fn helo(&self) -> Option<Text<'_>> {
        event_host(&self.event)?.helo
    }

    fn address(&self) -> Option<Text<'_>> {
        Some(delivery_of(&self.event)?.address)
    }

    fn original(&self) -> Option<Text<'_>> {
        delivery_of(&self.event)?.original
    }

    fn transport(&self) -> Option<Text<'_>> {
        delivery_of(&self.event)?.transport
    }

    fn sender(&self) -> Option<Text<'_>> {
        match &self.event {
            Event::Arrival(a) => Some(a.sender),
            _ => None,
        }
    }

    fn size(&self) -> Option<u64> {
        match &self.event {
            Event::Arrival(a) => a.size,
            _ => None,
        }
    }

    fn user(&self) -> Option<Text<'_>> {
        match &self.event {
            Event::Arrival(a) => a.user,
            _ => None,
        }
    }

    fn temporary(&self) -> bool {
        matches!(&self.event, Event::Rejection(r) if r.temporary)
    }

    fn reason(&self) -> Option<Text<'_>> {
        match &self.event {
            Event::Rejection(r) => r.reason,
            _ => None,
        }
    }
}

impl LineFields for MessageLine {
    fn timestamp(&self) -> Timestamp {
        MessageLine::timestamp(self)
    }

    fn kind(&self) -> LineKind {
        MessageLine::kind(self)
    }

    fn flag(&self) -> Option<Flag> {
        MessageLine::flag(self)
    }

    fn has_host(&self) -> bool {
        MessageLine::has_host(self)
    }

    fn host_name(&self) -> Option<Text<'_>> {
        MessageLine::host_name(self)
    }

    fn host_ip(&self) -> Option<Text<'_>> {
        MessageLine::host_ip(self)
    }

    fn helo(&self) -> Option<Text<'_>> {
        MessageLine::helo(self)
    }

    fn address(&self) -> Option<Text<'_>> {
        MessageLine::address(self)
    }

    fn original(&self) -> Option<Text<'_>> {
        MessageLine::original(self)
    }

    fn transport(&self) -> Option<Text<'_>> {
        MessageLine::transport(self)
    }

    fn sender(&self) -> Option<Text<'_>> {
        MessageLine::sender(self)
    }

    fn size(&self) -> Option<u64> {
        MessageLine::size(self)
    }

    fn user(&self) -> Option<Text<'_>> {
        MessageLine::user(self)
    }

    fn temporary(&self) -> bool {
        MessageLine::temporary(self)
    }

    fn reason(&self) -> Option<Text<'_>> {
        MessageLine::reason(self)
    }
}

/// One line of a [`Message`](super::Message): its owned bytes and position
/// ([`MessageLine::record`]) plus what the assembler read in it when it
/// parsed it: the time, the kind of event and flag, for deliveries,
/// deferrals and failures where the address, `<original>`, `T=` and the
/// host's name, HELO and IP lie, for an arrival where its sender, host,
/// `U=`, `P=`, `A=`, subject and recipients lie, and its size, and for a
/// rejection its host, reason and whether it was temporary. Reading those
/// costs no parse;
/// [`MessageLine::parse`] gives the whole line when more is needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLine {
    record: Record,
    facts: LineFacts,
}

impl MessageLine {
    pub(super) fn new(record: Record, facts: LineFacts) -> Self {
        MessageLine { record, facts }
    }

    /// A copy of a parsed line, with what its parse found (its position
    /// unknown: the start).
    pub(crate) fn of_parse(line: &LogLine<'_>) -> Self {
        let raw = line.raw.as_bytes();
        MessageLine {
            record: Record::new(raw.to_vec(), Position::start()),
            facts: LineFacts::of(raw, line),
        }
    }

    /// The line as read (bytes and position).
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The record, giving up the facts.
    pub fn into_record(self) -> Record {
        self.record
    }

    /// Shifts its position by `by` lines (a part of a log read on its own,
    /// [`crate::parallel`]).
    pub(crate) fn shift_line(&mut self, by: u64) {
        self.record.shift_line(by);
    }

    /// The line's bytes, without the line ending.
    pub fn raw(&self) -> &[u8] {
        self.record.raw()
    }

    /// Where the line was read.
    pub fn position(&self) -> &Position {
        self.record.position()
    }

    /// The file it was read from, if known.
    pub fn file(&self) -> Option<&std::path::Path> {
        self.record.file()
    }

    /// Parses the whole line again (zero-copy), for the fields the facts do
    /// not hold.
    pub fn parse(&self) -> Result<LogLine<'_>, ReadError> {
        self.record.parse()
    }

    /// The line's time.
    pub fn timestamp(&self) -> Timestamp {
        self.facts.timestamp
    }

    /// The kind of event.
    pub fn kind(&self) -> LineKind {
        self.facts.kind
    }

    /// The flag after the id (`<=`, `=>`, ...), if any.
    pub fn flag(&self) -> Option<Flag> {
        self.facts.flag
    }

    /// For a delivery, deferral or failure: the address.
    pub fn address(&self) -> Option<Text<'_>> {
        self.facts.address.get(self.record.raw())
    }

    /// For a delivery, deferral or failure: the `<original>` address.
    pub fn original(&self) -> Option<Text<'_>> {
        self.facts.original.get(self.record.raw())
    }

    /// For a delivery, deferral or failure: the transport (`T=`).
    pub fn transport(&self) -> Option<Text<'_>> {
        self.facts.transport.get(self.record.raw())
    }

    /// For an arrival, delivery, deferral, failure or rejection: whether a host (`H=`)
    /// is logged.
    pub fn has_host(&self) -> bool {
        self.facts.has_host
    }

    /// For an arrival, delivery, deferral, failure or rejection: the host's name (`H=name`).
    pub fn host_name(&self) -> Option<Text<'_>> {
        self.facts.host_name.get(self.record.raw())
    }

    /// For an arrival, delivery, deferral, failure or rejection: the host's IP address.
    pub fn host_ip(&self) -> Option<Text<'_>> {
        self.facts.host_ip.get(self.record.raw())
    }

    /// For an arrival, delivery, deferral, failure or rejection: the HELO name the
    /// host gave (`H=name (helo)`).
    pub fn helo(&self) -> Option<Text<'_>> {
        self.facts.helo.get(self.record.raw())
    }

    /// For an arrival: the envelope sender as logged (`<>` for a bounce).
    pub fn sender(&self) -> Option<Text<'_>> {
        self.facts.sender.get(self.record.raw())
    }

    /// For an arrival: the size (`S=`).
    pub fn size(&self) -> Option<u64> {
        self.facts.size
    }

    /// For an arrival: `U=`, the ident or local login.
    pub fn user(&self) -> Option<Text<'_>> {
        self.facts.user.get(self.record.raw())
    }

    /// For an arrival: the protocol (`P=`).
    pub fn protocol(&self) -> Option<Text<'_>> {
        self.facts.protocol.get(self.record.raw())
    }

    /// For an arrival: the authenticator of `A=`.
    pub fn authenticator(&self) -> Option<Text<'_>> {
        self.facts.authenticator.get(self.record.raw())
    }

    /// For an arrival: the authenticated id of `A=name:id`.
    pub fn auth_id(&self) -> Option<Text<'_>> {
        self.facts.auth_id.get(self.record.raw())
    }

    /// For an arrival: the subject (`T="..."`) as logged.
    pub fn subject(&self) -> Option<Quoted<'_>> {
        let raw = self.facts.subject.bytes(self.record.raw())?;
        Some(Quoted::new(raw, self.facts.subject_escaping?))
    }

    /// For an arrival: the subject as a reader sees it, as
    /// [`Arrival::subject_decoded`](crate::event::Arrival::subject_decoded).
    pub fn subject_decoded(&self) -> Option<String> {
        self.subject().map(|q| q.header_text())
    }

    /// For an arrival: the ` for a b c` recipients (`+received_recipients`).
    pub fn recipients(&self) -> Option<AddressList<'_>> {
        self.facts
            .recipients
            .get(self.record.raw())
            .map(AddressList::new)
    }

    /// For a rejection: `temporarily rejected` (a 4xx answer) rather than
    /// `rejected`, as [`Reject::temporary`](crate::Reject::temporary).
    pub fn temporary(&self) -> bool {
        self.facts.temporary
    }

    /// For a rejection: the reason after `: `, as
    /// [`Reject::reason`](crate::Reject::reason).
    pub fn reason(&self) -> Option<Text<'_>> {
        self.facts.reason.get(self.record.raw())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for MessageLine {
    /// As its [`Record`].
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.record.serialize(s)
    }
}
