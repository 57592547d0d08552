"""reject_entries(), panic_entries() and parse_syslog_line() (format reference §10, §1.5)."""

from __future__ import annotations

import gzip
import json

import pytest

import exim_log

ID = "1sAoM5-00000009r3p-06vq"
REJECT_LINE = (
    f"2024-05-25 10:00:00 {ID} H=(pc.example.net) [192.0.2.1] F=<a@example.net> "
    "rejected after DATA: spam score too high"
)
REJECTLOG = "\n".join(
    [
        REJECT_LINE,
        "Envelope-from: <a@example.net>",
        "Envelope-to: <c@example.com>",
        "    <d@example.com>",
        "P Received: from [192.0.2.1] (helo=pc.example.net)",
        "\tby mx.example.com with esmtp",
        "I Message-ID: <abc@example.net>",
        "  Subject: you won",
        "2024-05-25 10:05:00 H=(helo.invalid) [198.51.100.7] F=<x@spam.example> "
        "rejected RCPT <nobody@example.com>: Unknown user",
    ]
) + "\n"


def test_reject_entries() -> None:
    e1, e2 = exim_log.reject_entries(REJECTLOG.encode())
    assert e1.offset == 0
    assert e1.line.event == "rejection" and e1.line.message_id == ID
    assert e1.envelope_from == "<a@example.net>"
    assert e1.envelope_to == ["<c@example.com>", "<d@example.com>"]
    assert not e1.envelope_to_more and not e1.truncated
    assert [(h.flag, h.name) for h in e1.headers] == [
        ("P", "Received"),
        ("I", "Message-ID"),
        (" ", "Subject"),
    ]
    # A folded header keeps its continuation line.
    assert e1.headers[0].text == (
        "Received: from [192.0.2.1] (helo=pc.example.net)\n\tby mx.example.com with esmtp"
    )
    assert e1.headers[2].value == "you won"
    assert e1.raw == "\n".join(REJECTLOG.split("\n")[:8])
    # The second entry starts right after the first (byte offsets).
    assert e2.offset == len(e1.raw) + 1
    assert e2.line.event == "rejection" and e2.envelope_from is None and e2.headers == []
    d = e1.to_dict()
    assert d["offset"] == 0
    assert d["line"] == e1.line.to_dict()
    assert d["envelope_to"] == ["<c@example.com>", "<d@example.com>"]
    assert d["headers"][0]["flag"] == "P"
    json.dumps(d)  # plain JSON values
    d["headers"][0]["flag"] = "X"  # a copy: the entry is unchanged
    assert e1.to_dict()["headers"][0]["flag"] == "P"
    assert "envelope_from" not in e2.to_dict()
    # repr: the kind, the byte offset and the first line (Rust `{:?}` quoting).
    assert repr(e1) == f'<RejectEntry at 0: "{REJECT_LINE}">'


def test_reject_entries_from_gzip_file_and_errors(tmp_path) -> None:
    p = tmp_path / "rejectlog.1.gz"
    p.write_bytes(gzip.compress(REJECTLOG.encode()))
    assert len(exim_log.reject_entries(p)) == 2
    bad = b"garbage before the first entry\n" + REJECTLOG.encode()
    with pytest.raises(exim_log.ParseError) as e:
        exim_log.reject_entries(bad)
    assert e.value.offset == 0
    assert len(exim_log.reject_entries(bad, errors="skip")) == 2


PANICLOG = (
    "2024-05-25 10:00:00 Exim configuration error in transport remote_smtp:\n"
    "  option \"hosts_require_tls\" unknown\n"
    "  at line 812\n"
    f"2024-05-25 10:00:01 {ID} Failed to expand return path\n"
)


def test_panic_entries() -> None:
    e1, e2 = exim_log.panic_entries(PANICLOG.encode())
    assert e1.offset == 0
    assert e1.line.text == "Exim configuration error in transport remote_smtp:"
    # The first line's two-space indent goes, later lines keep theirs.
    assert e1.detail == 'option "hosts_require_tls" unknown\n  at line 812'
    assert e2.detail is None and e2.line.message_id == ID
    assert e2.offset == PANICLOG.index("2024-05-25 10:00:01")
    assert e1.to_dict()["detail"] == e1.detail
    assert e1.to_dict()["line"] == e1.line.to_dict()
    assert "detail" not in e2.to_dict()
    assert repr(e2) == (
        f'<PanicEntry at {e2.offset}: "2024-05-25 10:00:01 {ID} Failed to expand return path">'
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f"<22>Nov 27 07:47:34 mx1 exim[4321]: {ID} Completed",
            {
                "priority": 22,
                "facility": 2,
                "severity": 6,
                "time": "Nov 27 07:47:34",
                "syslog_host": "mx1",
                "program": "exim",
                "pid": 4321,
                "chunk": None,
                "message_id": ID,
                "event": "completed",
            },
        ),
        (
            "Nov 27 07:47:34 mx1 exim[7]: [2/3] H=[192.0.2.1] dropped by 'connect' ACL",
            {"priority": None, "pid": 7, "chunk": (2, 3, False), "message_id": None},
        ),
    ],
)
def test_parse_syslog_line(line: str, expected: dict) -> None:
    s = exim_log.parse_syslog_line(line)
    for k, v in expected.items():
        assert getattr(s, k) == v, k
    assert s.raw == line
    d = s.to_dict()
    assert d["raw"] == line and d["program"] == "exim"
    assert d.get("syslog_host") == expected.get("syslog_host", "mx1")
    assert s.get("no_such_key", 5) == 5
    json.dumps(d)


def test_parse_syslog_line_event_fields_and_errors() -> None:
    s = exim_log.parse_syslog_line(
        "Nov 27 07:47:34 mx1 exim[9]: H=(pc) [192.0.2.1] F=<a@example.net> "
        "rejected RCPT <c@example.com>: no such user"
    )
    assert s.event == "rejection"
    # The syslog host, kept apart from the event's H= host (see the README).
    assert s.syslog_host == "mx1"
    assert s.get("sender") == exim_log.parse_line(
        "2024-05-25 10:00:00 H=(pc) [192.0.2.1] F=<a@example.net> "
        "rejected RCPT <c@example.com>: no such user"
    ).sender
    for bad in ("", "garbage", "<x>Nov"):
        with pytest.raises(exim_log.ParseError):
            exim_log.parse_syslog_line(bad)
