//! What a log line says: the [`Event`] enum and the field structs of its variants.
//!
//! Every struct here borrows from the line it was parsed from. Serialization
//! follows `SCHEMA.md`: absent fields are omitted, the event name is the
//! `event` key.

use serde::Serialize;

use crate::text::Text;

mod message;
mod process;

pub use message::{Arrival, Auth, Completed, Delivery, Tls};
pub use process::{ArgIter, ArgList, Arguments};

/// The event a log line records. The set grows as Exim grows: match with a `_` arm.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event<'a> {
    /// `<=` message arrival, or `(=` fake-reject arrival.
    Arrival(Arrival<'a>),
    /// `=>`, `->`, `>>` or `*>`: a successful (or suppressed) delivery.
    Delivery(Delivery<'a>),
    /// `==`: delivery deferred (temporary failure).
    Deferral(Delivery<'a>),
    /// `**`: delivery failed permanently (the address bounced).
    Failure(Delivery<'a>),
    /// `Completed`: every address of the message is done.
    Completed(Completed),
    /// `cwd=DIR N args: ...` (`+arguments`): an Exim process started, with its command line.
    Arguments(Arguments<'a>),
    /// A line this library does not (yet) understand. Its text is in [`crate::LogLine::raw`].
    Unknown,
}

impl Event<'_> {
    /// The `event` name used in JSON (`arrival`, `delivery`, ..., `unknown`).
    pub fn name(&self) -> &'static str {
        match self {
            Event::Arrival(_) => "arrival",
            Event::Delivery(_) => "delivery",
            Event::Deferral(_) => "deferral",
            Event::Failure(_) => "failure",
            Event::Completed(_) => "completed",
            Event::Arguments(_) => "arguments",
            Event::Unknown => "unknown",
        }
    }
}

/// The two-character flag after the message id (spec §"Log line flags").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flag {
    /// `<=` arrival.
    Arrival,
    /// `(=` fake-reject arrival (`control = fakereject`).
    FakeReject,
    /// `=>` delivery.
    Delivery,
    /// `->` additional address in the same delivery.
    Additional,
    /// `>>` cutthrough delivery (logged before the `<=` line).
    Cutthrough,
    /// `*>` delivery suppressed by `-N`.
    Suppressed,
    /// `**` permanent failure.
    Failure,
    /// `==` deferral.
    Deferral,
}

impl Flag {
    /// The flag as logged, e.g. `"<="`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Flag::Arrival => "<=",
            Flag::FakeReject => "(=",
            Flag::Delivery => "=>",
            Flag::Additional => "->",
            Flag::Cutthrough => ">>",
            Flag::Suppressed => "*>",
            Flag::Failure => "**",
            Flag::Deferral => "==",
        }
    }

    /// Recognizes the two flag bytes.
    pub fn from_bytes(b: &[u8]) -> Option<Flag> {
        Some(match b {
            b"<=" => Flag::Arrival,
            b"(=" => Flag::FakeReject,
            b"=>" => Flag::Delivery,
            b"->" => Flag::Additional,
            b">>" => Flag::Cutthrough,
            b"*>" => Flag::Suppressed,
            b"**" => Flag::Failure,
            b"==" => Flag::Deferral,
            _ => return None,
        })
    }
}

impl Serialize for Flag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A tag this library has no dedicated field for, kept in order so nothing is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Field<'a> {
    /// The tag before `=`, or the whole bare token (e.g. `ARC`).
    pub tag: Text<'a>,
    /// The value after `=`, absent for bare tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Text<'a>>,
}

/// A space-separated list of raw addresses (the ` for a b c` tail of `<=`).
/// A quoted local part may contain spaces; iteration keeps it whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct AddressList<'a>(Text<'a>);

impl<'a> AddressList<'a> {
    /// Wraps the raw list text.
    pub const fn new(raw: Text<'a>) -> Self {
        AddressList(raw)
    }

    /// The list exactly as logged.
    pub const fn raw(&self) -> Text<'a> {
        self.0
    }

    /// True when the list holds no address.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The addresses, in logged order, borrowed from the line.
    pub fn iter(&self) -> AddressIter<'a> {
        AddressIter {
            rest: self.0.as_bytes(),
        }
    }
}

/// Iterator over an [`AddressList`].
#[derive(Clone, Debug)]
pub struct AddressIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for AddressIter<'a> {
    type Item = Text<'a>;

    fn next(&mut self) -> Option<Text<'a>> {
        let start = self.rest.iter().position(|b| *b != b' ')?;
        let s = self.rest.get(start..)?;
        let (item, rest) = crate::parse::fields::address(s);
        self.rest = rest;
        Some(Text::new(item))
    }
}

impl Serialize for AddressList<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}
