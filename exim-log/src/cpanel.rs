//! cPanel's user data: `/var/cpanel/userdata/USER/DOMAIN`, one YAML file per
//! site of an account, saying where the site is served from
//! (`documentroot:`), the account's home (`homedir:`), the site's names
//! (`servername:`, `serveralias:`) and the account (`user:`). Web origins use
//! it to map a script's directory to the site that serves it, where the path
//! alone cannot (addon domains outside `public_html`, homes not under
//! `/home`).
//!
//! Only the flat `key: value` lines these fields use are read (values quoted
//! or not); the rest of the YAML (lists, nested maps) is skipped, so no YAML
//! crate is needed for five scalar fields. Reading the folder is
//! [`crate::reader::cpanel_userdata`].
//!
//! ```
//! use exim_log::cpanel::parse_userdata;
//! let u = parse_userdata("shop.example", b"---\n\
//!     documentroot: /home/alice/shop.example\n\
//!     homedir: /home/alice\n\
//!     serveralias: www.shop.example shop2.example\n\
//!     servername: shop.example\n\
//!     user: alice\n");
//! assert_eq!(u.documentroot.as_deref(), Some("/home/alice/shop.example"));
//! assert_eq!(u.homedir.as_deref(), Some("/home/alice"));
//! assert_eq!(u.user.as_deref(), Some("alice"));
//! assert_eq!(u.aliases, ["www.shop.example", "shop2.example"]);
//! ```

/// One site's user data (the fields web origins need).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Userdata {
    /// The site's name: `servername:`, else the file's name.
    pub domain: String,
    /// `documentroot:`: the folder served at the site's `/`.
    pub documentroot: Option<String>,
    /// `homedir:`: the account's home.
    pub homedir: Option<String>,
    /// `user:`: the account.
    pub user: Option<String>,
    /// `serveralias:`: the site's other names.
    pub aliases: Vec<String>,
}

/// A scalar as YAML writes it: quotes removed, a trailing ` #comment` too.
fn scalar(v: &str) -> String {
    let v = v.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.split(q).next()) {
            return inner.to_string();
        }
    }
    let v = v.split(" #").next().unwrap_or(v);
    v.trim().to_string()
}

/// Reads the user data file of `file_domain` (its file name); never fails:
/// fields not found are `None`.
pub fn parse_userdata(file_domain: &str, text: &[u8]) -> Userdata {
    let text = String::from_utf8_lossy(text);
    let mut u = Userdata {
        domain: file_domain.to_string(),
        ..Userdata::default()
    };
    for line in text.lines() {
        // Top-level keys only: nested ones are indented.
        if line.starts_with([' ', '\t', '-', '#']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = scalar(value);
        if value.is_empty() {
            continue;
        }
        match key.trim() {
            "documentroot" => u.documentroot = Some(value),
            "homedir" => u.homedir = Some(value),
            "user" => u.user = Some(value),
            "servername" => u.domain = value,
            "serveralias" => u.aliases = value.split_whitespace().map(str::to_string).collect(),
            _ => {}
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_nested_keys_and_missing_fields() {
        let u = parse_userdata(
            "file.example",
            b"---\ncustomlog:\n  - format: combined\n    target: /x\ndocumentroot: '/data/u/site'\nhomedir: \"/data/u\" # home\nphpopenbasedirprotect: 1\n",
        );
        assert_eq!(u.domain, "file.example");
        assert_eq!(u.documentroot.as_deref(), Some("/data/u/site"));
        assert_eq!(u.homedir.as_deref(), Some("/data/u"));
        assert_eq!((u.user, u.aliases.len()), (None, 0));
        assert_eq!(
            parse_userdata("x", b"\xff\xfe:::\n"),
            Userdata {
                domain: "x".into(),
                ..Userdata::default()
            }
        );
    }
}
