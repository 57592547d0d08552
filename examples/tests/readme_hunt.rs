//! The README's "whole hunt on the bundled sample" runs as written: every
//! `exim-log` line between `<!-- hunt:begin -->` and `<!-- hunt:end -->` is run
//! from the repository root, and its key output (the script, the attacker)
//! is checked against the generator's ground truth.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;

use exim_log_benches::{generate, sample_config, weblogs};

#[test]
fn readme_hunt_commands_find_the_script_and_the_attacker() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let begin = readme
        .find("<!-- hunt:begin -->")
        .expect("hunt:begin marker");
    let end = readme.find("<!-- hunt:end -->").expect("hunt:end marker");
    let commands: Vec<&str> = readme[begin..end]
        .lines()
        .filter_map(|l| l.strip_prefix("exim-log "))
        .collect();
    assert_eq!(commands.len(), 5, "{commands:?}");

    let (_, truth) = generate(&sample_config());
    let script = truth.incidents.compromised_scripts[0].clone();
    let spool_log = std::fs::read(root.join("examples/data/spool/log/mainlog")).unwrap();
    let (_, web) = weblogs::sample_domlogs(&spool_log);
    let attacker = web.attackers[&script].clone();

    let mut seen = Vec::new();
    for c in commands {
        let args: Vec<&str> = c.split_whitespace().collect();
        let out = Command::new(env!("CARGO_BIN_EXE_exim-log"))
            .current_dir(&root)
            .args(&args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "exim-log {c}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // What each step must show.
        let want: Vec<String> = match args[0] {
            "spam-sources" => vec![format!("script {script}: 4 messages")],
            "trace" => vec![format!("cwd={script} ")],
            "queue" => vec![
                "4 of them found in the mainlog".to_string(),
                format!("{script}\n"),
                format!("{attacker}\n"),
            ],
            "web-origins" => {
                // The attacker is the first client row of the script's section.
                let section = if args.contains(&"--queue") {
                    "www.farmurba.example/wp-includes/css/dist/.cache/wp-mail.php (X-PHP-Script"
                        .to_string()
                } else {
                    format!("{script}\n")
                };
                let at = stdout
                    .find(&section)
                    .unwrap_or_else(|| panic!("{c}: {stdout}"));
                let first_client = stdout[at..]
                    .lines()
                    .find(|l| l.trim_start().starts_with("client"))
                    .unwrap();
                assert!(
                    first_client.ends_with(&format!(" {attacker}"))
                        && first_client.contains(" 4 msgs"),
                    "{c}: {first_client}"
                );
                vec!["4 messages, 4 explained".to_string()]
            }
            other => panic!("unexpected step {other}"),
        };
        for w in want {
            assert!(stdout.contains(&w), "exim-log {c}: no {w:?} in\n{stdout}");
        }
        seen.push(args[0]);
    }
    assert_eq!(
        seen,
        [
            "spam-sources",
            "trace",
            "queue",
            "web-origins",
            "web-origins"
        ]
    );
}
