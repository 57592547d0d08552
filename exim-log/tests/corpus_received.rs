//! Every `Received:` header of the Exim test suite (`received-headers.txt`,
//! records separated by blank lines, one record with CRLF line ends) parses;
//! every header Exim wrote yields its message id, `by` host and protocol.

// The shared helper panics on purpose when the corpus is unreadable; clippy
// does not see it as test code.
mod common;

use exim_log::{Mta, Received, exim_message_ids, received_headers};

/// Splits the file at blank lines (empty or `\r` only).
fn records(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = None;
    let mut pos = 0;
    for line in data.split_inclusive(|b| *b == b'\n') {
        let blank = line.iter().all(|b| matches!(b, b'\r' | b'\n'));
        match (blank, start) {
            (true, Some(s)) => {
                out.extend(data.get(s..pos));
                start = None;
            }
            (false, None) => start = Some(pos),
            _ => {}
        }
        pos += line.len();
    }
    if let Some(s) = start {
        out.extend(data.get(s..));
    }
    out
}

fn contains(h: &[u8], needle: &[u8]) -> bool {
    h.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn corpus_received_headers() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let data = std::fs::read(dir.join("received-headers.txt")).expect("read corpus");
    let recs = records(&data);
    assert_eq!(recs.len(), 1194, "records in received-headers.txt");

    let (mut exim, mut exim_ok, mut dated, mut crlf, mut with_from) = (0, 0, 0, 0, 0);
    let mut mtas = std::collections::BTreeMap::<String, usize>::new();
    for rec in &recs {
        let r = Received::parse(rec);
        let trimmed = rec.trim_ascii_end();
        assert_eq!(r.raw.as_bytes(), trimmed, "raw is the whole record");
        // The header walker finds the record as exactly one header.
        let hs: Vec<&[u8]> = received_headers(rec).collect();
        assert_eq!(hs, [trimmed], "walker on {}", String::from_utf8_lossy(rec));
        if contains(rec, b"\r\n") {
            crlf += 1;
        }
        *mtas.entry(format!("{:?}", r.mta)).or_default() += 1;
        if r.date.is_some() {
            dated += 1;
        }
        if contains(rec, b"(Exim") {
            exim += 1;
            assert_eq!(r.mta, Mta::Exim);
            let id = r
                .message_id
                .unwrap_or_else(|| panic!("no message id: {}", String::from_utf8_lossy(rec)));
            assert_eq!(Some(id.as_str()), r.id.and_then(|i| i.to_str().ok()));
            assert!(r.by.is_some_and(|b| !b.is_empty()), "no by");
            assert!(
                r.protocol.is_some_and(|p| !p.as_bytes().is_empty()),
                "no protocol"
            );
            // The test suite writes every version as `x.yz` and every date alike.
            assert_eq!(r.exim_version.unwrap(), "x.yz");
            assert_eq!(r.date.unwrap().to_string(), "1999-03-02T09:44:33+00:00");
            if r.from.is_some() {
                with_from += 1;
            }
            // The one-header walk gives the same id.
            assert_eq!(exim_message_ids(rec), [id]);
            exim_ok += 1;
        }
    }
    eprintln!(
        "received-headers.txt: {} records ({crlf} with CRLF), {exim} with `(Exim`, \
         {exim_ok} of them with message id + by + protocol, {with_from} with from; \
         {dated} dates parsed; by MTA: {mtas:?}",
        recs.len()
    );
    assert_eq!(exim, 1186, "README: 1186 records contain (Exim x.yz)");
    assert_eq!(exim_ok, exim);
    assert_eq!(with_from, exim);
    assert_eq!(crlf, 1, "README: one record has CRLF line ends");
}

/// A whole message (mbox `From ` line, other fields, a Postfix hop between two
/// Exim hops, a lower-case field name, a `Received:` in the body): the ids of
/// the header block come back oldest hop first.
#[test]
fn walker_orders_ids_oldest_first() {
    let block = b"From sender@example.com Mon Jan  6 10:00:02 2025\n\
        Return-path: <sender@example.com>\n\
        Received: from mx.example.net ([192.0.2.1]:40000 helo=mx.example.net)\n\
        \tby mail.example.org with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\
        \t(Exim 4.98)\n\
        \t(envelope-from <sender@example.com>)\n\
        \tid 1tQxz0-00000000AbC-1Xyz\n\
        \tfor rcpt@example.org;\n\
        \tMon, 06 Jan 2025 10:00:02 +0000\n\
        X-Spam: no\n\
        Received: from mx.example.com (mx.example.com [198.51.100.2])\n\
        \tby mx.example.net (Postfix) with ESMTP id 4Xy1Z2;\n\
        \tMon,  6 Jan 2025 10:00:01 +0000 (UTC)\n\
        received: from www by web.example.com with local (Exim 4.96)\n\
        \tid 1tQxyy-000AbC-1X; Mon, 06 Jan 2025 10:00:00 +0000\n\
        Subject: hello\n\
        \n\
        Received: from body by text with local (Exim 4.96) id 1tQxyx-000AbC-1X\n";
    let ids: Vec<&str> = exim_message_ids(block).iter().map(|i| i.as_str()).collect();
    assert_eq!(ids, ["1tQxyy-000AbC-1X", "1tQxz0-00000000AbC-1Xyz"]);
    assert_eq!(received_headers(block).count(), 3);
}
