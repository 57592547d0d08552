//! The patterns of `exim_log.trace()` beyond message ids: literal strings or
//! regular expressions (`regex` crate syntax), case-insensitive by default, the
//! rules of the `trace` example program (examples/src/bin/trace.rs).
//!
//! A pattern that is a message id is always matched literally and with case
//! (ids are base 62). Literal case-sensitive patterns use the library's
//! `Prefilter` (memmem); anything else one `regex::bytes::Regex`, in multi-line
//! and CRLF modes so `^`/`$` mean line ends. Both are `LineMatcher`s.

use exim_log::MessageId;
use exim_log::reader::{LineMatcher, Prefilter};

/// Decides whether a raw line matches one of the patterns.
pub(crate) enum Pattern {
    /// Exact bytes (literal, case-sensitive).
    Literal(Prefilter),
    /// One alternation of every pattern.
    Regex(regex::bytes::Regex),
}

/// True when `p` is a message id (either format): matched literally, with case.
pub(crate) fn is_id(p: &str) -> bool {
    MessageId::parse(p.as_bytes()).is_some()
}

impl Pattern {
    /// Builds the matcher; `Err` is the regex syntax error.
    pub(crate) fn new(
        patterns: &[String],
        literal: bool,
        ignore_case: bool,
    ) -> Result<Self, String> {
        if patterns
            .iter()
            .all(|p| is_id(p) || (literal && !ignore_case))
        {
            return Ok(Pattern::Literal(Prefilter::new(patterns)));
        }
        let alternatives: Vec<String> = patterns
            .iter()
            .map(|p| {
                let r = if literal || is_id(p) {
                    regex::escape(p)
                } else {
                    format!("(?:{p})")
                };
                // Ids stay case-sensitive inside a case-insensitive regex.
                if is_id(p) || !ignore_case {
                    format!("(?-i:{r})")
                } else {
                    r
                }
            })
            .collect();
        regex::bytes::RegexBuilder::new(&format!("(?i){}", alternatives.join("|")))
            .multi_line(true)
            .crlf(true)
            .build()
            .map(Pattern::Regex)
            .map_err(|e| e.to_string())
    }
}

impl LineMatcher for Pattern {
    fn find(&self, haystack: &[u8]) -> Option<usize> {
        match self {
            Pattern::Literal(f) => f.find(haystack),
            Pattern::Regex(r) => r.find(haystack).map(|m| m.start()),
        }
    }

    fn is_match(&self, line: &[u8]) -> bool {
        match self {
            Pattern::Literal(f) => f.is_match(line),
            Pattern::Regex(r) => r.is_match(line),
        }
    }
}
