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

pub use headers::{
    HeaderBlocks, ReceivedHeaders, exim_message_ids, header_blocks, received_headers,
};
pub use unfold::Folded;

use crate::host::Host;
use crate::message_id::MessageId;
use crate::text::Text;
use crate::timestamp::Timestamp;

/// Which software wrote a `Received:` header, as far as its layout tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ReceivedTls<'a> {
    /// Protocol version: `TLS1.3`, `TLSv1.2`, `TLS1_2`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub version: Option<Text<'a>>,
    /// Cipher suite name.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub cipher: Option<Text<'a>>,
    /// Key size in bits, when written.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
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
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Received<'a> {
    /// Who wrote the header, as far as its layout tells.
    pub mta: Mta,
    /// The `from` clause. For Exim: `name` is the verified reverse-DNS name,
    /// `helo` the HELO when it differs, `ip`/`port` the client, `ident` the RFC 1413
    /// ident; for a local submission (no IP) `ident` is the caller's login. For
    /// RFC 5321 layouts (Postfix, Sendmail, Gmail...) the word after `from` is the
    /// HELO and `name` the reverse-DNS name from the comment.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub from: Option<Host<'a>>,
    /// The `by` host: the receiving server.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub by: Option<Text<'a>>,
    /// The `via` clause (`Frontend Transport`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub via: Option<Folded<'a>>,
    /// The `with` protocol: `esmtpsa`, `local`, `ESMTPS`, `Microsoft SMTP Server`...
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub protocol: Option<Folded<'a>>,
    /// TLS version and cipher, when written.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tls: Option<ReceivedTls<'a>>,
    /// Exim's `$version_number` from `(Exim 4.96)`; distribution suffixes stay:
    /// `4.94.2 (FreeBSD)`. See [`Received::exim_release`].
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub exim_version: Option<Folded<'a>>,
    /// `(envelope-from <addr>)`, without the angle brackets.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub envelope_from: Option<Text<'a>>,
    /// The `id` clause as written: an Exim message id or another MTA's queue id.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub id: Option<Text<'a>>,
    /// The `id` as an Exim message id (16 or 23 characters, §0), when it is one
    /// and the header is Exim's (or of unknown layout).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub message_id: Option<MessageId<'a>>,
    /// The `for` recipient, without angle brackets (present only when the
    /// message had exactly one recipient).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "for", skip_serializing_if = "Option::is_none")
    )]
    pub recipient: Option<Text<'a>>,
    /// The date after the last `;`, when it parses (ISO 8601 in JSON).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub date: Option<Timestamp>,
    /// The text after the last `;` as written (unfolded in JSON).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
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
            let (date, text) = date::parse(d);
            r.date = date;
            r.date_text = Some(Folded::new(text)).filter(|t| !t.as_bytes().is_empty());
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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "serde")]
    use serde_json::{Value, json};

    #[cfg(feature = "serde")]
    /// The JSON of a parsed header, without `raw` (checked separately).
    fn js(input: &str) -> Value {
        let r = Received::parse(input.as_bytes());
        let mut v = serde_json::to_value(r).unwrap();
        let raw = v.as_object_mut().unwrap().remove("raw").unwrap();
        assert_eq!(raw, json!(input.trim_end()), "raw of {input}");
        v
    }

    #[cfg(feature = "serde")]
    /// Exim's layouts (format reference §11.1), one case per form.
    #[test]
    fn exim_forms() {
        let cases: &[(&str, Value)] = &[
            // 4.97+: rcvhost with port, `(TLS1.3) tls CIPHER` with the double
            // space, new-format id, date on its own line.
            (
                "Received: from relay.example.com ([2001:db8:5::7]:38432)\n\
                 \tby mx1.example.net with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\
                 \t(Exim 4.97.1)\n\
                 \t(envelope-from <news@example.com>)\n\
                 \tid 1sAoM5-00000009r3p-06vq;\n\
                 \tSat, 25 May 2024 11:10:28 +0100\n",
                json!({"mta": "exim",
                    "from": {"name": "relay.example.com", "ip": "2001:db8:5::7", "port": 38432},
                    "by": "mx1.example.net", "protocol": "esmtps",
                    "tls": {"version": "TLS1.3", "cipher": "TLS_AES_256_GCM_SHA384",
                            "text": "(TLS1.3) tls TLS_AES_256_GCM_SHA384"},
                    "exim_version": "4.97.1", "envelope_from": "news@example.com",
                    "id": "1sAoM5-00000009r3p-06vq", "message_id": "1sAoM5-00000009r3p-06vq",
                    "date": "2024-05-25T11:10:28+01:00",
                    "date_text": "Sat, 25 May 2024 11:10:28 +0100"}),
            ),
            // Unverified `[ip] (helo=x)`, nested version comment, old id, date on
            // the id line (up to 4.94).
            (
                "Received: from [10.0.2.46] (helo=smtp-out.example.ch)\n\
                 \tby mx2.example.ch with esmtps  (TLS1.2) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n\
                 \t(Exim 4.94.2 (FreeBSD))\n\
                 \t(envelope-from <dev@example.ch>)\n\
                 \tid 1neFfG-000Bu6-U9; Tue, 12 Apr 2022 14:30:34 +0200",
                json!({"mta": "exim",
                    "from": {"helo": "smtp-out.example.ch", "ip": "10.0.2.46"},
                    "by": "mx2.example.ch", "protocol": "esmtps",
                    "tls": {"version": "TLS1.2", "cipher": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                            "text": "(TLS1.2) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
                    "exim_version": "4.94.2 (FreeBSD)", "envelope_from": "dev@example.ch",
                    "id": "1neFfG-000Bu6-U9", "message_id": "1neFfG-000Bu6-U9",
                    "date": "2022-04-12T14:30:34+02:00",
                    "date_text": "Tue, 12 Apr 2022 14:30:34 +0200"}),
            ),
            // Up to 4.92: `(TLSv1:CIPHER:BITS)`, verified name with a different HELO.
            (
                "Received: from mail.example.org ([198.51.100.4] helo=example.org)\n\
                 \tby mx.example.net with esmtpsa (TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256)\n\
                 \t(Exim 4.92)\n\
                 \t(envelope-from <bob@example.org>)\n\
                 \tid 1hXbQ2-0004Hk-Qs\n\
                 \tfor carol@example.net; Mon, 03 Jun 2019 09:15:02 +0000",
                json!({"mta": "exim",
                    "from": {"name": "mail.example.org", "helo": "example.org", "ip": "198.51.100.4"},
                    "by": "mx.example.net", "protocol": "esmtpsa",
                    "tls": {"version": "TLSv1.2", "cipher": "ECDHE-RSA-AES256-GCM-SHA384",
                            "bits": 256, "text": "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256"},
                    "exim_version": "4.92", "envelope_from": "bob@example.org",
                    "id": "1hXbQ2-0004Hk-Qs", "message_id": "1hXbQ2-0004Hk-Qs",
                    "for": "carol@example.net",
                    "date": "2019-06-03T09:15:02+00:00",
                    "date_text": "Mon, 03 Jun 2019 09:15:02 +0000"}),
            ),
            // TLSv1 with the old OpenSSL cipher name (4.8x).
            (
                "Received: from [203.0.113.9] (port=4321 helo=pc17)\n\
                 \tby smtp.example.com with esmtpsa (TLSv1:AES256-SHA:256)\n\
                 \t(Exim 4.80)\n\
                 \t(envelope-from <x@example.com>)\n\
                 \tid 1Tz4Wn-0002Zq-Ab; Wed, 23 Jan 2013 08:01:02 +0100",
                json!({"mta": "exim",
                    "from": {"helo": "pc17", "ip": "203.0.113.9", "port": 4321},
                    "by": "smtp.example.com", "protocol": "esmtpsa",
                    "tls": {"version": "TLSv1", "cipher": "AES256-SHA", "bits": 256,
                            "text": "TLSv1:AES256-SHA:256"},
                    "exim_version": "4.80", "envelope_from": "x@example.com",
                    "id": "1Tz4Wn-0002Zq-Ab", "message_id": "1Tz4Wn-0002Zq-Ab",
                    "date": "2013-01-23T08:01:02+01:00",
                    "date_text": "Wed, 23 Jan 2013 08:01:02 +0100"}),
            ),
            // Local submission: `from LOGIN by HOST with local`, one recipient.
            (
                "Received: from www-data by web1.example.com with local (Exim 4.96)\n\
                 \t(envelope-from <www-data@web1.example.com>)\n\
                 \tid 1qRstu-000Abc-9Z\n\
                 \tfor victim@example.org;\n\
                 \tThu, 10 Aug 2023 03:04:05 +0200",
                json!({"mta": "exim",
                    "from": {"ident": "www-data"},
                    "by": "web1.example.com", "protocol": "local",
                    "exim_version": "4.96", "envelope_from": "www-data@web1.example.com",
                    "id": "1qRstu-000Abc-9Z", "message_id": "1qRstu-000Abc-9Z",
                    "for": "victim@example.org",
                    "date": "2023-08-10T03:04:05+02:00",
                    "date_text": "Thu, 10 Aug 2023 03:04:05 +0200"}),
            ),
            // Local `-bs`: `(helo=..)` after the login; a bounce has no envelope-from.
            (
                "Received: from alice (helo=laptop.example)\n\
                 \tby host.example.com with local-esmtp (Exim 4.98)\n\
                 \tid 1tAbCd-00000001xYz-0aBc;\n\
                 \tMon, 06 Jan 2025 10:00:00 +0000",
                json!({"mta": "exim",
                    "from": {"helo": "laptop.example", "ident": "alice"},
                    "by": "host.example.com", "protocol": "local-esmtp",
                    "exim_version": "4.98",
                    "id": "1tAbCd-00000001xYz-0aBc", "message_id": "1tAbCd-00000001xYz-0aBc",
                    "date": "2025-01-06T10:00:00+00:00",
                    "date_text": "Mon, 06 Jan 2025 10:00:00 +0000"}),
            ),
            // Local `-bs` without an ident: only `(helo=..)` after `from`.
            (
                "Received: from (helo=batch.example)\n\tby host.example.com with local-smtp (Exim 4.98)\n\tid 1tAbCd-00000001xYz-0aBc;\n\tMon, 06 Jan 2025 10:00:00 +0000",
                json!({"mta": "exim", "from": {"helo": "batch.example"},
                    "by": "host.example.com", "protocol": "local-smtp", "exim_version": "4.98",
                    "id": "1tAbCd-00000001xYz-0aBc", "message_id": "1tAbCd-00000001xYz-0aBc",
                    "date": "2025-01-06T10:00:00+00:00",
                    "date_text": "Mon, 06 Jan 2025 10:00:00 +0000"}),
            ),
            // No ident, no HELO: no `from` clause at all.
            (
                "Received: by host.example.com with local (Exim 4.98)\n\tid 1tAbCd-00000001xYz-0aBc\n\tfor <root@host.example.com>; Mon, 06 Jan 2025 10:00:00 +0000",
                json!({"mta": "exim", "by": "host.example.com", "protocol": "local",
                    "exim_version": "4.98",
                    "id": "1tAbCd-00000001xYz-0aBc", "message_id": "1tAbCd-00000001xYz-0aBc",
                    "for": "root@host.example.com",
                    "date": "2025-01-06T10:00:00+00:00",
                    "date_text": "Mon, 06 Jan 2025 10:00:00 +0000"}),
            ),
            // Verified + ident + different HELO: the comment goes to the next line.
            // SMTPUTF8 protocol name; the header name is absent; CRLF with spaces.
            (
                "from gw.example.net\r\n    ([192.0.2.55] helo=gateway ident=postmaster)\r\n    by mx.example.com with utf8esmtpsa (Exim 4.99)\r\n    id 1uZZZZ-00000000Qq1-7Hh2\r\n    for <u@example.com>;\r\n    Fri, 04 Jul 2025 23:59:60 -0300\r\n",
                json!({"mta": "exim",
                    "from": {"name": "gw.example.net", "helo": "gateway", "ip": "192.0.2.55",
                             "ident": "postmaster"},
                    "by": "mx.example.com", "protocol": "utf8esmtpsa",
                    "exim_version": "4.99",
                    "id": "1uZZZZ-00000000Qq1-7Hh2", "message_id": "1uZZZZ-00000000Qq1-7Hh2",
                    "for": "u@example.com",
                    "date": "2025-07-04T23:59:60-03:00",
                    "date_text": "Fri, 04 Jul 2025 23:59:60 -0300"}),
            ),
            // A custom `-oMr` protocol; `name ([ip])` when the HELO matched.
            (
                "Received: from mx.example.org ([192.0.2.1])\n\
                 \tby filter.example.org with spam-scanned (Exim 4.95)\n\
                 \tid 1mAAAA-0000Bb-Cc;\n\
                 \tSun, 31 Oct 2021 01:02:03 +0000",
                json!({"mta": "exim",
                    "from": {"name": "mx.example.org", "ip": "192.0.2.1"},
                    "by": "filter.example.org", "protocol": "spam-scanned",
                    "exim_version": "4.95",
                    "id": "1mAAAA-0000Bb-Cc", "message_id": "1mAAAA-0000Bb-Cc",
                    "date": "2021-10-31T01:02:03+00:00",
                    "date_text": "Sun, 31 Oct 2021 01:02:03 +0000"}),
            ),
            // 4.99 TLS-on-connect name with `+tls_on_connect`; unverified with ident only.
            (
                "Received: from [198.51.100.20] (ident=nobody)\n\
                 \tby smtp.example.com with essmtpa  (TLS1.3) tls TLS_AES_128_GCM_SHA256\n\
                 \t(Exim 4.99.1)\n\
                 \t(envelope-from <>)\n\
                 \tid 1vQa1b-00000003Xy2-0Zz9;\n\
                 \tTue, 02 Dec 2025 12:00:00 +0000",
                json!({"mta": "exim",
                    "from": {"ip": "198.51.100.20", "ident": "nobody"},
                    "by": "smtp.example.com", "protocol": "essmtpa",
                    "tls": {"version": "TLS1.3", "cipher": "TLS_AES_128_GCM_SHA256",
                            "text": "(TLS1.3) tls TLS_AES_128_GCM_SHA256"},
                    "exim_version": "4.99.1", "envelope_from": "",
                    "id": "1vQa1b-00000003Xy2-0Zz9", "message_id": "1vQa1b-00000003Xy2-0Zz9",
                    "date": "2025-12-02T12:00:00+00:00",
                    "date_text": "Tue, 02 Dec 2025 12:00:00 +0000"}),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(js(input), *want, "{input}");
            let r = Received::parse(input.as_bytes());
            assert!(r.is_exim(), "{input}");
        }
    }

    #[cfg(feature = "serde")]
    /// Other MTAs (format reference §11.2), written from the documented shapes.
    #[test]
    fn other_mtas() {
        let cases: &[(&str, Value)] = &[
            // Postfix: HELO, (rDNS [IP]), TLS and auth comments, one recipient.
            (
                "Received: from client.example.org (unknown [IPv6:2001:db8::25])\n\
                 \t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\
                 \t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n\
                 \t(No client certificate requested)\n\
                 \t(Authenticated sender: bob)\n\
                 \tby smtp.example.net (Postfix) with ESMTPSA id 4XyZ1k0QqVz9sWk\n\
                 \tfor <alice@example.net>; Mon,  6 Jan 2025 09:01:02 +0100 (CET)",
                json!({"mta": "postfix",
                    "from": {"name": "unknown", "helo": "client.example.org", "ip": "2001:db8::25"},
                    "by": "smtp.example.net", "protocol": "ESMTPSA",
                    "tls": {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "bits": 256,
                            "text": "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256"},
                    "id": "4XyZ1k0QqVz9sWk", "for": "alice@example.net",
                    "date": "2025-01-06T09:01:02+01:00",
                    "date_text": "Mon,  6 Jan 2025 09:01:02 +0100 (CET)"}),
            ),
            // Postfix local pickup.
            (
                "Received: by host.example.net (Postfix, from userid 1000)\n\
                 \tid 7E1A23F8B2; Tue,  7 Jan 2025 10:11:12 +0000 (UTC)",
                json!({"mta": "postfix", "by": "host.example.net", "id": "7E1A23F8B2",
                    "date": "2025-01-07T10:11:12+00:00",
                    "date_text": "Tue,  7 Jan 2025 10:11:12 +0000 (UTC)"}),
            ),
            // Sendmail: (may be forged), TLS comment after the id.
            (
                "Received: from fake.example.com (dsl-9.example.net [203.0.113.99]) (may be forged)\n\
                 \tby mail.example.edu (8.17.1/8.17.1) with ESMTP id 50A1B2c3012345\n\
                 \t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT)\n\
                 \tfor <prof@example.edu>; Fri, 10 Jan 2025 14:15:16 -0500",
                json!({"mta": "sendmail",
                    "from": {"name": "dsl-9.example.net", "helo": "fake.example.com", "ip": "203.0.113.99"},
                    "by": "mail.example.edu", "protocol": "ESMTP",
                    "tls": {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "bits": 256,
                            "text": "version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT"},
                    "id": "50A1B2c3012345", "for": "prof@example.edu",
                    "date": "2025-01-10T14:15:16-05:00",
                    "date_text": "Fri, 10 Jan 2025 14:15:16 -0500"}),
            ),
            // Microsoft: IPs in parentheses, multi-word protocol, via, date folded.
            (
                "Received: from AM9P191CA0012.EURP191.PROD.OUTLOOK.COM (2603:10a6:20b:21e::17)\r\n by DB8PR04MB6890.eurprd04.prod.outlook.com (2603:10a6:10:fa::21) with\r\n Microsoft SMTP Server (version=TLS1_2,\r\n cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8632.29 via Frontend\r\n Transport; Mon, 14 Apr 2025\r\n 12:06:04 +0000",
                json!({"mta": "microsoft",
                    "from": {"helo": "AM9P191CA0012.EURP191.PROD.OUTLOOK.COM", "ip": "2603:10a6:20b:21e::17"},
                    "by": "DB8PR04MB6890.eurprd04.prod.outlook.com",
                    "protocol": "Microsoft SMTP Server",
                    "tls": {"version": "TLS1_2", "cipher": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                            "text": "version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
                    "id": "15.20.8632.29", "via": "Frontend Transport",
                    "date": "2025-04-14T12:06:04+00:00",
                    "date_text": "Mon, 14 Apr 2025 12:06:04 +0000"}),
            ),
            // Microsoft internal hop: `with mapi`, bracketed link-local addresses.
            (
                "Received: from PAXPR04MB8123.eurprd04.prod.outlook.com\r\n ([fe80::4d2a:9e1b:3c55:7f01]) by PAXPR04MB8123.eurprd04.prod.outlook.com\r\n ([fe80::4d2a:9e1b:3c55:7f01%6]) with mapi id 15.20.8632.025; Mon, 14 Apr 2025\r\n 12:06:03 +0000",
                json!({"mta": "microsoft",
                    "from": {"helo": "PAXPR04MB8123.eurprd04.prod.outlook.com", "ip": "fe80::4d2a:9e1b:3c55:7f01"},
                    "by": "PAXPR04MB8123.eurprd04.prod.outlook.com", "protocol": "mapi",
                    "id": "15.20.8632.025",
                    "date": "2025-04-14T12:06:03+00:00",
                    "date_text": "Mon, 14 Apr 2025 12:06:03 +0000"}),
            ),
            // Gmail inbound.
            (
                "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\n\
                 \tby mx.google.com with SMTPS id a640c23a62f3a-aa1234567sor1234567.22.2024.07.03.08.15.00\n\
                 \tfor <someone@gmail.com>\n\
                 \t(Google Transport Security);\n\
                 \tWed, 03 Jul 2024 08:15:00 -0700 (PDT)",
                json!({"mta": "gmail",
                    "from": {"name": "mail-sor-f41.google.com.", "helo": "mail-sor-f41.google.com", "ip": "209.85.220.41"},
                    "by": "mx.google.com", "protocol": "SMTPS",
                    "id": "a640c23a62f3a-aa1234567sor1234567.22.2024.07.03.08.15.00",
                    "for": "someone@gmail.com",
                    "date": "2024-07-03T08:15:00-07:00",
                    "date_text": "Wed, 03 Jul 2024 08:15:00 -0700 (PDT)"}),
            ),
            // Gmail internal: the `by` host is a bare IPv6 address.
            (
                "Received: by 2002:a05:6102:22c6:0:0:0:0 with SMTP id a6csp126141vsh;\r\n        Wed, 3 Jul 2024 08:15:01 -0700 (PDT)",
                json!({"mta": "gmail", "by": "2002:a05:6102:22c6:0:0:0:0", "protocol": "SMTP",
                    "id": "a6csp126141vsh",
                    "date": "2024-07-03T08:15:01-07:00",
                    "date_text": "Wed, 3 Jul 2024 08:15:01 -0700 (PDT)"}),
            ),
            // qmail: local injection, no weekday.
            (
                "Received: (qmail 12345 invoked by uid 89); 6 Jan 2025 12:34:56 -0000",
                json!({"mta": "qmail",
                    "date": "2025-01-06T12:34:56+00:00",
                    "date_text": "6 Jan 2025 12:34:56 -0000"}),
            ),
            // qmail: rDNS first, then (HELO name), then the bare IP.
            (
                "Received: from unknown (HELO mailer.example.biz) (198.51.100.77)\n  by mx.example.com with SMTP; 6 Jan 2025 12:34:55 -0000",
                json!({"mta": "qmail",
                    "from": {"name": "unknown", "helo": "mailer.example.biz", "ip": "198.51.100.77"},
                    "by": "mx.example.com", "protocol": "SMTP",
                    "date": "2025-01-06T12:34:55+00:00",
                    "date_text": "6 Jan 2025 12:34:55 -0000"}),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(js(input), *want, "{input}");
            let r = Received::parse(input.as_bytes());
            assert!(!r.is_exim() && r.message_id.is_none(), "{input}");
        }
    }

    /// Every protocol name of format reference §6 comes back as written.
    #[test]
    fn exim_protocol_names() {
        let names = [
            "smtp",
            "esmtp",
            "esmtps",
            "esmtpa",
            "esmtpsa",
            "smtps",
            "ssmtp",
            "essmtp",
            "essmtpa",
            "local-smtp",
            "local-smtps",
            "local-esmtp",
            "local-esmtps",
            "local-esmtpa",
            "local-esmtpsa",
            "local-ssmtp",
            "local-essmtp",
            "local-essmtpa",
            "local-bsmtp",
            "local",
            "local-rmail",
            "utf8esmtp",
            "utf8esmtps",
            "utf8esmtpa",
            "utf8esmtpsa",
            "utf8local-esmtp",
            "spam-scanned",
            "scanned-ok",
        ];
        for p in names {
            let h = format!(
                "Received: from [192.0.2.3] (helo=c)\n\tby mx.example.com with {p} (Exim 4.99)\n\tid 1vQa1b-00000003Xy2-0Zz9;\n\tTue, 02 Dec 2025 12:00:00 +0000"
            );
            let r = Received::parse(h.as_bytes());
            assert_eq!(r.protocol.unwrap(), p);
            assert!(r.tls.is_none(), "{p}");
            assert_eq!(r.message_id.unwrap().as_str(), "1vQa1b-00000003Xy2-0Zz9");
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn unknown_layouts_keep_what_is_there() {
        let cases: &[(&str, Value)] = &[
            ("", json!({"mta": "unknown"})),
            ("Received:", json!({"mta": "unknown"})),
            ("Received: the first hop", json!({"mta": "unknown"})),
            (
                "Received: from [192.0.2.1]",
                json!({"mta": "unknown", "from": {"ip": "192.0.2.1"}}),
            ),
            // A custom Exim template without the version comment: the id still counts.
            (
                "Received: by mx.example.com id 1sAoM5-00000009r3p-06vq",
                json!({"mta": "unknown", "by": "mx.example.com",
                    "id": "1sAoM5-00000009r3p-06vq", "message_id": "1sAoM5-00000009r3p-06vq"}),
            ),
            // A hostile HELO with an unclosed parenthesis does not swallow the rest.
            (
                "Received: from [192.0.2.9] (helo=x(y)\n\tby mx.example.com with esmtp (Exim 4.98)\n\tid 1tAbCd-00000001xYz-0aBc; Mon, 06 Jan 2025 10:00:00 +0000",
                json!({"mta": "exim", "from": {"ip": "192.0.2.9", "helo": "x(y"},
                    "by": "mx.example.com", "protocol": "esmtp", "exim_version": "4.98",
                    "id": "1tAbCd-00000001xYz-0aBc", "message_id": "1tAbCd-00000001xYz-0aBc",
                    "date": "2025-01-06T10:00:00+00:00",
                    "date_text": "Mon, 06 Jan 2025 10:00:00 +0000"}),
            ),
            // A client-chosen `(Exim ...)` in the `from` clause does not make the
            // header Exim's.
            (
                "Received: from (Exim 4.99) (unknown [192.0.2.8]) by mx.example.com (Postfix) with ESMTP id 4Xy1Z2",
                json!({"mta": "postfix", "from": {"name": "unknown", "ip": "192.0.2.8"},
                    "by": "mx.example.com", "protocol": "ESMTP", "id": "4Xy1Z2"}),
            ),
            // An id that is not an Exim id stays text only.
            (
                "Received: from a by b with local (Exim 4.96) id notanid; garbage",
                json!({"mta": "exim", "from": {"ident": "a"}, "by": "b", "protocol": "local",
                    "exim_version": "4.96", "id": "notanid", "date_text": "garbage"}),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(js(input), *want, "{input}");
        }
    }

    /// RFC 5322 §2.2: a field name is followed by `:` and then the body, with no
    /// space required; the name is matched in any case. `parse_received` is the
    /// same reading as `Received::parse`.
    #[test]
    fn field_name_without_a_space() {
        let h = b"RECEIVED:from a.example ([192.0.2.1]) by b.example with esmtp (Exim 4.98)\n\tid 1tAbCd-00000001xYz-0aBc; Mon, 06 Jan 2025 10:00:00 +0000";
        for r in [Received::parse(h), parse_received(h)] {
            let from = r.from.unwrap();
            assert_eq!(from.name.unwrap(), "a.example");
            assert_eq!(from.ip.unwrap(), "192.0.2.1");
            assert_eq!(r.by.unwrap(), "b.example");
            assert!(r.is_exim());
            assert_eq!(r.message_id.unwrap().as_str(), "1tAbCd-00000001xYz-0aBc");
        }
    }

    /// The HELO is the client's choice (RFC 5321 §4.1.1.1): the word after `from`
    /// is its value even when it is a clause keyword.
    #[test]
    fn helo_that_reads_like_a_keyword() {
        let r = Received::parse(
            b"Received: from id (unknown [192.0.2.1]) by mx.example.com (Postfix) with ESMTP id 4Xy1Z2; Mon,  6 Jan 2025 10:00:00 +0000 (UTC)",
        );
        let from = r.from.unwrap();
        assert_eq!(from.helo.unwrap(), "id");
        assert_eq!(from.ip.unwrap(), "192.0.2.1");
        assert_eq!(r.by.unwrap(), "mx.example.com");
        assert_eq!(r.id.unwrap(), "4Xy1Z2");
    }

    /// Gmail's internal hops name a bare IPv6 address after `by` (§11.2); a short
    /// internal host name made of hex digits (`db01`) is not one.
    #[test]
    fn bare_hex_host_is_not_gmail() {
        let r = Received::parse(
            b"Received: from localhost by db01 with ESMTP id 12AB; Mon, 06 Jan 2025 10:00:00 +0000",
        );
        assert_eq!(r.mta, Mta::Unknown);
        assert_eq!(r.by.unwrap(), "db01");
        let r = Received::parse(b"Received: by 2002:a05:6102:22c6:0:0:0:0 with SMTP id a6csp126141vsh; Mon, 06 Jan 2025 10:00:00 -0800 (PST)");
        assert_eq!(r.mta, Mta::Gmail);
    }

    /// Microsoft writes the client IP bare in parentheses (§11.2): a one-word
    /// comment is an IP only when it has a dot or a colon and nothing but hex
    /// digits, dots, colons and a `%scope`.
    #[test]
    fn bare_ip_comment_needs_an_address() {
        fn ip(h: &str) -> Option<Text<'_>> {
            Received::parse(h.as_bytes()).from.and_then(|f| f.ip)
        }
        assert_eq!(
            ip("Received: from EX01.example.com (10.1.2.3) by EX02.example.com (10.1.2.4) with Microsoft SMTP Server id 15.2.1; Mon, 06 Jan 2025 10:00:00 +0000").unwrap(),
            "10.1.2.3"
        );
        assert_eq!(
            ip("Received: from EX01 (fe80::1%12) by EX02 with mapi id 15.2.1; Mon, 06 Jan 2025 10:00:00 +0000").unwrap(),
            "fe80::1%12"
        );
        assert_eq!(
            ip(
                "Received: from relay.example.com (relay) by mx.example.org with SMTP; Mon, 06 Jan 2025 10:00:00 +0000"
            ),
            None
        );
        assert_eq!(
            ip(
                "Received: from relay.example.com (2525) by mx.example.org with SMTP; Mon, 06 Jan 2025 10:00:00 +0000"
            ),
            None
        );
        assert_eq!(
            ip(
                "Received: from relay.example.com (10.1.2.x) by mx.example.org with SMTP; Mon, 06 Jan 2025 10:00:00 +0000"
            ),
            None
        );
    }

    #[test]
    fn hostile_input_does_not_overflow_or_lose_raw() {
        let mut s = String::from("Received: from ");
        s.push_str(&"(".repeat(10_000));
        s.push_str(" by x; Mon, 06 Jan 2025 10:00:00 +0000");
        let r = Received::parse(s.as_bytes());
        assert_eq!(r.raw.as_bytes(), s.as_bytes());
        let s = "Received: ".to_string() + &"((a) ".repeat(10_000) + "\"" + &"by x ".repeat(1000);
        let r = Received::parse(s.as_bytes());
        assert_eq!(r.raw.as_bytes(), s.trim_end().as_bytes());
    }

    #[cfg(feature = "serde")]
    /// Pseudo-random header-like input: no panic, and every borrowed field is a
    /// slice of the input (nothing is copied or invented).
    #[test]
    fn random_input_never_panics_and_only_borrows() {
        const PIECES: &[&str] = &[
            "from ",
            "by ",
            "with ",
            "id ",
            "for ",
            "via ",
            "(",
            ")",
            "[",
            "]",
            ";",
            "\"",
            "\\",
            " ",
            "\r\n\t",
            "\n ",
            "helo=",
            "ident=",
            "port=",
            "Exim ",
            "tls ",
            "envelope-from <",
            ">",
            "1sAoM5-00000009r3p-06vq",
            "192.0.2.1",
            ":25",
            "Mon, 06 Jan 2025 10:00:00 +0000",
            "TLS1.3",
            "using ",
            "version=",
            "HELO ",
            "Received: ",
            "x",
            "\u{e9}",
            "\0",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let n = next() % 40;
            let s: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let input = s.as_bytes();
            let r = Received::parse(input);
            let range = input.as_ptr_range();
            let inside = |b: &[u8]| {
                b.is_empty() || (range.contains(&b.as_ptr()) && b.as_ptr_range().end <= range.end)
            };
            let from = r.from.unwrap_or_default();
            for t in [
                from.name,
                from.helo,
                from.ip,
                from.ident,
                r.by,
                r.id,
                r.recipient,
                r.envelope_from,
            ]
            .into_iter()
            .flatten()
            {
                assert!(inside(t.as_bytes()), "{s:?}");
            }
            for f in [r.via, r.protocol, r.exim_version, r.date_text]
                .into_iter()
                .flatten()
            {
                assert!(inside(f.as_bytes()), "{s:?}");
            }
            serde_json::to_string(&r).unwrap();
        }
    }

    #[test]
    fn fields_borrow_from_the_input_without_unfolding() {
        let input = b"Received: from a.example ([192.0.2.1])\r\n\tby b.example with esmtp (Exim 4.98)\r\n\tid 1tAbCd-00000001xYz-0aBc";
        let r = Received::parse(input);
        let by = r.by.unwrap().as_bytes();
        let range = input.as_ptr_range();
        assert!(range.contains(&by.as_ptr()));
        assert!(matches!(
            r.protocol.unwrap().unfold(),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(r.exim_release().unwrap(), "4.98");
        let r = Received::parse(b"from x by y with esmtp (Exim 4.94.2 (FreeBSD)) id z");
        assert_eq!(r.exim_release().unwrap(), "4.94.2");
        assert_eq!(r.exim_version.unwrap(), "4.94.2 (FreeBSD)");
    }
}
