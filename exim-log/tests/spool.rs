//! Spool files written by Exim itself (tests/data/spool, made by
//! scripts/make-spool-samples with Debian's Exim 4.96): every field compared
//! with what the script submitted, and the whole queue compared with the
//! `exim -bp` listing that Exim printed of the same spool.

// Helpers outside #[test] fns may unwrap and index too (clippy.toml allows it only inside them).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::PathBuf;

use exim_log::reader::{QueuedFile, SpoolDir};
use exim_log::spool::{self, HeaderFile, HeaderKind, QueueEntry};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/spool")
        .join(name)
}

fn queue(name: &str) -> Vec<QueuedFile> {
    SpoolDir::open(sample(name))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The message whose recipients include `rcpt`.
fn by_recipient<'a>(files: &'a [QueuedFile], rcpt: &str) -> (HeaderFile<'a>, &'a QueuedFile) {
    let mut found = files.iter().filter_map(|f| {
        let h = f.parse().unwrap();
        h.recipients().any(|r| r.address == rcpt).then_some((h, f))
    });
    let one = found
        .next()
        .unwrap_or_else(|| panic!("no message to {rcpt}"));
    assert!(found.next().is_none(), "two messages to {rcpt}");
    one
}

fn s(t: Option<impl ToString>) -> Option<String> {
    t.map(|t| t.to_string())
}

#[test]
fn every_file_parses_and_its_data_file_agrees() {
    for name in ["flat", "split"] {
        let files = queue(name);
        assert!(files.len() >= 2, "{name}: {} files", files.len());
        for f in &files {
            let h = f
                .parse()
                .unwrap_or_else(|e| panic!("{}: {e}", f.path.display()));
            assert_eq!(Some(h.id.as_str()), f.id());
            let data = std::fs::read(f.path.with_file_name(format!("{}-D", h.id))).unwrap();
            let (data_id, body) = spool::parse_data_line(&data).unwrap();
            assert_eq!(data_id, h.id);
            assert_eq!(body, h.id.as_str().len() + 3);
            assert_eq!(h.recipients().count(), h.recipient_count());
            // The headers cover the rest of the file exactly, each as long as said.
            let total: usize = h.headers().map(|m| m.length + 5).sum();
            let at = f.header.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
            assert!(total <= f.header.len() - at, "{}", f.path.display());
            for m in h.headers() {
                assert_eq!(m.text.len(), m.length);
                assert!(m.text.ends_with(b"\n"));
            }
        }
    }
}

#[test]
fn php_submission_by_nobody() {
    let files = queue("flat");
    let (h, _) = by_recipient(&files, "victim1@later.example");
    assert_eq!(
        (h.login.to_string(), h.uid, h.gid),
        ("nobody".into(), 65534, 65534)
    );
    assert_eq!(h.sender, "nobody@spool-test.example");
    assert_eq!(h.warning_count, 0);
    let e = &h.envelope;
    assert_eq!(s(e.received_protocol), Some("local".into()));
    assert_eq!(s(e.ident), Some("nobody".into()));
    // For a local submission Exim sets $authenticated_id to the caller's login.
    assert_eq!(s(e.auth_id), Some("nobody".into()));
    assert!(e.local && e.host_address.is_none() && e.frozen.is_none());
    let rcpt: Vec<_> = h.recipients().map(|r| r.address.to_string()).collect();
    assert_eq!(rcpt, ["victim1@later.example", "victim2@later.example"]);
    assert_eq!(h.non_recipients().count(), 0);

    let php = h.originating_script().unwrap();
    assert_eq!(
        (php.uid, php.script.to_string()),
        (Some(1000), "mailer.php".into())
    );
    let web = h.php_script().unwrap();
    assert_eq!(web.host, "www.shop.example");
    assert_eq!(web.path, "/wp-content/uploads/mailer.php");
    assert_eq!(s(web.client), Some("198.51.100.23".into()));
    assert_eq!(
        h.subject().unwrap().to_string_lossy(),
        "Your account needs verification"
    );
    // The ACL variable the not-SMTP ACL set to $caller_uid.
    let acl: Vec<_> = h
        .variables()
        .filter_map(|v| Some((v.acl_name()?.into_owned(), v.data?.to_string())))
        .collect();
    assert_eq!(acl, [("m_caller".to_string(), "65534".to_string())]);

    let (h2, _) = by_recipient(&files, "victim3@later.example");
    let web = h2.php_script().unwrap();
    assert_eq!(s(web.client), Some("198.51.100.23".into()));
    assert_eq!(s(web.clients), Some("198.51.100.23, 10.0.0.8".into()));
}

#[test]
fn authenticated_smtp_submission() {
    let files = queue("flat");
    let (h, _) = by_recipient(&files, "four@later.example");
    assert_eq!(h.sender, "spammer@shop.example");
    let e = &h.envelope;
    let host = e.host_address.unwrap();
    assert_eq!(
        (host.ip.to_string(), host.port),
        ("203.0.113.45".into(), Some(50123))
    );
    let iface = e.interface_address.unwrap();
    assert_eq!(
        (iface.ip.to_string(), iface.port),
        ("192.0.2.25".into(), Some(587))
    );
    assert_eq!(s(e.helo_name), Some("attacker-helo.example".into()));
    assert_eq!(s(e.host_name), Some("client.attacker.example".into()));
    assert_eq!(s(e.host_auth), Some("dovecot_login".into()));
    assert_eq!(s(e.auth_id), Some("spammer@shop.example".into()));
    assert_eq!(s(e.auth_sender), Some("spammer@shop.example".into()));
    assert_eq!(s(e.ident), Some("identd-user".into()));
    // -oMr esmtpsa was given, but `exim -bs` sets the protocol from the EHLO and
    // the authentication itself (no TLS here): esmtpa, as the log line says too.
    assert_eq!(s(e.received_protocol), Some("esmtpa".into()));
    assert_eq!(s(e.dsn_envid), Some("spoolsample1".into()));
    assert_eq!(e.dsn_ret, Some(2), "RET=HDRS");
    // Values from the client are tainted: written with two dashes.
    let tainted: Vec<_> = h
        .variables()
        .filter(|v| v.tainted)
        .map(|v| v.name.to_string())
        .collect();
    for name in [
        "helo_name",
        "host_address",
        "host_name",
        "auth_id",
        "auth_sender",
    ] {
        assert!(tainted.iter().any(|t| t == name), "{name} in {tainted:?}");
    }
    // The RCPT ACL collected the recipients, one a line: a value with newlines.
    let rcpts = h
        .variables()
        .find(|v| v.acl_name().as_deref() == Some("m_rcpts"))
        .and_then(|v| v.data)
        .unwrap();
    assert_eq!(
        rcpts,
        "one@sink.example\ntwo@sink.example\nthree@sink.example\nfour@later.example"
    );

    // Recipients in the DSN form, and the three delivered to :blackhole: in
    // the non-recipients tree.
    let r: Vec<_> = h.recipients().collect();
    assert_eq!(r.len(), 4);
    assert_eq!(r[1].address, "two@sink.example");
    assert_eq!(s(r[1].orcpt), Some("rfc822;Two@Sink.Example".into()));
    assert_eq!(r[1].dsn_flags & (4 | 16), 4 | 16, "NOTIFY=SUCCESS,DELAY");
    assert_eq!(r[3].dsn_flags & 2, 2, "NOTIFY=NEVER");
    assert_eq!((r[0].orcpt, r[0].dsn_flags), (None, 0));
    let mut done: Vec<_> = h.non_recipients().map(|a| a.to_string()).collect();
    done.sort();
    assert_eq!(
        done,
        ["one@sink.example", "three@sink.example", "two@sink.example"]
    );
    assert!(h.is_delivered(b"two@sink.example") && !h.is_delivered(b"four@later.example"));

    // Headers: the one the data ACL removed is kept with `*`; the folded one
    // keeps its lines.
    let removed = h.headers().find(|m| m.name() == b"X-Remove-Me").unwrap();
    assert_eq!(removed.kind(), HeaderKind::Deleted);
    assert!(h.header("X-Remove-Me").is_none());
    let long = h.header("X-Long").unwrap();
    assert_eq!(
        long.value().as_bytes(),
        b"a header folded\n over three\n\tlines"
    );
    assert_eq!(h.header("x-checked").unwrap().value(), "by the data ACL");
    assert_eq!(h.headers().next().unwrap().kind(), HeaderKind::Received);
}

#[test]
fn frozen_thawed_and_bounces() {
    let files = queue("flat");
    let (h, _) = by_recipient(&files, "postmaster@later.example");
    assert!(h.sender.is_empty());
    assert!(h.envelope.frozen.is_some_and(|t| t >= h.received_time));
    let host = h.envelope.host_address.unwrap();
    assert_eq!(
        (host.ip.to_string(), host.port),
        ("2001:db8::7".into(), Some(41000))
    );
    assert_eq!(s(h.envelope.helo_name), Some("[2001:db8::7]".into()));

    let (h, _) = by_recipient(&files, "thawed@later.example");
    assert!(h.envelope.manual_thaw && h.envelope.frozen.is_none());
    assert_eq!(h.sender, "sender@shop.example");
    assert_eq!((h.login.to_string(), h.uid), ("root".into(), 0));
    // -t took the Bcc recipient and marked the header deleted.
    assert!(h.recipients().any(|r| r.address == "hidden@later.example"));
    assert_eq!(
        h.headers().find(|m| m.name() == b"Bcc").unwrap().kind(),
        HeaderKind::Deleted
    );
    assert_eq!(h.subject().unwrap().as_bytes(), b"Caf\xe9 8-bit subject");

    // The success DSN Exim generated for message 3 could not be delivered:
    // a frozen local bounce.
    let (h, _) = by_recipient(&files, "spammer@shop.example");
    assert!(h.envelope.localerror && h.envelope.frozen.is_some() && h.sender.is_empty());
}

/// One `exim -bp` record: id, size, sender, frozen, recipients with their `D`.
type Listed = (String, String, String, bool, Vec<(String, bool)>);

/// What `exim -bp` would print for a spool read by us.
fn expected_listing(files: &[QueuedFile]) -> Vec<Listed> {
    files
        .iter()
        .map(|f| {
            let h = f.parse().unwrap();
            let size = spool::format_size(f.listing_size().unwrap());
            let rcpt = h
                .recipients()
                .map(|r| {
                    (
                        r.address.to_string(),
                        f.is_delivered(&h, r.address.as_bytes()),
                    )
                })
                .collect();
            (
                h.id.to_string(),
                size.trim().to_string(),
                h.sender.to_string(),
                h.envelope.frozen.is_some(),
                rcpt,
            )
        })
        .collect()
}

fn listed(entries: &[QueueEntry<'_>]) -> Vec<Listed> {
    entries
        .iter()
        .map(|e| {
            let rcpt = e
                .recipients()
                .map(|r| (r.address.to_string(), r.delivered))
                .collect();
            (
                e.id.to_string(),
                s(e.size).unwrap_or_default(),
                s(e.sender).unwrap(),
                e.frozen,
                rcpt,
            )
        })
        .collect()
}

#[test]
fn listing_equals_spool() {
    for name in ["flat", "split"] {
        let bp = std::fs::read(sample(&format!("{name}.bp"))).unwrap();
        let entries: Vec<_> = spool::parse_listing(&bp).collect::<Result<_, _>>().unwrap();
        let files = queue(name);
        assert_eq!(listed(&entries), expected_listing(&files), "{name}");
        // The listing was taken right after the messages were made.
        assert!(entries.iter().all(|e| e.age.unwrap().minutes() < 5));
        assert!(
            entries
                .iter()
                .all(|e| e.login.is_none() && e.error.is_none())
        );
    }
}

#[test]
fn split_spool_is_found_in_subdirectories() {
    let files = queue("split");
    assert_eq!(files.len(), 2);
    for f in &files {
        let h = f.parse().unwrap();
        let sub = f
            .path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(
            sub,
            &h.id.as_str()[5..6],
            "split by the id's sixth character"
        );
        assert_eq!(h.originating_script().unwrap().script, "contact-form.php");
    }
    // The spool directory itself or its input/ directory: the same files.
    let again: Vec<_> = SpoolDir::open(sample("split/input"))
        .unwrap()
        .map(|f| f.unwrap().path)
        .collect();
    assert_eq!(
        again,
        files.iter().map(|f| f.path.clone()).collect::<Vec<_>>()
    );
}

#[cfg(feature = "serde")]
#[test]
fn json_of_a_header_file() {
    let files = queue("flat");
    let (h, _) = by_recipient(&files, "four@later.example");
    let v = serde_json::to_value(h).unwrap();
    assert_eq!(v["id"], h.id.as_str());
    assert_eq!(v["login"], "root");
    assert_eq!(v["envelope"]["host_address"]["ip"], "203.0.113.45");
    assert_eq!(v["envelope"]["host_address"]["port"], 50123);
    assert_eq!(v["recipients"][1]["orcpt"], "rfc822;Two@Sink.Example");
    assert_eq!(v["non_recipients"].as_array().unwrap().len(), 3);
    let deleted = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "X-Remove-Me")
        .unwrap();
    assert_eq!(deleted["flag"], "*");
    assert!(
        v["variables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == "aclm" && x["tainted"] == true)
    );
}

#[test]
fn every_truncation_is_an_error_inside_the_input() {
    for f in queue("flat") {
        let full = &f.header[..];
        // Cutting the file anywhere before its headers end makes it invalid;
        // a cut inside the headers section at a header boundary stays valid.
        for cut in 0..full.len() {
            match spool::parse_header(&full[..cut]) {
                Ok(h) => assert!(h.headers().count() < f.parse().unwrap().headers().count()),
                Err(e) => assert!(e.offset <= cut),
            }
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn queue_report_of_the_samples() {
    use exim_log::report::queue::{QueueGroup, QueueReport};
    let files = queue("flat");
    let now = files[0].parse().unwrap().received_time + 120;
    let mut whole = QueueReport::new(now);
    files.iter().for_each(|f| whole.add_queued(f));
    let r = whole.report(10, 1);
    let t = r.totals;
    assert_eq!(
        (
            t.messages,
            t.frozen,
            t.bounces,
            t.recipients,
            t.undelivered,
            t.unreadable
        ),
        (6, 2, 2, 11, 8, 0)
    );
    assert_eq!(r.ages.under_1h, 6);
    let rows = |g: QueueGroup| -> Vec<(String, u64, u64)> {
        r.sections
            .iter()
            .find(|s| s.kind == g)
            .unwrap()
            .rows
            .iter()
            .map(|row| (row.key.clone(), row.messages, row.recipients))
            .collect()
    };
    assert_eq!(
        rows(QueueGroup::User),
        [("nobody (65534)".into(), 3, 4), ("root (0)".into(), 3, 4)]
    );
    assert_eq!(
        rows(QueueGroup::AuthLogin),
        [("spammer@shop.example".into(), 1, 1)]
    );
    assert_eq!(
        rows(QueueGroup::Host),
        [("2001:db8::7".into(), 1, 1), ("203.0.113.45".into(), 1, 1)]
    );
    assert_eq!(
        rows(QueueGroup::PhpScript),
        [("1000:mailer.php".into(), 2, 3)]
    );
    assert_eq!(
        rows(QueueGroup::WebScript),
        [(
            "www.shop.example/wp-content/uploads/mailer.php".into(),
            2,
            3
        )]
    );
    assert_eq!(
        rows(QueueGroup::WebClient),
        [("198.51.100.23".into(), 2, 3)]
    );
    assert_eq!(
        rows(QueueGroup::RecipientDomain),
        [
            ("later.example".into(), 5, 7),
            ("shop.example".into(), 1, 1)
        ]
    );
    assert_eq!(rows(QueueGroup::Sender)[0], ("<>".into(), 2, 2));
    let php = &r
        .sections
        .iter()
        .find(|s| s.kind == QueueGroup::WebClient)
        .unwrap()
        .rows[0];
    let ids: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let h = f.parse().unwrap();
            h.php_script().map(|_| h.id.to_string())
        })
        .collect();
    assert_eq!(php.ids, ids);

    // Two partial reports merged give the single pass.
    for split in 0..=files.len() {
        let mut a = QueueReport::new(now);
        let mut b = QueueReport::new(now);
        files[..split].iter().for_each(|f| a.add_queued(f));
        files[split..].iter().for_each(|f| b.add_queued(f));
        a.merge(b);
        assert_eq!(
            serde_json::to_value(a.report(10, 1)).unwrap(),
            serde_json::to_value(whole.report(10, 1)).unwrap(),
            "split at {split}"
        );
    }

    // The listing of the same queue gives the same totals, senders and domains.
    let bp = std::fs::read(sample("flat.bp")).unwrap();
    let mut listed = QueueReport::new(now);
    for e in spool::parse_listing(&bp) {
        listed.add_entry(&e.unwrap());
    }
    let l = listed.report(10, 1);
    assert_eq!(
        serde_json::to_value(l.totals).unwrap(),
        serde_json::to_value(t).unwrap()
    );
    for g in [QueueGroup::Sender, QueueGroup::RecipientDomain] {
        let keys = |s: &exim_log::report::queue::QueueSummary| {
            serde_json::to_value(&s.sections.iter().find(|x| x.kind == g).unwrap().rows).unwrap()
        };
        let (mut a, mut b) = (keys(&l), keys(&r));
        // Spool rows carry reception times, listing rows do not.
        for v in [&mut a, &mut b] {
            for row in v.as_array_mut().unwrap() {
                row.as_object_mut().unwrap().remove("oldest");
                row.as_object_mut().unwrap().remove("newest");
            }
        }
        assert_eq!(a, b, "{g:?}");
    }
}
