//! Fields of message lines: arrivals, deliveries, deferrals, failures, `Completed`.

use super::{AddressList, Field};
use crate::duration::LogDuration;
use crate::host::{Endpoint, Host};
use crate::message_id::MessageId;
use crate::text::{Quoted, Text};

/// The TLS block of a line: `X=`, `CV=`, `DN=`, `SNI=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Tls<'a> {
    /// `X=` as logged without a resumption `*`: `VER:CIPHER:BITS[:GROUP]`.
    pub cipher: Option<Text<'a>>,
    /// A trailing `*` on `X=`: the session was resumed (`+tls_resumption`).
    pub resumed: bool,
    /// `CV=`: `yes`, `no` or `dane`.
    pub certificate_verified: Option<Text<'a>>,
    /// `DN="..."`: the peer certificate's distinguished name (`+tls_peerdn`).
    pub peer_dn: Option<Quoted<'a>>,
    /// `SNI=`: the server name the client asked for (`+tls_sni`).
    pub sni: Option<Text<'a>>,
}

crate::json_object::json_object!(Tls<'a>, struct {
    opt cipher,
    opt resumed,
    opt certificate_verified,
    opt peer_dn,
    opt sni,
});

impl<'a> Tls<'a> {
    /// The protocol version part of `X=`, e.g. `TLS1.3` (or `TLSv1.2` before 4.93).
    pub fn version(&self) -> Option<Text<'a>> {
        self.cipher_part(0)
    }

    /// The cipher name part of `X=`.
    pub fn cipher_name(&self) -> Option<Text<'a>> {
        self.cipher_part(1)
    }

    /// The key size part of `X=`, in bits.
    pub fn bits(&self) -> Option<u32> {
        self.cipher_part(2)?.to_str().ok()?.parse().ok()
    }

    fn cipher_part(&self, i: usize) -> Option<Text<'a>> {
        self.cipher?
            .as_bytes()
            .split(|b| *b == b':')
            .nth(i)
            .map(Text::new)
    }
}

/// `A=authenticator[:id[:auth_sender]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Auth<'a> {
    /// The authenticator (driver instance) name, e.g. `fixed_plain`.
    pub authenticator: Text<'a>,
    /// The authenticated id (login name), when logged.
    pub id: Option<Text<'a>>,
    /// The AUTH= sender of MAIL FROM (`+smtp_mailauth`).
    pub sender: Option<Text<'a>>,
}

crate::json_object::json_object!(Auth<'a>, struct {
    req authenticator,
    opt id,
    opt sender,
});

/// An arrival line: `<=` (or `(=`) and its fields, in the order of spec §3.
///
/// ```
/// use exim_log::{parse_line, Event};
///
/// let line = parse_line(
///     b"2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq <= joe@example.com \
///       H=mail.example.net (helo.example.net) [192.0.2.7] P=esmtpsa A=plain:joe S=4321 \
///       T=\"Re: \\\"hi\\\"\" for a@example.com b@example.com",
/// )
/// .unwrap();
/// let Event::Arrival(a) = &line.event else { panic!("not an arrival") };
/// assert_eq!(a.sender, "joe@example.com");
/// assert_eq!(a.host.unwrap().ip.unwrap(), "192.0.2.7");
/// assert_eq!(a.auth.unwrap().id.unwrap(), "joe");
/// assert_eq!(a.size, Some(4321));
/// assert_eq!(a.subject.unwrap().to_string_lossy(), "Re: \"hi\"");
/// assert_eq!(a.recipients.unwrap().iter().count(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
#[non_exhaustive]
pub struct Arrival<'a> {
    /// The envelope sender as logged; `<>` for a bounce.
    pub sender: Text<'a>,
    /// `R=`: for a locally generated bounce, the id of the message that caused it.
    pub bounce_parent: Option<MessageId<'a>>,
    /// `H=`: the sending host, with `DS` folded in as `dnssec`.
    pub host: Option<Host<'a>>,
    /// `I=`: the local interface the message came in on.
    pub interface: Option<Endpoint<'a>>,
    /// `TFO` / `TFO*`: TCP Fast Open.
    pub tcp_fast_open: Option<Text<'a>>,
    /// `U=`: ident of a remote host, or the login of a local caller.
    pub user: Option<Text<'a>>,
    /// `Ci=`: the pid of the connection handler (`+connection_id`).
    pub connection_id: Option<u64>,
    /// `P=`: the protocol (`esmtpsa`, `local`, ...).
    pub protocol: Option<Text<'a>>,
    /// `L`, `L-`, `L.`, `L*`...: pipelining (`+pipelining`).
    pub pipelining: Option<Text<'a>>,
    /// `SPF` / `SPF=result`.
    pub spf: Option<Text<'a>>,
    /// `X=`, `CV=`, `DN=`, `SNI=`.
    pub tls: Option<Tls<'a>>,
    /// `A=`: SMTP authentication.
    pub auth: Option<Auth<'a>>,
    /// `PRDR` was used.
    pub prdr: bool,
    /// `PRX=`: the proxy's address (`+proxy`).
    pub proxy: Option<Text<'a>>,
    /// `K`: CHUNKING (BDAT) was used.
    pub chunking: bool,
    /// `S=`: size in bytes.
    pub size: Option<u64>,
    /// `M8S=`: 0, 7 or 8 (`+8bitmime`).
    pub mime_8bit: Option<u8>,
    /// `DKIM=`: the first domain whose signature verified.
    pub dkim: Option<Text<'a>>,
    /// `ARC`: experimental ARC pass.
    pub arc: bool,
    /// `DMARC` / `DMARC=status`.
    pub dmarc: Option<Text<'a>>,
    /// `RT=`: time taken to receive the message (`+receive_time`).
    pub receive_time: Option<LogDuration>,
    /// `Q=`: named queue.
    pub queue: Option<Text<'a>>,
    /// `id=` / `id*=`: the Message-ID header (addr-spec, without `<>`).
    pub header_id: Option<Text<'a>>,
    /// True for `id*=`: Exim had to create the Message-ID.
    pub header_id_created: bool,
    /// `T="..."`: the subject (`+subject`) exactly as logged, Exim's escaping
    /// undone when read; [`Arrival::subject_decoded`] gives it as a reader
    /// sees it. JSON: `subject`, plus `subject_decoded` when that differs.
    pub subject: Option<Quoted<'a>>,
    /// ` from <raw>` tail (`+received_sender`), without the angle brackets.
    pub received_sender: Option<Text<'a>>,
    /// ` for a b c` tail (`+received_recipients`).
    pub recipients: Option<AddressList<'a>>,
    /// Tags without a dedicated field, in logged order.
    pub other_fields: Vec<Field<'a>>,
}

crate::json_object::json_object!(Arrival<'a>, map {
    req sender,
    opt bounce_parent,
    opt host,
    opt interface,
    opt tcp_fast_open,
    opt user,
    opt connection_id,
    opt protocol,
    opt pipelining,
    opt spf,
    opt tls,
    opt auth,
    opt prdr,
    opt proxy,
    opt chunking,
    opt size,
    opt mime_8bit,
    opt dkim,
    opt arc,
    opt dmarc,
    opt receive_time,
    opt queue,
    opt header_id,
    opt header_id_created,
    flat subject via SubjectKeys,
    opt received_sender,
    opt recipients,
    opt other_fields,
});

impl Arrival<'_> {
    /// The subject as a mail client shows it: RFC 2047 encoded words decoded,
    /// raw 8-bit text read as UTF-8 or else windows-1252
    /// ([`crate::mime::decode_header`]). `None` without `T=`.
    ///
    /// ```
    /// use exim_log::{parse_line, Event};
    /// let l = parse_line(b"2024-05-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@b.example \
    ///     H=(x) [192.0.2.1] P=esmtp S=100 T=\"=?UTF-8?B?UHLDvGZ1bmc=?=\"").unwrap();
    /// let Event::Arrival(a) = l.event else { panic!() };
    /// assert_eq!(a.subject.unwrap().to_string_lossy(), "=?UTF-8?B?UHLDvGZ1bmc=?=");
    /// assert_eq!(a.subject_decoded().unwrap(), "Pr\u{fc}fung");
    /// ```
    pub fn subject_decoded(&self) -> Option<String> {
        self.subject.map(|q| q.header_text())
    }
}

/// `subject` as logged, then `subject_decoded` when decoding changed it:
/// the entries of an arrival's `T=`.
#[cfg(feature = "serde")]
struct SubjectKeys<'s, 'a>(&'s Option<Quoted<'a>>);

#[cfg(feature = "serde")]
impl SubjectKeys<'_, '_> {
    /// The subject as logged (Exim's escaping undone, lossy) and as decoded
    /// when that differs.
    fn entries(&self, mut entry: impl FnMut(&'static str, &str)) {
        if let Some(q) = self.0 {
            let bytes = q.decode();
            let logged = crate::text::lossy(&bytes);
            entry("subject", &logged);
            let decoded = crate::mime::decode_header(&bytes);
            if decoded != logged {
                entry("subject_decoded", &decoded);
            }
        }
    }
}

#[cfg(feature = "serde")]
impl crate::json::Object for SubjectKeys<'_, '_> {
    fn write_fields(&self, out: &mut Vec<u8>) {
        if let Some(q) = self.0 {
            let bytes = q.decode();
            // ASCII without `=?` (most subjects) decodes to itself
            // (`mime::decode_header`): no `subject_decoded`.
            if bytes.is_ascii() && memchr::memmem::find(&bytes, b"=?").is_none() {
                out.extend_from_slice(b",\"subject\":");
                crate::json::write_text(out, &bytes);
                return;
            }
        }
        self.entries(|key, value| {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            crate::json::write_str(out, value);
        });
    }

    fn serialize_entries<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let mut result = Ok(());
        self.entries(|key, value| {
            if result.is_ok() {
                result = map.serialize_entry(key, value);
            }
        });
        result
    }
}

/// A delivery attempt line: `=>`, `->`, `>>`, `*>` (success), `==` (deferral) or
/// `**` (failure), with the fields of spec §4.
///
/// ```
/// use exim_log::{parse_line, Event};
///
/// let line = parse_line(
///     b"2024-05-25 11:10:30 1sAoM6-00000009r3p-06vq ** u@example.org R=dnslookup \
///       T=remote_smtp H=mx.example.org [192.0.2.9] : SMTP error from remote mail server \
///       after RCPT TO:<u@example.org>: 550 5.1.1 No such user",
/// )
/// .unwrap();
/// let Event::Failure(d) = &line.event else { panic!("not a failure") };
/// assert_eq!(d.address, "u@example.org");
/// assert_eq!(d.router.unwrap(), "dnslookup");
/// assert_eq!(d.host.unwrap().ip.unwrap(), "192.0.2.9");
/// assert!(d.error.unwrap().to_string().ends_with("550 5.1.1 No such user"));
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
#[non_exhaustive]
pub struct Delivery<'a> {
    /// The address delivered to (final address, or local part / pipe / file).
    pub address: Text<'a>,
    /// Intermediate parent addresses, the text inside `(...)`.
    pub parents: Option<Text<'a>>,
    /// The original top-level address, the text inside `<...>`.
    pub original: Option<Text<'a>>,
    /// `F=<sender>` (`+sender_on_delivery`), without the angle brackets.
    pub sender: Option<Text<'a>>,
    /// `Q=`: named queue.
    pub queue: Option<Text<'a>>,
    /// `P=<return-path>` (`+return_path_on_delivery`), without the angle brackets.
    pub return_path: Option<Text<'a>>,
    /// `R=`: the router.
    pub router: Option<Text<'a>>,
    /// `T=`: the transport.
    pub transport: Option<Text<'a>>,
    /// `S=`: bytes written by the transport (`+delivery_size`).
    pub size: Option<u64>,
    /// `H=`: the remote host.
    pub host: Option<Host<'a>>,
    /// `PRX=`: SOCKS proxy.
    pub proxy: Option<Endpoint<'a>>,
    /// `I=`: the outgoing interface.
    pub interface: Option<Endpoint<'a>>,
    /// `TFO` / `TFO*`.
    pub tcp_fast_open: Option<Text<'a>>,
    /// `PS=`: protocol startup sequence (`+protocol_detail`, 4.99+).
    pub protocol_detail: Option<Text<'a>>,
    /// `X=`, `CV=`, `DN=`.
    pub tls: Option<Tls<'a>>,
    /// `A=`: client authentication.
    pub auth: Option<Auth<'a>>,
    /// `L` / `L*`: pipelining.
    pub pipelining: Option<Text<'a>>,
    /// `PRDR` was used.
    pub prdr: bool,
    /// `K`: CHUNKING was used.
    pub chunking: bool,
    /// `DKIM=d:s[:d:s]`: signing domain/selector pairs (`+dkim_verbose`).
    pub dkim: Option<Text<'a>>,
    /// `ST=`: shadow transport, with its error in parentheses if it failed.
    pub shadow_transport: Option<Text<'a>>,
    /// `C="..."`: the remote server's final response, decoded when read.
    pub confirmation: Option<Quoted<'a>>,
    /// `QT=`: time on queue (`+queue_time`).
    pub queue_time: Option<LogDuration>,
    /// `DT=`: time the delivery took (`+deliver_time`).
    pub delivery_time: Option<LogDuration>,
    /// `routing`: the deferral happened while routing (`== addr routing defer (...)`).
    pub routing: bool,
    /// `defer (N)` errno: positive system errno or negative Exim code (`macros.h ERRNO_*`).
    pub errno: Option<i32>,
    /// The error text of `**` / `==` lines (after `": "` or the 4.99 `" : "`).
    pub error: Option<Text<'a>>,
    /// Free text after the fields of a success line, e.g. the ACL message of
    /// `=> blackhole (DATA ACL discarded recipients): MESSAGE`.
    pub message: Option<Text<'a>>,
    /// Tags without a dedicated field, in logged order.
    pub other_fields: Vec<Field<'a>>,
}

crate::json_object::json_object!(Delivery<'a>, struct {
    req address as "recipient",
    opt parents,
    opt original as "original_recipient",
    opt sender,
    opt queue,
    opt return_path,
    opt router,
    opt transport,
    opt size,
    opt host,
    opt proxy,
    opt interface,
    opt tcp_fast_open,
    opt protocol_detail,
    opt tls,
    opt auth,
    opt pipelining,
    opt prdr,
    opt chunking,
    opt dkim,
    opt shadow_transport,
    opt confirmation,
    opt queue_time,
    opt delivery_time,
    opt routing,
    opt errno,
    opt error,
    opt message,
    opt other_fields,
});

/// `Completed`, optionally with `QT=` (`+queue_time_overall`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Completed {
    /// `QT=`: total time on queue.
    pub queue_time: Option<LogDuration>,
}

crate::json_object::json_object!(Completed, struct {
    opt queue_time,
});

#[cfg(all(test, feature = "serde"))]
mod tests {
    use crate::{Event, parse_line};

    #[test]
    fn subject_decoded_in_json_only_when_it_differs() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("T=\"hello\"", "hello", None),
            // `=?` that starts no encoded word, and escaped quotes.
            ("T=\"a =? b\"", "a =? b", None),
            ("T=\"say \\\"hi\\\"\"", "say \"hi\"", None),
            (
                "T=\"=?iso-8859-1?q?caf=E9?=\"",
                "=?iso-8859-1?q?caf=E9?=",
                Some("caf\u{e9}"),
            ),
            // `string_printing` wrote the 8-bit bytes as octal escapes.
            (
                "T=\"R\\351sum\\351\"",
                "R\u{fffd}sum\u{fffd}",
                Some("R\u{e9}sum\u{e9}"),
            ),
        ];
        for (t, subject, decoded) in cases {
            let line = format!(
                "2024-05-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@b.example P=local S=1 {t}"
            );
            let l = parse_line(line.as_bytes()).unwrap();
            let v = serde_json::to_value(&l).unwrap();
            // The NDJSON writer (its own path for plain ASCII subjects).
            let mut written = Vec::new();
            crate::json::write_line(&mut written, &l);
            assert_eq!(
                String::from_utf8_lossy(&written),
                serde_json::to_string(&l).unwrap(),
                "{line}"
            );
            assert_eq!(v["subject"], *subject, "{line}");
            assert_eq!(
                v.get("subject_decoded").and_then(|d| d.as_str()),
                *decoded,
                "{line}"
            );
            let Event::Arrival(a) = l.event else { panic!() };
            assert_eq!(
                a.subject_decoded().as_deref(),
                Some(decoded.unwrap_or(subject)),
                "{line}"
            );
        }
    }
}
