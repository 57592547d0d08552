//! The columns of the lines table: one per JSON key of SCHEMA.md (nested
//! objects flattened to `host_ip`-style names), and the Arrow builders that
//! fill them.

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float64Builder, Int16Builder, Int64Builder, ListBuilder,
    StringBuilder, StructBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::types::Int16Type;
use arrow_array::{ArrayRef, DictionaryArray, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Fields, Schema, SchemaRef};

/// How a column is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Utf8.
    Str,
    /// Dictionary-encoded Utf8 (Int16 keys): few distinct values, many rows.
    Dict,
    /// Int64.
    Int,
    /// Float64 (seconds).
    Float,
    /// Boolean.
    Bool,
    /// List of Utf8.
    List,
    /// Timestamp, microseconds, UTC.
    Time,
    /// List of struct `{tag, value}` (`other_fields`).
    Fields,
}

macro_rules! columns {
    ($($c:ident $name:literal $kind:ident,)*) => {
        /// A column of the lines table, in schema order.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub(crate) enum C { $($c,)* }

        /// Name and kind of every column, indexed by `C as usize`.
        pub(crate) const COLUMNS: &[(&str, Kind)] = &[$(($name, Kind::$kind),)*];

        impl C {
            /// The column named `name`.
            #[inline]
            pub(crate) fn by_name(name: &str) -> Option<C> {
                match name {
                    $($name => Some(C::$c),)*
                    _ => None,
                }
            }
        }
    };
}

columns! {
    server "server" Dict,
    timestamp "timestamp" Time,
    utc_offset_minutes "utc_offset_minutes" Int,
    pid "pid" Int,
    message_id "message_id" Str,
    flag "flag" Dict,
    event "event" Dict,
    sender "sender" Str,
    recipient "recipient" Str,
    recipients "recipients" List,
    recipients_text "recipients_text" Str,
    bounce_parent "bounce_parent" Str,
    parents "parents" Str,
    original_recipient "original_recipient" Str,
    return_path "return_path" Str,
    host_name "host_name" Str,
    host_helo "host_helo" Str,
    host_ip "host_ip" Str,
    host_port "host_port" Int,
    host_ident "host_ident" Str,
    host_dnssec "host_dnssec" Bool,
    host_connection_reused "host_connection_reused" Bool,
    interface_ip "interface_ip" Str,
    interface_port "interface_port" Int,
    proxy_ip "proxy_ip" Str,
    proxy_port "proxy_port" Int,
    dnssec "dnssec" Bool,
    tcp_fast_open "tcp_fast_open" Str,
    user "user" Str,
    connection_id "connection_id" Int,
    protocol "protocol" Dict,
    protocol_detail "protocol_detail" Str,
    pipelining "pipelining" Str,
    spf "spf" Str,
    tls_cipher "tls_cipher" Str,
    tls_resumed "tls_resumed" Bool,
    tls_certificate_verified "tls_certificate_verified" Str,
    tls_peer_dn "tls_peer_dn" Str,
    tls_sni "tls_sni" Str,
    auth_authenticator "auth_authenticator" Str,
    auth_id "auth_id" Str,
    auth_sender "auth_sender" Str,
    prdr "prdr" Bool,
    chunking "chunking" Bool,
    arc "arc" Bool,
    size "size" Int,
    mime_8bit "mime_8bit" Int,
    dkim "dkim" Str,
    dmarc "dmarc" Str,
    receive_time "receive_time" Float,
    queue_time "queue_time" Float,
    delivery_time "delivery_time" Float,
    duration "duration" Float,
    queue "queue" Str,
    header_id "header_id" Str,
    header_id_created "header_id_created" Bool,
    subject "subject" Str,
    subject_decoded "subject_decoded" Str,
    received_sender "received_sender" Str,
    router "router" Dict,
    transport "transport" Dict,
    shadow_transport "shadow_transport" Str,
    confirmation "confirmation" Str,
    routing "routing" Bool,
    errno "errno" Int,
    error "error" Str,
    message "message" Str,
    command "command" Str,
    commands "commands" List,
    connection_count "connection_count" Int,
    count "count" Int,
    space "space" Int,
    inodes "inodes" Int,
    from "from" Str,
    reason "reason" Str,
    stage "stage" Dict,
    what "what" Str,
    temporary "temporary" Bool,
    address "address" Str,
    parent "parent" Str,
    output "output" Str,
    authenticator "authenticator" Str,
    outgoing "outgoing" Bool,
    set_id "set_id" Str,
    by "by" Str,
    domain "domain" Str,
    selector "selector" Str,
    status "status" Str,
    detail "detail" Str,
    original "original" Str,
    place "place" Str,
    rewritten "rewritten" Str,
    rule "rule" Int,
    result "result" Str,
    action "action" Str,
    kind "kind" Str,
    score "score" Float,
    required "required" Float,
    trigger "trigger" Float,
    cwd "cwd" Str,
    argc "argc" Int,
    args "args" List,
    version "version" Str,
    daemon_pid "daemon_pid" Int,
    phase "phase" Str,
    odmr "odmr" Bool,
    runner_pid "runner_pid" Int,
    options "options" Str,
    other_fields "other_fields" Fields,
    parse_error "parse_error" Str,
    parse_error_offset "parse_error_offset" Int,
    raw "raw" Str,
}

/// One column's builder.
pub(crate) enum Col {
    Str(StringBuilder),
    Dict(Dict),
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    List(ListBuilder<StringBuilder>),
    Time(TimestampMicrosecondBuilder),
    Fields(ListBuilder<StructBuilder>),
}

/// A dictionary-encoded string column (Int16 keys): `event`, `flag`,
/// `protocol`, ... hold a handful of distinct values, so a value is found
/// among them by a scan that compares lengths first, cheaper than arrow's
/// `StringDictionaryBuilder`, which hashes every value.
#[derive(Default)]
pub(crate) struct Dict {
    keys: Int16Builder,
    values: StringBuilder,
    /// The distinct values of this batch, in key order (scanned while few).
    seen: Vec<Box<str>>,
    /// The same, by value, once there are more than [`Dict::SCAN`].
    index: std::collections::HashMap<Box<str>, i16>,
}

impl Dict {
    /// Distinct values looked up by a scan.
    const SCAN: usize = 32;

    fn key(&mut self, v: &str) -> Option<i16> {
        if self.seen.len() <= Self::SCAN {
            if let Some(i) = self
                .seen
                .iter()
                .position(|s| s.len() == v.len() && **s == *v)
            {
                return i16::try_from(i).ok();
            }
        } else if let Some(k) = self.index.get(v) {
            return Some(*k);
        }
        // A new value: past `i16::MAX` distinct values the key would
        // overflow, and the value is left out (null).
        let k = i16::try_from(self.seen.len()).ok()?;
        self.values.append_value(v);
        self.seen.push(v.into());
        if self.seen.len() > Self::SCAN {
            if self.index.is_empty() {
                for (i, s) in self.seen.iter().enumerate() {
                    if let Ok(i) = i16::try_from(i) {
                        self.index.insert(s.clone(), i);
                    }
                }
            } else {
                self.index.insert(v.into(), k);
            }
        }
        Some(k)
    }

    /// Appends `v` (a null past `i16::MAX` distinct values in a batch).
    pub(crate) fn append(&mut self, v: &str) {
        match self.key(v) {
            Some(k) => self.keys.append_value(k),
            None => self.keys.append_null(),
        }
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    fn append_nulls(&mut self, n: usize) {
        self.keys.append_nulls(n);
    }

    /// The batch's column; the dictionary starts empty again.
    fn finish(&mut self) -> Result<DictionaryArray<Int16Type>, ArrowError> {
        let n = self.keys.len();
        let keys = std::mem::replace(&mut self.keys, Int16Builder::with_capacity(n)).finish();
        let values = Arc::new(self.values.finish());
        self.seen.clear();
        self.index.clear();
        // Every key is below the number of values (`key`): this checks it.
        DictionaryArray::try_new(keys, values)
    }
}

/// The `{tag, value}` struct of `other_fields`.
pub(crate) fn field_struct() -> Fields {
    Fields::from(vec![
        Field::new("tag", DataType::Utf8, true),
        Field::new("value", DataType::Utf8, true),
    ])
}

impl Col {
    pub(crate) fn new(kind: Kind) -> Self {
        match kind {
            Kind::Str => Col::Str(StringBuilder::new()),
            Kind::Dict => Col::Dict(Dict::default()),
            Kind::Int => Col::Int(Int64Builder::new()),
            Kind::Float => Col::Float(Float64Builder::new()),
            Kind::Bool => Col::Bool(BooleanBuilder::new()),
            Kind::List => Col::List(ListBuilder::new(StringBuilder::new())),
            Kind::Time => Col::Time(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
            Kind::Fields => Col::Fields(ListBuilder::new(StructBuilder::from_fields(
                field_struct(),
                0,
            ))),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Col::Str(b) => b.len(),
            Col::Dict(b) => b.len(),
            Col::Int(b) => b.len(),
            Col::Float(b) => b.len(),
            Col::Bool(b) => b.len(),
            Col::List(b) => b.len(),
            Col::Time(b) => b.len(),
            Col::Fields(b) => b.len(),
        }
    }

    /// Appends `n` nulls.
    pub(crate) fn append_nulls(&mut self, n: usize) {
        match self {
            Col::Str(b) => b.append_nulls(n),
            Col::Dict(b) => b.append_nulls(n),
            Col::Int(b) => b.append_nulls(n),
            Col::Float(b) => b.append_nulls(n),
            Col::Bool(b) => b.append_nulls(n),
            Col::List(b) => b.append_nulls(n),
            Col::Time(b) => b.append_nulls(n),
            Col::Fields(b) => b.append_nulls(n),
        }
    }

    /// The values so far as an array; the builder starts again, sized for
    /// as many values as this batch held: the next batch is likely as large,
    /// and a builder grown by doubling copies every buffer of ~110 columns
    /// again at every batch (`finish` hands its buffers over to the array).
    pub(crate) fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        let n = self.len();
        Ok(match self {
            Col::Str(b) => {
                let a = b.finish();
                *b = StringBuilder::with_capacity(n, a.values().len());
                Arc::new(a)
            }
            Col::Dict(b) => Arc::new(b.finish()?),
            Col::Int(b) => {
                let a = b.finish();
                *b = Int64Builder::with_capacity(n);
                Arc::new(a)
            }
            Col::Float(b) => {
                let a = b.finish();
                *b = Float64Builder::with_capacity(n);
                Arc::new(a)
            }
            Col::Bool(b) => {
                let a = b.finish();
                *b = BooleanBuilder::with_capacity(n);
                Arc::new(a)
            }
            Col::List(b) => {
                let a = b.finish();
                let items = a.values().len();
                let bytes = a
                    .values()
                    .as_any()
                    .downcast_ref::<arrow_array::StringArray>()
                    .map_or(0, |s| s.values().len());
                *b = ListBuilder::with_capacity(StringBuilder::with_capacity(items, bytes), n);
                Arc::new(a)
            }
            Col::Time(b) => {
                let a = b.finish();
                *b = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
                Arc::new(a)
            }
            Col::Fields(b) => Arc::new(b.finish()),
        })
    }
}

/// A table being filled: a builder per enabled column, `None` for a column
/// left out (`raw`, `server` when not asked for).
pub(crate) struct Table {
    pub(crate) cols: Vec<Option<Col>>,
    pub(crate) names: Vec<&'static str>,
    /// Rows completed so far (every enabled column has this many values).
    pub(crate) rows: usize,
    schema: SchemaRef,
}

impl Table {
    /// Builders for the columns `defs` (name, kind), each enabled when `on(i)`.
    pub(crate) fn new(defs: &[(&'static str, Kind)], on: impl Fn(usize) -> bool) -> Self {
        let cols: Vec<Option<Col>> = defs
            .iter()
            .enumerate()
            .map(|(i, (_, k))| on(i).then(|| Col::new(*k)))
            .collect();
        let names = defs.iter().map(|(n, _)| *n).collect();
        let mut t = Table {
            cols,
            names,
            rows: 0,
            schema: Arc::new(Schema::empty()),
        };
        // The schema is that of the arrays the builders make, so the two never differ.
        if let Ok((schema, _)) = t.finish_arrays() {
            t.schema = schema;
        }
        t
    }

    pub(crate) fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Column `i`, ready for the current row's value: `None` when it is off
    /// or already set in this row (a column keeps its first value).
    ///
    /// Most columns are null in most rows (a wide table of sparse keys), so a
    /// column is padded with nulls only when it gets a value (and at the
    /// end), not at every row.
    #[inline]
    pub(crate) fn col(&mut self, i: usize) -> Option<&mut Col> {
        let row = self.rows;
        let c = self.cols.get_mut(i)?.as_mut()?;
        let len = c.len();
        if len > row {
            return None;
        }
        if len < row {
            c.append_nulls(row - len);
        }
        Some(c)
    }

    /// True when column `c` is on and has no value yet in this row (what
    /// [`Table::col`] checks, without padding it).
    #[inline]
    pub(crate) fn has(&self, c: C) -> bool {
        self.cols
            .get(c as usize)
            .and_then(Option::as_ref)
            .is_some_and(|col| col.len() <= self.rows)
    }

    /// Ends the current row.
    pub(crate) fn end_row(&mut self) {
        self.rows += 1;
    }

    fn finish_arrays(&mut self) -> Result<(SchemaRef, Vec<ArrayRef>), ArrowError> {
        let mut fields = Vec::new();
        let mut arrays = Vec::new();
        let mut failed = None;
        let rows = self.rows;
        // Every column is finished even after a failure, so that the table
        // starts empty again in step.
        for (c, name) in self.cols.iter_mut().zip(&self.names) {
            if let Some(c) = c {
                let len = c.len();
                if len < rows {
                    c.append_nulls(rows - len);
                }
                match c.finish() {
                    Ok(a) => {
                        fields.push(Field::new(*name, a.data_type().clone(), true));
                        arrays.push(a);
                    }
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
        }
        self.rows = 0;
        match failed {
            Some(e) => Err(e),
            None => Ok((Arc::new(Schema::new(fields)), arrays)),
        }
    }

    /// The rows so far as a batch; the table starts empty again.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let rows = self.rows;
        let (_, arrays) = self.finish_arrays()?;
        let opts = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(self.schema.clone(), arrays, &opts)
    }
}
