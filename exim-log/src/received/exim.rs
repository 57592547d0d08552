//! Exim's own layout (`globals.c received_header_text`, format reference §11.1):
//!
//! ```text
//! from RCVHOST | from IDENT [(helo=HELO)]
//! by PRIMARY_HOSTNAME [with PROTOCOL] [TLS] (Exim VERSION)
//! [(envelope-from <SENDER>)] id MESSAGE_ID [for RCPT]; DATE
//! ```
//!
//! RCVHOST (`host.c host_build_sender_fullhost`) is `name ([ip][:port][ helo=H][ ident=I])`
//! for a verified name, or `[ip][ (port=N helo=H ident=I)]` otherwise. TLS is
//! `(VER:CIPHER:BITS)` up to 4.92 and `(VER) tls CIPHER` from 4.93.

use super::clauses::{Clause, Clauses, Token, Tokens};
use super::{Folded, Received, ReceivedTls, trim};
use crate::host::Host;
use crate::parse::host::host;
use crate::text::Text;

/// Fills in the parts of `r` that depend on Exim's layout.
pub(super) fn interpret<'a>(c: &Clauses<'a>, r: &mut Received<'a>) {
    if let Some(w) = c.with {
        r.protocol = Some(w.value).filter(|v| !v.is_empty()).map(Folded::new);
        r.tls = tls(w.tail);
    }
    r.from = c.from.map(from);
}

/// The TLS part of the `with` clause tail: the first comment that is not Exim's
/// version or the envelope sender, plus `tls CIPHER` after it (4.93+).
fn tls(tail: &[u8]) -> Option<ReceivedTls<'_>> {
    let mut toks = Tokens::new(tail);
    let (start, inner) = toks.find_map(|(o, t)| match t {
        Token::Comment(c) if !c.starts_with(b"Exim ") && !c.starts_with(b"envelope-from ") => {
            Some((o, c))
        }
        _ => None,
    })?;
    if let (Some((_, Token::Word(t))), Some((o, Token::Word(cipher)))) = (toks.next(), toks.next())
        && t.eq_ignore_ascii_case(b"tls")
    {
        // 4.93+: `(TLS1.3) tls TLS_AES_256_GCM_SHA384`.
        return Some(ReceivedTls {
            version: Some(Text::new(inner)),
            cipher: Some(Text::new(cipher)),
            bits: None,
            text: Folded::new(tail.get(start..o + cipher.len()).unwrap_or_default()),
        });
    }
    // Up to 4.92: `(TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256)`.
    let mut parts = inner.splitn(3, |b| *b == b':');
    let (v, ci, bits) = (parts.next(), parts.next(), parts.next());
    let colon = ci.is_some();
    Some(ReceivedTls {
        version: v.filter(|_| colon).map(Text::new),
        cipher: ci.map(Text::new),
        bits: bits.and_then(crate::parse::fields::number),
        text: Folded::new(inner),
    })
}

/// A `from` clause: RCVHOST for a remote client, `IDENT [(helo=HELO)]` for a
/// local submission.
fn from(c: Clause<'_>) -> Host<'_> {
    let comment = Tokens::new(c.tail).find_map(|(_, t)| match t {
        Token::Comment(x) => Some(x),
        _ => None,
    });
    let mut h = Host::default();
    let items = if c.value.starts_with(b"[") {
        // Unverified: `[ip]:port (port=N helo=H ident=I)`.
        set_address(&mut h, c.value);
        comment
    } else if let Some(cm) = comment.filter(|x| x.starts_with(b"[")) {
        // Verified name: `name ([ip]:port helo=H ident=I)`.
        h.name = Some(Text::new(c.value));
        let end = cm
            .iter()
            .position(|b| super::clauses::is_ws(*b))
            .unwrap_or(cm.len());
        let (addr, rest) = cm.split_at(end);
        set_address(&mut h, addr);
        Some(rest)
    } else {
        // Local submission: the word is `$sender_ident`, the caller's login.
        h.ident = Some(Text::new(c.value)).filter(|v| !v.is_empty());
        comment
    };
    if let Some(items) = items {
        if h.port.is_none() {
            h.port = item(items, b"port=").and_then(crate::parse::fields::number);
        }
        h.helo = item(items, b"helo=").map(Text::new);
        if let Some(i) = item(items, b"ident=") {
            h.ident = Some(Text::new(i));
        }
    }
    h
}

/// `[ip]` or `[ip]:port` (reusing the `H=` address parser).
fn set_address<'a>(h: &mut Host<'a>, addr: &'a [u8]) {
    if let Some((a, _)) = host(addr) {
        h.ip = a.ip;
        h.port = a.port;
    }
}

/// The value of an RCVHOST item: `port=`, `helo=` or `ident=` at the start of the
/// text or after a space. A HELO may hold spaces, so a value runs up to the next
/// item Exim writes after it (`helo=` is followed only by `ident=`).
fn item<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = memchr::memmem::find_iter(text, key)
        .find(|&p| p == 0 || text.get(p - 1).is_some_and(|b| super::clauses::is_ws(*b)))?;
    let v = text.get(at + key.len()..)?;
    let end = if key == b"helo=" {
        memchr::memmem::find(v, b" ident=").unwrap_or(v.len())
    } else {
        v.iter()
            .position(|b| super::clauses::is_ws(*b))
            .unwrap_or(v.len())
    };
    Some(trim(v.get(..end).unwrap_or_default()))
}
