#!/usr/bin/env python3
"""`exim-log metrics` under a real Prometheus (run by scripts/test-metrics).

Starts the exporter following a main log that already holds lines (they must
not be counted: it starts at the end), starts Prometheus on loopback scraping it
every second, then appends generated lines, rotates the log by rename (with
lines still written to the old file, as Exim does until it reopens its log),
then by copytruncate, and finally checks through Prometheus' HTTP API that the
counters equal what `exim-log summary --json` and `exim-log ndjson` say of the
appended lines. Last, SIGTERM must stop the exporter with status 0.

Every wait is bounded (--timeout seconds each); nothing listens beyond 127.0.0.1.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter


def fail(msg):
    print(f"prometheus_check: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def wait_for(what, limit, probe):
    """Calls probe() until it returns a true value; fails after `limit` s."""
    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except (OSError, ValueError, KeyError, IndexError) as e:
            last = e
        time.sleep(0.2)
    fail(f"timed out after {limit}s waiting for {what} (last: {last!r})")


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(url):
    """The samples of one scrape: {(name, ((label, value), ...)): number}."""
    out = {}
    for line in get(url).splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        if not m:
            fail(f"unparsable exposition line: {line!r}")
        labels = tuple(sorted(LABEL.findall(m.group(3) or "")))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


class Prom:
    def __init__(self, base):
        self.base = base

    def query(self, q):
        url = f"{self.base}/api/v1/query?" + urllib.parse.urlencode({"query": q})
        doc = json.loads(get(url))
        if doc.get("status") != "success":
            raise ValueError(doc)
        return doc["data"]["result"]

    def scalar(self, q):
        r = self.query(q)
        return float(r[0]["value"][1]) if r else 0.0

    def by(self, q, label):
        return {
            s["metric"].get(label, ""): float(s["value"][1]) for s in self.query(q)
        }


def append(path, lines):
    with open(path, "ab") as f:
        f.writelines(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exim-log", required=True)
    ap.add_argument("--genlog", required=True)
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--size", default="300k", help="generated log size")
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="exim-log-prom-")
    procs = []
    try:
        log = os.path.join(work, "mainlog")
        old = subprocess.run(
            [a.genlog, "--size", "20k", "--seed", "5"], check=True, capture_output=True
        ).stdout.splitlines(keepends=True)
        new = subprocess.run(
            [a.genlog, "--size", a.size, "--seed", "11"], check=True, capture_output=True
        ).stdout.splitlines(keepends=True)
        # Lines that are not Exim lines must be counted as such.
        new.insert(len(new) // 3, b"this is not an exim log line\n")
        with open(log, "wb") as f:
            f.writelines(old)

        exporter = subprocess.Popen(
            [a.exim_log, "metrics", "--listen", "127.0.0.1:0", "--follow",
             "--poll-ms", "200", "--rotate-wait", "3", log],
            stderr=subprocess.PIPE, text=True,
        )
        procs.append(exporter)
        first = exporter.stderr.readline()
        m = re.search(r"http://(\S+)/metrics", first)
        if not m:
            fail(f"exporter did not say where it listens: {first!r}")
        target = m.group(1)
        metrics_url = f"http://{target}/metrics"

        pport = free_port()
        conf = os.path.join(work, "prometheus.yml")
        with open(conf, "w") as f:
            f.write(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: exim\n"
                f"    static_configs:\n      - targets: ['{target}']\n"
            )
        prom_log = open(os.path.join(work, "prometheus.log"), "w")
        prom = subprocess.Popen(
            [a.prometheus, f"--config.file={conf}",
             f"--storage.tsdb.path={os.path.join(work, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{pport}", "--log.level=warn"],
            stdout=prom_log, stderr=prom_log,
        )
        procs.append(prom)
        base = f"http://127.0.0.1:{pport}"
        p = Prom(base)
        wait_for("Prometheus ready", a.timeout, lambda: "Ready" in get(f"{base}/-/ready"))
        # Prometheus has scraped the exporter: the pre-existing lines are not counted.
        wait_for("a first scrape", a.timeout, lambda: p.query('up{job="exim"} == 1'))
        if p.scalar("exim_log_lines_total") != 0:
            fail("lines already in the log were counted (the default is to start at its end)")

        n = len(new)
        cuts = [0, n * 2 // 10, n * 4 // 10, n // 2, n * 6 // 10, n * 7 // 10, n * 8 // 10, n]
        parts = [new[cuts[i]:cuts[i + 1]] for i in range(len(cuts) - 1)]
        append(log, parts[0])
        time.sleep(0.5)
        append(log, parts[1])
        time.sleep(0.5)
        # Rename rotation; Exim keeps writing to the old file for a moment.
        os.rename(log, log + ".1")
        append(log + ".1", parts[2])
        append(log, parts[3])
        time.sleep(1)
        append(log, parts[4])
        # copytruncate (logrotate): lines appended just before the copy are read
        # from the copy when the follower had not read them yet.
        append(log, parts[5])
        os.rename(log + ".1", log + ".2")
        shutil.copyfile(log, log + ".1")
        with open(log, "r+b") as f:
            f.truncate(0)
        time.sleep(0.5)
        append(log, parts[6])

        appended = os.path.join(work, "appended.log")
        with open(appended, "wb") as f:
            f.writelines(new)
        nbytes = sum(len(x) for x in new)

        def exporter_done():
            s = scrape(metrics_url)
            return s.get(("exim_log_lines_total", ())) == n and s
        wait_for(f"the exporter to count {n} lines", a.timeout, exporter_done)
        wait_for("Prometheus to store the last count", a.timeout,
                 lambda: p.scalar("exim_log_lines_total") == n)

        summary = json.loads(subprocess.run(
            [a.exim_log, "summary", "--json", "--top", "100000", appended],
            check=True, capture_output=True).stdout)
        t = summary["totals"]
        events = Counter()
        for line in subprocess.run([a.exim_log, "ndjson", appended], check=True,
                                   capture_output=True).stdout.splitlines():
            d = json.loads(line)
            events[d.get("event", "(parse error)")] += 1

        checks = [
            ("lines", p.scalar("exim_log_lines_total"), n),
            ("bytes", p.scalar("exim_log_bytes_total"), nbytes),
            ("parse errors", p.scalar("exim_log_parse_errors_total"), events["(parse error)"]),
            ("unknown lines", p.scalar("exim_log_unknown_lines_total"), events["unknown"]),
            ("received", p.scalar('exim_messages_total{flag="arrived"}'), t["received"]["messages"]),
            ("received bytes", p.scalar("exim_received_bytes_total"), t["received"]["bytes"]),
            ("delivered messages",
             p.scalar('sum(exim_messages_total{flag=~"delivered|cutthrough|suppressed"})'),
             t["delivered"]["messages"]),
            ("delivered addresses", p.scalar("sum(exim_deliveries_total)"),
             t["delivered"]["addresses"]),
            ("deferral lines", p.scalar('exim_messages_total{flag="deferred"}'), t["deferral_lines"]),
            ("failed addresses", p.scalar('exim_messages_total{flag="failed"}'), t["failed_addresses"]),
            ("completed", p.scalar('exim_messages_total{flag="completed"}'), t["completed"]),
            ("rejects", p.scalar("sum(exim_rejections_total)"), t["rejects"]),
            ("temporary rejects", p.scalar("sum(exim_temporary_rejections_total)"),
             t["temporary_rejects"]),
            ("auth failures", p.scalar("sum(exim_auth_failures_total)"), events["auth_failed"]),
            ("connections", p.scalar("exim_smtp_connections_total"), events["connection_open"]),
            ("transports", p.by("exim_deliveries_total", "transport"),
             {r["key"]: r["addresses"] for r in summary["transports"]}),
            ("reject reasons", p.by("sum by (reason) (exim_rejections_total)", "reason"),
             {r["key"]: r["count"] for r in summary["reject_reasons"]}),
            ("events", p.by("exim_events_total", "event"),
             {k: v for k, v in events.items() if k != "(parse error)"}),
        ]
        bad = 0
        for name, got, want in checks:
            if isinstance(want, dict):
                want = {k: float(v) for k, v in sorted(want.items())}
            else:
                want = float(want)
            ok = got == want
            bad += not ok
            print(f"  {'ok ' if ok else 'BAD'} {name}: prometheus {got} summary/ndjson {want}")
        if t["received"]["messages"] == 0 or t["rejects"] == 0 or not summary["transports"]:
            fail("the generated log has no arrivals, rejections or transports: nothing was compared")
        if bad:
            fail(f"{bad} of {len(checks)} comparisons differ")

        exporter.send_signal(signal.SIGTERM)
        try:
            code = exporter.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fail("the exporter did not stop within 10 s of SIGTERM")
        if code != 0:
            fail(f"the exporter exited with {code} on SIGTERM")
        print(f"prometheus_check: ok: {n} lines through 2 rotations, {len(checks)} comparisons, "
              "clean SIGTERM")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if a.keep:
            print(f"prometheus_check: work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
