"""spam_sources(), abuse_report(), summary(): values, merge, to_dict()."""

from __future__ import annotations

import pytest

import exim_log
from conftest import REPO

SPAM = "1sAoM5-00000009r3p-06vq"
INBOUND = "1sAoM7-0000000BBBB-0000"
LATER = "1sAoN1-0000000CCCC-0000"

# A web script sends one message to two recipients (one bounces); a friend's
# message comes in; a host guesses six recipients in one connection.
LOG = f"""\
2024-05-25 10:00:00 cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i
2024-05-25 10:00:00 {SPAM} <= shop@example.com U=shop P=local S=800 T="Cheap pills" for x@example.org y@example.net
2024-05-25 10:00:01 {SPAM} => x@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7]
2024-05-25 10:00:01 {SPAM} ** y@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.9]: SMTP error from remote mail server after RCPT TO:<y@example.net>: 550 5.1.1 User unknown
2024-05-25 10:00:02 {SPAM} Completed
2024-05-25 10:01:00 {INBOUND} <= friend@example.org H=mail.example.org [192.0.2.8] P=esmtp S=200
2024-05-25 10:01:01 {INBOUND} => shop <shop@example.com> R=localuser T=local_delivery
2024-05-25 10:01:01 {INBOUND} Completed
2024-05-25 10:02:00 SMTP connection from [192.0.2.66] (TCP/IP connection count = 1)
""" + "".join(
    f"2024-05-25 10:02:0{i} H=(guess) [192.0.2.66] F=<a@example.net> "
    f"rejected RCPT <user{i}@example.com>: Unknown user\n"
    for i in range(1, 7)
) + "2024-05-25 10:02:09 SMTP connection from (guess) [192.0.2.66] D=9s closed by QUIT\n"

# Later input: the same script sends another message.
MORE = f"""\
2024-05-25 11:00:00 cwd=/home/shop/public_html 3 args: /usr/sbin/sendmail -t -i
2024-05-25 11:00:00 {LATER} <= shop@example.com U=shop P=local S=500 T="Cheap pills" for z@example.org
2024-05-25 11:00:01 {LATER} => z@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7]
2024-05-25 11:00:01 {LATER} Completed
"""


def test_spam_sources_values() -> None:
    r = exim_log.spam_sources(LOG.encode())
    assert r.name == "spam_sources"
    d = r.to_dict()
    t = d["totals"]
    assert (t["messages"], t["local"], t["local_with_script"], t["inbound"]) == (2, 1, 1, 1)
    scripts = next(s for s in d["sections"] if s["kind"] == "script")
    [row] = scripts["rows"]
    assert row["source"] == "/home/shop/public_html"
    assert (row["messages"], row["recipients"], row["delivered"], row["failed"]) == (1, 2, 1, 1)
    assert row["recipient_domains"] == {"count": 2}
    assert row["bytes"] == 800
    assert row["top_subjects"] == [{"subject": "Cheap pills", "count": 1}]
    assert row["example_message_id"] == SPAM
    assert d["findings"][0]["kind"] == "script"


def test_summary_values() -> None:
    d = exim_log.summary(LOG.encode()).to_dict()
    t = d["totals"]
    assert t["received"] == {"messages": 2, "addresses": 0, "bytes": 1000}
    assert t["delivered"]["messages"] == 2
    assert (t["failed"], t["failed_addresses"], t["completed"]) == (1, 1, 2)
    assert (t["rejects"], t["reject_hosts"]) == (6, 1)
    assert d["reject_hosts"] == [{"key": "192.0.2.66", "count": 6}]
    assert d["reject_reasons"] == [{"key": "unknown recipient", "count": 6}]
    assert sum(d["received_per_hour"]) == 2 and d["received_per_hour"][10] == 2


def test_abuse_report_values_and_threshold() -> None:
    d = exim_log.abuse_report(LOG.encode()).to_dict()
    dictionary = d["dictionary"]
    assert (dictionary["rejected_unknown"], dictionary["connections_seen"]) == (6, 1)
    [conn] = dictionary["connections"]
    assert conn["ip"] == "192.0.2.66" and conn["local_parts"] == {"count": 6}
    [offender] = d["offenders"]
    assert offender["ip"] == "192.0.2.66" and offender["counts"]["dictionary"] == 6
    # Above the threshold, nobody is an offender.
    assert exim_log.abuse_report(LOG.encode(), threshold=7).to_dict()["offenders"] == []


@pytest.mark.parametrize("report", [exim_log.spam_sources, exim_log.summary, exim_log.abuse_report])
def test_merged_parts_equal_one_pass(report) -> None:  # type: ignore[no-untyped-def]
    whole = report((LOG + MORE).encode()).to_dict()
    first = report(LOG.encode())
    first.merge(report(MORE.encode()))
    assert first.to_dict() == whole


def test_merged_script_counts_add_up() -> None:
    first = exim_log.spam_sources(LOG.encode())
    first.merge(exim_log.spam_sources(MORE.encode()))
    scripts = next(s for s in first.to_dict()["sections"] if s["kind"] == "script")
    row = scripts["rows"][0]
    assert (row["messages"], row["recipients"], row["bytes"]) == (2, 3, 1300)
    assert row["top_subjects"] == [{"subject": "Cheap pills", "count": 2}]
    assert row["first_seen"] == "2024-05-25T10:00:00" and row["last_seen"] == "2024-05-25T11:00:00"


def test_merge_of_different_kinds_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot merge"):
        exim_log.summary(LOG.encode()).merge(exim_log.spam_sources(LOG.encode()))


def test_sample_file_is_read_by_path() -> None:
    sample = REPO / "examples" / "data" / "mainlog"
    d = exim_log.abuse_report(str(sample)).to_dict()
    assert d["lines"] == 517
    assert d["dictionary"]["rejected_unknown"] == 48


def test_memory_budget_and_truncated_keys_are_reported() -> None:
    long = "x" * 1000
    log = "".join(
        f"2024-05-25 10:00:0{i} 1sAoM5-000000000{i:02d}-0000 <= s{i}{long}@example.net "
        f"H=mx.example.net [192.0.2.1] P=esmtp S=100\n"
        f"2024-05-25 10:00:0{i} 1sAoM5-000000000{i:02d}-0000 Completed\n"
        for i in range(5)
    )
    d = exim_log.summary(log.encode(), memory_budget=1 << 20).to_dict()
    assert d["totals"]["received"]["messages"] == 5
    assert d["memory"]["budget"] == 1 << 20
    assert d["memory"]["held"] > 0
    # Each sender is cut to 256 bytes: five keys, five truncations.
    assert d["truncated_keys"] == 5
    assert len(d["senders"]) == 5
    assert all(r["key"].endswith("...[truncated]") for r in d["senders"])
    assert all(len(r["key"]) == 256 + len("...[truncated]") for r in d["senders"])


@pytest.mark.parametrize("report", [exim_log.spam_sources, exim_log.abuse_report, exim_log.summary])
def test_threads_give_the_one_thread_report(report, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The bundled sample as a rotated set: an old .gz and two plain files,
    # cut so that messages and connections cross from file to file.
    import gzip

    log = (REPO / "examples" / "data" / "mainlog").read_bytes()
    cuts = [0]
    for part in (1, 2):
        at = log.index(b"\n", len(log) * part // 3) + 1
        cuts.append(at)
    cuts.append(len(log))
    (tmp_path / "mainlog.2.gz").write_bytes(gzip.compress(log[cuts[0] : cuts[1]]))
    (tmp_path / "mainlog.1").write_bytes(log[cuts[1] : cuts[2]])
    (tmp_path / "mainlog").write_bytes(log[cuts[2] :])
    one = report(str(tmp_path / "mainlog"), rotated=True, threads=1, top=50, threshold=1)
    many = report(str(tmp_path / "mainlog"), rotated=True, threads=3, top=50, threshold=1)
    whole = report(log, top=50, threshold=1)
    assert one.to_dict() == many.to_dict() == whole.to_dict()
    listed = [str(tmp_path / n) for n in ("mainlog.2.gz", "mainlog.1", "mainlog")]
    assert report(listed, threads=2, top=50, threshold=1).to_dict() == whole.to_dict()
    with pytest.raises(FileNotFoundError):
        report([str(tmp_path / "mainlog.1"), str(tmp_path / "missing")], threads=2)
