//! Headers not written by Exim: the RFC 5321 §4.4 shape and the variants of the
//! MTAs a spam hunter meets (format reference §11.2):
//!
//! * Postfix / Sendmail / Gmail: `from HELO (RDNS [IP])`, where the word after
//!   `from` is the client's HELO (RFC 5321 `Extended-Domain`) and the comment the
//!   TCP info; Postfix writes IPv6 as `[IPv6:2001:db8::1]`.
//! * Microsoft: `from NAME (IP)` with the address in parentheses without brackets,
//!   `with Microsoft SMTP Server (version=TLS1_2, cipher=...)`, `via Frontend Transport`.
//! * qmail: `from RDNS (HELO name) (IP)` and `(qmail N invoked by uid N)`.

use super::clauses::{Clause, Clauses, Token, Tokens, is_ws, item};
use super::{Folded, Mta, Received, ReceivedTls};
use crate::host::Host;
use crate::parse::host::host;
use crate::text::Text;

/// Fills in `r` from the generic clauses.
pub(super) fn interpret<'a>(c: &Clauses<'a>, r: &mut Received<'a>) {
    r.mta = detect(c);
    r.protocol = c
        .with
        .map(|w| w.phrase)
        .filter(|v| !v.is_empty())
        .map(Folded::new);
    r.from = c.from.map(from);
    let tails = [c.from, c.with, c.id, c.by, c.for_];
    r.tls = tails
        .iter()
        .flatten()
        .flat_map(|cl| comments(cl.tail))
        .find_map(tls);
}

fn comments(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    Tokens::new(b).filter_map(|(_, t)| match t {
        Token::Comment(c) => Some(c),
        _ => None,
    })
}

fn starts_with_ci(b: &[u8], p: &[u8]) -> bool {
    b.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p))
}

/// Recognises the MTA from the characteristic parts of its layout.
fn detect(c: &Clauses<'_>) -> Mta {
    let by_comments = || c.by.into_iter().flat_map(|b| comments(b.tail));
    if by_comments().any(|x| starts_with_ci(x, b"Postfix")) {
        return Mta::Postfix;
    }
    // Sendmail: `(8.17.1/8.17.1)`, the MTA and configuration versions.
    if by_comments().any(|x| {
        x.first().is_some_and(u8::is_ascii_digit)
            && x.contains(&b'/')
            && !x.iter().any(|b| is_ws(*b))
    }) {
        return Mta::Sendmail;
    }
    if let Some(w) = c.with
        && (starts_with_ci(w.phrase, b"Microsoft SMTP Server")
            || w.value.eq_ignore_ascii_case(b"mapi"))
    {
        return Mta::Microsoft;
    }
    if let Some(b) = c.by {
        let v = b.value;
        let bare_v6 = v.contains(&b':') && v.iter().all(|b| b.is_ascii_hexdigit() || *b == b':');
        if bare_v6 || ends_with_ci(v, b".google.com") {
            return Mta::Gmail;
        }
    }
    let helo_comment = c
        .from
        .into_iter()
        .flat_map(|f| comments(f.tail))
        .any(|x| x.starts_with(b"HELO "));
    if helo_comment || c.lead.windows(7).any(|w| w == b"(qmail ") {
        return Mta::Qmail;
    }
    Mta::Unknown
}

fn ends_with_ci(b: &[u8], s: &[u8]) -> bool {
    b.len() >= s.len()
        && b.get(b.len() - s.len()..)
            .is_some_and(|t| t.eq_ignore_ascii_case(s))
}

/// `[IPv6:2001:db8::1]` -> `2001:db8::1` (RFC 5321 §4.1.3 address-literal tag).
fn untag(ip: Text<'_>) -> Text<'_> {
    let b = ip.as_bytes();
    match b.get(..5) {
        Some(t) if t.eq_ignore_ascii_case(b"IPv6:") => Text::new(b.get(5..).unwrap_or_default()),
        _ => ip,
    }
}

/// A bare IP address as Microsoft writes it in parentheses: digits, hex, dots,
/// colons and a `%scope`, with at least one dot or colon.
fn bare_ip(b: &[u8]) -> bool {
    !b.is_empty()
        && b.iter().any(|c| matches!(c, b'.' | b':'))
        && b.iter()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, b'.' | b':' | b'%'))
}

fn set_bracketed<'a>(h: &mut Host<'a>, w: &'a [u8]) -> bool {
    match host(w) {
        Some((a, _)) if a.ip.is_some() => {
            h.ip = a.ip.map(untag);
            h.port = a.port;
            true
        }
        _ => false,
    }
}

/// The `from` clause: `HELO (RDNS [IP])`, `[IP]`, `NAME (IP)`, `RDNS (HELO x) (IP)`.
fn from(c: Clause<'_>) -> Host<'_> {
    let mut h = Host::default();
    let word = Some(Text::new(c.value)).filter(|v| !v.is_empty());
    if c.value.starts_with(b"[") {
        set_bracketed(&mut h, c.value);
    } else {
        h.helo = word;
    }
    for cm in comments(c.tail) {
        if let Some(helo) = cm.strip_prefix(b"HELO ") {
            // qmail: the word after `from` is the reverse-DNS name.
            if !c.value.starts_with(b"[") {
                h.name = word;
            }
            h.helo = Some(Text::new(super::trim(helo)));
            continue;
        }
        if h.ip.is_some() {
            continue;
        }
        let mut ws = Tokens::new(cm).filter_map(|(_, t)| match t {
            Token::Word(w) => Some(w),
            _ => None,
        });
        match (ws.next(), ws.next()) {
            (Some(a), _) if a.starts_with(b"[") => {
                set_bracketed(&mut h, a);
            }
            (Some(name), Some(a)) if a.starts_with(b"[") && set_bracketed(&mut h, a) => {
                h.name = Some(Text::new(name));
            }
            (Some(a), None) if bare_ip(a) => h.ip = Some(Text::new(a)),
            _ => {}
        }
    }
    h
}

/// A TLS comment: Postfix `using TLSv1.3 with cipher X (256/256 bits)`, Sendmail
/// `version=TLSv1.3 cipher=X bits=256 verify=NOT`, Microsoft `version=TLS1_2, cipher=X`.
fn tls(cm: &[u8]) -> Option<ReceivedTls<'_>> {
    if let Some(rest) = cm.strip_prefix(b"using ") {
        let mut version = None;
        let mut cipher = None;
        let mut bits = None;
        let mut prev: &[u8] = b"using";
        for (_, t) in Tokens::new(rest) {
            match t {
                Token::Word(w) => {
                    if version.is_none() && prev == b"using" {
                        version = Some(Text::new(w));
                    }
                    if cipher.is_none() && prev == b"cipher" {
                        cipher = Some(Text::new(w));
                    }
                    prev = w;
                }
                Token::Comment(c) if bits.is_none() => {
                    let n = c.iter().take_while(|b| b.is_ascii_digit()).count();
                    bits = c.get(..n).and_then(crate::parse::fields::number);
                    prev = b"";
                }
                _ => prev = b"",
            }
        }
        return Some(ReceivedTls {
            version,
            cipher,
            bits,
            text: Folded::new(cm),
        });
    }
    let version = item(cm, b"version");
    let cipher = item(cm, b"cipher");
    if version.is_none() && cipher.is_none() {
        return None;
    }
    Some(ReceivedTls {
        version: version.map(Text::new),
        cipher: cipher.map(Text::new),
        bits: item(cm, b"bits").and_then(crate::parse::fields::number),
        text: Folded::new(cm),
    })
}
