//! The relay's settings file (TOML), for hosting a public demo:
//!
//! ```toml
//! public = true
//! origins = ["https://roundtrip.example"]   # pages allowed to open sessions
//! token = "a long random string"            # optional shared secret
//!
//! [[allow]]                                  # any number of rules
//! protocols = ["tcp"]                        # empty or absent: any
//! hosts = ["*.example.com", "example.org"]
//! ports = ["80", "443", "7000-7010"]
//! cidrs = ["203.0.113.0/24"]
//! ```

use std::path::Path;

use serde::Deserialize;

use crate::access::Access;
use crate::policy::{Mode, Policy, Rule};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub origins: Vec<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub allow: Vec<Rule>,
}

impl Settings {
    pub fn load(path: &Path) -> Result<Settings, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The policy and access checks these settings describe.
    pub fn build(self) -> Result<(Policy, Access), String> {
        if !self.public {
            return Ok((Policy::local(), Access::default()));
        }
        if self.origins.is_empty() {
            return Err(
                "public mode needs at least one allowed origin (origins = [\"https://...\"] \
                 or --origin): the page's own address"
                    .to_owned(),
            );
        }
        let policy = Policy::public(self.allow)?;
        let access = Access {
            mode: Mode::Public,
            origins: self.origins,
            token: self.token.filter(|t| !t.is_empty()),
        };
        Ok((policy, access))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let doc: String = include_str!("settings.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| format!("{}\n", l.trim_start_matches("//!").trim_start()))
            .collect();
        let settings: Settings = toml::from_str(&doc).unwrap();
        assert!(settings.public);
        assert_eq!(settings.allow.len(), 1);
        let (policy, access) = settings.build().unwrap();
        assert_eq!(policy.mode(), Mode::Public);
        assert_eq!(access.origins, ["https://roundtrip.example"]);
    }

    #[test]
    fn public_without_origins_is_an_error() {
        let settings = Settings {
            public: true,
            ..Settings::default()
        };
        assert!(settings.build().unwrap_err().contains("origin"));
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(toml::from_str::<Settings>("publik = true").is_err());
    }
}
