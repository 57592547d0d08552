//! Rotated log sets in chronological order.
//!
//! Exim's own `exicyclog` and Debian's `savelog` number old logs: `mainlog` is
//! current, `mainlog.1` the previous one, `mainlog.2.gz` older still, so the
//! **highest number is oldest**. logrotate's `dateext` (cPanel, RHEL) names them
//! by the rotation date instead: `exim_mainlog-20261125.gz`, oldest date first.
//! Reading a set in this order makes a message whose lines span two files whole.

use std::cmp::Ordering;
use std::io;
use std::path::{Path, PathBuf};

/// Where a file sits in a rotated set, from its name's suffix after the base name.
///
/// Order: dated files by date, then numbered files from the highest number down,
/// then the current file (no suffix). Exim never mixes the two schemes in one
/// set; if a directory holds both, dated files are taken as older.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RotationKey {
    /// `-YYYYMMDD` (or any digits after `-`, e.g. `-2026112512`), compared as a number.
    Dated(u64),
    /// `.N`: a higher `N` is older.
    Numbered(u64),
    /// No suffix: the current log.
    Current,
}

impl RotationKey {
    /// The key of `name` as a member of the set named `base`, or `None` when the
    /// name is not `base` plus a rotation suffix (and optionally `.gz`).
    ///
    /// ```
    /// use exim_log::reader::RotationKey;
    /// assert_eq!(RotationKey::of("mainlog.2.gz", "mainlog"), Some(RotationKey::Numbered(2)));
    /// assert_eq!(RotationKey::of("exim_mainlog-20261125", "exim_mainlog"), Some(RotationKey::Dated(20261125)));
    /// assert_eq!(RotationKey::of("mainlog", "mainlog"), Some(RotationKey::Current));
    /// assert_eq!(RotationKey::of("rejectlog.1", "mainlog"), None);
    /// ```
    pub fn of(name: &str, base: &str) -> Option<Self> {
        let suffix = name.strip_prefix(base)?;
        let suffix = suffix.strip_suffix(".gz").unwrap_or(suffix);
        if suffix.is_empty() {
            return Some(RotationKey::Current);
        }
        let digits = |s: &str| {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u64>().ok())
                .flatten()
        };
        if let Some(n) = suffix.strip_prefix('.').and_then(digits) {
            return Some(RotationKey::Numbered(n));
        }
        suffix
            .strip_prefix('-')
            .and_then(digits)
            .map(RotationKey::Dated)
    }

    /// Splits a file name into its base name and key (`mainlog.3.gz` →
    /// `("mainlog", Numbered(3))`). Names without a rotation suffix are `Current`.
    pub fn split(name: &str) -> (&str, RotationKey) {
        let stem = name.strip_suffix(".gz").unwrap_or(name);
        if let Some((base, n)) = stem.rsplit_once('.')
            && let Some(k) = RotationKey::of(name, base)
            && !n.is_empty()
        {
            return (base, k);
        }
        if let Some((base, _)) = stem.rsplit_once('-')
            && let Some(k) = RotationKey::of(name, base)
        {
            return (base, k);
        }
        (stem, RotationKey::Current)
    }

    fn rank(&self) -> (u8, i128) {
        match self {
            RotationKey::Dated(d) => (0, i128::from(*d)),
            RotationKey::Numbered(n) => (1, -i128::from(*n)),
            RotationKey::Current => (2, 0),
        }
    }
}

impl PartialOrd for RotationKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RotationKey {
    /// Older sorts first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// Orders paths (e.g. a shell glob `mainlog*`, which sorts `mainlog.10.gz`
/// before `mainlog.2.gz`) oldest first, by their rotation suffix.
///
/// The sort is stable: paths whose keys are equal (different base names or
/// directories) keep their given order relative to each other.
///
/// ```
/// use std::path::PathBuf;
/// use exim_log::reader::order_rotated;
/// let glob = ["mainlog", "mainlog.1", "mainlog.10.gz", "mainlog.2.gz"].map(PathBuf::from);
/// let ordered = order_rotated(glob);
/// assert_eq!(ordered, ["mainlog.10.gz", "mainlog.2.gz", "mainlog.1", "mainlog"].map(PathBuf::from));
/// ```
pub fn order_rotated(paths: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut keyed: Vec<(RotationKey, PathBuf)> = paths
        .into_iter()
        .map(|p| {
            let key = p
                .file_name()
                .and_then(|n| n.to_str())
                .map_or(RotationKey::Current, |n| RotationKey::split(n).1);
            (key, p)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// The rotated set of a log, oldest first: given `/var/log/exim4/mainlog`, every
/// file of that directory named `mainlog`, `mainlog.N[.gz]` or
/// `mainlog-DIGITS[.gz]`. Given a directory, the set of `mainlog` in it, or of
/// `exim_mainlog` (cPanel's name) when there is no `mainlog`.
///
/// The current file need not exist (a set may be only rotated files).
pub fn rotated(path: impl AsRef<Path>) -> io::Result<Vec<PathBuf>> {
    let path = path.as_ref();
    if path.is_dir() {
        for base in ["mainlog", "exim_mainlog"] {
            let set = set_in(path, base)?;
            if !set.is_empty() {
                return Ok(set);
            }
        }
        return Ok(Vec::new());
    }
    let base = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no UTF-8 file name"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    set_in(dir, base)
}

/// The files of `dir` in the rotated set named `base`, oldest first.
fn set_in(dir: &Path, base: &str) -> io::Result<Vec<PathBuf>> {
    let mut set = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(key) = RotationKey::of(name, base)
            && entry.file_type()?.is_file()
        {
            set.push((key, entry.path()));
        }
    }
    set.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(set.into_iter().map(|(_, p)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_names() {
        let cases = [
            ("mainlog", "mainlog", RotationKey::Current),
            ("mainlog.1", "mainlog", RotationKey::Numbered(1)),
            ("mainlog.12.gz", "mainlog", RotationKey::Numbered(12)),
            (
                "exim_mainlog-20261125",
                "exim_mainlog",
                RotationKey::Dated(20261125),
            ),
            (
                "exim_mainlog-20261125.gz",
                "exim_mainlog",
                RotationKey::Dated(20261125),
            ),
            ("mainlog.gz", "mainlog", RotationKey::Current),
        ];
        for (name, base, key) in cases {
            assert_eq!(RotationKey::split(name), (base, key.clone()), "{name}");
            assert_eq!(RotationKey::of(name, base), Some(key), "{name}");
        }
        assert_eq!(RotationKey::of("mainlog.old", "mainlog"), None);
        assert_eq!(RotationKey::of("mainlog.", "mainlog"), None);
        assert_eq!(RotationKey::of("mainlog-", "mainlog"), None);
        // Digits only: not what `u64::from_str` also takes.
        assert_eq!(RotationKey::of("mainlog.+5", "mainlog"), None);
        assert_eq!(RotationKey::of("mainlog-+20261125", "mainlog"), None);
    }

    #[test]
    fn keys_compare_older_first() {
        use RotationKey::{Current, Dated, Numbered};
        assert!(Numbered(2) < Numbered(1));
        assert!(Dated(20261124) < Dated(20261125));
        assert!(Dated(20261125) < Numbered(9));
        assert!(Numbered(1) < Current);
        assert_eq!(Numbered(3).partial_cmp(&Numbered(3)), Some(Ordering::Equal));
        assert_eq!(Current.partial_cmp(&Dated(1)), Some(Ordering::Greater));
    }

    /// A bare file name is a file of the working directory (the package's,
    /// where cargo runs tests): its set is read from `.`.
    #[test]
    fn a_bare_file_name_is_looked_up_in_the_working_directory() {
        assert_eq!(
            rotated("Cargo.toml").unwrap(),
            [PathBuf::from("./Cargo.toml")]
        );
    }

    /// In a directory: `mainlog`'s set; cPanel's `exim_mainlog` only when
    /// there is no `mainlog`; directories named like members left out.
    #[test]
    fn a_directory_is_its_mainlog_set() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert!(rotated(d).unwrap().is_empty());
        std::fs::write(d.join("exim_mainlog"), "").unwrap();
        assert_eq!(rotated(d).unwrap(), [d.join("exim_mainlog")]);
        std::fs::write(d.join("mainlog.1"), "").unwrap();
        std::fs::create_dir(d.join("mainlog.2")).unwrap();
        assert_eq!(rotated(d).unwrap(), [d.join("mainlog.1")]);
        assert_eq!(rotated(d.join("mainlog")).unwrap(), [d.join("mainlog.1")]);
    }

    #[test]
    fn dated_before_numbered_before_current() {
        let names = [
            "m",
            "m.1",
            "m-20261126.gz",
            "m.3.gz",
            "m-20261124",
            "m.2.gz",
        ];
        let got = order_rotated(names.map(PathBuf::from));
        let want = [
            "m-20261124",
            "m-20261126.gz",
            "m.3.gz",
            "m.2.gz",
            "m.1",
            "m",
        ];
        assert_eq!(got, want.map(PathBuf::from));
    }
}
