//! Reading one field of a parsed line without converting the others.
//!
//! `Line.__getattr__` must give every key of the JSON schema (SCHEMA.md) as an
//! attribute, including the keys of event variants that other modules add later.
//! Rather than a hand-written getter per field (which would drift from the Rust
//! serialization), the line is serialized through [`Picker`]: a serde serializer that
//! compares each top-level key with the wanted name and converts only that value to a
//! Python object. Keys are `&'static str` compares; the other values are never touched.

use std::fmt;

use pyo3::prelude::*;
use serde::ser::{self, Impossible, Serialize, SerializeMap, Serializer};

use crate::fields::{FieldsTypes, pythonize_err};

/// Why the walk stopped: not an error when the field was found.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The wanted key was found and converted: stop walking.
    Found,
    /// The value is not a map (cannot happen for `LogLine`), or a custom error.
    Other(String),
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Found => f.write_str("found"),
            Stop::Other(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Stop::Other(msg.to_string())
    }
}

/// Serializes a struct-like value and keeps the value of the key `name`.
pub(crate) struct Picker<'py, 'n> {
    py: Python<'py>,
    name: &'n str,
    found: Option<PyResult<Bound<'py, PyAny>>>,
}

/// The value of top-level key `name` of `value`'s serialization, converted to Python
/// with nested structs as [`crate::fields::Fields`]s; `None` when the key is absent.
pub(crate) fn pick<'py, T: Serialize>(
    py: Python<'py>,
    value: &T,
    name: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let mut p = Picker {
        py,
        name,
        found: None,
    };
    match value.serialize(&mut p) {
        Ok(()) | Err(Stop::Found) => p.found.transpose(),
        Err(Stop::Other(msg)) => Err(pyo3::exceptions::PyValueError::new_err(msg)),
    }
}

/// The compound-value methods that the two serializers below refuse (a key is a
/// string, a line is a map), each with its error message.
macro_rules! not_compound {
    (
        seq: $seq:literal,
        tuple: $tuple:literal,
        tuple_struct: $tuple_struct:literal,
        tuple_variant: $tuple_variant:literal,
        struct_variant: $struct_variant:literal $(,)?
    ) => {
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Stop> {
            Err(Stop::Other($seq.into()))
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Stop> {
            Err(Stop::Other($tuple.into()))
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Stop> {
            Err(Stop::Other($tuple_struct.into()))
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Stop> {
            Err(Stop::Other($tuple_variant.into()))
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Stop> {
            Err(Stop::Other($struct_variant.into()))
        }
    };
}

/// Compares a map key with the wanted name.
struct KeyIs<'n>(&'n str);

macro_rules! not_a_key {
    ($($f:ident($t:ty)),* $(,)?) => {
        $(fn $f(self, _v: $t) -> Result<bool, Stop> { Ok(false) })*
    };
}

impl Serializer for KeyIs<'_> {
    type Ok = bool;
    type Error = Stop;
    type SerializeSeq = Impossible<bool, Stop>;
    type SerializeTuple = Impossible<bool, Stop>;
    type SerializeTupleStruct = Impossible<bool, Stop>;
    type SerializeTupleVariant = Impossible<bool, Stop>;
    type SerializeMap = Impossible<bool, Stop>;
    type SerializeStruct = Impossible<bool, Stop>;
    type SerializeStructVariant = Impossible<bool, Stop>;

    fn serialize_str(self, v: &str) -> Result<bool, Stop> {
        Ok(v == self.0)
    }

    not_a_key!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_none(self) -> Result<bool, Stop> {
        Ok(false)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<bool, Stop> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<bool, Stop> {
        Ok(false)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        v: &'static str,
    ) -> Result<bool, Stop> {
        Ok(v == self.0)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<bool, Stop> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<bool, Stop> {
        Ok(false)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Stop> {
        Err(Stop::Other("map key".into()))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Stop> {
        Err(Stop::Other("struct key".into()))
    }
    not_compound!(
        seq: "sequence key",
        tuple: "tuple key",
        tuple_struct: "tuple key",
        tuple_variant: "tuple key",
        struct_variant: "struct key",
    );
}

impl<'py> Picker<'py, '_> {
    fn entry<K, V>(&mut self, key: &K, value: &V) -> Result<(), Stop>
    where
        K: ?Sized + Serialize,
        V: ?Sized + Serialize,
    {
        if key.serialize(KeyIs(self.name))? {
            let v = pythonize::pythonize_custom::<FieldsTypes, _>(self.py, value)
                .map_err(pythonize_err);
            self.found = Some(v);
            return Err(Stop::Found);
        }
        Ok(())
    }
}

impl SerializeMap for &mut Picker<'_, '_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, _key: &T) -> Result<(), Stop> {
        // serde's derive (also through `#[serde(flatten)]`) calls `serialize_entry`.
        Err(Stop::Other("split map entry".into()))
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, _value: &T) -> Result<(), Stop> {
        Err(Stop::Other("split map entry".into()))
    }
    fn serialize_entry<K, V>(&mut self, key: &K, value: &V) -> Result<(), Stop>
    where
        K: ?Sized + Serialize,
        V: ?Sized + Serialize,
    {
        self.entry(key, value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeStruct for &mut Picker<'_, '_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        self.entry(key, value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

macro_rules! not_a_map {
    ($($f:ident($t:ty)),* $(,)?) => {
        $(fn $f(self, _v: $t) -> Result<(), Stop> { Err(Stop::Other("not a map".into())) })*
    };
}

impl<'a, 'py, 'n> Serializer for &'a mut Picker<'py, 'n> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Impossible<(), Stop>;
    type SerializeTuple = Impossible<(), Stop>;
    type SerializeTupleStruct = Impossible<(), Stop>;
    type SerializeTupleVariant = Impossible<(), Stop>;
    type SerializeMap = &'a mut Picker<'py, 'n>;
    type SerializeStruct = &'a mut Picker<'py, 'n>;
    type SerializeStructVariant = Impossible<(), Stop>;

    not_a_map!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), Stop> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Stop> {
        Err(Stop::Other("not a map".into()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Stop> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Stop> {
        Err(Stop::Other("not a map".into()))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Stop> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Stop> {
        Ok(self)
    }
    not_compound!(
        seq: "not a map",
        tuple: "not a map",
        tuple_struct: "not a map",
        tuple_variant: "not a map",
        struct_variant: "not a map",
    );
}

/// `__getattr__` of the parsed objects: the value of key `name`, `None` when absent,
/// and `AttributeError` for private names (so `copy`, `pickle` and friends probing
/// for dunders behave). A trailing `_` is dropped, for keys that are Python keywords
/// (`from_`, `for_`).
pub(crate) fn get_field<'py, T: Serialize>(
    py: Python<'py>,
    value: &T,
    class: &str,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let key = name.strip_suffix('_').unwrap_or(name);
    if name.starts_with('_') {
        return Err(pyo3::exceptions::PyAttributeError::new_err(format!(
            "'{class}' object has no attribute '{name}'"
        )));
    }
    Ok(pick(py, value, key)?.unwrap_or_else(|| py.None().into_bound(py)))
}

/// The serde serialization as plain Python dicts and lists (the JSON object).
pub(crate) fn to_dict<'py, T: Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(PyErr::from)
}
