//! The streaming reader on real files: gzip (whole, multi-member, truncated),
//! rotated sets, the line cap, flat memory, the search fast path and follow mode.
// Helpers outside #[test] fns may unwrap and index too (clippy.toml allows it only inside them).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use exim_log::reader::{
    Follow, FollowControl, LogFiles, LogReader, Position, Prefilter, ReadErrorKind, Record, rotated,
};
use exim_log::syslog::Framing;

const ID_A: &str = "1sAoM5-00000009r3p-06vq";
const ID_OLD: &str = "1FZ8zt-0005lz-E7";

/// `data` gzipped; as it is in a build without the `gzip` feature (content
/// decides, so a `.gz` name of plain text is read the same).
fn gzip(data: &[u8]) -> Vec<u8> {
    if !cfg!(feature = "gzip") {
        return data.to_vec();
    }
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `n` distinct, realistic lines (each ends with `\n`).
fn lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "2026-11-25 10:{:02}:{:02} 1sAoM5-00000009r3p-{:04} => user{i}@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.{}] C=\"250 OK\"\n",
                (i / 60) % 60,
                i % 60,
                i % 10_000,
                i % 250
            )
        })
        .collect()
}

fn read_all(path: &Path) -> (Vec<Record>, Vec<exim_log::ReadError>) {
    let mut ok = Vec::new();
    let mut errs = Vec::new();
    for r in LogFiles::new([path]) {
        match r {
            Ok(rec) => ok.push(rec),
            Err(e) => errs.push(e),
        }
    }
    (ok, errs)
}

#[test]
fn positions_count_lines_and_bytes_with_crlf_and_no_final_newline() {
    let log = b"2026-11-25 10:00:00 a\r\n\r\nno timestamp here\n2026-11-25 10:00:01 b";
    let mut rdr = LogReader::new(&log[..]);
    let mut buf = Vec::new();
    let mut got = Vec::new();
    while let Some(pos) = rdr.read_line(&mut buf).unwrap() {
        got.push((pos.line, pos.byte, String::from_utf8(buf.clone()).unwrap()));
    }
    let want = [
        (1, 0, "2026-11-25 10:00:00 a"),
        (2, 23, ""),
        (3, 25, "no timestamp here"),
        (4, 43, "2026-11-25 10:00:01 b"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(l, b, s)| (*l, *b, s.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn lines_without_timestamp_are_yielded_and_their_parse_error_has_a_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paniclog");
    // A paniclog configuration error: the detail line has no timestamp (spec §10.2).
    let first = "2026-11-25 10:00:00 Exim configuration error in line 12 of /etc/exim4/exim4.conf:";
    assert_eq!(first.len(), 81);
    fs::write(
        &path,
        format!("{first}\n  missing quote at end of string value for hold_domains\n"),
    )
    .unwrap();
    let (recs, errs) = read_all(&path);
    assert!(errs.is_empty());
    assert_eq!(recs.len(), 2);
    assert!(recs[0].parse().is_ok());
    let e = recs[1].parse().unwrap_err();
    assert_eq!((e.position.line, e.position.byte), (2, 82));
    assert_eq!(e.file(), Some(path.as_path()));
    assert!(matches!(e.kind, ReadErrorKind::Parse(_)));
    assert!(!e.is_fatal());
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{}: line 2 (byte 82): ", path.display())),
        "{msg}"
    );
}

#[test]
fn a_line_over_the_cap_is_an_error_and_the_stream_goes_on() {
    let long = "x".repeat(5000);
    let log = format!("2026-11-25 10:00:00 first\n{long}\r\n2026-11-25 10:00:01 third\n{long}");
    let mut rdr = LogReader::new(log.as_bytes()).with_max_line_len(1000);
    let mut buf = Vec::new();
    assert_eq!(rdr.read_line(&mut buf).unwrap().map(|p| p.line), Some(1));
    let e = rdr.read_line(&mut buf).unwrap_err();
    assert_eq!(e.position, Position::new(2, 26));
    assert!(
        matches!(e.kind, ReadErrorKind::LineTooLong { limit: 1000, .. }),
        "{e}"
    );
    assert!(buf.capacity() <= 1002, "buffer grew to {}", buf.capacity());
    let pos = rdr.read_line(&mut buf).unwrap().unwrap();
    assert_eq!((pos.line, pos.byte), (3, 26 + 5002));
    assert_eq!(buf, b"2026-11-25 10:00:01 third");
    // The last line has no newline and is too long, too.
    assert!(rdr.read_line(&mut buf).is_err());
    assert!(rdr.read_line(&mut buf).unwrap().is_none());
}

#[test]
fn exactly_the_cap_is_accepted() {
    let line = "y".repeat(100);
    for ending in ["\n", "\r\n", ""] {
        let text = format!("{line}{ending}");
        let mut rdr = LogReader::new(text.as_bytes()).with_max_line_len(100);
        let mut buf = Vec::new();
        assert!(rdr.read_line(&mut buf).unwrap().is_some(), "{ending:?}");
        assert_eq!(buf.len(), 100);
    }
}

#[test]
#[cfg(feature = "gzip")]
fn gzip_is_detected_by_content_and_multi_member_files_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let all = lines(300);
    let (a, b) = all.split_at(120);
    let mut bytes = gzip(a.concat().as_bytes());
    bytes.extend(gzip(b.concat().as_bytes()));
    // No .gz in the name: detection is by content.
    let path = dir.path().join("mainlog.1");
    fs::write(&path, bytes).unwrap();
    let (recs, errs) = read_all(&path);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(recs.len(), 300);
    for (i, (rec, want)) in recs.iter().zip(&all).enumerate() {
        assert_eq!(rec.raw(), want.trim_end().as_bytes());
        assert_eq!(rec.position().line, i as u64 + 1);
    }
}

#[test]
#[cfg(feature = "gzip")]
fn truncated_gzip_yields_every_complete_line_then_an_error_naming_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let all = lines(2000);
    let text = all.concat();
    let full = gzip(text.as_bytes());
    // Cut the trailer (CRC + size, 8 bytes) and, in a second file, half the data.
    for (name, cut) in [("trailer.gz", full.len() - 8), ("half.gz", full.len() / 2)] {
        let path = dir.path().join(name);
        fs::write(&path, &full[..cut]).unwrap();
        let (recs, errs) = read_all(&path);
        assert_eq!(errs.len(), 1, "{name}: {errs:?}");
        let e = &errs[0];
        assert!(e.is_fatal());
        assert!(matches!(e.kind, ReadErrorKind::Read { .. }), "{e}");
        assert_eq!(e.file(), Some(path.as_path()));
        // Every line before the fault came out intact and in order...
        for (rec, want) in recs.iter().zip(&all) {
            assert_eq!(rec.raw(), want.trim_end().as_bytes());
        }
        // ...and the error points at the first line that did not.
        let n = recs.len();
        let byte: usize = all[..n].iter().map(String::len).sum();
        assert_eq!(e.position.line, n as u64 + 1, "{name}");
        assert_eq!(e.position.byte, byte as u64, "{name}");
        assert!(e.to_string().contains(name));
        if name == "trailer.gz" {
            assert_eq!(n, 2000, "all data was there, only the trailer is missing");
        } else {
            assert!(n > 100 && n < 2000, "{n}");
        }
    }
}

#[test]
fn missing_or_unreadable_files_are_errors_and_the_set_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("mainlog");
    fs::write(&good, lines(3).concat()).unwrap();
    let missing = dir.path().join("mainlog.1");
    let files = [missing.clone(), dir.path().to_path_buf(), good];
    let results: Vec<_> = LogFiles::new(files).collect();
    assert_eq!(results.len(), 5, "{results:?}");
    let e = results[0].as_ref().unwrap_err();
    assert!(matches!(e.kind, ReadErrorKind::Open(_)));
    assert_eq!(e.file(), Some(missing.as_path()));
    assert!(e.to_string().contains("mainlog.1"));
    // A directory opens on Linux but cannot be read.
    assert!(results[1].as_ref().unwrap_err().is_fatal());
    assert!(results[2..].iter().all(Result::is_ok));
}

#[test]
fn rotated_set_is_read_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let all = lines(40);
    // mainlog.10.gz is the oldest; a shell glob would list it before mainlog.2.gz.
    let parts = [
        ("mainlog.10.gz", &all[0..10], true),
        ("mainlog.2.gz", &all[10..20], true),
        ("mainlog.1", &all[20..30], false),
        ("mainlog", &all[30..40], false),
    ];
    for (name, part, gz) in parts {
        let text = part.concat();
        let bytes = if gz {
            gzip(text.as_bytes())
        } else {
            text.into_bytes()
        };
        fs::write(d.join(name), bytes).unwrap();
    }
    fs::write(d.join("rejectlog.1"), "not part of the set\n").unwrap();
    for start in [d.join("mainlog"), d.to_path_buf()] {
        let set = rotated(&start).unwrap();
        let names: Vec<_> = set
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(
            names,
            ["mainlog.10.gz", "mainlog.2.gz", "mainlog.1", "mainlog"]
        );
        let got: Vec<Vec<u8>> = LogFiles::new(set)
            .map(|r| r.unwrap().raw().to_vec())
            .collect();
        let want: Vec<Vec<u8>> = all
            .iter()
            .map(|l| l.trim_end().as_bytes().to_vec())
            .collect();
        assert_eq!(got, want);
    }
}

/// What a command line names: a directory is its rotated set, files are put in
/// rotation order with the rest, a directory without a log set and a missing
/// file are errors naming them at their turn, and every line's position names
/// its file, for `read_line` and `next_line` alike.
#[test]
fn inputs_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let empty = dir.path().join("empty");
    fs::create_dir(&logs).unwrap();
    fs::create_dir(&empty).unwrap();
    let all = lines(6);
    fs::write(
        logs.join("mainlog.2.gz"),
        gzip(all[0..2].concat().as_bytes()),
    )
    .unwrap();
    fs::write(logs.join("mainlog.1"), all[2..4].concat()).unwrap();
    fs::write(logs.join("mainlog"), all[4..5].concat()).unwrap();
    let extra = dir.path().join("extra.log");
    fs::write(&extra, all[5..6].concat()).unwrap();
    let missing = dir.path().join("missing");
    let args = [
        extra.as_os_str(),
        logs.as_os_str(),
        missing.as_os_str(),
        empty.as_os_str(),
    ];
    // Both APIs give the same lines, positions and errors.
    let mut by_copy = LogFiles::from_args(args);
    let mut borrowed = LogFiles::from_args(args);
    let mut buf = Vec::new();
    let mut got = Vec::new();
    loop {
        let a = by_copy.read_line(&mut buf);
        let b = borrowed.next_line();
        let item = match (a, b) {
            (Ok(None), Ok(None)) => break,
            (Ok(Some(pa)), Ok(Some((line, pb)))) => {
                assert_eq!(&pa, pb);
                assert_eq!(buf, line);
                let name = pa.file().unwrap().file_name().unwrap().to_owned();
                Ok((name.into_string().unwrap(), pa.line, buf.clone()))
            }
            (Err(ea), Err(eb)) => {
                assert_eq!(ea.to_string(), eb.to_string());
                assert!(ea.is_fatal());
                Err(ea.file().unwrap().to_path_buf())
            }
            (a, b) => panic!(
                "read_line gave {a:?}, next_line {:?}",
                b.map(|o| o.map(|(_, p)| p.clone()))
            ),
        };
        got.push(item);
    }
    let line = |i: usize| all[i].trim_end().as_bytes().to_vec();
    // Rotated files first (oldest first); the current-named inputs keep their
    // order: extra.log, logs/mainlog, missing, empty.
    let want = vec![
        Ok(("mainlog.2.gz".to_string(), 1, line(0))),
        Ok(("mainlog.2.gz".to_string(), 2, line(1))),
        Ok(("mainlog.1".to_string(), 1, line(2))),
        Ok(("mainlog.1".to_string(), 2, line(3))),
        Ok(("extra.log".to_string(), 1, line(5))),
        Ok(("mainlog".to_string(), 1, line(4))),
        Err(missing.clone()),
        Err(empty.clone()),
    ];
    assert_eq!(got, want);
}

/// Streams (a caller's reader, gzip or not) join files in one `LogFiles`, and
/// each input's framing is told from its own first line.
#[test]
fn streams_and_framing_per_input() {
    let plain = "2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed\n";
    let syslog = "Nov 25 10:00:02 mx1 exim[4321]: 1sAoM5-00000009r3p-06vq Completed\n";
    let mut files = LogFiles::default();
    files.push_reader(io::Cursor::new(gzip(plain.as_bytes())), None);
    files.push_reader(
        io::Cursor::new(syslog.as_bytes().to_vec()),
        Some(Path::new("syslog").into()),
    );
    let mut seen = Vec::new();
    while let Some((_, pos)) = files.next_line().unwrap() {
        let name = pos.file().map(|f| f.display().to_string());
        seen.push((name, files.framing()));
    }
    assert_eq!(
        seen,
        [
            (None, Some(Framing::Plain)),
            (Some("syslog".to_string()), Some(Framing::Rfc3164)),
        ]
    );
    assert!(files.is_done());
}

/// An endless-looking generated log: realistic lines made on the fly, so the
/// test never holds the input in memory.
struct Generated {
    remaining: u64,
    pending: Vec<u8>,
    i: u64,
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pending.len() < out.len() && self.remaining > 0 {
            let i = self.i;
            self.i += 1;
            let line = if i % 50_000 == 7 {
                // A pathological line, far over the cap.
                format!("2026-11-25 10:00:00 {}\n", "z".repeat(200_000))
            } else {
                format!(
                    "2026-11-25 10:00:{:02} 1sAoM5-00000009r3p-{:04} <= u{i}@example.com U=u P=local S={i}\n",
                    i % 60,
                    i % 10_000
                )
            };
            self.remaining = self.remaining.saturating_sub(line.len() as u64);
            self.pending.extend_from_slice(line.as_bytes());
        }
        let n = out.len().min(self.pending.len());
        out[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

#[test]
fn memory_stays_flat_on_a_large_input() {
    let input = Generated {
        remaining: 64 << 20,
        pending: Vec::new(),
        i: 0,
    };
    let cap = 16 * 1024;
    let mut rdr = LogReader::new(input).with_max_line_len(cap);
    let read_buffer = rdr.buffer_capacity();
    let mut buf = Vec::new();
    let (mut lines, mut too_long, mut max_cap) = (0u64, 0u64, 0usize);
    loop {
        match rdr.read_line(&mut buf) {
            Ok(Some(_)) => lines += 1,
            Ok(None) => break,
            Err(e) => {
                assert!(matches!(e.kind, ReadErrorKind::LineTooLong { .. }), "{e}");
                too_long += 1;
            }
        }
        max_cap = max_cap.max(buf.capacity());
    }
    assert!(lines > 500_000, "{lines}");
    assert!(too_long >= 10, "{too_long}");
    assert!(max_cap <= cap + 2, "line buffer grew to {max_cap}");
    assert_eq!(rdr.buffer_capacity(), read_buffer);
}

#[test]
fn prefilter_path_finds_exactly_the_lines_a_naive_filter_finds() {
    let mut text = String::new();
    for (i, l) in lines(20_000).iter().enumerate() {
        text.push_str(l);
        if i % 997 == 0 {
            text.push_str(&format!(
                "2026-11-25 10:00:00 {ID_A} <= a@example.com U=a P=local S=1\n"
            ));
        }
        if i % 1499 == 3 {
            text.push_str(&format!("2006-04-27 17:43:53 {ID_OLD} Completed\n"));
        }
    }
    // The last line has no newline and matches.
    text.push_str(&format!("2026-11-25 11:00:00 {ID_A} Completed"));
    let filter = Prefilter::new([ID_A, ID_OLD]);
    let naive: Vec<(u64, Vec<u8>)> = {
        let mut rdr = LogReader::new(text.as_bytes());
        rdr.records()
            .map(Result::unwrap)
            .filter(|r| filter.is_match(r.raw()))
            .map(|r| (r.position().line, r.raw().to_vec()))
            .collect()
    };
    let mut fast = Vec::new();
    let mut rdr = LogReader::new(text.as_bytes());
    let mut buf = Vec::new();
    while let Some(pos) = rdr.read_matching_line(&filter, &mut buf).unwrap() {
        fast.push((pos.line, buf.clone()));
    }
    assert!(naive.len() > 30);
    assert_eq!(fast, naive);
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn follow_survives_rotation_and_holds_partial_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mainlog");
    let rotated_path: PathBuf = dir.path().join("mainlog.1");
    append(&path, "2026-11-25 10:00:00 one\n2026-11-25 10:00:01 tw");
    let mut step = 0;
    let p = path.clone();
    let control = move |_| {
        step += 1;
        match step {
            1 => append(&p, "o\n"),
            2 => {
                // Rotation: rename, a late write to the old file, a new file.
                fs::rename(&p, &rotated_path).unwrap();
                append(&rotated_path, "2026-11-25 10:00:02 late\n");
                File::create(&p).unwrap();
                append(&p, "2026-11-25 10:00:03 new\n");
            }
            3 => append(&p, "2026-11-25 10:00:04 unfinished"),
            _ => return false,
        }
        true
    };
    let got: Vec<(u64, String, String)> = Follow::new(&path)
        .with_control(control)
        .map(|r| {
            let r = r.unwrap();
            let file = r.file().unwrap().file_name().unwrap();
            (
                r.position().line,
                String::from_utf8(r.raw().to_vec()).unwrap(),
                file.to_string_lossy().into_owned(),
            )
        })
        .collect();
    // A line read from the old file after the rotation is named by the file's
    // new name (where a user finds it now).
    let want = [
        (1, "2026-11-25 10:00:00 one", "mainlog"),
        (2, "2026-11-25 10:00:01 two", "mainlog"),
        (3, "2026-11-25 10:00:02 late", "mainlog.1"),
        (1, "2026-11-25 10:00:03 new", "mainlog"),
        (2, "2026-11-25 10:00:04 unfinished", "mainlog"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(l, s, f)| (*l, s.to_string(), f.to_string()))
        .collect();
    assert_eq!(got, want);
}

/// copytruncate seen between the truncation and the next write: the file is
/// shorter than what was read, so it is read again from its start, even when
/// it is then refilled with the very first line it had (a fingerprint alone
/// could not tell that from an append).
#[test]
fn follow_rereads_a_file_emptied_then_refilled_alike() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mainlog");
    let first = "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq Completed\n";
    append(&path, first);
    let p = path.clone();
    let mut step = 0;
    let control = move |_| {
        step += 1;
        match step {
            1 => fs::write(&p, "").unwrap(),
            2 => fs::write(&p, format!("{first}2026-11-25 10:00:01 next\n")).unwrap(),
            _ => return false,
        }
        true
    };
    let got: Vec<_> = Follow::new(&path)
        .with_control(control)
        .map(|r| String::from_utf8(r.unwrap().raw().to_vec()).unwrap())
        .collect();
    let first = first.trim_end();
    assert_eq!(got, [first, first, "2026-11-25 10:00:01 next"]);
}

#[test]
fn follow_rereads_a_truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mainlog");
    append(
        &path,
        "2026-11-25 10:00:00 before truncation, a long line\n",
    );
    let p = path.clone();
    let mut step = 0;
    let control = move |_| {
        step += 1;
        if step == 1 {
            fs::write(&p, "2026-11-25 10:00:09 after\n").unwrap();
        }
        step < 2
    };
    let got: Vec<_> = Follow::new(&path)
        .with_control(control)
        .map(|r| r.unwrap().raw().to_vec())
        .collect();
    assert_eq!(
        got,
        [
            b"2026-11-25 10:00:00 before truncation, a long line".to_vec(),
            b"2026-11-25 10:00:09 after".to_vec()
        ]
    );
}

#[test]
fn follow_skips_an_over_long_line_written_in_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mainlog");
    append(&path, &format!("2026-11-25 10:00:00 {}", "x".repeat(300)));
    let p = path.clone();
    let mut step = 0;
    let control = move |_| {
        step += 1;
        match step {
            1 => append(&p, &"y".repeat(300)),
            2 => append(&p, "\n2026-11-25 10:00:01 next\n"),
            _ => return false,
        }
        true
    };
    let got: Vec<_> = Follow::new(&path)
        .with_max_line_len(100)
        .with_control(control)
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    let e = got[0].as_ref().unwrap_err();
    assert!(
        matches!(e.kind, ReadErrorKind::LineTooLong { length: 620, .. }),
        "{e}"
    );
    let r = got[1].as_ref().unwrap();
    assert_eq!(r.raw(), b"2026-11-25 10:00:01 next");
    assert_eq!((r.position().line, r.position().byte), (2, 621));
}

#[test]
#[cfg(feature = "gzip")]
fn corrupt_gzip_is_reported_as_a_fatal_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = gzip(lines(2000).concat().as_bytes());
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 16] {
        *b = !*b;
    }
    let path = dir.path().join("mainlog.3.gz");
    fs::write(&path, &bytes).unwrap();
    let (recs, errs) = read_all(&path);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].is_fatal());
    assert_eq!(errs[0].file(), Some(path.as_path()));
    assert_eq!(errs[0].position.line, recs.len() as u64 + 1);
    assert!(recs.len() < 2000);
}

#[test]
fn a_cpanel_directory_is_read_by_date() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("exim_mainlog"), "2026-11-27 00:00:00 c\n").unwrap();
    fs::write(
        d.join("exim_mainlog-20261126.gz"),
        gzip(b"2026-11-26 00:00:00 b\n"),
    )
    .unwrap();
    fs::write(
        d.join("exim_mainlog-20261119.gz"),
        gzip(b"2026-11-19 00:00:00 a\n"),
    )
    .unwrap();
    fs::write(d.join("exim_rejectlog"), "2026-11-27 00:00:00 not this\n").unwrap();
    let got: Vec<Vec<u8>> = LogFiles::new(rotated(d).unwrap())
        .map(|r| r.unwrap().raw().to_vec())
        .collect();
    assert_eq!(
        got,
        [
            b"2026-11-19 00:00:00 a".to_vec(),
            b"2026-11-26 00:00:00 b".to_vec(),
            b"2026-11-27 00:00:00 c".to_vec()
        ]
    );
}

/// Syslog and journald inputs come out as Exim lines, each input's framing
/// told from its own content, with no option (issue 13): split chunks
/// joined, other programs' lines skipped, the wrapper's time put in front.
#[test]
fn log_files_unwrap_syslog_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let syslog = dir.path().join("mail.log");
    std::fs::write(
        &syslog,
        "Nov 27 07:47:34 mx1 exim[4]: 2026-11-27 07:47:34 Start queue run: pid=4\n\
         Nov 27 07:47:35 mx1 dovecot: imap-login: Login: user=<a>\n\
         Nov 27 07:47:36 mx1 exim[5]: [1/2] 2026-11-27 07:47:36 H=[192.0.2.1] rejected RCPT <a@exa\n\
         Nov 27 07:47:36 mx1 exim[5]: [2/2] mple.test>: relay not permitted\n",
    )
    .unwrap();
    let plain = dir.path().join("mainlog");
    std::fs::write(&plain, "2026-11-27 07:48:00 End queue run: pid=4\n").unwrap();
    let want = [
        "2026-11-27 07:47:34 Start queue run: pid=4",
        "2026-11-27 07:47:36 H=[192.0.2.1] rejected RCPT <a@example.test>: relay not permitted",
        "2026-11-27 07:48:00 End queue run: pid=4",
    ];
    // read_line
    let mut files = LogFiles::new([&syslog, &plain]);
    let mut buf = Vec::new();
    let mut got = Vec::new();
    let mut framings = Vec::new();
    while let Some(_pos) = files.read_line(&mut buf).unwrap() {
        got.push(String::from_utf8(buf.clone()).unwrap());
        framings.push(files.framing());
    }
    assert_eq!(got, want);
    assert_eq!(
        framings,
        [
            Some(Framing::Rfc3164),
            Some(Framing::Rfc3164),
            Some(Framing::Plain)
        ]
    );
    // next_line, the zero-copy path, agrees.
    let mut files = LogFiles::new([&syslog, &plain]);
    let mut got = Vec::new();
    while let Some((line, _)) = files.next_line().unwrap() {
        got.push(String::from_utf8(line.to_vec()).unwrap());
    }
    assert_eq!(got, want);
    // Every line parses as a main-log line.
    for l in &got {
        exim_log::parse_line(l.as_bytes()).unwrap();
    }
    // keep_wrappers gives the lines as written.
    let mut files = LogFiles::new([&syslog]).keep_wrappers();
    let mut n = 0;
    while files.read_line(&mut buf).unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 4);
}

/// Renames `mainlog.N` to `mainlog.N+1`, highest first, as logrotate does
/// before it rotates `mainlog` itself.
fn shift_rotated(dir: &Path) {
    let mut n = 1;
    while dir.join(format!("mainlog.{n}")).exists() {
        n += 1;
    }
    for i in (1..n).rev() {
        fs::rename(
            dir.join(format!("mainlog.{i}")),
            dir.join(format!("mainlog.{}", i + 1)),
        )
        .unwrap();
    }
}

/// logrotate's `copytruncate` of `path` (a file named `mainlog`): the rotated
/// files move up one, `mainlog.1` becomes a copy, and the file is emptied.
fn copy_and_truncate(path: &Path) {
    let dir = path.parent().unwrap();
    shift_rotated(dir);
    fs::copy(path, dir.join("mainlog.1")).unwrap();
    OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(0)
        .unwrap();
}

/// Every line `follow` yields until its control ends it, as text.
fn followed<D: FollowControl>(follow: Follow<D>) -> Vec<String> {
    follow
        .map(|r| String::from_utf8(r.unwrap().raw().to_vec()).unwrap())
        .collect()
}

/// [`numbered`] lines `range` (unpadded) as a follower yields them: without
/// their line ends.
fn numbered_lines(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range
        .map(|i| numbered(i, 0).trim_end().to_string())
        .collect()
}

/// A distinct log line; `pad` makes it longer.
fn numbered(i: u32, pad: usize) -> String {
    format!(
        "2026-11-25 10:{:02}:{:02} line {i:03}{}\n",
        i / 60,
        i % 60,
        "p".repeat(pad)
    )
}

/// Every way logrotate and Exim move a log under a follower, each between two
/// polls (driven by the control, no sleeping): append; rename with late
/// writes by Exim to the old file; copytruncate with a smaller, an equal-sized
/// and a larger refill, each after lines the follower had not read yet; two
/// rotations between polls. Every line is yielded exactly once.
#[test]
fn follow_finds_every_line_once_across_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let path = d.join("mainlog");
    // History that was there before: never read.
    fs::write(d.join("mainlog.1"), numbered(900, 0)).unwrap();
    let mut written: Vec<String> = Vec::new();
    let write = |p: &Path, i: u32, pad: usize, written: &mut Vec<String>| {
        let l = numbered(i, pad);
        append(p, &l);
        written.push(l.trim_end().to_string());
    };
    for i in 1..=3 {
        write(&path, i, 0, &mut written);
    }
    let mut step = 0;
    let mut old: Option<File> = None;
    let p = path.clone();
    let copytruncate = |refill: &[(u32, usize)], written: &mut Vec<String>| {
        copy_and_truncate(&p);
        for &(i, pad) in refill {
            let l = numbered(i, pad);
            append(&p, &l);
            written.push(l.trim_end().to_string());
        }
    };
    let control = |_| {
        step += 1;
        match step {
            1 => {
                write(&p, 4, 0, &mut written);
                write(&p, 5, 0, &mut written);
            }
            2 => {
                // Rename: Exim still holds the old file open and writes to it.
                old = Some(OpenOptions::new().append(true).open(&p).unwrap());
                shift_rotated(&d);
                fs::rename(&p, d.join("mainlog.1")).unwrap();
                write(&p, 6, 0, &mut written);
                let late = numbered(7, 0);
                old.as_mut().unwrap().write_all(late.as_bytes()).unwrap();
                written.push(late.trim_end().to_string());
            }
            3 => {
                write(&p, 8, 0, &mut written);
                let late = numbered(9, 0);
                old.as_mut().unwrap().write_all(late.as_bytes()).unwrap();
                written.push(late.trim_end().to_string());
            }
            // Polls 4-6: the old file's grace period runs out.
            7 => {
                // copytruncate, refilled smaller; line 10 was never read here.
                write(&p, 10, 0, &mut written);
                copytruncate(&[(11, 0)], &mut written);
            }
            8 => {
                // Refilled to exactly the size the follower had read (line 11's),
                // after line 12 that only the copy holds.
                write(&p, 12, 0, &mut written);
                let size = numbered(11, 0).len();
                let pad = size - numbered(13, 0).len();
                assert_eq!(numbered(13, pad).len(), size);
                copytruncate(&[(13, pad)], &mut written);
            }
            9 => {
                // Refilled larger than before within one poll.
                write(&p, 14, 0, &mut written);
                copytruncate(&[(15, 40), (16, 40), (17, 40)], &mut written);
            }
            10 => {
                // Two rotations between polls: the middle file holds 19 and 20.
                write(&p, 18, 0, &mut written);
                shift_rotated(&d);
                fs::rename(&p, d.join("mainlog.1")).unwrap();
                write(&p, 19, 0, &mut written);
                write(&p, 20, 0, &mut written);
                shift_rotated(&d);
                fs::rename(&p, d.join("mainlog.1")).unwrap();
                write(&p, 21, 0, &mut written);
            }
            4..=6 | 11..=15 => {}
            _ => return false,
        }
        true
    };
    let got = followed(
        Follow::new(&path)
            .with_interval(std::time::Duration::from_secs(1))
            .with_rotate_wait(std::time::Duration::from_secs(3))
            .with_control(control),
    );
    let mut sorted_got = got.clone();
    sorted_got.sort();
    let mut sorted_written = written.clone();
    sorted_written.sort();
    assert_eq!(sorted_got, sorted_written, "got, in order: {got:#?}");
    assert_eq!(written.len(), 21);
}

/// A followed `.gz` (a rotated file named on the command line) is read once:
/// its size on disk, the compressed one, is less than the text read, which in
/// a plain file would mean a truncation and a second reading.
#[test]
#[cfg(feature = "gzip")]
fn follow_reads_a_gzipped_log_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mainlog.1.gz");
    let text = lines(50);
    let bytes = gzip(text.concat().as_bytes());
    assert!(
        bytes.len() < text.concat().len(),
        "the premise: it compresses"
    );
    fs::write(&path, &bytes).unwrap();
    let mut polls = 0;
    let got = followed(Follow::new(&path).with_control(move |_| {
        polls += 1;
        polls < 3
    }));
    let want: Vec<&str> = text.iter().map(|l| l.trim_end()).collect();
    assert_eq!(got, want);
}

/// A log that does not exist yet is waited for (Exim creates it with its
/// first line); one that cannot be read (here a directory) is an open error
/// at once, and the follow ends.
#[test]
fn follow_waits_for_a_missing_log_and_stops_at_an_unreadable_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mainlog");
    let line = "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq Completed";
    let p = path.clone();
    let mut step = 0;
    let got = followed(Follow::new(&path).with_control(move |_| {
        step += 1;
        match step {
            1 => {}
            2 => append(&p, &format!("{line}\n")),
            _ => return false,
        }
        true
    }));
    assert_eq!(got, [line]);

    let mut polls = 0;
    let got: Vec<_> = Follow::new(dir.path())
        .with_control(|_| {
            polls += 1;
            false
        })
        .collect();
    assert_eq!(polls, 0, "no wait after the error");
    assert_eq!(got.len(), 1, "{got:?}");
    let e = got[0].as_ref().unwrap_err();
    assert!(matches!(e.kind, ReadErrorKind::Open(_)), "{e}");
    assert_eq!(e.file(), Some(dir.path()));
}

/// `next_line`, the zero-copy shape, yields each line and its position;
/// `framing` is known once a line was read.
#[test]
fn follow_next_line_lends_each_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mainlog");
    let (one, two) = (
        "2026-11-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@example.com U=a P=local S=1",
        "2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed",
    );
    fs::write(&path, format!("{one}\n{two}\n")).unwrap();
    let mut follow = Follow::new(&path).with_control(|_| false);
    assert_eq!(follow.framing(), None, "nothing read yet");
    let mut got = Vec::new();
    while let Some((line, pos)) = follow.next_line().unwrap() {
        got.push((
            String::from_utf8(line.to_vec()).unwrap(),
            pos.line,
            pos.byte,
        ));
        if got.len() == 1 {
            assert_eq!(follow.framing(), Some(Framing::Plain));
        }
    }
    let want = [
        (one.to_string(), 1, 0),
        (two.to_string(), 2, one.len() as u64 + 1),
    ];
    assert_eq!(got, want);
}

/// A rotated file let go after its grace period (here one poll): its partial
/// last line is yielded then, and what is written to it later is not read.
/// Its lines are named by its new name, found by its identity among older
/// files of the set (history, never read).
#[test]
fn follow_lets_a_rotated_file_go_after_its_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mainlog");
    let old = dir.path().join("mainlog.1");
    append(
        &dir.path().join("mainlog.2"),
        "2026-11-24 23:59:59 history\n",
    );
    append(&path, "2026-11-25 10:00:01 one\n");
    let (p, o) = (path.clone(), old.clone());
    let mut step = 0;
    let control = move |_| {
        step += 1;
        match step {
            1 => {
                fs::rename(&p, &o).unwrap();
                append(&o, "2026-11-25 10:00:02 partial");
                append(&p, "2026-11-25 10:00:03 three\n");
            }
            2 => append(&p, "2026-11-25 10:00:04 four\n"),
            3 => {
                // After the grace period: not read.
                append(&o, "\n2026-11-25 10:00:06 too late\n");
                append(&p, "2026-11-25 10:00:05 five\n");
            }
            _ => return false,
        }
        true
    };
    let got: Vec<(String, String)> = Follow::new(&path)
        .with_interval(std::time::Duration::from_secs(1))
        .with_rotate_wait(std::time::Duration::from_secs(1))
        .with_control(control)
        .map(|r| {
            let r = r.unwrap();
            let file = r.file().unwrap().file_name().unwrap();
            (
                String::from_utf8(r.raw().to_vec()).unwrap(),
                file.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let want = [
        ("2026-11-25 10:00:01 one", "mainlog"),
        ("2026-11-25 10:00:03 three", "mainlog"),
        ("2026-11-25 10:00:04 four", "mainlog"),
        ("2026-11-25 10:00:02 partial", "mainlog.1"),
        ("2026-11-25 10:00:05 five", "mainlog"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(s, f)| (s.to_string(), f.to_string()))
        .collect();
    assert_eq!(got, want);
}

/// Two rotations between polls of a log that was empty when last read: the
/// middle file is read (an empty file's start is no fingerprint that every
/// file agrees with).
#[test]
fn follow_reads_the_middle_file_after_an_empty_log() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let path = d.join("mainlog");
    File::create(&path).unwrap();
    let p = path.clone();
    let mut step = 0;
    let control = move |_| {
        step += 1;
        if step > 1 {
            return false;
        }
        append(&p, &numbered(1, 0));
        shift_rotated(&d);
        fs::rename(&p, d.join("mainlog.1")).unwrap();
        append(&p, &numbered(2, 0));
        shift_rotated(&d);
        fs::rename(&p, d.join("mainlog.1")).unwrap();
        append(&p, &numbered(3, 0));
        true
    };
    let got = followed(Follow::new(&path).with_control(control));
    let want = numbered_lines(1..=3);
    assert_eq!(got, want);
}

/// `copytruncate` three times between two polls (a follower whose reader
/// stalled, say behind a slow pipe): the copy of what it read holds the lines
/// it had not read yet; the two newer copies hold only lines it never saw
/// and are read whole, oldest first, before the refilled file.
#[test]
fn follow_reads_every_copy_of_copytruncates_between_two_polls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mainlog");
    for i in 1..=2 {
        append(&path, &numbered(i, 0));
    }
    let copytruncate = |refill: u32| {
        copy_and_truncate(&path);
        append(&path, &numbered(refill, 0));
    };
    let mut step = 0;
    let control = |_| {
        step += 1;
        if step > 1 {
            return false;
        }
        append(&path, &numbered(3, 0));
        copytruncate(4);
        copytruncate(5);
        copytruncate(6);
        true
    };
    let got = followed(Follow::new(&path).with_control(control));
    assert_eq!(got, numbered_lines(1..=6));
}

/// logrotate's `compress`: at the second rotation the first rotated file is
/// replaced by its compressed copy (a new file, `mainlog.2.gz`). The copy is
/// known by its first bytes and not read again.
#[test]
fn follow_does_not_read_a_compressed_copy_of_a_file_it_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let path = d.join("mainlog");
    append(&path, &numbered(1, 0));
    let p = path.clone();
    let mut step = 0;
    let control = move |_| {
        step += 1;
        match step {
            1 => {
                fs::rename(&p, d.join("mainlog.1")).unwrap();
                append(&p, &numbered(2, 0));
            }
            2 => {
                let first = fs::read(d.join("mainlog.1")).unwrap();
                fs::write(d.join("mainlog.2.gz"), gzip(&first)).unwrap();
                fs::remove_file(d.join("mainlog.1")).unwrap();
                fs::rename(&p, d.join("mainlog.1")).unwrap();
                append(&p, &numbered(3, 0));
            }
            _ => return false,
        }
        true
    };
    let got = followed(Follow::new(&path).with_control(control));
    let want = numbered_lines(1..=3);
    assert_eq!(got, want);
}

/// What a follower shows of itself when debugged.
#[test]
fn follow_debug_names_the_path_and_the_intervals() {
    let f = Follow::new("/var/log/exim4/mainlog")
        .with_interval(std::time::Duration::from_secs(2))
        .with_rotate_wait(std::time::Duration::from_secs(10));
    assert_eq!(
        format!("{f:?}"),
        "Follow { path: \"/var/log/exim4/mainlog\", interval: 2s, rotate_wait: 10s, draining: 0, .. }"
    );
}

/// logrotate's `copytruncate` with `compress` (no `delaycompress`): the copy
/// is compressed before the follower sees it (`mainlog.1.gz`). The lines
/// written after the last read are read from the decompressed copy.
#[test]
#[cfg(feature = "gzip")]
fn follow_reads_the_unread_tail_of_a_compressed_copy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let path = d.join("mainlog");
    append(&path, &numbered(1, 40));
    append(&path, &numbered(2, 40));
    let p = path.clone();
    let mut step = 0;
    let control = move |_| {
        step += 1;
        if step > 1 {
            return false;
        }
        append(&p, &numbered(3, 40));
        fs::write(d.join("mainlog.1.gz"), gzip(&fs::read(&p).unwrap())).unwrap();
        OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(0)
            .unwrap();
        append(&p, &numbered(4, 0));
        true
    };
    let got = followed(Follow::new(&path).with_control(control));
    let want: Vec<String> = [(1, 40), (2, 40), (3, 40), (4, 0)]
        .iter()
        .map(|&(i, pad)| numbered(i, pad).trim_end().to_string())
        .collect();
    assert_eq!(got, want);
}
