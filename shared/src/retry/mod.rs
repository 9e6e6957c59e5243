//! Timeouts and retries: the policy a request retries under, the waits it
//! draws, a simulator of runs, and the timeline both simulated and real
//! runs are drawn on.
//!
//! The relay and the page share these functions, so the schedule the page
//! simulates for a seed is the schedule the relay waits for that seed.
//!
//! - [`policy`]: [`RetryPolicy`] (attempts, per-attempt timeout, backoff,
//!   jitter, what is retried), its bounds, and how an attempt's ending is
//!   judged ([`AttemptEnd`]).
//! - [`backoff`]: exponential backoff with jitter ("none", "full", "equal")
//!   from a seeded generator, and `Retry-After` on top ([`Backoff`],
//!   [`schedule`]).
//! - [`flaky`]: how the HTTP lab's `/flaky` fails ([`FlakyPlan`]), as the
//!   page writes it and the lab reads it.
//! - [`retry_after`]: the `Retry-After` header (seconds or an HTTP date).
//! - [`simulate`]: runs of a policy against a made-up flaky server.
//! - [`timeline`]: runs from the trace, and the layout of runs on one time
//!   axis.

pub mod backoff;
pub mod flaky;
pub mod policy;
pub mod retry_after;
pub mod simulate;
pub mod timeline;

pub use backoff::{Backoff, Wait, schedule};
pub use flaky::FlakyPlan;
pub use policy::{AttemptEnd, Jitter, RetryLimits, RetryOn, RetryPolicy};
pub use simulate::{Latency, Scenario, simulate};
pub use timeline::{Run, RunChart, RunEnd, layout, runs_from_trace};
