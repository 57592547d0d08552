//! The trace engine (`exim_log::trace`): ids of both formats, patterns, the
//! first pass, the links (cwd=, bounces), and the options. Every log line here
//! is our own.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use exim_log::reader::{LineMatcher, LogFiles, LogReader};
use exim_log::report::TimeWindow;
use exim_log::trace::{Pattern, PatternError, Trace, TraceOptions, Traced};

const A: &str = "1sAoM5-00000009r3p-06vq";
const B: &str = "1sAoM6-0000000AAAA-0000";
const BOUNCE: &str = "1sAoM7-0000000BBBB-0000";
const OLD: &str = "1FZ8zt-0005lz-E7";

/// A shop's script sends A (linked to its cwd= line by adjacency), A bounces
/// (BOUNCE names A in `R=`), an unrelated B with its own cwd= line, a
/// rejection that belongs to no message, and an old-format id in an old log.
const LOG: &str = "\
2006-04-27 17:43:50 cwd=/var/www/old 3 args: /usr/sbin/sendmail -t -i
2006-04-27 17:43:50 1FZ8zt-0005lz-E7 <= old@example.net U=www P=local S=300
2006-04-27 17:43:53 1FZ8zt-0005lz-E7 => kept@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7]
2006-04-27 17:43:53 1FZ8zt-0005lz-E7 Completed
2026-11-25 10:00:00 cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i
2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= shop@example.com U=shop P=local S=900
2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq ** nobody@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7]: SMTP error from remote mail server after RCPT TO:<nobody@example.org>: 550 No such user
2026-11-25 10:00:01 1sAoM7-0000000BBBB-0000 <= <> R=1sAoM5-00000009r3p-06vq U=Debian-exim P=local S=2000
2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed
2026-11-25 10:00:02 cwd=/home/blog 3 args: /usr/sbin/sendmail -t -i
2026-11-25 10:00:02 1sAoM6-0000000AAAA-0000 <= blog@example.com U=blog P=local S=100
2026-11-25 10:00:02 H=(win-pc) [203.0.113.9] F=<x@spam.example> rejected RCPT <shop@example.com>: Unknown user
2026-11-25 10:00:03 1sAoM6-0000000AAAA-0000 => reader@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7]
2026-11-25 10:00:03 1sAoM6-0000000AAAA-0000 Completed
2026-11-25 10:05:02 1sAoM7-0000000BBBB-0000 => shop@example.com R=local_user T=mail_spool
2026-11-25 10:05:02 1sAoM7-0000000BBBB-0000 Completed
";

/// What a trace yields, comparable: a message as (id, its lines' first words
/// after the id, its linked cwd), a lone line as its text.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Got {
    Message {
        id: String,
        lines: usize,
        cwd: Option<String>,
        bounce_parent: Option<String>,
    },
    Line(String),
}

fn collect(mut trace: Trace, src: &mut impl exim_log::reader::LineSource) -> Vec<Got> {
    let mut out = Vec::new();
    while let Some(item) = trace.next(src) {
        match item.unwrap() {
            Traced::Message(m) => out.push(Got::Message {
                id: m.id().as_str().to_string(),
                lines: m.lines.len(),
                cwd: m
                    .submission()
                    .and_then(|s| s.arguments())
                    .map(|a| String::from_utf8_lossy(a.cwd.as_bytes()).into_owned()),
                bounce_parent: m.bounce_parent.clone(),
            }),
            Traced::Line(r) => out.push(Got::Line(String::from_utf8_lossy(r.raw()).into_owned())),
            _ => panic!("unknown result"),
        }
    }
    out
}

fn trace(pattern: Pattern, opts: TraceOptions) -> Vec<Got> {
    collect(
        Trace::new(pattern, opts),
        &mut LogReader::new(LOG.as_bytes()),
    )
}

fn msg(id: &str, lines: usize, cwd: Option<&str>, parent: Option<&str>) -> Got {
    Got::Message {
        id: id.to_string(),
        lines,
        cwd: cwd.map(str::to_string),
        bounce_parent: parent.map(str::to_string),
    }
}

#[test]
fn ids_of_both_formats_with_their_cwd_and_bounce() {
    let p = Pattern::new(&[A, OLD], false, true).unwrap();
    assert!(p.literals().is_some(), "ids take the fast path");
    let got = trace(p, TraceOptions::default());
    // OLD completes first; A completes at its Completed line; the bounce names A
    // in `R=`, so it is gathered too (its later lines carry only its own id).
    assert_eq!(
        got,
        [
            msg(OLD, 3, Some("/var/www/old"), None),
            msg(A, 3, Some("/home/shop/public_html"), None),
            msg(BOUNCE, 3, None, Some(A)),
        ]
    );
}

#[test]
fn an_id_nobody_logged_finds_nothing() {
    let got = trace(
        Pattern::ids(["1sAoM0-0000000ZZZZ-0000"]),
        TraceOptions::default(),
    );
    assert!(got.is_empty());
}

#[test]
fn ids_match_with_case() {
    let upper = A.to_uppercase();
    // An id is base 62: the upper-cased string is another id, found nowhere.
    let got = trace(Pattern::ids([upper.as_str()]), TraceOptions::default());
    assert!(got.is_empty());
}

#[test]
fn invert_yields_the_other_messages_and_lines() {
    let got = trace(Pattern::ids([A]), TraceOptions::default().invert(true));
    let ids: Vec<&str> = got
        .iter()
        .filter_map(|g| match g {
            Got::Message { id, .. } => Some(id.as_str()),
            Got::Line(_) => None,
        })
        .collect();
    // The bounce's arrival names A: it matches, so it is left out too.
    assert_eq!(ids, [OLD, B]);
    assert!(
        got.iter()
            .any(|g| matches!(g, Got::Line(l) if l.contains("rejected RCPT")))
    );
}

#[test]
fn window_and_queue_time() {
    let since = exim_log::parse_line(b"2026-11-25 10:05:00 x")
        .unwrap()
        .timestamp;
    let window = TimeWindow {
        since: Some(exim_log::report::log_seconds(&since)),
        until: None,
    };
    let p = || Pattern::ids([A, OLD]);
    // Only the bounce has a line at or after 10:05.
    let got = trace(p(), TraceOptions::default().window(window));
    assert_eq!(got, [msg(BOUNCE, 3, None, Some(A))]);
    // A spent 1 s on the queue, OLD 3 s, the bounce 301 s.
    let got = trace(p(), TraceOptions::default().min_queue_time(Some(2.0)));
    let ids: Vec<_> = got
        .iter()
        .map(|g| match g {
            Got::Message { id, .. } => id.clone(),
            Got::Line(l) => l.clone(),
        })
        .collect();
    assert_eq!(ids, [OLD, BOUNCE]);
}

#[test]
fn pattern_errors() {
    let none: [&str; 0] = [];
    assert_eq!(
        Pattern::new(&none, false, true).err(),
        Some(PatternError::Empty)
    );
    assert_eq!(
        Pattern::new(&["a\nb"], false, true).err(),
        Some(PatternError::Newline)
    );
    // Literal and case-sensitive: no regular expression needed.
    assert!(
        Pattern::new(&["shop@"], true, false)
            .unwrap()
            .literals()
            .is_some()
    );
}

/// A matcher of the caller's: lines holding "shop" (what a user of another
/// regex engine would write).
struct Shop;

impl LineMatcher for Shop {
    fn find(&self, haystack: &[u8]) -> Option<usize> {
        haystack.windows(4).position(|w| w == b"shop")
    }
    fn is_match(&self, line: &[u8]) -> bool {
        self.find(line).is_some()
    }
}

/// The first pass over files narrows the search to the messages with a
/// matching line and gives the same results as assembling everything.
#[test]
fn first_pass_gives_what_assembling_everything_gives() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mainlog");
    // Without its cwd= lines: a matching cwd= line makes the first pass give up.
    let no_cwd: String = LOG
        .lines()
        .filter(|l| !l.contains("cwd="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, &no_cwd).unwrap();
    let files = || LogFiles::new([&path]);

    let plain = Trace::new(Pattern::custom(Shop), TraceOptions::default());
    assert!(plain.wants_first_pass());
    let want = collect(plain, &mut files());
    // A (shop@ arrival), the rejection naming shop@, the bounce (delivered to shop@).
    assert_eq!(
        want,
        [
            msg(A, 3, None, None),
            Got::Line(
                "2026-11-25 10:00:02 H=(win-pc) [203.0.113.9] F=<x@spam.example> rejected RCPT <shop@example.com>: Unknown user"
                    .to_string()
            ),
            msg(BOUNCE, 3, None, Some(A)),
        ]
    );

    let mut narrowed = Trace::new(Pattern::custom(Shop), TraceOptions::default());
    assert!(
        narrowed.first_pass(&mut files()),
        "few messages match: narrowed"
    );
    let mut got = collect(narrowed, &mut files());
    // The lone line comes first (found by the first pass), then the messages.
    got.sort_by_key(|g| matches!(g, Got::Message { .. }));
    let mut want_sorted = want.clone();
    want_sorted.sort_by_key(|g| matches!(g, Got::Message { .. }));
    assert_eq!(got, want_sorted);

    // With the cwd= lines, a matching one (`/home/shop`) stops the first pass,
    // and the message linked to it is found by assembling everything.
    std::fs::write(&path, LOG).unwrap();
    let mut t = Trace::new(Pattern::custom(Shop), TraceOptions::default());
    assert!(!t.first_pass(&mut files()));
    let got = collect(t, &mut files());
    assert!(got.contains(&msg(A, 3, Some("/home/shop/public_html"), None)));
}

#[test]
fn a_first_pass_that_finds_nothing_ends_the_trace() {
    let mut t = Trace::new(
        Pattern::custom(exim_log::reader::Prefilter::new(["no such text"])),
        TraceOptions::default(),
    );
    assert!(t.first_pass(&mut LogReader::new(LOG.as_bytes())));
    // Nothing more is read: an input that would fail is never touched.
    struct Fails;
    impl std::io::Read for Fails {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("read again"))
        }
    }
    assert!(t.next(&mut LogReader::new(Fails)).is_none());
}

#[cfg(feature = "regex")]
#[test]
fn regular_expressions_ignore_case_but_ids_do_not() {
    // Case-insensitive by default, like exigrep.
    let got = trace(
        Pattern::new(&["SHOP@EXAMPLE\\.COM$"], false, true).unwrap(),
        TraceOptions::default(),
    );
    // `$` is the line end: only lines ending in the address (the bounce's delivery
    // ends in T=..., the arrival in S=...): the rejection does not end so either.
    assert!(got.is_empty(), "{got:?}");
    let got = trace(
        Pattern::new(&["^2026-11-25 10:00:02 H="], false, true).unwrap(),
        TraceOptions::default(),
    );
    assert_eq!(got.len(), 1);
    assert!(matches!(&got[0], Got::Line(l) if l.contains("rejected RCPT")));
    // Case-sensitive regex: `SHOP` is nowhere.
    let got = trace(
        Pattern::new(&["SHOP"], false, false).unwrap(),
        TraceOptions::default(),
    );
    assert!(got.is_empty());
    // An id inside a case-insensitive alternation stays case-sensitive.
    let upper = A.to_uppercase();
    let got = trace(
        Pattern::new(&[upper.as_str(), "blog@"], false, true).unwrap(),
        TraceOptions::default(),
    );
    assert_eq!(got, [msg(B, 3, Some("/home/blog"), None)]);
    assert!(matches!(
        Pattern::new(&["(unclosed"], false, true),
        Err(PatternError::Regex(_))
    ));
}

/// Issue 16: on the id fast path, thousands of long `cwd=` lines that link to
/// nothing are held back within half the assembler's memory budget (counted by
/// the engine's own ledger), the budget hits are counted, and the wanted
/// message is still found with the `cwd=` line just before it.
#[test]
fn held_cwd_lines_stay_within_the_memory_budget() {
    use exim_log::assemble::AssemblerOptions;
    use exim_log::budget::MemoryBudget;
    let budget = MemoryBudget::bytes(64 << 10);
    let filler = "x".repeat(1000);
    let mut log = String::new();
    for i in 0..2000 {
        log.push_str(&format!(
            "2026-11-25 09:59:59 cwd=/home/u{i}/{filler} 3 args: /usr/sbin/sendmail -t\n"
        ));
    }
    log.push_str(
        "2026-11-25 10:00:00 cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i\n",
    );
    log.push_str(&format!(
        "2026-11-25 10:00:00 {A} <= shop@example.com U=shop P=local S=900\n"
    ));
    log.push_str(&format!("2026-11-25 10:00:01 {A} Completed\n"));
    let opts = TraceOptions::default().assembler(AssemblerOptions::default().memory_budget(budget));
    let mut trace = Trace::new(Pattern::ids([A]), opts);
    let mut src = LogReader::new(log.as_bytes());
    let mut found = Vec::new();
    while let Some(t) = trace.next(&mut src) {
        if let Traced::Message(m) = t.unwrap() {
            let cwd = m.submission().map(|s| s.record.raw().to_vec());
            found.push((m.id().as_str().to_string(), cwd));
        }
    }
    let mem = trace.memory();
    assert_eq!(trace.assembler_memory().budget, budget.get());
    assert_eq!(mem.budget, budget.get() / 2);
    assert!(mem.peak <= mem.budget, "peak {} over the budget", mem.peak);
    assert!(mem.peak > mem.budget / 2, "peak {}: nothing held", mem.peak);
    assert!(mem.hits > 0, "2 MB of cwd= lines never hit a 64 KiB budget");
    assert_eq!(
        found.len(),
        1,
        "{:?}",
        found.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(found[0].0, A);
    let cwd = found[0].1.as_deref().map(String::from_utf8_lossy);
    assert!(cwd.is_some_and(|c| c.contains("cwd=/home/shop/public_html")));
}
