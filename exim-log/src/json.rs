//! Compact JSON written straight into a byte buffer: the fast path of NDJSON.
//!
//! [`write()`] appends the JSON of any [`serde::Serialize`] value (a
//! [`crate::LogLine`], an assembled message, a report) to a `Vec<u8>`, with
//! the same bytes as `serde_json::to_writer` (compact): borrowed strings are
//! copied in runs, eight bytes checked at a time for the few that JSON must
//! escape, integers written by `itoa` and floats by `zmij` (as `serde_json`
//! does), no `io::Write` between the value and the buffer. `serde_json` spent
//! about half of `exim-log ndjson`'s instructions escaping byte by byte
//! (callgrind; the counts are in benches/README.md). A differential test
//! compares the two on every line of the corpus and of generated logs.
//!
//! [`write_line`] goes further for a [`crate::LogLine`] (the NDJSON of
//! `exim-log ndjson`): no serde at all, each object's entries written from
//! the one declaration of its keys (`json_object!`, which also generates
//! the `Serialize` impls), text bytes copied without a UTF-8 pass when they
//! are plain ASCII. Same bytes again.
//!
//! ```
//! let line = exim_log::parse_line(b"2024-05-25 10:00:01 1sAbCd-000Xyz-AB Completed")?;
//! let mut out = Vec::new();
//! exim_log::json::write(&mut out, &line)?;
//! assert_eq!(out, serde_json::to_vec(&line)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use serde::ser::{self, Serialize};

mod value;

pub use value::write_line;
pub(crate) use value::{Object, Value, value_via_serde, write_array, write_object, write_text};

/// Why a value could not be written: its `Serialize` failed, or a map key
/// was not a string, a number, a character or a boolean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Appends the compact JSON of `value` to `out` (the bytes of
/// `serde_json::to_writer`). On an error, `out` may hold part of the value.
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Json { out })
}

/// The serializer: a borrowed output buffer.
struct Json<'o> {
    out: &'o mut Vec<u8>,
}

/// Eight copies of a byte.
const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// True when one of the eight bytes of `w` is below 0x20, `"` or `\` (the
/// bytes JSON escapes): the zero-byte tests of "Bit Twiddling Hacks".
#[inline]
fn needs_escape(w: u64) -> bool {
    const LOW: u64 = splat(0x01);
    const HIGH: u64 = splat(0x80);
    let below_space = w.wrapping_sub(splat(0x20)) & !w;
    let quote = w ^ splat(b'"');
    let backslash = w ^ splat(b'\\');
    (below_space | (quote.wrapping_sub(LOW) & !quote) | (backslash.wrapping_sub(LOW) & !backslash))
        & HIGH
        != 0
}

/// The escape of one byte, `None` when it is written as is (`serde_json`'s
/// table: the short forms, else `\u00XX` with lower-case hex).
#[inline]
fn escape(b: u8, buf: &mut [u8; 6]) -> Option<&[u8]> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0C => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x20.. => return None,
        _ => {
            *buf = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
                HEX.get(usize::from(b & 0xF)).copied().unwrap_or(b'0'),
            ];
            return Some(buf);
        }
    };
    *buf = [b'\\', short, 0, 0, 0, 0];
    buf.get(..2)
}

/// True when `b` is a byte JSON escapes (below 0x20, `"`, `\\`) or, with
/// `ASCII`, not ASCII. Read as a signed byte, every byte >= 0x80 is below
/// 0x20 too: one compare for both.
#[inline]
fn dirty_byte<const ASCII: bool>(b: u8) -> bool {
    (if ASCII {
        b.cast_signed() < 0x20
    } else {
        b < 0x20
    }) | (b == b'"')
        | (b == b'\\')
}

/// True when a byte of `chunk` is one JSON escapes (or, with `ASCII`, is
/// not ASCII). No early exit: the compiler turns the fold into a few vector
/// compares.
#[inline]
fn chunk_needs_escape<const ASCII: bool>(chunk: &[u8; 16]) -> bool {
    chunk
        .iter()
        .fold(false, |acc, &b| acc | dirty_byte::<ASCII>(b))
}

/// True when `bytes` holds no byte that JSON escapes (and, with `ASCII`,
/// only ASCII). Text of 32 bytes or more (raw lines, long fields) is folded
/// whole, with no early exit: the compiler makes it a vector loop of 32
/// bytes per turn (about four times fewer instructions than a test per
/// 16-byte chunk); the last 32 bytes are checked by an overlapping load.
/// Shorter text: overlapping chunks or words, so no byte is copied.
#[inline]
pub(crate) fn clean<const ASCII: bool>(bytes: &[u8]) -> bool {
    const HIGH: u64 = splat(0x80);
    let dirty = |w: u64| needs_escape(w) || (ASCII && w & HIGH != 0);
    let len = bytes.len();
    if len >= 32 {
        let body = bytes
            .get(..len & !31)
            .unwrap_or_default()
            .iter()
            .fold(false, |acc, &b| acc | dirty_byte::<ASCII>(b));
        let tail = bytes
            .get(len - 32..)
            .and_then(|t| <&[u8; 32]>::try_from(t).ok())
            .is_none_or(|t| t.iter().fold(false, |acc, &b| acc | dirty_byte::<ASCII>(b)));
        return !(body | tail);
    }
    if len >= 16 {
        // Two chunks, overlapping in the middle.
        let chunk = |at: usize| {
            bytes
                .get(at..at + 16)
                .and_then(|c| <&[u8; 16]>::try_from(c).ok())
                .is_none_or(chunk_needs_escape::<ASCII>)
        };
        return !chunk(0) && !chunk(len - 16);
    }
    if len >= 8 {
        // Two words, overlapping in the middle.
        let word = |at: usize| {
            bytes
                .get(at..at + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                .map_or(0, u64::from_ne_bytes)
        };
        return !dirty(word(0)) && !dirty(word(len - 8));
    }
    if len >= 4 {
        // Two 4-byte words, overlapping in the middle: the eight bytes of
        // each doubled into a u64 word.
        let word = |at: usize| {
            bytes
                .get(at..at + 4)
                .and_then(|w| <[u8; 4]>::try_from(w).ok())
                .map_or(0, |w| u64::from(u32::from_ne_bytes(w)) * 0x1_0000_0001)
        };
        return !dirty(word(0)) && !dirty(word(len - 4));
    }
    bytes
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\' && !(ASCII && b >= 0x80))
}

/// Writes `s` as a JSON string: copied whole unless a byte must be escaped.
#[inline]
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if clean::<false>(bytes) {
        out.extend_from_slice(bytes);
    } else {
        write_escaped(out, bytes);
    }
    out.push(b'"');
}

/// The bytes of a string that holds an escape: sixteen bytes at a time,
/// a clean chunk is passed over (a vector compare); in a chunk with escapes, a bit mask of
/// their positions leads from one to the next, and the runs between them
/// are copied whole. (Raw lines hold quotes: this is not rare.)
#[inline(never)]
pub(crate) fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    let mut at = 0;
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if let Ok(c) = <&[u8; 16]>::try_from(chunk)
            && chunk_needs_escape::<false>(c)
        {
            escape_bits(out, bytes, &mut start, at, escape_mask(c));
        }
        at += 16;
    }
    let mut tail = [b'a'; 16];
    let rest = chunks.remainder();
    if let Some(t) = tail.get_mut(..rest.len()) {
        t.copy_from_slice(rest);
    }
    if chunk_needs_escape::<false>(&tail) {
        escape_bits(out, bytes, &mut start, at, escape_mask(&tail));
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// Bit `i` set when byte `i` of `chunk` is one JSON escapes (only for a
/// chunk known to hold one: the compiler does not vectorize this).
#[inline]
fn escape_mask(chunk: &[u8; 16]) -> u32 {
    chunk.iter().enumerate().fold(0, |m, (i, &b)| {
        m | (u32::from((b < 0x20) | (b == b'"') | (b == b'\\')) << i)
    })
}

/// Writes the run of `bytes[*start..]` up to each escape of `mask` (bits
/// counted from `at`), then the escape; `*start` moves past it.
fn escape_bits(out: &mut Vec<u8>, bytes: &[u8], start: &mut usize, at: usize, mut mask: u32) {
    let mut buf = [0; 6];
    while mask != 0 {
        let i = at + mask.trailing_zeros() as usize;
        mask &= mask - 1;
        if let Some(e) = bytes.get(i).and_then(|b| escape(*b, &mut buf)) {
            out.extend_from_slice(bytes.get(*start..i).unwrap_or_default());
            out.extend_from_slice(e);
            *start = i + 1;
        }
    }
}

pub(crate) fn write_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// A float as serde_json writes it (`null` when not finite).
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// A sequence, map or struct being written: whether a `,` comes before the
/// next element, and what closes it (`]`, `}`, or `]}`/`}}` for a variant).
struct Compound<'a, 'o> {
    ser: &'a mut Json<'o>,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if !self.first {
            self.ser.out.push(b',');
        }
        self.first = false;
    }

    fn close(self) -> Result<(), Error> {
        self.ser.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'a, 'o> Json<'o> {
    fn open(&'a mut self, open: &[u8], close: &'static [u8]) -> Compound<'a, 'o> {
        self.out.extend_from_slice(open);
        Compound {
            ser: self,
            first: true,
            close,
        }
    }

    /// `{"variant":` before the content of a variant.
    fn variant_key(&mut self, variant: &str) {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
    }
}

macro_rules! ints {
    ($($f:ident $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), Error> {
            write_int(self.out, v);
            Ok(())
        }
    )*};
}

impl<'a, 'o> ser::Serializer for &'a mut Json<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'o>;
    type SerializeTuple = Compound<'a, 'o>;
    type SerializeTupleStruct = Compound<'a, 'o>;
    type SerializeTupleVariant = Compound<'a, 'o>;
    type SerializeMap = Compound<'a, 'o>;
    type SerializeStruct = Compound<'a, 'o>;
    type SerializeStructVariant = Compound<'a, 'o>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    ints!(serialize_i8 i8, serialize_i16 i16, serialize_i32 i32, serialize_i64 i64,
        serialize_i128 i128, serialize_u8 u8, serialize_u16 u16, serialize_u32 u32,
        serialize_u64 u64, serialize_u128 u128);

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if v.is_finite() {
            self.out
                .extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
        } else {
            self.out.extend_from_slice(b"null");
        }
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        write_f64(self.out, v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.open(b"[", b"]");
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.close()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        write_str(self.out, variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant_key(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a, 'o>, Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.variant_key(variant);
        Ok(self.open(b"[", b"]}"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        Ok(self.open(b"{", b"}"))
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a, 'o>, Error> {
        Ok(self.open(b"{", b"}"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.variant_key(variant);
        Ok(self.open(b"{", b"}}"))
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(KeyJson { out: self.ser.out })
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.comma();
        write_str(self.ser.out, key);
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// A map key: JSON keys are strings, so numbers, characters and booleans are
/// written quoted, as `serde_json` does; anything else is an error.
struct KeyJson<'o> {
    out: &'o mut Vec<u8>,
}

fn key_error() -> Error {
    Error("a JSON map key must be a string, a number, a character or a boolean".into())
}

macro_rules! int_keys {
    ($($f:ident $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), Error> {
            self.out.push(b'"');
            write_int(self.out, v);
            self.out.push(b'"');
            Ok(())
        }
    )*};
}

impl ser::Serializer for KeyJson<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }

    int_keys!(serialize_i8 i8, serialize_i16 i16, serialize_i32 i32, serialize_i64 i64,
        serialize_i128 i128, serialize_u8 u8, serialize_u16 u16, serialize_u32 u32,
        serialize_u64 u64, serialize_u128 u128);

    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        write_str(self.out, variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_error())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_error())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_error())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_error())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_error())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_error())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_error())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    /// Our bytes against serde_json's (the oracle), or both errors.
    fn same<T: Serialize + ?Sized + fmt::Debug>(v: &T) {
        let mut ours = Vec::new();
        let mine = write(&mut ours, v);
        match serde_json::to_vec(v) {
            Ok(theirs) => {
                assert_eq!(mine, Ok(()), "{v:?}");
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs),
                    "{v:?}"
                );
            }
            Err(_) => assert!(mine.is_err(), "{v:?}: serde_json refused it"),
        }
    }

    #[test]
    fn strings_escape_as_serde_json_does() {
        // Every byte below 0x80 at every position of an 8-byte word, and
        // multi-byte characters across word boundaries.
        for b in 0u8..0x80 {
            for pad in 0..10 {
                let mut s = "x".repeat(pad);
                s.push(char::from(b));
                s.push_str("tail é 😀");
                same(&s);
            }
        }
        for s in [
            "",
            "\"",
            "\\\\\"\"",
            "a\u{7f}b",
            "\u{2028}\u{2029}",
            "abcdefgh\nabcdefgh\r\tend",
        ] {
            same(s);
        }
        same(&'"');
        same(&'\u{1}');
    }

    #[test]
    fn an_escape_is_found_at_every_position_of_every_length() {
        // Every path of `clean`: bytes one by one (< 8), two overlapping
        // words (8..16), 16-byte chunks with an overlapping tail.
        for len in 1..50 {
            for at in 0..len {
                for b in [0u8, 0x1f, b'"', b'\\', b'\n', 0x7f, b' '] {
                    let mut v = vec![b'a'; len];
                    if let Some(x) = v.get_mut(at) {
                        *x = b;
                    }
                    let s = String::from_utf8(v).unwrap_or_default();
                    assert_eq!(s.len(), len);
                    same(s.as_str());
                }
            }
        }
    }

    #[test]
    fn numbers_and_shapes_as_serde_json() {
        same(&[i64::MIN, -1, 0, 1, i64::MAX]);
        same(&[u64::MAX]);
        same(&(u128::MAX, i128::MIN, 7u8, -7i8));
        same(&[0.0, -0.0, 1.5, 1e300, 1e-7, 12.0, f64::NAN, f64::INFINITY]);
        same(&[1.5f32, f32::NEG_INFINITY]);
        same(&(true, false, (), None::<u8>, Some("x")));
        same(b"bytes\x00\xff".as_slice());
        let mut map = BTreeMap::new();
        map.insert(3u32, "a");
        map.insert(10, "b");
        same(&map);
        let mut bmap = BTreeMap::new();
        bmap.insert(true, 1);
        same(&bmap);
        let mut bad = BTreeMap::new();
        bad.insert(vec![1u8], 1);
        same(&bad);
        let empty: Vec<u8> = Vec::new();
        same(&empty);
        same(&BTreeMap::<String, u8>::new());

        #[derive(Debug, Serialize)]
        struct Unit;
        #[derive(Debug, Serialize)]
        struct New(u8);
        #[derive(Debug, Serialize)]
        struct Tuple(u8, &'static str);
        #[derive(Debug, Serialize)]
        enum E {
            A,
            B(u8),
            C(u8, u8),
            D { x: u8, y: Option<u8> },
        }
        #[derive(Debug, Serialize)]
        struct Outer {
            #[serde(flatten)]
            e: E,
            #[serde(skip_serializing_if = "Option::is_none")]
            skip: Option<u8>,
            unit: Unit,
            new: New,
            tuple: Tuple,
        }
        for e in [E::A, E::B(1), E::C(1, 2), E::D { x: 1, y: None }] {
            same(&e);
        }
        same(&Outer {
            e: E::D { x: 1, y: Some(2) },
            skip: None,
            unit: Unit,
            new: New(3),
            tuple: Tuple(4, "t"),
        });
        same(&vec![E::A, E::B(9)]);
    }
}
