//! The headers PHP adds to the mail its scripts send, which name the script.
//!
//! * `X-PHP-Originating-Script: UID:SCRIPT`: PHP's own, with `mail.add_x_header`
//!   on; the uid owning the script and the script's name.
//! * `X-PHP-Script: HOST/PATH for CLIENT[, PROXY...]`: added by cPanel's (and
//!   other hosting panels') patched PHP; the site, the script's URL path and the
//!   web client's IP address (then any addresses of `X-Forwarded-For`).

use crate::text::Text;

/// `X-PHP-Originating-Script: 1000:mailer.php`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct OriginatingScript<'a> {
    /// The uid before the colon, when it is a number.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub uid: Option<u32>,
    /// The script, as PHP wrote it (a file name or a path).
    pub script: Text<'a>,
}

impl<'a> OriginatingScript<'a> {
    /// Parses the header's value (blanks around it trimmed).
    ///
    /// ```
    /// use exim_log::spool::OriginatingScript;
    /// let s = OriginatingScript::parse(b"1000:mailer.php").unwrap();
    /// assert_eq!((s.uid, s.script.to_string()), (Some(1000), "mailer.php".into()));
    /// ```
    pub fn parse(value: &'a [u8]) -> Option<Self> {
        let v = value.trim_ascii();
        if v.is_empty() {
            return None;
        }
        match memchr::memchr(b':', v) {
            Some(c) => {
                let uid = v
                    .get(..c)
                    .and_then(|u| std::str::from_utf8(u).ok()?.parse().ok());
                Some(OriginatingScript {
                    uid,
                    script: Text::new(v.get(c + 1..)?),
                })
            }
            None => Some(OriginatingScript {
                uid: None,
                script: Text::new(v),
            }),
        }
    }
}

/// `X-PHP-Script: www.example.com/wp-content/x.php for 198.51.100.23`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PhpScript<'a> {
    /// The site (virtual host) the script ran for.
    pub host: Text<'a>,
    /// The script's URL path, from its first `/` (empty when none was written).
    pub path: Text<'a>,
    /// The web client's address: the first one after `for`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub client: Option<Text<'a>>,
    /// All the addresses after `for` as written (`client, proxy, ...`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub clients: Option<Text<'a>>,
}

impl<'a> PhpScript<'a> {
    /// Parses the header's value (blanks around it trimmed).
    ///
    /// ```
    /// use exim_log::spool::PhpScript;
    /// let s = PhpScript::parse(b"www.shop.example/up/m.php for 198.51.100.23, 10.0.0.8").unwrap();
    /// assert_eq!(s.host, "www.shop.example");
    /// assert_eq!(s.path, "/up/m.php");
    /// assert_eq!(s.client.unwrap(), "198.51.100.23");
    /// ```
    pub fn parse(value: &'a [u8]) -> Option<Self> {
        let v = value.trim_ascii();
        if v.starts_with(b"for ") {
            return None;
        }
        // The script part has no spaces (a URL path); " for " follows it.
        let (script, clients) = match memchr::memmem::rfind(v, b" for ") {
            Some(at) => (v.get(..at)?, v.get(at + 5..).map(<[u8]>::trim_ascii)),
            None => (v, None),
        };
        if script.is_empty() {
            return None;
        }
        let slash = memchr::memchr(b'/', script).unwrap_or(script.len());
        let client = clients.and_then(|c| {
            let first = c.split(|&b| b == b',').next()?.trim_ascii();
            (!first.is_empty()).then_some(Text::new(first))
        });
        Some(PhpScript {
            host: Text::new(script.get(..slash)?),
            path: Text::new(script.get(slash..)?),
            client,
            clients: clients.filter(|c| !c.is_empty()).map(Text::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn originating() {
        let s = OriginatingScript::parse(b" 33:/home/u/public_html/a.php ").unwrap();
        assert_eq!(
            (s.uid, s.script.as_bytes()),
            (Some(33), &b"/home/u/public_html/a.php"[..])
        );
        let s = OriginatingScript::parse(b"x:a.php").unwrap();
        assert_eq!((s.uid, s.script.as_bytes()), (None, &b"a.php"[..]));
        assert_eq!(OriginatingScript::parse(b"  "), None);
    }

    #[test]
    fn php_script() {
        let s = PhpScript::parse(b"example.com/x.php for 192.0.2.1").unwrap();
        assert_eq!(
            (s.host.as_bytes(), s.path.as_bytes()),
            (&b"example.com"[..], &b"/x.php"[..])
        );
        assert_eq!(s.clients.unwrap(), "192.0.2.1");
        let s = PhpScript::parse(b"example.com").unwrap();
        assert_eq!((s.path.as_bytes(), s.client), (&b""[..], None));
        assert_eq!(PhpScript::parse(b" for 192.0.2.1"), None);
    }
}
