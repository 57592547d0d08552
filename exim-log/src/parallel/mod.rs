//! Reading one log on every core: a [`Plan`] cuts the inputs into units
//! (byte ranges of plain files, whole `.gz` files), [`run_ordered`] works on
//! them on several threads and hands the results back **in input order**,
//! and the engines merge the per-unit partial results so that the answer is
//! the one a single pass gives:
//!
//! * reports that take lines ([`crate::report::abuse::AbuseReport`]) merge
//!   their partials left to right ([`fold_lines`]);
//! * reports that take messages ([`crate::report::summary::Summary`],
//!   [`crate::report::spam::SpamSources`]) assemble each unit apart, and
//!   [`Stitch`] joins the messages that a cut split in two
//!   ([`fold_messages`]);
//! * ordered outputs (NDJSON, a trace) write each unit's output in turn
//!   ([`run_ordered`]).
//!
//! Threads are std's scoped threads, not a pool such as `rayon`: the units
//! are few and large (a few per thread), results must come back in order
//! with a bound on how many wait (memory), and the crate stays without a
//! runtime dependency. At most `2 × threads` units are being worked on or
//! waiting to be merged at any time; each holds a share of the memory
//! budget ([`crate::budget::MemoryBudget::share`]).
//!
//! A single `.gz` file cannot be cut; [`crate::reader::LogFiles::pipelined`]
//! decompresses it on one thread while another parses.
//!
//! ```
//! use exim_log::parallel::{Plan, fold_lines};
//! use exim_log::report::{TimeWindow, abuse::AbuseReport};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("mainlog");
//! # let mut log = String::new();
//! # for i in 0..200 { log += &format!("2026-11-25 10:00:{:02} H=(x) [192.0.2.{}] F=<a@example.net> rejected RCPT <u{i}@example.com>: Unknown user\n", i % 60, i % 3); }
//! # std::fs::write(&path, log)?;
//! let plan = Plan::new([&path], 4)?;
//! let folded = fold_lines(
//!     &plan,
//!     2,
//!     AbuseReport::new(TimeWindow::default()),
//!     || AbuseReport::new(TimeWindow::default()),
//!     |r, raw, _pos| {
//!         if let Ok(line) = exim_log::parse_line(raw) {
//!             r.add(&line);
//!         }
//!     },
//!     |r, other| r.merge(other),
//! );
//! assert_eq!(folded.value.report(10, 1).dictionary.rejected_unknown, 200);
//! assert_eq!(folded.lines.iter().sum::<u64>(), 200);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod stitch;

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use crate::reader::{
    LineSource, LogFiles, Position, ReadError, file_framing, split, starts_with_gzip,
};
use crate::syslog::Framing;

pub use stitch::{
    QUIET_LINES, Stitch, UnitMessages, assemble_unit, fold_messages, fold_messages_and_lines,
    fold_messages_lean,
};

/// The number of threads to use by default: the cores available to this
/// process (1 when it cannot be told).
pub fn available_threads() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// Units smaller than this are not cut further: opening a range costs a
/// file open and a seek, and each unit's partial result a merge.
pub const MIN_UNIT_BYTES: u64 = 1 << 20;

/// One piece of work: a whole file (plain or gzip), or the lines of a plain
/// file that start in a byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// The file.
    pub path: PathBuf,
    /// The byte range, or `None` for the whole file.
    pub range: Option<Range<u64>>,
    /// The bytes of the file this unit reads (compressed bytes for gzip).
    pub bytes: u64,
    /// How the file's lines are wrapped (plain, syslog, journald), told once
    /// from the file's first bytes by [`Plan::new`] for the ranges it cuts,
    /// so that each range is read as the whole file is (not as its own
    /// first lines look), and without telling it again per unit. `None`:
    /// told from the unit's first bytes (a whole file: the same).
    pub framing: Option<Framing>,
}

impl Unit {
    /// The unit's lines as a [`LogFiles`] of one input (gzip pipelined when
    /// `pipelined`), so every reader feature (syslog unwrapping, line cap)
    /// applies. Line numbers of a range count from its first line.
    pub fn open(&self, pipelined: bool) -> LogFiles {
        self.open_counted(pipelined, None)
    }

    /// [`Unit::open`], counting the bytes read into a shared counter (one
    /// progress bar for every thread).
    pub fn open_counted(&self, pipelined: bool, counter: Option<Arc<AtomicU64>>) -> LogFiles {
        let mut files = LogFiles::default().pipelined(pipelined);
        if let Some(c) = counter {
            files = files.with_byte_counter(c);
        }
        match &self.range {
            Some(r) => files.push_range_framed(&self.path, r.clone(), self.framing),
            None => files.push_path(&self.path),
        }
        files
    }
}

/// The inputs cut into units, in reading order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    units: Vec<Unit>,
}

impl Plan {
    /// Cuts `paths` (read in this order; give a rotated set oldest first)
    /// into about `parts` units of equal size: a plain file into byte ranges
    /// (none smaller than [`MIN_UNIT_BYTES`]), a gzip file (told from its
    /// content) whole. A file that cannot be opened is a unit of its own: its
    /// error comes when it is read, in its turn.
    pub fn new<I, P>(paths: I, parts: usize) -> io::Result<Plan>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        Plan::sized(paths, parts, MIN_UNIT_BYTES)
    }

    /// [`Plan::new`] with another smallest unit size than
    /// [`MIN_UNIT_BYTES`] (tests cut small logs into many units).
    pub fn sized<I, P>(paths: I, parts: usize, min_unit: u64) -> io::Result<Plan>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        let files: Vec<(PathBuf, u64, bool)> = paths
            .into_iter()
            .map(|p| {
                let p = p.as_ref().to_path_buf();
                let (len, gzip) = sniff(&p).unwrap_or((0, true));
                (p, len, gzip)
            })
            .collect();
        let total: u64 = files.iter().map(|f| f.1).sum();
        let target = (total / parts.max(1) as u64).max(min_unit.max(1));
        let mut units = Vec::new();
        for (path, len, gzip) in files {
            if gzip || len <= target {
                units.push(Unit {
                    path,
                    range: None,
                    bytes: len,
                    framing: None,
                });
                continue;
            }
            // The nearest number of pieces, not the next: a file a little
            // over the target stays whole (files of a rotated set of equal
            // size are one unit each: 2 x threads units balance, 2 x threads
            // + 1 leave one thread a unit more to read).
            let n = usize::try_from((len + target / 2) / target)
                .unwrap_or(usize::MAX)
                .max(1);
            if n == 1 {
                units.push(Unit {
                    path,
                    range: None,
                    bytes: len,
                    framing: None,
                });
                continue;
            }
            // Unreadable now: each range tells its own (and fails alike).
            let framing = file_framing(&path).ok().flatten();
            for r in split(len, n) {
                units.push(Unit {
                    path: path.clone(),
                    bytes: r.end - r.start,
                    range: Some(r),
                    framing,
                });
            }
        }
        Ok(Plan { units })
    }

    /// A plan of the given units.
    pub fn from_units(units: Vec<Unit>) -> Plan {
        Plan { units }
    }

    /// The units, in reading order.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// The number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// True when there is nothing to read.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
}

/// The length of a file and whether it is gzip (its first two bytes).
fn sniff(path: &Path) -> io::Result<(u64, bool)> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    Ok((len, starts_with_gzip(&mut f)?))
}

/// Runs `work` on units `0..units` on up to `threads` threads (the calling
/// thread waits) and gives each result to `sink` in unit order, on the
/// calling thread, as soon as the results before it were given. At most
/// `2 × threads` units are started and not yet sunk, so memory is bounded by
/// what that many results hold. With `threads <= 1` it all runs on the
/// calling thread.
pub fn run_ordered<T, W, S>(units: usize, threads: usize, work: W, mut sink: S)
where
    T: Send,
    W: Fn(usize) -> T + Sync,
    S: FnMut(usize, T),
{
    let threads = threads.max(1).min(units.max(1));
    if threads == 1 {
        for i in 0..units {
            sink(i, work(i));
        }
        return;
    }
    let window = 2 * threads;
    // (next unit to start, units sunk, stopped): a worker starts unit `i`
    // only when `i < sunk + window`, and none once the sink side stopped.
    let state = Mutex::new((0usize, 0usize, false));
    let turn = Condvar::new();
    let (tx, rx) = mpsc::channel::<(usize, T)>();
    thread::scope(|s| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (state, turn, work) = (&state, &turn, &work);
            s.spawn(move || {
                loop {
                    let i = {
                        let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                        while !st.2 && st.0 < units && st.0 >= st.1 + window {
                            st = turn.wait(st).unwrap_or_else(|p| p.into_inner());
                        }
                        if st.2 || st.0 >= units {
                            return;
                        }
                        st.0 += 1;
                        st.0 - 1
                    };
                    if tx.send((i, work(i))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        // Stops the workers when this side ends, also by a panic in `sink`:
        // a worker waiting for its turn would wait for good, and the scope
        // for it (a hang instead of the panic).
        let _stop = Stop(&state, &turn);
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for (i, r) in rx {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&next) {
                sink(next, r);
                next += 1;
                state.lock().unwrap_or_else(|p| p.into_inner()).1 = next;
                turn.notify_all();
            }
        }
    });
}

/// Tells [`run_ordered`]'s workers to stop when dropped.
struct Stop<'a>(&'a Mutex<(usize, usize, bool)>, &'a Condvar);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).2 = true;
        self.1.notify_all();
    }
}

/// What reading one unit gave besides its result: its lines and the read
/// errors met (at most [`MAX_UNIT_ERRORS`] kept, positions as read).
#[derive(Debug)]
pub struct UnitOutput<T> {
    /// The unit's result.
    pub value: T,
    /// Lines read: every line of the unit's input, as its positions number
    /// them ([`LineSource::lines_read`]): those returned and those the reader
    /// skipped (other programs' syslog lines, `[n/m]` chunks, lines too long),
    /// so that the next unit's line numbers go on from them
    /// ([`LineNumbers`]).
    pub lines: u64,
    /// Read errors, in order (the first [`MAX_UNIT_ERRORS`]).
    pub errors: Vec<ReadError>,
    /// Read errors met, kept or not.
    pub error_count: u64,
}

/// Read errors kept per unit: a unit of a file full of over-long lines must
/// not hold all of them.
pub const MAX_UNIT_ERRORS: usize = 1000;

/// Reads every line of `source` into `each`; the lines and errors met.
pub fn read_lines<S: LineSource>(
    source: &mut S,
    mut each: impl FnMut(&[u8], &Position),
) -> UnitOutput<()> {
    let mut out = UnitOutput {
        value: (),
        lines: 0,
        errors: Vec::new(),
        error_count: 0,
    };
    loop {
        match source.next_line() {
            Ok(Some((line, pos))) => {
                out.lines += 1;
                each(line, pos);
            }
            Ok(None) => {
                // The lines skipped count too: positions number them.
                out.lines = source.lines_read().unwrap_or(out.lines);
                return out;
            }
            Err(e) => {
                out.error_count += 1;
                if out.errors.len() < MAX_UNIT_ERRORS {
                    out.errors.push(e);
                }
            }
        }
    }
}

/// Turns the line numbers of each unit's positions (counted from each
/// range's first line) into line numbers in the file, as the units are
/// sunk in order.
#[derive(Debug, Default)]
pub struct LineNumbers {
    file: Option<PathBuf>,
    before: u64,
}

impl LineNumbers {
    /// Starts unit `u`, which read `lines` lines: returns the number of
    /// lines of its file before its first line.
    pub fn unit(&mut self, u: &Unit, lines: u64) -> u64 {
        if self.file.as_deref() != Some(u.path.as_path()) || u.range.is_none() {
            self.file = Some(u.path.clone());
            self.before = 0;
        }
        let before = self.before;
        self.before += lines;
        before
    }

    /// Fixes an error's position given the lines before its unit.
    pub fn fix(e: &mut ReadError, before: u64) {
        e.position.line += before;
    }
}

/// What a fold over a [`Plan`] gives: the merged value, the read errors in
/// input order (line numbers in their file), the lines read per unit, and
/// the ledger of what was held between lines (message folds).
#[derive(Debug)]
pub struct Folded<T> {
    /// The merged result.
    pub value: T,
    /// Read errors, in input order (at most [`MAX_UNIT_ERRORS`] per unit).
    pub errors: Vec<ReadError>,
    /// Lines read, per unit of the plan.
    pub lines: Vec<u64>,
    /// For [`fold_messages`]: the assemblers' and the stitch's ledger
    /// (`peak`: the most one of them held; `hits`: all of theirs).
    pub memory: crate::budget::MemoryUse,
    /// For [`fold_messages`]: units assembled a second time because an id
    /// in flight across their start was used again in them (see [`Stitch`]).
    pub again: usize,
}

/// Folds every line of the plan on `threads` threads: each unit into a
/// value of its own (`init`, `each`), merged in input order into `total`
/// (`merge`, which must add a partial counted over *later* input, as the
/// reports' `merge` does).
pub fn fold_lines<T, I, E, M>(
    plan: &Plan,
    threads: usize,
    total: T,
    init: I,
    each: E,
    mut merge: M,
) -> Folded<T>
where
    T: Send,
    I: Fn() -> T + Sync,
    E: Fn(&mut T, &[u8], &Position) + Sync,
    M: FnMut(&mut T, T),
{
    let mut folded = Folded {
        value: total,
        errors: Vec::new(),
        lines: Vec::new(),
        memory: crate::budget::MemoryUse::default(),
        again: 0,
    };
    let mut numbers = LineNumbers::default();
    let units = plan.units();
    run_ordered(
        units.len(),
        threads,
        |i| {
            let mut value = init();
            let out = match units.get(i) {
                Some(u) => read_lines(&mut u.open(true), |line, pos| each(&mut value, line, pos)),
                None => read_lines(&mut LogFiles::default(), |_, _| {}),
            };
            (value, out)
        },
        |i, (value, out)| {
            if let Some(u) = units.get(i) {
                let before = numbers.unit(u, out.lines);
                for mut e in out.errors {
                    LineNumbers::fix(&mut e, before);
                    folded.errors.push(e);
                }
            }
            folded.lines.push(out.lines);
            merge(&mut folded.value, value);
        },
    );
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_whatever_the_threads() {
        for threads in [1, 2, 3, 8] {
            let mut got = Vec::new();
            run_ordered(
                50,
                threads,
                |i| {
                    // Later units finish first.
                    std::thread::sleep(std::time::Duration::from_micros(((50 - i) * 20) as u64));
                    i * 2
                },
                |i, r| got.push((i, r)),
            );
            let want: Vec<(usize, usize)> = (0..50).map(|i| (i, i * 2)).collect();
            assert_eq!(got, want, "{threads} threads");
        }
        let mut none = 0;
        run_ordered(0, 4, |i| i, |_, _| none += 1);
        assert_eq!(none, 0);
    }

    /// A panic in the sink (a report's merge) comes out of `run_ordered`
    /// as a panic: the workers waiting for their turn are stopped, not left
    /// waiting for a turn that never comes (with the scope waiting for them,
    /// the program hung). Run on a thread of its own, so that a hang fails
    /// the test after a minute instead of holding the test run.
    #[test]
    fn a_panic_in_the_sink_stops_the_workers() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let caught = std::panic::catch_unwind(|| {
                run_ordered(
                    20,
                    2,
                    |i| {
                        if i == 0 {
                            // The other units fill the window meanwhile.
                            std::thread::sleep(std::time::Duration::from_millis(50));
                        }
                        i
                    },
                    |_, _| panic!("the sink fails"),
                );
            });
            let _ = done.send(caught.is_err());
        });
        let panicked = finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("run_ordered returned within a minute");
        assert!(panicked, "the sink's panic came out");
    }

    /// The positions of the lines of messages assembled on several threads:
    /// byte offsets are the file's; line numbers are the file's for messages
    /// joined across a cut, and counted from the unit's
    /// start for a message read whole in one unit (see [`fold_messages`]).
    #[test]
    fn messages_across_cuts_keep_their_positions() {
        // Twenty messages whose lines interleave (each message's delivery
        // comes three messages later), a line without a timestamp in the
        // middle: the cuts fall inside messages and between them.
        let mut text = String::new();
        // id -> (line, byte) of each of its lines, in the file.
        let mut want: std::collections::BTreeMap<String, Vec<(u64, u64)>> = Default::default();
        let push = |text: &mut String, l: String| {
            let at = (text.lines().count() as u64 + 1, text.len() as u64);
            text.push_str(&l);
            text.push('\n');
            at
        };
        for i in 0..23u32 {
            if i == 15 {
                push(&mut text, "no timestamp here".to_string());
            }
            if i < 20 {
                let id = format!("1a2b3c-0000{i:02}-AB");
                let at = push(
                    &mut text,
                    format!("2026-11-25 10:00:{i:02} {id} <= a{i}@example.com P=local S=100"),
                );
                want.entry(id).or_default().push(at);
            }
            if i >= 3 {
                let id = format!("1a2b3c-0000{:02}-AB", i - 3);
                let at = push(
                    &mut text,
                    format!("2026-11-25 10:00:{i:02} {id} => b@example.org R=r T=t"),
                );
                want.entry(id.clone()).or_default().push(at);
                let at = push(&mut text, format!("2026-11-25 10:00:{i:02} {id} Completed"));
                want.entry(id).or_default().push(at);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mainlog");
        std::fs::write(&path, &text).unwrap();
        let plan = Plan::sized([&path], 6, 1).unwrap();
        let starts: Vec<u64> = plan
            .units()
            .iter()
            .map(|u| u.range.as_ref().unwrap().start)
            .collect();
        assert!(starts.len() >= 4, "{starts:?}");
        let unit_of = |byte: u64| starts.iter().rposition(|s| *s <= byte).unwrap();
        // A message in one unit counts its lines from the unit's start.
        let want: Vec<(String, Vec<(u64, u64)>)> = want
            .into_iter()
            .map(|(id, at)| {
                let unit = unit_of(at[0].1);
                let before = if unit > 0 && at.iter().all(|a| unit_of(a.1) == unit) {
                    // The lines that start before the unit's first byte.
                    let start = starts[unit] as usize;
                    1 + text.as_bytes()[..start - 1]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count() as u64
                } else {
                    0
                };
                let at = at.iter().map(|(l, b)| (l - before, *b)).collect();
                (id, at)
            })
            .collect();
        assert!(
            want.iter()
                .any(|(_, at)| at[0].0 != at.last().unwrap().0 - 5 && at[0].0 > 1)
        );
        for threads in [1, 2, 3] {
            let (got, errors) = of_messages(&plan, threads, |m| {
                let at = m
                    .records()
                    .map(|r| (r.position().line, r.position().byte))
                    .collect();
                Some((m.id().as_str().to_string(), at))
            });
            assert_eq!(got, want, "{threads} threads");
            // A line without a timestamp is an item (a lone line), not an error.
            assert_eq!(errors, 0, "{threads} threads");
        }
    }

    /// Args lines still waiting for their arrival when a unit ends come out
    /// as lines, as at the end of one pass: none is lost at a cut.
    #[test]
    fn args_lines_waiting_at_a_cut_come_out() {
        use crate::assemble::{Assembled, AssemblerOptions};
        let text: String = (0..20)
            .map(|n| {
                format!("2026-11-25 10:00:00 cwd=/home/u{n} 3 args: /usr/sbin/sendmail -t -i\n")
            })
            .collect();
        let (_dir, plans) = one_and_six_units(&text);
        for (parts, plan) in plans {
            for threads in [1, 2] {
                let folded = fold_messages(
                    &plan,
                    threads,
                    AssemblerOptions::default(),
                    0,
                    || 0,
                    |n: &mut usize, item| *n += usize::from(matches!(item, Assembled::Line(_))),
                    |all, n| *all += n,
                );
                assert_eq!(folded.value, 20, "{parts} parts, {threads} threads");
            }
        }
    }

    /// `text` as a file (in a directory dropped with the first value) and
    /// its plans of one unit and of six.
    fn one_and_six_units(text: &str) -> (tempfile::TempDir, Vec<(usize, Plan)>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mainlog");
        std::fs::write(&path, text).unwrap();
        let plans = [1, 6]
            .into_iter()
            .map(|parts| {
                let plan = Plan::sized([&path], parts, 1).unwrap();
                assert_eq!(plan.units().len(), parts);
                (parts, plan)
            })
            .collect();
        (dir, plans)
    }

    /// What `f` takes of each message [`fold_messages`] assembles from
    /// `plan` on `threads` threads (sorted), and how many errors it met.
    fn of_messages<T: Ord + Send>(
        plan: &Plan,
        threads: usize,
        f: impl Fn(&crate::assemble::Message) -> Option<T> + Sync,
    ) -> (Vec<T>, usize) {
        let folded = fold_messages(
            plan,
            threads,
            crate::assemble::AssemblerOptions::default(),
            Vec::new(),
            Vec::new,
            |v: &mut Vec<T>, item| {
                if let crate::assemble::Assembled::Message(m) = item {
                    v.extend(f(m));
                }
            },
            |all, v| all.extend(v),
        );
        let mut got = folded.value;
        got.sort();
        (got, folded.errors.len())
    }

    /// A bounce read in a later unit than its parent is linked both ways, as
    /// one pass links it: the bounce's `<= <> R=parent` names a message that
    /// is in flight in no unit of its own (its lines are in earlier units), so
    /// each unit keeps such bounces for the stitch to give to their parent.
    #[test]
    fn a_bounce_cut_off_from_its_parent_is_linked_both_ways() {
        const PARENT: &str = "1a2b3c-000000-PA";
        const BOUNCE: &str = "1a2b3c-000001-BO";
        let mut text = format!(
            "2026-11-25 10:00:00 {PARENT} <= a@example.com U=alice P=local S=100\n\
             2026-11-25 10:00:01 {PARENT} ** gone@example.org R=dnslookup T=remote_smtp: \
             SMTP error from remote mail server after RCPT TO:<gone@example.org>: 550 no such user\n"
        );
        // Other messages, whole, between the two: the units cut among them.
        for i in 0..20u32 {
            let id = format!("1a2b3c-0001{i:02}-AB");
            text.push_str(&format!(
                "2026-11-25 10:01:{i:02} {id} <= b{i}@example.com P=local S=100\n\
                 2026-11-25 10:01:{i:02} {id} => c@example.org R=r T=t\n\
                 2026-11-25 10:01:{i:02} {id} Completed\n"
            ));
        }
        text.push_str(&format!(
            "2026-11-25 10:02:00 {BOUNCE} <= <> R={PARENT} U=Debian-exim P=local S=900\n\
             2026-11-25 10:02:00 {BOUNCE} => a@example.com R=localuser T=local_delivery\n\
             2026-11-25 10:02:00 {BOUNCE} Completed\n\
             2026-11-25 10:02:00 {PARENT} Completed\n"
        ));
        let (_dir, plans) = one_and_six_units(&text);
        for (parts, plan) in plans {
            for threads in [1, 2] {
                let (got, _) = of_messages(&plan, threads, |m| {
                    let id = m.id().as_str();
                    (id == PARENT || id == BOUNCE)
                        .then(|| (id.to_string(), m.bounce_parent.clone(), m.bounces.clone()))
                });
                let want = vec![
                    (PARENT.to_string(), None, vec![BOUNCE.to_string()]),
                    (BOUNCE.to_string(), Some(PARENT.to_string()), vec![]),
                ];
                assert_eq!(got, want, "{parts} parts, {threads} threads");
            }
        }
    }

    /// The lines (and their byte offsets) of `units` read in turn.
    fn lines_of_units(units: &[Unit]) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        for u in units {
            let mut files = u.open(false);
            while let Some((line, pos)) = files.next_line().unwrap() {
                out.push((pos.byte, line.to_vec()));
            }
        }
        out
    }

    /// The lines of `whole` whose ids end `r3p-02..`: the split ones of the
    /// syslog tests below.
    fn split_ones(whole: &[(u64, Vec<u8>)]) -> Vec<&[u8]> {
        whole
            .iter()
            .map(|(_, l)| l.as_slice())
            .filter(|l| l.windows(6).any(|w| w == b"r3p-02"))
            .collect()
    }

    /// `text` as a file: told to be `framing`, and cut in two at every byte
    /// giving the lines of the whole file ([`every_cut_gives`]), which are
    /// returned.
    fn cut_everywhere(text: &str, framing: Framing) -> Vec<(u64, Vec<u8>)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, text).unwrap();
        let (whole, told) = lines_of_file(&path);
        assert_eq!(told, Some(framing));
        every_cut_gives(&path, told, &whole);
        whole
    }

    /// Two ranges of `path` (told its framing), cut at every byte, give
    /// `whole`, the lines of the whole file.
    fn every_cut_gives(path: &Path, framing: Option<Framing>, whole: &[(u64, Vec<u8>)]) {
        let len = std::fs::metadata(path).unwrap().len();
        cuts_give(path, framing, whole, 0..=len);
    }

    /// Two ranges of `path`, cut at each of `cuts`, give `whole`.
    fn cuts_give(
        path: &Path,
        framing: Option<Framing>,
        whole: &[(u64, Vec<u8>)],
        cuts: impl IntoIterator<Item = u64>,
    ) {
        let len = std::fs::metadata(path).unwrap().len();
        for cut in cuts {
            let units: Vec<Unit> = [0..cut, cut..len]
                .into_iter()
                .map(|r| Unit {
                    path: path.to_path_buf(),
                    bytes: r.end - r.start,
                    range: Some(r),
                    framing,
                })
                .collect();
            assert!(lines_of_units(&units) == whole, "cut at {cut}");
        }
    }

    /// The lines of the whole file, read by one reader; and its framing.
    fn lines_of_file(path: &Path) -> (Vec<(u64, Vec<u8>)>, Option<Framing>) {
        let whole = Unit {
            path: path.to_path_buf(),
            range: None,
            bytes: 0,
            framing: None,
        };
        let mut files = whole.open(false);
        let (mut out, mut framing) = (Vec::new(), None);
        while let Some((line, pos)) = files.next_line().unwrap() {
            out.push((pos.byte, line.to_vec()));
            // Known once the first buffer was read; gone at the end.
            framing = framing.or(files.framing());
        }
        (out, framing)
    }

    /// Two ranges cut at every byte of a syslog file with CRLF endings, a
    /// line longer than a skip block, an empty line, another program's line
    /// and two lines Exim split into `[n/m]` chunks, interleaved: the lines
    /// of the whole file, unwrapped alike, in the same order (a line cut
    /// between its chunks is returned by the range where it ends).
    #[test]
    fn ranges_cut_anywhere_in_syslog_and_crlf_give_the_files_lines() {
        let mut text = String::new();
        for i in 0..12 {
            text += &format!(
                "Nov 27 07:47:{i:02} mx1 exim[812]: 2026-11-27 07:47:{i:02} 1sAoM5-00000009r3p-{i:04} Completed\r\n"
            );
            if i == 4 {
                text += &format!(
                    "Nov 27 07:47:04 mx1 exim[812]: 2026-11-27 07:47:04 1sAoM5-00000009r3p-0099 <= a@example.com T=\"{}\"\r\n\r\n",
                    "x".repeat(5000)
                );
            }
            if i == 8 {
                text += "Nov 27 07:47:08 mx1 sshd[9]: another program\r\n";
            }
            if i == 6 {
                text += "Nov 27 07:47:06 mx1 exim[900]: [1/3] 2026-11-27 07:47:06 1sAoM5-00000009r3p-0200 ** a@example.com R=r0: \r\n\
                         Nov 27 07:47:06 mx1 exim[901]: [1/2] 2026-11-27 07:47:06 1sAoM5-00000009r3p-0201 Comp\r\n\
                         Nov 27 07:47:06 mx1 exim[900]: [2/3] bounced (:fail:)\r\n\
                         Nov 27 07:47:06 mx1 sshd[9]: between\r\n\
                         Nov 27 07:47:06 mx1 exim[901]: [2/2] leted\r\n\
                         Nov 27 07:47:06 mx1 exim[900]: [3/3]  and more\r\n";
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("syslog");
        std::fs::write(&path, &text).unwrap();
        let (whole, framing) = lines_of_file(&path);
        assert_eq!(framing, Some(Framing::Rfc3164));
        // The framing given to ranges is the one the whole file's reader tells.
        assert_eq!(file_framing(&path).unwrap(), framing);
        // Twelve lines, the long one, the empty one and the two joined
        // (each at its last chunk); not sshd's.
        assert_eq!(whole.len(), 12 + 1 + 1 + 2);
        let exim = whole
            .iter()
            .filter(|(_, l)| l.starts_with(b"2026-11-27 07:47:"));
        assert_eq!(exim.count(), 15);
        let joined = split_ones(&whole);
        assert_eq!(
            joined,
            [
                &b"2026-11-27 07:47:06 1sAoM5-00000009r3p-0201 Completed"[..],
                &b"2026-11-27 07:47:06 1sAoM5-00000009r3p-0200 ** a@example.com R=r0: bounced (:fail:) and more"[..],
            ]
        );
        every_cut_gives(&path, framing, &whole);
    }

    /// A line split into chunks that starts the file, and one that starts
    /// after more than the widest look-back window (256 KiB) of other
    /// lines: cut anywhere in their chunks, the range where each ends reads
    /// back from the file's first byte (nothing before it to skip) or from
    /// a window's start (only the bytes up to the range's start: bytes past
    /// it would hold the line's last chunk, ending it there).
    #[test]
    fn split_lines_at_the_start_and_past_the_widest_window_are_found() {
        let chunk = |pid: u32, part: &str| format!("Nov 27 07:47:06 mx1 exim[{pid}]: {part}\n");
        let mut text = chunk(
            900,
            "[1/2] 2026-11-27 07:47:06 1sAoM5-00000009r3p-0200 ** a@example.com R=r0: ",
        );
        text += &chunk(812, "2026-11-27 07:47:06 1sAoM5-00000009r3p-0001 Completed");
        text += &chunk(900, "[2/2] bounced (:fail:)");
        let first = 0..text.len() as u64;
        let subject = "x".repeat(1000);
        for i in 0..280 {
            text += &chunk(
                812,
                &format!(
                    "2026-11-27 07:47:07 1sAoM5-00000009r3p-9{i:03} <= b@example.com T=\"{subject}\""
                ),
            );
        }
        assert!(text.len() > 256 * 1024 + 1024);
        let start = text.len() as u64;
        text += &chunk(
            901,
            "[1/2] 2026-11-27 07:47:08 1sAoM5-00000009r3p-0201 Comp",
        );
        text += &chunk(812, "2026-11-27 07:47:08 1sAoM5-00000009r3p-0002 Completed");
        text += &chunk(901, "[2/2] leted");
        let second = start..text.len() as u64;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("syslog");
        std::fs::write(&path, &text).unwrap();
        let (whole, framing) = lines_of_file(&path);
        assert_eq!(framing, Some(Framing::Rfc3164));
        let joined = split_ones(&whole);
        assert_eq!(
            joined,
            [
                &b"2026-11-27 07:47:06 1sAoM5-00000009r3p-0200 ** a@example.com R=r0: bounced (:fail:)"[..],
                &b"2026-11-27 07:47:08 1sAoM5-00000009r3p-0201 Completed"[..],
            ]
        );
        cuts_give(&path, framing, &whole, first.chain(second));
    }

    /// Two lines cut by a range's start: the first found in the narrowest
    /// look-back window, the second only in a wider one (its first chunk
    /// lies more than 16 KiB before the start, other lines between): the
    /// window read for the first is widened for the second, not taken as
    /// all there is.
    #[test]
    fn a_wider_window_after_a_narrower_one() {
        let chunk = |pid: u32, part: &str| format!("Nov 27 07:47:06 mx1 exim[{pid}]: {part}\n");
        let mut text = chunk(
            901,
            "[1/2] 2026-11-27 07:47:06 1sAoM5-00000009r3p-0201 Comp",
        );
        let subject = "x".repeat(1000);
        for i in 0..20 {
            text += &chunk(
                812,
                &format!(
                    "2026-11-27 07:47:07 1sAoM5-00000009r3p-9{i:03} <= b@example.com T=\"{subject}\""
                ),
            );
        }
        text += &chunk(
            900,
            "[1/2] 2026-11-27 07:47:08 1sAoM5-00000009r3p-0200 ** a@example.com R=r0: ",
        );
        let cut = text.len() as u64;
        assert!(cut > 16 * 1024 + 1024);
        // The line begun last ends first in the range: it is looked for first.
        text += &chunk(900, "[2/2] bounced (:fail:)");
        text += &chunk(901, "[2/2] leted");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("syslog");
        std::fs::write(&path, &text).unwrap();
        let (whole, framing) = lines_of_file(&path);
        let joined = split_ones(&whole);
        assert_eq!(
            joined,
            [
                &b"2026-11-27 07:47:08 1sAoM5-00000009r3p-0200 ** a@example.com R=r0: bounced (:fail:)"[..],
                &b"2026-11-27 07:47:06 1sAoM5-00000009r3p-0201 Completed"[..],
            ]
        );
        cuts_give(&path, framing, &whole, [cut]);
    }

    /// Two ranges cut at every byte of a `journalctl -o export` file whose
    /// Exim lines have no time of their own (`syslog_timestamp = false`):
    /// the record's `__REALTIME_TIMESTAMP=` comes lines before its
    /// `MESSAGE=`, so a range starting between them takes it from before its
    /// start: the lines of the whole file, with their times, at every cut.
    #[test]
    fn ranges_cut_anywhere_in_a_journal_export_give_the_files_lines() {
        let mut text = String::new();
        for i in 0..6u64 {
            text += &format!(
                "__CURSOR=s=1;i={i}\n__REALTIME_TIMESTAMP={}\n_BOOT_ID=b\nSYSLOG_IDENTIFIER=exim\n_PID=812\n\
                 MESSAGE=1sAoM5-00000009r3p-{i:04} Completed\n_UID=0\n\n",
                1_764_229_654_000_000 + i * 1_000_000
            );
        }
        let whole = cut_everywhere(&text, Framing::JournalExport);
        let times: Vec<&[u8]> = whole.iter().filter_map(|(_, l)| l.get(..19)).collect();
        assert_eq!(times.len(), 6);
        assert_eq!(times.first().copied(), Some(&b"2025-11-27 07:47:34"[..]));
        assert_eq!(times.last().copied(), Some(&b"2025-11-27 07:47:39"[..]));
    }

    /// Two ranges cut at every byte of a `journalctl -o json` file (a
    /// record a line, escaped quotes in the text, other programs' records
    /// between, each delivery line split in two `[n/2]` records with another
    /// program's record between): the lines of the whole file, with their
    /// times, at every cut.
    #[test]
    fn ranges_cut_anywhere_in_a_journal_json_give_the_files_lines() {
        let mut text = String::new();
        for i in 0..6u64 {
            let record = |msg: &str| {
                format!(
                    "{{\"__CURSOR\":\"s=1;i={i}\",\"__REALTIME_TIMESTAMP\":\"{}\",\
                     \"SYSLOG_IDENTIFIER\":\"exim\",\"SYSLOG_PID\":\"812\",\"MESSAGE\":\"{msg}\"}}\n",
                    1_764_229_654_000_000 + i * 1_000_000
                )
            };
            text += &record(&format!(
                "[1/2] 1sAoM5-00000009r3p-{i:04} => a@b.example R=r "
            ));
            text += "{\"SYSLOG_IDENTIFIER\":\"sshd\",\"MESSAGE\":\"another program\"}\n";
            text += &record("[2/2] T=t C=\\\"250 OK\\\"");
        }
        let whole = cut_everywhere(&text, Framing::JournalJson);
        assert_eq!(whole.len(), 6);
        assert_eq!(
            whole.first().map(|(_, l)| l.as_slice()),
            Some(&b"2025-11-27 07:47:34.000 +0000 1sAoM5-00000009r3p-0000 => a@b.example R=r T=t C=\"250 OK\""[..])
        );
    }

    /// A file that starts with Exim's own lines and goes on with syslog
    /// lines: the whole file is read as plain (its first lines tell), so
    /// are the ranges of a plan; a range told its framing from its own
    /// first lines would unwrap the syslog lines instead.
    #[test]
    fn a_plan_gives_each_range_the_framing_of_its_file() {
        let mut text = String::new();
        for i in 0..60 {
            text += &format!(
                "2026-11-27 07:47:{:02} 1sAoM5-00000009r3p-{i:04} Completed\n",
                i % 60
            );
        }
        for i in 0..60 {
            text += &format!(
                "Nov 27 07:48:{:02} mx1 exim[812]: 1sAoM5-00000009r3p-{i:04} Completed\n",
                i % 60
            );
            text += "Nov 27 07:48:00 mx1 sshd[9]: another program\n";
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed");
        std::fs::write(&path, &text).unwrap();
        let (whole, framing) = lines_of_file(&path);
        assert_eq!(framing, Some(Framing::Plain));
        assert_eq!(whole.len(), 180);
        let plan = Plan::sized([&path], 6, 1).unwrap();
        assert!(plan.len() >= 4, "{plan:?}");
        assert!(
            plan.units().iter().all(|u| u.framing == framing),
            "{plan:?}"
        );
        assert!(lines_of_units(plan.units()) == whole);
        // Told per range, the last ranges would be syslog: what the plan's
        // framing prevents.
        let alone: Vec<Unit> = plan
            .units()
            .iter()
            .map(|u| Unit {
                framing: None,
                ..u.clone()
            })
            .collect();
        assert!(lines_of_units(&alone) != whole);
        // A whole file (a gzip one, a file too small to cut) is read by one
        // reader, which tells its framing itself.
        let one = Plan::new([&path], 6).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one.units()[0].framing, None);
    }

    #[test]
    fn a_set_of_equal_files_is_one_unit_each() {
        // Four files of a rotated set, a few bytes apart in size: each a
        // little over or under a quarter of the whole. Cut to the next
        // whole number of pieces, one would be two units: five units on
        // two threads leave one thread a unit more.
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<_> = (0..4)
            .map(|i| {
                let p = dir.path().join(format!("mainlog.{i}"));
                std::fs::write(&p, vec![b'x'; (3 << 20) + i * 7]).unwrap();
                p
            })
            .collect();
        let plan = Plan::new(&paths, 4).unwrap();
        assert_eq!(plan.len(), 4);
        assert!(plan.units().iter().all(|u| u.range.is_none()));
        // Twice the parts: each file in two.
        assert_eq!(Plan::new(&paths, 8).unwrap().len(), 8);
    }

    #[test]
    fn plans_cut_plain_files_and_keep_gzip_whole() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("mainlog");
        std::fs::write(&big, vec![b'x'; 5 << 20]).unwrap();
        let gz = dir.path().join("mainlog.1.gz");
        std::fs::write(&gz, [0x1f, 0x8b, 0, 0]).unwrap();
        let missing = dir.path().join("nothing");
        let plan = Plan::new([&gz, &big, &missing], 4).unwrap();
        let u = plan.units();
        assert_eq!(u[0].path, gz);
        assert_eq!(u[0].range, None);
        // 5 MiB + 4 bytes over 4 parts: 4 ranges that tile the plain file.
        let ranges: Vec<_> = u.iter().filter_map(|u| u.range.clone()).collect();
        assert_eq!(ranges.len(), 4);
        assert_eq!(ranges.first().map(|r| r.start), Some(0));
        assert_eq!(ranges.last().map(|r| r.end), Some(5 << 20));
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(
            u.last().map(|u| (&u.path, &u.range)),
            Some((&missing, &None))
        );
    }
}
