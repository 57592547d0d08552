//! Walking the `Received:` headers of a message's header block.
//!
//! Every MTA prepends its `Received:` header, so the first one in the block is
//! the newest hop and the last one the oldest (RFC 5321 §4.4).

use super::Received;
use crate::message_id::MessageId;

/// Iterator over the `Received:` headers of a header block, newest first (in
/// the order they appear). Each item is the whole header, continuation lines
/// included, without its final line end. Made by [`received_headers`].
#[derive(Clone, Debug)]
pub struct ReceivedHeaders<'a> {
    rest: &'a [u8],
}

/// The `Received:` headers of a header block (or of a whole message: the walk
/// stops at the blank line that ends the headers). Other header fields, and a
/// leading mbox `From ` line, are skipped; folded lines stay with their header.
///
/// ```
/// use exim_log::received_headers;
/// let block = b"Return-path: <a@example.com>\r\nReceived: from x\r\n\tby y;\r\n Mon, 1 Jan 2024\r\nSubject: hi\r\n\r\nReceived: in the body\r\n";
/// let all: Vec<&[u8]> = received_headers(block).collect();
/// assert_eq!(all, [&b"Received: from x\r\n\tby y;\r\n Mon, 1 Jan 2024"[..]]);
/// ```
pub fn received_headers(block: &[u8]) -> ReceivedHeaders<'_> {
    ReceivedHeaders { rest: block }
}

/// The end of the line starting at 0 (index of its `\n`, or the length) and the
/// start of the next line.
fn line(b: &[u8]) -> (usize, usize) {
    match memchr::memchr(b'\n', b) {
        Some(p) => (p, p + 1),
        None => (b.len(), b.len()),
    }
}

impl<'a> Iterator for ReceivedHeaders<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let b = self.rest;
            let (first_end, mut next) = line(b);
            let first = b.get(..first_end)?;
            if first.is_empty() && first_end == next {
                self.rest = &[];
                return None;
            }
            if first.iter().all(|c| *c == b'\r') {
                // The blank line that ends the header block.
                self.rest = &[];
                return None;
            }
            let mut end = first_end;
            while let Some(c) = b.get(next)
                && matches!(c, b' ' | b'\t')
            {
                let (e, n) = line(b.get(next..).unwrap_or_default());
                end = next + e;
                next += n;
            }
            self.rest = b.get(next..).unwrap_or_default();
            let field = b.get(..end).unwrap_or_default();
            let field = field.strip_suffix(b"\r").unwrap_or(field);
            if field
                .get(..9)
                .is_some_and(|n| n.eq_ignore_ascii_case(b"received:"))
            {
                return Some(field);
            }
        }
    }
}

/// Iterator over the blank-line-separated blocks of a text holding several
/// header blocks (saved messages' headers, one after the other). Made by
/// [`header_blocks`].
#[derive(Clone, Debug)]
pub struct HeaderBlocks<'a> {
    rest: &'a [u8],
}

/// The blocks of `input` separated by blank lines (lines that are empty or
/// only `\r`), in order, each with the line ends of its lines; runs of blank
/// lines, and blank lines at either end, give no empty block.
///
/// ```
/// use exim_log::header_blocks;
/// let text = b"\r\nReceived: from a\r\n\tby b\r\n\r\n\r\nReceived: from c\n";
/// let blocks: Vec<&[u8]> = header_blocks(text).collect();
/// assert_eq!(blocks, [&b"Received: from a\r\n\tby b\r\n"[..], b"Received: from c\n"]);
/// ```
pub fn header_blocks(input: &[u8]) -> HeaderBlocks<'_> {
    HeaderBlocks { rest: input }
}

impl<'a> Iterator for HeaderBlocks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let b = self.rest;
        let (mut start, mut pos) = (None, 0);
        while pos < b.len() {
            let (_, next) = line(b.get(pos..).unwrap_or_default());
            let blank = b
                .get(pos..pos + next)
                .unwrap_or_default()
                .iter()
                .all(|c| matches!(c, b'\r' | b'\n'));
            match (blank, start) {
                (true, Some(s)) => {
                    self.rest = b.get(pos + next..).unwrap_or_default();
                    return b.get(s..pos);
                }
                (false, None) => start = Some(pos),
                _ => {}
            }
            pos += next;
        }
        self.rest = &[];
        b.get(start?..)
    }
}

/// The Exim message ids of a message's `Received:` headers, **oldest hop first**,
/// ready for the mainlog lookup. Headers without an Exim id are skipped.
///
/// ```
/// use exim_log::exim_message_ids;
/// let headers = b"Received: from mx.example.net ([192.0.2.1])\n\
///     \tby mail.example.org with esmtp (Exim 4.98)\n\
///     \tid 1tQxyz-00000000AbC-1Xyz;\n\tMon, 06 Jan 2025 10:00:01 +0000\n\
///     Received: from alice by mx.example.net with local (Exim 4.96)\n\
///     \tid 1tQxyy-000AbC-1X; Mon, 06 Jan 2025 10:00:00 +0000\n\
///     Subject: x\n";
/// let ids: Vec<String> = exim_message_ids(headers).iter().map(|i| i.to_string()).collect();
/// assert_eq!(ids, ["1tQxyy-000AbC-1X", "1tQxyz-00000000AbC-1Xyz"]);
/// ```
pub fn exim_message_ids(block: &[u8]) -> Vec<MessageId<'_>> {
    let mut ids: Vec<MessageId<'_>> = received_headers(block)
        .filter_map(|h| Received::parse(h).message_id)
        .collect();
    ids.reverse();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walker_table() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"", &[]),
            (b"Subject: x\n", &[]),
            (b"Received: a\n", &[b"Received: a"]),
            (b"Received: a", &[b"Received: a"]),
            (
                b"RECEIVED: a\r\n b\r\nX: y\r\nReceived: c\r\n\r\nReceived: body",
                &[b"RECEIVED: a\r\n b", b"Received: c"],
            ),
            // A folded non-Received field that mentions Received is skipped whole.
            (
                b"X-Note: a\n Received: no\nReceived: yes\n",
                &[b"Received: yes"],
            ),
            (b"Received-SPF: pass\nReceived:x\n", &[b"Received:x"]),
            (b"\nReceived: after blank", &[]),
        ];
        for (block, want) in cases {
            let got: Vec<&[u8]> = received_headers(block).collect();
            assert_eq!(got, *want, "{}", String::from_utf8_lossy(block));
        }
    }

    /// RFC 5321 §4.4: each hop prepends its header, so the oldest hop is the
    /// last header; ids of other MTAs and headers that are not Exim's are skipped.
    #[test]
    fn exim_ids_oldest_hop_first() {
        let block = b"Received: from mx.example.net by mail.example.org with esmtp (Exim 4.98)\n\
            \tid 1tQxyz-00000000AbC-1Xyz;\n\tMon, 06 Jan 2025 10:00:02 +0000\n\
            Received: from a.example by mx.example.net (Postfix) with ESMTP id 4Xy1Z2;\n\
            \tMon,  6 Jan 2025 10:00:01 +0000 (UTC)\n\
            Received: from alice by a.example with local (Exim 4.96)\n\
            \tid 1tQxyy-000AbC-1X; Mon, 06 Jan 2025 10:00:00 +0000\n\
            Subject: x\n\n\
            Received: from body by x with local (Exim 4.96) id 1tQxyx-000AbC-1X; x\n";
        let ids: Vec<&str> = exim_message_ids(block).iter().map(|i| i.as_str()).collect();
        assert_eq!(ids, ["1tQxyy-000AbC-1X", "1tQxyz-00000000AbC-1Xyz"]);
    }

    #[test]
    fn blocks_table() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"", &[]),
            (b"\n\r\n\r", &[]),
            (b"a", &[b"a"]),
            (b"a\nb\n", &[b"a\nb\n"]),
            (b"a\n\nb", &[b"a\n", b"b"]),
            (b"\na\r\n\r\n\r\n b\r\n\r\n", &[b"a\r\n", b" b\r\n"]),
            // CRLF blank lines, and a file mixing LF and CRLF line ends.
            (b"a\r\n\r\nb\r\n", &[b"a\r\n", b"b\r\n"]),
            (b"ab\n\r\ncd", &[b"ab\n", b"cd"]),
            // A line of spaces is not blank: it is a folded line's start.
            (b"a\n \nb\n", &[b"a\n \nb\n"]),
        ];
        for (input, want) in cases {
            let got: Vec<&[u8]> = header_blocks(input).collect();
            assert_eq!(got, *want, "{}", String::from_utf8_lossy(input));
        }
    }
}
