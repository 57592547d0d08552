//! `Serialize` of [`crate::LogLine`] and [`Event`] without serde's generic
//! `flatten` and internally-tagged-enum machinery.
//!
//! A line's JSON is one flat object: the prefix keys, `"event": name`, the
//! fields of the event's struct, `raw` (SCHEMA.md). Derived with
//! `#[serde(flatten)]` and `#[serde(tag = "event")]`, every field went through
//! two adapter serializers (serde's `FlatMapSerializer` and
//! `TaggedSerializer`), and the structs with a flattened member were written
//! as maps with dynamic keys; that machinery, not the writing, was most of
//! `exim-log ndjson`'s cost (callgrind; numbers in benches/README.md). Here
//! the event's struct writes its fields straight into the line's map through
//! [`Fields`]; each struct keeps its derived (or hand-written) `Serialize`,
//! so the schema is still written down once, on the structs.

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeStruct, Serializer};

use super::Event;
use crate::line::LogLine;

impl Event<'_> {
    /// Writes `"event": name` and the fields of the event into `map`.
    pub(crate) fn serialize_into<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("event", self.name())?;
        let fields = Fields(map);
        match self {
            Event::Arrival(a) => a.serialize(fields),
            Event::Delivery(d) | Event::Deferral(d) | Event::Failure(d) => d.serialize(fields),
            Event::Completed(c) => c.serialize(fields),
            Event::Arguments(a) => a.serialize(fields),
            Event::DaemonStarted(d) => d.serialize(fields),
            Event::QueueRun(q) => q.serialize(fields),
            session_events!(s) => s.serialize(fields),
            Event::Rejection(r) | Event::Dropped(r) | Event::Discarded(r) => r.serialize(fields),
            Event::SenderVerify(v) => v.serialize(fields),
            Event::Warning(w) => w.serialize(fields),
            Event::AuthFailed(a) => a.serialize(fields),
            note_events!(n) => n.serialize(fields),
            Event::DaemonSignal(d) => d.serialize(fields),
            Event::ErrorIgnored(e) => e.serialize(fields),
            Event::TransportOutput(t) => t.serialize(fields),
            Event::Dkim(d) => d.serialize(fields),
            Event::Rewrite(r) => r.serialize(fields),
            Event::Prdr(p) => p.serialize(fields),
            Event::AdminAction(a) => a.serialize(fields),
            Event::SaExim(s) => s.serialize(fields),
            Event::SystemNotice(s) => s.serialize(fields),
            Event::DmarcResult(d) => d.serialize(fields),
            Event::Unknown => Ok(()),
        }
    }
}

impl Serialize for Event<'_> {
    /// `{"event": name, ...the fields of its struct}` (SCHEMA.md).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        self.serialize_into(&mut map)?;
        map.end()
    }
}

impl Serialize for LogLine<'_> {
    /// `timestamp`, `pid`, `message_id`, `flag` (when present), the event
    /// (`event` and its fields), `raw` (SCHEMA.md).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("timestamp", &self.timestamp)?;
        if let Some(pid) = self.pid {
            map.serialize_entry("pid", &pid)?;
        }
        if let Some(id) = &self.message_id {
            map.serialize_entry("message_id", id)?;
        }
        if let Some(flag) = &self.flag {
            map.serialize_entry("flag", flag)?;
        }
        self.event.serialize_into(&mut map)?;
        map.serialize_entry("raw", &self.raw)?;
        map.end()
    }
}

/// A serializer that takes a struct (or a map) and writes its fields as
/// entries of the enclosing map `M`: serde's `#[serde(flatten)]` for the one
/// shape the events have, without its buffering of unknown shapes.
pub(crate) struct Fields<'m, M>(pub(crate) &'m mut M);

fn not_a_struct<E: ser::Error>() -> E {
    E::custom("an event's fields must be a struct or a map")
}

macro_rules! refuse {
    ($($f:ident $t:ty),*) => {$(
        fn $f(self, _v: $t) -> Result<(), M::Error> {
            Err(not_a_struct())
        }
    )*};
}

impl<'m, M: SerializeMap> Serializer for Fields<'m, M> {
    type Ok = ();
    type Error = M::Error;
    type SerializeSeq = Impossible<(), M::Error>;
    type SerializeTuple = Impossible<(), M::Error>;
    type SerializeTupleStruct = Impossible<(), M::Error>;
    type SerializeTupleVariant = Impossible<(), M::Error>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), M::Error>;

    refuse!(serialize_bool bool, serialize_i8 i8, serialize_i16 i16, serialize_i32 i32,
        serialize_i64 i64, serialize_u8 u8, serialize_u16 u16, serialize_u32 u32,
        serialize_u64 u64, serialize_f32 f32, serialize_f64 f64, serialize_char char,
        serialize_str &str, serialize_bytes &[u8]);

    fn serialize_none(self) -> Result<(), M::Error> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), M::Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), M::Error> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), M::Error> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
    ) -> Result<(), M::Error> {
        Err(not_a_struct())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), M::Error> {
        Err(not_a_struct())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, M::Error> {
        Err(not_a_struct())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, M::Error> {
        Err(not_a_struct())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, M::Error> {
        Err(not_a_struct())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, M::Error> {
        Err(not_a_struct())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self, M::Error> {
        Ok(self)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, M::Error> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, M::Error> {
        Err(not_a_struct())
    }
}

impl<M: SerializeMap> SerializeStruct for Fields<'_, M> {
    type Ok = ();
    type Error = M::Error;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        self.0.serialize_entry(key, value)
    }

    fn end(self) -> Result<(), M::Error> {
        Ok(())
    }
}

impl<M: SerializeMap> SerializeMap for Fields<'_, M> {
    type Ok = ();
    type Error = M::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), M::Error> {
        self.0.serialize_key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), M::Error> {
        self.0.serialize_value(value)
    }

    #[inline]
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), M::Error> {
        self.0.serialize_entry(key, value)
    }

    fn end(self) -> Result<(), M::Error> {
        Ok(())
    }
}
