//! The grammar of a spool `-H` file (spec chapter "Format of spool files",
//! section "Format of the -H file"), one nom function per production, checked
//! against how Exim itself reads the file (`spool_in.c spool_read_header`) where
//! the chapter is silent.
//!
//! Every production works on the whole remaining input and returns borrowed
//! slices; [`parse`] runs them in file order and turns a failure into a
//! [`SpoolError`] with the offset of the line that failed.

use nom::branch::alt;
use nom::bytes::complete::{tag, take, take_till, take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{map_opt, opt, recognize, verify};
use nom::sequence::{delimited, preceded, terminated};
use nom::{IResult, Parser};

use super::{Envelope, HeaderFile, SpoolError, SpoolErrorKind, SpoolVariable};
use crate::message_id::MessageId;
use crate::text::Text;

/// Exim's sanity limit on the recipient count (`spool_in.c`: `rcount > 16384`).
pub(crate) const MAX_RECIPIENTS: i64 = 16384;

type Res<'a, T> = IResult<&'a [u8], T>;

/// One line without its newline; the newline must be there (Exim treats a last
/// line without one as a read error: `fgets_big_buffer`).
pub(crate) fn line(i: &[u8]) -> Res<'_, &[u8]> {
    terminated(take_till(|c| c == b'\n'), char('\n')).parse(i)
}

/// `ID-H`: the file's own name, so that a file found without its directory
/// still says which message it is.
fn id_line(i: &[u8]) -> Res<'_, MessageId<'_>> {
    map_opt(line, |l: &[u8]| {
        l.strip_suffix(b"-H").and_then(MessageId::parse)
    })
    .parse(i)
}

/// `ID-D`: the first line of the data file.
pub(crate) fn data_id_line(i: &[u8]) -> Res<'_, MessageId<'_>> {
    map_opt(line, |l: &[u8]| {
        l.strip_suffix(b"-D").and_then(MessageId::parse)
    })
    .parse(i)
}

/// A number as Exim's `Uatoi` reads the uid and gid it has cut out of the line:
/// here the cut already guarantees `[0-9-]+` ending in a digit; only a single
/// leading minus is taken as a sign (what Exim writes), anything else is refused.
fn signed(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = std::str::from_utf8(digits).ok()?.parse::<i64>().ok()?;
    Some(if neg { -v } else { v })
}

/// `login uid gid`: read from the end like Exim does, because the login may
/// contain spaces (it is cut to 63 bytes, not checked).
fn owner_line(i: &[u8]) -> Res<'_, (Text<'_>, i64, i64)> {
    map_opt(line, |l: &[u8]| {
        let l = l.trim_ascii_end();
        let gid_at = l.iter().rposition(|&c| c == b' ')?;
        let (rest, gid) = (l.get(..gid_at)?, l.get(gid_at + 1..)?);
        let uid_at = rest.iter().rposition(|&c| c == b' ')?;
        let (login, uid) = (rest.get(..uid_at)?, rest.get(uid_at + 1..)?);
        Some((Text::new(login), signed(uid)?, signed(gid)?))
    })
    .parse(i)
}

/// `<sender>`: the envelope sender in angle brackets, empty for bounces. Exim
/// only checks the first byte and the one before the newline.
fn sender_line(i: &[u8]) -> Res<'_, Text<'_>> {
    map_opt(line, |l: &[u8]| {
        l.strip_prefix(b"<")
            .and_then(|l| l.strip_suffix(b">"))
            .map(Text::new)
    })
    .parse(i)
}

/// An integer as C's `%d` reads it: optional blanks, an optional sign, digits.
fn c_int(i: &[u8]) -> Res<'_, i64> {
    map_opt(
        preceded(
            take_while(|c| c == b' ' || c == b'\t'),
            recognize((opt(alt((char('-'), char('+')))), digit1)),
        ),
        |d: &[u8]| std::str::from_utf8(d).ok()?.parse::<i64>().ok(),
    )
    .parse(i)
}

/// `received_time warning_count` (`sscanf("%ld %d")`); anything after the two
/// numbers is ignored, as by `sscanf`.
fn time_line(i: &[u8]) -> Res<'_, (i64, i64)> {
    terminated(
        (
            c_int,
            preceded(take_while1(|c| c == b' ' || c == b'\t'), c_int),
        ),
        line,
    )
    .parse(i)
}

/// `-name value` or `--name value` (tainted) or `--(quoter)name value`, and for
/// ACL variables the data block that follows the line.
pub(crate) fn variable(i: &[u8]) -> Res<'_, SpoolVariable<'_>> {
    let (i, _) = char('-').parse(i)?;
    let (i, tainted) = opt(char('-')).parse(i)?;
    let (i, quoter) = opt(delimited(
        char('('),
        take_till(|c| c == b')' || c == b'\n'),
        char(')'),
    ))
    .parse(i)?;
    let (i, name) = take_till(|c| c == b' ' || c == b'\n').parse(i)?;
    let (i, value) = opt(preceded(char(' '), take_till(|c| c == b'\n'))).parse(i)?;
    let (i, _) = char('\n').parse(i)?;
    let (i, data) = match acl_data_len(name, value) {
        AclLen::None => (i, None),
        AclLen::Invalid => return Err(fail(i)),
        // `fread(count + 1)`: the data, then one byte (the newline Exim wrote)
        // that is not checked.
        AclLen::Len(n) => {
            let (i, d) = take(n).parse(i)?;
            let (i, _) = take(1usize).parse(i)?;
            (i, Some(Text::new(d)))
        }
    };
    Ok((
        i,
        SpoolVariable {
            name: Text::new(name),
            value: value.map(Text::new),
            tainted: tainted.is_some(),
            quoter: quoter.map(Text::new),
            data,
        },
    ))
}

enum AclLen {
    None,
    Invalid,
    Len(usize),
}

/// The data length of an ACL variable line: `-aclc NAME LEN`, `-aclm NAME LEN`
/// (4.61+), or the old `-acl INDEX LEN` (index below 20, length at most 16384).
fn acl_data_len(name: &[u8], value: Option<&[u8]>) -> AclLen {
    let count = |s: &[u8]| c_int(s).ok().map(|(_, n)| n);
    match (name, value) {
        (b"aclc" | b"aclm", Some(v)) => {
            let Some(sp) = v.iter().position(|&c| c == b' ') else {
                return AclLen::Invalid;
            };
            match v.get(sp..).and_then(count) {
                Some(n) if n >= 0 => usize::try_from(n).map_or(AclLen::Invalid, AclLen::Len),
                _ => AclLen::Invalid,
            }
        }
        (b"acl", Some(v)) => {
            let mut it = v.split(|&c| c == b' ').filter(|w| !w.is_empty());
            let index = it.next().and_then(count);
            let len = it.next().and_then(count);
            match (index, len) {
                (Some(0..=19), Some(n @ 0..=16384)) => {
                    usize::try_from(n).map_or(AclLen::Invalid, AclLen::Len)
                }
                _ => AclLen::Invalid,
            }
        }
        (b"aclc" | b"aclm" | b"acl", None) => AclLen::Invalid,
        _ => AclLen::None,
    }
}

fn fail(i: &[u8]) -> nom::Err<nom::error::Error<&[u8]>> {
    nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify))
}

/// One node line of the non-recipients tree: two letters (`Y` when the node has
/// a left / right branch), a separator and the address (at least one byte).
fn tree_node(i: &[u8]) -> Res<'_, (bool, bool, &[u8])> {
    map_opt(verify(line, |l: &[u8]| l.len() >= 4), |l: &[u8]| {
        let (&left, rest) = l.split_first()?;
        let (&right, rest) = rest.split_first()?;
        Some((left == b'Y', right == b'Y', rest.get(1..)?))
    })
    .parse(i)
}

/// The non-recipients tree: `XX` when empty, else the nodes in pre-order (node,
/// left subtree, right subtree). Read with a counter of pending subtrees rather
/// than recursion, so a hostile file cannot exhaust the stack. Returns the
/// section's bytes (empty for `XX`).
pub(crate) fn non_recipients(i: &[u8]) -> Res<'_, &[u8]> {
    if let Ok((rest, _)) = tag::<_, _, nom::error::Error<&[u8]>>(&b"XX\n"[..]).parse(i) {
        return Ok((rest, &[]));
    }
    let start = i;
    let mut rest = i;
    let mut pending: usize = 1;
    while pending > 0 {
        let (r, (left, right, _)) = tree_node(rest)?;
        rest = r;
        pending = pending - 1 + usize::from(left) + usize::from(right);
    }
    let used = start.len() - rest.len();
    Ok((rest, start.get(..used).unwrap_or_default()))
}

/// The recipient count (`sscanf("%d")`, at most 16384; a negative count means
/// no recipients, as in Exim's loop).
fn recipient_count(i: &[u8]) -> Res<'_, usize> {
    map_opt(terminated(c_int, line), |n| {
        (n <= MAX_RECIPIENTS).then(|| usize::try_from(n).unwrap_or(0))
    })
    .parse(i)
}

/// One recipient line: at least one byte before the newline (`nn < 2` is a
/// format error in Exim); its extra fields must be consistent.
fn recipient_line(i: &[u8]) -> Res<'_, &[u8]> {
    verify(line, |l: &[u8]| {
        !l.is_empty() && super::recipient::split(l).is_some()
    })
    .parse(i)
}

/// One stored header: `NNN` (its length in bytes, newlines included), the flag
/// character, blanks, then exactly that many bytes, none of them NUL.
/// Exim reads the prefix with `fscanf("%d%c ")`, so after the flag any white
/// space is skipped; it writes exactly one space.
pub(crate) fn header(i: &[u8]) -> Res<'_, (usize, u8, &[u8])> {
    let (i, n) = map_opt(digit1, |d: &[u8]| {
        std::str::from_utf8(d).ok()?.parse::<usize>().ok()
    })
    .parse(i)?;
    let (i, flag) = take(1usize).parse(i)?;
    let (i, _) = take_while(|c: u8| c.is_ascii_whitespace() || c == 0x0b).parse(i)?;
    let (i, text) = verify(take(n), |t: &[u8]| !t.contains(&0)).parse(i)?;
    Ok((i, (n, flag.first().copied().unwrap_or(b' '), text)))
}

/// Parses a whole `-H` file.
pub(crate) fn parse(input: &[u8]) -> Result<HeaderFile<'_>, SpoolError> {
    let at = |rest: &[u8]| input.len() - rest.len();
    let err = |kind, rest: &[u8]| SpoolError::new(kind, at(rest));

    let (i, id) = id_line(input).map_err(|_| err(SpoolErrorKind::IdLine, input))?;
    let (i, (login, uid, gid)) = owner_line(i).map_err(|_| err(SpoolErrorKind::OwnerLine, i))?;
    let (i, sender) = sender_line(i).map_err(|_| err(SpoolErrorKind::SenderLine, i))?;
    let (i, (received_time, warning_count)) =
        time_line(i).map_err(|_| err(SpoolErrorKind::TimeLine, i))?;

    // Variables: lines starting with `-`, in any order.
    let vars_start = i;
    let mut i = i;
    let mut envelope = Envelope::default();
    while i.first() == Some(&b'-') {
        let (rest, v) = variable(i).map_err(|_| err(SpoolErrorKind::Variable, i))?;
        envelope
            .apply(&v)
            .map_err(|()| err(SpoolErrorKind::Variable, i))?;
        i = rest;
    }
    let variables = vars_start
        .get(..vars_start.len() - i.len())
        .unwrap_or_default();

    let (i, tree) = non_recipients(i).map_err(|e| match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => err(SpoolErrorKind::NonRecipients, e.input),
        nom::Err::Incomplete(_) => err(SpoolErrorKind::NonRecipients, i),
    })?;
    let (i, count) = recipient_count(i).map_err(|_| err(SpoolErrorKind::RecipientCount, i))?;
    let rcpt_start = i;
    let mut i = i;
    for _ in 0..count {
        let (rest, _) = recipient_line(i).map_err(|_| err(SpoolErrorKind::Recipient, i))?;
        i = rest;
    }
    let recipients = rcpt_start
        .get(..rcpt_start.len() - i.len())
        .unwrap_or_default();

    let (i, _) = char::<_, nom::error::Error<&[u8]>>('\n')
        .parse(i)
        .map_err(|_| err(SpoolErrorKind::HeaderSeparator, i))?;
    let headers = i;
    let mut i = i;
    while !i.is_empty() {
        let (rest, _) = header(i).map_err(|_| err(SpoolErrorKind::Header, i))?;
        i = rest;
    }

    Ok(HeaderFile {
        id,
        login,
        uid,
        gid,
        sender,
        received_time,
        warning_count,
        envelope,
        variables,
        non_recipients: tree,
        recipient_count: count,
        recipients,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Owner = Option<(&'static str, i64, i64)>;

    #[test]
    fn owner_lines() {
        let table: &[(&[u8], Owner)] = &[
            (b"nobody 65534 65534\n", Some(("nobody", 65534, 65534))),
            (b"root 0 0  \n", Some(("root", 0, 0))),
            (b"a b c 5 -1\n", Some(("a b c", 5, -1))),
            (b" 1 2\n", Some(("", 1, 2))),
            (b"root 0\n", None),
            (b"root x 0\n", None),
            (b"root 0 0", None),
            (b"root 0 1-\n", None),
        ];
        for (input, want) in table {
            let got = owner_line(input)
                .ok()
                .map(|(_, (l, u, g))| (l.to_string_lossy().into_owned(), u, g));
            assert_eq!(
                got,
                want.map(|(l, u, g)| (l.to_string(), u, g)),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn time_lines() {
        assert_eq!(
            time_line(b"1796467807 0\n").map(|r| r.1),
            Ok((1796467807, 0))
        );
        assert_eq!(time_line(b"17 3 extra\n").map(|r| r.1), Ok((17, 3)));
        assert!(time_line(b"17\n").is_err());
        assert!(time_line(b"x 1\n").is_err());
    }

    #[test]
    fn variables() {
        let (rest, v) = variable(b"--(pgsql)auth_id it's me\nXX\n").unwrap();
        assert_eq!(rest, b"XX\n");
        assert!(v.tainted);
        assert_eq!(v.quoter.unwrap(), "pgsql");
        assert_eq!(v.name, "auth_id");
        assert_eq!(v.value.unwrap(), "it's me");

        let (rest, v) = variable(b"-aclm _rcpts 5\na\nb\nc\nXX\n").unwrap();
        assert_eq!(rest, b"XX\n", "5 bytes of data, then the newline");
        assert_eq!(v.data.unwrap(), "a\nb\nc");
        // The byte after the data is skipped whatever it is, as by Exim's fread.
        let (rest, _) = variable(b"-aclc _x 1\nab-local\n").unwrap();
        assert_eq!(rest, b"-local\n");

        let (_, v) = variable(b"-acl 12 3\nabc\n").unwrap();
        assert_eq!(v.data.unwrap(), "abc");
        assert!(
            variable(b"-acl 20 3\nabc\n").is_err(),
            "index 20 is out of range"
        );
        assert!(variable(b"-aclc _x 9\nshort\n").is_err());
        assert!(variable(b"-aclc _x\n").is_err());

        let (_, v) = variable(b"-local\n").unwrap();
        assert_eq!((v.name.as_bytes(), v.value), (&b"local"[..], None));
        assert!(variable(b"-local").is_err(), "no newline");
    }

    #[test]
    fn trees() {
        let t = b"YY b@x\nNN a@x\nNY c@x\nNN d@x\n4\n";
        let (rest, tree) = non_recipients(t).unwrap();
        assert_eq!(rest, b"4\n");
        assert_eq!(tree.len(), t.len() - 2);
        assert_eq!(non_recipients(b"XX\n1\n").unwrap(), (&b"1\n"[..], &b""[..]));
        assert!(non_recipients(b"YN a@x\n").is_err(), "missing left subtree");
        assert!(non_recipients(b"NN \n").is_err(), "empty address");
    }

    #[test]
    fn headers() {
        let (rest, (n, flag, text)) = header(b"012  Subject: hi\n\n").unwrap();
        assert_eq!(
            (n, flag, text, rest),
            (12, b' ', &b"Subject: hi\n"[..], &b"\n"[..])
        );
        let (_, (_, flag, _)) = header(b"005* X: y\n").unwrap();
        assert_eq!(flag, b'*');
        assert!(header(b"099  X: y\n").is_err(), "shorter than its length");
        assert!(header(b"006  X:\0y\n").is_err(), "NUL inside");
        assert!(header(b"X  X: y\n").is_err());
    }
}
