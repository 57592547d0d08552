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
