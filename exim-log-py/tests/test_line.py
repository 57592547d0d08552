"""parse_line(): every field as an attribute, to_dict(), repr, equality, errors."""

from __future__ import annotations

import datetime
import pickle

import pytest

import exim_log
from conftest import ARGUMENTS, COMPLETED

# timestamp with +millisec and log_timezone, +pid, a 23-character id (§ "Line prefix").
PREFIX_CASES = [
    (
        COMPLETED,
        {
            "timestamp": "2024-05-25T11:10:30.123+01:00",
            "pid": 4711,
            "message_id": "1sAoM5-00000009r3p-06vq",
            "flag": None,
            "event": "completed",
        },
    ),
    (
        "2006-04-27 17:43:53 1FZ8zt-0005lz-E7 Completed",
        {
            "timestamp": "2006-04-27T17:43:53",
            "pid": None,
            "message_id": "1FZ8zt-0005lz-E7",
            "flag": None,
            "event": "completed",
        },
    ),
    (
        "2024-01-02 03:04:05.006 -0530 [1] 1sAoM5-00000009r3p-06vq Completed",
        {
            "timestamp": "2024-01-02T03:04:05.006-05:30",
            "pid": 1,
            "message_id": "1sAoM5-00000009r3p-06vq",
        },
    ),
    # The queue runner's `pid=N` is `runner_pid`, never the prefix's `pid`.
    (
        "2024-05-25 11:10:31 Start queue run: pid=4712",
        {
            "timestamp": "2024-05-25T11:10:31",
            "pid": None,
            "runner_pid": 4712,
            "message_id": None,
            "flag": None,
        },
    ),
    (
        "2024-05-25 11:10:31 [4711] Start queue run: pid=4712",
        {
            "timestamp": "2024-05-25T11:10:31",
            "pid": 4711,
            "runner_pid": 4712,
            "message_id": None,
            "flag": None,
        },
    ),
    (
        "2024-05-25 11:10:31 SMTP connection from [192.0.2.10]:4321 (TCP/IP connection count = 1)",
        {
            "timestamp": "2024-05-25T11:10:31",
            "pid": None,
            "message_id": None,
            "flag": None,
        },
    ),
]


@pytest.mark.parametrize("text,expected", PREFIX_CASES)
@pytest.mark.parametrize("as_bytes", [False, True])
def test_prefix_fields(text: str, expected: dict, as_bytes: bool) -> None:
    line = exim_log.parse_line(text.encode() if as_bytes else text)
    for key, value in expected.items():
        assert getattr(line, key) == value, key
    assert line.raw == text
    assert line.raw_bytes == text.encode()
    for key, value in expected.items():
        if value is None:
            assert key not in line.to_dict()
        else:
            assert line.to_dict()[key] == value


def test_line_endings_are_ignored() -> None:
    a = exim_log.parse_line(COMPLETED)
    assert exim_log.parse_line(COMPLETED + "\n") == a
    assert exim_log.parse_line(COMPLETED + "\r\n") == a
    assert exim_log.parse_line(COMPLETED + "\r\n").raw == COMPLETED


def test_to_dict_keys_and_attributes_agree() -> None:
    for text in [COMPLETED, ARGUMENTS] + [c[0] for c in PREFIX_CASES]:
        line = exim_log.parse_line(text)
        d = line.to_dict()
        assert set(line.keys()) == set(d)
        for key, value in d.items():
            assert getattr(line, key) == value, key
            assert line.get(key) == value
        assert d["raw"] == text
        assert d["event"] == line.event


def test_absent_keys_read_as_none_and_private_names_raise() -> None:
    line = exim_log.parse_line(COMPLETED)
    assert line.size is None
    assert line.get("size", 0) == 0
    with pytest.raises(AttributeError):
        line._private  # noqa: B018
    with pytest.raises(AttributeError):
        line.__no_such_dunder__  # noqa: B018


def test_text_is_the_part_after_the_prefix() -> None:
    assert exim_log.parse_line(COMPLETED).text == "Completed"


def test_datetime_and_unix_time() -> None:
    line = exim_log.parse_line(COMPLETED)
    tz = datetime.timezone(datetime.timedelta(hours=1))
    assert line.datetime == datetime.datetime(2024, 5, 25, 11, 10, 30, 123000, tzinfo=tz)
    # 2024-05-25T10:10:30.123Z
    assert line.unix_time == pytest.approx(1716631830.123)
    # No offset logged: read as UTC, aware (never naive), as unix_time reads it.
    plain = exim_log.parse_line("2024-05-25 10:10:28 x")
    utc = datetime.timezone.utc
    assert plain.datetime == datetime.datetime(2024, 5, 25, 10, 10, 28, tzinfo=utc)
    assert plain.datetime.tzinfo is utc
    assert plain.unix_time == 1716631828
    for one in (line, plain):
        assert one.datetime.timestamp() == pytest.approx(one.unix_time)


# Every calendar edge the parser accepts gives a datetime (it must never raise
# on an accepted line): leap days, a leap second (clamped to :59, as
# datetime has no second 60), the extreme offsets in use and the largest
# offset accepted.
UTC = datetime.timezone.utc
DATETIME_EDGES = [
    ("2024-02-29 23:59:59 x", datetime.datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)),
    ("2000-02-29 00:00:00 x", datetime.datetime(2000, 2, 29, tzinfo=UTC)),
    ("2016-12-31 23:59:60 x", datetime.datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ("0001-01-01 00:00:00 x", datetime.datetime(1, 1, 1, tzinfo=UTC)),
    ("9999-12-31 23:59:59.999 x", datetime.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)),
    (
        "2024-05-25 11:10:28 +1400 x",
        datetime.datetime(
            2024, 5, 25, 11, 10, 28, tzinfo=datetime.timezone(datetime.timedelta(hours=14))
        ),
    ),
    (
        "2024-05-25 11:10:28 -1200 x",
        datetime.datetime(
            2024, 5, 25, 11, 10, 28, tzinfo=datetime.timezone(datetime.timedelta(hours=-12))
        ),
    ),
    (
        "2024-05-25 11:10:28 -2359 x",
        datetime.datetime(
            2024,
            5,
            25,
            11,
            10,
            28,
            tzinfo=datetime.timezone(-datetime.timedelta(hours=23, minutes=59)),
        ),
    ),
]


@pytest.mark.parametrize("text,expected", DATETIME_EDGES)
def test_datetime_of_every_accepted_edge(text: str, expected: datetime.datetime) -> None:
    got = exim_log.parse_line(text).datetime
    assert got.tzinfo is not None
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()


def test_undecodable_bytes_are_kept() -> None:
    raw = b"2024-05-25 11:10:28 odd \xff byte"
    line = exim_log.parse_line(raw)
    assert line.raw_bytes == raw
    assert line.raw == "2024-05-25 11:10:28 odd \ufffd byte"
    assert line.to_dict()["raw"] == line.raw


def test_repr_shows_event_id_and_text() -> None:
    r = repr(exim_log.parse_line(COMPLETED))
    assert r.startswith("Line(event='completed', timestamp='2024-05-25T11:10:30.123+01:00'")
    assert "message_id='1sAoM5-00000009r3p-06vq'" in r
    assert "Completed" in r
    long = exim_log.parse_line("2024-05-25 11:10:28 " + "x" * 500)
    assert len(repr(long)) < 300
    assert str(long) == long.raw


def test_equality_hash_pickle() -> None:
    a = exim_log.parse_line(COMPLETED)
    b = exim_log.parse_line(COMPLETED.encode())
    c = exim_log.parse_line(ARGUMENTS)
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert a != COMPLETED
    assert len({a, b, c}) == 2
    assert pickle.loads(pickle.dumps(a)) == a


# Errors: kind and byte offset, from the prefix grammar (§ "Line prefix").
ERROR_CASES = [
    ("", "empty", 0),
    ("\n", "empty", 0),
    ("hello world", "timestamp", 0),
    ("2024-13-25 11:10:28 x", "timestamp_range", 5),
    ("2024-02-30 11:10:28 x", "timestamp_range", 8),
    ("2023-02-29 11:10:28 x", "timestamp_range", 8),
    ("2024-05-25 11:10:61 x", "timestamp_range", 17),
    ("2024-05-25 11:10:28 +9959 x", "timestamp_range", 20),
    ("2024-05-25 11:10:28 -2400 x", "timestamp_range", 20),
    ("2024-05-25 11:10:28", "missing_text", 19),
]


@pytest.mark.parametrize("text,kind,offset", ERROR_CASES)
def test_errors_have_kind_and_offset(text: str, kind: str, offset: int) -> None:
    with pytest.raises(exim_log.ParseError) as info:
        exim_log.parse_line(text)
    e = info.value
    assert isinstance(e, ValueError)
    assert e.kind == kind
    assert e.offset == offset
    assert e.line is None
    assert e.file is None
    assert f"at byte {offset}" in str(e)


def test_wrong_types_raise_type_error() -> None:
    with pytest.raises(TypeError):
        exim_log.parse_line(42)  # type: ignore[arg-type]


def test_record_is_a_dict_with_attributes() -> None:
    r = exim_log.Fields(ip="192.0.2.10", port=25)
    assert r == {"ip": "192.0.2.10", "port": 25}
    assert isinstance(r, dict)
    assert r.ip == "192.0.2.10"
    assert r.name is None
    assert repr(r) == "Fields({'ip': '192.0.2.10', 'port': 25})"


def test_version() -> None:
    assert isinstance(exim_log.__version__, str)
    assert exim_log.__version__.count(".") == 2


def test_field_getters_read_none_when_absent() -> None:
    line = exim_log.parse_line(COMPLETED)
    for name in ("sender", "recipient", "recipients", "host", "user", "auth", "size",
                 "subject", "protocol", "tls", "router", "transport", "error", "reason",
                 "cwd", "args", "from_", "no_such_key"):
        assert getattr(line, name) is None, name


def test_subject_decoded_and_raw() -> None:
    # RFC 2047 words (B and Q, two charsets, adjacent words joined) and raw 8-bit.
    line = exim_log.parse_line(
        b'2024-05-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@b.example H=(x) [192.0.2.1] '
        b'P=esmtp S=100 T="=?UTF-8?B?UHLDvGZ1bmc=?= =?windows-1251?Q?=EF=F0=E8?= \\"ok\\""'
    )
    assert line.subject == '=?UTF-8?B?UHLDvGZ1bmc=?= =?windows-1251?Q?=EF=F0=E8?= "ok"'
    assert line.subject_decoded == "Pr\u00fcfung\u043f\u0440\u0438 \"ok\""
    assert line.subject_raw == b'=?UTF-8?B?UHLDvGZ1bmc=?= =?windows-1251?Q?=EF=F0=E8?= \\"ok\\"'
    assert line.to_dict()["subject_decoded"] == line.subject_decoded
    latin = exim_log.parse_line(
        b'2024-05-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@b.example P=local S=1 T="R\\351sum\\351"'
    )
    assert latin.subject_decoded == "R\u00e9sum\u00e9"
    plain = exim_log.parse_line(
        b'2024-05-25 10:00:00 1sAoM5-00000009r3p-06vq <= a@b.example P=local S=1 T="hello"'
    )
    assert plain.subject_decoded == "hello"
    assert "subject_decoded" not in plain.to_dict()
    assert exim_log.parse_line(COMPLETED).subject_decoded is None
