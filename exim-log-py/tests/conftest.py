"""Shared helpers of the pytest suite."""

from __future__ import annotations

import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def corpus_dir() -> pathlib.Path | None:
    """The Exim test-suite corpus beside the repository (or $EXIM_LOG_CORPUS).

    Missing: skipped outside CI, a failure under CI=true (as in the Rust tests)."""
    env = os.environ.get("EXIM_LOG_CORPUS")
    d = pathlib.Path(env) if env else REPO.parent / "shared" / "corpus" / "exim-testsuite"
    if d.is_dir():
        return d
    msg = f"corpus not found at {d} (set EXIM_LOG_CORPUS to the exim-testsuite folder)"
    if in_ci():
        pytest.fail(f"{msg}; CI requires it")
    pytest.skip(msg)
    return None


# Realistic lines written for these tests (format reference §3, §4; no corpus data).
ARRIVAL = (
    "2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq <= alice@example.com "
    "H=mail.example.com (helo.example.com) [192.0.2.10]:2525 P=esmtps S=1234 "
    'T="Invoice \\"May\\"" for bob@example.org'
)
COMPLETED = "2024-05-25 11:10:30.123 +0100 [4711] 1sAoM5-00000009r3p-06vq Completed"
ARGUMENTS = (
    "2024-05-25 11:10:27 cwd=/home/alice/public_html 4 args: "
    "/usr/sbin/sendmail -t -i -falice@example.com"
)
