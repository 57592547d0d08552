"""read_arrow(): Arrow batches through the PyCapsule stream interface into
pyarrow, Polars and DuckDB; byte ranges; the Parquet dataset of
`exim-log parquet` read back by pyarrow and DuckDB, and the SQL examples
(examples/sql) equal to `exim-log spam-sources --json` / `abuse-report --json`."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import pathlib
import subprocess

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import exim_log

from conftest import REPO, corpus_dir, in_ci

SAMPLE = REPO / "examples" / "data" / "mainlog"
SQL = REPO / "examples" / "sql"


def sample_lines() -> list[bytes]:
    return SAMPLE.read_bytes().splitlines()


def test_rows_are_lines_and_types():
    b = exim_log.read_arrow(str(SAMPLE), batch_rows=1000)
    assert b.num_rows == len(sample_lines()) == len(b)
    t = pa.table(b)
    assert t.num_rows == b.num_rows
    assert t.column_names == b.column_names
    assert t.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert pa.types.is_dictionary(t.schema.field("event").type)
    assert t.schema.field("size").type == pa.int64()
    assert t.schema.field("recipients").type == pa.list_(pa.utf8())
    # Timezone-aware datetimes in Python.
    first = t.column("timestamp")[0].as_py()
    assert first.tzinfo is not None and first.utcoffset() == dt.timedelta(0)
    # A second export streams the same batches.
    assert pa.table(b).equals(t)


def test_values_equal_the_line_objects():
    t = pa.table(exim_log.read_arrow(str(SAMPLE), raw=True)).to_pylist()
    for row, line in zip(t, exim_log.lines(str(SAMPLE))):
        d = line.to_dict()
        assert row["raw"] == d["raw"]
        assert row["event"] == d["event"]
        assert row["message_id"] == d.get("message_id")
        assert row["size"] == d.get("size")
        assert row["host_ip"] == d.get("host", {}).get("ip")
        assert row["recipients"] == (d.get("recipients") if isinstance(d.get("recipients"), list) else None)
        ts = line.timestamp
        if isinstance(ts, dt.datetime) and ts.tzinfo is None:
            ts = ts.replace(tzinfo=dt.timezone.utc)
        if isinstance(ts, dt.datetime):
            assert row["timestamp"] == ts


def test_corpus_row_count():
    d = corpus_dir()
    files = sorted(p for p in (d / "mainlog").iterdir() if p.is_file())
    b = exim_log.read_arrow([str(f) for f in files])
    lines = sum(len(f.read_bytes().splitlines()) for f in files)
    assert b.num_rows == lines


def test_polars_and_duckdb_take_the_stream():
    b = exim_log.read_arrow(str(SAMPLE))
    df = pl.DataFrame(b)
    assert df.height == b.num_rows
    assert df.schema["timestamp"] == pl.Datetime("us", "UTC")
    # The stream was handed to Polars; DuckDB reads a new one.
    again = exim_log.read_arrow(str(SAMPLE))
    arrivals = duckdb.sql("SELECT count(*) FROM again WHERE event = 'arrival'").fetchall()[0][0]
    assert arrivals == df.filter(pl.col("event") == "arrival").height > 0


def test_a_stream_is_read_once_unless_kept():
    b = exim_log.read_arrow(str(SAMPLE))
    # An export read for its schema alone (as DuckDB does first) takes nothing.
    assert pa.RecordBatchReader.from_stream(b).schema.names == b.column_names
    t = pa.table(b)
    assert b.num_rows == t.num_rows == len(sample_lines())
    with pytest.raises(ValueError, match="streamed to a consumer already"):
        pa.table(b)
    kept = exim_log.read_arrow(str(SAMPLE))
    assert len(kept) == t.num_rows
    assert pa.table(kept).num_rows == pa.table(kept).num_rows == t.num_rows


def test_a_file_gone_is_an_error_of_the_stream(tmp_path):
    b = exim_log.read_arrow([str(SAMPLE), str(tmp_path / "gone")])
    with pytest.raises(OSError):
        pa.table(b)


def decoded(t: pa.Table, columns: list[str]) -> dict[str, list[object]]:
    return {c: t.column(c).to_pylist() for c in columns}


@pytest.mark.parametrize("source", ["plain", "list", "gzip"])
def test_threads_give_the_same_rows_in_order(tmp_path, source):
    # Over 2 MiB, so that the plan cuts it into byte ranges (units >= 1 MiB).
    log = tmp_path / "mainlog"
    lines = sample_lines()
    with log.open("wb") as f:
        while f.tell() < (5 << 19):
            f.write(b"\n".join(lines) + b"\n")
    if source == "plain":
        src: object = str(log)
    elif source == "list":
        src = [str(SAMPLE), str(log), str(SAMPLE)]
    else:
        gz = tmp_path / "mainlog.1.gz"
        gz.write_bytes(gzip.compress(log.read_bytes()))
        src = [str(gz), str(log)]
    cols = ["raw", "event", "message_id", "timestamp", "size", "host_ip", "flag"]
    one = pa.table(exim_log.read_arrow(src, raw=True, threads=1, batch_rows=3000))
    for threads in (2, 3):
        many = pa.table(exim_log.read_arrow(src, raw=True, threads=threads, batch_rows=3000))
        assert many.num_rows == one.num_rows
        assert decoded(many, cols) == decoded(one, cols)


def test_messages_table():
    b = exim_log.read_arrow(str(SAMPLE), table="messages", server="mx1")
    t = pa.table(b)
    msgs = list(exim_log.messages(str(SAMPLE)))
    assert t.num_rows == len(msgs)
    assert set(t.column("server").to_pylist()) == {"mx1"}
    ids = t.column("message_id").to_pylist()
    assert ids == [m.id for m in msgs]
    cwd = dict(zip(ids, t.column("cwd").to_pylist()))
    assert cwd == {m.id: m.cwd for m in msgs}


@pytest.mark.parametrize("cuts", [[1], [100, 5000, 5001, 30000], list(range(0, 90000, 7919))])
def test_byte_ranges_read_every_line_once(cuts):
    size = SAMPLE.stat().st_size
    edges = sorted({0, size, *[c for c in cuts if c < size]})
    parts = [
        pa.table(exim_log.read_arrow(str(SAMPLE), byte_range=(a, b), raw=True))
        for a, b in zip(edges, edges[1:])
    ]
    raw = [r for p in parts for r in p.column("raw").to_pylist()]
    assert raw == [line.decode() for line in sample_lines()]


def test_bad_arguments():
    with pytest.raises(ValueError):
        exim_log.read_arrow(str(SAMPLE), table="nope")
    with pytest.raises(ValueError):
        exim_log.read_arrow(SAMPLE.read_bytes(), byte_range=(0, 10))
    with pytest.raises(OSError):
        exim_log.read_arrow("/nonexistent/mainlog")


def test_parquet_round_trip_through_pyarrow(tmp_path):
    t = pa.table(exim_log.read_arrow(str(SAMPLE), raw=True))
    pq.write_table(t, tmp_path / "lines.parquet", compression="zstd")
    back = pq.read_table(tmp_path / "lines.parquet")
    assert back.equals(t)
    n = duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'lines.parquet'}'").fetchall()[0][0]
    assert n == t.num_rows


def exim_log_bin() -> pathlib.Path:
    """The `exim-log` command built by cargo (with its `parquet` feature)."""
    env = os.environ.get("EXIM_LOG_BIN")
    p = pathlib.Path(env) if env else REPO / "target" / "debug" / "exim-log"
    if not p.exists():
        msg = f"{p} not built (cargo build -p exim-log-cli)"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    return p


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Two servers' logs (the sample, and its first 60%) and their dataset."""
    root = tmp_path_factory.mktemp("fleet")
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    logs = {"mx1": b"".join(lines), "mx2": b"".join(lines[: len(lines) * 6 // 10])}
    paths = []
    for server, data in logs.items():
        (root / "logs" / server).mkdir(parents=True)
        (root / "logs" / server / "mainlog").write_bytes(data)
        paths.append(str(root / "logs" / server / "mainlog"))
    out = root / "dataset"
    subprocess.run([exim_log_bin(), "parquet", "-o", out, *paths], check=True, capture_output=True)
    con = duckdb.connect()
    con.execute((SQL / "views.sql").read_text().replace("DATASET", str(out)))
    return root, out, paths, logs, con


def test_cli_dataset_round_trips(fleet):
    _, out, _, logs, con = fleet
    ds = pq.ParquetDataset(out / "lines", partitioning="hive")
    t = ds.read()
    per_server = {s: t.filter(pa.compute.equal(t["server"], s)).num_rows for s in logs}
    assert per_server == {s: len(d.splitlines()) for s, d in logs.items()}
    got = dict(con.sql("SELECT server, count(*) FROM lines GROUP BY server").fetchall())
    assert got == per_server
    # The same rows as read_arrow() of each log.
    for s in logs:
        direct = pa.table(exim_log.read_arrow(str(out.parent / "logs" / s / "mainlog")))
        from_duck = con.sql(f"SELECT count(*), sum(size) FROM lines WHERE server = '{s}'").fetchall()[0]
        assert from_duck == (direct.num_rows, pa.compute.sum(direct["size"]).as_py())


def test_sql_spam_sources_equal_the_command(fleet):
    _, _, paths, logs, con = fleet
    rows = con.sql((SQL / "spam_sources.sql").read_text()).fetchall()
    for server, path in zip(logs, paths):
        r = subprocess.run(
            [exim_log_bin(), "spam-sources", "--json", "--top", "100000", path],
            check=True,
            capture_output=True,
        )
        report = json.loads(r.stdout)
        want = {
            (sec["kind"], row["source"]): row["messages"]
            for sec in report["sections"]
            for row in sec["rows"]
        }
        got = {(k, src): n for s, k, src, n in rows if s == server}
        assert got == want, server
        assert want, "the sample has sources"


def test_sql_dictionary_attackers_equal_the_command(fleet):
    _, _, paths, _, con = fleet
    r = subprocess.run(
        [exim_log_bin(), "abuse-report", "--json", "--top", "100000", "--threshold", "1", *paths],
        check=True,
        capture_output=True,
    )
    report = json.loads(r.stdout)
    want = {h["ip"]: h["rejected_unknown"] for h in report["dictionary"]["hosts"]}
    got = {ip: n for ip, n, *_ in con.sql((SQL / "dictionary_attackers.sql").read_text()).fetchall()}
    assert got == want
    assert want, "the sample has a dictionary attack"


def test_benchmark_script_runs_on_a_small_input(capsys):
    """bench/bench_arrow.py (timed by hand on a quiet machine) still works:
    both ways give one row per line of the sample."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_arrow", REPO / "exim-log-py" / "bench" / "bench_arrow.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    results = mod.main(["--file", str(SAMPLE), "--repeat", "1"])
    n = len(sample_lines())
    assert {name: rows for name, _, rows in results} == {
        "read_arrow, whole table": n,
        "read_arrow, whole table, 1 thread": n,
        "read_arrow, Polars' columns": n,
        "read_arrow, Polars' columns, 1 thread": n,
        "polars": n,
    }
    assert "vs Polars" in capsys.readouterr().out
    # Every column the like-for-like rows ask for is a column of the table
    # (a misspelt name would be dropped silently and make them look faster).
    whole = pa.table(exim_log.read_arrow(str(SAMPLE)))
    assert set(mod.SAME_COLUMNS) <= set(whole.column_names)


def test_columns_keep_the_named_columns_of_the_whole_table():
    whole = pa.table(exim_log.read_arrow(str(SAMPLE)))
    part = pa.table(
        exim_log.read_arrow(str(SAMPLE), columns=["host_ip", "event", "nope", "sender"])
    )
    assert part.column_names == [
        n for n in whole.column_names if n in ("host_ip", "event", "sender")
    ]
    assert part.num_rows == whole.num_rows
    for n in part.column_names:
        assert part.column(n).to_pylist() == whole.column(n).to_pylist(), n
    assert any(v is not None for v in part.column("host_ip").to_pylist())
