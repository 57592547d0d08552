//! `cwd=<dir> <N> args: <arguments>` (`+arguments`, `exim.c`; spec §10 "args").
//!
//! The directory is written raw and may contain spaces, so it ends before the
//! first ` <digits> args:`; the arguments after it are quoted by Exim when
//! needed, so a later marker inside them cannot confuse this.

use memchr::memmem;

use super::peer::number;
use crate::event::{ArgList, Arguments, Event};
use crate::text::Text;

/// Parses the text after `cwd=`.
pub(crate) fn arguments(i: &[u8]) -> Option<Event<'_>> {
    for pos in memmem::find_iter(i, b" args:") {
        let head = i.get(..pos)?;
        let sp = memchr::memrchr(b' ', head)?;
        let (cwd, n) = head.split_at(sp);
        let Some(argc) = number::<u32>(n.get(1..).unwrap_or_default()) else {
            continue;
        };
        let rest = i.get(pos + 6..).unwrap_or_default();
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        return Some(Event::Arguments(Arguments {
            cwd: Text::new(cwd),
            argc,
            args: ArgList::new(Text::new(rest)),
        }));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let Some(Event::Arguments(a)) = arguments(input.as_bytes()) else {
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
