"""exim_log.follow(): tail -F over a growing, rotated file, driven from a thread.

No timing assertions: the writer thread and the reader hand over with queues and
events, and every wait is bounded (a hang fails instead of blocking the suite)."""

from __future__ import annotations

import os
import pathlib
import queue
import threading

import pytest

import exim_log

ID = "1sAoM5-00000009r3p-06vq"
L1 = f"2024-05-25 11:10:28 {ID} <= alice@example.com U=alice P=local S=1234"
L2 = f"2024-05-25 11:10:29 {ID} => bob@example.org R=dnslookup T=remote_smtp"
L3 = f"2024-05-25 11:10:30 {ID} Completed"
L4 = "2024-05-25 11:11:00 SMTP connection from mail.example.com [192.0.2.10]"
BOUND = 20.0  # seconds: only reached when something is broken


def append(path: pathlib.Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def reader_thread(f: exim_log.Follow, out: queue.Queue) -> threading.Thread:
    """Puts every line the follower yields into `out`, then None at the end."""

    def run() -> None:
        try:
            for line in f:
                out.put(line)
        except Exception as e:  # handed to the test, which re-raises
            out.put(e)
        out.put(None)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def take(out: queue.Queue) -> exim_log.Line:
    item = out.get(timeout=BOUND)
    if isinstance(item, Exception):
        raise item
    assert item is not None, "the follower ended early"
    return item


def test_append_then_rotate_then_close(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "mainlog"
    log.write_text(L1 + "\n")
    out: queue.Queue = queue.Queue()
    f = exim_log.follow(log, poll_interval=0.01)
    t = reader_thread(f, out)

    first = take(out)
    assert (first.event, first.message_id, first.user) == ("arrival", ID, "alice")
    assert (first.line_number, first.offset, first.file) == (1, 0, str(log))

    append(log, L2 + "\n")
    second = take(out)
    assert second.event == "delivery"
    assert (second.line_number, second.offset) == (2, len(L1) + 1)

    # logrotate: rename away, Exim creates a new file. A line written to the old
    # file after the rename is still read, before the new file.
    os.rename(log, tmp_path / "mainlog.1")
    append(tmp_path / "mainlog.1", L3 + "\n")
    log.write_text(L4 + "\n")
    third = take(out)
    assert third.event == "completed"
    fourth = take(out)
    assert fourth.event == "connection_open"
    # The new file is read from its start.
    assert (fourth.line_number, fourth.offset) == (1, 0)

    assert not f.closed
    f.close()
    assert f.closed
    assert out.get(timeout=BOUND) is None
    t.join(timeout=BOUND)
    assert not t.is_alive()


def test_partial_line_is_held_until_complete(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "mainlog"
    log.write_text(L1 + "\n" + L3[:25])
    out: queue.Queue = queue.Queue()
    f = exim_log.follow(log, poll_interval=0.01)
    reader_thread(f, out)
    assert take(out).event == "arrival"
    append(log, L3[25:] + "\n")
    done = take(out)
    assert done.event == "completed" and done.raw == L3
    f.close()
    assert out.get(timeout=BOUND) is None


def test_close_yields_last_partial_line(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "mainlog"
    log.write_text(L3)  # no newline yet
    with exim_log.follow(log, poll_interval=0.01) as f:
        f.close()
        lines = list(f)
    assert [l.raw for l in lines] == [L3]


def test_timeout_ends_an_idle_follow(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "mainlog"
    log.write_text(L1 + "\n" + L2 + "\n")
    f = exim_log.follow(log, poll_interval=0.01, timeout=0.05)
    assert [l.event for l in f] == ["arrival", "delivery"]
    assert f.closed  # the idle limit stops it as close() does
    assert list(f) == []


def test_missing_file_is_waited_for(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "mainlog"
    out: queue.Queue = queue.Queue()
    f = exim_log.follow(log, poll_interval=0.01)
    reader_thread(f, out)
    log.write_text(L4 + "\n")
    assert take(out).event == "connection_open"
    f.close()
    assert out.get(timeout=BOUND) is None


def test_from_end_skips_existing_lines(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "mainlog"
    log.write_text(L1 + "\n" + L2 + "\n")
    # The file is opened at the first next(): everything before is skipped.
    f = exim_log.follow(log, poll_interval=0.01, timeout=0.05, from_end=True)
    assert list(f) == []
    g = exim_log.follow(log, poll_interval=0.01, timeout=0.05)
    assert [l.line_number for l in g] == [1, 2]


def test_bad_line_raises_with_position_or_is_skipped(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "mainlog"
    log.write_text("not a log line\n" + L3 + "\n")
    f = exim_log.follow(log, poll_interval=0.01, timeout=0.05)
    with pytest.raises(exim_log.ParseError) as e:
        next(f)
    assert (e.value.line, e.value.offset, e.value.file) == (1, 0, str(log))
    assert next(f).event == "completed"
    f2 = exim_log.follow(log, poll_interval=0.01, timeout=0.05, errors="skip")
    assert [l.event for l in f2] == ["completed"]


@pytest.mark.parametrize(
    "kw", [{"poll_interval": -1.0}, {"timeout": float("nan")}, {"rotate_wait": -2.0}]
)
def test_bad_arguments(tmp_path: pathlib.Path, kw: dict) -> None:
    with pytest.raises(ValueError):
        exim_log.follow(tmp_path / "mainlog", **kw)


def test_gil_is_released_while_waiting(tmp_path: pathlib.Path) -> None:
    """A follower blocked on an idle file must not stop other Python threads."""
    log = tmp_path / "mainlog"
    log.write_text("")
    f = exim_log.follow(log, poll_interval=0.05)
    out: queue.Queue = queue.Queue()
    t = reader_thread(f, out)
    # This thread keeps running Python while the follower waits; if the wait
    # held the GIL, the counting below could not finish before close().
    n = sum(range(200_000))
    assert n > 0
    f.close()
    assert out.get(timeout=BOUND) is None
    t.join(timeout=BOUND)
