//! Message assembly on several threads: each unit of a [`Plan`] is assembled
//! apart, and the messages a cut split in two are joined in input order.
//!
//! A message whose lines lie on both sides of a cut comes out of the units
//! as pieces: the earlier unit still has it in flight at its end (`open`),
//! the later one sees lines of an id it never saw arrive. A unit therefore
//! counts at once only what cannot be such a piece (a message that starts
//! with its `<=` line), holds back the rest (bounded), and [`Stitch`] joins
//! the pieces in unit order, as one pass would have grown the message: lines,
//! links, bounces, times. A bounce whose parent is in an earlier unit is
//! given to the parent if the parent was still in flight when the bounce
//! arrived, as one pass does.
//!
//! The result equals one pass while the memory budget is not hit, with two
//! known limits, both about links to `+arguments` lines across a cut
//! (the message itself is always whole): a submission linked by `+pid` to an
//! args line more than [`QUIET_LINES`] lines before a cut, and the
//! `ambiguous` mark of an adjacency link that had a second candidate behind
//! the cut. [`Plan::quiet`] moves cuts so that no args line is in the
//! [`QUIET_LINES`] lines before one, where it can.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};

use super::{Folded, LineNumbers, MAX_UNIT_ERRORS, Plan, Unit, run_ordered};
use crate::assemble::{Assembled, Assembler, AssemblerOptions, Message, Status};
use crate::budget::{MemoryBudget, MemoryUse};
use crate::line::LogLine;
use crate::reader::{LogFiles, Position, ReadError};

/// Lines before a cut that [`Plan::quiet`] keeps free of args lines: more
/// than the adjacency rule's default reach (10 lines).
pub const QUIET_LINES: usize = 16;

/// How far [`Plan::quiet`] looks past a cut for a quiet place.
const QUIET_SEARCH: u64 = 1 << 20;

impl Plan {
    /// Moves each cut inside a file forward to a line start with no args line
    /// (`cwd=... args:`) among the [`QUIET_LINES`] lines before it, looking
    /// at most 1 MiB past the cut (the cut stays at the next line start when
    /// no such place is found): a submission's args line and its arrival then
    /// stay in one unit, so [`fold_messages`] links them as one pass does.
    pub fn quiet(mut self) -> Plan {
        let mut i = 1;
        while i < self.units.len() {
            let (before, rest) = self.units.split_at_mut(i);
            let (Some(prev), Some(cur)) = (before.last_mut(), rest.first_mut()) else {
                break;
            };
            if let (Some(p), Some(c)) = (prev.range.as_mut(), cur.range.as_mut())
                && prev.path == cur.path
                && p.end == c.start
                && let Ok(at) = quiet_cut(&cur.path, c.start, c.end)
            {
                p.end = at;
                c.start = at;
                prev.bytes = p.end - p.start;
                cur.bytes = c.end - c.start;
            }
            i += 1;
        }
        // A cut moved onto the next one leaves an empty range.
        self.units
            .retain(|u| u.range.as_ref().is_none_or(|r| r.start < r.end));
        self
    }
}

/// The first line start at or after `at` (and before `end`) with no args
/// line among the [`QUIET_LINES`] lines before it; the next line start when
/// none is found within [`QUIET_SEARCH`] bytes.
fn quiet_cut(path: &std::path::Path, at: u64, end: u64) -> std::io::Result<u64> {
    let mut f = File::open(path)?;
    // Read from about QUIET_LINES lines before the cut (lines rarely pass
    // 1 KiB; a longer stretch only makes the check stricter).
    let from = at.saturating_sub(32 << 10);
    f.seek(SeekFrom::Start(from))?;
    let mut rdr = BufReader::with_capacity(64 << 10, f.take_limit(at - from + QUIET_SEARCH));
    let mut line = Vec::new();
    let mut pos = from;
    // Lines since the last args line (counting from the start of the window
    // as if one were just before it, unless the window is the file's start).
    let mut since = if from == 0 { QUIET_LINES } else { 0 };
    let mut first_start = None;
    // The first line start in the window may be mid-line: skip to a start.
    if from > 0 {
        line.clear();
        pos += rdr.read_until(b'\n', &mut line)? as u64;
    }
    loop {
        if pos >= at {
            first_start.get_or_insert(pos);
            if since >= QUIET_LINES {
                return Ok(pos.min(end));
            }
        }
        line.clear();
        let n = rdr.read_until(b'\n', &mut line)?;
        if n == 0 || !line.ends_with(b"\n") {
            return Ok(first_start.unwrap_or(at).min(end));
        }
        pos += n as u64;
        if is_args_line(&line) {
            since = 0;
        } else {
            since += 1;
        }
    }
}

/// An `+arguments` line: `cwd=DIR N args: ...` after the prefix.
fn is_args_line(line: &[u8]) -> bool {
    memchr::memmem::find(line, b" cwd=").is_some()
        && memchr::memmem::find(line, b" args: ").is_some()
}

trait TakeLimit: Sized {
    fn take_limit(self, n: u64) -> std::io::Take<Self>;
}

impl TakeLimit for File {
    fn take_limit(self, n: u64) -> std::io::Take<Self> {
        std::io::Read::take(self, n)
    }
}

/// What assembling one unit gave: the unit's partial result, the pieces
/// held back for [`Stitch`], the bounces without a parent in the unit, its
/// lines and read errors.
#[derive(Debug)]
pub struct UnitMessages<R> {
    /// The partial result of the messages and lines counted at once.
    pub value: R,
    /// Messages emitted in the unit that did not start with their arrival
    /// (possible continuations), in emission order.
    held: Vec<Message>,
    /// Messages still in flight at the unit's end, in order of first line.
    open: Vec<Message>,
    /// (parent, bounce, position of the bounce's arrival) for bounces whose
    /// parent was not in flight in the unit.
    bounces: Vec<(String, String, Position)>,
    /// Lines read.
    pub lines: u64,
    /// Read errors (the first [`MAX_UNIT_ERRORS`]).
    pub errors: Vec<ReadError>,
    /// The unit assembler's ledger (hits: messages flushed early, pieces
    /// counted at once because the hold budget was full).
    pub memory: MemoryUse,
    /// Hashes of the ids of the messages counted at once, sorted (`None`:
    /// too many to keep): if one of them is in flight from an earlier unit
    /// (an id used again, as in concatenated test logs), one pass would have
    /// joined them, and the unit is assembled again knowing that id.
    counted: Option<Vec<u64>>,
}

/// Most ids of messages counted at once that a unit remembers (8 bytes
/// each); past it, a unit is assembled again whenever messages are in flight
/// across its start.
const MAX_COUNTED: usize = 1 << 21;

fn id_hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id)
}

/// Assembles the lines of `files` (one unit) with `opts`, giving `add`
/// every item that cannot continue a message of an earlier unit and holding
/// the others (up to `hold` bytes; past it they are counted at once, a hit)
/// for [`Stitch::unit`]. Messages whose id is in `in_flight` (the ids in
/// flight before the unit, when known) are held too.
pub fn assemble_unit<R>(
    files: &mut LogFiles,
    opts: AssemblerOptions,
    hold: MemoryBudget,
    in_flight: Option<&std::collections::HashSet<String>>,
    value: R,
    add: impl Fn(&mut R, &Assembled),
) -> UnitMessages<R> {
    assemble_unit_with(files, opts, hold, in_flight, value, add, None::<&Lone<R>>)
}

/// The type of a callback given the lines that belong to no message.
type Lone<R> = fn(&mut R, &LogLine<'_>);

/// [`assemble_unit`], with the lines that belong to no message given to
/// `lone` as the assembler parsed them ([`Assembler::push_line`]: read into
/// one buffer, not copied, not parsed again; those that do not parse are
/// skipped) instead of to `add` as [`Assembled::Line`], when `lone` is
/// given.
fn assemble_unit_with<R, L: Fn(&mut R, &LogLine<'_>) + ?Sized>(
    files: &mut LogFiles,
    opts: AssemblerOptions,
    hold: MemoryBudget,
    in_flight: Option<&std::collections::HashSet<String>>,
    mut value: R,
    add: impl Fn(&mut R, &Assembled),
    lone: Option<&L>,
) -> UnitMessages<R> {
    let mut work = UnitWork::new(opts, hold, in_flight);
    let mut buf = Vec::new();
    loop {
        let asm = &mut work.asm;
        let read = match lone {
            // `push_line`, with the line borrowed from the reader (not
            // copied) and its parse where it was made (not moved).
            Some(lone) => files.next_line().map(|l| {
                l.map(|(raw, pos)| {
                    // A line without a prefix is counted by the reader.
                    let _ = crate::line::parse_line_with(raw, |line| {
                        if !asm.push_parsed(raw, line, pos.clone()) {
                            lone(&mut value, line);
                        }
                    });
                })
            }),
            None => files.read_line(&mut buf).map(|p| {
                p.map(|pos| asm.push(crate::reader::Record::new(std::mem::take(&mut buf), pos)))
            }),
        };
        match read {
            Ok(Some(())) => work.take_all(&mut value, &add),
            Ok(None) => break,
            Err(e) => work.error(e),
        }
    }
    work.finish(files, value, &add, false)
}

/// The bookkeeping of assembling one unit, shared by the whole-message
/// ([`assemble_unit_with`]) and lean ([`assemble_unit_lean`]) ways: the
/// assembler, the pieces held for [`Stitch`], the ids counted at once.
struct UnitWork<'a> {
    asm: Assembler,
    in_flight: Option<&'a std::collections::HashSet<String>>,
    /// Bytes the held pieces may take; past it they are counted at once.
    hold: MemoryBudget,
    held: Vec<Message>,
    held_bytes: usize,
    /// Pieces counted at once because `hold` was full.
    hits: u64,
    errors: Vec<ReadError>,
    /// See [`UnitMessages::counted`].
    counted: Option<Vec<u64>>,
}

impl<'a> UnitWork<'a> {
    fn new(
        opts: AssemblerOptions,
        hold: MemoryBudget,
        in_flight: Option<&'a std::collections::HashSet<String>>,
    ) -> Self {
        let mut asm = Assembler::with_options(opts);
        asm.track_unresolved_bounces();
        UnitWork {
            asm,
            in_flight,
            hold,
            held: Vec::new(),
            held_bytes: 0,
            hits: 0,
            errors: Vec::new(),
            counted: Some(Vec::new()),
        }
    }

    /// Remembers the id of a message counted here, for `needs_again`.
    fn remember(&mut self, id: &str) {
        if let Some(c) = self.counted.as_mut() {
            if c.len() < MAX_COUNTED {
                c.push(id_hash(id));
            } else {
                self.counted = None;
            }
        }
    }

    /// Every item the assembler has ready: a message that may continue one
    /// of an earlier unit (its first line here is not its arrival, or its id
    /// is in flight before the unit) held for the stitch, the rest to `add`.
    fn take_all<R, A: Fn(&mut R, &Assembled) + ?Sized>(&mut self, value: &mut R, add: &A) {
        while let Some(item) = self.asm.pop() {
            match item {
                Assembled::Message(m)
                    if !m.starts_with_arrival()
                        || self.in_flight.is_some_and(|f| f.contains(m.id().as_str())) =>
                {
                    let bytes = m.text_bytes();
                    if self.held_bytes + bytes <= self.hold.get() {
                        self.held_bytes += bytes;
                        self.held.push(m);
                    } else {
                        self.hits += 1;
                        add(value, &Assembled::Message(m));
                    }
                }
                Assembled::Message(m) => {
                    self.remember(m.id().as_str());
                    add(value, &Assembled::Message(m));
                }
                other => add(value, &other),
            }
        }
    }

    fn error(&mut self, e: ReadError) {
        if self.errors.len() < MAX_UNIT_ERRORS {
            self.errors.push(e);
        }
    }

    /// The unit's result once `files` is read through. `lean`: a message in
    /// flight at the end that started here with its arrival was counted
    /// here already (its lines as they were read), so its id is remembered.
    fn finish<R, A: Fn(&mut R, &Assembled) + ?Sized>(
        mut self,
        files: &LogFiles,
        mut value: R,
        add: &A,
        lean: bool,
    ) -> UnitMessages<R> {
        // Every line gone through, as positions number them (skipped syslog
        // lines and lines too long included): the next unit's numbers go on.
        let lines = files.lines_read();
        let open = self.asm.finish_open();
        if lean {
            // If its id is in flight from an earlier unit, one pass would
            // have joined them.
            for m in open.iter().filter(|m| m.starts_with_arrival()) {
                self.remember(m.id().as_str());
            }
        }
        self.take_all(&mut value, add);
        let mut counted = self.counted;
        if let Some(c) = counted.as_mut() {
            c.sort_unstable();
            c.dedup();
        }
        let mut memory = self.asm.memory();
        memory.hits += self.hits;
        UnitMessages {
            value,
            held: self.held,
            open,
            bounces: self.asm.take_unresolved_bounces(),
            lines,
            errors: self.errors,
            memory,
            counted,
        }
    }
}

/// A piece completed in a unit, or a bounce (parent, bounce id) whose
/// parent was not in flight there.
type Event = Result<Message, (String, String)>;

/// Joins the pieces of messages that cuts split, unit after unit in input
/// order; see the module docs. Holds the messages in flight across cuts, up
/// to a memory budget (past it the oldest is counted early, as
/// [`Status::Evicted`], like the assembler does).
#[derive(Debug)]
pub struct Stitch {
    /// Messages in flight at the end of the units so far, in order of first
    /// line (`None`: left since).
    carry: Vec<Option<Message>>,
    index: HashMap<String, usize>,
    mem: MemoryUse,
    numbers: LineNumbers,
}

impl Stitch {
    /// A stitch that holds at most `budget` bytes of messages in flight.
    pub fn new(budget: MemoryBudget) -> Self {
        Stitch {
            carry: Vec::new(),
            index: HashMap::new(),
            mem: MemoryUse::new(budget),
            numbers: LineNumbers::default(),
        }
    }

    /// True when the unit counted at once a message whose id is in flight
    /// from an earlier unit: it must be assembled again, knowing the ids in
    /// flight ([`Stitch::in_flight`]), before [`Stitch::unit`] takes it.
    pub fn needs_again<R>(&self, out: &UnitMessages<R>) -> bool {
        if self.index.is_empty() {
            return false;
        }
        match &out.counted {
            None => true,
            Some(c) => self
                .index
                .keys()
                .any(|id| c.binary_search(&id_hash(id)).is_ok()),
        }
    }

    /// The ids of the messages in flight across the cut.
    pub fn in_flight(&self) -> std::collections::HashSet<String> {
        self.index.keys().cloned().collect()
    }

    /// The ledger of the messages held across cuts.
    pub fn memory(&self) -> MemoryUse {
        self.mem
    }

    /// Takes the next unit's pieces (`unit` is the unit they came from) and
    /// gives `add` every message they complete, in the order one pass
    /// completes them; returns the unit's value and errors (line numbers in
    /// their file).
    pub fn unit<R>(
        &mut self,
        unit: &Unit,
        out: UnitMessages<R>,
        mut add: impl FnMut(Assembled),
    ) -> (R, Vec<ReadError>, MemoryUse) {
        let UnitMessages {
            value,
            held,
            open,
            bounces,
            lines,
            mut errors,
            memory,
            ..
        } = out;
        let before = self.numbers.unit(unit, lines);
        for e in &mut errors {
            LineNumbers::fix(e, before);
        }
        let renumber = |m: &mut Message| {
            if before > 0 {
                for r in &mut m.lines {
                    r.shift_line(before);
                }
            }
        };
        // Pieces completed in the unit, and bounces whose parent may be in
        // flight, in the order of their lines: a bounce goes to a parent
        // still in flight when the bounce arrived (its piece ends later).
        let mut events: Vec<(u64, Event)> = held
            .into_iter()
            .map(|m| {
                let at = m.lines.last().map_or(0, |r| r.position().byte);
                (at, Ok(m))
            })
            .chain(
                bounces
                    .into_iter()
                    .map(|(parent, bounce, at)| (at.byte, Err((parent, bounce)))),
            )
            .collect();
        events.sort_by_key(|e| e.0);
        for (_, e) in events {
            match e {
                Ok(mut piece) => {
                    renumber(&mut piece);
                    match self.take(piece.id().as_str()) {
                        Some(mut whole) => {
                            self.mem.sub(whole.text_bytes());
                            whole.absorb(piece);
                            add(Assembled::Message(whole));
                        }
                        None => add(Assembled::Message(piece)),
                    }
                }
                Err((parent, bounce)) => {
                    if let Some(p) = self.get_mut(&parent) {
                        p.bounces.push(bounce);
                    }
                }
            }
        }
        for mut piece in open {
            renumber(&mut piece);
            let bytes = piece.text_bytes();
            self.mem.add(bytes);
            match self.get_mut(piece.id().as_str()) {
                Some(whole) => whole.absorb(piece),
                None => {
                    self.index
                        .insert(piece.id().as_str().to_string(), self.carry.len());
                    self.carry.push(Some(piece));
                }
            }
        }
        while self.mem.over() {
            let Some(mut oldest) = self.carry.iter_mut().find_map(Option::take) else {
                break;
            };
            self.index.remove(oldest.id().as_str());
            self.mem.sub(oldest.text_bytes());
            self.mem.hit();
            oldest.status = Status::Evicted;
            add(Assembled::Message(oldest));
        }
        self.compact();
        (value, errors, memory)
    }

    /// Ends the input: the messages still in flight, in order of their first
    /// line, as [`Status::EndOfInput`].
    pub fn finish(mut self, mut add: impl FnMut(Assembled)) -> MemoryUse {
        for mut m in self.carry.drain(..).flatten() {
            m.status = Status::EndOfInput;
            add(Assembled::Message(m));
        }
        self.mem.held = 0;
        self.mem
    }

    fn take(&mut self, id: &str) -> Option<Message> {
        let i = self.index.remove(id)?;
        self.carry.get_mut(i)?.take()
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Message> {
        let i = *self.index.get(id)?;
        self.carry.get_mut(i)?.as_mut()
    }

    /// Drops the slots of messages that left, once they are most of them.
    fn compact(&mut self) {
        if self.carry.len() < 64 || self.index.len() * 2 > self.carry.len() {
            return;
        }
        self.carry.retain(Option::is_some);
        self.index.clear();
        for (i, m) in self.carry.iter().enumerate() {
            if let Some(m) = m {
                self.index.insert(m.id().as_str().to_string(), i);
            }
        }
    }
}

/// Assembles the plan's lines into messages on `threads` threads and folds
/// every item ([`Assembled`]) into `total`: each unit into a value of its
/// own (`init`, `add`), merged in input order (`merge`), the messages that
/// cuts split joined by [`Stitch`] and counted whole. The assembler's memory
/// budget (`opts`) is shared, so that all of them together stay within it:
/// half by the assemblers of the units in flight (at most two per thread),
/// an eighth by their held pieces, a quarter by the messages held across
/// cuts.
///
/// Positions: every line's byte offset is its file's. Line numbers are known
/// only once the units before are read, so they are the file's for the
/// messages joined across a cut (renumbered here) and for read errors, but
/// counted from the start of the unit for the items `add` sees on a worker
/// thread (a message read whole in one unit, a lone line). Reports that need
/// a line's place use its byte offset.
pub fn fold_messages<T, I, A, M>(
    plan: &Plan,
    threads: usize,
    opts: AssemblerOptions,
    total: T,
    init: I,
    add: A,
    merge: M,
) -> Folded<T>
where
    T: Send,
    I: Fn() -> T + Sync,
    A: Fn(&mut T, &Assembled) + Sync,
    M: FnMut(&mut T, T),
{
    fold_messages_with(
        plan,
        threads,
        opts,
        total,
        init,
        add,
        None::<&(dyn Fn(&mut T, &LogLine<'_>) + Sync)>,
        merge,
    )
}

/// As [`fold_messages`], but the lines that belong to no message go to
/// `lone` as the assembler parsed them ([`Assembler::push_line`]: not
/// copied, not parsed again; lines that do not parse are skipped), not to
/// `add`; args lines that linked to nothing still come to `add` as
/// [`Assembled::Line`]. For a result equal to [`fold_messages`]'s, `lone`
/// of a line's parse must count what `add` of the line would.
#[allow(clippy::too_many_arguments)]
pub fn fold_messages_and_lines<T, I, A, L, M>(
    plan: &Plan,
    threads: usize,
    opts: AssemblerOptions,
    total: T,
    init: I,
    add: A,
    lone: L,
    merge: M,
) -> Folded<T>
where
    T: Send,
    I: Fn() -> T + Sync,
    A: Fn(&mut T, &Assembled) + Sync,
    L: Fn(&mut T, &LogLine<'_>) + Sync,
    M: FnMut(&mut T, T),
{
    fold_messages_with(plan, threads, opts, total, init, add, Some(&lone), merge)
}

/// How a fold of messages over units shares its memory budget, and its
/// empty result: half the budget for the assemblers of the units in flight,
/// an eighth for their held pieces, a quarter for the messages held across
/// cuts.
struct FoldStart<T> {
    unit_opts: AssemblerOptions,
    hold: MemoryBudget,
    stitch: Stitch,
    folded: Folded<T>,
}

impl<T> FoldStart<T> {
    fn new(opts: &AssemblerOptions, threads: usize, total: T) -> Self {
        let budget = opts.memory_budget;
        let window = 2 * threads.max(1);
        FoldStart {
            unit_opts: opts.clone().memory_budget(budget.share(2 * window)),
            hold: budget.share(8 * window),
            stitch: Stitch::new(budget.share(4)),
            folded: Folded {
                value: total,
                errors: Vec::new(),
                lines: Vec::new(),
                memory: MemoryUse::new(budget),
                again: 0,
            },
        }
    }
}

/// Adds a part's ledger (a unit's, or the stitch's) to the fold's.
fn add_memory(total: &mut MemoryUse, part: MemoryUse) {
    total.hits += part.hits;
    total.peak = total.peak.max(part.peak);
}

#[allow(clippy::too_many_arguments)]
fn fold_messages_with<T, I, A, L, M>(
    plan: &Plan,
    threads: usize,
    opts: AssemblerOptions,
    total: T,
    init: I,
    add: A,
    lone: Option<&L>,
    mut merge: M,
) -> Folded<T>
where
    T: Send,
    I: Fn() -> T + Sync,
    A: Fn(&mut T, &Assembled) + Sync,
    L: Fn(&mut T, &LogLine<'_>) + Sync + ?Sized,
    M: FnMut(&mut T, T),
{
    let units = plan.units();
    let FoldStart {
        unit_opts,
        hold,
        mut stitch,
        mut folded,
    } = FoldStart::new(&opts, threads, total);
    run_ordered(
        units.len(),
        threads,
        |i| {
            let mut files = units
                .get(i)
                .map_or_else(LogFiles::default, |u| u.open(true));
            assemble_unit_with(
                &mut files,
                unit_opts.clone(),
                hold,
                None,
                init(),
                &add,
                lone,
            )
        },
        |i, mut out| {
            let Some(u) = units.get(i) else { return };
            if stitch.needs_again(&out) {
                // An id in flight across the cut starts anew in this unit:
                // assemble it again holding that id's messages for the stitch.
                let ids = stitch.in_flight();
                out = assemble_unit_with(
                    &mut u.open(true),
                    unit_opts.clone(),
                    hold,
                    Some(&ids),
                    init(),
                    &add,
                    lone,
                );
                folded.again += 1;
            }
            folded.lines.push(out.lines);
            // The messages the stitch completes complete in this unit: they
            // are counted after the unit's own.
            let mut joined = init();
            let (value, errs, mem) = stitch.unit(u, out, |item| add(&mut joined, &item));
            folded.errors.extend(errs);
            add_memory(&mut folded.memory, mem);
            merge(&mut folded.value, value);
            merge(&mut folded.value, joined);
        },
    );
    let mut rest = init();
    let carried = stitch.finish(|item| add(&mut rest, &item));
    add_memory(&mut folded.memory, carried);
    merge(&mut folded.value, rest);
    folded
}

/// As [`assemble_unit_with`], lean ([`fold_messages_lean`]): a message that
/// starts here with its arrival (and whose id is not in `in_flight`) keeps
/// no lines, each of them goes to `message_line` as it is read (after the
/// items its push emitted went to `add`, as on one thread); the others keep
/// their lines for [`Stitch`]. Lines of no message go to `lone`.
#[allow(clippy::too_many_arguments)]
fn assemble_unit_lean<R, A, ML, L>(
    files: &mut LogFiles,
    opts: AssemblerOptions,
    hold: MemoryBudget,
    in_flight: Option<&std::collections::HashSet<String>>,
    mut value: R,
    add: &A,
    message_line: &ML,
    lone: &L,
) -> UnitMessages<R>
where
    A: Fn(&mut R, &Assembled) + ?Sized,
    ML: Fn(&mut R, &LogLine<'_>) + ?Sized,
    L: Fn(&mut R, &LogLine<'_>) + ?Sized,
{
    let mut work = UnitWork::new(opts, hold, in_flight);
    loop {
        let read = files.next_line().map(|l| {
            l.map(|(raw, pos)| {
                // A line without a prefix is counted by the reader.
                let _ = crate::line::parse_line_with(raw, |line| {
                    let copied = work.asm.push_parsed_part(raw, line, pos.clone(), in_flight);
                    work.take_all(&mut value, add);
                    match copied {
                        None => lone(&mut value, line),
                        Some(false) => message_line(&mut value, line),
                        Some(true) => {}
                    }
                });
            })
        });
        match read {
            Ok(Some(())) => {}
            Ok(None) => break,
            Err(e) => work.error(e),
        }
    }
    work.finish(files, value, add, true)
}

/// As [`fold_messages_and_lines`], lean, for a report that counts the lines
/// of messages as they are read (as on one thread with
/// [`AssemblerOptions::keep_lines`]`(false)`, e.g.
/// [`crate::report::summary::Summary::add_message_line`]): in each unit a
/// message that starts there with its arrival keeps no lines; its lines go
/// to `message_line` as they are read (after the items their push emitted
/// went to `add`) and it comes to `add` without them, on the unit's value.
/// A message that may continue one of an earlier unit (its first line there
/// is not its arrival) keeps its lines, and [`Stitch`] joins it to the
/// earlier part, which comes without lines: the joined message goes to `add`
/// on the total, where the earlier units' values were merged (then the
/// unit's value is merged). So `merge` must
/// keep what a value holds for its messages in flight at the unit's end
/// (what `message_line` left for their later lines), for `add` to find it
/// on the total ([`crate::report::summary::Summary::merge`] does). Lines of
/// no message go to `lone`; args lines (never given to `message_line`) that
/// linked to nothing come to `add` as [`Assembled::Line`].
///
/// The result is the one pass's of the same callbacks while the memory
/// budget is not hit, with the limits of [`fold_messages`]. Only the
/// assembler's ledger differs: the units hold fewer lines.
#[allow(clippy::too_many_arguments)]
pub fn fold_messages_lean<T, I, A, ML, L, M>(
    plan: &Plan,
    threads: usize,
    opts: AssemblerOptions,
    total: T,
    init: I,
    add: A,
    message_line: ML,
    lone: L,
    mut merge: M,
) -> Folded<T>
where
    T: Send,
    I: Fn() -> T + Sync,
    A: Fn(&mut T, &Assembled) + Sync,
    ML: Fn(&mut T, &LogLine<'_>) + Sync,
    L: Fn(&mut T, &LogLine<'_>) + Sync,
    M: FnMut(&mut T, T),
{
    let units = plan.units();
    let FoldStart {
        unit_opts,
        hold,
        mut stitch,
        mut folded,
    } = FoldStart::new(&opts, threads, total);
    let unit = |i: usize, in_flight: Option<&std::collections::HashSet<String>>| {
        let mut files = units
            .get(i)
            .map_or_else(LogFiles::default, |u| u.open(true));
        assemble_unit_lean(
            &mut files,
            unit_opts.clone(),
            hold,
            in_flight,
            init(),
            &add,
            &message_line,
            &lone,
        )
    };
    run_ordered(
        units.len(),
        threads,
        |i| unit(i, None),
        |i, mut out| {
            let Some(u) = units.get(i) else { return };
            if stitch.needs_again(&out) {
                // As in `fold_messages_with`.
                let ids = stitch.in_flight();
                out = unit(i, Some(&ids));
                folded.again += 1;
            }
            folded.lines.push(out.lines);
            // The messages the stitch completes are counted on the total,
            // which holds what the earlier units left for their lean parts,
            // before this unit's value is merged into it: what that value
            // holds is for its own messages in flight at its end, which may
            // reuse the id of a message completed here.
            let total = &mut folded.value;
            let (value, errs, mem) = stitch.unit(u, out, |item| add(total, &item));
            merge(&mut folded.value, value);
            folded.errors.extend(errs);
            add_memory(&mut folded.memory, mem);
        },
    );
    let carried = stitch.finish(|item| add(&mut folded.value, &item));
    add_memory(&mut folded.memory, carried);
    folded
}
