//! The columns of the most frequent events written straight from their
//! fields, without the `serde` walk of `sink.rs`.
//!
//! Arrivals, deliveries (and deferrals, failures) and `Completed` are most
//! of a mainlog's lines; through the serde sink each value went through a
//! key lookup by name and a text conversion, ~6,200 instructions a line
//! against the parse's ~575 (callgrind, `benches/examples/arrow_ratio`).
//! Here each field goes to its column by index. The values are those of the
//! JSON (SCHEMA.md): `tests/arrow_lines.rs` compares every column with the
//! JSON of the same line over the corpus, so a field written differently
//! here, or missed, fails it. Every other event still takes the serde sink.

use std::borrow::Cow;

use super::columns::{C, Col, Table};
use crate::duration::LogDuration;
use crate::event::{
    AddressList, Arguments, Arrival, Auth, Completed, Delivery, Field, Peer, Reject, Session, Tls,
};
use crate::host::{Endpoint, Host};
use crate::text::{Quoted, Text, lossy};

impl Table {
    /// Column `c` for this row's value (see [`Table::col`]).
    #[inline]
    fn at(&mut self, c: C) -> Option<&mut Col> {
        self.col(c as usize)
    }

    /// A string (or dictionary-encoded string) value.
    #[inline]
    pub(crate) fn put_str(&mut self, c: C, v: &str) {
        self.str_at(c as usize, v);
    }

    /// A static text (an event name, a flag), see [`Table::static_at`].
    #[inline]
    pub(crate) fn put_static(&mut self, c: C, v: &'static str) {
        self.static_at(c as usize, v);
    }

    /// Text as its JSON is: the bytes, made UTF-8 (lossy) for the column.
    #[inline]
    pub(crate) fn put_bytes(&mut self, c: C, v: &[u8]) {
        self.bytes_at(c as usize, v);
    }

    #[inline]
    fn put_text(&mut self, c: C, v: Text<'_>) {
        self.put_bytes(c, v.as_bytes());
    }

    #[inline]
    fn put_opt(&mut self, c: C, v: Option<Text<'_>>) {
        if let Some(v) = v {
            self.put_text(c, v);
        }
    }

    /// A quoted value, decoded as its JSON is.
    #[inline]
    fn put_quoted(&mut self, c: C, v: Option<Quoted<'_>>) {
        if let Some(q) = v
            && self.has(c)
        {
            self.put_bytes(c, &q.decode());
        }
    }

    #[inline]
    pub(crate) fn put_int(&mut self, c: C, v: i64) {
        self.int_at(c as usize, v);
    }

    #[inline]
    fn put_uint(&mut self, c: C, v: Option<u64>) {
        if let Some(v) = v {
            self.put_int(c, i64::try_from(v).unwrap_or(i64::MAX));
        }
    }

    /// `true` only: JSON leaves a false flag out, so its column is null.
    #[inline]
    fn put_flag(&mut self, c: C, v: bool) {
        if v {
            self.bool_at(c as usize, true);
        }
    }

    #[inline]
    fn put_duration(&mut self, c: C, v: Option<LogDuration>) {
        if let Some(d) = v {
            self.float_at(c as usize, d.as_secs_f64());
        }
    }

    fn put_host(&mut self, h: &Option<Host<'_>>) {
        let Some(h) = h else { return };
        self.put_opt(C::host_name, h.name);
        self.put_opt(C::host_helo, h.helo);
        self.put_opt(C::host_ip, h.ip);
        if let Some(p) = h.port {
            self.put_int(C::host_port, i64::from(p));
        }
        self.put_opt(C::host_ident, h.ident);
        self.put_flag(C::host_dnssec, h.dnssec);
        self.put_flag(C::host_connection_reused, h.connection_reused);
    }

    fn put_endpoint(&mut self, ip: C, port: C, e: &Option<Endpoint<'_>>) {
        let Some(e) = e else { return };
        self.put_text(ip, e.ip);
        if let Some(p) = e.port {
            self.put_int(port, i64::from(p));
        }
    }

    fn put_tls(&mut self, t: &Option<Tls<'_>>) {
        let Some(t) = t else { return };
        self.put_opt(C::tls_cipher, t.cipher);
        self.put_flag(C::tls_resumed, t.resumed);
        self.put_opt(C::tls_certificate_verified, t.certificate_verified);
        self.put_quoted(C::tls_peer_dn, t.peer_dn);
        self.put_opt(C::tls_sni, t.sni);
    }

    fn put_auth(&mut self, a: &Option<Auth<'_>>) {
        let Some(a) = a else { return };
        self.put_text(C::auth_authenticator, a.authenticator);
        self.put_opt(C::auth_id, a.id);
        self.put_opt(C::auth_sender, a.sender);
    }

    fn put_recipients(&mut self, r: &Option<AddressList<'_>>) {
        let Some(r) = r else { return };
        self.put_list(C::recipients, r.iter().map(|a| Cow::Borrowed(a.as_bytes())));
    }

    /// A list column from its items' bytes (made UTF-8 as their JSON is, at
    /// `finish`); a list is written even when empty, as its JSON `[]` is.
    fn put_list<'x>(&mut self, c: C, items: impl Iterator<Item = Cow<'x, [u8]>>) {
        let row = self.rows;
        if let Some(Col::List(b)) = self.at(c) {
            b.begin();
            for i in items {
                b.item(&i);
            }
            b.end(row);
        }
    }

    fn put_other_fields(&mut self, f: &[Field<'_>]) {
        if f.is_empty() {
            return;
        }
        let Some(Col::Fields(b)) = self.at(C::other_fields) else {
            return;
        };
        let s = b.values();
        for field in f {
            if let Some(t) = s.field_builder::<arrow_array::builder::StringBuilder>(0) {
                t.append_value(lossy(field.tag.as_bytes()));
            }
            if let Some(v) = s.field_builder::<arrow_array::builder::StringBuilder>(1) {
                match field.value {
                    Some(x) => v.append_value(lossy(x.as_bytes())),
                    None => v.append_null(),
                }
            }
            s.append(true);
        }
        b.append(true);
    }

    /// The fields of an arrival (`<=`, `(=`), in JSON order.
    pub(crate) fn put_arrival(&mut self, a: &Arrival<'_>) {
        self.put_text(C::sender, a.sender);
        if let Some(id) = a.bounce_parent {
            self.put_str(C::bounce_parent, id.as_str());
        }
        self.put_host(&a.host);
        self.put_endpoint(C::interface_ip, C::interface_port, &a.interface);
        self.put_opt(C::tcp_fast_open, a.tcp_fast_open);
        self.put_opt(C::user, a.user);
        self.put_uint(C::connection_id, a.connection_id);
        self.put_opt(C::protocol, a.protocol);
        self.put_opt(C::pipelining, a.pipelining);
        self.put_opt(C::spf, a.spf);
        self.put_tls(&a.tls);
        self.put_auth(&a.auth);
        self.put_flag(C::prdr, a.prdr);
        // `proxy` is a bare IP on arrivals.
        self.put_opt(C::proxy_ip, a.proxy);
        self.put_flag(C::chunking, a.chunking);
        self.put_uint(C::size, a.size);
        self.put_uint(C::mime_8bit, a.mime_8bit.map(u64::from));
        self.put_opt(C::dkim, a.dkim);
        self.put_flag(C::arc, a.arc);
        self.put_opt(C::dmarc, a.dmarc);
        self.put_duration(C::receive_time, a.receive_time);
        self.put_opt(C::queue, a.queue);
        self.put_opt(C::header_id, a.header_id);
        self.put_flag(C::header_id_created, a.header_id_created);
        if let Some(q) = a.subject
            && (self.has(C::subject) || self.has(C::subject_decoded))
        {
            // As `Arrival`'s JSON: the logged text, and the decoded one
            // only when it differs (decoded only when its column is kept).
            let bytes = q.decode();
            let logged = String::from_utf8_lossy(&bytes);
            self.put_str(C::subject, &logged);
            if self.has(C::subject_decoded) {
                let decoded = crate::mime::decode_header(&bytes);
                if decoded != logged {
                    self.put_str(C::subject_decoded, &decoded);
                }
            }
        }
        self.put_opt(C::received_sender, a.received_sender);
        self.put_recipients(&a.recipients);
        self.put_other_fields(&a.other_fields);
    }

    /// The fields of a delivery, deferral or failure, in JSON order.
    pub(crate) fn put_delivery(&mut self, d: &Delivery<'_>) {
        self.put_text(C::recipient, d.address);
        self.put_opt(C::parents, d.parents);
        self.put_opt(C::original_recipient, d.original);
        self.put_opt(C::sender, d.sender);
        self.put_opt(C::queue, d.queue);
        self.put_opt(C::return_path, d.return_path);
        self.put_opt(C::router, d.router);
        self.put_opt(C::transport, d.transport);
        self.put_uint(C::size, d.size);
        self.put_host(&d.host);
        self.put_endpoint(C::proxy_ip, C::proxy_port, &d.proxy);
        self.put_endpoint(C::interface_ip, C::interface_port, &d.interface);
        self.put_opt(C::tcp_fast_open, d.tcp_fast_open);
        self.put_opt(C::protocol_detail, d.protocol_detail);
        self.put_tls(&d.tls);
        self.put_auth(&d.auth);
        self.put_opt(C::pipelining, d.pipelining);
        self.put_flag(C::prdr, d.prdr);
        self.put_flag(C::chunking, d.chunking);
        self.put_opt(C::dkim, d.dkim);
        self.put_opt(C::shadow_transport, d.shadow_transport);
        self.put_quoted(C::confirmation, d.confirmation);
        self.put_duration(C::queue_time, d.queue_time);
        self.put_duration(C::delivery_time, d.delivery_time);
        self.put_flag(C::routing, d.routing);
        if let Some(e) = d.errno {
            self.put_int(C::errno, i64::from(e));
        }
        self.put_opt(C::error, d.error);
        self.put_opt(C::message, d.message);
        self.put_other_fields(&d.other_fields);
    }

    /// The fields a session or rejection line logs about the remote host,
    /// in JSON order (`Peer` is flattened into the line's object).
    fn put_peer(&mut self, p: &Peer<'_>) {
        self.put_host(&p.host);
        self.put_endpoint(C::interface_ip, C::interface_port, &p.interface);
        self.put_opt(C::user, p.user);
        self.put_uint(C::connection_id, p.connection_id);
        self.put_flag(C::dnssec, p.dnssec);
        self.put_tls(&p.tls);
        self.put_opt(C::sender, p.sender);
        self.put_auth(&p.auth);
        self.put_opt(C::protocol, p.protocol);
    }

    /// The fields of a connection/SMTP session line, in JSON order.
    pub(crate) fn put_session(&mut self, s: &Session<'_>) {
        self.put_peer(&s.peer);
        self.put_duration(C::duration, s.duration);
        if let Some(c) = s.commands
            && self.has(C::commands)
        {
            self.put_list(C::commands, c.iter().map(|t| Cow::Borrowed(t.as_bytes())));
        }
        self.put_opt(C::command, s.command);
        self.put_uint(C::connection_count, s.connection_count.map(u64::from));
        self.put_opt(C::from, s.from);
        self.put_recipients(&s.recipients);
        self.put_opt(C::reason, s.reason);
    }

    /// The fields of a rejection (`rejected`, `dropped`, `discarded`), in
    /// JSON order.
    pub(crate) fn put_reject(&mut self, r: &Reject<'_>) {
        self.put_peer(&r.peer);
        if self.has(C::stage) {
            super::sink::put_value(self, C::stage, &r.stage);
        }
        self.put_text(C::what, r.what);
        self.put_opt(C::recipient, r.recipient);
        // Always in the JSON, `false` too.
        self.bool_at(C::temporary as usize, r.temporary);
        self.put_opt(C::reason, r.reason);
    }

    /// The fields of an args line (`cwd=... N args: ...`).
    pub(crate) fn put_arguments(&mut self, a: &Arguments<'_>) {
        self.put_text(C::cwd, a.cwd);
        self.put_int(C::argc, i64::from(a.argc));
        if self.has(C::args) {
            // Borrowed from the line unless an argument had escapes.
            self.put_list(C::args, a.args.iter().map(|q| q.decode()));
        }
    }

    /// The fields of `Completed`.
    pub(crate) fn put_completed(&mut self, c: &Completed) {
        self.put_duration(C::queue_time, c.queue_time);
    }
}
