//! "Faults (lab only)": a compact disclosure in the TCP, UDP and HTTP panels
//! where the learner asks a lab service to misbehave on the next connection
//! (latency, dropped datagrams, an RST after N bytes, a slow reader). The
//! fields shown depend on the transport; the panel that holds it sends the
//! faults with its next request.

use roundtrip_shared::protocol::Faults;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Which faults make sense where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TCP echo and the HTTP labs: latency, reset, slow reader.
    Tcp,
    /// UDP echo: latency, drops (seeded).
    Udp,
}

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
    fn for_transport(transport: Transport) -> &'static [Field] {
        match transport {
            Transport::Tcp => &[Field::Latency, Field::Reset, Field::Rate],
            Transport::Udp => &[Field::Latency, Field::Drop, Field::Seed],
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

    fn label(self) -> &'static str {
        match self {
            Field::Latency => "Latency (ms)",
            Field::Drop => "Drop (%)",
            Field::Seed => "Drop seed",
            Field::Reset => "RST after (bytes)",
            Field::Rate => "Read at most (B/s)",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Field::Latency => "the lab answers each piece this much later",
            Field::Drop => "share of datagrams the echo never answers",
            Field::Seed => "same seed, same datagrams dropped",
            Field::Reset => "the lab aborts with RST after reading this many",
            Field::Rate => "a slow reader: its window fills, sends wait",
        }
    }
}

/// The faults the typed values ask for: `None` when every field is empty,
/// or a sentence about the first field that is not a number in range.
pub fn parse(transport: Transport, values: &[(Field, String)]) -> Result<Option<Faults>, String> {
    let mut faults = Faults::default();
    for (field, text) in values {
        let text = text.trim();
        if text.is_empty() || !Field::for_transport(transport).contains(field) {
            continue;
        }
        let bad = || format!("{}: \"{text}\" is not a number in range", field.label());
        match field {
            Field::Latency => faults.latency_ms = Some(text.parse().map_err(|_| bad())?),
            Field::Drop => {
                let percent: u8 = text.parse().map_err(|_| bad())?;
                if percent > 100 {
                    return Err(bad());
                }
                faults.drop_percent = Some(percent);
            }
            Field::Seed => faults.drop_seed = Some(text.parse().map_err(|_| bad())?),
            Field::Reset => faults.reset_after_bytes = Some(text.parse().map_err(|_| bad())?),
            Field::Rate => {
                let rate: u32 = text.parse().map_err(|_| bad())?;
                if rate == 0 {
                    return Err(bad());
                }
                faults.read_bytes_per_s = Some(rate);
            }
        }
    }
    Ok((!faults.is_empty()).then_some(faults))
}

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// Starts the ids: `#<prefix>-faults`, `#<prefix>-fault-latency`, ...
    pub prefix: AttrValue,
    pub transport: Transport,
    /// What the fields ask for now (after each keystroke): the faults, or
    /// why they cannot be sent.
    pub on_change: Callback<Result<Option<Faults>, String>>,
}

#[function_component(FaultsForm)]
pub fn faults_form(props: &Props) -> Html {
    let values = use_state(Vec::<(Field, String)>::new);
    let fields = Field::for_transport(props.transport);
    let problem = parse(props.transport, &values).err();
    let prefix = props.prefix.clone();
    html! {
        <details class="faults" id={format!("{prefix}-faults")}>
            <summary>{"Faults (lab only)"}</summary>
            { for fields.iter().map(|&field| {
                let id = format!("{prefix}-fault-{}", field.slug());
                let value = values
                    .iter()
                    .find(|(f, _)| *f == field)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                let oninput = {
                    let values = values.clone();
                    let on_change = props.on_change.clone();
                    let transport = props.transport;
                    Callback::from(move |e: InputEvent| {
                        let text = e.target_unchecked_into::<HtmlInputElement>().value();
                        let mut next: Vec<(Field, String)> =
                            values.iter().filter(|(f, _)| *f != field).cloned().collect();
                        next.push((field, text));
                        on_change.emit(parse(transport, &next));
                        values.set(next);
                    })
                };
                html! {
                    <div class="field-row">
                        <label for={id.clone()} title={field.hint()}>{field.label()}</label>
                        <input id={id} type="text" inputmode="numeric" size="8"
                            autocomplete="off" value={value} {oninput} />
                    </div>
                }
            }) }
            if let Some(problem) = problem {
                <p class="hint invalid" id={format!("{prefix}-faults-problem")}>{problem}</p>
            }
            <p class="hint">{"Done by the lab service on its own socket: tcp-echo, udp-echo, http-lab, https-lab."}</p>
        </details>
    }
}
