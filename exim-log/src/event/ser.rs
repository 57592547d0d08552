//! JSON of [`crate::LogLine`] and [`Event`]: one flat object, the prefix
//! keys, `"event": name`, the fields of the event's struct, `raw` (SCHEMA.md).
//!
//! Each struct declares its entries once with [`crate::json_object`], which
//! generates both its `Serialize` and its part of the NDJSON writer
//! ([`crate::json::write_line`]); an event writes its name, then its
//! struct's entries straight into the line's object (serde's `flatten` of
//! an internally tagged enum, without serde's adapter serializers).

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::Event;
use crate::json::{Object, Value};
use crate::line::LogLine;

/// `$body` with `$x` bound to the payload struct of `$event` (nothing for
/// `Unknown`): the one list of which struct each event carries, for the
/// writer and for serde alike. An exhaustive match: a new variant fails to
/// compile until it is added here.
macro_rules! with_payload {
    ($event:expr, $x:ident => $body:expr, unknown => $unknown:expr) => {
        match $event {
            Event::Arrival($x) => $body,
            Event::Delivery($x) | Event::Deferral($x) | Event::Failure($x) => $body,
            Event::Completed($x) => $body,
            Event::Arguments($x) => $body,
            Event::DaemonStarted($x) => $body,
            Event::QueueRun($x) => $body,
            session_events!($x) => $body,
            Event::Rejection($x) | Event::Dropped($x) | Event::Discarded($x) => $body,
            Event::SenderVerify($x) => $body,
            Event::Warning($x) => $body,
            Event::AuthFailed($x) => $body,
            note_events!($x) => $body,
            Event::DaemonSignal($x) => $body,
            Event::ErrorIgnored($x) => $body,
            Event::TransportOutput($x) => $body,
            Event::Dkim($x) => $body,
            Event::Rewrite($x) => $body,
            Event::Prdr($x) => $body,
            Event::AdminAction($x) => $body,
            Event::SaExim($x) => $body,
            Event::SystemNotice($x) => $body,
            Event::DmarcResult($x) => $body,
            Event::Unknown => $unknown,
        }
    };
}

impl Object for Event<'_> {
    #[inline]
    fn write_fields(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b",\"event\":\"");
        // Names are snake_case ASCII: nothing to escape.
        out.extend_from_slice(self.name().as_bytes());
        out.push(b'"');
        with_payload!(self, x => x.write_fields(out), unknown => ())
    }

    fn serialize_entries<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("event", self.name())?;
        with_payload!(self, x => x.serialize_entries(map), unknown => Ok(()))
    }
}

impl Serialize for Event<'_> {
    /// `{"event": name, ...the fields of its struct}` (SCHEMA.md).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        self.serialize_entries(&mut map)?;
        map.end()
    }
}

crate::json_object::json_object!(LogLine<'a>, map {
    req timestamp,
    opt pid,
    opt message_id,
    opt flag,
    flat event,
    req raw,
});

impl Value for super::Flag {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        // `<=`, `=>`, ...: nothing to escape.
        out.push(b'"');
        out.extend_from_slice(self.as_str().as_bytes());
        out.push(b'"');
    }
}

impl Value for crate::message_id::MessageId<'_> {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        crate::json::write_text(out, self.as_bytes());
    }
}

impl Value for super::AddressList<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        crate::json::write_array(out, self.iter());
    }
}

impl Value for super::CommandList<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        crate::json::write_array(out, self.iter());
    }
}

impl Value for super::ArgList<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        crate::json::write_array(out, self.iter());
    }
}

crate::json::value_via_serde!(
    super::Stage,
    super::QueuePhase,
    super::AdminKind,
    super::SystemKind
);
