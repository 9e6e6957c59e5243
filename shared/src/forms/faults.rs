//! The "Faults (lab only)" form: which fields each transport offers, and
//! the typed text turned into [`Faults`] or a sentence naming the mistake.
//! The bounds are [`Faults::check`]'s, the relay's own.

use crate::protocol::{FaultTransport, Faults};

/// One number field of the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Latency,
    Drop,
    Seed,
    Reset,
    Rate,
}

impl Field {
    pub fn for_transport(transport: FaultTransport) -> &'static [Field] {
        match transport {
            FaultTransport::Tcp => &[Field::Latency, Field::Reset, Field::Rate],
            FaultTransport::Udp => &[Field::Latency, Field::Drop, Field::Seed],
        }
    }

    /// The end of the input's id (`#<prefix>-fault-<slug>`).
    pub fn slug(self) -> &'static str {
        match self {
            Field::Latency => "latency",
            Field::Drop => "drop",
            Field::Seed => "seed",
            Field::Reset => "reset",
            Field::Rate => "rate",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Latency => "Latency (ms)",
            Field::Drop => "Drop (%)",
            Field::Seed => "Drop seed",
            Field::Reset => "RST after (bytes)",
            Field::Rate => "Read at most (B/s)",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Field::Latency => "the lab answers each piece this much later",
            Field::Drop => "share of datagrams the echo never answers",
            Field::Seed => "same seed, same datagrams dropped",
            Field::Reset => "the lab aborts with RST after reading this many",
            Field::Rate => "a slow reader: its window fills, sends wait",
        }
    }
}

/// The fields' text for `faults` (an experiment link's), the inverse of
/// [`parse`].
pub fn values_of(faults: &Faults) -> Vec<(Field, String)> {
    let text = |n: Option<u64>| n.map(|n| n.to_string());
    [
        (Field::Latency, text(faults.latency_ms.map(u64::from))),
        (Field::Drop, text(faults.drop_percent.map(u64::from))),
        (Field::Seed, text(faults.drop_seed)),
        (Field::Reset, text(faults.reset_after_bytes)),
        (Field::Rate, text(faults.read_bytes_per_s.map(u64::from))),
    ]
    .into_iter()
    .filter_map(|(field, value)| Some((field, value?)))
    .collect()
}

/// The faults the typed values ask for: `None` when every field is empty,
/// or a sentence about the first field that is not a number in range.
pub fn parse(
    transport: FaultTransport,
    values: &[(Field, String)],
) -> Result<Option<Faults>, String> {
    let mut faults = Faults::default();
    for (field, text) in values {
        let text = text.trim();
        if text.is_empty() || !Field::for_transport(transport).contains(field) {
            continue;
        }
        let bad = || format!("{}: \"{text}\" is not a number in range", field.label());
        match field {
            Field::Latency => faults.latency_ms = Some(text.parse().map_err(|_| bad())?),
            Field::Drop => faults.drop_percent = Some(text.parse().map_err(|_| bad())?),
            Field::Seed => faults.drop_seed = Some(text.parse().map_err(|_| bad())?),
            Field::Reset => faults.reset_after_bytes = Some(text.parse().map_err(|_| bad())?),
            Field::Rate => faults.read_bytes_per_s = Some(text.parse().map_err(|_| bad())?),
        }
    }
    // The bounds are the relay's own (one `check` in shared), so the form
    // never lets through what the relay would refuse.
    faults.check(transport).map_err(|e| e.message)?;
    Ok((!faults.is_empty()).then_some(faults))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_links_faults_fill_the_fields_back() {
        for (transport, faults) in [
            (
                FaultTransport::Tcp,
                Faults {
                    latency_ms: Some(250),
                    reset_after_bytes: Some(10),
                    read_bytes_per_s: Some(1024),
                    ..Faults::default()
                },
            ),
            (
                FaultTransport::Udp,
                Faults {
                    drop_percent: Some(30),
                    drop_seed: Some(42),
                    ..Faults::default()
                },
            ),
        ] {
            assert_eq!(parse(transport, &values_of(&faults)), Ok(Some(faults)));
        }
    }

    fn values(pairs: &[(Field, &str)]) -> Vec<(Field, String)> {
        pairs.iter().map(|(f, v)| (*f, (*v).to_owned())).collect()
    }

    #[test]
    fn typed_values_become_faults() {
        assert_eq!(parse(FaultTransport::Tcp, &[]), Ok(None));
        assert_eq!(
            parse(
                FaultTransport::Tcp,
                &values(&[(Field::Latency, " "), (Field::Reset, "")])
            ),
            Ok(None)
        );
        assert_eq!(
            parse(
                FaultTransport::Tcp,
                &values(&[(Field::Latency, "250"), (Field::Rate, "1024")])
            ),
            Ok(Some(Faults {
                latency_ms: Some(250),
                read_bytes_per_s: Some(1024),
                ..Faults::default()
            }))
        );
        assert_eq!(
            parse(
                FaultTransport::Udp,
                &values(&[(Field::Drop, "30"), (Field::Seed, "42")])
            ),
            Ok(Some(Faults {
                drop_percent: Some(30),
                drop_seed: Some(42),
                ..Faults::default()
            }))
        );
    }

    #[test]
    fn a_field_another_transport_uses_is_left_out() {
        assert_eq!(
            parse(FaultTransport::Udp, &values(&[(Field::Reset, "10")])),
            Ok(None)
        );
    }

    #[test]
    fn text_that_is_no_number_names_the_field_and_the_text() {
        for (field, text) in [
            (Field::Reset, "-1"),
            (Field::Latency, "soon"),
            (Field::Rate, "4294967296"),
        ] {
            let error = parse(FaultTransport::Tcp, &values(&[(field, text)])).unwrap_err();
            assert!(error.contains(text), "{error}");
            assert!(error.contains(field.label()), "{error}");
        }
    }

    /// The form refuses exactly what the relay refuses: its bounds come from
    /// `Faults::check`.
    #[test]
    fn numbers_out_of_the_relays_bounds_get_the_relays_words() {
        for (transport, field, text) in [
            (FaultTransport::Udp, Field::Drop, "101"),
            (FaultTransport::Tcp, Field::Rate, "0"),
        ] {
            let error = parse(transport, &values(&[(field, text)])).unwrap_err();
            let mut faults = Faults::default();
            match field {
                Field::Drop => faults.drop_percent = Some(text.parse().unwrap()),
                _ => faults.read_bytes_per_s = Some(text.parse().unwrap()),
            }
            assert_eq!(error, faults.check(transport).unwrap_err().message);
        }
    }
}
