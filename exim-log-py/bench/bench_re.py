"""exim_log against a plain `re` parser, on the same generated mainlog, in one process.

Usage: python bench/bench_re.py [--lines N] [--repeat R] [--file PATH]

Without --file, writes a realistic mainlog of N lines (arrivals with TLS, auth and
subject, deliveries, deferrals, bounces, Completed, SMTP connections and rejections)
to a temporary file. Both parsers then iterate the file and read the same few fields
of each line: timestamp, message id, flag, and for arrivals the size and the host's
IP address. For context it also times `to_dict()` of every line (every field,
decoded, as the Rust JSON).

The `re` baseline only splits the prefix and the `key=value` pairs: it does not
decode anything, and gets `H=name (helo) [ip]` wrong. exim_log gives every field,
decoded. Prints lines/s of each and the ratio; the best of R runs is kept.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import tempfile
import time

import exim_log

PREFIX = re.compile(
    rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?)(?: [-+]\d{4})?"
    rb"(?: \[(\d+)\])?"
    rb"(?: ([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}))?"
    rb"(?: (<=|\(=|=>|->|>>|\*>|\*\*|==))? ?(.*)$"
)
KV = re.compile(rb'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def re_parse(path: str) -> tuple[int, int]:
    """The same job with `re`: prefix + key=value pairs, a dict per line."""
    n = 0
    total = 0
    with open(path, "rb") as f:
        for raw in f:
            m = PREFIX.match(raw.rstrip(b"\n"))
            if m is None:
                continue
            ts, pid, msgid, flag, rest = m.groups()
            fields = dict(KV.findall(rest))
            if flag == b"<=":
                size = fields.get(b"S")
                # Only the first word of H=: a name, "(helo)" or "[ip]", whichever
                # comes first. Splitting key=value pairs cannot do better.
                host = fields.get(b"H")
                if size is not None:
                    total += int(size)
                if host is not None and msgid:
                    total += len(host)
            elif ts and flag:
                total += 1
            n += 1
    return n, total


def exim_log_parse(path: str) -> tuple[int, int]:
    """The job with exim_log: every field parsed and decoded, a few read."""
    n = 0
    total = 0
    for line in exim_log.lines(path, errors="skip"):
        ts = line.timestamp
        flag = line.flag
        msgid = line.message_id
        if flag == "<=":
            size = line.size
            host = line.host
            if size is not None:
                total += size
            if host is not None and msgid:
                total += len(host.ip)
        elif ts and flag:
            total += 1
        n += 1
    return n, total


def exim_log_to_dict(path: str) -> tuple[int, int]:
    """Every field of every line, decoded, as dicts (the Rust JSON objects)."""
    n = 0
    total = 0
    for line in exim_log.lines(path, errors="skip"):
        total += len(line.to_dict())
        n += 1
    return n, total


def generate(path: str, n: int, seed: int = 42) -> None:
    """Writes n realistic mainlog lines (no real hosts or addresses)."""
    rnd = random.Random(seed)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

    def b62(k: int) -> str:
        return "".join(rnd.choice(alphabet) for _ in range(k))

    users = ["alice", "bob", "carol", "dave", "erin", "frank", "www-data", "info"]
    domains = ["example.com", "example.org", "example.net", "mail.example.com"]
    subjects = ["Invoice 2024-0917", "Re: meeting", 'Your \\"account\\" is locked', "hi"]
    t = 1_700_000_000
    out = []
    i = 0
    while i < n:
        t += rnd.randint(0, 3)
        lt = time.gmtime(t)
        ts = time.strftime("%Y-%m-%d %H:%M:%S", lt)
        mid = f"{b62(6)}-{b62(11)}-{b62(4)}"
        ip = f"192.0.2.{rnd.randint(1, 254)}"
        sender = f"{rnd.choice(users)}@{rnd.choice(domains)}"
        rcpt = f"{rnd.choice(users)}@{rnd.choice(domains)}"
        kind = rnd.random()
        if kind < 0.08:
            out.append(f"{ts} SMTP connection from [{ip}]:{rnd.randint(1024, 65535)} (TCP/IP connection count = 3)")
            i += 1
            continue
        if kind < 0.16:
            out.append(
                f"{ts} H=(helo{rnd.randint(1, 99)}.example.net) [{ip}] F=<{sender}> "
                f"rejected RCPT <{rcpt}>: Unrouteable address"
            )
            i += 1
            continue
        out.append(
            f"{ts} {mid} <= {sender} H=mail{rnd.randint(1, 9)}.example.com "
            f"(helo.example.com) [{ip}]:{rnd.randint(1024, 65535)} I=[198.51.100.1]:25 "
            f"P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no "
            f"A=dovecot_plain:{rnd.choice(users)} S={rnd.randint(500, 90000)} "
            f"id={b62(12)}@{rnd.choice(domains)} T=\"{rnd.choice(subjects)}\""
        )
        ts2 = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t + 1))
        r = rnd.random()
        if r < 0.75:
            out.append(
                f"{ts2} {mid} => {rcpt} R=dnslookup T=remote_smtp H=mx.{rnd.choice(domains)} "
                f"[203.0.113.{rnd.randint(1, 254)}] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes "
                f"C=\"250 2.0.0 OK id={b62(8)}\" QT=1s DT=0.4s"
            )
        elif r < 0.9:
            out.append(
                f"{ts2} {mid} == {rcpt} R=dnslookup T=remote_smtp defer (-44) H=mx.example.net "
                f"[203.0.113.9]: SMTP error from remote mail server after RCPT TO:<{rcpt}>: "
                f"451 4.7.1 Greylisted, try again later"
            )
        else:
            out.append(
                f"{ts2} {mid} ** {rcpt} R=dnslookup T=remote_smtp H=mx.example.net "
                f"[203.0.113.7]: SMTP error from remote mail server after RCPT TO:<{rcpt}>: "
                f"550 5.1.1 User unknown"
            )
        out.append(f"{ts2} {mid} Completed QT=1s")
        i += 3
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out[:n]) + "\n")


def best_of(fns: list, path: str, repeat: int) -> list[tuple[float, int]]:
    """Best time and line count of each function. The runs are interleaved, so a
    change in machine load hits both parsers alike."""
    times = [float("inf")] * len(fns)
    counts = [0] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            counts[i] = fn(path)[0]
            times[i] = min(times[i], time.perf_counter() - t0)
    return list(zip(times, counts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--file", help="an existing mainlog instead of a generated one")
    args = ap.parse_args()
    tmp = None
    path = args.file
    if path is None:
        fd, tmp = tempfile.mkstemp(suffix=".mainlog")
        os.close(fd)
        path = tmp
        generate(path, args.lines)
    try:
        size = os.path.getsize(path)
        (t_re, n_re), (t_ex, n_ex), (t_dict, n_dict) = best_of(
            [re_parse, exim_log_parse, exim_log_to_dict], path, args.repeat
        )
        print(f"file: {path} ({size / 1e6:.1f} MB, {n_ex} lines)")
        print(f"re       : {n_re / t_re:12,.0f} lines/s  ({t_re:.3f} s)")
        print(f"exim_log : {n_ex / t_ex:12,.0f} lines/s  ({t_ex:.3f} s)")
        print(f"ratio    : {t_re / t_ex:.2f}x faster than re")
        print(f"to_dict(): {n_dict / t_dict:12,.0f} lines/s  ({t_dict:.3f} s, every field)")
    finally:
        if tmp is not None:
            os.unlink(tmp)


if __name__ == "__main__":
    main()
