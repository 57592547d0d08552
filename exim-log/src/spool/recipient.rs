//! One recipient line of a `-H` file, read from the right as Exim does
//! (`spool_in.c`): an address may contain spaces, so the extra fields are found
//! by the terminator after them.
//!
//! * `address` alone;
//! * `address pno` (early Exim 4) or `address n,pno,n` (Exim 3): the parent
//!   number of a `one_time` child;
//! * `address [orcpt len,dsn_flags ]errors_to len,pno#flags` (current): bit 1 of
//!   the flags says the `errors_to len,pno` part is there, bit 2 the DSN part.
//!   Exim writes `#3` whenever any of them is set (`spool_out.c`).

use crate::text::Text;

/// A recipient of a queued message, as stored in the `-H` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SpoolRecipient<'a> {
    /// The address.
    pub address: Text<'a>,
    /// The `errors_to` address a `redirect` router set for it, if any.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub errors_to: Option<Text<'a>>,
    /// The DSN `ORCPT=` value (`rfc822;addr`), if given.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub orcpt: Option<Text<'a>>,
    /// The DSN flags (`rf_notify_*` bits: 2 never, 4 success, 8 failure, 16
    /// delay; 1 is `orcpt` given), 0 when none.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_zero"))]
    pub dsn_flags: i64,
    /// For a `one_time` child address: the index of its parent in the recipient
    /// list.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub parent: Option<i64>,
}

#[cfg(feature = "serde")]
fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Reads `len,number` backwards from `end` (exclusive): the start of the digits
/// (Exim scans back over `[0-9,-]`) and the two numbers.
fn back_pair(l: &[u8], end: usize) -> Option<(usize, i64, i64)> {
    let mut p = end;
    while p > 0
        && l.get(p - 1)
            .is_some_and(|&c| c.is_ascii_digit() || c == b',' || c == b'-')
    {
        p -= 1;
    }
    let nums = l.get(p..end)?;
    let mut parts = nums.splitn(2, |&c| c == b',');
    let a = c_number(parts.next()?)?;
    let b = c_number(parts.next()?)?;
    Some((p, a, b))
}

/// A number as `%d` reads it (leading sign, then digits; the rest ignored).
fn c_number(b: &[u8]) -> Option<i64> {
    let (neg, rest) = match b.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, b),
    };
    let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let v: i64 = std::str::from_utf8(rest.get(..n)?).ok()?.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Splits a recipient line (no newline). `None` when the extra fields are
/// inconsistent (a length longer than the line): Exim would read outside its
/// buffer there, so the file is refused.
pub(crate) fn split(l: &[u8]) -> Option<SpoolRecipient<'_>> {
    let whole = SpoolRecipient {
        address: Text::new(l),
        errors_to: None,
        orcpt: None,
        dsn_flags: 0,
        parent: None,
    };
    // Back over trailing digits.
    let mut p = l.len();
    while p > 0 && l.get(p - 1).is_some_and(u8::is_ascii_digit) {
        p -= 1;
    }
    if p == 0 || p == l.len() {
        // No trailing digits (or only digits): the whole line is the address.
        return Some(whole);
    }
    let term = p - 1;
    match l.get(term) {
        // Exim 3: `address n,pno,...`
        Some(b',') => {
            let mut q = term;
            while q > 0
                && l.get(q - 1)
                    .is_some_and(|&c| c.is_ascii_digit() || c == b',')
            {
                q -= 1;
            }
            if q == 0 || l.get(q - 1) != Some(&b' ') {
                return Some(whole);
            }
            let mut nums = l.get(q..)?.split(|&c| c == b',');
            let _ = nums.next();
            let parent = nums.next().and_then(c_number).filter(|&n| n >= 0);
            Some(SpoolRecipient {
                address: Text::new(l.get(..q - 1)?),
                parent,
                ..whole
            })
        }
        // Early Exim 4: `address pno`
        Some(b' ') => Some(SpoolRecipient {
            address: Text::new(l.get(..term)?),
            parent: c_number(l.get(p..)?).filter(|&n| n >= 0),
            ..whole
        }),
        Some(b'#') => {
            let flags = c_number(l.get(p..)?)?;
            let mut end = term;
            let mut errors_to = None;
            let mut parent = None;
            if flags & 1 != 0 {
                let (start, len, pno) = back_pair(l, end)?;
                // `start - 1` is the space before `len,pno`.
                let sp = start.checked_sub(1)?;
                let len = usize::try_from(len).ok()?;
                if len > 0 {
                    let from = sp.checked_sub(len)?;
                    errors_to = Some(Text::new(l.get(from..sp)?));
                    end = from;
                } else {
                    end = sp;
                }
                parent = Some(pno).filter(|&n| n >= 0);
                // The space before errors_to.
                end = end.checked_sub(1)?;
            }
            let mut orcpt = None;
            let mut dsn_flags = 0;
            if flags & 2 != 0 {
                let (start, len, f) = back_pair(l, end)?;
                let sp = start.checked_sub(1)?;
                let len = usize::try_from(len).ok()?;
                dsn_flags = f;
                if len > 0 {
                    let from = sp.checked_sub(len)?;
                    orcpt = Some(Text::new(l.get(from..sp)?));
                    end = from;
                } else {
                    end = sp;
                }
                end = end.checked_sub(1)?;
            }
            Some(SpoolRecipient {
                address: Text::new(l.get(..end)?),
                errors_to,
                orcpt,
                dsn_flags,
                parent,
            })
        }
        _ => Some(whole),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r<'a>(
        address: &'a str,
        errors_to: Option<&'a str>,
        orcpt: Option<&'a str>,
        dsn_flags: i64,
        parent: Option<i64>,
    ) -> SpoolRecipient<'a> {
        SpoolRecipient {
            address: address.into(),
            errors_to: errors_to.map(Into::into),
            orcpt: orcpt.map(Into::into),
            dsn_flags,
            parent,
        }
    }

    #[test]
    fn forms() {
        let table: &[(&str, Option<SpoolRecipient<'_>>)] = &[
            (
                "one@sink.example",
                Some(r("one@sink.example", None, None, 0, None)),
            ),
            ("user@host7", Some(r("user@host7", None, None, 0, None))),
            (
                "a b@x.example",
                Some(r("a b@x.example", None, None, 0, None)),
            ),
            // spool_out.c: "%s %s %d,%d %s %d,%d#3"
            (
                "two@sink.example rfc822;Two@Sink.Example 23,20  0,-1#3",
                Some(r(
                    "two@sink.example",
                    None,
                    Some("rfc822;Two@Sink.Example"),
                    20,
                    None,
                )),
            ),
            (
                "four@later.example  0,2  0,-1#3",
                Some(r("four@later.example", None, None, 2, None)),
            ),
            (
                "kid@x.example  0,0 err@y.example 13,2#3",
                Some(r("kid@x.example", Some("err@y.example"), None, 0, Some(2))),
            ),
            // Only the one_time part (flag 1), as written before DSN support.
            (
                "kid@x.example err@y.example 13,0#1",
                Some(r("kid@x.example", Some("err@y.example"), None, 0, Some(0))),
            ),
            // Early Exim 4 and Exim 3.
            (
                "kid@x.example 3",
                Some(r("kid@x.example", None, None, 0, Some(3))),
            ),
            (
                "kid@x.example 0,4,0",
                Some(r("kid@x.example", None, None, 0, Some(4))),
            ),
            // Inconsistent lengths are refused.
            ("x@y 99,0 0,-1#3", None),
            ("x@y a 9,1#1", None),
        ];
        for (line, want) in table {
            assert_eq!(split(line.as_bytes()), *want, "{line}");
        }
    }
}
