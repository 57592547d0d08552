"""Two Dask workers against one process, per byte, on generated logs.

Generates two servers' mainlogs with the benches' `genlog` (half of --size
each, seeds 1 and 2), then times, in one run:

* one process, one thread: ``exim_log.abuse_report`` and ``spam_sources`` over
  both logs in turn (merged), as examples/dask_fleet.py's ``single_process``;
* Dask: the same tables with examples/dask_fleet.py on its ``local_client``:
  ``--workers`` processes (loopback), each parsing one unit at a time and
  merging on a second thread, cluster start-up not counted; the tables are
  checked equal to the single-process ones.

Prints MB/s and ``overhead = workers * t_dask / t_single`` (1.00: perfect
scaling; the issue's bar on two cores: <= 1.3). Best of ``--repeat`` runs.
Then where that overhead is: the CPU seconds of the Dask run (workers,
scheduler, client) against one process's (what the recipe and Dask add), and
the floor: the same reports in ``--workers`` plain processes, one log each
(what the cores give; no recipe goes under it on this machine).
Time it on a quiet machine (``uptime`` is printed)::

    python exim-log-py/bench/bench_dask.py --size 200M

``--profile`` says where the time goes without trusting wall time (for a
loaded machine): the recipe's units of work run one after the other in this
process, each in CPU seconds (``time.process_time``): the reports over the
units, pickling the partial reports (bytes too), merging, ``to_dict``; then
the Dask run's task stream: per worker, seconds computing, transferring and
idle, each task's start and stop, and the share of the run after the last
parse task ended (what nothing overlaps: the last merges, the JSON, Dask's
round trips).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import pickle
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from typing import Any, Callable

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "exim-log-py" / "examples"))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO / "exim-log-py" / "examples")] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
)

import dask_fleet  # noqa: E402


def genlog(size: str, seed: int, out: pathlib.Path) -> None:
    subprocess.run(
        [
            "cargo", "run", "--quiet", "--release", "-p", "exim-log-benches", "--bin", "genlog", "--",
            "--size", size, "--seed", str(seed), "--scripts", "2", "--logins", "1", "--attackers", "2",
            "--pid", "-o", str(out),
        ],
        cwd=REPO,
        check=True,
    )


def best(repeat: int, f):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t)
    return min(times), result


def cpu(f: Callable[[], Any]) -> tuple[float, Any]:
    t = time.process_time()
    r = f()
    return time.process_time() - t, r


def profile_work(logs: list[str], parts: int) -> None:
    """The recipe's work, unit by unit, in CPU seconds of this process."""
    import exim_log

    budget = dask_fleet.FLEET_BUDGET
    cost: dict[str, float] = defaultdict(float)
    for p in logs:
        cost["single: spam_sources"] += cpu(lambda: exim_log.spam_sources(p, threads=1, memory_budget=budget))[0]
        cost["single: abuse_report"] += cpu(lambda: exim_log.abuse_report(p, threads=1, memory_budget=budget))[0]
    cost["single: merges, to_dict"] += cpu(lambda: dask_fleet.single_process(logs[:1], threads=1))[0] - (
        cpu(lambda: exim_log.spam_sources(logs[0], threads=1, memory_budget=budget))[0]
        + cpu(lambda: exim_log.abuse_report(logs[0], threads=1, memory_budget=budget))[0]
    )
    units = exim_log.plan(logs, parts)
    for kind, jobs in (
        ("spam_sources", [lambda p=p: dask_fleet.spam_part(p, 10, 1) for p in logs]),
        ("abuse_report", [lambda p=p, r=r: dask_fleet.abuse_part(str(p), r, 10, 5) for p, r, _ in units]),
    ):
        reports = []
        for job in jobs:
            c, rep = cpu(job)
            cost[f"dask: {kind} units ({len(jobs)})"] += c
            reports.append(rep)
        # A merge runs where one of its two inputs is: the other crosses
        # processes (pickled, unpickled); the merged report's dict is made
        # where it is (the recipe's to_dict task).
        while len(reports) > 1:
            nxt = []
            for a, b in zip(reports[::2], reports[1::2]):
                c, blob = cpu(lambda: pickle.dumps(b))
                cost[f"dask: {kind} pickle dumps"] += c
                cost[f"dask: {kind} pickled MB"] += len(blob) / 1e6
                cost[f"dask: {kind} pickle loads"] += cpu(lambda: pickle.loads(blob))[0]
                cost[f"dask: {kind} merge"] += cpu(lambda: a.merge(b, consume=True))[0]
                nxt.append(a)
            if len(reports) % 2:
                nxt.append(reports[-1])
            reports = nxt
        cost[f"dask: {kind} to_dict"] += cpu(lambda: reports[0].to_dict())[0]
    single = sum(v for k, v in cost.items() if k.startswith("single"))
    work = sum(v for k, v in cost.items() if k.startswith("dask") and "MB" not in k)
    print("CPU seconds, one unit of work after the other (process_time):")
    for k, v in cost.items():
        print(f"  {k:<40}{v:>10.3f}")
    print(f"  dask work / single work: {work / single:.2f} (the overhead with no idle worker and no Dask cost)")


def profile_stream(client: Any, logs: list[str], parts: int) -> None:
    """One Dask run's task stream: per worker, compute / transfer / idle."""
    from dask.distributed import get_task_stream

    def proc_cpu() -> float:
        return time.process_time()

    before = client.run(proc_cpu), client.run_on_scheduler(proc_cpu), time.process_time()
    t, t0 = time.perf_counter(), time.time()
    with get_task_stream(client) as ts:
        dask_fleet.fleet_reports(client, logs, parts=parts)
    wall = time.perf_counter() - t
    t1 = t0 + wall
    after = client.run(proc_cpu), client.run_on_scheduler(proc_cpu), time.process_time()
    workers_cpu = sum(after[0][w] - before[0][w] for w in before[0])
    # A local cluster's scheduler runs in this process: one figure for both.
    here = client.run_on_scheduler(os.getpid) == os.getpid()
    print(
        f"CPU seconds of one Dask run: workers {workers_cpu:.2f}, "
        + (
            f"scheduler and client (one process) {after[2] - before[2]:.2f}"
            if here
            else f"scheduler {after[1] - before[1]:.2f}, client {after[2] - before[2]:.2f}"
        )
    )
    busy: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    tasks: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for task in ts.data:
        name = str(task["key"][0] if isinstance(task["key"], tuple) else task["key"]).split("-")[0]
        for ss in task["startstops"]:
            busy[task["worker"]][ss["action"]] += ss["stop"] - ss["start"]
            spans[task["worker"]].append((ss["start"], ss["stop"]))
            tasks[name][ss["action"]] += ss["stop"] - ss["start"]
    print(f"Dask task stream, one run ({wall:.2f} s wall on the client; wall seconds, loaded machines inflate them):")
    for w, acts in sorted(busy.items()):
        # Idle: no thread of the worker running a task (its two threads overlap).
        done, end = 0.0, float("-inf")
        for start, stop in sorted(spans[w]):
            done += max(0.0, stop - max(start, end))
            end = max(end, stop)
        print(f"  worker {w}: " + ", ".join(f"{a} {v:.2f}" for a, v in sorted(acts.items())) + f", idle {wall - done:.2f}")
    for name, acts in sorted(tasks.items()):
        print(f"  {name}: " + ", ".join(f"{a} {v:.2f}" for a, v in sorted(acts.items())))
    # The run's end after the last parse task: what no other work overlaps
    # (merges, the JSON, Dask's round trips), as a share of the run, which a
    # loaded machine inflates less than the seconds.
    workers = sorted({task["worker"] for task in ts.data})
    print("  timeline (seconds from the submit; w = worker):")
    last_parse = t0
    for task in sorted(ts.data, key=lambda task: task["startstops"][0]["start"]):
        name = str(task["key"][0] if isinstance(task["key"], tuple) else task["key"]).split("-")[0]
        for ss in task["startstops"]:
            if ss["action"] == "compute" and name.endswith("_part"):
                last_parse = max(last_parse, ss["stop"])
            where = workers.index(task["worker"])
            print(f"    w{where} {name:<16}{ss['action']:<10}{ss['start'] - t0:7.3f}{ss['stop'] - t0:7.3f}")
    # Worker clocks: from the first task's start to the last task's stop.
    first = min(ss["start"] for task in ts.data for ss in task["startstops"])
    last = max(ss["stop"] for task in ts.data for ss in task["startstops"])
    print(
        f"  after the last parse task: {last - last_parse:.3f} s of tasks, {(last - last_parse) / (last - first):.1%} "
        f"of the tasks' span ({last - first:.3f} s); then {t1 - last:.3f} s to the client; {len(ts.data)} tasks"
    )


def reports_of(log: str) -> float:
    """Both reports over one log on one thread, no merge (the floor's unit of
    work), in a worker process of :func:`floor`: its CPU seconds."""
    import exim_log

    c = time.process_time()
    budget = dask_fleet.FLEET_BUDGET
    exim_log.spam_sources(log, threads=1, memory_budget=budget)
    exim_log.abuse_report(log, threads=1, memory_budget=budget)
    return time.process_time() - c


def floor(logs: list[str], workers: int, repeat: int) -> tuple[float, float]:
    """The same reports with no Dask: ``workers`` plain processes, one log
    each at a time (no cut, no merge, no pickling), wall seconds of the
    whole (best of ``repeat``) and the CPU seconds of that run.
    ``workers * t_floor / t_single`` is what this machine's cores give two
    independent parses of these logs: the overhead no recipe can go under
    here (its cores' shared caches, memory bandwidth and clock, the logs'
    unequal work)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        # Warm: each process imports exim_log before the timing.
        list(pool.map(reports_of, [str(REPO / "examples" / "data" / "mainlog")] * workers))
        t, cpus = best(repeat, lambda: list(pool.map(reports_of, logs)))
        return t, sum(cpus)


def cpu_of(client: Any) -> float:
    """CPU seconds so far of the cluster's worker processes, its scheduler
    and this process (not the nannies'); a local cluster's scheduler runs in
    this process, counted once."""
    workers = client.run(time.process_time)
    here = client.run_on_scheduler(os.getpid) == os.getpid()
    scheduler = 0.0 if here else client.run_on_scheduler(time.process_time)
    return sum(workers.values()) + scheduler + time.process_time()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="200M", help="total generated log size (genlog --size), default 200M")
    ap.add_argument("--logs", nargs="+", help="use these logs (one a server) instead of generating")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--parts", type=int, help="abuse_report byte-range tasks (default: the recipe's)")
    ap.add_argument("--profile", action="store_true", help="where the time goes (CPU seconds), then the timing")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.logs:
            logs = args.logs
        else:
            num, unit = args.size[:-1], args.size[-1]
            half = f"{float(num) / 2:g}{unit}" if unit.isalpha() else str(int(args.size) // 2)
            logs = []
            for seed in (1, 2):
                p = pathlib.Path(tmp) / f"server{seed}.mainlog"
                genlog(half, seed, p)
                logs.append(str(p))
        size = sum(os.path.getsize(p) for p in logs)
        print(f"logs: {len(logs)}, {size / 1e6:.1f} MB; load: {os.getloadavg()}")
        parts = args.parts or args.workers
        if args.profile:
            profile_work(logs, parts)
        # One process on one core (threads=1): the per-byte cost Dask divides.
        c1 = time.process_time()
        t1, want = best(args.repeat, lambda: dask_fleet.single_process(logs, threads=1))
        c1 = (time.process_time() - c1) / args.repeat
        tf, cf = floor(logs, args.workers, args.repeat) if len(logs) >= args.workers else (None, 0.0)
        client = dask_fleet.local_client(args.workers)
        try:
            # One small run first: the workers import exim_log.
            dask_fleet.fleet_reports(client, [str(REPO / "examples" / "data" / "mainlog")])
            if args.profile:
                profile_stream(client, logs, parts)
            c2 = cpu_of(client)
            t2, got = best(args.repeat, lambda: dask_fleet.fleet_reports(client, logs, parts=parts))
            c2 = (cpu_of(client) - c2) / args.repeat
        finally:
            client.close()
            client.cluster.close()
        same = "equal" if got == want else "DIFFERENT"
        print(f"{'run':<28}{'seconds':>10}{'MB/s':>10}{'CPU s':>10}")
        print(f"{'one process':<28}{t1:>10.2f}{size / 1e6 / t1:>10.1f}{c1:>10.2f}")
        if tf is not None:
            print(f"{f'{args.workers} plain processes':<28}{tf:>10.2f}{size / 1e6 / tf:>10.1f}{cf:>10.2f}")
        print(f"{f'dask, {args.workers} workers':<28}{t2:>10.2f}{size / 1e6 / t2:>10.1f}{c2:>10.2f}")
        print(f"speed-up {t1 / t2:.2f}x; overhead (workers x t_dask / t_single) {args.workers * t2 / t1:.2f}; tables {same}")
        # Where the overhead is: the CPU Dask's run spends beyond one
        # process's (the recipe's and Dask's own work), and what the cores
        # give plain processes (the floor, see `floor`); the rest is workers
        # left idle or slowed by each other (the tail, merges overlapping).
        print(f"  CPU, dask / one process: {c2 / c1:.2f} (all threads of workers, scheduler and client)")
        if tf is not None:
            # Plain processes' CPU above one process's: the cores slowing
            # each other (no merge there, which one process does).
            print(f"  floor, {args.workers} plain processes: {args.workers * tf / t1:.2f}; CPU / one process {cf / c1:.2f}")
        return 0 if got == want else 1


if __name__ == "__main__":
    sys.exit(main())
