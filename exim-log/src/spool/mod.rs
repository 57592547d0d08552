//! Exim's mail queue: spool `-H` files, the first line of `-D` files, and the
//! `exim -bp` / `mailq` listing.
//!
//! On a compromised server the spams still waiting in the queue say who
//! submitted them, often more directly than the log: the `-H` file of each holds
//! the submitting login and uid, the authenticated id, the client's address and
//! HELO, and the headers, among them PHP's `X-PHP-Originating-Script` and
//! cPanel's `X-PHP-Script`. The format is the one of the Exim specification's
//! chapter "Format of spool files", read the way `spool_in.c` reads it.
//!
//! ```
//! use exim_log::spool::{self, HeaderKind};
//!
//! let file = b"1xZnLD-0006Ud-23-H\n\
//! nobody 65534 65534\n\
//! <nobody@host.example>\n\
//! 1796467807 0\n\
//! -ident nobody\n\
//! -received_protocol local\n\
//! -auth_id nobody\n\
//! -frozen 1796467900\n\
//! XX\n\
//! 1\n\
//! victim@example.org\n\
//! \n\
//! 042  X-PHP-Originating-Script: 1000:mailer.php\n\
//! 023T To: victim@example.org\n";
//! let h = spool::parse_header(file)?;
//! assert_eq!(h.id.as_str(), "1xZnLD-0006Ud-23");
//! assert_eq!((h.login.to_string_lossy(), h.uid), ("nobody".into(), 65534));
//! assert_eq!(h.envelope.received_protocol.unwrap(), "local");
//! assert_eq!(h.envelope.frozen, Some(1796467900));
//! let rcpt: Vec<_> = h.recipients().map(|r| r.address.to_string()).collect();
//! assert_eq!(rcpt, ["victim@example.org"]);
//! let php = h.originating_script().unwrap();
//! assert_eq!((php.uid.unwrap(), php.script), (1000, "mailer.php".into()));
//! assert_eq!(h.headers().nth(1).unwrap().kind(), HeaderKind::To);
//! # Ok::<(), exim_log::spool::SpoolError>(())
//! ```
//!
//! A spool directory (split into `input/X/` or not) is read by
//! [`crate::reader::SpoolDir`]; the listing of `exim -bp` by [`parse_listing`].

mod header;
mod listing;
mod php;
mod recipient;

use std::borrow::Cow;

#[cfg(feature = "serde")]
use serde::ser::{SerializeSeq, SerializeStruct};
#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::host::Endpoint;
use crate::message_id::MessageId;
use crate::received::Folded;
use crate::text::{Escaping, Quoted, Text};

pub use listing::{
    AgeUnit, QueueAge, QueueEntry, QueueListing, QueueRecipient, QueueRecipients, format_age,
    format_size, parse_listing,
};
pub use php::{OriginatingScript, PhpScript};
pub use recipient::SpoolRecipient;

/// Which part of a spool file could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpoolErrorKind {
    /// The first line is not `ID-H` (or `ID-D` for a data file).
    IdLine,
    /// The second line is not `login uid gid`.
    OwnerLine,
    /// The third line is not `<sender>`.
    SenderLine,
    /// The fourth line is not `time warning_count`.
    TimeLine,
    /// A `-name value` line is malformed (no newline, a bad ACL variable length,
    /// an unterminated `(quoter)`, a `-frozen` without a time).
    Variable,
    /// The non-recipients tree is incomplete or has an empty address.
    NonRecipients,
    /// The recipient count is missing or above Exim's limit of 16384.
    RecipientCount,
    /// A recipient line is empty, missing, or its extra fields are inconsistent.
    Recipient,
    /// The blank line between the envelope and the headers is missing.
    HeaderSeparator,
    /// A header is not `NNN<flag> text` with exactly NNN bytes of text (no NUL).
    Header,
    /// An `exim -bp` record is malformed.
    Listing,
}

impl SpoolErrorKind {
    /// A short human description.
    pub const fn description(&self) -> &'static str {
        match self {
            SpoolErrorKind::IdLine => "first line is not the message id with -H or -D",
            SpoolErrorKind::OwnerLine => "second line is not: login uid gid",
            SpoolErrorKind::SenderLine => "third line is not: <sender>",
            SpoolErrorKind::TimeLine => "fourth line is not: time warning-count",
            SpoolErrorKind::Variable => "malformed -variable line",
            SpoolErrorKind::NonRecipients => "malformed non-recipients tree",
            SpoolErrorKind::RecipientCount => "missing or too large recipient count",
            SpoolErrorKind::Recipient => "malformed recipient line",
            SpoolErrorKind::HeaderSeparator => "no blank line before the headers",
            SpoolErrorKind::Header => "malformed header (length, flag, text)",
            SpoolErrorKind::Listing => "malformed exim -bp record",
        }
    }
}

/// An error in a spool file or queue listing: what, and the byte offset of the
/// line (or header) where it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Error)]
#[error("{} at byte {offset}", kind.description())]
pub struct SpoolError {
    /// What went wrong.
    pub kind: SpoolErrorKind,
    /// Byte offset into the parsed input (always `<=` its length).
    pub offset: usize,
}

impl SpoolError {
    /// An error of `kind` at `offset`.
    pub const fn new(kind: SpoolErrorKind, offset: usize) -> Self {
        SpoolError { kind, offset }
    }
}

/// Parses a whole spool `-H` file. Every field borrows from `input`.
///
/// The file is validated completely here, so the iterators of [`HeaderFile`]
/// ([`HeaderFile::variables`], [`HeaderFile::recipients`], ...) never fail.
pub fn parse_header(input: &[u8]) -> Result<HeaderFile<'_>, SpoolError> {
    header::parse(input)
}

/// Reads the first line of a `-D` file (`ID-D`): the message id, and the offset
/// where the message body starts.
///
/// ```
/// let (id, body) = exim_log::spool::parse_data_line(b"1xZnLD-0006Ud-23-D\nHello\n")?;
/// assert_eq!((id.as_str(), body), ("1xZnLD-0006Ud-23", 19));
/// # Ok::<(), exim_log::spool::SpoolError>(())
/// ```
pub fn parse_data_line(input: &[u8]) -> Result<(MessageId<'_>, usize), SpoolError> {
    header::data_id_line(input)
        .map(|(rest, id)| (id, input.len() - rest.len()))
        .map_err(|_| SpoolError::new(SpoolErrorKind::IdLine, 0))
}

/// A parsed spool `-H` file: the envelope and the headers of a queued message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeaderFile<'a> {
    /// The message id, from the first line.
    pub id: MessageId<'a>,
    /// Login of the process that called Exim to receive the message (the local
    /// user for a local submission, the Exim user for the daemon).
    pub login: Text<'a>,
    /// Its uid.
    pub uid: i64,
    /// Its gid.
    pub gid: i64,
    /// The envelope sender, without the angle brackets; empty for a bounce.
    pub sender: Text<'a>,
    /// When the message was received, in seconds since the epoch.
    pub received_time: i64,
    /// How many delay warnings were sent to the sender.
    pub warning_count: i64,
    /// The `-name value` lines Exim knows, typed.
    pub envelope: Envelope<'a>,
    variables: &'a [u8],
    non_recipients: &'a [u8],
    recipient_count: usize,
    recipients: &'a [u8],
    headers: &'a [u8],
}

impl<'a> HeaderFile<'a> {
    /// Every `-name value` line in file order, known or not (Exim ignores the
    /// ones it does not know, so that a downgrade can read newer files).
    pub fn variables(&self) -> Variables<'a> {
        Variables(self.variables)
    }

    /// The addresses not to deliver to any more (delivered ones, and parents
    /// whose children are all done), in the tree's pre-order.
    pub fn non_recipients(&self) -> NonRecipients<'a> {
        NonRecipients(self.non_recipients)
    }

    /// True when `address` is in the non-recipients tree: `exim -bp` marks such
    /// a recipient `D` (delivered). Exact byte comparison, as Exim's tree search.
    pub fn is_delivered(&self, address: &[u8]) -> bool {
        self.non_recipients().any(|a| a.as_bytes() == address)
    }

    /// The number of recipients.
    pub fn recipient_count(&self) -> usize {
        self.recipient_count
    }

    /// All the message's recipients, delivered ones included.
    pub fn recipients(&self) -> Recipients<'a> {
        Recipients(self.recipients)
    }

    /// The stored headers in order, replaced and deleted ones (flag `*`)
    /// included.
    pub fn headers(&self) -> Headers<'a> {
        Headers(self.headers)
    }

    /// The first live (not deleted) header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<MessageHeader<'a>> {
        self.headers().find(|h| {
            h.kind() != HeaderKind::Deleted && h.name().eq_ignore_ascii_case(name.as_bytes())
        })
    }

    /// The `Subject:` header's value, folds kept (see [`Folded::unfold`]).
    pub fn subject(&self) -> Option<Folded<'a>> {
        self.header("Subject").map(|h| h.value())
    }

    /// PHP's `X-PHP-Originating-Script: uid:script` (`mail.add_x_header`).
    pub fn originating_script(&self) -> Option<OriginatingScript<'a>> {
        self.header("X-PHP-Originating-Script")
            .and_then(|h| OriginatingScript::parse(h.value().as_bytes()))
    }

    /// cPanel's `X-PHP-Script: host/path for client-ip[, proxy-ip...]`.
    pub fn php_script(&self) -> Option<PhpScript<'a>> {
        self.header("X-PHP-Script")
            .and_then(|h| PhpScript::parse(h.value().as_bytes()))
    }

    /// The size `exim -bp` shows for this message, given the length of its `-D`
    /// file: the live headers (not the `*` ones) plus the body, plus one for the
    /// blank line between them (`queue.c queue_list`).
    pub fn listing_size(&self, data_file_len: u64) -> u64 {
        let headers: u64 = self
            .headers()
            .filter(|h| h.kind() != HeaderKind::Deleted)
            .fold(0u64, |n, h| n.saturating_add(h.length as u64));
        // The -D file starts with `ID-D\n`, not part of the message.
        let id_line = self.id.as_str().len() as u64 + 3;
        headers
            .saturating_add(data_file_len)
            .saturating_add(1)
            .saturating_sub(id_line)
    }
}

#[cfg(feature = "serde")]
impl Serialize for HeaderFile<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct All<I>(I);
        impl<I: Iterator + Clone> Serialize for All<I>
        where
            I::Item: Serialize,
        {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(None)?;
                for item in self.0.clone() {
                    seq.serialize_element(&item)?;
                }
                seq.end()
            }
        }
        let mut st = s.serialize_struct("HeaderFile", 12)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("login", &self.login)?;
        st.serialize_field("uid", &self.uid)?;
        st.serialize_field("gid", &self.gid)?;
        st.serialize_field("sender", &self.sender)?;
        st.serialize_field("received_time", &self.received_time)?;
        st.serialize_field("warning_count", &self.warning_count)?;
        st.serialize_field("envelope", &self.envelope)?;
        st.serialize_field("variables", &All(self.variables()))?;
        st.serialize_field("non_recipients", &All(self.non_recipients()))?;
        st.serialize_field("recipients", &All(self.recipients()))?;
        st.serialize_field("headers", &All(self.headers()))?;
        st.end()
    }
}

/// One `-name value` line of a `-H` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SpoolVariable<'a> {
    /// The name after the dash(es): `auth_id`, `host_address`, `aclm`, ...
    pub name: Text<'a>,
    /// The text after the first space, if any (for ACL variables: `NAME LENGTH`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub value: Option<Text<'a>>,
    /// Written with two dashes: the value is tainted (it came from outside).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub tainted: bool,
    /// `--(lookup)name`: the value is quoted for that lookup type.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub quoter: Option<Text<'a>>,
    /// For `-aclc`, `-aclm` and the old `-acl`: the variable's value, read by
    /// length from the following line(s) (it may contain newlines).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub data: Option<Text<'a>>,
}

impl<'a> SpoolVariable<'a> {
    /// For an ACL variable line: its full name as in the configuration
    /// (`acl_c_note` is stored as `-aclc _note`, returned as `c_note`).
    pub fn acl_name(&self) -> Option<Cow<'a, str>> {
        let kind = match self.name.as_bytes() {
            b"aclc" => 'c',
            b"aclm" => 'm',
            _ => return None,
        };
        let v = self.value?.as_bytes();
        let name = v.split(|&c| c == b' ').next()?;
        Some(Cow::Owned(format!(
            "{kind}{}",
            String::from_utf8_lossy(name)
        )))
    }
}

/// The `-name value` lines that Exim writes (`spool_out.c`), typed. A line
/// missing from the file is `None` / `false` here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Envelope<'a> {
    /// `-received_time_usec .NNNNNN`: microseconds of the reception time (4.92+).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub received_time_usec: Option<u32>,
    /// `-received_time_complete SECS.USEC`: when reception finished.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub received_time_complete: Option<Text<'a>>,
    /// `-helo_name`: the HELO/EHLO argument.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub helo_name: Option<Text<'a>>,
    /// `-host_address [IP]:PORT` (4.96+) or `IP.PORT`: the client.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub host_address: Option<Endpoint<'a>>,
    /// `-host_name`: the client's verified reverse-DNS name.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub host_name: Option<Text<'a>>,
    /// `-host_auth`: the authenticator's name (`$sender_host_authenticated`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub host_auth: Option<Text<'a>>,
    /// `-host_auth_pubname`: the authenticator's public name (`PLAIN`, `LOGIN`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub host_auth_pubname: Option<Text<'a>>,
    /// `-interface_address`: the local address and port the message came in on.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub interface_address: Option<Endpoint<'a>>,
    /// `-active_hostname`: `$smtp_active_hostname` when it differed.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub active_hostname: Option<Text<'a>>,
    /// `-ident`: the RFC 1413 ident, or the login of a local submitter.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub ident: Option<Text<'a>>,
    /// `-received_protocol`: `local`, `esmtpsa`, ...
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub received_protocol: Option<Text<'a>>,
    /// `-auth_id`: `$authenticated_id`, the login that authenticated (for a
    /// local submission Exim sets it to the caller's login).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub auth_id: Option<Text<'a>>,
    /// `-auth_sender`: `$authenticated_sender` (`AUTH=` of MAIL).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub auth_sender: Option<Text<'a>>,
    /// `-body_linecount`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub body_linecount: Option<i64>,
    /// `-body_zerocount`: binary zeros in the body.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub body_zerocount: Option<i64>,
    /// `-max_received_linelength`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub max_received_linelength: Option<i64>,
    /// `-frozen TIME`: the message is frozen, since that time.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub frozen: Option<i64>,
    /// `-manual_thaw`: it was frozen and thawed by an administrator.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub manual_thaw: bool,
    /// `-deliver_firsttime`: no delivery attempt yet.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub deliver_firsttime: bool,
    /// `-local`: from a local sender.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub local: bool,
    /// `-localerror`: a bounce generated here.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub localerror: bool,
    /// `-N`: deliveries suppressed (`exim -N`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub dont_deliver: bool,
    /// `-sender_set_untrusted`: an untrusted caller set the sender.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub sender_set_untrusted: bool,
    /// `-allow_unqualified_recipient`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub allow_unqualified_recipient: bool,
    /// `-allow_unqualified_sender`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub allow_unqualified_sender: bool,
    /// `-host_lookup_deferred`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub host_lookup_deferred: bool,
    /// `-host_lookup_failed`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub host_lookup_failed: bool,
    /// `-spool_file_wireformat`: the `-D` file has CRLF line ends.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub spool_file_wireformat: bool,
    /// `-local_scan`: what `local_scan()` returned.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub local_scan: Option<Text<'a>>,
    /// `-spam_bar`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub spam_bar: Option<Text<'a>>,
    /// `-spam_score`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub spam_score: Option<Text<'a>>,
    /// `-spam_score_int`: SpamAssassin's score times ten.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub spam_score_int: Option<Text<'a>>,
    /// `-tls_certificate_verified`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub tls_certificate_verified: bool,
    /// `-tls_cipher`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tls_cipher: Option<Text<'a>>,
    /// `-tls_ver`: `TLS1.3`, ...
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tls_ver: Option<Text<'a>>,
    /// `-tls_peerdn`: the client certificate's DN (escaped by `string_printing`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tls_peerdn: Option<Quoted<'a>>,
    /// `-tls_sni`: the SNI the client sent (escaped by `string_printing`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tls_sni: Option<Quoted<'a>>,
    /// `-tls_ocsp N`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tls_ocsp: Option<i64>,
    /// `-tls_resumption X`: the resumption state letter.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tls_resumption: Option<Text<'a>>,
    /// `-smtputf8`: the message needs SMTPUTF8.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub smtputf8: bool,
    /// `-dsn_envid`: the DSN `ENVID=`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub dsn_envid: Option<Text<'a>>,
    /// `-dsn_ret`: the DSN `RET=` (1 full, 2 headers).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub dsn_ret: Option<i64>,
}

impl<'a> Envelope<'a> {
    /// Records one variable line. Names are matched whole (Exim matches by
    /// prefix, but writes only these names). `Err` only for `-frozen` without a
    /// time, which Exim refuses too.
    fn apply(&mut self, v: &SpoolVariable<'a>) -> Result<(), ()> {
        let value = v.value;
        let text = || value;
        let number = || value.and_then(|t| header_number(t.as_bytes()));
        match v.name.as_bytes() {
            b"received_time_usec" => {
                self.received_time_usec = value.and_then(|t| {
                    let d = t.as_bytes().strip_prefix(b".")?;
                    std::str::from_utf8(d).ok()?.parse().ok()
                });
            }
            b"received_time_complete" => self.received_time_complete = text(),
            b"helo_name" => self.helo_name = text(),
            b"host_address" => self.host_address = value.map(|t| endpoint(t.as_bytes())),
            b"host_name" => self.host_name = text(),
            b"host_auth" => self.host_auth = text(),
            b"host_auth_pubname" => self.host_auth_pubname = text(),
            b"interface_address" => self.interface_address = value.map(|t| endpoint(t.as_bytes())),
            b"active_hostname" => self.active_hostname = text(),
            b"ident" => self.ident = text(),
            b"received_protocol" => self.received_protocol = text(),
            b"auth_id" => self.auth_id = text(),
            b"auth_sender" => self.auth_sender = text(),
            b"body_linecount" => self.body_linecount = number(),
            b"body_zerocount" => self.body_zerocount = number(),
            b"max_received_linelength" => self.max_received_linelength = number(),
            b"frozen" => self.frozen = Some(number().ok_or(())?),
            b"manual_thaw" => self.manual_thaw = true,
            b"deliver_firsttime" => self.deliver_firsttime = true,
            b"local" => self.local = true,
            b"localerror" => self.localerror = true,
            b"N" => self.dont_deliver = true,
            b"sender_set_untrusted" => self.sender_set_untrusted = true,
            b"allow_unqualified_recipient" => self.allow_unqualified_recipient = true,
            b"allow_unqualified_sender" => self.allow_unqualified_sender = true,
            b"host_lookup_deferred" => self.host_lookup_deferred = true,
            b"host_lookup_failed" => self.host_lookup_failed = true,
            b"spool_file_wireformat" => self.spool_file_wireformat = true,
            b"local_scan" => self.local_scan = text(),
            b"spam_bar" => self.spam_bar = text(),
            b"spam_score" => self.spam_score = text(),
            b"spam_score_int" => self.spam_score_int = text(),
            b"tls_certificate_verified" => self.tls_certificate_verified = true,
            b"tls_cipher" => self.tls_cipher = text(),
            b"tls_ver" => self.tls_ver = text(),
            b"tls_peerdn" => {
                self.tls_peerdn = value.map(|t| Quoted::new(t.as_bytes(), Escaping::Printing));
            }
            b"tls_sni" => {
                self.tls_sni = value.map(|t| Quoted::new(t.as_bytes(), Escaping::Printing));
            }
            b"tls_ocsp" => self.tls_ocsp = number(),
            b"tls_resumption" => self.tls_resumption = text(),
            b"smtputf8" => self.smtputf8 = true,
            b"dsn_envid" => self.dsn_envid = text(),
            b"dsn_ret" => self.dsn_ret = number(),
            _ => {}
        }
        Ok(())
    }
}

/// A number value: optional minus, digits; the rest is ignored (C's `atoi`).
fn header_number(b: &[u8]) -> Option<i64> {
    let (neg, rest) = match b.split_first() {
        Some((b'-', r)) => (true, r),
        _ => (false, b),
    };
    let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let v: i64 = std::str::from_utf8(rest.get(..n)?).ok()?.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// `[IP]:PORT` or `IP.PORT`, split as `host_address.c host_address_extract_port`
/// does: after three dots for IPv4, after the first dot for an address with a
/// colon. When the port cannot be read, the whole text is the address (Exim
/// leaves it unchanged with port 0).
fn endpoint(b: &[u8]) -> Endpoint<'_> {
    let whole = Endpoint {
        ip: Text::new(b),
        port: None,
    };
    let port = |p: &[u8]| -> Option<u16> { std::str::from_utf8(p).ok()?.parse().ok() };
    if let Some(inner) = b.strip_prefix(b"[") {
        let Some(close) = inner.iter().position(|&c| c == b']') else {
            return whole;
        };
        let (ip, after) = (
            inner.get(..close).unwrap_or_default(),
            inner.get(close + 1..).unwrap_or_default(),
        );
        return match after {
            [] => Endpoint {
                ip: Text::new(ip),
                port: None,
            },
            [b':', p @ ..] => port(p).map_or(whole, |p| Endpoint {
                ip: Text::new(ip),
                port: Some(p),
            }),
            _ => whole,
        };
    }
    let mut skip: i32 = -3;
    for (i, &c) in b.iter().enumerate() {
        if c == b':' {
            skip = 0;
        } else if c == b'.' {
            if skip >= 0 {
                return match (b.get(..i), b.get(i + 1..).and_then(port)) {
                    (Some(ip), Some(p)) => Endpoint {
                        ip: Text::new(ip),
                        port: Some(p),
                    },
                    _ => whole,
                };
            }
            skip += 1;
        }
    }
    whole
}

/// The `-name value` lines of a `-H` file.
#[derive(Clone, Debug)]
pub struct Variables<'a>(&'a [u8]);

impl<'a> Iterator for Variables<'a> {
    type Item = SpoolVariable<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let (rest, v) = header::variable(self.0).ok()?;
        self.0 = rest;
        Some(v)
    }
}

/// The addresses of the non-recipients tree, in pre-order.
#[derive(Clone, Debug)]
pub struct NonRecipients<'a>(&'a [u8]);

impl<'a> Iterator for NonRecipients<'a> {
    type Item = Text<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let (rest, l) = header::line(self.0).ok()?;
        self.0 = rest;
        l.get(3..).map(Text::new)
    }
}

/// The recipients of a `-H` file.
#[derive(Clone, Debug)]
pub struct Recipients<'a>(&'a [u8]);

impl<'a> Iterator for Recipients<'a> {
    type Item = SpoolRecipient<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let (rest, l) = header::line(self.0).ok()?;
        self.0 = rest;
        recipient::split(l)
    }
}

/// The headers of a `-H` file.
#[derive(Clone, Debug)]
pub struct Headers<'a>(&'a [u8]);

impl<'a> Iterator for Headers<'a> {
    type Item = MessageHeader<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let (rest, (length, flag, text)) = header::header(self.0).ok()?;
        self.0 = rest;
        Some(MessageHeader { length, flag, text })
    }
}

/// What Exim noted about a stored header: the flag character after its length
/// (spec "Format of the -H file").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderKind {
    /// A space: a header Exim has no special interest in.
    Other,
    /// `B`: `Bcc:`.
    Bcc,
    /// `C`: `Cc:`.
    Cc,
    /// `F`: `From:`.
    From,
    /// `I`: `Message-Id:`.
    MessageId,
    /// `P`: `Received:` ("postmark").
    Received,
    /// `R`: `Reply-To:`.
    ReplyTo,
    /// `S`: `Sender:`.
    Sender,
    /// `T`: `To:`.
    To,
    /// `*`: replaced or deleted; kept for debugging, not transmitted.
    Deleted,
    /// Any other flag character.
    Unknown,
}

/// One header stored in a `-H` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageHeader<'a> {
    /// The length Exim wrote before it: the text's bytes, newlines included.
    pub length: usize,
    /// The flag character (see [`HeaderKind`]).
    pub flag: u8,
    /// The whole header as stored: name, colon, value, folded lines and the
    /// final newline.
    pub text: &'a [u8],
}

impl<'a> MessageHeader<'a> {
    /// What the flag character says.
    pub fn kind(&self) -> HeaderKind {
        match self.flag {
            b' ' => HeaderKind::Other,
            b'B' => HeaderKind::Bcc,
            b'C' => HeaderKind::Cc,
            b'F' => HeaderKind::From,
            b'I' => HeaderKind::MessageId,
            b'P' => HeaderKind::Received,
            b'R' => HeaderKind::ReplyTo,
            b'S' => HeaderKind::Sender,
            b'T' => HeaderKind::To,
            b'*' => HeaderKind::Deleted,
            _ => HeaderKind::Unknown,
        }
    }

    /// The header name (before the colon, blanks trimmed).
    pub fn name(&self) -> &'a [u8] {
        let end = memchr::memchr(b':', self.text).unwrap_or(self.text.len());
        self.text.get(..end).unwrap_or_default().trim_ascii_end()
    }

    /// The value after the colon, leading blanks and the final newline removed;
    /// folded lines are kept ([`Folded::unfold`] removes them).
    pub fn value(&self) -> Folded<'a> {
        let start = memchr::memchr(b':', self.text).map_or(self.text.len(), |c| c + 1);
        let v = self.text.get(start..).unwrap_or_default();
        let v = v.strip_suffix(b"\n").unwrap_or(v);
        let v = v.strip_suffix(b"\r").unwrap_or(v);
        let lead = v.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
        Folded::new(v.get(lead..).unwrap_or_default())
    }
}

#[cfg(feature = "serde")]
impl Serialize for MessageHeader<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("MessageHeader", 4)?;
        st.serialize_field("flag", &char::from(self.flag).to_string())?;
        st.serialize_field("length", &self.length)?;
        st.serialize_field("name", &Text::new(self.name()))?;
        st.serialize_field("text", &Text::new(self.text))?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let table: &[(&str, &str, Option<u16>)] = &[
            ("[203.0.113.45]:50123", "203.0.113.45", Some(50123)),
            ("[2001:db8::7]:41000", "2001:db8::7", Some(41000)),
            ("203.0.113.45.50123", "203.0.113.45", Some(50123)),
            ("2001:db8::7.41000", "2001:db8::7", Some(41000)),
            ("[192.0.2.1]", "192.0.2.1", None),
            ("192.0.2.1", "192.0.2.1", None),
            ("[192.0.2.1:25", "[192.0.2.1:25", None),
            ("[192.0.2.1]:x", "[192.0.2.1]:x", None),
        ];
        for (input, ip, port) in table {
            let e = endpoint(input.as_bytes());
            assert_eq!(
                (e.ip.to_string_lossy().as_ref(), e.port),
                (*ip, *port),
                "{input}"
            );
        }
    }

    #[test]
    fn header_names_and_values() {
        let h = MessageHeader {
            length: 0,
            flag: b' ',
            text: b"X-Long: a header folded\n over three\n\tlines\n",
        };
        assert_eq!(h.name(), b"X-Long");
        assert_eq!(
            h.value().as_bytes(),
            b"a header folded\n over three\n\tlines"
        );
        assert_eq!(
            h.value().unfold().as_ref(),
            b"a header folded over three\tlines"
        );
    }
}
