//! `exim_log.read_arrow()`: a whole source parsed into Arrow record batches
//! (`exim_log::arrow`), handed to pyarrow, Polars, DuckDB... through the
//! Arrow PyCapsule stream interface (`__arrow_c_stream__`), without a copy.
//!
//! The parse runs with the GIL released, into batches held by the returned
//! object; every export streams the same batches (an `Arc` each, no copy).
//! The C stream is arrow-rs's own FFI (`FFI_ArrowArrayStream`) in a capsule:
//! pyo3-arrow would do the same and more, but pulls arrow-cast/arrow-select
//! and lags arrow releases.

use std::path::PathBuf;

use exim_log::ReadError;
use exim_log::arrow::arrow_array::ffi_stream::FFI_ArrowArrayStream;
use exim_log::arrow::arrow_array::{RecordBatch, RecordBatchIterator};
use exim_log::arrow::arrow_schema::SchemaRef;
use exim_log::arrow::{ArrowOptions, LinesBuilder, MessagesBuilder};
use exim_log::assemble::{Assembled, Assembler};
use exim_log::reader::{LogFiles, Record};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::source::{open, read_error};

/// Record batches of a parsed source; made by `exim_log.read_arrow()`.
#[pyclass(frozen, module = "exim_log", name = "ArrowBatches")]
pub(crate) struct ArrowBatches {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
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
        let reader = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok),
            self.schema.clone(),
        );
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        // The consumer moves the stream out (leaving `release` null); dropping
        // the capsule then drops an empty stream, or releases an unused one.
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// Rows in all batches.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
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

    fn __len__(&self) -> usize {
        self.num_rows()
    }

    fn __repr__(&self) -> String {
        format!(
            "<exim_log.ArrowBatches: {} rows, {} columns, {} batches>",
            self.num_rows(),
            self.schema.fields().len(),
            self.batches.len()
        )
    }
}

/// What to build.
enum Builder {
    Lines(LinesBuilder),
    Messages(MessagesBuilder, Box<Assembler>),
}

/// Parses everything into batches of at most `batch_rows` rows (no GIL needed
/// except for a Python file object's `read()`).
fn build(
    mut src: LogFiles,
    mut b: Builder,
    batch_rows: usize,
) -> Result<(SchemaRef, Vec<RecordBatch>), ReadError> {
    let mut out = Vec::new();
    let mut buf = Vec::with_capacity(4096);
    let flush = |b: &mut Builder, out: &mut Vec<RecordBatch>, all: bool| {
        let (n, batch) = match b {
            Builder::Lines(l) => (l.len(), l as &mut dyn Finish),
            Builder::Messages(m, _) => (m.len(), m as &mut dyn Finish),
        };
        if n > 0 && (all || n >= batch_rows) {
            out.push(batch.finish_batch());
        }
    };
    while let Some(pos) = src.read_line(&mut buf)? {
        match &mut b {
            Builder::Lines(l) => l.push_bytes(&buf),
            Builder::Messages(m, asm) => {
                asm.push(Record::new(buf.clone(), pos));
                while let Some(a) = asm.pop() {
                    if let Assembled::Message(msg) = a {
                        m.push(&msg);
                    }
                }
            }
        }
        flush(&mut b, &mut out, false);
    }
    if let Builder::Messages(m, asm) = &mut b {
        asm.finish();
        while let Some(a) = asm.pop() {
            if let Assembled::Message(msg) = a {
                m.push(&msg);
            }
        }
    }
    flush(&mut b, &mut out, true);
    let schema = match &b {
        Builder::Lines(l) => l.schema(),
        Builder::Messages(m, _) => m.schema(),
    };
    Ok((schema, out))
}

/// The two builders' `finish`, as one call.
trait Finish {
    fn finish_batch(&mut self) -> RecordBatch;
}

impl Finish for LinesBuilder {
    fn finish_batch(&mut self) -> RecordBatch {
        let schema = self.schema();
        self.finish()
            .unwrap_or_else(|_| RecordBatch::new_empty(schema))
    }
}

impl Finish for MessagesBuilder {
    fn finish_batch(&mut self) -> RecordBatch {
        let schema = self.schema();
        self.finish()
            .unwrap_or_else(|_| RecordBatch::new_empty(schema))
    }
}

/// Parses `source` into Arrow record batches (see the stub).
#[pyfunction]
#[pyo3(signature = (source, *, table = "lines", rotated = false, raw = false, server = None, byte_range = None, batch_rows = 65536))]
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
) -> PyResult<ArrowBatches> {
    let mut opts = ArrowOptions::default().with_raw(raw);
    if let Some(s) = server {
        opts = opts.with_server(s);
    }
    let builder = match table {
        "lines" => Builder::Lines(LinesBuilder::new(opts)),
        "messages" => Builder::Messages(MessagesBuilder::new(opts), Box::default()),
        other => {
            return Err(PyValueError::new_err(format!(
                "table must be 'lines' or 'messages', not {other:?}"
            )));
        }
    };
    let src = match byte_range {
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
            files
        }
        None => open(py, source, rotated)?,
    };
    let batch_rows = batch_rows.max(1);
    let (schema, batches) = py
        .detach(|| build(src, builder, batch_rows))
        .map_err(|e| read_error(py, e))?;
    Ok(ArrowBatches { schema, batches })
}
