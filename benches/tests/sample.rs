#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
//! The bundled sample `examples/data/mainlog` is exactly what `genlog --sample`
//! writes, and it shows what the examples are meant to find.

use exim_log_benches::{generate, sample_config};

#[test]
fn bundled_sample_is_generated_by_sample_config() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/mainlog");
    let on_disk = std::fs::read(path).expect("examples/data/mainlog");
    let (log, truth) = generate(&sample_config());
    assert!(
        on_disk == log,
        "regenerate with: cargo run -p exim-log-benches --bin genlog -- --sample -o examples/data/mainlog"
    );
    assert_eq!(truth.lines, 517);
}

#[test]
fn bundled_sample_has_one_of_each_incident() {
    let (_, t) = generate(&sample_config());
    let script = &t.incidents.compromised_scripts[0];
    let login = &t.incidents.spamming_logins[0];
    let attacker = &t.incidents.dictionary_attackers[0];
    // The abusers are the clear top of their lists.
    let top = |m: &std::collections::BTreeMap<String, u64>, k: &str| {
        m.iter().all(|(other, n)| other == k || *n < m[k])
    };
    assert!(top(&t.per_script, script));
    assert!(top(&t.per_login, login));
    assert!(t.dictionary_attacks[attacker] >= 15);
    assert!(t.bounces > 0 && t.frozen > 0 && t.deferrals > 0 && t.auth_failures > 0);
}

/// The bundled access logs (`examples/data/domlogs`) are what
/// `genlog --sample-domlogs` writes for the sample mainlog and the bundled
/// spool's own mainlog, and the spool's queued spam names the attacker the
/// access logs hold, with the compromised script's path on the account's site.
#[test]
fn bundled_domlogs_and_spool_match_the_sample() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data");
    let spool_log = std::fs::read(format!("{data}/spool/log/mainlog")).expect("spool log");
    let (files, web) = exim_log_benches::weblogs::sample_domlogs(&spool_log);
    let mut on_disk = Vec::new();
    for user in std::fs::read_dir(format!("{data}/domlogs")).expect("domlogs") {
        let user = user.expect("entry").path();
        for f in std::fs::read_dir(&user).expect("user folder") {
            let f = f.expect("entry").path();
            let name = f
                .strip_prefix(format!("{data}/domlogs"))
                .expect("under domlogs")
                .to_string_lossy()
                .into_owned();
            on_disk.push((name, std::fs::read(&f).expect("domlog")));
        }
    }
    on_disk.sort();
    let generated: Vec<_> = files.into_iter().collect();
    assert!(
        on_disk == generated,
        "regenerate with: scripts/make-spool-samples --sample (or genlog --sample-domlogs \
         examples/data/domlogs --extra-log examples/data/spool/log/mainlog)"
    );

    let (_, truth) = generate(&sample_config());
    let script = &truth.incidents.compromised_scripts[0];
    let ip = &web.attackers[script];
    // The spool's messages were submitted from the script's folder...
    let text = String::from_utf8_lossy(&spool_log);
    let submitted = text
        .lines()
        .filter(|l| l.contains(&format!("cwd={script} ")))
        .count();
    assert_eq!(submitted, 4);
    // ... and each names the attacker and the script's URL in X-PHP-Script.
    let url = &script[script.find("/public_html").unwrap() + "/public_html".len()..];
    let mut headers = 0;
    for f in std::fs::read_dir(format!("{data}/spool/input")).expect("input") {
        let p = f.expect("entry").path();
        if p.to_string_lossy().ends_with("-H") {
            let h = std::fs::read(&p).expect("-H file");
            let want = format!("X-PHP-Script: www.farmurba.example{url}/wp-mail.php for {ip}\n");
            assert!(
                h.windows(want.len()).any(|w| w == want.as_bytes()),
                "{}: no {want:?}",
                p.display()
            );
            headers += 1;
        }
    }
    assert_eq!(headers, 4);
}
