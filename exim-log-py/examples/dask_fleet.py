"""A fleet's Exim logs parsed with Dask: fleet-wide spam sources and abuse report.

Each task runs the library's own report (``exim_log.spam_sources`` /
``exim_log.abuse_report``, Rust, without the GIL) over its share of the input
and returns a partial ``Report``; the partial reports travel between worker
processes pickled (the library's counting state) and ``merge()`` in input
order into what one pass over the same logs gives. No report logic here.

* ``abuse_report`` counts lines: one task per **byte range** of a plain file,
  cut at line boundaries by ``exim_log.plan()`` (the cut of ``--threads``);
  an SMTP connection split by a cut is joined when the parts merge in order.
* ``spam_sources`` counts whole messages: a message's lines must all be in one
  task, so it gets one task per **server** (its file, or its rotated set, read
  oldest first). A message cut by a byte range would count twice.

**Equal to one process, exactly, while nothing is dropped.** A report's tables
are bounded by a memory budget; a table that fills its room drops its
lightest rows (lossy counting: ``"approximate": true`` in the report), and
*which* rows a part drops depends on where the logs were cut. So every task
gets ``memory_budget=FLEET_BUDGET`` (256 MiB, the same for the single-process
reference): a budget, not an allocation — a task holds what its rows need
(18 MB for the abuse tables of 210 MB of generated logs, 2 servers; the
a 24 MiB budget dropped rows of the offenders table there). The merged tables
are then exact, and equal to one process, unless the tables of the *merged*
report together outgrow the budget (their bytes decide, not a count of keys;
a table takes the room the others leave: the budget is shared out again by
need every 1,024 lines). Then the
result says ``"approximate": true``, ``fleet_reports`` warns
(``ApproximateWarning``), and the lower rows are lower bounds that depend on
the partitioning: give a larger ``memory_budget``, or report per group of
servers.

**Scheduling.** The abuse units run first, then the spam tasks (largest
first). Workers with two threads and one ``parse`` resource (``local_client``;
a real cluster: ``dask worker --nthreads 2 --resources parse=1`` per core)
parse one unit at a time and merge on the second thread, so the abuse
report's final merge and JSON overlap the spam parse and a run ends with the
spam report's merge (milliseconds). Without the resource on every worker the
tasks run unrestricted, in the same order, with the same tables.

Run on a laptop (a local cluster of two worker processes, loopback only)::

    python dask_fleet.py --workers 2 web1/mainlog web2/exim_mainlog.1 ...

or on a real cluster with ``--scheduler tcp://host:8786``. Prints one JSON
document: ``{"spam_sources": ..., "abuse_report": ...}``, each as the
``--json`` output of the program of the same name. ``--check`` also computes
the single-process result and exits 1 if they differ.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from typing import Any, Optional, Sequence

import dask
import exim_log
from dask.distributed import Client, Future, LocalCluster


#: The memory budget of every task's report (bytes): large enough that the
#: tables of a fleet-sized partition drop nothing (see the module's doc).
FLEET_BUDGET = 256 << 20


class ApproximateWarning(UserWarning):
    """A merged table passed its memory budget: its lower rows are lower
    bounds and may differ from one process's."""


def merge(a: exim_log.Report, b: exim_log.Report) -> exim_log.Report:
    """``a`` then ``b`` (later input): the report of both. ``b`` is not read
    again: its counts are moved, not copied (``consume=True``)."""
    a.merge(b, consume=True)
    return a


def to_dict(report: exim_log.Report) -> dict[str, Any]:
    """The merged report's JSON, made on the worker that holds it: only the
    top rows travel to the client, not the counting state."""
    return report.to_dict()


def merge_to_dict(a: exim_log.Report, b: exim_log.Report) -> dict[str, Any]:
    """The last merge and the JSON in one task (one scheduler round trip less
    at the end of the run, where nothing else is left to overlap it)."""
    return to_dict(merge(a, b))


#: The worker resource a parse task holds (see :func:`local_client`): with
#: ``--nthreads 2 --resources parse=1`` a worker parses one unit at a time and
#: merges on its second thread meanwhile.
PARSE = "parse"


def parse_slots(client: Client) -> int:
    """How many parse tasks the cluster runs at once when every worker has the
    :data:`PARSE` resource; 0 when one has not (then tasks are not restricted:
    a task asking for a resource no worker has would never start)."""
    workers = client.scheduler_info()["workers"].values()
    slots = [int(w.get("resources", {}).get(PARSE, 0)) for w in workers]
    return sum(slots) if slots and all(slots) else 0


def abuse_part(
    path: str, byte_range: Optional[tuple[int, int]], top: int, threshold: int, budget: int = FLEET_BUDGET
) -> exim_log.Report:
    """One unit: a byte range of a plain file, a whole file, or a directory
    read as a rotated set (oldest first)."""
    # threads=1: Dask gives each task its own worker thread.
    rotated = os.path.isdir(path)
    return exim_log.abuse_report(
        path,
        rotated=rotated,
        byte_range=None if rotated else byte_range,
        top=top,
        threshold=threshold,
        threads=1,
        memory_budget=budget,
    )


def spam_part(server: str, top: int, threshold: int, budget: int = FLEET_BUDGET) -> exim_log.Report:
    """One server: a file, or a directory read as a rotated set."""
    return exim_log.spam_sources(
        server, rotated=os.path.isdir(server), top=top, threshold=threshold, threads=1, memory_budget=budget
    )


#: Merges run before any waiting parse task: a merged pair frees a report,
#: and the final one (the JSON) is what the client waits for.
MERGE_PRIORITY = 10


def tree_merge(client: Client, parts: list[Future]) -> Future:
    """The report of all ``parts`` as a dict: pairwise merges on the workers,
    keeping the input order; the last merge also makes the dict."""
    while len(parts) > 2:
        nxt = [
            client.submit(merge, a, b, pure=False, priority=MERGE_PRIORITY) for a, b in zip(parts[::2], parts[1::2])
        ]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    if len(parts) == 2:
        return client.submit(merge_to_dict, parts[0], parts[1], pure=False, priority=MERGE_PRIORITY)
    return client.submit(to_dict, parts[0], pure=False, priority=MERGE_PRIORITY)


def fleet_reports(
    client: Client,
    servers: Sequence[str],
    *,
    parts: Optional[int] = None,
    min_unit: Optional[int] = None,
    top: int = 10,
    spam_threshold: int = 1,
    abuse_threshold: int = 5,
    memory_budget: int = FLEET_BUDGET,
    timeout: float = 600,
    restrict: Optional[bool] = None,
) -> dict[str, Any]:
    """The fleet-wide ``spam_sources`` and ``abuse_report`` of ``servers``
    (paths: one a server), as dicts (the programs' ``--json``).

    ``parts``: how many byte-range tasks for ``abuse_report`` (default: one
    per parse slot, see below; a file is never split below ``min_unit``
    bytes, default 1 MiB). ``memory_budget``: each task's report budget (see
    the module's doc; warns ``ApproximateWarning`` when a merged table passed
    it). The partial reports keep every row (``top`` and ``threshold`` apply
    when the merged report is written: a row below the top in one part can be
    on top in the sum).

    ``restrict``: give each parse task the worker resource :data:`PARSE`
    (default: when every worker has it, as :func:`local_client`'s do). A
    worker with two threads and ``parse=1`` then merges on its second thread
    while it parses: the abuse report's last merge and its JSON (the slow
    end of a run, 0.1 s at 200 MB) overlap the spam tasks."""
    if not servers:
        raise ValueError("no server log given")
    slots = parse_slots(client)
    if restrict is None:
        restrict = slots > 0
    if not restrict or not slots:
        slots = max(1, sum(client.nthreads().values()))
    if parts is None:
        # Few, large units: every unit's report is pickled and merged once
        # more, and the spam tasks after them balance the workers.
        parts = slots
    files = [s for s in servers if not os.path.isdir(s)]
    units: list[tuple[str, Optional[tuple[int, int]]]] = [
        (str(path), rng) for path, rng, _bytes in exim_log.plan(files, parts, min_unit=min_unit)
    ]
    # A directory (rotated set) cannot be cut: its own task, in its turn.
    ordered: list[tuple[str, Optional[tuple[int, int]]]] = []
    for s in servers:
        if os.path.isdir(s):
            ordered.append((s, None))
        else:
            ordered.extend(u for u in units if u[0] == str(s))
    resources = {PARSE: 1} if restrict else None
    # The abuse units first, the spam tasks after them, largest first: the
    # abuse report's final merge and JSON (its state is six times the spam
    # report's) then run while the spam tasks still parse, and the run ends
    # with the spam report's, which cost milliseconds.
    abuse = [
        client.submit(
            abuse_part, p, r, top, abuse_threshold, memory_budget, pure=False, priority=2, resources=resources
        )
        for p, r in ordered
    ]
    by_size = sorted(range(len(servers)), key=lambda i: -input_bytes(servers[i]))
    spam_by_size = {
        i: client.submit(
            spam_part, str(servers[i]), top, spam_threshold, memory_budget, pure=False, priority=1, resources=resources
        )
        for i in by_size
    }
    spam = [spam_by_size[i] for i in range(len(servers))]
    abuse_dict = tree_merge(client, abuse)
    spam_dict = tree_merge(client, spam)
    got = {"spam_sources": spam_dict.result(timeout=timeout), "abuse_report": abuse_dict.result(timeout=timeout)}
    warn_approximate(got)
    return got


def input_bytes(server: str) -> int:
    """The bytes of a server's log (a file, or a rotated set's files)."""
    if os.path.isdir(server):
        return sum(e.stat().st_size for e in os.scandir(server) if e.is_file())
    return os.path.getsize(server)


def warn_approximate(tables: dict[str, Any]) -> None:
    """Warns when a report says its tables passed their memory budget."""
    for name, report in tables.items():
        if report.get("approximate"):
            warnings.warn(
                f"{name}: a table passed its memory budget ({report['memory']['budget']} bytes): its lower "
                "rows are lower bounds and depend on how the logs were cut; give a larger memory_budget",
                ApproximateWarning,
                stacklevel=3,
            )


def single_process(
    servers: Sequence[str],
    top: int = 10,
    spam_threshold: int = 1,
    abuse_threshold: int = 5,
    threads: Optional[int] = None,
    memory_budget: int = FLEET_BUDGET,
) -> dict[str, Any]:
    """The same tables from one process: each report over every log in turn
    (the reference the Dask result must equal); ``threads`` as for the
    report functions (default: every core)."""
    spam = abuse = None
    for s in servers:
        rot = os.path.isdir(s)
        sp = exim_log.spam_sources(
            s, rotated=rot, top=top, threshold=spam_threshold, threads=threads, memory_budget=memory_budget
        )
        ab = exim_log.abuse_report(
            s, rotated=rot, top=top, threshold=abuse_threshold, threads=threads, memory_budget=memory_budget
        )
        if spam is None or abuse is None:
            spam, abuse = sp, ab
        else:
            # As the Dask recipe merges: the counts moved, not copied.
            spam.merge(sp, consume=True)
            abuse.merge(ab, consume=True)
    assert spam is not None and abuse is not None
    got = {"spam_sources": spam.to_dict(), "abuse_report": abuse.to_dict()}
    warn_approximate(got)
    return got


#: Dask settings for a small cluster that runs this recipe's few, long tasks
#: (``local_client`` applies them; on a real cluster put them in its Dask
#: config). Dask's defaults watch every process all the time: the statistical
#: profiler samples each worker's threads every 10 ms, the system and memory
#: monitors poll every 0.5 s and 0.1 s, the event-loop health check ticks every
#: 20 ms, and work stealing rebalances every second. Here the tasks are a few
#: Rust calls of seconds each with the GIL released, placed on purpose
#: (longest first), whose memory the reports' budget bounds: that watching only
#: takes CPU from them. An idle 2-worker cluster used 0.107 CPU-s per second
#: with the defaults and 0.033 with these (psutil, all processes, a loaded
#: machine); on a 2-core machine the difference is taken from the tasks.
QUIET_CLUSTER: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    # Never spill a partial report to disk: the memory budget bounds it.
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.scheduler.work-stealing": False,
}


def local_client(workers: int = 2) -> Client:
    """A cluster of ``workers`` processes on loopback only, with
    :data:`QUIET_CLUSTER`'s settings, each with one :data:`PARSE` slot and two
    threads: one parses, the other merges partial reports meanwhile (a real
    cluster: ``dask worker --nthreads 2 --resources parse=1`` a core, or
    ``--nthreads 2N --resources parse=N`` for N cores)."""
    with dask.config.set(QUIET_CLUSTER):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=2,
            resources={PARSE: 1},
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        return Client(cluster, timeout=60)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("servers", nargs="+", help="one log file (or rotated-set directory) per server")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler (default: a local cluster)")
    ap.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    ap.add_argument("--parts", type=int, help="byte-range tasks for abuse_report")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument(
        "--memory-budget", type=int, default=FLEET_BUDGET, help="each task's report budget, bytes (default 256 MiB)"
    )
    ap.add_argument("--check", action="store_true", help="compare with the single-process result")
    args = ap.parse_args(argv)
    client = Client(args.scheduler, timeout=60) if args.scheduler else local_client(args.workers)
    try:
        got = fleet_reports(client, args.servers, parts=args.parts, top=args.top, memory_budget=args.memory_budget)
    finally:
        client.close()
        if client.cluster is not None:
            client.cluster.close()
    json.dump(got, sys.stdout, indent=2)
    print()
    if args.check and got != single_process(args.servers, top=args.top, memory_budget=args.memory_budget):
        print("dask_fleet: the Dask result differs from the single-process one", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
