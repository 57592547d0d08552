#!/usr/bin/env python3
"""The exim-log lab: a real Exim (Debian's exim4-daemon-light) driven by our own SMTP
client, with the ground truth of what was sent written down next to the logs.

Run through scripts/exim-lab, which installs Exim when missing and starts this
program inside a private network and mount namespace (`unshare -nm`): only the
namespace's own loopback exists, so nothing can leave the machine, and the mount
namespace lets us point the resolver at our DNS stub and give Exim its config as
/etc/exim4/exim4.conf without touching the host's files.

Python's standard library is enough for everything here (smtplib, ssl, sockets, a
40-line DNS responder), so the lab needs no build step and no third-party package.

Output (one directory per log_selector profile under --out):
  PROFILE/log/mainlog, rejectlog, paniclog   what Exim wrote
  PROFILE/truth.json                          what the driver did and expects
"""

import argparse
import json
import os
import shutil
import signal
import smtplib
import socket
import ssl
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time

EXIM = shutil.which("exim4") or "/usr/sbin/exim4"
EXIM_USER = "Debian-exim"
WEB_USER = "www-data"

# Exim 4.96's default log selectors (Exim spec, "Log selectors": the ones marked *).
# Only used to decide which expected fields a profile's lines can carry.
DEFAULT_ON = {
    "acl_warn_skipped", "connection_reject", "delay_delivery", "dnslist_defer",
    "etrn", "host_lookup_failed", "lost_incoming_connection", "msg_id",
    "queue_run", "rejected_header", "retry_defer", "sender_verify_fail",
    "size_reject", "skip_delivery", "smtp_confirmation", "tls_certificate_verified",
    "tls_cipher",
}

# cPanel's stock log_selector (as shipped in its exim.conf, 2020s).
CPANEL = ("+all_parents +arguments +connection_reject +delivery_size +dnslist_defer "
          "+incoming_interface +incoming_port +lost_incoming_connection +queue_run "
          "+received_sender +received_recipients +retry_defer +sender_on_delivery "
          "+size_reject +skip_delivery +smtp_confirmation +smtp_connection "
          "+smtp_protocol_error +smtp_syntax_error +subject +tls_cipher +tls_peerdn "
          "+deliver_time +smtp_no_mail")

PROFILES = {
    "default": {"selector": "", "timezone": None},
    "cpanel": {"selector": CPANEL, "timezone": None},
    "all": {"selector": "+all", "timezone": None},
    "pid_millisec": {"selector": "+pid +millisec", "timezone": None},
    "timezone": {"selector": "+subject +arguments", "timezone": "Asia/Kolkata"},
    # Exim writing to syslog (log_file_path = syslog, its own timestamp off), through
    # a real rsyslogd: the mainlog of this profile is rsyslog's traditional (RFC 3164)
    # file; the same lines in rsyslog's ISO 8601 format become profile syslog_iso.
    "syslog": {"selector": "+received_recipients +subject +smtp_no_mail", "timezone": None,
               "syslog": True},
}


def selectors_on(setting):
    on = set(DEFAULT_ON)
    for item in setting.split():
        name = item[1:]
        if item == "+all":
            on.add("*")
        elif item == "-all":
            on.clear()
        elif item.startswith("+"):
            on.add(name)
        elif item.startswith("-"):
            on.discard(name)
    return on


# --------------------------------------------------------------------------- DNS stub

def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


class DnsStub:
    """Answers A, PTR and TXT from a table; NXDOMAIN for names it does not know,
    NODATA for known names asked with another type. UDP on 127.0.0.1:53 only."""

    A, PTR, TXT = 1, 12, 16

    def __init__(self, records):
        self.records = {(n.lower().rstrip("."), t): v for (n, t), v in records.items()}
        self.names = {n for n, _ in self.records}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        self.sock.settimeout(0.5)
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                data, addr = self.sock.recvfrom(1500)
            except socket.timeout:
                continue
            try:
                self.sock.sendto(self.answer(data), addr)
            except Exception as e:  # a stub must never die on one bad query
                print(f"dns stub: {e}", file=sys.stderr)

    def answer(self, q):
        qid = q[:2]
        pos, labels = 12, []
        while q[pos]:
            labels.append(q[pos + 1: pos + 1 + q[pos]].decode())
            pos += 1 + q[pos]
        qtype = struct.unpack(">H", q[pos + 1: pos + 3])[0]
        question = q[12: pos + 5]
        name = ".".join(labels).lower()
        value = self.records.get((name, qtype))
        if value is None:
            rcode = 0 if name in self.names else 3
            return qid + struct.pack(">HHHHH", 0x8180 | rcode, 1, 0, 0, 0) + question
        if qtype == self.A:
            rdata = socket.inet_aton(value)
        elif qtype == self.PTR:
            rdata = dns_name(value)
        else:
            rdata = bytes([len(value)]) + value.encode()
        rr = b"\xc0\x0c" + struct.pack(">HHIH", qtype, 1, 60, len(rdata)) + rdata
        return qid + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question + rr


# --------------------------------------------------------------------------- SMTP sink

class Sink:
    """The "remote" MX of sink.test on 127.0.0.2:2525: accepts, except RCPT local parts
    starting with `reject` (550) and `later` (451)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.2", 2525))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.stop = False
        self.count = 0
        self.accepted = {}  # recipient -> the queue id our 250 reply named
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        conn.settimeout(20)
        f = conn.makefile("rb")
        say = lambda s: conn.sendall(s.encode() + b"\r\n")  # noqa: E731
        try:
            say("220 sink.test ESMTP lab sink")
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode("latin-1").strip()
                up = cmd.upper()
                if up.startswith("EHLO"):
                    say("250-sink.test\r\n250 PIPELINING")
                elif up.startswith("HELO"):
                    say("250 sink.test")
                elif up.startswith("MAIL"):
                    rcpts = []
                    say("250 OK")
                elif up.startswith("RCPT"):
                    local = cmd.split("<", 1)[-1].lower()
                    if local.startswith("reject"):
                        say("550 5.1.1 no such user here")
                    elif local.startswith("later"):
                        say("451 4.3.0 try again later")
                    else:
                        rcpts.append(cmd.split("<", 1)[-1].rstrip(">"))
                        say("250 OK")
                elif up == "DATA":
                    say("354 go ahead")
                    while f.readline() not in (b".\r\n", b".\n", b""):
                        pass
                    self.count += 1
                    for r in rcpts:
                        self.accepted[r] = f"SINK{self.count:04d}"
                    say(f"250 OK queued as SINK{self.count:04d}")
                elif up == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("250 OK")
        except OSError:
            pass
        finally:
            conn.close()


# --------------------------------------------------------------------------- Exim config

CONFIG = r"""
# Written by scripts/lab/exim_lab.py for profile {profile}; no system config is read.
primary_hostname = mx.lab.test
qualify_domain = lab.test
domainlist local_domains = lab.test
exim_user = {exim_user}
exim_group = {exim_user}
spool_directory = {dir}/spool
{log_line}
pid_file_path = {dir}/exim.pid
local_interfaces = <; 127.0.0.1 ; ::1
daemon_smtp_ports = 25 : 587
tls_advertise_hosts = *
tls_certificate = {root}/cert.pem
tls_privatekey = {root}/key.pem
host_lookup = 127.0.1.10 : 127.0.1.95 : 127.0.1.96
rfc1413_hosts =
trusted_users = root
keep_environment =
auth_advertise_hosts = *
# no early pipelining: input before the banner is a synchronization error
pipelining_connect_advertise_hosts =
{selector_line}
{timezone_line}
acl_smtp_connect = acl_connect
acl_smtp_helo = acl_helo
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
acl_smtp_etrn = acl_etrn
smtp_receive_timeout = 3s

begin acl

acl_connect:
  drop    hosts = 127.0.1.77
          message = blocked by lab policy
  warn    hosts = 127.0.1.81
          delay = 1s
  # a host list with a name that does not resolve: "no IP address found for host
  # ghost.lab.example (during SMTP connection from ...)" (+all adds "list matching
  # forced to fail")
  warn    condition = ${{if eq{{$sender_host_address}}{{127.0.1.95}}}}
          hosts = ghost.lab.example
  accept

acl_helo:
  deny    condition = ${{if eq{{$sender_helo_name}}{{mx.lab.test}}}}
          message = HELO is our own name
  accept

acl_rcpt:
  accept  hosts = :
  drop    condition = ${{if >={{$rcpt_fail_count}}{{3}}}}
          message = too many unknown recipients
  deny    dnslists = rbl.lab.test
          message = JunkMail rejected - $sender_fullhost is in an RBL: $dnslist_domain
  defer   hosts = 127.0.1.60
          ratelimit = 2 / 1h / per_rcpt / strict / lab-$sender_host_address
          message = rate limit exceeded
  deny    condition = ${{if eq{{$received_port}}{{587}}}}
          !authenticated = *
          message = SMTP AUTH required for port 587
  accept  authenticated = *
  require message = relay not permitted
          domains = +local_domains
  require verify = sender
  require verify = recipient
  accept

acl_etrn:
  accept  hosts = 127.0.1.14

acl_data:
  deny    condition = ${{if match{{$h_subject:}}{{EICAR}}}}
          message = This message contains a virus (Eicar-Test-Signature).
  accept

begin routers

refused:
  driver = manualroute
  domains = remote.test
  route_list = * 127.0.0.3
  transport = refused_smtp

sink:
  driver = manualroute
  domains = sink.test
  route_list = * 127.0.0.2
  transport = remote_smtp

dnslookup:
  driver = dnslookup
  domains = ! +local_domains
  transport = remote_smtp
  no_more

system_aliases:
  driver = redirect
  data = ${{lookup{{$local_part}}lsearch{{{root}/aliases}}}}
  pipe_transport = address_pipe
  user = {exim_user}
  allow_fail

localuser:
  driver = accept
  local_parts = alice : bob : carol : u
  local_part_suffix = +*
  local_part_suffix_optional
  transport = local_delivery

begin transports

remote_smtp:
  driver = smtp
  port = 2525
  hosts_avoid_tls = *

refused_smtp:
  driver = smtp
  port = 2526

local_delivery:
  driver = appendfile
  file = {dir}/mail/$local_part_data
  user = {exim_user}
  group = {exim_user}
  mode = 0600

address_pipe:
  driver = pipe

begin rewrite
*@legacy.lab.test  ${{local_part}}@sink.test  F

begin retry
*  *  F,1h,10m

begin authenticators

plain_server:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${{if and{{{{eq{{$auth2}}{{alice}}}}{{eq{{$auth3}}{{wonderland}}}}}}}}
  server_set_id = $auth2

dovecot_login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = ${{if and{{{{eq{{$auth1}}{{bob}}}}{{eq{{$auth2}}{{battery}}}}}}}}
  server_set_id = $auth1
"""


# --------------------------------------------------------------------------- the driver

class Lab:
    def __init__(self, root, out, name, profile, sink):
        self.root, self.name, self.profile, self.sink = root, name, profile, sink
        self.dir = os.path.join(root, name)
        self.out = os.path.join(out, name)
        self.on = selectors_on(profile["selector"])
        self.cfg = os.path.join(self.dir, "exim.conf")
        self.expect = []   # expected lines (see add())
        self.events = []   # what the driver did, for people reading truth.json
        self.queued = {}   # message ids the driver needs later (admin actions)

    def has(self, selector):
        return "*" in self.on or selector in self.on

    def add(self, key, event, match, fields, needs=None, contains=None):
        """One line the log must hold: `match` picks it from our parse (every key
        equal), `fields` are then compared one by one. `needs`: the selector without
        which Exim does not write the line at all (the expectation is then dropped)."""
        if needs and not self.has(needs):
            return
        self.expect.append({"key": key, "event": event, "match": match,
                            "fields": fields, "contains": contains or {}})

    # ---- setup
    def setup(self):
        for sub in ("spool", "log", "mail"):
            os.makedirs(os.path.join(self.dir, sub))
        sel = self.profile["selector"]
        tz = self.profile["timezone"]
        text = CONFIG.format(
            profile=self.name, dir=self.dir, root=self.root, exim_user=EXIM_USER,
            selector_line=f"log_selector = {sel}" if sel else "",
            timezone_line=f"timezone = {tz}\nlog_timezone = true" if tz else "",
            log_line="log_file_path = syslog\nsyslog_timestamp = false"
            if self.profile.get("syslog") else f"log_file_path = {self.dir}/log/%slog")
        with open(self.cfg, "w") as f:
            f.write(text)
        os.chmod(self.cfg, 0o644)
        for sub in ("", "spool", "log", "mail"):
            shutil.chown(os.path.join(self.dir, sub), EXIM_USER, EXIM_USER)

    def exim(self, *args, user=None, cwd=None, stdin=None, timeout=30):
        cmd = [EXIM, *args]
        if user:
            cmd = ["runuser", "-u", user, "--"] + cmd
        return subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True,
                              timeout=timeout)

    def start(self):
        # The profile's config becomes /etc/exim4/exim4.conf of our private mount
        # namespace: no -C, so Exim keeps its privileges for any caller (a -C file keeps
        # them only for root and the Exim user) and www-data can submit like PHP does.
        shutil.copy(self.cfg, "/etc/exim4/exim4.conf")
        self.daemon = None
        self.rsyslog = start_rsyslog(self.root, self.dir) if self.profile.get("syslog") else None
        self.daemon = subprocess.Popen([EXIM, "-bdf", "-odi"])  # -bdf: stays our child
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", 25), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name}: the Exim daemon did not listen on 127.0.0.1:25")

    def settle(self, quiet=1.5, limit=25):
        """Waits until the mainlog stops growing (deliveries are done)."""
        log = os.path.join(self.dir, "log",
                           "traditional.log" if self.profile.get("syslog") else "mainlog")
        last, since, deadline = -1, time.time(), time.time() + limit
        while time.time() < deadline:
            size = os.path.getsize(log) if os.path.exists(log) else 0
            if size != last:
                last, since = size, time.time()
            elif time.time() - since >= quiet:
                return
            time.sleep(0.25)

    def stop(self):
        for proc in (self.daemon, self.rsyslog):
            if proc is None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    # ---- SMTP helpers
    def client(self, ip, port=25, helo=None, timeout=15):
        family_host = "::1" if ip == "::1" else "127.0.0.1"
        s = smtplib.SMTP(timeout=timeout, source_address=(ip, 0))
        s.connect(family_host, port)
        s._host = "mx.lab.test"  # for STARTTLS's server_hostname (not verified)
        if helo:
            s.ehlo(helo)
        return s

    @staticmethod
    def message(sender, rcpts, subject, msgid, body="lab body\n"):
        return (f"From: {sender}\r\nTo: {', '.join(rcpts)}\r\nSubject: {subject}\r\n"
                f"Message-ID: <{msgid}>\r\n\r\n{body}").encode("utf-8")

    def send(self, s, sender, rcpts, subject, msgid):
        code, _ = s.mail(sender)
        assert code == 250, (code, sender)
        for r in rcpts:
            code, resp = s.rcpt(r)
            assert code == 250, (code, resp, r)
        code, resp = s.data(self.message(sender, rcpts, subject, msgid))
        assert code == 250, (code, resp)
        return resp.decode().split("id=", 1)[1].strip()

    def host_ip(self, ip):
        return ip

    # ---- the traffic mix
    def run(self):
        n = self.name
        sub = self.has("subject")
        rr = self.has("received_recipients")

        def arrival(key, msgid, ip, helo, sender, rcpts, subject, proto, auth=None,
                    user=None, tls=False, name=None, port=None, iface=None):
            fields = {"sender": sender, "protocol": proto}
            if port and self.has("incoming_port"):
                fields["host.port"] = port
            if iface and self.has("incoming_interface"):
                fields["interface.ip"], fields["interface.port"] = iface
            if ip:
                fields["host.ip"] = ip
            if helo and name is None:
                fields["host.helo"] = helo
            if name:
                fields["host.name"] = name
                if helo != name:
                    fields["host.helo"] = helo
            if auth:
                fields["auth.authenticator"], fields["auth.id"] = auth
            if user:
                fields["user"] = user
            if sub:
                fields["subject"] = subject
            if rr:
                fields["recipients"] = rcpts
            contains = {"tls.cipher": "TLS"} if tls and self.has("tls_cipher") else {}
            self.add(key, "arrival", {"header_id": msgid}, fields, contains=contains)

        # A. authenticated PLAIN sender relaying to the sink
        s = self.client("127.0.1.10", helo="client10.lab.example")
        port_a = s.sock.getsockname()[1]
        self.auth(s, "PLAIN", "alice", "wonderland")
        rcpts = [f"friend.{n}@sink.test", f"alice+copy@lab.test"]
        subj, mid = f"Quarterly report {n}", f"a.{n}@lab.example"
        ida = self.send(s, f"alice@lab.test", rcpts, subj, mid)
        s.quit()
        arrival("auth-plain", mid, "127.0.1.10", "client10.lab.example", "alice@lab.test",
                rcpts, subj, "esmtpa", auth=("plain_server", "alice"),
                name="client10.lab.example", port=port_a, iface=("127.0.0.1", 25))
        self.add("auth-plain-remote", "delivery", {"message_id": ida, "recipient": rcpts[0]},
                 {"router": "sink", "transport": "remote_smtp", "host.ip": "127.0.0.2",
                  "flag": "=>"})
        # a local delivery logs the local part, then the address it came from
        self.add("auth-plain-local", "delivery", {"message_id": ida, "recipient": "alice"},
                 {"original_recipient": rcpts[1], "router": "localuser", "transport": "local_delivery", "flag": "=>"})
        self.add("auth-plain-completed", "completed", {"message_id": ida}, {})

        # B. STARTTLS + AUTH LOGIN (custom authenticator name) on port 587
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        s = self.client("127.0.1.11", port=587, helo="laptop11.lab.example")
        port_b = s.sock.getsockname()[1]
        s.starttls(context=ctx)
        s.ehlo("laptop11.lab.example")
        self.auth(s, "LOGIN", "bob", "battery")
        rcpts = [f"partner.{n}@sink.test"]
        subj, mid = 'Invoice "42" \\ due', f"b.{n}@lab.example"
        idb = self.send(s, "bob@lab.test", rcpts, subj, mid)
        s.quit()
        arrival("auth-login-tls", mid, "127.0.1.11", "laptop11.lab.example", "bob@lab.test",
                rcpts, subj, "esmtpsa", auth=("dovecot_login", "bob"), tls=True,
                port=port_b, iface=("127.0.0.1", 587))
        self.add("auth-login-tls-remote", "delivery", {"message_id": idb},
                 {"recipient": rcpts[0], "router": "sink", "transport": "remote_smtp"})

        # B2. subjects as spam has them: RFC 2047 encoded-words, raw 8-bit UTF-8, long.
        # Exim logs T= from $h_subject: (receive.c), i.e. RFC 2047-decoded into
        # headers_charset (UTF-8 on Debian), at most 100 bytes, top-bit bytes as \ooo.
        s = self.client("127.0.1.13", helo="news13.lab.example")
        long_subject = f"Limited offer {n} " + "x" * 120
        for i, (sent, logged) in enumerate([
                (f"=?UTF-8?B?UsOpc3Vtw6kg4pyT?= {n}", f"Résumé ✓ {n}"),
                (f"=?ISO-8859-1?Q?Caf=E9?= {n}", f"Café {n}"),
                (f"Résumé ✓ {n}", f"Résumé ✓ {n}"),
                (long_subject, long_subject[:100])]):
            mid = f"s{i}.{n}@lab.example"
            self.send(s, "news@sink.test", ["carol@lab.test"], sent, mid)
            arrival(f"subject-{i}", mid, "127.0.1.13", "news13.lab.example", "news@sink.test",
                    ["carol@lab.test"], logged, "esmtp")
        s.quit()

        # B3. one message to 30 long addresses: a line over Exim's 870-byte syslog limit
        s = self.client("127.0.1.10", helo="client10.lab.example")
        self.auth(s, "PLAIN", "alice", "wonderland")
        rcpts = [f"subscriber-{i:02d}-with-a-rather-long-local-part.{n}@sink.test"
                 for i in range(30)]
        mid = f"bulk.{n}@lab.example"
        self.send(s, "alice@lab.test", rcpts, f"Newsletter {n}", mid)
        s.quit()
        arrival("bulk", mid, "127.0.1.10", "client10.lab.example", "alice@lab.test", rcpts,
                f"Newsletter {n}", "esmtpa", auth=("plain_server", "alice"),
                name="client10.lab.example")

        # B4. a client that stops in the middle of DATA (Exim's data timeout is 3 s):
        # run beside the rest, joined before settling
        def stall():
            raw = socket.create_connection(("127.0.0.1", 25), timeout=20,
                                           source_address=("127.0.1.15", 0))
            f = raw.makefile("rb")
            f.readline()
            for cmd in (b"EHLO slow15.lab.example", b"MAIL FROM:<slow@sink.test>",
                        b"RCPT TO:<carol@lab.test>", b"DATA"):
                raw.sendall(cmd + b"\r\n")
                while True:  # read a (possibly multi-line) reply
                    line = f.readline()
                    if not line or line[3:4] != b"-":
                        break
            raw.sendall(b"Subject: half a message\r\n")
            try:
                f.readline()  # Exim's 421 after its timeout, or EOF
            except OSError:
                pass
            raw.close()
        staller = threading.Thread(target=stall, daemon=True)
        staller.start()
        self.add("data-timeout", "smtp_timeout", {"host.ip": "127.0.1.15"},
                 {"reason": "data timeout", "host.helo": "slow15.lab.example",
                  "sender": "<slow@sink.test>"})

        # B5. ETRN, VRFY, EXPN; a sender rewritten by the rewrite section
        s = self.client("127.0.1.14", helo="relay14.lab.example")
        s.docmd("ETRN", "#lab.test")
        s.docmd("VRFY", "alice")
        s.docmd("EXPN", "team")
        mid = f"rw.{n}@lab.example"
        self.send(s, "old@legacy.lab.test", ["carol@lab.test"], f"Rewritten {n}", mid)
        s.quit()
        self.add("etrn", "etrn", {"host.ip": "127.0.1.14"}, {"command": "#lab.test"},
                 needs="etrn")
        arrival("rewritten-sender", mid, "127.0.1.14", "relay14.lab.example", "old@sink.test",
                ["carol@lab.test"], f"Rewritten {n}", "esmtp")
        self.add("rewrite", "rewrite", {"original": "old@legacy.lab.test", "place": "env-from"},
                 {"rewritten": "old@sink.test"}, needs="address_rewrite")

        # C. AUTH failures, both authenticators
        for i, (mech, user, pw) in enumerate([("PLAIN", "alice", "guess1"),
                                              ("PLAIN", "alice", "guess2"),
                                              ("LOGIN", "admin", "123456")]):
            s = self.client("127.0.1.20", helo="scan20.lab.example")
            try:
                self.auth(s, mech, user, pw)
            except smtplib.SMTPAuthenticationError:
                pass
            s.close()
        self.add("auth-fail-plain", "auth_failed", {"host.ip": "127.0.1.20", "set_id": "alice"},
                 {"authenticator": "plain_server", "host.helo": "scan20.lab.example"})
        self.add("auth-fail-login", "auth_failed", {"host.ip": "127.0.1.20", "set_id": "admin"},
                 {"authenticator": "dovecot_login", "host.helo": "scan20.lab.example"})

        # D. dictionary attack: unknown users, then dropped
        s = self.client("127.0.1.30", helo="dict30.lab.example")
        s.mail(f"probe@sink.test")
        for i in range(4):
            s.rcpt(f"user{i}.{n}@lab.test")
        s.close()
        for i in range(3):
            self.add(f"dict-rcpt-{i}", "rejection",
                     {"host.ip": "127.0.1.30", "recipient": f"user{i}.{n}@lab.test"},
                     {"stage": "rcpt", "host.helo": "dict30.lab.example",
                      "sender": "<probe@sink.test>"})
        self.add("dict-drop", "rejection",
                 {"host.ip": "127.0.1.30", "recipient": f"user3.{n}@lab.test"},
                 {"stage": "rcpt", "reason": "too many unknown recipients"})
        self.add("dict-closed", "connection_close", {"host.ip": "127.0.1.30"},
                 {"reason": "DROP in ACL"}, needs="smtp_connection")

        # E. RBL listed client
        s = self.client("127.0.1.66", helo="spam66.lab.example")
        s.mail("offer@sink.test")
        s.rcpt("alice@lab.test")
        s.close()
        self.add("rbl", "rejection", {"host.ip": "127.0.1.66"},
                 {"stage": "rcpt", "recipient": "alice@lab.test",
                  "host.helo": "spam66.lab.example"},
                 contains={"reason": "is in an RBL: rbl.lab.test"})

        # F. connect ACL drop
        try:
            s = smtplib.SMTP(timeout=10, source_address=("127.0.1.77", 0))
            s.connect("127.0.0.1", 25)
            s.close()
        except (smtplib.SMTPException, OSError):
            pass
        self.add("connect-drop", "rejection", {"host.ip": "127.0.1.77"},
                 {"stage": "connect", "reason": "blocked by lab policy"},
                 needs="connection_reject")

        # G. HELO rejections: ACL and syntax
        s = self.client("127.0.1.40")
        s.ehlo("mx.lab.test")
        s.close()
        self.add("helo-acl", "rejection", {"host.ip": "127.0.1.40"},
                 {"stage": "helo", "reason": "HELO is our own name"})
        s = self.client("127.0.1.41")
        s.ehlo("bad_name!")
        s.close()
        self.add("helo-syntax", "rejection", {"host.ip": "127.0.1.41"}, {"stage": "helo"},
                 contains={"reason": "syntactically invalid"})

        # H. relay attempt, I. sender verify, J. AUTH required on 587
        s = self.client("127.0.1.50", helo="relay50.lab.example")
        s.mail("someone@sink.test")
        s.rcpt(f"victim.{n}@sink.test")
        s.close()
        self.add("relay", "rejection", {"host.ip": "127.0.1.50"},
                 {"stage": "rcpt", "recipient": f"victim.{n}@sink.test",
                  "reason": "relay not permitted", "host.helo": "relay50.lab.example"})
        s = self.client("127.0.1.51", helo="forger51.lab.example")
        s.mail("ghost@nxdomain.test")
        s.rcpt("alice@lab.test")
        s.close()
        self.add("sender-verify", "rejection", {"host.ip": "127.0.1.51"},
                 {"stage": "rcpt", "recipient": "alice@lab.test",
                  "reason": "Sender verify failed", "sender": "<ghost@nxdomain.test>"})
        s = self.client("127.0.1.52", port=587, helo="noauth52.lab.example")
        s.mail("someone@sink.test")
        s.rcpt("carol@lab.test")
        s.close()
        self.add("auth-required", "rejection", {"host.ip": "127.0.1.52"},
                 {"stage": "rcpt", "recipient": "carol@lab.test",
                  "reason": "SMTP AUTH required for port 587"})

        # K. rate limit: temporary rejections after two recipients
        s = self.client("127.0.1.60", helo="bulk60.lab.example")
        s.mail("news@sink.test")
        for i in range(4):
            s.rcpt(f"alice+r{i}@lab.test")
        s.close()
        self.add("ratelimit", "rejection",
                 {"host.ip": "127.0.1.60", "recipient": "alice+r3@lab.test"},
                 {"stage": "rcpt", "temporary": True, "reason": "rate limit exceeded"})

        # L. no MAIL
        s = self.client("127.0.1.70", helo="idle70.lab.example")
        s.quit()
        self.add("no-mail", "no_mail", {"host.ip": "127.0.1.70"},
                 {"host.helo": "idle70.lab.example"}, needs="smtp_no_mail")

        # M. syntax errors, then too many unknown commands
        s = self.client("127.0.1.80", helo="junk80.lab.example")
        try:
            s.docmd("MAIL FROM:<broken")
            for i in range(4):  # Exim drops the connection after the third error
                s.docmd(f"XYZZY{i}")
        except smtplib.SMTPServerDisconnected:
            pass
        s.close()
        self.add("syntax-mail", "smtp_error", {"host.ip": "127.0.1.80", "command": "MAIL FROM:<broken"},
                 {"host.helo": "junk80.lab.example"}, needs="smtp_syntax_error")
        self.add("syntax-dropped", "smtp_dropped", {"host.ip": "127.0.1.80"},
                 {"host.helo": "junk80.lab.example"},
                 contains={"reason": "too many"})

        # N. protocol synchronization error: talking before the banner (the connect
        # ACL delays this host so that our EHLO is surely waiting when Exim checks)
        raw = socket.create_connection(("127.0.0.1", 25), timeout=10,
                                       source_address=("127.0.1.81", 0))
        raw.sendall(b"EHLO eager81.lab.example\r\n")
        try:
            raw.recv(1024)
        except OSError:
            pass
        raw.close()
        self.add("sync-error", "smtp_error", {"host.ip": "127.0.1.81"},
                 {"reason": "input sent without waiting for greeting"})

        # O. "virus" rejected after DATA (an ACL condition: the light daemon has no scanner)
        s = self.client("127.0.1.90", helo="worm90.lab.example")
        s.mail("worm@sink.test")
        s.rcpt("carol@lab.test")
        code, _ = s.data(self.message("worm@sink.test", ["carol@lab.test"], "EICAR test",
                                      f"v.{n}@lab.example"))
        s.close()
        self.add("virus", "rejection", {"host.ip": "127.0.1.90"},
                 {"stage": "data", "reason": "This message contains a virus (Eicar-Test-Signature)."})

        # P. host lookup failures, then ordinary mail from those hosts
        for ip, helo in (("127.0.1.95", "forged95.lab.example"), ("127.0.1.96", "nodns96.lab.example")):
            s = self.client(ip, helo=helo)
            mid = f"p{ip[-2:]}.{n}@lab.example"
            self.send(s, f"info@sink.test", ["carol@lab.test"], f"Hello from {helo}", mid)
            s.quit()
            arrival(f"lookup-arrival-{ip}", mid, ip, helo, "info@sink.test", ["carol@lab.test"],
                    f"Hello from {helo}", "esmtp")
        self.add("no-ip-for-host", "host_lookup_failed", {"host.ip": "127.0.1.95"},
                 {"reason": "ghost.lab.example"}, needs="host_lookup_failed")
        self.add("no-name-for-ip", "host_lookup_failed", {"host.ip": "127.0.1.96"}, {},
                 needs="host_lookup_failed")

        # Q. bounce from the sink (550) and an unrouteable local address
        s = self.client("127.0.1.10", helo="client10.lab.example")
        self.auth(s, "PLAIN", "alice", "wonderland")
        mid = f"q.{n}@lab.example"
        idq = self.send(s, "alice@lab.test", [f"reject.{n}@sink.test"], "Will bounce", mid)
        s.quit()
        fields = {"recipient": f"reject.{n}@sink.test", "router": "sink",
                  "transport": "remote_smtp", "host.ip": "127.0.0.2"}
        if self.has("sender_on_delivery"):
            fields["sender"] = "alice@lab.test"
        if self.has("outgoing_port"):
            fields["host.port"] = 2525
        if self.has("outgoing_interface"):
            fields["interface.ip"] = "127.0.0.1"
        self.add("bounce-remote", "failure", {"message_id": idq}, fields,
                 contains={"error": "550 5.1.1 no such user here"})
        self.add("bounce-arrival", "arrival", {"bounce_parent": idq}, {"sender": "<>"})

        # R. deferral: the "remote" host refuses connections
        s = self.client("::1", helo="v6client.lab.example")
        self.auth(s, "PLAIN", "alice", "wonderland")
        mid = f"r.{n}@lab.example"
        idr = self.send(s, "alice@lab.test", [f"gone.{n}@remote.test", f"stay.{n}@remote.test"],
                        "Will defer", mid)
        s.quit()
        self.queued["deferred"] = idr
        arrival("v6-arrival", mid, "::1", "v6client.lab.example", "alice@lab.test",
                [f"gone.{n}@remote.test", f"stay.{n}@remote.test"], "Will defer", "esmtpa",
                auth=("plain_server", "alice"))
        self.add("deferral", "deferral", {"message_id": idr, "recipient": f"gone.{n}@remote.test"},
                 {"router": "refused", "transport": "refused_smtp", "errno": 111})

        # S/U. local submissions from a web script directory, to pipe, alias, bounce
        webdir = os.path.join(self.root, "home", "u", "public_html", "wp")
        msg = (f"To: team@lab.test, pipe@lab.test, nobody.{n}@lab.test, fan.{n}@sink.test\n"
               f"Subject: Cheap pills {n}\nMessage-ID: <w.{n}@lab.example>\n\nbuy now\n").encode()
        r = self.exim("-t", "-i", user=WEB_USER, cwd=webdir, stdin=msg)
        self.events.append({"web_submission": webdir, "rc": r.returncode,
                            "stderr": r.stderr.decode(errors="replace")})
        if r.returncode not in (0, 1):
            raise RuntimeError(f"web submission failed: {r.stderr.decode()}")
        # W. a local SMTP session on stdin (exim -bs), as a mail() replacement talks
        mid = f"bs.{n}@lab.example"
        session = ("EHLO webhost\r\nMAIL FROM:<www-data@lab.test>\r\nRCPT TO:<carol@lab.test>\r\n"
                   f"DATA\r\nSubject: Local SMTP {n}\r\nMessage-ID: <{mid}>\r\n\r\nhi\r\n.\r\n"
                   "QUIT\r\n").encode()
        r = self.exim("-bs", user=WEB_USER, cwd=webdir, stdin=session)
        self.events.append({"bs_session": r.returncode, "stdout": r.stdout.decode(errors="replace")})
        arrival("bs-arrival", mid, None, None, "www-data@lab.test", ["carol@lab.test"],
                f"Local SMTP {n}", "local-esmtp", user="www-data")
        self.add("web-args", "arguments", {"cwd": webdir},
                 {"args": [EXIM, "-t", "-i"]}, needs="arguments")
        arrival("web-arrival", f"w.{n}@lab.example", None, None, "www-data@lab.test",
                ["team@lab.test", "pipe@lab.test", f"nobody.{n}@lab.test", f"fan.{n}@sink.test"],
                f"Cheap pills {n}", "local", user="www-data")
        self.add("alias-alice", "delivery", {"recipient": "alice", "original_recipient": "team@lab.test"},
                 {"router": "localuser", "transport": "local_delivery"})
        self.add("pipe", "delivery", {"recipient": "|/bin/cat"},
                 {"original_recipient": "pipe@lab.test", "router": "system_aliases",
                  "transport": "address_pipe"})
        self.add("unrouteable", "failure", {"recipient": f"nobody.{n}@lab.test"},
                 {"sender": "www-data@lab.test"} if self.has("sender_on_delivery") else {},
                 contains={"error": "Unrouteable address"})

        staller.join(15)
        self.settle()
        # the sink's own reply, as Exim logs it in C="..." (+smtp_confirmation)
        for rcpt, qid in sorted(self.sink.accepted.items()):
            if f".{n}@" in rcpt:
                fields = {"confirmation": f"250 OK queued as {qid}", "host.ip": "127.0.0.2"}
                if self.has("outgoing_port"):
                    fields["host.port"] = 2525
                self.add(f"confirmation-{rcpt}", "delivery", {"recipient": rcpt}, fields,
                         needs="smtp_confirmation")
        # V. administrator actions on the deferred message, and on a second one
        i2 = self.queue_one("admin2")
        for args in (["-Mar", idr, f"added.{n}@lab.test"], ["-Mmd", idr, f"stay.{n}@remote.test"],
                     ["-Mes", idr, f"new.{n}@lab.test"], ["-Mf", idr], ["-Mt", idr],
                     ["-Mrm", i2]):
            r = self.exim(*args)
            self.events.append({"admin": args, "rc": r.returncode,
                                "output": r.stdout.decode(errors="replace")})
        self.add("admin-added", "admin_action", {"message_id": idr, "action": "recipient_added"},
                 {"address": f"added.{n}@lab.test", "by": "root"})
        self.add("admin-marked", "admin_action", {"message_id": idr, "action": "marked_delivered"},
                 {"address": f"stay.{n}@remote.test", "by": "root"})
        self.add("admin-sender", "admin_action", {"message_id": idr, "action": "sender_changed"},
                 {"address": f"new.{n}@lab.test", "by": "root"})
        self.add("admin-frozen", "frozen", {"message_id": idr}, {"by": "root"})
        self.add("admin-unfrozen", "unfrozen", {"message_id": idr}, {"by": "root"})
        self.add("admin-removed", "removed", {"message_id": i2}, {"by": "root"})
        self.exim("-qff", timeout=60)
        self.settle()

    @staticmethod
    def auth(s, mech, user, pw):
        """One AUTH attempt with the given mechanism (smtplib.login would try them all)."""
        s.user, s.password = user, pw
        if mech == "PLAIN":
            s.auth("PLAIN", s.auth_plain)
        else:
            s.auth("LOGIN", s.auth_login, initial_response_ok=False)

    def queue_one(self, tag):
        """A message that stays on the queue (-odq), for -Mrm."""
        s = self.client("127.0.0.1", helo="admin.lab.example")
        self.auth(s, "PLAIN", "alice", "wonderland")
        mid = f"{tag}.{self.name}@lab.example"
        qid = self.send(s, "alice@lab.test", [f"x.{tag}@remote.test"], tag, mid)
        s.quit()
        return qid

    def truth(self):
        return {"profile": self.name, "log_selector": self.profile["selector"],
                "timezone": self.profile["timezone"], "exim": EXIM,
                "line_checks": {"pid": self.has("pid"), "millisec": self.has("millisec"),
                                "offset": "+05:30" if self.profile["timezone"] else None},
                "expect": self.expect, "events": self.events,
                # clients that only sent good mail (or stalled): never offenders
                "innocent_ips": ["127.0.1.10", "127.0.1.11", "127.0.1.13", "127.0.1.14",
                                 "127.0.1.15", "::1"]}


RSYSLOG_CONF = """
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
global(workDirectory="{work}")
mail.* action(type="omfile" file="{log}/traditional.log" template="RSYSLOG_TraditionalFileFormat")
mail.* action(type="omfile" file="{log}/iso.log" template="RSYSLOG_FileFormat")
"""


def start_rsyslog(root, pdir):
    """rsyslogd listening on our namespace's own /dev/log, writing mail.* to two files."""
    work = os.path.join(pdir, "rsyslog")
    os.makedirs(work)
    conf = os.path.join(pdir, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(RSYSLOG_CONF.format(work=work, log=os.path.join(pdir, "log")))
    proc = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i", os.path.join(pdir, "rsyslog.pid")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while not os.path.exists("/dev/log"):
        if time.time() > deadline:
            raise RuntimeError("rsyslogd did not create /dev/log")
        time.sleep(0.1)
    return proc


def private_dev(root):
    """A tmpfs /dev in our mount namespace, with its own null, zero, full, random,
    urandom and tty nodes: rsyslogd's /dev/log socket then exists only here. Never a
    bind mount of the host's /dev (deleting our temp dir must not reach it)."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/dev"], check=True)
    for name, minor in (("null", 3), ("zero", 5), ("full", 7), ("random", 8), ("urandom", 9)):
        os.mknod(f"/dev/{name}", stat.S_IFCHR | 0o666, os.makedev(1, minor))
        os.chmod(f"/dev/{name}", 0o666)  # mknod's mode went through the umask
    os.mknod("/dev/tty", stat.S_IFCHR | 0o666, os.makedev(5, 0))
    os.chmod("/dev/tty", 0o666)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"/dev/{name}")


def records():
    r = {("mx.lab.test", DnsStub.A): "127.0.0.1",
         ("10.1.0.127.in-addr.arpa", DnsStub.PTR): "client10.lab.example",
         ("client10.lab.example", DnsStub.A): "127.0.1.10",
         ("95.1.0.127.in-addr.arpa", DnsStub.PTR): "forged.lab.example",
         ("66.1.0.127.rbl.lab.test", DnsStub.A): "127.0.0.2",
         ("66.1.0.127.rbl.lab.test", DnsStub.TXT): "listed by lab"}
    return r


def namespace_setup(root):
    """Inside `unshare -nm`: loopback up, our resolv.conf, our /etc/exim4."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    resolv = os.path.join(root, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
    # Our own empty /etc/exim4 (see Lab.start): the host's Exim config is never read.
    etc = os.path.join(root, "etc-exim4")
    os.makedirs(etc)
    subprocess.run(["mount", "--bind", etc, "/etc/exim4"], check=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=mx.lab.test", "-keyout", os.path.join(root, "key.pem"),
                    "-out", os.path.join(root, "cert.pem")], check=True, capture_output=True)
    for f in ("key.pem", "cert.pem"):
        shutil.chown(os.path.join(root, f), EXIM_USER, EXIM_USER)
    with open(os.path.join(root, "aliases"), "w") as f:
        f.write("team: alice, bob\npipe: |/bin/cat\n")
    web = os.path.join(root, "home", "u", "public_html", "wp")
    os.makedirs(web)
    for d in (os.path.join(root, "home"), os.path.join(root, "home", "u"),
              os.path.join(root, "home", "u", "public_html"), web):
        os.chmod(d, 0o755)
    os.chmod(root, 0o755)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="directory for logs and truth.json")
    ap.add_argument("--profiles", default=",".join(PROFILES))
    args = ap.parse_args()
    if os.getuid() != 0:
        sys.exit("exim_lab.py: run through scripts/exim-lab (needs root in a private namespace)")
    root = tempfile.mkdtemp(prefix="exim-lab.", dir="/tmp")
    namespace_setup(root)
    dns, sink = DnsStub(records()), Sink()
    os.makedirs(args.out, exist_ok=True)
    labs = [Lab(root, args.out, p, PROFILES[p], sink) for p in args.profiles.split(",")]
    if any(lab.profile.get("syslog") for lab in labs):
        if not shutil.which("rsyslogd"):
            sys.exit("exim-lab: the syslog profile needs rsyslogd (apt-get install rsyslog)")
        private_dev(root)
    for lab in labs:
        lab.setup()
    failed = False
    for lab in labs:
        t0 = time.time()
        try:
            lab.start()
            lab.run()
        except Exception as e:  # keep the logs of a failed run: they explain it
            failed = True
            print(f"exim-lab: profile {lab.name}: {type(e).__name__}: {e}", file=sys.stderr)
        finally:
            lab.stop()
        outs = [(lab.out, lab.name, None)]
        if lab.profile.get("syslog"):
            # one run, two files: rsyslog's traditional and ISO 8601 formats
            outs = [(lab.out, lab.name, "traditional.log"),
                    (lab.out + "_iso", lab.name + "_iso", "iso.log")]
        for out, name, src in outs:
            if os.path.exists(out):
                shutil.rmtree(out)
            os.makedirs(os.path.join(out, "log"))
            logdir = os.path.join(lab.dir, "log")
            for f in os.listdir(logdir):
                if src is None or f == src:
                    shutil.copy(os.path.join(logdir, f),
                                os.path.join(out, "log", "mainlog" if src else f))
            truth = lab.truth()
            truth["profile"] = name
            with open(os.path.join(out, "truth.json"), "w") as f:
                json.dump(truth, f, indent=1)
        print(f"exim-lab: profile {lab.name}: {len(lab.expect)} expectations, "
              f"{time.time() - t0:.1f}s", file=sys.stderr)
    dns.stop = sink.stop = True
    if os.getpid() == 1:
        # pid 1 of our own pid namespace (scripts/exim-lab): end every Exim child
        # still running, so none writes into the directory we remove next
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
    shutil.rmtree(root, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
