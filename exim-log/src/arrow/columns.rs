//! The columns of the lines table: one per JSON key of SCHEMA.md (nested
//! objects flattened to `host_ip`-style names), and the Arrow builders that
//! fill them.

use std::sync::Arc;

use arrow_array::builder::{ArrayBuilder, ListBuilder, StringBuilder, StructBuilder};
use arrow_array::types::{Float64Type, Int16Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, BooleanArray, DictionaryArray, Int16Array, ListArray,
    PrimitiveArray, RecordBatch, StringArray, new_null_array,
};
use arrow_buffer::{
    BooleanBuffer, Buffer, MutableBuffer, NullBuffer, OffsetBuffer, OffsetBufferBuilder,
};
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

/// One column's values for the batch being built.
///
/// Most columns are null in most rows (~15 of ~110 keys are present in a
/// line), so the scalar and string columns are *staged*: a value is appended
/// with its row number, nothing is written for a null, and each column is
/// laid out as Arrow's arrays in one pass at [`Table::finish`] (column at a
/// time, cache-friendly; a column with no value in the batch costs nothing
/// but a null array). The list columns are staged too; only the rare
/// `other_fields` keeps arrow's builder, padded with nulls only when it
/// gets a value.
pub(crate) enum Col {
    Str(StrCol),
    Dict(Dict),
    Int(Staged<i64>),
    Float(Staged<f64>),
    Bool(Staged<bool>),
    List(ListCol),
    Time(Staged<i64>),
    Fields(Box<ListBuilder<StructBuilder>>),
}

/// A scalar column's values with their rows (in increasing order, at most
/// one value a row).
pub(crate) struct Staged<T> {
    rows: Vec<u32>,
    vals: Vec<T>,
}

impl<T> Default for Staged<T> {
    fn default() -> Self {
        Staged {
            rows: Vec::new(),
            vals: Vec::new(),
        }
    }
}

/// The row of the current value, as stored (a batch holds far fewer than
/// `u32::MAX` rows: [`DEFAULT_BATCH_ROWS`](super::DEFAULT_BATCH_ROWS) is 64 Ki).
#[inline]
fn row32(row: usize) -> u32 {
    u32::try_from(row).unwrap_or(u32::MAX)
}

/// A validity bitmap of `n` rows with the bits of `rows` set.
fn validity(rows: &[u32], n: usize) -> NullBuffer {
    let mut bits = MutableBuffer::new_null(n);
    let slice = bits.as_slice_mut();
    for r in rows {
        let r = *r as usize;
        if let Some(byte) = slice.get_mut(r / 8) {
            *byte |= 1 << (r % 8);
        }
    }
    NullBuffer::new(BooleanBuffer::new(bits.into(), 0, n))
}

impl<T: Copy + Default> Staged<T> {
    /// Rows covered: one past the last row with a value.
    #[inline]
    pub(crate) fn next_row(&self) -> usize {
        self.rows.last().map_or(0, |r| *r as usize + 1)
    }

    #[inline]
    pub(crate) fn push(&mut self, row: usize, v: T) {
        self.rows.push(row32(row));
        self.vals.push(v);
    }

    /// The values of rows `0..n` (a default where null) and their validity
    /// (`None`: every row has a value); empty again after.
    fn take(&mut self, n: usize) -> (Vec<T>, Option<NullBuffer>) {
        let k = self.vals.len();
        // Every row has a value (rows are increasing and below `n`): the
        // values are the column as they are.
        if k == n {
            self.rows.clear();
            return (
                std::mem::replace(&mut self.vals, Vec::with_capacity(n)),
                None,
            );
        }
        let mut values = vec![T::default(); n];
        for (r, v) in self.rows.iter().zip(&self.vals) {
            if let Some(slot) = values.get_mut(*r as usize) {
                *slot = *v;
            }
        }
        let nulls = validity(&self.rows, n);
        self.rows.clear();
        self.vals.clear();
        (values, Some(nulls))
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl Staged<bool> {
    fn finish_bool(&mut self, n: usize) -> BooleanArray {
        let mut bits = MutableBuffer::new_null(n);
        let slice = bits.as_slice_mut();
        for (r, v) in self.rows.iter().zip(&self.vals) {
            let r = *r as usize;
            if *v && let Some(byte) = slice.get_mut(r / 8) {
                *byte |= 1 << (r % 8);
            }
        }
        let nulls = (self.rows.len() != n).then(|| validity(&self.rows, n));
        self.rows.clear();
        self.vals.clear();
        BooleanArray::new(BooleanBuffer::new(bits.into(), 0, n), nulls)
    }
}

/// A Utf8 column staged for the batch: the values' bytes back to back, each
/// value's row and end. The bytes are checked to be UTF-8 once for the whole
/// column at [`StrCol::finish`] (instead of once a field); a value that is
/// not is written as `String::from_utf8_lossy` gives it, as its JSON is.
#[derive(Default)]
pub(crate) struct StrCol {
    rows: Vec<u32>,
    ends: Vec<usize>,
    bytes: Vec<u8>,
}

impl StrCol {
    #[inline]
    fn next_row(&self) -> usize {
        self.rows.last().map_or(0, |r| *r as usize + 1)
    }

    /// Appends the value of row `row` (any bytes; see [`StrCol`]).
    #[inline]
    pub(crate) fn push(&mut self, row: usize, v: &[u8]) {
        self.bytes.extend_from_slice(v);
        self.ends.push(self.bytes.len());
        self.rows.push(row32(row));
    }

    /// Rows `0..n` as a Utf8 array; empty again after.
    fn finish(&mut self, n: usize) -> Result<ArrayRef, ArrowError> {
        if self.rows.is_empty() {
            return Ok(new_null_array(&DataType::Utf8, n));
        }
        // A dense column (a value in an eighth of the rows or more) gets its
        // offsets laid out here, and the staged bytes become its values
        // (`try_new` checks them, in O(rows)); a sparse one goes through the
        // builder, which pads nulls without that check. A dense column whose
        // bytes are not UTF-8 at its values' bounds goes the builder's way too.
        // The same arrays either way; the eighth is where the builder's ~270
        // instructions a value cost more than ~25 a row here (callgrind,
        // `arrow_ratio 24 1 all`: a quarter 588.5M, an eighth 578.6M, a
        // sixteenth 583.2M).
        if self.rows.len().saturating_mul(8) >= n
            && let Some(a) = self.finish_dense(n)
        {
            return Ok(a);
        }
        Ok(self.finish_sparse(n))
    }

    /// Rows `0..n` through arrow's builder, each value made UTF-8 as its
    /// JSON is; empty again after.
    fn finish_sparse(&mut self, n: usize) -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, self.bytes.len());
        // `checked` is a stretch of the bytes known to be UTF-8, from its
        // offset: a value inside it that starts and ends on character
        // boundaries (`get` checks them) is taken as it is. Else the bytes
        // are checked again from this value on, as far as they are UTF-8; a
        // value still not valid (its bytes are not UTF-8, or it splits a
        // character with the next) is made so per value, as its JSON is.
        // Each byte is checked about once, however many values are invalid.
        let bytes = self.bytes.as_slice();
        let mut checked: (usize, &str) = (0, "");
        let mut start: usize = 0;
        for (r, end) in self.rows.iter().zip(&self.ends) {
            let (r, end) = (*r as usize, *end);
            let gap = r.saturating_sub(b.len());
            if gap > 0 {
                b.append_nulls(gap);
            }
            let fast = start
                .checked_sub(checked.0)
                .zip(end.checked_sub(checked.0))
                .and_then(|(a, z)| checked.1.get(a..z));
            match fast {
                Some(v) => b.append_value(v),
                None => {
                    let rest = bytes.get(start..).unwrap_or_default();
                    let ok = match std::str::from_utf8(rest) {
                        Ok(s) => s,
                        Err(e) => rest
                            .get(..e.valid_up_to())
                            .and_then(|p| std::str::from_utf8(p).ok())
                            .unwrap_or_default(),
                    };
                    checked = (start, ok);
                    match ok.get(..end.saturating_sub(start)) {
                        Some(v) => b.append_value(v),
                        None => b.append_value(String::from_utf8_lossy(
                            bytes.get(start..end).unwrap_or_default(),
                        )),
                    }
                }
            }
            start = end;
        }
        let gap = n.saturating_sub(b.len());
        if gap > 0 {
            b.append_nulls(gap);
        }
        self.rows.clear();
        self.ends.clear();
        self.bytes.clear();
        Arc::new(b.finish())
    }

    /// The column from offsets laid out here, empty again after (`None`:
    /// the values are too long for i32 offsets, or not UTF-8 at their
    /// bounds; the column is left as it was for [`StrCol::finish_sparse`]).
    fn finish_dense(&mut self, n: usize) -> Option<ArrayRef> {
        let offsets = offsets(&self.rows, &self.ends, n)?;
        let nulls = (self.rows.len() != n).then(|| validity(&self.rows, n));
        let len = self.bytes.len();
        let values = Buffer::from_vec(std::mem::take(&mut self.bytes));
        // `try_new` checks the bytes are UTF-8 and every offset is on a
        // character boundary: no need to check them first.
        match StringArray::try_new(offsets, values.clone(), nulls) {
            Ok(a) => {
                self.bytes = Vec::with_capacity(len);
                self.rows.clear();
                self.ends.clear();
                Some(Arc::new(a))
            }
            Err(_) => {
                self.bytes = values
                    .into_vec()
                    .unwrap_or_else(|b: Buffer| b.as_slice().to_vec());
                None
            }
        }
    }
}

/// The offsets of `n` rows whose values (rows `rows`, in increasing order)
/// end at `ends` (`None`: past `i32::MAX`).
///
/// Made from the rows' lengths (a null row's is 0) with arrow's
/// `OffsetBufferBuilder`, whose sums need no second pass to be checked
/// increasing (`OffsetBuffer::new` checks each pair, ~15 instructions a row).
fn offsets(rows: &[u32], ends: &[usize], n: usize) -> Option<OffsetBuffer<i32>> {
    let mut b = OffsetBufferBuilder::<i32>::new(n);
    let mut last = 0;
    let mut next = 0;
    for (r, end) in rows.iter().zip(ends) {
        let r = *r as usize;
        for _ in next..r {
            b.try_push_length(0).ok()?;
        }
        b.try_push_length(end.saturating_sub(last)).ok()?;
        last = *end;
        next = r + 1;
    }
    for _ in next..n {
        b.try_push_length(0).ok()?;
    }
    b.try_finish().ok()
}

/// A list-of-Utf8 column (`recipients`, `commands`, `args`) staged as
/// [`StrCol`] is: the items of every list back to back (an item's "row" is
/// its index), each list's row and end (in items). One `ListArray` is laid
/// out at [`ListCol::finish`], without arrow's builders' work per item.
#[derive(Default)]
pub(crate) struct ListCol {
    rows: Vec<u32>,
    ends: Vec<usize>,
    items: StrCol,
}

impl ListCol {
    #[inline]
    fn next_row(&self) -> usize {
        self.rows.last().map_or(0, |r| *r as usize + 1)
    }

    /// Starts a list: items left by a list never ended are dropped.
    #[inline]
    pub(crate) fn begin(&mut self) {
        let k = self.ends.last().copied().unwrap_or(0);
        if self.items.rows.len() > k {
            self.items.rows.truncate(k);
            self.items.ends.truncate(k);
            let end = self.items.ends.last().copied().unwrap_or(0);
            self.items.bytes.truncate(end);
        }
    }

    /// Appends an item to the list being made (any bytes, as [`StrCol`]).
    #[inline]
    pub(crate) fn item(&mut self, v: &[u8]) {
        let i = self.items.rows.len();
        self.items.push(i, v);
    }

    /// Ends the list being made as the value of row `row`.
    #[inline]
    pub(crate) fn end(&mut self, row: usize) {
        self.rows.push(row32(row));
        self.ends.push(self.items.rows.len());
    }

    /// The item field of the lists (as arrow's `ListBuilder` names it).
    fn field() -> Arc<Field> {
        Arc::new(Field::new_list_field(DataType::Utf8, true))
    }

    /// Rows `0..n` as a List array; empty again after.
    fn finish(&mut self, n: usize) -> Result<ArrayRef, ArrowError> {
        self.begin();
        let k = self.items.rows.len();
        let values = self.items.finish(k)?;
        let offsets = offsets(&self.rows, &self.ends, n).ok_or_else(|| {
            ArrowError::InvalidArgumentError("more list items than i32 offsets hold".into())
        });
        let nulls = (self.rows.len() != n).then(|| validity(&self.rows, n));
        self.rows.clear();
        self.ends.clear();
        Ok(Arc::new(ListArray::try_new(
            Self::field(),
            offsets?,
            values,
            nulls,
        )?))
    }
}

/// A dictionary-encoded string column (Int16 keys): `event`, `flag`,
/// `protocol`, ... hold a handful of distinct values, so a value is found
/// among them by a scan of their [`Tag`]s (cheaper than arrow's
/// `StringDictionaryBuilder`, which hashes every value, and than comparing
/// bytes: a `memcmp` call a candidate); only a new value is made UTF-8
/// (lossy, as its JSON).
#[derive(Default)]
pub(crate) struct Dict {
    keys: Staged<i16>,
    values: StringBuilder,
    /// The tags of the distinct values of this batch, in key order (scanned while few).
    tags: Vec<Tag>,
    /// The distinct values of this batch as given, in key order.
    seen: Vec<Box<[u8]>>,
    /// The same, by value, once there are more than [`Dict::SCAN`].
    index: std::collections::HashMap<Box<[u8]>, i16>,
    /// Keys of `&'static str` values (event names, flags) by their address
    /// and length, a slot an address: such a value is found in a few
    /// instructions instead of a scan (`event`: every row). An address of
    /// static text always holds the same text, so a match is that value.
    statics: Vec<(usize, usize, i16)>,
}

/// [`Dict::statics`] has 2^this slots (made at the first static value).
const STATICS_BITS: u32 = 6;

/// A value's length and its first and last 8 bytes (fewer: packed): equal
/// tags are equal values up to 16 bytes, the length of most dictionary
/// values (event names, flags, router and transport names); longer ones are
/// compared byte for byte after their tags match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tag(usize, u64, u64);

impl Tag {
    /// Values of this length or shorter are told apart by their tags alone.
    const EXACT: usize = 16;

    #[inline]
    fn of(v: &[u8]) -> Tag {
        let (a, b) = match (v.first_chunk::<8>(), v.last_chunk::<8>()) {
            (Some(a), Some(b)) => (u64::from_le_bytes(*a), u64::from_le_bytes(*b)),
            // Shorter than 8 bytes: all of them in one word.
            _ => (v.iter().fold(0, |a, b| a << 8 | u64::from(*b)), 0),
        };
        Tag(v.len(), a, b)
    }
}

impl Dict {
    /// Distinct values looked up by a scan.
    const SCAN: usize = 32;

    #[inline]
    fn key(&mut self, v: &[u8]) -> Option<i16> {
        if self.seen.len() <= Self::SCAN {
            let tag = Tag::of(v);
            let mut from = 0;
            while let Some(i) = self
                .tags
                .get(from..)
                .and_then(|t| t.iter().position(|t| *t == tag))
            {
                let i = from + i;
                if v.len() <= Tag::EXACT || self.seen.get(i).is_some_and(|s| **s == *v) {
                    return i16::try_from(i).ok();
                }
                from = i + 1;
            }
        } else if let Some(k) = self.index.get(v) {
            return Some(*k);
        }
        self.add(v)
    }

    /// A value not seen yet in this batch: its key. Past `i16::MAX`
    /// distinct values the key would overflow, and the value is left out (null).
    fn add(&mut self, v: &[u8]) -> Option<i16> {
        let k = i16::try_from(self.seen.len()).ok()?;
        self.values.append_value(crate::text::lossy(v));
        self.seen.push(v.into());
        self.tags.push(Tag::of(v));
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

    /// Appends `v` as the value of row `row` (a null past `i16::MAX`
    /// distinct values in a batch).
    #[inline]
    pub(crate) fn append(&mut self, row: usize, v: &[u8]) {
        if let Some(k) = self.key(v) {
            self.keys.push(row, k);
        }
    }

    /// Appends `v`, a static text, as the value of row `row` (see
    /// [`Dict::statics`]; a null as [`Dict::append`]).
    #[inline]
    pub(crate) fn append_static(&mut self, row: usize, v: &'static str) {
        let at = v.as_ptr() as usize;
        // Fibonacci hashing: the top bits of the address times 2^64/phi
        // (names laid out side by side spread over the slots).
        let slot =
            ((at as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - STATICS_BITS)) as usize;
        let k = match self.statics.get(slot) {
            Some(&(a, len, k)) if a == at && len == v.len() => Some(k),
            _ => self.static_missed(slot, v),
        };
        if let Some(k) = k {
            self.keys.push(row, k);
        }
    }

    /// The key of a static text not in its slot, put there.
    #[cold]
    #[inline(never)]
    fn static_missed(&mut self, slot: usize, v: &'static str) -> Option<i16> {
        if self.statics.is_empty() {
            self.statics = vec![(0, 0, 0); 1 << STATICS_BITS];
        }
        let k = self.key(v.as_bytes());
        if let (Some(k), Some(s)) = (k, self.statics.get_mut(slot)) {
            *s = (v.as_ptr() as usize, v.len(), k);
        }
        k
    }

    #[inline]
    fn next_row(&self) -> usize {
        self.keys.next_row()
    }

    /// The batch's column of `n` rows; the dictionary starts empty again.
    fn finish(&mut self, n: usize) -> Result<DictionaryArray<Int16Type>, ArrowError> {
        let (keys, nulls) = self.keys.take(n);
        let keys = Int16Array::new(keys.into(), nulls);
        let values = Arc::new(self.values.finish());
        self.seen.clear();
        self.tags.clear();
        self.index.clear();
        self.statics.fill((0, 0, 0));
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

/// A primitive array of `n` rows from a staged column.
fn primitive<T: ArrowPrimitiveType>(s: &mut Staged<T::Native>, n: usize) -> PrimitiveArray<T>
where
    T::Native: Default,
{
    let (values, nulls) = s.take(n);
    PrimitiveArray::new(values.into(), nulls)
}

impl Col {
    pub(crate) fn new(kind: Kind) -> Self {
        match kind {
            Kind::Str => Col::Str(StrCol::default()),
            Kind::Dict => Col::Dict(Dict::default()),
            Kind::Int => Col::Int(Staged::default()),
            Kind::Float => Col::Float(Staged::default()),
            Kind::Bool => Col::Bool(Staged::default()),
            Kind::List => Col::List(ListCol::default()),
            Kind::Time => Col::Time(Staged::default()),
            Kind::Fields => Col::Fields(Box::new(ListBuilder::new(StructBuilder::from_fields(
                field_struct(),
                0,
            )))),
        }
    }

    /// Rows this column covers: one past its last value (builders: their length).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        match self {
            Col::Str(b) => b.next_row(),
            Col::Dict(b) => b.next_row(),
            Col::Int(b) => b.next_row(),
            Col::Float(b) => b.next_row(),
            Col::Bool(b) => b.next_row(),
            Col::List(b) => b.next_row(),
            Col::Time(b) => b.next_row(),
            Col::Fields(b) => b.len(),
        }
    }

    /// The type of this column when it is a staged one with no value in the
    /// batch (its array is all nulls; nothing to reset).
    fn null_type(&self) -> Option<DataType> {
        match self {
            Col::Str(b) if b.rows.is_empty() => Some(DataType::Utf8),
            Col::Int(b) if b.is_empty() => Some(DataType::Int64),
            Col::Float(b) if b.is_empty() => Some(DataType::Float64),
            Col::Bool(b) if b.is_empty() => Some(DataType::Boolean),
            Col::List(b) if b.rows.is_empty() => Some(DataType::List(ListCol::field())),
            _ => None,
        }
    }

    /// Pads a builder column with `n` nulls (a staged one needs none).
    #[inline]
    pub(crate) fn append_nulls(&mut self, n: usize) {
        if let Col::Fields(b) = self {
            b.append_nulls(n);
        }
    }

    /// The `n` rows so far as an array; the column starts again empty.
    pub(crate) fn finish(&mut self, n: usize) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Col::Str(b) => b.finish(n)?,
            Col::Dict(b) => Arc::new(b.finish(n)?),
            Col::Int(b) if b.is_empty() => new_null_array(&DataType::Int64, n),
            Col::Int(b) => Arc::new(primitive::<Int64Type>(b, n)),
            Col::Float(b) if b.is_empty() => new_null_array(&DataType::Float64, n),
            Col::Float(b) => Arc::new(primitive::<Float64Type>(b, n)),
            Col::Bool(b) if b.is_empty() => new_null_array(&DataType::Boolean, n),
            Col::Bool(b) => Arc::new(b.finish_bool(n)),
            Col::List(b) => b.finish(n)?,
            Col::Time(b) => {
                Arc::new(primitive::<TimestampMicrosecondType>(b, n).with_timezone("UTC"))
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
    /// Most columns are null in most rows (a wide table of sparse keys): a
    /// staged column writes nothing for a null, and a list builder is padded
    /// with nulls only when it gets a value (and at the end), not at every row.
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

    /// The staged column `i` when it is on (a staged column needs no
    /// padding: [`Table::col`]'s work is only its row check, done by the
    /// callers on the variant they write).
    #[inline]
    fn staged(&mut self, i: usize) -> Option<&mut Col> {
        self.cols.get_mut(i)?.as_mut()
    }

    /// Column `i`'s value in this row from text: a string column stages the
    /// bytes (checked to be UTF-8 at finish), a dictionary looks the text up.
    /// Like every `*_at`, nothing when the column is off or already has this
    /// row's value (a column keeps its first value).
    #[inline]
    pub(crate) fn bytes_at(&mut self, i: usize, v: &[u8]) {
        let row = self.rows;
        match self.staged(i) {
            Some(Col::Str(b)) if b.next_row() <= row => b.push(row, v),
            Some(Col::Dict(b)) if b.next_row() <= row => b.append(row, v),
            _ => {}
        }
    }

    /// Column `i`'s value in this row, a string.
    #[inline]
    pub(crate) fn str_at(&mut self, i: usize, v: &str) {
        self.bytes_at(i, v.as_bytes());
    }

    /// Column `i`'s value in this row, a static text (a name): a dictionary
    /// finds it by its address (see [`Dict::statics`]).
    #[inline]
    pub(crate) fn static_at(&mut self, i: usize, v: &'static str) {
        let row = self.rows;
        match self.staged(i) {
            Some(Col::Dict(b)) if b.next_row() <= row => b.append_static(row, v),
            Some(Col::Str(b)) if b.next_row() <= row => b.push(row, v.as_bytes()),
            _ => {}
        }
    }

    /// Column `i`'s value in this row, a number (an Int64 or Float64 column).
    #[inline]
    pub(crate) fn int_at(&mut self, i: usize, v: i64) {
        let row = self.rows;
        match self.staged(i) {
            Some(Col::Int(b)) if b.next_row() <= row => b.push(row, v),
            Some(Col::Float(b)) if b.next_row() <= row => b.push(row, v as f64),
            _ => {}
        }
    }

    /// Column `i`'s value in this row, a Float64.
    #[inline]
    pub(crate) fn float_at(&mut self, i: usize, v: f64) {
        let row = self.rows;
        if let Some(Col::Float(b)) = self.staged(i)
            && b.next_row() <= row
        {
            b.push(row, v);
        }
    }

    /// Column `i`'s value in this row, a Boolean.
    #[inline]
    pub(crate) fn bool_at(&mut self, i: usize, v: bool) {
        let row = self.rows;
        if let Some(Col::Bool(b)) = self.staged(i)
            && b.next_row() <= row
        {
            b.push(row, v);
        }
    }

    /// Column `i`'s value in this row, a timestamp in microseconds.
    #[inline]
    pub(crate) fn time_at(&mut self, i: usize, v: i64) {
        let row = self.rows;
        if let Some(Col::Time(b)) = self.staged(i)
            && b.next_row() <= row
        {
            b.push(row, v);
        }
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
        // The columns with no value in the batch (most of the rare keys')
        // share one null array of their type: one allocation, not one each.
        let mut nulls: Vec<(DataType, ArrayRef)> = Vec::new();
        // Every column is finished even after a failure, so that the table
        // starts empty again in step.
        for (c, name) in self.cols.iter_mut().zip(&self.names) {
            if let Some(c) = c {
                let len = c.len();
                if len < rows {
                    c.append_nulls(rows - len);
                }
                let done = match c.null_type() {
                    Some(t) => Ok(match nulls.iter().find(|(d, _)| *d == t) {
                        Some((_, a)) => a.clone(),
                        None => {
                            let a = new_null_array(&t, rows);
                            nulls.push((t, a.clone()));
                            a
                        }
                    }),
                    None => c.finish(rows),
                };
                match done {
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;

    /// The values of a finished dictionary column, decoded.
    fn decoded(d: &mut Dict, n: usize) -> Vec<Option<String>> {
        let a = d.finish(n).unwrap();
        let v = a.values().as_string::<i32>();
        a.keys()
            .iter()
            .map(|k| k.map(|k| v.value(k as usize).to_string()))
            .collect()
    }

    /// Both ways of finishing a string column, offsets laid out here (dense)
    /// and arrow's builder (sparse), give the same values, and the same
    /// offsets, value bytes and validity bits (what an IPC stream or a
    /// Parquet writer reads), at densities on both sides of the one where
    /// [`StrCol::finish`] picks between them; empty values among them.
    #[test]
    fn dense_and_sparse_strings_lay_out_alike() {
        let n = 100;
        for every in [1, 2, 3, 7, 8, 9, 16, 31, 100] {
            let stage = || {
                let mut c = StrCol::default();
                let mut want: Vec<Option<String>> = vec![None; n];
                for r in (every / 2..n).step_by(every) {
                    let v = format!("v{r}-\u{e9}").repeat(r % 4);
                    c.push(r, v.as_bytes());
                    want[r] = Some(v);
                }
                (c, want)
            };
            let (mut dense, want) = stage();
            let (mut sparse, _) = stage();
            let d = dense.finish_dense(n).expect("UTF-8 values");
            let s = sparse.finish_sparse(n);
            for (way, a) in [("dense", &d), ("sparse", &s)] {
                let got: Vec<Option<String>> = a
                    .as_string::<i32>()
                    .iter()
                    .map(|v| v.map(str::to_string))
                    .collect();
                assert_eq!(got, want, "{way}, a value every {every} rows");
            }
            let (d, s) = (d.as_string::<i32>(), s.as_string::<i32>());
            assert_eq!(d.offsets(), s.offsets(), "offsets, every {every}");
            assert_eq!(d.values(), s.values(), "values, every {every}");
            let bits = |a: &StringArray| a.nulls().map(|b| b.buffer().as_slice().to_vec());
            assert_eq!(bits(d), bits(s), "validity, every {every}");
        }
    }

    /// Static texts found by address: more of them than slots (so some
    /// share a slot and evict each other), in changing order, over two
    /// batches (the second's keys must index its own dictionary, not the
    /// first's), each row decodes to its own text; equal texts at other
    /// addresses (`append`) get the same key.
    #[test]
    fn static_texts_decode_to_themselves() {
        let names: Vec<&'static str> = (0..100)
            .map(|i| &*Box::leak(format!("name-{i}").into_boxed_str()))
            .collect();
        let mut d = Dict::default();
        for batch in 0..2 {
            let mut want = Vec::new();
            let mut row = 0;
            for round in 0..3 {
                for i in 0..names.len() {
                    let v = names[(i * 7 + round * 13 + batch * 31) % names.len()];
                    if row % 5 == 0 {
                        d.append(row, v.to_string().as_bytes());
                    } else {
                        d.append_static(row, v);
                    }
                    want.push(Some(v.to_string()));
                    row += 2;
                    want.push(None);
                }
            }
            assert_eq!(decoded(&mut d, row), want, "batch {batch}");
        }
    }
}
