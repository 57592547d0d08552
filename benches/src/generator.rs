//! The simulation: message lifecycles and SMTP sessions scheduled on a clock,
//! written in time order.
//!
//! Each activity (an inbound message, a script submission, a dictionary attack...)
//! is laid out in full when it starts: its lines get future timestamps and go into
//! a min-heap. The clock then advances to the next activity, writing every line
//! that is due. Deferred addresses are retried by the queue runner, which starts
//! every 15 minutes (`Start queue run` / `End queue run`).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashSet};
use std::io::{self, Write};

use exim_log::IdFormat;

use crate::Config;
use crate::catalog::{self, Catalog, HOSTNAME, OUR_IP, Remote, SPAM_SUBJECTS, SUBJECTS};
use crate::clock::{message_id, write_duration, write_timestamp};
use crate::rng::Rng;
use crate::truth::{MessageTruth, Origin, Truth};

/// Seconds between queue runs (the daemon's `-q15m`).
const QUEUE_INTERVAL_MS: i64 = 15 * 60 * 1000;
/// The daemon's working directory.
const SPOOL: &str = "/var/spool/exim";
const TLS13: &str = "TLS1.3:TLS_AES_256_GCM_SHA384:256";
const TLS12: &str = "TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256";

/// One line waiting for its time. Ordered by time, then by creation order, so
/// lines of one activity that share a millisecond keep their order.
struct Pending {
    at: i64,
    seq: u64,
    pid: u32,
    body: Vec<u8>,
    /// `Start queue run` of run number `k`: schedule run `k + 1` when written.
    queue_run: Option<i64>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    // Reversed: BinaryHeap is a max-heap and we want the earliest line first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A message being laid out: its id and its slot in [`Truth::messages`].
#[derive(Clone)]
struct Msg {
    id: String,
    slot: Option<usize>,
    sender: String,
    size: u64,
    /// Reception end (the `<=` line), for `QT=`.
    received_at: i64,
}

/// What happened to one recipient on a delivery attempt.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Delivered,
    Greylisted,
    Unknown,
}

/// Who a bounce goes back to.
enum BounceTo {
    /// A local system user (`user@HOSTNAME`): delivered by `localuser`.
    System(String),
    /// A hosted mailbox `local@domain`: delivered by `virtual_user`.
    Mailbox(String, String),
    /// A remote, usually forged, sender: the bounce fails and is frozen.
    Remote(String),
}

/// The generator state.
pub(crate) struct Generator<'c> {
    cfg: &'c Config,
    rng: Rng,
    cat: Catalog,
    heap: BinaryHeap<Pending>,
    seq: u64,
    /// The latest time any activity line is scheduled for.
    last_at: i64,
    next_pid: u32,
    /// Message ids issued, with their second, for the uniqueness check.
    ids: HashSet<String>,
    ids_by_second: BTreeMap<i64, Vec<String>>,
    pub(crate) truth: Truth,
    /// Spam actors.
    spam_scripts: Vec<(usize, String)>,
    spam_logins: Vec<(usize, String, String)>,
    attackers: Vec<(String, String)>,
}

/// Appends `T="..."`-escaped `subject` (§7: `"` and `\` get a backslash, then
/// `string_printing`: TAB stays, newline is `\n`, other control bytes `\ooo`;
/// bytes above 127 raw when `top_bit_raw` (`print_topbitchars`), else `\ooo`).
fn push_subject(out: &mut Vec<u8>, subject: &[u8], top_bit_raw: bool) {
    out.extend_from_slice(b" T=\"");
    for &b in subject.iter().take(100) {
        match b {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' | 32..=126 => out.push(b),
            128..=255 if top_bit_raw => out.push(b),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push(b'"');
}

impl<'c> Generator<'c> {
    pub(crate) fn new(cfg: &'c Config) -> Self {
        let mut rng = Rng::new(cfg.seed);
        let cat = Catalog::new(&mut rng);
        let mut g = Generator {
            cfg,
            rng,
            cat,
            heap: BinaryHeap::new(),
            seq: 0,
            last_at: 0,
            next_pid: 1000,
            ids: HashSet::new(),
            ids_by_second: BTreeMap::new(),
            truth: Truth::default(),
            spam_scripts: Vec::new(),
            spam_logins: Vec::new(),
            attackers: Vec::new(),
        };
        g.cast_incidents();
        g
    }

    fn cast_incidents(&mut self) {
        let n = self.cat.accounts.len() as u64;
        for _ in 0..self.cfg.compromised_scripts {
            let a = self.rng.below(n) as usize;
            if let Some(acc) = self.cat.accounts.get(a) {
                let dir = Catalog::spam_dir(&mut self.rng, acc);
                self.truth.incidents.compromised_scripts.push(dir.clone());
                self.spam_scripts.push((a, dir));
            }
        }
        for _ in 0..self.cfg.spamming_logins {
            let a = self.rng.below(n) as usize;
            if let Some(acc) = self.cat.accounts.get(a) {
                let local = self.rng.pick_string(&acc.mailboxes);
                let login = format!("{local}@{}", acc.domain);
                self.truth.incidents.spamming_logins.push(login.clone());
                self.spam_logins
                    .push((a, login, catalog::public_ip(&mut self.rng)));
            }
        }
        for _ in 0..self.cfg.dictionary_attackers {
            let ip = catalog::public_ip(&mut self.rng);
            let helo = match self.rng.below(3) {
                0 => ip.clone(),
                1 => "User".to_string(),
                _ => format!(
                    "{}-{}.{}",
                    Catalog::word(&mut self.rng),
                    self.rng.range(1, 999),
                    Catalog::tld(&mut self.rng)
                ),
            };
            self.truth.incidents.dictionary_attackers.push(ip.clone());
            self.attackers.push((ip, helo));
        }
    }

    // ---- plumbing ---------------------------------------------------------

    fn pid(&mut self) -> u32 {
        self.next_pid += self.rng.range(1, 40) as u32;
        if self.next_pid > 4_000_000 {
            self.next_pid = 1000;
        }
        self.next_pid
    }

    fn push(&mut self, at: i64, pid: u32, body: Vec<u8>) {
        self.seq += 1;
        self.last_at = self.last_at.max(at);
        self.heap.push(Pending {
            at,
            seq: self.seq,
            pid,
            body,
            queue_run: None,
        });
    }

    /// Schedules a line about `msg`: `<id> <text>`.
    fn msg_line(&mut self, at: i64, pid: u32, msg: &Msg, text: &[u8]) {
        let mut body = Vec::with_capacity(msg.id.len() + 1 + text.len());
        body.extend_from_slice(msg.id.as_bytes());
        body.push(b' ');
        body.extend_from_slice(text);
        if let Some(m) = msg.slot.and_then(|i| self.truth.messages.get_mut(i)) {
            m.lines += 1;
        }
        self.push(at, pid, body);
    }

    /// A fresh, unique message id for a reception that started at `at`.
    fn new_id(&mut self, at: i64, pid: u32) -> String {
        let second = at.div_euclid(1000);
        // Ids are only ever issued for times at or after the clock, so older
        // seconds can be forgotten.
        while let Some((&s, _)) = self.ids_by_second.first_key_value() {
            if s >= second - 3600 {
                break;
            }
            if let Some((_, old)) = self.ids_by_second.pop_first() {
                for id in old {
                    self.ids.remove(&id);
                }
            }
        }
        let mut extra = self.rng.below(1000) as u32;
        let mut at = at;
        loop {
            let id = message_id(self.cfg.id_format, at, pid, extra);
            if self.ids.insert(id.clone()) {
                self.ids_by_second
                    .entry(at.div_euclid(1000))
                    .or_default()
                    .push(id.clone());
                return id;
            }
            extra = (extra + 1) % 1000;
            if extra == 0 {
                at += 1;
            }
        }
    }

    /// A new message; `links` are its script directory and bounce parent, for the truth.
    fn new_msg(
        &mut self,
        at: i64,
        pid: u32,
        origin: Origin,
        sender: String,
        recipients: usize,
        links: (Option<&str>, Option<&str>),
    ) -> Msg {
        let (script, bounce_of) = links;
        let id = self.new_id(at, pid);
        let slot = if self.cfg.record_messages {
            self.truth.messages.push(MessageTruth {
                id: id.clone(),
                origin,
                lines: 0,
                bounce_of: bounce_of.map(str::to_string),
                script: script.map(str::to_string),
                recipients: recipients as u32,
                completed: false,
            });
            Some(self.truth.messages.len() - 1)
        } else {
            None
        };
        let size = self.rng.message_size();
        Msg {
            id,
            slot,
            sender,
            size,
            received_at: at,
        }
    }

    fn duration(&self, out: &mut Vec<u8>, ms: u64) {
        write_duration(out, ms, self.cfg.millisec);
    }

    fn old_style(&self) -> bool {
        matches!(self.cfg.id_format, IdFormat::Old)
    }

    /// `H=` value of a remote client (§3.1); `port` is the `:port` suffix of
    /// `+incoming_port` (empty without it).
    fn client_host(ip: &str, port: &str, name: Option<&str>, helo: Option<&str>) -> String {
        // IPv6 addresses are bare inside the brackets too (§3.1).
        let bracket = format!("[{ip}]{port}");
        match (name, helo) {
            (Some(n), Some(h)) if !n.eq_ignore_ascii_case(h) => format!("{n} ({h}) {bracket}"),
            (Some(n), _) => format!("{n} {bracket}"),
            (None, Some(h)) => format!("({h}) {bracket}"),
            (None, None) => bracket,
        }
    }

    /// A client connects: `SMTP connection from [ip][:port][ I=..] (TCP/IP
    /// connection count = n)` (with `+smtp_connection`). Returns the client's
    /// `:port` suffix when rich (`+incoming_port`), for every `H=` of the session.
    fn connection_open(&mut self, at: i64, pid: u32, ip: &str) -> String {
        let port = if self.cfg.rich {
            format!(":{}", self.rng.range(1024, 65535))
        } else {
            String::new()
        };
        if !self.cfg.smtp_connection {
            return port;
        }
        let mut b = Vec::new();
        let _ = write!(b, "SMTP connection from [{ip}]{port}");
        if self.cfg.rich {
            let _ = write!(b, " I=[{OUR_IP}]:25");
        }
        let _ = write!(b, " (TCP/IP connection count = {})", self.rng.range(1, 25));
        self.truth.connections += 1;
        self.push(at, pid, b);
        port
    }

    /// `SMTP connection from <host> D=..s closed by QUIT` (§10).
    fn connection_close(&mut self, at: i64, pid: u32, host: &str, started: i64) {
        if !self.cfg.smtp_connection {
            return;
        }
        let mut b = Vec::new();
        let _ = write!(b, "SMTP connection from {host} D=");
        self.duration(&mut b, (at - started).max(0) as u64);
        b.extend_from_slice(b" closed by QUIT");
        self.truth.other_lines += 1;
        self.push(at, pid, b);
    }

    /// `cwd=DIR 3 args: /usr/sbin/exim -Mc <id>`: the delivery process
    /// re-executing Exim (as in the seed document). It inherits the working
    /// directory of the process that received the message: the spool for the
    /// SMTP daemon, the script's directory for a local submission.
    fn delivery_process(&mut self, at: i64, msg: &Msg, cwd: &str) -> u32 {
        let pid = self.pid();
        let b = format!("cwd={cwd} 3 args: /usr/sbin/exim -Mc {}", msg.id).into_bytes();
        self.truth.arguments_lines += 1;
        self.push(at, pid, b);
        pid
    }

    fn completed(&mut self, at: i64, pid: u32, msg: &Msg) {
        let mut b = b"Completed".to_vec();
        if self.cfg.rich {
            b.extend_from_slice(b" QT=");
            self.duration(&mut b, (at - msg.received_at).max(0) as u64);
        }
        self.truth.completed += 1;
        if let Some(m) = msg.slot.and_then(|i| self.truth.messages.get_mut(i)) {
            m.completed = true;
        }
        self.msg_line(at, pid, msg, &b);
    }

    fn remote_confirmation(&mut self) -> String {
        match self.rng.below(3) {
            0 => {
                let fake = message_id(
                    IdFormat::New,
                    1_700_000_000_000 + self.rng.below(1 << 40) as i64,
                    self.rng.range(1000, 900_000) as u32,
                    0,
                );
                format!("250 OK id={fake}")
            }
            1 => format!(
                "250 2.0.0 OK  {} {:x} - gsmtp",
                1_700_000_000 + self.rng.below(1 << 26),
                self.rng.next_u64() >> 16
            ),
            _ => format!("250 2.0.0 Ok: queued as {:X}", self.rng.next_u64() >> 24),
        }
    }

    /// Optional `F=<s> P=<s>` of rich delivery lines (`+sender_on_delivery`,
    /// `+return_path_on_delivery`).
    fn delivery_sender(&self, b: &mut Vec<u8>, msg: &Msg) {
        if self.cfg.rich {
            let s = if msg.sender == "<>" {
                String::new()
            } else {
                msg.sender.clone()
            };
            let _ = write!(b, " F=<{s}> P=<{s}>");
        }
    }

    fn delivery_times(&mut self, b: &mut Vec<u8>, at: i64, msg: &Msg) {
        if self.cfg.rich {
            b.extend_from_slice(b" QT=");
            self.duration(b, (at - msg.received_at).max(0) as u64);
            b.extend_from_slice(b" DT=");
            let dt = self.rng.range(20, 3000);
            self.duration(b, dt);
        }
    }

    /// `=> local <local@domain> R=virtual_user T=virtual_userdelivery` (or the
    /// system-user form for `user@HOSTNAME`).
    fn deliver_local(
        &mut self,
        at: i64,
        pid: u32,
        msg: &Msg,
        local: &str,
        domain: &str,
        first: bool,
    ) {
        let mut b = Vec::new();
        let _ = write!(
            b,
            "{} {local} <{local}@{domain}>",
            if first { "=>" } else { "->" }
        );
        self.delivery_sender(&mut b, msg);
        if domain == HOSTNAME {
            b.extend_from_slice(b" R=localuser T=local_delivery");
        } else {
            b.extend_from_slice(b" R=virtual_user T=virtual_userdelivery");
        }
        if self.cfg.rich {
            let _ = write!(b, " S={}", msg.size + 300);
        }
        self.delivery_times(&mut b, at, msg);
        self.count_delivery(first, true);
        self.msg_line(at, pid, msg, &b);
    }

    fn count_delivery(&mut self, first: bool, local: bool) {
        if first {
            self.truth.deliveries += 1;
        } else {
            self.truth.additional_deliveries += 1;
        }
        if local {
            self.truth.deliveries_local += 1;
        } else {
            self.truth.deliveries_remote += 1;
        }
    }

    /// `H=mx [ip][:25][ I=..] X=.. CV=yes` of a remote delivery (§4.1).
    fn remote_host_part(&mut self, b: &mut Vec<u8>, r: &Remote, tls: bool) {
        let _ = write!(b, " H={} [{}]", r.mx, r.ip);
        if self.cfg.rich {
            let _ = write!(b, ":25 I=[{OUR_IP}]:{}", self.rng.range(30000, 60000));
        }
        if tls {
            let _ = write!(b, " X={TLS13} CV=yes");
        }
    }

    /// One SMTP transaction to `r` for `rcpts` (each with its outcome), starting
    /// at `at`: refusals first, then the accepted addresses (`=>`, then `->`).
    /// Returns the time it ended.
    fn deliver_remote(
        &mut self,
        at: i64,
        pid: u32,
        msg: &Msg,
        r: &Remote,
        rcpts: &[(String, Outcome)],
    ) -> i64 {
        let tls = !r.ip.len().is_multiple_of(3); // most MXes do STARTTLS; fixed per host
        let mut t = at + self.rng.range(200, 2500) as i64;
        // Refusals are logged as they come back (RCPT stage), the accepted
        // addresses after the final dot.
        for (addr, outcome) in rcpts {
            let mut b = Vec::new();
            match outcome {
                Outcome::Delivered => continue,
                Outcome::Greylisted => {
                    let _ = write!(
                        b,
                        "== {addr} R=dnslookup T=remote_smtp defer (-44) H={} [{}]",
                        r.mx, r.ip
                    );
                    if self.cfg.rich {
                        b.extend_from_slice(b" DT=");
                        self.duration(&mut b, 400);
                    }
                    let _ = write!(
                        b,
                        ": SMTP error from remote mail server after RCPT TO:<{addr}>: 451 4.7.1 Greylisted, please try again later"
                    );
                    self.truth.deferrals += 1;
                }
                Outcome::Unknown => {
                    let _ = write!(b, "** {addr}");
                    self.delivery_sender(&mut b, msg);
                    b.extend_from_slice(b" R=dnslookup T=remote_smtp");
                    self.remote_host_part(&mut b, r, tls && self.cfg.rich);
                    let sep = if self.old_style() { ": " } else { " : " };
                    let _ = write!(
                        b,
                        "{sep}SMTP error from remote mail server after RCPT TO:<{addr}>: 550 5.1.1 <{addr}>: Recipient address rejected: User unknown"
                    );
                    if self.cfg.rich {
                        b.extend_from_slice(b" DT=");
                        self.duration(&mut b, 700);
                    }
                    self.truth.failures += 1;
                }
            }
            self.msg_line(t, pid, msg, &b);
        }
        t += self.rng.range(100, 1500) as i64;
        let confirm = self.remote_confirmation();
        let mut first = true;
        for (addr, _) in rcpts.iter().filter(|(_, o)| *o == Outcome::Delivered) {
            let mut b = Vec::new();
            let _ = write!(b, "{} {addr}", if first { "=>" } else { "->" });
            self.delivery_sender(&mut b, msg);
            b.extend_from_slice(b" R=dnslookup T=remote_smtp");
            if self.cfg.rich {
                let _ = write!(b, " S={}", msg.size + 500);
            }
            self.remote_host_part(&mut b, r, tls);
            let _ = write!(b, " C=\"{confirm}\"");
            self.delivery_times(&mut b, t, msg);
            self.count_delivery(first, false);
            self.msg_line(t, pid, msg, &b);
            first = false;
        }
        t
    }

    /// Delivers `msg` to remote `rcpts` (grouped by domain, one transaction per
    /// domain), retries deferred addresses at later queue runs, bounces the
    /// failed ones, and writes `Completed`. `spam` raises the failure rates.
    fn deliver_message_remote(
        &mut self,
        at: i64,
        pid: u32,
        msg: &Msg,
        rcpts: Vec<(String, usize)>,
        spam: bool,
        bounce_to: Option<BounceTo>,
    ) {
        // Group by remote domain, keeping first-seen order.
        let mut groups: Vec<(usize, Vec<(String, Outcome)>)> = Vec::new();
        for (addr, ri) in rcpts {
            let greylists = self.cat.remotes.get(ri).is_some_and(|r| r.greylists);
            let outcome = if self.rng.percent(if spam { 25 } else { 2 }) {
                Outcome::Unknown
            } else if (greylists && self.rng.percent(60))
                || self.rng.percent(if spam { 15 } else { 3 })
            {
                Outcome::Greylisted
            } else {
                Outcome::Delivered
            };
            match groups.iter_mut().find(|(g, _)| *g == ri) {
                Some((_, v)) => v.push((addr, outcome)),
                None => groups.push((ri, vec![(addr, outcome)])),
            }
        }
        let mut t = at;
        let mut deferred: Vec<(usize, String)> = Vec::new();
        let mut failed: Vec<String> = Vec::new();
        for (ri, list) in &groups {
            let Some(r) = self.cat.remotes.get(*ri).cloned() else {
                continue;
            };
            t = self.deliver_remote(t, pid, msg, &r, list);
            for (a, o) in list {
                match o {
                    Outcome::Greylisted => deferred.push((*ri, a.clone())),
                    Outcome::Unknown => failed.push(a.clone()),
                    Outcome::Delivered => {}
                }
            }
        }
        t += self.rng.range(5, 200) as i64;
        if !failed.is_empty()
            && let Some(to) = bounce_to
        {
            self.bounce(t, msg, to);
            t += 5;
        }
        if deferred.is_empty() {
            self.completed(t, pid, msg);
            return;
        }
        // Retries: the queue runner picks the message up at a later run. Most
        // greylisting is over by then; a few need a second retry.
        let mut when = t;
        let mut left = deferred;
        for attempt in 0..3 {
            let (run_pid, retry_at) = self.queue_run_slot(when + 10 * 60 * 1000);
            let dpid = run_pid + 1 + self.rng.range(0, 30) as u32;
            let mut still = Vec::new();
            let mut tt = retry_at;
            for (ri, addr) in left {
                let Some(r) = self.cat.remotes.get(ri).cloned() else {
                    continue;
                };
                let outcome = if attempt < 2 && self.rng.percent(15) {
                    Outcome::Greylisted
                } else {
                    Outcome::Delivered
                };
                tt = self.deliver_remote(tt, dpid, msg, &r, &[(addr.clone(), outcome)]);
                if outcome == Outcome::Greylisted {
                    still.push((ri, addr));
                }
            }
            if still.is_empty() {
                self.completed(tt + 3, dpid, msg);
                return;
            }
            when = tt;
            left = still;
        }
    }

    /// The queue run that will pick up a message due at `due`: the pid of its
    /// runner (fixed per run) and a time inside the run.
    fn queue_run_slot(&mut self, due: i64) -> (u32, i64) {
        let k = due.div_euclid(QUEUE_INTERVAL_MS) + 1;
        let (pid, len) = queue_run_shape(self.cfg.seed, k);
        let at = k * QUEUE_INTERVAL_MS + 200 + self.rng.below(len.saturating_sub(400)) as i64;
        (pid, at)
    }

    /// Schedules `Start queue run` / `End queue run` of run `k`.
    fn schedule_queue_run(&mut self, k: i64) {
        let (pid, len) = queue_run_shape(self.cfg.seed, k);
        let start = k * QUEUE_INTERVAL_MS;
        self.seq += 1;
        self.heap.push(Pending {
            at: start,
            seq: self.seq,
            pid,
            body: format!("Start queue run: pid={pid}").into_bytes(),
            queue_run: Some(k),
        });
        self.push(
            start + len as i64,
            pid,
            format!("End queue run: pid={pid}").into_bytes(),
        );
        self.truth.queue_runs += 1;
    }

    /// The bounce of `parent` (§3.2 `<= <> R=<id> U=mailnull P=local`), delivered
    /// back to the sender or, for a forged remote sender, failed and frozen.
    fn bounce(&mut self, at: i64, parent: &Msg, to: BounceTo) {
        let pid = self.pid();
        let mut msg = self.new_msg(
            at,
            pid,
            Origin::Bounce,
            "<>".to_string(),
            1,
            (None, Some(&parent.id)),
        );
        msg.size = self.rng.range(1800, 9000);
        let mut b = format!("<= <> R={} U=mailnull P=local S={}", parent.id, msg.size).into_bytes();
        if self.cfg.rich {
            let _ = write!(b, " M8S=0 id=E{}@{HOSTNAME}", msg.id);
        }
        if self.cfg.received_recipients {
            let addr = match &to {
                BounceTo::System(u) => format!("{u}@{HOSTNAME}"),
                BounceTo::Mailbox(l, d) => format!("{l}@{d}"),
                BounceTo::Remote(a) => a.clone(),
            };
            let _ = write!(b, " for {addr}");
        }
        self.truth.arrivals += 1;
        self.truth.bounces += 1;
        self.truth.received_bytes += msg.size;
        self.msg_line(at, pid, &msg, &b);
        let t = at + self.rng.range(20, 400) as i64;
        let dpid = self.pid();
        match to {
            BounceTo::System(u) => {
                self.deliver_local(t, dpid, &msg, &u, HOSTNAME, true);
                self.completed(t + 2, dpid, &msg);
            }
            BounceTo::Mailbox(l, d) => {
                self.deliver_local(t, dpid, &msg, &l, &d, true);
                self.completed(t + 2, dpid, &msg);
            }
            BounceTo::Remote(addr) => {
                let ri = self.rng.below(self.cat.remotes.len() as u64) as usize;
                if let Some(r) = self.cat.remotes.get(ri).cloned() {
                    let t2 = self.deliver_remote(t, dpid, &msg, &r, &[(addr, Outcome::Unknown)]);
                    self.truth.frozen += 1;
                    self.msg_line(t2 + 2, dpid, &msg, b"Frozen (delivery error message)");
                }
            }
        }
    }

    /// Writes ` id=<mid> T="subject" for rcpts` tail fields of an arrival.
    fn arrival_tail(
        &mut self,
        b: &mut Vec<u8>,
        msg: &Msg,
        header_id: &str,
        subject: &[u8],
        rcpts: &[String],
    ) {
        if self.cfg.rich {
            let _ = write!(b, " M8S=0 RT=");
            let rt = self.rng.range(40, 4000);
            self.duration(b, rt);
        }
        let _ = write!(b, " id={header_id}");
        if self.cfg.subject {
            let raw = self.rng.percent(50);
            push_subject(b, subject, raw);
        }
        if self.cfg.rich {
            let s = if msg.sender == "<>" {
                ""
            } else {
                msg.sender.as_str()
            };
            let _ = write!(b, " from <{s}>");
        }
        if self.cfg.received_recipients {
            b.extend_from_slice(b" for");
            for r in rcpts {
                let _ = write!(b, " {r}");
            }
        }
    }

    fn subject(&mut self, spam: bool) -> &'static [u8] {
        if spam {
            self.rng.pick(SPAM_SUBJECTS)
        } else {
            self.rng.pick(SUBJECTS)
        }
    }

    fn remote_rcpts(&mut self, n: usize) -> Vec<(String, usize)> {
        (0..n)
            .map(|_| {
                // Half of all mail goes to a few big providers, which gives
                // multi-recipient (`->`) transactions.
                let ri = if self.rng.percent(50) {
                    self.rng.below(4) as usize
                } else {
                    self.rng.below(self.cat.remotes.len() as u64) as usize
                };
                let d = self
                    .cat
                    .remotes
                    .get(ri)
                    .map(|r| r.domain.clone())
                    .unwrap_or_default();
                (format!("{}@{d}", Catalog::local_part(&mut self.rng)), ri)
            })
            .collect()
    }

    // ---- activities -------------------------------------------------------

    /// Inbound mail from a remote MTA to hosted mailboxes.
    fn inbound(&mut self, now: i64) {
        let pid = self.pid();
        let v6 = self.rng.percent(8);
        let ip = if v6 {
            catalog::ipv6(&mut self.rng)
        } else {
            catalog::public_ip(&mut self.rng)
        };
        let ri = self.rng.below(self.cat.remotes.len() as u64) as usize;
        let Some(remote) = self.cat.remotes.get(ri).cloned() else {
            return;
        };
        let out_name = format!("mail{}.{}", self.rng.range(1, 9), remote.domain);
        let (name, helo) = match self.rng.below(10) {
            0..=5 => (Some(out_name.clone()), Some(out_name.clone())),
            6 => (
                Some(out_name.clone()),
                Some(format!("smtp.{}", remote.domain)),
            ),
            7 | 8 => (None, Some(out_name.clone())),
            _ => (None, None),
        };
        let port = self.connection_open(now, pid, &ip);
        let host = Self::client_host(&ip, &port, name.as_deref(), helo.as_deref());
        let t = now + self.rng.range(300, 3000) as i64;
        let sender = format!("{}@{}", Catalog::local_part(&mut self.rng), remote.domain);
        let nrcpt = if self.rng.percent(80) {
            1
        } else {
            self.rng.range(2, 4) as usize
        };
        let ai = self.rng.below(self.cat.accounts.len() as u64) as usize;
        let Some(acc) = self.cat.accounts.get(ai).cloned() else {
            return;
        };
        let mut locals: Vec<String> = Vec::new();
        for _ in 0..nrcpt {
            let l = self.rng.pick_string(&acc.mailboxes);
            if !locals.contains(&l) {
                locals.push(l);
            }
        }
        let rcpts: Vec<String> = locals
            .iter()
            .map(|l| format!("{l}@{}", acc.domain))
            .collect();
        let msg = self.new_msg(
            now,
            pid,
            Origin::Remote,
            sender.clone(),
            rcpts.len(),
            (None, None),
        );
        let (proto, tls) = match self.rng.below(10) {
            0 => ("smtp", None),
            1 | 2 => ("esmtp", None),
            3 => ("esmtps", Some(TLS12)),
            _ => ("esmtps", Some(TLS13)),
        };
        let mut b = format!("<= {sender} H={host} P={proto}").into_bytes();
        if let Some(x) = tls {
            let _ = write!(b, " X={x}");
            if self.rng.percent(20) {
                b.extend_from_slice(b" CV=no");
            }
        }
        let _ = write!(b, " S={}", msg.size);
        let hid = format!(
            "{:x}.{:x}@{}",
            self.rng.next_u64() >> 20,
            self.rng.below(1 << 20),
            remote.domain
        );
        let subject = self.subject(false);
        self.arrival_tail(&mut b, &msg, &hid, subject, &rcpts);
        self.truth.arrivals += 1;
        self.truth.arrivals_remote += 1;
        self.truth.received_bytes += msg.size;
        self.msg_line(t, pid, &msg, &b);
        let close = t + self.rng.range(50, 400) as i64;
        self.connection_close(close, pid, &host, now);
        let dpid = self.delivery_process(t + 1, &msg, SPOOL);
        let mut dt = t + self.rng.range(10, 300) as i64;
        for (i, l) in locals.iter().enumerate() {
            self.deliver_local(dt, dpid, &msg, l, &acc.domain, i == 0);
            dt += 1;
        }
        self.completed(dt + 1, dpid, &msg);
    }

    /// A web script (or cron job) of a hosted account calling sendmail.
    fn script(&mut self, now: i64, spam: Option<usize>) {
        let (ai, dir) = match spam.and_then(|i| self.spam_scripts.get(i).cloned()) {
            Some((ai, dir)) => (ai, dir),
            None => {
                let ai = self.rng.below(self.cat.accounts.len() as u64) as usize;
                let Some(acc) = self.cat.accounts.get(ai) else {
                    return;
                };
                let dir = self.rng.pick_string(&acc.scripts);
                (ai, dir)
            }
        };
        let Some(acc) = self.cat.accounts.get(ai).cloned() else {
            return;
        };
        let is_spam = spam.is_some();
        let pid = self.pid();
        // suexec runs the script as the account user; without it, as `nobody`.
        let user = if !is_spam && self.rng.percent(10) {
            "nobody".to_string()
        } else {
            acc.user.clone()
        };
        let forged = is_spam && self.rng.percent(60);
        let sender = if forged {
            let r = self.remote_rcpts(1);
            r.first().map(|(a, _)| a.clone()).unwrap_or_default()
        } else {
            format!("{user}@{HOSTNAME}")
        };
        let args = if forged {
            format!("5 args: /usr/sbin/sendmail -t -i -f {sender}")
        } else {
            "3 args: /usr/sbin/sendmail -t -i".to_string()
        };
        let nrcpt = if is_spam {
            self.rng.range(3, 25) as usize
        } else if self.rng.percent(85) {
            1
        } else {
            2
        };
        let rcpts = self.remote_rcpts(nrcpt);
        let msg = self.new_msg(
            now,
            pid,
            Origin::Local,
            sender.clone(),
            rcpts.len(),
            (Some(&dir), None),
        );
        self.truth.arguments_lines += 1;
        self.push(now, pid, format!("cwd={dir} {args}").into_bytes());
        let mut b = format!("<= {sender} U={user} P=local S={}", msg.size).into_bytes();
        let hid = format!("{:016x}@{}", self.rng.next_u64(), acc.domain);
        let subject = self.subject(is_spam);
        let plain: Vec<String> = rcpts.iter().map(|(a, _)| a.clone()).collect();
        self.arrival_tail(&mut b, &msg, &hid, subject, &plain);
        self.truth.arrivals += 1;
        self.truth.arrivals_local += 1;
        self.truth.received_bytes += msg.size;
        *self.truth.per_script.entry(dir.clone()).or_default() += 1;
        *self.truth.per_user.entry(user.clone()).or_default() += 1;
        self.msg_line(now, pid, &msg, &b);
        let t = now + self.rng.range(5, 200) as i64;
        let dpid = self.delivery_process(t, &msg, &dir);
        let to = if forged {
            BounceTo::Remote(sender)
        } else {
            BounceTo::System(user)
        };
        self.deliver_message_remote(t + 5, dpid, &msg, rcpts, is_spam, Some(to));
    }

    /// A mailbox user sending through SMTP AUTH (`P=esmtpsa A=dovecot_login:...`).
    fn authenticated(&mut self, now: i64, spam: Option<usize>) {
        let (ai, login, ip) = match spam.and_then(|i| self.spam_logins.get(i).cloned()) {
            Some((ai, login, ip)) => {
                // A stolen password is used from a few botnet addresses.
                let ip = if self.rng.percent(50) {
                    ip
                } else {
                    catalog::public_ip(&mut self.rng)
                };
                (ai, login, ip)
            }
            None => {
                let ai = self.rng.below(self.cat.accounts.len() as u64) as usize;
                let Some(acc) = self.cat.accounts.get(ai) else {
                    return;
                };
                let local = self.rng.pick_string(&acc.mailboxes);
                let login = format!("{local}@{}", acc.domain);
                (ai, login, catalog::public_ip(&mut self.rng))
            }
        };
        let Some(acc) = self.cat.accounts.get(ai).cloned() else {
            return;
        };
        let is_spam = spam.is_some();
        let pid = self.pid();
        let port = self.connection_open(now, pid, &ip);
        let helo = if is_spam {
            format!("[{ip}]")
        } else {
            format!("{}-PC", Catalog::word(&mut self.rng).to_uppercase())
        };
        let host = Self::client_host(&ip, &port, None, Some(&helo));
        let nrcpt = if is_spam {
            self.rng.range(5, 40) as usize
        } else if self.rng.percent(80) {
            1
        } else {
            self.rng.range(2, 3) as usize
        };
        let rcpts = self.remote_rcpts(nrcpt);
        let t = now + self.rng.range(500, 4000) as i64;
        let msg = self.new_msg(
            now,
            pid,
            Origin::Authenticated,
            login.clone(),
            rcpts.len(),
            (None, None),
        );
        let mut b = format!(
            "<= {login} H={host} P=esmtpsa X={TLS13} A=dovecot_login:{login} S={}",
            msg.size
        )
        .into_bytes();
        let hid = format!(
            "{:x}.{:x}@{}",
            self.rng.next_u64() >> 12,
            self.rng.below(99_999),
            acc.domain
        );
        let subject = self.subject(is_spam);
        let plain: Vec<String> = rcpts.iter().map(|(a, _)| a.clone()).collect();
        self.arrival_tail(&mut b, &msg, &hid, subject, &plain);
        self.truth.arrivals += 1;
        self.truth.arrivals_authenticated += 1;
        self.truth.received_bytes += msg.size;
        *self.truth.per_login.entry(login.clone()).or_default() += 1;
        self.msg_line(t, pid, &msg, &b);
        let close = t + self.rng.range(50, 400) as i64;
        self.connection_close(close, pid, &host, now);
        let dt = t + self.rng.range(5, 200) as i64;
        let dpid = self.delivery_process(dt, &msg, SPOOL);
        let local = login.split('@').next().unwrap_or_default().to_string();
        self.deliver_message_remote(
            dt + 5,
            dpid,
            &msg,
            rcpts,
            is_spam,
            Some(BounceTo::Mailbox(local, acc.domain.clone())),
        );
    }

    /// One connection guessing recipients (§10 ACL reject, `rejected RCPT`).
    fn dictionary(&mut self, now: i64, who: usize) {
        let Some((ip, helo)) = self.attackers.get(who).cloned() else {
            return;
        };
        let pid = self.pid();
        let port = self.connection_open(now, pid, &ip);
        let host = Self::client_host(&ip, &port, None, Some(&helo));
        let ai = self.rng.below(self.cat.accounts.len() as u64) as usize;
        let domain = self
            .cat
            .accounts
            .get(ai)
            .map(|a| a.domain.clone())
            .unwrap_or_default();
        let from = format!("{}@{}", Catalog::local_part(&mut self.rng), domain);
        let n = self.rng.range(15, 120);
        let mut t = now + self.rng.range(300, 1500) as i64;
        for _ in 0..n {
            let guess = Catalog::guessed_local_part(&mut self.rng);
            let b = format!("H={host} F=<{from}> rejected RCPT <{guess}@{domain}>: Unknown user")
                .into_bytes();
            self.truth.rejected_rcpt += 1;
            self.truth.unknown_user_rejections += 1;
            *self.truth.dictionary_attacks.entry(ip.clone()).or_default() += 1;
            self.push(t, pid, b);
            t += self.rng.range(30, 700) as i64;
        }
        self.connection_close(t, pid, &host, now);
    }

    /// A client listed in a DNS blocklist (`rejected RCPT ... is in an RBL`).
    fn rbl(&mut self, now: i64) {
        let pid = self.pid();
        let ip = catalog::public_ip(&mut self.rng);
        let port = self.connection_open(now, pid, &ip);
        let named = self.rng.percent(50);
        let name = format!(
            "{}.dynamic.{}",
            ip.replace('.', "-"),
            Catalog::tld(&mut self.rng)
        );
        let helo = format!(
            "{}.{}",
            Catalog::word(&mut self.rng),
            Catalog::tld(&mut self.rng)
        );
        let host = Self::client_host(&ip, &port, named.then_some(name.as_str()), Some(&helo));
        let shown = if named {
            format!("{name} [{ip}]")
        } else {
            format!("[{ip}]")
        };
        let list = self.rng.pick(&[
            "zen.spamhaus.org",
            "bl.spamcop.net",
            "b.barracudacentral.org",
        ]);
        let ai = self.rng.below(self.cat.accounts.len() as u64) as usize;
        let Some(acc) = self.cat.accounts.get(ai).cloned() else {
            return;
        };
        let to = format!("{}@{}", self.rng.pick_string(&acc.mailboxes), acc.domain);
        let from = format!(
            "{}@{}.{}",
            Catalog::local_part(&mut self.rng),
            Catalog::word(&mut self.rng),
            Catalog::tld(&mut self.rng)
        );
        let t = now + self.rng.range(200, 1500) as i64;
        let b = format!("H={host} F=<{from}> rejected RCPT <{to}>: JunkMail rejected - {shown} is in an RBL: {list}").into_bytes();
        self.truth.rejected_rcpt += 1;
        self.truth.rbl_rejections += 1;
        *self.truth.rbl_hosts.entry(ip.clone()).or_default() += 1;
        self.push(t, pid, b);
        let close = t + self.rng.range(20, 300) as i64;
        self.connection_close(close, pid, &host, now);
    }

    /// HELO checks of the seed document's ACL, and Exim's own syntax check.
    fn helo(&mut self, now: i64) {
        let pid = self.pid();
        let ip = catalog::public_ip(&mut self.rng);
        let port = self.connection_open(now, pid, &ip);
        let t = now + self.rng.range(100, 900) as i64;
        let b = match self.rng.below(3) {
            0 => format!(
                "rejected EHLO from [{ip}]: syntactically invalid argument(s): {}_{}!",
                Catalog::word(&mut self.rng),
                self.rng.below(99)
            ),
            1 => {
                let host = Self::client_host(&ip, &port, None, Some(OUR_IP));
                format!("H={host} rejected EHLO or HELO {OUR_IP}: HELO/EHLO set to my IP address")
            }
            _ => {
                let w = Catalog::word(&mut self.rng);
                let host = Self::client_host(&ip, &port, None, Some(w));
                format!(
                    "H={host} rejected EHLO or HELO {w}: EHLO/HELO does not contain a dotted address"
                )
            }
        };
        self.truth.helo_rejections += 1;
        self.push(t, pid, b.into_bytes());
    }

    /// A password-guessing burst (§10 "auth fail (in)").
    fn auth_failures(&mut self, now: i64) {
        let pid = self.pid();
        let ip = catalog::public_ip(&mut self.rng);
        let port = self.connection_open(now, pid, &ip);
        let helo = self
            .rng
            .pick(&["User", "ylmf-pc", "WIN-3KD9P2", "localhost"]);
        let ai = self.rng.below(self.cat.accounts.len() as u64) as usize;
        let Some(acc) = self.cat.accounts.get(ai).cloned() else {
            return;
        };
        let n = self.rng.range(1, 12);
        let mut t = now + self.rng.range(300, 2000) as i64;
        for _ in 0..n {
            let host = Self::client_host(&ip, &port, None, Some(helo));
            let who = self.rng.pick_string(&acc.mailboxes);
            // 4.99 added `H=` after `for` (§10).
            let h = if self.old_style() { "" } else { "H=" };
            let b = format!(
                "dovecot_login authenticator failed for {h}{host}: 535 Incorrect authentication data (set_id={who}@{})",
                acc.domain
            );
            self.truth.auth_failures += 1;
            *self.truth.auth_failure_hosts.entry(ip.clone()).or_default() += 1;
            self.push(t, pid, b.into_bytes());
            t += self.rng.range(1000, 6000) as i64;
        }
    }

    /// Lines of other shapes a busy server writes.
    fn misc(&mut self, now: i64) {
        let pid = self.pid();
        let ip = catalog::public_ip(&mut self.rng);
        let b = match self.rng.below(3) {
            0 => format!("no host name found for IP address {ip}"),
            1 => format!(
                "TLS error on connection from ({}) [{ip}] (SSL_accept): error:0A000126:SSL routines::unexpected eof while reading",
                Catalog::word(&mut self.rng)
            ),
            _ => format!("SMTP command timeout on connection from [{ip}] D=5m"),
        };
        self.truth.other_lines += 1;
        self.push(now, pid, b.into_bytes());
    }

    // ---- the clock --------------------------------------------------------

    /// Writes lines until at least `cfg.target_bytes` are out, then finishes every
    /// open lifecycle.
    pub(crate) fn run<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        let mut now = self.cfg.start_ms;
        self.schedule_queue_run(now.div_euclid(QUEUE_INTERVAL_MS) + 1);
        let mut line = Vec::with_capacity(512);
        // Weights in 81sts, so the small abuse shares survive integer division.
        // Ordinary traffic: inbound, script, authenticated, RBL, HELO, AUTH, misc.
        let normal: u64 = 81 * (40 + 14 + 14 + 8 + 3 + 2 + 3);
        // Abuse gets `incident_percent` of all activities, split 4:3:2 between
        // compromised scripts, stolen logins and dictionary attacks; a dictionary
        // attack is one connection with dozens of lines, so it counts a third.
        let pct = u64::from(self.cfg.incident_percent.min(90));
        let abuse = normal * pct / (100 - pct);
        let share = |present: bool, part: u64| {
            if present {
                (abuse * part / 9).max(1)
            } else {
                0
            }
        };
        let weights = [
            81 * 40,
            81 * 14,
            81 * 14,
            share(!self.spam_scripts.is_empty(), 4),
            share(!self.spam_logins.is_empty(), 3),
            share(!self.attackers.is_empty(), 2) / 3,
            81 * 8,
            81 * 3,
            81 * 2,
            81 * 3,
        ];
        while self.truth.bytes < self.cfg.target_bytes {
            now += self.rng.range(100, 4000) as i64;
            self.flush_until(now, out, &mut line)?;
            match self.rng.weighted(&weights) {
                0 => self.inbound(now),
                1 => self.script(now, None),
                2 => self.authenticated(now, None),
                3 => {
                    let i = self.rng.below(self.spam_scripts.len() as u64) as usize;
                    self.script(now, Some(i));
                }
                4 => {
                    let i = self.rng.below(self.spam_logins.len() as u64) as usize;
                    self.authenticated(now, Some(i));
                }
                5 => {
                    let i = self.rng.below(self.attackers.len() as u64) as usize;
                    self.dictionary(now, i);
                }
                6 => self.rbl(now),
                7 => self.helo(now),
                8 => self.auth_failures(now),
                _ => self.misc(now),
            }
        }
        // Finish what is open, but do not start another queue run.
        self.flush_until(i64::MAX, out, &mut line)
    }

    fn flush_until<W: Write>(
        &mut self,
        until: i64,
        out: &mut W,
        line: &mut Vec<u8>,
    ) -> io::Result<()> {
        while self.heap.peek().is_some_and(|p| p.at <= until) {
            let Some(p) = self.heap.pop() else { break };
            if let Some(k) = p.queue_run {
                // While draining, keep the runs going only as long as retries are due.
                if until != i64::MAX || self.last_at >= (k + 1) * QUEUE_INTERVAL_MS {
                    self.schedule_queue_run(k + 1);
                }
            }
            line.clear();
            write_timestamp(line, p.at, self.cfg.millisec, self.cfg.utc_offset_minutes);
            line.push(b' ');
            if self.cfg.pid {
                let _ = write!(line, "[{}] ", p.pid);
            }
            line.extend_from_slice(&p.body);
            line.push(b'\n');
            out.write_all(line)?;
            self.truth.lines += 1;
            self.truth.bytes += line.len() as u64;
        }
        Ok(())
    }
}

/// The pid and length (ms) of queue run `k`: derived from the seed and `k` alone,
/// so a retry scheduled long before the run starts lands inside it.
fn queue_run_shape(seed: u64, k: i64) -> (u32, u64) {
    let mut r = Rng::new(seed ^ (k as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    (r.range(5000, 3_000_000) as u32, r.range(3000, 60_000))
}
