"""``python -m exim_log``: the exim-log command run through the package (the Rust
command's own code), with its exit statuses and its standard input."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from conftest import ARRIVAL, COMPLETED

import exim_log


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exim_log", *args],
        input=stdin.encode(),
        capture_output=True,
        timeout=120,
    )


def test_help_and_version() -> None:
    p = run("--help")
    assert p.returncode == 0
    assert b"spam-sources" in p.stdout and b"Usage: exim-log" in p.stdout
    p = run("--version")
    assert p.stdout.decode().strip() == f"exim-log {exim_log.__version__}"
    p = run("summry")
    assert p.returncode == 2 and b"summary" in p.stderr


def test_reads_stdin_and_agrees_with_the_library() -> None:
    log = f"{ARRIVAL}\n{COMPLETED}\n"
    p = run("summary", "--json", stdin=log)
    assert p.returncode == 0, p.stderr
    totals = json.loads(p.stdout)["totals"]
    arrivals = [l for l in exim_log.lines(io.BytesIO(log.encode())) if l.event == "arrival"]
    assert totals["received"]["messages"] == len(arrivals) == 1
    assert totals["completed"] == 1


def test_exit_statuses() -> None:
    log = f"{ARRIVAL}\n{COMPLETED}\n"
    assert run("trace", "1sAoM5-00000009r3p-06vq", stdin=log).returncode == 0
    assert run("trace", "1sAoZZ-0000000ZZZZ-0000", stdin=log).returncode == 1
    p = run("summary", stdin="not a log\n")
    assert p.returncode == 2
    assert b"0 of 1 lines look like Exim log lines" in p.stderr
