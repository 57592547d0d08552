//! What a trace looks for: message ids, literal strings or regular
//! expressions, with `exigrep`'s rules (case-insensitive by default, whole raw
//! lines), except that a message id is always matched literally and with case
//! (ids are base 62, where case matters).

use std::fmt;

use thiserror::Error;

use crate::message_id::MessageId;
use crate::reader::{LineMatcher, Prefilter};

/// True when `p` is a message id (either format): such a pattern is matched
/// literally and with case, and takes the fast path.
///
/// ```
/// assert!(exim_log::trace::is_id("1sAoM5-00000009r3p-06vq"));
/// assert!(exim_log::trace::is_id("1FZ8zt-0005lz-E7"));
/// assert!(!exim_log::trace::is_id("shop@example.com"));
/// ```
pub fn is_id(p: &str) -> bool {
    MessageId::parse(p.as_bytes()).is_some()
}

/// Why a set of patterns was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternError {
    /// No pattern at all.
    #[error("at least one id or pattern is needed")]
    Empty,
    /// A pattern holds a newline, which no line can contain.
    #[error("a pattern cannot contain a newline")]
    Newline,
    /// A regular expression did not compile (the `regex` crate's message).
    #[error("invalid pattern: {0}")]
    Regex(String),
    /// The patterns need regular expressions (or case-insensitive matching),
    /// and the crate was built without its `regex` feature.
    #[error("regular expressions and case-insensitive matching need exim-log's `regex` feature")]
    NeedsRegex,
}

/// Decides whether a raw line matches: the matcher of a [`super::Trace`].
///
/// Built by [`Pattern::new`] from what a user typed, or from any
/// [`LineMatcher`] of the caller's ([`Pattern::custom`]).
#[non_exhaustive]
pub enum Pattern {
    /// Exact bytes (message ids, or literal case-sensitive strings): the fast
    /// path, where only lines holding a needle are parsed.
    Literal(Prefilter),
    /// One alternation of every pattern, in multi-line and CRLF modes so that
    /// `^` and `$` mean the same in a read buffer as in one line.
    #[cfg(feature = "regex")]
    Regex(regex::bytes::Regex),
    /// The caller's matcher.
    Custom(Box<dyn LineMatcher + Send + Sync>),
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Literal(p) => f.debug_tuple("Literal").field(p).finish(),
            #[cfg(feature = "regex")]
            Pattern::Regex(r) => f.debug_tuple("Regex").field(&r.as_str()).finish(),
            Pattern::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl Pattern {
    /// The patterns a user gave: regular expressions (Rust `regex` syntax),
    /// or literal strings with `literal`; case-insensitive unless
    /// `ignore_case` is false. A pattern that is a message id is matched
    /// literally and with case whatever the flags. When every pattern is an
    /// id, or with `literal` and not `ignore_case`, no regular expression is
    /// built ([`Pattern::Literal`], the fast path).
    ///
    /// ```
    /// use exim_log::reader::LineMatcher;
    /// use exim_log::trace::Pattern;
    /// let p = Pattern::new(&["1sAoM5-00000009r3p-06vq"], false, true)?;
    /// assert!(matches!(p, Pattern::Literal(_)));
    /// assert!(!p.is_match(b"2026-11-25 10:00:01 1SAOM5-00000009R3P-06VQ Completed"));
    /// # Ok::<(), exim_log::trace::PatternError>(())
    /// ```
    pub fn new<S: AsRef<str>>(
        patterns: &[S],
        literal: bool,
        ignore_case: bool,
    ) -> Result<Pattern, PatternError> {
        if patterns.is_empty() {
            return Err(PatternError::Empty);
        }
        if patterns.iter().any(|p| p.as_ref().contains('\n')) {
            return Err(PatternError::Newline);
        }
        if patterns
            .iter()
            .all(|p| is_id(p.as_ref()) || (literal && !ignore_case))
        {
            return Ok(Pattern::Literal(Prefilter::new(
                patterns.iter().map(|p| p.as_ref()),
            )));
        }
        Pattern::regex(patterns, literal, ignore_case)
    }

    #[cfg(feature = "regex")]
    fn regex<S: AsRef<str>>(
        patterns: &[S],
        literal: bool,
        ignore_case: bool,
    ) -> Result<Pattern, PatternError> {
        let alternatives: Vec<String> = patterns
            .iter()
            .map(|p| {
                let p = p.as_ref();
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
            .map_err(|e| PatternError::Regex(e.to_string()))
    }

    #[cfg(not(feature = "regex"))]
    fn regex<S: AsRef<str>>(_: &[S], _: bool, _: bool) -> Result<Pattern, PatternError> {
        Err(PatternError::NeedsRegex)
    }

    /// Message ids (either format), or any exact strings: the fast path.
    pub fn ids<I, S>(ids: I) -> Pattern
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        Pattern::Literal(Prefilter::new(ids))
    }

    /// The caller's own matcher (e.g. another regex engine). Its
    /// [`LineMatcher::find`] lets a trace over files take the first pass.
    pub fn custom(matcher: impl LineMatcher + Send + Sync + 'static) -> Pattern {
        Pattern::Custom(Box::new(matcher))
    }

    /// The exact needles, when the pattern is literal (the fast path).
    pub fn literals(&self) -> Option<&Prefilter> {
        match self {
            Pattern::Literal(p) => Some(p),
            _ => None,
        }
    }
}

impl LineMatcher for Pattern {
    fn find(&self, haystack: &[u8]) -> Option<usize> {
        match self {
            Pattern::Literal(f) => f.find(haystack),
            #[cfg(feature = "regex")]
            Pattern::Regex(r) => r.find(haystack).map(|m| m.start()),
            Pattern::Custom(m) => m.find(haystack),
        }
    }

    fn is_match(&self, line: &[u8]) -> bool {
        match self {
            Pattern::Literal(f) => f.is_match(line),
            #[cfg(feature = "regex")]
            Pattern::Regex(r) => r.is_match(line),
            Pattern::Custom(m) => m.is_match(line),
        }
    }
}
