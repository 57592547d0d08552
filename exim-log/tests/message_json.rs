//! The JSON of message lines, key for key, as documented in SCHEMA.md
//! ("Message events"). Each expected object is written from the schema and the
//! format reference, not from the parser's output.
#![allow(clippy::unwrap_used)] // test helper: a panic is the failure report
#![cfg(feature = "serde")] // the JSON is `serde`'s

use exim_log::parse_line;
use serde_json::{Value, json};

fn to_json(line: &str) -> Value {
    let parsed = parse_line(line.as_bytes()).unwrap();
    let mut v = serde_json::to_value(&parsed).unwrap();
    // `raw` and `timestamp` are common keys, checked elsewhere.
    if let Some(o) = v.as_object_mut() {
        assert_eq!(o.remove("raw"), Some(json!(line)));
        o.remove("timestamp");
    }
    v
}

#[test]
fn arrival() {
    let line = concat!(
        "2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq <= joe@example.com ",
        "H=mail.example.net (helo.example.net) [192.0.2.7]:50123 I=[198.51.100.1]:25 ",
        "P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=plain:joe S=4321 ",
        "id=abc@example.net T=\"Hello \\\"you\\\"\" for a@example.com b@example.com"
    );
    assert_eq!(
        to_json(line),
        json!({
            "message_id": "1sAoM5-00000009r3p-06vq",
            "flag": "<=",
            "event": "arrival",
            "sender": "joe@example.com",
            "host": {"name": "mail.example.net", "helo": "helo.example.net", "ip": "192.0.2.7", "port": 50123},
            "interface": {"ip": "198.51.100.1", "port": 25},
            "protocol": "esmtpsa",
            "tls": {"cipher": "TLS1.3:TLS_AES_256_GCM_SHA384:256", "certificate_verified": "no"},
            "auth": {"authenticator": "plain", "id": "joe"},
            "size": 4321,
            "header_id": "abc@example.net",
            "subject": "Hello \"you\"",
            "recipients": ["a@example.com", "b@example.com"],
        })
    );
}

#[test]
fn bounce_arrival() {
    let line = "2024-05-25 11:10:30 1sAoM6-00000009r3p-06vq <= <> R=1sAoM5-00000009r3p-06vq U=Debian-exim P=local S=2110";
    assert_eq!(
        to_json(line),
        json!({
            "message_id": "1sAoM6-00000009r3p-06vq",
            "flag": "<=",
            "event": "arrival",
            "sender": "<>",
            "bounce_parent": "1sAoM5-00000009r3p-06vq",
            "user": "Debian-exim",
            "protocol": "local",
            "size": 2110,
        })
    );
}

#[test]
fn delivery() {
    let line = concat!(
        "2024-05-25 11:10:29.123 1sAoM5-00000009r3p-06vq => a@example.com <A@example.com> ",
        "R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.25]* ",
        "C=\"250 2.0.0 OK id=1sAoM9-00000009r3p-06vq\" QT=1m2s DT=0.304s"
    );
    assert_eq!(
        to_json(line),
        json!({
            "message_id": "1sAoM5-00000009r3p-06vq",
            "flag": "=>",
            "event": "delivery",
            "recipient": "a@example.com",
            "original_recipient": "A@example.com",
            "router": "dnslookup",
            "transport": "remote_smtp",
            "host": {"name": "mx.example.com", "ip": "192.0.2.25", "connection_reused": true},
            "confirmation": "250 2.0.0 OK id=1sAoM9-00000009r3p-06vq",
            "queue_time": 62,
            "delivery_time": 0.304,
        })
    );
}

#[test]
fn deferral_and_failure() {
    let line = "2024-05-25 11:10:30 1sAoM6-00000009r3p-06vq == u@example.org R=dnslookup T=remote_smtp defer (-44) H=mx.example.org [192.0.2.9]: SMTP error from remote mail server after RCPT TO:<u@example.org>: 451 4.7.1 Greylisted";
    assert_eq!(
        to_json(line),
        json!({
            "message_id": "1sAoM6-00000009r3p-06vq",
            "flag": "==",
            "event": "deferral",
            "recipient": "u@example.org",
            "router": "dnslookup",
            "transport": "remote_smtp",
            "errno": -44,
            "host": {"name": "mx.example.org", "ip": "192.0.2.9"},
            "error": "SMTP error from remote mail server after RCPT TO:<u@example.org>: 451 4.7.1 Greylisted",
        })
    );
    let line = "2024-05-25 11:10:31 1neFfG-000Bu6-U9 ** x@example.net: Unrouteable address";
    assert_eq!(
        to_json(line),
        json!({
            "message_id": "1neFfG-000Bu6-U9",
            "flag": "**",
            "event": "failure",
            "recipient": "x@example.net",
            "error": "Unrouteable address",
        })
    );
}

#[test]
fn completed() {
    let line = "2024-05-25 11:10:31 1sAoM6-00000009r3p-06vq Completed QT=3m45s";
    assert_eq!(
        to_json(line),
        json!({"message_id": "1sAoM6-00000009r3p-06vq", "event": "completed", "queue_time": 225})
    );
}
