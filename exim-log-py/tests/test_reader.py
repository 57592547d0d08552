"""lines(): bytes, paths, file objects; positions; errors; batch boundaries."""

from __future__ import annotations

import gzip
import io
import pathlib

import pytest

import exim_log
from conftest import ARGUMENTS, ARRIVAL, COMPLETED

GOOD = [ARGUMENTS, ARRIVAL, COMPLETED]
TEXT = "\n".join(GOOD) + "\n"


def offsets(lines: list[str], ending: str = "\n") -> list[int]:
    out, pos = [], 0
    for l in lines:
        out.append(pos)
        pos += len(l.encode()) + len(ending)
    return out


def check(got: list[exim_log.Line], expected: list[str], file: str | None) -> None:
    assert [l.raw for l in got] == expected
    assert [l.line_number for l in got] == list(range(1, len(expected) + 1))
    assert [l.offset for l in got] == offsets(expected)
    assert all(l.file == file for l in got)


def test_bytes_and_bytearray() -> None:
    check(list(exim_log.lines(TEXT.encode())), GOOD, None)
    check(list(exim_log.lines(bytearray(TEXT.encode()))), GOOD, None)


def test_path_str_and_pathlike(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "mainlog"
    p.write_text(TEXT)
    check(list(exim_log.lines(str(p))), GOOD, str(p))
    check(list(exim_log.lines(p)), GOOD, str(p))


def test_binary_and_text_file_objects(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "mainlog"
    p.write_text(TEXT)
    with open(p, "rb") as f:
        check(list(exim_log.lines(f)), GOOD, str(p))
    with open(p, encoding="utf-8") as f:
        check(list(exim_log.lines(f)), GOOD, str(p))
    check(list(exim_log.lines(io.BytesIO(TEXT.encode()))), GOOD, None)


def test_last_line_without_newline_and_crlf() -> None:
    got = list(exim_log.lines(TEXT.rstrip("\n").encode()))
    assert [l.raw for l in got] == GOOD
    crlf = "\r\n".join(GOOD) + "\r\n"
    got = list(exim_log.lines(crlf.encode()))
    assert [l.raw for l in got] == GOOD
    assert [l.offset for l in got] == offsets(GOOD, "\r\n")


def test_empty_input() -> None:
    assert list(exim_log.lines(b"")) == []


def test_batches_never_split_a_line(tmp_path: pathlib.Path) -> None:
    # Several MiB: more than one batch, with lines of varying length across the cuts.
    many = [f"2024-05-25 11:10:{i % 60:02d} line {i} " + "x" * (i % 97) for i in range(60_000)]
    data = ("\n".join(many) + "\n").encode()
    assert len(data) > 3 * (1 << 20)
    for source in (data, io.BytesIO(data)):
        got = list(exim_log.lines(source))
        assert [l.raw for l in got] == many
        assert got[-1].line_number == len(many)
        assert got[-1].offset == len(data) - len(many[-1]) - 1
    p = tmp_path / "big"
    p.write_bytes(data)
    assert [l.raw for l in exim_log.lines(p)] == many


def test_errors_carry_stream_position_and_iteration_goes_on(tmp_path: pathlib.Path) -> None:
    bad = "this line has no timestamp"
    text = "\n".join([ARGUMENTS, bad, "2024-13-01 00:00:00 x", COMPLETED]) + "\n"
    p = tmp_path / "mainlog"
    p.write_text(text)
    it = exim_log.lines(p)
    assert next(it).raw == ARGUMENTS
    with pytest.raises(exim_log.ParseError) as info:
        next(it)
    e = info.value
    assert (e.kind, e.line, e.file) == ("timestamp", 2, str(p))
    assert e.offset == len(ARGUMENTS) + 1  # start of line 2 in the file
    assert f"line 2 of {p}" in str(e)
    with pytest.raises(exim_log.ParseError) as info:
        next(it)
    assert (info.value.kind, info.value.line) == ("timestamp_range", 3)
    # the month, 5 bytes into line 3
    assert info.value.offset == len(ARGUMENTS) + 1 + len(bad) + 1 + 5
    last = next(it)
    assert (last.raw, last.line_number) == (COMPLETED, 4)
    with pytest.raises(StopIteration):
        next(it)


def test_errors_skip(tmp_path: pathlib.Path) -> None:
    text = "\n".join([ARGUMENTS, "garbage", COMPLETED]) + "\n"
    got = list(exim_log.lines(text.encode(), errors="skip"))
    assert [l.raw for l in got] == [ARGUMENTS, COMPLETED]
    assert [l.line_number for l in got] == [1, 3]
    with pytest.raises(ValueError):
        exim_log.lines(b"", errors="ignore")  # type: ignore[arg-type]


def test_io_errors_are_oserrors(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError):
        exim_log.lines(tmp_path / "missing")
    with pytest.raises(IsADirectoryError):
        list(exim_log.lines(tmp_path))

    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        list(exim_log.lines(Broken()))


def test_bad_source_type() -> None:
    with pytest.raises(TypeError):
        exim_log.lines(12)  # type: ignore[arg-type]


def test_gzip_path_bytes_and_file_object(tmp_path: pathlib.Path) -> None:
    data = gzip.compress(TEXT.encode())
    # Detected from the content (1f 8b), whatever the name.
    for name in ("mainlog.1.gz", "mainlog-gz-without-suffix"):
        p = tmp_path / name
        p.write_bytes(data)
        check(list(exim_log.lines(p)), GOOD, str(p))
    check(list(exim_log.lines(data)), GOOD, None)
    with open(tmp_path / "mainlog.1.gz", "rb") as f:
        check(list(exim_log.lines(f)), GOOD, str(tmp_path / "mainlog.1.gz"))
    # Offsets count decompressed bytes.
    two = gzip.compress(TEXT.encode()) + gzip.compress(TEXT.encode())  # multi-member
    got = list(exim_log.lines(two))
    assert [l.raw for l in got] == GOOD + GOOD
    assert got[3].offset == len(TEXT.encode()) and got[3].line_number == 4


def test_truncated_gzip_raises_oserror_after_complete_lines(tmp_path: pathlib.Path) -> None:
    many = "".join(f"2024-05-25 11:10:{i % 60:02d} line {i}\n" for i in range(2000))
    data = gzip.compress(many.encode())
    p = tmp_path / "mainlog.2.gz"
    p.write_bytes(data[: len(data) // 2])
    got = []
    with pytest.raises(OSError) as info:
        for line in exim_log.lines(p):
            got.append(line.raw)
    assert 0 < len(got) < 2000
    assert got == many.splitlines()[: len(got)]
    assert info.value.line == len(got) + 1


def test_rotated_set_oldest_first(tmp_path: pathlib.Path) -> None:
    day = ["2024-05-2{} 10:00:00 1sAoM5-00000009r3p-06vq Completed".format(d) for d in range(1, 5)]
    (tmp_path / "mainlog.3.gz").write_bytes(gzip.compress((day[0] + "\n").encode()))
    (tmp_path / "mainlog.2.gz").write_bytes(gzip.compress((day[1] + "\n").encode()))
    (tmp_path / "mainlog.1").write_text(day[2] + "\n")
    (tmp_path / "mainlog").write_text(day[3] + "\n")
    (tmp_path / "rejectlog").write_text("2024-05-25 10:00:00 not part of the set\n")
    for source in (tmp_path / "mainlog", tmp_path):
        got = list(exim_log.lines(source, rotated=True))
        assert [l.raw for l in got] == day
        assert [pathlib.Path(l.file).name for l in got] == [
            "mainlog.3.gz", "mainlog.2.gz", "mainlog.1", "mainlog"]
        assert all(l.line_number == 1 and l.offset == 0 for l in got)


def test_list_of_paths_in_order_and_missing_file(tmp_path: pathlib.Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text(ARGUMENTS + "\n")
    b.write_text(COMPLETED + "\n")
    assert [l.raw for l in exim_log.lines([b, a])] == [COMPLETED, ARGUMENTS]
    it = exim_log.lines([a, tmp_path / "missing", b])
    assert next(it).raw == ARGUMENTS
    with pytest.raises(FileNotFoundError) as info:
        next(it)
    assert info.value.filename == str(tmp_path / "missing")
    assert next(it).raw == COMPLETED  # goes on with the next file


def test_line_over_the_cap_is_a_parse_error(tmp_path: pathlib.Path) -> None:
    huge = "2024-05-25 11:10:28 " + "x" * (1 << 20)
    data = "\n".join([ARGUMENTS, huge, COMPLETED]) + "\n"
    it = exim_log.lines(data.encode())
    assert next(it).raw == ARGUMENTS
    with pytest.raises(exim_log.ParseError) as info:
        next(it)
    assert (info.value.kind, info.value.line) == ("line_too_long", 2)
    assert info.value.offset == len(ARGUMENTS) + 1
    assert next(it).raw == COMPLETED
    assert [l.raw for l in exim_log.lines(data.encode(), errors="skip")] == [ARGUMENTS, COMPLETED]


def test_entry_lines_are_yielded_as_ndjson_writes_them() -> None:
    """The lines without a timestamp that belong to a multi-line entry (format
    reference §10.1 reject log, §10.2 configuration errors), written for this
    test, come out as ``EntryLine`` with the keys of ndjson's ``rejectlog``
    object; other text still raises ``ParseError``."""
    text = (
        "2025-01-06 12:00:00 Exim configuration error in line 12 of /etc/exim.conf:\n"
        "  missing quote at end of string value for hold_domains\n"
        "2024-05-25 10:00:00 1sAoM5-00000009r3p-06vq H=(x) [192.0.2.1] F=<a@b.example> rejected after DATA: spam\n"
        "Envelope-from: <a@b.example>\n"
        "Envelope-to: <c@d.example>\n"
        "    <e@d.example>\n"
        "P Received: from [192.0.2.1]\n"
        "\tby mx.d.example\n"
        "  Subject: win\n"
        "*** truncated ***\n"
        "stray words\n"
    )
    it = exim_log.lines(text.encode())
    got = []
    for _ in range(10):
        got.append(next(it))
    with pytest.raises(exim_log.ParseError):
        next(it)
    assert [type(x).__name__ for x in got] == ["Line", "EntryLine", "Line"] + ["EntryLine"] * 7
    want = [
        {"rejectlog": "continuation", "value": "missing quote at end of string value for hold_domains"},
        {"rejectlog": "envelope_from", "value": "<a@b.example>"},
        {"rejectlog": "envelope_to", "value": "<c@d.example>"},
        {"rejectlog": "continuation", "value": "<e@d.example>"},
        {"rejectlog": "header", "flag": "P", "name": "Received", "value": "from [192.0.2.1]"},
        {"rejectlog": "continuation", "value": "by mx.d.example"},
        {"rejectlog": "header", "flag": " ", "name": "Subject", "value": "win"},
        {"rejectlog": "truncated"},
    ]
    entries = [x for x in got if isinstance(x, exim_log.EntryLine)]
    lines = text.split("\n")
    for e, w, n in zip(entries, want, [2, 4, 5, 6, 7, 8, 9, 10]):
        assert e.to_dict() == {**w, "raw": lines[n - 1]}
        assert (e.rejectlog, e.flag, e.name, e.value) == (w["rejectlog"], w.get("flag"), w.get("name"), w.get("value"))
        assert e.raw == lines[n - 1] and e.line_number == n
        assert e.offset == sum(len(l) + 1 for l in lines[: n - 1])
    # errors="skip" drops the stray line only.
    assert len(list(exim_log.lines(text.encode(), errors="skip"))) == 10
