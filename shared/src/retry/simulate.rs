//! Runs of a retry policy against a made-up flaky server, computed at once.
//!
//! The server fails each attempt with probability `failure_rate`, and takes
//! `min_ms` plus an exponentially distributed extra to answer (mean
//! `mean_ms`): most answers are quick, a few are slow, and the slow ones run
//! into the attempt timeout. The waits come from [`Backoff`] with the same
//! seed, so a simulated run waits what a real run of that seed waits.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore as _, SeedableRng as _};

use super::backoff::Backoff;
use super::policy::{AttemptEnd, RetryPolicy};
use super::timeline::{AttemptSpan, Run, RunEnd, WaitSpan};
use crate::protocol::ErrorCode;

/// How long the made-up server takes to answer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Latency {
    /// No answer comes sooner.
    pub min_ms: u64,
    /// The average answer time (at least `min_ms`).
    pub mean_ms: u64,
}

/// The made-up server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scenario {
    /// Chance that an attempt fails, 0 to 1.
    pub failure_rate: f64,
    /// The status of a failure (503, 500, 429, ...).
    pub failure_status: u16,
    /// `Retry-After` sent with each failure, in milliseconds.
    pub retry_after_ms: Option<u64>,
    pub latency: Latency,
    /// Draws the server's behaviour, and (as the policy's seed) the jitter.
    pub seed: u32,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            failure_rate: 0.5,
            failure_status: 503,
            retry_after_ms: None,
            latency: Latency {
                min_ms: 20,
                mean_ms: 120,
            },
            seed: 1,
        }
    }
}

/// The server's dice: a stream of its own, apart from the jitter's.
struct Dice(ChaCha8Rng);

impl Dice {
    fn new(seed: u32) -> Self {
        // Another stream than Backoff's for the same seed, so that a change
        // of failure rate does not change the waits.
        Dice(ChaCha8Rng::seed_from_u64(
            u64::from(seed) ^ 0x5eed_f1a4_0000_0000,
        ))
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn latency_us(&mut self, latency: Latency) -> u64 {
        let extra_ms = latency.mean_ms.saturating_sub(latency.min_ms) as f64;
        let exponential = -(1.0 - self.unit()).ln() * extra_ms;
        ((latency.min_ms as f64 + exponential) * 1000.0) as u64
    }
}

/// One run of `policy` against `scenario`: attempts with their endings, the
/// waits between them, and how the run ended.
pub fn simulate(policy: &RetryPolicy, scenario: &Scenario) -> Run {
    let mut dice = Dice::new(scenario.seed);
    let mut backoff = Backoff::new(policy, scenario.seed);
    let timeout_us = policy.attempt_timeout_ms.map(|ms| ms.saturating_mul(1000));
    let max = policy.max_attempts.max(1);
    let mut run = Run {
        label: "simulated".to_owned(),
        attempts: Vec::new(),
        waits: Vec::new(),
        end: RunEnd::Running,
    };
    let mut now = 0u64;
    for n in 1..=max {
        // Both draws every time, so attempt n sees the same dice whatever
        // the earlier attempts did with theirs.
        let took = dice.latency_us(scenario.latency);
        let fails = dice.unit() < scenario.failure_rate;
        let (took, end) = match timeout_us {
            Some(limit) if took > limit => (limit, AttemptEnd::Error(ErrorCode::TimedOut)),
            _ if fails => (took, AttemptEnd::Status(scenario.failure_status)),
            _ => (took, AttemptEnd::Status(200)),
        };
        run.attempts.push(AttemptSpan {
            n,
            start_us: now,
            end_us: now + took,
            end: Some(end),
        });
        now += took;
        if end.is_success() {
            run.end = RunEnd::Succeeded {
                at_us: now,
                attempts: n,
                status: 200,
            };
            return run;
        }
        if !policy.retry_on.retries(end) {
            run.end = RunEnd::NotRetried {
                at_us: now,
                attempts: n,
                end,
            };
            return run;
        }
        if n == max {
            break;
        }
        let retry_after = match end {
            AttemptEnd::Status(_) => scenario.retry_after_ms,
            AttemptEnd::Error(_) => None,
        };
        let wait = backoff.next(n, retry_after);
        run.waits.push(WaitSpan {
            after: n,
            start_us: now,
            end_us: now + wait.wait_ms * 1000,
            retry_after: wait.retry_after_ms.is_some_and(|ra| ra >= wait.backoff_ms),
        });
        now += wait.wait_ms * 1000;
    }
    let last = run
        .attempts
        .last()
        .and_then(|a| a.end)
        .unwrap_or(AttemptEnd::Error(ErrorCode::TimedOut));
    run.end = RunEnd::GaveUp {
        at_us: now,
        attempts: max,
        last,
    };
    run
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::backoff::schedule;
    use crate::retry::policy::Jitter;
    use proptest::prelude::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            attempt_timeout_ms: Some(300),
            base_ms: 100,
            cap_ms: 2_000,
            jitter: Jitter::Full,
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn a_server_that_always_fails_makes_the_run_give_up() {
        let scenario = Scenario {
            failure_rate: 1.0,
            ..Scenario::default()
        };
        let run = simulate(&policy(), &scenario);
        assert_eq!(run.attempts.len(), 4);
        assert_eq!(run.waits.len(), 3);
        assert!(matches!(run.end, RunEnd::GaveUp { attempts: 4, .. }));
        // The waits are the schedule of the same seed.
        let waits: Vec<u64> = run
            .waits
            .iter()
            .map(|w| (w.end_us - w.start_us) / 1000)
            .collect();
        assert_eq!(waits, schedule(&policy(), scenario.seed));
    }

    #[test]
    fn a_server_that_never_fails_answers_the_first_attempt() {
        let scenario = Scenario {
            failure_rate: 0.0,
            latency: Latency {
                min_ms: 10,
                mean_ms: 10,
            },
            ..Scenario::default()
        };
        let run = simulate(&policy(), &scenario);
        assert_eq!(run.attempts.len(), 1);
        assert_eq!(
            run.end,
            RunEnd::Succeeded {
                at_us: 10_000,
                attempts: 1,
                status: 200
            }
        );
    }

    #[test]
    fn slow_answers_time_out() {
        let scenario = Scenario {
            failure_rate: 0.0,
            latency: Latency {
                min_ms: 500,
                mean_ms: 600,
            },
            ..Scenario::default()
        };
        let run = simulate(&policy(), &scenario);
        assert!(
            run.attempts
                .iter()
                .all(|a| a.end == Some(AttemptEnd::Error(ErrorCode::TimedOut))
                    && a.end_us - a.start_us == 300_000)
        );
        assert!(matches!(run.end, RunEnd::GaveUp { .. }));
    }

    #[test]
    fn a_status_the_policy_does_not_retry_ends_the_run() {
        let scenario = Scenario {
            failure_rate: 1.0,
            failure_status: 404,
            ..Scenario::default()
        };
        let run = simulate(&policy(), &scenario);
        assert_eq!(run.attempts.len(), 1);
        assert!(matches!(
            run.end,
            RunEnd::NotRetried {
                end: AttemptEnd::Status(404),
                ..
            }
        ));
    }

    #[test]
    fn retry_after_stretches_the_waits() {
        let scenario = Scenario {
            failure_rate: 1.0,
            retry_after_ms: Some(1_000),
            latency: Latency {
                min_ms: 10,
                mean_ms: 10,
            },
            ..Scenario::default()
        };
        let run = simulate(&policy(), &scenario);
        assert!(
            run.waits
                .iter()
                .all(|w| w.end_us - w.start_us >= 1_000_000 && w.retry_after)
        );
    }

    #[test]
    fn simulation_snapshot() {
        let runs: Vec<String> = (1..=4)
            .map(|seed| {
                let scenario = Scenario {
                    failure_rate: 0.6,
                    seed,
                    ..Scenario::default()
                };
                let run = simulate(&policy(), &scenario);
                format!("seed {seed}\n{}", crate::retry::timeline::describe(&run))
            })
            .collect();
        insta::assert_snapshot!(runs.join("\n\n"));
    }

    proptest! {
        #[test]
        fn attempts_never_exceed_max(
            max_attempts in 1u32..10,
            failure_rate in 0.0f64..=1.0,
            seed in any::<u32>(),
            timeout in proptest::option::of(1u64..500),
        ) {
            let policy = RetryPolicy { max_attempts, attempt_timeout_ms: timeout, ..policy() };
            let scenario = Scenario { failure_rate, seed, ..Scenario::default() };
            let run = simulate(&policy, &scenario);
            prop_assert!(run.attempts.len() <= max_attempts as usize);
            prop_assert_eq!(run.waits.len() + 1, run.attempts.len());
            for wait in &run.waits {
                prop_assert!(wait.end_us - wait.start_us <= policy.cap_ms * 1000);
            }
        }

        #[test]
        fn same_seed_same_run(seed in any::<u32>(), failure_rate in 0.0f64..=1.0) {
            let scenario = Scenario { failure_rate, seed, ..Scenario::default() };
            prop_assert_eq!(simulate(&policy(), &scenario), simulate(&policy(), &scenario));
        }
    }
}
