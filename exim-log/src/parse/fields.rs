//! The token layer of message lines: `TAG=value` items, bare tokens, raw
//! addresses and quoted values (spec §5, §7, §12.8-9).
//!
//! Tags are recognised by their `TAG=` prefix, never by position (§12.8). How far
//! a value reaches depends on its syntax, so each helper here returns the value
//! and the rest of the line, which starts at the space (or `:`) after the value,
//! or is empty. Every helper is a single forward scan with `memchr`.

use memchr::{memchr, memchr2};

use crate::event::Field;
use crate::scan;
use crate::text::Text;

/// Splits at the first space: `(word, rest)`, `rest` starting at that space.
pub(crate) fn word(i: &[u8]) -> (&[u8], &[u8]) {
    let end = crate::scan::find(b' ', i).unwrap_or(i.len());
    i.split_at(end)
}

/// Where a raw address ends: the first space outside double quotes. Addresses
/// are logged raw, and a quoted local part may hold spaces and `\"` (§7 "Other
/// fields", RFC 5321 quoted-string). A quote that is never closed does not
/// swallow the rest of the line: the address then ends at the first space after it.
///
/// Only a word of the local part can be quoted (Exim's parse.c
/// `read_local_part`: a word starts the local part or follows a `.`; an atom
/// holds `\x` pairs and ends at a `"`; the domain after the `@` is never
/// quoted). So a `"` opens a quoted string only before any `@` and at the start
/// of the token, after `<` or `>` (`F=<"a b"@d>`, an autoreply `>"a b"@d`) or
/// after a `.`; elsewhere (`a@example.org\" F=<..>`) it is a plain byte.
pub(crate) fn address_end(i: &[u8]) -> usize {
    let mut pos = 0;
    // Whether an unquoted `@` has been seen: the domain holds no quotes.
    let mut domain = false;
    while let Some(off) = i.get(pos..).and_then(|s| crate::scan::find2(b' ', b'"', s)) {
        let at = pos + off;
        if i.get(at) == Some(&b' ') {
            return at;
        }
        domain = domain || memchr(b'@', i.get(pos..at).unwrap_or_default()).is_some();
        let word_start = match at.checked_sub(1).and_then(|p| i.get(p)) {
            None => true,
            Some(c) => matches!(c, b'.' | b'<' | b'>'),
        };
        pos = at + 1;
        if domain || !word_start {
            continue;
        }
        // Inside quotes: skip `\x` pairs up to the closing quote.
        loop {
            match i.get(pos..).and_then(|s| memchr2(b'\\', b'"', s)) {
                Some(o) if i.get(pos + o) == Some(&b'\\') => pos += o + 2,
                Some(o) => {
                    pos += o + 1;
                    break;
                }
                None => {
                    let after = i.get(at..).unwrap_or_default();
                    return memchr(b' ', after).map_or(i.len(), |p| at + p);
                }
            }
        }
    }
    i.len()
}

/// A raw address (see [`address_end`]): `(address, rest)`.
pub(crate) fn address(i: &[u8]) -> (&[u8], &[u8]) {
    i.split_at(address_end(i).min(i.len()))
}

/// `<addr>` (`F=<..>`, `P=<..>`, ` from <..>`): the address without its angle
/// brackets, and the rest. Without the brackets the raw token is returned.
pub(crate) fn angle(i: &[u8]) -> (&[u8], &[u8]) {
    let (tok, rest) = address(i);
    let inner = tok
        .strip_prefix(b"<")
        .and_then(|t| t.strip_suffix(b">"))
        .unwrap_or(tok);
    (inner, rest)
}

/// A value that may hold spaces but no field: it runs to the first space that
/// is followed by another field (`U=spaced user P=local`: a local login name
/// is logged raw).
pub(crate) fn words_until_field(i: &[u8]) -> (&[u8], &[u8]) {
    let mut end = word(i).0.len();
    while let Some(next) = i.get(end..).and_then(|r| r.strip_prefix(b" ")) {
        if next.is_empty() || starts_field(next) {
            break;
        }
        end += 1 + word(next).0.len();
    }
    i.split_at(end.min(i.len()))
}

/// A tag packed into an integer, so that a `match` on tags is one jump instead
/// of a chain of slice comparisons (measured: the tag `match` was the largest
/// cost of the field loop). Tags longer than 8 bytes map to 0, which no known
/// tag has; tags never hold NUL, so the packing is unique.
pub(crate) const fn key(t: &[u8]) -> u64 {
    if t.len() > 8 {
        return 0;
    }
    let mut k = 0u64;
    let mut rest = t;
    while let [b, r @ ..] = rest {
        // `+`, the same as `|` here (the low byte is free after the shift),
        // where an `|` turned `^` would give the same key and no test could see it.
        k = (k << 8) + *b as u64;
        rest = r;
    }
    k
}

/// The known tags of spec §5, as [`key`]s.
pub(crate) mod tags {
    use super::key;
    pub const A: u64 = key(b"A");
    pub const C: u64 = key(b"C");
    pub const CI: u64 = key(b"Ci");
    pub const CV: u64 = key(b"CV");
    pub const DKIM: u64 = key(b"DKIM");
    pub const DMARC: u64 = key(b"DMARC");
    pub const DN: u64 = key(b"DN");
    pub const DT: u64 = key(b"DT");
    pub const F: u64 = key(b"F");
    pub const H: u64 = key(b"H");
    pub const I: u64 = key(b"I");
    pub const ID: u64 = key(b"id");
    pub const ID_CREATED: u64 = key(b"id*");
    pub const M8S: u64 = key(b"M8S");
    pub const P: u64 = key(b"P");
    pub const PRX: u64 = key(b"PRX");
    pub const PS: u64 = key(b"PS");
    pub const Q: u64 = key(b"Q");
    pub const QT: u64 = key(b"QT");
    pub const R: u64 = key(b"R");
    pub const RT: u64 = key(b"RT");
    pub const S: u64 = key(b"S");
    pub const SNI: u64 = key(b"SNI");
    pub const SPF: u64 = key(b"SPF");
    pub const ST: u64 = key(b"ST");
    pub const T: u64 = key(b"T");
    pub const U: u64 = key(b"U");
    pub const X: u64 = key(b"X");
}

/// True when a line has no address where one belongs: its first token is a
/// `TAG=value` without `@` (`<= U=nobody P=local ...`, as in redacted logs).
/// Real addresses with `=` (`SRS0=...@domain`) keep their domain.
pub(crate) fn missing_address(i: &[u8]) -> bool {
    // `tag` looks at a few bytes only; the address is scanned only when it
    // starts like a tag, which is rare.
    tag(i).is_some() && memchr(b'@', address(i).0).is_none()
}

/// `TAG=` at the start of `i`: the tag (`id*` keeps its star) and the text after
/// `=`. Tags are ASCII letters, digits and `_`, starting with a letter, with an
/// optional trailing `*` (`id*=`).
pub(crate) fn tag(i: &[u8]) -> Option<(&[u8], &[u8])> {
    if !i.first()?.is_ascii_alphabetic() {
        return None;
    }
    if let Some((t, [b'=', v @ ..])) = i.split_at_checked(1) {
        // Most tags are one letter (`H=`, `P=`, `S=`, `R=`, `T=` ...).
        return Some((t, v));
    }
    // Tags are short: the first 8 bytes are classified at once (SWAR), and
    // only a longer word is walked byte by byte (measured: the byte loop was
    // most of the cost of this function, called for every token).
    let n = match scan::word_at(i, 0) {
        Some(x) => {
            // The bytes that are neither alphanumeric nor `_`: written with
            // `&` of the complements, not as the complement of `alnum | _`
            // (the same mask), where an `|` turned `^` gave the same mask
            // (the sets are disjoint) and no test could see it.
            let not_tag = !scan::alnum(x) & !scan::in_range(x, b'_', b'_') & scan::HIGH;
            match not_tag {
                0 => 8 + i.get(8..)?.iter().position(|b| !is_tag_byte(*b))?,
                m => (m.trailing_zeros() / 8) as usize,
            }
        }
        None => i.iter().position(|b| !is_tag_byte(*b))?,
    };
    let n = if i.get(n) == Some(&b'*') { n + 1 } else { n };
    if i.get(n) != Some(&b'=') {
        return None;
    }
    let (t, v) = i.split_at(n);
    Some((t, v.get(1..).unwrap_or_default()))
}

fn is_tag_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A bare token Exim writes without `=` (§12.9): `DS`, `K`, `L` variants,
/// `PRDR`, `TFO`/`TFO*`, `SPF`, `DMARC`, `ARC`, or one that looks like a future
/// one (upper case, short). Anything else after the fields is free text.
pub(crate) fn is_bare_token(w: &[u8]) -> bool {
    match w.first() {
        Some(b'A'..=b'Z') => {
            w.len() <= 8
                && w.iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"*-.".contains(b))
        }
        _ => false,
    }
}

/// True when `rest` (the text after a token) ends the fields: the end, an
/// error separator, or a space and another field. An unknown upper-case token
/// is a bare field only then; otherwise it starts free text (`SMTP error ...`).
pub(crate) fn ends_token(rest: &[u8]) -> bool {
    match rest {
        [] | [b':', ..] | [b' ', b':', ..] => true,
        [b' ', next @ ..] => starts_field(next),
        _ => false,
    }
}

/// `L`, `L-`, `L.`, `L*`, `L.-` ... (`+pipelining`, §5).
pub(crate) fn is_pipelining(w: &[u8]) -> bool {
    w.strip_prefix(b"L")
        .is_some_and(|r| r.iter().all(|b| b"-.*".contains(b)))
}

/// True when `i` starts like another field: `TAG=`, a bare token followed by a
/// space or the end, or the ` from <` / ` for ` tails. Used to find where a
/// value that may contain anything (`DN="..."`, `(parents)`) ends.
pub(crate) fn starts_field(i: &[u8]) -> bool {
    if tag(i).is_some() || i.starts_with(b"for ") || i.starts_with(b"from <") {
        return true;
    }
    let (w, _) = word(i);
    is_bare_token(w)
}

/// The inside of `"..."` escaped with `\"` and `\\` (`T=`, `C=`; §7), `i` being
/// the text after the opening quote. The value ends at the first unescaped `"`
/// followed by a space or the end. If there is none (a value cut by Exim's
/// buffer limits), it ends at a final `"`, or at the end of the line.
pub(crate) fn quoted_escaped(i: &[u8]) -> (&[u8], &[u8]) {
    let mut pos = 0;
    while let Some(off) = i.get(pos..).and_then(|s| memchr2(b'\\', b'"', s)) {
        let at = pos + off;
        if i.get(at) == Some(&b'\\') {
            pos = at + 2;
            continue;
        }
        if matches!(i.get(at + 1), None | Some(b' ')) {
            return close_at(i, at);
        }
        pos = at + 1;
    }
    unterminated(i)
}

/// The inside of `"..."` where an inner `"` is not escaped (`DN=`, §7): the
/// value ends at the `"` followed by the end, by a space and another field, or
/// by an error separator `: `.
pub(crate) fn quoted_printing(i: &[u8]) -> (&[u8], &[u8]) {
    let mut pos = 0;
    while let Some(off) = i.get(pos..).and_then(|s| memchr(b'"', s)) {
        let at = pos + off;
        match i.get(at + 1..) {
            None | Some([]) => return close_at(i, at),
            Some([b' ', after @ ..]) if starts_field(after) => return close_at(i, at),
            // The error separator right after the value: `DN="...": text`
            // (<= 4.98) or `DN="..." : text` (4.99; deliver.c failure_log).
            Some([b':'] | [b':', b' ', ..] | [b' ', b':'] | [b' ', b':', b' ', ..]) => {
                return close_at(i, at);
            }
            _ => pos = at + 1,
        }
    }
    unterminated(i)
}

fn close_at(i: &[u8], at: usize) -> (&[u8], &[u8]) {
    let (inner, rest) = i.split_at(at.min(i.len()));
    (inner, rest.get(1..).unwrap_or_default())
}

fn unterminated(i: &[u8]) -> (&[u8], &[u8]) {
    match i.strip_suffix(b"\"") {
        Some(inner) => (inner, &[]),
        None => (i, &[]),
    }
}

/// The value of a tag this library has no field for (or whose value did not
/// parse): a `"..."` or `<...>` value as logged, quotes included, or a word.
pub(crate) fn generic_value(v: &[u8]) -> (&[u8], &[u8]) {
    match v.first() {
        Some(b'"') => {
            let (inner, _) = quoted_escaped(v.get(1..).unwrap_or_default());
            // Opening quote + inner + the closing quote when there was one.
            let end = (inner.len() + 2).min(v.len());
            v.split_at(end)
        }
        Some(b'<') => address(v),
        _ => word(v),
    }
}

/// An unknown `TAG=value` item, kept as logged: `(field, rest)`.
pub(crate) fn unknown_tag<'a>(t: &'a [u8], v: &'a [u8]) -> (Field<'a>, &'a [u8]) {
    let (value, rest) = generic_value(v);
    (
        Field {
            tag: Text::new(t),
            value: Some(Text::new(value)),
        },
        rest,
    )
}

/// A bare token kept as an unknown field.
pub(crate) fn bare_field(w: &[u8]) -> Field<'_> {
    Field {
        tag: Text::new(w),
        value: None,
    }
}

/// A decimal number that fits `T` (digits only, no sign).
pub(crate) fn number<T: TryFrom<u64>>(v: &[u8]) -> Option<T> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for b in v {
        if !b.is_ascii_digit() {
            return None;
        }
        // At most 19 digits: fits u64.
        n = n * 10 + u64::from(b - b'0');
    }
    T::try_from(n).ok()
}

/// Test helper: unknown fields as `tag=value` (or the bare word), to compare
/// against tables.
#[cfg(test)]
pub(crate) fn field_strings(fields: &[crate::event::Field<'_>]) -> Vec<String> {
    fields
        .iter()
        .map(|crate::event::Field { tag, value }| match value {
            Some(v) => format!("{tag}={v}"),
            None => tag.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    #[test]
    fn tag_keys_pack_up_to_eight_bytes() {
        // Up to 8 bytes a tag packs uniquely (big-endian bytes); longer is 0.
        assert_eq!(key(b"R"), 0x52);
        assert_eq!(key(b"CV"), 0x4356);
        assert_eq!(key(b"ABCDEFGH"), 0x4142_4344_4546_4748);
        assert_ne!(key(b"ABCDEFGH"), key(b"ABCDEFGG"));
        assert_eq!(key(b"ABCDEFGHI"), 0);
        assert_eq!(key(b""), 0);
    }

    #[test]
    fn addresses_keep_quoted_spaces() {
        // input, address, rest
        let cases = [
            ("a@example.com R=x", "a@example.com", " R=x"),
            (
                "\"name with spaces\"@example.com P=local",
                "\"name with spaces\"@example.com",
                " P=local",
            ),
            (
                "<> R=1sAoM5-00000009r3p-06vq",
                "<>",
                " R=1sAoM5-00000009r3p-06vq",
            ),
            (
                "\"a\\\"b\"@example.com U=a\"b",
                "\"a\\\"b\"@example.com",
                " U=a\"b",
            ),
            ("\"a\\\\\" b@c", "\"a\\\\\"", " b@c"),
            ("\"unterminated x", "\"unterminated", " x"),
            ("a\"b c", "a\"b", " c"),
            // A quote after the `@` or inside an atom opens nothing (parse.c).
            (
                "a@example.org\\\" F=<s@example.org> C=\"250 OK\"",
                "a@example.org\\\"",
                " F=<s@example.org> C=\"250 OK\"",
            ),
            ("a@b\"c d\" R=r", "a@b\"c", " d\" R=r"),
            ("a@b.\"c d\" R=r", "a@b.\"c", " d\" R=r"),
            // `\"` inside quotes neither closes them nor hides the next byte.
            ("\"a\\\" b\"@d R=r", "\"a\\\" b\"@d", " R=r"),
            ("\"a\\\\\" b@d R=r", "\"a\\\\\"", " b@d R=r"),
            // The closing quote does not open another one, even after a `.`.
            ("\"a b.\"@d C=\"x y\"", "\"a b.\"@d", " C=\"x y\""),
            ("x\"a b\"@d R=r", "x\"a", " b\"@d R=r"),
            ("\"a@b\".\"c d\"@e R=r", "\"a@b\".\"c d\"@e", " R=r"),
            ("<\"a b\"@d> R=r", "<\"a b\"@d>", " R=r"),
            (">\"a b\"@d, c@d", ">\"a b\"@d,", " c@d"),
            ("", "", ""),
        ];
        for (input, a, rest) in cases {
            let (got, r) = address(input.as_bytes());
            assert_eq!((s(got), s(r)), (a, rest), "{input}");
        }
    }

    #[test]
    fn values_up_to_the_next_field() {
        let cases = [
            ("spaced user P=local S=1", "spaced user", " P=local S=1"),
            ("joe P=local", "joe", " P=local"),
            ("joe for a@b", "joe", " for a@b"),
            ("a b c", "a b c", ""),
            ("joe ", "joe", " "),
        ];
        for (input, v, rest) in cases {
            let (got, r) = words_until_field(input.as_bytes());
            assert_eq!((s(got), s(r)), (v, rest), "{input}");
        }
    }

    #[test]
    fn missing_addresses() {
        for (i, missing) in [
            ("U=nobody P=local", true),
            ("R=lookuphost T=remote_smtp", true),
            ("SRS0=ab=cd=example.org=u@example.com R=r", false),
            ("joe R=r", false),
            ("<> R=x", false),
            ("", false),
        ] {
            assert_eq!(missing_address(i.as_bytes()), missing, "{i}");
        }
    }

    #[test]
    fn angle_values() {
        let cases = [
            ("<a@b.example> R=r", "a@b.example", " R=r"),
            ("<> R=r", "", " R=r"),
            ("<\"x y\"@b.example>", "\"x y\"@b.example", ""),
            ("bare R=r", "bare", " R=r"),
        ];
        for (input, a, rest) in cases {
            let (got, r) = angle(input.as_bytes());
            assert_eq!((s(got), s(r)), (a, rest), "{input}");
        }
    }

    #[test]
    fn tags() {
        let cases: [(&str, Option<(&str, &str)>); 8] = [
            ("R=r1 T=t1", Some(("R", "r1 T=t1"))),
            ("id*=x@y", Some(("id*", "x@y"))),
            ("M8S=8", Some(("M8S", "8"))),
            ("DS H=x", None),
            ("=x", None),
            ("1=x", None),
            ("SMTP error", None),
            ("a b=c", None),
        ];
        for (input, want) in cases {
            let got = tag(input.as_bytes()).map(|(t, v)| (s(t), s(v)));
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn tag_agrees_with_the_byte_by_byte_definition() {
        // The definition: a letter, then letters, digits and `_`, an optional
        // `*`, then `=`. Every byte value at every position of tags shorter
        // and longer than one 8-byte word.
        fn reference(i: &[u8]) -> Option<(&[u8], &[u8])> {
            if !i.first()?.is_ascii_alphabetic() {
                return None;
            }
            let mut n = 0;
            while i
                .get(n)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
            {
                n += 1;
            }
            if i.get(n) == Some(&b'*') {
                n += 1;
            }
            (i.get(n) == Some(&b'=')).then(|| (&i[..n], &i[n + 1..]))
        }
        for base in ["Ab_3=v", "Abcdefg_ijk=v w", "id*=x", "ABCDEFGH", "Ab="] {
            for k in 0..base.len() {
                for b in 0..=255u8 {
                    let mut v = base.as_bytes().to_vec();
                    v[k] = b;
                    assert_eq!(tag(&v), reference(&v), "{base} [{k}] = {b:#x}");
                }
            }
        }
    }

    #[test]
    fn bare_tokens() {
        for w in [
            "DS", "K", "L", "L*", "L.-", "PRDR", "TFO*", "SPF", "DMARC", "ARC",
        ] {
            assert!(is_bare_token(w.as_bytes()), "{w}");
        }
        for w in ["routing", "retry", "Connection", "", "VERYLONGWORD"] {
            assert!(!is_bare_token(w.as_bytes()), "{w}");
        }
        for (rest, ends) in [
            ("", true),
            (" R=x", true),
            (" : err", true),
            (": err", true),
            (" K", true),
            (" error from remote", false),
            ("x", false),
        ] {
            assert_eq!(ends_token(rest.as_bytes()), ends, "{rest:?}");
        }
        assert!(is_pipelining(b"L.-"));
        assert!(!is_pipelining(b"LMTP"));
    }

    #[test]
    fn escaped_quotes_find_the_real_end() {
        // after the opening quote: inner, rest
        let cases = [
            (
                r#"250 OK id=1sAoM5-00000009r3p-06vq" QT=1s"#,
                r#"250 OK id=1sAoM5-00000009r3p-06vq"#,
                " QT=1s",
            ),
            (r#"550 \"no\" thanks""#, r#"550 \"no\" thanks"#, ""),
            (r#"ends with \\" DT=2s"#, r#"ends with \\"#, " DT=2s"),
            (r#"a "quoted"word" x"#, r#"a "quoted"word"#, " x"),
            (r#"cut at buffer \""#, r#"cut at buffer \"#, ""),
            ("no end", "no end", ""),
        ];
        for (input, inner, rest) in cases {
            let (got, r) = quoted_escaped(input.as_bytes());
            assert_eq!((s(got), s(r)), (inner, rest), "{input}");
        }
    }

    #[test]
    fn printing_quotes_end_before_a_field() {
        let cases = [
            (r#"/CN=a "b" c" S=12"#, r#"/CN=a "b" c"#, " S=12"),
            (r#"CN=x""#, "CN=x", ""),
            (r#"CN=x" C="250 OK""#, "CN=x", r#" C="250 OK""#),
            // The error separator after the value (deliver.c: `DN="...": text`
            // up to 4.98, `DN="..." : text` since 4.99), and those cut at the end.
            (r#"CN=a "b" c": 550 no"#, r#"CN=a "b" c"#, ": 550 no"),
            (r#"CN=a "b" c" : 550 no"#, r#"CN=a "b" c"#, " : 550 no"),
            (r#"CN=x":"#, "CN=x", ":"),
            (r#"CN=x" :"#, "CN=x", " :"),
            // A `:` glued to more text is no separator: the value goes on.
            (r#"CN=a":b" S=1"#, r#"CN=a":b"#, " S=1"),
        ];
        for (input, inner, rest) in cases {
            let (got, r) = quoted_printing(input.as_bytes());
            assert_eq!((s(got), s(r)), (inner, rest), "{input}");
        }
    }

    #[test]
    fn unknown_tags_are_kept_whole() {
        let cases = [
            ("W=1 S=2", "1", " S=2"),
            (r#"W="a \" b" S=2"#, r#""a \" b""#, " S=2"),
            ("W=<a b@c> S=2", "<a", " b@c> S=2"),
            // An address value keeps a quoted local part's space (address_end).
            (r#"W=<"a b"@c> S=2"#, r#"<"a b"@c>"#, " S=2"),
            ("W=", "", ""),
        ];
        for (input, value, rest) in cases {
            let (t, v) = tag(input.as_bytes()).unwrap();
            let (f, r) = unknown_tag(t, v);
            assert_eq!(f.tag, "W");
            assert_eq!(
                (f.value.unwrap().to_string(), s(r)),
                (value.to_string(), rest),
                "{input}"
            );
        }
        assert_eq!(key(b"id*"), 0x69_64_2a);
        assert_eq!(key(b"LONGER_THAN_8"), 0);
        assert_ne!(key(b"S"), key(b"SNI"));
        assert_eq!(number::<u64>(b"123"), Some(123));
        assert_eq!(number::<u64>(b"sss"), None);
        assert_eq!(number::<u64>(b"+1"), None);
    }

    /// Exim writes sizes and counts with PR_EXIM_ARITH (a signed 64-bit
    /// number): at most 19 digits. An empty value (`S=` cut short) is no
    /// number, nor is a longer run of digits (no panic, no wrap).
    #[test]
    fn number_bounds() {
        assert_eq!(number::<u64>(b""), None);
        assert_eq!(
            number::<u64>(b"9223372036854775807"),
            Some(9_223_372_036_854_775_807)
        );
        assert_eq!(number::<u64>(b"0000000000000000001"), Some(1));
        assert_eq!(number::<u64>(b"12345678901234567890"), None);
        assert_eq!(number::<u64>(b"99999999999999999999999"), None);
        assert_eq!(number::<u16>(b"65535"), Some(65_535));
        assert_eq!(number::<u16>(b"65536"), None);
        assert_eq!(number::<u32>(b"4294967296"), None);
    }
}
