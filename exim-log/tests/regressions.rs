//! Replays every input under `fuzz/regressions/<target>/` through the invariant
//! checks of that fuzz target, on the stable toolchain, in ordinary `cargo test`.
//!
//! The checks are the fuzz crate's own (`fuzz/src/lib.rs`), compiled in here by
//! `#[path]`, so a crasher found by libFuzzer and the test that keeps it fixed
//! assert exactly the same things.

// The fuzz crate's checks, through a symlink so that the packaged crate has them.
#[path = "fuzz_checks/mod.rs"]
mod invariants;

use std::path::{Path, PathBuf};

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions")
}

/// True in the crate as `cargo package` made it (it writes `Cargo.toml.orig`),
/// which has no `fuzz/` beside it; in the repository the folder must be there.
fn packaged() -> bool {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("Cargo.toml.orig")
        .is_file()
}

/// Files directly in `dir`, sorted (README files describe, they are not inputs).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_regression_folder_is_a_known_target() {
    if packaged() {
        eprintln!("packaged crate: no fuzz/regressions to check");
        return;
    }
    let entries = std::fs::read_dir(regressions_dir())
        .unwrap_or_else(|e| panic!("{}: {e}", regressions_dir().display()));
    for e in entries {
        let path = e.expect("regression entry").path();
        if path.is_dir() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            assert!(
                invariants::TARGETS.contains(&name),
                "fuzz/regressions/{name} does not name a fuzz target ({:?})",
                invariants::TARGETS
            );
        }
    }
}

#[test]
fn regressions_replay_without_breaking_an_invariant() {
    if packaged() {
        eprintln!("packaged crate: no fuzz/regressions to replay");
        return;
    }
    let mut replayed = 0;
    for target in invariants::TARGETS {
        let files = inputs(&regressions_dir().join(target));
        // A missing or emptied folder must not pass by replaying nothing.
        assert!(
            !files.is_empty(),
            "fuzz/regressions/{target} has no input to replay"
        );
        for file in files {
            let data = std::fs::read(&file).expect("read regression input");
            let ok = std::panic::catch_unwind(|| invariants::check(target, &data));
            assert!(
                matches!(ok, Ok(true)),
                "{target}: {} breaks an invariant (see the panic above)",
                file.display()
            );
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} regression inputs");
    // In the repository every target must have replayed at least one input.
    assert!(replayed >= invariants::TARGETS.len());
}

/// The checks must be able to fail: a slice from elsewhere is caught.
#[test]
fn inside_rejects_foreign_slices() {
    let buf = b"2024-05-25 10:10:28 1sAoM5-00000009r3p-06vq Completed".to_vec();
    let other = buf.clone();
    assert!(invariants::inside(&buf, &buf[20..43]));
    assert!(invariants::inside(&buf, &buf[..]));
    assert!(!invariants::inside(&buf, &other[20..43]));
    assert!(!invariants::inside(&buf[..20], &buf[10..30]));
    assert!(
        invariants::inside(&buf, &other[0..0]),
        "empty slices are accepted"
    );
}

/// Every target's check accepts ordinary input (and so is wired up).
#[test]
fn checks_pass_on_valid_input() {
    let line = b"2024-05-25 10:10:28 1sAoM5-00000009r3p-06vq Completed\n";
    for target in invariants::TARGETS {
        assert!(invariants::check(target, line), "{target}");
    }
    assert!(!invariants::check("no-such-target", line));
}

/// The spool files and `exim -bp` listings Exim wrote for the tests
/// (tests/data/spool) pass the `spool` and `listing` invariants, render round
/// trip included, and mutations of them keep the invariants too.
#[test]
fn spool_samples_pass_the_fuzz_invariants() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/spool");
    let mut files = Vec::new();
    for spool in ["flat", "split"] {
        let mut dirs = vec![root.join(spool).join("input")];
        while let Some(d) = dirs.pop() {
            for p in inputs(&d) {
                files.push(p);
            }
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                if e.path().is_dir() {
                    dirs.push(e.path());
                }
            }
        }
    }
    let headers: Vec<_> = files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with("-H"))
        .collect();
    assert!(headers.len() >= 8, "{} -H files", headers.len());
    for p in headers {
        let data = std::fs::read(p).unwrap();
        exim_log::spool::parse_header(&data).unwrap();
        invariants::check_spool(&data);
        // Every cut, and every byte replaced by a delimiter, keeps the invariants.
        for cut in (0..data.len()).step_by(23) {
            invariants::check_spool(&data[..cut]);
            for b in [b'\n', b' ', b'-', b'#', b'0', b'Y'] {
                let mut m = data.clone();
                m[cut] = b;
                invariants::check_spool(&m);
            }
        }
    }
    for name in ["flat.bp", "split.bp"] {
        let data = std::fs::read(root.join(name)).unwrap();
        invariants::check_listing(&data);
        for cut in (0..data.len()).step_by(5) {
            invariants::check_listing(&data[..cut]);
            for b in [b'\n', b' ', b'>', b'*', b'D'] {
                let mut m = data.clone();
                m[cut] = b;
                invariants::check_listing(&m);
            }
        }
    }
}
