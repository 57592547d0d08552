//! The cast of a shared-hosting server: hosted accounts with their domains,
//! mailboxes and web scripts, remote mail domains with their MX hosts, and the
//! word lists everything is built from. Built once from the seed.

use crate::rng::Rng;

/// Our server: `primary_hostname` and the address it listens on (documentation range).
pub const HOSTNAME: &str = "cp01.hostingco.example.net";
/// The address of [`HOSTNAME`].
pub const OUR_IP: &str = "203.0.113.25";

const WORDS: &[&str] = &[
    "blue", "river", "stone", "maple", "harbor", "pixel", "north", "garden", "copper", "lunar",
    "cedar", "summit", "velvet", "orchid", "falcon", "meadow", "amber", "crystal", "urban",
    "prairie", "coastal", "golden", "silver", "rapid", "quiet", "bright", "alpine", "sunny",
    "bakery", "studio", "dental", "motors", "travel", "design", "photo", "fitness", "legal",
    "realty", "coffee", "books", "crafts", "garage", "pets", "yoga", "media", "tech", "farm",
];
const FIRST_NAMES: &[&str] = &[
    "john", "mary", "peter", "linda", "james", "susan", "robert", "karen", "michael", "lisa",
    "david", "nancy", "daniel", "laura", "paul", "emma", "mark", "olivia", "steven", "anna",
    "info", "sales", "support", "admin", "office", "billing", "contact", "hello", "orders",
];
const TLDS: &[&str] = &["example.com", "example.net", "example.org"];
const SCRIPT_DIRS: &[&str] = &[
    "public_html",
    "public_html/contact",
    "public_html/wp-admin",
    "public_html/wp-content/plugins/contact-form-7",
    "public_html/wp-content/plugins/woocommerce/includes/emails",
    "public_html/forum",
    "public_html/shop/system/library",
    "public_html/cgi-bin",
    "public_html/newsletter",
    "public_html/includes/phpmailer",
];
/// Directories spam kits get dropped into.
const SPAM_DIRS: &[&str] = &[
    "public_html/wp-content/uploads/2024/05",
    "public_html/wp-includes/css/dist/.cache",
    "public_html/images/.tmp",
    "public_html/tmp/x",
];

/// A hosted (cPanel-style) account: a system user, its domain, mailboxes, scripts.
#[derive(Clone, Debug)]
pub struct Account {
    /// The system user (`U=` of its local submissions, `/home/<user>`).
    pub user: String,
    /// The account's main domain.
    pub domain: String,
    /// Local parts of its mailboxes (`local@domain` logs in with `A=dovecot_login:`).
    pub mailboxes: Vec<String>,
    /// `cwd=` directories of its web scripts that send mail.
    pub scripts: Vec<String>,
}

/// A remote mail domain and the MX host that takes its mail.
#[derive(Clone, Debug)]
pub struct Remote {
    /// The domain.
    pub domain: String,
    /// Its MX host name.
    pub mx: String,
    /// The MX host's address.
    pub ip: String,
    /// Greylisting domain: first attempts get `451 4.7.1`.
    pub greylists: bool,
}

/// Everything the generator picks names from.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// Hosted accounts.
    pub accounts: Vec<Account>,
    /// Remote domains.
    pub remotes: Vec<Remote>,
}

/// A routable-looking IPv4 address outside private, loopback and multicast space.
pub fn public_ip(rng: &mut Rng) -> String {
    loop {
        let a = rng.range(1, 223);
        if matches!(a, 10 | 100 | 127 | 169 | 172 | 192 | 198 | 203) {
            continue;
        }
        return format!(
            "{a}.{}.{}.{}",
            rng.below(256),
            rng.below(256),
            rng.range(1, 254)
        );
    }
}

/// An IPv6 address in the documentation prefix.
pub fn ipv6(rng: &mut Rng) -> String {
    format!(
        "2001:db8:{:x}:{:x}::{:x}",
        rng.below(0xffff),
        rng.below(0xffff),
        rng.range(1, 0xfff)
    )
}

impl Catalog {
    /// Builds the cast from `rng`.
    pub fn new(rng: &mut Rng) -> Self {
        let mut accounts = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        while accounts.len() < 40 {
            let (a, b) = (rng.pick(WORDS), rng.pick(WORDS));
            if a == b || !seen.insert((a, b)) {
                continue;
            }
            let user = format!("{}{}", a.get(..4).unwrap_or(a), b.get(..4).unwrap_or(b));
            let domain = format!("{a}{b}.{}", rng.pick(TLDS));
            let mut mailboxes: Vec<String> = Vec::new();
            for _ in 0..rng.range(2, 6) {
                let m = rng.pick(FIRST_NAMES).to_string();
                if !mailboxes.contains(&m) {
                    mailboxes.push(m);
                }
            }
            let scripts = (0..rng.range(1, 3))
                .map(|_| format!("/home/{user}/{}", rng.pick(SCRIPT_DIRS)))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            accounts.push(Account {
                user,
                domain,
                mailboxes,
                scripts,
            });
        }
        let mut remotes = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        while remotes.len() < 60 {
            let w = rng.pick(WORDS);
            let kind = rng.pick(&["mail", "post", "net", "online", "isp", "corp", "web"]);
            if !seen.insert((w, kind)) {
                continue;
            }
            let domain = format!("{w}{kind}.{}", rng.pick(TLDS));
            let mx = format!("mx{}.{domain}", rng.range(1, 3));
            remotes.push(Remote {
                domain,
                mx,
                ip: public_ip(rng),
                greylists: rng.percent(15),
            });
        }
        Catalog { accounts, remotes }
    }

    /// A directory a spam kit was dropped into, under `account`'s home.
    pub fn spam_dir(rng: &mut Rng, account: &Account) -> String {
        format!("/home/{}/{}", account.user, rng.pick(SPAM_DIRS))
    }

    /// A random local part for recipients and senders out there.
    pub fn local_part(rng: &mut Rng) -> String {
        let first = rng.pick(FIRST_NAMES);
        match rng.below(4) {
            0 => first.to_string(),
            1 => format!("{first}.{}", rng.pick(WORDS)),
            2 => format!("{first}{}", rng.range(1, 99)),
            _ => format!("{}{}", first.get(..1).unwrap_or(first), rng.pick(WORDS)),
        }
    }

    /// A random-looking local part, as tried by a dictionary attack.
    pub fn guessed_local_part(rng: &mut Rng) -> String {
        let first = rng.pick(FIRST_NAMES);
        match rng.below(3) {
            0 => format!("{first}{}", rng.pick(WORDS)),
            1 => format!("{}.{}", first, rng.pick(FIRST_NAMES)),
            _ => {
                let n = rng.range(5, 9) as usize;
                (0..n)
                    .map(|_| char::from(b'a' + rng.below(26) as u8))
                    .collect()
            }
        }
    }

    /// A word, for HELO names and hosts.
    pub fn word(rng: &mut Rng) -> &'static str {
        rng.pick(WORDS)
    }

    /// A top-level domain suffix.
    pub fn tld(rng: &mut Rng) -> &'static str {
        rng.pick(TLDS)
    }
}

/// Subjects as decoded by Exim (`$h_subject:`), before the `T="..."` escaping of §7.
/// Some carry `"`, `\`, a folded newline, UTF-8 or Latin-1 8-bit bytes on purpose.
pub const SUBJECTS: &[&[u8]] = &[
    b"Re: meeting on Thursday",
    b"Your order has shipped",
    b"Invoice 2024-0457 from Harbor Design",
    b"Fwd: \"Quarterly report\" draft",
    b"Backup path C:\\Users\\admin\\Desktop",
    b"two-line subject,\n that is, it covers two lines",
    b"Caf\xc3\xa9 menu for this week",
    b"Gr\xc3\xbc\xc3\x9fe aus M\xc3\xbcnchen",
    b"R\xe9sum\xe9 attached",
    b"Contact form submission",
    b"New comment on your post",
    b"Password reset request",
    b"Re: Re: quote for the new roof",
    b"Weekly newsletter\t#32",
    b"[Support] Ticket 88213 updated",
    b"Booking confirmation",
];

/// Subjects of spam runs.
pub const SPAM_SUBJECTS: &[&[u8]] = &[
    b"Buy Me!",
    b"You have WON $1,000,000 !!!",
    b"Cheap meds - 80% off today only",
    b"Your mailbox is full: verify now",
    b"Urgent: account \"suspended\"",
    b"Cr\xc3\xa9dit imm\xc3\xa9diat sans frais",
];
