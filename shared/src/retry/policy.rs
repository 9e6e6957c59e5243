//! What a request retries under, and which endings deserve another try.

use serde::{Deserialize, Serialize};

use crate::protocol::ErrorCode;

/// How a request is retried (the `retry` field of `http_request`). Every
/// field has a default, so `{}` is a usable policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// How long one attempt may take, redirects included; past it the
    /// attempt ends as timed out (and is retried when timeouts are).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_timeout_ms: Option<u64>,
    /// The wait after the first attempt, before jitter.
    #[serde(default = "default_base_ms")]
    pub base_ms: u64,
    /// Each wait is this many times the one before (before the cap).
    #[serde(default = "default_multiplier")]
    pub multiplier: f64,
    /// No wait is longer than this, `Retry-After` included.
    #[serde(default = "default_cap_ms")]
    pub cap_ms: u64,
    #[serde(default)]
    pub jitter: Jitter,
    #[serde(default)]
    pub retry_on: RetryOn,
    /// Wait at least as long as a `Retry-After` header asks (up to the cap).
    #[serde(default = "yes")]
    pub honor_retry_after: bool,
    /// Seed of the jitter: the same seed draws the same waits. Absent: the
    /// relay picks one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u32>,
}

fn default_max_attempts() -> u32 {
    3
}
fn default_base_ms() -> u64 {
    200
}
fn default_multiplier() -> f64 {
    2.0
}
fn default_cap_ms() -> u64 {
    5_000
}
fn yes() -> bool {
    true
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: default_max_attempts(),
            attempt_timeout_ms: None,
            base_ms: default_base_ms(),
            multiplier: default_multiplier(),
            cap_ms: default_cap_ms(),
            jitter: Jitter::default(),
            retry_on: RetryOn::default(),
            honor_retry_after: true,
            seed: None,
        }
    }
}

/// How the exponential wait is randomised, as in the AWS Architecture
/// Blog's "Exponential Backoff and Jitter": with `ceiling = min(cap, base ×
/// multiplier^(n-1))`, `none` waits the ceiling, `full` a uniform draw in
/// `[0, ceiling]`, `equal` half the ceiling plus a draw in the other half.
/// Jitter spreads clients that failed together, so they do not come back
/// together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    None,
    #[default]
    Full,
    Equal,
}

impl Jitter {
    pub fn as_str(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
        }
    }
}

/// Which endings of an attempt are worth another attempt. All on by
/// default; anything else (a 404, a TLS error, a blocked address) is not
/// retried, as trying again would meet the same answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryOn {
    /// Timeouts: connect, TLS, first byte, or the attempt's own.
    #[serde(default = "yes")]
    pub timeouts: bool,
    /// Connections refused, reset or unreachable.
    #[serde(default = "yes")]
    pub connect_errors: bool,
    /// Responses 500–599.
    #[serde(default = "yes")]
    pub server_errors: bool,
    /// Response 429 Too Many Requests.
    #[serde(default = "yes")]
    pub too_many_requests: bool,
}

impl Default for RetryOn {
    fn default() -> Self {
        RetryOn {
            timeouts: true,
            connect_errors: true,
            server_errors: true,
            too_many_requests: true,
        }
    }
}

/// How one attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptEnd {
    /// A response with this status.
    Status(u16),
    /// No response: the attempt failed with this error.
    Error(ErrorCode),
}

impl AttemptEnd {
    /// A 1xx–3xx response (after any redirects followed) or a 4xx one: the
    /// server answered, and nothing is retried about it except what
    /// [`RetryOn`] lists.
    pub fn is_success(self) -> bool {
        matches!(self, AttemptEnd::Status(s) if s < 400)
    }

    /// `503`, `timed out`, `connection refused`.
    pub fn label(self) -> String {
        match self {
            AttemptEnd::Status(status) => status.to_string(),
            AttemptEnd::Error(code) => code.summary().to_owned(),
        }
    }
}

impl RetryOn {
    /// Whether an attempt that ended so is retried.
    pub fn retries(&self, end: AttemptEnd) -> bool {
        match end {
            AttemptEnd::Status(429) => self.too_many_requests,
            AttemptEnd::Status(500..=599) => self.server_errors,
            AttemptEnd::Status(_) => false,
            AttemptEnd::Error(ErrorCode::TimedOut) => self.timeouts,
            AttemptEnd::Error(ErrorCode::Refused | ErrorCode::Reset | ErrorCode::Unreachable) => {
                self.connect_errors
            }
            AttemptEnd::Error(_) => false,
        }
    }
}

/// The most a policy may ask of whoever runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryLimits {
    pub max_attempts: u32,
    /// The longest the waits of one run may add up to (every wait at its
    /// ceiling, which jitter and `Retry-After` never exceed).
    pub max_total_wait_ms: u64,
    pub max_cap_ms: u64,
    pub max_attempt_timeout_ms: u64,
}

/// What the relay runs: 10 attempts, 60 s of waiting, 30 s per wait.
pub const RELAY_LIMITS: RetryLimits = RetryLimits {
    max_attempts: 10,
    max_total_wait_ms: 60_000,
    max_cap_ms: 30_000,
    max_attempt_timeout_ms: 60_000,
};

impl RetryPolicy {
    /// Checks the policy against `limits`; the error is a sentence that
    /// names the field and the bound.
    pub fn check(&self, limits: &RetryLimits) -> Result<(), String> {
        if self.max_attempts == 0 {
            return Err("retry.max_attempts must be at least 1 (the first attempt)".to_owned());
        }
        if self.max_attempts > limits.max_attempts {
            return Err(format!(
                "retry.max_attempts is {}; the relay makes at most {} attempts",
                self.max_attempts, limits.max_attempts
            ));
        }
        if !self.multiplier.is_finite() || self.multiplier < 1.0 || self.multiplier > 10.0 {
            return Err(format!(
                "retry.multiplier is {}; it must be between 1 and 10",
                self.multiplier
            ));
        }
        if self.cap_ms > limits.max_cap_ms {
            return Err(format!(
                "retry.cap_ms is {} ms; no wait may be longer than {} ms",
                self.cap_ms, limits.max_cap_ms
            ));
        }
        if let Some(timeout) = self.attempt_timeout_ms
            && (timeout == 0 || timeout > limits.max_attempt_timeout_ms)
        {
            return Err(format!(
                "retry.attempt_timeout_ms is {timeout} ms; it must be between 1 and {} ms",
                limits.max_attempt_timeout_ms
            ));
        }
        let worst = self.worst_total_wait_ms();
        if worst > limits.max_total_wait_ms {
            return Err(format!(
                "the waits of this policy may add up to {worst} ms; the relay waits at most {} ms per request (lower max_attempts, base_ms or cap_ms)",
                limits.max_total_wait_ms
            ));
        }
        Ok(())
    }

    /// The waits' sum with every wait at its ceiling: the most a run can
    /// spend waiting, whatever the jitter draws and `Retry-After` says.
    pub fn worst_total_wait_ms(&self) -> u64 {
        (1..self.max_attempts)
            .map(|n| crate::retry::backoff::ceiling_ms(self, n))
            .fold(0u64, u64::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_object_is_the_default_policy() {
        let policy: RetryPolicy = serde_json::from_str("{}").unwrap();
        assert_eq!(policy, RetryPolicy::default());
        assert_eq!(policy.check(&RELAY_LIMITS), Ok(()));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<RetryPolicy>(r#"{"max_tries":3}"#).unwrap_err();
        assert!(err.to_string().contains("max_tries"), "{err}");
    }

    #[test]
    fn retry_on_sorts_endings() {
        let all = RetryOn::default();
        assert!(all.retries(AttemptEnd::Status(503)));
        assert!(all.retries(AttemptEnd::Status(500)));
        assert!(all.retries(AttemptEnd::Status(429)));
        assert!(!all.retries(AttemptEnd::Status(404)));
        assert!(!all.retries(AttemptEnd::Status(200)));
        assert!(all.retries(AttemptEnd::Error(ErrorCode::TimedOut)));
        assert!(all.retries(AttemptEnd::Error(ErrorCode::Refused)));
        assert!(!all.retries(AttemptEnd::Error(ErrorCode::Tls)));
        assert!(!all.retries(AttemptEnd::Error(ErrorCode::Blocked)));
        let no_5xx = RetryOn {
            server_errors: false,
            ..all
        };
        assert!(!no_5xx.retries(AttemptEnd::Status(503)));
        assert!(no_5xx.retries(AttemptEnd::Status(429)));
    }

    #[test]
    fn bounds_are_checked_with_readable_errors() {
        let too_many = RetryPolicy {
            max_attempts: 11,
            ..RetryPolicy::default()
        };
        assert_eq!(
            too_many.check(&RELAY_LIMITS),
            Err("retry.max_attempts is 11; the relay makes at most 10 attempts".to_owned())
        );
        let none = RetryPolicy {
            max_attempts: 0,
            ..RetryPolicy::default()
        };
        assert!(none.check(&RELAY_LIMITS).is_err());
        let shrinking = RetryPolicy {
            multiplier: 0.5,
            ..RetryPolicy::default()
        };
        assert!(shrinking.check(&RELAY_LIMITS).is_err());
        let nan = RetryPolicy {
            multiplier: f64::NAN,
            ..RetryPolicy::default()
        };
        assert!(nan.check(&RELAY_LIMITS).is_err());
        // 9 waits of up to 30 s: 270 s of waiting.
        let patient = RetryPolicy {
            max_attempts: 10,
            base_ms: 30_000,
            cap_ms: 30_000,
            ..RetryPolicy::default()
        };
        let err = patient.check(&RELAY_LIMITS).unwrap_err();
        assert!(err.contains("270000 ms"), "{err}");
    }

    #[test]
    fn worst_total_wait_sums_the_ceilings() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_ms: 100,
            multiplier: 2.0,
            cap_ms: 500,
            ..RetryPolicy::default()
        };
        // 100 + 200 + 400 + 500 (capped).
        assert_eq!(policy.worst_total_wait_ms(), 1_200);
    }
}
