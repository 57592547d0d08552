//! The generic shape of a `Received:` header (RFC 5321 §4.4, RFC 5322 §3.6.7):
//! `[from X] [by Y] [via Z] [with P] [id I] [for A] ; date`, where every clause
//! may be followed by comments `( ... )`, and comments nest (§3.2.2 of RFC 5322;
//! Exim writes `(Exim 4.94.2 (FreeBSD))`, format reference §11.1).
//!
//! The tokens are nom productions, one function each (`semi`, `nested_comment`,
//! `flat_comment`, `quoted_string`, `escaped_pair`, `word`); the clause layout
//! is read from the token stream by [`split`].
//!
//! Parsing never unfolds: CR, LF, SP and TAB all separate tokens, and tokens are
//! slices of the input. Comments are scanned with a depth counter, not recursion,
//! so 10,000 `(` cannot overflow the stack. An unclosed comment (a hostile HELO
//! such as `helo=a(b`) would swallow the rest of the header, so when one is found
//! the scanner switches to "flat" mode, where a comment ends at the first `)`;
//! this also keeps the scan linear (at most one failed depth scan per scanner).

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, take, take_till, take_while1};
use nom::combinator::{opt, recognize, value};
use nom::multi::{fold_many0, fold_many1};
use nom::sequence::{preceded, terminated};

/// Header whitespace: folds are whitespace too.
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// One token of a header body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A run of bytes up to whitespace, `(` or `;`. Quoted strings (`"a b"`) and
    /// backslash pairs (`\ `) do not end a word.
    Word(&'a [u8]),
    /// A comment, without its outer parentheses (may hold nested comments).
    Comment(&'a [u8]),
    /// `;` outside comments and quotes.
    Semi,
}

/// The result of a token production: the rest of the input and the token.
type Res<'a, T> = nom::IResult<&'a [u8], T, ()>;

/// `";"` outside comments and quotes.
fn semi(i: &[u8]) -> Res<'_, Token<'_>> {
    value(Token::Semi, tag(&b";"[..])).parse(i)
}

/// A comment with nested comments (RFC 5322 §3.2.2 `comment`), `\` quoting one
/// byte: the inner text without the outer parentheses. Written as a loop with a
/// depth counter rather than a recursive combinator, so 10,000 `(` cannot overflow
/// the stack. Fails when the comment is not closed.
fn nested_comment(i: &[u8]) -> Res<'_, &[u8]> {
    let (inner, _) = tag(&b"("[..]).parse(i)?;
    let mut depth = 1usize;
    let mut n = 0;
    while let Some(&c) = inner.get(n) {
        match c {
            b'\\' => n += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    let text = inner.get(..n).unwrap_or_default();
                    return Ok((inner.get(n + 1..).unwrap_or_default(), text));
                }
            }
            _ => {}
        }
        n += 1;
    }
    Err(nom::Err::Error(()))
}

/// A comment read "flat", once an unclosed comment was seen: it ends at the
/// first `)`, or at the end of the input.
fn flat_comment(i: &[u8]) -> Res<'_, &[u8]> {
    preceded(
        tag(&b"("[..]),
        terminated(take_till(|b| b == b')'), opt(tag(&b")"[..]))),
    )
    .parse(i)
}

/// A quoted string (RFC 5322 `quoted-string`), `\` quoting one byte. Fails when
/// it is not closed.
fn quoted_string(i: &[u8]) -> Res<'_, &[u8]> {
    recognize((
        tag(&b"\""[..]),
        // Folds, not `many0`: nothing is collected, so nothing is allocated.
        fold_many0(alt((escaped_pair, is_not(&b"\\\""[..]))), || (), |(), _| ()),
        tag(&b"\""[..]),
    ))
    .parse(i)
}

/// `\` and the byte it quotes (none at the end of the input).
fn escaped_pair(i: &[u8]) -> Res<'_, &[u8]> {
    recognize((tag(&b"\\"[..]), opt(take(1usize)))).parse(i)
}

/// Bytes that end a word: whitespace (folds too), `(` and `;`.
fn ends_word(b: u8) -> bool {
    is_ws(b) || b == b'(' || b == b';'
}

/// A run of ordinary word bytes. With `quotes`, `"` is not one of them.
fn word_run(quotes: bool) -> impl Fn(&[u8]) -> Res<'_, &[u8]> {
    move |i| take_while1(|b| !ends_word(b) && b != b'\\' && !(quotes && b == b'"'))(i)
}

/// A word: up to whitespace, `(` or `;`, which quoted strings and backslash
/// pairs do not end. With `quotes` off, `"` is an ordinary byte. Also says
/// whether an unclosed `"` was met (it is then taken as an ordinary byte, and the
/// caller turns quotes off, so that a header of many lone `"` stays linear).
fn word(i: &[u8], quotes: bool) -> Res<'_, (&[u8], bool)> {
    // Most words hold no `"` or `\\`: then the word is just the run of word bytes
    // (callgrind: the general production below costs much more per word; a
    // `memchr2` setup, too, on words this short; benches/README.md).
    let (rest, plain) = take_while1(|b| !ends_word(b)).parse(i)?;
    if !plain.iter().any(|b| matches!(b, b'"' | b'\\')) {
        return Ok((rest, (plain, false)));
    }
    let unclosed = std::cell::Cell::new(false);
    let pieces = alt((
        word_run(quotes),
        escaped_pair,
        |j| {
            if !quotes || unclosed.get() {
                return Err(nom::Err::Error(()));
            }
            quoted_string(j)
        },
        |j| {
            let r = tag(&b"\""[..]).parse(j);
            if r.is_ok() {
                unclosed.set(true);
            }
            r
        },
    ));
    // A fold, not `many1`: nothing is collected, so nothing is allocated.
    let (rest, w) = recognize(fold_many1(pieces, || (), |(), _| ())).parse(i)?;
    Ok((rest, (w, unclosed.get())))
}

/// Iterator over `(offset, token)` of a byte slice.
pub(crate) struct Tokens<'a> {
    input: &'a [u8],
    pos: usize,
    /// An unclosed comment was seen: comments now end at the first `)`.
    flat: bool,
    /// An unclosed `"` was seen: quotes are ordinary bytes from now on.
    no_quotes: bool,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Tokens {
            input,
            pos: 0,
            flat: false,
            no_quotes: false,
        }
    }

    /// One token at the start of `i`: `;`, a comment or a word.
    fn token(&mut self, i: &'a [u8]) -> Res<'a, Token<'a>> {
        if let Ok(r) = semi(i) {
            return Ok(r);
        }
        if i.first() == Some(&b'(') {
            if !self.flat {
                match nested_comment(i) {
                    Ok((rest, c)) => return Ok((rest, Token::Comment(c))),
                    // Without this, one unclosed comment would make every later
                    // `(` scan to the end: quadratic on a hostile header.
                    Err(_) => self.flat = true,
                }
            }
            return flat_comment(i).map(|(rest, c)| (rest, Token::Comment(c)));
        }
        let (rest, (w, unclosed)) = word(i, !self.no_quotes)?;
        self.no_quotes |= unclosed;
        Ok((rest, Token::Word(w)))
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (usize, Token<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.input;
        let rest = b.get(self.pos..)?;
        let ws = rest.iter().take_while(|c| is_ws(**c)).count();
        let start = self.pos + ws;
        let i = b.get(start..).filter(|i| !i.is_empty())?;
        let (rest, tok) = self.token(i).ok()?;
        self.pos = b.len() - rest.len();
        Some((start, tok))
    }
}

/// The clause keywords of RFC 5321 §4.4, in the order they appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyword {
    From,
    By,
    Via,
    With,
    Id,
    For,
}

impl Keyword {
    fn of(w: &[u8]) -> Option<Keyword> {
        let k = match w.len() {
            2 if w.eq_ignore_ascii_case(b"by") => Keyword::By,
            2 if w.eq_ignore_ascii_case(b"id") => Keyword::Id,
            3 if w.eq_ignore_ascii_case(b"via") => Keyword::Via,
            3 if w.eq_ignore_ascii_case(b"for") => Keyword::For,
            4 if w.eq_ignore_ascii_case(b"from") => Keyword::From,
            4 if w.eq_ignore_ascii_case(b"with") => Keyword::With,
            _ => return None,
        };
        Some(k)
    }
}

/// One clause: `keyword value [words] [comments]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Clause<'a> {
    /// The word after the keyword (empty when the keyword ended the text).
    pub(crate) value: &'a [u8],
    /// The value and the bare words that follow it, up to the first comment or
    /// keyword: `Microsoft SMTP Server`, `Frontend Transport`.
    pub(crate) phrase: &'a [u8],
    /// Everything after the value up to the next keyword: comments and words.
    pub(crate) tail: &'a [u8],
}

/// The clauses of a header, the text before the first keyword, and the date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Clauses<'a> {
    /// Text before the first keyword (qmail's `(qmail 123 invoked by uid 89)`).
    pub(crate) lead: &'a [u8],
    pub(crate) from: Option<Clause<'a>>,
    pub(crate) by: Option<Clause<'a>>,
    pub(crate) via: Option<Clause<'a>>,
    pub(crate) with: Option<Clause<'a>>,
    pub(crate) id: Option<Clause<'a>>,
    pub(crate) for_: Option<Clause<'a>>,
    /// The text after the last `;` (outside comments and quotes).
    pub(crate) date: Option<&'a [u8]>,
    /// The first comment after `by` whose text starts with `Exim `, without it.
    pub(crate) exim: Option<&'a [u8]>,
    /// `(envelope-from X)` anywhere, even after the date (Sendmail puts it there).
    pub(crate) envelope_from: Option<&'a [u8]>,
}

impl<'a> Clauses<'a> {
    fn slot(&mut self, k: Keyword) -> &mut Option<Clause<'a>> {
        match k {
            Keyword::From => &mut self.from,
            Keyword::By => &mut self.by,
            Keyword::Via => &mut self.via,
            Keyword::With => &mut self.with,
            Keyword::Id => &mut self.id,
            Keyword::For => &mut self.for_,
        }
    }
}

/// A clause being read.
struct Open {
    keyword: Keyword,
    /// End of the keyword, where the tail of a clause without value starts.
    kw_end: usize,
    value: Option<(usize, usize)>,
    phrase_end: usize,
    phrase_open: bool,
}

/// Splits a header body (without the `Received:` name) into its clauses.
pub(crate) fn split(input: &[u8]) -> Clauses<'_> {
    // Pass 1: the date follows the LAST top-level `;` (format reference §11.1).
    let semi = Tokens::new(input)
        .filter(|(_, t)| *t == Token::Semi)
        .map(|(o, _)| o)
        .last();
    let body_end = semi.unwrap_or(input.len());
    let mut out = Clauses {
        date: semi.and_then(|s| input.get(s + 1..)),
        lead: input,
        ..Clauses::default()
    };
    let mut lead_end = None;
    let mut open: Option<Open> = None;
    for (off, tok) in Tokens::new(input) {
        match tok {
            Token::Comment(inner) => {
                // Exim writes its version after `by`/`with` (§11.1); a comment in
                // the `from` clause holds client-chosen text, so it does not count.
                if out.exim.is_none() && open.as_ref().is_some_and(|o| o.keyword != Keyword::From) {
                    out.exim = inner.strip_prefix(b"Exim ");
                }
                if out.envelope_from.is_none() {
                    out.envelope_from = inner.strip_prefix(b"envelope-from ");
                }
                if let Some(o) = open.as_mut() {
                    o.phrase_open = false;
                }
            }
            Token::Word(w) if off < body_end => {
                let end = off + w.len();
                if let Some(o) = open.as_mut()
                    && o.value.is_none()
                    && (o.phrase_open || Keyword::of(w).is_none())
                {
                    // The word after a keyword is its value, even if it reads like
                    // a keyword (`from by.example.com`); after a comment, a keyword
                    // starts the next clause (`from (comment) by host`).
                    o.value = Some((off, end));
                    o.phrase_end = end;
                    continue;
                }
                if let Some(k) = Keyword::of(w) {
                    if let Some(o) = open.take() {
                        store(&mut out, input, o, off);
                    }
                    lead_end.get_or_insert(off);
                    open = Some(Open {
                        keyword: k,
                        kw_end: end,
                        value: None,
                        phrase_end: end,
                        phrase_open: true,
                    });
                } else if let Some(o) = open.as_mut()
                    && o.phrase_open
                {
                    o.phrase_end = end;
                }
            }
            Token::Word(_) | Token::Semi => {}
        }
    }
    if let Some(o) = open.take() {
        store(&mut out, input, o, body_end);
    }
    out.lead = input
        .get(..lead_end.unwrap_or(body_end))
        .unwrap_or_default();
    out
}

/// Records a finished clause; the first clause of each keyword wins.
fn store<'a>(out: &mut Clauses<'a>, input: &'a [u8], o: Open, end: usize) {
    let slot = out.slot(o.keyword);
    if slot.is_some() {
        return;
    }
    let c = match o.value {
        Some((vs, ve)) => Clause {
            value: input.get(vs..ve).unwrap_or_default(),
            phrase: input.get(vs..o.phrase_end.max(ve)).unwrap_or_default(),
            tail: input.get(ve..end.max(ve)).unwrap_or_default(),
        },
        None => Clause {
            tail: input.get(o.kw_end..end.max(o.kw_end)).unwrap_or_default(),
            ..Clause::default()
        },
    };
    *slot = Some(c);
}

/// Splits `key=value` items of a comment (`[ip] helo=x ident=y`, `version=TLS1_2,
/// cipher=X`) and returns the value of `key`, up to a space or comma.
pub(crate) fn item<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut rest = text;
    while !rest.is_empty() {
        let skip = rest
            .iter()
            .take_while(|b| is_ws(**b) || **b == b',')
            .count();
        rest = rest.get(skip..).unwrap_or_default();
        let end = rest
            .iter()
            .position(|b| is_ws(*b) || *b == b',')
            .unwrap_or(rest.len());
        let (it, r) = rest.split_at(end);
        if let Some(v) = it.strip_prefix(key)
            && let Some(v) = v.strip_prefix(b"=")
        {
            return Some(v);
        }
        rest = r;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_productions() {
        assert_eq!(semi(b"; x"), Ok((&b" x"[..], Token::Semi)));
        assert!(semi(b"x;").is_err());
        // Nested comments, a quoted `)`, the rest after the outer `)`.
        assert_eq!(
            nested_comment(b"(Exim 4.94.2 (FreeBSD)) id"),
            Ok((&b" id"[..], &b"Exim 4.94.2 (FreeBSD)"[..]))
        );
        assert_eq!(
            nested_comment(br"(a \) b) c"),
            Ok((&b" c"[..], &br"a \) b"[..]))
        );
        assert!(nested_comment(b"(helo=a(b) by x").is_err());
        assert_eq!(flat_comment(b"(a(b) c"), Ok((&b" c"[..], &b"a(b"[..])));
        assert_eq!(flat_comment(b"(open"), Ok((&b""[..], &b"open"[..])));
        assert_eq!(
            quoted_string(br#""a \" b" c"#),
            Ok((&b" c"[..], &br#""a \" b""#[..]))
        );
        assert!(quoted_string(br#""open"#).is_err());
        assert_eq!(escaped_pair(br"\ x"), Ok((&b"x"[..], &br"\ "[..])));
        assert_eq!(escaped_pair(br"\"), Ok((&b""[..], &br"\"[..])));
        // Words end at whitespace, `(` and `;`, but not inside quotes or after `\`.
        assert_eq!(
            word(br#"a"b c"d(e"#, true),
            Ok((&b"(e"[..], (&br#"a"b c"d"#[..], false)))
        );
        assert_eq!(
            word(br"a\ b c", true),
            Ok((&b" c"[..], (&br"a\ b"[..], false)))
        );
        assert_eq!(word(b"id;", true), Ok((&b";"[..], (&b"id"[..], false))));
        // An unclosed quote is an ordinary byte, and says so.
        assert_eq!(
            word(br#"a"b c"#, true),
            Ok((&b" c"[..], (&br#"a"b"#[..], true)))
        );
        assert_eq!(
            word(br#"a"b c"#, false),
            Ok((&b" c"[..], (&br#"a"b"#[..], false)))
        );
        assert!(word(b" a", true).is_err());
    }

    fn words(s: &str) -> Vec<String> {
        Tokens::new(s.as_bytes())
            .map(|(_, t)| match t {
                Token::Word(w) => format!("W:{}", String::from_utf8_lossy(w)),
                Token::Comment(c) => format!("C:{}", String::from_utf8_lossy(c)),
                Token::Semi => ";".to_string(),
            })
            .collect()
    }

    #[test]
    fn tokens_table() {
        let cases: &[(&str, &[&str])] = &[
            ("a  b\r\n\tc", &["W:a", "W:b", "W:c"]),
            (
                "with esmtps  (TLS1.3) tls X\n\t(Exim 4.94.2 (FreeBSD))",
                &[
                    "W:with",
                    "W:esmtps",
                    "C:TLS1.3",
                    "W:tls",
                    "W:X",
                    "C:Exim 4.94.2 (FreeBSD)",
                ],
            ),
            ("id X;\n\tdate", &["W:id", "W:X", ";", "W:date"]),
            (
                "for \"FAIL (FAIL); x\"@h; d",
                &["W:for", "W:\"FAIL (FAIL); x\"@h", ";", "W:d"],
            ),
            ("for a\\ b@c;", &["W:for", "W:a\\ b@c", ";"]),
            ("(a \\) b) c", &["C:a \\) b", "W:c"]),
            // Unclosed comment: flat mode, the comment ends at the first `)`.
            ("(helo=a(b) by x", &["C:helo=a(b", "W:by", "W:x"]),
            ("(open", &["C:open"]),
            ("\"open x", &["W:\"open", "W:x"]),
        ];
        for (input, want) in cases {
            assert_eq!(words(input), *want, "{input}");
        }
    }

    #[test]
    fn hostile_nesting_is_linear_and_bounded() {
        let mut s = "(".repeat(10_000);
        s.push('x');
        assert_eq!(Tokens::new(s.as_bytes()).count(), 1);
        let s = "( ( ) ".repeat(5_000);
        // Every comment ends at its first `)` once flat mode is on.
        assert_eq!(Tokens::new(s.as_bytes()).count(), 5_000);
        let s = "(".repeat(10_000) + &")".repeat(10_000);
        assert_eq!(Tokens::new(s.as_bytes()).count(), 1);
    }

    #[test]
    fn split_clauses() {
        let c = split(
            b"from a (b [1.2.3.4])\n\tby mx (Postfix) with Microsoft SMTP Server (v) id Q\n\tfor <u@x>; Mon, 1 Jan 2024",
        );
        let f = c.from.unwrap();
        assert_eq!((f.value, f.tail), (&b"a"[..], &b" (b [1.2.3.4])\n\t"[..]));
        assert_eq!(c.by.unwrap().value, b"mx");
        let w = c.with.unwrap();
        assert_eq!(w.phrase, b"Microsoft SMTP Server");
        assert_eq!(c.id.unwrap().value, b"Q");
        assert_eq!(c.for_.unwrap().value, b"<u@x>");
        assert_eq!(c.date, Some(&b" Mon, 1 Jan 2024"[..]));
        assert!(c.lead.is_empty());
        assert!(c.via.is_none());

        let c = split(b"(qmail 1 invoked by uid 89); 6 Jan 2025");
        assert_eq!(c.lead, b"(qmail 1 invoked by uid 89)");
        assert!(c.by.is_none());

        let c = split(b"from by.example by x");
        assert_eq!(c.from.unwrap().value, b"by.example");
        assert_eq!(c.by.unwrap().value, b"x");
    }

    /// The keywords are exactly RFC 5321 §4.4's `from by via with id for`, in any
    /// case; other words of the same length are not keywords (`up 3 days`).
    #[test]
    fn keywords_are_the_rfc_5321_clause_names() {
        let cases: &[(&[u8], Option<Keyword>)] = &[
            (b"from", Some(Keyword::From)),
            (b"BY", Some(Keyword::By)),
            (b"via", Some(Keyword::Via)),
            (b"With", Some(Keyword::With)),
            (b"id", Some(Keyword::Id)),
            (b"ID", Some(Keyword::Id)),
            (b"for", Some(Keyword::For)),
            (b"up", None),
            (b"of", None),
            (b"fro", None),
            (b"form", None),
            (b"withe", None),
        ];
        for (w, want) in cases {
            assert_eq!(Keyword::of(w), *want, "{:?}", String::from_utf8_lossy(w));
        }
        // In a phrase: a two-letter word does not end the `with` clause.
        let c = split(b"by mx.example.com with HTTP on port 80 id 4Xy1Z2; x");
        assert_eq!(c.with.unwrap().phrase, b"HTTP on port 80");
        assert_eq!(c.id.unwrap().value, b"4Xy1Z2");
    }

    #[test]
    fn items() {
        assert_eq!(item(b"[1.2.3.4] helo=x ident=y", b"ident"), Some(&b"y"[..]));
        assert_eq!(
            item(b"version=TLS1_2, cipher=TLS_X", b"cipher"),
            Some(&b"TLS_X"[..])
        );
        assert_eq!(item(b"helo=x", b"ident"), None);
    }
}
