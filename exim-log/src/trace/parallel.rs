//! A trace over a [`Plan`] on several threads, with the output of one
//! pass (issue 17).
//!
//! Both passes of a search read far more than they keep, so the threads do
//! the reading and the calling thread assembles what little they keep:
//!
//! * **First pass** ([`Trace::first_pass_plan`]): each unit runs the pattern
//!   over its bytes alone; the ids, lone lines and read errors of the units
//!   are joined in input order, line numbers made those of the file
//!   ([`LineNumbers`]). A unit that gives up (a matching `cwd=` line, too
//!   many ids) makes the whole pass give up, as one pass would.
//! * **Id path** ([`Trace::run_plan`]): each unit gathers the lines the id
//!   path could read (those holding a wanted needle or `cwd=`), growing its
//!   needles as [`Trace::next`] does (a bounce's parent). The calling thread
//!   then feeds them, in input order, through the same id path: its own
//!   needles decide which gathered lines it takes, so it takes exactly the
//!   lines one pass reads. A unit that could not know a needle an earlier
//!   unit added (it started before) is read again on the calling thread.
//!
//! A trace that assembles every line (an inverted search, a pattern matching
//! many messages or a `cwd=` line) stays on one thread: its cost is the
//! assembly, which needs the lines in order.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{FirstScan, Pattern, State, Trace, Traced, first_scan, other_id};
use crate::parallel::{LineNumbers, Plan, Unit, run_ordered};
use crate::reader::{LogFiles, Position, Prefilter, ReadError};

/// One item a unit gathered: a line (bytes, position as read, and whether it
/// held no wanted needle: a `cwd=` line only) or an error.
type Item = Result<(Vec<u8>, Position, bool), ReadError>;

/// Reads the lines of one unit that the id path could want.
struct Gather {
    files: LogFiles,
    /// Needles of wanted lines (ids, literal strings).
    wanted: Prefilter,
    /// `wanted` and `cwd=`: the lines gathered.
    read: Prefilter,
    /// Ids this unit added (lines of another message that match).
    added: Vec<String>,
}

impl Gather {
    fn new(unit: &Unit, wanted: Prefilter) -> Gather {
        let mut read = wanted.clone();
        read.add("cwd=");
        Gather {
            files: unit.open(true),
            wanted,
            read,
            added: Vec::new(),
        }
    }

    /// The next line the id path could read, or `None` at the unit's end.
    /// Grows the needles as [`Trace::take_line`] does, so that what is
    /// gathered holds every line one pass takes.
    fn next(&mut self, pattern: &Pattern) -> Option<Item> {
        let mut buf = Vec::new();
        match self.files.read_matching_line(&self.read, &mut buf) {
            Ok(Some(pos)) => {
                let wanted = self.wanted.is_match(&buf);
                if wanted
                    && let Some(id) = other_id(pattern, &buf)
                    && !self.wanted.contains(id.as_bytes())
                {
                    self.wanted.add(&id);
                    self.read.add(&id);
                    self.added.push(id);
                }
                Some(Ok((buf, pos, !wanted)))
            }
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// What a unit gathered on its thread.
struct Gathered {
    /// The items gathered, in order.
    items: VecDeque<Item>,
    /// Bytes of the lines in `items`.
    bytes: usize,
    /// The unit's reader: at its end, or (when `items` reached the unit's
    /// share of the memory budget) read on the calling thread as it is
    /// consumed.
    rest: Gather,
    /// The needles the unit started with (a needle an earlier unit added
    /// and this one lacked means reading the unit again).
    started: Prefilter,
}

impl Trace {
    /// [`Trace::first_pass`] over the files of `plan` on `threads` threads:
    /// the same result (ids, lone lines with their line numbers in their
    /// file, read errors in order).
    pub fn first_pass_plan(&mut self, plan: &Plan, threads: usize) -> bool {
        if !self.wants_first_pass() {
            return false;
        }
        let units = plan.units();
        let gave_up = AtomicBool::new(false);
        let stop = || gave_up.load(Ordering::Relaxed);
        let mut numbers = LineNumbers::default();
        let mut all = Some(FirstScan::default());
        run_ordered(
            units.len(),
            threads,
            |i| {
                let unit = units.get(i)?;
                let mut files = unit.open(true);
                let found = first_scan(&self.pattern, &mut files, &stop);
                if found.is_none() {
                    gave_up.store(true, Ordering::Relaxed);
                }
                Some((found?, files.lines_read()))
            },
            |i, found| {
                let (Some(u), Some(total)) = (units.get(i), all.as_mut()) else {
                    return;
                };
                let Some((found, lines)) = found else {
                    all = None;
                    return;
                };
                let before = numbers.unit(u, lines);
                for id in found.ids {
                    if !total.ids.contains(&id) {
                        total.ids.push(id);
                    }
                }
                for mut r in found.lone {
                    r.shift_line(before);
                    total.lone.push(r);
                }
                for mut e in found.errors {
                    LineNumbers::fix(&mut e, before);
                    total.errors.push(e);
                }
                if total.ids.len() > super::FIRST_PASS_MAX_IDS
                    || total.lone.len() > super::FIRST_PASS_MAX_LONE
                {
                    gave_up.store(true, Ordering::Relaxed);
                    all = None;
                }
            },
        );
        match all {
            Some(found) if !gave_up.load(Ordering::Relaxed) => self.narrow(found),
            _ => false,
        }
    }

    /// True when the trace reads only the lines holding a wanted needle (an
    /// id path: literal patterns, or after a first pass that narrowed the
    /// search), which [`Trace::run_plan`] gathers on several threads.
    pub fn reads_few_lines(&self) -> bool {
        self.fast.is_some() && self.state == State::Reading
    }

    /// Runs the whole trace over the files of `plan` (from their start) on
    /// `threads` threads, giving every result to `each` in the order
    /// [`Trace::next`] gives them over the same files. Returns the lines of
    /// each unit, or `None` when the trace does not
    /// [read few lines](Trace::reads_few_lines): it must assemble every line
    /// in order, so read the files with [`Trace::next`] instead (what the
    /// first pass queued is still queued then).
    ///
    /// Memory: each unit gathers at most its share of the assembler's budget
    /// (a quarter over the `2 × threads` units in flight) on its thread; the
    /// rest of a unit past it is read when its turn comes.
    pub fn run_plan(
        &mut self,
        plan: &Plan,
        threads: usize,
        mut each: impl FnMut(Result<Traced, ReadError>),
    ) -> Option<Vec<u64>> {
        let base = self.fast.as_ref()?.wanted().clone();
        if self.state != State::Reading {
            return None;
        }
        let units = plan.units();
        let share = self
            .opts
            .assembler
            .memory_budget
            .share(8 * threads.max(1))
            .get();
        // Ids added by any unit so far: more than a unit needs is harmless
        // (this thread's needles choose among what was gathered).
        let added = Mutex::new(Vec::<String>::new());
        let pattern = self.pattern.clone();
        let mut numbers = LineNumbers::default();
        // Ids added by the units taken so far: the next unit needs them.
        let mut needed: Vec<String> = Vec::new();
        let mut lines = Vec::with_capacity(units.len());
        // What the first pass queued comes first.
        self.emit(&mut each);
        run_ordered(
            units.len(),
            threads,
            |i| {
                let unit = units.get(i)?;
                let mut started = base.clone();
                for id in added.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                    started.add(id);
                }
                let mut out = Gathered {
                    items: VecDeque::new(),
                    bytes: 0,
                    rest: Gather::new(unit, started.clone()),
                    started,
                };
                while out.bytes < share {
                    let Some(item) = out.rest.next(&pattern) else {
                        break;
                    };
                    if let Ok((raw, _, _)) = &item {
                        out.bytes += raw.len();
                    }
                    out.items.push_back(item);
                }
                if !out.rest.added.is_empty() {
                    let mut all = added.lock().unwrap_or_else(|p| p.into_inner());
                    all.extend(out.rest.added.iter().cloned());
                }
                Some(out)
            },
            |i, out| {
                let (Some(unit), Some(mut out)) = (units.get(i), out) else {
                    return;
                };
                if needed.iter().any(|id| !out.started.contains(id.as_bytes())) {
                    // An earlier unit added an id this one did not know when
                    // it started: read it again, here, knowing every id.
                    let mut wanted = base.clone();
                    for id in &needed {
                        wanted.add(id);
                    }
                    out = Gathered {
                        items: VecDeque::new(),
                        bytes: 0,
                        rest: Gather::new(unit, wanted.clone()),
                        started: wanted,
                    };
                }
                // The lines of the file before the unit (the unit's own count
                // is added at its end).
                let before = numbers.unit(unit, 0);
                loop {
                    let item = match out.items.pop_front() {
                        Some(item) => item,
                        None => match out.rest.next(&pattern) {
                            Some(item) => item,
                            None => break,
                        },
                    };
                    self.take_item(item, before);
                    self.emit(&mut each);
                }
                let count = out.rest.files.lines_read();
                numbers.unit(unit, count);
                lines.push(count);
                for id in out.rest.added {
                    if !needed.contains(&id) {
                        needed.push(id);
                    }
                }
            },
        );
        self.end();
        self.emit(&mut each);
        Some(lines)
    }

    /// Takes one gathered item (positions counted from its unit's start,
    /// `before` lines of its file before it): a line when this trace's id
    /// path reads it (one pass's reader would have stopped at it), an error.
    fn take_item(&mut self, item: Item, before: u64) {
        match item {
            // A `cwd=` line without a needle of the (larger) gathering set has
            // none of this trace's either: the id path holds it, no search
            // needed (most gathered lines on a shared host).
            Ok((mut raw, mut pos, true)) => {
                if let Some(f) = self.fast.as_mut() {
                    pos.line += before;
                    f.hold(&mut raw, pos);
                }
            }
            Ok((raw, mut pos, false)) => {
                if self.fast.as_ref().is_some_and(|f| f.read.is_match(&raw)) {
                    pos.line += before;
                    self.buf = raw;
                    self.take_line(pos);
                }
            }
            Err(mut e) => {
                LineNumbers::fix(&mut e, before);
                self.out.push_back(Err(e));
            }
        }
    }

    /// Gives what is queued to `each`.
    fn emit(&mut self, each: &mut impl FnMut(Result<Traced, ReadError>)) {
        while let Some(item) = self.out.pop_front() {
            each(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::LogFiles;
    use crate::trace::TraceOptions;

    /// What a trace yields, as comparable text: message ids with their
    /// lines' positions, lone lines, errors.
    fn shown(items: Vec<Result<Traced, ReadError>>) -> Vec<String> {
        items
            .into_iter()
            .map(|t| match t {
                Ok(Traced::Message(m)) => {
                    let lines: Vec<String> =
                        m.lines.iter().map(|l| l.position().to_string()).collect();
                    format!("{} {:?} {}", m.id(), m.bounces, lines.join(","))
                }
                Ok(Traced::Line(r)) => format!("lone {}", r.position()),
                Err(e) => format!("error {e}"),
            })
            .collect()
    }

    #[test]
    fn a_plan_on_several_threads_traces_as_one_pass() {
        // 400 messages, each over 4 lines spread across the log (later
        // messages' lines between), every 10th bounced: cut into 40 units,
        // most traced messages cross a cut and bounces reach their parent
        // across one.
        let mut log = String::new();
        let id = |i: usize| {
            format!(
                "1sAoM{}-0000000{:04}-0000",
                (b'A' + (i % 26) as u8) as char,
                i
            )
        };
        for i in 0..400 {
            let t = format!("2026-11-25 10:{:02}:{:02}", i / 60 % 60, i % 60);
            log += &format!("{t} {} <= a{i}@example.com U=u P=local S=100\n", id(i));
            if i >= 2 {
                let j = i - 2;
                log += &format!("{t} {} => b{j}@example.org R=r T=t\n", id(j));
                if j % 10 == 0 {
                    log += &format!(
                        "{t} {} <= <> R={} U=mailnull P=local S=1\n",
                        id(j + 1000),
                        id(j)
                    );
                    log += &format!("{t} {} ** a{j}@example.com: gone\n", id(j + 1000));
                    log += &format!("{t} {} Completed\n", id(j + 1000));
                }
                log += &format!("{t} {} Completed\n", id(j));
            }
            log += &format!("{t} H=(x) [192.0.2.1] rejected RCPT <n{i}@example.com>\n");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mainlog");
        std::fs::write(&path, &log).unwrap();
        let plan = Plan::sized([&path], 40, 1).unwrap();
        assert!(plan.len() >= 30, "{} units", plan.len());
        let wanted: Vec<String> = (0..400).step_by(3).map(id).collect();
        let regex = format!("({}|{}) ", id(10), id(205));
        let searches = [(wanted.join("\n"), false), (regex, true)];
        // Regular expressions need the `regex` feature.
        for (pattern, regex) in searches
            .into_iter()
            .filter(|s| cfg!(feature = "regex") || !s.1)
        {
            let patterns: Vec<&str> = pattern.lines().collect();
            let new = || {
                Trace::new(
                    Pattern::new(&patterns, false, !regex).unwrap(),
                    TraceOptions::default(),
                )
            };
            let mut one = new();
            if regex {
                assert!(one.first_pass(&mut LogFiles::new([&path])));
            }
            let mut src = LogFiles::new([&path]);
            let mut want = Vec::new();
            while let Some(t) = one.next(&mut src) {
                want.push(t);
            }
            let want = shown(want);
            assert!(want.len() > 2, "{want:?}");
            for threads in [1, 2, 3] {
                let mut many = new();
                if regex {
                    assert!(many.first_pass_plan(&plan, threads));
                }
                let mut got = Vec::new();
                let lines = many.run_plan(&plan, threads, |t| got.push(t)).unwrap();
                assert_eq!(lines.iter().sum::<u64>(), log.lines().count() as u64);
                assert_eq!(shown(got), want, "{threads} threads, regex {regex}");
            }
        }
    }
}
