//! Client text that imitates fields (issue 13 item 3; the class of
//! CVE-2013-7176, where a crafted address made a ban tool read an arbitrary
//! IP): whatever an SMTP client sends as its command, its sender, its
//! recipients or its subject, the peer's IP, port and the line's kind must
//! not move. The lines are rendered the way Exim writes them (smtp_in.c,
//! host.c host_and_ident, receive.c), with the client's text where Exim puts
//! it and escaped as Exim escapes it:
//!
//! * the command through `string_printing` (`"` is printable: not escaped);
//! * addresses as accepted by Exim's address parser (RFC 5321): a dot-atom or
//!   a quoted local part, which may hold spaces, `"`-escapes, `<`, `>`, `[`...;
//! * the subject with `"` and `\` escaped, then `string_printing`;
//! * the HELO as Exim's default `check_helo` accepts it (letters, digits,
//!   `.`, `-`, `_`); HELOs with spaces only reach the log with
//!   `helo_accept_junk_hosts`, see [`junk_helo_is_read_from_the_right_where_exim_allows`].
//!
//! `PROPTEST_CASES=10000 cargo test -p exim-log --test injection` runs longer.

use exim_log::{Event, parse_line};
use proptest::prelude::*;

const IP: &str = "192.0.2.7";
const PORT: u16 = 41234;
const TS: &str = "2024-05-25 10:10:28 ";
const ID: &str = "1sAoM5-00000009r3p-06vq";

/// Text that imitates Exim's own fields, mixed with arbitrary printable text.
fn imitation() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just(" H=(x) [8.8.8.8]:25 ".to_string()),
        Just("\" H=(x) [8.8.8.8] ".to_string()),
        Just(") [8.8.8.8]:25 I=[10.0.0.1]:25 ".to_string()),
        Just(" I=[10.0.0.1]:25".to_string()),
        Just(" F=<a@b> rejected RCPT <c@d>: x".to_string()),
        Just(" [8.8.8.8] ".to_string()),
        Just("\"".to_string()),
        Just(">".to_string()),
        Just(" (host=x [8.8.8.8]) for ".to_string()),
        "[ -~]{0,12}",
    ];
    proptest::collection::vec(pieces, 0..5).prop_map(|v| v.concat())
}

/// `string_printing` (string.c) of client text: printable ASCII stays.
fn printing(s: &str) -> String {
    s.chars()
        .map(|c| {
            if (' '..='~').contains(&c) {
                c.to_string()
            } else {
                format!("\\{:03o}", c as u32 & 0xff)
            }
        })
        .collect()
}

/// An address as Exim accepts it: a dot-atom, or a quoted local part holding
/// the imitation (RFC 5321 quoted-string: `"` and `\` escaped).
fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}@[a-z]{1,8}\\.example".prop_map(|a| a),
        imitation().prop_map(|t| {
            let q = t.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{q}\"@example.org")
        }),
    ]
}

fn helo() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._-]{1,20}"
}

/// The peer address of any line that has one.
fn peer(line: &str) -> Option<(String, Option<u16>)> {
    let l = parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{e}: {line}"));
    let host = match &l.event {
        Event::Rejection(r) | Event::Dropped(r) | Event::Discarded(r) => r.peer.host,
        Event::Arrival(a) => a.host,
        Event::Warning(w) => w.peer.host,
        Event::SenderVerify(v) => v.peer.host,
        Event::AuthFailed(a) => a.peer.host,
        e => e.session().and_then(|s| s.peer.host),
    }?;
    Some((host.ip?.to_string(), host.port))
}

fn want() -> Option<(String, Option<u16>)> {
    Some((IP.to_string(), Some(PORT)))
}

proptest! {
    #[test]
    fn smtp_command_text_never_moves_the_peer(cmd in imitation(), helo in helo()) {
        let cmd = printing(&cmd);
        for line in [
            format!("{TS}SMTP syntax error in \"{cmd}\" H=({helo}) [{IP}]:{PORT} unrecognized command"),
            format!("{TS}SMTP protocol error in \"{cmd}\" H=({helo}) [{IP}]:{PORT} I=[198.51.100.1]:25 AUTH command used when not advertised"),
            format!("{TS}SMTP call from ({helo}) [{IP}]:{PORT} dropped: too many unrecognized commands (last was \"{cmd}\")"),
            format!("{TS}SMTP call from ({helo}) [{IP}]:{PORT} dropped: too many syntax or protocol errors (last command was \"{cmd}\",  C=EHLO,MAIL)"),
        ] {
            prop_assert_eq!(peer(&line), want(), "{}", line);
        }
    }

    #[test]
    fn addresses_never_move_the_peer(sender in address(), rcpt in address(), helo in helo()) {
        for line in [
            format!("{TS}H=({helo}) [{IP}]:{PORT} I=[198.51.100.1]:25 F=<{sender}> rejected RCPT <{rcpt}>: relay not permitted"),
            format!("{TS}H=({helo}) [{IP}]:{PORT} F=<{sender}> temporarily rejected RCPT <{rcpt}>: greylisted"),
            format!("{TS}H=({helo}) [{IP}]:{PORT} sender verify fail for <{sender}>: Unrouteable address"),
            format!("{TS}H=({helo}) [{IP}]:{PORT} F=<{sender}> RCPT <{rcpt}>: discarded by RCPT ACL"),
            format!("{TS}unqualified recipient rejected: <{rcpt}> H=({helo}) [{IP}]:{PORT}"),
            format!("{TS}{ID} <= {sender} H=({helo}) [{IP}]:{PORT} P=esmtp S=100 for {rcpt}"),
            format!("{TS}{ID} H=({helo}) [{IP}]:{PORT} F=<{sender}> rejected after DATA: spam"),
        ] {
            prop_assert_eq!(peer(&line), want(), "{}", line);
        }
    }

    #[test]
    fn subjects_never_move_the_peer(subject in imitation(), helo in helo()) {
        let t = printing(&subject.replace('\\', "\\\\").replace('"', "\\\""));
        let line = format!(
            "{TS}{ID} <= a@b.example H=({helo}) [{IP}]:{PORT} P=esmtp S=100 T=\"{t}\" for c@d.example"
        );
        prop_assert_eq!(peer(&line), want(), "{}", line);
        let l = parse_line(line.as_bytes()).unwrap();
        let Event::Arrival(a) = l.event else { panic!("{line}") };
        prop_assert_eq!(a.subject.unwrap().to_string_lossy(), subject, "{}", line);
    }
}

/// With `helo_accept_junk_hosts` a HELO may hold spaces and brackets. Where
/// Exim writes the host block at the end of the line, the address is read
/// from the right and the junk cannot move it.
#[test]
fn junk_helo_is_read_from_the_right_where_exim_allows() {
    for junk in [
        "x) [10.0.0.1]:25 I=[10.0.0.2]:25",
        "x) [8.8.8.8]",
        "a b c",
        "[8.8.8.8]",
    ] {
        for line in [
            format!("{TS}unqualified sender rejected: <joe> H=({junk}) [{IP}]:{PORT}"),
            format!(
                "{TS}no IP address found for host mx.example.net (during SMTP connection from ({junk}) [{IP}]:{PORT})"
            ),
        ] {
            assert_eq!(peer(&line), want(), "{line}");
        }
    }
}
