//! The offenders of the abuse report against the rules of fail2ban and CrowdSec
//! (side by side in docs/abuse-events.md).
//!
//! For every class of line that fail2ban's `filter.d/exim.conf` (modes
//! normal, more, aggressive), `filter.d/exim-spam.conf` or the CrowdSec hub's
//! `crowdsecurity/exim-logs` parser feeds to a ban, one IP writes it five times
//! (fail2ban's default `maxretry`: banned) and another IP four times (not
//! banned). The lines are our own, written from what those rules match (facts,
//! not their GPL test files). At `threshold` 5, our offenders must be exactly
//! the banned IPs, plus the documented classes only we count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use exim_log::parse_line;
use exim_log::report::TimeWindow;
use exim_log::report::abuse::AbuseReport;

/// One class: a name and the line an IP writes (`{ip}`, `{i}` = 0..).
struct Class {
    name: &'static str,
    line: fn(&str, usize) -> String,
}

/// What fail2ban (exim, exim-spam) or CrowdSec count.
fn theirs() -> Vec<Class> {
    vec![
        Class {
            name: "auth failure, any authenticator, both layouts",
            line: |ip, i| match i % 3 {
                0 => format!(
                    "dovecot_login authenticator failed for (pc-{i}) [{ip}]: 535 Incorrect authentication data (set_id=u{i}@example.test)"
                ),
                1 => format!(
                    "site_auth authenticator failed for H=(pc-{i}) [{ip}]:4{i}00 I=[192.0.2.254]:587: 535 Incorrect authentication data (set_id=u{i})"
                ),
                _ => format!(
                    "login authenticator failed for mail.example.org (pc) [{ip}]: 535 Incorrect authentication data: {i} Time(s)"
                ),
            },
        },
        Class {
            name: "sender verify fail",
            line: |ip, i| {
                format!(
                    "H=(h{i}.example.org) [{ip}] sender verify fail for <s{i}@nowhere.test>: Unrouteable address"
                )
            },
        },
        Class {
            name: "rejected RCPT: unknown user",
            line: |ip, i| {
                format!(
                    "H=(dict.example.org) [{ip}] F=<p@example.org> rejected RCPT <user{i}@example.test>: Unknown user"
                )
            },
        },
        Class {
            name: "rejected RCPT: relay not permitted",
            line: |ip, i| {
                format!(
                    "H=(r.example.org) [{ip}]:2{i}5 F=<p@example.org> rejected RCPT <v{i}@elsewhere.test>: relay not permitted"
                )
            },
        },
        Class {
            name: "rejected RCPT: Sender verify failed",
            line: |ip, i| {
                format!(
                    "H=(f.example.org) [{ip}] F=<s{i}@nowhere.test> rejected RCPT <a@example.test>: Sender verify failed"
                )
            },
        },
        Class {
            name: "rejected RCPT: SMTP AUTH required",
            line: |ip, i| {
                format!(
                    "H=(f.example.org) [{ip}] F=<s{i}@example.org> rejected RCPT <a@example.test>: SMTP AUTH is required for message submission on port 587"
                )
            },
        },
        Class {
            name: "rejected RCPT: too many unknown recipients",
            line: |ip, i| {
                format!(
                    "H=(d.example.org) [{ip}] F=<p@example.org> rejected RCPT <n{i}@example.test>: too many unknown recipients"
                )
            },
        },
        Class {
            name: "synchronization error, both forms",
            line: |ip, i| {
                if i % 2 == 0 {
                    format!(
                        "SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[{ip}]:3{i}33 I=[192.0.2.254]:25 input=\"HEAD / HTTP/1.0\\r\\n\""
                    )
                } else {
                    format!(
                        "SMTP protocol synchronization error (next input sent too soon: pipelining was not advertised): rejected \"RSET\" H=(x{i}) [{ip}] next input=\"QUIT\\r\\n\""
                    )
                }
            },
        },
        Class {
            name: "dropped: too many ...",
            line: |ip, i| {
                let what = [
                    "nonmail commands",
                    "unrecognized commands",
                    "syntax or protocol errors",
                ][i % 3];
                format!(
                    "SMTP call from (x) [{ip}] dropped: too many {what} (last command was \"NOOP\",  C=EHLO,NOOP)"
                )
            },
        },
        Class {
            name: "protocol error: AUTH not advertised / mechanism not supported",
            line: |ip, i| {
                if i % 2 == 0 {
                    format!(
                        "SMTP protocol error in \"AUTH LOGIN\" H=(pc) [{ip}]:1{i}11 I=[192.0.2.254]:25 AUTH command used when not advertised"
                    )
                } else {
                    format!(
                        "SMTP protocol error in \"AUTH NTLM\" H=(pc) [{ip}] NTLM authentication mechanism not supported"
                    )
                }
            },
        },
        Class {
            name: "no MAIL in SMTP connection",
            line: |ip, i| {
                format!("no MAIL in SMTP connection from (idle) [{ip}]:5{i}55 D=2s C=EHLO,QUIT")
            },
        },
        Class {
            name: "closed by DROP in ACL",
            line: |ip, i| format!("SMTP connection from (x{i}) [{ip}] closed by DROP in ACL"),
        },
        Class {
            name: "no host name found (aggressive)",
            line: |ip, _| format!("no host name found for IP address {ip}"),
        },
        Class {
            name: "no IP address found during SMTP (aggressive)",
            line: |ip, i| {
                format!(
                    "no IP address found for host h{i}.example.org (during SMTP connection from [{ip}]:6{i}66 I=[192.0.2.254]:25)"
                )
            },
        },
        Class {
            name: "dropped by an ACL (aggressive)",
            line: |ip, _| format!("H=[{ip}] dropped by 'connect' ACL: go away"),
        },
        Class {
            name: "rejected by local_scan() (exim-spam)",
            line: |ip, i| {
                format!(
                    "1wQk7b-0000A{i}-Zz F=<s@example.org> H=(x) [{ip}] P=esmtp rejected by local_scan(): Rejected: score 9.{i}"
                )
            },
        },
        Class {
            name: "rejected RCPT: DNSBL text (exim-spam)",
            line: |ip, i| {
                format!(
                    "H=(x) [{ip}] F=<s@example.org> rejected RCPT <r{i}@example.test>: sender address listed at dnsbl.example.net"
                )
            },
        },
        Class {
            name: "virus after DATA (exim-spam)",
            line: |ip, i| {
                format!(
                    "1wQk7c-0000B{i}-Zz H=(x) [{ip}] F=<s@example.org> rejected after DATA: This message contains a virus (Test.Sig-{i})."
                )
            },
        },
        Class {
            name: "JunkMail RBL (CrowdSec)",
            line: |ip, i| {
                format!(
                    "H=mx{i}.example.org [{ip}] F=<s@example.org> rejected RCPT <a@example.test>: JunkMail rejected - mx{i}.example.org [{ip}]:25 is in an RBL: rbl.example.net"
                )
            },
        },
        Class {
            name: "Email blocked by (CrowdSec)",
            line: |ip, _| {
                format!(
                    "H=mx.example.org [{ip}] F=<s@example.org> rejected RCPT <a@example.test>: Email blocked by rbl.example.net"
                )
            },
        },
        Class {
            name: "No Such User Here (CrowdSec)",
            line: |ip, i| {
                format!(
                    "H=mx.example.org [{ip}] F=<s@example.org> rejected RCPT <n{i}@example.test>: No Such User Here"
                )
            },
        },
        Class {
            name: "Host is ratelimited in the connect ACL (CrowdSec)",
            line: |ip, i| {
                format!(
                    "H=mx.example.org [{ip}] temporarily rejected connection in \"connect\" ACL: Host is ratelimited ({i}1.5 > 10)"
                )
            },
        },
        Class {
            name: "sender not recognized (CrowdSec)",
            line: |ip, i| {
                format!(
                    "H=mx.example.org [{ip}] sender verify fail for <s{i}@example.org>: The mail server does not recognize s{i}@example.org as a valid sender."
                )
            },
        },
    ]
}

/// What we count and they do not (docs/abuse-events.md says why).
fn ours_only() -> Vec<Class> {
    vec![
        Class {
            name: "HELO rejection",
            line: |ip, i| {
                format!("H=(x{i}) [{ip}] rejected EHLO or HELO x{i}: HELO is our own name")
            },
        },
        Class {
            name: "RCPT deferred by a rate limit",
            line: |ip, i| {
                format!(
                    "H=(x) [{ip}] F=<n@example.org> temporarily rejected RCPT <a{i}@example.test>: rate limit exceeded"
                )
            },
        },
    ]
}

/// Lines that are no offence for anyone, written many times by one IP each.
fn innocent() -> Vec<Class> {
    vec![
        Class {
            name: "accepted message",
            line: |ip, i| {
                format!(
                    "1wQk7d-0000C{i}-Zz <= s@example.org H=mx.example.org [{ip}] P=esmtps S=2000 id=m{i}@example.org"
                )
            },
        },
        Class {
            name: "greylisting deferral",
            line: |ip, i| {
                format!(
                    "H=mx.example.org [{ip}] F=<s@example.org> temporarily rejected RCPT <a{i}@example.test>: greylisted, try later"
                )
            },
        },
        Class {
            name: "closed by QUIT",
            line: |ip, _| format!("SMTP connection from mx.example.org [{ip}] closed by QUIT"),
        },
        Class {
            name: "content rejection that is not a virus",
            line: |ip, i| {
                format!(
                    "1wQk7e-0000D{i}-Zz H=mx.example.org [{ip}] F=<s@example.org> rejected after DATA: message too long for a newsletter"
                )
            },
        },
        Class {
            name: "our own outgoing AUTH failure",
            line: |ip, _| {
                format!(
                    "1wQk7f-0000E0-Zz smarthost_login authenticator failed H=relay.example.net [{ip}] 535 Incorrect authentication data"
                )
            },
        },
        Class {
            name: "host lookup of a delivery (no client)",
            line: |_, _| {
                "1wQk7g-0000F0-Zz no IP address found for host mx.nowhere.test".to_string()
            },
        },
    ]
}

fn offenders(log: &str, threshold: u64) -> BTreeSet<String> {
    let mut r = AbuseReport::new(TimeWindow::default());
    for line in log.lines() {
        r.add(&parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}")));
    }
    let report = r.report(10, threshold);
    report.offenders.into_iter().map(|o| o.ip).collect()
}

fn write(log: &mut String, class: &Class, ip: &str, times: usize) {
    for i in 0..times {
        log.push_str(&format!("2026-03-02 10:{:02}:{:02} ", i, i + 10));
        log.push_str(&(class.line)(ip, i));
        log.push('\n');
    }
}

#[test]
fn offenders_are_exactly_who_fail2ban_and_crowdsec_ban() {
    let mut log = String::new();
    let mut banned = BTreeSet::new();
    for (k, class) in theirs().iter().chain(ours_only().iter()).enumerate() {
        // fail2ban's default maxretry is 5: five lines ban, four do not.
        let ban = format!("192.0.2.{}", k + 1);
        write(&mut log, class, &ban, 5);
        write(&mut log, class, &format!("198.51.100.{}", k + 1), 4);
        banned.insert(ban);
    }
    for (k, class) in innocent().iter().enumerate() {
        write(&mut log, class, &format!("203.0.113.{}", k + 1), 12);
    }
    let ours = offenders(&log, 5);
    let missing: Vec<_> = banned.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&banned).collect();
    let name = |ip: &String| -> &'static str {
        let n: usize = ip.rsplit('.').next().unwrap().parse().unwrap();
        theirs()
            .iter()
            .chain(ours_only().iter())
            .nth(n - 1)
            .map_or("innocent", |c| c.name)
    };
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {:?}\nextra: {:?}",
        missing.iter().map(|ip| (ip, name(ip))).collect::<Vec<_>>(),
        extra.iter().map(|ip| (ip, name(ip))).collect::<Vec<_>>(),
    );
    // Every line of their classes is one event: at threshold 1 the four-line
    // IPs are offenders too, the innocent ones still not.
    let all = offenders(&log, 1);
    for k in 0..theirs().len() + ours_only().len() {
        assert!(all.contains(&format!("198.51.100.{}", k + 1)), "class {k}");
    }
    assert!(
        all.iter().all(|ip| !ip.starts_with("203.0.113.")),
        "{all:?}"
    );
}

#[test]
fn client_text_cannot_name_an_offender() {
    // CVE-2013-7176 class: a client-chosen HELO or address that looks like an
    // IP must not become the offender; the address Exim wrote last is.
    let log = (0..6)
        .map(|i| {
            format!(
                "2026-03-02 11:00:0{i} login authenticator failed for (x) [10.9.9.9]) [192.0.2.200]: 535 Incorrect authentication data (set_id=a)\n\
                 2026-03-02 11:00:0{i} H=(y [10.8.8.8]) [192.0.2.201] F=<a@[10.7.7.7]> rejected RCPT <b{i}@example.test>: Unknown user\n"
            )
        })
        .collect::<String>();
    let ours = offenders(&log, 5);
    assert_eq!(
        ours,
        BTreeSet::from(["192.0.2.200".to_string(), "192.0.2.201".to_string()])
    );
}
