//! The search fast path: find candidate lines by their raw bytes before parsing.
//!
//! Looking for one message among gigabytes of log should cost about what
//! reading costs. A [`Prefilter`] holds `memchr::memmem` finders (SIMD
//! substring search); [`super::LogReader::read_matching_line`] runs them over
//! whole read buffers, and only lines holding a needle are split out and parsed.

use memchr::memmem::Finder;

/// Finds candidate lines for [`super::LogReader::read_matching_line_by`]:
/// anything that can find its first match in a buffer of whole lines, and check
/// one line. Implement it for a regular expression in your program (with
/// multi-line and CRLF modes, so `^` and `$` mean the same in a buffer as in a
/// line).
///
/// The contract: if a line of `haystack` matches ([`LineMatcher::is_match`]),
/// [`LineMatcher::find`] returns an offset at or before that line's match. A
/// match found elsewhere (across lines) only costs a line check.
pub trait LineMatcher {
    /// The offset of the first match in `haystack` (whole `\n`-ended lines).
    fn find(&self, haystack: &[u8]) -> Option<usize>;
    /// True when one line (without its line ending) matches.
    fn is_match(&self, line: &[u8]) -> bool;
}

impl LineMatcher for Prefilter {
    fn find(&self, haystack: &[u8]) -> Option<usize> {
        Prefilter::find(self, haystack)
    }

    fn is_match(&self, line: &[u8]) -> bool {
        Prefilter::is_match(self, line)
    }
}

/// How far one needle was searched in a stream (see [`Prefilter::find_cached`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct SearchState {
    needle: Vec<u8>,
    /// The next occurrence at or after the last search start, if any before `scanned_to`.
    hit: Option<u64>,
    /// Stream offset up to which the needle was searched.
    scanned_to: u64,
}

/// A set of byte strings; a line is a candidate when it contains any of them.
///
/// Matching is exact and case-sensitive (message ids are base 62, where case
/// matters). Needles must not contain `\n`. Both message-id formats can be
/// searched in one run: they are just different needles.
///
/// ```
/// use exim_log::reader::Prefilter;
/// let mut f = Prefilter::new(["1sAoM5-00000009r3p-06vq"]);
/// f.add("1FZ8zt-0005lz-E7");
/// assert!(f.is_match(b"2006-04-27 17:43:53 1FZ8zt-0005lz-E7 Completed"));
/// assert!(!f.is_match(b"2006-04-27 17:43:53 1FZ8zt-0005lz-E8 Completed"));
/// assert_eq!(f.find(b"xx 1sAoM5-00000009r3p-06vq"), Some(3));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Prefilter {
    finders: Vec<Finder<'static>>,
}

impl Prefilter {
    /// A prefilter for these needles (empty needles are ignored).
    pub fn new<I, B>(needles: I) -> Self
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut f = Prefilter::default();
        for n in needles {
            f.add(n);
        }
        f
    }

    /// Adds a needle, unless it is empty or already present.
    pub fn add(&mut self, needle: impl AsRef<[u8]>) {
        let needle = needle.as_ref();
        if needle.is_empty() || self.contains(needle) {
            return;
        }
        self.finders.push(Finder::new(needle).into_owned());
    }

    /// True when `needle` is one of the needles.
    pub fn contains(&self, needle: &[u8]) -> bool {
        self.finders.iter().any(|f| f.needle() == needle)
    }

    /// The number of needles.
    pub fn len(&self) -> usize {
        self.finders.len()
    }

    /// True when there is no needle (nothing matches).
    pub fn is_empty(&self) -> bool {
        self.finders.is_empty()
    }

    /// True when `haystack` contains a needle.
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.finders.iter().any(|f| f.find(haystack).is_some())
    }

    /// Like [`Prefilter::find`] on `haystack`, which starts at byte `at` of a
    /// stream, remembering in `cache` how far each needle was searched, so that
    /// finding match after match in one buffer stays linear: a needle whose next
    /// occurrence is known (or known to be absent up to some offset) is not
    /// searched again over the same bytes.
    pub(crate) fn find_cached(
        &self,
        haystack: &[u8],
        at: u64,
        cache: &mut Vec<SearchState>,
    ) -> Option<usize> {
        let same = cache.len() == self.finders.len()
            && cache
                .iter()
                .zip(&self.finders)
                .all(|(c, f)| c.needle == f.needle());
        if !same {
            cache.clear();
            cache.extend(self.finders.iter().map(|f| SearchState {
                needle: f.needle().to_vec(),
                hit: None,
                scanned_to: 0,
            }));
        }
        let end = at + haystack.len() as u64;
        let mut best: Option<u64> = None;
        for (f, c) in self.finders.iter().zip(cache.iter_mut()) {
            let hit = match c.hit {
                Some(h) if h >= at && h < end => Some(h),
                _ => {
                    // Resume where the last search stopped, overlapping by a needle
                    // length less one so an occurrence across the boundary is found.
                    let resume = if c.hit.is_none() && c.scanned_to > at {
                        c.scanned_to
                            .saturating_sub(f.needle().len() as u64 - 1)
                            .max(at)
                    } else {
                        at
                    };
                    let skip = usize::try_from(resume - at).unwrap_or(usize::MAX);
                    let found = haystack
                        .get(skip..)
                        .and_then(|h| f.find(h))
                        .map(|i| resume + i as u64);
                    c.hit = found;
                    c.scanned_to = end;
                    found
                }
            };
            if let Some(h) = hit {
                best = Some(best.map_or(h, |b| b.min(h)));
            }
        }
        best.and_then(|b| usize::try_from(b - at).ok())
    }

    /// The offset of the earliest needle occurrence in `haystack`.
    pub fn find(&self, haystack: &[u8]) -> Option<usize> {
        let mut best: Option<usize> = None;
        for f in &self.finders {
            // Search only up to the best match so far: later finders scan less.
            let end = best.map_or(haystack.len(), |b| b + f.needle().len());
            let end = end.min(haystack.len());
            if let Some(at) = haystack.get(..end).and_then(|h| f.find(h)) {
                best = Some(best.map_or(at, |b| b.min(at)));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_are_kept_once_and_empty_ones_left_out() {
        let mut f = Prefilter::new(["ab", "", "cd", "ab"]);
        assert_eq!(f.len(), 2);
        assert!(f.contains(b"ab") && f.contains(b"cd"));
        assert!(!f.contains(b"a") && !f.contains(b""));
        assert!(!f.is_empty());
        f.add("ef");
        f.add("cd");
        assert_eq!(f.len(), 3);
        let none = Prefilter::new([""]);
        assert!(none.is_empty());
        assert_eq!(none.len(), 0);
        assert!(!none.is_match(b"anything"));
        assert_eq!(none.find(b"anything"), None);
    }

    /// The earliest occurrence of any needle, whichever needle is found
    /// first in the list; needles that overlap the best match so far are
    /// still seen when they start before it.
    #[test]
    fn find_gives_the_earliest_occurrence() {
        let f = Prefilter::new(["world", "lo wo", "o"]);
        assert_eq!(f.find(b"hello world"), Some(3));
        assert_eq!(
            Prefilter::new(["world", "lo wo"]).find(b"hello world"),
            Some(3)
        );
        assert_eq!(Prefilter::new(["xyz", "d"]).find(b"hello world"), Some(10));
        assert_eq!(Prefilter::new(["xyz"]).find(b"hello world"), None);
        assert!(f.is_match(b"o") && !f.is_match(b"hell"));
    }

    /// The `LineMatcher` of a prefilter is the prefilter.
    #[test]
    fn a_prefilter_is_a_line_matcher() {
        fn through<M: LineMatcher>(m: &M, hay: &[u8]) -> (Option<usize>, bool) {
            (m.find(hay), m.is_match(hay))
        }
        let f = Prefilter::new(["lo"]);
        assert_eq!(through(&f, b"hello"), (Some(3), true));
        assert_eq!(through(&f, b"help"), (None, false));
    }

    /// One cache used with another set of needles (as many) starts again:
    /// what it knew of the old needles says nothing of the new.
    #[test]
    fn the_cache_follows_the_needles() {
        let hay = b"aaaa bbbb aaaa";
        let a = Prefilter::new(["aaaa"]);
        let b = Prefilter::new(["bbbb"]);
        let mut cache = Vec::new();
        assert_eq!(a.find_cached(hay, 0, &mut cache), Some(0));
        assert_eq!(b.find_cached(hay, 0, &mut cache), Some(5));
        assert_eq!(a.find_cached(&hay[6..], 6, &mut cache), Some(4));
    }

    /// What the cache knows is used, not searched again (the search stays
    /// linear): these calls change bytes of the stream already searched,
    /// which a real stream never does, to see which bytes are read again.
    #[test]
    fn searched_bytes_are_not_searched_again() {
        let f = Prefilter::new(["ab"]);
        // No `ab` in bytes 0..8: the next search resumes at byte 7 (one
        // byte less than the needle, for an `ab` across the old end), so
        // the `ab` now at 6..8 is not seen, the one at 9 is.
        let mut cache = Vec::new();
        assert_eq!(f.find_cached(b"xxxxxxxx", 0, &mut cache), None);
        assert_eq!(f.find_cached(b"xxabxabxxx", 4, &mut cache), Some(5));
        // An `ab` known at byte 2 is given again without a search, so the
        // `ab` now at 1 is not seen.
        let mut cache = Vec::new();
        assert_eq!(f.find_cached(b"xxab", 0, &mut cache), Some(2));
        assert_eq!(f.find_cached(b"abxab", 1, &mut cache), Some(1));
    }

    /// A known occurrence counts only inside the window asked about: a
    /// shorter window of the same bytes does not reach it.
    #[test]
    fn a_known_occurrence_past_the_window_is_not_given() {
        let f = Prefilter::new(["ab"]);
        for window in [4, 3] {
            let mut cache = Vec::new();
            assert_eq!(f.find_cached(b"xxxxab", 0, &mut cache), Some(4));
            assert_eq!(f.find_cached(&b"xxxxab"[..window], 0, &mut cache), None);
        }
    }

    /// The cached search must find exactly what a fresh search finds, while the
    /// window moves forward (consumed lines) and grows (buffer refills).
    #[test]
    fn cached_search_agrees_with_fresh_search() {
        let hay: Vec<u8> = (0..5000u32)
            .map(|i| b"abcx\n"[(i * 7 % 13 % 5) as usize])
            .collect();
        let f = Prefilter::new(["ab", "cab", "x\na", "bca"]);
        for grow in [7usize, 64, 1000] {
            let mut cache = Vec::new();
            let (mut at, mut end) = (0usize, grow);
            while at < hay.len() {
                let window = &hay[at..end.min(hay.len())];
                let want = f.find(window);
                assert_eq!(
                    f.find_cached(window, at as u64, &mut cache),
                    want,
                    "{at}..{end}"
                );
                match want {
                    Some(i) => at += i + 1,
                    None => {
                        at = end.min(hay.len());
                        end += grow;
                    }
                }
                if at % 3 == 0 {
                    end += grow;
                }
            }
        }
    }
}
