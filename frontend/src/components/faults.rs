//! "Faults (lab only)": a compact disclosure in the TCP, UDP and HTTP panels
//! where the learner asks a lab service to misbehave on the next connection
//! (latency, dropped datagrams, an RST after N bytes, a slow reader). The
//! fields shown depend on the transport; the panel that holds it sends the
//! faults with its next request.

pub use roundtrip_shared::forms::faults::{Field, parse, values_of};
use roundtrip_shared::protocol::{FaultTransport, Faults};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// Starts the ids: `#<prefix>-faults`, `#<prefix>-fault-latency`, ...
    pub prefix: AttrValue,
    pub transport: FaultTransport,
    /// What the fields ask for now (after each keystroke): the faults, or
    /// why they cannot be sent.
    pub on_change: Callback<Result<Option<Faults>, String>>,
    /// Faults an experiment link asked for, filled in when the form shows
    /// (the panel starts with the same).
    #[prop_or_default]
    pub initial: Option<Faults>,
}

#[function_component(FaultsForm)]
pub fn faults_form(props: &Props) -> Html {
    let initial = props.initial;
    let values = use_state(move || initial.as_ref().map(values_of).unwrap_or_default());
    let fields = Field::for_transport(props.transport);
    let problem = parse(props.transport, &values).err();
    let prefix = props.prefix.clone();
    html! {
        <details class="faults" id={format!("{prefix}-faults")} open={props.initial.is_some()}>
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
