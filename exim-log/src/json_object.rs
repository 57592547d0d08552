//! [`json_object!`]: the one declaration of a struct's JSON object (SCHEMA.md),
//! from which both its `serde::Serialize` and its entry in the NDJSON writer
//! ([`crate::json::write_line`]) are generated.
//!
//! Why a macro and not `#[derive(Serialize)]` plus a writer: serde's data
//! model has only `&str` for text, so every borrowed field paid a UTF-8
//! check, an escape scan and a call chain per value (most of `exim-log
//! ndjson`'s cost: callgrind, numbers in benches/README.md). The writer
//! generated here writes each key as one precomputed `,"key":` token and
//! each value through [`crate::json::Value`] (ASCII text copied after one
//! combined scan, integers by `itoa`). Listing the fields twice (a derive and
//! a writer) would let the two drift apart; listing them here once cannot.
//!
//! Each entry is `KIND field [as "json_key"]`:
//! - `req`: always written (the derive's plain field);
//! - `opt`: left out when absent (`None`, `false`, an empty `Vec`: the
//!   derive's `skip_serializing_if`);
//! - `flat`: the field's own entries are written into this object (the
//!   derive's `flatten`); `flat field via Wrapper` flattens `Wrapper(&field)`.
//!
//! The shape, `struct` or `map`, is what the derive produced: structs with a
//! flattened member were serialized as maps. serde_json writes both alike;
//! other serializers (the Arrow sink) see the same calls as before.

/// Declares the JSON object of a struct: see the [module docs](self).
macro_rules! json_object {
    ($ty:ident $(<$lt:lifetime>)?, $shape:ident {
        $($kind:ident $field:ident $(as $key:literal)? $(via $wrap:ident)?),* $(,)?
    }) => {
        #[cfg(feature = "serde")]
        impl$(<$lt>)? $crate::json::Object for $ty$(<$lt>)? {
            #[inline]
            fn write_fields(&self, out: &mut Vec<u8>) {
                $($crate::json_object::json_entry!(write out self
                    $kind $field $(as $key)? $(via $wrap)?);)*
            }

            fn serialize_entries<M: serde::ser::SerializeMap>(
                &self,
                map: &mut M,
            ) -> Result<(), M::Error> {
                $($crate::json_object::json_entry!(map map self
                    $kind $field $(as $key)? $(via $wrap)?);)*
                Ok(())
            }
        }

        #[cfg(feature = "serde")]
        impl$(<$lt>)? $crate::json::Value for $ty$(<$lt>)? {
            #[inline]
            fn write_json(&self, out: &mut Vec<u8>) {
                $crate::json::write_object(out, self);
            }
        }

        $crate::json_object::json_serialize!($shape $ty $(<$lt>)? {
            $($kind $field $(as $key)?),*
        });
    };
}

/// The `Serialize` impl of a [`json_object!`]: a struct (fields written or
/// skipped, the exact length first, as the derive does) or a map.
macro_rules! json_serialize {
    (struct $ty:ident $(<$lt:lifetime>)? { $($kind:ident $field:ident $(as $key:literal)?),* }) => {
        #[cfg(feature = "serde")]
        impl$(<$lt>)? serde::Serialize for $ty$(<$lt>)? {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let len = 0 $(+ $crate::json_object::json_entry!(len self $kind $field))*;
                let mut st = s.serialize_struct(stringify!($ty), len)?;
                $($crate::json_object::json_entry!(struct st self $kind $field $(as $key)?);)*
                st.end()
            }
        }
    };
    (map $ty:ident $(<$lt:lifetime>)? { $($t:tt)* }) => {
        #[cfg(feature = "serde")]
        impl$(<$lt>)? serde::Serialize for $ty$(<$lt>)? {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(None)?;
                $crate::json::Object::serialize_entries(self, &mut map)?;
                map.end()
            }
        }
    };
}

/// One entry of a [`json_object!`], for each thing generated from it.
// Used only by the impls of the `serde` feature.
#[cfg_attr(not(feature = "serde"), allow(unused_macros))]
macro_rules! json_entry {
    // The key: the field's name unless renamed.
    (@key $field:ident) => { stringify!($field) };
    (@key $field:ident $key:literal) => { $key };
    (@token $field:ident) => { concat!(",\"", stringify!($field), "\":") };
    (@token $field:ident $key:literal) => { concat!(",\"", $key, "\":") };

    (write $out:ident $s:ident req $field:ident $(as $key:literal)?) => {
        $out.extend_from_slice($crate::json_object::json_entry!(@token $field $($key)?).as_bytes());
        $crate::json::Value::write_json(&$s.$field, $out);
    };
    (write $out:ident $s:ident opt $field:ident $(as $key:literal)?) => {
        if !$crate::json::Value::absent(&$s.$field) {
            $crate::json_object::json_entry!(write $out $s req $field $(as $key)?);
        }
    };
    (write $out:ident $s:ident flat $field:ident) => {
        $crate::json::Object::write_fields(&$s.$field, $out);
    };
    (write $out:ident $s:ident flat $field:ident via $wrap:ident) => {
        $crate::json::Object::write_fields(&$wrap(&$s.$field), $out);
    };

    (map $m:ident $s:ident req $field:ident $(as $key:literal)?) => {
        serde::ser::SerializeMap::serialize_entry(
            $m,
            $crate::json_object::json_entry!(@key $field $($key)?),
            &$s.$field,
        )?;
    };
    (map $m:ident $s:ident opt $field:ident $(as $key:literal)?) => {
        if !$crate::json::Value::absent(&$s.$field) {
            $crate::json_object::json_entry!(map $m $s req $field $(as $key)?);
        }
    };
    (map $m:ident $s:ident flat $field:ident) => {
        $crate::json::Object::serialize_entries(&$s.$field, $m)?;
    };
    (map $m:ident $s:ident flat $field:ident via $wrap:ident) => {
        $crate::json::Object::serialize_entries(&$wrap(&$s.$field), $m)?;
    };

    (len $s:ident req $field:ident) => { 1 };
    (len $s:ident opt $field:ident) => {
        usize::from(!$crate::json::Value::absent(&$s.$field))
    };

    (struct $st:ident $s:ident req $field:ident $(as $key:literal)?) => {
        $st.serialize_field($crate::json_object::json_entry!(@key $field $($key)?), &$s.$field)?;
    };
    (struct $st:ident $s:ident opt $field:ident $(as $key:literal)?) => {
        if $crate::json::Value::absent(&$s.$field) {
            $st.skip_field($crate::json_object::json_entry!(@key $field $($key)?))?;
        } else {
            $crate::json_object::json_entry!(struct $st $s req $field $(as $key)?);
        }
    };
}

#[cfg(feature = "serde")]
pub(crate) use json_entry;
pub(crate) use {json_object, json_serialize};
