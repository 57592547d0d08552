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
