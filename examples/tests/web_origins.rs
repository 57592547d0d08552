//! `exim-log web-origins` on a generated mainlog and its domlogs
//! (`exim_log_benches::weblogs`): the attacker of each compromised script is
//! its top client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::Command;

use exim_log_benches::{Config, generate, weblogs};

#[test]
fn names_the_attacker_of_each_compromised_script() {
    let mut c = Config::with_incidents(41, 300 << 10);
    c.compromised_scripts = 2;
    let (log, truth) = generate(&c);
    let (files, web) = weblogs::domlogs(&log, 41, &truth.incidents.compromised_scripts);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mainlog"), &log).unwrap();
    for (name, data) in &files {
        let p = dir.path().join("domlogs").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .args(["web-origins", "--json", "--domlogs"])
        .arg(dir.path().join("domlogs"))
        .arg(dir.path().join("mainlog"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The default budget is not hit: exact, and nothing said on stderr.
    assert_eq!(
        (&v["resolution"], &v["approximate"], &v["memory"]["hits"]),
        (&1.into(), &false.into(), &0.into())
    );
    assert_eq!(v["memory"]["budget"], 32 << 20);
    assert!(v["assembler_memory"]["peak"].as_u64().unwrap() > 0);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (script, ip) in &web.attackers {
        let s = v["scripts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["dir"] == script.as_str())
            .unwrap();
        assert_eq!(s["clients"][0]["key"], ip.as_str(), "{script}");
        assert_eq!(s["explained"], s["messages"]);
    }
    // Text output names them too.
    let text = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .args(["web-origins", "--domlogs"])
        .arg(dir.path().join("domlogs"))
        .arg(dir.path().join("mainlog"))
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    for ip in web.attackers.values() {
        assert!(text.contains(ip.as_str()), "{text}");
    }
}

fn web_origins(args: &[&str]) -> serde_json::Value {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
    let out = Command::new(env!("CARGO_BIN_EXE_exim-log"))
        .current_dir(data)
        .args(["web-origins", "--json", "--domlogs", "domlogs"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The bundled queue's `X-PHP-Script` headers (Exim-written spool) and the
/// bundled access logs: the requests for that script's path name the
/// attacker the generator put there, for every queued message; no mainlog is
/// read when only `--queue` is given.
#[test]
fn origins_of_the_queued_messages_from_x_php_script() {
    let (_, truth) = generate(&exim_log_benches::sample_config());
    let script = &truth.incidents.compromised_scripts[0];
    let (_, web) = weblogs::sample_domlogs(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/spool/log/mainlog"
        ))
        .unwrap(),
    );
    let v = web_origins(&["--queue", "spool"]);
    let scripts = v["scripts"].as_array().unwrap();
    assert_eq!(scripts.len(), 1, "{v}");
    let s = &scripts[0];
    assert_eq!(s["from_queue"], true);
    assert_eq!(
        s["dir"],
        "www.farmurba.example/wp-includes/css/dist/.cache/wp-mail.php"
    );
    assert_eq!(
        (s["messages"].as_u64(), s["explained"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(s["clients"][0]["key"], web.attackers[script].as_str());
    assert_eq!(s["clients"].as_array().unwrap().len(), 1, "{s}");
}

/// cPanel's user data: the site's document root and name come from
/// `/var/cpanel/userdata/USER/DOMAIN` when given.
#[test]
fn cpanel_userdata_maps_the_script_to_its_site() {
    let userdata = tempfile::tempdir().unwrap();
    let user = userdata.path().join("farmurba");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(
        user.join("farmurba.example"),
        "---\ndocumentroot: /home/farmurba/public_html\nhomedir: /home/farmurba\n\
         servername: farmurba.example\nserveralias: www.farmurba.example\nuser: farmurba\n",
    )
    .unwrap();
    // An SSL twin and the account's list are not sites.
    std::fs::write(
        user.join("farmurba.example_SSL"),
        "documentroot: /elsewhere\n",
    )
    .unwrap();
    std::fs::write(user.join("main"), "main_domain: farmurba.example\n").unwrap();
    let v = web_origins(&[
        "--sample",
        "--cpanel-userdata",
        userdata.path().to_str().unwrap(),
    ]);
    let s = v["scripts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["dir"].as_str().unwrap().starts_with("/home/farmurba/"))
        .unwrap();
    assert_eq!(s["site"]["domain"], "farmurba.example");
    assert_eq!(s["site"]["url_prefix"], "/wp-includes/css/dist/.cache");
    // The access logs are www.farmurba.example's: the same site.
    assert_eq!(
        (s["messages"].as_u64(), s["explained"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(s["clients"][0]["key"], "198.18.84.178");
}

/// `2024-05-25 00:00:00` plus `t` seconds, as the mainlog writes it and as
/// an access log does.
fn times(t: u64) -> (String, String) {
    let (day, h, m, s) = (25 + t / 86_400, t % 86_400 / 3600, t % 3600 / 60, t % 60);
    (
        format!("2024-05-{day:02} {h:02}:{m:02}:{s:02}"),
        format!("[{day:02}/May/2024:{h:02}:{m:02}:{s:02} +0000]"),
    )
}

#[test]
fn memory_budget_bounds_the_arrivals_and_says_so() {
    // One script sends a message every 7 s for three days (40,000 distinct
    // seconds: more than a 1 MiB budget holds one by one); its attacker ran
    // each a second before; a visitor browses the folder now and then.
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    let mut web = String::new();
    for k in 0..40_000u64 {
        let (t, _) = times(k * 7);
        let (_, before) = times((k * 7).saturating_sub(1));
        let id = format!("1sAepT-{k:011}-1PAK");
        let pid = 1000 + k % 30_000;
        log += &format!(
            "{t} [{pid}] cwd=/home/u/public_html/up 3 args: /usr/sbin/sendmail -t -i\n\
             {t} [{pid}] {id} <= u@host.example U=u P=local S=900\n\
             {t} [{pid}] {id} Completed\n"
        );
        web +=
            &format!("203.0.113.9 - - {before} \"POST /up/m.php HTTP/1.1\" 200 5 \"-\" \"evil\"\n");
        if k % 50 == 0 {
            let (_, at) = times(k * 7 + 3);
            web += &format!(
                "100.64.0.{} - - {at} \"GET /up/logo.png HTTP/1.1\" 200 5 \"-\" \"browser\"\n",
                k % 200
            );
        }
    }
    std::fs::write(dir.path().join("mainlog"), log).unwrap();
    std::fs::create_dir_all(dir.path().join("domlogs/u")).unwrap();
    std::fs::write(dir.path().join("domlogs/u/u.example"), web).unwrap();
    let run = |budget: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_exim-log"))
            .args([
                "web-origins",
                "--json",
                // One thread: on several, the assemblers share the budget
                // and a 1 MiB one flushes message pieces early (the parallel
                // fold's documented limit), which this test is not about.
                "--threads",
                "1",
                "--memory-budget",
                budget,
                "--domlogs",
            ])
            .arg(dir.path().join("domlogs"))
            .arg(dir.path().join("mainlog"))
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (v, String::from_utf8(out.stderr).unwrap())
    };
    let (exact, said) = run("24");
    assert_eq!(
        (&exact["resolution"], &exact["approximate"]),
        (&1.into(), &false.into())
    );
    assert!(said.is_empty(), "{said}");
    let (small, said) = run("1");
    assert!(said.contains("the memory budget was hit"), "{said}");
    assert!(small["resolution"].as_i64().unwrap() > 1);
    assert_eq!(small["approximate"], true);
    let m = &small["memory"];
    assert!(
        m["peak"].as_u64().unwrap() <= m["budget"].as_u64().unwrap(),
        "{m}"
    );
    assert!(m["hits"].as_u64().unwrap() > 0);
    for v in [&exact, &small] {
        let s = &v["scripts"][0];
        assert_eq!(s["dir"], "/home/u/public_html/up");
        assert_eq!(
            (&s["messages"], &s["explained"]),
            (&40_000.into(), &40_000.into())
        );
        assert_eq!(s["clients"][0]["key"], "203.0.113.9");
        assert_eq!(s["clients"][0]["messages"], 40_000);
        assert!(s["clients"][1]["messages"].as_u64().unwrap() < 40_000 / 10);
    }
    // Exact: each visit, 3 s after an arrival, explains the next one only
    // (4 visitors of 200 visits each).
    let visitor = &exact["scripts"][0]["clients"][1];
    assert_eq!(
        (&visitor["messages"], &visitor["requests"]),
        (&200.into(), &200.into())
    );
}
