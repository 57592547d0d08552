//! Host descriptions: the `H=` value of arrival and reject lines (`host.c
//! host_build_sender_fullhost`) and of delivery lines (`deliver.c d_hostlog`).

use crate::text::Text;

/// A remote host as logged in `H=`.
///
/// On arrival and reject lines the shape is `[name ][(helo) ]"["ip"]"[:port]`
/// (spec §"Logging message reception"); only the final bracketed address is
/// reliable, since the HELO text is chosen by the client. On delivery lines it is
/// `name[ DS] "["ip"]"[:port][*]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Host<'a> {
    /// Verified reverse-DNS name (arrivals) or target host name (deliveries).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub name: Option<Text<'a>>,
    /// The HELO/EHLO argument, without the parentheses.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub helo: Option<Text<'a>>,
    /// The IP address, without brackets.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub ip: Option<Text<'a>>,
    /// The port (`+incoming_port` / `+outgoing_port`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub port: Option<u16>,
    /// RFC 1413 ident, where the line carries one inside the host value.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub ident: Option<Text<'a>>,
    /// `DS`: the host lookup was DNSSEC-secured (`+dnssec`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub dnssec: bool,
    /// Trailing `*` on a delivery: a later message on a reused connection.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub connection_reused: bool,
}

/// A local or proxy endpoint `[ip]:port` (`I=`, `PRX=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Endpoint<'a> {
    /// The IP address, without brackets.
    pub ip: Text<'a>,
    /// The port, when logged.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub port: Option<u16>,
}
