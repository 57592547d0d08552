"""The Dask recipe (examples/dask_fleet.py): a LocalCluster of two worker
processes on loopback parses a fleet's logs, one task per byte range (abuse)
or per server (spam), and its tables equal the single-process reports."""

from __future__ import annotations

import importlib.util
import pathlib
import pickle
import sys
import warnings

import pytest

import exim_log
from conftest import REPO, in_ci

if in_ci():
    import dask.distributed  # noqa: F401  (CI installs it: a missing one is a failure)
else:
    pytest.importorskip("dask.distributed")

EXAMPLES = REPO / "exim-log-py" / "examples"


def server_log(n: int, messages: int) -> str:
    """One server's log, written for this test: web scripts and a stolen login
    sending mail, inbound mail, and dictionary attackers whose connections a
    byte-range cut will split. Ids and IPs are the server's own."""
    out = []
    for k in range(messages):
        t = f"2024-05-25 {10 + k // 3600 % 10:02d}:{k // 60 % 60:02d}:{k % 60:02d}"
        mid = f"1sA{n:03d}-{k:011d}-0000"
        pid = 1000 + k
        if k % 3 == 0:
            script = f"/home/site{k % 7}/public_html/wp-content/x{k % 2}"
            out.append(f"{t} [{pid}] cwd={script} 3 args: /usr/sbin/sendmail -t -i")
            out.append(
                f"{t} [{pid}] {mid} <= site{k % 7}@shop{n}.example U=site{k % 7} P=local S={500 + k} "
                f'T="Offer {k % 5}" for a{k}@example.org b{k}@example.net'
            )
            out.append(f"{t} [{pid + 1}] {mid} => a{k}@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.7]")
            out.append(
                f"{t} [{pid + 1}] {mid} ** b{k}@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.9]: "
                f"SMTP error from remote mail server after RCPT TO:<b{k}@example.net>: 550 5.1.1 User unknown"
            )
            out.append(f"{t} [{pid + 1}] {mid} Completed")
        elif k % 3 == 1:
            out.append(
                f"{t} [{pid}] {mid} <= boss@corp{n}.example H=(pc) [198.51.100.{n}] P=esmtpa "
                f"A=dovecot_plain:boss@corp{n}.example S=900 for c{k}@example.com"
            )
            out.append(f"{t} [{pid + 1}] {mid} => c{k}@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.5]")
            out.append(f"{t} [{pid + 1}] {mid} Completed")
        else:
            # Five persistent attackers, and a crowd of one-off IPs: the offenders
            # table of a fleet outgrows a small memory budget.
            ip = f"203.0.113.{(n * 16 + k % 5) % 250}" if k % 2 else f"198.18.{n}.{k % 250}"
            out.append(f"{t} [{pid}] SMTP connection from [{ip}] (TCP/IP connection count = 1)")
            for g in range(4):
                out.append(f"{t} [{pid}] H=(guess) [{ip}] F=<x@spam.example> rejected RCPT <user{g}{k}@shop{n}.example>: Unknown user")
            out.append(f"{t} [{pid}] SMTP connection from (guess) [{ip}] closed by QUIT")
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def recipe():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("dask_fleet", EXAMPLES / "dask_fleet.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dask_fleet"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    d = tmp_path_factory.mktemp("fleet")
    servers = []
    for n in range(3):
        p = d / f"server{n}.mainlog"
        p.write_text(server_log(n, 600 + 100 * n))
        servers.append(str(p))
    # A rotated set (directory) is one task, and the bundled sample another server.
    rot = d / "server3"
    rot.mkdir()
    (rot / "mainlog.1").write_text(server_log(3, 200))
    (rot / "mainlog").write_text(server_log(4, 200))
    servers.append(str(rot))
    servers.append(str(REPO / "examples" / "data" / "mainlog"))
    return servers


@pytest.fixture(scope="module")
def client(recipe, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # The workers import the recipe's task functions by module name.
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", str(EXAMPLES))
    mp.syspath_prepend(str(EXAMPLES))
    c = recipe.local_client(2)
    yield c
    c.close()
    c.cluster.close()
    mp.undo()


def test_report_pickles_and_merges_equal() -> None:
    log = server_log(9, 300).encode()
    # Two halves at a message boundary (the message reports need whole messages).
    text = server_log(9, 300)
    cut = text.index("cwd=", len(text) // 2)
    cut = text.rindex("\n", 0, cut) + 1
    first, second = text[:cut].encode(), text[cut:].encode()
    for report in (exim_log.spam_sources, exim_log.abuse_report, exim_log.summary):
        r = report(log, threshold=1)
        back = pickle.loads(pickle.dumps(r))
        assert back.name == r.name and back.to_dict() == r.to_dict()
        assert back.to_dict()["memory"]["held"] > 0
        # Halves counted apart, pickled (as between Dask workers), merged: one pass.
        a = pickle.loads(pickle.dumps(report(first, threshold=1)))
        a.merge(pickle.loads(pickle.dumps(report(second, threshold=1))))
        assert a.to_dict() == r.to_dict()


def test_summary_pickle_keeps_every_table() -> None:
    s = exim_log.summary(server_log(9, 300).encode(), threshold=1).to_dict()
    back = pickle.loads(pickle.dumps(exim_log.summary(server_log(9, 300).encode(), threshold=1))).to_dict()
    # Not an empty report equal to an empty report: the tables and timeline are filled.
    assert s["totals"]["received"]["messages"] == 200 and s["timeline"]["points"]
    assert back == s


def test_queue_report_pickles() -> None:
    listing = "".join(
        f" {k}m   {700 + k} 1sA9{k:02d}-00000000000-0000 <site{k % 3}@example.com>\n"
        f"          a{k}@example.org\n          b{k}@example.net\n\n"
        for k in range(30)
    )
    q = exim_log.queue(listing, now=1_700_000_000, threshold=1)
    want = q.to_dict()
    assert want["totals"]["messages"] == 30 and want["totals"]["recipients"] == 60
    back = pickle.loads(pickle.dumps(q))
    assert back.name == "queue" and back.to_dict() == want
    # The rebuilt report still merges.
    back.merge(exim_log.queue(listing, now=1_700_000_000))
    assert back.to_dict()["totals"]["messages"] == 60


def test_corrupt_state_is_refused() -> None:
    r = exim_log.abuse_report(server_log(9, 10).encode())
    fn, (state, top, threshold) = r.__reduce__()
    with pytest.raises(ValueError, match="not a pickled report"):
        fn(state[:-5], top, threshold)
    # The state is binary, its timestamps numbers (year as a varint: 2024 is
    # e8 0f): a month 13 is refused as a logged timestamp is.
    day = bytes([0xE8, 0x0F, 5, 25])
    assert day in state
    with pytest.raises(ValueError, match="not a pickled report"):
        fn(state.replace(day, bytes([0xE8, 0x0F, 13, 25])), top, threshold)
    # Not the JSON state of earlier versions either: it was three times larger.
    assert b"2024-05-25T" not in state


def test_abuse_pickle_round_trip_keeps_every_table() -> None:
    # Every table of the abuse report filled (dictionary attack, RBL, HELO,
    # AUTH, protocol errors, offenders with first/last seen), then pickled.
    log = "".join(
        f"2024-05-25 10:{k // 60:02d}:{k % 60:02d}.{k % 1000:03d} +0200 {line}\n"
        for k, line in enumerate(
            line
            for i in range(40)
            for line in (
                f"SMTP connection from [192.0.2.{i % 7}]:4{i:04d} (TCP/IP connection count = 1)",
                f"H=(x{i}) [192.0.2.{i % 7}]:4{i:04d} F=<a@example.com> rejected RCPT <u{i}@example.org>: Unknown user",
                f"H=(x{i}) [192.0.2.{i % 7}]:4{i:04d} rejected EHLO or HELO x{i}: bad HELO",
                f"H=(x{i}) [198.51.100.{i % 3}] F=<b@example.net> rejected RCPT <c@example.org>: "
                f"JunkMail rejected - (x) [198.51.100.{i % 3}] is in an RBL: see https://rbl.example/",
                f"dovecot_login authenticator failed for (x) [203.0.113.{i % 5}]:5{i:04d}: 535 Incorrect "
                f"authentication data (set_id=user{i % 4}@example.com)",
                f"SMTP protocol synchronization error (input sent without waiting for greeting): "
                f"rejected connection from H=[203.0.113.{i % 5}]:5{i:04d} input=\"x\"",
                f"SMTP connection from (x{i}) [192.0.2.{i % 7}]:4{i:04d} closed by QUIT",
            )
        )
    ).encode()
    r = exim_log.abuse_report(log, threshold=1)
    want = r.to_dict()
    assert want["offenders"] and want["dictionary"]["hosts"], want
    back = pickle.loads(pickle.dumps(r))
    assert back.to_dict() == want
    # Twice: nothing is lost or added by a second round trip.
    assert pickle.loads(pickle.dumps(back)).to_dict() == want


def test_merge_consume_moves_the_counts() -> None:
    text = server_log(9, 300)
    cut = text.index("cwd=", len(text) // 2)
    cut = text.rindex("\n", 0, cut) + 1
    first, second = text[:cut].encode(), text[cut:].encode()
    for report in (exim_log.spam_sources, exim_log.abuse_report, exim_log.summary):
        want = report(text.encode(), threshold=1).to_dict()
        empty = report(b"", threshold=1).to_dict()
        a, b = report(first, threshold=1), report(second, threshold=1)
        a.merge(b, consume=True)
        assert a.to_dict() == want
        # `b` is left an empty report of its kind (its counts were moved).
        assert b.name == a.name and b.to_dict() == empty
    with pytest.raises(ValueError, match="cannot merge"):
        exim_log.summary(b"").merge(exim_log.abuse_report(b""), consume=True)


def test_byte_ranges_cover_every_line_once(fleet: list[str]) -> None:
    files = fleet[:3]
    units = exim_log.plan(files, 16, min_unit=4096)
    assert len(units) > len(files)  # the files were cut
    lines = sum(exim_log.abuse_report(str(p), byte_range=r).to_dict()["lines"] for p, r, _ in units if r)
    lines += sum(exim_log.abuse_report(str(p)).to_dict()["lines"] for p, r, _ in units if r is None)
    assert lines == sum(pathlib.Path(f).read_text().count("\n") for f in files)


def test_dask_tables_equal_single_process(recipe, client, fleet: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert len(client.scheduler_info()["workers"]) == 2
    budget = recipe.FLEET_BUDGET
    want = recipe.single_process(fleet, top=50, spam_threshold=1, abuse_threshold=1)
    # ... and the single process is one pass over every file, in order.
    files = [f for f in fleet if not pathlib.Path(f).is_dir()]
    one_pass = exim_log.abuse_report(files, top=50, threshold=1, memory_budget=budget).to_dict()
    partial = recipe.single_process(files, top=50, abuse_threshold=1)["abuse_report"]
    assert partial == one_pass
    spam_pass = exim_log.spam_sources(files, top=50, threshold=1, memory_budget=budget).to_dict()
    assert recipe.single_process(files, top=50)["spam_sources"] == spam_pass
    got = recipe.fleet_reports(
        client, fleet, parts=12, min_unit=4096, top=50, spam_threshold=1, abuse_threshold=1, timeout=120
    )
    # Every key, the memory ledgers included: nothing was dropped anywhere.
    assert got == want
    assert not got["abuse_report"]["approximate"] and not got["spam_sources"]["approximate"]
    # The tables are not empty: the test can fail.
    spam = {s["kind"]: s for s in got["spam_sources"]["sections"]}
    assert spam["script"]["rows"] and spam["login"]["rows"]
    assert got["abuse_report"]["dictionary"]["rejected_unknown"] > 1000
    # A wrong merge order or a lost part shows.
    assert got["spam_sources"]["totals"]["messages"] == want["spam_sources"]["totals"]["messages"] > 600
    # local_client's workers parse one task each at a time (the resource),
    # and merge on their second thread: a cluster without the resource runs
    # the same tasks unrestricted, with the same tables.
    assert recipe.parse_slots(client) == 2 and sum(client.nthreads().values()) == 4
    plain = recipe.fleet_reports(
        client, fleet, parts=12, min_unit=4096, top=50, spam_threshold=1, abuse_threshold=1, timeout=120, restrict=False
    )
    assert plain == want


def test_a_budget_too_small_is_said(recipe, client, fleet: list[str]) -> None:  # type: ignore[no-untyped-def]
    """The test fleet at a budget it outgrows (as a 24 MiB budget was outgrown by 210 MB
    of generated logs, bench_dask.py): the partial tables drop rows, which the
    merged report says and the recipe warns about, instead of passing an
    approximation (that depends on the cut) for the single-process answer."""
    small = 64 << 10
    with pytest.warns(recipe.ApproximateWarning) as said:
        got = recipe.fleet_reports(
            client, fleet, parts=12, min_unit=4096, abuse_threshold=1, memory_budget=small, timeout=120
        )
    assert any(str(w.message).startswith("abuse_report") for w in said)
    assert got["abuse_report"]["approximate"] and got["abuse_report"]["memory"]["hits"] > 0
    with pytest.warns(recipe.ApproximateWarning) as said:
        want = recipe.single_process(fleet, abuse_threshold=1, memory_budget=small)
    assert any(str(w.message).startswith("abuse_report") for w in said)
    assert want["abuse_report"]["approximate"]
    # The fleet's budget holds every row of the same fleet: exact (no warning).
    with warnings.catch_warnings():
        warnings.simplefilter("error", recipe.ApproximateWarning)
        exact = recipe.single_process(fleet, abuse_threshold=1)
    # Every one-off IP is a row when nothing is dropped; the small budget lost some.
    assert len(exact["abuse_report"]["offenders"]) > 400
    assert len(got["abuse_report"]["offenders"]) < len(exact["abuse_report"]["offenders"])
