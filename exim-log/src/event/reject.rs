//! ACL decisions about an SMTP client: rejections, drops, sender verification,
//! `warn` lines and authentication failures (spec §10, `smtp_in.c
//! smtp_handle_acl_fail`, `acl.c`).

use super::Peer;
use crate::text::Text;

/// The SMTP stage an ACL decision was taken at, from the `<what>` of the line
/// (`globals.c acl_wherenames`, spec §10 "Reject `<what>` values").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Stage {
    /// `connection in "connect" ACL`, connection refusals.
    Connect,
    /// `EHLO or HELO <name>`, `rejected EHLO from ...`, `"EHLO <name>"`.
    Helo,
    /// `MAIL <sender>`, `MAIL from ...`, `MAIL FROM:<s>`, `MAIL command`.
    Mail,
    /// `RCPT <recipient>`.
    Rcpt,
    /// `DATA` (the predata ACL).
    Predata,
    /// `after DATA`, `after DATA PRDR`, `from <sender>` (message too big).
    Data,
    /// `during MIME ACL checks`.
    Mime,
    /// `AUTH <mechanism>`.
    Auth,
    /// `VRFY ...`.
    Vrfy,
    /// `EXPN ...`.
    Expn,
    /// `ETRN ...`.
    Etrn,
    /// `STARTTLS`.
    Starttls,
    /// `by non-SMTP ACL` (locally submitted messages).
    NonSmtp,
    /// Anything else (`XCLIENT`, `WELLKNOWN`, ...): see [`Reject::what`].
    Other,
}

/// `[temporarily ]rejected <what>[: reason]`, `dropped by '<acl>' ACL[: reason]`,
/// or `RCPT <r>: discarded by RCPT ACL`, with the client block before it.
///
/// This is the line behind dictionary attacks (many `rcpt` rejections from one
/// host), RBL and HELO rejections.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Reject<'a> {
    /// The client: host, interface, ident, sender, auth, TLS.
    pub peer: Peer<'a>,
    /// The SMTP stage.
    pub stage: Stage,
    /// `<what>` as logged (`RCPT <a@b>`, `after DATA`, `EHLO or HELO x`), or
    /// the ACL name of a drop.
    pub what: Text<'a>,
    /// The recipient of an RCPT rejection, without the angle brackets.
    pub recipient: Option<Text<'a>>,
    /// `temporarily rejected` (a 4xx answer) rather than `rejected` (5xx).
    pub temporary: bool,
    /// The text after `: ` (the ACL's `log_message` or Exim's own reason).
    pub reason: Option<Text<'a>>,
}

crate::json_object::json_object!(Reject<'a>, map {
    flat peer,
    req stage,
    req what,
    opt recipient,
    req temporary,
    opt reason,
});

impl<'a> Reject<'a> {
    /// The DNS list domain of a rejection whose reason uses Exim's default
    /// `dnslists` message, `<ip> is in a black list at <domain>` (also after
    /// `rejected because `). Free-text messages written by an ACL are not
    /// guessed at.
    ///
    /// ```
    /// use exim_log::{parse_line, Event};
    /// let l = parse_line(b"2024-05-25 10:00:00 H=(x) [192.0.2.7] F=<a@b.example> \
    ///     rejected RCPT <c@d.example>: rejected because 192.0.2.7 is in a black list \
    ///     at zen.spamhaus.org").unwrap();
    /// let Event::Rejection(r) = l.event else { panic!() };
    /// assert_eq!(r.dnslist_domain().unwrap(), "zen.spamhaus.org");
    /// ```
    pub fn dnslist_domain(&self) -> Option<Text<'a>> {
        dnslist_domain(self.reason?)
    }
}

/// Finds the DNS list domain in Exim's default dnslists message (`... is in a
/// black list at <domain>`, `acl.c`) or in cPanel's stock RBL messages
/// (`JunkMail rejected - <fullhost> is in an RBL (<domain>), see <url>` and
/// `... is in an RBL on <domain>, see ...`). The domain ends at a space,
/// `:`, `,`, `)` or a literal `\n`. cPanel's text starts with the client's
/// HELO, so its marker is searched from the right: a HELO that imitates it
/// comes before the real one.
pub(crate) fn dnslist_domain(reason: Text<'_>) -> Option<Text<'_>> {
    use memchr::memmem::{Finder, FinderRev};
    use std::sync::LazyLock;
    // Each searcher built once: building one per call cost more than the
    // search (callgrind).
    static BLACK_LIST: LazyLock<Finder<'static>> =
        LazyLock::new(|| Finder::new(b" is in a black list at "));
    static RBL_PAREN: LazyLock<FinderRev<'static>> =
        LazyLock::new(|| FinderRev::new(b" is in an RBL ("));
    static RBL_ON: LazyLock<FinderRev<'static>> =
        LazyLock::new(|| FinderRev::new(b" is in an RBL on "));
    let r = reason.as_bytes();
    let at = BLACK_LIST
        .find(r)
        .map(|p| p + BLACK_LIST.needle().len())
        .or_else(|| RBL_PAREN.rfind(r).map(|p| p + RBL_PAREN.needle().len()))
        .or_else(|| RBL_ON.rfind(r).map(|p| p + RBL_ON.needle().len()))?;
    let rest = r.get(at..)?;
    let end = rest
        .iter()
        .position(|b| matches!(b, b' ' | b':' | b',' | b')' | b'\\' | b'\n'))
        .unwrap_or(rest.len());
    let d = rest.get(..end)?;
    let d = d.strip_suffix(b".").unwrap_or(d);
    (!d.is_empty()).then_some(Text::new(d))
}

/// `<HI> sender verify fail|defer for <address>[: reason]`, logged before the
/// rejection it causes.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct SenderVerify<'a> {
    /// The client.
    pub peer: Peer<'a>,
    /// `true` for `defer` (temporary), `false` for `fail`.
    pub temporary: bool,
    /// The address that failed verification, as logged (with brackets).
    pub address: Text<'a>,
    /// The text after `: `.
    pub reason: Option<Text<'a>>,
}

crate::json_object::json_object!(SenderVerify<'a>, map {
    flat peer,
    req temporary,
    req address,
    opt reason,
});

/// `<HI> Warning: <message>`: an ACL `warn` verb with `log_message`, or a
/// skipped `warn` statement.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Warning<'a> {
    /// The client, when the line names one.
    pub peer: Peer<'a>,
    /// The text after `Warning: `.
    pub message: Text<'a>,
}

crate::json_object::json_object!(Warning<'a>, map {
    flat peer,
    req message,
});

/// `<name> authenticator failed for H=(helo) [ip][ U=..]: 535 ... (set_id=user)`
/// (incoming; before 4.99 without `H=`) or `<name> authenticator failed H=host
/// [ip] 535 ...` (outgoing, the smtp transport).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct AuthFailure<'a> {
    /// The authenticator (driver instance) name.
    pub authenticator: Text<'a>,
    /// The client (incoming) or the server (outgoing).
    pub peer: Peer<'a>,
    /// `true` when Exim was the client (transport line, no `for`).
    pub outgoing: bool,
    /// The login name the client tried (`set_id=`), when logged.
    pub set_id: Option<Text<'a>>,
    /// The SMTP response and any detail, as logged (without the `set_id` part).
    pub reason: Option<Text<'a>>,
}

crate::json_object::json_object!(AuthFailure<'a>, map {
    req authenticator,
    flat peer,
    req outgoing,
    opt set_id,
    opt reason,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dnslist_domain_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "rejected because 192.0.2.1 is in a black list at zen.spamhaus.org",
                Some("zen.spamhaus.org"),
            ),
            (
                "192.0.2.1 is in a black list at bl.example.net\\nlisted for spam",
                Some("bl.example.net"),
            ),
            (
                "192.0.2.1 is in a black list at bl.example.net: see site",
                Some("bl.example.net"),
            ),
            ("relay not permitted", None),
            ("192.0.2.1 is in an RBL, see http://x", None),
            // cPanel's stock RBL messages (`$sender_fullhost is in an RBL ...`).
            (
                "JunkMail rejected - (pc) [192.0.2.1]:4000 is in an RBL (bl.example.net), see https://bl.example.net/q?192.0.2.1",
                Some("bl.example.net"),
            ),
            (
                "JunkMail rejected - mx.example.org [192.0.2.1]:4000 is in an RBL on zen.example.net, see listed",
                Some("zen.example.net"),
            ),
            // A HELO that imitates the text names no list: the real one is last.
            (
                "JunkMail rejected - (x is in an RBL (fake.example)) [192.0.2.1]:4000 is in an RBL (bl.example.net), see u",
                Some("bl.example.net"),
            ),
        ];
        for (reason, want) in cases {
            let got = dnslist_domain(Text::from(*reason)).map(|t| t.to_string());
            assert_eq!(got.as_deref(), *want, "{reason}");
        }
    }
}
