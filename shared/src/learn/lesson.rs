//! What a lesson is made of, as plain data: a teacher writes a [`Lesson`]
//! in `lessons.rs` and every part of the page (text, buttons, checks,
//! predictions, views, code) follows from it. Nothing here draws or runs.

use crate::protocol::{DnsMode, DnsType, Faults, HttpTimeouts, Service};
use crate::retry::{Jitter, RetryPolicy};
use crate::share::Experiment;

use super::checks::Check;

/// One lesson of the course.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lesson {
    /// Its address: `/learn/<slug>`. Never change one that has shipped:
    /// links and saved progress use it.
    pub slug: &'static str,
    pub title: &'static str,
    /// One line for the table of contents.
    pub summary: &'static str,
    /// The explanation, in the markup of [`super::markup`]: 150–400 words.
    pub text: &'static str,
    /// "Do this": 2–5 steps, each a button and a check.
    pub steps: &'static [Step],
    /// "Try this": one-line variations.
    pub tries: &'static [Try],
    /// "A common mistake", where the topic has one.
    pub mistake: Option<Mistake>,
    /// The views shown beside the lesson, most useful first.
    pub views: &'static [View],
    /// Also show the server side's program (for lessons with both).
    pub server_code: bool,
}

/// A "Do this" step: what its button sets up and runs, and the check that
/// turns green when the trace shows it happened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// What the learner is asked to do, in the markup.
    pub text: &'static str,
    /// The button's words.
    pub button: &'static str,
    pub setup: Setup,
    pub check: Check,
    /// What the check's label says, e.g. "a FIN came from the server".
    pub check_label: &'static str,
    /// Asked before the button may be pressed.
    pub predict: Option<Predict>,
}

/// "Predict first": a question with choices, each recognised in the trace
/// by its own check, so the page can say which one really happened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Predict {
    pub question: &'static str,
    pub choices: &'static [Choice],
    /// What to read in the views once the trace has answered.
    pub explain: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    pub label: &'static str,
    /// The trace shows this choice when this check passes; `None` for a
    /// choice no trace can show (the wrong ideas a learner may hold).
    pub shows: Option<Check>,
}

/// "Try this": a variation with a one-line setup.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Try {
    pub text: &'static str,
    pub setup: Setup,
}

/// "A common mistake", with the setup that shows it live when there is one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mistake {
    pub title: &'static str,
    pub text: &'static str,
    pub show: Option<Setup>,
}

/// The views a lesson can show beside its text (the app's own components).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Sequence,
    Lifecycle,
    /// The payload inspector: raw bytes, the HTTP exchange as text.
    Payloads,
    /// The DNS view: the servers asked as a ladder, the answer with TTLs.
    Dns,
    /// The retry view: each attempt, its ending and the wait after it.
    Retry,
    /// The waterfall: each HTTP request's phases, timed.
    Waterfall,
}

/// Where a setup connects to. Lab services listen on ports the relay picks
/// at start, so a lesson names the service and the page fills in the port
/// from the relay's welcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A lab service by name (`tcp-echo`, `udp-echo`), as the panels list it.
    Service(&'static str),
    /// A lab service's port on another spelling of its host: `[::1]`,
    /// `localhost`.
    ServiceOn {
        host: &'static str,
        service: &'static str,
    },
    /// A lab name with a well-known port (`echo.lab.test:7`) the relay
    /// leads to `service`; programs on the learner's machine use the
    /// service's real address.
    LabName {
        name: &'static str,
        service: &'static str,
    },
    /// A `host:port` as written.
    Literal(&'static str),
}

impl Target {
    /// What the relay is asked to dial; `None` while the relay has not
    /// named the service (before its welcome).
    pub fn dial(&self, services: &[Service]) -> Option<String> {
        match self {
            Target::Service(name) => Some((*name).to_owned()),
            Target::ServiceOn { host, service } => {
                let (_, port) = service_addr(services, service)?;
                Some(format!("{host}:{port}"))
            }
            Target::LabName { name, .. } => Some((*name).to_owned()),
            Target::Literal(target) => Some((*target).to_owned()),
        }
    }

    /// The scheme an HTTP setup speaks to the target with: `https` for a
    /// lab service that speaks HTTPS (`https-lab` and its siblings with
    /// broken certificates, by name or by a lab name), `http` otherwise.
    pub fn scheme(&self, services: &[Service]) -> &'static str {
        let service = match self {
            Target::Service(service)
            | Target::ServiceOn { service, .. }
            | Target::LabName { service, .. } => *service,
            Target::Literal(_) => return "http",
        };
        match services.iter().find(|s| s.name == service) {
            Some(s) if s.protocol == "https" => "https",
            _ => "http",
        }
    }

    /// `<scheme>://<dial><path>`: the URL an HTTP setup asks for.
    pub fn url(&self, services: &[Service], path: &str) -> Option<String> {
        let dial = self.dial(services)?;
        Some(format!("{}://{dial}{path}", self.scheme(services)))
    }

    /// The host and port a program on the learner's machine connects to.
    pub fn address(&self, services: &[Service]) -> Option<(String, u16)> {
        match self {
            Target::Service(service) | Target::LabName { service, .. } => {
                service_addr(services, service)
            }
            Target::ServiceOn { host, service } => {
                let (_, port) = service_addr(services, service)?;
                Some((host.trim_matches(['[', ']']).to_owned(), port))
            }
            Target::Literal(target) => split_host_port(target),
        }
    }
}

/// `host:port` or `[v6]:port` into its host (brackets removed) and port.
pub fn split_host_port(target: &str) -> Option<(String, u16)> {
    let (host, port) = target.rsplit_once(':')?;
    let port = port.parse().ok()?;
    let host = host.trim_matches(['[', ']']);
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

fn service_addr(services: &[Service], name: &str) -> Option<(String, u16)> {
    let service = services.iter().find(|s| s.name == name)?;
    split_host_port(&service.addr)
}

/// What happens after the message went and its answer came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum After {
    /// Leave the connection open.
    Keep,
    /// `close()`.
    Close,
    /// `shutdown(SHUT_WR)`: send a FIN, keep reading until the peer's.
    Shutdown,
}

/// What a button sets up and runs, from start to end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Setup {
    /// Connect, send `send` (when not empty) once connected, wait for the
    /// answer, then `then`.
    Tcp {
        target: Target,
        send: &'static str,
        then: After,
        faults: Option<Faults>,
    },
    /// Open a UDP socket to `target`, send `send` as one datagram, wait for
    /// an answer or `recv_timeout_ms`, close.
    Udp {
        target: Target,
        send: &'static str,
        recv_timeout_ms: u64,
        faults: Option<Faults>,
    },
    /// One HTTP request to `http://<target><path>` (`https://` when the
    /// target is an HTTPS lab service, see [`Target::scheme`]), its bytes
    /// on the wire reported too (for the payload inspector). `send` is the
    /// body.
    Http {
        target: Target,
        method: &'static str,
        path: &'static str,
        headers: &'static [(&'static str, &'static str)],
        send: &'static str,
        /// How long to wait for the response to begin (and for the
        /// connection), as `requests`' `timeout=` does; the relay's
        /// defaults when `None`.
        timeout_ms: Option<u64>,
        /// Retry under this policy (the relay runs the attempts). A `{key}`
        /// in `path` becomes a key of this run's own, so the lab's `/flaky`
        /// counts its attempts afresh.
        retry: Option<Retry>,
    },
    /// A `GET` of `http://<target><path>` for a JSON document a program
    /// reads: `expect` is what it needs, written as the payload inspector
    /// takes it (`city:string temp:number`), and the page fills it in
    /// there. With `max_bytes` the relay refuses a larger body (its
    /// `max_body`) as the program does. The wait is [`JSON_TIMEOUT_MS`].
    Json {
        target: Target,
        path: &'static str,
        expect: &'static str,
        max_bytes: Option<u64>,
    },
    /// The page as a server: listen on a port the relay picks (a
    /// `tcp_listen`), and wait.
    Listen,
    /// The page as both sides: listen (or use the listener already
    /// listening), connect to it as a client, send `send` and shut down
    /// the sending side; the accepted connection reads to the FIN, answers
    /// with the request in capitals and closes, as the `server.py` beside
    /// the lesson does.
    Serve { send: &'static str },
    /// `count` TCP connections to `target` at once: each sends `send` as
    /// soon as it is connected, reads the answer until the server closes,
    /// and closes; the page waits on all of them together, as one event
    /// loop does.
    Many {
        target: Target,
        count: u8,
        send: &'static str,
    },
    /// A health check: a `GET` of `http://<target><path>` for each of
    /// `paths`, one after another as a program's loop asks them, each
    /// with a timeout of `timeout_ms` (to connect and for the answer to
    /// begin).
    Checks {
        target: Target,
        paths: &'static [&'static str],
        timeout_ms: u64,
    },
    /// One DNS question: `rtype` records of `name`, asked of the DNS lab's
    /// stub server, or walked from the lab's root (`DnsMode::Trace`).
    Dns {
        name: &'static str,
        rtype: DnsType,
        mode: DnsMode,
    },
}

/// How long a [`Setup::Json`] waits to connect and for its answer to
/// begin, as its program's `timeout=` does.
pub const JSON_TIMEOUT_MS: u64 = 10_000;

/// The DNS lab's stub server: what a DNS setup's programs ask.
pub const DNS_LAB: Target = Target::Service("dns-lab");

/// A lesson's retry policy: attempts, the first wait (doubled after each
/// attempt, capped at [`Retry::CAP_MS`]) and whether to jitter it; the
/// server's `Retry-After` is honoured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    pub base_ms: u64,
    /// Full jitter: each wait drawn between zero and its backoff.
    pub jitter: bool,
}

impl Retry {
    /// No wait is longer than this.
    pub const CAP_MS: u64 = 5_000;

    /// The relay's policy for it.
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts,
            base_ms: self.base_ms,
            multiplier: 2.0,
            cap_ms: Self::CAP_MS,
            jitter: if self.jitter {
                Jitter::Full
            } else {
                Jitter::None
            },
            honor_retry_after: true,
            ..RetryPolicy::default()
        }
    }
}

/// The text a run puts for `{key}` in a path: the lab counts `/flaky`'s
/// attempts per key, so each run asks with its own.
pub fn keyed_path(path: &str, nonce: u64) -> String {
    path.replace("{key}", &format!("learn-{nonce}"))
}

/// Where the programs beside a listening lesson meet on the learner's
/// machine: their own server on [`super::codegen::SERVER_PORT`].
pub const OWN_SERVER: Target = Target::Literal("127.0.0.1:5007");

impl Setup {
    /// What the setup connects to. A listening setup's own listener is
    /// wherever the relay put it; its programs meet at [`OWN_SERVER`].
    pub fn target(&self) -> Target {
        match self {
            Setup::Tcp { target, .. }
            | Setup::Udp { target, .. }
            | Setup::Http { target, .. }
            | Setup::Json { target, .. }
            | Setup::Many { target, .. }
            | Setup::Checks { target, .. } => *target,
            Setup::Listen | Setup::Serve { .. } => OWN_SERVER,
            Setup::Dns { .. } => DNS_LAB,
        }
    }

    /// The text the setup sends unless the learner typed another.
    pub fn send(&self) -> &'static str {
        match self {
            Setup::Tcp { send, .. }
            | Setup::Udp { send, .. }
            | Setup::Http { send, .. }
            | Setup::Many { send, .. }
            | Setup::Serve { send } => send,
            Setup::Listen | Setup::Dns { .. } | Setup::Checks { .. } | Setup::Json { .. } => "",
        }
    }

    /// The playground's experiment link for this setup: "Open in the
    /// playground" fills in its panel the same way. A listening setup has
    /// none: the playground's TCP server tab starts from a click; nor has
    /// a setup of many connections at once, which no panel opens, nor a
    /// health check of several addresses.
    pub fn experiment(&self, services: &[Service], message: &str) -> Option<Experiment> {
        let target = self.target().dial(services)?;
        Some(match self {
            Setup::Listen | Setup::Serve { .. } | Setup::Many { .. } | Setup::Checks { .. } => {
                return None;
            }
            Setup::Dns { name, rtype, mode } => Experiment::Dns {
                name: (*name).to_owned(),
                rtype: *rtype,
                mode: *mode,
            },
            Setup::Tcp { faults, .. } => Experiment::Tcp {
                target,
                nodelay: false,
                send: message.to_owned(),
                faults: *faults,
            },
            Setup::Udp {
                faults,
                recv_timeout_ms,
                ..
            } => Experiment::Udp {
                target,
                send: message.to_owned(),
                bind_port: None,
                recv_timeout_ms: Some(*recv_timeout_ms),
                faults: *faults,
            },
            Setup::Http {
                method,
                path,
                headers,
                timeout_ms,
                retry,
                ..
            } => Experiment::Http {
                method: (*method).to_owned(),
                url: format!(
                    "{}://{target}{}",
                    self.target().scheme(services),
                    keyed_path(path, 0)
                ),
                headers: headers
                    .iter()
                    .map(|(n, v)| format!("{n}: {v}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                body: message.to_owned(),
                retry: retry.map(|r| r.policy()),
                // As the lesson's own request: a JSON body marked as one,
                // the wire bytes shown.
                json: serde_json::from_str::<serde_json::Value>(message).is_ok(),
                raw: true,
                follow_redirects: 0,
                timeouts: timeout_ms.map(HttpTimeouts::waiting),
                faults: None,
            },
            // The playground's form has no limit on the body: it reads it all.
            Setup::Json { path, .. } => Experiment::Http {
                method: "GET".to_owned(),
                url: format!("http://{target}{path}"),
                headers: String::new(),
                body: String::new(),
                retry: None,
                json: false,
                raw: true,
                follow_redirects: 0,
                timeouts: Some(HttpTimeouts::waiting(JSON_TIMEOUT_MS)),
                faults: None,
            },
        })
    }

    /// Whether the setup asks the lab for faults (which the lab injects on
    /// the page's own connections only).
    pub fn has_faults(&self) -> bool {
        match self {
            Setup::Tcp { faults, .. } | Setup::Udp { faults, .. } => {
                faults.is_some_and(|f| !f.is_empty())
            }
            Setup::Http { .. }
            | Setup::Json { .. }
            | Setup::Listen
            | Setup::Serve { .. }
            | Setup::Many { .. }
            | Setup::Checks { .. }
            | Setup::Dns { .. } => false,
        }
    }
}
