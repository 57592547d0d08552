"""A fleet's Exim logs parsed by PySpark with ``mapInArrow``.

The driver cuts the logs into units with ``exim_log.plan()`` (byte ranges of
plain files at any offset, whole ``.gz`` files: each line is read by exactly
one unit) and makes a DataFrame of them; ``mapInArrow`` hands each executor
its units and the executor parses them with ``exim_log.read_arrow(path,
byte_range=...)`` (Rust, GIL released) straight into Arrow record batches,
which Spark takes as they are. The result is a DataFrame of log lines
(SCHEMA.md, "Arrow tables"), ready for Spark SQL.

    python spark_lines.py [--check] web1=/logs/web1/mainlog web2=/logs/web2/mainlog

prints the lines per server and event, and the hosts with most rejections.
``--check`` compares the row count with the files' line count and the
per-server, per-event counts with one process (``exim_log.lines``), and exits
1 if they differ. Run by ``scripts/test-spark``.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from typing import Iterator, Optional, Sequence

import pyarrow as pa

import exim_log

# The columns this recipe keeps (a subset of the lines table; add what you need).
# Dictionary-encoded columns are decoded to strings: Spark reads plain Arrow types.
COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("server", pa.string(), "string"),
    ("timestamp", pa.timestamp("us", tz="UTC"), "timestamp"),
    ("message_id", pa.string(), "string"),
    ("flag", pa.string(), "string"),
    ("event", pa.string(), "string"),
    ("sender", pa.string(), "string"),
    ("host_ip", pa.string(), "string"),
    ("auth_id", pa.string(), "string"),
    ("cwd", pa.string(), "string"),
    ("size", pa.int64(), "long"),
]
SCHEMA = pa.schema([(n, t) for n, t, _ in COLUMNS])
SPARK_SCHEMA = ", ".join(f"`{n}` {s}" for n, _, s in COLUMNS)


def parse_units(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` function: each input row is a unit (server, path, start,
    end); yields the unit's lines as record batches of ``SCHEMA``."""
    for units in batches:
        for u in units.to_pylist():
            rng = None if u["start"] is None else (u["start"], u["end"])
            table = pa.table(exim_log.read_arrow(u["path"], byte_range=rng, server=u["server"]))
            for batch in table.to_batches():
                yield pa.RecordBatch.from_arrays([column(batch, n, t) for n, t, _ in COLUMNS], schema=SCHEMA)


def column(batch: pa.RecordBatch, name: str, typ: pa.DataType) -> pa.Array:
    i = batch.schema.get_field_index(name)
    if i < 0:
        return pa.nulls(batch.num_rows, typ)
    col = batch.column(i)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    return col.cast(typ)


def units_of(servers: dict[str, str], parts: int, min_unit: Optional[int]) -> list[tuple[str, str, Optional[int], Optional[int]]]:
    rows = []
    for server, path in servers.items():
        for p, rng, _bytes in exim_log.plan([path], parts, min_unit=min_unit):
            start, end = rng if rng is not None else (None, None)
            rows.append((server, str(p), start, end))
    return rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("servers", nargs="+", help="NAME=PATH, one a server (a log file; plain for --check)")
    ap.add_argument("--parts", type=int, default=8, help="units per server (default 8)")
    ap.add_argument("--min-unit", type=int, help="smallest byte range (default 1 MiB)")
    ap.add_argument("--check", action="store_true", help="compare with one process")
    args = ap.parse_args(argv)
    servers = dict(s.split("=", 1) for s in args.servers)

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("exim-log")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    try:
        units = spark.createDataFrame(
            units_of(servers, args.parts, args.min_unit),
            "server string, path string, start long, end long",
        ).repartition(args.parts)
        lines = units.mapInArrow(parse_units, SPARK_SCHEMA)
        lines.createOrReplaceTempView("lines")
        rows = lines.count()
        counts = spark.sql(
            "SELECT server, event, count(*) AS n FROM lines WHERE event IS NOT NULL GROUP BY server, event"
        ).collect()
        got = {(r["server"], r["event"]): r["n"] for r in counts}
        for (server, event), n in sorted(got.items(), key=lambda kv: (kv[0][0], -kv[1])):
            print(f"{server}\t{event}\t{n}")
        spark.sql(
            "SELECT server, host_ip, count(*) AS rejected FROM lines "
            "WHERE event = 'rejection' GROUP BY server, host_ip ORDER BY rejected DESC LIMIT 5"
        ).show(truncate=False)
    finally:
        spark.stop()
    if args.check:
        want: collections.Counter[tuple[str, str]] = collections.Counter()
        want_rows = 0
        for server, path in servers.items():
            with open(path, "rb") as f:
                want_rows += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
            for line in exim_log.lines(path, errors="skip"):
                want[(server, line.event)] += 1
        if rows != want_rows:
            print(f"spark_lines: {rows} rows for {want_rows} lines", file=sys.stderr)
            return 1
        if got != dict(want):
            print(f"spark_lines: differs from one process:\n spark {got}\n one process {dict(want)}", file=sys.stderr)
            return 1
        print(f"spark_lines: {sum(got.values())} lines, per server and event equal to one process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
