//! The waits between attempts: exponential backoff, jitter from a seeded
//! generator, and `Retry-After` on top.
//!
//! The generator is ChaCha8 (`rand_chacha`), seeded from the policy's seed:
//! it draws the same numbers on every platform, so the page's simulation
//! and the relay's real run of one seed wait the same.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore as _, SeedableRng as _};

use super::policy::{Jitter, RetryPolicy};

/// The ceiling of the wait after attempt `n` (1-based):
/// `min(cap, base × multiplier^(n-1))`, in milliseconds.
pub fn ceiling_ms(policy: &RetryPolicy, n: u32) -> u64 {
    let exponent = i32::try_from(n.saturating_sub(1)).unwrap_or(i32::MAX);
    let raw = policy.base_ms as f64 * policy.multiplier.powi(exponent);
    let cap = policy.cap_ms as f64;
    // NaN and infinity (a policy nobody checked) fall back to the cap.
    if raw.is_finite() && raw < cap {
        raw.max(0.0) as u64
    } else {
        policy.cap_ms
    }
}

/// One wait between attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    /// How long to wait: the jittered backoff, or the server's
    /// `Retry-After` when that is longer (never past the cap).
    pub wait_ms: u64,
    /// The jittered backoff alone.
    pub backoff_ms: u64,
    /// The server's `Retry-After`, as honoured (capped), when it sent one
    /// and the policy honours it.
    pub retry_after_ms: Option<u64>,
}

/// Draws the waits of one run, in order.
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: RetryPolicy,
    rng: ChaCha8Rng,
}

impl Backoff {
    pub fn new(policy: &RetryPolicy, seed: u32) -> Self {
        Backoff {
            policy: policy.clone(),
            rng: ChaCha8Rng::seed_from_u64(u64::from(seed)),
        }
    }

    /// The wait after attempt `n` (1-based), given the `Retry-After` the
    /// server sent with it, if any. Call once per wait, in order: each call
    /// draws from the generator.
    pub fn next(&mut self, n: u32, retry_after_ms: Option<u64>) -> Wait {
        let ceiling = ceiling_ms(&self.policy, n);
        let backoff_ms = match self.policy.jitter {
            Jitter::None => ceiling,
            Jitter::Full => self.uniform(ceiling),
            Jitter::Equal => ceiling / 2 + self.uniform(ceiling - ceiling / 2),
        };
        let retry_after_ms = retry_after_ms
            .filter(|_| self.policy.honor_retry_after)
            .map(|ms| ms.min(self.policy.cap_ms));
        Wait {
            wait_ms: backoff_ms.max(retry_after_ms.unwrap_or(0)),
            backoff_ms,
            retry_after_ms,
        }
    }

    /// A uniform draw in `0..=max` (multiply-and-shift: no division, and a
    /// bias of at most `max / 2^64`).
    fn uniform(&mut self, max: u64) -> u64 {
        let span = u128::from(max) + 1;
        ((u128::from(self.rng.next_u64()) * span) >> 64) as u64
    }
}

/// The waits of a run whose every attempt fails without `Retry-After`: one
/// per gap between `max_attempts` attempts.
pub fn schedule(policy: &RetryPolicy, seed: u32) -> Vec<u64> {
    let mut backoff = Backoff::new(policy, seed);
    (1..policy.max_attempts)
        .map(|n| backoff.next(n, None).wait_ms)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy(jitter: Jitter) -> RetryPolicy {
        RetryPolicy {
            max_attempts: 6,
            base_ms: 100,
            multiplier: 2.0,
            cap_ms: 1_000,
            jitter,
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn without_jitter_the_waits_double_up_to_the_cap() {
        assert_eq!(
            schedule(&policy(Jitter::None), 7),
            [100, 200, 400, 800, 1_000]
        );
    }

    #[test]
    fn jittered_schedules_snapshot() {
        let full = schedule(&policy(Jitter::Full), 42);
        let equal = schedule(&policy(Jitter::Equal), 42);
        insta::assert_snapshot!(format!("full:  {full:?}\nequal: {equal:?}"));
    }

    #[test]
    fn equal_jitter_keeps_half_the_ceiling() {
        for seed in 0..50 {
            let waits = schedule(&policy(Jitter::Equal), seed);
            for (wait, ceiling) in waits.iter().zip([100, 200, 400, 800, 1_000]) {
                assert!(*wait >= ceiling / 2 && *wait <= ceiling, "{waits:?}");
            }
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let mut backoff = Backoff::new(&policy(Jitter::None), 1);
        let wait = backoff.next(1, Some(700));
        assert_eq!(
            wait,
            Wait {
                wait_ms: 700,
                backoff_ms: 100,
                retry_after_ms: Some(700)
            }
        );
        let wait = backoff.next(2, Some(60_000));
        assert_eq!(wait.wait_ms, 1_000);
        assert_eq!(wait.retry_after_ms, Some(1_000));
        // A Retry-After shorter than the backoff does not shorten it.
        assert_eq!(backoff.next(3, Some(10)).wait_ms, 400);
    }

    #[test]
    fn retry_after_is_ignored_when_the_policy_says_so() {
        let ignoring = RetryPolicy {
            honor_retry_after: false,
            ..policy(Jitter::None)
        };
        let wait = Backoff::new(&ignoring, 1).next(1, Some(700));
        assert_eq!(wait.wait_ms, 100);
        assert_eq!(wait.retry_after_ms, None);
    }

    fn any_policy() -> impl Strategy<Value = RetryPolicy> {
        (
            1u32..12,
            0u64..5_000,
            1.0f64..8.0,
            0u64..30_000,
            prop_oneof![Just(Jitter::None), Just(Jitter::Full), Just(Jitter::Equal)],
            any::<bool>(),
        )
            .prop_map(
                |(max_attempts, base_ms, multiplier, cap_ms, jitter, honor)| RetryPolicy {
                    max_attempts,
                    base_ms,
                    multiplier,
                    cap_ms,
                    jitter,
                    honor_retry_after: honor,
                    ..RetryPolicy::default()
                },
            )
    }

    proptest! {
        #[test]
        fn waits_never_exceed_the_cap(
            policy in any_policy(),
            seed in any::<u32>(),
            retry_after in proptest::option::of(0u64..1_000_000),
        ) {
            let mut backoff = Backoff::new(&policy, seed);
            for n in 1..policy.max_attempts {
                let wait = backoff.next(n, retry_after);
                prop_assert!(wait.wait_ms <= policy.cap_ms);
                prop_assert!(wait.backoff_ms <= ceiling_ms(&policy, n));
            }
        }

        #[test]
        fn one_wait_between_each_two_attempts(policy in any_policy(), seed in any::<u32>()) {
            prop_assert_eq!(schedule(&policy, seed).len() + 1, policy.max_attempts as usize);
        }

        #[test]
        fn same_seed_same_schedule(policy in any_policy(), seed in any::<u32>()) {
            prop_assert_eq!(schedule(&policy, seed), schedule(&policy, seed));
        }
    }

    #[test]
    fn different_seeds_draw_different_schedules() {
        let p = policy(Jitter::Full);
        assert_ne!(schedule(&p, 1), schedule(&p, 2));
    }
}
