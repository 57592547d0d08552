//! `Received:` headers: Exim's own layout in every version, and what other MTAs
//! write (format reference §11).
//!
//! The outbound-spam hunt starts from a spam's headers: the `Received:` header
//! that Exim added holds the message id to look up in the mainlog.
//!
//! ```
//! use exim_log::{Mta, Received};
//!
//! let h = Received::parse(
//!     b"Received: from mail.example.com ([192.0.2.7]:38432 helo=client.example)\n\
//!       \tby mx.example.net with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\
//!       \t(Exim 4.97.1)\n\
//!       \t(envelope-from <alice@example.com>)\n\
//!       \tid 1sAoM5-00000009r3p-06vq;\n\
//!       \tSat, 25 May 2024 11:10:28 +0100\n",
//! );
//! assert_eq!(h.mta, Mta::Exim);
//! assert_eq!(h.message_id.unwrap().as_str(), "1sAoM5-00000009r3p-06vq");
//! let from = h.from.unwrap();
//! assert_eq!((from.ip.unwrap(), from.port), ("192.0.2.7".into(), Some(38432)));
//! assert_eq!(h.protocol.unwrap(), "esmtps");
//! assert_eq!(h.tls.unwrap().cipher.unwrap(), "TLS_AES_256_GCM_SHA384");
//! assert_eq!(h.date.unwrap().to_string(), "2024-05-25T11:10:28+01:00");
//! ```

mod clauses;
mod date;
mod exim;
mod headers;
mod other;
mod unfold;

use serde::Serialize;

pub use headers::{ReceivedHeaders, exim_message_ids, received_headers};
pub use unfold::Folded;

use crate::host::Host;
use crate::message_id::MessageId;
use crate::text::Text;
use crate::timestamp::Timestamp;

/// Which software wrote a `Received:` header, as far as its layout tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mta {
    /// Exim: a `(Exim VERSION)` comment (§11.1).
    Exim,
    /// Postfix: `by HOST (Postfix)`.
    Postfix,
    /// Sendmail: `by HOST (8.17.1/8.17.1)`.
    Sendmail,
    /// Microsoft Exchange / Office 365: `with Microsoft SMTP Server` or `with mapi`.
    Microsoft,
    /// Gmail: `by mx.google.com` or `by` a bare IPv6 address.
    Gmail,
    /// qmail: `(qmail N invoked by ...)` or `(HELO name)`.
    Qmail,
    /// Anything else; the RFC 5321 clauses are still read.
    #[default]
    Unknown,
}

/// TLS details of the hop, in whichever form the MTA wrote them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub struct ReceivedTls<'a> {
    /// Protocol version: `TLS1.3`, `TLSv1.2`, `TLS1_2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Text<'a>>,
    /// Cipher suite name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher: Option<Text<'a>>,
    /// Key size in bits, when written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bits: Option<u16>,
    /// The TLS text as written: `TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256` (Exim
    /// up to 4.92), `(TLS1.3) tls TLS_AES_256_GCM_SHA384` (Exim 4.93+), or the
    /// other MTA's comment.
    pub text: Folded<'a>,
}

/// One parsed `Received:` header. Every field borrows from the input.
///
/// Parsing never fails: what could be read is filled in, and the whole header
/// stays in [`Received::raw`].
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize)]
pub struct Received<'a> {
    /// Who wrote the header, as far as its layout tells.
    pub mta: Mta,
    /// The `from` clause. For Exim: `name` is the verified reverse-DNS name,
    /// `helo` the HELO when it differs, `ip`/`port` the client, `ident` the RFC 1413
    /// ident; for a local submission (no IP) `ident` is the caller's login. For
    /// RFC 5321 layouts (Postfix, Sendmail, Gmail...) the word after `from` is the
    /// HELO and `name` the reverse-DNS name from the comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Host<'a>>,
    /// The `by` host: the receiving server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Text<'a>>,
    /// The `via` clause (`Frontend Transport`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<Folded<'a>>,
    /// The `with` protocol: `esmtpsa`, `local`, `ESMTPS`, `Microsoft SMTP Server`...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Folded<'a>>,
    /// TLS version and cipher, when written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<ReceivedTls<'a>>,
    /// Exim's `$version_number` from `(Exim 4.96)`; distribution suffixes stay:
    /// `4.94.2 (FreeBSD)`. See [`Received::exim_release`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exim_version: Option<Folded<'a>>,
    /// `(envelope-from <addr>)`, without the angle brackets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope_from: Option<Text<'a>>,
    /// The `id` clause as written: an Exim message id or another MTA's queue id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Text<'a>>,
    /// The `id` as an Exim message id (16 or 23 characters, §0), when it is one
    /// and the header is Exim's (or of unknown layout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId<'a>>,
    /// The `for` recipient, without angle brackets (present only when the
    /// message had exactly one recipient).
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Text<'a>>,
    /// The date after the last `;`, when it parses (ISO 8601 in JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Timestamp>,
    /// The text after the last `;` as written (unfolded in JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_text: Option<Folded<'a>>,
    /// The whole header as given, without a final line end.
    pub raw: Text<'a>,
}

impl<'a> Received<'a> {
    /// Parses one header, with or without its `Received:` name, folded or not.
    /// Never fails.
    pub fn parse(input: &'a [u8]) -> Self {
        let raw = trim_end(input);
        let body = strip_name(raw);
        let c = clauses::split(body);
        let mut r = Received {
            raw: Text::new(raw),
            by: c
                .by
                .map(|b| b.value)
                .filter(|v| !v.is_empty())
                .map(Text::new),
            id: c
                .id
                .map(|b| b.value)
                .filter(|v| !v.is_empty())
                .map(Text::new),
            via: c
                .via
                .map(|b| b.phrase)
                .filter(|v| !v.is_empty())
                .map(Folded::new),
            recipient: c
                .for_
                .map(|b| strip_angle(b.value))
                .filter(|v| !v.is_empty())
                .map(Text::new),
            envelope_from: c.envelope_from.map(|e| Text::new(strip_angle(trim(e)))),
            exim_version: c.exim.map(|v| Folded::new(trim(v))),
            ..Received::default()
        };
        if let Some(d) = c.date {
            r.date_text = Some(Folded::new(trim(d)));
            r.date = date::parse(d);
        }
        if c.exim.is_some() {
            r.mta = Mta::Exim;
            exim::interpret(&c, &mut r);
        } else {
            other::interpret(&c, &mut r);
        }
        if matches!(r.mta, Mta::Exim | Mta::Unknown) {
            r.message_id = r.id.and_then(|i| MessageId::parse(i.as_bytes()));
        }
        r
    }

    /// True when Exim wrote this header (it has an `(Exim VERSION)` comment).
    pub fn is_exim(&self) -> bool {
        self.mta == Mta::Exim
    }

    /// The release part of [`Received::exim_version`]: `4.94.2` of `4.94.2 (FreeBSD)`.
    pub fn exim_release(&self) -> Option<Text<'a>> {
        let v = self.exim_version?.as_bytes();
        let end = v
            .iter()
            .position(|b| clauses::is_ws(*b) || *b == b'(')
            .unwrap_or(v.len());
        v.get(..end).map(Text::new)
    }
}

/// Parses one `Received:` header; same as [`Received::parse`].
pub fn parse_received(input: &[u8]) -> Received<'_> {
    Received::parse(input)
}

fn trim_end(b: &[u8]) -> &[u8] {
    let end = b.len() - b.iter().rev().take_while(|c| clauses::is_ws(**c)).count();
    b.get(..end).unwrap_or_default()
}

pub(crate) fn trim(b: &[u8]) -> &[u8] {
    let b = trim_end(b);
    let start = b.iter().take_while(|c| clauses::is_ws(**c)).count();
    b.get(start..).unwrap_or_default()
}

/// Drops a leading `Received:` field name (any case) and the space after it.
fn strip_name(b: &[u8]) -> &[u8] {
    let b = trim(b);
    match b.get(..9) {
        Some(n) if n.eq_ignore_ascii_case(b"received:") => b.get(9..).unwrap_or_default(),
        _ => b,
    }
}

/// `<addr>` -> `addr`.
pub(crate) fn strip_angle(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"<")
        .and_then(|b| b.strip_suffix(b">"))
        .unwrap_or(b)
}
