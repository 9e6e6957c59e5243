//! The few text formats the HAR export reads and writes, by hand: RFC 3339
//! dates, `Cookie` and `Set-Cookie` values. The page ships this code as
//! WebAssembly, and general-purpose date and cookie libraries cost it tens
//! of kilobytes for the little used here (README, "Page size").

/// `ms` since the Unix epoch as an RFC 3339 UTC date-time with
/// milliseconds, `2026-11-25T22:00:00.123Z`; dates before 1970 or past
/// year 9999 are clamped to those ends.
pub fn iso_date(ms: f64) -> String {
    // 9999-12-31T23:59:59.999Z.
    const LAST: i64 = 253_402_300_799_999;
    let ms = if ms.is_finite() { ms.round() as i64 } else { 0 }.clamp(0, LAST);
    let (days, in_day) = (ms / 86_400_000, ms % 86_400_000);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days ≥ 0).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// One `name=value` pair, trimmed; `None` without `=` or with no name.
fn pair(text: &str) -> Option<(&str, &str)> {
    let (name, value) = text.split_once('=')?;
    let name = name.trim();
    (!name.is_empty()).then_some((name, value.trim()))
}

/// The pairs of a `Cookie` request header (`a=1; b=2`); pieces that are not
/// a pair are skipped.
pub fn request_cookies(value: &str) -> impl Iterator<Item = (&str, &str)> {
    value.split(';').filter_map(pair)
}

/// What a `Set-Cookie` value says that HAR records.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SetCookie<'a> {
    pub name: &'a str,
    pub value: &'a str,
    pub path: Option<&'a str>,
    /// Without a leading dot, as browsers read it.
    pub domain: Option<&'a str>,
    pub http_only: bool,
    pub secure: bool,
}

/// A `Set-Cookie` value (RFC 6265 §5.2): its pair, then attributes whose
/// names are matched without regard to case; `None` if it has no pair.
pub fn set_cookie(value: &str) -> Option<SetCookie<'_>> {
    let mut parts = value.split(';');
    let (name, value) = pair(parts.next()?)?;
    let mut cookie = SetCookie {
        name,
        value,
        ..SetCookie::default()
    };
    for attribute in parts {
        let (key, value) = attribute
            .split_once('=')
            .map_or((attribute.trim(), ""), |(k, v)| (k.trim(), v.trim()));
        if key.eq_ignore_ascii_case("path") && !value.is_empty() {
            cookie.path = Some(value);
        } else if key.eq_ignore_ascii_case("domain") {
            let domain = value.trim_start_matches('.');
            if !domain.is_empty() {
                cookie.domain = Some(domain);
            }
        } else if key.eq_ignore_ascii_case("httponly") {
            cookie.http_only = true;
        } else if key.eq_ignore_ascii_case("secure") {
            cookie.secure = true;
        }
    }
    Some(cookie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc_3339_utc_with_milliseconds() {
        for (ms, date) in [
            (0.0, "1970-01-01T00:00:00.000Z"),
            (1_764_108_000_123.0, "2025-11-25T22:00:00.123Z"),
            (1_795_644_000_000.4, "2026-11-25T22:00:00.000Z"),
            // Leap days, a century that is not a leap year, one that is.
            (951_782_400_000.0, "2000-02-29T00:00:00.000Z"),
            (4_107_542_399_999.0, "2100-02-28T23:59:59.999Z"),
            (4_107_542_400_000.0, "2100-03-01T00:00:00.000Z"),
            (1_709_164_800_000.0, "2024-02-29T00:00:00.000Z"),
            (-5.0, "1970-01-01T00:00:00.000Z"),
            (f64::NAN, "1970-01-01T00:00:00.000Z"),
            (1e300, "9999-12-31T23:59:59.999Z"),
        ] {
            assert_eq!(iso_date(ms), date, "{ms}");
        }
    }

    #[test]
    fn cookie_headers_are_read_pair_by_pair() {
        let pairs: Vec<_> = request_cookies("session=abc; theme=dark;;junk; =x; e=").collect();
        assert_eq!(pairs, [("session", "abc"), ("theme", "dark"), ("e", "")]);
    }

    #[test]
    fn set_cookie_attributes_are_read_without_regard_to_case() {
        assert_eq!(
            set_cookie("id=7; Path=/; HttpOnly; Secure"),
            Some(SetCookie {
                name: "id",
                value: "7",
                path: Some("/"),
                domain: None,
                http_only: true,
                secure: true,
            })
        );
        assert_eq!(
            set_cookie(" a = b ;domain=.lab.test; max-age=5; PATH=/x"),
            Some(SetCookie {
                name: "a",
                value: "b",
                path: Some("/x"),
                domain: Some("lab.test"),
                ..SetCookie::default()
            })
        );
        assert_eq!(set_cookie("no pair; Path=/"), None);
        assert_eq!(set_cookie("=v"), None);
    }
}
