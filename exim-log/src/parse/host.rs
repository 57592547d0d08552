//! `H=` values (spec §3.1, §4.1; `host.c host_build_sender_fullhost`,
//! `deliver.c d_hostlog`):
//!
//! * arrivals and rejects: `[name ][(helo) ]"["ip"]"[:port]`
//! * deliveries: `name[ DS] "["ip"]"[:port][*]`
//!
//! The HELO is chosen by the client and may hold spaces, brackets and
//! parentheses; the spec says only the final bracketed address is reliable. So
//! the HELO ends at the first `) [` that is followed by a well-formed address.

use crate::host::{Endpoint, Host};
use crate::text::Text;

/// Bytes allowed inside `[...]`: IPv4, IPv6 (with `%scope`), and the test
/// suite's placeholders such as `ip4.ip4.ip4.ip4` (letters, digits and dots).
fn is_ip_byte(b: u8) -> bool {
    IP_BYTES.get(usize::from(b)).copied().unwrap_or(false)
}

/// [`is_ip_byte`] as a table: one load per byte on the hot path.
// Evaluated at compile time: an out-of-range index fails the build, never a run.
#[allow(clippy::indexing_slicing)]
static IP_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0u8;
    loop {
        t[b as usize] = b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'%' | b'_');
        if b == u8::MAX {
            break;
        }
        b += 1;
    }
    t
};

/// `[ip][:port][*]` at the start of `i`, which must then end or continue with a
/// space. Returns the ip, the port, the `*` and the rest.
fn bracketed(i: &[u8]) -> Option<(Text<'_>, Option<u16>, bool, &[u8])> {
    let inner = i.strip_prefix(b"[")?;
    let close = inner.iter().position(|b| !is_ip_byte(*b))?;
    if close == 0 || inner.get(close) != Some(&b']') {
        return None;
    }
    let (ip, rest) = inner.split_at(close);
    let mut rest = rest.get(1..).unwrap_or_default();
    let mut port = None;
    if let Some(p) = rest.strip_prefix(b":") {
        // The test suite writes `PORT_D` for ports, so any token is accepted here;
        // only a decimal number becomes `port`. A `:` followed by a space is not
        // a port but the error separator of `==`/`**` lines (§4.2, §4.3).
        let n = p
            .iter()
            .take_while(|b| !matches!(b, b' ' | b'*' | b':'))
            .count();
        if n > 0 {
            let (digits, r) = p.split_at(n);
            port = super::fields::number(digits);
            rest = r;
        }
    }
    let star = rest.first() == Some(&b'*');
    if star {
        rest = rest.get(1..).unwrap_or_default();
    }
    match rest {
        [] | [b' ', ..] | [b':'] | [b':', b' ', ..] => Some((Text::new(ip), port, star, rest)),
        _ => None,
    }
}

/// `[ip][:port]` (no `*`) at the start of `i`, followed by a space or the end:
/// the address and the rest.
pub(crate) fn bracketed_ip(i: &[u8]) -> Option<(Text<'_>, &[u8])> {
    match bracketed(i)? {
        (ip, _, false, rest) if rest.is_empty() || rest.starts_with(b" ") => Some((ip, rest)),
        _ => None,
    }
}

/// Parses an `H=` value (the text after `H=`). Returns the host and the rest of
/// the line after it (starting at the space that ends it, or empty).
pub(crate) fn host(i: &[u8]) -> Option<(Host<'_>, &[u8])> {
    let mut h = Host::default();
    let mut rest = i;
    if !matches!(rest.first(), Some(b'(' | b'[')) {
        let end = crate::scan::find(b' ', rest).unwrap_or(rest.len());
        let (name, r) = rest.split_at(end);
        if name.is_empty() {
            return None;
        }
        h.name = Some(Text::new(name));
        rest = r;
        let after = rest.strip_prefix(b" ").unwrap_or(rest);
        let after = match after.strip_prefix(b"DS ") {
            Some(a) if matches!(a.first(), Some(b'[')) => {
                h.dnssec = true;
                a
            }
            _ => after,
        };
        if !matches!(after.first(), Some(b'(' | b'[')) {
            // A bare name (e.g. a delivery host without an address).
            return Some((h, rest));
        }
        rest = after;
    }
    if rest.first() == Some(&b'(') {
        // memchr per `)` rather than a memmem finder: building a finder per
        // line cost more than the whole rest of the H= parse (measured).
        let mut found = None;
        let mut from = 1;
        while let Some(off) = rest.get(from..).and_then(|r| memchr::memchr(b')', r)) {
            let pos = from + off;
            if let Some(b) = rest
                .get(pos + 1..)
                .and_then(|r| r.strip_prefix(b" "))
                .and_then(bracketed)
            {
                found = Some((pos, b));
                break;
            }
            from = pos + 1;
        }
        match found {
            Some((pos, b)) => {
                h.helo = rest.get(1..pos).map(Text::new);
                return Some(finish(h, b));
            }
            None => {
                // `(helo)` with no address after it: keep what is there.
                let inner = rest.get(1..).unwrap_or_default();
                let (helo, after) = match memchr::memchr(b')', inner) {
                    Some(p) => (inner.get(..p), inner.get(p + 1..)),
                    None => (Some(inner), None),
                };
                h.helo = helo.map(Text::new);
                return Some((h, after.unwrap_or_default()));
            }
        }
    }
    match bracketed(rest) {
        Some(b) => Some(finish(h, b)),
        None if h.name.is_some() => Some((
            h,
            i.get(h.name.map_or(0, |n| n.len())..).unwrap_or_default(),
        )),
        None => None,
    }
}

fn finish<'a>(
    mut h: Host<'a>,
    (ip, port, star, rest): (Text<'a>, Option<u16>, bool, &'a [u8]),
) -> (Host<'a>, &'a [u8]) {
    h.ip = Some(ip);
    h.port = port;
    h.connection_reused = star;
    (h, rest)
}

/// A whole `sender_fullhost` (`[name ][(helo) ]"["ip"]"[:port]`, or a bare
/// `sender_host_address`) that is known to end where `i` ends, read from the
/// right: the address Exim appends last is found first, so no HELO text the
/// client chose (which may hold `) [`, spaces and brackets) can stand in for
/// it. `None` when `i` does not end with an address.
pub(crate) fn fullhost_from_right(i: &[u8]) -> Option<Host<'_>> {
    let mut h = Host::default();
    // The last `[` that starts a well-formed `[ip][:port]` running to the end.
    let mut upto = i.len();
    let open = loop {
        let p = memchr::memrchr(b'[', i.get(..upto)?)?;
        if matches!(i.get(p.wrapping_sub(1)), None | Some(b' '))
            && let Some((ip, port, false, [])) = i.get(p..).and_then(bracketed)
        {
            h.ip = Some(ip);
            h.port = port;
            break p;
        }
        upto = p;
    };
    if open == 0 {
        return Some(h);
    }
    let before = i.get(..open - 1)?;
    let (name, helo) = match before.strip_suffix(b")") {
        Some(b) => match b.first() {
            // `(helo)` alone: the HELO is everything inside.
            Some(b'(') => (None, b.get(1..)),
            // `name (helo)`: host names from the DNS hold no space.
            _ => {
                let sp = memchr::memchr(b' ', b)?;
                (b.get(..sp), b.get(sp + 1..)?.strip_prefix(b"("))
            }
        },
        None => (Some(before), None),
    };
    h.name = name.filter(|n| !n.is_empty()).map(Text::new);
    h.helo = helo.map(Text::new);
    Some(h)
}

/// `[ip]:port` or `ip` (the `I=` and `PRX=` values), up to the next space.
pub(crate) fn endpoint(i: &[u8]) -> Option<(Endpoint<'_>, &[u8])> {
    if i.first() == Some(&b'[') {
        let (ip, port, _, rest) = bracketed(i)?;
        return Some((Endpoint { ip, port }, rest));
    }
    let end = crate::scan::find(b' ', i).unwrap_or(i.len());
    let (ip, rest) = i.split_at(end);
    if ip.is_empty() || !ip.iter().all(|b| is_ip_byte(*b)) {
        return None;
    }
    Some((
        Endpoint {
            ip: Text::new(ip),
            port: None,
        },
        rest,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{opt_string, text_string};

    type Want<'s> = (
        Option<&'s str>,
        Option<&'s str>,
        Option<&'s str>,
        Option<u16>,
        bool,
        bool,
        &'s str,
    );

    #[test]
    fn host_table() {
        // input, (name, helo, ip, port, dnssec, reused, rest)
        let cases: &[(&str, Want)] = &[
            (
                "mailer.fict.example [192.168.123.123] U=exim",
                (
                    Some("mailer.fict.example"),
                    None,
                    Some("192.168.123.123"),
                    None,
                    false,
                    false,
                    " U=exim",
                ),
            ),
            (
                "localhost (helo.example.net) [127.0.0.1] P=esmtps",
                (
                    Some("localhost"),
                    Some("helo.example.net"),
                    Some("127.0.0.1"),
                    None,
                    false,
                    false,
                    " P=esmtps",
                ),
            ),
            (
                "(rhu.barb) [127.0.0.1]:10001 I=[127.0.0.1]:25",
                (
                    None,
                    Some("rhu.barb"),
                    Some("127.0.0.1"),
                    Some(10001),
                    false,
                    false,
                    " I=[127.0.0.1]:25",
                ),
            ),
            (
                "([10.0.0.1]) [10.0.0.1]",
                (
                    None,
                    Some("[10.0.0.1]"),
                    Some("10.0.0.1"),
                    None,
                    false,
                    false,
                    "",
                ),
            ),
            (
                "[2001:db8::1]:587 P=esmtpa",
                (
                    None,
                    None,
                    Some("2001:db8::1"),
                    Some(587),
                    false,
                    false,
                    " P=esmtpa",
                ),
            ),
            (
                "(evil ) [1.1.1.1] x) [10.0.0.2] F=<a@b>",
                (
                    None,
                    Some("evil "),
                    Some("1.1.1.1"),
                    None,
                    false,
                    false,
                    " x) [10.0.0.2] F=<a@b>",
                ),
            ),
            (
                "(a (b) [c) [10.0.0.2] F=<>",
                (
                    None,
                    Some("a (b) [c"),
                    Some("10.0.0.2"),
                    None,
                    false,
                    false,
                    " F=<>",
                ),
            ),
            (
                "l-sec.test.ex DS [127.0.0.1] C=\"250\"",
                (
                    Some("l-sec.test.ex"),
                    None,
                    Some("127.0.0.1"),
                    None,
                    true,
                    false,
                    " C=\"250\"",
                ),
            ),
            (
                "127.0.0.1 [127.0.0.1]* L C=\"250 OK\"",
                (
                    Some("127.0.0.1"),
                    None,
                    Some("127.0.0.1"),
                    None,
                    false,
                    true,
                    " L C=\"250 OK\"",
                ),
            ),
            (
                "127.0.0.1 [127.0.0.1]:1224*",
                (
                    Some("127.0.0.1"),
                    None,
                    Some("127.0.0.1"),
                    Some(1224),
                    false,
                    true,
                    "",
                ),
            ),
            (
                "(tester) [127.0.0.1]:PORT_D x",
                (
                    None,
                    Some("tester"),
                    Some("127.0.0.1"),
                    None,
                    false,
                    false,
                    " x",
                ),
            ),
            (
                "mx.example Connection refused",
                (
                    Some("mx.example"),
                    None,
                    None,
                    None,
                    false,
                    false,
                    " Connection refused",
                ),
            ),
            (
                "(unclosed [1.2.3.4",
                (
                    None,
                    Some("unclosed [1.2.3.4"),
                    None,
                    None,
                    false,
                    false,
                    "",
                ),
            ),
            ("(x) y", (None, Some("x"), None, None, false, false, " y")),
            (
                "mx.example.com [192.0.2.1]: SMTP error",
                (
                    Some("mx.example.com"),
                    None,
                    Some("192.0.2.1"),
                    None,
                    false,
                    false,
                    ": SMTP error",
                ),
            ),
            (
                "mx.example.com [192.0.2.1]:25: TLS session",
                (
                    Some("mx.example.com"),
                    None,
                    Some("192.0.2.1"),
                    Some(25),
                    false,
                    false,
                    ": TLS session",
                ),
            ),
        ];
        for (input, want) in cases {
            let (h, rest) = host(input.as_bytes()).unwrap_or_else(|| panic!("{input}"));
            let got = (
                text_string(h.name),
                text_string(h.helo),
                text_string(h.ip),
                h.port,
                h.dnssec,
                h.connection_reused,
                String::from_utf8_lossy(rest).into_owned(),
            );
            let want = (
                opt_string(want.0),
                opt_string(want.1),
                opt_string(want.2),
                want.3,
                want.4,
                want.5,
                want.6.to_string(),
            );
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn host_rejects_empty_and_garbage() {
        assert!(host(b"").is_none());
        assert!(host(b" [1.2.3.4]").is_none());
        assert!(host(b"[1.2.3.4]x").is_none());
    }

    /// host.c host_build_sender_fullhost (spec §3.1): `name [ip]`,
    /// `name (helo) [ip]`, `(helo) [ip]`, `[ip]`, each with an optional
    /// `:port`, read from the right; the HELO is the client's text.
    #[test]
    fn fullhost_from_right_table() {
        // input, (name, helo, ip, port)
        type Want<'s> = (Option<&'s str>, Option<&'s str>, &'s str, Option<u16>);
        let cases: &[(&str, Want)] = &[
            (
                "mail.example.com [192.0.2.1]",
                (Some("mail.example.com"), None, "192.0.2.1", None),
            ),
            (
                "mail.example.com (helo.example) [192.0.2.1]:4000",
                (
                    Some("mail.example.com"),
                    Some("helo.example"),
                    "192.0.2.1",
                    Some(4000),
                ),
            ),
            (
                "mx.example (pc [10.0.0.1] x) [192.0.2.1]",
                (
                    Some("mx.example"),
                    Some("pc [10.0.0.1] x"),
                    "192.0.2.1",
                    None,
                ),
            ),
            (
                "(my pc) [2001:db8::1]:25",
                (None, Some("my pc"), "2001:db8::1", Some(25)),
            ),
            ("(pc) [192.0.2.1]", (None, Some("pc"), "192.0.2.1", None)),
            ("[192.0.2.1]", (None, None, "192.0.2.1", None)),
        ];
        for (input, want) in cases {
            let h = fullhost_from_right(input.as_bytes()).unwrap_or_else(|| panic!("{input}"));
            let got = (
                text_string(h.name),
                text_string(h.helo),
                text_string(h.ip),
                h.port,
            );
            let want = (
                opt_string(want.0),
                opt_string(want.1),
                opt_string(Some(want.2)),
                want.3,
            );
            assert_eq!(got, want, "{input}");
        }
        // No address at the end, an address run into the text before it, a
        // delivery's `*`: not a sender_fullhost.
        for input in [
            "mail.example.com",
            "[192.0.2.1] x",
            "pc[192.0.2.1]",
            "mail.example.com [192.0.2.1]*",
            "",
        ] {
            assert!(fullhost_from_right(input.as_bytes()).is_none(), "{input}");
        }
    }

    /// `[ip]` holds an address only: an empty or unclosed bracket is none,
    /// and ` DS` marks DNSSEC only where deliver.c d_hostlog writes it,
    /// between the name and ` [ip]`.
    #[test]
    fn brackets_must_close_on_an_address() {
        for input in ["[]", "[192.0.2.1)", "[192.0.2.1) x", "[192.0.2.1"] {
            assert!(host(input.as_bytes()).is_none(), "{input}");
        }
        let (h, rest) = host(b"mx.example DS x").unwrap();
        assert_eq!(
            (h.name.unwrap(), h.dnssec),
            (Text::from("mx.example"), false)
        );
        assert_eq!(rest, b" DS x");
        // A name before a bracket that holds no address: the name is kept
        // and the text goes on at the bracket.
        let (h, rest) = host(b"mx.example [no address] x").unwrap();
        assert_eq!((h.name.unwrap(), h.ip), (Text::from("mx.example"), None));
        assert_eq!(rest, b" [no address] x");
        assert_eq!(
            bracketed_ip(b"[192.0.2.1]:25 x"),
            Some((Text::from("192.0.2.1"), &b" x"[..]))
        );
        for input in [
            "[192.0.2.1]: x",
            "[192.0.2.1]:",
            "[192.0.2.1]*",
            "[192.0.2.1]x",
        ] {
            assert!(bracketed_ip(input.as_bytes()).is_none(), "{input}");
        }
    }

    #[test]
    fn endpoints() {
        let (e, rest) = endpoint(b"[127.0.0.1]:25 P=x").unwrap();
        assert_eq!(
            (e.ip, e.port, rest),
            (Text::from("127.0.0.1"), Some(25), &b" P=x"[..])
        );
        let (e, _) = endpoint(b"10.1.2.3 S=1").unwrap();
        assert_eq!((e.ip, e.port), (Text::from("10.1.2.3"), None));
        assert!(endpoint(b"[x y]").is_none());
        // `PRX=<ip>` on arrivals has no brackets (spec §5): anything else is
        // not an address.
        for input in ["", " S=1", "proxy/1 S=1", "(x)"] {
            assert!(endpoint(input.as_bytes()).is_none(), "{input}");
        }
    }
}
