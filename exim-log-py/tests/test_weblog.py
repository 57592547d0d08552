"""Web access logs and web origins from Python, on the bundled sample
(examples/data: the generated mainlog, the queue Exim wrote, the domlogs of
the requests that ran the compromised script): the values the library finds,
checked against what the data holds."""

from __future__ import annotations

import gzip

import pytest

import exim_log
from conftest import REPO

DATA = REPO / "examples" / "data"
SCRIPT = "/home/farmurba/public_html/wp-includes/css/dist/.cache"
ATTACKER = "198.18.84.178"


def test_parse_access_line_values() -> None:
    d = exim_log.parse_access_line(
        '203.0.113.9 - bob [05/Dec/2026:10:49:58 +0100] "POST /up/x.php?a=1 HTTP/1.1" '
        '200 5120 "https://shop.example/" "curl/8.0"\n'
    )
    assert d["client"] == "203.0.113.9"
    assert d["user"] == "bob"
    assert "ident" not in d
    assert d["time"] == "2026-12-05T10:49:58+01:00"
    assert d["request"] == "POST /up/x.php?a=1 HTTP/1.1"
    assert (d["status"], d["bytes"]) == (200, 5120)
    assert d["referer"] == "https://shop.example/"
    assert d["user_agent"] == "curl/8.0"
    with pytest.raises(exim_log.ParseError) as e:
        exim_log.parse_access_line(b"203.0.113.9 - - [05/Dec/2026:10:49:58 +0100] \"GET /")
    assert e.value.kind == "request"


def test_domlogs_and_access_lines(tmp_path) -> None:
    sets = exim_log.domlogs(DATA / "domlogs")
    farm = [s for s in sets if s["user"] == "farmurba"]
    assert sorted((s["domain"], s["ssl"]) for s in farm) == [
        ("www.farmurba.example", False),
        ("www.farmurba.example", True),
    ]
    lines = [d for s in farm for d in exim_log.access_lines(s["files"])]
    raw = sum(
        1 for s in farm for f in s["files"] for _ in open(f, encoding="utf-8")
    )
    assert len(lines) == raw > 0
    posts = [d for d in lines if d["client"] == ATTACKER]
    # One request per message the script sent: 4 in the sample mainlog, 4 in
    # the spool's own log.
    assert len(posts) == 8
    assert {d["request"].split()[1] for d in posts} == {SCRIPT[len("/home/farmurba/public_html"):] + "/wp-mail.php"}
    assert {d["user_agent"] for d in posts} == {"python-requests/2.31"}

    # gzip, and a broken line: raised with its place, or skipped.
    p = tmp_path / "site.example.gz"
    good = 'a.b.c.d - - [05/Dec/2026:10:49:58 +0000] "GET / HTTP/1.1" 200 1 "-" "x"\n'
    good = good.replace("a.b.c.d", "192.0.2.7")
    p.write_bytes(gzip.compress((good + "not a log line\n" + good).encode()))
    with pytest.raises(exim_log.ParseError) as e:
        list(exim_log.access_lines([p]))
    assert e.value.line == 2
    assert [d["client"] for d in exim_log.access_lines([p], errors="skip")] == ["192.0.2.7"] * 2


def test_web_origins_from_the_mainlog_and_from_the_queue() -> None:
    r = exim_log.web_origins(DATA / "mainlog", domlogs=[DATA / "domlogs"])
    s = [s for s in r["scripts"] if s["dir"] == SCRIPT][0]
    assert (s["messages"], s["explained"], s["from_queue"]) == (4, 4, False)
    assert s["site"] == {"domain": None, "user": "farmurba", "url_prefix": "/wp-includes/css/dist/.cache"}
    assert s["clients"][0] == {"key": ATTACKER, "messages": 4, "requests": 4}
    assert all(c["messages"] < 4 for c in s["clients"][1:])
    # The daemon's deliveries (cwd=/var/spool/exim) are not scripts.
    assert all(x["dir"].startswith("/home/") for x in r["scripts"])

    q = exim_log.web_origins(queue=[DATA / "spool"], domlogs=[DATA / "domlogs"], window=5)
    assert r["window"] == 10 and q["window"] == 5
    [s] = q["scripts"]
    assert s["from_queue"] is True
    assert s["dir"] == "www.farmurba.example/wp-includes/css/dist/.cache/wp-mail.php"
    assert (s["messages"], s["explained"]) == (4, 4)
    assert [c["key"] for c in s["clients"]] == [ATTACKER]

    # Equal to the command's JSON.
    cli = exim_log.web_origins(DATA / "mainlog", domlogs=[DATA / "domlogs"], top=5)
    assert cli == r
    # Within the default budget: exact; a small one gives the same here.
    assert (r["resolution"], r["approximate"], r["scripts_dropped"]) == (1, False, 0)
    assert r["memory"]["budget"] == 32 << 20 and 0 < r["memory"]["peak"] <= r["memory"]["budget"]
    small = exim_log.web_origins(DATA / "mainlog", domlogs=[DATA / "domlogs"], memory_budget=1 << 20)
    assert small["memory"]["budget"] == 1 << 20
    small.pop("memory"), r.pop("memory")
    assert small == r


def test_web_origins_with_cpanel_userdata(tmp_path) -> None:
    u = tmp_path / "farmurba"
    u.mkdir()
    (u / "farmurba.example").write_text(
        "documentroot: /home/farmurba/public_html\nservername: farmurba.example\n"
    )
    r = exim_log.web_origins(
        DATA / "mainlog", domlogs=[DATA / "domlogs"], cpanel_userdata=tmp_path
    )
    s = [s for s in r["scripts"] if s["dir"] == SCRIPT][0]
    assert s["site"]["domain"] == "farmurba.example"
    assert s["clients"][0]["key"] == ATTACKER
    # A document root elsewhere maps the folder to another URL: nothing matches.
    (u / "farmurba.example").write_text(
        "documentroot: /home/farmurba/public_html/wp-includes\nservername: farmurba.example\n"
    )
    r = exim_log.web_origins(
        DATA / "mainlog", domlogs=[DATA / "domlogs"], cpanel_userdata=tmp_path
    )
    s = [s for s in r["scripts"] if s["dir"] == SCRIPT][0]
    assert s["site"]["url_prefix"] == "/css/dist/.cache"
    assert s["explained"] == 0


def test_queue_linked_to_the_log() -> None:
    spool = DATA / "spool"
    r = exim_log.queue(spool, logs=spool / "log" / "mainlog").to_dict()
    assert r["totals"]["linked"] == 4
    [script] = [s for s in r["sections"] if s["kind"] == "script"]
    assert [(x["key"], x["messages"]) for x in script["rows"]] == [(SCRIPT, 4)]
    [subjects] = [s for s in r["sections"] if s["kind"] == "subject"]
    assert "Ihre Rechnung ist überfällig" in {x["key"] for x in subjects["rows"]}
    plain = exim_log.queue(spool).to_dict()
    assert plain["totals"]["linked"] == 0
    # A listing gets the user from the log.
    ids = [h.id for h in exim_log.spool(spool)][:2]
    listing = "".join(f" 5m   700 {i} <x@example.com>\n          a@example.com\n\n" for i in ids)
    r = exim_log.queue(listing, logs=spool / "log" / "mainlog").to_dict()
    [users] = [s for s in r["sections"] if s["kind"] == "user"]
    assert [(x["key"], x["messages"]) for x in users["rows"]] == [("farmurba", 2)]
