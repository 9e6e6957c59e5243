//! The HTTP panel's text fields: header lines into pairs, and the retry
//! fields into a [`RetryPolicy`] held to the relay's own bounds.

use crate::retry::policy::RELAY_LIMITS;
use crate::retry::{Jitter, RetryOn, RetryPolicy};

/// The HTTP panel's first URL: the lab by name, which the relay leads
/// to its HTTP lab on any relay and after a restart (its port is random).
pub const DEFAULT_URL: &str = "http://www.lab.test/json";

/// `Name: value` lines into pairs; blank lines are skipped.
pub fn parse_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| match line.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(format!(
                "header line {} is not \"Name: value\": {line}",
                index + 1
            )),
        })
        .collect()
}

/// The retry fields as typed (text until "Send request" reads them): every
/// part of the policy the relay runs.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryForm {
    pub attempts: String,
    /// Empty: no attempt timeout.
    pub timeout_ms: String,
    pub base_ms: String,
    pub multiplier: String,
    pub cap_ms: String,
    pub jitter: Jitter,
    pub retry_on: RetryOn,
    pub honor_retry_after: bool,
    /// Empty: the relay picks a seed.
    pub seed: String,
}

impl Default for RetryForm {
    fn default() -> Self {
        RetryForm::of(&RetryPolicy::default())
    }
}

impl RetryForm {
    /// The form showing `policy` (a preset from an experiment link).
    pub fn of(policy: &RetryPolicy) -> RetryForm {
        RetryForm {
            attempts: policy.max_attempts.to_string(),
            timeout_ms: policy
                .attempt_timeout_ms
                .map(|ms| ms.to_string())
                .unwrap_or_default(),
            base_ms: policy.base_ms.to_string(),
            multiplier: policy.multiplier.to_string(),
            cap_ms: policy.cap_ms.to_string(),
            jitter: policy.jitter,
            retry_on: policy.retry_on,
            honor_retry_after: policy.honor_retry_after,
            seed: policy.seed.map(|s| s.to_string()).unwrap_or_default(),
        }
    }

    /// The fields as a policy, held to the relay's own bounds
    /// ([`RELAY_LIMITS`]) so that a bad value is named here, beside its
    /// field, rather than coming back as the relay's refusal.
    pub fn policy(&self) -> Result<RetryPolicy, String> {
        let Ok(max_attempts) = self.attempts.trim().parse::<u32>() else {
            return Err(format!(
                "retry attempts is a whole number from 1 to {}",
                RELAY_LIMITS.max_attempts
            ));
        };
        let attempt_timeout_ms = match self.timeout_ms.trim() {
            "" => None,
            text => Some(text.parse::<u64>().map_err(|_| {
                "the attempt timeout is a whole number of milliseconds, or empty for none"
                    .to_owned()
            })?),
        };
        let Ok(base_ms) = self.base_ms.trim().parse::<u64>() else {
            return Err("the base delay is a whole number of milliseconds".to_owned());
        };
        let multiplier = match self.multiplier.trim().parse::<f64>() {
            Ok(m) if m.is_finite() => m,
            _ => {
                return Err(
                    "the multiplier is a number from 1 to 10 (2 doubles each wait)".to_owned(),
                );
            }
        };
        let Ok(cap_ms) = self.cap_ms.trim().parse::<u64>() else {
            return Err(format!(
                "the cap is a whole number of milliseconds, at most {}",
                RELAY_LIMITS.max_cap_ms
            ));
        };
        let seed = match self.seed.trim() {
            "" => None,
            text => Some(text.parse::<u32>().map_err(|_| {
                format!(
                    "the seed is a whole number from 0 to {}, or empty to let the relay pick",
                    u32::MAX
                )
            })?),
        };
        let policy = RetryPolicy {
            max_attempts,
            attempt_timeout_ms,
            base_ms,
            multiplier,
            cap_ms,
            jitter: self.jitter,
            retry_on: self.retry_on,
            honor_retry_after: self.honor_retry_after,
            seed,
        };
        policy.check(&RELAY_LIMITS)?;
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_become_pairs_and_mistakes_name_their_line() {
        assert_eq!(
            parse_headers("A: b\n  \nC:d"),
            Ok(vec![("A".into(), "b".into()), ("C".into(), "d".into())])
        );
        assert!(parse_headers("nonsense").unwrap_err().contains("line 1"));
        assert!(parse_headers(": no name").unwrap_err().contains("line 1"));
        // A value may hold colons (a URL, a time).
        assert_eq!(
            parse_headers("Referer: http://x/y"),
            Ok(vec![("Referer".into(), "http://x/y".into())])
        );
    }

    #[test]
    fn the_retry_form_reads_back_the_policy_it_shows() {
        let policy = RetryPolicy {
            attempt_timeout_ms: Some(400),
            seed: Some(7),
            ..RetryPolicy::default()
        };
        assert_eq!(RetryForm::of(&policy).policy(), Ok(policy));
        assert_eq!(RetryForm::default().policy(), Ok(RetryPolicy::default()));
    }

    #[test]
    fn retry_fields_out_of_the_relays_bounds_are_named() {
        let form = |edit: fn(&mut RetryForm)| {
            let mut form = RetryForm::default();
            edit(&mut form);
            form.policy().unwrap_err()
        };
        assert!(form(|f| f.attempts = "many".into()).contains("attempts"));
        assert!(form(|f| f.multiplier = "NaN".into()).contains("multiplier"));
        assert!(form(|f| f.seed = "-1".into()).contains("seed"));
        assert!(form(|f| f.timeout_ms = "soon".into()).contains("timeout"));
        // Parsed, but past what the relay runs: the relay's own check says so.
        let too_many = form(|f| f.attempts = "1000".into());
        let relay_says = RetryPolicy {
            max_attempts: 1000,
            ..RetryPolicy::default()
        }
        .check(&RELAY_LIMITS)
        .unwrap_err();
        assert_eq!(too_many, relay_says);
    }
}
