"""The Dask recipe (examples/dask_fleet.py): a LocalCluster of two worker
processes on loopback parses a fleet's logs, one task per byte range (abuse)
or per server (spam), and its tables equal the single-process reports."""

from __future__ import annotations

import importlib.util
import pathlib
import pickle
import sys

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
            ip = f"203.0.113.{(n * 16 + k % 5) % 250}"
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
    for report in (exim_log.spam_sources, exim_log.abuse_report):
        r = report(log, threshold=1)
        back = pickle.loads(pickle.dumps(r))
        assert back.name == r.name and back.to_dict() == r.to_dict()
        assert back.to_dict()["memory"]["held"] > 0


def test_summary_does_not_pickle() -> None:
    with pytest.raises(TypeError, match="summary"):
        pickle.dumps(exim_log.summary(server_log(9, 10).encode()))


def test_corrupt_state_is_refused() -> None:
    r = exim_log.abuse_report(server_log(9, 10).encode())
    fn, (state, top, threshold) = r.__reduce__()
    with pytest.raises(ValueError, match="not a pickled report"):
        fn(state[:-5], top, threshold)
    with pytest.raises(ValueError, match="not a pickled report"):
        fn(state.replace(b"2024-05-25T", b"2024-13-25T"), top, threshold)


def test_byte_ranges_cover_every_line_once(fleet: list[str]) -> None:
    files = fleet[:3]
    units = exim_log.plan(files, 16, min_unit=4096)
    assert len(units) > len(files)  # the files were cut
    lines = sum(exim_log.abuse_report(str(p), byte_range=r).to_dict()["lines"] for p, r, _ in units if r)
    lines += sum(exim_log.abuse_report(str(p)).to_dict()["lines"] for p, r, _ in units if r is None)
    assert lines == sum(pathlib.Path(f).read_text().count("\n") for f in files)


def test_dask_tables_equal_single_process(recipe, client, fleet: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert len(client.scheduler_info()["workers"]) == 2
    want = recipe.single_process(fleet, top=50, spam_threshold=1, abuse_threshold=1)
    # ... and the single process is one pass over every file, in order.
    files = [f for f in fleet if not pathlib.Path(f).is_dir()]
    one_pass = exim_log.abuse_report(files, top=50, threshold=1).to_dict()
    partial = recipe.single_process(files, top=50, abuse_threshold=1)["abuse_report"]
    assert partial == one_pass
    spam_pass = exim_log.spam_sources(files, top=50, threshold=1).to_dict()
    assert recipe.single_process(files, top=50)["spam_sources"] == spam_pass
    got = recipe.fleet_reports(
        client, fleet, parts=12, min_unit=4096, top=50, spam_threshold=1, abuse_threshold=1, timeout=120
    )
    assert got == want
    # The tables are not empty: the test can fail.
    spam = {s["kind"]: s for s in got["spam_sources"]["sections"]}
    assert spam["script"]["rows"] and spam["login"]["rows"]
    assert got["abuse_report"]["dictionary"]["rejected_unknown"] > 1000
    # A wrong merge order or a lost part shows.
    assert got["spam_sources"]["totals"]["messages"] == want["spam_sources"]["totals"]["messages"] > 600
