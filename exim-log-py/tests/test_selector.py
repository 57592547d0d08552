"""log_selector settings (format reference §9)."""

from __future__ import annotations

import pytest

import exim_log


def test_defaults_and_items_left_to_right() -> None:
    d = exim_log.LogSelector()
    assert d == exim_log.LogSelector.default() == exim_log.LogSelector("")
    # §9.2: starred names are on by default, others off.
    assert "acl_warn_skipped" in d and "msg_id" in d
    assert "arguments" not in d and "millisec" not in d
    s = exim_log.parse_log_selector("+arguments +subject -retry_defer")
    assert "arguments" in s and "subject" in s and "retry_defer" not in s
    assert "acl_warn_skipped" in s  # defaults stay
    # White space between items is optional; the last item wins.
    assert exim_log.LogSelector("+pid-pid") == d
    assert exim_log.LogSelector("log_selector = +subject") == exim_log.LogSelector("+subject")


def test_all_and_none() -> None:
    none = exim_log.LogSelector("-all +arguments")
    assert list(none) == ["arguments"] and len(none) == 1
    assert exim_log.LogSelector("-all") == exim_log.LogSelector.empty()
    assert exim_log.LogSelector("+all") == exim_log.LogSelector.all()
    assert len(exim_log.LogSelector.all()) == len(exim_log.LogSelector.names())


def test_alias_added_removed_and_round_trip() -> None:
    assert "rejected_header" in exim_log.LogSelector("+rejected_headers")
    s = exim_log.LogSelector("+subject -retry_defer")
    assert list(s.added()) == ["subject"]
    assert list(s.removed()) == ["retry_defer"]
    assert exim_log.LogSelector(s.to_setting()) == s
    assert str(exim_log.LogSelector()) == ""
    assert repr(exim_log.LogSelector("-all")) == "LogSelector('-all')"
    assert len({exim_log.LogSelector("+pid"), exim_log.LogSelector(" +pid ")}) == 1


def test_names_effect_default() -> None:
    names = exim_log.LogSelector.names()
    assert names == sorted(names)
    assert "8bitmime" in names and "all" not in names
    assert "T=" in exim_log.LogSelector.effect("subject")
    assert exim_log.LogSelector.is_default("msg_id")
    assert not exim_log.LogSelector.is_default("pid")
    with pytest.raises(KeyError):
        exim_log.LogSelector.effect("nosuch")


@pytest.mark.parametrize(
    "setting,kind,offset,found",
    [
        ("+pid +subjct", "unknown_name", 6, "subjct"),
        ("+pid subject", "expected_sign", 5, "subject"),
    ],
)
def test_errors_have_positions(setting: str, kind: str, offset: int, found: str) -> None:
    with pytest.raises(exim_log.ParseError) as info:
        exim_log.LogSelector(setting)
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.kind, e.offset, e.found) == (kind, offset, found)
    assert e.line is None and e.file is None
    if kind == "unknown_name":
        assert e.suggestion == "subject"
        assert "subject" in str(e)
