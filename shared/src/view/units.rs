//! Durations and axis ticks for people, in one place: each view has its own
//! way to say a time (the diagram's exact milliseconds, the waterfall's
//! short tick labels, the retry timeline's rounded waits), all here so that
//! they are chosen, not reinvented. Saturating throughout: a recording from
//! a file may carry any numbers.

/// Relay microseconds as milliseconds with three decimals: `1.204 ms`.
pub fn format_micros(t_us: u64) -> String {
    format!("{}.{:03} ms", t_us / 1000, t_us % 1000)
}

/// A span of session time: `0.250 ms`, `4.999 s`, `2 min 05.000 s`; for
/// time labels and idle breaks, which may be long.
pub fn format_span(t_us: u64) -> String {
    let ms = t_us / 1000;
    if ms < 1000 {
        format_micros(t_us)
    } else if ms < 60_000 {
        format!("{}.{:03} s", ms / 1000, ms % 1000)
    } else {
        let s = ms / 1000;
        format!("{} min {:02}.{:03} s", s / 60, s % 60, ms % 1000)
    }
}

/// A scale that ends on a round tick, and the tick step: 1, 2 or 5 times a
/// power of ten microseconds, at most six steps.
pub fn round_scale(longest_us: u64) -> (u64, u64) {
    let longest = longest_us.max(1);
    let mut unit = 1u64;
    loop {
        for factor in [1, 2, 5] {
            // Saturating: a step of u64::MAX ends the search for any span.
            let step = unit.saturating_mul(factor);
            if longest.div_ceil(step) <= 6 {
                return (longest.div_ceil(step).saturating_mul(step), step);
            }
        }
        unit = unit.saturating_mul(10);
    }
}

/// A tick label: `0`, `500 µs`, `2 ms`, `1.5 s`.
pub fn tick_label(us: u64) -> String {
    if us == 0 {
        "0".to_owned()
    } else if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        trim(us as f64 / 1_000.0, "ms")
    } else {
        trim(us as f64 / 1_000_000.0, "s")
    }
}

fn trim(value: f64, unit: &str) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} {unit}")
}

/// A step of 1, 2 or 5 times a power of ten that cuts `span_us` into 4 to 10
/// pieces.
pub fn nice_step(span_us: u64) -> u64 {
    let mut power = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step = power.saturating_mul(factor);
            if span_us / step <= 8 {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// `0 ms`, `240 ms`, `1.5 s`, `12 s`.
pub fn format_us(us: u64) -> String {
    if us < 1_000 && us > 0 {
        return format!("{us} µs");
    }
    let ms = us / 1_000;
    if ms < 1_000 {
        format!("{ms} ms")
    } else {
        let seconds = format!("{:.2}", us as f64 / 1e6);
        let seconds = seconds.trim_end_matches('0').trim_end_matches('.');
        format!("{seconds} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_each_view_says_them() {
        assert_eq!(format_micros(1_204), "1.204 ms");
        assert_eq!(format_span(4_999_000), "4.999 s");
        assert_eq!(format_span(125_000_000), "2 min 05.000 s");
        assert_eq!(tick_label(1_500), "1.5 ms");
        assert_eq!(tick_label(2_000_000), "2 s");
        assert_eq!(tick_label(500), "500 µs");
        assert_eq!(format_us(0), "0 ms");
        assert_eq!(format_us(250), "250 µs");
        assert_eq!(format_us(1_500_000), "1.5 s");
    }

    #[test]
    fn axes_end_on_round_ticks() {
        assert_eq!(round_scale(0), (1, 1));
        assert_eq!(round_scale(7), (8, 2));
        assert_eq!(round_scale(13_500), (15_000, 5_000));
        assert_eq!(round_scale(1_000_001), (1_200_000, 200_000));
        assert_eq!(nice_step(2_008_000), 500_000);
        assert_eq!(nice_step(1_000), 200);
        // Any span ends the search, and the axis saturates.
        assert_eq!(round_scale(u64::MAX), (u64::MAX, 5_000_000_000_000_000_000));
        assert!(nice_step(u64::MAX) > 0);
    }
}
