//! Differential test of the Arrow lines table (issue 18): over every line of
//! the corpus mainlogs and the bundled generated sample, the table has one
//! row per line, and every column of a row equals the JSON (SCHEMA.md) of the
//! same line; every key of that JSON has a column.
//!
//! Run with `cargo test -p exim-log --features arrow --test arrow_lines`.
#![cfg(feature = "arrow")]
// Test code: a panic is the failure report (this also covers `common`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int16Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use exim_log::arrow::{ArrowOptions, LinesBuilder};
use exim_log::parse_line;
use serde_json::{Map, Value, json};

/// The value of column `c` at `row` as JSON (`Null` for a null).
fn cell(batch: &RecordBatch, c: usize, row: usize) -> Value {
    let a = batch.column(c);
    if a.is_null(row) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Utf8 => json!(a.as_string::<i32>().value(row)),
        DataType::Dictionary(_, _) => {
            let d = a.as_dictionary::<Int16Type>();
            let k = d.keys().value(row) as usize;
            json!(d.values().as_string::<i32>().value(k))
        }
        DataType::Int64 => json!(a.as_primitive::<Int64Type>().value(row)),
        DataType::Float64 => json!(a.as_primitive::<Float64Type>().value(row)),
        DataType::Boolean => json!(a.as_boolean().value(row)),
        DataType::Timestamp(_, _) => json!(a.as_primitive::<TimestampMicrosecondType>().value(row)),
        DataType::List(_) => {
            let l = a.as_list::<i32>().value(row);
            match l.data_type() {
                DataType::Utf8 => {
                    let s = l.as_string::<i32>();
                    Value::Array((0..s.len()).map(|i| json!(s.value(i))).collect())
                }
                DataType::Struct(_) => {
                    let s = l.as_struct();
                    let (tag, value) = (
                        s.column(0).as_string::<i32>(),
                        s.column(1).as_string::<i32>(),
                    );
                    Value::Array(
                        (0..s.len())
                            .map(|i| {
                                let mut m = Map::new();
                                m.insert("tag".into(), json!(tag.value(i)));
                                if !value.is_null(i) {
                                    m.insert("value".into(), json!(value.value(i)));
                                }
                                Value::Object(m)
                            })
                            .collect(),
                    )
                }
                t => panic!("list of {t}"),
            }
        }
        t => panic!("column type {t}"),
    }
}

/// Microseconds since the epoch and offset, from the JSON timestamp text.
fn json_time(s: &str) -> (i64, Option<i64>) {
    let b = s.as_bytes();
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let (y, mo, d, h, mi, sec) = (n(0..4), n(5..7), n(8..10), n(11..13), n(14..16), n(17..19));
    let mut i = 19;
    let mut ms = 0;
    if b.get(i) == Some(&b'.') {
        ms = n(20..23);
        i = 23;
    }
    let off = (i < b.len()).then(|| {
        let sign = if b[i] == b'-' { -1 } else { 1 };
        sign * (n(i + 1..i + 3) * 60 + n(i + 4..i + 6))
    });
    // Days from civil (Howard Hinnant), independent of the library's.
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - off.unwrap_or(0) * 60;
    ((secs * 1000 + ms) * 1000, off)
}

/// What column `name` should hold for a line whose JSON is `j`.
fn expected(name: &str, j: &Map<String, Value>, used: &mut BTreeSet<String>) -> Value {
    let mut take = |path: &[&str]| -> Value {
        let mut v = Value::Object(j.clone());
        for p in path {
            v = match v.get(*p) {
                Some(x) => x.clone(),
                None => return Value::Null,
            };
        }
        used.insert(path.join("."));
        v
    };
    match name {
        "timestamp" => j.get("timestamp").map_or(Value::Null, |t| {
            used.insert("timestamp".into());
            json!(json_time(t.as_str().unwrap()).0)
        }),
        "utc_offset_minutes" => j
            .get("timestamp")
            .and_then(|t| json_time(t.as_str().unwrap()).1)
            .map_or(Value::Null, |o| json!(o)),
        "recipients" => match take(&["recipients"]) {
            v @ Value::Array(_) => v,
            _ => Value::Null,
        },
        "recipients_text" => match take(&["recipients"]) {
            v @ Value::String(_) => v,
            _ => Value::Null,
        },
        "proxy_ip" => match take(&["proxy"]) {
            v @ Value::String(_) => v,
            Value::Object(_) => take(&["proxy", "ip"]),
            _ => Value::Null,
        },
        "server" => Value::Null,
        _ => {
            for g in ["host", "interface", "proxy", "tls", "auth"] {
                if let Some(rest) = name.strip_prefix(g).and_then(|r| r.strip_prefix('_')) {
                    return take(&[g, rest]);
                }
            }
            take(&[name])
        }
    }
}

/// Every leaf key path of a JSON object (`host.ip`, `other_fields`).
fn leaf_paths(v: &Value, prefix: String, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) if prefix.is_empty() || !m.contains_key("tag") => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_paths(x, p, out);
            }
        }
        _ => {
            out.insert(prefix);
        }
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Checks the table of `lines` against their JSON; returns the rows checked.
fn check(lines: &[&[u8]], what: &str) -> usize {
    let mut b = LinesBuilder::new(ArrowOptions::default().with_raw(true));
    for l in lines {
        b.push_bytes(l);
    }
    let first = b.finish().unwrap();
    // The builder starts again after `finish` (its dictionaries too): the
    // second batch of the same lines is the first one.
    for l in lines {
        b.push_bytes(l);
    }
    let batch = b.finish().unwrap();
    assert_eq!(batch, first, "{what}: a builder reused after finish");
    assert_eq!(batch.num_rows(), lines.len(), "{what}: one row per line");
    let schema = batch.schema();
    for (row, l) in lines.iter().enumerate() {
        let mut used = BTreeSet::new();
        let j = match parse_line(l) {
            Ok(line) => serde_json::to_value(&line).unwrap(),
            Err(e) => {
                // The JSON of `exim-log ndjson` for such a line: error, offset, raw.
                let text = String::from_utf8_lossy(l);
                json!({
                    "parse_error": e.kind.name(),
                    "parse_error_offset": e.offset,
                    "raw": text.trim_end_matches(['\n', '\r']),
                })
            }
        };
        let j = j.as_object().unwrap();
        for (c, f) in schema.fields().iter().enumerate() {
            let want = expected(f.name(), j, &mut used);
            let got = cell(&batch, c, row);
            assert!(
                same(&got, &want),
                "{what} row {row} column {}: arrow {got} != json {want}\n{}",
                f.name(),
                String::from_utf8_lossy(l)
            );
        }
        let mut keys = BTreeSet::new();
        leaf_paths(&Value::Object(j.clone()), String::new(), &mut keys);
        let missing: Vec<_> = keys.difference(&used).collect();
        assert!(
            missing.is_empty(),
            "{what} row {row}: JSON keys without a column: {missing:?}"
        );
    }
    lines.len()
}

fn lines_of(data: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

#[test]
fn corpus_rows_equal_json() {
    let files = common::corpus_files("mainlog");
    let mut rows = 0;
    for f in &files {
        let data = std::fs::read(f).unwrap();
        rows += check(&lines_of(&data), &f.display().to_string());
    }
    eprintln!("{} files, {rows} rows checked", files.len());
}

#[test]
fn generated_sample_rows_equal_json() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/mainlog");
    let data = std::fs::read(path).unwrap();
    let lines = lines_of(&data);
    assert!(lines.len() > 100);
    assert_eq!(
        check(&lines, "sample"),
        data.iter().filter(|b| **b == b'\n').count()
    );
}

#[test]
fn unknown_shapes_and_offsets() {
    let lines: [&[u8]; 4] = [
        b"2024-05-25 11:10:28.123 -0530 [77] 1sAoM5-00000009r3p-06vq <= <> R=1sAoM4-00000009r3o-05xx \
          U=mailnull P=local S=900 T=\"x\\\"y\" NEWTAG=1 BARE for a@b c@d",
        b"2024-05-25 11:10:28 SA: Action: scanned but message isn't spam: score=2.3 required=5.0 \
          (scanned in 1/1 secs | Message-Id: abc). From <s@x> (host=h [192.0.2.9]) for a@b",
        b"garbage",
        b"",
    ];
    check(&lines, "shapes");
}

/// A string column's values are checked to be UTF-8 once for the batch:
/// values that are not (`recipient`: the column's bytes are not UTF-8), or
/// whose bytes only make UTF-8 together with the next row's (`sender`: the
/// column's bytes are), must still come out as their JSON has them (U+FFFD).
#[test]
fn invalid_utf8_values_are_lossy() {
    let lines: [&[u8]; 5] = [
        b"2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq <= a\xc3 H=h [192.0.2.7] P=esmtp S=1",
        b"2024-05-25 11:10:29 1sAoM5-00000009r3p-06vq <= \xa9b H=h [192.0.2.7] P=esmtp S=2",
        b"2024-05-25 11:10:30 1sAoM5-00000009r3p-06vq => r\xffs@x.example R=dns T=smtp",
        b"2024-05-25 11:10:31 1sAoM5-00000009r3p-06vq => caf\xc3\xa9@x.example R=dns T=smtp",
        b"2024-05-25 11:10:32 1sAoM5-00000009r3p-06vq <= \xe2\x82\xac H=h\xe2 [192.0.2.7] P=esmtp",
    ];
    check(&lines, "utf8");
    let mut b = LinesBuilder::new(ArrowOptions::default());
    for l in lines {
        b.push_bytes(l);
    }
    let batch = b.finish().unwrap();
    let c = batch.schema().index_of("sender").unwrap();
    assert_eq!(cell(&batch, c, 0), json!("a\u{fffd}"));
    assert_eq!(cell(&batch, c, 1), json!("\u{fffd}b"));
    assert_eq!(cell(&batch, c, 4), json!("\u{20ac}"));
    let c = batch.schema().index_of("recipient").unwrap();
    assert_eq!(cell(&batch, c, 2), json!("r\u{fffd}s@x.example"));
    assert_eq!(cell(&batch, c, 3), json!("caf\u{e9}@x.example"));
}

#[test]
fn server_column_and_no_raw() {
    let mut b = LinesBuilder::new(ArrowOptions::default().with_server("mx1"));
    b.push_bytes(b"2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq Completed");
    let batch = b.finish().unwrap();
    let s = batch.schema();
    assert!(s.index_of("raw").is_err());
    assert_eq!(cell(&batch, s.index_of("server").unwrap(), 0), json!("mx1"));
    assert_eq!(
        cell(&batch, s.index_of("event").unwrap(), 0),
        json!("completed")
    );
    assert_eq!(b.schema(), s, "the schema does not depend on the rows");
}

/// What the messages table should hold for `m`, found by parsing its lines
/// again (the way the table was made before it read the assembler's facts):
/// `(column, value)` for the columns that come from the lines' fields.
fn message_oracle(m: &exim_log::assemble::Message) -> Vec<(&'static str, Value)> {
    use exim_log::{Event, Flag};
    let mut out = Vec::new();
    let parsed: Vec<_> = m.lines.iter().map(|l| l.parse().unwrap()).collect();
    let arrival = parsed.iter().find_map(|l| match &l.event {
        Event::Arrival(a) if l.flag == Some(Flag::Arrival) => Some((l, a)),
        _ => None,
    });
    let text =
        |t: Option<exim_log::Text<'_>>| t.map_or(Value::Null, |t| json!(t.to_string_lossy()));
    if let Some((l, a)) = arrival {
        out.push(("arrival_time", json!(l.timestamp.unix_millis() * 1000)));
        out.push((
            "utc_offset_minutes",
            l.timestamp
                .utc_offset_minutes
                .map_or(Value::Null, |o| json!(o)),
        ));
        out.push(("sender", text(Some(a.sender))));
        out.push(("bounce", json!(a.sender.as_bytes() == b"<>")));
        out.push(("size", a.size.map_or(Value::Null, |s| json!(s))));
        out.push(("protocol", text(a.protocol)));
        out.push(("host_name", text(a.host.and_then(|h| h.name))));
        out.push(("host_helo", text(a.host.and_then(|h| h.helo))));
        out.push(("host_ip", text(a.host.and_then(|h| h.ip))));
        out.push(("user", text(a.user)));
        out.push((
            "login",
            text(a.auth.map(|x| x.id.unwrap_or(x.authenticator))),
        ));
        out.push(("auth_authenticator", text(a.auth.map(|x| x.authenticator))));
        out.push((
            "subject",
            a.subject_decoded().map_or(Value::Null, |s| json!(s)),
        ));
        out.push((
            "recipients",
            a.recipients.map_or(Value::Null, |r| {
                Value::Array(r.iter().map(|t| json!(t.to_string_lossy())).collect())
            }),
        ));
    } else {
        for c in [
            "arrival_time",
            "utc_offset_minutes",
            "sender",
            "bounce",
            "size",
            "protocol",
            "host_name",
            "host_helo",
            "host_ip",
            "user",
            "login",
            "auth_authenticator",
            "subject",
            "recipients",
        ] {
            out.push((c, Value::Null));
        }
    }
    let count =
        |f: &dyn Fn(&Event<'_>) -> bool| json!(parsed.iter().filter(|l| f(&l.event)).count());
    out.push(("deliveries", count(&|e| matches!(e, Event::Delivery(_)))));
    out.push((
        "remote_deliveries",
        count(&|e| matches!(e, Event::Delivery(d) if d.host.is_some())),
    ));
    out.push(("deferrals", count(&|e| matches!(e, Event::Deferral(_)))));
    out.push((
        "remote_deferrals",
        count(&|e| matches!(e, Event::Deferral(d) if d.host.is_some())),
    ));
    out.push(("failures", count(&|e| matches!(e, Event::Failure(_)))));
    out.push(("lines", json!(m.lines.len())));
    out.push(("message_id", json!(m.id().as_str())));
    out
}

/// The messages table against its lines parsed again: every message of the
/// corpus mainlogs read as one stream, and of the bundled sample. Set
/// `EXIM_LOG_ARROW_LOG` to a log file (e.g. a generated one) to check it too.
#[test]
fn messages_equal_their_parsed_lines() {
    use exim_log::arrow::MessagesBuilder;
    use exim_log::assemble::{Assembled, Assembler};
    use exim_log::reader::LogFiles;
    let mut sets = vec![common::corpus_files("mainlog")];
    sets.push(vec![
        concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/mainlog").into(),
    ]);
    if let Some(p) = std::env::var_os("EXIM_LOG_ARROW_LOG") {
        sets.push(vec![p.into()]);
    }
    let mut checked = 0;
    let mut arrivals = 0;
    for files in sets {
        let what = format!("{:?}", files.first());
        let mut b = MessagesBuilder::new(ArrowOptions::default());
        let mut messages = Vec::new();
        let mut check = |b: &mut MessagesBuilder,
                         messages: &mut Vec<exim_log::assemble::Message>| {
            let batch = b.finish().unwrap();
            assert_eq!(batch.num_rows(), messages.len(), "{what}");
            let schema = batch.schema();
            for (row, m) in messages.iter().enumerate() {
                for (name, want) in message_oracle(m) {
                    let got = cell(&batch, schema.index_of(name).unwrap(), row);
                    assert!(
                        same(&got, &want),
                        "{what} message {} column {name}: arrow {got} != parsed {want}",
                        m.id().as_str()
                    );
                }
                arrivals += usize::from(m.arrival_line().is_some());
            }
            checked += messages.len();
            messages.clear();
        };
        for a in Assembler::new().messages(LogFiles::new(files.iter())) {
            if let Assembled::Message(m) = a.unwrap() {
                b.push(&m);
                messages.push(m);
                if messages.len() == 4096 {
                    check(&mut b, &mut messages);
                }
            }
        }
        check(&mut b, &mut messages);
    }
    eprintln!("{checked} messages checked, {arrivals} with an arrival");
    assert!(arrivals > 100);
}

/// `ArrowOptions::columns`: the schema holds the named columns only, in
/// schema order, and each equals the same column of the whole table.
#[test]
fn projection_equals_the_whole_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/mainlog");
    let data = std::fs::read(path).unwrap();
    let mut lines = lines_of(&data);
    let corpus: Vec<Vec<u8>> = common::corpus_files("mainlog")
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    for c in &corpus {
        lines.extend(lines_of(c));
    }
    let build = |opts: ArrowOptions| {
        let mut b = LinesBuilder::new(opts);
        for l in &lines {
            b.push_bytes(l);
        }
        b.finish().unwrap()
    };
    let whole = build(ArrowOptions::default().with_raw(true));
    let picks: [&[&str]; 5] = [
        // The subject is decoded only when one of its columns is kept:
        // either alone still gets it.
        &["subject_decoded", "host_name"],
        &["subject", "user"],
        // Prefix columns only: the events' fields are not walked.
        &["event", "timestamp", "flag", "no_such_column"],
        &[
            "sender",
            "host_ip",
            "event",
            "cwd",
            "reason",
            "other_fields",
        ],
        &[
            "recipients",
            "size",
            "transport",
            "tls_cipher",
            "args",
            "raw",
        ],
    ];
    for pick in picks {
        let part = build(
            ArrowOptions::default()
                .with_raw(true)
                .with_columns(pick.iter().copied()),
        );
        let (ps, ws) = (part.schema(), whole.schema());
        let names: Vec<&str> = ps.fields().iter().map(|f| f.name().as_str()).collect();
        let mut want: Vec<&str> = ws
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .filter(|n| pick.contains(n))
            .collect();
        want.dedup();
        assert_eq!(names, want);
        for n in names {
            assert_eq!(
                part.column_by_name(n).unwrap(),
                whole.column_by_name(n).unwrap(),
                "column {n} of {pick:?}"
            );
        }
    }
}

/// A dictionary column takes up to `i16::MAX + 1` distinct values in a
/// batch (found by a scan while few, then by an index), then nulls; the
/// next batch starts a new dictionary.
#[test]
fn dictionary_keys_and_overflow() {
    let mut b = LinesBuilder::new(ArrowOptions::default().with_columns(["transport"]));
    let n = usize::from(i16::MAX.unsigned_abs()) + 3;
    let line = |i: usize| {
        format!(
            "2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq => a@b.example R=r T=t{} H=h [192.0.2.1]",
            i % (n - 1)
        )
    };
    for i in 0..n {
        b.push_bytes(line(i).as_bytes());
    }
    let batch = b.finish().unwrap();
    let c = batch.column(0);
    for i in 0..n {
        let got = cell(&batch, 0, i);
        let want = if i % (n - 1) > usize::from(i16::MAX.unsigned_abs()) {
            Value::Null
        } else {
            json!(format!("t{}", i % (n - 1)))
        };
        assert_eq!(got, want, "row {i}");
    }
    assert_eq!(c.null_count(), 1);
    b.push_bytes(line(n - 2).as_bytes());
    let batch = b.finish().unwrap();
    assert_eq!(cell(&batch, 0, 0), json!(format!("t{}", n - 2)));
}

#[test]
fn lists_and_long_dictionary_values() {
    // List items staged as bytes: an invalid one is made UTF-8 alone, as in
    // the JSON (not its neighbours); a quoted argument decoded; lists of
    // different lines apart.
    let lines: [&[u8]; 7] = [
        b"2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq <= a@b.example U=u P=local S=1 for x@y.example r\xffs@y.example z@y.example",
        b"2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq => x@y.example R=r T=remote_smtp_AA_smtp_remote H=h [192.0.2.1]",
        b"2024-05-25 11:10:29 cwd=/home/u 4 args: /usr/sbin/sendmail -t \"a b\" caf\xc3\xa9",
        b"2024-05-25 11:10:30 1sAoM5-00000009r3p-06vq => x@y.example R=r T=remote_smtp_BB_smtp_remote H=h [192.0.2.1]",
        b"2024-05-25 11:10:31 cwd=/tmp 2 args: /usr/sbin/exim \xe2\x82",
        b"2024-05-25 11:10:32 1sAoM5-00000009r3p-06vq => x@y.example R=r T=remote_smtp_AA_smtp_remote H=h [192.0.2.1]",
        b"2024-05-25 11:10:33 1sAoM5-00000009r3p-06vq <= a@b.example U=u P=local S=1 for x@y.example",
    ];
    check(&lines, "lists");
    let mut b = LinesBuilder::new(ArrowOptions::default());
    for l in lines {
        b.push_bytes(l);
    }
    let batch = b.finish().unwrap();
    let s = batch.schema();
    let c = s.index_of("recipients").unwrap();
    assert_eq!(
        cell(&batch, c, 0),
        json!(["x@y.example", "r\u{fffd}s@y.example", "z@y.example"])
    );
    assert_eq!(cell(&batch, c, 1), Value::Null);
    assert_eq!(cell(&batch, c, 6), json!(["x@y.example"]));
    let c = s.index_of("args").unwrap();
    assert_eq!(
        cell(&batch, c, 2),
        json!(["/usr/sbin/sendmail", "-t", "a b", "caf\u{e9}"])
    );
    assert_eq!(cell(&batch, c, 4), json!(["/usr/sbin/exim", "\u{fffd}"]));
    // Two transports alike in their first and last 8 bytes stay apart.
    let c = s.index_of("transport").unwrap();
    let t: Vec<_> = [1, 3, 5].iter().map(|r| cell(&batch, c, *r)).collect();
    assert_eq!(
        t,
        [
            json!("remote_smtp_AA_smtp_remote"),
            json!("remote_smtp_BB_smtp_remote"),
            json!("remote_smtp_AA_smtp_remote")
        ]
    );
    assert_eq!(
        batch.column(c).as_dictionary::<Int16Type>().values().len(),
        2
    );
    // A subject is decoded when only `subject_decoded` is asked for.
    let line: &[u8] = b"2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq <= a@b.example U=u P=local S=1 T=\"=?utf-8?q?caf=C3=A9?=\"";
    check(&[line], "encoded subject");
    let mut b = LinesBuilder::new(ArrowOptions::default().with_columns(["subject_decoded"]));
    b.push_bytes(line);
    assert_eq!(cell(&b.finish().unwrap(), 0, 0), json!("caf\u{e9}"));
}
