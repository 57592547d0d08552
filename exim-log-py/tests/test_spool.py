"""The mail queue: spool -H files and `exim -bp` output, on the spool samples
Debian's Exim wrote (exim-log/tests/data/spool, made by scripts/make-spool-samples)."""

from __future__ import annotations

import pathlib

import pytest

import exim_log
from conftest import REPO

SAMPLES = REPO / "exim-log" / "tests" / "data" / "spool"


def queue(name: str) -> list[exim_log.SpoolHeader]:
    return exim_log.spool(SAMPLES / name)


def by_recipient(files: list[exim_log.SpoolHeader], rcpt: str) -> exim_log.SpoolHeader:
    found = [h for h in files if any(r["address"] == rcpt for r in h.recipients)]
    assert len(found) == 1, rcpt
    return found[0]


def test_php_message_fields() -> None:
    h = by_recipient(queue("flat"), "victim1@later.example")
    assert (h.login, h.uid, h.gid) == ("nobody", 65534, 65534)
    assert h.sender == "nobody@spool-test.example"
    assert h.envelope["received_protocol"] == "local"
    assert h.envelope["auth_id"] == "nobody"
    assert h.originating_script == {"uid": 1000, "script": "mailer.php"}
    assert h.php_script == {
        "host": "www.shop.example",
        "path": "/wp-content/uploads/mailer.php",
        "client": "198.51.100.23",
        "clients": "198.51.100.23",
    }
    assert h.subject == "Your account needs verification"
    assert h.header("x-php-originating-script") == "1000:mailer.php"
    assert not h.frozen
    assert h.path is not None and h.path.endswith(f"{h.id}-H")


def test_authenticated_message_fields() -> None:
    h = by_recipient(queue("flat"), "four@later.example")
    env = h.envelope
    assert env["host_address"] == {"ip": "203.0.113.45", "port": 50123}
    assert env["interface_address"] == {"ip": "192.0.2.25", "port": 587}
    assert env["helo_name"] == "attacker-helo.example"
    assert env["auth_id"] == "spammer@shop.example"
    assert env["auth_sender"] == "spammer@shop.example"
    assert env["host_auth"] == "dovecot_login"
    rcpt = h.recipients
    assert rcpt[1] == {
        "address": "two@sink.example",
        "orcpt": "rfc822;Two@Sink.Example",
        "dsn_flags": 20,
    }
    assert sorted(h.non_recipients) == ["one@sink.example", "three@sink.example", "two@sink.example"]
    assert h.is_delivered("one@sink.example") and not h.is_delivered("four@later.example")
    folded = [x for x in h.headers if x["name"] == "X-Long"][0]
    assert folded["text"] == "X-Long: a header folded\n over three\n\tlines\n"
    assert folded["length"] == len(folded["text"])
    removed = [x for x in h.headers if x["name"] == "X-Remove-Me"][0]
    assert removed["flag"] == "*"
    assert h.header("X-Remove-Me") is None


def test_frozen_and_8bit() -> None:
    files = queue("flat")
    frozen = by_recipient(files, "postmaster@later.example")
    assert frozen.frozen and frozen.sender == ""
    assert frozen.envelope["frozen"] >= frozen.received_time
    thawed = by_recipient(files, "thawed@later.example")
    assert not thawed.frozen and thawed.envelope["manual_thaw"] is True
    assert thawed.subject == "Caf\ufffd 8-bit subject"


def test_listing_equals_spool() -> None:
    for name in ("flat", "split"):
        files = queue(name)
        listing = exim_log.parse_queue_listing((SAMPLES / f"{name}.bp").read_bytes())
        assert [e["id"] for e in listing] == [h.id for h in files]
        for e, h in zip(listing, files):
            assert e["sender"] == h.sender
            assert e["frozen"] == h.frozen
            assert [(r["address"], r["delivered"]) for r in e["recipients"]] == [
                (r["address"], h.is_delivered(r["address"])) for r in h.recipients
            ]
            size = h.listing_size
            assert size is not None
            if size < 1024:
                assert e["size"] == str(size)
            else:
                assert e["size"] == f"{size / 1024:.1f}K"
            assert e["age"] == "0m" and e["age_minutes"] == 0


def test_to_dict_is_the_attributes() -> None:
    for h in queue("flat"):
        d = h.to_dict()
        assert d["id"] == h.id
        for key in ("login", "uid", "sender", "envelope", "recipients", "headers", "variables"):
            assert d[key] == getattr(h, key), key
        assert exim_log.parse_spool_header(pathlib.Path(h.path or "").read_bytes()).to_dict() == d


def test_errors() -> None:
    data = (SAMPLES / "flat" / "input").glob("*-H")
    good = next(iter(data)).read_bytes()
    bad = good.replace(b"\n<", b"\n(", 1)
    with pytest.raises(exim_log.ParseError) as info:
        exim_log.parse_spool_header(bad)
    assert info.value.kind == "sender_line"
    assert info.value.offset == good.index(b"\n<") + 1
    assert isinstance(info.value, ValueError)
    with pytest.raises(exim_log.ParseError):
        exim_log.parse_queue_listing("nonsense here\n")
    assert exim_log.parse_queue_listing("nonsense here\n", errors="skip") == []
    with pytest.raises(OSError):
        exim_log.spool(SAMPLES / "no-such-dir")


def test_split_spool() -> None:
    files = queue("split")
    assert len(files) == 2
    for h in files:
        assert pathlib.Path(h.path or "").parent.name == h.id[5]
        assert h.originating_script == {"uid": 1001, "script": "contact-form.php"}


def rust_json(args: list[str]) -> list[dict]:
    """The `exim-log queue` program's JSON for the same input: one object per
    line with `--each`, one (indented) document with `--json`."""
    import json
    import shutil
    import subprocess

    from conftest import in_ci

    cargo = shutil.which("cargo")
    if cargo is None or not (REPO / "Cargo.toml").is_file():
        if in_ci():
            pytest.fail("cargo and the repository are required under CI")
        pytest.skip("cargo or the repository checkout not available")
    proc = subprocess.run(
        [cargo, "run", "-q", "-p", "exim-log-cli", "--", "queue"] + args,
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    if "--json" in args:
        return [json.loads(proc.stdout)]
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_json_equal_in_rust_and_python() -> None:
    for name in ("flat", "split"):
        rust = rust_json(["--each", str(SAMPLES / name)])
        assert rust == [h.to_dict() for h in queue(name)]
        rust = rust_json(["--each", str(SAMPLES / f"{name}.bp")])
        assert rust == exim_log.parse_queue_listing((SAMPLES / f"{name}.bp").read_text())
    now = queue("flat")[0].received_time + 60
    (report,) = rust_json(["--json", "--top", "5", str(SAMPLES / "flat")])
    # The program counts ages at the current time; the report here at `now`.
    py = exim_log.queue(SAMPLES / "flat", top=5, now=now).to_dict()
    for d in (report, py):
        d.pop("ages")
    assert report == py


def test_queue_report() -> None:
    files = queue("flat")
    now = files[0].received_time + 60
    r = exim_log.queue(SAMPLES / "flat", now=now)
    assert r.name == "queue"
    d = r.to_dict()
    assert d["totals"]["messages"] == 6 and d["totals"]["frozen"] == 2
    assert d["ages"]["under_1h"] == 6
    clients = [s for s in d["sections"] if s["kind"] == "web_client"][0]["rows"]
    assert [(c["key"], c["messages"]) for c in clients] == [("198.51.100.23", 2)]
    assert clients[0]["ids"] == [h.id for h in files if h.php_script]

    # The listing, as text, bytes or a file path; merged with the split spool.
    listing = (SAMPLES / "flat.bp").read_text()
    for src in (listing, listing.encode(), SAMPLES / "flat.bp", str(SAMPLES / "flat.bp")):
        assert exim_log.queue(src, now=now).to_dict()["totals"]["messages"] == 6
    both = exim_log.queue(SAMPLES / "flat", now=now)
    both.merge(exim_log.queue(SAMPLES / "split", now=now))
    assert both.to_dict()["totals"]["messages"] == 8
    with pytest.raises(ValueError):
        both.merge(exim_log.summary(b""))
