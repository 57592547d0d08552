//! Delivery lines: `=>`, `->`, `>>`, `*>` (spec §4.1 `delivery_log`), `==`
//! (§4.2 `deferral_log`) and `**` (§4.3 `failure_log`).
//!
//! `FLAG ADDRESS-PART` (§4.4), then tags keyed on their prefix (§12.8; on these
//! lines `R=` is the router, `T=` the transport, `P=<..>` the return path, `F=<..>`
//! the sender, §5), then for `==` the `defer (errno)` block and for `**`/`==` the
//! error text after `": "` (≤ 4.98) or `" : "` (4.99+, §12.2).

use nom::Parser;
use nom::bytes::complete::{tag as lit, take_till1};
use nom::sequence::{delimited, preceded};

use super::arrival::{parsed, text};
use super::auth::auth;
use super::fields::{
    address_end, angle, bare_field, ends_token, is_bare_token, is_pipelining, key, missing_address,
    number, quoted_escaped, tag, tags, unknown_tag, word, words_until_field,
};
use super::host::{endpoint, host};
use super::tls::tls_field;
use crate::duration::LogDuration;
use crate::event::{Delivery, Field, Flag};
use crate::text::{Escaping, Quoted, Text};

/// Parses the text after the flag and its space. Never fails.
#[cfg(test)]
pub(crate) fn delivery(flag: Flag, i: &[u8]) -> Delivery<'_> {
    let mut d = Delivery::default();
    delivery_into(&mut d, flag, i);
    d
}

/// [`delivery`] into `d`, which must be `Delivery::default()`: filled where it
/// lies, because moving the large struct out through the callers cost more
/// than parsing some of its fields (callgrind).
#[inline(always)] // one caller
pub(crate) fn delivery_into<'a>(d: &mut Delivery<'a>, flag: Flag, i: &'a [u8]) {
    let problem = matches!(flag, Flag::Failure | Flag::Deferral);
    if flag == Flag::Delivery && i.starts_with(b"blackhole ") && blackhole(d, i) {
        return;
    }
    // Without an address (redacted logs: `=> R=lookuphost T=remote_smtp`) the
    // fields start at once.
    let mut first = missing_address(i);
    let mut rest = if first {
        i
    } else {
        address_part(d, i, problem)
    };
    loop {
        // The error separators: `" : "` (4.99+) and `": "` (≤ 4.98, retry.c).
        if let Some(e) = rest
            .strip_prefix(b" : ")
            .or_else(|| rest.strip_prefix(b": "))
        {
            tail_text(d, flag, e);
            break;
        }
        if rest == b":" || rest == b" :" {
            break;
        }
        let r = match rest.strip_prefix(b" ") {
            Some(r) => r,
            None if first => rest,
            None => {
                if !rest.is_empty() {
                    tail_text(d, flag, rest);
                }
                break;
            }
        };
        first = false;
        if r.is_empty() {
            break;
        }
        rest = match tag(r) {
            Some((t, v)) => field(d, flag, t, v),
            None => {
                let (w, after) = word(r);
                match w {
                    b"TFO" | b"TFO*" => d.tcp_fast_open = Some(Text::new(w)),
                    b"PRDR" => d.prdr = true,
                    b"K" => d.chunking = true,
                    b"routing" if flag == Flag::Deferral && after.starts_with(b" defer (") => {
                        d.routing = true;
                    }
                    b"defer" if flag == Flag::Deferral => match errno(r) {
                        Some((n, after)) => {
                            match number::<i32>(n.strip_prefix(b"-").unwrap_or(n)) {
                                Some(v) if n.starts_with(b"-") => d.errno = Some(-v),
                                Some(v) => d.errno = Some(v),
                                // The test suite writes `(dd)` / `(EEE)`: keep it.
                                None => d.other_fields.push(Field {
                                    tag: Text::new(w),
                                    value: Some(Text::new(n)),
                                }),
                            }
                            rest = after;
                            continue;
                        }
                        None => {
                            tail_text(d, flag, r);
                            break;
                        }
                    },
                    _ if is_pipelining(w) => d.pipelining = Some(Text::new(w)),
                    _ if is_bare_token(w) && ends_token(after) => {
                        d.other_fields.push(bare_field(w))
                    }
                    _ if !problem => {
                        // Success lines have no error part: free text runs to
                        // the next field (`=> blackhole *msg*`); more of it is
                        // kept in `other_fields`.
                        let (text, after) = words_until_field(r);
                        match d.message {
                            None => d.message = Some(Text::new(text)),
                            Some(_) => d.other_fields.push(bare_field(text)),
                        }
                        rest = after;
                        continue;
                    }
                    _ => {
                        // The error of `**`/`==` is the tail of the line:
                        // `** a@b routing yielded a local delivery`.
                        tail_text(d, flag, r);
                        break;
                    }
                }
                after
            }
        };
    }
}

/// `=> blackhole <detail>[: <msg>]` (receive.c, a message whose recipients
/// were all discarded): `<detail>` is `(<where> discarded recipients)` or,
/// when local_scan() set it, `local_scan_data` (free text, never fields: the
/// line has no tags), and `: <msg>` the ACL's log message. `i` starts with
/// `blackhole `. `false` for the `(<where> discarded recipients)` shape,
/// which the general grammar reads (reason in `parents`).
fn blackhole<'a>(d: &mut Delivery<'a>, i: &'a [u8]) -> bool {
    let Some((word, r)) = i.split_at_checked(9) else {
        return false;
    };
    let r = r.get(1..).unwrap_or_default();
    if let Some(inner) = r.strip_prefix(b"(")
        && let Some(close) = memchr::memchr(b')', inner)
        && inner
            .get(..close)
            .is_some_and(|w| w.ends_with(b" discarded recipients"))
    {
        return false;
    }
    d.address = Text::new(word);
    // Nothing follows local_scan_data but a trailing space it may hold.
    d.message = Some(Text::new(r.trim_ascii_end()));
    true
}

/// `defer (N)` at the start of `i`: the errno text and the rest.
fn errno(i: &[u8]) -> Option<(&[u8], &[u8])> {
    let r: nom::IResult<&[u8], &[u8]> = preceded(
        lit(&b"defer "[..]),
        delimited(lit(&b"("[..]), take_till1(|b| b == b')'), lit(&b")"[..])),
    )
    .parse(i);
    r.ok().map(|(rest, n)| (n, rest))
}

/// Text after the tags: the error of `**`/`==`, the message of a success line
/// (`=> blackhole (DATA ACL discarded recipients): msg`). On `**` a `DT=` may
/// follow the error (§4.3), on `==` the `strerror` text (`defer (111):
/// Connection refused DT=1s`, deliver.c `deferral_log`).
fn tail_text<'a>(d: &mut Delivery<'a>, flag: Flag, e: &'a [u8]) {
    let mut e = e;
    if matches!(flag, Flag::Failure | Flag::Deferral) {
        // `DT=` is the last token when present.
        if let Some(at) = memchr::memrchr(b' ', e) {
            let (head, last) = e.split_at(at);
            if let Some(t) = last.strip_prefix(b" DT=").and_then(LogDuration::parse) {
                d.delivery_time = Some(t);
                e = head;
            }
        }
    }
    match flag {
        Flag::Failure | Flag::Deferral => d.error = Some(Text::new(e)),
        _ if d.message.is_some() => d.other_fields.push(bare_field(e)),
        _ => d.message = Some(Text::new(e)),
    }
}

/// ADDRESS-PART (§4.4): `final [(parents)] [<original>]`. Returns the rest,
/// which starts at a space, at the `:` of an old-style error separator, or is
/// empty.
fn address_part<'a>(d: &mut Delivery<'a>, i: &'a [u8], problem: bool) -> &'a [u8] {
    let mut end = address_end(i).max(unquoted_address_end(i).unwrap_or(0));
    if i.starts_with(b"|") || i.starts_with(b">") || i.starts_with(b"save ") {
        // A pipe command may have arguments, an autoreply lists its recipients
        // (`>a@b, c@d, ...`), a relative file has the `save ` prefix (§4.4):
        // they run up to the parents, the original address, the first field
        // or the error separator. The first field after an address is always
        // one of `F= Q= P= R= T=` (deliver.c `delivery_log`, `deferral_log`,
        // `failure_log`); any other `X=` word is an argument (`|prog U=x`).
        // On a failure or deferral with no original, field, defer block or
        // ` : ` after the command, the first word ending in `:` is the ≤ 4.98
        // error separator (`** |/bin/prog: error`), as for a plain address
        // below; with one of those after it, it is part of the command.
        let mut colon = None;
        let mut tail = false;
        while let Some(next) = i.get(end..).and_then(|r| r.strip_prefix(b" ")) {
            if problem && colon.is_none() && i.get(..end).is_some_and(|a| a.ends_with(b":")) {
                colon = Some(end);
            }
            if next.is_empty() || next.starts_with(b"(") {
                break;
            }
            if next.starts_with(b":")
                || original_at(next, problem)
                || tag(next).is_some_and(|(t, _)| {
                    matches!(key(t), tags::F | tags::Q | tags::P | tags::R | tags::T)
                })
                || next.starts_with(b"defer (")
                || next.starts_with(b"routing defer (")
            {
                tail = true;
                break;
            }
            end += 1 + address_end(next);
        }
        if !tail && let Some(c) = colon {
            end = c;
        }
    }
    let (addr, mut rest) = i.split_at(end.min(i.len()));
    d.address = Text::new(addr);
    if problem {
        // `** a@b: Unrouteable address` (≤ 4.98 and retry.c): the colon is the separator.
        if let Some(a) = addr.strip_suffix(b":") {
            d.address = Text::new(a);
            return i.get(a.len()..).unwrap_or_default();
        }
    }
    if let Some(p) = rest.strip_prefix(b" (") {
        // `(p1, p2)` with `+all_parents`: ends at a `)` followed by a space,
        // a `:` or the end.
        let mut pos = 0;
        while let Some(off) = p.get(pos..).and_then(|s| memchr::memchr(b')', s)) {
            let at = pos + off;
            if matches!(p.get(at + 1), None | Some(b' ' | b':')) {
                let (inner, after) = p.split_at(at);
                d.parents = Some(Text::new(inner));
                rest = after.get(1..).unwrap_or_default();
                break;
            }
            pos = at + 1;
        }
    }
    if let Some(o) = rest.strip_prefix(b" <") {
        // The original may hold spaces (`<|/bin/cat\ /etc/aliases>`, quoted
        // local parts): it ends at a `>` followed by a space, the end, or on
        // `**`/`==` the `:` of an old-style separator.
        let mut pos = 0;
        while let Some(off) = o.get(pos..).and_then(|s| memchr::memchr(b'>', s)) {
            let at = pos + off;
            let next = o.get(at + 1).copied();
            if matches!(next, None | Some(b' ')) || (problem && next == Some(b':')) {
                let (orig, after) = o.split_at(at);
                d.original = Some(Text::new(orig));
                rest = after.get(1..).unwrap_or_default();
                break;
            }
            pos = at + 1;
        }
    }
    rest
}

/// Whether `next` (a word of a pipe command, autoreply list or file name) opens
/// the `<original>`: a `<` whose group closes where the original loop of
/// [`address_part`] ends it, with no other `<` inside. A command argument such as
/// `<=` or `<<EOF` is text of the command (`|/bin/prog <= x <orig@d>`): the
/// original is a single top-level address and holds no `<` of its own.
fn original_at(next: &[u8], problem: bool) -> bool {
    let Some(o) = next.strip_prefix(b"<") else {
        return false;
    };
    let mut pos = 0;
    while let Some(off) = o.get(pos..).and_then(|s| memchr::memchr(b'>', s)) {
        let at = pos + off;
        let after = o.get(at + 1).copied();
        if matches!(after, None | Some(b' ')) || (problem && after == Some(b':')) {
            return o.get(..at).is_some_and(|inner| !inner.contains(&b'<'));
        }
        pos = at + 1;
    }
    false
}

/// The end of a final address whose local part needed quotes: Exim logs it
/// unquoted, spaces and all, and then the original quoted (§4.4, §7 "Addresses":
/// `:fail: no such user@d <":fail: no such user"@d>`). The address runs to that
/// original only when it is the original without its quotes (domain case
/// ignored, as Exim compares them), so free text is never taken for it.
fn unquoted_address_end(i: &[u8]) -> Option<usize> {
    // The first ` <"`, found from its `<` (rare, mostly once a line):
    // `memmem::find` built a searcher for each call, 3% of `exim-log
    // ndjson`'s instructions (callgrind).
    let p = memchr::memchr_iter(b'<', i)
        .find(|&at| at > 0 && i.get(at - 1) == Some(&b' ') && i.get(at + 1) == Some(&b'"'))?
        - 1;
    let (addr, rest) = i.split_at(p);
    let orig = rest.get(3..)?;
    let orig = orig.get(..memchr::memchr(b'>', orig)?)?;
    let close = memchr::memrchr(b'"', orig)?;
    let (local, domain) = (orig.get(..close)?, orig.get(close + 1..)?);
    let same = addr.len() == local.len() + domain.len()
        && addr.starts_with(local)
        && addr
            .get(local.len()..)
            .is_some_and(|d| d.eq_ignore_ascii_case(domain));
    same.then_some(p)
}

/// One `TAG=value` of a delivery line; returns the rest of the line.
fn field<'a>(d: &mut Delivery<'a>, flag: Flag, t: &'a [u8], v: &'a [u8]) -> &'a [u8] {
    let k = key(t);
    if matches!(flag, Flag::Failure | Flag::Deferral)
        && matches!(
            k,
            tags::Q
                | tags::R
                | tags::T
                | tags::S
                | tags::X
                | tags::CV
                | tags::PS
                | tags::A
                | tags::F
                | tags::P
        )
    {
        // Exim <= 4.98 glues the error separator to the last field
        // (`R=system_aliases: text`, `T=remote_smtp: text`, `X=cipher: text`;
        // deliver.c `string_append(g, 2, US": ", ...)`), 4.99 writes `" : "`.
        // Driver names cannot hold a `:` (readconf.c ends a driver name at
        // it) and the word-valued tags below never end with one, so a word
        // ending in `:` followed by a space or the end is the separator: the
        // value is parsed without it and the rest starts at the colon.
        let (w, after) = word(v);
        if let Some(value) = w.strip_suffix(b":")
            && !value.is_empty()
            && (after.is_empty() || after.starts_with(b" "))
            && (!matches!(k, tags::F | tags::P)
                || (value.starts_with(b"<") && value.ends_with(b">")))
        {
            let _ = field(d, Flag::Delivery, t, value);
            return v.get(value.len()..).unwrap_or_default();
        }
    }
    let typed: Option<&'a [u8]> = match k {
        tags::F | tags::P if v.starts_with(b"<") => {
            let (a, rest) = angle(v);
            let slot = if t == b"F" {
                &mut d.sender
            } else {
                &mut d.return_path
            };
            *slot = Some(Text::new(a));
            Some(rest)
        }
        tags::Q => Some(text(&mut d.queue, v)),
        tags::R => Some(text(&mut d.router, v)),
        tags::T => Some(text(&mut d.transport, v)),
        tags::S => parsed(&mut d.size, v, number),
        tags::H => host(v).map(|(h, rest)| {
            d.host = Some(h);
            rest
        }),
        tags::PRX => endpoint(v).map(|(e, rest)| {
            d.proxy = Some(e);
            rest
        }),
        tags::I => endpoint(v).map(|(e, rest)| {
            d.interface = Some(e);
            rest
        }),
        tags::PS => Some(text(&mut d.protocol_detail, v)),
        tags::X | tags::CV | tags::DN => tls_field(&mut d.tls, t, v),
        tags::A => {
            let (au, rest) = auth(v);
            d.auth = Some(au);
            Some(rest)
        }
        tags::DKIM => Some(text(&mut d.dkim, v)),
        tags::ST => {
            // `ST=name` or `ST=name (error)` (§4.1).
            let (w, mut rest) = word(v);
            let mut end = w.len();
            if let Some(p) = rest.strip_prefix(b" (")
                && let Some(close) =
                    super::peer::find(p, b") ").or_else(|| p.strip_suffix(b")").map(<[u8]>::len))
            {
                end = w.len() + 2 + close + 1;
                rest = p.get(close + 1..).unwrap_or_default();
            }
            d.shadow_transport = v.get(..end).map(Text::new);
            Some(rest)
        }
        tags::C => v.strip_prefix(b"\"").map(|q| {
            let (inner, rest) = quoted_escaped(q);
            // Cutthrough `>>` skips string_printing (§7), leaving only the
            // `\"`/`\\` layer, which the one-pass `Subject` decoding undoes
            // exactly (every backslash of the response was doubled).
            let escaping = if flag == Flag::Cutthrough {
                Escaping::Subject
            } else {
                Escaping::Confirmation
            };
            d.confirmation = Some(Quoted::new(inner, escaping));
            rest
        }),
        tags::QT => parsed(&mut d.queue_time, v, LogDuration::parse),
        tags::DT => {
            // On `==` the error separator may follow directly: `DT=2s: msg` (§4.2).
            let (w, _) = word(v);
            let w = w.strip_suffix(b":").unwrap_or(w);
            LogDuration::parse(w).map(|t| {
                d.delivery_time = Some(t);
                v.get(w.len()..).unwrap_or_default()
            })
        }
        _ => None,
    };
    typed.unwrap_or_else(|| {
        let (f, rest) = unknown_tag(t, v);
        d.other_fields.push(f);
        rest
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::fields::field_strings;

    #[cfg(feature = "serde")]
    fn json(flag: Flag, line: &str) -> serde_json::Value {
        serde_json::to_value(delivery(flag, line.as_bytes())).unwrap()
    }

    #[test]
    fn address_part_table() {
        // line, recipient, parents, original_recipient, rest key check
        type Case<'s> = (Flag, &'s str, &'s str, Option<&'s str>, Option<&'s str>);
        let cases: &[Case] = &[
            (
                Flag::Delivery,
                "joe <joe@example.com> R=local_user T=mail_spool",
                "joe",
                None,
                Some("joe@example.com"),
            ),
            (
                Flag::Delivery,
                "b@example.com <B@example.com> R=dnslookup T=remote_smtp",
                "b@example.com",
                None,
                Some("B@example.com"),
            ),
            (
                Flag::Delivery,
                "|/usr/bin/procmail -d joe (alias@example.com) <joe@example.com> R=aliases T=address_pipe",
                "|/usr/bin/procmail -d joe",
                Some("alias@example.com"),
                Some("joe@example.com"),
            ),
            // A pipe command's own `<` words are arguments (the original is one
            // address, with no `<` inside).
            (
                Flag::Failure,
                r#"|/usr/bin/filter <= sender@example.org "${if eq{$1}{x}}" <<EOF <system-filter> T=t1 : return message generated"#,
                r#"|/usr/bin/filter <= sender@example.org "${if eq{$1}{x}}" <<EOF"#,
                None,
                Some("system-filter"),
            ),
            (
                Flag::Delivery,
                "|/usr/bin/prog <in <joe@example.com> R=aliases T=address_pipe",
                "|/usr/bin/prog <in",
                None,
                Some("joe@example.com"),
            ),
            (
                Flag::Delivery,
                "/home/joe/mbox (a@example.com, b@example.com) <c@example.com> R=r T=address_file",
                "/home/joe/mbox",
                Some("a@example.com, b@example.com"),
                Some("c@example.com"),
            ),
            (
                Flag::Delivery,
                ">joe@example.com <joe@example.com> R=vacation T=autoreply",
                ">joe@example.com",
                None,
                Some("joe@example.com"),
            ),
            (
                Flag::Delivery,
                ">a@example.com, b@example.com, ... <joe@example.com> R=vacation T=autoreply",
                ">a@example.com, b@example.com, ...",
                None,
                Some("joe@example.com"),
            ),
            (
                Flag::Delivery,
                "save inbox (joe@example.com) <joe@example.com> R=filter T=address_file",
                "save inbox",
                Some("joe@example.com"),
                Some("joe@example.com"),
            ),
            (
                Flag::Delivery,
                "\"joe smith\"@example.com R=r T=t",
                "\"joe smith\"@example.com",
                None,
                None,
            ),
            (
                Flag::Delivery,
                "SRS0=abc=de=example.org=u@example.com R=r T=t",
                "SRS0=abc=de=example.org=u@example.com",
                None,
                None,
            ),
            (
                Flag::Delivery,
                ":blackhole: <joe@example.com> R=blackhole_router",
                ":blackhole:",
                None,
                Some("joe@example.com"),
            ),
            (
                Flag::Delivery,
                "discarded <joe@example.com> R=filter",
                "discarded",
                None,
                Some("joe@example.com"),
            ),
            (
                Flag::Delivery,
                "blackhole (DATA ACL discarded recipients): spam",
                "blackhole",
                Some("DATA ACL discarded recipients"),
                None,
            ),
            (
                Flag::Failure,
                r"|/bin/cat /etc/motd <|/bin/cat\ /etc/motd> R=r1 T=pipe : Child process of pipe transport returned 127",
                "|/bin/cat /etc/motd",
                None,
                Some(r"|/bin/cat\ /etc/motd"),
            ),
            (
                Flag::Failure,
                "joe@example.com: Unrouteable address",
                "joe@example.com",
                None,
                None,
            ),
            (
                Flag::Failure,
                "a@example.com <b@example.com>: retry timeout exceeded",
                "a@example.com",
                None,
                Some("b@example.com"),
            ),
        ];
        for (flag, line, addr, parents, orig) in cases {
            let d = delivery(*flag, line.as_bytes());
            assert_eq!(d.address, *addr, "{line}");
            assert_eq!(
                d.parents.map(|t| t.to_string()).as_deref(),
                *parents,
                "{line}"
            );
            assert_eq!(
                d.original.map(|t| t.to_string()).as_deref(),
                *orig,
                "{line}"
            );
        }
    }

    #[test]
    fn remote_delivery_every_field() {
        let line = concat!(
            "joe@example.com <Joe@example.com> F=<sender@example.org> Q=slow P=<bounce@example.org> ",
            "R=dnslookup T=remote_smtp S=2048 H=mx.example.com DS [192.0.2.25]:25* ",
            "PRX=[203.0.113.5]:1080 I=[198.51.100.2]:40000 TFO PS=se ",
            "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=dane DN=\"CN=mx.example.com\" ",
            "A=login:joe L* PRDR K DKIM=example.org:sel1 ",
            "C=\"250-ok\\\\n250 2.0.0 OK \\\"id\\\" queued as 1sAoM5-00000009r3p-06vq\" QT=2m3s DT=0.304s"
        );
        let d = delivery(Flag::Delivery, line.as_bytes());
        assert_eq!(d.address, "joe@example.com");
        assert_eq!(d.original.unwrap(), "Joe@example.com");
        assert_eq!(d.sender.unwrap(), "sender@example.org");
        assert_eq!(d.queue.unwrap(), "slow");
        assert_eq!(d.return_path.unwrap(), "bounce@example.org");
        assert_eq!(d.router.unwrap(), "dnslookup");
        assert_eq!(d.transport.unwrap(), "remote_smtp");
        assert_eq!(d.size, Some(2048));
        let h = d.host.unwrap();
        assert_eq!(h.name.unwrap(), "mx.example.com");
        assert_eq!(h.ip.unwrap(), "192.0.2.25");
        assert_eq!(h.port, Some(25));
        assert!(h.dnssec && h.connection_reused);
        let p = d.proxy.unwrap();
        assert_eq!((p.ip, p.port), (Text::from("203.0.113.5"), Some(1080)));
        let i = d.interface.unwrap();
        assert_eq!((i.ip, i.port), (Text::from("198.51.100.2"), Some(40000)));
        assert_eq!(d.tcp_fast_open.unwrap(), "TFO");
        assert_eq!(d.protocol_detail.unwrap(), "se");
        let tls = d.tls.unwrap();
        assert_eq!(tls.cipher.unwrap(), "TLS1.3:TLS_AES_256_GCM_SHA384:256");
        assert_eq!(tls.certificate_verified.unwrap(), "dane");
        assert_eq!(tls.peer_dn.unwrap().to_string_lossy(), "CN=mx.example.com");
        let au = d.auth.unwrap();
        assert_eq!(
            (au.authenticator, au.id),
            (Text::from("login"), Some(Text::from("joe")))
        );
        assert_eq!(d.pipelining.unwrap(), "L*");
        assert!(d.prdr && d.chunking);
        assert_eq!(d.dkim.unwrap(), "example.org:sel1");
        assert_eq!(
            d.confirmation.unwrap().to_string_lossy(),
            "250-ok\n250 2.0.0 OK \"id\" queued as 1sAoM5-00000009r3p-06vq"
        );
        assert_eq!(d.queue_time.unwrap().as_millis(), 123_000);
        assert_eq!(d.delivery_time.unwrap().as_millis(), 304);
        assert!(d.other_fields.is_empty(), "{:?}", d.other_fields);
        assert_eq!(d.other_fields.capacity(), 0);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn field_table() {
        // flag, line, key, expected JSON value (shapes of spec §4).
        use serde_json::json;
        let cases: &[(Flag, &str, &str, serde_json::Value)] = &[
            (
                Flag::Delivery,
                "joe <joe@example.com> R=local_user T=appendfile S=512 ST=shadow",
                "shadow_transport",
                json!("shadow"),
            ),
            (
                Flag::Delivery,
                "joe <joe@example.com> R=local_user T=appendfile ST=shadow (quota exceeded) QT=1s",
                "shadow_transport",
                json!("shadow (quota exceeded)"),
            ),
            (
                Flag::Delivery,
                "joe <joe@example.com> R=local_user T=appendfile ST=shadow (quota exceeded) QT=1s",
                "queue_time",
                json!(1),
            ),
            (
                Flag::Cutthrough,
                "u@example.com P=<s@example.org> R=all T=smtp H=mx.example.com [192.0.2.1] C=\"250 OK\"",
                "return_path",
                json!("s@example.org"),
            ),
            (
                Flag::Delivery,
                "u@example.com F=<> R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.1] C=\"250 OK\"",
                "sender",
                json!(""),
            ),
            (
                // The response held a literal backslash: only one layer to undo.
                Flag::Cutthrough,
                r#"u@example.com R=all T=smtp H=mx.example.com [192.0.2.1] C="250 a\\nb \"q\"""#,
                "confirmation",
                json!(r#"250 a\nb "q""#),
            ),
            (
                Flag::Delivery,
                r#"u@example.com R=all T=smtp H=mx.example.com [192.0.2.1] C="250-a\\n250 b""#,
                "confirmation",
                json!("250-a\n250 b"),
            ),
            (
                Flag::Suppressed,
                "a@example.com P=<a@example.org> R=r1 T=t1 H=10.0.0.1 [10.0.0.1] C=\"delivery bypassed by -N option\"",
                "confirmation",
                json!("delivery bypassed by -N option"),
            ),
            (
                Flag::Additional,
                "b@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.1]* L C=\"250 OK\"",
                "host",
                json!({"name": "mx.example.com", "ip": "192.0.2.1", "connection_reused": true}),
            ),
            (
                Flag::Delivery,
                "a@example.com R=r T=t H=mx.example.com [192.0.2.1] C=\"250 ok\" QT=1d2h",
                "queue_time",
                json!(93600),
            ),
            (
                Flag::Delivery,
                "a@example.com R=r T=t H=mx.example.com [192.0.2.1] C=\"550 \\\"x\\\"\" DT=3s",
                "delivery_time",
                json!(3),
            ),
            (
                Flag::Delivery,
                "blackhole (RCPT ACL discarded recipients): blocked",
                "message",
                json!("blocked"),
            ),
            (
                Flag::Delivery,
                "joe <joe@example.com> R=r T=t NEW=1",
                "other_fields",
                json!([{"tag": "NEW", "value": "1"}]),
            ),
        ];
        for (flag, line, key, want) in cases {
            let j = json(*flag, line);
            assert_eq!(j.get(*key), Some(want), "{line}: {j}");
        }
    }

    #[test]
    fn deferrals() {
        // line, routing, errno, error, host ip
        type Case<'s> = (&'s str, bool, Option<i32>, Option<&'s str>, Option<&'s str>);
        let cases: &[Case] = &[
            (
                "u@example.com routing defer (-52): retry time not reached",
                true,
                Some(-52),
                Some("retry time not reached"),
                None,
            ),
            (
                "u@example.com R=dnslookup T=remote_smtp defer (111): Connection refused",
                false,
                Some(111),
                Some("Connection refused"),
                None,
            ),
            (
                "u@example.com R=dnslookup T=remote_smtp defer (-37) H=mx.example.com [192.0.2.1]: TLS session: (SSL_connect): error",
                false,
                Some(-37),
                Some("TLS session: (SSL_connect): error"),
                Some("192.0.2.1"),
            ),
            (
                "u@example.com R=dnslookup T=remote_smtp defer (-44) H=mx.example.com [192.0.2.1]:25: SMTP error from remote mail server after RCPT TO:<u@example.com>: 451 4.7.1 Greylisted",
                false,
                Some(-44),
                Some(
                    "SMTP error from remote mail server after RCPT TO:<u@example.com>: 451 4.7.1 Greylisted",
                ),
                Some("192.0.2.1"),
            ),
            (
                "u@example.com R=dnslookup T=remote_smtp defer (110): Connection timed out H=mx.example.com [192.0.2.1]: SMTP timeout after RCPT TO:<u@example.com>",
                false,
                Some(110),
                Some(
                    "Connection timed out H=mx.example.com [192.0.2.1]: SMTP timeout after RCPT TO:<u@example.com>",
                ),
                None,
            ),
            (
                "a1-u@example.com <u@example.com> R=defer defer (-1): forced defer",
                false,
                Some(-1),
                Some("forced defer"),
                None,
            ),
            (
                "u@example.com defer (-23): domain is held",
                false,
                Some(-23),
                Some("domain is held"),
                None,
            ),
            (
                "u@example.com R=r T=t defer (0): SMTP delivery explicitly queued",
                false,
                Some(0),
                Some("SMTP delivery explicitly queued"),
                None,
            ),
            (
                "u@example.com R=r T=t defer (-44) H=mx.example.com [192.0.2.1] DT=2s: SMTP error",
                false,
                Some(-44),
                Some("SMTP error"),
                Some("192.0.2.1"),
            ),
        ];
        for (line, routing, errno, error, ip) in cases {
            let d = delivery(Flag::Deferral, line.as_bytes());
            assert_eq!(d.routing, *routing, "{line}");
            assert_eq!(d.errno, *errno, "{line}");
            assert_eq!(d.error.map(|t| t.to_string()).as_deref(), *error, "{line}");
            assert_eq!(
                d.host.and_then(|h| h.ip).map(|t| t.to_string()).as_deref(),
                *ip,
                "{line}"
            );
            assert!(d.other_fields.is_empty(), "{line}: {:?}", d.other_fields);
        }
        let d = delivery(
            Flag::Deferral,
            b"u@example.com R=r T=t defer (dd): Connection refused",
        );
        // A non-numeric errno (the test suite writes `(dd)`) stays in other_fields under
        // the line's own word, so every field borrows the line.
        assert_eq!(field_strings(&d.other_fields), ["defer=dd"]);
    }

    #[test]
    fn failures() {
        // line, router, transport, error, delivery_time
        type Case<'s> = (
            &'s str,
            Option<&'s str>,
            Option<&'s str>,
            Option<&'s str>,
            Option<i64>,
        );
        let cases: &[Case] = &[
            (
                "u@example.com : Unrouteable address",
                None,
                None,
                Some("Unrouteable address"),
                None,
            ),
            (
                "u@example.com: Unrouteable address",
                None,
                None,
                Some("Unrouteable address"),
                None,
            ),
            (
                "u@example.com <p@example.com>: retry timeout exceeded",
                None,
                None,
                Some("retry timeout exceeded"),
                None,
            ),
            (
                "u@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.1] : SMTP error from remote mail server after RCPT TO:<u@example.com>: 550 5.1.1 No such user",
                Some("dnslookup"),
                Some("remote_smtp"),
                Some(
                    "SMTP error from remote mail server after RCPT TO:<u@example.com>: 550 5.1.1 No such user",
                ),
                None,
            ),
            (
                "u@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<u@example.com>: 550 No",
                Some("dnslookup"),
                Some("remote_smtp"),
                Some("SMTP error from remote mail server after RCPT TO:<u@example.com>: 550 No"),
                None,
            ),
            (
                "u@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.1]* : SMTP error from remote mail server after end of data: 550 spam DT=1.5s",
                Some("dnslookup"),
                Some("remote_smtp"),
                Some("SMTP error from remote mail server after end of data: 550 spam"),
                Some(1500),
            ),
            (
                "u@example.com routing yielded a local delivery",
                None,
                None,
                Some("routing yielded a local delivery"),
                None,
            ),
            (
                "u@example.com R=r T=t SMTP error without a separator",
                Some("r"),
                Some("t"),
                Some("SMTP error without a separator"),
                None,
            ),
            (
                "u@example.com mua_wrapper forced failure for deferred delivery",
                None,
                None,
                Some("mua_wrapper forced failure for deferred delivery"),
                None,
            ),
            (
                "|/usr/bin/prog (a@example.com) <b@example.com> R=aliases T=address_pipe : return message generated",
                Some("aliases"),
                Some("address_pipe"),
                Some("return message generated"),
                None,
            ),
        ];
        for (line, router, transport, error, dt) in cases {
            let d = delivery(Flag::Failure, line.as_bytes());
            assert_eq!(
                d.router.map(|t| t.to_string()).as_deref(),
                *router,
                "{line}"
            );
            assert_eq!(
                d.transport.map(|t| t.to_string()).as_deref(),
                *transport,
                "{line}"
            );
            assert_eq!(d.error.map(|t| t.to_string()).as_deref(), *error, "{line}");
            assert_eq!(d.delivery_time.map(|t| t.as_millis()), *dt, "{line}");
            assert!(d.other_fields.is_empty(), "{line}: {:?}", d.other_fields);
        }
    }

    /// Exim <= 4.98 (`deliver.c failure_log`/`deferral_log`: `US": "`) glues the
    /// separator to the last field; 4.99 writes `US" : "`. Every field before
    /// the error must come out the same in both layouts.
    #[test]
    fn error_separator_both_layouts() {
        // flag, fields (without separator), error, then the expected
        // router, transport, host ip, port, cipher, certificate_verified, peer_dn
        type Case<'s> = (
            Flag,
            &'s str,
            &'s str,
            (
                Option<&'s str>,
                Option<&'s str>,
                Option<&'s str>,
                Option<u16>,
                Option<&'s str>,
                Option<&'s str>,
                Option<&'s str>,
            ),
        );
        let none = (None, None, None, None, None, None, None);
        let cases: &[Case] = &[
            (
                Flag::Failure,
                "gone@example.test R=system_aliases",
                "This user has left the company",
                (Some("system_aliases"), None, None, None, None, None, None),
            ),
            (
                Flag::Failure,
                "bounce@example.test R=r0",
                "bounced (:fail:)",
                (Some("r0"), None, None, None, None, None, None),
            ),
            (
                Flag::Failure,
                "u@example.test F=<s@example.org> Q=slow P=<s@example.org> R=dnslookup T=remote_smtp",
                "SMTP error from remote mail server after RCPT TO:<u@example.test>: 550 5.1.1 unknown",
                (
                    Some("dnslookup"),
                    Some("remote_smtp"),
                    None,
                    None,
                    None,
                    None,
                    None,
                ),
            ),
            (
                Flag::Failure,
                "u@example.test R=dnslookup T=remote_smtp H=mx.example.test [192.0.2.7]",
                "SMTP error from remote mail server after RCPT TO:<u@example.test>: 550 no",
                (
                    Some("dnslookup"),
                    Some("remote_smtp"),
                    Some("192.0.2.7"),
                    None,
                    None,
                    None,
                    None,
                ),
            ),
            (
                Flag::Failure,
                "u@example.test R=dnslookup T=remote_smtp H=mx.example.test [2001:db8::7]:587",
                "SMTP error from remote mail server after MAIL FROM:<> SIZE=1: 550 no",
                (
                    Some("dnslookup"),
                    Some("remote_smtp"),
                    Some("2001:db8::7"),
                    Some(587),
                    None,
                    None,
                    None,
                ),
            ),
            (
                Flag::Failure,
                "u@example.test R=dnslookup T=remote_smtp H=mx.example.test [192.0.2.7] X=TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256",
                "SMTP error from remote mail server after end of data: 550 spam",
                (
                    Some("dnslookup"),
                    Some("remote_smtp"),
                    Some("192.0.2.7"),
                    None,
                    Some("TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256"),
                    None,
                    None,
                ),
            ),
            (
                Flag::Failure,
                "u@example.test R=dnslookup T=remote_smtp H=mx.example.test [192.0.2.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256* CV=yes",
                "SMTP error from remote mail server after end of data: 550 spam",
                (
                    Some("dnslookup"),
                    Some("remote_smtp"),
                    Some("192.0.2.7"),
                    None,
                    Some("TLS1.3:TLS_AES_256_GCM_SHA384:256"),
                    Some("yes"),
                    None,
                ),
            ),
            (
                Flag::Failure,
                "u@example.test R=dnslookup T=remote_smtp H=mx.example.test [192.0.2.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no DN=\"CN=mx.example.test\"",
                "SMTP error from remote mail server after RCPT TO:<u@example.test>: 550 no",
                (
                    Some("dnslookup"),
                    Some("remote_smtp"),
                    Some("192.0.2.7"),
                    None,
                    Some("TLS1.3:TLS_AES_256_GCM_SHA384:256"),
                    Some("no"),
                    Some("CN=mx.example.test"),
                ),
            ),
            (
                Flag::Failure,
                "|/usr/bin/prog <p@example.test> R=aliases T=address_pipe",
                "Child process of address_pipe transport returned 69 (could mean service or program unavailable) from command: /usr/bin/prog",
                (
                    Some("aliases"),
                    Some("address_pipe"),
                    None,
                    None,
                    None,
                    None,
                    None,
                ),
            ),
            (
                Flag::Failure,
                "u@example.test <U@example.test>",
                "Unrouteable address",
                none,
            ),
            (
                Flag::Deferral,
                "u@example.test R=dnslookup T=remote_smtp defer (-44) H=mx.example.test [192.0.2.7]",
                "SMTP error from remote mail server after RCPT TO:<u@example.test>: 451 later",
                (
                    Some("dnslookup"),
                    Some("remote_smtp"),
                    Some("192.0.2.7"),
                    None,
                    None,
                    None,
                    None,
                ),
            ),
            (
                Flag::Deferral,
                "u@example.test R=hold defer (-1)",
                "held by the router",
                (Some("hold"), None, None, None, None, None, None),
            ),
        ];
        for (flag, fields, error, want) in cases {
            for sep in [": ", " : "] {
                let line = format!("{fields}{sep}{error}");
                let d = delivery(*flag, line.as_bytes());
                let tls = d.tls.as_ref();
                let got = (
                    d.router.map(|t| t.to_string()),
                    d.transport.map(|t| t.to_string()),
                    d.host.and_then(|h| h.ip).map(|t| t.to_string()),
                    d.host.and_then(|h| h.port),
                    tls.and_then(|t| t.cipher).map(|t| t.to_string()),
                    tls.and_then(|t| t.certificate_verified)
                        .map(|t| t.to_string()),
                    tls.and_then(|t| t.peer_dn).map(|t| t.to_string_lossy()),
                );
                let want = (
                    want.0.map(str::to_owned),
                    want.1.map(str::to_owned),
                    want.2.map(str::to_owned),
                    want.3,
                    want.4.map(str::to_owned),
                    want.5.map(str::to_owned),
                    want.6.map(str::to_owned),
                );
                assert_eq!(got, want, "{line}");
                assert_eq!(
                    d.error.map(|t| t.to_string()).as_deref(),
                    Some(*error),
                    "{line}"
                );
                assert!(d.other_fields.is_empty(), "{line}: {:?}", d.other_fields);
            }
        }
        // A success line carries no separator: its fields are untouched.
        let d = delivery(
            Flag::Delivery,
            b"u@example.test R=dnslookup T=remote_smtp H=mx.example.test [192.0.2.7] C=\"250 OK\"",
        );
        assert_eq!(d.router.unwrap(), "dnslookup");
        assert_eq!(d.transport.unwrap(), "remote_smtp");
        assert_eq!(d.host.unwrap().ip.unwrap(), "192.0.2.7");
        assert!(d.error.is_none() && d.message.is_none());
        // A bare separator with no text after it ends the line.
        let d = delivery(Flag::Failure, b"u@example.test R=r0:");
        assert_eq!(d.router.unwrap(), "r0");
    }

    #[test]
    fn separator_glued_to_sender_and_return_path() {
        // Exim 4.96 (lab, +sender_on_delivery +return_path_on_delivery):
        // `** u@d F=<s@d>: Unrouteable address`, the separator after `>`.
        for (fields, sender, return_path) in [
            (
                "u@example.test F=<s@example.org>",
                Some("s@example.org"),
                None,
            ),
            ("u@example.test F=<>", Some(""), None),
            (
                "u@example.test F=<s@example.org> P=<r@example.org>",
                Some("s@example.org"),
                Some("r@example.org"),
            ),
        ] {
            for flag in [Flag::Failure, Flag::Deferral] {
                let line = format!("{fields}: Unrouteable address");
                let d = delivery(flag, line.as_bytes());
                assert_eq!(
                    d.sender.map(|t| t.to_string()),
                    sender.map(String::from),
                    "{line}"
                );
                assert_eq!(
                    d.return_path.map(|t| t.to_string()),
                    return_path.map(String::from),
                    "{line}"
                );
                assert_eq!(d.error.unwrap(), "Unrouteable address", "{line}");
                assert!(d.other_fields.is_empty(), "{line}");
            }
        }
    }

    /// Only `**`/`==` glue the error separator to a field: on `=>` a value
    /// ending in `:` is the value. deliver.c writes `A=<authenticator>:<id>`
    /// and, with +smtp_mailauth, `:<auth_sndr>`, which is empty after an
    /// `AUTH=<>`: `A=plain:joe:`, then the next field.
    #[test]
    fn a_delivery_value_ending_in_a_colon_is_no_separator() {
        let line = b"joe@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.25] A=plain:joe: C=\"250 OK\"";
        let d = delivery(Flag::Delivery, line);
        assert_eq!(d.confirmation.unwrap().to_string_lossy(), "250 OK");
        assert_eq!(d.auth.unwrap().authenticator, "plain");
        assert!(d.message.is_none() && d.error.is_none());
        assert!(d.other_fields.is_empty(), "{:?}", d.other_fields);
    }

    #[test]
    fn redacted_lines_without_an_address() {
        // Shapes from the spam-hunting notes the project starts from.
        let d = delivery(
            Flag::Delivery,
            b"R=lookuphost T=remote_smtp [] X=TLSv1:AES256-SHA:256",
        );
        assert_eq!(d.address, "");
        assert_eq!(d.router.unwrap(), "lookuphost");
        assert_eq!(d.transport.unwrap(), "remote_smtp");
        assert_eq!(d.message.unwrap(), "[]");
        assert_eq!(d.tls.unwrap().cipher.unwrap(), "TLSv1:AES256-SHA:256");
        let d = delivery(Flag::Delivery, b"blackhole *this is a blackhole message* ");
        assert_eq!(d.message.unwrap(), "*this is a blackhole message*");
        // receive.c writes local_scan_data whole and nothing after it: what
        // looks like a tag there is the text local_scan() set.
        let d = delivery(Flag::Delivery, b"blackhole *hello WORLD again* R=r");
        assert_eq!(d.address, "blackhole");
        assert_eq!(d.message.unwrap(), "*hello WORLD again* R=r");
        assert!(d.other_fields.is_empty());
        assert!(d.router.is_none());
        let d = delivery(Flag::Delivery, b"blackhole (spam score 9) kept: no");
        assert_eq!(d.message.unwrap(), "(spam score 9) kept: no");
        assert!(d.parents.is_none());
        // The ACL shapes keep their reason in `parents`.
        let d = delivery(Flag::Delivery, b"blackhole (MIME ACL discarded recipients)");
        assert_eq!(d.parents.unwrap(), "MIME ACL discarded recipients");
        assert!(d.message.is_none());
        // Only `=>` lines are receive.c's discard.
        let d = delivery(Flag::Failure, b"blackhole R=r: gone");
        assert_eq!(d.router.unwrap(), "r");
    }

    #[test]
    fn flag_specific_blocks() {
        // `routing defer (N)` and `defer (N)` are the deferral_log block (§4.2,
        // deliver.c): only `==` lines carry them, and `routing` only right
        // before `defer (`. On a `**` line the words are error text and the
        // line has no errno (failure_log prints strerror, never the number).
        let d = delivery(Flag::Failure, b"u@example.com R=r defer (111): refused");
        assert_eq!(d.errno, None);
        assert_eq!(d.error.unwrap(), "defer (111): refused");
        let d = delivery(Flag::Failure, b"u@example.com routing defer (-52): retry");
        assert!(!d.routing);
        assert_eq!(d.errno, None);
        assert_eq!(d.error.unwrap(), "routing defer (-52): retry");
        // A `==` line cut before its defer block: `routing` alone is not the flag.
        let d = delivery(Flag::Deferral, b"u@example.com R=r routing");
        assert!(!d.routing);
        assert_eq!(d.router.unwrap(), "r");
        let d = delivery(Flag::Delivery, b"u@example.com R=r T=t routing defer (1)");
        assert!(!d.routing);
        assert_eq!(d.errno, None);
    }

    #[test]
    fn parents_hold_a_parenthesis() {
        // The parents end at a `)` followed by a space, a `:` or the end; an
        // inner `)` is part of them.
        let d = delivery(Flag::Delivery, b"a@d (p)x@d, q@d) <o@d> R=r T=t");
        assert_eq!(d.parents.unwrap(), "p)x@d, q@d");
        assert_eq!(d.original.unwrap(), "o@d");
        assert_eq!(d.transport.unwrap(), "t");
    }

    #[test]
    fn sender_without_angles_is_not_a_sender() {
        // `F=<address>` and `P=<address>` are always in angle brackets
        // (§4.1); a bare word there is kept as an unknown field, not read as
        // an address.
        let d = delivery(Flag::Delivery, b"a@example.org F=nobody R=r T=t");
        assert!(d.sender.is_none());
        assert_eq!(d.router.unwrap(), "r");
        assert_eq!(d.other_fields.len(), 1);
        let d = delivery(Flag::Delivery, b"a@example.org P=nobody R=r T=t");
        assert!(d.return_path.is_none());
        assert_eq!(d.transport.unwrap(), "t");
    }

    #[test]
    fn glued_separator_needs_a_whole_sender() {
        // ≤ 4.98 glues `: error` to the last field (§4.3); an `F=<...>` is
        // cut there only when the word is the whole `<address>`. A quoted
        // local part holding `: ` is not a separator.
        let d = delivery(
            Flag::Failure,
            b"a@example.org F=<\"x: y\"@example.org> R=r T=t: mailbox full",
        );
        assert_eq!(d.sender.unwrap(), "\"x: y\"@example.org");
        assert_eq!(d.router.unwrap(), "r");
        assert_eq!(d.transport.unwrap(), "t");
        assert_eq!(d.error.unwrap(), "mailbox full");
        let d = delivery(Flag::Failure, b"a@example.org F=<s@example.org>: gone");
        assert_eq!(d.sender.unwrap(), "s@example.org");
        assert_eq!(d.error.unwrap(), "gone");
    }

    #[test]
    fn unquoted_address_needs_its_own_quoted_original() {
        // `x y@d <"x y"@d>`: the address runs to the original only when the
        // original spells it with quotes (§7); a quoted original of the same
        // length and domain but another local part is not it, and the address
        // ends at its first space.
        let d = delivery(
            Flag::Delivery,
            b"an yone@example.org <\"an yone\"@Example.ORG> R=r T=t",
        );
        assert_eq!(d.address, "an yone@example.org");
        assert_eq!(d.original.unwrap(), "\"an yone\"@Example.ORG");
        let d = delivery(
            Flag::Delivery,
            b"no body@example.org <\"an yone\"@example.org> R=r T=t",
        );
        assert_eq!(d.address, "no");
    }

    #[test]
    fn originals_hold_an_angle_bracket() {
        // The original ends at a `>` followed by a space or the end (§4.1); a
        // quoted local part may hold `>` and `>:` (RFC 5321 allows any
        // printable character in quotes). Only `**`/`==` end it at `>:`, the
        // ≤ 4.98 glued separator.
        let d = delivery(
            Flag::Delivery,
            b"\"x>y\"@example.org <\"x>y\"@example.org> R=r T=t",
        );
        assert_eq!(d.original.unwrap(), "\"x>y\"@example.org");
        assert_eq!(d.router.unwrap(), "r");
        let d = delivery(
            Flag::Delivery,
            b"\"a>:b\"@example.org <\"a>:b\"@example.org> R=r T=t",
        );
        assert_eq!(d.original.unwrap(), "\"a>:b\"@example.org");
        assert_eq!(d.transport.unwrap(), "t");
        let d = delivery(Flag::Failure, b"a@example.org <b@example.org>: gone");
        assert_eq!(d.original.unwrap(), "b@example.org");
        assert_eq!(d.error.unwrap(), "gone");
    }

    #[test]
    fn pipe_address_before_an_old_separator() {
        // ≤ 4.98 glues the error separator to the address: `** addr: error`.
        let d = delivery(Flag::Failure, b"|/bin/prog: discarded by RCPT ACL");
        assert_eq!(d.address, "|/bin/prog");
        assert_eq!(d.error.unwrap(), "discarded by RCPT ACL");
        let d = delivery(Flag::Deferral, b"|/bin/prog -x: retry time not reached");
        assert_eq!(d.address, "|/bin/prog -x");
        let d = delivery(Flag::Failure, b"|/bin/prog: <on: (x H=y");
        assert_eq!(d.address, "|/bin/prog");
        assert_eq!(d.error.unwrap(), "<on: (x H=y");
        let d = delivery(Flag::Failure, b"|/bin/prog a: b : error");
        assert_eq!(d.address, "|/bin/prog a: b");
        assert_eq!(d.error.unwrap(), "error");
        // With an original or fields after it, a colon is part of the command
        // (4.99 writes ` : ` before the error).
        let d = delivery(
            Flag::Failure,
            b"|/bin/prog args: x $1 <u@example.org> R=r0 T=t1 : return message generated",
        );
        assert_eq!(d.address, "|/bin/prog args: x $1");
        assert_eq!(d.original.unwrap(), "u@example.org");
        assert_eq!(d.transport.unwrap(), "t1");
        assert_eq!(d.error.unwrap(), "return message generated");
        // On a delivery a colon is part of the command.
        let d = delivery(Flag::Delivery, b"|/bin/prog -x: y R=r T=t");
        assert_eq!(d.address, "|/bin/prog -x: y");
    }

    #[test]
    fn pipe_arguments_that_look_like_tags() {
        // The first field after an address is F=, Q=, P=, R= or T= (deliver.c):
        // another `X=` word is an argument of the command.
        let d = delivery(
            Flag::Deferral,
            b"|/bin/prog U=x -q <u@example.org> R=r0 T=t0 defer (0): Tainted",
        );
        assert_eq!(d.address, "|/bin/prog U=x -q");
        assert_eq!(d.original.unwrap(), "u@example.org");
        assert_eq!(d.router.unwrap(), "r0");
        assert_eq!(d.transport.unwrap(), "t0");
        assert_eq!(d.errno, Some(0));
        for (tag, line) in [
            ("F", &b"|/bin/prog -x F=<s@example.org> R=r T=t"[..]),
            ("Q", b"|/bin/prog -x Q=q1 R=r T=t"),
            ("P", b"|/bin/prog -x P=<s@example.org> R=r T=t"),
            ("R", b"|/bin/prog -x R=r T=t"),
            ("T", b"|/bin/prog -x T=t"),
        ] {
            let d = delivery(Flag::Delivery, line);
            assert_eq!(d.address, "|/bin/prog -x", "{tag}");
            assert_eq!(d.transport.unwrap(), "t", "{tag}");
        }
    }

    #[test]
    fn pipe_address_ends_at_the_defer_block() {
        // §4.2 `== ADDRESS-PART [R=] [T=] [routing] defer (errno): error`: a pipe
        // command's words run up to the block even without tags before it.
        for (line, routing, errno) in [
            (
                &b"|/usr/bin/prog -x defer (-1): retry time not reached"[..],
                false,
                -1,
            ),
            (
                b"|/usr/bin/prog -x routing defer (-52): retry time not reached",
                true,
                -52,
            ),
            (
                b">a@example.com, b@example.com routing defer (-52): retry time not reached",
                true,
                -52,
            ),
        ] {
            let d = delivery(Flag::Deferral, line);
            let want = if line.starts_with(b"|") {
                "|/usr/bin/prog -x"
            } else {
                ">a@example.com, b@example.com"
            };
            assert_eq!(d.address, want, "{line:?}");
            assert_eq!(d.routing, routing, "{line:?}");
            assert_eq!(d.errno, Some(errno), "{line:?}");
            assert_eq!(d.error.unwrap(), "retry time not reached", "{line:?}");
        }
    }

    #[test]
    fn where_a_pipe_command_original_starts() {
        // The original is one top-level address: a `<...>` group with no other
        // `<`, closed by a `>` before a space, the end or (on `**`/`==`, ≤ 4.98)
        // the `:` of the error separator; a `>` inside it does not close it.
        assert!(original_at(b"<u@example.com> R=r", false));
        assert!(original_at(b"<u@example.com>", false));
        assert!(original_at(
            b"<u@example.com>: retry timeout exceeded",
            true
        ));
        assert!(!original_at(
            b"<u@example.com>: retry timeout exceeded",
            false
        ));
        assert!(original_at(b"<a>b@example.com> R=r", false));
        assert!(!original_at(b"<a>b<c> R=r", true));
        assert!(!original_at(b"<in <u@example.com> R=r", false));
        assert!(!original_at(b"<u@example.com", false));
        assert!(!original_at(b"u@example.com>", false));
    }

    #[test]
    fn empty_error_after_a_separator() {
        // failure_log appends `" : "` and the message (deliver.c); an empty
        // message leaves a bare separator, which loses its space when the
        // line is trimmed, and ≤ 4.98 glues `": "` to the last field. Either
        // way the error is empty and the fields keep their values.
        for line in [
            &b"u@example.com R=r T=t : "[..],
            b"u@example.com R=r T=t :",
            b"u@example.com R=r T=t:",
        ] {
            let d = delivery(Flag::Failure, line);
            assert_eq!(d.address, "u@example.com", "{line:?}");
            assert_eq!(d.router.unwrap(), "r", "{line:?}");
            assert_eq!(d.transport.unwrap(), "t", "{line:?}");
            assert!(
                d.error.is_none_or(|e| e.is_empty()),
                "{line:?}: {:?}",
                d.error
            );
            assert!(d.other_fields.is_empty(), "{line:?}");
        }
    }

    #[test]
    fn fields_start_after_a_space() {
        // Every field is appended with its leading space (`" R="`, deliver.c
        // delivery_log): text glued to the end of a value is not a field.
        let d = delivery(Flag::Deferral, b"u@example.com defer (111)R=r T=t");
        assert_eq!(d.errno, Some(111));
        assert_eq!(d.router, None);
        assert_eq!(d.transport, None);
        assert_eq!(d.error.unwrap(), "R=r T=t");
        // An upper-case bare word between fields is a field (`K`, `PRDR`,
        // `DS` are such words; a newer Exim may add others), not free text
        // and not part of the error.
        let d = delivery(Flag::Delivery, b"u@example.com R=r NEWWORD T=t");
        assert_eq!(d.message, None);
        assert_eq!(field_strings(&d.other_fields), ["NEWWORD"]);
        assert_eq!(d.transport.unwrap(), "t");
        let d = delivery(Flag::Failure, b"u@example.com R=r NEWWORD T=t : gone");
        assert_eq!(d.error.unwrap(), "gone");
        assert_eq!(field_strings(&d.other_fields), ["NEWWORD"]);
        // A success line's first free text is its message; text after a
        // separator does not replace it (nothing of the line is lost).
        let d = delivery(Flag::Delivery, b"u@example.com note R=r : more");
        assert_eq!(d.message.unwrap(), "note");
        assert_eq!(d.router.unwrap(), "r");
        assert_eq!(field_strings(&d.other_fields), ["more"]);
        let d = delivery(Flag::Delivery, b"u@example.com R=r : more");
        assert_eq!(d.message.unwrap(), "more");
        assert!(d.other_fields.is_empty());
    }

    #[test]
    fn malformed_lines_do_not_panic() {
        for flag in [Flag::Delivery, Flag::Failure, Flag::Deferral] {
            for line in [
                &b""[..],
                b":",
                b" ",
                b"a (",
                b"a (b",
                b"a <b",
                b"a: ",
                b"| x y",
                b"a defer (",
                b"a defer ()",
                b"a routing defer (x",
                b"a C=\"\\",
                b"a ST=x (y",
                b"a H=",
                b"\xff R=\xfe",
                // A `<` or ` <"` where the line starts: no original before it.
                b"<a@b> R=r",
                b"<\"a b\"@c>: x",
                b" <\"a\"@b>",
            ] {
                // The address is where the line starts (or empty), never more.
                let d = delivery(flag, line);
                assert!(line.starts_with(d.address.as_bytes()), "{line:?}");
            }
        }
    }
}
