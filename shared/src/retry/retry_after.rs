//! The `Retry-After` header (RFC 9110 §10.2.3): a number of seconds, or an
//! HTTP date to come back after.

use std::time::{Duration, SystemTime};

/// How long `value` asks the client to wait, measured from `now` (the
/// caller's clock: this crate reads none). A date in the past asks for no
/// wait; anything unparsable is ignored (`None`), as the header is advice.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurd numbers saturate; the policy's cap trims them anyway.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// [`parse_retry_after`] in whole milliseconds.
pub fn retry_after_ms(value: &str, now: SystemTime) -> Option<u64> {
    parse_retry_after(value, now).map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
    }

    #[test]
    fn seconds() {
        assert_eq!(retry_after_ms("2", at(0)), Some(2_000));
        assert_eq!(retry_after_ms(" 0 ", at(0)), Some(0));
        assert_eq!(
            retry_after_ms("99999999999999999999999", at(0)),
            Some(u64::MAX)
        );
    }

    #[test]
    fn http_dates() {
        // Wed, 25 Nov 2026 21:01:52 GMT is 1795640512.
        let now = at(1_795_640_512);
        assert_eq!(
            retry_after_ms("Wed, 25 Nov 2026 21:01:55 GMT", now),
            Some(3_000)
        );
        // Already past: come back now.
        assert_eq!(
            retry_after_ms("Wed, 25 Nov 2026 21:00:00 GMT", now),
            Some(0)
        );
    }

    #[test]
    fn nonsense_is_ignored() {
        assert_eq!(retry_after_ms("soon", at(0)), None);
        assert_eq!(retry_after_ms("-1", at(0)), None);
        assert_eq!(retry_after_ms("", at(0)), None);
        assert_eq!(retry_after_ms("1.5", at(0)), None);
    }
}
