//! What the relay counts, for an operator's dashboards: the names of its
//! metrics, the one recorder they go to, and the Prometheus text that
//! `GET /metrics` ([`crate::admin`]) serves.
//!
//! Every metric is recorded through the functions here, so that the names,
//! labels and units live in one place and the label values come from short
//! fixed lists (error codes, refusal rules, service names): never from what
//! a browser sent, which would let a client grow the metrics without bound.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const SESSIONS_OPEN: &str = "roundtrip_sessions_open";
pub const SOCKETS_OPEN: &str = "roundtrip_sockets_open";
pub const SESSIONS_STARTED: &str = "roundtrip_sessions_started_total";
pub const SESSION_CLOSES: &str = "roundtrip_session_closes_total";
pub const SESSION_SECONDS: &str = "roundtrip_session_duration_seconds";
pub const OPERATIONS_STARTED: &str = "roundtrip_operations_started_total";
pub const OPERATIONS_ENDED: &str = "roundtrip_operations_ended_total";
pub const FIRST_EVENT_SECONDS: &str = "roundtrip_time_to_first_event_seconds";
pub const BYTES: &str = "roundtrip_bytes_total";
pub const REFUSALS: &str = "roundtrip_refusals_total";
pub const LAB_USE: &str = "roundtrip_lab_dials_total";
pub const DRAINING: &str = "roundtrip_draining";
pub const SHARED_LIMITS: &str = "roundtrip_shared_limits";

/// Sessions last seconds to hours.
const SESSION_BUCKETS: &[f64] = &[1.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0];
/// From a request to its operation's first event: a DNS lookup or a connect
/// on loopback is well under a millisecond, one across the world a few
/// hundred.
const FIRST_EVENT_BUCKETS: &[f64] = &[
    0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// How often histogram samples are folded into their buckets when nobody
/// scrapes: until then they are kept one by one.
const UPKEEP: Duration = Duration::from_secs(5);

/// The process's recorder, installed by the first relay that starts (the
/// `metrics` facade has one per process). Returns what renders it.
pub fn install() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(SESSION_SECONDS.into()), SESSION_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(FIRST_EVENT_SECONDS.into()),
                        FIRST_EVENT_BUCKETS,
                    )
                })
                .expect("bucket lists are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed: /metrics stays empty");
            }
            describe();
            let upkeep = handle.clone();
            // A thread, not a task: the recorder outlives any one runtime
            // (tests start many relays, each on its own).
            let _ = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP);
                        upkeep.run_upkeep();
                    }
                });
            handle
        })
        .clone()
}

fn describe() {
    describe_gauge!(SESSIONS_OPEN, "Sessions open now.");
    describe_gauge!(SOCKETS_OPEN, "Sockets the sessions hold open now.");
    describe_gauge!(
        DRAINING,
        "1 while the relay drains before a restart (no new sessions), else 0."
    );
    describe_gauge!(
        SHARED_LIMITS,
        "1 for where per-address limits are kept now: `local` (no Redis), `shared` (Redis answers) or `unreachable` (Redis configured but away: local limits hold)."
    );
    describe_counter!(SESSIONS_STARTED, "Sessions admitted since start.");
    describe_counter!(
        SESSION_CLOSES,
        "Sessions ended, by WebSocket close code (`browser`: the browser closed or left)."
    );
    describe_histogram!(
        SESSION_SECONDS,
        metrics::Unit::Seconds,
        "How long sessions lasted."
    );
    describe_counter!(OPERATIONS_STARTED, "Operations started, by kind.");
    describe_counter!(
        OPERATIONS_ENDED,
        "Operations ended, by kind and outcome (`closed`, or the error code of `failed`)."
    );
    describe_histogram!(
        FIRST_EVENT_SECONDS,
        metrics::Unit::Seconds,
        "From an operation's start to its first event."
    );
    describe_counter!(
        BYTES,
        metrics::Unit::Bytes,
        "Payload bytes, `to_target` (sent for the browser) and `from_target` (received for it)."
    );
    describe_counter!(
        REFUSALS,
        "Requests refused, by reason: access (origin, host, token), sessions, connections, \
         draining, limit, lab_limit, or policy_<rule>."
    );
    describe_counter!(
        LAB_USE,
        "Dials the policy let through to a lab service, by service: TCP connections (HTTP \
         requests' included), UDP sockets with a target, and each datagram sent with send_to."
    );
}

/// Bytes moved for a browser: `to_target` or `from_target`.
#[derive(Clone, Copy, Debug)]
pub enum Direction {
    ToTarget,
    FromTarget,
}

pub fn bytes(direction: Direction, n: usize) {
    let label = match direction {
        Direction::ToTarget => "to_target",
        Direction::FromTarget => "from_target",
    };
    counter!(BYTES, "direction" => label).increment(n as u64);
}

/// One refusal; `reason` is one of the fixed names [`REFUSALS`] lists.
pub fn refused(reason: &'static str) {
    counter!(REFUSALS, "reason" => reason).increment(1);
}

/// A dial the policy refused, by the rule that refused it.
pub fn policy_refused(refusal: roundtrip_shared::protocol::Refusal) {
    use roundtrip_shared::protocol::Refusal;
    let reason = match refusal {
        Refusal::SpecialAddress => "policy_special_address",
        Refusal::ResolvedToSpecial => "policy_resolved_to_special",
        Refusal::NotAllowListed => "policy_not_allow_listed",
        Refusal::SmtpPort => "policy_smtp_port",
        Refusal::ListenPortChosen => "policy_listen_port_chosen",
        Refusal::UdpPortChosen => "policy_udp_port_chosen",
        Refusal::NotOnThisMachine => "policy_not_on_this_machine",
    };
    refused(reason);
}

pub fn session_started() {
    counter!(SESSIONS_STARTED).increment(1);
}

/// A session ended after `lasted`, with close `code` (`None`: the browser
/// closed it, or went away).
pub fn session_ended(code: Option<u16>, lasted: Duration) {
    let code = code.map_or_else(|| "browser".to_owned(), |c| c.to_string());
    counter!(SESSION_CLOSES, "code" => code).increment(1);
    histogram!(SESSION_SECONDS).record(lasted.as_secs_f64());
}

/// A session refused at admission, closed with `code`.
pub fn session_refused(code: u16) {
    counter!(SESSION_CLOSES, "code" => code.to_string()).increment(1);
}

pub fn operation_started(kind: &'static str) {
    counter!(OPERATIONS_STARTED, "kind" => kind).increment(1);
}

/// An operation of `kind` ended: `outcome` is `closed` or the error code
/// of its `failed` event.
pub fn operation_ended(kind: &'static str, outcome: &'static str) {
    counter!(OPERATIONS_ENDED, "kind" => kind, "outcome" => outcome).increment(1);
}

pub fn first_event(after: Duration) {
    histogram!(FIRST_EVENT_SECONDS).record(after.as_secs_f64());
}

/// A dial to the lab service `service` (a name from the lab's own list).
pub fn lab_use(service: &str) {
    counter!(LAB_USE, "service" => service.to_owned()).increment(1);
}

/// The gauges, set from the relay's own counts right before they are
/// rendered (so that they cannot drift from them).
pub fn set_gauges(
    sessions: usize,
    sockets: usize,
    draining: bool,
    limits: crate::shared_limits::Status,
) {
    gauge!(SESSIONS_OPEN).set(sessions as f64);
    gauge!(SOCKETS_OPEN).set(sockets as f64);
    gauge!(DRAINING).set(if draining { 1.0 } else { 0.0 });
    for state in crate::shared_limits::Status::ALL {
        gauge!(SHARED_LIMITS, "state" => state.as_str()).set(if state == limits {
            1.0
        } else {
            0.0
        });
    }
}
