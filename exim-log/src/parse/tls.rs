//! The TLS block of arrival and delivery lines: `X=`, `CV=`, `DN=`, `SNI=`
//! (spec §3, §4.1 `d_tlslog`, §5).

use super::fields::{quoted_printing, word};
use crate::event::Tls;
use crate::text::{Escaping, Quoted, Text};

/// Applies one TLS tag to `tls` (created on first use). `None` when `tag` is
/// not a TLS tag; otherwise the rest of the line after the value.
pub(crate) fn tls_field<'a>(
    tls: &mut Option<Tls<'a>>,
    tag: &[u8],
    v: &'a [u8],
) -> Option<&'a [u8]> {
    let t = tls.get_or_insert_with(Tls::default);
    let rest = match tag {
        b"X" => {
            let (w, rest) = word(v);
            // A trailing `*`: the session was resumed (`+tls_resumption`, §5).
            match w.strip_suffix(b"*") {
                Some(c) => {
                    t.cipher = Some(Text::new(c));
                    t.resumed = true;
                }
                None => t.cipher = Some(Text::new(w)),
            }
            rest
        }
        b"CV" => {
            let (w, rest) = word(v);
            t.certificate_verified = Some(Text::new(w));
            rest
        }
        b"DN" => match v.strip_prefix(b"\"") {
            Some(q) => {
                let (inner, rest) = quoted_printing(q);
                t.peer_dn = Some(Quoted::new(inner, Escaping::Printing));
                rest
            }
            None => {
                let (w, rest) = word(v);
                t.peer_dn = Some(Quoted::new(w, Escaping::Printing));
                rest
            }
        },
        b"SNI" => {
            // string_printing with SP_SPACE: no raw spaces inside (§5).
            let (w, rest) = word(v);
            t.sni = Some(Text::new(w));
            rest
        }
        _ => {
            if *t == Tls::default() {
                *tls = None;
            }
            return None;
        }
    };
    Some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_tags() {
        let mut tls = None;
        let r = tls_field(&mut tls, b"X", b"TLS1.3:TLS_AES_256_GCM_SHA384:256* CV=yes").unwrap();
        assert_eq!(r, b" CV=yes");
        let r = tls_field(&mut tls, b"CV", b"yes DN=\"x\"").unwrap();
        assert_eq!(r, b" DN=\"x\"");
        let r = tls_field(
            &mut tls,
            b"DN",
            br#""/C=UK/O=Example "Ltd"/CN=mail.example.com" S=1"#,
        )
        .unwrap();
        assert_eq!(r, b" S=1");
        let r = tls_field(&mut tls, b"SNI", b"mail.example.com S=1").unwrap();
        assert_eq!(r, b" S=1");
        let t = tls.unwrap();
        assert_eq!(t.cipher.unwrap(), "TLS1.3:TLS_AES_256_GCM_SHA384:256");
        assert!(t.resumed);
        assert_eq!(t.version().unwrap(), "TLS1.3");
        assert_eq!(t.bits(), Some(256));
        assert_eq!(t.certificate_verified.unwrap(), "yes");
        assert_eq!(
            t.peer_dn.unwrap().to_string_lossy(),
            "/C=UK/O=Example \"Ltd\"/CN=mail.example.com"
        );
        assert_eq!(t.sni.unwrap(), "mail.example.com");
    }

    #[test]
    fn non_tls_tag_leaves_nothing_behind() {
        let mut tls = None;
        assert!(tls_field(&mut tls, b"S", b"12").is_none());
        assert!(tls.is_none());
    }
}
