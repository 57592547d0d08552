//! A `serde` serializer that writes a line's JSON shape into the columns of
//! the lines table instead of text.
//!
//! Walking the serialization (rather than matching every event variant a
//! second time) keeps the columns equal to the JSON of SCHEMA.md by
//! construction: a key is a column (nested objects are `parent_child`), a
//! value goes in as its own type, and nothing is formatted or re-parsed. A
//! key with no column is skipped (the differential test
//! `tests/arrow_lines.rs` fails when the JSON has one).

use std::fmt;

use arrow_array::builder::ArrayBuilder;
use serde::ser::{self, Impossible, Serialize};

use super::columns::{C, Col, Table};

/// Where a value goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Skip,
    Col(C),
    Host,
    Interface,
    Proxy,
    Tls,
    Auth,
    Recipients,
    OtherFields,
}

#[inline]
fn top_target(key: &str) -> Target {
    match key {
        // Written from the parsed value, not its text.
        "timestamp" => Target::Skip,
        "host" => Target::Host,
        "interface" => Target::Interface,
        "proxy" => Target::Proxy,
        "tls" => Target::Tls,
        "auth" => Target::Auth,
        "recipients" => Target::Recipients,
        "other_fields" => Target::OtherFields,
        _ => C::by_name(key).map_or(Target::Skip, Target::Col),
    }
}

#[inline]
fn child_target(group: Target, key: &str) -> Target {
    let c = match (group, key) {
        (Target::Host, "name") => C::host_name,
        (Target::Host, "helo") => C::host_helo,
        (Target::Host, "ip") => C::host_ip,
        (Target::Host, "port") => C::host_port,
        (Target::Host, "ident") => C::host_ident,
        (Target::Host, "dnssec") => C::host_dnssec,
        (Target::Host, "connection_reused") => C::host_connection_reused,
        (Target::Interface, "ip") => C::interface_ip,
        (Target::Interface, "port") => C::interface_port,
        (Target::Proxy, "ip") => C::proxy_ip,
        (Target::Proxy, "port") => C::proxy_port,
        (Target::Tls, "cipher") => C::tls_cipher,
        (Target::Tls, "resumed") => C::tls_resumed,
        (Target::Tls, "certificate_verified") => C::tls_certificate_verified,
        (Target::Tls, "peer_dn") => C::tls_peer_dn,
        (Target::Tls, "sni") => C::tls_sni,
        (Target::Auth, "authenticator") => C::auth_authenticator,
        (Target::Auth, "id") => C::auth_id,
        (Target::Auth, "sender") => C::auth_sender,
        _ => return Target::Skip,
    };
    Target::Col(c)
}

/// Never returned: the sink accepts every shape (unknown ones are skipped).
#[derive(Debug)]
pub(crate) struct Never(String);

impl fmt::Display for Never {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Never {}

impl ser::Error for Never {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Never(msg.to_string())
    }
}

/// Serializes a whole line (a map, `LogLine` flattens its event) into `t`.
pub(crate) struct LineSink<'t> {
    pub(crate) t: &'t mut Table,
}

/// A value for one target.
struct V<'t> {
    t: &'t mut Table,
    target: Target,
}

impl V<'_> {
    /// The column of a scalar value.
    #[inline]
    fn column(&self) -> Option<usize> {
        let c = match self.target {
            Target::Col(c) => c,
            // `proxy` is an endpoint on deliveries and a bare IP on arrivals.
            Target::Proxy => C::proxy_ip,
            // `recipients` is a list, except SA-Exim's "as logged" text.
            Target::Recipients => C::recipients_text,
            _ => return None,
        };
        Some(c as usize)
    }

    fn str(&mut self, v: &str) {
        if let Some(i) = self.column() {
            self.t.str_at(i, v);
        }
    }

    fn int(&mut self, v: i64) {
        if let Some(i) = self.column() {
            self.t.int_at(i, v);
        }
    }

    fn uint(&mut self, v: u64) {
        self.int(i64::try_from(v).unwrap_or(i64::MAX));
    }
}

macro_rules! via {
    ($($f:ident $t:ty => $m:ident $conv:expr;)*) => {
        $(fn $f(mut self, v: $t) -> Result<(), Never> {
            #[allow(clippy::redundant_closure_call)]
            self.$m(($conv)(v));
            Ok(())
        })*
    };
}

impl<'t> ser::Serializer for V<'t> {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Seq<'t>;
    type SerializeTuple = Impossible<(), Never>;
    type SerializeTupleStruct = Impossible<(), Never>;
    type SerializeTupleVariant = Impossible<(), Never>;
    type SerializeMap = Group<'t>;
    type SerializeStruct = Group<'t>;
    type SerializeStructVariant = Impossible<(), Never>;

    via! {
        serialize_i8 i8 => int i64::from;
        serialize_i16 i16 => int i64::from;
        serialize_i32 i32 => int i64::from;
        serialize_i64 i64 => int |v| v;
        serialize_u8 u8 => int i64::from;
        serialize_u16 u16 => int i64::from;
        serialize_u32 u32 => int i64::from;
        serialize_u64 u64 => uint |v| v;
    }

    fn serialize_bool(self, v: bool) -> Result<(), Never> {
        if let Some(i) = self.column() {
            self.t.bool_at(i, v);
        }
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Never> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Never> {
        if let Some(i) = self.column() {
            self.t.float_at(i, v);
        }
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Never> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(mut self, v: &str) -> Result<(), Never> {
        self.str(v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Never> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'t>, Never> {
        let c = match self.target {
            Target::Col(c) => Some(c),
            Target::Recipients => Some(C::recipients),
            Target::OtherFields => Some(C::other_fields),
            _ => None,
        };
        // Only a column not yet set in this row takes the list.
        let c = c.filter(|c| match self.t.col(*c as usize) {
            Some(Col::List(b)) => {
                b.begin();
                true
            }
            Some(_) => true,
            None => false,
        });
        Ok(Seq { t: self.t, c })
    }
    fn serialize_tuple(self, _: usize) -> Result<Impossible<(), Never>, Never> {
        Err(ser::Error::custom("tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Never>, Never> {
        Err(ser::Error::custom("tuple struct"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Never>, Never> {
        Err(ser::Error::custom("tuple variant"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Group<'t>, Never> {
        Ok(Group {
            t: self.t,
            group: self.target,
            pending: Target::Skip,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Group<'t>, Never> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Never>, Never> {
        Err(ser::Error::custom("struct variant"))
    }
}

/// The fields of an object: the line itself (`group` is `Skip`) or a nested
/// one (`host`, `tls`, ...).
pub(crate) struct Group<'t> {
    t: &'t mut Table,
    group: Target,
    pending: Target,
}

#[inline]
fn target(group: Target, key: &str) -> Target {
    match group {
        Target::Skip => top_target(key),
        g => child_target(g, key),
    }
}

impl ser::SerializeMap for Group<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Never> {
        self.pending = key.serialize(KeySer(self.group)).unwrap_or(Target::Skip);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Never> {
        let target = std::mem::replace(&mut self.pending, Target::Skip);
        if target == Target::Skip {
            return Ok(());
        }
        value.serialize(V { t: self.t, target })
    }
    fn end(self) -> Result<(), Never> {
        Ok(())
    }
}

impl ser::SerializeStruct for Group<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        let target = target(self.group, key);
        if target == Target::Skip {
            return Ok(());
        }
        value.serialize(V { t: self.t, target })
    }
    fn end(self) -> Result<(), Never> {
        Ok(())
    }
}

/// The elements of a list column (`c`), or of a list with no column.
pub(crate) struct Seq<'t> {
    t: &'t mut Table,
    c: Option<C>,
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Never> {
        let Some(c) = self.c else { return Ok(()) };
        match self.t.col(c as usize) {
            Some(Col::List(b)) => v.serialize(ItemSer(b)),
            Some(Col::Fields(b)) => {
                let s = b.values();
                v.serialize(FieldSer { s })?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
    fn end(self) -> Result<(), Never> {
        let Some(c) = self.c else { return Ok(()) };
        let row = self.t.rows;
        match self.t.col(c as usize) {
            Some(Col::List(b)) => b.end(row),
            Some(Col::Fields(b)) => b.append(true),
            _ => {}
        }
        Ok(())
    }
}

/// A string element of a list.
struct ItemSer<'b>(&'b mut super::columns::ListCol);

/// An `other_fields` entry, `{tag, value}`.
struct FieldSer<'b> {
    s: &'b mut arrow_array::builder::StructBuilder,
}

/// A map key of an object of the given group, resolved to its target.
struct KeySer(Target);

macro_rules! reject_all {
    ($ok:ty; $($f:ident($($t:ty),*);)*) => {
        $(fn $f(self, $(_: $t),*) -> Result<$ok, Never> {
            Err(ser::Error::custom(stringify!($f)))
        })*
    };
}

macro_rules! unsupported_compounds {
    ($ok:ty) => {
        type SerializeSeq = Impossible<$ok, Never>;
        type SerializeTuple = Impossible<$ok, Never>;
        type SerializeTupleStruct = Impossible<$ok, Never>;
        type SerializeTupleVariant = Impossible<$ok, Never>;
        type SerializeStructVariant = Impossible<$ok, Never>;
        fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<$ok, Never> {
            v.serialize(self)
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            v: &T,
        ) -> Result<$ok, Never> {
            v.serialize(self)
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<$ok, Never> {
            Err(ser::Error::custom("newtype variant"))
        }
        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
        ) -> Result<$ok, Never> {
            self.serialize_str(variant)
        }
        reject_all! { $ok;
            serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
            serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
            serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
            serialize_bytes(&[u8]); serialize_none(); serialize_unit();
            serialize_unit_struct(&'static str);
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Never> {
            Err(ser::Error::custom("seq"))
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Never> {
            Err(ser::Error::custom("tuple"))
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Never> {
            Err(ser::Error::custom("tuple struct"))
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Never> {
            Err(ser::Error::custom("tuple variant"))
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Never> {
            Err(ser::Error::custom("struct variant"))
        }
    };
}

impl ser::Serializer for KeySer {
    type Ok = Target;
    type Error = Never;
    type SerializeMap = Impossible<Target, Never>;
    type SerializeStruct = Impossible<Target, Never>;
    unsupported_compounds!(Target);

    fn serialize_str(self, v: &str) -> Result<Target, Never> {
        Ok(target(self.0, v))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Never> {
        Err(ser::Error::custom("map key"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Never> {
        Err(ser::Error::custom("struct key"))
    }
}

impl ser::Serializer for ItemSer<'_> {
    type Ok = ();
    type Error = Never;
    type SerializeMap = Impossible<(), Never>;
    type SerializeStruct = Impossible<(), Never>;
    unsupported_compounds!(());

    fn serialize_str(self, v: &str) -> Result<(), Never> {
        self.0.item(v.as_bytes());
        Ok(())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Never> {
        Err(ser::Error::custom("map item"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Never> {
        Err(ser::Error::custom("struct item"))
    }
}

impl<'b> ser::Serializer for FieldSer<'b> {
    type Ok = ();
    type Error = Never;
    type SerializeMap = Impossible<(), Never>;
    type SerializeStruct = Self;
    unsupported_compounds!(());

    fn serialize_str(self, _: &str) -> Result<(), Never> {
        Err(ser::Error::custom("field text"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Never> {
        Err(ser::Error::custom("field map"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
}

impl ser::SerializeStruct for FieldSer<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        let i = match key {
            "tag" => 0,
            "value" => 1,
            _ => return Ok(()),
        };
        if let Some(b) = self
            .s
            .field_builder::<arrow_array::builder::StringBuilder>(i)
        {
            value.serialize(OptItem(b))?;
        }
        Ok(())
    }
    fn end(self) -> Result<(), Never> {
        // Both children get a value (or a null) for every entry.
        let n = self.s.len();
        for i in 0..2 {
            if let Some(b) = self
                .s
                .field_builder::<arrow_array::builder::StringBuilder>(i)
                && b.len() == n
            {
                b.append_null();
            }
        }
        self.s.append(true);
        Ok(())
    }
}

/// An optional string of a struct child.
struct OptItem<'b>(&'b mut arrow_array::builder::StringBuilder);

impl ser::Serializer for OptItem<'_> {
    type Ok = ();
    type Error = Never;
    type SerializeMap = Impossible<(), Never>;
    type SerializeStruct = Impossible<(), Never>;
    unsupported_compounds!(());

    fn serialize_str(self, v: &str) -> Result<(), Never> {
        self.0.append_value(v);
        Ok(())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Never> {
        Err(ser::Error::custom("map"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Never> {
        Err(ser::Error::custom("struct"))
    }
}

impl<'t> LineSink<'t> {
    /// Writes `v` (a `LogLine`) into the current row.
    pub(crate) fn write<T: Serialize>(self, v: &T) {
        // Errors cannot happen for the shapes of SCHEMA.md; a value of another
        // shape is left out of its column (null) rather than failing the line.
        let _ = v.serialize(V {
            t: self.t,
            target: Target::Skip,
        });
    }
}

/// Writes one value into column `c` as its JSON would be (an enum as its
/// name), for the direct writers of `direct.rs`.
pub(crate) fn put_value<T: Serialize + ?Sized>(t: &mut Table, c: C, v: &T) {
    let _ = v.serialize(V {
        t,
        target: Target::Col(c),
    });
}
