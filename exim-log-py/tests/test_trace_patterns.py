"""trace() with regex and literal patterns (the rules of the `trace` program)."""

from __future__ import annotations

import pytest

import exim_log

A = "1sAoM5-00000009r3p-06vq"
B = "1sAoM6-0000000Aab1-07Xz"
LOG = "\n".join(
    [
        # A: submitted by a script (linked by adjacency/pid to the cwd= line).
        "2024-05-25 11:10:27 [100] cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i",
        f"2024-05-25 11:10:27 [100] {A} <= shop@example.com U=shop P=local S=900 "
        'T="Cheap Pills"',
        f"2024-05-25 11:10:28 [101] {A} => victim@example.org R=dnslookup T=remote_smtp "
        "H=mx.example.org [192.0.2.20]",
        f"2024-05-25 11:10:28 [101] {A} Completed",
        # B: an ordinary message.
        f"2024-05-25 11:11:00 [200] {B} <= Bob@Example.net H=mail.example.net "
        "[192.0.2.30] P=esmtp S=2000 T=\"Minutes\"",
        f"2024-05-25 11:11:01 [201] {B} => carol@example.com R=localuser T=local_delivery",
        f"2024-05-25 11:11:01 [201] {B} Completed",
        # A lone rejection, no message id.
        "2024-05-25 11:12:00 [300] H=(helo.invalid) [198.51.100.7] F=<x@spam.example> "
        "rejected RCPT <nobody@example.com>: Unknown user",
    ]
) + "\n"


def ids(items: list) -> list:
    return [x.id if isinstance(x, exim_log.Message) else ("line", x.event) for x in items]


@pytest.mark.parametrize(
    ("patterns", "kw", "expected"),
    [
        # Regex, case-insensitive by default.
        (r"cheap\s+pills", {}, [A]),
        (r"CHEAP PILLS", {"ignore_case": False}, []),
        # A match on the linked cwd= line selects the message it submitted.
        ("/home/shop/public_html", {}, [A]),
        # Literal: regex metacharacters are plain text.
        ("S=2000", {"literal": True}, [B]),
        ("[192.0.2.30]", {"literal": True}, [B]),
        ("bob@example.net", {"literal": True, "ignore_case": False}, []),
        ("Bob@Example.net", {"literal": True, "ignore_case": False}, [B]),
        # ^ and $ are line ends.
        (r"Completed$", {}, [A, B]),
        # Several patterns: any of them.
        (["local_delivery", "victim@"], {}, [A, B]),
        # A lone line that matches comes back as a Line.
        (r"rejected RCPT .*unknown user", {}, [("line", "rejection")]),
        # An id inside a case-insensitive search keeps its case: B lower-cased
        # is not B.
        ([B.lower()], {}, []),
        # Ids with a regex pattern: the id matches its message literally.
        ([A, "local_delivery"], {}, [A, B]),
    ],
)
def test_patterns(patterns: object, kw: dict, expected: list) -> None:
    got = list(exim_log.trace(LOG.encode(), patterns, **kw))
    assert ids(got) == expected


def test_matched_message_is_whole_with_its_script() -> None:
    (m,) = exim_log.trace(LOG.encode(), "cheap pills")
    assert [l.event for l in m.lines] == ["arrival", "delivery", "completed"]
    assert m.cwd == "/home/shop/public_html"


def test_ids_take_the_fast_path_unchanged() -> None:
    (m,) = exim_log.trace(LOG.encode(), A)
    assert m.id == A and len(m) == 3


def test_bad_patterns() -> None:
    with pytest.raises(ValueError, match="invalid trace"):
        exim_log.trace(LOG.encode(), "(unclosed")
    with pytest.raises(ValueError):
        exim_log.trace(LOG.encode(), [])
    with pytest.raises(ValueError):
        exim_log.trace(LOG.encode(), "a\nb")
