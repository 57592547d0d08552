"""to_dict() equals the Rust NDJSON output on every line of the corpus mainlogs."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

import exim_log
from conftest import REPO, corpus_dir, in_ci


@pytest.fixture(scope="module")
def mainlogs() -> list:
    d = corpus_dir()
    assert d is not None
    files = sorted(p for p in (d / "mainlog").iterdir() if p.is_file())
    assert files, f"no mainlog in {d}"
    return files


def rust_ndjson(files: list) -> list[dict]:
    cargo = shutil.which("cargo")
    if cargo is None or not (REPO / "Cargo.toml").is_file():
        if in_ci():
            pytest.fail("cargo and the repository are required under CI")
        pytest.skip("cargo or the repository checkout not available")
    proc = subprocess.run(
        [cargo, "run", "-q", "-p", "exim-log-cli", "--", "ndjson"]
        + [str(f) for f in files],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    return [json.loads(l) for l in proc.stdout.splitlines()]


def python_dicts(files: list) -> list[dict]:
    out: list[dict] = []
    for f in files:
        it = exim_log.lines(f)
        while True:
            try:
                line = next(it)
            except StopIteration:
                break
            except exim_log.ParseError as e:
                # The ndjson example's shape for a line without a valid prefix.
                assert e.file == str(f) and e.line is not None
                out.append({"error_message": str(e), "line": e.line, "file": str(f)})
                continue
            out.append(line.to_dict())
    return out


def test_to_dict_equals_rust_ndjson(mainlogs: list) -> None:
    rust = rust_ndjson(mainlogs)
    ours = python_dicts(mainlogs)
    assert len(ours) == len(rust)
    errors = entries = 0
    for r, p in zip(rust, ours):
        if "rejectlog" in r:
            # ndjson names the envelope/header/continuation lines of an entry
            # (exim_log::rejectlog::entry_line; in a mainlog, the indented lines
            # of a multi-line entry); lines() yields them as EntryLine.
            if r["rejectlog"] == "continuation":
                assert r["raw"][:1] in (" ", "\t"), r
            entries += 1
            assert p == r
            continue
        if "timestamp" not in r:  # {"error", "offset", "raw"}: no valid prefix
            errors += 1
            assert p.get("error_message", "").startswith(r["error"]), (r, p)
            continue
        assert p == r
    assert errors < len(rust)
    print(f"{len(rust)} lines of {len(mainlogs)} files equal, {entries} entry lines, {errors} without prefix")


def test_attributes_equal_to_dict_on_corpus(mainlogs: list) -> None:
    n = 0
    for f in mainlogs[:200]:
        for line in exim_log.lines(f, errors="skip"):
            d = line.to_dict()
            for key, value in d.items():
                assert getattr(line, key) == value, (key, line.raw)
            n += 1
    assert n > 1000
