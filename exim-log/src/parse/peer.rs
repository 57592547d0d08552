//! The client block of session and reject lines: `host_and_ident` (`H=`, `I=`,
//! `U=`, `Ci=`; spec §10 `<HI>`) and the tags `smtp_handle_acl_fail` adds after
//! it (`X=`, `CV=`, `DN=`, `SNI=`, `F=`, `A=`), plus `P=`, `D=` and `C=` of
//! session lines. Tags may come in any order here; parsing stops at the first
//! word that is not one of them.

use crate::duration::LogDuration;
use crate::event::{CommandList, Session, Tls};
use crate::text::Text;

use super::host::{endpoint, host};

/// A [`Peer`] plus the session tags `D=` and `C=`: the fields of a
/// [`Session`], so session lines keep the tags as their event payload without
/// copying them into a new struct (one copy of the whole struct a line, callgrind).
pub(crate) type Tags<'a> = Session<'a>;

/// The first position of `needle` in `hay`. Lines are short and needles are
/// a few bytes, so a `memchr` for the first byte and a compare beats building a
/// `memmem` searcher for every call (measured: the searcher setup showed up in
/// profiles of unknown lines).
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    memchr::memchr_iter(first, hay).find(|&p| {
        hay.get(p + 1..)
            .is_some_and(|after| after.starts_with(rest))
    })
}

/// The last position of `needle` in `hay`, the same way as [`find`] (a
/// reverse `memmem` searcher cost more to build, per line, than the search:
/// callgrind, the count is in benches/README.md).
pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    memchr::memrchr_iter(first, hay).find(|&p| {
        hay.get(p + 1..)
            .is_some_and(|after| after.starts_with(rest))
    })
}

pub(crate) use super::fields::word;

pub(crate) use super::fields::number;

/// `<...>` up to the `>` that ends the value (followed by a space, `:` or the end).
/// A quoted local part (`<"a> b"@c>`, RFC 5321, logged raw) is skipped whole,
/// so the client cannot end the address early with a `>` inside quotes; an
/// unterminated quote is not skipped.
pub(crate) fn angle(i: &[u8]) -> Option<(&[u8], &[u8])> {
    if i.first() != Some(&b'<') {
        return None;
    }
    let mut from = 0;
    if i.get(1) == Some(&b'"') {
        let mut k = 2;
        loop {
            match i.get(k) {
                Some(b'\\') => k += 2,
                Some(b'"') => {
                    from = k + 1;
                    break;
                }
                Some(_) => k += 1,
                None => break,
            }
        }
    }
    while let Some(p) = i.get(from..).and_then(|s| memchr::memchr(b'>', s)) {
        let end = from + p + 1;
        if matches!(i.get(end), None | Some(b' ' | b':' | b',')) {
            return Some(i.split_at(end));
        }
        from = end;
    }
    None
}

/// `host_and_ident(TRUE)` (`H=<fullhost>[ I=[ip]:port][ U=<ident>]`, host.c)
/// when it ends the text: read from the right, so client text before it (an
/// address, a command) or inside it (the HELO) cannot move the address. The
/// address is the last `[ip][:port]` after a space (or `H=`) that only the interface
/// and ident tags follow; the host block starts at the last ` H=` before it
/// from which a whole fullhost reads (the HELO may hold `H=` too).
/// Returns the peer and the text before ` H=`.
pub(crate) fn host_and_ident_from_right(i: &[u8]) -> Option<(crate::event::Peer<'_>, &[u8])> {
    let mut upto = i.len();
    loop {
        let p = memchr::memrchr(b'[', i.get(..upto)?)?;
        upto = p;
        // After a space, or right after `H=` (a fullhost that is the bare
        // `[ip]`: no HELO, no name).
        let before_open = i.get(..p)?;
        if !(before_open.ends_with(b" ") || before_open.ends_with(b"H=")) {
            continue;
        }
        let Some((_, mut tail)) = super::host::bracketed_ip(i.get(p..)?) else {
            continue;
        };
        let mut peer = crate::event::Peer::default();
        if let Some(r) = tail.strip_prefix(b" I=")
            && let Some((e, rest)) = endpoint(r)
        {
            peer.interface = Some(e);
            tail = rest;
        }
        if let Some(u) = tail.strip_prefix(b" U=")
            && !u.is_empty()
            && !u.contains(&b' ')
        {
            peer.user = Some(Text::new(u));
            tail = &[];
        }
        if !tail.is_empty() {
            continue;
        }
        let end = p + (i.len() - p - super::host::bracketed_ip(i.get(p..)?)?.1.len());
        let head = i.get(..end)?;
        // The HELO is the client's and may hold `H=`: the block starts at the
        // last `H=` (at the start or after a space) from which a whole
        // fullhost reads, not just at the last `H=`.
        let mut h_upto = head.len();
        while let Some(h) = head.get(..h_upto).and_then(|x| rfind(x, b"H=")) {
            h_upto = h;
            if h != 0 && head.get(h - 1) != Some(&b' ') {
                continue;
            }
            if let Some(host) = head.get(h + 2..).and_then(super::host::fullhost_from_right) {
                peer.host = Some(host);
                let before = i.get(..h)?;
                return Some((peer, before.strip_suffix(b" ").unwrap_or(before)));
            }
        }
        return None;
    }
}

/// Consumes the tags at the start of `i` (leading spaces allowed). Returns the
/// tags and the rest, which starts at the space before the first other word
/// (or is empty). With `host_value`, a leading value without `H=` is read as
/// a host first (the `from <host>` of session lines).
// Inlined so the large `Tags` is built in the caller's frame instead of being
// copied out (callgrind; the count is in benches/README.md).
#[inline]
pub(crate) fn tags(i: &[u8], host_value: bool) -> (Tags<'_>, &[u8]) {
    let mut t = Tags::default();
    let rest = tags_into(&mut t, i, host_value);
    (t, rest)
}

/// [`tags`], into a session that already exists (its event's payload), so
/// nothing is copied. Fields the line does not carry are left as they are.
#[inline]
pub(crate) fn tags_into<'a>(t: &mut Tags<'a>, mut i: &'a [u8], host_value: bool) -> &'a [u8] {
    if host_value && let Some((h, rest)) = host(i) {
        if h.ip.is_none() && h.helo.is_none() {
            // `from root`: a local `-bs` session names the caller's
            // ident instead of a host (spec §10 `<CONN>`).
            t.peer.user = h.name;
        } else {
            t.peer.host = Some(h);
        }
        i = rest;
    }
    loop {
        let s = i.strip_prefix(b" ").unwrap_or(i);
        let Some(next) = tag(t, s) else {
            return i;
        };
        i = next;
    }
}

/// One tag at the start of `s`; the rest after it, or `None` when `s` does not
/// start with a known tag.
fn tag<'a>(t: &mut Tags<'a>, s: &'a [u8]) -> Option<&'a [u8]> {
    let eq = s.iter().take(4).position(|b| *b == b'=');
    let Some(eq) = eq else {
        // The only bare tag before `H=` is `DS` (spec §5).
        let r = s.strip_prefix(b"DS ")?;
        if !r.starts_with(b"H=") {
            return None;
        }
        t.peer.dnssec = true;
        return Some(r);
    };
    let (name, v) = s.split_at(eq);
    let v = v.get(1..).unwrap_or_default();
    match name {
        b"H" => {
            let (h, rest) = host(v)?;
            t.peer.host = Some(h);
            Some(rest)
        }
        b"I" => {
            let (e, rest) = endpoint(v)?;
            t.peer.interface = Some(e);
            Some(rest)
        }
        b"F" => {
            // `<sender>`; local_scan rejections log it without brackets.
            let (a, rest) = angle(v).unwrap_or_else(|| word(v));
            t.peer.sender = Some(Text::new(a));
            Some(rest)
        }
        b"DN" => {
            // `DN="..."`, string_printing only: ends at `" ` or `"` at the end.
            let inner = v.strip_prefix(b"\"")?;
            let end = (0..inner.len()).find(|&k| {
                inner.get(k) == Some(&b'"') && matches!(inner.get(k + 1), None | Some(b' '))
            })?;
            let (dn, rest) = inner.split_at(end);
            t.peer.tls.get_or_insert_with(Tls::default).peer_dn = Some(crate::text::Quoted::new(
                dn,
                crate::text::Escaping::Printing,
            ));
            Some(rest.get(1..).unwrap_or_default())
        }
        _ => {
            let (val, rest) = word(v);
            match name {
                b"U" => t.peer.user = Some(Text::new(val)),
                b"Ci" => t.peer.connection_id = number(val),
                b"A" => t.peer.auth = Some(super::auth::auth_value(val)),
                b"P" => t.peer.protocol = Some(Text::new(val)),
                // The test suite writes `D=qqs`: keep going without a value.
                b"D" => t.duration = LogDuration::parse(val),
                b"C" => t.commands = Some(CommandList::new(Text::new(val))),
                b"X" => {
                    let tls = t.peer.tls.get_or_insert_with(Tls::default);
                    let (c, resumed) = match val.strip_suffix(b"*") {
                        Some(c) => (c, true),
                        None => (val, false),
                    };
                    tls.cipher = Some(Text::new(c));
                    tls.resumed = resumed;
                }
                b"CV" => {
                    t.peer
                        .tls
                        .get_or_insert_with(Tls::default)
                        .certificate_verified = Some(Text::new(val));
                }
                b"SNI" => t.peer.tls.get_or_insert_with(Tls::default).sni = Some(Text::new(val)),
                _ => return None,
            }
            Some(rest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{opt_string, text_string};

    #[test]
    fn rfind_finds_the_last() {
        for (hay, needle) in [
            ("a (set_id=x) b (set_id=y)", " (set_id="),
            ("no id here", " (set_id="),
            ("x D=1s D=2s", " D="),
            ("", " D="),
            (" D=", " D="),
        ] {
            assert_eq!(
                rfind(hay.as_bytes(), needle.as_bytes()),
                memchr::memmem::rfind(hay.as_bytes(), needle.as_bytes()),
                "{hay}"
            );
        }
    }

    #[test]
    fn tags_table() {
        // input, (ip, helo, iface, user, ci, sender, auth, cipher, dnssec, rest)
        type Want<'s> = (
            Option<&'s str>,
            Option<&'s str>,
            Option<&'s str>,
            Option<&'s str>,
            Option<u64>,
            Option<&'s str>,
            Option<&'s str>,
            Option<&'s str>,
            bool,
            &'s str,
        );
        let cases: &[(&str, Want)] = &[
            (
                "H=(mx.example.org) [192.0.2.4]:4711 I=[198.51.100.1]:25 U=nobody Ci=8812 F=<a@b.example> rejected RCPT",
                (
                    Some("192.0.2.4"),
                    Some("mx.example.org"),
                    Some("198.51.100.1"),
                    Some("nobody"),
                    Some(8812),
                    Some("<a@b.example>"),
                    None,
                    None,
                    false,
                    " rejected RCPT",
                ),
            ),
            (
                "DS H=mail.example.com [203.0.113.9] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=plain:joe F=<> rejected after DATA",
                (
                    Some("203.0.113.9"),
                    None,
                    None,
                    None,
                    None,
                    Some("<>"),
                    Some("plain"),
                    Some("TLS1.3:TLS_AES_256_GCM_SHA384:256"),
                    true,
                    " rejected after DATA",
                ),
            ),
            (
                "U=www-data F=<x y@z> Warning: hi",
                (
                    None,
                    None,
                    None,
                    Some("www-data"),
                    None,
                    Some("<x y@z>"),
                    None,
                    None,
                    false,
                    " Warning: hi",
                ),
            ),
            (
                "H=[10.1.1.1] DS dropped",
                (
                    Some("10.1.1.1"),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    false,
                    " DS dropped",
                ),
            ),
        ];
        for (input, want) in cases {
            let (t, rest) = tags(input.as_bytes(), false);
            let p = t.peer;
            let s = text_string;
            let got = (
                s(p.host.and_then(|h| h.ip)),
                s(p.host.and_then(|h| h.helo)),
                s(p.interface.map(|e| e.ip)),
                s(p.user),
                p.connection_id,
                s(p.sender),
                s(p.auth.map(|a| a.authenticator)),
                s(p.tls.and_then(|t| t.cipher)),
                p.dnssec,
                String::from_utf8_lossy(rest).into_owned(),
            );
            let want = (
                opt_string(want.0),
                opt_string(want.1),
                opt_string(want.2),
                opt_string(want.3),
                want.4,
                opt_string(want.5),
                opt_string(want.6),
                opt_string(want.7),
                want.8,
                want.9.to_string(),
            );
            assert_eq!(got, want, "{input}");
        }
    }

    /// host.c host_and_ident(TRUE): `H=<fullhost>[ I=[ip]:port][ U=<ident>]`
    /// at the end of the text; the client's text before it and its HELO may
    /// hold anything, `H=` included.
    #[test]
    fn host_and_ident_from_the_right() {
        // input, (before, ip, helo, iface, user)
        type Want<'s> = (
            &'s str,
            &'s str,
            Option<&'s str>,
            Option<&'s str>,
            Option<&'s str>,
        );
        let cases: &[(&str, Want)] = &[
            (
                "<a> H=(pc) [192.0.2.1] U=joe",
                ("<a>", "192.0.2.1", Some("pc"), None, Some("joe")),
            ),
            (
                "<a> H=(pc) [192.0.2.1]:4000 I=[198.51.100.1]:25 U=joe",
                (
                    "<a>",
                    "192.0.2.1",
                    Some("pc"),
                    Some("198.51.100.1"),
                    Some("joe"),
                ),
            ),
            ("H=[192.0.2.1]", ("", "192.0.2.1", None, None, None)),
            (
                "<a> H=[192.0.2.1]:4000 U=joe",
                ("<a>", "192.0.2.1", None, None, Some("joe")),
            ),
            (
                "<a> H=(pcH=x) [192.0.2.1]",
                ("<a>", "192.0.2.1", Some("pcH=x"), None, None),
            ),
            (
                "<a> H=(pc H=x) [192.0.2.1]",
                ("<a>", "192.0.2.1", Some("pc H=x"), None, None),
            ),
            (
                "<b> H=(y) [10.0.0.1] U=z> H=(pc) [192.0.2.1]",
                (
                    "<b> H=(y) [10.0.0.1] U=z>",
                    "192.0.2.1",
                    Some("pc"),
                    None,
                    None,
                ),
            ),
        ];
        for (input, want) in cases {
            let (p, before) =
                host_and_ident_from_right(input.as_bytes()).unwrap_or_else(|| panic!("{input}"));
            let h = p.host.unwrap();
            let got = (
                String::from_utf8_lossy(before).into_owned(),
                text_string(h.ip).unwrap(),
                text_string(h.helo),
                text_string(p.interface.map(|e| e.ip)),
                text_string(p.user),
            );
            let want = (
                want.0.to_string(),
                want.1.to_string(),
                opt_string(want.2),
                opt_string(want.3),
                opt_string(want.4),
            );
            assert_eq!(got, want, "{input}");
        }
        for input in [
            "<a> H=(pc) [192.0.2.1] U=",
            "<a> H=(pc) [192.0.2.1] U=jo e",
            "<a> H=(pc) [192.0.2.1] P=esmtp",
            "[192.0.2.1]",
            "<a> xH=(pc) [192.0.2.1]",
            "<a> H=(pc)[192.0.2.1]",
        ] {
            assert!(
                host_and_ident_from_right(input.as_bytes()).is_none(),
                "{input}"
            );
        }
    }

    /// `<...>` ends at a `>` followed by a space, `:`, `,` or the end; a
    /// quoted local part (RFC 5321 quoted-string, `\` escapes one byte) is
    /// skipped whole.
    #[test]
    fn angle_table() {
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("<a@b.example>", Some(("<a@b.example>", ""))),
            ("<a>b>, c", Some(("<a>b>", ", c"))),
            ("<\"a> b\"@c> t", Some(("<\"a> b\"@c>", " t"))),
            ("<\"a\\\"> b\"@c> t", Some(("<\"a\\\"> b\"@c>", " t"))),
            ("<\"a\\x\"> b\"@c> t", Some(("<\"a\\x\">", " b\"@c> t"))),
            ("<\"unclosed> x", Some(("<\"unclosed>", " x"))),
            ("<a@b", None),
            ("x<a>", None),
        ];
        for (input, want) in cases {
            let got = angle(input.as_bytes()).map(|(a, r)| {
                (
                    String::from_utf8_lossy(a).into_owned(),
                    String::from_utf8_lossy(r).into_owned(),
                )
            });
            let want = want.map(|(a, r)| (a.to_string(), r.to_string()));
            assert_eq!(got, want, "{input}");
        }
    }

    /// smtp_in.c add_tls_info_for_log: ` X=<cipher>[*] CV=yes|no DN="<dn>"
    /// SNI=<name>`, `*` with +tls_resumption; the DN is `string_printing`'d and
    /// may hold spaces.
    #[test]
    fn tls_tags() {
        let (t, rest) = tags(
            b"H=(pc) [192.0.2.1] X=TLS1.3:TLS_AES_256_GCM_SHA384:256* CV=yes DN=\"/O=Example Ltd/CN=pc.example\" SNI=mx.example.org F=<a@b.example> rejected RCPT <c@d.example>",
            false,
        );
        let tls = t.peer.tls.unwrap();
        assert_eq!(tls.cipher.unwrap(), "TLS1.3:TLS_AES_256_GCM_SHA384:256");
        assert!(tls.resumed);
        assert_eq!(tls.certificate_verified.unwrap(), "yes");
        assert_eq!(
            tls.peer_dn.unwrap().to_string_lossy(),
            "/O=Example Ltd/CN=pc.example"
        );
        assert_eq!(tls.sni.unwrap(), "mx.example.org");
        assert_eq!(t.peer.sender.unwrap(), "<a@b.example>");
        assert_eq!(rest, b" rejected RCPT <c@d.example>");
        let (t, _) = tags(
            b"H=[192.0.2.1] X=TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=no",
            false,
        );
        let tls = t.peer.tls.unwrap();
        assert_eq!(
            tls.cipher.unwrap(),
            "TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256"
        );
        assert!(!tls.resumed);
        assert_eq!(tls.certificate_verified.unwrap(), "no");
    }

    /// receive.c: `rejected by local_scan()` lines start with `F=<sender>`,
    /// unbracketed, then add_host_info_for_log (` H=<fullhost>[ U=<ident>]
    /// [ Ci=<id>] P=<received_protocol>`); `SMTP connection lost after final
    /// dot` ends with the same block.
    #[test]
    fn local_scan_block_has_the_protocol() {
        let (t, rest) = tags(
            b"F=a@b.example H=(pc) [192.0.2.1] U=joe Ci=77 P=esmtps rejected by local_scan(): no",
            false,
        );
        assert_eq!(t.peer.sender.unwrap(), "a@b.example");
        assert_eq!(t.peer.user.unwrap(), "joe");
        assert_eq!(t.peer.connection_id, Some(77));
        assert_eq!(t.peer.protocol.unwrap(), "esmtps");
        assert_eq!(rest, b" rejected by local_scan(): no");
        let (t, rest) = tags(b" H=[192.0.2.1] P=smtp", false);
        assert_eq!(t.peer.protocol.unwrap(), "smtp");
        assert!(rest.is_empty());
    }

    #[test]
    fn find_table() {
        assert_eq!(find(b"a: error ignored", b": error"), Some(1));
        assert_eq!(find(b"x:y: z", b": "), Some(3));
        assert_eq!(find(b"abc", b"abcd"), None);
        assert_eq!(find(b"abc", b""), None);
        assert_eq!(find(b"", b"a"), None);
    }

    #[test]
    fn session_tags_read_a_leading_host() {
        let (t, rest) = tags(b"(helo.example) [192.0.2.1] D=2m3s C=EHLO,QUIT", true);
        assert_eq!(t.peer.ip().unwrap(), "192.0.2.1");
        assert_eq!(t.duration.unwrap().as_millis(), 123_000);
        assert_eq!(t.commands.unwrap().iter().count(), 2);
        assert!(rest.is_empty());
        assert_eq!(angle(b"<a>b> x"), Some((&b"<a>b>"[..], &b" x"[..])));
    }
}
