//! Arrival lines, `<=` and `(=` (spec §3, `receive.c`).
//!
//! `<= SENDER` then tags in the order of §3, then the ` from <..>` and
//! ` for a b c` tails that `log_write` appends (§1.4). Tags are recognised by
//! their prefix (§12.8); on arrivals `R=` is a message id, `P=` a protocol,
//! `S=` the size and `T=` the subject (§5). Whatever is not recognised is kept
//! in `other_fields`, in order.

use super::auth::auth;
use super::fields::{
    address, angle, bare_field, ends_token, is_bare_token, is_pipelining, key, missing_address,
    number, quoted_escaped, tag, tags, unknown_tag, word, words_until_field,
};
use super::host::{endpoint, host};
use super::tls::tls_field;
use crate::duration::LogDuration;
use crate::event::{AddressList, Arrival};
use crate::message_id::MessageId;
use crate::scan::find;
use crate::text::{Escaping, Quoted, Text};

/// Parses the text after `<= ` (or `(= `). Never fails.
#[cfg(test)]
pub(crate) fn arrival(i: &[u8]) -> Arrival<'_> {
    let mut a = Arrival::default();
    arrival_into(&mut a, i);
    a
}

/// [`arrival`] into `a`, which must be `Arrival::default()`: filled where it
/// lies, because moving the large struct out through the callers cost more
/// than parsing some of its fields (callgrind).
#[inline(always)] // one caller
pub(crate) fn arrival_into<'a>(a: &mut Arrival<'a>, i: &'a [u8]) {
    // Without a sender (redacted logs) the fields start at once. Same test as
    // `missing_address`, cheapest part first: a real sender has an `@` (or is `<>`).
    let (sender, after) = address(i);
    let mut first = find(b'@', sender).is_none() && sender != b"<>" && missing_address(i);
    let (sender, mut rest) = if first {
        (&b""[..], i)
    } else {
        (sender, after)
    };
    a.sender = Text::new(sender);
    // `DS` comes before `H=` on arrivals (§3); it belongs to the host.
    // The `DS` token as it stands in the line (fields borrow the input).
    let mut dnssec: Option<&[u8]> = None;
    loop {
        let r = match rest.strip_prefix(b" ") {
            Some(r) => r,
            None if first => rest,
            None => {
                if !rest.is_empty() {
                    // A value ran into text without a space: keep it.
                    a.other_fields.push(bare_field(rest));
                }
                break;
            }
        };
        first = false;
        if r.is_empty() {
            break;
        }
        if let Some(list) = r.strip_prefix(b"for ") {
            // The ` for` tail is the last thing on the line (§1.4).
            a.recipients = Some(AddressList::new(Text::new(list)));
            break;
        }
        if let Some(s) = r.strip_prefix(b"from ").filter(|s| s.starts_with(b"<")) {
            let (sender, after) = angle(s);
            a.received_sender = Some(Text::new(sender));
            rest = after;
            continue;
        }
        rest = match tag(r) {
            Some((t, v)) => field(a, t, v),
            None => {
                let (w, after) = word(r);
                match w {
                    b"DS" => dnssec = Some(w),
                    b"TFO" | b"TFO*" => a.tcp_fast_open = Some(Text::new(w)),
                    b"SPF" => a.spf = Some(Text::new(w)),
                    b"DMARC" => a.dmarc = Some(Text::new(w)),
                    b"PRDR" => a.prdr = true,
                    b"K" => a.chunking = true,
                    b"ARC" => a.arc = true,
                    _ if is_pipelining(w) => a.pipelining = Some(Text::new(w)),
                    _ if is_bare_token(w) && ends_token(after) => {
                        a.other_fields.push(bare_field(w))
                    }
                    _ => {
                        // Free text is not part of the grammar: keep it, up to
                        // the next field, and go on with the fields.
                        let (text, after) = words_until_field(r);
                        a.other_fields.push(bare_field(text));
                        rest = after;
                        continue;
                    }
                }
                after
            }
        };
    }
    if let Some(ds) = dnssec {
        match a.host.as_mut() {
            Some(h) => h.dnssec = true,
            None => a.other_fields.push(bare_field(ds)),
        }
    }
}

/// One `TAG=value` of an arrival; returns the rest of the line.
fn field<'a>(a: &mut Arrival<'a>, t: &'a [u8], v: &'a [u8]) -> &'a [u8] {
    let typed: Option<&'a [u8]> = match key(t) {
        tags::R => {
            let (w, rest) = word(v);
            MessageId::parse(w).map(|id| {
                a.bounce_parent = Some(id);
                rest
            })
        }
        tags::H => host(v).map(|(h, rest)| {
            a.host = Some(h);
            rest
        }),
        tags::I => endpoint(v).map(|(e, rest)| {
            a.interface = Some(e);
            rest
        }),
        tags::U => {
            // A local login is logged raw and may hold spaces (`U=spaced user`).
            let (u, rest) = words_until_field(v);
            a.user = Some(Text::new(u));
            Some(rest)
        }
        tags::CI => parsed(&mut a.connection_id, v, number),
        tags::P => Some(text(&mut a.protocol, v)),
        tags::SPF => Some(text(&mut a.spf, v)),
        tags::X | tags::CV | tags::DN | tags::SNI => tls_field(&mut a.tls, t, v),
        tags::A => {
            let (au, rest) = auth(v);
            a.auth = Some(au);
            Some(rest)
        }
        tags::PRX => Some(text(&mut a.proxy, v)),
        tags::S => parsed(&mut a.size, v, number),
        tags::M8S => parsed(&mut a.mime_8bit, v, number),
        tags::DKIM => Some(text(&mut a.dkim, v)),
        tags::DMARC => Some(text(&mut a.dmarc, v)),
        tags::RT => parsed(&mut a.receive_time, v, LogDuration::parse),
        tags::Q => Some(text(&mut a.queue, v)),
        tags::ID | tags::ID_CREATED => {
            // An addr-spec, unquoted; a quoted local part may hold spaces (§7).
            let (id, rest) = address(v);
            a.header_id = Some(Text::new(id));
            a.header_id_created = t == b"id*";
            Some(rest)
        }
        tags::T => v.strip_prefix(b"\"").map(|q| {
            let (inner, rest) = quoted_escaped(q);
            a.subject = Some(Quoted::new(inner, Escaping::Subject));
            rest
        }),
        _ => None,
    };
    typed.unwrap_or_else(|| {
        let (f, rest) = unknown_tag(t, v);
        a.other_fields.push(f);
        rest
    })
}

/// A word value stored as text.
pub(crate) fn text<'a>(slot: &mut Option<Text<'a>>, v: &'a [u8]) -> &'a [u8] {
    let (w, rest) = word(v);
    *slot = Some(Text::new(w));
    rest
}

/// A word value converted by `conv`; `None` (so the caller keeps the raw value
/// as an unknown field) when it does not convert, e.g. the test suite's `S=sss`.
pub(crate) fn parsed<'a, T>(
    slot: &mut Option<T>,
    v: &'a [u8],
    conv: impl Fn(&[u8]) -> Option<T>,
) -> Option<&'a [u8]> {
    let (w, rest) = word(v);
    *slot = Some(conv(w)?);
    Some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::fields::field_strings;

    #[test]
    fn local_submission_with_recipients() {
        let a = arrival(b"joe@example.com U=joe P=local S=1234 for a@example.com b@example.org");
        assert_eq!(a.sender, "joe@example.com");
        assert_eq!(a.user.unwrap(), "joe");
        assert_eq!(a.protocol.unwrap(), "local");
        assert_eq!(a.size, Some(1234));
        let r: Vec<String> = a
            .recipients
            .unwrap()
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(r, ["a@example.com", "b@example.org"]);
        assert!(a.other_fields.is_empty());
        assert_eq!(a.other_fields.capacity(), 0);
    }

    #[test]
    fn bounce_has_parent_id() {
        let a = arrival(b"<> R=1sAoM5-00000009r3p-06vq U=Debian-exim P=local S=2110");
        assert_eq!(a.sender, "<>");
        assert_eq!(a.bounce_parent.unwrap().as_str(), "1sAoM5-00000009r3p-06vq");
        assert_eq!(a.user.unwrap(), "Debian-exim");
        let a = arrival(b"<> R=1neFfG-000Bu6-U9 U=mail P=local S=900");
        assert_eq!(a.bounce_parent.unwrap().as_str(), "1neFfG-000Bu6-U9");
    }

    #[test]
    fn smtp_arrival_every_field() {
        let line = concat!(
            "\"john smith\"@example.com DS H=mail.example.net (helo.example.net) [192.0.2.7]:50123 ",
            "I=[198.51.100.1]:25 TFO* U=ident Ci=4242 P=esmtpsa L. SPF=pass ",
            "X=TLS1.3:TLS_AES_256_GCM_SHA384:256* CV=yes DN=\"/CN=client.example.net\" ",
            "SNI=mx.example.com A=dovecot_plain:john:john@example.com PRDR PRX=203.0.113.9 K ",
            "S=4321 M8S=8 DKIM=example.com ARC DMARC=pass RT=1.234s Q=slow ",
            "id*=E1sAoM5-00000009r3p-06vq@example.com ",
            "T=\"Re: \\\"quoted\\\" caf\\303\\251\" from <bounce@example.com> ",
            "for \"x y\"@example.com z@example.com"
        );
        let a = arrival(line.as_bytes());
        assert_eq!(a.sender, "\"john smith\"@example.com");
        let h = a.host.unwrap();
        assert_eq!(h.name.unwrap(), "mail.example.net");
        assert_eq!(h.helo.unwrap(), "helo.example.net");
        assert_eq!(h.ip.unwrap(), "192.0.2.7");
        assert_eq!(h.port, Some(50123));
        assert!(h.dnssec);
        let i = a.interface.unwrap();
        assert_eq!((i.ip, i.port), (Text::from("198.51.100.1"), Some(25)));
        assert_eq!(a.tcp_fast_open.unwrap(), "TFO*");
        assert_eq!(a.user.unwrap(), "ident");
        assert_eq!(a.connection_id, Some(4242));
        assert_eq!(a.protocol.unwrap(), "esmtpsa");
        assert_eq!(a.pipelining.unwrap(), "L.");
        assert_eq!(a.spf.unwrap(), "pass");
        let tls = a.tls.unwrap();
        assert_eq!(tls.cipher.unwrap(), "TLS1.3:TLS_AES_256_GCM_SHA384:256");
        assert!(tls.resumed);
        assert_eq!(tls.certificate_verified.unwrap(), "yes");
        assert_eq!(
            tls.peer_dn.unwrap().to_string_lossy(),
            "/CN=client.example.net"
        );
        assert_eq!(tls.sni.unwrap(), "mx.example.com");
        let au = a.auth.unwrap();
        assert_eq!(au.authenticator, "dovecot_plain");
        assert_eq!(au.id.unwrap(), "john");
        assert_eq!(au.sender.unwrap(), "john@example.com");
        assert!(a.prdr && a.chunking && a.arc);
        assert_eq!(a.proxy.unwrap(), "203.0.113.9");
        assert_eq!(a.size, Some(4321));
        assert_eq!(a.mime_8bit, Some(8));
        assert_eq!(a.dkim.unwrap(), "example.com");
        assert_eq!(a.dmarc.unwrap(), "pass");
        assert_eq!(a.receive_time.unwrap().as_millis(), 1234);
        assert_eq!(a.queue.unwrap(), "slow");
        assert_eq!(a.header_id.unwrap(), "E1sAoM5-00000009r3p-06vq@example.com");
        assert!(a.header_id_created);
        assert_eq!(
            a.subject.unwrap().to_string_lossy(),
            "Re: \"quoted\" caf\u{e9}"
        );
        assert_eq!(a.received_sender.unwrap(), "bounce@example.com");
        let r: Vec<String> = a
            .recipients
            .unwrap()
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(r, ["\"x y\"@example.com", "z@example.com"]);
        assert!(a.other_fields.is_empty(), "{:?}", a.other_fields);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn field_table() {
        // One line shape per field (spec §3.2), checked through the JSON keys.
        let cases: &[(&str, &str, serde_json::Value)] = &[
            (
                "a@example.com H=(helo.example) [10.0.0.1] P=esmtp S=10",
                "host",
                serde_json::json!({"helo": "helo.example", "ip": "10.0.0.1"}),
            ),
            (
                "a@example.com H=[2001:db8::1]:587 P=esmtpa S=10",
                "host",
                serde_json::json!({"ip": "2001:db8::1", "port": 587}),
            ),
            (
                "a@example.com U=joe P=local-esmtp S=10",
                "protocol",
                serde_json::json!("local-esmtp"),
            ),
            (
                "\"spaced user\"@example.com U=spaced user P=local S=10",
                "user",
                serde_json::json!("spaced user"),
            ),
            (
                "a@example.com U=joe P=local S=10 T=\"two-line subject,\\n that is\"",
                "subject",
                serde_json::json!("two-line subject,\n that is"),
            ),
            (
                "a@example.com H=(c) [10.0.0.1] P=esmtp PRDR K S=10",
                "prdr",
                serde_json::json!(true),
            ),
            (
                "a@example.com H=(c) [10.0.0.1] P=smtp L- S=10",
                "pipelining",
                serde_json::json!("L-"),
            ),
            (
                "a@example.com H=(c) [10.0.0.1] P=smtp SPF S=10",
                "spf",
                serde_json::json!("SPF"),
            ),
            (
                "a@example.com H=(c) [10.0.0.1] P=smtp S=10 DMARC",
                "dmarc",
                serde_json::json!("DMARC"),
            ),
            (
                "a@example.com U=joe P=local S=10 RT=3m45s",
                "receive_time",
                serde_json::json!(225),
            ),
            (
                "a@example.com U=joe P=local S=10 id=x@y",
                "header_id",
                serde_json::json!("x@y"),
            ),
            (
                "a@example.com U=joe P=local S=10 Q=alternate for q@example.com",
                "queue",
                serde_json::json!("alternate"),
            ),
            (
                "a@example.com U=joe P=local S=10 for q@example.com <trunc>",
                "recipients",
                serde_json::json!(["q@example.com", "<trunc>"]),
            ),
            (
                "a@example.com U=joe P=local S=10 from <b@example.com> for q@example.com",
                "received_sender",
                serde_json::json!("b@example.com"),
            ),
            (
                "a@example.com H=(c) [10.0.0.1] P=smtp TFO S=10",
                "tcp_fast_open",
                serde_json::json!("TFO"),
            ),
            (
                "a@example.com H=(c) [10.0.0.1] P=esmtp A=plain S=10",
                "auth",
                serde_json::json!({"authenticator": "plain"}),
            ),
            (
                "a@example.com H=(c) [10.0.0.1] P=esmtp X=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256 S=10",
                "tls",
                serde_json::json!({"cipher": "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256"}),
            ),
        ];
        for (line, key, want) in cases {
            let a = arrival(line.as_bytes());
            let json = serde_json::to_value(&a).unwrap();
            assert_eq!(json.get(*key), Some(want), "{line}: {json}");
            assert!(a.other_fields.is_empty(), "{line}: {:?}", a.other_fields);
        }
    }

    #[test]
    fn unknown_and_unparsed_values_are_kept_in_order() {
        let a = arrival(b"a@example.com U=joe Ci=p1 P=local NEW=x S=sss BARE QT=1s odd text");
        assert_eq!(a.size, None);
        assert_eq!(a.connection_id, None);
        assert_eq!(
            field_strings(&a.other_fields),
            ["Ci=p1", "NEW=x", "S=sss", "BARE", "QT=1s", "odd text"]
        );
        let a = arrival(b"a@example.com U=joe P=local free text S=12 [] T=\"x\" more");
        assert_eq!(a.size, Some(12));
        assert_eq!(a.subject.unwrap().to_string_lossy(), "x");
        assert_eq!(field_strings(&a.other_fields), ["free text", "[]", "more"]);
        // An upper-case word followed by free text starts that text (the rule
        // of `ends_token`), it is not a bare token of its own.
        let a = arrival(b"a@example.com U=joe P=local S=12 SMTP said no");
        assert_eq!(field_strings(&a.other_fields), ["SMTP said no"]);
        // Followed by ` : ` (what `ends_token` takes for an error separator)
        // it is a token of its own, and the text after it is kept apart.
        let a = arrival(b"a@example.com U=joe P=local S=12 NEW : odd");
        assert_eq!(field_strings(&a.other_fields), ["NEW", ": odd"]);
        // A value glued to more text is outside the grammar (an `H=` value
        // ends with its `[ip]` or `:port`, spec section 3.1): the rest is kept
        // whole, never read as fields.
        let a = arrival(b"a@example.com H=(pc)x S=12");
        assert_eq!(a.host.unwrap().helo.unwrap(), "pc");
        assert_eq!(a.size, None);
        assert_eq!(field_strings(&a.other_fields), ["x S=12"]);
    }

    #[test]
    fn redacted_lines_without_a_sender() {
        // Shapes from the spam-hunting notes the project starts from.
        let a = arrival(b"U=nobody P=local S=4001 T=\"Buy Me!\"");
        assert_eq!(a.sender, "");
        assert_eq!(a.user.unwrap(), "nobody");
        assert_eq!(a.protocol.unwrap(), "local");
        assert_eq!(a.size, Some(4001));
        assert_eq!(a.subject.unwrap().to_string_lossy(), "Buy Me!");
        let a = arrival(b"([]) [] P=esmtpa S=715 id=ABCDEFG T=\"Buy Me!\"");
        assert_eq!(a.sender, "([])");
        assert_eq!(a.protocol.unwrap(), "esmtpa");
        assert_eq!(a.header_id.unwrap(), "ABCDEFG");
        assert_eq!(field_strings(&a.other_fields), ["[]"]);
    }

    #[test]
    fn malformed_lines_do_not_panic() {
        for line in [
            &b""[..],
            b" ",
            b"a@b ",
            b"a@b T=\"unterminated",
            b"a@b H=",
            b"a@b H=(x",
            b"a@b R=",
            b"a@b for",
            b"a@b from <",
            b"a@b DS",
            b"a@b T=\"x\"y",
            b"\xff\xfe H=[1.2.3.4] S=\xff",
        ] {
            // The sender is the line's own first word (or empty), never more.
            let a = arrival(line);
            assert!(line.starts_with(a.sender.as_bytes()), "{line:?}");
        }
        let a = arrival(b"a@b DS");
        assert_eq!(field_strings(&a.other_fields), ["DS"]);
    }
}
