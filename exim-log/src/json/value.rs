//! The NDJSON writer of a [`LogLine`]: no serde between the line and the
//! bytes. The objects' keys and fields are declared once, by
//! [`crate::json_object`] (which also generates their `Serialize`); this
//! module writes the values.
//!
//! Text is written as `serde_json` writes the lossy string of its bytes, but
//! without building the string: one scan checks 16 bytes at a time for both
//! the bytes JSON escapes and non-ASCII bytes, and clean ASCII (nearly every
//! field) is copied as is. Only text with a byte >= 0x80 is checked for
//! UTF-8 (and replaced where invalid, as `String::from_utf8_lossy` does).

use super::{clean, write_escaped, write_f64, write_int, write_str};
use crate::line::LogLine;
use crate::text::{Quoted, Text};

/// A value of a [`crate::json_object`] field: how it is written, and when
/// an `opt` field holding it is left out.
pub(crate) trait Value {
    /// Appends the JSON of the value.
    fn write_json(&self, out: &mut Vec<u8>);

    /// True when an `opt` field leaves this value out (`None`, `false`, an
    /// empty list).
    #[inline]
    fn absent(&self) -> bool {
        false
    }
}

/// A JSON object's entries, written into an enclosing object: a
/// [`crate::json_object`] struct, or an [`crate::Event`] (its `event` name and
/// its struct's fields).
pub(crate) trait Object {
    /// Appends `,"key":value` for each present entry.
    fn write_fields(&self, out: &mut Vec<u8>);

    /// Serializes each present entry into `map` (serde's `flatten`).
    fn serialize_entries<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// Appends the object `{...}` of `obj`: its entries, the first entry's
/// leading `,` replaced by `{` (no byte moved), or `{}`.
#[inline]
pub(crate) fn write_object<O: Object + ?Sized>(out: &mut Vec<u8>, obj: &O) {
    let start = out.len();
    obj.write_fields(out);
    match out.get_mut(start) {
        Some(comma) => {
            *comma = b'{';
            out.push(b'}');
        }
        None => out.extend_from_slice(b"{}"),
    }
}

/// Appends the JSON of one [`LogLine`] (SCHEMA.md): the same bytes as
/// `serde_json::to_writer(out, line)`, several times cheaper.
///
/// ```
/// let line = exim_log::parse_line(b"2024-05-25 10:00:01 1sAbCd-000Xyz-AB Completed")?;
/// let mut out = Vec::new();
/// exim_log::json::write_line(&mut out, &line);
/// assert_eq!(out, serde_json::to_vec(&line)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_line(out: &mut Vec<u8>, line: &LogLine<'_>) {
    // One reservation for the line: its JSON is about three times its
    // length (the raw line plus its fields plus keys), rarely more.
    out.reserve(3 * line.raw.len() + 256);
    write_object(out, line);
}

/// Appends bytes as the JSON string of their lossy UTF-8 reading.
#[inline]
pub(crate) fn write_text(out: &mut Vec<u8>, bytes: &[u8]) {
    if clean::<true>(bytes) {
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else {
        write_unclean(out, bytes);
    }
}

/// Text with an escape or a non-ASCII byte: ASCII is escaped as it is
/// (no UTF-8 check needed), other text is checked and read lossily.
#[inline(never)]
fn write_unclean(out: &mut Vec<u8>, bytes: &[u8]) {
    // The common case (a raw line holding a quoted subject, a quoted
    // argument): printable ASCII whose only escapes are `"` and `\`, which
    // `memchr2` finds (a vector search, not a test per chunk). Each is
    // written as `\` before the run that starts with it.
    if !bytes
        .iter()
        .fold(false, |acc, &b| acc | (b.cast_signed() < 0x20))
    {
        out.push(b'"');
        let mut start = 0;
        for at in memchr::memchr2_iter(b'"', b'\\', bytes) {
            out.extend_from_slice(bytes.get(start..at).unwrap_or_default());
            out.push(b'\\');
            start = at;
        }
        out.extend_from_slice(bytes.get(start..).unwrap_or_default());
        out.push(b'"');
        return;
    }
    if bytes.is_ascii() {
        out.push(b'"');
        write_escaped(out, bytes);
        out.push(b'"');
        return;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => write_str(out, s),
        Err(_) => write_str(out, &String::from_utf8_lossy(bytes)),
    }
}

impl Value for Text<'_> {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_text(out, self.as_bytes());
    }
}

impl Value for Quoted<'_> {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_text(out, &self.decode());
    }
}

impl<T: Value> Value for Option<T> {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Some(v) => v.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }

    #[inline]
    fn absent(&self) -> bool {
        self.is_none()
    }
}

impl<T: Value> Value for Vec<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_array(out, self.iter());
    }

    #[inline]
    fn absent(&self) -> bool {
        self.is_empty()
    }
}

/// Appends `[a,b,...]`.
pub(crate) fn write_array<T: Value>(out: &mut Vec<u8>, items: impl Iterator<Item = T>) {
    out.push(b'[');
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        v.write_json(out);
    }
    out.push(b']');
}

impl<T: Value + ?Sized> Value for &T {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out);
    }

    #[inline]
    fn absent(&self) -> bool {
        (**self).absent()
    }
}

impl Value for bool {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }

    #[inline]
    fn absent(&self) -> bool {
        !*self
    }
}

macro_rules! int_values {
    ($($t:ty),*) => {$(
        impl Value for $t {
            #[inline]
            fn write_json(&self, out: &mut Vec<u8>) {
                write_int(out, *self);
            }
        }
    )*};
}

int_values!(u8, u16, u32, u64, i32, i64);

impl Value for f64 {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_f64(out, *self);
    }
}

/// A value written through its `Serialize` by [`super::write`]: for the
/// enums of names, whose JSON strings come from their serde derive
/// (`rename_all`), so the names are written down once.
macro_rules! value_via_serde {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::json::Value for $ty {
            fn write_json(&self, out: &mut Vec<u8>) {
                // Cannot fail: `write` fails only for a map key that is
                // not a string, and these types have none.
                let _ = $crate::json::write(out, self);
            }
        }
    )*};
}

pub(crate) use value_via_serde;

#[cfg(test)]
mod tests {
    use super::*;

    /// `write_text` against serde_json's string of the lossy reading.
    fn same(bytes: &[u8]) {
        let mut ours = Vec::new();
        write_text(&mut ours, bytes);
        let theirs = serde_json::to_vec(&String::from_utf8_lossy(bytes)).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            "{bytes:?}"
        );
    }

    #[test]
    fn text_is_written_as_its_lossy_string() {
        // Every dirty byte class (escapes, DEL, non-ASCII: valid, invalid,
        // cut) at every position of every length: the short padded path,
        // the chunks and the overlapping tail.
        for len in 1..40 {
            for at in 0..len {
                for ins in [
                    &[0u8][..],
                    &[0x1f],
                    b"\"",
                    b"\\",
                    &[0x7f],
                    &[0x80],
                    &[0xff],
                    "é".as_bytes(),
                    &[0xc3],
                    "😀".as_bytes(),
                ] {
                    let mut v = vec![b'a'; len];
                    v.splice(at..=at, ins.iter().copied());
                    same(&v);
                }
            }
        }
        same(b"");
    }
}
