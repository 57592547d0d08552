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
from typing import Any, Optional, Sequence

import exim_log
from dask.distributed import Client, Future, LocalCluster


def merge(a: exim_log.Report, b: exim_log.Report) -> exim_log.Report:
    """``a`` then ``b`` (later input): the report of both."""
    a.merge(b)
    return a


def abuse_part(path: str, byte_range: Optional[tuple[int, int]], top: int, threshold: int) -> exim_log.Report:
    """One unit: a byte range of a plain file, a whole file, or a directory
    read as a rotated set (oldest first)."""
    # threads=1: Dask gives each task its own worker thread.
    if os.path.isdir(path):
        return exim_log.abuse_report(path, rotated=True, top=top, threshold=threshold, threads=1)
    return exim_log.abuse_report(path, byte_range=byte_range, top=top, threshold=threshold, threads=1)


def spam_part(server: str, top: int, threshold: int) -> exim_log.Report:
    """One server: a file, or a directory read as a rotated set."""
    return exim_log.spam_sources(server, rotated=os.path.isdir(server), top=top, threshold=threshold, threads=1)


def tree_merge(client: Client, parts: list[Future]) -> Future:
    """Merges the futures pairwise on the workers, keeping their order."""
    while len(parts) > 1:
        nxt = [client.submit(merge, a, b, pure=False) for a, b in zip(parts[::2], parts[1::2])]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    return parts[0]


def fleet_reports(
    client: Client,
    servers: Sequence[str],
    *,
    parts: Optional[int] = None,
    min_unit: Optional[int] = None,
    top: int = 10,
    spam_threshold: int = 1,
    abuse_threshold: int = 5,
    timeout: float = 600,
) -> dict[str, Any]:
    """The fleet-wide ``spam_sources`` and ``abuse_report`` of ``servers``
    (paths: one a server), as dicts (the programs' ``--json``).

    ``parts``: how many byte-range tasks for ``abuse_report`` (default: four per
    worker thread); ``min_unit``: the smallest range, bytes (default 1 MiB).
    The partial reports keep every row (``top`` and ``threshold`` apply when
    the merged report is written: a row below the top in one part can be on
    top in the sum)."""
    if not servers:
        raise ValueError("no server log given")
    if parts is None:
        parts = 4 * max(1, sum(client.nthreads().values()))
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
    abuse = [client.submit(abuse_part, p, r, top, abuse_threshold, pure=False) for p, r in ordered]
    spam = [client.submit(spam_part, str(s), top, spam_threshold, pure=False) for s in servers]
    spam_total = tree_merge(client, spam).result(timeout=timeout)
    abuse_total = tree_merge(client, abuse).result(timeout=timeout)
    return {"spam_sources": spam_total.to_dict(), "abuse_report": abuse_total.to_dict()}


def single_process(
    servers: Sequence[str],
    top: int = 10,
    spam_threshold: int = 1,
    abuse_threshold: int = 5,
    threads: Optional[int] = None,
) -> dict[str, Any]:
    """The same tables from one process: each report over every log in turn
    (the reference the Dask result must equal); ``threads`` as for the
    report functions (default: every core)."""
    spam = abuse = None
    for s in servers:
        rot = os.path.isdir(s)
        sp = exim_log.spam_sources(s, rotated=rot, top=top, threshold=spam_threshold, threads=threads)
        ab = exim_log.abuse_report(s, rotated=rot, top=top, threshold=abuse_threshold, threads=threads)
        if spam is None or abuse is None:
            spam, abuse = sp, ab
        else:
            spam.merge(sp)
            abuse.merge(ab)
    assert spam is not None and abuse is not None
    return {"spam_sources": spam.to_dict(), "abuse_report": abuse.to_dict()}


def local_client(workers: int = 2) -> Client:
    """A cluster of ``workers`` processes of one thread each, on loopback only."""
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
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
    ap.add_argument("--check", action="store_true", help="compare with the single-process result")
    args = ap.parse_args(argv)
    client = Client(args.scheduler, timeout=60) if args.scheduler else local_client(args.workers)
    try:
        got = fleet_reports(client, args.servers, parts=args.parts, top=args.top)
    finally:
        client.close()
        if client.cluster is not None:
            client.cluster.close()
    json.dump(got, sys.stdout, indent=2)
    print()
    if args.check and got != single_process(args.servers, top=args.top):
        print("dask_fleet: the Dask result differs from the single-process one", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
