//! `exim_log::json::write_line` (the line writer of `exim-log ndjson`, no
//! serde) and `exim_log::json::write` (its serde writer, for the other
//! objects) against `serde_json` (the oracle): the same bytes for every line of the Exim
//! test-suite corpus (mainlog, rejectlog, paniclog) and of generated logs in
//! every layout the generator has (old and new ids, `+pid`, `+millisec`, a UTC
//! offset, `+all`-like fields, subjects with escapes and raw 8-bit bytes), and
//! for the assembled messages of those logs. And the hand-written
//! `Serialize` of lines against serde's derive of the schema it replaced.

use std::path::PathBuf;

use exim_log::Event;
use exim_log::assemble::{Assembled, Assembler};
use exim_log::reader::LogReader;
use exim_log_benches::{Config, IdFormat, generate};

fn corpus_files() -> Vec<PathBuf> {
    let dir = std::env::var_os("EXIM_LOG_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/exim-testsuite"),
        PathBuf::from,
    );
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "corpus not found at {}",
            dir.display()
        );
        eprintln!("skipping the corpus: not found at {}", dir.display());
        return Vec::new();
    }
    let mut files = Vec::new();
    for sub in ["mainlog", "rejectlog", "paniclog"] {
        let entries = std::fs::read_dir(dir.join(sub)).unwrap_or_else(|e| panic!("{sub}: {e}"));
        files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
    }
    files.sort();
    files
}

fn generated() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for seed in 0..6u64 {
        let mut c = Config::with_incidents(seed, 150_000);
        c.pid = seed % 2 == 0;
        c.millisec = seed % 3 == 0;
        c.utc_offset_minutes = (seed % 3 == 1).then_some(-330);
        c.rich = seed >= 3;
        if seed == 4 {
            c.id_format = IdFormat::Old;
        }
        out.push((format!("generated seed {seed}"), generate(&c).0));
    }
    out
}

/// Our bytes against serde_json's for one value.
fn same<T: serde::Serialize>(what: &str, value: &T) {
    let mut ours = Vec::new();
    exim_log::json::write(&mut ours, value).unwrap_or_else(|e| panic!("{what}: {e}"));
    let theirs = serde_json::to_vec(value).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        ours == theirs,
        "{what}:\n ours:   {}\n serde: {}",
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs)
    );
}

/// `write_line`'s bytes against serde_json's for one line.
fn same_line(what: &str, line: &exim_log::LogLine<'_>) {
    let mut ours = b"prefix".to_vec();
    exim_log::json::write_line(&mut ours, line);
    let theirs = serde_json::to_vec(line).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        ours.strip_prefix(b"prefix") == Some(&theirs[..]),
        "{what}:\n ours:   {}\n serde: {}",
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs)
    );
}

/// The line's JSON against the derived schema's ([`OldLine`]).
fn derived_same(what: &str, line: &exim_log::LogLine<'_>) {
    let event =
        old(&line.event).unwrap_or_else(|| panic!("{what}: add {} to Old", line.event.name()));
    let derived = OldLine {
        timestamp: line.timestamp,
        pid: line.pid,
        message_id: line.message_id,
        flag: line.flag,
        event,
        raw: line.raw,
    };
    let ours = serde_json::to_vec(line).unwrap_or_else(|e| panic!("{what}: {e}"));
    let theirs = serde_json::to_vec(&derived).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        ours == theirs,
        "{what}:\n ours:    {}\n derived: {}",
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs)
    );
    // The event alone: `{"event": name, ...}` as the tagged enum wrote it.
    let ours = serde_json::to_vec(&line.event).unwrap_or_else(|e| panic!("{what}: {e}"));
    let theirs = serde_json::to_vec(&derived.event).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs),
        "{what}"
    );
}

/// The line's JSON as serde's derive wrote it before `LogLine` and `Event`
/// got hand-written `Serialize` impls (event/ser.rs): `#[serde(flatten)]`
/// of an internally tagged enum. The oracle of the key order and of every
/// value: each event's struct keeps its own `Serialize`.
#[derive(serde::Serialize)]
struct OldLine<'a> {
    timestamp: exim_log::Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<exim_log::MessageId<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flag: Option<exim_log::Flag>,
    #[serde(flatten)]
    event: Old<'a>,
    raw: exim_log::Text<'a>,
}

#[derive(serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Old<'a> {
    Arrival(&'a exim_log::Arrival<'a>),
    Delivery(&'a exim_log::Delivery<'a>),
    Deferral(&'a exim_log::Delivery<'a>),
    Failure(&'a exim_log::Delivery<'a>),
    Completed(&'a exim_log::Completed),
    Arguments(&'a exim_log::Arguments<'a>),
    DaemonStarted(&'a exim_log::DaemonStart<'a>),
    QueueRun(&'a exim_log::QueueRun<'a>),
    ConnectionOpen(&'a exim_log::Session<'a>),
    ConnectionClose(&'a exim_log::Session<'a>),
    ConnectionLost(&'a exim_log::Session<'a>),
    SmtpTimeout(&'a exim_log::Session<'a>),
    NoMail(&'a exim_log::Session<'a>),
    SmtpError(&'a exim_log::Session<'a>),
    SmtpDropped(&'a exim_log::Session<'a>),
    ConnectionRefused(&'a exim_log::Session<'a>),
    TlsError(&'a exim_log::Session<'a>),
    HostError(&'a exim_log::Session<'a>),
    HostLookupFailed(&'a exim_log::Session<'a>),
    IncompleteTransaction(&'a exim_log::Session<'a>),
    Etrn(&'a exim_log::Session<'a>),
    Rejection(&'a exim_log::Reject<'a>),
    Dropped(&'a exim_log::Reject<'a>),
    Discarded(&'a exim_log::Reject<'a>),
    SenderVerify(&'a exim_log::SenderVerify<'a>),
    Warning(&'a exim_log::Warning<'a>),
    AuthFailed(&'a exim_log::AuthFailure<'a>),
    Frozen(&'a exim_log::Note<'a>),
    Unfrozen(&'a exim_log::Note<'a>),
    Removed(&'a exim_log::Note<'a>),
    Cancelled(&'a exim_log::Note<'a>),
    MessageIsFrozen(&'a exim_log::Note<'a>),
    SpoolLocked(&'a exim_log::Note<'a>),
    NoImmediateDelivery(&'a exim_log::Note<'a>),
    RecipientsIgnored(&'a exim_log::Note<'a>),
    Dnslist(&'a exim_log::Note<'a>),
    DaemonSignal(&'a exim_log::DaemonSignal<'a>),
    ErrorIgnored(&'a exim_log::ErrorIgnored<'a>),
    TransportOutput(&'a exim_log::TransportOutput<'a>),
    Dkim(&'a exim_log::Dkim<'a>),
    Rewrite(&'a exim_log::Rewrite<'a>),
    Moved(&'a exim_log::Note<'a>),
    ExpansionFailed(&'a exim_log::Note<'a>),
    ConfigError(&'a exim_log::Note<'a>),
    MalwareError(&'a exim_log::Note<'a>),
    Prdr(&'a exim_log::PrdrResult<'a>),
    AuthSenderIgnored(&'a exim_log::Session<'a>),
    AdminAction(&'a exim_log::AdminAction<'a>),
    RewriteError(&'a exim_log::Note<'a>),
    SelfRouting(&'a exim_log::Note<'a>),
    ListMatchFailed(&'a exim_log::Note<'a>),
    DaemonStopped(&'a exim_log::Note<'a>),
    SaExim(&'a exim_log::SaExim<'a>),
    SystemNotice(&'a exim_log::SystemNotice<'a>),
    DmarcResult(&'a exim_log::DmarcResult<'a>),
    Unknown,
}

/// `None` for an event added after this list was written: the test then
/// fails, to have it added.
fn old<'a>(event: &'a Event<'a>) -> Option<Old<'a>> {
    Some(match event {
        Event::Arrival(x) => Old::Arrival(x),
        Event::Delivery(x) => Old::Delivery(x),
        Event::Deferral(x) => Old::Deferral(x),
        Event::Failure(x) => Old::Failure(x),
        Event::Completed(x) => Old::Completed(x),
        Event::Arguments(x) => Old::Arguments(x),
        Event::DaemonStarted(x) => Old::DaemonStarted(x),
        Event::QueueRun(x) => Old::QueueRun(x),
        Event::ConnectionOpen(x) => Old::ConnectionOpen(x),
        Event::ConnectionClose(x) => Old::ConnectionClose(x),
        Event::ConnectionLost(x) => Old::ConnectionLost(x),
        Event::SmtpTimeout(x) => Old::SmtpTimeout(x),
        Event::NoMail(x) => Old::NoMail(x),
        Event::SmtpError(x) => Old::SmtpError(x),
        Event::SmtpDropped(x) => Old::SmtpDropped(x),
        Event::ConnectionRefused(x) => Old::ConnectionRefused(x),
        Event::TlsError(x) => Old::TlsError(x),
        Event::HostError(x) => Old::HostError(x),
        Event::HostLookupFailed(x) => Old::HostLookupFailed(x),
        Event::IncompleteTransaction(x) => Old::IncompleteTransaction(x),
        Event::Etrn(x) => Old::Etrn(x),
        Event::Rejection(x) => Old::Rejection(x),
        Event::Dropped(x) => Old::Dropped(x),
        Event::Discarded(x) => Old::Discarded(x),
        Event::SenderVerify(x) => Old::SenderVerify(x),
        Event::Warning(x) => Old::Warning(x),
        Event::AuthFailed(x) => Old::AuthFailed(x),
        Event::Frozen(x) => Old::Frozen(x),
        Event::Unfrozen(x) => Old::Unfrozen(x),
        Event::Removed(x) => Old::Removed(x),
        Event::Cancelled(x) => Old::Cancelled(x),
        Event::MessageIsFrozen(x) => Old::MessageIsFrozen(x),
        Event::SpoolLocked(x) => Old::SpoolLocked(x),
        Event::NoImmediateDelivery(x) => Old::NoImmediateDelivery(x),
        Event::RecipientsIgnored(x) => Old::RecipientsIgnored(x),
        Event::Dnslist(x) => Old::Dnslist(x),
        Event::DaemonSignal(x) => Old::DaemonSignal(x),
        Event::ErrorIgnored(x) => Old::ErrorIgnored(x),
        Event::TransportOutput(x) => Old::TransportOutput(x),
        Event::Dkim(x) => Old::Dkim(x),
        Event::Rewrite(x) => Old::Rewrite(x),
        Event::Moved(x) => Old::Moved(x),
        Event::ExpansionFailed(x) => Old::ExpansionFailed(x),
        Event::ConfigError(x) => Old::ConfigError(x),
        Event::MalwareError(x) => Old::MalwareError(x),
        Event::Prdr(x) => Old::Prdr(x),
        Event::AuthSenderIgnored(x) => Old::AuthSenderIgnored(x),
        Event::AdminAction(x) => Old::AdminAction(x),
        Event::RewriteError(x) => Old::RewriteError(x),
        Event::SelfRouting(x) => Old::SelfRouting(x),
        Event::ListMatchFailed(x) => Old::ListMatchFailed(x),
        Event::DaemonStopped(x) => Old::DaemonStopped(x),
        Event::SaExim(x) => Old::SaExim(x),
        Event::SystemNotice(x) => Old::SystemNotice(x),
        Event::DmarcResult(x) => Old::DmarcResult(x),
        Event::Unknown => Old::Unknown,
        _ => return None,
    })
}

fn check_log(name: &str, log: &[u8]) -> usize {
    let mut lines = 0;
    for (i, raw) in log.split_inclusive(|b| *b == b'\n').enumerate() {
        if let Ok(line) = exim_log::parse_line(raw) {
            let what = format!("{name} line {}", i + 1);
            same(&what, &line);
            same_line(&what, &line);
            derived_same(&what, &line);
            lines += 1;
        }
    }
    let records = LogReader::new(log).into_records();
    for item in Assembler::new().messages(records).flatten() {
        if let Assembled::Message(m) = item {
            same(&format!("{name} message {}", m.id()), &m);
        }
    }
    lines
}

#[test]
fn json_writer_equals_serde_json_on_the_corpus() {
    let mut lines = 0;
    for path in corpus_files() {
        let log = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        lines += check_log(&path.display().to_string(), &log);
    }
    eprintln!("{lines} corpus lines compared");
}

#[test]
fn json_writer_equals_serde_json_on_generated_logs() {
    let mut lines = 0;
    for (name, log) in generated() {
        lines += check_log(&name, &log);
    }
    assert!(lines > 5_000, "only {lines} lines");
}

/// Hand-made lines with the bytes the writer treats apart (escapes, DEL,
/// valid and invalid UTF-8, a cut character) put into every field of a few
/// line shapes: `write_line` against serde_json on each, whatever event the
/// parser makes of it (often another one, or `unknown`).
#[test]
fn json_writer_equals_serde_json_on_hostile_bytes() {
    let templates: &[&[u8]] = &[
        b"2024-05-25 10:00:00.123 +0530 [123] 1sAoM5-00000009r3p-06vq <= a@b.example H=mx.example.net (helo) [192.0.2.1]:25 I=[192.0.2.2]:25 P=esmtps X=TLS1.3:AES:256 CV=yes DN=\"C=x\" A=plain:joe S=123 id=x@y T=\"Re: \\\"hi\\\" =?UTF-8?B?w6k=?=\" from <s@b.example> for r@c.example q@d.example",
        b"2024-05-25 10:00:01 1sAoM5-00000009r3p-06vq ** u@example.org <v@example.org> R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.9] DT=1.5s: SMTP error from remote mail server after RCPT TO:<u@example.org>: 550 no",
        b"2024-05-25 10:00:02 1sAoM5-00000009r3p-06vq => x@y.example R=r T=t H=h [192.0.2.3] C=\"250 ok \\\"q\\\" id=1\" QT=2m3s",
        b"2024-05-25 10:00:03 1sAoM5-00000009r3p-06vq Completed QT=0.250s",
        b"2024-05-25 10:00:04 cwd=/home/u 4 args: /usr/sbin/exim -f \"a b\" -t",
        b"2024-05-25 10:00:05 SMTP connection from (helo) [192.0.2.4]:4321 closed by QUIT",
        b"2024-05-25 10:00:06 H=(helo) [192.0.2.5] F=<a@b.example> rejected RCPT <c@d.example>: relay not permitted",
        b"2024-05-25 10:00:07 no MAIL in SMTP connection from (x) [192.0.2.6] D=5s C=EHLO,STARTTLS,QUIT",
        b"2024-05-25 10:00:08 1sAoM5-00000009r3p-06vq Frozen (delivery error message)",
        b"2024-05-25 10:00:09 something this library does not know",
    ];
    let inserts: &[&[u8]] = &[
        b"\x00",
        b"\x1f",
        b"\"",
        b"\\",
        b"\x7f",
        b"\x80",
        b"\xff",
        "\u{e9}".as_bytes(),
        b"\xc3",
        "\u{1f600}".as_bytes(),
    ];
    let mut lines = 0;
    for t in templates {
        for at in (0..=t.len()).step_by(3) {
            for ins in inserts {
                let mut raw = t.to_vec();
                raw.splice(at..at, ins.iter().copied());
                if let Ok(line) = exim_log::parse_line(&raw) {
                    same_line(&String::from_utf8_lossy(&raw), &line);
                    lines += 1;
                }
            }
        }
    }
    assert!(lines > 3_000, "only {lines} lines");
}
