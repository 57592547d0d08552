//! Message assembly on full log lines: interleaved messages across a rotated
//! set (one file gzipped), the `cwd=` link with and without `+pid`, the bounce
//! link and the next-hop link.
// Helpers outside #[test] fns may unwrap and index too (clippy.toml allows it only inside them).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io::Write;
use std::path::Path;

use exim_log::assemble::{Assembled, Assembler, Link, Message, MessageLine, Status};
use exim_log::reader::{LogFiles, rotated};

const SPAM: &str = "1sAoM5-00000009r3p-06vq";
const INBOUND: &str = "1sAoM6-0000000AAAA-0000";
const BOUNCE: &str = "1sAoMA-0000000BBBB-0000";
const QUEUED: &str = "1sAoMB-0000000CCCC-0000";
const NEXT_HOP: &str = "1sAoN0-0000000ZZZZ-0001";
const SCRIPT_DIR: &str = "/home/shop/public_html/wp-content/uploads";

/// The older file, `mainlog.1` (gzipped). No `+pid`. A PHP script submits a
/// message with `sendmail -t -i`; an inbound message interleaves.
fn older() -> String {
    format!(
        "\
2026-11-25 23:59:58 cwd={SCRIPT_DIR} 3 args: /usr/sbin/sendmail -t -i
2026-11-25 23:59:58 {SPAM} <= shop@host.example.com U=shop P=local S=1822 id=20261125235958.1@host.example.com T=\"Your invoice\" for victim1@example.org victim2@example.net
2026-11-25 23:59:58 cwd={SCRIPT_DIR} 3 args: /usr/sbin/exim -Mc {SPAM}
2026-11-25 23:59:59 {INBOUND} <= alice@example.com H=mail.example.com [192.0.2.10] P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=4211 id=abc@example.com
2026-11-25 23:59:59 {SPAM} => victim1@example.org R=dnslookup T=remote_smtp H=mx.example.org [198.51.100.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK id={NEXT_HOP}\"
2026-11-25 23:59:59 {INBOUND} => bob <bob@example.com> R=localuser T=local_delivery
2026-11-25 23:59:59 {INBOUND} Completed
"
    )
}

/// The current file, `mainlog`: the spam message fails for one recipient and
/// bounces, then completes; a message stays queued.
fn current() -> String {
    format!(
        "\
2026-11-26 00:00:03 {SPAM} ** victim2@example.net R=dnslookup T=remote_smtp H=mx.example.net [203.0.113.5] : SMTP error from remote mail server after RCPT TO:<victim2@example.net>: 550 5.1.1 User unknown
2026-11-26 00:00:03 cwd=/var/spool/exim4 7 args: /usr/sbin/exim4 -t -oem -oi -f <> -E{SPAM}
2026-11-26 00:00:03 {BOUNCE} <= <> R={SPAM} U=Debian-exim P=local S=2533
2026-11-26 00:00:03 {SPAM} Completed
2026-11-26 00:00:04 {BOUNCE} => shop <shop@host.example.com> R=localuser T=local_delivery
2026-11-26 00:00:04 {BOUNCE} Completed
2026-11-26 00:00:05 {QUEUED} <= carol@example.com H=(carol-pc) [192.0.2.99] P=esmtp S=1044
2026-11-26 00:00:05 H=(spammer) [192.0.2.66] F=<x@spam.example> rejected RCPT <y@example.com>: relay not permitted
2026-11-26 00:00:06 {QUEUED} == dave@example.net R=dnslookup T=remote_smtp defer (-44) H=mx.example.net [203.0.113.5]: SMTP error from remote mail server after RCPT TO:<dave@example.net>: 451 4.7.1 Greylisted
"
    )
}

/// `mainlog.1.gz` (gzipped; plain text of the same name in a build without
/// the `gzip` feature: content decides, so the set is read the same) and
/// `mainlog`.
fn write_set(dir: &Path, older: &str, current: &str) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(older.as_bytes()).unwrap();
    let older = if cfg!(feature = "gzip") {
        gz.finish().unwrap()
    } else {
        older.as_bytes().to_vec()
    };
    std::fs::write(dir.join("mainlog.1.gz"), older).unwrap();
    std::fs::write(dir.join("mainlog"), current).unwrap();
}

fn assemble(dir: &Path) -> Vec<Assembled> {
    let files = rotated(dir.join("mainlog")).unwrap();
    Assembler::new()
        .messages(LogFiles::new(files))
        .map(Result::unwrap)
        .collect()
}

fn message<'a>(out: &'a [Assembled], id: &str) -> &'a Message {
    out.iter()
        .find_map(|a| match a {
            Assembled::Message(m) if m.id() == id => Some(m),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no message {id}"))
}

fn raws(recs: &[MessageLine]) -> Vec<String> {
    recs.iter()
        .map(|r| String::from_utf8(r.raw().to_vec()).unwrap())
        .collect()
}

/// The lines of `text` that carry `id` right after the timestamp.
fn lines_of(text: &str, id: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.get(20..).is_some_and(|rest| rest.starts_with(id)))
        .map(str::to_string)
        .collect()
}

#[test]
fn interleaved_messages_across_a_rotated_gzipped_set_are_grouped_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (old, cur) = (older(), current());
    write_set(dir.path(), &old, &cur);
    let out = assemble(dir.path());
    let all = format!("{old}{cur}");

    let order: Vec<(&str, Status)> = out
        .iter()
        .filter_map(|a| match a {
            Assembled::Message(m) => Some((m.id().as_str(), m.status)),
            _ => None,
        })
        .collect();
    // Emitted when their Completed line is read; the queued one at the end.
    assert_eq!(
        order,
        [
            (INBOUND, Status::Completed),
            (SPAM, Status::Completed),
            (BOUNCE, Status::Completed),
            (QUEUED, Status::EndOfInput),
        ]
    );
    for id in [SPAM, INBOUND, BOUNCE, QUEUED] {
        assert_eq!(raws(&message(&out, id).lines), lines_of(&all, id), "{id}");
    }
    // The spam message spans both files: its first lines come from the gzipped one.
    let spam = message(&out, SPAM);
    assert!(spam.lines[0].file().unwrap().ends_with("mainlog.1.gz"));
    assert!(spam.lines[3].file().unwrap().ends_with("mainlog"));
    assert_eq!(spam.lines[3].position().line, 4);
}

#[test]
fn no_line_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (old, cur) = (older(), current());
    write_set(dir.path(), &old, &cur);
    let out = assemble(dir.path());
    let mut seen: Vec<String> = Vec::new();
    for a in &out {
        match a {
            Assembled::Message(m) => {
                seen.extend(raws(&m.lines));
                seen.extend(
                    m.arguments
                        .iter()
                        .map(|a| String::from_utf8(a.record.raw().to_vec()).unwrap()),
                );
            }
            Assembled::Line(r) => seen.push(String::from_utf8(r.raw().to_vec()).unwrap()),
            _ => {}
        }
    }
    for line in old.lines().chain(cur.lines()) {
        assert!(seen.iter().any(|s| s == line), "lost: {line}");
    }
}

#[cfg(feature = "serde")]
#[test]
fn message_json_has_status_links_and_positioned_lines() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), &older(), &current());
    let out = assemble(dir.path());
    let v = serde_json::to_value(message(&out, INBOUND)).unwrap();
    assert_eq!(v["message_id"], INBOUND);
    assert_eq!(v["status"], "completed");
    let lines = v["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["message_id"], INBOUND);
    assert_eq!(lines[2]["event"], "completed");
    assert_eq!(lines[2]["position"]["line"], 7);
    assert!(
        lines[2]["position"]["file"]
            .as_str()
            .unwrap()
            .ends_with("mainlog.1.gz")
    );
    assert!(v.get("bounce_parent").is_none());
}

#[test]
fn cwd_link_without_pid_uses_adjacency_and_the_named_id() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), &older(), &current());
    let out = assemble(dir.path());
    let spam = message(&out, SPAM);
    let links: Vec<(Link, String)> = spam
        .arguments
        .iter()
        .map(|a| (a.link, a.arguments().unwrap().cwd.to_string()))
        .collect();
    assert_eq!(
        links,
        [
            (Link::Adjacent { ambiguous: false }, SCRIPT_DIR.to_string()),
            (Link::NamedId, SCRIPT_DIR.to_string()),
        ]
    );
    let sub = spam.submission().unwrap();
    let argv: Vec<String> = sub
        .arguments()
        .unwrap()
        .args
        .iter()
        .map(|a| a.to_string_lossy())
        .collect();
    assert_eq!(argv, ["/usr/sbin/sendmail", "-t", "-i"]);
    // The remote inbound message is linked to nothing.
    assert!(message(&out, INBOUND).arguments.is_empty());
    // The bounce's own submission (`-t -oem -oi -f <> -E<parent>`) links to the bounce.
    let b = message(&out, BOUNCE);
    assert_eq!(b.arguments.len(), 1);
    assert_eq!(
        b.arguments[0].arguments().unwrap().cwd.to_string(),
        "/var/spool/exim4"
    );
}

#[test]
fn cwd_link_with_pid_is_exact_even_when_another_submission_is_nearer() {
    let dir = tempfile::tempdir().unwrap();
    let old = format!(
        "\
2026-11-25 23:59:50 [4242] cwd={SCRIPT_DIR} 3 args: /usr/sbin/sendmail -t -i
2026-11-25 23:59:58 [4300] cwd=/home/blog/public_html 4 args: /usr/sbin/sendmail -i -- reader@example.org
2026-11-25 23:59:58 [4242] {SPAM} <= shop@host.example.com U=shop P=local S=1822 for victim1@example.org
2026-11-25 23:59:58 [4300] {INBOUND} <= blog@host.example.com U=blog P=local S=911 for reader@example.org
"
    );
    let cur = format!(
        "\
2026-11-26 00:00:01 [4250] {SPAM} => victim1@example.org R=dnslookup T=remote_smtp H=mx.example.org [198.51.100.7]
2026-11-26 00:00:01 [4250] {SPAM} Completed
"
    );
    write_set(dir.path(), &old, &cur);
    let out = assemble(dir.path());
    let link = |id| {
        let m = message(&out, id);
        let a = m.submission().unwrap();
        (a.link, a.arguments().unwrap().cwd.to_string())
    };
    assert_eq!(link(SPAM), (Link::Pid, SCRIPT_DIR.to_string()));
    assert_eq!(
        link(INBOUND),
        (Link::Pid, "/home/blog/public_html".to_string())
    );
}

#[test]
fn bounce_and_next_hop_links() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), &older(), &current());
    let out = assemble(dir.path());
    assert_eq!(message(&out, BOUNCE).bounce_parent.as_deref(), Some(SPAM));
    let spam = message(&out, SPAM);
    assert_eq!(spam.bounces, [BOUNCE]);
    let hops: Vec<(&str, &str)> = spam
        .next_hops
        .iter()
        .map(|h| (h.recipient.as_str(), h.message_id.as_str()))
        .collect();
    assert_eq!(hops, [("victim1@example.org", NEXT_HOP)]);
    #[cfg(feature = "serde")]
    {
        let v = serde_json::to_value(spam).unwrap();
        assert_eq!(v["bounces"][0], BOUNCE);
        assert_eq!(v["next_hops"][0]["message_id"], NEXT_HOP);
        assert_eq!(v["arguments"][0]["link"], "adjacent");
    }
}

#[test]
fn memory_is_bounded_by_messages_in_flight() {
    // 20 000 messages that never complete, with a cap of 500 in flight.
    let mut text = String::new();
    for i in 0..20_000u32 {
        text.push_str(&format!(
            "2026-11-25 10:00:{:02} 1sAoM5-{:011}-{:04} <= u{i}@example.com H=mx.example.com [192.0.2.1] P=esmtp S=100\n",
            i % 60,
            i,
            i % 10_000
        ));
    }
    let opts = exim_log::assemble::AssemblerOptions::default().max_in_flight(500);
    let rdr = exim_log::LogReader::new(text.as_bytes());
    let mut msgs = Assembler::with_options(opts).messages(rdr.into_records());
    let mut evicted = 0;
    let mut at_end = 0;
    while let Some(a) = msgs.next() {
        assert!(msgs.assembler().in_flight() <= 500);
        if let Assembled::Message(m) = a.unwrap() {
            match m.status {
                Status::Evicted => evicted += 1,
                Status::EndOfInput => at_end += 1,
                s => panic!("{s:?}"),
            }
        }
    }
    assert_eq!((evicted, at_end), (19_500, 500));
}

mod common;

/// Every corpus mainlog: each line comes out exactly once (a linked args line
/// may be shared by several messages), and each message line sits in the
/// message of its id. Prints the link counts.
#[test]
fn corpus_every_line_comes_out_once() {
    use std::collections::{BTreeMap, HashSet};
    let files = common::corpus_files("mainlog");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for file in &files {
        let lines_in = LogFiles::new([file]).count();
        let mut seen: HashSet<u64> = HashSet::new();
        let mut message_lines = 0;
        for a in Assembler::new().messages(LogFiles::new([file])) {
            match a.unwrap() {
                Assembled::Message(m) => {
                    *counts.entry(m.status.name()).or_default() += 1;
                    for r in &m.lines {
                        let id = r.parse().unwrap().message_id.unwrap();
                        assert_eq!(m.id(), id.as_str(), "{}", file.display());
                        assert!(seen.insert(r.position().line), "{}", file.display());
                        message_lines += 1;
                    }
                    for l in &m.arguments {
                        *counts.entry(l.link.name()).or_default() += 1;
                        seen.insert(l.record.position().line);
                    }
                    if m.bounce_parent.is_some() {
                        *counts.entry("bounce_parent").or_default() += 1;
                    }
                    *counts.entry("next_hops").or_default() += m.next_hops.len();
                }
                Assembled::Line(r) => {
                    assert!(seen.insert(r.position().line), "{}", file.display());
                }
                _ => {}
            }
        }
        assert_eq!(seen.len(), lines_in, "{}", file.display());
        *counts.entry("lines").or_default() += lines_in;
        *counts.entry("message_lines").or_default() += message_lines;
    }
    eprintln!("corpus assembly over {} files: {counts:?}", files.len());
}
