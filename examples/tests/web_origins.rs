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
