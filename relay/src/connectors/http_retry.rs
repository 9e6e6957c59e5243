//! The attempts of a retried HTTP request (`http_request` with `retry`).
//!
//! The relay runs the attempts and the waits itself, so every time on the
//! timeline is measured here. The waits come from
//! [`roundtrip_shared::retry::Backoff`], the function the page's simulator
//! uses, so one seed waits the same in both. Each attempt is a full
//! [`exchange`](super::http::exchange): it resolves, and dials through the
//! policy, anew.
//!
//! Events: `attempt` before each attempt, its usual phase events, then
//! `backoff` when the policy retries how it ended, or `gave_up` when it
//! would but no attempt is left. The operation then ends as its last
//! attempt did (`closed` after a response, `failed` after an error).

use std::time::{Duration, Instant, SystemTime};

use roundtrip_shared::protocol::{AttemptReason, ErrorCode, EventKind, HttpRequest, RelayError};
use roundtrip_shared::retry::policy::RELAY_LIMITS;
use roundtrip_shared::retry::retry_after::retry_after_ms;
use roundtrip_shared::retry::{AttemptEnd, Backoff, RetryPolicy};

use super::http::{Stop, Summary, exchange, fail};
use crate::AppState;
use crate::report::Reporter;

/// Runs the attempts of `request` under `policy`. `Ok` when the last
/// attempt got a response (retried or not), the error of the last attempt
/// otherwise.
pub(super) async fn attempts(
    state: &AppState,
    request: &HttpRequest,
    policy: &RetryPolicy,
    started: Instant,
    report: &Reporter,
    summary: &mut Summary,
) -> Result<(), Stop> {
    if let Err(problem) = policy.check(&RELAY_LIMITS) {
        return fail(ErrorCode::InvalidRetry, problem);
    }
    let seed = policy.seed.unwrap_or_else(fresh_seed);
    let mut backoff = Backoff::new(policy, seed);
    let of = policy.max_attempts;
    for n in 1..=of {
        summary.attempts = n;
        summary.status = 0;
        summary.retry_after = None;
        report.event(EventKind::Attempt { n, of }).await?;
        let attempt = exchange(state, request, started, report, summary);
        let ended = match policy.attempt_timeout_ms {
            Some(ms) => tokio::time::timeout(Duration::from_millis(ms), attempt)
                .await
                .unwrap_or_else(|_elapsed| {
                    Err(Stop::Fail(RelayError::new(
                        ErrorCode::TimedOut,
                        format!(
                            "attempt timeout: attempt {n} took longer than {ms} ms (retry.attempt_timeout_ms)"
                        ),
                    )))
                }),
            None => attempt.await,
        };
        let (reason, outcome) = match ended {
            Ok(()) => (AttemptReason::Status(summary.status), Ok(())),
            Err(Stop::Fail(error)) => (AttemptReason::Error(error.clone()), Err(Stop::Fail(error))),
            Err(Stop::Halt(halt)) => return Err(Stop::Halt(halt)),
        };
        let end: AttemptEnd = reason.end();
        if end.is_success() || !policy.retry_on.retries(end) {
            return outcome;
        }
        if n == of {
            report
                .event(EventKind::GaveUp {
                    attempts: n,
                    last_error: reason,
                })
                .await?;
            return outcome;
        }
        let retry_after = match end {
            AttemptEnd::Status(_) => summary
                .retry_after
                .as_deref()
                .and_then(|value| retry_after_ms(value, SystemTime::now())),
            AttemptEnd::Error(_) => None,
        };
        let wait = backoff.next(n, retry_after);
        report
            .event(EventKind::Backoff {
                attempt: n,
                wait_ms: wait.wait_ms,
                reason,
                retry_after_ms: wait.retry_after_ms,
            })
            .await?;
        tokio::time::sleep(Duration::from_millis(wait.wait_ms)).await;
    }
    // The loop returns on its last attempt.
    Ok(())
}

/// A seed for a policy that names none: different runs jitter differently,
/// as real clients should.
fn fresh_seed() -> u32 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32))
}
