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
use exim_log::{Timestamp, parse_line_with};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

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
are parsed into Arrow batches on N threads, their columns encoded on N
threads, and written in input order, so the files hold the same rows in the
same order at any N; the messages are
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

/// Batches of fewer rows are encoded on the calling thread only: starting
/// threads would cost more than they save.
const MIN_PARALLEL_ROWS: usize = 4096;

/// A part file's writer: the `parquet` crate's `ArrowWriter` (one thread),
/// or [`ColumnsWriter`], which encodes the columns on several.
enum PartWriter {
    One(ArrowWriter<File>),
    Columns(ColumnsWriter),
}

impl PartWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        match self {
            PartWriter::One(w) => w.write(batch).map_err(|e| e.to_string())?,
            PartWriter::Columns(w) => w.write(batch).map_err(|e| e.to_string())?,
        }
        Ok(())
    }

    fn close(self) -> Result<(), Error> {
        match self {
            PartWriter::One(w) => w.close().map(drop).map_err(|e| e.to_string())?,
            PartWriter::Columns(w) => w.close().map_err(|e| e.to_string())?,
        }
        Ok(())
    }
}

/// A Parquet file written as `ArrowWriter` writes it, byte for byte (the same
/// row groups, the same pages: each column writer is given the same leaves in
/// the same order), but with each batch's columns, and each row group's
/// column chunks at its end, encoded and compressed on up to `threads`
/// threads (`ArrowColumnWriter`, one per leaf column). With one writing
/// thread and others parsing, Parquet encoding was half the work of
/// `parquet --threads` and all of it on one thread. The file keeps the Arrow
/// schema in its metadata (`ARROW:schema`, from `ArrowWriter::try_new`).
struct ColumnsWriter {
    file: SerializedFileWriter<File>,
    factory: ArrowRowGroupWriterFactory,
    schema: exim_log::arrow::arrow_schema::SchemaRef,
    /// Leaf columns of each field of `schema` (a struct has one per member).
    leaves: Vec<usize>,
    /// The open row group's column writers (empty: none open) and its rows.
    group: Vec<ArrowColumnWriter>,
    rows: usize,
    max_rows: usize,
    threads: usize,
}

/// The leaf columns of a Parquet field.
fn leaf_count(t: &Type) -> usize {
    if t.is_primitive() {
        1
    } else {
        t.get_fields().iter().map(|f| leaf_count(f)).sum()
    }
}

/// `f` applied to each item on up to `threads` threads (the calling thread
/// one of them), each taking the next item when free; the results in the
/// items' order, or the first error.
fn in_threads<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> parquet::errors::Result<R> + Sync,
) -> parquet::errors::Result<Vec<R>> {
    let n = items.len();
    if threads <= 1 || n <= 1 {
        return items.into_iter().map(f).collect();
    }
    let queue = std::sync::Mutex::new(items.into_iter().enumerate());
    let work = || -> parquet::errors::Result<Vec<(usize, R)>> {
        let mut done = Vec::new();
        loop {
            let next = queue
                .lock()
                .map_err(|_| parquet::errors::ParquetError::General("encoder queue".into()))?
                .next();
            match next {
                Some((i, item)) => done.push((i, f(item)?)),
                None => return Ok(done),
            }
        }
    };
    let mut all = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads.min(n)).map(|_| s.spawn(work)).collect();
        let mut all = work()?;
        for h in helpers {
            let part = h.join().map_err(|_| {
                parquet::errors::ParquetError::General("an encoder thread stopped".into())
            })??;
            all.extend(part);
        }
        Ok::<_, parquet::errors::ParquetError>(all)
    })?;
    all.sort_unstable_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

impl ColumnsWriter {
    fn new(
        writer: ArrowWriter<File>,
        schema: exim_log::arrow::arrow_schema::SchemaRef,
        threads: usize,
    ) -> parquet::errors::Result<Self> {
        let (file, factory) = writer.into_serialized_writer()?;
        let leaves = file
            .schema_descr()
            .root_schema()
            .get_fields()
            .iter()
            .map(|t| leaf_count(t))
            .collect();
        let max_rows = file
            .properties()
            .max_row_group_row_count()
            .unwrap_or(usize::MAX)
            .max(1);
        Ok(ColumnsWriter {
            file,
            factory,
            schema,
            leaves,
            group: Vec::new(),
            rows: 0,
            max_rows,
            threads,
        })
    }

    /// Writes `batch`, closing a row group at every `max_rows` rows (as
    /// `ArrowWriter::write`).
    fn write(&mut self, batch: &RecordBatch) -> parquet::errors::Result<()> {
        let mut rest = batch.clone();
        while rest.num_rows() > 0 {
            if self.group.is_empty() {
                let index = self.file.flushed_row_groups().len();
                self.group = self.factory.create_column_writers(index)?;
            }
            let room = self.max_rows.saturating_sub(self.rows).max(1);
            let now = rest.slice(0, room.min(rest.num_rows()));
            rest = rest.slice(now.num_rows(), rest.num_rows() - now.num_rows());
            self.encode(&now)?;
            self.rows += now.num_rows();
            if self.rows >= self.max_rows {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Hands each field's leaves of `batch` to its column writers, the
    /// largest columns first, on the threads.
    fn encode(&mut self, batch: &RecordBatch) -> parquet::errors::Result<()> {
        let mut jobs = Vec::with_capacity(self.leaves.len());
        let mut rest = self.group.as_mut_slice();
        for ((field, column), &n) in self
            .schema
            .fields()
            .iter()
            .zip(batch.columns())
            .zip(&self.leaves)
        {
            let k = n.min(rest.len());
            let (now, later) = std::mem::take(&mut rest).split_at_mut(k);
            jobs.push((field, column, now));
            rest = later;
        }
        if jobs.len() != self.leaves.len() || !rest.is_empty() {
            return Err(parquet::errors::ParquetError::General(
                "a batch does not match the file's schema".into(),
            ));
        }
        let threads = if batch.num_rows() < MIN_PARALLEL_ROWS {
            1
        } else {
            self.threads
        };
        jobs.sort_by_key(|(_, column, _)| std::cmp::Reverse(column.get_array_memory_size()));
        in_threads(jobs, threads, |(field, column, writers)| {
            let leaves = compute_leaves(field, column)?;
            if leaves.len() != writers.len() {
                return Err(parquet::errors::ParquetError::General(format!(
                    "column {}: {} leaves for {} writers",
                    field.name(),
                    leaves.len(),
                    writers.len()
                )));
            }
            for (w, leaf) in writers.iter_mut().zip(&leaves) {
                w.write(leaf)?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Closes the open row group: its column chunks finished on the threads
    /// (the last pages, the dictionaries), appended in order.
    fn flush(&mut self) -> parquet::errors::Result<()> {
        if self.group.is_empty() {
            return Ok(());
        }
        let writers = std::mem::take(&mut self.group);
        self.rows = 0;
        let chunks = in_threads(writers, self.threads, ArrowColumnWriter::close)?;
        let mut group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group)?;
        }
        group.close()?;
        Ok(())
    }

    fn close(mut self) -> parquet::errors::Result<()> {
        self.flush()?;
        self.file.close()?;
        Ok(())
    }
}

/// One open part file of a partition, and the rows not yet handed to it.
struct Part<B> {
    builder: B,
    writer: PartWriter,
    date: String,
    /// Rows handed to `writer`.
    written: u64,
}

/// A partition: its server and its date (`YYYY-MM-DD`).
type PartKey = (Arc<str>, String);

/// A table being written: a part per (server, date) partition.
struct Dataset<B> {
    dir: PathBuf,
    opts: ArrowOptions,
    props: WriterProperties,
    /// The open parts, in the order they were opened: few (a server's
    /// partitions two days older than its newest are closed), so a new
    /// partition is looked for by a scan.
    parts: Vec<(PartKey, Part<B>)>,
    /// Part files made per partition, for the next file's number.
    made: HashMap<PartKey, usize>,
    /// The index in `parts` of the last call's partition: the next line is
    /// nearly always in it, found by comparing two strings (a hashed
    /// lookup of the key, twice a line, was 7% of a one-thread run's
    /// instructions, callgrind).
    last: Option<usize>,
    written: u64,
    /// Threads encoding a part's columns (1: `ArrowWriter`).
    encoders: usize,
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

/// The logged day of the lines read so far: the `date=` partition of the
/// next line without a date of its own. Its text is made when the day
/// changes, not at every line (formatting it a line was 6% of a one-thread
/// run, `perf`).
#[derive(Default)]
struct Day {
    ymd: Option<(u16, u8, u8)>,
    text: Option<String>,
}

impl Day {
    /// True when `t` is a date (not a line without one) of another day.
    fn changes(&self, t: &Timestamp) -> bool {
        t.day != 0 && self.ymd != Some((t.year, t.month, t.day))
    }

    /// Moves to the day of `t`.
    fn enter(&mut self, t: &Timestamp) {
        self.ymd = Some((t.year, t.month, t.day));
        self.text = Some(date_of(t));
    }

    /// The day as `YYYY-MM-DD` (`None` before the first dated line).
    fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }
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
            parts: Vec::new(),
            made: HashMap::new(),
            last: None,
            written: 0,
            encoders: 1,
        }
    }

    /// The open part of the partition `(server, date)`, opening its file
    /// when needed ([`Dataset::add`]).
    fn open(&mut self, server: &Arc<str>, date: &str) -> Result<&mut Part<B>, Error> {
        let same = |k: &PartKey| *k.0 == **server && k.1 == date;
        let found = self
            .last
            .filter(|i| self.parts.get(*i).is_some_and(|(k, _)| same(k)))
            .or_else(|| self.parts.iter().position(|(k, _)| same(k)));
        let i = match found {
            Some(i) => i,
            None => self.add(server, date)?,
        };
        self.last = Some(i);
        self.parts
            .get_mut(i)
            .map(|(_, p)| p)
            .ok_or_else(|| "partition vanished".to_string().into())
    }

    /// Opens the partition `(server, date)`'s next part file; its index in
    /// `parts`. Logs are in time order, so the server's partitions two days
    /// older than this one are done: they are closed first, bounding the
    /// open row groups.
    fn add(&mut self, server: &Arc<str>, date: &str) -> Result<usize, Error> {
        let now = day_number(date);
        let (old, open): (Vec<_>, Vec<_>) = std::mem::take(&mut self.parts)
            .into_iter()
            .partition(|(k, p)| k.0 == *server && day_number(&p.date) + 1 < now);
        self.parts = open;
        for (_, p) in old {
            self.close(p)?;
        }
        let key = (server.clone(), date.to_string());
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
        let writer = if self.encoders > 1 {
            ColumnsWriter::new(writer, builder.schema(), self.encoders)
                .map(PartWriter::Columns)
                .map_err(|e| format!("{}: {e}", path.display()))?
        } else {
            PartWriter::One(writer)
        };
        self.parts.push((
            key,
            Part {
                builder,
                writer,
                date: date.to_string(),
                written: 0,
            },
        ));
        Ok(self.parts.len() - 1)
    }

    /// The builder of the partition `(server, date)` (see [`Dataset::open`]),
    /// its rows handed to the writer every [`BATCH_ROWS`].
    fn part(&mut self, server: &Arc<str>, date: &str) -> Result<&mut B, Error> {
        let part = self.open(server, date)?;
        if part.builder.rows() >= BATCH_ROWS {
            let batch = part.builder.batch()?;
            part.written += batch.num_rows() as u64;
            part.writer.write(&batch)?;
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
            part.writer.write(&held)?;
        }
        part.written += batch.num_rows() as u64;
        part.writer.write(batch)?;
        Ok(())
    }

    fn close(&mut self, mut p: Part<B>) -> Result<(), Error> {
        let batch = p.builder.batch()?;
        self.written += p.written + batch.num_rows() as u64;
        p.writer.write(&batch)?;
        p.writer.close()?;
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
    if plan.is_some() {
        // The lines' columns encoded on as many threads as parse them: the
        // writing thread no longer bounds the run (--threads 1: ArrowWriter).
        lines.encoders = threads;
    }
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
    let mut day = Day::default();
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
            // Read in place (`parse_line_with`): a `LogLine` is large to move.
            let pushed = parse_line_with(&buf, |line| {
                if day.changes(&line.timestamp) {
                    day.enter(&line.timestamp);
                }
                let date = day.text().unwrap_or("unknown");
                lines.part(&server, date).map(|b| b.push(line))
            });
            match pushed {
                Ok(done) => done?,
                Err(e) => lines
                    .part(&server, day.text().unwrap_or("unknown"))?
                    .push_error(&buf, &e),
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

/// Builders of units done, for the next units: a builder keeps its columns'
/// capacity from batch to batch, so a unit parsed with a used one does not
/// grow every column again from empty (as `read_arrow` does in Python).
type Idle = std::sync::Mutex<Vec<LinesBuilder>>;

/// Parses the lines of a unit into batches, cut where the date changes and
/// every [`BATCH_ROWS`] rows, with an idle builder of `idle` (or a new one),
/// given back when it is empty.
fn unit_runs(
    unit: &exim_log::parallel::Unit,
    opts: &ArrowOptions,
    fixed: Option<&Arc<str>>,
    idle: &Idle,
) -> UnitRuns {
    let server = server_of(fixed, Some(&unit.path));
    let mut b = idle
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop()
        .unwrap_or_else(|| LinesBuilder::new(opts.clone()));
    let mut runs = Vec::new();
    let mut failed = None;
    // The date of the rows in `b`.
    let mut day = Day::default();
    let mut cut = |b: &mut LinesBuilder, date: Option<&str>, runs: &mut Vec<Run>| {
        if b.is_empty() {
            return;
        }
        match b.finish() {
            Ok(batch) => runs.push(Run {
                date: date.map(String::from),
                batch,
            }),
            Err(e) => {
                failed.get_or_insert_with(|| e.to_string());
            }
        }
    };
    let mut files = unit.open(true);
    let read = read_lines(&mut files, |raw, _| {
        let pushed = parse_line_with(raw, |line| {
            if day.changes(&line.timestamp) {
                cut(&mut b, day.text(), &mut runs);
                day.enter(&line.timestamp);
            }
            b.push(line);
        });
        if let Err(e) = pushed {
            b.push_error(raw, &e);
        }
        if b.len() >= BATCH_ROWS {
            cut(&mut b, day.text(), &mut runs);
        }
    });
    cut(&mut b, day.text(), &mut runs);
    // Only an empty builder is reused (a batch that failed leaves rows).
    if b.is_empty() {
        idle.lock().unwrap_or_else(|p| p.into_inner()).push(b);
    }
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
    let idle = Idle::default();
    run_ordered(
        units.len(),
        threads,
        |i| units.get(i).map(|u| unit_runs(u, opts, fixed, &idle)),
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Batches of lines written for this test (arrivals, deliveries,
    /// rejections, unparsed text), of uneven sizes, some under
    /// [`MIN_PARALLEL_ROWS`], one over a row group.
    fn batches() -> Vec<RecordBatch> {
        let mut b = LinesBuilder::new(ArrowOptions::default().with_raw(true));
        let mut out = Vec::new();
        let mut k = 0u32;
        for rows in [5000, 17, 9000, 4096, 23_000, 1] {
            for _ in 0..rows {
                k += 1;
                let t = format!(
                    "2024-05-{:02} {:02}:{:02}:{:02}",
                    1 + k / 40_000,
                    k / 3600 % 24,
                    k / 60 % 60,
                    k % 60
                );
                let id = format!("1sA{:03}-{:011}-0000", k % 997, k);
                let line = match k % 5 {
                    0 => format!(
                        "{t} {id} <= s{}@example.com H=(pc{}) [192.0.2.{}] P=esmtpa A=login:u{} S={} for r{}@example.org",
                        k % 31,
                        k % 7,
                        k % 250,
                        k % 13,
                        300 + k,
                        k
                    ),
                    1 => format!(
                        "{t} {id} => r{k}@example.org R=dnslookup T=remote_smtp H=mx.example.org [198.51.100.{}] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 OK id={k}\"",
                        k % 200
                    ),
                    2 => format!(
                        "{t} H=(guess) [203.0.113.{}] F=<x{k}@spam.example> rejected RCPT <u{k}@example.org>: Unknown user",
                        k % 250
                    ),
                    3 => format!("{t} {id} Completed"),
                    _ => format!("no timestamp here {k}"),
                };
                b.push_bytes(line.as_bytes());
            }
            out.push(b.finish().unwrap());
        }
        out
    }

    #[test]
    fn columns_writer_writes_the_bytes_of_arrow_writer() {
        let batches = batches();
        let schema = batches[0].schema();
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap()))
            .set_max_row_group_row_count(Some(10_000))
            .build();
        let dir =
            std::env::temp_dir().join(format!("exim-log-parquet-columns-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let one = dir.join("arrow-writer.parquet");
        let mut w = ArrowWriter::try_new(
            File::create(&one).unwrap(),
            schema.clone(),
            Some(props.clone()),
        )
        .unwrap();
        for b in &batches {
            w.write(b).unwrap();
        }
        let meta = w.close().unwrap();
        // Several row groups, one cut inside a batch: the split is tested too.
        assert_eq!(meta.num_row_groups(), 5);
        let want = std::fs::read(&one).unwrap();
        for threads in [1, 2, 3, 8] {
            let path = dir.join(format!("columns-{threads}.parquet"));
            let w = ArrowWriter::try_new(
                File::create(&path).unwrap(),
                schema.clone(),
                Some(props.clone()),
            )
            .unwrap();
            let mut c = ColumnsWriter::new(w, schema.clone(), threads).unwrap();
            for b in &batches {
                c.write(b).unwrap();
            }
            c.close().unwrap();
            let got = std::fs::read(&path).unwrap();
            assert!(
                got == want,
                "{threads} threads: {} bytes, ArrowWriter {}",
                got.len(),
                want.len()
            );
        }
        // The Arrow schema is in the footer (readers restore the Arrow types).
        assert!(want.windows(12).any(|w| w == b"ARROW:schema"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn leaves_follow_the_parquet_schema() {
        let schema = batches()[0].schema();
        let w = ArrowWriter::try_new(
            std::fs::File::create(
                std::env::temp_dir().join(format!("exim-log-leaves-{}", std::process::id())),
            )
            .unwrap(),
            schema.clone(),
            None,
        )
        .unwrap();
        let c = ColumnsWriter::new(w, schema.clone(), 2).unwrap();
        assert_eq!(c.leaves.len(), schema.fields().len());
        assert_eq!(
            c.leaves.iter().sum::<usize>(),
            c.file.schema_descr().num_columns()
        );
        // A struct column (the host) has one leaf per member.
        assert!(c.leaves.iter().any(|&n| n > 1), "{:?}", c.leaves);
        let _ = std::fs::remove_file(
            std::env::temp_dir().join(format!("exim-log-leaves-{}", std::process::id())),
        );
    }
}
