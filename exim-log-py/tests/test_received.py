"""Received headers and header blocks (format reference §11)."""

from __future__ import annotations

import pytest

import exim_log

# §11.1 layout, 4.95+ (date on its own line), +incoming_port, TLS since 4.93.
EXIM_497 = (
    "Received: from mail.example.com ([192.0.2.7]:38432 helo=client.example)\n"
    "\tby mx.example.net with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n"
    "\t(Exim 4.97.1)\n"
    "\t(envelope-from <alice@example.com>)\n"
    "\tid 1sAoM5-00000009r3p-06vq;\n"
    "\tSat, 25 May 2024 11:10:28 +0100\n"
)
# Local submission with one recipient, 16-character id, date on the id line (<= 4.94).
EXIM_LOCAL = (
    "Received: from alice by mail.example.org with local (Exim 4.94.2 (FreeBSD))\n"
    "\t(envelope-from <alice@example.org>)\n"
    "\tid 1neFfG-000Bu6-U9\n"
    "\tfor bob@example.net; Tue, 12 Apr 2022 14:30:34 +0200\n"
)
POSTFIX = (
    "Received: from client.example (unknown [198.51.100.4])\n"
    "\tby relay.example.com (Postfix) with ESMTPS id 4XyZ1234AbC\n"
    "\tfor <carol@example.com>; Mon,  6 Jan 2025 10:00:00 +0000 (UTC)\n"
)


def test_exim_header_fields() -> None:
    h = exim_log.parse_received(EXIM_497)
    assert h.mta == "exim" and h.is_exim
    assert h.message_id == "1sAoM5-00000009r3p-06vq"
    assert h.from_.name == "mail.example.com"
    assert h.from_.helo == "client.example"
    assert (h.from_.ip, h.from_.port) == ("192.0.2.7", 38432)
    assert h.by == "mx.example.net"
    assert h.protocol == "esmtps"
    assert (h.tls.version, h.tls.cipher) == ("TLS1.3", "TLS_AES_256_GCM_SHA384")
    assert h.exim_version == "4.97.1"
    assert h.envelope_from == "alice@example.com"
    assert h.date == "2024-05-25T11:10:28+01:00"
    assert h.for_ is None
    assert h.raw == EXIM_497.rstrip("\n")
    d = h.to_dict()
    assert d["from"] == {
        "name": "mail.example.com",
        "helo": "client.example",
        "ip": "192.0.2.7",
        "port": 38432,
    }
    assert d["from"] == h.from_
    assert "for" not in d
    assert "Received(mta='exim', message_id='1sAoM5-00000009r3p-06vq'" in repr(h)


def test_local_submission_and_distribution_version() -> None:
    h = exim_log.parse_received(EXIM_LOCAL.encode())
    assert h.message_id == "1neFfG-000Bu6-U9"
    assert h.exim_version == "4.94.2 (FreeBSD)"
    assert h.exim_release == "4.94.2"
    assert h.for_ == "bob@example.net"
    assert h.protocol == "local"
    assert h.date == "2022-04-12T14:30:34+02:00"


def test_other_mta_has_no_exim_id() -> None:
    h = exim_log.parse_received(POSTFIX)
    assert h.mta == "postfix"
    assert not h.is_exim
    assert h.id == "4XyZ1234AbC"
    assert h.message_id is None
    assert h.for_ == "carol@example.com"


def test_never_fails_and_equality() -> None:
    h = exim_log.parse_received("garbage")
    assert h.raw == "garbage"
    assert h.message_id is None
    assert exim_log.parse_received(EXIM_497) == exim_log.parse_received(EXIM_497.encode())
    assert exim_log.parse_received(EXIM_497) != h
    with pytest.raises(AttributeError):
        h._x  # noqa: B018


def test_header_block_order_and_ids() -> None:
    # Newest hop first in the block (RFC 5321 §4.4); the body is not headers.
    block = (
        "Return-path: <alice@example.org>\r\n"
        + POSTFIX.replace("\n", "\r\n")
        + EXIM_497.replace("\n", "\r\n")
        + EXIM_LOCAL.replace("\n", "\r\n")
        + "Subject: hello\r\n\r\n"
        + "Received: from fake (in the body) by x (Exim 4.99) id 1sAoM5-00000009r3p-0000\r\n"
    )
    hs = exim_log.received_headers(block)
    assert [h.mta for h in hs] == ["postfix", "exim", "exim"]
    assert exim_log.exim_message_ids(block.encode()) == [
        "1neFfG-000Bu6-U9",
        "1sAoM5-00000009r3p-06vq",
    ]
