//! The messages table: one row per assembled message.

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};

use super::ArrowOptions;
use super::columns::{Col, Kind, Table};
use crate::assemble::{LineKind, Message};
use crate::{Flag, Timestamp};

macro_rules! message_columns {
    ($($c:ident $kind:ident,)*) => {
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy)]
        #[repr(usize)]
        enum M { $($c,)* }
        const MESSAGE_COLUMNS: &[(&str, Kind)] = &[$((stringify!($c), Kind::$kind),)*];
    };
}

message_columns! {
    server Dict,
    message_id Str,
    status Dict,
    continued Bool,
    arrival_time Time,
    utc_offset_minutes Int,
    first_time Time,
    last_time Time,
    queue_time Float,
    sender Str,
    bounce Bool,
    bounce_parent Str,
    size Int,
    protocol Dict,
    host_name Str,
    host_helo Str,
    host_ip Str,
    user Str,
    login Str,
    auth_authenticator Str,
    subject Str,
    recipients List,
    deliveries Int,
    remote_deliveries Int,
    deferrals Int,
    remote_deferrals Int,
    failures Int,
    bounces Int,
    cwd Str,
    args List,
    link Dict,
    lines Int,
}

/// Builds the messages table, one row per [`Message`] pushed: its arrival
/// (`<=`) fields, counts of its delivery (`=>` `->` `>>` `*>`), deferral (`==`)
/// and failure (`**`) lines, first/last times, and the linked submission
/// (`cwd=` and args of [`Message::submission`]). `login` is the
/// authenticated id of `A=` (the authenticator's name when no id is logged),
/// as `spam-sources` counts it.
pub struct MessagesBuilder {
    table: Table,
    server: Option<String>,
}

impl std::fmt::Debug for MessagesBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessagesBuilder")
            .field("rows", &self.table.rows)
            .field("server", &self.server)
            .finish()
    }
}

fn micros(t: Timestamp) -> i64 {
    t.unix_millis().saturating_mul(1000)
}

impl MessagesBuilder {
    /// An empty table (`opts.raw` does not apply: a message's lines are in the lines table).
    pub fn new(opts: ArrowOptions) -> Self {
        let server = opts.server.is_some();
        MessagesBuilder {
            table: Table::new(MESSAGE_COLUMNS, |i| i != M::server as usize || server),
            server: opts.server,
        }
    }

    /// The schema of the batches this builder makes.
    pub fn schema(&self) -> SchemaRef {
        self.table.schema()
    }

    /// Messages pushed since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.table.rows
    }

    /// True when no message was pushed since the last [`finish`](Self::finish).
    pub fn is_empty(&self) -> bool {
        self.table.rows == 0
    }

    fn str(&mut self, c: M, v: impl AsRef<str>) {
        self.table.str_at(c as usize, v.as_ref());
    }

    fn int(&mut self, c: M, v: i64) {
        self.table.int_at(c as usize, v);
    }

    fn time(&mut self, c: M, t: Option<Timestamp>) {
        if let Some(t) = t {
            self.table.time_at(c as usize, micros(t));
        }
    }

    fn list<'x>(&mut self, c: M, items: impl Iterator<Item = std::borrow::Cow<'x, str>>) {
        let row = self.table.rows;
        if let Some(Col::List(b)) = self.table.col(c as usize) {
            b.begin();
            for i in items {
                b.item(i.as_bytes());
            }
            b.end(row);
        }
    }

    /// Adds a message.
    pub fn push(&mut self, m: &Message) {
        if let Some(s) = self.server.clone() {
            self.str(M::server, s);
        }
        self.str(M::message_id, m.id().as_str());
        self.str(M::status, m.status.name());
        self.table.bool_at(M::continued as usize, m.continued);
        self.time(M::first_time, m.first_time());
        self.time(M::last_time, m.last_time());
        if let Some(q) = m.queue_time() {
            self.table.float_at(M::queue_time as usize, q.as_secs_f64());
        }
        if let Some(p) = &m.bounce_parent {
            self.str(M::bounce_parent, p);
        }
        self.int(M::bounces, m.bounces.len() as i64);
        self.int(M::lines, m.lines.len() as i64);
        // Everything below comes from what the assembler kept of each
        // line's parse (`MessageLine`'s facts): no message line is parsed again.
        if let Some(line) = m
            .arrival_line()
            .filter(|l| l.kind() == LineKind::Arrival && l.flag() == Some(Flag::Arrival))
        {
            let ts = line.timestamp();
            self.time(M::arrival_time, Some(ts));
            if let Some(off) = ts.utc_offset_minutes {
                self.int(M::utc_offset_minutes, i64::from(off));
            }
            if let Some(sender) = line.sender() {
                self.str(M::sender, sender.to_string_lossy());
                self.table
                    .bool_at(M::bounce as usize, sender.as_bytes() == b"<>");
            }
            if let Some(s) = line.size() {
                self.int(M::size, i64::try_from(s).unwrap_or(i64::MAX));
            }
            if let Some(p) = line.protocol() {
                self.str(M::protocol, p.to_string_lossy());
            }
            for (c, v) in [
                (M::host_name, line.host_name()),
                (M::host_helo, line.helo()),
                (M::host_ip, line.host_ip()),
            ] {
                if let Some(v) = v {
                    self.str(c, v.to_string_lossy());
                }
            }
            if let Some(u) = line.user() {
                self.str(M::user, u.to_string_lossy());
            }
            if let Some(au) = line.authenticator() {
                self.str(M::login, line.auth_id().unwrap_or(au).to_string_lossy());
                self.str(M::auth_authenticator, au.to_string_lossy());
            }
            if let Some(s) = line.subject_decoded() {
                self.str(M::subject, s);
            }
            if let Some(r) = line.recipients() {
                self.list(M::recipients, r.iter().map(|t| t.to_string_lossy()));
            }
        }
        let (mut delivered, mut remote, mut deferred, mut remote_deferred, mut failed) =
            (0, 0, 0, 0, 0);
        for l in &m.lines {
            match l.kind() {
                LineKind::Delivery => {
                    delivered += 1;
                    remote += i64::from(l.has_host());
                }
                LineKind::Deferral => {
                    deferred += 1;
                    remote_deferred += i64::from(l.has_host());
                }
                LineKind::Failure => failed += 1,
                _ => {}
            }
        }
        self.int(M::deliveries, delivered);
        self.int(M::remote_deliveries, remote);
        self.int(M::deferrals, deferred);
        self.int(M::remote_deferrals, remote_deferred);
        self.int(M::failures, failed);
        if let Some(sub) = m.submission() {
            if let Some(cwd) = sub.cwd() {
                self.str(M::cwd, String::from_utf8_lossy(cwd));
            }
            self.str(M::link, sub.link.name());
            if let Some(args) = sub.arguments() {
                self.list(
                    M::args,
                    args.args
                        .iter()
                        .map(|q| std::borrow::Cow::Owned(q.to_string_lossy())),
                );
            }
        }
        self.table.end_row();
    }

    /// The messages pushed so far as a batch; the builder starts empty again.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.table.finish()
    }
}
