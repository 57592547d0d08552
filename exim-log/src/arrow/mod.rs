//! Parsed lines and assembled messages as Apache Arrow [`RecordBatch`]es
//! (feature `arrow`), for DataFrames (Polars, pandas), DuckDB and Parquet.
//!
//! * [`LinesBuilder`]: one row per input line, typed columns that follow the
//!   JSON of SCHEMA.md: `timestamp` as a UTC timestamp with the logged offset
//!   kept in `utc_offset_minutes`, integers as Int64, durations as Float64
//!   seconds, nested objects flattened (`host_ip`, `tls_cipher`, `auth_id`),
//!   lists as lists, `event`, `flag` and other few-valued columns
//!   dictionary-encoded, `raw` optional. A line without a valid prefix is still
//!   a row (with `parse_error`), so rows in = lines in.
//! * [`MessagesBuilder`]: one row per [`assemble::Message`](crate::assemble::Message),
//!   with its arrival, delivery counts, times and the linked `cwd=` script.
//!
//! The column lists are in SCHEMA.md ("Arrow tables").
//!
//! ```
//! use exim_log::arrow::{ArrowOptions, LinesBuilder};
//!
//! let mut b = LinesBuilder::new(ArrowOptions::default());
//! b.push_bytes(b"2024-05-25 11:10:28 +0100 1sAoM5-00000009r3p-06vq <= a@example.org \
//!     H=mx.example.org [192.0.2.7] P=esmtps S=2048");
//! b.push_bytes(b"not a log line");
//! let batch = b.finish().unwrap();
//! assert_eq!(batch.num_rows(), 2);
//! assert!(batch.column_by_name("host_ip").is_some());
//! ```

mod columns;
mod direct;
mod messages;
mod sink;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};

use crate::error::ParseError;
use crate::event::Event;
use crate::line::{LogLine, parse_line_with};
use columns::{C, COLUMNS, Table};

pub use messages::MessagesBuilder;
/// The Arrow crates the batches are made with, so a caller uses the same versions.
pub use {arrow_array, arrow_schema};

/// What goes into the tables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArrowOptions {
    /// Add the `raw` column (the whole line): bigger output, but nothing is lost.
    pub raw: bool,
    /// Add a `server` column with this value on every row (which server of a
    /// fleet the log is from).
    pub server: Option<String>,
    /// Only these columns of the lines table (by name, kept in schema order;
    /// `None`: all of them). A narrower table is made faster: a column left
    /// out costs nothing, and an event none of whose columns is kept is not
    /// walked. Names that are not columns are ignored; `raw` and `server`
    /// still need their own options. The messages table ignores it.
    pub columns: Option<Vec<String>>,
}

impl ArrowOptions {
    /// With (or without) the `raw` column.
    pub fn with_raw(mut self, raw: bool) -> Self {
        self.raw = raw;
        self
    }

    /// With only the lines-table columns named in `names` (see
    /// [`ArrowOptions::columns`]).
    pub fn with_columns<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// With a `server` column holding `server`.
    pub fn with_server(mut self, server: impl Into<String>) -> Self {
        self.server = Some(server.into());
        self
    }
}

/// Rows a batch usually holds before the caller should [`finish`](LinesBuilder::finish) it.
pub const DEFAULT_BATCH_ROWS: usize = 64 * 1024;

/// Builds the lines table, one row per line pushed.
pub struct LinesBuilder {
    table: Table,
    server: Option<String>,
    /// Some column of an event's fields is on.
    fields: bool,
}

impl std::fmt::Debug for LinesBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinesBuilder")
            .field("rows", &self.table.rows)
            .field("server", &self.server)
            .finish()
    }
}

impl LinesBuilder {
    /// An empty table with the columns `opts` asks for.
    pub fn new(opts: ArrowOptions) -> Self {
        let raw = opts.raw;
        let server = opts.server.is_some();
        let picked = |i: usize| {
            opts.columns.as_ref().is_none_or(|names| {
                COLUMNS
                    .get(i)
                    .is_some_and(|(n, _)| names.iter().any(|x| x == n))
            })
        };
        let on = |i: usize| {
            (i != C::raw as usize || raw) && (i != C::server as usize || server) && picked(i)
        };
        let table = Table::new(COLUMNS, on);
        // The columns every line fills from its prefix; when no other is on,
        // the event's fields are not looked at.
        let prefix = [
            C::server,
            C::timestamp,
            C::utc_offset_minutes,
            C::pid,
            C::message_id,
            C::flag,
            C::event,
            C::parse_error,
            C::parse_error_offset,
            C::raw,
        ];
        let fields = (0..COLUMNS.len()).any(|i| on(i) && !prefix.iter().any(|c| *c as usize == i));
        LinesBuilder {
            table,
            server: opts.server,
            fields,
        }
    }

    /// The schema of the batches this builder makes.
    pub fn schema(&self) -> SchemaRef {
        self.table.schema()
    }

    /// Rows pushed since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.table.rows
    }

    /// True when no row was pushed since the last [`finish`](Self::finish).
    pub fn is_empty(&self) -> bool {
        self.table.rows == 0
    }

    fn start_row(&mut self) {
        if let Some(s) = &self.server {
            self.table.str_at(C::server as usize, s);
        }
    }

    /// Adds a parsed line.
    pub fn push(&mut self, line: &LogLine<'_>) {
        self.start_row();
        let ts = line.timestamp;
        let t = &mut self.table;
        // Without a logged offset the local time is taken as UTC (and
        // `utc_offset_minutes` stays null).
        t.time_at(C::timestamp as usize, ts.unix_millis().saturating_mul(1000));
        if let Some(off) = ts.utc_offset_minutes {
            t.put_int(C::utc_offset_minutes, i64::from(off));
        }
        if let Some(pid) = line.pid {
            t.put_int(C::pid, i64::from(pid));
        }
        if let Some(id) = line.message_id {
            t.put_bytes(C::message_id, id.as_bytes());
        }
        if let Some(flag) = line.flag {
            t.put_static(C::flag, flag.as_str());
        }
        t.put_static(C::event, line.event.name());
        // The frequent events straight from their fields (`direct.rs`), the
        // others through their JSON (`sink.rs`); `raw` is not walked.
        match &line.event {
            _ if !self.fields => {}
            Event::Arrival(a) => t.put_arrival(a),
            Event::Delivery(d) | Event::Deferral(d) | Event::Failure(d) => t.put_delivery(d),
            Event::Completed(c) => t.put_completed(c),
            Event::Rejection(r) | Event::Dropped(r) | Event::Discarded(r) => t.put_reject(r),
            Event::Arguments(a) => t.put_arguments(a),
            other => match other.session() {
                Some(s) => t.put_session(s),
                None => sink::LineSink { t }.write(other),
            },
        }
        self.table.put_bytes(C::raw, line.raw.as_bytes());
        self.table.end_row();
    }

    /// Adds a line that has no valid prefix: `parse_error` and
    /// `parse_error_offset` say why, `raw` (when on) keeps the text.
    pub fn push_error(&mut self, raw: &[u8], err: &ParseError) {
        self.start_row();
        let t = &mut self.table;
        t.put_static(C::parse_error, err.kind.name());
        t.put_int(
            C::parse_error_offset,
            i64::try_from(err.offset).unwrap_or(i64::MAX),
        );
        t.put_bytes(C::raw, crate::line::trim_line_ending(raw));
        self.table.end_row();
    }

    /// Parses `line` (with or without its line ending) and adds it.
    pub fn push_bytes(&mut self, line: &[u8]) {
        // Read in place (`parse_line_with`), not moved: a line is large.
        if let Err(e) = parse_line_with(line, |l| self.push(l)) {
            self.push_error(line, &e);
        }
    }

    /// The rows pushed so far as a batch; the builder starts empty again.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.table.finish()
    }
}

/// The schema of the lines table for `opts` (what [`LinesBuilder::schema`] gives).
pub fn lines_schema(opts: &ArrowOptions) -> SchemaRef {
    LinesBuilder::new(opts.clone()).schema()
}

/// The schema of the messages table for `opts` (what [`MessagesBuilder::schema`] gives).
pub fn messages_schema(opts: &ArrowOptions) -> SchemaRef {
    MessagesBuilder::new(opts.clone()).schema()
}
