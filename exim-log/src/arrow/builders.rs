//! Column builders for a wide, sparse table: a run of nulls costs a
//! `Vec::resize` and a bit fill.
//!
//! The lines table has ~110 columns and a line fills ~10: each column is
//! padded with nulls when it next gets a value. arrow-array's builders pad
//! through `extend(repeat_n(..))` and hash every dictionary value with a
//! fresh lookup; that padding and hashing were a third of the instructions of
//! lines -> Arrow (callgrind, `benches/examples/arrow_ratio`). These keep the
//! same method names as arrow-array's builders, so the callers read the same,
//! and make the same arrays (the schema is taken from them).

use std::sync::Arc;

use arrow_array::types::{Float64Type, Int16Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, PrimitiveArray, StringArray, new_null_array,
};
use arrow_buffer::{BooleanBufferBuilder, Buffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::DataType;

use crate::hash::Map;

/// Offsets and bytes of Utf8 values: the part of a string column and of a
/// dictionary's values that holds text.
#[derive(Default)]
struct Texts {
    offsets: Vec<i32>,
    data: Vec<u8>,
}

impl Texts {
    fn new() -> Self {
        Texts {
            offsets: vec![0],
            data: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Adds `v`; false (nothing added) when the bytes would pass the `i32`
    /// offsets of Utf8.
    #[inline]
    fn push(&mut self, v: &[u8]) -> bool {
        let Ok(end) = i32::try_from(self.data.len() + v.len()) else {
            return false;
        };
        self.data.extend_from_slice(v);
        self.offsets.push(end);
        true
    }

    #[inline]
    fn push_empty(&mut self, n: usize) {
        let end = self.offsets.last().copied().unwrap_or(0);
        self.offsets.resize(self.offsets.len() + n, end);
    }

    fn get(&self, i: usize) -> &[u8] {
        let (Some(a), Some(b)) = (self.offsets.get(i), self.offsets.get(i + 1)) else {
            return &[];
        };
        let (a, b) = (
            usize::try_from(*a).unwrap_or(0),
            usize::try_from(*b).unwrap_or(0),
        );
        self.data.get(a..b).unwrap_or_default()
    }

    fn finish(&mut self, nulls: Option<arrow_buffer::NullBuffer>) -> StringArray {
        let t = std::mem::replace(self, Texts::new());
        let len = t.len();
        // The offsets start at 0 and never decrease (push), so `new` holds.
        let offsets = OffsetBuffer::new(ScalarBuffer::from(t.offsets));
        StringArray::try_new(offsets, Buffer::from_vec(t.data), nulls)
            .unwrap_or_else(|_| StringArray::new_null(len))
    }
}

/// Utf8, nullable.
pub(crate) struct StrBuilder {
    texts: Texts,
    nulls: NullBufferBuilder,
}

impl StrBuilder {
    pub(crate) fn new() -> Self {
        StrBuilder {
            texts: Texts::new(),
            nulls: NullBufferBuilder::new(0),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.texts.len()
    }

    #[inline]
    pub(crate) fn append_value(&mut self, v: impl AsRef<str>) {
        if self.texts.push(v.as_ref().as_bytes()) {
            self.nulls.append_non_null();
        } else {
            self.append_null();
        }
    }

    pub(crate) fn append_null(&mut self) {
        self.append_nulls(1);
    }

    #[inline]
    pub(crate) fn append_nulls(&mut self, n: usize) {
        self.texts.push_empty(n);
        self.nulls.append_n_nulls(n);
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        let nulls = self.nulls.finish();
        Arc::new(self.texts.finish(nulls))
    }
}

/// Dictionary(Int16, Utf8): each distinct value once per batch.
pub(crate) struct DictBuilder {
    keys: Vec<i16>,
    nulls: NullBufferBuilder,
    values: Texts,
    index: Map<Box<[u8]>, i16>,
    /// The last value added and its key: runs of one value skip the hash.
    last: Option<i16>,
}

impl DictBuilder {
    pub(crate) fn new() -> Self {
        DictBuilder {
            keys: Vec::new(),
            nulls: NullBufferBuilder::new(0),
            values: Texts::new(),
            index: Map::default(),
            last: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    fn key(&mut self, v: &[u8]) -> Option<i16> {
        if let Some(k) = self.last
            && self.values.get(usize::try_from(k).unwrap_or(0)) == v
        {
            return Some(k);
        }
        let k = match self.index.get(v) {
            Some(k) => *k,
            None => {
                let k = i16::try_from(self.values.len()).ok()?;
                if !self.values.push(v) {
                    return None;
                }
                self.index.insert(v.into(), k);
                k
            }
        };
        self.last = Some(k);
        Some(k)
    }

    /// Adds `v`; `Err` (nothing added) past `i16::MAX` distinct values.
    #[inline]
    pub(crate) fn append(&mut self, v: impl AsRef<str>) -> Result<i16, ()> {
        let k = self.key(v.as_ref().as_bytes()).ok_or(())?;
        self.keys.push(k);
        self.nulls.append_non_null();
        Ok(k)
    }

    pub(crate) fn append_null(&mut self) {
        self.append_nulls(1);
    }

    #[inline]
    pub(crate) fn append_nulls(&mut self, n: usize) {
        self.keys.resize(self.keys.len() + n, 0);
        self.nulls.append_n_nulls(n);
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        let len = self.keys.len();
        let keys = PrimitiveArray::<Int16Type>::new(
            ScalarBuffer::from(std::mem::take(&mut self.keys)),
            self.nulls.finish(),
        );
        let values: ArrayRef = Arc::new(self.values.finish(None));
        self.index.clear();
        self.last = None;
        match DictionaryArray::<Int16Type>::try_new(keys, values) {
            Ok(d) => Arc::new(d),
            Err(_) => new_null_array(
                &DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8)),
                len,
            ),
        }
    }
}

/// A fixed-width value column (Int64, Float64, timestamps).
pub(crate) struct PrimBuilder<T: Copy + Default> {
    values: Vec<T>,
    nulls: NullBufferBuilder,
}

impl<T: Copy + Default> PrimBuilder<T> {
    pub(crate) fn new() -> Self {
        PrimBuilder {
            values: Vec::new(),
            nulls: NullBufferBuilder::new(0),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    #[inline]
    pub(crate) fn append_value(&mut self, v: T) {
        self.values.push(v);
        self.nulls.append_non_null();
    }

    #[inline]
    pub(crate) fn append_nulls(&mut self, n: usize) {
        self.values.resize(self.values.len() + n, T::default());
        self.nulls.append_n_nulls(n);
    }

    fn take(&mut self) -> (ScalarBuffer<T>, Option<arrow_buffer::NullBuffer>)
    where
        T: arrow_buffer::ArrowNativeType,
    {
        (
            ScalarBuffer::from(std::mem::take(&mut self.values)),
            self.nulls.finish(),
        )
    }
}

/// Int64.
pub(crate) type IntBuilder = PrimBuilder<i64>;
/// Float64.
pub(crate) type FloatBuilder = PrimBuilder<f64>;

/// Timestamp (µs, UTC).
pub(crate) struct TimeBuilder(pub(crate) PrimBuilder<i64>);

impl IntBuilder {
    pub(crate) fn finish(&mut self) -> ArrayRef {
        let (v, n) = self.take();
        Arc::new(PrimitiveArray::<Int64Type>::new(v, n))
    }
}

impl FloatBuilder {
    pub(crate) fn finish(&mut self) -> ArrayRef {
        let (v, n) = self.take();
        Arc::new(PrimitiveArray::<Float64Type>::new(v, n))
    }
}

impl TimeBuilder {
    pub(crate) fn new() -> Self {
        TimeBuilder(PrimBuilder::new())
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    pub(crate) fn append_value(&mut self, v: i64) {
        self.0.append_value(v);
    }

    pub(crate) fn append_nulls(&mut self, n: usize) {
        self.0.append_nulls(n);
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        let (v, n) = self.0.take();
        Arc::new(PrimitiveArray::<TimestampMicrosecondType>::new(v, n).with_timezone("UTC"))
    }
}

/// Boolean.
pub(crate) struct BoolBuilder {
    values: BooleanBufferBuilder,
    nulls: NullBufferBuilder,
}

impl BoolBuilder {
    pub(crate) fn new() -> Self {
        BoolBuilder {
            values: BooleanBufferBuilder::new(0),
            nulls: NullBufferBuilder::new(0),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    #[inline]
    pub(crate) fn append_value(&mut self, v: bool) {
        self.values.append(v);
        self.nulls.append_non_null();
    }

    #[inline]
    pub(crate) fn append_nulls(&mut self, n: usize) {
        self.values.append_n(n, false);
        self.nulls.append_n_nulls(n);
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        Arc::new(BooleanArray::new(self.values.finish(), self.nulls.finish()))
    }
}
