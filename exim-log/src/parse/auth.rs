//! `A=authenticator[:id[:auth_sender]]` of arrival, delivery and session lines
//! (spec §5, `+smtp_confirmation`/authentication).

use super::fields::word;
use crate::event::Auth;
use crate::text::Text;

/// `A=authenticator[:id[:auth_sender]]` (§5): `(auth, rest)`.
pub(crate) fn auth(v: &[u8]) -> (Auth<'_>, &[u8]) {
    let (w, rest) = word(v);
    (auth_value(w), rest)
}

/// The value of `A=` already cut at its end, split at its first two `:`.
pub(crate) fn auth_value(w: &[u8]) -> Auth<'_> {
    let mut parts = w.splitn(3, |b| *b == b':');
    Auth {
        authenticator: Text::new(parts.next().unwrap_or_default()),
        id: parts.next().map(Text::new),
        sender: parts.next().map(Text::new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_parts() {
        // value, authenticator, id, sender
        let cases = [
            ("fixed_plain S=1", "fixed_plain", None, None),
            ("au1:username S=1", "au1", Some("username"), None),
            (
                "plain:joe:joe@example.com",
                "plain",
                Some("joe"),
                Some("joe@example.com"),
            ),
        ];
        for (v, a, id, sender) in cases {
            let (got, _) = auth(v.as_bytes());
            assert_eq!(got.authenticator, a, "{v}");
            assert_eq!(got.id.map(|t| t.to_string()), id.map(String::from), "{v}");
            assert_eq!(
                got.sender.map(|t| t.to_string()),
                sender.map(String::from),
                "{v}"
            );
        }
    }
}
