//! Inferring from log lines which selectors were evidently on.
//!
//! The evidence comes from the parsed line: the prefix ([`crate::parse_line`]) for
//! `pid` and `millisec`, and the typed [`Event`] for the rest — a field that is
//! present (`QT=` as [`Delivery::queue_time`]), a line kind ([`Event::QueueRun`]).
//! There is no second tokenizer here: where a position matters (the offset of a
//! strict-mode error), it is where the field's [`Text`] lies in the line. Each rule
//! is documented by [`Selector::inference_rule`] and comes from exim-log-format.md
//! §1 (prefix), §3-§5 (fields) and §10 (other lines), checked against Exim's source
//! where a line is logged under a selector.
//!
//! Absence of evidence is not evidence of absence: a sample without a `T=` may just
//! hold no arrival. Only the prefix selectors (`pid`, `millisec`) are on or off on
//! every line, so only they can be reported [`Evidence::Off`].

use memchr::memmem;

use super::{LogSelector, Selector, TABLE};
use crate::event::{Arrival, Auth, Delivery, Event, Field, Peer, Reject, Stage, Tls};
use crate::host::Host;
use crate::line::{LogLine, parse_line};
use crate::text::Text;

/// What a log sample says about one selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Evidence {
    /// At least one line shows the selector's field or line: it was on when that line
    /// was written.
    Seen,
    /// Every line proves it off (only for `pid` and `millisec`, which change the
    /// prefix of every line).
    Off,
    /// Nothing in the sample says either way.
    NoEvidence,
}

/// The evidence for one selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Observation {
    /// The selector.
    pub selector: Selector,
    /// The verdict.
    pub evidence: Evidence,
    /// How many lines showed it.
    pub lines: u64,
    /// 1-based number of the first line that showed it.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub first_line: Option<u64>,
}

const N: usize = TABLE.len();

/// Evidence gathered from a sample of log lines.
///
/// ```
/// use exim_log::{Evidence, Inference, LogSelector, Selector};
///
/// let log = b"\
/// 2024-05-25 11:10:28.125 [4711] cwd=/var/spool/exim 3 args: /usr/sbin/exim -bd -q30m
/// 2024-05-25 11:10:29.004 [4712] 1sAoM5-00000009r3p-06vq <= a@example.com H=(helo) [192.0.2.1] P=esmtp S=1234 T=\"hi\" for b@example.org
/// ";
/// let inf = Inference::from_bytes(log);
/// assert_eq!(inf.evidence(Selector::Arguments), Evidence::Seen);
/// assert_eq!(inf.evidence(Selector::Subject), Evidence::Seen);
/// assert_eq!(inf.evidence(Selector::ReceivedRecipients), Evidence::Seen);
/// assert_eq!(inf.evidence(Selector::QueueTime), Evidence::NoEvidence);
/// let wanted: LogSelector = "-all +arguments +subject +queue_time".parse().unwrap();
/// assert_eq!(inf.missing(wanted).iter().collect::<Vec<_>>(), [Selector::QueueTime]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inference {
    lines: u64,
    unparsed: u64,
    seen: [u64; N],
    first: [Option<u64>; N],
    without_pid: u64,
    without_millisec: u64,
}

impl Default for Inference {
    fn default() -> Self {
        Inference {
            lines: 0,
            unparsed: 0,
            seen: [0; N],
            first: [None; N],
            without_pid: 0,
            without_millisec: 0,
        }
    }
}

impl<'l, 'a: 'l> Extend<&'l LogLine<'a>> for Inference {
    /// Adds parsed lines (see [`Inference::add_line`]).
    fn extend<I: IntoIterator<Item = &'l LogLine<'a>>>(&mut self, lines: I) {
        lines.into_iter().for_each(|l| self.add_line(l));
    }
}

impl<'a> Extend<LogLine<'a>> for Inference {
    /// Adds parsed lines (see [`Inference::add_line`]).
    fn extend<I: IntoIterator<Item = LogLine<'a>>>(&mut self, lines: I) {
        lines.into_iter().for_each(|l| self.add_line(&l));
    }
}

impl Selector {
    /// How [`Inference`] recognizes that the selector was on, or `None` when a log
    /// cannot show it (e.g. `outgoing_interface` alone, `rejected_header`).
    ///
    /// ```
    /// use exim_log::Selector;
    /// assert_eq!(Selector::Pid.inference_rule(), Some("`[pid]` after the timestamp"));
    /// ```
    pub fn inference_rule(self) -> Option<&'static str> {
        use Selector::*;
        Some(match self {
            EightBitMime => "`M8S=` on `<=`",
            AclWarnSkipped => "`Warning: ACL 'warn' statement skipped` in a line",
            AddressRewrite => "a line with `rewritten as` and `by rule`/`rewritten with`",
            AllParents => "a `(p1, p2)` parent list after the address of `=>`/`->`",
            Arguments => "a `cwd=<dir> <N> args:` line",
            ConnectionId => "`Ci=` on `<=`, connection or host_and_ident lines",
            ConnectionReject => {
                "`Connection from ... refused`, `refused connection from` lines, or rejections and drops in the connect ACL"
            }
            DelayDelivery => "a `no immediate delivery:` line",
            DeliverTime => "`DT=` on `=>`, `==` or `**`",
            DeliverySize => "`S=` on `=>`",
            Dkim => "`DKIM=<domain>` on `<=`",
            DkimVerbose => "a `DKIM: d=` line, or `DKIM=` on `=>`",
            Dmarc => "bare `DMARC` on `<=` or host_and_ident lines",
            DmarcVerbose => "`DMARC=` on `<=` or host_and_ident lines",
            DnslistDefer => "a `DNS list lookup defer` line",
            Dnssec => "`DS` before `H=` on `<=`, or `H=name DS [ip]` on `=>`",
            Etrn => "an `ETRN ... received from` line",
            HostLookupFailed => {
                "a `no host name found for IP address` or `no IP address found for host` line"
            }
            IdentTimeout => "an `ident connection to ... timed out` line",
            IncomingInterface => "`I=` on `<=`, deliveries, connection or host_and_ident lines",
            IncomingPort => {
                "`:port` after the `[ip]` of `H=` on `<=` or host_and_ident lines, or of `SMTP connection from`"
            }
            LostIncomingConnection => {
                "`unexpected disconnection while reading SMTP command`, `SMTP command timeout`, `SMTP data timeout` or `lost while reading message data` lines"
            }
            Millisec => "`.mmm` in the timestamp",
            MsgId => "`id=` on `<=`",
            MsgIdCreated => "`id*=` on `<=`",
            OutgoingInterface => "`I=` on a delivery (which needs +incoming_interface too)",
            OutgoingPort => "`:port` after the `[ip]` of `H=` on deliveries",
            Pid => "`[pid]` after the timestamp",
            Pipelining => "`L`, `L-`, `L.` or `L*` on `<=` or deliveries",
            ProtocolDetail => "`PS=` on `=>` or `**`",
            Proxy => "`PRX=` on `<=` or deliveries",
            QueueRun => "`Start`, `End` or `Abandon` queue run lines",
            QueueTime => "`QT=` on `=>`",
            QueueTimeOverall => "`Completed QT=`",
            ReceiveTime => "`RT=` on `<=`",
            ReceivedRecipients => "` for <rcpt>...` tail on `<=`",
            ReceivedSender => "` from <raw>` tail on `<=`",
            RetryDefer => "`retry time not reached` on `==`",
            ReturnPathOnDelivery => "`P=<...>` on `=>` or `**`",
            SenderOnDelivery => "`F=<...>` on `=>` or `**`",
            SenderVerifyFail => "a `sender verify fail for <` line (not `defer`)",
            SizeReject => "a `message too big:` line",
            SkipDelivery => "`Message is frozen` or `Spool file for ... is locked` lines",
            SmtpConfirmation => "`C=\"...\"` on deliveries",
            SmtpConnection => "an `SMTP connection from` line",
            SmtpIncompleteTransaction => "an `incomplete transaction (` line",
            SmtpMailauth => "a third `:` subfield in `A=` on `<=`",
            SmtpNoMail => "a `no MAIL in SMTP connection from` line",
            SmtpProtocolError => "an `SMTP protocol error in \"` line",
            SmtpSyntaxError => "an `SMTP syntax error in \"` line",
            Spf => "bare `SPF` on `<=` or host_and_ident lines",
            SpfVerbose => "`SPF=` on `<=` or host_and_ident lines",
            Subject => "`T=` on `<=`",
            TlsCertificateVerified => "`CV=` on `<=`, deliveries or host_and_ident lines",
            TlsCipher => "`X=` on `<=`, deliveries or host_and_ident lines",
            TlsOnConnect => "`P=ssmtp`, `essmtp` or `essmtpa` (optionally `local-`/`utf8`)",
            TlsPeerdn => "`DN=` on `<=` or deliveries",
            TlsResumption => "`X=<cipher>*` (a trailing `*`)",
            TlsSni => "`SNI=` on `<=`",
            UnknownInList => "a `list matching forced to fail:` line",
            QueueTimeExclusive | RejectedHeader => return None,
        })
    }
}

impl Inference {
    /// An empty sample.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gathers evidence from a whole log buffer, one line per `\n`.
    pub fn from_bytes(buf: &[u8]) -> Self {
        let mut inf = Self::new();
        inf.add_bytes(buf);
        inf
    }

    /// Adds every line of `buf` (split at `\n`; a last line without one counts).
    pub fn add_bytes(&mut self, buf: &[u8]) {
        let mut rest = buf;
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |n| n + 1);
            let (line, r) = rest.split_at(end);
            self.add_raw(line);
            rest = r;
        }
    }

    /// Adds one raw line; true when it parsed as a log line. Lines without a
    /// log prefix (reject-log headers, continuation lines) are counted in
    /// [`Inference::unparsed`] and otherwise ignored.
    pub fn add_raw(&mut self, line: &[u8]) -> bool {
        match parse_line(line) {
            Ok(l) => {
                self.add_line(&l);
                true
            }
            Err(_) => {
                self.lines += 1;
                self.unparsed += 1;
                false
            }
        }
    }

    /// Adds one parsed line (from [`parse_line`] or a reader).
    pub fn add_line(&mut self, line: &LogLine<'_>) {
        self.lines += 1;
        if line.pid.is_some() {
            self.saw(Selector::Pid);
        } else {
            self.without_pid += 1;
        }
        if line.timestamp.millisecond.is_some() {
            self.saw(Selector::Millisec);
        } else {
            self.without_millisec += 1;
        }
        let mut hits = LogSelector::empty();
        line_evidence(line, &mut |s, _| {
            // One line is one piece of evidence, however many of its tokens show it.
            hits.insert(s);
        });
        hits.iter().for_each(|s| self.saw(s));
    }

    fn saw(&mut self, s: Selector) {
        let i = s as usize;
        if let Some(c) = self.seen.get_mut(i) {
            *c += 1;
        }
        if let Some(f) = self.first.get_mut(i) {
            f.get_or_insert(self.lines);
        }
    }

    /// How many lines were added.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// How many added lines had no log prefix.
    pub fn unparsed(&self) -> u64 {
        self.unparsed
    }

    /// The verdict for one selector.
    pub fn evidence(&self, s: Selector) -> Evidence {
        let seen = self.seen.get(s as usize).copied().unwrap_or(0);
        let without = match s {
            Selector::Pid => self.without_pid,
            Selector::Millisec => self.without_millisec,
            _ => 0,
        };
        if seen > 0 {
            Evidence::Seen
        } else if without > 0 {
            Evidence::Off
        } else {
            Evidence::NoEvidence
        }
    }

    /// Every selector with its verdict, in table order.
    pub fn observations(&self) -> impl Iterator<Item = Observation> + '_ {
        Selector::all().map(|s| Observation {
            selector: s,
            evidence: self.evidence(s),
            lines: self.seen.get(s as usize).copied().unwrap_or(0),
            first_line: self.first.get(s as usize).copied().flatten(),
        })
    }

    /// The selectors seen on at least one line.
    pub fn seen(&self) -> LogSelector {
        Selector::all()
            .filter(|s| self.evidence(*s) == Evidence::Seen)
            .collect()
    }

    /// The selectors of `wanted` the sample shows no evidence of: a tool that needs
    /// them cannot rely on the log to have their fields.
    pub fn missing(&self, wanted: LogSelector) -> LogSelector {
        let seen = self.seen();
        wanted.iter().filter(|s| !seen.contains(*s)).collect()
    }

    /// The fields and lines a tool can rely on: the effect of every seen selector.
    pub fn reliable_fields(&self) -> impl Iterator<Item = (Selector, &'static str)> + '_ {
        Selector::all()
            .filter(|s| self.evidence(*s) == Evidence::Seen)
            .map(|s| (s, s.effect()))
    }
}

/// Reports the selectors the event of `line` shows (not `pid` or `millisec`), with
/// the byte offset in [`LogLine::raw`] of each piece of evidence: the tag of the
/// field, found from where the field's [`Text`] lies in the line.
pub(crate) fn line_evidence(line: &LogLine<'_>, hit: &mut dyn FnMut(Selector, usize)) {
    let mut ev = Evidence_ {
        raw: line.raw.as_bytes(),
        event: &line.event,
        hit,
    };
    let text = line.text().as_bytes();
    let at_text = line.text_offset();
    use Selector::*;
    match &line.event {
        Event::Arrival(a) => ev.arrival(a),
        Event::Delivery(d) => ev.delivery(d, Outcome::Delivered),
        Event::Failure(d) => ev.delivery(d, Outcome::Failed),
        Event::Deferral(d) => {
            let retry = d.error.is_some_and(|e| {
                let e = e.as_bytes();
                memmem::find(e, b"retry time not reached").is_some()
                    || memmem::find(e, b"Retry time not yet reached").is_some()
            });
            if retry {
                ev.hit(RetryDefer, ev.offset(d.error.map(|t| t.as_bytes())));
            }
            ev.delivery(d, Outcome::Deferred);
        }
        Event::Arguments(_) => ev.hit(Arguments, at_text),
        Event::QueueRun(_) => ev.hit(QueueRun, at_text),
        Event::ConnectionOpen(s) | Event::ConnectionClose(s) => {
            ev.hit(SmtpConnection, at_text);
            ev.peer(&s.peer, Direction::Incoming);
        }
        Event::ConnectionLost(s) => {
            // `<conn> lost while reading message data` is logged under
            // lost_incoming_connection or smtp_connection (receive.c); the
            // `unexpected disconnection` line under the first, `SMTP connection from
            // <conn> lost` under the second (smtp_in.c).
            let lost_in_data = memmem::find(text, b" lost while reading message data").is_some();
            if lost_in_data || text.starts_with(b"unexpected ") {
                ev.hit(LostIncomingConnection, at_text);
            } else if text.starts_with(b"SMTP connection ")
                && !text.starts_with(b"SMTP connection lost")
            {
                ev.hit(SmtpConnection, at_text);
            }
            if !lost_in_data {
                ev.peer(&s.peer, Direction::Incoming);
            }
        }
        // smtp_in.c writes a client's block with host_and_ident (port, I=,
        // Ci=); transports/smtp.c the server's (with its port).
        Event::AuthFailed(a) => {
            let dir = if a.outgoing {
                Direction::Outgoing
            } else {
                Direction::Incoming
            };
            ev.peer(&a.peer, dir);
        }
        Event::SmtpTimeout(s) => {
            ev.hit(LostIncomingConnection, at_text);
            ev.peer(&s.peer, Direction::Incoming);
        }
        Event::NoMail(_) => ev.hit(SmtpNoMail, at_text),
        Event::SmtpError(_) => {
            if text.starts_with(b"SMTP protocol error in \"") {
                ev.hit(SmtpProtocolError, at_text);
            } else if text.starts_with(b"SMTP syntax error in \"") {
                ev.hit(SmtpSyntaxError, at_text);
            }
        }
        // daemon.c and smtp_in.c log every refusal under connection_reject.
        Event::ConnectionRefused(_) => ev.hit(ConnectionReject, at_text),
        Event::HostLookupFailed(_) => ev.hit(HostLookupFailed, at_text),
        Event::Etrn(_) => {
            if text.starts_with(b"ETRN ") {
                ev.hit(Etrn, at_text);
            }
        }
        Event::IncompleteTransaction(s) => {
            ev.hit(
                SmtpIncompleteTransaction,
                ev.offset(s.reason.map(|t| t.as_bytes())),
            );
            ev.peer(&s.peer, Direction::Incoming);
        }
        Event::HostError(s) => {
            // With a message id, `H=` is a host Exim delivered to (`transports/smtp.c
            // write_logs`, §4.2); without, a client.
            let dir = if line.message_id.is_some() {
                Direction::Outgoing
            } else {
                Direction::Incoming
            };
            ev.peer(&s.peer, dir);
        }
        Event::Rejection(r) | Event::Dropped(r) => {
            ev.peer(&r.peer, Direction::Incoming);
            // acl.c logs connect-ACL refusals under connection_reject.
            if r.stage == Stage::Connect {
                ev.hit(ConnectionReject, ev.offset(Some(r.what.as_bytes())));
            } else if is_size_reject(r) {
                ev.hit(SizeReject, at_text);
            }
        }
        Event::Discarded(r) => ev.peer(&r.peer, Direction::Incoming),
        Event::SenderVerify(v) => {
            ev.peer(&v.peer, Direction::Incoming);
            if !v.temporary {
                let at = ev.tag_at(b"sender verify ", v.address.as_bytes());
                ev.hit(SenderVerifyFail, at);
            }
        }
        Event::Warning(w) => {
            ev.peer(&w.peer, Direction::Incoming);
            if w.message
                .as_bytes()
                .starts_with(b"ACL 'warn' statement skipped")
            {
                ev.hit(AclWarnSkipped, ev.offset(Some(w.message.as_bytes())));
            }
        }
        Event::MessageIsFrozen(_) | Event::SpoolLocked(_) => ev.hit(SkipDelivery, at_text),
        Event::NoImmediateDelivery(_) => ev.hit(DelayDelivery, at_text),
        Event::Dnslist(n) => {
            if n.reason
                .is_some_and(|r| r.as_bytes().starts_with(b"defer "))
            {
                ev.hit(DnslistDefer, at_text);
            }
        }
        // Only the per-signature line is verbose; `DKIM: validation error` and
        // `DKIM: signing failed` are always logged (miscmods/dkim.c).
        Event::Dkim(_) if text.starts_with(b"DKIM: d=") => ev.hit(DkimVerbose, at_text),
        Event::Rewrite(_) => ev.hit(AddressRewrite, at_text),
        _ => {
            // Lines the event parsers do not type (yet), known by their opening (§10).
            if text.starts_with(b"ident connection to ")
                && memmem::find(text, b" timed out").is_some()
            {
                ev.hit(IdentTimeout, at_text);
            } else if text.starts_with(b"list matching forced to fail:") {
                ev.hit(UnknownInList, at_text);
            } else if text.starts_with(b"Completed QT=") {
                // A `Completed` line with its queue time, or the test suite's
                // `QT=qqs` placeholder (no duration): one test for both.
                ev.hit(QueueTimeOverall, at_text);
            }
        }
    }
}

/// `rejected <cmd> ...: message too big: ...` (`+size_reject`, receive.c).
fn is_size_reject(r: &Reject<'_>) -> bool {
    r.reason
        .is_some_and(|t| memmem::find(t.as_bytes(), b"message too big: ").is_some())
        || memmem::find(r.what.as_bytes(), b": message too big: ").is_some()
}

/// Where `H=` points: at a client (incoming) or a server Exim delivered to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Incoming,
    Outgoing,
}

/// How a delivery line ended: `=>`/`->`/`>>`/`*>`, `**` or `==`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Delivered,
    Failed,
    Deferred,
}

/// The line, its event, and the sink for evidence.
// Named with a trailing `_` not to clash with the public `Evidence` verdict.
#[allow(non_camel_case_types)]
struct Evidence_<'l, 'a, 'f> {
    raw: &'a [u8],
    event: &'l Event<'a>,
    hit: &'f mut dyn FnMut(Selector, usize),
}

impl<'a> Evidence_<'_, 'a, '_> {
    fn hit(&mut self, s: Selector, at: usize) {
        (self.hit)(s, at);
    }

    /// Where `part` (a slice of the event) starts in the line; 0 when it is not
    /// a slice of the line (which parsed events never produce).
    fn offset(&self, part: Option<&[u8]>) -> usize {
        part.and_then(|p| offset_in(self.raw, p)).unwrap_or(0)
    }

    /// Where the `tag` (e.g. `b"X="`) of a field whose value is `value` starts:
    /// the last `tag` before the value (quotes, brackets or a `(` may sit between).
    fn tag_at(&self, tag: &[u8], value: &[u8]) -> usize {
        let v = self.offset(Some(value));
        let before = self.raw.get(..v).unwrap_or_default();
        memmem::rfind(before, tag).unwrap_or(v)
    }

    /// Where a field that keeps no slice (a number or a duration) starts: the first
    /// ` TAG=` (`space_tag`) of the line that lies inside no [`Text`] of the event,
    /// so a subject, HELO or address that holds ` RT=` is never taken for it.
    fn untyped_tag_at(&self, space_tag: &[u8]) -> usize {
        memmem::find_iter(self.raw, space_tag)
            .map(|p| p + 1)
            .find(|p| !self.inside_value(*p))
            .unwrap_or(0)
    }

    /// Where a number or duration field (`space_tag` is e.g. `b" RT="`) starts, when
    /// the event has it (`typed`) or kept the test suite's placeholder for it
    /// (`RT=q.qqqs`, `S=sss`) among `other` fields.
    fn number_at(&self, typed: bool, space_tag: &[u8], other: &[Field<'a>]) -> Option<usize> {
        if typed {
            return Some(self.untyped_tag_at(space_tag));
        }
        let name = space_tag.get(1..space_tag.len() - 1)?;
        other
            .iter()
            .find(|f| f.tag.as_bytes() == name && f.value.is_some())
            .map(|f| self.offset(Some(f.tag.as_bytes())))
    }

    fn inside_value(&self, p: usize) -> bool {
        let mut inside = false;
        texts(self.event, &mut |t| {
            if let Some(o) = offset_in(self.raw, t) {
                inside |= o <= p && p < o + t.len();
            }
        });
        inside
    }

    fn arrival(&mut self, a: &Arrival<'a>) {
        use Selector::*;
        if let Some(h) = &a.host {
            self.host(h, Direction::Incoming);
        }
        if let Some(i) = &a.interface {
            self.hit(IncomingInterface, self.tag_at(b"I=", i.ip.as_bytes()));
        }
        if let Some(at) = self.number_at(a.connection_id.is_some(), b" Ci=", &a.other_fields) {
            self.hit(ConnectionId, at);
        }
        if let Some(p) = a.protocol
            && tls_on_connect(p.as_bytes())
        {
            self.hit(TlsOnConnect, self.tag_at(b"P=", p.as_bytes()));
        }
        if let Some(p) = a.pipelining {
            self.hit(Pipelining, self.offset(Some(p.as_bytes())));
        }
        if let Some(t) = a.spf {
            self.bare_or_verbose(t, b"SPF=", Spf, SpfVerbose);
        }
        if let Some(t) = &a.tls {
            self.tls(t, true);
        }
        if let Some(sender) = a.auth.and_then(|au| au.sender) {
            // The third subfield of `A=` exists only under +smtp_mailauth (§5).
            self.hit(SmtpMailauth, self.tag_at(b"A=", sender.as_bytes()));
        }
        if let Some(p) = a.proxy {
            self.hit(Proxy, self.tag_at(b"PRX=", p.as_bytes()));
        }
        if let Some(at) = self.number_at(a.mime_8bit.is_some(), b" M8S=", &a.other_fields) {
            self.hit(EightBitMime, at);
        }
        if let Some(d) = a.dkim {
            self.hit(Dkim, self.tag_at(b"DKIM=", d.as_bytes()));
        }
        if let Some(t) = a.dmarc {
            self.bare_or_verbose(t, b"DMARC=", Dmarc, DmarcVerbose);
        }
        if let Some(at) = self.number_at(a.receive_time.is_some(), b" RT=", &a.other_fields) {
            self.hit(ReceiveTime, at);
        }
        if let Some(id) = a.header_id {
            let (sel, tag): (_, &[u8]) = if a.header_id_created {
                (MsgIdCreated, b"id*=")
            } else {
                (MsgId, b"id=")
            };
            self.hit(sel, self.tag_at(tag, id.as_bytes()));
        }
        if let Some(s) = a.subject {
            self.hit(Subject, self.tag_at(b"T=", s.raw()));
        }
        if let Some(s) = a.received_sender {
            let from = self.tag_at(b"from <", s.as_bytes());
            self.hit(ReceivedSender, from);
            // ` for ...` may follow the sender; nothing else does.
            if a.recipients.is_some_and(|r| !r.is_empty()) {
                self.hit(ReceivedRecipients, from);
            }
        } else if let Some(r) = a.recipients.filter(|r| !r.is_empty()) {
            self.hit(ReceivedRecipients, self.tag_at(b"for ", r.raw().as_bytes()));
        }
    }

    fn delivery(&mut self, d: &Delivery<'a>, outcome: Outcome) {
        use Selector::*;
        let delivered = outcome == Outcome::Delivered;
        // On `==` and `**` lines `DT=` follows the error text (§4.2, §4.3), on
        // others it is a tag.
        let dt = d.delivery_time.is_some();
        if let Some(at) = self.number_at(dt, b" DT=", &d.other_fields) {
            self.hit(DeliverTime, at);
        }
        if outcome == Outcome::Deferred {
            return;
        }
        if let Some(p) = d.parents {
            // `(p1, p2)`: two or more parents only with +all_parents (§4.4).
            if delivered && memmem::find(p.as_bytes(), b", ").is_some() {
                self.hit(AllParents, self.offset(Some(d.address.as_bytes())));
            }
        }
        if let Some(s) = d.sender {
            self.hit(SenderOnDelivery, self.tag_at(b"F=", s.as_bytes()));
        }
        if let Some(p) = d.return_path {
            self.hit(ReturnPathOnDelivery, self.tag_at(b"P=", p.as_bytes()));
        }
        if let Some(h) = &d.host {
            self.host(h, Direction::Outgoing);
        }
        if let Some(i) = &d.interface {
            let at = self.tag_at(b"I=", i.ip.as_bytes());
            self.hit(OutgoingInterface, at);
            self.hit(IncomingInterface, at);
        }
        if let Some(p) = &d.proxy {
            self.hit(Proxy, self.tag_at(b"PRX=", p.ip.as_bytes()));
        }
        if let Some(p) = d.protocol_detail {
            self.hit(ProtocolDetail, self.tag_at(b"PS=", p.as_bytes()));
        }
        if let Some(t) = &d.tls {
            self.tls(t, false);
        }
        if let Some(p) = d.pipelining {
            self.hit(Pipelining, self.offset(Some(p.as_bytes())));
        }
        if let Some(k) = d.dkim {
            self.hit(DkimVerbose, self.tag_at(b"DKIM=", k.as_bytes()));
        }
        if delivered {
            if let Some(at) = self.number_at(d.size.is_some(), b" S=", &d.other_fields) {
                self.hit(DeliverySize, at);
            }
            if let Some(c) = d.confirmation {
                self.hit(SmtpConfirmation, self.tag_at(b"C=", c.raw()));
            }
            if let Some(at) = self.number_at(d.queue_time.is_some(), b" QT=", &d.other_fields) {
                self.hit(QueueTime, at);
            }
        }
    }

    /// The `host_and_ident` fields of session and reject lines (§10): `H=`, `I=`,
    /// `Ci=`, and the TLS fields `smtp_handle_acl_fail` adds.
    fn peer(&mut self, p: &Peer<'a>, dir: Direction) {
        use Selector::*;
        if let Some(h) = &p.host {
            self.host(h, dir);
        }
        if let Some(i) = &p.interface {
            self.hit(IncomingInterface, self.tag_at(b"I=", i.ip.as_bytes()));
        }
        if p.connection_id.is_some() {
            self.hit(ConnectionId, self.untyped_tag_at(b" Ci="));
        }
        if let Some(t) = &p.tls {
            self.tls(t, false);
        }
    }

    /// `H=`: `DS` (before it on arrivals, after the name on deliveries) and a port
    /// after the `[ip]`.
    fn host(&mut self, h: &Host<'a>, dir: Direction) {
        use Selector::*;
        let first = [h.name, h.helo, h.ip].into_iter().flatten().next();
        let Some(first) = first else { return };
        let at = self.tag_at(b"H=", first.as_bytes());
        if h.dnssec {
            let before = self.raw.get(..at).unwrap_or_default();
            self.hit(Dnssec, if before.ends_with(b"DS ") { at - 3 } else { at });
        }
        let port_logged = h.port.is_some() || h.ip.is_some_and(|ip| self.port_placeholder(ip));
        if port_logged {
            let s = match dir {
                Direction::Incoming => IncomingPort,
                Direction::Outgoing => OutgoingPort,
            };
            self.hit(s, at);
        }
    }

    /// The test suite writes `[ip]:PORT_D`-style placeholders the host parser keeps
    /// as no port; a `]:` and a word right after the ip still show a logged port.
    fn port_placeholder(&self, ip: Text<'_>) -> bool {
        let end = self.offset(Some(ip.as_bytes())) + ip.len();
        let after = self.raw.get(end..).unwrap_or_default();
        after.starts_with(b"]:")
            && after
                .get(2)
                .is_some_and(|b| !matches!(b, b' ' | b'*' | b':'))
    }

    fn tls(&mut self, t: &Tls<'a>, arrival: bool) {
        use Selector::*;
        if let Some(c) = t.cipher {
            let at = self.tag_at(b"X=", c.as_bytes());
            self.hit(TlsCipher, at);
            if t.resumed {
                self.hit(TlsResumption, at);
            }
        }
        if let Some(v) = t.certificate_verified {
            self.hit(TlsCertificateVerified, self.tag_at(b"CV=", v.as_bytes()));
        }
        if let Some(dn) = t.peer_dn {
            self.hit(TlsPeerdn, self.tag_at(b"DN=", dn.raw()));
        }
        if let Some(sni) = t.sni.filter(|_| arrival) {
            self.hit(TlsSni, self.tag_at(b"SNI=", sni.as_bytes()));
        }
    }

    /// `SPF`/`DMARC` alone, or with `=result` under the `_verbose` selector.
    fn bare_or_verbose(&mut self, t: Text<'a>, tag: &[u8], bare: Selector, verbose: Selector) {
        let at = self.offset(Some(t.as_bytes()));
        let before = self.raw.get(..at).unwrap_or_default();
        if before.ends_with(tag) {
            self.hit(verbose, at - tag.len());
        } else {
            self.hit(bare, at);
        }
    }
}

/// Where `part` starts in `whole`, when it is a slice of it.
fn offset_in(whole: &[u8], part: &[u8]) -> Option<usize> {
    let o = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (o + part.len() <= whole.len()).then_some(o)
}

/// Every [`Text`] an event holds, for [`Evidence_::untyped_tag_at`].
fn texts<'a>(event: &Event<'a>, f: &mut dyn FnMut(&'a [u8])) {
    let mut t = |x: Option<Text<'a>>| {
        if let Some(x) = x {
            f(x.as_bytes());
        }
    };
    match event {
        Event::Arrival(a) => {
            t(Some(a.sender));
            host_texts(a.host.as_ref(), &mut t);
            t(a.interface.map(|i| i.ip));
            t(a.tcp_fast_open);
            t(a.user);
            t(a.protocol);
            t(a.pipelining);
            t(a.spf);
            tls_texts(a.tls.as_ref(), &mut t);
            auth_texts(a.auth.as_ref(), &mut t);
            t(a.proxy);
            t(a.dkim);
            t(a.dmarc);
            t(a.queue);
            t(a.header_id);
            t(a.subject.map(|s| Text::new(s.raw())));
            t(a.received_sender);
            t(a.recipients.map(|r| r.raw()));
            for o in &a.other_fields {
                t(Some(o.tag));
                t(o.value);
            }
        }
        Event::Delivery(d) | Event::Failure(d) | Event::Deferral(d) => {
            t(Some(d.address));
            t(d.parents);
            t(d.original);
            t(d.sender);
            t(d.queue);
            t(d.return_path);
            t(d.router);
            t(d.transport);
            host_texts(d.host.as_ref(), &mut t);
            t(d.proxy.map(|p| p.ip));
            t(d.interface.map(|i| i.ip));
            t(d.tcp_fast_open);
            t(d.protocol_detail);
            tls_texts(d.tls.as_ref(), &mut t);
            auth_texts(d.auth.as_ref(), &mut t);
            t(d.pipelining);
            t(d.dkim);
            t(d.shadow_transport);
            t(d.confirmation.map(|c| Text::new(c.raw())));
            t(d.error);
            t(d.message);
            for o in &d.other_fields {
                t(Some(o.tag));
                t(o.value);
            }
        }
        _ => {
            if let Some(p) = peer_of(event) {
                host_texts(p.host.as_ref(), &mut t);
                t(p.interface.map(|i| i.ip));
                t(p.user);
                tls_texts(p.tls.as_ref(), &mut t);
                t(p.sender);
                auth_texts(p.auth.as_ref(), &mut t);
                t(p.protocol);
            }
            if let Some(s) = event.session() {
                t(s.commands.map(|c| c.raw()));
                t(s.command);
                t(s.from);
                t(s.recipients.map(|r| r.raw()));
                t(s.reason);
            }
        }
    }
}

/// The client block of a session or reject event.
fn peer_of<'l, 'a>(event: &'l Event<'a>) -> Option<&'l Peer<'a>> {
    match event {
        Event::Rejection(r) | Event::Dropped(r) | Event::Discarded(r) => Some(&r.peer),
        Event::SenderVerify(v) => Some(&v.peer),
        Event::Warning(w) => Some(&w.peer),
        Event::AuthFailed(a) => Some(&a.peer),
        _ => event.session().map(|s| &s.peer),
    }
}

fn host_texts<'a>(h: Option<&Host<'a>>, t: &mut dyn FnMut(Option<Text<'a>>)) {
    if let Some(h) = h {
        t(h.name);
        t(h.helo);
        t(h.ip);
        t(h.ident);
    }
}

fn tls_texts<'a>(tls: Option<&Tls<'a>>, t: &mut dyn FnMut(Option<Text<'a>>)) {
    if let Some(x) = tls {
        t(x.cipher);
        t(x.certificate_verified);
        t(x.peer_dn.map(|d| Text::new(d.raw())));
        t(x.sni);
    }
}

fn auth_texts<'a>(auth: Option<&Auth<'a>>, t: &mut dyn FnMut(Option<Text<'a>>)) {
    if let Some(a) = auth {
        t(Some(a.authenticator));
        t(a.id);
        t(a.sender);
    }
}

/// `ssmtp`, `essmtp`, `essmtpa` with optional `local-` and `utf8` (§6).
fn tls_on_connect(p: &[u8]) -> bool {
    let p = p.strip_prefix(b"local-").unwrap_or(p);
    let p = p.strip_prefix(b"utf8").unwrap_or(p);
    matches!(p, b"ssmtp" | b"essmtp" | b"essmtpa")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Selector::*;

    fn seen(log: &str) -> Vec<Selector> {
        Inference::from_bytes(log.as_bytes())
            .seen()
            .iter()
            .collect()
    }

    /// The prefix of a message line, and of a line without a message id.
    const MESSAGE: &str = "2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq ";
    const OTHER: &str = "2024-05-25 11:10:28 ";

    /// Each body, after `prefix`, shows exactly the selectors given (`+pid`
    /// and `+millisec`, which every line shows or not, left aside).
    fn check(prefix: &str, cases: &[(&str, &[Selector])]) {
        for (body, want) in cases {
            let line = format!("{prefix}{body}\n");
            let got: Vec<Selector> = seen(&line)
                .into_iter()
                .filter(|s| *s != Pid && *s != Millisec)
                .collect();
            assert_eq!(got, *want, "{body}");
        }
    }

    #[test]
    fn spam_hunting_server_log() {
        // A server with log_selector = +arguments +subject +received_recipients +pid.
        let log = "\
2024-05-25 11:10:28 [4711] cwd=/var/www/html 4 args: /usr/sbin/sendmail -t -i -fnoreply@example.com
2024-05-25 11:10:28 [4711] 1sAoM5-00000009r3p-06vq <= noreply@example.com U=www-data P=local S=1520 id=E1sAoM5@example.com T=\"You won!\" for victim@example.org other@example.net
2024-05-25 11:10:29 [4712] 1sAoM5-00000009r3p-06vq => victim@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.25] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 Ok: queued as 4Vm\"
2024-05-25 11:10:29 [4712] 1sAoM5-00000009r3p-06vq Completed
";
        assert_eq!(
            seen(log),
            [
                Arguments,
                MsgId,
                Pid,
                ReceivedRecipients,
                SmtpConfirmation,
                Subject,
                TlsCertificateVerified,
                TlsCipher
            ]
        );
        let inf = Inference::from_bytes(log.as_bytes());
        assert_eq!(inf.lines(), 4);
        assert_eq!(inf.evidence(Millisec), Evidence::Off);
        assert_eq!(inf.evidence(QueueTime), Evidence::NoEvidence);
        let obs: Vec<Observation> = inf
            .observations()
            .filter(|o| o.selector == Subject)
            .collect();
        assert_eq!(
            obs.first().map(|o| (o.lines, o.first_line)),
            Some((1, Some(2)))
        );
    }

    /// Both `Extend` impls add the lines as `from_bytes` does (a `+subject`
    /// arrival: `T="..."`, exim-log-format.md §9.2).
    #[test]
    fn extend_adds_lines_like_from_bytes() {
        let log = "\
2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq <= a@example.com P=local S=10 T=\"hi\"
2024-05-25 11:10:29 1sAoM5-00000009r3p-06vq Completed
";
        let lines: Vec<LogLine<'_>> = log
            .lines()
            .filter_map(|l| crate::parse_line(l.as_bytes()).ok())
            .collect();
        assert_eq!(lines.len(), 2);
        let mut by_ref = Inference::default();
        by_ref.extend(lines.iter());
        let mut by_value = Inference::default();
        by_value.extend(lines.clone());
        let whole = Inference::from_bytes(log.as_bytes());
        assert_eq!(by_ref.lines(), 2);
        assert_eq!(by_ref.evidence(Subject), Evidence::Seen);
        assert_eq!(by_ref, whole);
        assert_eq!(by_value, whole);
    }

    /// One line each of the event arms the other tests leave out, with the
    /// selector the format reference names for it (exim-log-format.md §9.2
    /// and §10's table): `Completed QT=` is queue_time_overall, a command
    /// timeout lost_incoming_connection, `no immediate delivery` delay_delivery,
    /// a DNS-list defer dnslist_defer, a skipped warn statement
    /// acl_warn_skipped; a `[ip]:port` after `H=` is incoming_port on a
    /// client's line and outgoing_port on a delivery host's error (with a
    /// message id), and a line without a port shows neither.
    #[test]
    fn each_event_arm_shows_its_selector() {
        let cases: &[(&str, &[Selector])] = &[
            (
                "2024-05-25 11:10:29 1sAoM5-00000009r3p-06vq Completed QT=2s",
                &[QueueTimeOverall],
            ),
            // The test suite's placeholder: no duration, but the field is logged.
            (
                "2024-05-25 11:10:29 1sAoM5-00000009r3p-06vq Completed QT=qqs",
                &[QueueTimeOverall],
            ),
            ("2024-05-25 11:10:29 1sAoM5-00000009r3p-06vq Completed", &[]),
            (
                "2024-05-25 11:10:29 SMTP command timeout on connection from (pc) [192.0.2.1]:4321 D=5m",
                &[IncomingPort, LostIncomingConnection],
            ),
            (
                "2024-05-25 11:10:29 1sAoM5-00000009r3p-06vq no immediate delivery: queued by ACL",
                &[DelayDelivery],
            ),
            (
                "2024-05-25 11:10:29 DNS list lookup defer (probably timeout) for 1.2.0.192.zen.example: assumed not in list",
                &[DnslistDefer],
            ),
            (
                "2024-05-25 11:10:29 H=(pc) [192.0.2.1]:4321 Warning: ACL 'warn' statement skipped (in acl_check_rcpt at line 12 of /etc/exim4/exim4.conf): condition test deferred",
                &[AclWarnSkipped, IncomingPort],
            ),
            (
                "2024-05-25 11:10:29 H=(pc) [192.0.2.1]:4321 F=<a@b.example> RCPT <c@d.example>: discarded by RCPT ACL",
                &[IncomingPort],
            ),
            (
                "2024-05-25 11:10:29 H=(pc) [192.0.2.1] F=<a@b.example> RCPT <c@d.example>: discarded by RCPT ACL",
                &[],
            ),
            (
                "2024-05-25 11:10:29 1sAoM5-00000009r3p-06vq H=mx.example.org [192.0.2.25]:25 Connection refused",
                &[OutgoingPort],
            ),
            (
                "2024-05-25 11:10:29 H=mx.example.org [192.0.2.25]:25 Connection refused",
                &[IncomingPort],
            ),
        ];
        for (line, want) in cases {
            let mut got = seen(line);
            // A bare line shows the message id only when it has one.
            got.retain(|s| *s != MsgId);
            assert_eq!(got, *want, "{line}");
        }
    }

    #[test]
    fn default_server_shows_no_arguments() {
        // A default configuration: the tool that needs +arguments learns it is missing.
        let log = "\
2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq <= noreply@example.com U=www-data P=local S=1520 id=E1sAoM5@example.com
2024-05-25 11:10:29 1sAoM5-00000009r3p-06vq => victim@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.25] C=\"250 OK\"
2024-05-25 11:10:29 1sAoM5-00000009r3p-06vq Completed
";
        let inf = Inference::from_bytes(log.as_bytes());
        let wanted: LogSelector = [Arguments, Subject, ReceivedRecipients]
            .into_iter()
            .collect();
        assert_eq!(inf.missing(wanted), wanted);
        assert_eq!(inf.evidence(Pid), Evidence::Off);
        assert_eq!(seen(log), [MsgId, SmtpConfirmation]);
    }

    #[test]
    fn arrival_fields() {
        let cases: &[(&str, &[Selector])] = &[
            (
                "<= a@example.com H=(helo) [192.0.2.1]:41000 I=[198.51.100.1]:25 P=esmtp S=10",
                &[IncomingInterface, IncomingPort],
            ),
            (
                "<= a@example.com H=mail.example.com [192.0.2.1] Ci=3344 P=esmtps X=TLS1.3:TLS_AES_128_GCM_SHA256:128* CV=no DN=\"CN=mail\" SNI=mx.example.org S=10",
                &[
                    ConnectionId,
                    TlsCertificateVerified,
                    TlsCipher,
                    TlsPeerdn,
                    TlsResumption,
                    TlsSni,
                ],
            ),
            (
                "<= a@example.com H=(h) [192.0.2.1] P=esmtpa L. A=plain:alice:alice@example.com S=10 M8S=8 DKIM=example.com RT=1.2s id*=E1@example.com",
                &[
                    EightBitMime,
                    Dkim,
                    MsgIdCreated,
                    Pipelining,
                    ReceiveTime,
                    SmtpMailauth,
                ],
            ),
            (
                "<= a@example.com DS H=mail.example.com [192.0.2.1] P=ssmtp PRX=203.0.113.9 SPF=pass DMARC S=10",
                &[Dmarc, Dnssec, Proxy, SpfVerbose, TlsOnConnect],
            ),
            // The sender is quoted and holds a space; the subject holds tags.
            (
                "<= \"a b\"@example.com U=u P=local S=10 T=\"S=1 QT=5s M8S=8\" from <a@example.com> for c@example.org",
                &[ReceivedRecipients, ReceivedSender, Subject],
            ),
            // A `from`/`for` word in the subject is not the tail.
            (
                "<= a@example.com U=u P=local S=10 T=\"mail for you\"",
                &[Subject],
            ),
        ];
        check(MESSAGE, cases);
    }

    #[test]
    fn delivery_fields() {
        let cases: &[(&str, &[Selector])] = &[
            (
                "=> b@example.org F=<a@example.com> P=<a@example.com> R=r T=t S=2048 H=mx.example.org [192.0.2.7]:2525 I=[198.51.100.1]:40000 PS=se X=TLS1.3:A:256 CV=dane C=\"250 OK\" QT=3s DT=1s",
                &[
                    DeliverTime,
                    DeliverySize,
                    IncomingInterface,
                    OutgoingInterface,
                    OutgoingPort,
                    ProtocolDetail,
                    QueueTime,
                    ReturnPathOnDelivery,
                    SenderOnDelivery,
                    SmtpConfirmation,
                    TlsCertificateVerified,
                    TlsCipher,
                ],
            ),
            (
                "=> b@example.org (list@example.org, alias@example.org) <orig@example.org> R=r T=t H=mx.example.org DS [192.0.2.7]* L DKIM=example.com:sel C=\"250 OK\"",
                &[
                    AllParents,
                    DkimVerbose,
                    Dnssec,
                    Pipelining,
                    SmtpConfirmation,
                ],
            ),
            // One parent only: not +all_parents.
            (
                "=> |/usr/bin/procmail (alias@example.org) <u@example.org> R=r T=pipe",
                &[],
            ),
            (
                "== b@example.org R=r T=t defer (-44) H=mx.example.org [192.0.2.7]: SMTP error from remote mail server after RCPT TO:<b@example.org>: 451 4.7.1 Greylisted",
                &[],
            ),
            (
                "== b@example.org R=r T=t defer (111): Connection refused DT=0.003s",
                &[DeliverTime],
            ),
            (
                "== b@example.org routing defer (-52): retry time not reached",
                &[RetryDefer],
            ),
            (
                "** b@example.org F=<a@example.com> R=r T=t H=mx.example.org [192.0.2.7] : SMTP error from remote mail server after RCPT TO:<b@example.org>: 550 No such user DT=2s",
                &[DeliverTime, SenderOnDelivery],
            ),
            ("** b@example.org: Unrouteable address", &[]),
        ];
        check(MESSAGE, cases);
    }

    #[test]
    fn other_lines() {
        let cases: &[(&str, &[Selector])] = &[
            (
                "SMTP connection from [192.0.2.1]:41000 I=[198.51.100.1]:25 Ci=77 (TCP/IP connection count = 3)",
                &[
                    ConnectionId,
                    IncomingInterface,
                    IncomingPort,
                    SmtpConnection,
                ],
            ),
            (
                "SMTP connection Ci=77 from (helo) [192.0.2.1] D=5s closed by QUIT",
                &[ConnectionId, SmtpConnection],
            ),
            (
                "no MAIL in SMTP connection from (helo) [192.0.2.1] D=2s C=EHLO,QUIT",
                &[SmtpNoMail],
            ),
            (
                "1sAoM5-00000009r3p-06vq Completed QT=5s",
                &[QueueTimeOverall],
            ),
            ("Start queue run: pid=1234", &[QueueRun]),
            (
                "H=(helo) [192.0.2.1]:5555 I=[198.51.100.1]:25 F=<a@example.com> rejected RCPT <b@example.org>: relay not permitted",
                &[IncomingInterface, IncomingPort],
            ),
            (
                "H=(helo) [192.0.2.1] sender verify fail for <a@example.com>: no such user",
                &[SenderVerifyFail],
            ),
            (
                "H=(helo) [192.0.2.1] incomplete transaction (QUIT) from <a@example.com> for b@example.org",
                &[SmtpIncompleteTransaction],
            ),
            (
                "SMTP protocol error in \"AUTH LOGIN\" H=(helo) [192.0.2.1] AUTH command used when not advertised",
                &[SmtpProtocolError],
            ),
            (
                "SMTP syntax error in \"XYZ\" H=(helo) [192.0.2.1] unrecognized command",
                &[SmtpSyntaxError],
            ),
            (
                "no host name found for IP address 192.0.2.1",
                &[HostLookupFailed],
            ),
            (
                "ETRN #example.org received from (helo) [192.0.2.1]",
                &[Etrn],
            ),
            (
                "Connection from [192.0.2.1] refused: too many connections",
                &[ConnectionReject],
            ),
            (
                "rejected MAIL FROM:<a@example.com> H=(helo) [192.0.2.1]: message too big: size=99999999 max=52428800",
                &[SizeReject],
            ),
            (
                "Spool file for 1sAoM5-00000009r3p-06vq is locked (another process is handling this message)",
                &[SkipDelivery],
            ),
            (
                "\"a@example\" from env-from rewritten as \"a@example.com\" by rule 1",
                &[AddressRewrite],
            ),
            (
                "exim 4.98 daemon started: pid=1, -q30m, listening for SMTP on port 25",
                &[],
            ),
        ];
        check(OTHER, cases);
    }

    #[test]
    fn lines_known_by_their_event() {
        let cases: &[(&str, &[Selector])] = &[
            (
                "refused connection from [192.0.2.1] (host_reject_connection)",
                &[ConnectionReject],
            ),
            ("Start ODMR queue run: pid=9 -qq", &[QueueRun]),
            ("End 'bulk' queue run: pid=9", &[QueueRun]),
            (
                "U=joe sender verify fail for <a@example.com>: no such user",
                &[SenderVerifyFail],
            ),
            // `defer` is always logged, whatever sender_verify_fail says (smtp_in.c).
            (
                "H=(helo) [192.0.2.1] sender verify defer for <a@example.com>: timeout",
                &[],
            ),
            (
                "H=(helo) [192.0.2.1] rejected connection in \"connect\" ACL",
                &[ConnectionReject],
            ),
            (
                "SMTP connection from (helo) [192.0.2.1]:41000 lost D=1s",
                &[IncomingPort, SmtpConnection],
            ),
            (
                "unexpected disconnection while reading SMTP command from (helo) [192.0.2.1] D=1s",
                &[LostIncomingConnection],
            ),
            // Logged with no selector at all (`log_write(0, ...)`, receive.c), so it
            // is not smtp_connection's `SMTP connection from <conn> lost`.
            (
                "SMTP connection lost after final dot H=(helo) [192.0.2.1]",
                &[],
            ),
            // ident_timeout logs the `timed out` line only; the `failed` one is a
            // debug line (verify.c), no selector's evidence.
            (
                "ident connection to 192.0.2.1 failed: Connection refused",
                &[],
            ),
            ("ident connection to 192.0.2.1 timed out", &[IdentTimeout]),
            (
                "DKIM: d=example.com s=sel c=relaxed/relaxed a=rsa-sha256 b=2048 [verification succeeded]",
                &[DkimVerbose],
            ),
        ];
        check(OTHER, cases);
        // `DKIM: signing failed` is logged whatever the selectors say (dkim.c).
        check(MESSAGE, &[("DKIM: signing failed: key missing", &[])]);
    }

    /// The offset of each piece of evidence, as the text found there.
    fn offsets(line: &str) -> Vec<(Selector, String)> {
        let l = parse_line(line.as_bytes()).unwrap();
        let mut got = Vec::new();
        line_evidence(&l, &mut |s, at| {
            got.push((s, line[at..].chars().take(4).collect()))
        });
        got.sort();
        got
    }

    /// The [`offsets`] of one selector's evidence in `line`.
    fn offsets_of(line: &str, selector: Selector) -> Vec<String> {
        offsets(line)
            .into_iter()
            .filter(|(s, _)| *s == selector)
            .map(|(_, at)| at)
            .collect()
    }

    #[test]
    fn evidence_points_at_the_tag_not_at_look_alikes_in_values() {
        // ` RT=` in the HELO and ` QT=`/` S=` in the subject or response are
        // values, not fields.
        let got = offsets(&format!(
            "{MESSAGE}<= \"x S=1\"@example.com H=(x RT=5s M8S=8) [192.0.2.1]:4000 P=esmtp S=10 M8S=8 RT=1s T=\"a QT=1s\" for b@example.org"
        ));
        let want: Vec<(Selector, String)> = vec![
            (EightBitMime, "M8S=".into()),
            (IncomingPort, "H=(x".into()),
            (ReceiveTime, "RT=1".into()),
            (ReceivedRecipients, "for ".into()),
            (Subject, "T=\"a".into()),
        ];
        assert_eq!(got, want);
        let got = offsets(&format!(
            "{MESSAGE}=> b@example.org R=r T=t S=20 H=mx.example.org DS [192.0.2.7] C=\"250 S=1 QT=2s\" QT=3s DT=1s"
        ));
        let want: Vec<(Selector, String)> = vec![
            (DeliverTime, "DT=1".into()),
            (DeliverySize, "S=20".into()),
            (Dnssec, "H=mx".into()),
            (QueueTime, "QT=3".into()),
            (SmtpConfirmation, "C=\"2".into()),
        ];
        assert_eq!(got, want);
    }

    /// The offsets of `DS` before `H=` on an arrival (§5: `DS` precedes the
    /// host there), of `SPF=`/`DMARC=` under the `_verbose` selectors and of
    /// the bare words under the plain ones (§4, 4.100 dev), and of the test
    /// suite's placeholders (`RT=q.qqqs`, `[ip]:PORT_D`), which the parser
    /// keeps as no number and no port.
    #[test]
    fn evidence_points_at_dnssec_spf_dmarc_and_placeholders() {
        let got = offsets(&format!(
            "{MESSAGE}<= a@example.com DS H=mx.example.org [192.0.2.1]:4000 P=esmtp SPF=pass S=10 DMARC=pass for b@example.org"
        ));
        let mut want: Vec<(Selector, String)> = vec![
            (Dnssec, "DS H".into()),
            (IncomingPort, "H=mx".into()),
            (ReceivedRecipients, "for ".into()),
            (SpfVerbose, "SPF=".into()),
            (DmarcVerbose, "DMAR".into()),
        ];
        want.sort();
        assert_eq!(got, want);
        let got = offsets(&format!(
            "{MESSAGE}<= a@example.com H=(x) [192.0.2.1]:PORT_D P=esmtp SPF S=10 DMARC RT=q.qqqs"
        ));
        let mut want: Vec<(Selector, String)> = vec![
            (IncomingPort, "H=(x".into()),
            (Spf, "SPF ".into()),
            (Dmarc, "DMAR".into()),
            (ReceiveTime, "RT=q".into()),
        ];
        want.sort();
        assert_eq!(got, want);
    }

    /// A HELO holding ` Ci=` is a value: the connection id's evidence is the
    /// real `Ci=` field after the client block, on every kind of line that
    /// carries one (a rejection, a sender-verify failure, a warning; the
    /// field order of §5's host block).
    #[test]
    fn connection_id_in_a_helo_is_a_value() {
        let bodies = [
            "H=(x Ci=1) [192.0.2.4]:4711 I=[198.51.100.1]:25 Ci=8812 F=<a@b.example> rejected RCPT <c@d.example>: no",
            "H=(x Ci=1) [192.0.2.4]:4711 I=[198.51.100.1]:25 Ci=8812 sender verify fail for <a@b.example>: no such user",
            "H=(x Ci=1) [192.0.2.4]:4711 I=[198.51.100.1]:25 Ci=8812 Warning: ACL 'warn' statement skipped (in a at line 1 of f): condition test deferred",
        ];
        for body in bodies {
            let line = format!("{OTHER}{body}");
            assert_eq!(offsets_of(&line, ConnectionId), ["Ci=8"], "{line}");
        }
    }

    /// An AUTH failure's client block is evidence like a rejection's (its
    /// port, interface and connection id; a HELO holding ` Ci=` a value), an
    /// outgoing one's server port the outgoing port, and a TLS peer DN is a
    /// value: a ` RT=` inside it is not the receive time's field.
    #[test]
    fn auth_failures_and_peer_dns_as_evidence() {
        let got = offsets(&format!(
            "{OTHER}dovecot_login authenticator failed for H=(x Ci=1) [192.0.2.4]:4711 I=[198.51.100.1]:25 Ci=8812: 535 Incorrect authentication data (set_id=joe)"
        ));
        let mut want: Vec<(Selector, String)> = vec![
            (IncomingInterface, "I=[1".into()),
            (IncomingPort, "H=(x".into()),
            (ConnectionId, "Ci=8".into()),
        ];
        want.sort();
        assert_eq!(got, want);
        // Our own AUTH failing at a server: its port is the outgoing one.
        let got = offsets(&format!(
            "{OTHER}plain authenticator failed H=mx.example.org [192.0.2.7]:587 535 5.7.8 Error: authentication failed"
        ));
        assert_eq!(got, [(OutgoingPort, "H=mx".to_string())]);
        let line = format!(
            "{MESSAGE}<= a@example.com H=(x) [192.0.2.1] P=esmtps X=TLS1.3:TLS_AES_128_GCM_SHA256:128 DN=\"CN=a RT=5s\" S=10 RT=1s"
        );
        assert_eq!(offsets_of(&line, ReceiveTime), ["RT=1"]);
    }

    #[test]
    fn parsed_lines_can_be_added() {
        let lines = [
            "2024-05-25 11:10:28 [1] cwd=/tmp 2 args: exim -bp",
            "2024-05-25 11:10:29 [2] 1sAoM5-00000009r3p-06vq Completed QT=1s",
        ];
        let mut inf = Inference::new();
        inf.extend(lines.iter().filter_map(|l| parse_line(l.as_bytes()).ok()));
        assert_eq!(
            inf.seen().iter().collect::<Vec<_>>(),
            [Arguments, Pid, QueueTimeOverall]
        );
        assert_eq!(inf, Inference::from_bytes(lines.join("\n").as_bytes()));
    }

    #[test]
    fn unprefixed_lines_are_counted_not_used() {
        let log = "2024-05-25 11:10:28.042 [9] 1sAoM5-00000009r3p-06vq F=<a@example.com> rejected after DATA: spam\nEnvelope-from: <a@example.com>\n  Subject: x\n";
        let inf = Inference::from_bytes(log.as_bytes());
        assert_eq!((inf.lines(), inf.unparsed()), (3, 2));
        assert_eq!(inf.seen().iter().collect::<Vec<_>>(), [Millisec, Pid]);
        assert_eq!(
            inf.reliable_fields().map(|(s, _)| s).collect::<Vec<_>>(),
            [Millisec, Pid]
        );
    }

    #[test]
    fn every_selector_has_a_rule_or_says_why_not() {
        let without: Vec<Selector> = Selector::all()
            .filter(|s| s.inference_rule().is_none())
            .collect();
        assert_eq!(without, [QueueTimeExclusive, RejectedHeader]);
    }
}
