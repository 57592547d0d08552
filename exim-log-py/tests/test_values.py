"""Values of the core fields on lines whose values are known independently.

Each line below is written here from the Exim log format reference (sections
cited), with our own host names and addresses, and the expected values are read
off the format by hand: they are not the parser's output copied back, and not the
Rust serde output compared with itself (test_corpus.py does that). Planting a
wrong slice in the parser (an IP one character short, a router that keeps the
` : ` separator, router and transport swapped) makes these fail.
"""

from __future__ import annotations

import pytest

import exim_log

ID = "1tUa2b-00000000Ab1-0c2D"

# (line, {attribute path: expected value}); None = absent.
CASES = [
    (
        # §4.1 remote delivery.
        f"2025-01-06 12:00:00 {ID} => rcpt@example.net <Rcpt@example.net> R=dnslookup "
        'T=remote_smtp H=mx.example.net [192.0.2.25]:2525 C="250 OK"',
        {
            "event": "delivery",
            "recipient": "rcpt@example.net",
            "original_recipient": "Rcpt@example.net",
            "router": "dnslookup",
            "transport": "remote_smtp",
            "host.name": "mx.example.net",
            "host.ip": "192.0.2.25",
            "host.port": 2525,
            "confirmation": "250 OK",
        },
    ),
    (
        # §4.3, 4.99+: the error separator ` : ` belongs to neither field.
        f"2025-01-06 12:00:01 {ID} ** gone@example.org R=system_aliases : This user has left",
        {
            "event": "failure",
            "recipient": "gone@example.org",
            "router": "system_aliases",
            "transport": None,
            "error": "This user has left",
        },
    ),
    (
        # §4.3, <= 4.98: `: ` right after the router.
        "2025-01-06 12:00:01 1neFfG-000Bu6-U9 ** gone@example.org R=system_aliases: This user has left",
        {"router": "system_aliases", "error": "This user has left"},
    ),
    (
        # §4.3 with transport and host.
        f"2025-01-06 12:00:02 {ID} ** nobody@example.com R=dnslookup T=remote_smtp "
        "H=mx1.example.com [198.51.100.7] : SMTP error from remote mail server after "
        "RCPT TO:<nobody@example.com>: 550 5.1.1 No such user",
        {
            "router": "dnslookup",
            "transport": "remote_smtp",
            "host.ip": "198.51.100.7",
            "error": "SMTP error from remote mail server after RCPT TO:<nobody@example.com>: "
            "550 5.1.1 No such user",
        },
    ),
    (
        # §4.2 deferral, host after `defer (N)`.
        f"2025-01-06 12:00:04 {ID} == later@example.com R=dnslookup T=remote_smtp defer (-44) "
        "H=mx2.example.com [203.0.113.9]: SMTP error from remote mail server after "
        "RCPT TO:<later@example.com>: 451 4.7.1 Greylisted",
        {
            "event": "deferral",
            "router": "dnslookup",
            "transport": "remote_smtp",
            "errno": -44,
            "host.ip": "203.0.113.9",
        },
    ),
    (
        # §3 arrival: host parts, subject escapes (§7), recipients (§1.4).
        f"2025-01-06 12:00:05 {ID} <= sender@example.com H=client.example.com "
        "(helo.example.com) [192.0.2.80]:41234 P=esmtpsa A=login:sender@example.com S=2345 "
        'T="Re: \\"Invoice\\" 100\\303\\251" for one@example.net two@example.net',
        {
            "event": "arrival",
            "sender": "sender@example.com",
            "host.name": "client.example.com",
            "host.helo": "helo.example.com",
            "host.ip": "192.0.2.80",
            "host.port": 41234,
            "protocol": "esmtpsa",
            "size": 2345,
            "subject": 'Re: "Invoice" 100é',
            "recipients": ["one@example.net", "two@example.net"],
        },
    ),
    (
        # §10 ACL reject.
        "2025-01-06 12:00:06 H=(laptop) [192.0.2.81] F=<a@example.com> "
        "rejected RCPT <b@example.org>: relay not permitted",
        {
            "event": "rejection",
            "stage": "rcpt",
            "host.helo": "laptop",
            "host.ip": "192.0.2.81",
            "recipient": "b@example.org",
            "reason": "relay not permitted",
        },
    ),
]


def attribute(line: exim_log.Line, path: str) -> object:
    value: object = line
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def from_dict(d: dict, path: str) -> object:
    value: object = d
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


@pytest.mark.parametrize("text,expected", CASES, ids=[c[1].get("event", "line") for c in CASES])
def test_known_values(text: str, expected: dict) -> None:
    line = exim_log.parse_line(text)
    d = line.to_dict()
    for path, want in expected.items():
        assert attribute(line, path) == want, f"attribute {path} of {text}"
        assert from_dict(d, path) == want, f"to_dict {path} of {text}"
