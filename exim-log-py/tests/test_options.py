"""Options (strict parsing against log_selector / log_timezone) and infer_selectors()."""

from __future__ import annotations

import gzip

import pytest

import exim_log

ID = "1sAoM5-00000009r3p-06vq"
NO_PID = f"2024-05-25 11:10:28 {ID} Completed"
WITH_PID = f"2024-05-25 11:10:28 [4711] {ID} Completed"
RT = f"2024-05-25 11:10:28 [4711] {ID} <= a@example.com P=local S=10 RT=0.012s"
TZ = f"2024-05-25 11:10:28 +0100 {ID} Completed"


def test_lenient_options_accept_what_parse_line_accepts() -> None:
    opts = exim_log.Options("+pid")
    assert not opts.strict
    assert opts.parse_line(NO_PID) == exim_log.parse_line(NO_PID)


def test_strict_missing_pid() -> None:
    opts = exim_log.Options("+pid +subject", strict=True)
    assert opts.expects_pid() and not opts.expects_millisec()
    assert opts.parse_line(WITH_PID).pid == 4711
    with pytest.raises(exim_log.ParseError) as e:
        opts.parse_line(NO_PID)
    # §1.2: the [pid] is missing right after the 19-byte timestamp.
    assert (e.value.kind, e.value.offset, e.value.found) == ("selector_mismatch", 19, "pid")
    assert isinstance(e.value, ValueError)


def test_strict_field_not_selected() -> None:
    opts = exim_log.Options("+pid", strict=True)  # no +receive_time
    with pytest.raises(exim_log.ParseError) as e:
        exim_log.parse_line(RT, options=opts)
    assert e.value.kind == "selector_mismatch"
    assert e.value.found == "receive_time"
    assert RT.encode()[e.value.offset :].startswith(b"RT=")
    # With +receive_time the same line is fine.
    ok = exim_log.Options("+pid +receive_time", strict=True)
    assert ok.parse_line(RT).event == "arrival"


def test_strict_timezone() -> None:
    opts = exim_log.Options(strict=True, log_timezone=False)
    with pytest.raises(exim_log.ParseError) as e:
        opts.parse_line(TZ)
    assert e.value.kind == "timezone_mismatch"
    assert exim_log.Options(strict=True, log_timezone=True).parse_line(TZ).event == "completed"


def test_options_attributes_and_errors() -> None:
    sel = exim_log.LogSelector("+pid")
    opts = exim_log.Options(sel, strict=True, log_timezone=True)
    assert opts.selectors == sel and opts.strict and opts.log_timezone is True
    assert opts == exim_log.Options("+pid", strict=True, log_timezone=True)
    assert hash(opts) == hash(exim_log.Options("+pid", strict=True, log_timezone=True))
    assert exim_log.Options().selectors == exim_log.LogSelector.default()
    assert exim_log.Options().log_timezone is None
    assert "strict=True" in repr(opts)
    with pytest.raises(exim_log.ParseError) as e:
        exim_log.Options("+subjekt")
    assert e.value.kind == "unknown_name" and e.value.suggestion == "subject"


SAMPLE = "\n".join(
    [
        "2024-05-25 11:10:28.125 [4711] cwd=/var/spool/exim 3 args: /usr/sbin/exim -bd -q30m",
        f"2024-05-25 11:10:29.004 [4712] {ID} <= a@example.com H=(helo) [192.0.2.1] "
        'P=esmtp S=1234 T="hi" for b@example.org',
        "not a log line",
    ]
) + "\n"


def test_infer_selectors() -> None:
    inf = exim_log.infer_selectors(SAMPLE.encode(), wanted="-all +arguments +subject +queue_time")
    assert (inf["lines"], inf["unparsed"]) == (3, 1)
    for s in ("pid", "millisec", "arguments", "subject", "received_recipients"):
        assert s in inf["seen"], s
    assert "queue_time" in inf["no_evidence"]
    assert inf["off"] == []
    assert inf["missing"] == ["queue_time"]
    assert inf["reliable_fields"]["subject"] == exim_log.LogSelector.effect("subject")
    names = [o["selector"] for o in inf["observations"]]
    assert names == exim_log.LogSelector.names()
    subject = next(o for o in inf["observations"] if o["selector"] == "subject")
    assert subject == {"selector": "subject", "evidence": "seen", "lines": 1, "first_line": 2}
    qt = next(o for o in inf["observations"] if o["selector"] == "queue_time")
    assert qt == {"selector": "queue_time", "evidence": "no_evidence", "lines": 0}
    # Every selector is in exactly one of the three lists.
    total = inf["seen"] + inf["off"] + inf["no_evidence"]
    assert sorted(total) == sorted(exim_log.LogSelector.names())


def test_infer_off_and_sources(tmp_path) -> None:
    p = tmp_path / "mainlog.gz"
    p.write_bytes(gzip.compress((NO_PID + "\n").encode()))
    inf = exim_log.infer_selectors(p)
    assert set(inf["off"]) == {"pid", "millisec"}
    assert inf["missing"] is None
    wanted = exim_log.LogSelector("-all +pid")
    assert exim_log.infer_selectors(str(p), wanted=wanted)["missing"] == ["pid"]
    with pytest.raises(FileNotFoundError):
        exim_log.infer_selectors(tmp_path / "nope")
