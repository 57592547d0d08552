//! `exim_log.read_arrow()`: a source parsed into Arrow record batches
//! (`exim_log::arrow`), handed to pyarrow, Polars, DuckDB... through the
//! Arrow PyCapsule stream interface (`__arrow_c_stream__`), without a copy.
//!
//! Files are parsed in the background, without the GIL, while the consumer
//! reads: the lines of plain files on several threads, over the units of
//! `exim_log::parallel::Plan` (byte ranges at line boundaries, whole `.gz`
//! files), whose batches `run_ordered` hands back in input order; messages
//! (they need the whole log's order) on one thread. A bounded channel holds
//! the batches made and not yet read, so a stream that is read as it comes
//! (to Parquet, say) keeps memory bounded. A Python file object is read
//! first (its `read()` needs the GIL), then streamed.
//!
//! The C stream is arrow-rs's own FFI (`FFI_ArrowArrayStream`) in a capsule:
//! pyo3-arrow would do the same and more, but pulls arrow-cast/arrow-select
//! and lags arrow releases.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use exim_log::ReadError;
use exim_log::arrow::arrow_array::ffi_stream::FFI_ArrowArrayStream;
use exim_log::arrow::arrow_array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use exim_log::arrow::arrow_schema::{ArrowError, SchemaRef};
use exim_log::arrow::{ArrowOptions, LinesBuilder, MessagesBuilder};
use exim_log::assemble::{Assembled, Assembler};
use exim_log::parallel::{MIN_UNIT_BYTES, Plan, available_threads, run_ordered};
use exim_log::reader::{LogFiles, Record};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::source::{open, paths, read_error};

/// Where the batches are.
enum State {
    /// Being made in the background; exports share the stream (one reads it).
    Pending(Arc<Mutex<Stream>>),
    /// All made (and kept): every export streams them again.
    Ready(Vec<RecordBatch>),
}

/// Record batches of a parsed source; made by `exim_log.read_arrow()`.
#[pyclass(frozen, module = "exim_log", name = "ArrowBatches")]
pub(crate) struct ArrowBatches {
    schema: SchemaRef,
    state: Mutex<State>,
    /// Exports so far (each export's reader has its number).
    exports: AtomicUsize,
}

/// Locks a mutex; a panicked holder's data is still consistent here
/// (counters and a receiver).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ArrowBatches {
    fn new(schema: SchemaRef, state: State) -> Self {
        ArrowBatches {
            schema,
            state: Mutex::new(state),
            exports: AtomicUsize::new(0),
        }
    }

    /// Makes every batch (without the GIL) and keeps them, unless a
    /// consumer already read the stream. No lock is waited for with the GIL
    /// held (a consumer may hold the stream's lock and want the GIL).
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        let shared = match &*lock(&self.state) {
            State::Pending(s) => s.clone(),
            State::Ready(_) => return Ok(()),
        };
        let got = py.detach(|| {
            let mut s = lock(&shared);
            if s.reader.is_some() {
                return None;
            }
            s.reader = Some(usize::MAX);
            Some(std::iter::from_fn(|| s.pull()).collect::<Result<Vec<_>, _>>())
        });
        if let Some(got) = got {
            *lock(&self.state) = State::Ready(got.map_err(stream_error)?);
        }
        Ok(())
    }
}

/// A batch that could not be made (a read error of a file) as a Python error.
fn stream_error(e: ArrowError) -> PyErr {
    pyo3::exceptions::PyOSError::new_err(e.to_string())
}

#[pymethods]
impl ArrowBatches {
    /// The Arrow C stream of the batches, in a capsule (Arrow PyCapsule interface).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // The interface lets a producer ignore the requested schema.
        let _ = requested_schema;
        let reader: Box<dyn RecordBatchReader + Send> = match &*lock(&self.state) {
            State::Ready(batches) => Box::new(RecordBatchIterator::new(
                batches.clone().into_iter().map(Ok),
                self.schema.clone(),
            )),
            State::Pending(shared) => Box::new(Handle {
                schema: self.schema.clone(),
                shared: shared.clone(),
                id: self.exports.fetch_add(1, Ordering::Relaxed),
            }),
        };
        let stream = FFI_ArrowArrayStream::new(reader);
        // The consumer moves the stream out (leaving `release` null); dropping
        // the capsule then drops an empty stream, or releases an unused one.
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// Rows in all batches. Before the stream is read it makes them all (and
    /// keeps them, so exports can follow); after, the rows the consumer read.
    #[getter]
    fn num_rows(&self, py: Python<'_>) -> PyResult<usize> {
        self.drain(py)?;
        let shared = match &*lock(&self.state) {
            State::Ready(b) => return Ok(b.iter().map(RecordBatch::num_rows).sum()),
            State::Pending(shared) => shared.clone(),
        };
        Ok(py.detach(|| lock(&shared).rows))
    }

    /// The column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.num_rows(py)
    }

    fn __repr__(&self) -> String {
        let state = match &*lock(&self.state) {
            State::Pending(_) => "streamed".to_string(),
            State::Ready(b) => format!(
                "{} rows, {} batches",
                b.iter().map(RecordBatch::num_rows).sum::<usize>(),
                b.len()
            ),
        };
        format!(
            "<exim_log.ArrowBatches: {} columns, {state}>",
            self.schema.fields().len()
        )
    }
}

/// The receiving end of the batches made in the background.
struct Stream {
    rx: Receiver<Result<RecordBatch, ArrowError>>,
    /// Rows handed out.
    rows: usize,
    /// The export that reads the stream: the first to ask for a batch (a
    /// consumer may export once for the schema alone, as DuckDB does).
    reader: Option<usize>,
    /// Set when the stream is dropped: the producers stop at their next batch.
    stop: Arc<AtomicBool>,
}

impl Stream {
    fn pull(&mut self) -> Option<Result<RecordBatch, ArrowError>> {
        let b = self.rx.recv().ok()?;
        if let Ok(b) = &b {
            self.rows += b.num_rows();
        }
        Some(b)
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One export of a stream being made.
struct Handle {
    schema: SchemaRef,
    shared: Arc<Mutex<Stream>>,
    id: usize,
}

impl Iterator for Handle {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut s = lock(&self.shared);
        match s.reader {
            None => s.reader = Some(self.id),
            Some(r) if r == self.id => {}
            Some(_) => {
                return Some(Err(ArrowError::InvalidArgumentError(
                    "exim_log.read_arrow(): these batches were streamed to a consumer \
                     already (they are made as they are read, and not kept): call \
                     read_arrow() again, or read num_rows first to keep them"
                        .into(),
                )));
            }
        }
        s.pull()
    }
}

impl RecordBatchReader for Handle {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// The sending end: a batch goes out, or the reader is gone (stop).
#[derive(Clone)]
struct Out {
    tx: SyncSender<Result<RecordBatch, ArrowError>>,
    stop: Arc<AtomicBool>,
}

impl Out {
    /// False when nobody reads any more.
    fn send(&self, b: Result<RecordBatch, ArrowError>) -> bool {
        if self.stop.load(Ordering::Relaxed) || self.tx.send(b).is_err() {
            self.stop.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// A read error as the stream's error.
fn arrow_error(e: ReadError) -> ArrowError {
    ArrowError::IoError(e.to_string(), std::io::Error::other(e.to_string()))
}

/// Starts `produce` on a thread of its own; the stream of what it sends.
fn spawn(depth: usize, produce: impl FnOnce(Out) + Send + 'static) -> State {
    let (tx, rx) = sync_channel(depth.max(1));
    let stop = Arc::new(AtomicBool::new(false));
    let out = Out {
        tx,
        stop: stop.clone(),
    };
    std::thread::spawn(move || produce(out));
    State::Pending(Arc::new(Mutex::new(Stream {
        rx,
        rows: 0,
        reader: None,
        stop,
    })))
}

/// Parses the lines of `src` into batches of `batch_rows`, each given to
/// `emit` (false: stop). The error that ended the reading, if any.
fn lines_into(
    mut src: LogFiles,
    b: &mut LinesBuilder,
    batch_rows: usize,
    mut emit: impl FnMut(RecordBatch) -> bool,
) -> Result<(), ReadError> {
    while let Some((line, _)) = src.next_line()? {
        b.push_bytes(line);
        if b.len() >= batch_rows && !emit(finish(b.finish(), b.schema())) {
            return Ok(());
        }
    }
    if !b.is_empty() {
        emit(finish(b.finish(), b.schema()));
    }
    Ok(())
}

/// Assembles the messages of `src` into batches of `batch_rows`.
fn messages_into(
    mut src: LogFiles,
    m: &mut MessagesBuilder,
    batch_rows: usize,
    mut emit: impl FnMut(RecordBatch) -> bool,
) -> Result<(), ReadError> {
    let mut asm = Assembler::default();
    let mut buf = Vec::with_capacity(4096);
    let mut more = true;
    let mut take = |asm: &mut Assembler, m: &mut MessagesBuilder, all: bool| -> bool {
        while let Some(a) = asm.pop() {
            if let Assembled::Message(msg) = a {
                m.push(&msg);
            }
        }
        if !m.is_empty() && (all || m.len() >= batch_rows) {
            return emit(finish(m.finish(), m.schema()));
        }
        true
    };
    while more && let Some(pos) = src.read_line(&mut buf)? {
        asm.push(Record::new(buf.clone(), pos));
        more = take(&mut asm, m, false);
    }
    if more {
        asm.finish();
        take(&mut asm, m, true);
    }
    Ok(())
}

/// A finished batch, or an empty one of the schema (finishing cannot fail
/// for builders that keep their columns equal in length).
fn finish(b: Result<RecordBatch, ArrowError>, schema: SchemaRef) -> RecordBatch {
    b.unwrap_or_else(|_| RecordBatch::new_empty(schema))
}

/// The lines of `plan` on `threads` threads, batches in input order.
fn parallel_lines(plan: Plan, threads: usize, opts: ArrowOptions, batch_rows: usize, out: Out) {
    let units = plan.units();
    // The builders of units done, for the next units: a builder keeps its
    // columns' capacity from batch to batch, so a unit parsed with a used one
    // does not grow every column again from empty (its first batch's
    // reallocations and copies).
    let idle: Mutex<Vec<LinesBuilder>> = Mutex::new(Vec::new());
    run_ordered(
        units.len(),
        threads,
        |i| {
            let mut batches = Vec::new();
            let Some(unit) = units.get(i) else {
                return Ok(batches);
            };
            if out.stopped() {
                return Ok(batches);
            }
            let mut b = lock(&idle)
                .pop()
                .unwrap_or_else(|| LinesBuilder::new(opts.clone()));
            let r = lines_into(unit.open(false), &mut b, batch_rows, |batch| {
                batches.push(batch);
                !out.stopped()
            });
            // Only an empty builder is reused (a read error leaves rows).
            if b.is_empty() {
                lock(&idle).push(b);
            }
            r.map(|()| batches)
        },
        |_, r: Result<Vec<RecordBatch>, ReadError>| {
            if out.stopped() {
                return;
            }
            match r {
                Ok(batches) => {
                    for b in batches {
                        if !out.send(Ok(b)) {
                            return;
                        }
                    }
                }
                Err(e) => {
                    out.send(Err(arrow_error(e)));
                    out.stop.store(true, Ordering::Relaxed);
                }
            }
        },
    );
}

/// Units of at most this many bytes when the lines are parsed on several
/// threads: the batches of `2 × threads` units wait at most (memory).
const MAX_UNIT_BYTES: u64 = 32 << 20;

/// Parses `source` into Arrow record batches (see the stub).
#[pyfunction]
#[pyo3(signature = (source, *, table = "lines", rotated = false, raw = false, server = None, byte_range = None, batch_rows = 65536, threads = None, columns = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_arrow(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    table: &str,
    rotated: bool,
    raw: bool,
    server: Option<String>,
    byte_range: Option<(u64, u64)>,
    batch_rows: usize,
    threads: Option<usize>,
    columns: Option<Vec<String>>,
) -> PyResult<ArrowBatches> {
    let mut opts = ArrowOptions::default().with_raw(raw);
    if let Some(s) = server {
        opts = opts.with_server(s);
    }
    if let Some(c) = columns {
        opts = opts.with_columns(c);
    }
    let lines = match table {
        "lines" => true,
        "messages" => false,
        other => {
            return Err(PyValueError::new_err(format!(
                "table must be 'lines' or 'messages', not {other:?}"
            )));
        }
    };
    let schema = if lines {
        exim_log::arrow::lines_schema(&opts)
    } else {
        exim_log::arrow::messages_schema(&opts)
    };
    let batch_rows = batch_rows.max(1);
    let threads = threads.unwrap_or_else(available_threads).max(1);
    // Batches made and not yet read, at most.
    let depth = 2 * threads + 2;
    let (src, files) = match byte_range {
        Some((start, end)) => {
            let path: PathBuf = source.extract().map_err(|_| {
                PyValueError::new_err("byte_range= takes one path (a plain, uncompressed file)")
            })?;
            if rotated {
                return Err(PyValueError::new_err(
                    "byte_range= and rotated=True do not mix",
                ));
            }
            // The library's byte-range reader (exim_log::reader::LogReader::open_range).
            let mut files = LogFiles::default();
            files.push_range(path, start..end.max(start));
            py.detach(|| files.open_first())
                .map_err(|e| read_error(py, e))?;
            (files, true)
        }
        // Opened here so that a missing file is an error of this call.
        None => (
            open(py, source, rotated)?,
            paths(py, source, rotated)?.is_some(),
        ),
    };
    if !files {
        // A file object (its read() needs the GIL) or bytes: made now, with
        // the GIL released between reads, then streamed from memory.
        let mut batches = Vec::new();
        let made = py.detach(|| {
            let emit = |b| {
                batches.push(b);
                true
            };
            if lines {
                lines_into(src, &mut LinesBuilder::new(opts), batch_rows, emit)
            } else {
                messages_into(src, &mut MessagesBuilder::new(opts), batch_rows, emit)
            }
        });
        made.map_err(|e| read_error(py, e))?;
        return Ok(ArrowBatches::new(schema, State::Ready(batches)));
    }
    let plan = match (lines, threads, byte_range) {
        (true, 2.., None) => paths(py, source, rotated)?.and_then(|p| {
            let total: u64 = p
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum();
            let parts = (2 * threads).max(usize::try_from(total / MAX_UNIT_BYTES).unwrap_or(1));
            Plan::sized(&p, parts, MIN_UNIT_BYTES)
                .ok()
                .filter(|plan| plan.len() > 1)
        }),
        _ => None,
    };
    let state = match plan {
        Some(plan) => {
            drop(src);
            spawn(depth, move |out| {
                parallel_lines(plan, threads, opts, batch_rows, out)
            })
        }
        None => spawn(depth, move |out| {
            let emit = |b| out.send(Ok(b));
            let r = if lines {
                lines_into(src, &mut LinesBuilder::new(opts), batch_rows, emit)
            } else {
                messages_into(src, &mut MessagesBuilder::new(opts), batch_rows, emit)
            };
            if let Err(e) = r {
                out.send(Err(arrow_error(e)));
            }
        }),
    };
    Ok(ArrowBatches::new(schema, state))
}
