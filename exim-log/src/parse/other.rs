//! Lines without a flag: connections, rejections, `cwd=` arguments, queue runs,
//! daemon lines, and message lines such as `Frozen` (spec §2, §10).
//!
//! The kind is chosen by the first word (a `match` on a few bytes), so each line
//! runs at most a couple of small parsers, not every one in turn.

use memchr::memmem;

use super::{args, daemon, keywords, reject, smtp};
use crate::event::{Event, Note, Peer, Session, Warning};
use crate::text::Text;

/// Parses a line body that carries no flag. `None` when the shape is not known.
pub(crate) fn event(text: &[u8], _has_id: bool) -> Option<Event<'_>> {
    let first = text.first()?;
    match first {
        b'H' | b'U' | b'F' if text.get(1) == Some(&b'=') => reject::client_line(text),
        b'D' if text.starts_with(b"DS H=") => reject::client_line(text),
        b'c' => {
            if let Some(r) = text.strip_prefix(b"cwd=") {
                args::arguments(r)
            } else if text.starts_with(b"cancelled by ") {
                keywords::removed(text)
            } else if text.starts_with(b"connection from ") {
                smtp::refused(text)
            } else {
                fallback(text)
            }
        }
        b'e' if text.starts_with(b"exim ") => daemon::daemon_started(text.get(5..)?),
        b'S' => {
            if let Some(r) = text.strip_prefix(b"SMTP ") {
                smtp::smtp(r)
            } else if text.starts_with(b"Start ") {
                daemon::queue_run(text)
            } else {
                keywords::skipped(text).or_else(|| fallback(text))
            }
        }
        b'E' if text.starts_with(b"End ") => daemon::queue_run(text),
        b'E' | b'A' if text.get(1..5) == Some(b"TRN ") => smtp::etrn(text),
        b'A' if text.starts_with(b"Abandon ") => daemon::queue_run(text),
        b'r' => {
            if text.starts_with(b"rejected ") {
                reject::bare_rejection(text)
            } else if text.starts_with(b"removed by ") {
                keywords::removed(text)
            } else if text.starts_with(b"refused connection ") {
                smtp::refused(text)
            } else {
                fallback(text)
            }
        }
        b't' if text.starts_with(b"temporarily re") => {
            reject::bare_rejection(text).or_else(|| smtp::refused(text))
        }
        b'n' if text.starts_with(b"no ") => {
            let r = text.get(3..)?;
            smtp::no(r).or_else(|| keywords::no_immediate(r))
        }
        b'u' if text.starts_with(b"unexpected ") => smtp::unexpected(text.get(11..)?),
        b'u' if text.starts_with(b"unfrozen by ") => keywords::unfrozen(text),
        b'F' | b'f' if text.get(1..6) == Some(b"rozen") => keywords::frozen(text),
        b'U' if text.starts_with(b"Unfrozen by ") => keywords::unfrozen(text),
        b'M' if text.starts_with(b"Message is frozen") => keywords::skipped(text),
        b'T' if text.starts_with(b"TLS ") => smtp::tls_error(text, Session::default()),
        b'C' if text.starts_with(b"Connection from ") => smtp::refused(text),
        b'D' if text.starts_with(b"DKIM: ") => keywords::dkim(text),
        b'D' if text.starts_with(b"DNS list lookup ") => Some(Event::Dnslist(Note {
            by: None,
            reason: text.get(16..).map(Text::new),
        })),
        b'p' if text.starts_with(b"pid ") => daemon::signal(text.get(4..)?),
        b'W' if text.starts_with(b"Warning: ") || text.starts_with(b"WARNING: ") => {
            Some(Event::Warning(Warning {
                peer: Peer::default(),
                message: Text::new(text.get(9..)?),
            }))
        }
        // `[ip] SSL verify error: ...` (tls-openssl.c verify callback).
        b'[' => {
            let close = memchr::memchr(b']', text)?;
            let r = text.get(close + 1..)?;
            if !r.starts_with(b" SSL verify error: ") {
                return None;
            }
            let mut s = Session::default();
            s.peer.host = Some(crate::host::Host {
                ip: text.get(1..close).map(Text::new),
                ..Default::default()
            });
            s.reason = r.get(1..).map(Text::new);
            Some(Event::TlsError(s))
        }
        // `DANE error: ...`, `DANE attempt failed; ...` (transports/smtp.c).
        b'D' if text.starts_with(b"DANE ") => Some(Event::TlsError(Session {
            reason: Some(Text::new(text)),
            ..Session::default()
        })),
        b'f' | b'F' if text.get(1..17) == Some(b"ailed to expand ") => {
            Some(Event::ExpansionFailed(Note {
                by: None,
                reason: Some(Text::new(text)),
            }))
        }
        b'm' if text.starts_with(b"moved from ") => Some(Event::Moved(Note {
            by: None,
            reason: Some(Text::new(text.get(6..)?)),
        })),
        b'o' if text.starts_with(b"original recipients ignored") => {
            let r = text.get(27..).unwrap_or_default();
            let r = r.strip_prefix(b" (").unwrap_or(r);
            Some(Event::RecipientsIgnored(Note {
                by: None,
                reason: (!r.is_empty()).then(|| Text::new(r.strip_suffix(b")").unwrap_or(r))),
            }))
        }
        b'"' => keywords::rewrite(text),
        _ => fallback(text),
    }
}

/// Shapes whose first word is free (an address, an authenticator name):
/// `<addr>: error ignored`, `<addr>: <t> transport output: ...`,
/// `<name> authenticator failed ...`. One short search each.
fn fallback(text: &[u8]) -> Option<Event<'_>> {
    let sp = memchr::memchr(b' ', text)?;
    let second = text.get(sp + 1..)?;
    if second.starts_with(b"authenticator failed ") {
        return reject::auth_failed(text);
    }
    if memmem::find(text, b": ").is_some() {
        return keywords::address_line(text);
    }
    None
}
