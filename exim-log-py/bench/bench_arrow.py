"""A whole mainlog into a table: exim_log.read_arrow() against the best plain
Polars way (pl.read_csv of the lines + str.extract_groups / str.extract with
regexes, multi-threaded), side by side in one process (issue 18).

Usage: python bench/bench_arrow.py [--file PATH | --mib N] [--repeat R] [--threads T]

Without --file, writes a generated mainlog of about N MiB with `genlog` (the
workspace's generator: target/release/genlog, else target/debug/genlog, else
`cargo run -p exim-log-benches --bin genlog`). Both ways produce a table of the
same columns for every line: timestamp (as a datetime), message id, flag, the
address after the flag, H= host name and IP, P=, S= (integer), R=, T=, U=, A=
and the subject. The Polars regexes do no unquoting and get odd lines wrong.

read_arrow is measured twice: "whole table" is every column of SCHEMA.md
("Arrow tables", ~110), decoded -- far more than the regexes give; "Polars'
columns" asks for only the columns the regexes produce (`columns=`, see
SAME_COLUMNS: the address after the flag is `sender` or `recipient`, A= is
`auth_authenticator` and `auth_id`), which is the like-for-like comparison.
Prints seconds, lines/s and the ratio; the best of R runs is kept. read_arrow
parses on --threads threads (default: every core, as Polars does); rows for
one thread show the scaling.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import tempfile
import time

import polars as pl
import pyarrow as pa

import exim_log

REPO = pathlib.Path(__file__).resolve().parents[2]

PREFIX = (
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d{3})?(?: [-+]\d{4})?"
    r"(?: \[\d+\])?"
    r"(?: (?P<message_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}))?"
    r"(?: (?P<flag><=|\(=|=>|->|>>|\*>|\*\*|==) (?P<address>\S+))?"
)
TAGS = {
    "host_name": r" H=(\S+)",
    "host_ip": r" H=[^\[]*\[([0-9a-fA-F.:]+)\]",
    "protocol": r" P=(\S+)",
    "size": r" S=(\d+)",
    "router": r" R=(\S+)",
    "transport": r" T=([^\"\s]\S*)",
    "user": r" U=(\S+)",
    "auth": r" A=(\S+)",
    "subject": r' T="((?:[^"\\]|\\.)*)"',
}


# The read_arrow columns holding what the Polars regexes extract (PREFIX and TAGS).
SAME_COLUMNS = [
    "timestamp",
    "message_id",
    "flag",
    "sender",
    "recipient",
    "host_name",
    "host_ip",
    "protocol",
    "size",
    "router",
    "transport",
    "user",
    "auth_authenticator",
    "auth_id",
    "subject",
]


def polars_way(path: str) -> pl.DataFrame:
    """The plain Polars way: lines as one string column, then regexes."""
    lines = pl.read_csv(
        path,
        has_header=False,
        new_columns=["line"],
        separator="\x1f",
        quote_char=None,
        schema_overrides={"line": pl.String},
        truncate_ragged_lines=True,
        # Logs hold bytes that are not UTF-8 (8-bit subjects, attackers' text).
        encoding="utf8-lossy",
    )
    return (
        lines.lazy()
        .with_columns(
            pl.col("line").str.extract_groups(PREFIX).alias("p"),
            *[pl.col("line").str.extract(rx, 1).alias(name) for name, rx in TAGS.items()],
        )
        .unnest("p")
        .with_columns(
            pl.col("ts").str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC", strict=False),
            pl.col("size").cast(pl.Int64, strict=False),
        )
        .drop("line")
        .collect()
    )


def arrow_way(path: str, threads: int | None = None, columns: list[str] | None = None) -> pa.Table:
    return pa.table(exim_log.read_arrow(path, threads=threads, columns=columns))


def best(repeat: int, f, path: str) -> tuple[float, int]:
    t_best = float("inf")
    rows = 0
    for _ in range(repeat):
        t = time.perf_counter()
        out = f(path)
        t_best = min(t_best, time.perf_counter() - t)
        rows = out.height if isinstance(out, pl.DataFrame) else out.num_rows
    return t_best, rows


def genlog(mib: int, out: str) -> None:
    for exe in (REPO / "target" / "release" / "genlog", REPO / "target" / "debug" / "genlog"):
        if exe.exists():
            subprocess.run([exe, "--size", f"{mib}M", "--seed", "7", "-o", out], check=True)
            return
    subprocess.run(
        ["cargo", "run", "-q", "--release", "-p", "exim-log-benches", "--bin", "genlog", "--",
         "--size", f"{mib}M", "--seed", "7", "-o", out],
        check=True,
        cwd=REPO,
    )


def main(argv: list[str] | None = None) -> list[tuple[str, float, int]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file")
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file
        if path is None:
            path = os.path.join(tmp, "mainlog")
            genlog(args.mib, path)
        size = os.path.getsize(path)
        results = []
        # Alternate, so that load changes hit both alike.
        ways = {
            "read_arrow, whole table": lambda p: arrow_way(p, args.threads),
            "read_arrow, whole table, 1 thread": lambda p: arrow_way(p, 1),
            "read_arrow, Polars' columns": lambda p: arrow_way(p, args.threads, SAME_COLUMNS),
            "read_arrow, Polars' columns, 1 thread": lambda p: arrow_way(p, 1, SAME_COLUMNS),
            "polars": polars_way,
        }
        runs: dict[str, list[float]] = {name: [] for name in ways}
        rows: dict[str, int] = {}
        for _ in range(args.repeat):
            for name, f in ways.items():
                t, n = best(1, f, path)
                runs[name].append(t)
                rows[name] = n
        print(f"{size / 1e6:.1f} MB, {rows['polars']} lines, best of {args.repeat}, "
              f"{os.cpu_count()} CPUs (Polars uses all; read_arrow threads={args.threads or 'all'})")
        print("| way | time (s) | lines/s | vs Polars |")
        print("|---|---:|---:|---:|")
        tp = min(runs["polars"])
        for name in ways:
            t = min(runs[name])
            results.append((name, t, rows[name]))
            print(f"| {name} | {t:.3f} | {rows[name] / t / 1e6:.2f}M | {tp / t:.2f}x |")
        return results


if __name__ == "__main__":
    main()
