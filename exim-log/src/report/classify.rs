//! Reading the free text of rejection reasons: which DNS black list, whether
//! the recipient was unknown, and a short class to group reasons by.
//!
//! Rejection reasons are an ACL's `message`/`log_message` (spec §10 "ACL
//! reject"), so they are whatever the administrator wrote. Only Exim's default
//! texts and the widespread cPanel/DirectAdmin ones are recognised; the rest is
//! grouped by its text.

use std::sync::LazyLock;

use memchr::memmem::Finder;

use crate::{Reject, Text};

/// The DNS list a rejection names: Exim's default `... is in a black list at
/// <list>` ([`Reject::dnslist_domain`]), or the usual ACL texts `... is in an
/// RBL: <list>` / `, see <url>` (cPanel), `blocked using <list>`, `listed at
/// <list>`, `listed in <list>`. Lower-cased.
pub fn rbl_list(r: &Reject<'_>) -> Option<String> {
    if let Some(d) = r.dnslist_domain() {
        return Some(d.to_string_lossy().to_ascii_lowercase());
    }
    rbl_in_text(&r.reason?.to_string_lossy())
}

/// [`rbl_list`] of a reason when the caller has it lower-cased already.
fn rbl_list_lower(reason: Option<Text<'_>>, lower: Option<&str>) -> Option<String> {
    if let Some(d) = reason.and_then(crate::event::dnslist_domain) {
        return Some(d.to_string_lossy().to_ascii_lowercase());
    }
    rbl_in_lower(lower?)
}

/// [`rbl_list`] on a reason text alone.
pub fn rbl_in_text(reason: &str) -> Option<String> {
    rbl_in_lower(&reason.to_ascii_lowercase())
}

/// The markers of [`rbl_in_text`], lower-cased, each searcher built once
/// (building one per call cost more than the search: callgrind).
static RBL_MARKERS: LazyLock<[Finder<'static>; 6]> = LazyLock::new(|| {
    [
        " is in a black list at ",
        " is in an rbl: ",
        " is in an rbl, see ",
        "blocked using ",
        "listed at ",
        "listed in ",
    ]
    .map(Finder::new)
});

/// [`rbl_in_text`] of an already lower-cased reason.
fn rbl_in_lower(lower: &str) -> Option<String> {
    rbl_in_lower_str(lower).map(str::to_string)
}

/// [`rbl_in_lower`], the list borrowed from the reason (a caller that finds
/// it in a table copies nothing).
pub(crate) fn rbl_in_lower_str(lower: &str) -> Option<&str> {
    let (at, len) = RBL_MARKERS
        .iter()
        .find_map(|m| m.find(lower.as_bytes()).map(|at| (at, m.needle().len())))?;
    let rest = lower.get(at + len..)?;
    let rest = rest
        .strip_prefix("http://")
        .or_else(|| rest.strip_prefix("https://"))
        .unwrap_or(rest);
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    let list = rest.get(..end)?.trim_end_matches('.');
    list.contains('.').then_some(list)
}

/// The signs of [`is_unknown_recipient`], each searcher built once.
static UNKNOWN_SIGNS: LazyLock<[Finder<'static>; 9]> = LazyLock::new(|| {
    [
        "unknown user",
        "user unknown",
        "no such user",
        "unrouteable address",
        "unknown local",
        "unknown recipient",
        "recipient unknown",
        "mailbox unavailable",
        "does not exist",
    ]
    .map(Finder::new)
});

/// True when a reason says the recipient does not exist: the dictionary-attack
/// signature (`Unknown user`, `User unknown`, `No Such User Here` (cPanel),
/// `Unrouteable address` (Exim's default), `unknown local-part`, ...).
pub fn is_unknown_recipient(reason: &str) -> bool {
    unknown_in_lower(&reason.to_ascii_lowercase())
}

/// [`is_unknown_recipient`] of an already lower-cased reason.
pub(crate) fn unknown_in_lower(lower: &str) -> bool {
    UNKNOWN_SIGNS
        .iter()
        .any(|s| s.find(lower.as_bytes()).is_some())
}

/// A short class to group rejection reasons by: `RBL <list>`, `unknown
/// recipient`, or the reason up to its first `": "` with bracketed parts
/// (`[ip]`, `<address>`) blanked, at most 80 characters. `(no reason)` when
/// none was logged.
pub fn reason_class(r: &Reject<'_>) -> String {
    reason_text_class(r.reason)
}

/// [`reason_class`] of a rejection's reason alone (all it reads), as
/// [`MessageLine::reason`](crate::assemble::MessageLine::reason) keeps it.
pub fn reason_text_class(reason: Option<Text<'_>>) -> String {
    // Decoded and lower-cased once for every test below.
    let text = reason.map(|t| t.to_string_lossy());
    let lower = text.as_deref().map(str::to_ascii_lowercase);
    if let Some(list) = rbl_list_lower(reason, lower.as_deref()) {
        return format!("RBL {list}");
    }
    let (Some(text), Some(lower)) = (text, lower) else {
        return "(no reason)".to_string();
    };
    if unknown_in_lower(&lower) {
        return "unknown recipient".to_string();
    }
    text_class(&text)
}

/// Most reasons remembered by [`ReasonClasses`], and the longest.
const MEMO_REASONS: usize = 1024;
const MEMO_REASON_BYTES: usize = 256;

/// [`reason_text_class`] remembered for the reasons seen most: a report
/// classes every rejection, and the same few texts come back thousands of
/// times (each classing decodes, lower-cases and searches the text about
/// fifteen times: 2,800 instructions a rejection, callgrind). Holds at most
/// [`MEMO_REASONS`] reasons of at most [`MEMO_REASON_BYTES`] bytes (about
/// 350 KB); the others are classed each time. A memo, so the classes are
/// those of [`reason_text_class`] whatever it holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReasonClasses {
    index: crate::hash::Map<Box<[u8]>, usize>,
    classes: Vec<String>,
}

impl ReasonClasses {
    /// [`reason_text_class`] of `reason`.
    pub(crate) fn class(&mut self, reason: Option<Text<'_>>) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        let Some(key) = reason
            .map(|t| t.as_bytes())
            .filter(|k| k.len() <= MEMO_REASON_BYTES)
        else {
            return Cow::Owned(reason_text_class(reason));
        };
        if let Some(&i) = self.index.get(key) {
            return self.classes.get(i).map_or_else(
                || Cow::Owned(reason_text_class(reason)),
                |c| Cow::Borrowed(c.as_str()),
            );
        }
        let class = reason_text_class(reason);
        if self.classes.len() >= MEMO_REASONS {
            return Cow::Owned(class);
        }
        self.index.insert(key.into(), self.classes.len());
        self.classes.push(class);
        self.classes
            .last()
            .map_or(Cow::Borrowed("(no reason)"), |c| Cow::Borrowed(c.as_str()))
    }
}

/// The text part of [`reason_class`].
pub fn text_class(reason: &str) -> String {
    let mut out = String::new();
    text_class_into(reason, &mut out);
    out
}

/// [`text_class`] written into `out` (cleared first), so that a caller
/// classing many reasons reuses one buffer.
pub(crate) fn text_class_into(reason: &str, out: &mut String) {
    out.clear();
    // The text up to the first `": "`, its bracketed parts blanked. The
    // bytes that matter are ASCII, so the runs between them are copied
    // whole (at character boundaries), not character by character.
    let b = reason.as_bytes();
    let head_end = memchr::memchr_iter(b':', b)
        .find(|&i| b.get(i + 1) == Some(&b' '))
        .unwrap_or(b.len());
    let head = reason.get(..head_end).unwrap_or(reason);
    let mut run = 0;
    let mut depth: Option<u8> = None;
    for (i, &c) in head.as_bytes().iter().enumerate() {
        match (depth, c) {
            (None, b'[' | b'<') => {
                out.push_str(head.get(run..i).unwrap_or_default());
                let (mark, end) = if c == b'[' {
                    ("[...]", b']')
                } else {
                    ("<...>", b'>')
                };
                out.push_str(mark);
                depth = Some(end);
            }
            (Some(end), c) if c == end => {
                depth = None;
                run = i + 1;
            }
            _ => {}
        }
    }
    if depth.is_none() {
        out.push_str(head.get(run..).unwrap_or_default());
    }
    // Trimmed and cut to 80 characters in place.
    out.truncate(out.trim_end().len());
    let start = out.len() - out.trim_start().len();
    out.drain(..start);
    if let Some((cut, _)) = out.char_indices().nth(80) {
        out.truncate(cut);
    }
    if out.is_empty() {
        out.push_str("(no reason)");
    }
}

/// The domain of an address (after the last `@`, lower-cased, `<>` removed);
/// `None` for an address without one.
pub fn domain(address: &str) -> Option<String> {
    domain_part(address).map(|d| lower_str(d).into_owned())
}

/// The domain of an address as written (after the last `@`, `<>` removed);
/// `None` for an address without one.
pub fn domain_part(address: &str) -> Option<&str> {
    // Bytes, not `trim_matches(char)` / `rsplit_once`: a char searcher per
    // address cost more than the rest of the lookup, and so did the call
    // of memrchr on a domain of a dozen bytes (callgrind).
    let b = address.as_bytes();
    let start = b.iter().position(|&c| c != b'<').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b'>').map_or(start, |e| e + 1);
    let at = b.get(start..end)?.iter().rposition(|&c| c == b'@')?;
    // `<`, `>` and `@` are ASCII: these are character boundaries.
    let d = address.get(start + at + 1..end.max(start + at + 1))?;
    (!d.is_empty()).then_some(d)
}

/// [`domain_part`] of an address given as bytes (a log line's): the same
/// part, as bytes (`<`, `>` and `@` are ASCII, so no character is cut).
pub(crate) fn domain_part_bytes(address: &[u8]) -> Option<&[u8]> {
    let mut end = address.len();
    while let Some(b'>') = end.checked_sub(1).and_then(|i| address.get(i)) {
        end -= 1;
    }
    let at = rfind_byte(address.get(..end)?, b'@')?;
    // The `<`s are trimmed from the start first: an `@` cannot be among
    // them, so this only rules out an address of `<`s and `>`s.
    let start = address
        .iter()
        .position(|&c| c != b'<')
        .unwrap_or(address.len());
    if at < start {
        return None;
    }
    address.get(at + 1..end).filter(|d| !d.is_empty())
}

/// The last `needle` in `hay`, eight bytes at a time: a domain is a dozen
/// or two bytes, where a byte loop cost about 280 instructions an address
/// and a call of `memrchr` more than the rest of the lookup (callgrind).
fn rfind_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = u64::from_ne_bytes([1; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    let pattern = LO * u64::from(needle);
    let words = hay.rchunks_exact(8);
    let head = words.remainder();
    for (n, w) in words.enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_ne_bytes(word) ^ pattern;
        // A byte of `x` is 0 where the needle is: this is non-zero when
        // one is (the classic zero-byte test; which one is found below).
        if x.wrapping_sub(LO) & !x & HI != 0 {
            let base = hay.len() - 8 * (n + 1);
            return w.iter().rposition(|&c| c == needle).map(|i| base + i);
        }
    }
    head.iter().rposition(|&c| c == needle)
}

/// True when `t` holds an ASCII upper-case letter; eight bytes at a time
/// (a byte loop cost about 100 instructions an address, callgrind).
fn has_ascii_upper(t: &[u8]) -> bool {
    const LO: u64 = u64::from_ne_bytes([1; 8]);
    const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    let words = t.chunks_exact(8);
    let tail = words.remainder();
    let mut upper = 0;
    for w in words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_ne_bytes(word);
        // Per byte, its low 7 bits plus 128 - b'A' (resp. 128 - b'Z' - 1)
        // reach the top bit when it is at least `A` (resp. past `Z`); no
        // sum carries into the next byte. Bytes of 128 and more are left
        // out (`!x`): they are not ASCII.
        let low = x & LOW7;
        let from_a = low + LO * u64::from(128 - b'A');
        let past_z = low + LO * u64::from(128 - b'Z' - 1);
        upper |= from_a & !past_z & !x & HI;
    }
    upper != 0 || tail.iter().any(u8::is_ascii_uppercase)
}

/// [`lower`] on bytes: `t` lower-cased (ASCII), borrowed when it already
/// is. Decoding after lower-casing gives what decoding first does (an
/// ASCII byte is never part of an invalid sequence).
pub(crate) fn lower_bytes(t: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if has_ascii_upper(t) {
        std::borrow::Cow::Owned(t.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(t)
    }
}

/// The text lower-cased (ASCII), borrowed when it already is: most
/// addresses are, and the tables look keys up by `&str`.
pub fn lower(t: crate::Text<'_>) -> std::borrow::Cow<'_, str> {
    // A fold, not `any`: without the early exit the check is vectorised
    // (an address is a few dozen bytes, nearly always lower case already).
    let upper = t
        .as_bytes()
        .iter()
        .fold(false, |u, b| u | b.is_ascii_uppercase());
    match t.to_string_lossy() {
        s if !upper => s,
        s => std::borrow::Cow::Owned(s.to_ascii_lowercase()),
    }
}

/// [`lower`] of a `&str`: borrowed when it is lower case already.
pub fn lower_str(s: &str) -> std::borrow::Cow<'_, str> {
    // The check of `lower`, on text decoded already.
    let upper = s
        .as_bytes()
        .iter()
        .fold(false, |u, b| u | b.is_ascii_uppercase());
    if upper {
        std::borrow::Cow::Owned(s.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The local part of an address (before the last `@`, `<>` removed).
pub fn local_part(address: &str) -> &str {
    // Bytes, as `domain_part` (char patterns cost abuse-report about 240
    // instructions an unknown recipient, callgrind).
    let b = address.as_bytes();
    let start = b.iter().position(|&c| c != b'<').unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| c != b'>')
        .map_or(start, |e| (e + 1).max(start));
    // `<`, `>` and `@` are ASCII: these are character boundaries.
    let a = address.get(start..end).unwrap_or_default();
    match a.as_bytes().iter().rposition(|&c| c == b'@') {
        Some(at) => a.get(..at).unwrap_or_default(),
        None => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_parts_of_odd_addresses() {
        let cases = [
            ("a@example.com", Some("example.com")),
            ("<a@example.com>", Some("example.com")),
            ("<<a@b@example.com>>", Some("example.com")),
            ("a@", None),
            ("<a@>", None),
            ("local", None),
            ("<>", None),
            ("<<<", None),
            (">>>", None),
            ("", None),
            ("@<", Some("<")),
            (">a@b<", Some("b<")),
            ("<é@exämple.com>", Some("exämple.com")),
        ];
        for (address, want) in cases {
            assert_eq!(domain_part(address), want, "{address}");
        }
    }

    #[test]
    fn domain_part_bytes_is_domain_part() {
        // Every string of up to 6 bytes over an alphabet with the bytes
        // that matter (and a multi-byte character's), and some longer
        // ones (past the 8-byte words of `rfind_byte`).
        let alphabet: [&str; 6] = ["<", ">", "@", "a", ".", "é"];
        let mut cases = vec![String::new()];
        let mut layer = vec![String::new()];
        for _ in 0..6 {
            layer = layer
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            cases.extend(layer.iter().cloned());
        }
        for long in [
            "<first.last@sub.domain.example.org>",
            "a@b@c.example.net>>>>>>>>>",
            "<<<<<<<<<<x@y",
            "@@@@@@@@@@@@@@@@@",
            "no-at-sign-in-this-rather-long-address",
            "q@0123456789abcdef0123456789abcdef",
        ] {
            cases.push(long.to_string());
        }
        for a in &cases {
            assert_eq!(
                domain_part_bytes(a.as_bytes()),
                domain_part(a).map(str::as_bytes),
                "{a:?}"
            );
        }
    }

    #[test]
    fn rfind_byte_finds_the_last() {
        let hay: Vec<u8> = (0..40u8).map(|i| b'a' + i % 7).collect();
        for len in 0..hay.len() {
            let h = &hay[..len];
            for needle in b'a'..=b'h' {
                assert_eq!(
                    rfind_byte(h, needle),
                    h.iter().rposition(|&c| c == needle),
                    "{len} {needle}"
                );
            }
        }
    }

    #[test]
    fn has_ascii_upper_finds_every_upper_case_byte() {
        // Each byte value at each place of a 19-byte text (two words and a
        // tail), the other bytes lower case or not ASCII.
        for fill in [b'a', 0xc3, b'@', 0xff] {
            for at in 0..19 {
                for b in 0..=255u8 {
                    let mut t = [fill; 19];
                    t[at] = b;
                    assert_eq!(
                        has_ascii_upper(&t),
                        b.is_ascii_uppercase(),
                        "byte {b} at {at} among {fill}"
                    );
                }
            }
        }
    }

    #[test]
    fn lower_bytes_is_lower() {
        for s in ["a@b.example", "A@B.Example", "Ä@B", "", "MiXeD"] {
            let want = lower(crate::Text::new(s.as_bytes()));
            let got = lower_bytes(s.as_bytes());
            assert_eq!(crate::text::lossy(&got), want, "{s}");
        }
        let bad = b"AB\xffC\xc3";
        let got = lower_bytes(bad);
        assert_eq!(crate::text::lossy(&got), lower(crate::Text::new(bad)));
    }

    #[test]
    fn lower_borrows_what_is_lower_case_already() {
        use std::borrow::Cow;
        let t = |s: &'static str| crate::Text::new(s.as_bytes());
        assert!(matches!(
            lower(t("a@example.com")),
            Cow::Borrowed("a@example.com")
        ));
        assert!(matches!(
            lower(t("É@example.com")),
            Cow::Borrowed("É@example.com")
        ));
        assert_eq!(lower(t("A@Example.COM")), "a@example.com");
        // An even number of upper-case letters too (one flag, set by any).
        assert_eq!(lower(t("AB@example.com")), "ab@example.com");
        assert_eq!(lower(t("Ab@Éx.example")), "ab@Éx.example");
        let bad = crate::Text::new(b"B\xff@x");
        assert_eq!(lower(bad), "b\u{fffd}@x");
    }

    #[test]
    fn remembered_classes_are_the_classes() {
        let long = format!("Unknown user {}", "x".repeat(300));
        let reasons = [
            Some("rejected because 192.0.2.1 is in a black list at zen.spamhaus.org"),
            Some("Unknown user"),
            Some("relay not permitted"),
            Some("Sender verify failed <a@b.example> [192.0.2.9]: no"),
            Some(""),
            Some(long.as_str()),
            None,
        ];
        let expected: Vec<String> = reasons
            .iter()
            .map(|r| reason_text_class(r.map(|r| Text::new(r.as_bytes()))))
            .collect();
        assert_eq!(expected[0], "RBL zen.spamhaus.org");
        assert_eq!(expected[3], "Sender verify failed <...> [...]");
        let mut memo = ReasonClasses::default();
        // Twice: classed, then remembered.
        for _ in 0..2 {
            for (r, want) in reasons.iter().zip(&expected) {
                assert_eq!(
                    memo.class(r.map(|r| Text::new(r.as_bytes()))),
                    want.as_str()
                );
            }
        }
        // Past its capacity it classes without remembering.
        let many: Vec<String> = (0..MEMO_REASONS + 10)
            .map(|i| format!("rejected by rule {i} <x{i}@y.example>"))
            .collect();
        for r in many.iter().chain(&many) {
            let t = Some(Text::new(r.as_bytes()));
            assert_eq!(memo.class(t), reason_text_class(t));
        }
        assert_eq!(memo.classes.len(), MEMO_REASONS);
        assert_eq!(memo.index.len(), MEMO_REASONS);
    }

    #[test]
    fn rbl_lists_from_reason_texts() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "rejected because 192.0.2.1 is in a black list at zen.spamhaus.org",
                Some("zen.spamhaus.org"),
            ),
            (
                "JunkMail rejected - mx.example.net [192.0.2.1] is in an RBL: zen.spamhaus.org",
                Some("zen.spamhaus.org"),
            ),
            (
                "JunkMail rejected - [192.0.2.1] is in an RBL, see http://www.spamhaus.org/query/bl?ip=192.0.2.1",
                Some("www.spamhaus.org"),
            ),
            (
                "Service unavailable; blocked using bl.spamcop.net.",
                Some("bl.spamcop.net"),
            ),
            (
                "192.0.2.1 listed at b.barracudacentral.org",
                Some("b.barracudacentral.org"),
            ),
            ("Unknown user", None),
            ("relay not permitted", None),
            ("listed in my heart", None),
        ];
        for (reason, want) in cases {
            assert_eq!(rbl_in_text(reason).as_deref(), *want, "{reason}");
        }
    }

    /// The list and the class of a parsed rejection: Exim's default text
    /// (its list found by the parser, lower-cased here), cPanel's, another
    /// ACL's, and no list (the class of an unknown recipient).
    #[test]
    fn lists_and_classes_of_rejections() {
        let cases = [
            (
                "rejected because 192.0.2.7 is in a black list at Zen.Spamhaus.ORG",
                Some("zen.spamhaus.org"),
            ),
            (
                "JunkMail rejected - (x) [192.0.2.7]:4321 is in an RBL (bl.spamcop.net), see https://www.spamcop.net/bl.shtml?192.0.2.7",
                Some("bl.spamcop.net"),
            ),
            (
                "Service unavailable; Client host [192.0.2.7] blocked using B.Barracudacentral.ORG",
                Some("b.barracudacentral.org"),
            ),
            ("Unknown user", None),
        ];
        for (reason, want) in cases {
            let line = format!(
                "2024-05-25 10:00:00 H=(x) [192.0.2.7] F=<a@b.example> rejected RCPT <c@d.example>: {reason}"
            );
            let l = crate::parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}"));
            let crate::Event::Rejection(r) = l.event else {
                panic!("not a rejection: {line}");
            };
            assert_eq!(rbl_list(&r).as_deref(), want, "{reason}");
            let class = want.map_or("unknown recipient".to_string(), |l| format!("RBL {l}"));
            assert_eq!(reason_class(&r), class, "{reason}");
        }
    }

    #[test]
    fn unknown_recipient_signs() {
        for yes in [
            "Unknown user",
            "No Such User Here",
            "Unrouteable address",
            "550 5.1.1 User unknown",
            "unknown local-part \"x\" in domain \"example.org\"",
        ] {
            assert!(is_unknown_recipient(yes), "{yes}");
        }
        for no in [
            "relay not permitted",
            "Sender verify failed",
            "HELO/EHLO set to my IP address",
        ] {
            assert!(!is_unknown_recipient(no), "{no}");
        }
    }

    #[test]
    fn text_classes() {
        let cases = [
            (
                "syntactically invalid argument(s): summit_48!",
                "syntactically invalid argument(s)",
            ),
            (
                "HELO/EHLO set to my IP address",
                "HELO/EHLO set to my IP address",
            ),
            (
                "host [192.0.2.7] is not allowed <a@b.example> here",
                "host [...] is not allowed <...> here",
            ),
            ("", "(no reason)"),
            // Unclosed: the rest is blanked. A closing bracket alone stays.
            ("a [b <c> d: e", "a [...]"),
            ("a ] b > c", "a ] b > c"),
            // Inside brackets the other kind is text of the bracket.
            ("x [a <b] y> z", "x [...] y> z"),
            ("<a [b> c] d", "<...> c] d"),
            // Trimmed after the blanking; `:` without a space does not end it.
            ("  [1.2.3.4]  is:bad  ", "[...]  is:bad"),
            ("[]", "[...]"),
            (" : x", "(no reason)"),
            ("héllo <à> wörld: x", "héllo <...> wörld"),
        ];
        for (reason, want) in cases {
            assert_eq!(text_class(reason), want, "{reason}");
        }
        // At most 80 characters (not bytes).
        let long = "é".repeat(100);
        assert_eq!(text_class(&long), "é".repeat(80));
        // One buffer for many reasons: each class is the reason's own.
        let mut buf = String::new();
        for (reason, want) in [("abc: d", "abc"), ("x", "x"), ("", "(no reason)")] {
            text_class_into(reason, &mut buf);
            assert_eq!(buf, want);
        }
    }

    #[test]
    fn lower_str_borrows_lower_case() {
        use std::borrow::Cow;
        assert!(matches!(
            lower_str("a@b.example"),
            Cow::Borrowed("a@b.example")
        ));
        assert!(matches!(lower_str("Ä@b"), Cow::Borrowed("Ä@b")));
        assert_eq!(lower_str("A@B.Example"), "a@b.example");
    }

    #[test]
    fn address_parts() {
        assert_eq!(domain("<Bob@Example.ORG>").as_deref(), Some("example.org"));
        assert_eq!(domain("\"a@b\"@c.example").as_deref(), Some("c.example"));
        assert_eq!(domain("postmaster"), None);
        assert_eq!(local_part("<bob@example.org>"), "bob");
        assert_eq!(local_part("postmaster"), "postmaster");
        // `<`s then `>`s trimmed, as `trim_start_matches` then
        // `trim_end_matches` do; the part before the last `@`.
        let cases = [
            ("<<a@b@example.com>>", "a@b"),
            ("\"a@b\"@c.example", "\"a@b\""),
            ("<é@x>", "é"),
            ("a<>", "a<"),
            ("<>", ""),
            ("<<<", ""),
            (">>>", ""),
            ("", ""),
            ("@x", ""),
            ("<@>", ""),
            (">a@b<", ">a"),
        ];
        for (address, want) in cases {
            assert_eq!(local_part(address), want, "{address}");
            let trimmed = address.trim_start_matches('<').trim_end_matches('>');
            let independent = trimmed.rsplit_once('@').map_or(trimmed, |(l, _)| l);
            assert_eq!(independent, want, "{address}");
        }
    }
}
