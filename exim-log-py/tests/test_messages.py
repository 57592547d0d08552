"""messages() and trace(): grouping, the cwd link, bounces, rotated sets."""

from __future__ import annotations

import gzip
import pathlib

import pytest

import exim_log

SPAM = "1sAoM5-00000009r3p-06vq"
BOUNCE = "1sAoM8-0000000CCCC-0000"
OTHER = "1sAoM7-0000000BBBB-0000"
BLOG = "1sAoM9-0000000DDDD-0000"

# A web script sends spam through sendmail (no +pid: linked by adjacency, and the
# -Mc delivery process names the id); one recipient bounces; an unrelated inbound
# message is still on the queue at the end.
LOG = f"""\
2024-05-25 11:10:27 cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i
2024-05-25 11:10:27 {SPAM} <= shop@example.com U=shop P=local S=812 T="Cheap pills"
2024-05-25 11:10:27 cwd=/home/shop/public_html 3 args: /usr/sbin/exim4 -Mc {SPAM}
2024-05-25 11:10:27 SMTP connection from [192.0.2.99]:4444 (TCP/IP connection count = 1)
2024-05-25 11:10:28 {SPAM} => victim@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7] C="250 OK id=1sAoM6-0000000AAAA-0000"
2024-05-25 11:10:28 {SPAM} ** nobody@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.9]: SMTP error from remote mail server after RCPT TO:<nobody@example.net>: 550 5.1.1 User unknown
2024-05-25 11:10:28 {BOUNCE} <= <> R={SPAM} U=Debian-exim P=local S=1500
2024-05-25 11:10:28 {SPAM} Completed
2024-05-25 11:10:29 {OTHER} <= other@example.com H=mail.example.net [192.0.2.8] P=esmtp S=100
2024-05-25 11:10:29 {BOUNCE} => shop@example.com R=localuser T=local_delivery
2024-05-25 11:10:29 {BOUNCE} Completed
"""


def by_id(items: list) -> dict:
    return {m.id: m for m in items if isinstance(m, exim_log.Message)}


def test_grouping_status_and_order() -> None:
    got = list(exim_log.messages(LOG.encode()))
    # Emitted when Completed is read; what is left comes at the end of input.
    assert [m.id for m in got] == [SPAM, BOUNCE, OTHER]
    assert [m.status for m in got] == ["completed", "completed", "end_of_input"]
    assert [m.is_complete for m in got] == [True, True, False]
    spam = got[0]
    assert len(spam) == 4
    assert [l.flag for l in spam.lines] == ["<=", "=>", "**", None]
    assert [l.event for l in spam] == ["arrival", "delivery", "failure", "completed"]
    assert spam.arrival.user == "shop"
    assert spam.queue_time == 1.0
    assert [l.line_number for l in spam.lines] == [2, 5, 6, 8]


def test_cwd_link_adjacency_and_named_id() -> None:
    spam = by_id(list(exim_log.messages(LOG.encode())))[SPAM]
    assert spam.cwd == "/home/shop/public_html"
    assert spam.submission.link == "adjacent"
    assert spam.submission.line.line_number == 1
    assert spam.submission.args == ["/usr/sbin/sendmail", "-t", "-i"]
    assert [a.link for a in spam.arguments] == ["adjacent", "named_id"]
    assert not spam.arguments[0].ambiguous
    assert "cwd='/home/shop/public_html'" in repr(spam)


def test_cwd_link_by_pid() -> None:
    log = f"""\
2024-05-25 11:10:20 [4711] cwd=/home/blog/wp 3 args: /usr/sbin/sendmail -t -i
2024-05-25 11:10:21 [4712] cwd=/root 2 args: /usr/sbin/exim4 -bp
2024-05-25 11:10:22 [4711] {BLOG} <= blog@example.com U=blog P=local S=10
2024-05-25 11:10:23 [4713] {BLOG} Completed
"""
    (m,) = list(exim_log.messages(log.encode()))
    assert (m.cwd, m.submission.link, m.submission.line.pid) == ("/home/blog/wp", "pid", 4711)


def test_bounce_links_and_next_hops() -> None:
    ms = by_id(list(exim_log.messages(LOG.encode())))
    assert ms[BOUNCE].bounce_parent == SPAM
    assert ms[SPAM].bounces == [BOUNCE]
    assert ms[SPAM].next_hops == [
        {"recipient": "victim@example.org", "message_id": "1sAoM6-0000000AAAA-0000"}
    ]
    assert ms[OTHER].cwd is None and ms[OTHER].submission is None


def test_standalone_lines_come_in_order() -> None:
    got = list(exim_log.messages(LOG.encode(), standalone=True))
    lone = [x for x in got if isinstance(x, exim_log.Line)]
    assert [l.event for l in lone] == ["connection_open"]
    assert isinstance(got[0], exim_log.Line)  # before the first Completed


def test_to_dict_follows_the_schema() -> None:
    spam = by_id(list(exim_log.messages(LOG.encode())))[SPAM]
    d = spam.to_dict()
    assert (d["message_id"], d["status"]) == (SPAM, "completed")
    assert d["bounces"] == [BOUNCE]
    assert [a["link"] for a in d["arguments"]] == ["adjacent", "named_id"]
    assert d["arguments"][0]["cwd"] == "/home/shop/public_html"
    assert [l["position"]["line"] for l in d["lines"]] == [2, 5, 6, 8]
    # Each line is the line's JSON plus its position.
    for line, ld in zip(spam.lines, d["lines"]):
        pos = ld.pop("position")
        assert ld == line.to_dict()
        assert pos["byte"] == line.offset


def test_trace_ids_from_received_headers_over_a_rotated_set(tmp_path: pathlib.Path) -> None:
    lines = LOG.splitlines(keepends=True)
    # Yesterday's file (gzip) holds the arrival; today's the rest.
    (tmp_path / "mainlog.1.gz").write_bytes(gzip.compress("".join(lines[:3]).encode()))
    (tmp_path / "mainlog").write_text("".join(lines[3:]))
    headers = (
        "Received: from shop by mail.example.com with local (Exim 4.97.1)\n"
        "\t(envelope-from <shop@example.com>)\n"
        f"\tid {SPAM};\n"
        "\tSat, 25 May 2024 11:10:27 +0100\n"
        "Subject: Cheap pills\n\n"
    )
    ids = exim_log.exim_message_ids(headers)
    assert ids == [SPAM]
    got = list(exim_log.trace(tmp_path / "mainlog", ids, rotated=True))
    # The bounce names the spam (R=): it is traced too, like exigrep does.
    assert [m.id for m in got] == [SPAM, BOUNCE]
    spam = got[0]
    assert spam.cwd == "/home/shop/public_html"
    assert pathlib.Path(spam.arrival.file).name == "mainlog.1.gz"
    assert pathlib.Path(spam.lines[-1].file).name == "mainlog"
    assert list(exim_log.trace(LOG.encode(), "1sAoM0-0000000ZZZZ-0000")) == []
    with pytest.raises(ValueError):
        exim_log.trace(LOG.encode(), [])


def test_unreadable_file_in_a_list_raises_oserror(tmp_path: pathlib.Path) -> None:
    good = tmp_path / "mainlog"
    good.write_text(LOG)
    it = exim_log.messages([tmp_path / "missing", good])
    with pytest.raises(FileNotFoundError):
        next(it)
    assert [m.id for m in it] == [SPAM, BOUNCE, OTHER]


def test_memory_budget_flushes_early_and_loses_no_line(tmp_path: pathlib.Path) -> None:
    # 300 messages in flight with 1 KB subjects (about 330 KB), then each one's
    # Completed line: a 64 KiB budget must flush most of them early.
    subject = "s" * 1000
    ids = [f"1sAoM5-{i:011d}-0000" for i in range(300)]
    text = "".join(
        f'2024-05-25 11:10:27 {i} <= a@example.com P=local S=100 T="{subject}"\n'
        for i in ids
    ) + "".join(f"2024-05-25 11:10:28 {i} Completed\n" for i in ids)
    path = tmp_path / "mainlog"
    path.write_text(text)
    small = list(exim_log.messages(str(path), memory_budget=64 << 10))
    default = list(exim_log.messages(str(path)))
    assert not any(m.continued for m in default)
    assert len(default) == 300
    assert any(m.continued for m in small)
    assert any(m.status == "evicted" for m in small)
    # Every line comes out once, in one part or the other.
    got = sorted(line.raw for m in small for line in m.lines)
    want = sorted(line.raw for m in default for line in m.lines)
    assert len(want) == 600
    assert got == want
