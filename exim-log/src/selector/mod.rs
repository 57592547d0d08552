//! The `log_selector` main option (exim-log-format.md §9): the [`Selector`] names,
//! the [`LogSelector`] set, parsing a setting exactly as Exim's `log.c decode_bits`
//! does, and inferring from log lines which selectors were on.
//!
//! ```
//! use exim_log::{LogSelector, Selector};
//!
//! let set: LogSelector = "+arguments +subject -retry_defer".parse().unwrap();
//! assert!(set.contains(Selector::Arguments));
//! assert!(set.contains(Selector::TlsCipher)); // a default, still on
//! assert!(!set.contains(Selector::RetryDefer));
//! assert_eq!(set.to_string(), "+arguments +subject -retry_defer");
//! assert_eq!(set.to_string().parse::<LogSelector>().unwrap(), set);
//! ```
//!
//! Not handled, because they happen before Exim sees the value: macro expansion
//! (`LOG_SELECTOR` in a configuration is replaced by its definition first) and
//! `.include`/`.ifdef` lines. A value in double quotes is not dequoted either
//! (nobody quotes a selector list; Exim would dequote it as a string option).

use std::fmt;
use std::str::FromStr;

#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

mod infer;
mod names;
mod parse;

pub(crate) use infer::line_evidence;
pub use infer::{Evidence, Inference, Observation};
pub use parse::{SelectorError, SelectorErrorKind};

use names::{Row, TABLE};

/// One `log_selector` name of current Exim (4.100 development head, `globals.c
/// log_options[]`), in the order of Exim's table. See [`Selector::effect`] for what
/// each adds to the log.
///
/// Variant docs give the Exim name; `all` is not a selector but a setting item
/// (see [`LogSelector::all`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(u8)]
pub enum Selector {
    /// `8bitmime`
    EightBitMime,
    /// `acl_warn_skipped`
    AclWarnSkipped,
    /// `address_rewrite`
    AddressRewrite,
    /// `all_parents`
    AllParents,
    /// `arguments`
    Arguments,
    /// `connection_id`
    ConnectionId,
    /// `connection_reject`
    ConnectionReject,
    /// `delay_delivery`
    DelayDelivery,
    /// `deliver_time`
    DeliverTime,
    /// `delivery_size`
    DeliverySize,
    /// `dkim`
    Dkim,
    /// `dkim_verbose`
    DkimVerbose,
    /// `dmarc`
    Dmarc,
    /// `dmarc_verbose`
    DmarcVerbose,
    /// `dnslist_defer`
    DnslistDefer,
    /// `dnssec`
    Dnssec,
    /// `etrn`
    Etrn,
    /// `host_lookup_failed`
    HostLookupFailed,
    /// `ident_timeout`
    IdentTimeout,
    /// `incoming_interface`
    IncomingInterface,
    /// `incoming_port`
    IncomingPort,
    /// `lost_incoming_connection`
    LostIncomingConnection,
    /// `millisec`
    Millisec,
    /// `msg_id`
    MsgId,
    /// `msg_id_created`
    MsgIdCreated,
    /// `outgoing_interface`
    OutgoingInterface,
    /// `outgoing_port`
    OutgoingPort,
    /// `pid`
    Pid,
    /// `pipelining`
    Pipelining,
    /// `protocol_detail`
    ProtocolDetail,
    /// `proxy`
    Proxy,
    /// `queue_run`
    QueueRun,
    /// `queue_time`
    QueueTime,
    /// `queue_time_exclusive`
    QueueTimeExclusive,
    /// `queue_time_overall`
    QueueTimeOverall,
    /// `receive_time`
    ReceiveTime,
    /// `received_recipients`
    ReceivedRecipients,
    /// `received_sender`
    ReceivedSender,
    /// `rejected_header` (also accepted as `rejected_headers`)
    RejectedHeader,
    /// `retry_defer`
    RetryDefer,
    /// `return_path_on_delivery`
    ReturnPathOnDelivery,
    /// `sender_on_delivery`
    SenderOnDelivery,
    /// `sender_verify_fail`
    SenderVerifyFail,
    /// `size_reject`
    SizeReject,
    /// `skip_delivery`
    SkipDelivery,
    /// `smtp_confirmation`
    SmtpConfirmation,
    /// `smtp_connection`
    SmtpConnection,
    /// `smtp_incomplete_transaction`
    SmtpIncompleteTransaction,
    /// `smtp_mailauth`
    SmtpMailauth,
    /// `smtp_no_mail`
    SmtpNoMail,
    /// `smtp_protocol_error`
    SmtpProtocolError,
    /// `smtp_syntax_error`
    SmtpSyntaxError,
    /// `spf`
    Spf,
    /// `spf_verbose`
    SpfVerbose,
    /// `subject`
    Subject,
    /// `tls_certificate_verified`
    TlsCertificateVerified,
    /// `tls_cipher`
    TlsCipher,
    /// `tls_on_connect`
    TlsOnConnect,
    /// `tls_peerdn`
    TlsPeerdn,
    /// `tls_resumption`
    TlsResumption,
    /// `tls_sni`
    TlsSni,
    /// `unknown_in_list`
    UnknownInList,
}

/// The row used if a discriminant ever had no row (the tests prove it cannot happen).
const MISSING: Row = Row {
    selector: Selector::EightBitMime,
    name: "",
    default: false,
    effect: "",
};

impl Selector {
    /// Every selector, in Exim's table order (which is also name order).
    pub fn all() -> impl ExactSizeIterator<Item = Selector> + Clone {
        TABLE.iter().map(|r| r.selector)
    }

    fn row(self) -> &'static Row {
        TABLE.get(self as usize).unwrap_or(&MISSING)
    }

    /// The name as written in `log_selector`, e.g. `"received_recipients"`.
    ///
    /// ```
    /// assert_eq!(exim_log::Selector::EightBitMime.name(), "8bitmime");
    /// ```
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// What the selector adds to (or changes in) the log, from exim-log-format.md §9.2.
    ///
    /// ```
    /// use exim_log::Selector;
    /// assert_eq!(Selector::Subject.effect(), "`T=\"<subject>\"` on `<=` lines");
    /// ```
    pub fn effect(self) -> &'static str {
        self.row().effect
    }

    /// True when Exim turns the selector on by default (`globals.c log_default[]`,
    /// identical in 4.96 to 4.100 dev).
    pub fn is_default(self) -> bool {
        self.row().default
    }

    /// Looks up a name exactly as Exim does: case-sensitive, and `rejected_headers`
    /// is an alias of `rejected_header`. `all` is not a selector and returns `None`.
    ///
    /// ```
    /// use exim_log::Selector;
    /// assert_eq!(Selector::from_name("pid"), Some(Selector::Pid));
    /// assert_eq!(Selector::from_name("rejected_headers"), Some(Selector::RejectedHeader));
    /// assert_eq!(Selector::from_name("PID"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Selector> {
        if name == "rejected_headers" {
            return Some(Selector::RejectedHeader);
        }
        // The table is sorted by name (like Exim's, which it binary-searches too).
        TABLE
            .binary_search_by(|r| r.name.cmp(name))
            .ok()
            .and_then(|i| TABLE.get(i))
            .map(|r| r.selector)
    }

    const fn bit(self) -> u64 {
        1 << (self as u8)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(feature = "serde")]
impl Serialize for Selector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Every bit that names a selector.
const ALL_BITS: u64 = (1u64 << TABLE.len()) - 1;

/// The default set: `log_default[]` (exim-log-format.md §9.2).
// Indexing in a const block: an out-of-bounds index is a compile error, not a panic.
#[allow(clippy::indexing_slicing)]
const DEFAULT_BITS: u64 = {
    let mut bits = 0u64;
    let mut i = 0;
    while i < TABLE.len() {
        if TABLE[i].default {
            bits |= 1 << i;
        }
        i += 1;
    }
    bits
};

/// A set of [`Selector`]s: the effective value of a `log_selector` setting.
///
/// `Default` is Exim's default set. [`Display`](fmt::Display) renders the canonical
/// setting (see [`LogSelector::to_setting`]); [`FromStr`] parses a setting (see
/// [`LogSelector::parse`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogSelector(u64);

impl Default for LogSelector {
    fn default() -> Self {
        LogSelector(DEFAULT_BITS)
    }
}

impl LogSelector {
    /// The empty set (what `-all` leaves).
    pub const fn empty() -> Self {
        LogSelector(0)
    }

    /// Every selector (what `+all` sets).
    pub const fn all() -> Self {
        LogSelector(ALL_BITS)
    }

    /// Exim's default set, the same as `LogSelector::default()`.
    pub const fn exim_default() -> Self {
        LogSelector(DEFAULT_BITS)
    }

    /// Parses a `log_selector` value, or a whole `log_selector = ...` option line, with
    /// Exim's rules: start from the defaults, apply `+name`/`-name` items left to right
    /// (white space between items optional), `+all`/`-all`, backslash-continued lines.
    /// Error offsets are byte offsets into `input`.
    ///
    /// ```
    /// use exim_log::{LogSelector, Selector, SelectorErrorKind};
    ///
    /// let set = LogSelector::parse("log_selector = -all +pid+millisec").unwrap();
    /// assert_eq!(set.iter().collect::<Vec<_>>(), [Selector::Millisec, Selector::Pid]);
    ///
    /// let err = LogSelector::parse("+pid +subjct").unwrap_err();
    /// assert_eq!(err.kind(), SelectorErrorKind::UnknownName);
    /// assert_eq!((err.offset(), err.found(), err.suggestion()), (6, "subjct", Some("subject")));
    /// ```
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        parse::parse(input)
    }

    /// True when `s` is in the set.
    pub const fn contains(&self, s: Selector) -> bool {
        self.0 & s.bit() != 0
    }

    /// Adds `s`; returns true when it was not there before.
    pub fn insert(&mut self, s: Selector) -> bool {
        let was = self.contains(s);
        self.0 |= s.bit();
        !was
    }

    /// Removes `s`; returns true when it was there.
    pub fn remove(&mut self, s: Selector) -> bool {
        let was = self.contains(s);
        self.0 &= !s.bit();
        was
    }

    /// The selectors in the set, in table (name) order. The iterator owns a copy of
    /// the set.
    pub fn iter(&self) -> impl Iterator<Item = Selector> + use<> {
        let bits = self.0;
        Selector::all().filter(move |s| bits & s.bit() != 0)
    }

    /// How many selectors are on.
    pub const fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// True when no selector is on.
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The selectors on here but not in Exim's defaults (the `+name` items of a
    /// setting relative to the defaults).
    pub fn added(&self) -> LogSelector {
        LogSelector(self.0 & !DEFAULT_BITS)
    }

    /// The default selectors that are off here (the `-name` items).
    pub fn removed(&self) -> LogSelector {
        LogSelector(DEFAULT_BITS & !self.0)
    }

    /// The canonical setting string: the shortest of three equivalent forms, each
    /// with names in table order:
    /// 1. relative to the defaults: `+added... -removed...` (empty for the defaults);
    /// 2. `-all +on...`;
    /// 3. `+all -off...`.
    ///
    /// Ties go to the earlier form. Parsing the result gives back the same set.
    ///
    /// ```
    /// use exim_log::LogSelector;
    /// assert_eq!(LogSelector::default().to_setting(), "");
    /// assert_eq!(LogSelector::empty().to_setting(), "-all");
    /// assert_eq!(LogSelector::all().to_setting(), "+all");
    /// let s = LogSelector::parse("+all -subject").unwrap();
    /// assert_eq!(s.to_setting(), "+all -subject");
    /// ```
    pub fn to_setting(&self) -> String {
        let relative = self.added().len() + self.removed().len();
        let from_none = 1 + self.len();
        let from_all = 1 + (TABLE.len() - self.len());
        let mut out = String::new();
        let mut item = |sign: char, name: &str| {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push(sign);
            out.push_str(name);
        };
        if relative <= from_none && relative <= from_all {
            self.added().iter().for_each(|s| item('+', s.name()));
            self.removed().iter().for_each(|s| item('-', s.name()));
        } else if from_none <= from_all {
            item('-', "all");
            self.iter().for_each(|s| item('+', s.name()));
        } else {
            item('+', "all");
            LogSelector(ALL_BITS & !self.0)
                .iter()
                .for_each(|s| item('-', s.name()));
        }
        out
    }
}

impl FromStr for LogSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, SelectorError> {
        LogSelector::parse(s)
    }
}

impl fmt::Display for LogSelector {
    /// The canonical setting, see [`LogSelector::to_setting`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_setting())
    }
}

impl fmt::Debug for LogSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Extend<Selector> for LogSelector {
    fn extend<I: IntoIterator<Item = Selector>>(&mut self, iter: I) {
        iter.into_iter().for_each(|s| {
            self.insert(s);
        });
    }
}

impl FromIterator<Selector> for LogSelector {
    fn from_iter<I: IntoIterator<Item = Selector>>(iter: I) -> Self {
        let mut set = LogSelector::empty();
        set.extend(iter);
        set
    }
}

#[cfg(feature = "serde")]
impl Serialize for LogSelector {
    /// A list of the names that are on.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_discriminants_and_names_are_sorted() {
        for (i, r) in TABLE.iter().enumerate() {
            assert_eq!(r.selector as usize, i, "{}", r.name);
            assert!(!r.effect.is_empty(), "{}", r.name);
            assert!(
                r.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{}",
                r.name
            );
        }
        for w in TABLE.windows(2) {
            assert!(w[0].name < w[1].name, "{} < {}", w[0].name, w[1].name);
        }
    }

    #[test]
    fn default_set_is_log_default() {
        // exim-log-format.md §9.2, "Defaults at HEAD and in 4.96-4.99.1".
        let expected = [
            "acl_warn_skipped",
            "connection_reject",
            "delay_delivery",
            "dkim",
            "dnslist_defer",
            "etrn",
            "host_lookup_failed",
            "lost_incoming_connection",
            "msg_id",
            "outgoing_interface",
            "queue_run",
            "queue_time_exclusive",
            "rejected_header",
            "retry_defer",
            "sender_verify_fail",
            "size_reject",
            "skip_delivery",
            "smtp_confirmation",
            "tls_certificate_verified",
            "tls_cipher",
        ];
        let names: Vec<&str> = LogSelector::default().iter().map(Selector::name).collect();
        assert_eq!(names, expected);
        for n in expected {
            assert!(
                Selector::from_name(n).is_some_and(Selector::is_default),
                "{n}"
            );
        }
    }

    #[test]
    fn every_name_round_trips() {
        assert_eq!(Selector::all().len(), 62);
        for s in Selector::all() {
            assert_eq!(Selector::from_name(s.name()), Some(s));
        }
        for n in ["all", "", "Pid", "pid ", "rejected_headerss", "tod_log"] {
            assert_eq!(Selector::from_name(n), None, "{n}");
        }
    }

    #[test]
    fn insert_remove_contains() {
        let mut s = LogSelector::empty();
        assert!(s.is_empty());
        assert!(s.insert(Selector::Pid));
        assert!(!s.insert(Selector::Pid));
        assert!(s.contains(Selector::Pid));
        assert_eq!(s.len(), 1);
        assert!(s.remove(Selector::Pid));
        assert!(!s.remove(Selector::Pid));
        assert!(s.is_empty());
        assert_eq!(LogSelector::all().len(), 62);
        assert!(LogSelector::all().contains(Selector::UnknownInList));
    }

    #[test]
    fn canonical_forms() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("-all", "-all"),
            ("+all", "+all"),
            ("+subject +arguments", "+arguments +subject"),
            ("-all +pid", "-all +pid"),
            ("+all -subject", "+all -subject"),
            ("-retry_defer +pid", "+pid -retry_defer"),
            ("+rejected_headers", ""),
            ("-rejected_headers", "-rejected_header"),
        ];
        for (input, canonical) in cases {
            let s = LogSelector::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(s.to_setting(), *canonical, "{input}");
        }
    }

    /// xorshift64*: deterministic pseudo-random subsets without a dependency.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    #[test]
    fn random_subsets_round_trip() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..5000 {
            let r = next(&mut state);
            // Mix dense, sparse and near-default sets so all three forms are used.
            let bits = match i % 4 {
                0 => r,
                1 => r & next(&mut state) & next(&mut state),
                2 => r | next(&mut state) | next(&mut state),
                _ => DEFAULT_BITS ^ (1 << (r % 62)),
            } & ALL_BITS;
            let set = LogSelector(bits);
            let text = set.to_setting();
            let back = LogSelector::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(back, set, "{text}");
            // The canonical form is a fixed point.
            assert_eq!(back.to_setting(), text);
        }
    }

    #[test]
    fn random_item_sequences_follow_left_to_right() {
        // Random settings (items, separators and continuation lines) against a
        // direct fold of the items (exim-log-format.md §9.1).
        let mut state = 0xD1B5_4A32_D192_ED03u64;
        let names: Vec<&str> = Selector::all()
            .map(Selector::name)
            .chain(["all", "rejected_headers"])
            .collect();
        for _ in 0..2000 {
            let mut text = String::new();
            let mut want = LogSelector::default();
            for _ in 0..(next(&mut state) % 8) {
                let r = next(&mut state);
                let name = names[(r % names.len() as u64) as usize];
                let add = r & (1 << 40) != 0;
                text.push_str(match (r >> 41) % 4 {
                    0 => "",
                    1 => " ",
                    2 => "\t ",
                    _ => " \\\n   ",
                });
                text.push(if add { '+' } else { '-' });
                text.push_str(name);
                match (name, add) {
                    ("all", true) => want = LogSelector::all(),
                    ("all", false) => want = LogSelector::empty(),
                    (n, true) => {
                        want.insert(Selector::from_name(n).unwrap());
                    }
                    (n, false) => {
                        want.remove(Selector::from_name(n).unwrap());
                    }
                }
            }
            let got = LogSelector::parse(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(got, want, "{text:?}");
            assert_eq!(
                LogSelector::parse(&got.to_setting()).ok(),
                Some(got),
                "{text:?}"
            );
        }
    }

    /// The accessors say what the format reference's §9.2 table says (`pid`:
    /// not a default, `[pid]` after the timestamp; `subject`: not a default,
    /// `T="..."` on `<=` lines), and `Display` is the name Exim takes.
    #[test]
    fn selector_accessors_follow_the_reference() {
        assert!(!Selector::Pid.is_default());
        assert!(!Selector::Subject.is_default());
        assert!(Selector::Pid.effect().contains("[pid]"));
        assert!(Selector::Subject.effect().contains("T="));
        assert_eq!(Selector::Pid.to_string(), "pid");
        assert_eq!(format!("{}", Selector::RejectedHeader), "rejected_header");
        assert!(!LogSelector::default().is_empty());
        assert!(!LogSelector::all().is_empty());
        let one: LogSelector = "-all +pid".parse().expect("a setting");
        assert!(!one.is_empty());
        assert_eq!(one.iter().collect::<Vec<_>>(), [Selector::Pid]);
        assert!("+nonsense".parse::<LogSelector>().is_err());
        assert_eq!(LogSelector::empty().to_string(), "-all");
        assert_eq!(one.to_string(), "-all +pid");
        assert_eq!(format!("{one:?}"), "{Pid}");
    }

    /// "Ties go to the earlier form": 31 selectors (9 defaults, 22 others) are
    /// 33 items relative to the defaults, 32 as `-all +...` and 32 as
    /// `+all -...`; the `-all` form wins the tie, and parses back.
    #[test]
    fn to_setting_ties_go_to_the_earlier_form() {
        let mut set = LogSelector::empty();
        Selector::all()
            .filter(|s| s.is_default())
            .take(9)
            .chain(Selector::all().filter(|s| !s.is_default()).take(22))
            .for_each(|s| {
                set.insert(s);
            });
        assert_eq!(set.len(), 31);
        let setting = set.to_setting();
        assert!(setting.starts_with("-all +"), "{setting}");
        assert_eq!(setting.split(' ').count(), 32, "{setting}");
        assert_eq!(LogSelector::parse(&setting), Ok(set));
    }
}
