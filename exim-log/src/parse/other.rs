//! Lines without a flag: connections, rejections, `cwd=` arguments, queue runs,
//! daemon lines, and message lines such as `Frozen` (spec §2, §10).
//!
//! The kind is chosen by the first word (a `match` on a few bytes), so each line
//! runs at most a couple of small parsers, not every one in turn.

use super::{daemon, notice, process, reject, session};
use crate::event::Event;

/// Parses a line body that carries no flag into `event` (which is
/// [`Event::Unknown`] and stays so when the shape is not known).
///
/// The most common kinds (`SMTP connection`, `cwd=`) are written in place:
/// returning an event and assigning it copies the whole event on every line
/// (callgrind; the count is in benches/README.md); the others go through [`event`].
#[inline]
pub(crate) fn event_into<'a>(text: &'a [u8], event: &mut Event<'a>) {
    if let Some(r) = text.strip_prefix(b"SMTP ") {
        session::smtp_into(r, event);
    } else if let Some(r) = text.strip_prefix(b"cwd=") {
        if let Some(a) = process::arguments(r) {
            *event = Event::Arguments(a);
        }
    } else if let Some(e) = self::event(text).or_else(|| notice::last_resort(text)) {
        *event = e;
    }
}

/// Parses a line body that carries no flag. `None` when the shape is not known.
fn event(text: &[u8]) -> Option<Event<'_>> {
    let first = text.first()?;
    match first {
        b'H' | b'U' | b'F' if text.get(1) == Some(&b'=') => reject::client_line(text),
        b'D' if text.starts_with(b"DS H=") => reject::client_line(text),
        b'S' if text.starts_with(b"Start ") => daemon::queue_run(text),
        b'S' if text.starts_with(b"SA: ") => notice::sa_exim(text),
        b'E' if text.starts_with(b"End ") => daemon::queue_run(text),
        b'A' if text.starts_with(b"Abandon ") => daemon::queue_run(text),
        b'e' if text.starts_with(b"exim ") => daemon::daemon_started(text.get(5..)?),
        b'p' if text.starts_with(b"pid ") => daemon::signal(text.get(4..)?),
        b'r' if text.starts_with(b"rejected ") => reject::bare_rejection(text),
        b'r' | b'a' | b's'
            if text.starts_with(b"recipient <")
                || text.starts_with(b"address <")
                || text.starts_with(b"sender address changed to <") =>
        {
            notice::admin(text)
        }
        b'r' | b'l' | b'H' if let Some(e) = notice::fixed(text) => Some(e),
        b's' | b'l' | b'r' | b'o' | b'i' | b'n' | b'S' | b'q' | b'p' | b'0'..=b'9'
            if let Some(e) = notice::system(text) =>
        {
            Some(e)
        }
        b'u' if text.starts_with(b"unqualified ") => reject::unqualified(text),
        b't' if text.starts_with(b"temporarily rejected ") => reject::bare_rejection(text),
        b't' if text.starts_with(b"too many recipients: ") => reject::too_many_recipients(text),
        b'V' if text.starts_with(b"VRFY failed for ") => reject::vrfy_failed(text),
        b'n' if text.starts_with(b"no ") => {
            let r = text.get(3..)?;
            session::no(r).or_else(|| notice::no_immediate(r))
        }
        b'u' if text.starts_with(b"unexpected ") => session::unexpected(text.get(11..)?),
        b'C' | b'c' | b'r' | b't' if session::is_refusal(text) => session::refused(text),
        b'E' | b'A' if text.get(1..5) == Some(b"TRN ") => session::etrn(text),
        b'i' if text.starts_with(b"ignoring AUTH=") => {
            session::auth_sender_ignored(text.get(14..)?)
        }
        b'T' | b'D' | b'O' | b'R' | b'S' | b'[' => session::tls_notice(text)
            .or_else(|| notice::keyword(text))
            .or_else(|| fallback(text)),
        b'"' => notice::rewrite(text),
        _ => notice::keyword(text).or_else(|| fallback(text)),
    }
}

/// Shapes whose first word is free (an address, an authenticator name):
/// `<addr>: error ignored`, `<addr>: <t> transport output: ...`,
/// `<name> authenticator failed ...`. One short search each.
fn fallback(text: &[u8]) -> Option<Event<'_>> {
    let sp = memchr::memchr(b' ', text)?;
    let second = text.get(sp + 1..)?;
    if second.starts_with(b"authenticator failed ") {
        return reject::auth_failed(text);
    }
    if second.starts_with(b"[") {
        // Exim < 4.86 wrote an outgoing connection's error without `H=`
        // (transports/smtp.c write_logs: `"%s [%s]:%d %s"`, host name,
        // address, port with +outgoing_port, strerror): `mx.example.com
        // [192.0.2.1] Connection refused`.
        if let Some(e) = session::old_host_error(text) {
            return Some(e);
        }
    }
    if super::peer::find(text, b": ").is_some() {
        return notice::address_line(text);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line per event kind (text after the prefix and id), written from
    /// the shapes of spec §2 and §10; the JSON `event` tag must equal `name()`.
    #[test]
    fn dispatch_table() {
        let cases: &[(&str, &str)] = &[
            (
                "cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i",
                "arguments",
            ),
            (
                "exim 4.97.1 daemon started: pid=812, -q30m, listening for SMTP on port 25 (IPv6 and IPv4)",
                "daemon_started",
            ),
            ("pid 812: SIGHUP received: re-exec daemon", "daemon_signal"),
            ("Start queue run: pid=9001 -qff", "queue_run"),
            ("End 'bulk' queue run: pid=9001", "queue_run"),
            (
                "Abandon queue run: pid=9001 (load 9.10, max 8.00)",
                "queue_run",
            ),
            (
                "temporarily rejected RCPT <c@d.example>: greylisted",
                "rejection",
            ),
            (
                "too many recipients: message rejected: sender=<a@b.example> H=(pc) [192.0.2.1]",
                "rejection",
            ),
            (
                "VRFY failed for <c@d.example> H=(pc) [192.0.2.1]",
                "rejection",
            ),
            (
                "ignoring AUTH=a@b.example from H=(pc) [192.0.2.1] (client not authenticated)",
                "auth_sender_ignored",
            ),
            (
                "SMTP connection from [192.0.2.1]:40000 I=[198.51.100.1]:25 (TCP/IP connection count = 2)",
                "connection_open",
            ),
            (
                "SMTP connection from (pc) [192.0.2.1]:40000 D=3s closed by QUIT",
                "connection_close",
            ),
            (
                "SMTP connection from (pc) [192.0.2.1] lost D=1m",
                "connection_lost",
            ),
            (
                "unexpected disconnection while reading SMTP command from (pc) [192.0.2.1] D=4s",
                "connection_lost",
            ),
            (
                "SMTP command timeout on connection from (pc) [192.0.2.1] D=5m",
                "smtp_timeout",
            ),
            (
                "no MAIL in SMTP connection from (pc) [192.0.2.1] D=2s C=EHLO,QUIT",
                "no_mail",
            ),
            (
                "SMTP syntax error in \"HELO\" H=[192.0.2.1] HELO must have a domain name",
                "smtp_error",
            ),
            (
                "SMTP call from (pc) [192.0.2.1] dropped: too many unrecognized commands (last was \"GET /\")",
                "smtp_dropped",
            ),
            (
                "Connection from [192.0.2.1]:4000 refused: too many connections",
                "connection_refused",
            ),
            (
                "temporarily refused connection from [192.0.2.1]: not in reserve list: connected=10 max=10 reserve=2",
                "connection_refused",
            ),
            (
                "TLS error on connection from (pc) [192.0.2.1] (SSL_accept): error:0A00006C:SSL routines::bad key share",
                "tls_error",
            ),
            (
                "H=mx.example.net [192.0.2.9] Connection timed out",
                "host_error",
            ),
            (
                "mx.example.net [192.0.2.9] Connection timed out",
                "host_error",
            ),
            (
                "mx.example.net [192.0.2.9]:25 Network is unreachable",
                "host_error",
            ),
            (
                "no host name found for IP address 192.0.2.1",
                "host_lookup_failed",
            ),
            (
                "H=(pc) [192.0.2.1] incomplete transaction (connection lost) from <a@b.example> for c@d.example",
                "incomplete_transaction",
            ),
            ("ETRN #example.org received from (pc) [192.0.2.1]", "etrn"),
            (
                "H=(pc) [192.0.2.1] F=<a@b.example> rejected RCPT <c@d.example>: relay not permitted",
                "rejection",
            ),
            (
                "DS H=mail.b.example [192.0.2.5] F=<a@b.example> temporarily rejected RCPT <c@d.example>: greylisted",
                "rejection",
            ),
            (
                "rejected HELO from [192.0.2.1]: syntactically invalid argument(s): (no argument given)",
                "rejection",
            ),
            ("H=[192.0.2.1] dropped by 'connect' ACL: blocked", "dropped"),
            (
                "F=<a@b.example> H=(pc) [192.0.2.1] TFO* U=joe P=esmtp rejected by local_scan(): no",
                "rejection",
            ),
            (
                "H=(pc) [192.0.2.1] F=<a@b.example> RCPT <c@d.example>: discarded by RCPT ACL",
                "discarded",
            ),
            (
                "H=(pc) [192.0.2.1] sender verify fail for <a@b.example>: Unrouteable address",
                "sender_verify",
            ),
            (
                "H=(pc) [192.0.2.1] Warning: 192.0.2.1 is listed in bl.example.net",
                "warning",
            ),
            (
                "plain authenticator failed for H=(pc) [192.0.2.1]: 535 Incorrect authentication data (set_id=bob)",
                "auth_failed",
            ),
            ("Frozen (delivery error message)", "frozen"),
            ("Unfrozen by auto-thaw", "unfrozen"),
            ("removed by root", "removed"),
            ("cancelled by timeout_frozen_after", "cancelled"),
            ("Message is frozen", "message_is_frozen"),
            (
                "Spool file is locked (another process is handling this message)",
                "spool_locked",
            ),
            (
                "no immediate delivery: queued by ACL",
                "no_immediate_delivery",
            ),
            (
                "original recipients ignored (system filter)",
                "recipients_ignored",
            ),
            (
                "DNS list lookup defer (probably timeout) for 1.2.0.192.zen.example: assumed not in list",
                "dnslist",
            ),
            ("bob@example.com: error ignored", "error_ignored"),
            // deliver.c `%s: error ignored` starts with the address, so any
            // first letter: an arm chosen by its first byte must let it by.
            ("Alice@example.com: error ignored", "error_ignored"),
            ("editor@example.com: error ignored", "error_ignored"),
            ("ivan@example.com: error ignored", "error_ignored"),
            ("nora@example.com: error ignored", "error_ignored"),
            ("ursula@example.com: error ignored", "error_ignored"),
            ("Victor@example.com: error ignored", "error_ignored"),
            ("ATRN 'a.example' received from (pc) [192.0.2.1]", "etrn"),
            (
                "<bob@example.com>: pipe transport output: hello",
                "transport_output",
            ),
            (
                "DKIM: d=example.com s=s1 c=relaxed/relaxed a=rsa-sha256 b=2048 [verification succeeded]",
                "dkim",
            ),
            (
                "\"bob\" from env-from rewritten as \"bob@example.com\" by rule 1",
                "rewrite",
            ),
            ("moved from input, msglog to bulk input, msglog", "moved"),
            (
                "failed to expand \"${lookup\" in router r1: missing }",
                "expansion_failed",
            ),
            (
                "Exim configuration error in line 12 of /etc/exim/exim.conf:",
                "config_error",
            ),
            (
                "malware acl condition: clamd: unable to connect to socket",
                "malware_error",
            ),
            (
                "[192.0.2.1] SSL verify error: depth=0 error=certificate has expired cert=/CN=x",
                "tls_error",
            ),
            ("recipient <new@example.com> added by root", "admin_action"),
            (
                "address <a@example.com> marked delivered by root",
                "admin_action",
            ),
            (
                "sender address changed to <s@example.org> by admin",
                "admin_action",
            ),
            ("rewrite: domain missing or malformed", "rewrite_error"),
            (
                "remote host address is the local host: example.com (while routing <a@example.com>)",
                "self_routing",
            ),
            (
                "lowest numbered MX record points to local host: example.com",
                "self_routing",
            ),
            (
                "list matching forced to fail: failed to open /etc/exim/x for linear search: No such file or directory",
                "list_match_failed",
            ),
            (
                "Header modification in data ACLs will not take effect on cutthrough deliveries",
                "warning",
            ),
            (
                "unqualified recipient rejected: <postmaster> H=(pc) [192.0.2.1]:4000 I=[198.51.100.1]:25",
                "rejection",
            ),
            (
                "exim 4.96 daemon terminating, inetd wait timeout reached.",
                "daemon_stopped",
            ),
            (
                "SA: Action: scanned but message isn't spam: score=0.1 required=5.0 (scanned in 1/1 secs | Message-Id: a@b.example). From <a@b.example> (host=mx.b.example [192.0.2.1]) for c@d.example",
                "sa_exim",
            ),
            (
                "spool directory space check failed: space=100 inodes=-1",
                "system_notice",
            ),
            (
                "ridiculously long message header received from [192.0.2.1] (more than 1000 characters): message abandoned",
                "system_notice",
            ),
            ("ident connection to 192.0.2.1 timed out", "system_notice"),
            ("listen backlog 30 I=[192.0.2.2]:25", "system_notice"),
            ("notify triggered queue run", "system_notice"),
            ("SIGSEGV (null pointer indirection)", "system_notice"),
            ("2 accept() failures: Too many open files", "system_notice"),
            ("routing loop for joe@example.org", "system_notice"),
            ("Delivery deferred by system filter", "system_notice"),
            (
                "[192.0.2.9] after QUIT, client reset TCP before SMTP response and TLS close",
                "tls_error",
            ),
            ("TLS error (SSL_read): unexpected eof", "tls_error"),
            ("Tainted filename for search: '/etc/x'", "system_notice"),
            (
                "fork() failed when starting daemon: No memory",
                "system_notice",
            ),
            (
                "DMARC results: spf_domain=a.example dmarc_domain=a.example spf_align=yes dkim_align=yes enforcement='Accept'",
                "dmarc_result",
            ),
            (
                "Expansion of \"$x\" (smtp_banner) failed: bad",
                "expansion_failed",
            ),
            ("this is free text from an ACL logwrite", "unknown"),
            ("H=(pc) [192.0.2.1] some lowercase logwrite text", "unknown"),
        ];
        for (text, want) in cases {
            let mut e = Event::Unknown;
            event_into(text.as_bytes(), &mut e);
            assert_eq!(e.name(), *want, "{text}");
            #[cfg(feature = "serde")]
            assert_eq!(serde_json::to_value(&e).unwrap()["event"], *want, "{text}");
        }
    }

    /// The TLS arm reads what `notice::last_resort` (the catch-all for texts
    /// no arm takes) only names: tls.c's `TLS error on connection from
    /// <sender_fullhost> (<fn>): <msg>` has the client's host, and the reason
    /// is the text after it.
    #[test]
    fn tls_error_lines_keep_the_client() {
        let text = b"TLS error on connection from (pc) [192.0.2.1]:4000 (SSL_accept): error:0A00006C:SSL routines::bad key share";
        let mut e = Event::Unknown;
        event_into(text, &mut e);
        let Event::TlsError(s) = e else {
            panic!("not a tls_error: {e:?}")
        };
        assert_eq!(s.peer.ip().unwrap(), "192.0.2.1");
        assert_eq!(
            s.reason.unwrap(),
            "(SSL_accept): error:0A00006C:SSL routines::bad key share"
        );
    }
}
