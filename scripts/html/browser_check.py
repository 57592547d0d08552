#!/usr/bin/env python3
"""Loads an `exim-log report --html` page in headless Chromium and checks what a
reader gets: no console error or exception (a blocked style or script, a CSP
violation, a dialog opened by log text would all show), no network request but
the page itself, the right number of table rows and chart bars (from the JSON
documents of the same input), the style and the sorting script working, the
dark and print styles applying; saves screenshots (light and dark).

Speaks the DevTools protocol over --remote-debugging-pipe (fds 3 and 4,
NUL-separated JSON): no port is opened, nothing but the standard library is
needed.

    browser_check.py --page PAGE.html --json summary=S.json --json spam=P.json \
        --json abuse=A.json --shots PREFIX [--chromium chromium] [--hostile]
"""

import argparse
import base64
import json
import os
import pathlib
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

TIMEOUT = 60.0


class Browser:
    def __init__(self, chromium, profile):
        cmd_in_r, self.cmd_in_w = os.pipe()
        self.out_r, out_w = os.pipe()

        def child_fds():
            # Copies first: a pipe end may already be fd 3 or 4, and dup2 onto
            # itself would leave it close-on-exec.
            r, w = os.dup(cmd_in_r), os.dup(out_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--mute-audio",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            args,
            preexec_fn=child_fds,
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(profile, "chromium.log"), "wb"),
        )
        os.close(cmd_in_r)
        os.close(out_w)
        self.next_id = 0
        self.replies = {}
        self.events = queue.Queue()
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        while True:
            chunk = os.read(self.out_r, 1 << 16)
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                m = json.loads(msg)
                if "id" in m:
                    with self.cond:
                        self.replies[m["id"]] = m
                        self.cond.notify_all()
                else:
                    self.events.put(m)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        i = self.next_id
        msg = {"id": i, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_in_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while i not in self.replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(method)
                self.cond.wait(left)
            reply = self.replies.pop(i)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method, seen):
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(method)
            e = self.events.get(timeout=left)
            seen.append(e)
            if e.get("method") == method:
                return e

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def at(docs, path):
    parts = path.split(".")
    v = docs[parts[0]]
    for p in parts[1:]:
        v = v[int(p)] if p.isdigit() else v[p]
    return v


# What the page shows, read in the browser.
COUNTS_JS = """
(() => {
  const tables = {};
  document.querySelectorAll('[data-table]').forEach(t => {
    tables[t.dataset.table] = t.tagName === 'TABLE' ? t.tBodies[0].rows.length : 0;
  });
  const charts = [];
  document.querySelectorAll('svg[data-chart]').forEach(s => {
    charts.push([s.dataset.chart, s.dataset.series, s.querySelectorAll('rect.bar').length]);
  });
  return JSON.stringify({
    tables, charts,
    scripts: document.scripts.length,
    handlers: Array.from(document.querySelectorAll('*')).filter(
      e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
    bodyMaxWidth: getComputedStyle(document.body).maxWidth,
    height: document.documentElement.scrollHeight,
  });
})()
"""

# Sorts the first table with 3+ rows by its first numeric column, ascending
# then descending; returns the column's values after each click.
SORT_JS = """
(() => {
  const t = Array.from(document.querySelectorAll('table.sortable'))
    .find(t => t.tBodies[0].rows.length >= 3);
  if (!t) return JSON.stringify(null);
  const row = t.tBodies[0].rows[0];
  const col = Array.from(row.cells).findIndex((c, i) => i > 0 && c.dataset.v !== undefined);
  const values = () => Array.from(t.tBodies[0].rows).map(r => Number(r.cells[col].dataset.v));
  const th = t.tHead.rows[0].cells[col];
  th.click();
  const asc = values();
  const ariaAsc = th.getAttribute('aria-sort');
  th.click();
  const desc = values();
  return JSON.stringify({table: t.dataset.table, asc, desc, ariaAsc,
                         ariaDesc: th.getAttribute('aria-sort')});
})()
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--page", required=True)
    ap.add_argument("--json", action="append", default=[], help="name=FILE")
    ap.add_argument("--shots", required=True, help="screenshot path prefix")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = ap.parse_args()

    docs = {}
    for j in args.json:
        name, path = j.split("=", 1)
        docs[name] = json.loads(pathlib.Path(path).read_text())
    page = pathlib.Path(args.page).resolve()
    url = page.as_uri()
    failures = []

    def fail(msg):
        failures.append(msg)
        print(f"  FAIL {msg}", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="exim-log-chromium-") as profile:
        b = Browser(args.chromium, profile)
        events = []
        try:
            target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log", "Network"):
                b.send(f"{domain}.enable", session=s)
            b.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session=s,
            )
            b.send("Page.navigate", {"url": url}, session=s)
            b.wait_event("Page.loadEventFired", events)

            def evaluate(expr):
                r = b.send(
                    "Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=s
                )
                if "exceptionDetails" in r:
                    raise RuntimeError(f"evaluate: {r['exceptionDetails']}")
                return json.loads(r["result"]["value"])

            got = evaluate(COUNTS_JS)
            # Rows and bars, from the JSON of the same input.
            for path, n in got["tables"].items():
                want = len(at(docs, path))
                if n != want:
                    fail(f"table {path}: {n} rows, JSON has {want}")
            for path, series, n in got["charts"]:
                want = len(at(docs, path))
                if n != want:
                    fail(f"chart {path} {series}: {n} bars, JSON has {want}")
            rows = sum(got["tables"].values())
            bars = sum(n for _, _, n in got["charts"])
            if rows == 0 or bars == 0:
                fail(f"nothing shown: {rows} rows, {bars} bars")
            if got["scripts"] != 1 or got["handlers"] != 0:
                fail(f"{got['scripts']} scripts, {got['handlers']} elements with on* handlers")
            # The style sheet applied (its CSP hash is right).
            if got["bodyMaxWidth"] != "1200px":
                fail(f"style not applied: body max-width {got['bodyMaxWidth']}")
            # The script runs (its CSP hash is right) and sorts.
            sort = evaluate(SORT_JS)
            if sort is not None:
                asc, desc = sort["asc"], sort["desc"]
                if asc != sorted(asc) or desc != sorted(asc, reverse=True):
                    fail(f"sorting {sort['table']}: {asc} then {desc}")
                if (sort["ariaAsc"], sort["ariaDesc"]) != ("ascending", "descending"):
                    fail(f"aria-sort {sort['ariaAsc']}, {sort['ariaDesc']}")
            height = min(int(got["height"]), 16000)

            def shot(path):
                r = b.send(
                    "Page.captureScreenshot",
                    {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1},
                    },
                    session=s,
                )
                pathlib.Path(path).write_bytes(base64.b64decode(r["data"]))
                print(f"  screenshot {path}")

            shot(f"{args.shots}-light.png")
            # Dark and print styles apply.
            bg = "getComputedStyle(document.body).backgroundColor"
            light_bg = evaluate(f"JSON.stringify({bg})")
            b.send(
                "Emulation.setEmulatedMedia",
                {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
                session=s,
            )
            dark_bg = evaluate(f"JSON.stringify({bg})")
            if dark_bg == light_bg:
                fail(f"dark scheme: background stays {light_bg}")
            shot(f"{args.shots}-dark.png")
            b.send("Emulation.setEmulatedMedia", {"media": "print"}, session=s)
            nav = evaluate(
                "JSON.stringify(getComputedStyle(document.querySelector('nav')).display)"
            )
            if nav != "none":
                fail(f"print: nav is displayed ({nav})")
            # Let late events (console, network) arrive.
            time.sleep(0.5)
        finally:
            while not b.events.empty():
                events.append(b.events.get())
            b.close()

    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            fail(f"console {p['type']}: {p.get('args')}")
        elif m == "Runtime.exceptionThrown":
            fail(f"exception: {p.get('exceptionDetails', {}).get('text')}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            fail(f"log {p['entry']['level']}: {p['entry'].get('text')}")
        elif m == "Network.requestWillBeSent" and p.get("request", {}).get("url") != url:
            fail(f"network request: {p['request']['url']}")
        elif m == "Page.javascriptDialogOpening":
            fail(f"a dialog opened: {p.get('message')}")
    requests = sum(1 for e in events if e.get("method") == "Network.requestWillBeSent")
    print(
        f"  {page.name}: {rows} rows and {bars} bars as in the JSON, "
        f"{requests} request (the page), {len(failures)} failures"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
