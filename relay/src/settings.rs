//! The relay's settings file (TOML), for hosting a public demo:
//!
//! ```toml
//! public = true
//! origins = ["https://roundtrip.example"]   # pages allowed to open sessions
//! token = "a long random string"            # optional shared secret
//! trusted_proxies = ["127.0.0.1/32", "10.0.0.0/8"] # reverse proxies
//!                                            # whose X-Forwarded-For counts
//! admin_listen = "127.0.0.1:9090"            # /healthz, /readyz, /metrics
//! drain_grace_s = 10                         # on SIGTERM, before 1001
//! redis = "redis://127.0.0.1:6379/"          # limits shared across relays
//!
//! [[allow]]                                  # any number of rules
//! protocols = ["tcp"]                        # tcp, udp, dns, http, https;
//!                                            # tcp covers http and https;
//!                                            # empty or absent: any
//! hosts = ["*.example.com", "example.org"]
//! ports = ["80", "443", "7000-7010"]
//! cidrs = ["203.0.113.0/24"]
//!
//! [limits]                                   # any of them; the rest keep
//! max_sessions_per_ip = 2                    # the mode's defaults
//! ops_per_second = 3
//! max_open_sockets = 500                     # across all sessions
//! max_open_sockets_per_ip = 16              # per client address (IPv6: /64)
//! write_timeout_s = 5                        # a browser that stops reading
//! bytes_in_per_minute = 4194304
//! session_bytes = 67108864                   # in all, both ways
//! socket_idle_s = 120
//! ```

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::access::Access;
use crate::limits::Limits;
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
    /// Redis for limits shared across relays (`--redis` wins).
    #[serde(default)]
    pub redis: Option<String>,
    #[serde(default)]
    pub allow: Vec<Rule>,
    #[serde(default)]
    pub limits: LimitSettings,
    /// Reverse proxies whose forwarding headers name the client (added to
    /// `--trusted-proxy`).
    #[serde(default)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where the admin routes listen (`--admin-listen` wins).
    #[serde(default)]
    pub admin_listen: Option<std::net::SocketAddr>,
    /// The drain on SIGTERM, in seconds (`--drain-grace` wins).
    #[serde(default)]
    pub drain_grace_s: Option<u64>,
}

/// Limits that replace the mode's defaults (see [`Limits`]).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub max_sessions: Option<usize>,
    pub max_sessions_per_ip: Option<usize>,
    pub sessions_per_minute_per_ip: Option<u32>,
    pub max_ops_per_session: Option<usize>,
    pub max_open_sockets: Option<usize>,
    pub max_open_sockets_per_ip: Option<usize>,
    pub max_lab_connections_per_ip: Option<usize>,
    pub ops_per_second: Option<u32>,
    pub bytes_out_per_minute: Option<u32>,
    pub bytes_in_per_minute: Option<u32>,
    pub session_idle_s: Option<u64>,
    pub session_lifetime_s: Option<u64>,
    pub socket_idle_s: Option<u64>,
    pub socket_lifetime_s: Option<u64>,
    pub session_bytes: Option<u64>,
    pub max_connections_per_ip: Option<usize>,
    pub write_timeout_s: Option<u64>,
    pub bytes_per_minute_per_ip: Option<u64>,
}

impl LimitSettings {
    /// `base` with every limit this names put in.
    fn apply(&self, mut base: Limits) -> Result<Limits, String> {
        let nonzero = |name: &str, n: Option<u32>, default: NonZeroU32| match n {
            None => Ok(default),
            Some(n) => NonZeroU32::new(n).ok_or(format!("limits.{name} must be at least 1")),
        };
        let secs = |n: Option<u64>, default: Duration| n.map_or(default, Duration::from_secs);
        base.max_sessions = self.max_sessions.unwrap_or(base.max_sessions);
        base.max_sessions_per_ip = self.max_sessions_per_ip.unwrap_or(base.max_sessions_per_ip);
        base.max_ops_per_session = self.max_ops_per_session.unwrap_or(base.max_ops_per_session);
        base.max_open_sockets = self.max_open_sockets.unwrap_or(base.max_open_sockets);
        base.max_lab_connections_per_ip = self
            .max_lab_connections_per_ip
            .unwrap_or(base.max_lab_connections_per_ip);
        base.max_open_sockets_per_ip = self
            .max_open_sockets_per_ip
            .unwrap_or(base.max_open_sockets_per_ip);
        base.ops_per_second = nonzero("ops_per_second", self.ops_per_second, base.ops_per_second)?;
        base.sessions_per_minute_per_ip = nonzero(
            "sessions_per_minute_per_ip",
            self.sessions_per_minute_per_ip,
            base.sessions_per_minute_per_ip,
        )?;
        base.bytes_out_per_minute = nonzero(
            "bytes_out_per_minute",
            self.bytes_out_per_minute,
            base.bytes_out_per_minute,
        )?;
        base.bytes_in_per_minute = nonzero(
            "bytes_in_per_minute",
            self.bytes_in_per_minute,
            base.bytes_in_per_minute,
        )?;
        base.session_idle = secs(self.session_idle_s, base.session_idle);
        base.session_lifetime = secs(self.session_lifetime_s, base.session_lifetime);
        base.socket_idle = secs(self.socket_idle_s, base.socket_idle);
        base.socket_lifetime = secs(self.socket_lifetime_s, base.socket_lifetime);
        base.session_bytes = self.session_bytes.unwrap_or(base.session_bytes);
        base.write_timeout = secs(self.write_timeout_s, base.write_timeout);
        base.max_connections_per_ip = self
            .max_connections_per_ip
            .unwrap_or(base.max_connections_per_ip);
        base.bytes_per_minute_per_ip = self
            .bytes_per_minute_per_ip
            .unwrap_or(base.bytes_per_minute_per_ip);
        Ok(base)
    }
}

/// Why a settings file could not be used: each names the file, and a
/// mistake in it the line (and that line's text) or the field.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "cannot read the settings file {}: {source} (check the path given to --config or ROUNDTRIP_CONFIG)",
        path.display()
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("settings file {}, line {line} (`{text}`): {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        /// The offending line as written, trimmed.
        text: String,
        message: String,
    },
    #[error("settings file {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

impl Settings {
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|mut error| {
            error.set_path(path);
            error
        })
    }

    /// Settings from TOML text (errors name no file until [`Self::load`]
    /// puts it in). Origins are checked here so that a wrong one is
    /// reported against the file, not found later as a refused page.
    pub fn parse(text: &str) -> Result<Settings, SettingsError> {
        let mut settings: Settings = toml::from_str(text).map_err(|e| {
            // toml's own message spans several lines with a caret drawing;
            // a start-up error is one line, so keep the line number, the
            // line and the message.
            let start = e.span().map_or(0, |span| span.start).min(text.len());
            let line = text[..start].matches('\n').count() + 1;
            SettingsError::Syntax {
                path: PathBuf::new(),
                line,
                text: text
                    .lines()
                    .nth(line - 1)
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                message: e.message().trim().to_owned(),
            }
        })?;
        for origin in &mut settings.origins {
            *origin =
                crate::access::parse_origin(origin).map_err(|reason| SettingsError::Invalid {
                    path: PathBuf::new(),
                    message: format!("origins: {reason}"),
                })?;
        }
        Ok(settings)
    }

    /// The policy, access checks and limits these settings describe.
    pub fn build(self) -> Result<(Policy, Access, Limits), String> {
        if !self.public {
            let limits = self.limits.apply(Limits::local())?;
            return Ok((Policy::local(), Access::default(), limits));
        }
        if self.origins.is_empty() {
            return Err(
                "public mode needs at least one allowed origin (origins = [\"https://...\"] \
                 or --origin): the page's own address"
                    .to_owned(),
            );
        }
        let limits = self.limits.apply(Limits::public())?;
        let policy = Policy::public(self.allow)?;
        let access = Access {
            mode: Mode::Public,
            origins: self.origins,
            token: self.token.filter(|t| !t.is_empty()),
        };
        Ok((policy, access, limits))
    }
}

impl SettingsError {
    fn set_path(&mut self, file: &Path) {
        match self {
            SettingsError::Read { path, .. }
            | SettingsError::Syntax { path, .. }
            | SettingsError::Invalid { path, .. } => *path = file.to_owned(),
        }
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
        let (policy, access, limits) = settings.build().unwrap();
        assert_eq!(limits.max_sessions_per_ip, 2);
        assert_eq!(limits.ops_per_second.get(), 3);
        assert_eq!(limits.socket_idle, Duration::from_secs(120));
        assert_eq!(limits.max_open_sockets_per_ip, 16);
        assert_eq!(limits.write_timeout, Duration::from_secs(5));
        // Unnamed limits keep the public defaults.
        assert_eq!(
            limits.max_ops_per_session,
            Limits::public().max_ops_per_session
        );
        assert_eq!(policy.mode(), Mode::Public);
        assert_eq!(access.origins, ["https://roundtrip.example"]);
        assert_eq!(settings_admin(&doc), Some(9090));
    }

    fn settings_admin(doc: &str) -> Option<u16> {
        Settings::parse(doc).unwrap().admin_listen.map(|a| a.port())
    }

    #[test]
    fn the_operator_settings_parse() {
        let settings = Settings::parse(
            "trusted_proxies = [\"127.0.0.1/32\", \"10.0.0.0/8\"]\n\
             admin_listen = \"127.0.0.1:9090\"\ndrain_grace_s = 4\n",
        )
        .unwrap();
        assert_eq!(settings.trusted_proxies.len(), 2);
        assert_eq!(settings.admin_listen.unwrap().port(), 9090);
        assert_eq!(settings.drain_grace_s, Some(4));
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
    fn zero_rates_are_errors() {
        let settings: Settings = toml::from_str("[limits]\nops_per_second = 0").unwrap();
        assert!(settings.build().unwrap_err().contains("ops_per_second"));
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(toml::from_str::<Settings>("publik = true").is_err());
    }

    #[test]
    fn a_mistake_is_one_line_naming_the_line() {
        let text = "public = true\n\n[limits]\nops_per_second = \"many\"\n";
        let mut error = Settings::parse(text).unwrap_err();
        error.set_path(Path::new("demo.toml"));
        let message = error.to_string();
        assert!(!message.contains('\n'), "{message}");
        assert!(
            message.starts_with("settings file demo.toml, line 4 (`ops_per_second = \"many\"`): "),
            "{message}"
        );
    }

    #[test]
    fn origins_are_checked_and_written_as_browsers_send_them() {
        let settings = Settings::parse("origins = [\"HTTPS://Demo.Example:443/\"]").unwrap();
        assert_eq!(settings.origins, ["https://demo.example"]);
        let error = Settings::parse("origins = [\"https://demo.example/app\"]").unwrap_err();
        assert!(error.to_string().contains("origins: "), "{error}");
    }
}
