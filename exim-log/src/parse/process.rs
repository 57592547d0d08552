//! `cwd=<dir> <N> args: <arguments>` (`+arguments`, `exim.c`; spec §10 "args").
//!
//! The directory is written raw and may contain spaces, so it ends before the
//! first ` <digits> args:`; the arguments after it are quoted by Exim when
//! needed, so a later marker inside them cannot confuse this.

use super::peer::number;
use crate::event::{ArgList, Arguments};
use crate::scan;
use crate::text::Text;

/// Positions of ` args:` in `i`, found by their `:` (rare in a directory and
/// the first one is usually the marker): building a `memmem` searcher for
/// every line cost more than the parse (callgrind; the count is in benches/README.md).
fn markers(i: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let colon = from + scan::find(b':', i.get(from..)?)?;
            from = colon + 1;
            if let Some(start) = colon.checked_sub(5)
                && i.get(start..colon) == Some(b" args")
            {
                return Some(start);
            }
        }
    })
}

/// Parses the text after `cwd=`. Returns the payload, not an [`Event`]: the
/// caller writes it into the event in place, which copies these few bytes
/// instead of a whole event (callgrind; the count is in benches/README.md).
pub(crate) fn arguments(i: &[u8]) -> Option<Arguments<'_>> {
    for pos in markers(i) {
        let head = i.get(..pos)?;
        // The space before the count is a few bytes back: a plain reverse
        // loop beats `memrchr`'s setup on such short runs (callgrind).
        let sp = head.iter().rposition(|b| *b == b' ')?;
        let (cwd, n) = head.split_at(sp);
        let Some(argc) = number::<u32>(n.get(1..).unwrap_or_default()) else {
            continue;
        };
        let rest = i.get(pos + 6..).unwrap_or_default();
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        return Some(Arguments {
            cwd: Text::new(cwd),
            argc,
            args: ArgList::new(Text::new(rest)),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_by_their_colon() {
        let i = b"/a:b args:x/c args: /usr/sbin/exim -d+all args: x";
        let found: Vec<usize> = markers(i).collect();
        let want: Vec<usize> = memchr::memmem::find_iter(i, b" args:").collect();
        assert_eq!(found, want);
        assert_eq!(markers(b"args: x").count(), 0);
        assert_eq!(markers(b":").count(), 0);
    }

    #[test]
    fn arguments_table() {
        // input after `cwd=`, (cwd, argc, args)
        type Want<'s> = (&'s str, u32, &'s [&'s str]);
        let cases: &[(&str, Want)] = &[
            (
                "/home/shop/public_html 4 args: /usr/sbin/sendmail -t -i -fshop@example.com",
                (
                    "/home/shop/public_html",
                    4,
                    &["/usr/sbin/sendmail", "-t", "-i", "-fshop@example.com"],
                ),
            ),
            (
                "/var/spool/exim 3 args: /usr/sbin/exim -bd -q30m",
                ("/var/spool/exim", 3, &["/usr/sbin/exim", "-bd", "-q30m"]),
            ),
            (
                "/home/a b/www 3 args: sendmail -oMr \"my proto\"",
                ("/home/a b/www", 3, &["sendmail", "-oMr", "my proto"]),
            ),
            ("/ 1 args:", ("/", 1, &[])),
        ];
        for (input, (cwd, argc, args)) in cases {
            let Some(a) = arguments(input.as_bytes()) else {
                panic!("{input}");
            };
            assert_eq!(a.cwd, *cwd, "{input}");
            assert_eq!(a.argc, *argc, "{input}");
            let got: Vec<String> = a.args.iter().map(|q| q.to_string_lossy()).collect();
            assert_eq!(got, *args, "{input}");
        }
        assert!(arguments(b"/tmp no args here").is_none());
    }
}
