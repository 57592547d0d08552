//! Inferring from log lines which selectors were evidently on.
//!
//! The evidence is byte-level: the line prefix comes from [`crate::parse_line`], the
//! rest from the raw text after it (tag tokens after the flag, fixed line openings),
//! so the rules do not depend on how complete the event parsers are. Each rule is
//! documented by [`Selector::inference_rule`] and comes from exim-log-format.md
//! §1 (prefix), §3-§5 (fields) and §10 (other lines).
//!
//! Absence of evidence is not evidence of absence: a sample without a `T=` may just
//! hold no arrival. Only the prefix selectors (`pid`, `millisec`) are on or off on
//! every line, so only they can be reported [`Evidence::Off`].

use memchr::memmem;
use serde::Serialize;

use super::{LogSelector, Selector, TABLE};
use crate::event::Flag;
use crate::line::{LogLine, parse_line};
use crate::parse::host::host;

/// What a log sample says about one selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// The selector.
    pub selector: Selector,
    /// The verdict.
    pub evidence: Evidence,
    /// How many lines showed it.
    pub lines: u64,
    /// 1-based number of the first line that showed it.
    #[serde(skip_serializing_if = "Option::is_none")]
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
                "`Connection from ... refused` or `rejected connection in \"connect\" ACL` lines"
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
            QueueRun => "`Start queue run:` / `End queue run:` lines",
            QueueTime => "`QT=` on `=>`",
            QueueTimeOverall => "`Completed QT=`",
            ReceiveTime => "`RT=` on `<=`",
            ReceivedRecipients => "` for <rcpt>...` tail on `<=`",
            ReceivedSender => "` from <raw>` tail on `<=`",
            RetryDefer => "`retry time not reached` on `==`",
            ReturnPathOnDelivery => "`P=<...>` on `=>` or `**`",
            SenderOnDelivery => "`F=<...>` on `=>` or `**`",
            SenderVerifyFail => "a `sender verify fail for <` line",
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

/// Skips a `"..."` value with backslash escapes (spec §7); returns its length
/// including the quotes, or the rest of the input if unterminated.
fn quoted_len(i: &[u8]) -> usize {
    let mut escaped = false;
    for (n, b) in i.iter().enumerate().skip(1) {
        match (escaped, b) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => return n + 1,
            _ => {}
        }
    }
    i.len()
}

/// Splits off the next space-separated token; a `TAG="..."` value is kept whole.
fn token(i: &[u8]) -> Option<(&[u8], &[u8])> {
    let start = i.iter().position(|b| *b != b' ')?;
    let s = i.get(start..)?;
    let eq = s.iter().take_while(|b| **b != b' ' && **b != b'=').count();
    let len = match s.get(eq..eq + 2) {
        Some([b'=', b'"']) => eq + 1 + quoted_len(s.get(eq + 1..).unwrap_or_default()),
        _ => memchr::memchr(b' ', s).unwrap_or(s.len()),
    };
    Some(s.split_at(len.min(s.len())))
}

/// A token that is a plain address (up to a space outside double quotes), as in
/// `AddressIter`: the sender of `<=`, the first address of a delivery.
fn address(i: &[u8]) -> &[u8] {
    let mut in_quotes = false;
    for (n, b) in i.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b' ' if !in_quotes => return i.get(n..).unwrap_or_default(),
            _ => {}
        }
    }
    &[]
}

/// What kind of line the tag scan is looking at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Arrival,
    Delivery,
    Failure,
    /// host_and_ident lines (`H=...` first) and `SMTP connection from` lines.
    Connection,
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

    /// Adds one raw line. Lines without a log prefix (reject-log headers,
    /// continuation lines) are counted in [`Inference::unparsed`] and otherwise ignored.
    pub fn add_raw(&mut self, line: &[u8]) {
        match parse_line(line) {
            Ok(l) => self.add_line(&l),
            Err(_) => {
                self.lines += 1;
                self.unparsed += 1;
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
        scan_body(line, &mut |s, _| {
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

/// Walks the text of one line and reports each piece of evidence with its byte
/// offset in the line. Every slice it is handed is a suffix of the line, so an
/// offset is the line length minus the slice length.
struct Scanner<'f> {
    line_len: usize,
    cur: usize,
    /// The line carries a message id (then an `H=` line may be a delivery's
    /// per-host line, `transports/smtp.c write_logs`, §4.2).
    has_id: bool,
    hit: &'f mut dyn FnMut(Selector, usize),
}

/// Reports the selectors the text after the prefix of `line` shows (not `pid` or
/// `millisec`), with the byte offset in [`LogLine::raw`] of each piece of evidence.
pub(crate) fn scan_body(line: &LogLine<'_>, hit: &mut dyn FnMut(Selector, usize)) {
    let raw = line.raw.as_bytes();
    let text = raw.get(line.text_offset()..).unwrap_or_default();
    let mut sc = Scanner {
        line_len: raw.len(),
        cur: line.text_offset(),
        has_id: line.message_id.is_some(),
        hit,
    };
    let flag = match text.get(..3) {
        Some([a, b, b' ']) if line.message_id.is_some() => Flag::from_bytes(&[*a, *b]),
        _ => None,
    };
    match flag {
        Some(f) => sc.flagged(f, text.get(3..).unwrap_or_default()),
        None => sc.other(text),
    }
}

impl Scanner<'_> {
    fn at(&mut self, suffix: &[u8]) {
        self.cur = self.line_len.saturating_sub(suffix.len());
    }

    fn hit(&mut self, s: Selector) {
        (self.hit)(s, self.cur);
    }

    fn flagged(&mut self, flag: Flag, rest: &[u8]) {
        self.at(rest);
        match flag {
            Flag::Arrival | Flag::FakeReject => {
                let after = address(rest);
                self.tags(after, Kind::Arrival);
            }
            Flag::Delivery
            | Flag::Additional
            | Flag::Cutthrough
            | Flag::Suppressed
            | Flag::Failure => {
                let mut after = address(rest);
                // `(parent)` or `(p1, p2)`: two or more only with +all_parents (§4.4).
                if let Some(p) = after.strip_prefix(b" (") {
                    if let Some(close) = memchr::memchr(b')', p) {
                        if flag != Flag::Failure
                            && memmem::find(p.get(..close).unwrap_or_default(), b", ").is_some()
                        {
                            self.hit(Selector::AllParents);
                        }
                        after = p.get(close + 1..).unwrap_or_default();
                    }
                }
                let kind = if flag == Flag::Failure {
                    Kind::Failure
                } else {
                    Kind::Delivery
                };
                self.tags(after, kind);
                if flag == Flag::Failure {
                    self.trailing_dt(rest);
                }
            }
            Flag::Deferral => {
                if memmem::find(rest, b"retry time not reached").is_some()
                    || memmem::find(rest, b"Retry time not yet reached").is_some()
                {
                    self.hit(Selector::RetryDefer);
                }
                self.trailing_dt(rest);
            }
        }
    }

    /// `DT=` on `==` and `**` lines sits after free text (`defer (N): strerror`, or
    /// the error message), so it is searched for: ` DT=` + a duration-like value
    /// (§4.2, §4.3), then a space, `:` or the end. A remote server's error text that
    /// itself holds ` DT=1s` would be taken as evidence too.
    fn trailing_dt(&mut self, rest: &[u8]) {
        for pos in memmem::find_iter(rest, b" DT=") {
            let v = rest.get(pos + 4..).unwrap_or_default();
            let n = v
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'.')
                .count();
            if n > 0 && matches!(v.get(n), None | Some(b' ' | b':')) {
                self.at(v);
                self.hit(Selector::DeliverTime);
                return;
            }
        }
    }

    /// Scans the tag tokens of an arrival, delivery or host_and_ident line, stopping
    /// at the first token that is not a field of the line's grammar (§3, §4.1, §10).
    fn tags(&mut self, mut rest: &[u8], kind: Kind) {
        use Selector::*;
        let arrival = kind == Kind::Arrival;
        let delivery = matches!(kind, Kind::Delivery | Kind::Failure);
        loop {
            let Some(start) = rest.iter().position(|b| *b != b' ') else {
                return;
            };
            let here = rest.get(start..).unwrap_or_default();
            self.at(here);
            if let Some(h) = here.strip_prefix(b"H=") {
                // The H= value has spaces; the host parser knows where it ends.
                let Some((hv, after)) = host(h) else {
                    return;
                };
                if hv.dnssec {
                    self.hit(Dnssec);
                }
                if hv.port.is_some() || port_placeholder(h, after) {
                    let outgoing = delivery
                        || (kind == Kind::Connection && self.has_id && !host_and_ident(after));
                    self.hit(if outgoing { OutgoingPort } else { IncomingPort });
                }
                rest = after;
                continue;
            }
            let Some((tok, r)) = token(here) else {
                return;
            };
            rest = r;
            // An original address `<orig>` after the final one (§4.4); it may hold `=`.
            if delivery && tok.starts_with(b"<") && tok.ends_with(b">") {
                continue;
            }
            let (tag, value) = match memchr::memchr(b'=', tok) {
                Some(n) => (tok.get(..n).unwrap_or_default(), tok.get(n + 1..)),
                None => (tok, None),
            };
            let sel = match (tag, value) {
                (b"I", Some(_)) => {
                    if delivery {
                        self.hit(OutgoingInterface);
                    }
                    Some(IncomingInterface)
                }
                (b"Ci", Some(_)) if !delivery => Some(ConnectionId),
                (b"X", Some(v)) => {
                    if v.ends_with(b"*") {
                        self.hit(TlsResumption);
                    }
                    Some(TlsCipher)
                }
                (b"CV", Some(_)) => Some(TlsCertificateVerified),
                (b"DN", Some(_)) => Some(TlsPeerdn),
                (b"SPF", None) => Some(Spf),
                (b"SPF", Some(_)) => Some(SpfVerbose),
                (b"DMARC", None) => Some(Dmarc),
                (b"DMARC", Some(_)) => Some(DmarcVerbose),
                (b"DS", None) => Some(Dnssec),
                (b"L" | b"L-" | b"L." | b"L*", None) if kind != Kind::Connection => {
                    Some(Pipelining)
                }
                (b"PRX", Some(_)) if kind != Kind::Connection => Some(Proxy),
                (b"A", Some(v)) => {
                    // authname:id:auth_sender; the sender may itself hold `:`, but
                    // only the third subfield exists under +smtp_mailauth.
                    (arrival && v.iter().filter(|b| **b == b':').count() >= 2)
                        .then_some(SmtpMailauth)
                }
                (b"U" | b"TFO" | b"TFO*" | b"PRDR" | b"K" | b"ARC" | b"Q", _) => None,
                (b"F", Some(_)) if kind == Kind::Connection => None,
                _ if arrival => match (tag, value) {
                    (b"P", Some(v)) => tls_on_connect(v).then_some(TlsOnConnect),
                    (b"R" | b"S", Some(_)) => None,
                    (b"SNI", Some(_)) => Some(TlsSni),
                    (b"M8S", Some(_)) => Some(EightBitMime),
                    (b"DKIM", Some(_)) => Some(Dkim),
                    (b"RT", Some(_)) => Some(ReceiveTime),
                    (b"id", Some(_)) => Some(MsgId),
                    (b"id*", Some(_)) => Some(MsgIdCreated),
                    (b"T", Some(_)) => Some(Subject),
                    (b"from", None) => {
                        self.hit(ReceivedSender);
                        // ` for ...` may follow the sender; nothing else does.
                        if memmem::find(rest, b" for ").is_some() {
                            self.hit(ReceivedRecipients);
                        }
                        return;
                    }
                    (b"for", None) => {
                        if token(rest).is_some() {
                            self.hit(ReceivedRecipients);
                        }
                        return;
                    }
                    _ => return,
                },
                _ if delivery => match (tag, value) {
                    (b"F", Some(_)) => Some(SenderOnDelivery),
                    (b"P", Some(_)) => Some(ReturnPathOnDelivery),
                    (b"S", Some(_)) if kind == Kind::Delivery => Some(DeliverySize),
                    (b"QT", Some(_)) if kind == Kind::Delivery => Some(QueueTime),
                    // On `**` lines DT= follows the error text: see `trailing_dt`.
                    (b"DT", Some(_)) if kind == Kind::Delivery => Some(DeliverTime),
                    (b"C", Some(_)) if kind == Kind::Delivery => Some(SmtpConfirmation),
                    (b"DKIM", Some(_)) => Some(DkimVerbose),
                    (b"PS", Some(_)) => Some(ProtocolDetail),
                    (b"R" | b"T" | b"ST", Some(_)) => None,
                    _ => return,
                },
                _ => return,
            };
            if let Some(s) = sel {
                self.hit(s);
            }
        }
    }

    /// Lines without a flag (§10).
    fn other(&mut self, text: &[u8]) {
        use Selector::*;
        self.at(text);
        let has = |needle: &[u8]| memmem::find(text, needle).is_some();
        let starts = |p: &[u8]| text.starts_with(p);
        if starts(b"cwd=") && has(b" args: ") {
            self.hit(Arguments);
        } else if starts(b"Completed QT=") {
            self.hit(QueueTimeOverall);
        } else if has(b" lost while reading message data")
            || starts(b"unexpected disconnection while reading SMTP command")
            || starts(b"unexpected EOF while reading SMTP command")
            || starts(b"SMTP command timeout on")
            || starts(b"SMTP data timeout ")
        {
            // Checked before `SMTP connection from`: the lost-in-DATA line starts
            // with the connection info too (§10).
            self.hit(LostIncomingConnection);
        } else if starts(b"SMTP connection ") && !starts(b"SMTP connection lost") && has(b" from ")
        {
            self.hit(SmtpConnection);
            // `SMTP connection[ Ci=n] from <host>[ I=..]`
            let after = text.get(b"SMTP connection".len()..).unwrap_or_default();
            self.connection_tags(after);
        } else if starts(b"no MAIL in ") && has(b"SMTP connection from ") {
            self.hit(SmtpNoMail);
        } else if starts(b"Start queue run:")
            || starts(b"End queue run:")
            || (starts(b"Start '") && has(b"' queue run: "))
        {
            self.hit(QueueRun);
        } else if starts(b"no immediate delivery:") {
            self.hit(DelayDelivery);
        } else if starts(b"ETRN ") && has(b" received from ") {
            self.hit(Etrn);
        } else if starts(b"Message is frozen") || (starts(b"Spool file ") && has(b" is locked")) {
            self.hit(SkipDelivery);
        } else if starts(b"SMTP protocol error in \"") {
            self.hit(SmtpProtocolError);
        } else if starts(b"SMTP syntax error in \"") {
            self.hit(SmtpSyntaxError);
        } else if starts(b"DKIM: d=") {
            self.hit(DkimVerbose);
        } else if starts(b"ident connection to ") && has(b" timed out") {
            self.hit(IdentTimeout);
        } else if starts(b"list matching forced to fail:") {
            self.hit(UnknownInList);
        } else if starts(b"no host name found for IP address ")
            || starts(b"no IP address found for host ")
        {
            self.hit(HostLookupFailed);
        } else if starts(b"DNS list lookup defer ") {
            self.hit(DnslistDefer);
        } else if starts(b"Connection from ") && has(b" refused") {
            self.hit(ConnectionReject);
        } else if starts(b"\"") && has(b" rewritten ") {
            self.hit(AddressRewrite);
        } else if starts(b"H=") || starts(b"DS H=") {
            self.tags(text, Kind::Connection);
            if has(b" Warning: ACL 'warn' statement skipped") {
                self.hit(AclWarnSkipped);
            } else if has(b" sender verify fail for <") {
                self.hit(SenderVerifyFail);
            } else if has(b" incomplete transaction (") {
                self.hit(SmtpIncompleteTransaction);
            } else if has(b" rejected connection in \"connect\" ACL")
                || has(b" dropped by 'connect' ACL")
            {
                self.hit(ConnectionReject);
            }
        }
        if has(b": message too big: ") && has(b"rejected ") {
            self.hit(SizeReject);
        }
    }

    /// `[ Ci=n] from <host>[ I=..]` of a connection line.
    fn connection_tags(&mut self, after: &[u8]) {
        let mut rest = after;
        if let Some(r) = rest.strip_prefix(b" Ci=") {
            self.at(r);
            self.hit(Selector::ConnectionId);
            rest = r;
        }
        if let Some(pos) = memmem::find(rest, b" from ") {
            let h = rest.get(pos + 6..).unwrap_or_default();
            if let Some((hv, after)) = host(h) {
                self.at(h);
                if hv.port.is_some() || port_placeholder(h, after) {
                    self.hit(Selector::IncomingPort);
                }
                self.tags(after, Kind::Connection);
            }
        }
    }
}

/// The test suite writes `[ip]:PORT_D`-style placeholders the host parser keeps as
/// no port; a `]:` right before `after` still shows a logged port.
fn port_placeholder(whole: &[u8], after: &[u8]) -> bool {
    let used = whole.len().saturating_sub(after.len());
    let v = whole.get(..used).unwrap_or_default();
    let v = v.strip_suffix(b"*").unwrap_or(v);
    match memchr::memrchr(b']', v) {
        Some(p) => v
            .get(p + 1..)
            .is_some_and(|s| s.starts_with(b":") && s.len() > 1),
        None => false,
    }
}

/// After the `H=` value of a line with a message id: does a host_and_ident field
/// or a reject follow (an incoming host), rather than the free text of a delivery's
/// per-host line (`H=mx [ip]:25: SMTP error ...`, `H=mx [ip] Connection refused`)?
fn host_and_ident(after: &[u8]) -> bool {
    let Some(tok) = after.strip_prefix(b" ").and_then(token).map(|(t, _)| t) else {
        return false;
    };
    tok.contains(&b'=') || matches!(tok, b"rejected" | b"temporarily" | b"Warning:")
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

    #[test]
    fn quoted_values_are_skipped_whole() {
        assert_eq!(quoted_len(br#""a b" x"#), 5);
        assert_eq!(quoted_len(br#""a \" QT=1s" x"#), 12);
        assert_eq!(quoted_len(br#""open"#), 5);
        assert_eq!(
            token(br#" T="x S=1 QT=2s" id=1"#),
            Some((&br#"T="x S=1 QT=2s""#[..], &b" id=1"[..]))
        );
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
        for (body, want) in cases {
            let line = format!("2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq {body}\n");
            let got: Vec<Selector> = seen(&line)
                .into_iter()
                .filter(|s| *s != Pid && *s != Millisec)
                .collect();
            assert_eq!(got, *want, "{body}");
        }
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
        for (body, want) in cases {
            let line = format!("2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq {body}\n");
            let got: Vec<Selector> = seen(&line)
                .into_iter()
                .filter(|s| *s != Pid && *s != Millisec)
                .collect();
            assert_eq!(got, *want, "{body}");
        }
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
        for (body, want) in cases {
            let line = format!("2024-05-25 11:10:28 {body}\n");
            let got: Vec<Selector> = seen(&line)
                .into_iter()
                .filter(|s| *s != Pid && *s != Millisec)
                .collect();
            assert_eq!(got, *want, "{body}");
        }
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
