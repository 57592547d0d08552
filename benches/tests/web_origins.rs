//! Web origins on a generated mainlog and the matching domlogs, against the
//! ground truth of which client ran which compromised script
//! (`exim_log_benches::weblogs`): every attacker is named first for its
//! script, with every message explained, and no visitor ranks above it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use exim_log::assemble::{Assembled, Assembler};
use exim_log::reader::{LogFiles, LogReader, domlogs};
use exim_log::report::web_origins::WebOrigins;
use exim_log::weblog::parse_access_line;
use exim_log_benches::{Config, generate, weblogs};

#[test]
fn attackers_named_with_precision_and_recall_one() {
    let mut named = 0;
    let mut attackers = 0;
    let mut wrong = 0;
    for seed in [31, 32] {
        let mut c = Config::with_incidents(seed, 600 << 10);
        c.compromised_scripts = 3;
        let (log, truth) = generate(&c);
        let (files, web) = weblogs::domlogs(&log, seed, &truth.incidents.compromised_scripts);
        assert_eq!(web.attackers.len(), 3);

        // The domlogs on disk, in cPanel's layout, read back through the reader.
        let dir = tempfile::tempdir().unwrap();
        for (name, data) in &files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, data).unwrap();
        }

        let mut w = WebOrigins::new(10, vec![]);
        for item in Assembler::new().messages(LogReader::new(&log[..]).into_records()) {
            let Assembled::Message(m) = item.unwrap() else {
                continue;
            };
            let Some(cwd) = m
                .submission()
                .and_then(|s| s.arguments())
                .map(|a| a.cwd.to_string())
            else {
                continue;
            };
            let t = m.lines[0].parse().unwrap().timestamp.unix_seconds();
            w.add_submission(&cwd, t, m.id().as_str());
        }
        let mut lines = 0u64;
        for set in domlogs(dir.path()).unwrap() {
            let mut f = LogFiles::new(set.files.clone());
            let mut buf = Vec::new();
            while f.read_line(&mut buf).unwrap().is_some() {
                let l = parse_access_line(&buf).unwrap();
                w.add_request(&set.domain, set.user.as_deref(), &l);
                lines += 1;
            }
        }
        assert_eq!(lines, web.requests);

        let r = w.report(5);
        for (dir, ip) in &web.attackers {
            attackers += 1;
            let s = r
                .scripts
                .iter()
                .find(|s| &s.dir == dir)
                .expect("script in the report");
            assert_eq!(s.messages, web.submissions[dir]);
            assert_eq!(s.explained, s.messages, "{dir}: every spam explained");
            let top = &s.clients[0];
            if &top.key == ip && top.messages == s.messages {
                named += 1;
            }
            // No visitor explains as many messages as the attacker.
            wrong += s
                .clients
                .iter()
                .skip(1)
                .filter(|c| c.messages >= top.messages)
                .count();
            assert_eq!(
                s.urls[0].key,
                format!(
                    "{}/wp-mail.php",
                    &dir[dir.find("public_html").unwrap() + 11..]
                )
            );
        }
    }
    // Precision: named attackers among the top clients reported; recall: among all.
    assert_eq!((named, attackers, wrong), (6, 6, 0));
}
