//! `exim-log parquet`: logs to a Parquet dataset partitioned by server and
//! date (hive layout), for DuckDB, Polars, pandas, Spark or any Arrow reader.
//!
//! The rows are the library's Arrow tables ([`exim_log::arrow`]): one per
//! line (`lines/`) and one per assembled message (`messages/`), written with
//! zstd in row groups of `--row-group-rows` rows. `server` and `date` are not
//! stored in the files: they are the `server=NAME/date=YYYY-MM-DD` directories,
//! which dataset readers turn into columns (`hive_partitioning`).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use exim_log::arrow::arrow_array::RecordBatch;
use exim_log::arrow::{ArrowOptions, LinesBuilder, MessagesBuilder};
use exim_log::assemble::{Assembled, Assembler, AssemblerOptions, Message};
use exim_log::parallel::{LineNumbers, Plan, read_lines, run_ordered};
use exim_log::reader::{ReadError, Record};
use exim_log::{Timestamp, parse_line};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::{BudgetArgs, read_error};
use crate::input::{InputArgs, Show, Source};
use crate::outcome::{Error, Outcome, status, warn};
use crate::threads::ThreadsArgs;

/// The long help.
pub const ABOUT: &str = "\
Writes Exim logs to a Parquet dataset: OUT/lines/ (one row per input line,
typed columns as in SCHEMA.md \"Arrow tables\") and OUT/messages/ (one row per
assembled message, with its linked cwd= script, user and login), each
partitioned as server=NAME/date=YYYY-MM-DD/part-N.parquet (zstd). NAME is
--server, or else the name of the directory holding each log file (a fleet's
logs copied to logs/<server>/ land in one dataset); the date is the logged
date of the line (of the message's first line). With --threads N (default:
the available cores) the lines of plain files (byte ranges) and of .gz files
are parsed into Arrow batches on N threads and written in input order, so
the files hold the same rows in the same order at any N; the messages are
assembled in one pass on a thread of their own. Query with DuckDB:
  SELECT server, count(*) FROM read_parquet('OUT/lines/*/*/*.parquet',
    hive_partitioning = true) GROUP BY server;";

/// Which tables to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Tables {
    /// One row per input line.
    Lines,
    /// One row per assembled message.
    Messages,
    /// Both.
    Both,
}

/// `exim-log parquet` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
    /// The dataset directory (created; files already there are replaced)
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Which tables to write
    #[arg(long, value_enum, default_value_t = Tables::Both)]
    pub tables: Tables,
    /// The server the logs are from (default: each file's directory name;
    /// `unknown` for standard input and the sample)
    #[arg(long, value_name = "NAME")]
    pub server: Option<String>,
    /// Keep the whole line in a `raw` column of the lines table
    #[arg(long)]
    pub raw: bool,
    /// Only these columns of the lines table (comma-separated names of
    /// SCHEMA.md "Arrow tables", e.g. `timestamp,event,sender,host_ip`):
    /// smaller files, written faster. Default: every column
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Rows per Parquet row group
    #[arg(long, value_name = "N", default_value_t = 512 * 1024)]
    pub row_group_rows: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub memory: BudgetArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub threads: ThreadsArgs,
}

/// Rows of a batch handed to a writer.
const BATCH_ROWS: usize = 64 * 1024;

/// One open part file of a partition, and the rows not yet handed to it.
struct Part<B> {
    builder: B,
    writer: ArrowWriter<File>,
    date: String,
    /// Rows handed to `writer`.
    written: u64,
}

/// A table being written: a part per (server, date) partition.
struct Dataset<B> {
    dir: PathBuf,
    opts: ArrowOptions,
    props: WriterProperties,
    parts: HashMap<(Arc<str>, String), Part<B>>,
    /// Part files made per partition, for the next file's number.
    made: HashMap<(Arc<str>, String), usize>,
    /// The partition of the last call to [`Dataset::open`]: the next line is
    /// nearly always in it, found without making a key.
    last: Option<(Arc<str>, String)>,
    written: u64,
}

/// What the two builders have in common.
trait Table {
    fn make(opts: ArrowOptions) -> Self;
    fn rows(&self) -> usize;
    fn schema(&self) -> exim_log::arrow::arrow_schema::SchemaRef;
    fn batch(&mut self) -> Result<exim_log::arrow::arrow_array::RecordBatch, Error>;
}

impl Table for LinesBuilder {
    fn make(opts: ArrowOptions) -> Self {
        LinesBuilder::new(opts)
    }
    fn rows(&self) -> usize {
        self.len()
    }
    fn schema(&self) -> exim_log::arrow::arrow_schema::SchemaRef {
        self.schema()
    }
    fn batch(&mut self) -> Result<exim_log::arrow::arrow_array::RecordBatch, Error> {
        Ok(self.finish().map_err(|e| e.to_string())?)
    }
}

impl Table for MessagesBuilder {
    fn make(opts: ArrowOptions) -> Self {
        MessagesBuilder::new(opts)
    }
    fn rows(&self) -> usize {
        self.len()
    }
    fn schema(&self) -> exim_log::arrow::arrow_schema::SchemaRef {
        self.schema()
    }
    fn batch(&mut self) -> Result<exim_log::arrow::arrow_array::RecordBatch, Error> {
        Ok(self.finish().map_err(|e| e.to_string())?)
    }
}

fn date_of(t: &Timestamp) -> String {
    format!("{:04}-{:02}-{:02}", t.year, t.month, t.day)
}

/// Days since 0000-03-01 of a `YYYY-MM-DD` date, to compare dates cheaply.
fn day_number(d: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| d.get(r).and_then(|x| x.parse::<i64>().ok()).unwrap_or(0);
    n(0..4) * 372 + n(5..7) * 31 + n(8..10)
}

impl<B: Table> Dataset<B> {
    fn new(dir: PathBuf, opts: ArrowOptions, props: WriterProperties) -> Self {
        Dataset {
            dir,
            opts,
            props,
            parts: HashMap::new(),
            made: HashMap::new(),
            last: None,
            written: 0,
        }
    }

    /// The open part of the partition `(server, date)`, opening its file
    /// when needed. Logs are in time order, so a partition two days older
    /// than a new one is done: it is closed, bounding the open row groups.
    fn open(&mut self, server: &Arc<str>, date: &str) -> Result<&mut Part<B>, Error> {
        let same = |k: &(Arc<str>, String)| *k.0 == **server && k.1 == date;
        let hit = self
            .last
            .as_ref()
            .is_some_and(|k| same(k) && self.parts.contains_key(k));
        if hit && let Some(k) = &self.last {
            return self
                .parts
                .get_mut(k)
                .ok_or_else(|| "partition vanished".to_string().into());
        }
        let key = (server.clone(), date.to_string());
        self.last = Some(key.clone());
        if !self.parts.contains_key(&key) {
            let now = day_number(date);
            let old: Vec<_> = self
                .parts
                .iter()
                .filter(|(k, p)| k.0 == *server && day_number(&p.date) + 1 < now)
                .map(|(k, _)| k.clone())
                .collect();
            for k in old {
                if let Some(p) = self.parts.remove(&k) {
                    self.close(p)?;
                }
            }
            let dir = self
                .dir
                .join(format!("server={server}"))
                .join(format!("date={date}"));
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let n = self.made.entry(key.clone()).or_insert(0);
            let path = dir.join(format!("part-{n}.parquet"));
            *n += 1;
            let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let builder = B::make(self.opts.clone());
            let writer = ArrowWriter::try_new(file, builder.schema(), Some(self.props.clone()))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            self.parts.insert(
                key.clone(),
                Part {
                    builder,
                    writer,
                    date: date.to_string(),
                    written: 0,
                },
            );
        }
        self.parts
            .get_mut(&key)
            .ok_or_else(|| "partition vanished".to_string().into())
    }

    /// The builder of the partition `(server, date)` (see [`Dataset::open`]),
    /// its rows handed to the writer every [`BATCH_ROWS`].
    fn part(&mut self, server: &Arc<str>, date: &str) -> Result<&mut B, Error> {
        let part = self.open(server, date)?;
        if part.builder.rows() >= BATCH_ROWS {
            let batch = part.builder.batch()?;
            part.written += batch.num_rows() as u64;
            part.writer.write(&batch).map_err(|e| e.to_string())?;
        }
        Ok(&mut part.builder)
    }

    /// Writes a batch made elsewhere (on a worker thread) to the partition
    /// `(server, date)`, after the rows its builder holds.
    fn write(&mut self, server: &Arc<str>, date: &str, batch: &RecordBatch) -> Result<(), Error> {
        let part = self.open(server, date)?;
        if part.builder.rows() > 0 {
            let held = part.builder.batch()?;
            part.written += held.num_rows() as u64;
            part.writer.write(&held).map_err(|e| e.to_string())?;
        }
        part.written += batch.num_rows() as u64;
        part.writer.write(batch).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn close(&mut self, mut p: Part<B>) -> Result<(), Error> {
        let batch = p.builder.batch()?;
        self.written += p.written + batch.num_rows() as u64;
        p.writer.write(&batch).map_err(|e| e.to_string())?;
        p.writer.close().map_err(|e| e.to_string())?;
        Ok(())
    }

    fn finish(mut self) -> Result<u64, Error> {
        for (_, p) in std::mem::take(&mut self.parts) {
            self.close(p)?;
        }
        Ok(self.written)
    }
}

/// The server of a line read from `file`: `--server`, else the name of the
/// file's directory, else `unknown`.
fn server_of(fixed: Option<&Arc<str>>, file: Option<&Path>) -> Arc<str> {
    if let Some(s) = fixed {
        return s.clone();
    }
    file.and_then(|f| f.canonicalize().ok())
        .and_then(|f| {
            f.parent()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
        })
        .map_or_else(|| Arc::from("unknown"), Arc::from)
}

/// Runs `exim-log parquet`.
pub fn run(args: Args) -> Outcome {
    let mut source = args.input.open(Show::Progress)?;
    let threads = args.threads.threads();
    source.pipelined(threads > 1);
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).map_err(|e| e.to_string())?,
        ))
        .set_max_row_group_row_count(Some(args.row_group_rows.max(1)))
        .build();
    let mut opts = ArrowOptions::default().with_raw(args.raw);
    if let Some(c) = &args.columns {
        opts = opts.with_columns(c.iter().map(|n| n.trim()));
    }
    let want_lines = args.tables != Tables::Messages;
    let want_messages = args.tables != Tables::Lines;
    let mut lines: Dataset<LinesBuilder> =
        Dataset::new(args.out.join("lines"), opts.clone(), props.clone());
    let mut messages: Dataset<MessagesBuilder> =
        Dataset::new(args.out.join("messages"), opts.clone(), props);
    let fixed: Option<Arc<str>> = args.server.as_deref().map(Arc::from);
    let budget = args.memory.budget();
    let plan = if want_lines {
        args.threads
            .plan(&source, units_per_thread(&source, threads))
    } else {
        None
    };
    let failed = match plan {
        None => one_pass(
            &mut source,
            fixed.as_ref(),
            budget,
            want_lines.then_some(&mut lines),
            want_messages.then_some(&mut messages),
        )?,
        // The messages in one pass over `source` on a thread of their own (one
        // assembler sees every line in order, as with one thread), the lines
        // on `threads` others. The units' read errors are the ones that pass
        // meets too: only it prints them.
        Some(plan) if want_messages => std::thread::scope(|s| {
            let pass = s.spawn(|| {
                one_pass(
                    &mut source,
                    fixed.as_ref(),
                    budget,
                    None,
                    Some(&mut messages),
                )
            });
            let wrote = in_parallel(&plan, threads, &opts, fixed.as_ref(), &mut lines, None);
            let failed = pass
                .join()
                .map_err(|_| Error::from("the messages thread stopped".to_string()))??;
            wrote.map(|f| f || failed)
        })?,
        Some(plan) => in_parallel(
            &plan,
            threads,
            &opts,
            fixed.as_ref(),
            &mut lines,
            Some(&mut source),
        )?,
    };
    let n_lines = lines.finish()?;
    let n_messages = messages.finish()?;
    let warned = source.check()?;
    warn(format_args!(
        "wrote {n_lines} lines and {n_messages} messages to {}",
        args.out.display()
    ));
    Ok(status(failed || warned))
}

/// Every line of `source` in order on this thread: into `lines` and, through
/// one assembler, `messages` (each table when given). True when an input
/// could not be read to its end.
fn one_pass(
    source: &mut Source,
    fixed: Option<&Arc<str>>,
    budget: exim_log::budget::MemoryBudget,
    mut lines: Option<&mut Dataset<LinesBuilder>>,
    mut messages: Option<&mut Dataset<MessagesBuilder>>,
) -> Result<bool, Error> {
    let mut asm = Assembler::with_options(AssemblerOptions::default().memory_budget(budget));
    // The server of the last file seen, by its path (lines come file by file).
    let mut current: Option<(Arc<Path>, Arc<str>)> = None;
    let mut date = String::from("unknown");
    let mut failed = false;
    let mut buf = Vec::with_capacity(4096);
    let want_messages = messages.is_some();
    let mut emit = |asm: &mut Assembler| -> Result<(), Error> {
        if let Some(messages) = messages.as_deref_mut() {
            while let Some(a) = asm.pop() {
                if let Assembled::Message(m) = a {
                    push_message(messages, fixed, &m)?;
                }
            }
        }
        Ok(())
    };
    loop {
        let pos = match source.read_line(&mut buf) {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => {
                failed |= read_error(&e);
                continue;
            }
        };
        if let Some(lines) = lines.as_deref_mut() {
            let server = match (&current, &pos.file) {
                (Some((f, s)), Some(pf)) if Arc::ptr_eq(f, pf) => s.clone(),
                (Some((_, s)), None) if fixed.is_some() || pos.file.is_none() => s.clone(),
                _ => {
                    let s = server_of(fixed, pos.file.as_deref());
                    if let Some(f) = &pos.file {
                        current = Some((f.clone(), s.clone()));
                    }
                    s
                }
            };
            match parse_line(&buf) {
                Ok(line) => {
                    if line.timestamp.day != 0 {
                        date = date_of(&line.timestamp);
                    }
                    lines.part(&server, &date)?.push(&line);
                }
                Err(e) => lines.part(&server, &date)?.push_error(&buf, &e),
            }
        }
        if want_messages {
            asm.push(Record::new(buf.clone(), pos));
            emit(&mut asm)?;
        }
    }
    if want_messages {
        asm.finish();
        emit(&mut asm)?;
    }
    Ok(failed)
}

/// Most bytes of input in one unit on several threads: the batches of up to
/// `2 × threads` units wait in memory for their turn to be written (Arrow
/// columns take a few times the bytes of the lines).
const MAX_UNIT_BYTES: u64 = 16 << 20;

/// Units per thread: at least 4 (balance), more for big inputs so that no
/// unit passes [`MAX_UNIT_BYTES`].
fn units_per_thread(source: &Source, threads: usize) -> usize {
    let total: u64 = source
        .paths()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let units = usize::try_from(total / MAX_UNIT_BYTES).unwrap_or(usize::MAX);
    units.div_ceil(threads.max(1)).max(4)
}

/// The lines of a unit with one date (`None`: before the unit's first
/// timestamp, so the date of the line before the unit), as a batch.
struct Run {
    date: Option<String>,
    batch: RecordBatch,
}

/// What a worker made of one unit.
struct UnitRuns {
    server: Arc<str>,
    runs: Result<Vec<Run>, String>,
    read: exim_log::parallel::UnitOutput<()>,
}

/// Parses the lines of a unit into batches, cut where the date changes and
/// every [`BATCH_ROWS`] rows.
fn unit_runs(
    unit: &exim_log::parallel::Unit,
    opts: &ArrowOptions,
    fixed: Option<&Arc<str>>,
) -> UnitRuns {
    let server = server_of(fixed, Some(&unit.path));
    let mut b = LinesBuilder::new(opts.clone());
    let mut runs = Vec::new();
    let mut failed = None;
    // The date of the rows in `b`, as (year, month, day) and as text.
    let mut day: Option<(u16, u8, u8)> = None;
    let mut date: Option<String> = None;
    let mut cut = |b: &mut LinesBuilder, date: &Option<String>, runs: &mut Vec<Run>| {
        if b.is_empty() {
            return;
        }
        match b.finish() {
            Ok(batch) => runs.push(Run {
                date: date.clone(),
                batch,
            }),
            Err(e) => {
                failed.get_or_insert_with(|| e.to_string());
            }
        }
    };
    let mut files = unit.open(true);
    let read = read_lines(&mut files, |raw, _| {
        match parse_line(raw) {
            Ok(line) => {
                let t = &line.timestamp;
                if t.day != 0 && day != Some((t.year, t.month, t.day)) {
                    cut(&mut b, &date, &mut runs);
                    day = Some((t.year, t.month, t.day));
                    date = Some(date_of(t));
                }
                b.push(&line);
            }
            Err(e) => b.push_error(raw, &e),
        }
        if b.len() >= BATCH_ROWS {
            cut(&mut b, &date, &mut runs);
        }
    });
    cut(&mut b, &date, &mut runs);
    UnitRuns {
        server,
        runs: failed.map_or(Ok(runs), Err),
        read,
    }
}

/// The lines of `plan`'s units parsed into batches on `threads` threads and
/// written in input order, so each part file holds the rows of one thread's
/// run in the same order. With `source`, its units' lines are counted there
/// and their read errors printed (else another pass over it prints them).
/// True when an input could not be read to its end.
fn in_parallel(
    plan: &Plan,
    threads: usize,
    opts: &ArrowOptions,
    fixed: Option<&Arc<str>>,
    lines: &mut Dataset<LinesBuilder>,
    mut source: Option<&mut Source>,
) -> Result<bool, Error> {
    let units = plan.units();
    let mut failed = false;
    let mut written: Result<(), Error> = Ok(());
    let mut numbers = LineNumbers::default();
    // The date of the last line with one, carried across units and files as
    // one pass does.
    let mut date = String::from("unknown");
    run_ordered(
        units.len(),
        threads,
        |i| units.get(i).map(|u| unit_runs(u, opts, fixed)),
        |i, out| {
            let (Some(u), Some(out)) = (units.get(i), out) else {
                return;
            };
            if let Some(source) = source.as_deref_mut() {
                source.read_elsewhere(&u.path, out.read.lines);
                let before = numbers.unit(u, out.read.lines);
                for mut e in out.read.errors {
                    LineNumbers::fix(&mut e, before);
                    failed |= read_error(&e);
                }
            } else {
                failed |= out.read.errors.iter().any(ReadError::is_fatal);
            }
            if written.is_err() {
                return;
            }
            written = out.runs.map_err(Error::from).and_then(|runs| {
                for run in runs {
                    if let Some(d) = run.date {
                        date = d;
                    }
                    lines.write(&out.server, &date, &run.batch)?;
                }
                Ok(())
            });
        },
    );
    written?;
    Ok(failed)
}

fn push_message(
    messages: &mut Dataset<MessagesBuilder>,
    fixed: Option<&Arc<str>>,
    m: &Message,
) -> Result<(), Error> {
    let first = m.lines.first();
    let server = server_of(fixed, first.and_then(|l| l.file()));
    let date = m
        .first_time()
        .map_or_else(|| "unknown".to_string(), |t| date_of(&t));
    messages.part(&server, &date)?.push(m);
    Ok(())
}
