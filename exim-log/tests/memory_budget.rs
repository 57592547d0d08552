//! The assembler holds at most its memory budget in bytes on the hostile
//! inputs of issue 16 (generated here, never committed), loses no line, and
//! says how often the budget was hit; messages keep what was parsed.
// Helpers outside #[test] fns may unwrap and index too (clippy.toml allows it only inside them).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use exim_log::assemble::{Assembled, Assembler, AssemblerOptions, Message, Status};
use exim_log::budget::MemoryBudget;
use exim_log::reader::{Position, Record};

/// A message id of the new format for `n` (distinct for every `n`).
fn id(n: u64) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut pid = String::new();
    let mut x = n;
    for _ in 0..11 {
        pid.insert(0, B62[(x % 62) as usize] as char);
        x /= 62;
    }
    format!("1sAoM5-{pid}-0000")
}

struct Feed {
    asm: Assembler,
    line: u64,
    out: Vec<Assembled>,
    biggest_line: usize,
}

impl Feed {
    fn new(budget: usize) -> Self {
        let opts = AssemblerOptions::default().memory_budget(MemoryBudget::bytes(budget));
        Feed {
            asm: Assembler::with_options(opts),
            line: 0,
            out: Vec::new(),
            biggest_line: 0,
        }
    }

    fn push(&mut self, line: &str) {
        self.line += 1;
        self.biggest_line = self.biggest_line.max(line.len());
        let pos = Position::new(self.line, 0);
        self.asm.push(Record::new(line.as_bytes().to_vec(), pos));
        // Emitted items leave the assembler (a caller streams them on).
        self.out.extend(std::iter::from_fn(|| self.asm.pop()));
    }

    fn finish(mut self) -> (Vec<Assembled>, exim_log::budget::MemoryUse, usize) {
        self.asm.finish();
        self.out.extend(std::iter::from_fn(|| self.asm.pop()));
        (self.out, self.asm.memory(), self.biggest_line)
    }
}

fn messages(out: &[Assembled]) -> Vec<&Message> {
    out.iter()
        .filter_map(|a| match a {
            Assembled::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

/// Every line pushed comes out exactly once (in a message or alone).
fn lines_out(out: &[Assembled]) -> usize {
    out.iter()
        .map(|a| match a {
            Assembled::Message(m) => m.lines.len(),
            Assembled::Line(_) => 1,
            _ => 0,
        })
        .sum()
}

#[test]
fn a_line_naming_20000_ids_is_held_once() {
    const IDS: u64 = 20_000;
    let ids: Vec<String> = (0..IDS).map(id).collect();
    let args = format!(
        "2024-05-25 10:00:00 cwd=/var/spool/exim {} args: /usr/sbin/exim -Mc {}",
        IDS + 2,
        ids.join(" ")
    );
    assert!(args.len() > 400_000);
    let budget = 32 << 20;
    let mut feed = Feed::new(budget);
    feed.push(&args);
    let (out, mem, _) = feed.finish();
    // Once: the line (~460 KB) plus a message entry of a few hundred bytes
    // per id; 20,000 copies of the line would be 9 GB.
    assert!(mem.peak < 24 << 20, "peak {}", mem.peak);
    assert_eq!(mem.held, 0, "everything released at the end");
    assert_eq!(mem.hits, 0);
    let msgs = messages(&out);
    assert_eq!(msgs.len(), IDS as usize);
    for m in &msgs {
        let a = m.submission().unwrap();
        assert!(a.is_delivery());
        assert_eq!(a.cwd(), Some(&b"/var/spool/exim"[..]));
    }
}

#[test]
fn a_message_with_endless_deferrals_is_flushed_in_pieces() {
    const LINES: usize = 60_000;
    let budget = 1 << 20;
    let mut feed = Feed::new(budget);
    let me = id(7);
    feed.push(&format!(
        "2024-05-25 10:00:00 {me} <= a@example.com H=mx.example.com [192.0.2.1] P=esmtp S=100"
    ));
    for i in 0..LINES {
        feed.push(&format!(
            "2024-05-25 10:{:02}:{:02} {me} == b{i}@example.net R=dnslookup T=remote_smtp defer (-44) H=mx.example.net [192.0.2.9]: SMTP error from remote mail server after RCPT TO:<b@example.net>: 451 4.7.1 Try again later",
            (i / 60) % 60,
            i % 60
        ));
    }
    let (out, mem, _) = feed.finish();
    // Held bytes never pass the budget, not even by the line just read.
    assert!(mem.peak <= budget, "peak {}", mem.peak);
    assert!(mem.peak > budget - 4096, "peak {}", mem.peak);
    assert!(mem.hits > 10, "hits {}", mem.hits);
    assert_eq!(lines_out(&out), LINES + 1, "no line lost");
    let msgs = messages(&out);
    assert!(msgs.iter().all(|m| m.id() == me.as_str()));
    // The first piece has the arrival; every later piece says it continues.
    assert_eq!(msgs[0].status, Status::Evicted);
    assert!(!msgs[0].continued && msgs[0].arrival().is_some());
    assert!(
        msgs[1..]
            .iter()
            .all(|m| m.continued && m.arrival().is_none())
    );
    #[cfg(feature = "serde")]
    assert_eq!(serde_json::to_value(msgs[1]).unwrap()["continued"], true);
}

#[test]
fn unfinished_arrivals_with_huge_subjects_stay_under_budget() {
    const MESSAGES: u64 = 2_000;
    let budget = 1 << 20;
    let subject = "x".repeat(20_000);
    let mut feed = Feed::new(budget);
    for n in 0..MESSAGES {
        feed.push(&format!(
            "2024-05-25 10:00:00 {} <= a@example.com H=mx.example.com [192.0.2.1] P=esmtp S=100 T=\"{subject}\"",
            id(n)
        ));
    }
    let (out, mem, _) = feed.finish();
    assert!(mem.peak <= budget, "peak {}", mem.peak);
    assert!(mem.hits >= MESSAGES - 60, "hits {}", mem.hits);
    assert_eq!(lines_out(&out), MESSAGES as usize);
    assert_eq!(messages(&out).len(), MESSAGES as usize);
}

#[test]
fn messages_keep_what_was_parsed() {
    let a = id(1);
    let b = id(2);
    let log = format!(
        "\
2024-05-25 10:00:00 cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i
2024-05-25 10:00:00 {a} <= shop@example.com U=shop P=local S=800
2024-05-25 10:00:05 {a} => x@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7]
2024-05-25 10:03:05 {a} Completed
2024-05-25 10:00:06 {b} <= friend@example.org H=mail.example.org [192.0.2.8] P=esmtp S=200
2024-05-25 10:00:09 {b} Completed QT=1m2s
"
    );
    let mut feed = Feed::new(1 << 20);
    log.lines().for_each(|l| feed.push(l));
    let (out, mem, _) = feed.finish();
    assert_eq!(mem.held, 0);
    let msgs = messages(&out);
    let (ma, mb) = (msgs[0], msgs[1]);
    assert_eq!(Some(ma.id().to_string()), Some(a.clone()));
    // First to last line when no QT= was logged; QT= when it was.
    assert_eq!(ma.queue_time().map(|d| d.as_millis()), Some(185_000));
    assert_eq!(mb.queue_time().map(|d| d.as_millis()), Some(62_000));
    assert_eq!(
        ma.arrival()
            .and_then(|l| l.message_id)
            .map(|i| i.to_string()),
        Some(a)
    );
    assert_eq!(ma.first_time().map(|t| t.minute), Some(0));
    assert_eq!(ma.last_time().map(|t| (t.minute, t.second)), Some((3, 5)));
    let s = ma.submission().unwrap();
    assert_eq!(s.cwd(), Some(&b"/home/shop/public_html"[..]));
    assert!(!s.is_delivery());
    assert!(mb.submission().is_none());
}

#[test]
fn report_tables_keyed_by_huge_senders_stay_under_budget() {
    use exim_log::report::TimeWindow;
    use exim_log::report::bounded::TRUNCATED;
    use exim_log::report::spam::SpamSources;
    use exim_log::report::summary::Summary;

    const MESSAGES: u64 = 1_500;
    let budget = 256 << 10;
    let long = "x".repeat(5_000);
    let mut feed = Feed::new(4 << 20);
    for n in 0..MESSAGES {
        let m = id(n);
        // Senders differ in their first bytes, so each is its own key.
        feed.push(&format!(
            "2024-05-25 10:00:00 {m} <= s{n:05}{long}@example.com U=web P=local S=100 T=\"{n:05}{long}\""
        ));
        feed.push(&format!("2024-05-25 10:00:01 {m} Completed"));
    }
    let (out, _, _) = feed.finish();
    let mut summary = Summary::with_budget(TimeWindow::default(), MemoryBudget::bytes(budget));
    let mut spam = SpamSources::with_budget(TimeWindow::default(), MemoryBudget::bytes(budget));
    for item in &out {
        summary.add(item);
        if let Assembled::Message(m) = item {
            spam.add(m);
        }
    }
    let r = summary.report(5, 1);
    // The tables held at most their budget (plus one entry each, inserted
    // after a prune), said they were trimmed, and counted the cut keys.
    let b = r.bounds;
    assert!(b.memory.held <= budget + 9 * 1024, "held {}", b.memory.held);
    assert!(b.memory.hits > 0 && b.approximate);
    assert_eq!(b.truncated_keys, MESSAGES);
    let sender = &r.senders[0].key;
    assert!(
        sender.ends_with(TRUNCATED) && sender.len() < 300,
        "{sender}"
    );
    // Totals are counted apart from the tables: exact.
    assert_eq!(r.totals.received.messages, MESSAGES);
    let s = spam.report(5, 1);
    let held = s.bounds.memory.held;
    assert!(held <= budget + 4 * 1024, "held {held}");
    assert_eq!(s.totals.messages, MESSAGES);
    #[cfg(feature = "serde")]
    {
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["memory"]["budget"], budget);
        let subject = json["sections"][1]["rows"][0]["top_subjects"][0]["subject"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(subject.ends_with(TRUNCATED), "{subject}");
    }
}

/// One busy table takes the room the others leave: 3,000 messages to
/// distinct recipients (~430 KB in the recipients table, more than its
/// first ninth of a 2 MiB budget, while the other tables hold a few keys)
/// are counted exactly, in one pass and in two halves merged; 30,000 (more
/// than the whole budget) are not, and the tables stay under it. (The
/// budget is shared out again every 1,024 messages: the first ninth must
/// hold the first 1,024 recipients, ~150 KB.)
#[test]
fn a_busy_table_takes_the_room_the_others_leave() {
    use exim_log::report::TimeWindow;
    use exim_log::report::summary::Summary;

    let budget = 2 << 20;
    let run = |messages: u64| {
        let mut feed = Feed::new(4 << 20);
        for n in 0..messages {
            let m = id(n);
            feed.push(&format!(
                "2024-05-25 10:00:00 {m} <= s@example.com H=mx.example.net [192.0.2.1] P=esmtp S=100"
            ));
            feed.push(&format!(
                "2024-05-25 10:00:01 {m} => r{n:06}@example.org R=dnslookup T=remote_smtp H=mx.example.org [198.51.100.1]"
            ));
            feed.push(&format!("2024-05-25 10:00:01 {m} Completed"));
        }
        feed.finish().0
    };
    let summary = |items: &[Assembled]| {
        let mut s = Summary::with_budget(TimeWindow::default(), MemoryBudget::bytes(budget));
        for item in items {
            s.add(item);
        }
        s
    };
    let out = run(3_000);
    let (a, b) = out.split_at(out.len() / 2);
    let mut halves = summary(a);
    halves.merge(summary(b));
    for (way, s) in [("one pass", summary(&out)), ("halves merged", halves)] {
        let r = s.report(5, 1);
        let m = r.bounds.memory;
        assert!(!r.bounds.approximate && m.hits == 0, "{way}: {m:?}");
        assert!(m.held > budget / 9 && m.held <= budget, "{way}: {m:?}");
        assert_eq!(r.totals.delivered.addresses, 3_000, "{way}");
        assert_eq!(r.recipients.len(), 5, "{way}");
    }
    let r = summary(&run(30_000)).report(5, 1);
    let m = r.bounds.memory;
    assert!(r.bounds.approximate && m.hits > 0, "{m:?}");
    assert!(m.held <= budget + 1024, "{m:?}");
}

/// A table's bytes, not a count of keys, bound it: 80,000 distinct
/// recipients (144 bytes each as the table counts them: 11.5 MB of the
/// default budget) are all kept and counted exactly at the default budget.
/// Before, a 50,000-key cap cut the recipients table of a month's log at
/// any size and called the whole report approximate.
#[test]
fn distinct_recipients_past_fifty_thousand_fit_the_default_budget() {
    use exim_log::report::TimeWindow;
    use exim_log::report::summary::Summary;

    let n: u64 = 80_000;
    let mut log = String::new();
    for i in 0..n {
        let m = id(i);
        log.push_str(&format!(
            "2024-05-25 10:10:28 {m} <= a@example.com U=u P=local S=100\n\
             2024-05-25 10:10:29 {m} => r{i}@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.7]\n\
             2024-05-25 10:10:29 {m} Completed\n"
        ));
    }
    // Streamed: each message is counted as it comes out, none is kept.
    let mut s = Summary::new(TimeWindow::default());
    let records = exim_log::reader::LogReader::new(log.as_bytes()).into_records();
    for item in Assembler::with_options(AssemblerOptions::default()).messages(records) {
        let Ok(item) = item else { panic!("read error") };
        s.add(&item);
    }
    let r = s.report(usize::MAX, 1);
    assert!(!r.bounds.approximate, "{:?}", r.bounds);
    assert_eq!(r.recipients.len() as u64, n);
    assert!(r.recipients.iter().all(|row| row.volume.addresses == 1));
}

/// Feeds `lines` to an assembler with `budget`; the ledger before `finish`
/// and how many messages came out before it (flushed early: none of these
/// messages completes).
fn before_finish(budget: usize, lines: &[String]) -> (exim_log::budget::MemoryUse, usize) {
    let mut feed = Feed::new(budget);
    for l in lines {
        feed.push(l);
    }
    let mem = feed.asm.memory();
    (mem, messages(&feed.out).len())
}

/// An args line naming messages (`exim -M id id`), as one waiting for its
/// arrival (a submission), makes room for exactly what it will hold, no
/// less and no more: with a budget of what the lines
/// hold in the end nothing is flushed early, and with one byte less the
/// oldest message is flushed before the budget is passed, not after.
#[test]
fn an_args_line_naming_ids_makes_room_for_what_it_holds() {
    let mut lines: Vec<String> = (0..3)
        .map(|n| {
            format!(
                "2024-05-25 10:00:0{n} {} <= a{n}@example.com U=alice P=local S=100",
                id(n)
            )
        })
        .collect();
    // A submission waiting for its arrival, then the line naming two ids.
    lines.push("2024-05-25 10:00:04 cwd=/home/alice 3 args: /usr/sbin/sendmail -t -i".to_string());
    lines.push(format!(
        "2024-05-25 10:00:05 cwd=/var/spool/exim 4 args: /usr/sbin/exim -M {} {}",
        id(100),
        id(101)
    ));
    let (all, flushed) = before_finish(1 << 30, &lines);
    assert_eq!((all.hits, flushed), (0, 0));
    assert_eq!(all.peak, all.held, "nothing released: the peak is the end");
    let (fits, flushed) = before_finish(all.held, &lines);
    assert_eq!((fits.hits, flushed, fits.held), (0, 0, all.held));
    let (tight, flushed) = before_finish(all.held - 1, &lines);
    assert!(tight.peak < all.held, "peak {} of {}", tight.peak, all.held);
    assert!(tight.hits >= 1 && flushed >= 1, "{tight:?} {flushed}");
}

/// With no message in flight to flush, submissions waiting for their
/// arrival are let go (as lines of no message), oldest first, before the
/// budget is passed.
#[test]
fn waiting_submissions_are_let_go_to_stay_under_budget() {
    let lines: Vec<String> = (0..3)
        .map(|n| {
            format!(
                "2024-05-25 10:00:0{n} [{}] cwd=/home/u{n} 3 args: /usr/sbin/sendmail -t -i",
                100 + n
            )
        })
        .collect();
    let (all, _) = before_finish(1 << 30, &lines);
    assert_eq!(all.hits, 0);
    let mut feed = Feed::new(all.held - 1);
    for l in &lines {
        feed.push(l);
    }
    let mem = feed.asm.memory();
    assert!(mem.peak < all.held && mem.hits >= 1, "{mem:?}");
    // The first submission came out, as a line.
    assert_eq!(lines_out(&feed.out), 1);
}
