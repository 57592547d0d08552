//! Byte search tuned for the short values of a log line: a speed helper of the
//! parsers (not a grammar), shared by `parse/` and `message_id`.
//!
//! Most searches on a line stop within a few bytes (the end of `R=dnslookup`,
//! of an address, of a host name). `memchr` is the fastest search over long
//! text, but each call pays a dispatch and setup that cost more than the short
//! scan itself (callgrind; the count is in benches/README.md). These
//! helpers look at the first [`INLINE`] bytes eight at a time in a plain `u64`
//! (SWAR), and hand the rest to `memchr`. The same word-at-a-time tricks check
//! the fixed-layout parts of a line (timestamp, message id).

use memchr::{memchr, memchr2};

/// `0x01` in every byte.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
pub(crate) const HIGH: u64 = ONES * 0x80;

/// Bytes searched inline before falling back to `memchr`.
const INLINE: usize = 16;

/// The 8 bytes at `at` as a little-endian word (byte `k` in bits `8k..8k+8`).
#[inline(always)]
pub(crate) fn word_at(i: &[u8], at: usize) -> Option<u64> {
    i.get(at..at + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map(u64::from_le_bytes)
}

/// The high bit of byte `k` of a word.
pub(crate) const fn byte_bit(k: usize) -> u64 {
    0x80 << (8 * k)
}

/// The high bit of every byte of `x` within `lo..=hi` (both below `0x80`), all
/// eight bytes at once. A byte `b < 0x80` is `>= lo` exactly when
/// `b + (0x80 - lo)` has its high bit set; no byte sum carries into the next
/// byte because bytes with the high bit set are cleared first (and excluded).
#[inline(always)]
pub(crate) const fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let ascii = !x & HIGH;
    let x = x & !HIGH;
    let ge = x + ONES * (0x80 - lo as u64);
    let gt = x + ONES * (0x7f - hi as u64);
    ge & !gt & ascii
}

/// The high bit of every ASCII digit byte of `x`.
#[inline(always)]
pub(crate) const fn digits(x: u64) -> u64 {
    in_range(x, b'0', b'9')
}

/// The high bit of every ASCII letter or digit byte of `x`.
#[inline(always)]
pub(crate) const fn alnum(x: u64) -> u64 {
    // Setting bit 5 folds upper case onto lower case, and moves no other byte
    // into `a..=z` (those would have to be `A..=Z` already).
    digits(x) | in_range(x | (ONES * 0x20), b'a', b'z')
}

/// The high bit of each byte of `x` equal to the byte repeated in `pat`. Bits
/// above the lowest set one may be false positives (a borrow), so only the
/// lowest set bit is meaningful, which is all [`first`] uses.
#[inline(always)]
fn eq_mask(x: u64, pat: u64) -> u64 {
    let v = x ^ pat;
    v.wrapping_sub(ONES) & !v & HIGH
}

/// Byte index of the lowest flagged byte of a non-zero mask.
#[inline(always)]
fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// Position of the first `a` in `i`.
#[inline(always)]
pub(crate) fn find(a: u8, i: &[u8]) -> Option<usize> {
    let pa = ONES * u64::from(a);
    let mut pos = 0;
    while pos < INLINE {
        let Some(x) = word_at(i, pos) else {
            // Fewer than 8 bytes left.
            let tail = i.get(pos..)?;
            return tail.iter().position(|&b| b == a).map(|p| pos + p);
        };
        let m = eq_mask(x, pa);
        if m != 0 {
            return Some(pos + first(m));
        }
        pos += 8;
    }
    memchr(a, i.get(pos..)?).map(|p| pos + p)
}

/// Position of the first `a` or `b` in `i`.
#[inline(always)]
pub(crate) fn find2(a: u8, b: u8, i: &[u8]) -> Option<usize> {
    let (pa, pb) = (ONES * u64::from(a), ONES * u64::from(b));
    let mut pos = 0;
    while pos < INLINE {
        let Some(x) = word_at(i, pos) else {
            let tail = i.get(pos..)?;
            return tail.iter().position(|&c| c == a || c == b).map(|p| pos + p);
        };
        // Each mask's lowest bit is exact, so the lowest bit of the union is too.
        let m = eq_mask(x, pa) | eq_mask(x, pb);
        if m != 0 {
            return Some(pos + first(m));
        }
        pos += 8;
    }
    memchr2(a, b, i.get(pos..)?).map(|p| pos + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_masks_agree_with_std_for_every_byte() {
        for b in 0..=255u8 {
            for k in 0..8 {
                // The byte in lane k, surrounded by bytes of both classes.
                for fill in [b'a', b'0', b' ', 0xff, 0x00] {
                    let mut w = [fill; 8];
                    w[k] = b;
                    let x = u64::from_le_bytes(w);
                    let lane = |m: u64| m & byte_bit(k) != 0;
                    assert_eq!(lane(digits(x)), b.is_ascii_digit(), "{b:#x} {k}");
                    assert_eq!(lane(alnum(x)), b.is_ascii_alphanumeric(), "{b:#x} {k}");
                }
            }
        }
    }

    #[test]
    fn agrees_with_memchr_at_every_position_and_length() {
        // Needle at every position of inputs of every length up to past the
        // inline part, with bytes that trip a naive SWAR (0x00, 0x80, 0xff,
        // the needle plus or minus one).
        for len in 0..40 {
            for at in 0..=len {
                for fill in [b'x', 0x00, 0x80, 0xff, b' ' + 1, b' ' - 1, b'"'] {
                    let mut v = vec![fill; len];
                    if let Some(c) = v.get_mut(at) {
                        *c = b' ';
                    }
                    assert_eq!(find(b' ', &v), memchr(b' ', &v), "{len} {at} {fill}");
                    assert_eq!(
                        find2(b' ', b'"', &v),
                        memchr2(b' ', b'"', &v),
                        "{len} {at} {fill}"
                    );
                    // A second needle after the first must not win.
                    if at + 3 < len {
                        v[at + 3] = b' ';
                        assert_eq!(find(b' ', &v), memchr(b' ', &v), "{len} {at} {fill}");
                    }
                }
            }
        }
    }
}
