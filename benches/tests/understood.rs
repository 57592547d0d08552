//! Every line the generator writes is a shape the library knows: `parse_line`
//! returns a specific event, never `Event::Unknown`, and the event matches the
//! kind told by plain byte checks.

use exim_log::{Event, parse_line};
use exim_log_benches::work::{Kind, lines};
use exim_log_benches::{Config, generate};

fn configs() -> Vec<Config> {
    let mut rich = Config::with_incidents(8, 300_000);
    rich.rich = true;
    rich.pid = true;
    rich.millisec = true;
    rich.utc_offset_minutes = Some(120);
    let mut old = Config::with_incidents(9, 300_000);
    old.id_format = exim_log::IdFormat::Old;
    vec![Config::with_incidents(7, 300_000), rich, old]
}

/// Kinds whose parsers are in the library today. Message lines (`<=`, `=>`,
/// `**`, `==`) join when the message-line fields land (issue 2).
fn checked(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Rejection | Kind::Cwd | Kind::Completed | Kind::Other
    )
}

#[test]
fn no_generated_line_is_unknown() {
    for config in configs() {
        let (log, _) = generate(&config);
        for l in lines(&log) {
            let kind = Kind::of(l);
            if !checked(kind) {
                continue;
            }
            let line = parse_line(l).unwrap();
            let text = String::from_utf8_lossy(l);
            assert!(!matches!(line.event, Event::Unknown), "unknown: {text}");
            let ok = match kind {
                Kind::Cwd => matches!(line.event, Event::Arguments(_)),
                Kind::Completed => matches!(line.event, Event::Completed(_)),
                Kind::Rejection => matches!(line.event, Event::Rejection(_)),
                _ => true,
            };
            assert!(ok, "{kind:?} parsed as {}: {text}", line.event.name());
        }
    }
}
