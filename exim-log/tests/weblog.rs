//! Web access logs in cPanel's domlogs layout, streamed through the same reader
//! as the mainlog (plain, rotated, gzip) and parsed line by line.

// Helpers outside #[test] fns may unwrap and index too (clippy.toml allows it only inside them).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[cfg(feature = "gzip")]
use std::io::Write;
#[cfg(feature = "gzip")]
use std::path::Path;

#[cfg(feature = "gzip")]
use exim_log::reader::{LogFiles, domlogs};
#[cfg(any(feature = "gzip", feature = "serde"))]
use exim_log::weblog::parse_access_line;

#[cfg(any(feature = "gzip", feature = "serde"))]
fn line(ip: &str, minute: u32, path: &str) -> String {
    format!(
        "{ip} - - [05/Dec/2026:10:{minute:02}:00 +0000] \"POST {path} HTTP/1.1\" 200 17 \"-\" \"agent/{minute}\"\n"
    )
}

// Rotated members are gzipped: reading them needs the `gzip` feature.
#[cfg(feature = "gzip")]
fn write(path: &Path, text: &str, gz: bool) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    if gz {
        let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap();
    } else {
        let mut f = f;
        f.write_all(text.as_bytes()).unwrap();
    }
}

#[cfg(feature = "gzip")]
#[test]
fn domlogs_sets_are_read_oldest_first_through_the_log_reader() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        &d.join("shop.example"),
        &line("198.51.100.23", 30, "/current.php"),
        false,
    );
    write(
        &d.join("shop.example.1"),
        &line("198.51.100.23", 20, "/one.php"),
        false,
    );
    write(
        &d.join("shop.example.2.gz"),
        &line("198.51.100.23", 10, "/two.php"),
        true,
    );
    write(
        &d.join("shop.example-ssl_log"),
        &line("203.0.113.5", 40, "/s.php"),
        false,
    );
    write(&d.join("shop.example-bytes_log"), "1 2\n", false);
    write(
        &d.join("clientx/blog.example"),
        &line("192.0.2.1", 50, "/wp-login.php"),
        false,
    );
    write(
        &d.join("clientx/blog.example-ssl_log-Nov-2026.gz"),
        &line("192.0.2.2", 5, "/old.php"),
        true,
    );
    write(
        &d.join("clientx/blog.example-ssl_log"),
        &line("192.0.2.3", 55, "/new.php"),
        false,
    );

    let sets = domlogs(d).unwrap();
    let summary: Vec<_> = sets
        .iter()
        .map(|s| (s.user.clone(), s.domain.clone(), s.ssl, s.files.len()))
        .collect();
    assert_eq!(
        summary,
        [
            (None, "shop.example".to_string(), false, 3),
            (None, "shop.example".to_string(), true, 1),
            (
                Some("clientx".to_string()),
                "blog.example".to_string(),
                false,
                1
            ),
            (
                Some("clientx".to_string()),
                "blog.example".to_string(),
                true,
                2
            ),
        ]
    );

    let mut paths = Vec::new();
    for set in &sets {
        let mut files = LogFiles::new(set.files.clone());
        let mut buf = Vec::new();
        let mut times = Vec::new();
        while files.read_line(&mut buf).unwrap().is_some() {
            let l = parse_access_line(&buf).unwrap();
            times.push(l.unix_seconds());
            paths.push(l.path().unwrap().to_string());
        }
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "{}: {times:?}",
            set.domain
        );
    }
    assert_eq!(
        paths,
        [
            "/two.php",
            "/one.php",
            "/current.php",
            "/s.php",
            "/wp-login.php",
            "/old.php",
            "/new.php"
        ]
    );
}

#[cfg(feature = "serde")]
#[test]
fn json_of_an_access_line() {
    let text = line("198.51.100.23", 30, "/x.php?a=1");
    let l = parse_access_line(text.as_bytes()).unwrap();
    let v = serde_json::to_value(l).unwrap();
    assert_eq!(v["client"], "198.51.100.23");
    assert_eq!(v["request"], "POST /x.php?a=1 HTTP/1.1");
    assert_eq!(v["status"], 200);
    assert_eq!(v["user_agent"], "agent/30");
    assert_eq!(v["time"], "2026-12-05T10:30:00+00:00");
    assert!(v.get("referer").is_none(), "- is absent");
}
