//! Lines about Exim processes rather than messages: the `+arguments` line.

#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

use crate::text::{Escaping, Quoted, Text};

/// `cwd=/home/u/public_html 5 args: /usr/sbin/sendmail -t -i` (`+arguments`,
/// `exim.c`): the working directory and command line of an Exim process. This is
/// how a message sent by a web script is traced back to the script's directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Arguments<'a> {
    /// The current working directory of the process.
    pub cwd: Text<'a>,
    /// The argument count Exim logged.
    pub argc: u32,
    /// The arguments, with Exim's quoting undone when read.
    pub args: ArgList<'a>,
}

crate::json_object::json_object!(Arguments<'a>, struct {
    req cwd,
    req argc,
    req args,
});

/// The raw argument text of an [`Arguments`] line. Exim wraps an empty argument, or
/// one containing white space, in `"` and escapes non-printing bytes
/// (`string_printing`); [`ArgList::iter`] undoes both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ArgList<'a>(Text<'a>);

impl<'a> ArgList<'a> {
    /// Wraps the argument text as logged (after `args: `).
    pub const fn new(raw: Text<'a>) -> Self {
        ArgList(raw)
    }

    /// The arguments exactly as logged.
    pub const fn raw(&self) -> Text<'a> {
        self.0
    }

    /// The arguments, each still escaped; decode with [`Quoted::decode`].
    pub fn iter(&self) -> ArgIter<'a> {
        ArgIter {
            rest: self.0.as_bytes(),
        }
    }
}

/// Iterator over the arguments of an [`ArgList`].
#[derive(Clone, Debug)]
pub struct ArgIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for ArgIter<'a> {
    type Item = Quoted<'a>;

    fn next(&mut self) -> Option<Quoted<'a>> {
        let start = self.rest.iter().position(|b| *b != b' ')?;
        let s = self.rest.get(start..)?;
        let (item, rest) = if let Some(inner) = s.strip_prefix(b"\"") {
            // A quoted argument ends at the next `"` followed by a space or the end.
            let end = (0..inner.len())
                .find(|&i| {
                    inner.get(i) == Some(&b'"') && matches!(inner.get(i + 1), None | Some(b' '))
                })
                .unwrap_or(inner.len());
            let (item, rest) = inner.split_at(end);
            (item, rest.get(1..).unwrap_or_default())
        } else {
            let end = memchr::memchr(b' ', s).unwrap_or(s.len());
            s.split_at(end)
        };
        self.rest = rest;
        Some(Quoted::new(item, Escaping::Printing))
    }
}

#[cfg(feature = "serde")]
impl Serialize for ArgList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_and_unquote() {
        let a = ArgList::new(Text::from(r#"/usr/sbin/exim -f "" -oMr "a b" x\ty"#));
        let got: Vec<String> = a.iter().map(|q| q.to_string_lossy()).collect();
        assert_eq!(got, ["/usr/sbin/exim", "-f", "", "-oMr", "a b", "x\ty"]);
    }
}
