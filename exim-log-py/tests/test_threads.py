"""Parsing from several threads at once gives the same results as one thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import exim_log
from conftest import ARGUMENTS, ARRIVAL, COMPLETED


def corpus_text(seed: int) -> bytes:
    lines = []
    for i in range(20_000):
        k = (i * 7 + seed) % 4
        lines.append([ARGUMENTS, ARRIVAL, COMPLETED, f"2024-05-25 11:10:{i % 60:02d} n{i}"][k])
    return ("\n".join(lines) + "\n").encode()


def summarize(data: bytes) -> list[tuple]:
    return [(l.line_number, l.event, l.message_id, l.raw) for l in exim_log.lines(data)]


def test_thread_pool_reads_agree_with_sequential() -> None:
    inputs = [corpus_text(s) for s in range(8)]
    expected = [summarize(d) for d in inputs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(summarize, inputs))
    assert got == expected


def test_one_line_shared_between_threads() -> None:
    line = exim_log.parse_line(COMPLETED)
    expected = line.to_dict()
    with ThreadPoolExecutor(max_workers=4) as pool:
        dicts = list(pool.map(lambda _: line.to_dict(), range(200)))
        parsed = list(pool.map(exim_log.parse_line, [COMPLETED] * 200))
    assert all(d == expected for d in dicts)
    assert all(p == line for p in parsed)


def test_thread_pool_reads_gzip_files_and_assembles(tmp_path) -> None:
    import gzip

    paths = []
    for s in range(6):
        p = tmp_path / f"mainlog.{s}.gz"
        p.write_bytes(gzip.compress(corpus_text(s)))
        paths.append(p)

    def work(p):
        n = sum(1 for _ in exim_log.lines(p))
        ids = [m.id for m in exim_log.messages(p)]
        return n, ids

    expected = [work(p) for p in paths]
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(pool.map(work, paths)) == expected
    assert all(n == 20_000 for n, _ in expected)
    assert all(ids for _, ids in expected)


def _drain_shared(it, n_threads: int = 2) -> list:
    """Consumes one iterator from `n_threads` threads at once; every item seen."""
    import threading

    seen: list[list] = [[] for _ in range(n_threads)]
    errors: list[BaseException] = []
    start = threading.Barrier(n_threads)

    def work(k: int) -> None:
        start.wait()
        try:
            for item in it:
                seen[k].append(item)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hangs on the shared iterator"
    assert errors == []
    return [x for s in seen for x in s]


def test_one_lines_iterator_shared_by_two_threads() -> None:
    # Many batches (BATCH_BYTES each), so both threads refill the iterator.
    data = b"".join(corpus_text(s) for s in range(4))
    n = data.count(b"\n")
    got = _drain_shared(exim_log.lines(data))
    numbers = sorted(l.line_number for l in got)
    assert numbers == list(range(1, n + 1))  # every line exactly once


def test_one_messages_iterator_shared_by_two_threads() -> None:
    data = b"".join(corpus_text(s) for s in range(4))
    expected = sorted(m.id for m in exim_log.messages(data))
    assert expected
    got = _drain_shared(exim_log.messages(data))
    assert sorted(m.id for m in got) == expected
