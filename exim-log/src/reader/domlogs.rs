//! cPanel's (and plain Apache's) per-site access logs: which files belong to
//! which site, oldest first.
//!
//! cPanel writes one combined-format log per domain: `domlogs/DOMAIN` for
//! HTTP and `domlogs/DOMAIN-ssl_log` for HTTPS, in newer releases under a
//! folder per account (`domlogs/USER/DOMAIN`). Rotated copies are numbered or
//! dated like other logs (`DOMAIN.1`, `DOMAIN-20261201.gz`, see
//! [`RotationKey`]), and the monthly archives in `~/logs/` are named
//! `DOMAIN-Mon-YYYY.gz`. The `-bytes_log`, `-ftp_log` and error logs are not
//! access logs and are left out, as are cPanel's `.offset` and `.bkup` files.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::RotationKey;

/// The access logs of one site: the files of its rotated set, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomLog {
    /// The domain (the file's base name).
    pub domain: String,
    /// The account, for `domlogs/USER/DOMAIN`.
    pub user: Option<String>,
    /// True for the `-ssl_log` (HTTPS) set.
    pub ssl: bool,
    /// Its files, oldest first; read them with [`super::LogFiles`].
    pub files: Vec<PathBuf>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Splits a file name into (domain, ssl, rotation) or `None` for files that are
/// not access logs.
fn classify(name: &str) -> Option<(String, bool, RotationKey)> {
    let skip = [
        "bytes_log",
        "ftp_log",
        "error_log",
        ".offset",
        ".bkup",
        ".swp",
    ];
    if name.starts_with('.') || skip.iter().any(|s| name.contains(s)) {
        return None;
    }
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    // cPanel's monthly archive: DOMAIN[-ssl_log]-Mon-YYYY.gz
    let mut parts = stem.rsplitn(3, '-');
    let (year, mon, base) = (parts.next(), parts.next(), parts.next());
    let (base, key) = match (
        year,
        mon.and_then(|m| MONTHS.iter().position(|n| *n == m)),
        base,
    ) {
        (Some(y), Some(m), Some(base)) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => {
            let y: u64 = y.parse().ok()?;
            (base.to_string(), RotationKey::Dated(y * 100 + m as u64 + 1))
        }
        _ => {
            let (base, key) = RotationKey::split(name);
            (base.to_string(), key)
        }
    };
    let (domain, ssl) = match base.strip_suffix("-ssl_log") {
        Some(d) => (d.to_string(), true),
        None => (base, false),
    };
    (!domain.is_empty()).then_some((domain, ssl, key))
}

/// The access-log sets under `dir`: a `domlogs` folder (files, and one level of
/// account folders), or an account's `logs` folder of archives.
///
/// ```no_run
/// for site in exim_log::reader::domlogs("/usr/local/apache/domlogs")? {
///     println!("{} {:?} ssl={} {} files", site.domain, site.user, site.ssl, site.files.len());
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn domlogs(dir: impl AsRef<Path>) -> io::Result<Vec<DomLog>> {
    let mut found: Vec<(String, Option<String>, bool, RotationKey, PathBuf)> = Vec::new();
    let mut add = |path: PathBuf, user: Option<String>| {
        if let Some(name) = path.file_name().and_then(|n| n.to_str())
            && let Some((domain, ssl, key)) = classify(name)
        {
            found.push((domain, user, ssl, key, path));
        }
    };
    for entry in fs::read_dir(dir.as_ref())? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let path = entry.path();
        if ty.is_dir() {
            let user = entry.file_name().to_string_lossy().into_owned();
            for sub in fs::read_dir(&path)? {
                let sub = sub?;
                if sub.file_type()?.is_file() {
                    add(sub.path(), Some(user.clone()));
                }
            }
        } else if ty.is_file() {
            add(path, None);
        }
    }
    found.sort_by(|a, b| (&a.1, &a.0, a.2, &a.3).cmp(&(&b.1, &b.0, b.2, &b.3)));
    let mut sets: Vec<DomLog> = Vec::new();
    for (domain, user, ssl, _, path) in found {
        match sets.last_mut() {
            Some(last) if last.domain == domain && last.user == user && last.ssl == ssl => {
                last.files.push(path);
            }
            _ => sets.push(DomLog {
                domain,
                user,
                ssl,
                files: vec![path],
            }),
        }
    }
    Ok(sets)
}

/// The sites' user data under cPanel's `/var/cpanel/userdata` (`dir`): every
/// `USER/DOMAIN` file, read with [`crate::cpanel::parse_userdata`]; the
/// account's `main` list, the `_SSL` twins (same document root), caches and
/// JSON copies are left out. A `USER` folder that cannot be read is skipped
/// (cPanel keeps it readable by root only); an unreadable `dir` is the error.
///
/// ```no_run
/// for u in exim_log::reader::cpanel_userdata("/var/cpanel/userdata")? {
///     println!("{} {:?} {:?}", u.domain, u.user, u.documentroot);
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn cpanel_userdata(dir: impl AsRef<Path>) -> io::Result<Vec<crate::cpanel::Userdata>> {
    let mut out = Vec::new();
    let mut users: Vec<_> = fs::read_dir(dir.as_ref())?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .collect();
    users.sort_by_key(fs::DirEntry::file_name);
    for user in users {
        let Ok(files) = fs::read_dir(user.path()) else {
            continue;
        };
        let mut files: Vec<_> = files.filter_map(Result::ok).collect();
        files.sort_by_key(fs::DirEntry::file_name);
        for f in files {
            let name = f.file_name().to_string_lossy().into_owned();
            let not_a_site = name == "main"
                || name == "cache"
                || name.starts_with('.')
                || name.ends_with("_SSL")
                || [".cache", ".json", ".yaml", ".lock", ".stor"]
                    .iter()
                    .any(|s| name.ends_with(s))
                || !name.contains('.');
            if not_a_site || !f.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let Ok(text) = fs::read(f.path()) else {
                continue;
            };
            let mut u = crate::cpanel::parse_userdata(&name, &text);
            if u.user.is_none() {
                u.user = Some(user.file_name().to_string_lossy().into_owned());
            }
            out.push(u);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let c = classify;
        assert_eq!(
            c("shop.example"),
            Some(("shop.example".into(), false, RotationKey::Current))
        );
        assert_eq!(
            c("shop.example-ssl_log"),
            Some(("shop.example".into(), true, RotationKey::Current))
        );
        assert_eq!(
            c("shop.example.2.gz"),
            Some(("shop.example".into(), false, RotationKey::Numbered(2)))
        );
        assert_eq!(
            c("shop.example-ssl_log-Dec-2026.gz"),
            Some(("shop.example".into(), true, RotationKey::Dated(202612)))
        );
        assert_eq!(
            c("shop.example-20261201.gz"),
            Some(("shop.example".into(), false, RotationKey::Dated(20261201)))
        );
        assert_eq!(c("shop.example-bytes_log"), None);
        assert_eq!(c("ftp.shop.example-ftp_log"), None);
        assert_eq!(c("shop.example.offset"), None);
        // A monthly archive's year is four digits; anything else after a
        // month is a name like any other (here a dated copy, then no key).
        assert_eq!(
            c("shop.example-Dec-26"),
            Some(("shop.example-Dec".into(), false, RotationKey::Dated(26)))
        );
        assert_eq!(
            c("shop.example-Dec-20x6"),
            Some(("shop.example-Dec-20x6".into(), false, RotationKey::Current))
        );
    }

    /// cPanel's `/var/cpanel/userdata`: a folder per account, a file per
    /// site; the account's `main` list, `cache`, the `_SSL` twins, cached and
    /// serialized copies, hidden files and names without a dot are not
    /// sites. Accounts and sites come in name order; a site file without
    /// `user:` takes its folder's name.
    #[test]
    fn cpanel_userdata_reads_the_site_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let site = "documentroot: /home/u2/public_html\nuser: u2\n";
        let files: &[(&str, &str)] = &[
            ("u2/b.example", site),
            ("u2/a.example", "documentroot: /home/u2/a\n"),
            ("u2/main", site),
            ("u2/cache", site),
            ("u2/.a.example", site),
            ("u2/a.example_SSL", site),
            ("u2/a.example.cache", site),
            ("u2/a.example.json", site),
            ("u2/a.example.yaml", site),
            ("u2/a.example.lock", site),
            ("u2/a.example.stor", site),
            ("u2/nodot", site),
            ("u1/c.example", "user: owner\n"),
            ("top.example", site),
        ];
        for (name, text) in files {
            let path = d.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        fs::create_dir(d.join("u2/d.example")).unwrap();
        let got: Vec<_> = cpanel_userdata(d)
            .unwrap()
            .into_iter()
            .map(|u| (u.domain, u.user, u.documentroot))
            .collect();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            got,
            [
                ("c.example".to_string(), s("owner"), None),
                ("a.example".to_string(), s("u2"), s("/home/u2/a")),
                ("b.example".to_string(), s("u2"), s("/home/u2/public_html")),
            ]
        );
        assert!(cpanel_userdata(d.join("missing")).is_err());
    }
}
