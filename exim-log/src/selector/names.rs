//! The table of `log_selector` names: Exim's `globals.c log_options[]` at the 4.100
//! development head, with the default set of `log_default[]` and what each one adds
//! to the log (exim-log-format.md §9.2).

use super::Selector;

/// One row of the table.
pub(super) struct Row {
    pub selector: Selector,
    pub name: &'static str,
    pub default: bool,
    pub effect: &'static str,
}

const fn row(selector: Selector, name: &'static str, default: bool, effect: &'static str) -> Row {
    Row {
        selector,
        name,
        default,
        effect,
    }
}

/// Every selector, in `Selector` discriminant order, which is also the byte order of
/// the names (Exim binary-searches its table, so it is sorted the same way). The
/// tests check both orders.
pub(super) const TABLE: [Row; 62] = [
    row(
        Selector::EightBitMime,
        "8bitmime",
        false,
        "`M8S=` on `<=` lines",
    ),
    row(
        Selector::AclWarnSkipped,
        "acl_warn_skipped",
        true,
        "`Warning: ACL 'warn' statement skipped ...` line when a warn condition deferred",
    ),
    row(
        Selector::AddressRewrite,
        "address_rewrite",
        false,
        "`\"old\" from <where> rewritten as \"new\" by rule N` lines",
    ),
    row(
        Selector::AllParents,
        "all_parents",
        false,
        "all intermediate parents in `(..., ...)` on delivery lines",
    ),
    row(
        Selector::Arguments,
        "arguments",
        false,
        "`cwd=<dir> <N> args: <argv...>` line for every exim invocation",
    ),
    row(
        Selector::ConnectionId,
        "connection_id",
        false,
        "`Ci=` on `<=`, connection open/close and host_and_ident lines (4.97+)",
    ),
    row(
        Selector::ConnectionReject,
        "connection_reject",
        true,
        "connect-time rejections (`refused connection`, `Connection from ... refused`, `rejected connection in \"connect\" ACL`)",
    ),
    row(
        Selector::DelayDelivery,
        "delay_delivery",
        true,
        "`no immediate delivery: ...` lines",
    ),
    row(
        Selector::DeliverTime,
        "deliver_time",
        false,
        "`DT=` on `=>`, `==` and `**` lines",
    ),
    row(
        Selector::DeliverySize,
        "delivery_size",
        false,
        "`S=` on `=>` lines",
    ),
    row(
        Selector::Dkim,
        "dkim",
        true,
        "`DKIM=<domain>` on `<=` lines",
    ),
    row(
        Selector::DkimVerbose,
        "dkim_verbose",
        false,
        "one `DKIM: d=... s=...` line per signature; `DKIM=d:s` on `=>` lines",
    ),
    row(
        Selector::Dmarc,
        "dmarc",
        false,
        "`DMARC` on accept and reject lines (4.100 dev)",
    ),
    row(
        Selector::DmarcVerbose,
        "dmarc_verbose",
        false,
        "`DMARC=<status>` on accept and reject lines (4.100 dev)",
    ),
    row(
        Selector::DnslistDefer,
        "dnslist_defer",
        true,
        "`DNS list lookup defer (probably timeout) for <q>: assumed ...` lines",
    ),
    row(
        Selector::Dnssec,
        "dnssec",
        false,
        "`DS` tag on `<=`, `=>` and reject lines",
    ),
    row(
        Selector::Etrn,
        "etrn",
        true,
        "`ETRN <arg> received from <host>` lines",
    ),
    row(
        Selector::HostLookupFailed,
        "host_lookup_failed",
        true,
        "`no host name found for IP address <ip>` and `no IP address found for host <h>` lines",
    ),
    row(
        Selector::IdentTimeout,
        "ident_timeout",
        false,
        "`ident connection to <ip> timed out` lines",
    ),
    row(
        Selector::IncomingInterface,
        "incoming_interface",
        false,
        "`I=[ip]:port` on `<=`, connection and reject lines, and on deliveries",
    ),
    row(
        Selector::IncomingPort,
        "incoming_port",
        false,
        "`:port` after the IP in `H=`, and in the `Received:` host part",
    ),
    row(
        Selector::LostIncomingConnection,
        "lost_incoming_connection",
        true,
        "`unexpected disconnection while reading SMTP command`, `SMTP command timeout`, `SMTP data timeout` and `lost while reading message data` lines",
    ),
    row(
        Selector::Millisec,
        "millisec",
        false,
        "`.mmm` in timestamps; durations under 5 s with milliseconds",
    ),
    row(
        Selector::MsgId,
        "msg_id",
        true,
        "`id=` on `<=` lines (4.93+)",
    ),
    row(
        Selector::MsgIdCreated,
        "msg_id_created",
        false,
        "also log a Message-ID that Exim created, as `id*=` on `<=` lines",
    ),
    row(
        Selector::OutgoingInterface,
        "outgoing_interface",
        true,
        "lets `+incoming_interface` add `I=` to delivery lines",
    ),
    row(
        Selector::OutgoingPort,
        "outgoing_port",
        false,
        "`:port` after `[ip]` in `H=` on delivery lines",
    ),
    row(
        Selector::Pid,
        "pid",
        false,
        "`[pid]` after the timestamp on every line",
    ),
    row(
        Selector::Pipelining,
        "pipelining",
        false,
        "`L` fields on `<=` and `=>` lines (4.92+)",
    ),
    row(
        Selector::ProtocolDetail,
        "protocol_detail",
        false,
        "`PS=` on `=>` and `**` lines (4.99+)",
    ),
    row(
        Selector::Proxy,
        "proxy",
        false,
        "`PRX=` on `<=` and `=>` lines",
    ),
    row(
        Selector::QueueRun,
        "queue_run",
        true,
        "`Start queue run: ...` and `End queue run: ...` lines",
    ),
    row(
        Selector::QueueTime,
        "queue_time",
        false,
        "`QT=` on `=>` lines",
    ),
    row(
        Selector::QueueTimeExclusive,
        "queue_time_exclusive",
        true,
        "`QT=` excludes the reception time (4.95+)",
    ),
    row(
        Selector::QueueTimeOverall,
        "queue_time_overall",
        false,
        "`Completed QT=<time>`",
    ),
    row(
        Selector::ReceiveTime,
        "receive_time",
        false,
        "`RT=` on `<=` lines (4.91+)",
    ),
    row(
        Selector::ReceivedRecipients,
        "received_recipients",
        false,
        "` for a b c` recipients tail on `<=` lines",
    ),
    row(
        Selector::ReceivedSender,
        "received_sender",
        false,
        "` from <raw>` sender tail on `<=` lines",
    ),
    row(
        Selector::RejectedHeader,
        "rejected_header",
        true,
        "header dump in the reject log",
    ),
    row(
        Selector::RetryDefer,
        "retry_defer",
        true,
        "`==` lines for \"retry time not reached\"",
    ),
    row(
        Selector::ReturnPathOnDelivery,
        "return_path_on_delivery",
        false,
        "`P=<return-path>` on `=>` and `**` lines",
    ),
    row(
        Selector::SenderOnDelivery,
        "sender_on_delivery",
        false,
        "`F=<sender>` on `=>` and `**` lines",
    ),
    row(
        Selector::SenderVerifyFail,
        "sender_verify_fail",
        true,
        "separate `... sender verify fail for <a>: reason` line",
    ),
    row(
        Selector::SizeReject,
        "size_reject",
        true,
        "`message too big` rejection lines",
    ),
    row(
        Selector::SkipDelivery,
        "skip_delivery",
        true,
        "`Message is frozen` and `Spool file for <id> is locked` lines",
    ),
    row(
        Selector::SmtpConfirmation,
        "smtp_confirmation",
        true,
        "`C=\"...\"` (final SMTP/LMTP response) on delivery lines",
    ),
    row(
        Selector::SmtpConnection,
        "smtp_connection",
        false,
        "SMTP connection open, close and lost lines",
    ),
    row(
        Selector::SmtpIncompleteTransaction,
        "smtp_incomplete_transaction",
        false,
        "`H=... incomplete transaction (<why>) from <s> for <r...>` lines",
    ),
    row(
        Selector::SmtpMailauth,
        "smtp_mailauth",
        false,
        "third subfield (auth sender) of `A=`",
    ),
    row(
        Selector::SmtpNoMail,
        "smtp_no_mail",
        false,
        "`no MAIL in SMTP connection from ... D=...` lines",
    ),
    row(
        Selector::SmtpProtocolError,
        "smtp_protocol_error",
        false,
        "`SMTP protocol error in \"<cmd>\" H=... <msg>` lines",
    ),
    row(
        Selector::SmtpSyntaxError,
        "smtp_syntax_error",
        false,
        "`SMTP syntax error in \"<cmd>\" H=... <msg>` lines and unqualified sender/recipient rejections",
    ),
    row(
        Selector::Spf,
        "spf",
        false,
        "`SPF` on `<=` lines (4.100 dev)",
    ),
    row(
        Selector::SpfVerbose,
        "spf_verbose",
        false,
        "`SPF=<result>` on `<=` lines (4.100 dev)",
    ),
    row(
        Selector::Subject,
        "subject",
        false,
        "`T=\"<subject>\"` on `<=` lines",
    ),
    row(
        Selector::TlsCertificateVerified,
        "tls_certificate_verified",
        true,
        "`CV=` on `<=` and delivery lines",
    ),
    row(
        Selector::TlsCipher,
        "tls_cipher",
        true,
        "`X=<cipher>` on `<=` and delivery lines",
    ),
    row(
        Selector::TlsOnConnect,
        "tls_on_connect",
        false,
        "alternative `P=` protocol names for TLS-on-connect (4.99+)",
    ),
    row(
        Selector::TlsPeerdn,
        "tls_peerdn",
        false,
        "`DN=\"...\"` (peer certificate DN) on `<=` and delivery lines",
    ),
    row(
        Selector::TlsResumption,
        "tls_resumption",
        false,
        "`*` after the `X=` cipher when the TLS session was resumed (4.93+)",
    ),
    row(Selector::TlsSni, "tls_sni", false, "`SNI=` on `<=` lines"),
    row(
        Selector::UnknownInList,
        "unknown_in_list",
        false,
        "`list matching forced to fail: <err>` lines",
    ),
];
