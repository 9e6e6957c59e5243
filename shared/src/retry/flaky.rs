//! How the HTTP lab's `/flaky` fails: the plan, as the page writes it into
//! a query and the lab reads it back. One type for both, so they cannot
//! drift apart; the bounds are the lab's, applied when it reads.
//!
//! `/flaky?key=K&fail=N&status=S` fails the first `N` attempts of key `K`
//! with status `S` (500 by default; 503 and 429 carry `Retry-After`), then
//! succeeds. Slow attempts (`mode=timeout`: every failing one; or those
//! listed in `slow=1,3`) answer only after `delay_ms`, so a client's
//! timeout ends them first.

use super::policy::AttemptEnd;
use super::timeline::Run;
use crate::protocol::ErrorCode;

/// The key when the query names none.
pub const DEFAULT_KEY: &str = "default";
/// Longest key kept (longer keys are cut).
pub const MAX_KEY_LEN: usize = 64;
/// How long a slow attempt waits before answering, by default and at most:
/// long enough to run into an attempt timeout, short enough that the lab
/// cannot be used to hold connections open.
pub const DEFAULT_DELAY_MS: u64 = 2_000;
pub const MAX_DELAY_MS: u64 = 10_000;
/// Most attempt numbers `slow=` lists.
pub const MAX_SLOW: usize = 32;
/// Failures by default.
pub const DEFAULT_FAIL: u32 = 2;
/// Status of a failure by default.
pub const DEFAULT_STATUS: u16 = 500;

/// How `/flaky` fails for one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlakyPlan {
    /// Attempts are counted per key (at most [`MAX_KEY_LEN`] characters).
    pub key: String,
    /// The first `fail` attempts fail.
    pub fail: u32,
    /// A server error (500-599) or 429.
    pub status: u16,
    /// `Retry-After` seconds, sent with 503 and 429.
    pub retry_after: u32,
    pub slow: SlowAttempts,
    /// How long a slow attempt waits (at most [`MAX_DELAY_MS`]).
    pub delay_ms: u64,
}

/// Which attempts of a key are slow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlowAttempts {
    /// Every failing one (`mode=timeout`): the failures are timeouts.
    Failing,
    /// These, 1-based (`slow=1,3`); none by default.
    Listed(Vec<u32>),
}

impl Default for FlakyPlan {
    fn default() -> Self {
        FlakyPlan {
            key: DEFAULT_KEY.to_owned(),
            fail: DEFAULT_FAIL,
            status: DEFAULT_STATUS,
            retry_after: 1,
            slow: SlowAttempts::Listed(Vec::new()),
            delay_ms: DEFAULT_DELAY_MS,
        }
    }
}

impl FlakyPlan {
    /// Reads a query string (without the `?`). What is missing or out of
    /// bounds takes its default or bound: a plan always comes out.
    pub fn from_query(query: &str) -> FlakyPlan {
        let mut plan = FlakyPlan::default();
        let mut timeout_mode = false;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*name {
                "key" => plan.key = value.chars().take(MAX_KEY_LEN).collect(),
                "fail" => plan.fail = value.parse().unwrap_or(DEFAULT_FAIL),
                "status" => {
                    plan.status = value
                        .parse()
                        .ok()
                        .filter(|&c| is_failure_status(c))
                        .unwrap_or(DEFAULT_STATUS)
                }
                "retry_after" => plan.retry_after = value.parse().unwrap_or(1),
                "mode" => timeout_mode = value == "timeout",
                "slow" => {
                    plan.slow = SlowAttempts::Listed(
                        value
                            .split(',')
                            .filter_map(|n| n.trim().parse().ok())
                            .take(MAX_SLOW)
                            .collect(),
                    )
                }
                "delay_ms" => {
                    plan.delay_ms = value
                        .parse::<u64>()
                        .unwrap_or(DEFAULT_DELAY_MS)
                        .min(MAX_DELAY_MS)
                }
                _ => {}
            }
        }
        if timeout_mode {
            plan.slow = SlowAttempts::Failing;
        }
        plan
    }

    /// The query string (without the `?`) that [`FlakyPlan::from_query`]
    /// reads back as this plan.
    pub fn to_query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("key", &self.key)
            .append_pair("fail", &self.fail.to_string())
            .append_pair("status", &self.status.to_string());
        if self.retry_after != 1 {
            query.append_pair("retry_after", &self.retry_after.to_string());
        }
        match &self.slow {
            SlowAttempts::Failing => {
                query.append_pair("mode", "timeout");
            }
            SlowAttempts::Listed(list) if list.is_empty() => {}
            SlowAttempts::Listed(list) => {
                let list: Vec<String> = list.iter().map(u32::to_string).collect();
                query.append_pair("slow", &list.join(","));
            }
        }
        if self.slow != SlowAttempts::Listed(Vec::new()) || self.delay_ms != DEFAULT_DELAY_MS {
            query.append_pair("delay_ms", &self.delay_ms.to_string());
        }
        query.finish()
    }

    /// Whether attempt `n` (1-based) answers only after the delay.
    pub fn is_slow(&self, attempt: u32) -> bool {
        match &self.slow {
            SlowAttempts::Failing => attempt <= self.fail,
            SlowAttempts::Listed(list) => list.contains(&attempt),
        }
    }

    /// The plan that makes a real run follow simulated `run`: as many
    /// failures as it had, a 500 for each that failed with a status, and a
    /// slow answer (a second past the attempt timeout, so the client's
    /// timeout ends it first) for each that timed out.
    pub fn replaying(run: &Run, attempt_timeout_ms: u64, key: &str) -> FlakyPlan {
        let fail = run
            .attempts
            .iter()
            .filter(|a| a.end.is_some_and(|e| !e.is_success()))
            .count();
        let slow = timed_out(run);
        // The delay matters only to slow attempts: without any, the query
        // asks for statuses only.
        let delay_ms = if slow.is_empty() {
            DEFAULT_DELAY_MS
        } else {
            attempt_timeout_ms.saturating_add(1_000).min(MAX_DELAY_MS)
        };
        FlakyPlan {
            key: key.chars().take(MAX_KEY_LEN).collect(),
            fail: u32::try_from(fail).unwrap_or(u32::MAX),
            status: 500,
            slow: SlowAttempts::Listed(slow),
            delay_ms,
            ..FlakyPlan::default()
        }
    }
}

/// The attempts of `run` that timed out (1-based).
pub fn timed_out(run: &Run) -> Vec<u32> {
    run.attempts
        .iter()
        .filter(|a| a.end == Some(AttemptEnd::Error(ErrorCode::TimedOut)))
        .map(|a| a.n)
        .take(MAX_SLOW)
        .collect()
}

/// The statuses `/flaky` fails with: server errors and 429.
fn is_failure_status(code: u16) -> bool {
    (500..=599).contains(&code) || code == 429
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slow_attempts_are_read_and_bounded() {
        let fast = FlakyPlan::from_query("fail=2");
        assert!(!fast.is_slow(1) && !fast.is_slow(3));
        let timeouts = FlakyPlan::from_query("fail=2&mode=timeout&delay_ms=600");
        assert!(timeouts.is_slow(1) && timeouts.is_slow(2) && !timeouts.is_slow(3));
        assert_eq!(timeouts.delay_ms, 600);
        let listed = FlakyPlan::from_query("fail=3&slow=1,3,x&delay_ms=999999999");
        assert!(listed.is_slow(1) && !listed.is_slow(2) && listed.is_slow(3));
        // Never longer than the lab's bound.
        assert_eq!(listed.delay_ms, MAX_DELAY_MS);
        assert_eq!(FlakyPlan::from_query(""), FlakyPlan::default());
        let many: Vec<String> = (1..100).map(|n| n.to_string()).collect();
        let many = FlakyPlan::from_query(&format!("slow={}", many.join(",")));
        assert!(matches!(many.slow, SlowAttempts::Listed(list) if list.len() == MAX_SLOW));
    }

    #[test]
    fn only_failure_statuses_are_taken_and_keys_are_cut() {
        assert_eq!(FlakyPlan::from_query("status=503").status, 503);
        assert_eq!(FlakyPlan::from_query("status=429").status, 429);
        for odd in ["200", "404", "99999", "x"] {
            assert_eq!(FlakyPlan::from_query(&format!("status={odd}")).status, 500);
        }
        let long = "k".repeat(200);
        assert_eq!(
            FlakyPlan::from_query(&format!("key={long}")).key.len(),
            MAX_KEY_LEN
        );
        assert_eq!(FlakyPlan::from_query("key=a%26b").key, "a&b");
    }

    #[test]
    fn the_query_the_page_writes_reads_as_it_did_before() {
        let plan = FlakyPlan {
            key: "page-5-1".into(),
            fail: 2,
            slow: SlowAttempts::Listed(vec![2]),
            delay_ms: 1_400,
            ..FlakyPlan::default()
        };
        assert_eq!(
            plan.to_query(),
            "key=page-5-1&fail=2&status=500&slow=2&delay_ms=1400"
        );
        let statuses_only = FlakyPlan {
            fail: 4,
            ..FlakyPlan::default()
        };
        assert_eq!(statuses_only.to_query(), "key=default&fail=4&status=500");
    }

    fn run(ends: &[AttemptEnd]) -> Run {
        Run {
            label: "simulated".into(),
            attempts: ends
                .iter()
                .zip(1..)
                .map(|(&end, n)| super::super::timeline::AttemptSpan {
                    n,
                    start_us: u64::from(n) * 1_000,
                    end_us: u64::from(n) * 1_000 + 500,
                    end: Some(end),
                })
                .collect(),
            waits: Vec::new(),
            end: super::super::timeline::RunEnd::Running,
        }
    }

    #[test]
    fn a_simulated_run_is_replayed_failure_for_failure() {
        let timed_out = AttemptEnd::Error(ErrorCode::TimedOut);
        let plan = FlakyPlan::replaying(
            &run(&[AttemptEnd::Status(500), timed_out, AttemptEnd::Status(200)]),
            400,
            "k",
        );
        assert_eq!(plan.fail, 2);
        assert_eq!(plan.slow, SlowAttempts::Listed(vec![2]));
        // A second past the attempt timeout: the client's timeout ends it.
        assert_eq!(plan.delay_ms, 1_400);
        let statuses_only = FlakyPlan::replaying(
            &run(&[AttemptEnd::Status(503), AttemptEnd::Status(200)]),
            400,
            "k",
        );
        assert_eq!(statuses_only.to_query(), "key=k&fail=1&status=500");
    }

    proptest! {
        /// What the page writes, the lab reads back unchanged.
        #[test]
        fn a_plan_survives_its_query(
            key in "[ -~]{0,64}",
            fail in 0u32..20,
            status in prop::sample::select(vec![429u16, 500, 502, 503, 504]),
            retry_after in 0u32..100,
            timeout_mode in any::<bool>(),
            slow in prop::collection::vec(1u32..20, 0..MAX_SLOW),
            delay_ms in 0u64..=MAX_DELAY_MS,
        ) {
            let plan = FlakyPlan {
                key,
                fail,
                status,
                retry_after,
                slow: if timeout_mode { SlowAttempts::Failing } else { SlowAttempts::Listed(slow) },
                delay_ms,
            };
            prop_assert_eq!(FlakyPlan::from_query(&plan.to_query()), plan);
        }

        /// Any query at all gives a plan within the lab's bounds.
        #[test]
        fn any_query_gives_a_bounded_plan(query in ".{0,300}") {
            let plan = FlakyPlan::from_query(&query);
            prop_assert!(plan.delay_ms <= MAX_DELAY_MS);
            prop_assert!(plan.key.chars().count() <= MAX_KEY_LEN);
            prop_assert!(is_failure_status(plan.status));
            if let SlowAttempts::Listed(list) = &plan.slow {
                prop_assert!(list.len() <= MAX_SLOW);
            }
        }
    }
}
