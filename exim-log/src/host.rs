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
#[non_exhaustive]
pub struct Host<'a> {
    /// Verified reverse-DNS name (arrivals) or target host name (deliveries).
    pub name: Option<Text<'a>>,
    /// The HELO/EHLO argument, without the parentheses.
    pub helo: Option<Text<'a>>,
    /// The IP address, without brackets.
    pub ip: Option<Text<'a>>,
    /// The port (`+incoming_port` / `+outgoing_port`).
    pub port: Option<u16>,
    /// RFC 1413 ident, where the line carries one inside the host value.
    pub ident: Option<Text<'a>>,
    /// `DS`: the host lookup was DNSSEC-secured (`+dnssec`).
    pub dnssec: bool,
    /// Trailing `*` on a delivery: a later message on a reused connection.
    pub connection_reused: bool,
}

crate::json_object::json_object!(Host<'a>, struct {
    opt name,
    opt helo,
    opt ip,
    opt port,
    opt ident,
    opt dnssec,
    opt connection_reused,
});

/// A local or proxy endpoint `[ip]:port` (`I=`, `PRX=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Endpoint<'a> {
    /// The IP address, without brackets.
    pub ip: Text<'a>,
    /// The port, when logged.
    pub port: Option<u16>,
}

crate::json_object::json_object!(Endpoint<'a>, struct {
    req ip,
    opt port,
});
