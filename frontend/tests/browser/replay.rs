//! The page's own tools: tabs, the replay bar, the recording the state
//! keeps, and panels set up from an experiment link.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::replay_bar::{Props as ReplayProps, ReplayBar};
use roundtrip_frontend::components::udp_panel::{Props as UdpProps, UdpPanel};
use roundtrip_frontend::components::{Tab, TabPanel, Tabs};
use roundtrip_frontend::relay_socket::Notice;
use roundtrip_frontend::state::{Action, State};
use roundtrip_shared::replay::Command;
use roundtrip_shared::share::Experiment;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::{attr, click, echo_exchange, fire, fresh_root, one, press, text};

#[function_component(TwoTabs)]
fn two_tabs() -> Html {
    let selected = use_state(|| AttrValue::from("one"));
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |id| selected.set(id))
    };
    html! {
        <>
            <Tabs label="Test" tabs={vec![Tab::new("one", "One"), Tab::new("two", "Two"), Tab::new("three", "Three")]}
                selected={(*selected).clone()} {on_select} />
            <TabPanel id="one" selected={(*selected).clone()}><input id="kept" type="text" /></TabPanel>
            <TabPanel id="two" selected={(*selected).clone()}>{"second"}</TabPanel>
            <TabPanel id="three" selected={(*selected).clone()}>{"third"}</TabPanel>
        </>
    }
}

fn hidden(root: &web_sys::Element, css: &str) -> bool {
    one(root, css).has_attribute("hidden")
}

#[wasm_bindgen_test]
async fn tabs_show_one_panel_and_keep_what_the_others_hold() {
    let root = fresh_root();
    yew::Renderer::<TwoTabs>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    assert!(!hidden(&root, "#one-panel"));
    assert!(hidden(&root, "#two-panel"));
    assert_eq!(attr(&one(&root, "#one-tab"), "aria-selected"), "true");
    assert_eq!(
        attr(&one(&root, "#two-panel"), "aria-labelledby"),
        "two-tab"
    );

    let kept: HtmlInputElement = one(&root, "#kept").dyn_into().unwrap();
    kept.set_value("typed");
    click(&one(&root, "#two-tab"));
    yew::scheduler::flush().await;
    assert!(hidden(&root, "#one-panel"));
    assert!(!hidden(&root, "#two-panel"));
    assert_eq!(attr(&one(&root, "#two-tab"), "tabindex"), "0");
    assert_eq!(attr(&one(&root, "#one-tab"), "tabindex"), "-1");

    // Keys move along the row and wrap around.
    press(&one(&root, "#two-tab"), "ArrowRight");
    yew::scheduler::flush().await;
    assert!(!hidden(&root, "#three-panel"));
    press(&one(&root, "#three-tab"), "ArrowRight");
    yew::scheduler::flush().await;
    assert!(!hidden(&root, "#one-panel"));
    press(&one(&root, "#one-tab"), "End");
    yew::scheduler::flush().await;
    assert!(!hidden(&root, "#three-panel"));
    press(&one(&root, "#three-tab"), "Home");
    yew::scheduler::flush().await;
    assert_eq!(
        one(&root, "#kept")
            .dyn_into::<HtmlInputElement>()
            .unwrap()
            .value(),
        "typed",
        "a hidden panel stays mounted"
    );
}

fn replay_props(
    step: (usize, usize),
    live: bool,
    playing: bool,
    heard: &Rc<RefCell<Vec<Command>>>,
) -> ReplayProps {
    let heard = heard.clone();
    ReplayProps {
        step,
        live,
        playing,
        speed: 1.0,
        can_go_live: true,
        source: "This session".into(),
        on_command: Callback::from(move |c| heard.borrow_mut().push(c)),
    }
}

#[wasm_bindgen_test]
async fn the_replay_bar_offers_what_makes_sense_where_it_stands() {
    let heard = Rc::new(RefCell::new(Vec::new()));
    let root = fresh_root();
    yew::Renderer::<ReplayBar>::with_root_and_props(
        root.clone(),
        replay_props((4, 4), true, false, &heard),
    )
    .render();
    yew::scheduler::flush().await;
    assert_eq!(text(&one(&root, "#replay-status")), "Live · 4 events");
    let disabled = |css| one(&root, css).has_attribute("disabled");
    assert!(disabled("#replay-live"), "already live");
    assert!(disabled("#replay-forward"), "nothing ahead of live");
    click(&one(&root, "#replay-pause"));
    click(&one(&root, "#replay-back"));
    let speed: HtmlSelectElement = one(&root, "#replay-speed").dyn_into().unwrap();
    speed.set_value("0.25");
    fire(&speed, "change");
    assert_eq!(
        *heard.borrow(),
        [Command::Pause, Command::StepBack, Command::Speed(0.25)]
    );

    let root = fresh_root();
    heard.borrow_mut().clear();
    yew::Renderer::<ReplayBar>::with_root_and_props(
        root.clone(),
        replay_props((0, 4), false, false, &heard),
    )
    .render();
    yew::scheduler::flush().await;
    let disabled = |css| one(&root, css).has_attribute("disabled");
    assert_eq!(text(&one(&root, "#replay-status")), "Paused · event 0 of 4");
    assert!(disabled("#replay-back") && disabled("#replay-start"));
    assert!(!disabled("#replay-forward") && !disabled("#replay-live"));
    click(&one(&root, "#replay-play"));
    click(&one(&root, "#replay-forward"));
    click(&one(&root, "#replay-live"));
    assert_eq!(
        *heard.borrow(),
        [Command::Play, Command::StepForward, Command::Live]
    );
}

#[wasm_bindgen_test]
fn the_state_records_every_message_with_its_time() {
    let mut state = State::default();
    state.apply(1_000.0, Action::Relay(Notice::Opened));
    for (i, msg) in echo_exchange(1).into_iter().enumerate() {
        let at = 1_000.0 + 10.0 * i as f64;
        match msg {
            Ok(request) => state.apply(at, Action::Requested(request)),
            Err(reply) => state.apply(at, Action::Relay(Notice::Message(reply))),
        }
    }
    let recording = state.recorder.snapshot();
    assert_eq!(recording.len(), echo_exchange(1).len());
    assert_eq!(
        recording.entries[0].at_ms, 0.0,
        "times count from the first"
    );
    assert_eq!(recording.entries[3].at_ms, 30.0);
    // The recording rebuilds exactly the trace the page drew live.
    assert_eq!(recording.trace(usize::MAX), *state.trace);

    // Two states that move on from the same older one each keep their own
    // messages.
    let mut older = State::default();
    older.apply(0.0, Action::Requested(echo_exchange(2)[0].clone().unwrap()));
    let mut branch = older.clone();
    let mut other = older.clone();
    branch.apply(5.0, Action::Requested(echo_exchange(3)[0].clone().unwrap()));
    other.apply(6.0, Action::Requested(echo_exchange(4)[0].clone().unwrap()));
    let (branch, other) = (branch.recorder.snapshot(), other.recorder.snapshot());
    assert_eq!((branch.len(), other.len()), (2, 2));
    assert_eq!(branch.entries[1].at_ms, 5.0);
    assert_eq!(other.entries[1].at_ms, 6.0);
    assert_eq!(older.recorder.snapshot().len(), 1);
}

#[wasm_bindgen_test]
async fn an_experiment_link_fills_in_the_udp_panel() {
    let root = fresh_root();
    let props = UdpProps {
        preset: Some(Experiment::Udp {
            target: "127.0.0.1:9999".into(),
            send: "ping".into(),
            bind_port: Some(5005),
            recv_timeout_ms: Some(750),
            faults: None,
        }),
        services: Vec::new(),
        can_open: true,
        can_close: false,
        can_send: false,
        can_send_to: false,
        state: roundtrip_shared::lifecycle::SocketState::Idle,
        addresses: None,
        datagrams: Vec::new(),
        next_op: 1,
        op: None,
        on_request: Callback::noop(),
    };
    yew::Renderer::<UdpPanel>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    let value = |css| {
        one(&root, css)
            .dyn_into::<HtmlInputElement>()
            .map(|i| i.value())
            .unwrap_or_default()
    };
    assert_eq!(value("#udp-target"), "127.0.0.1:9999");
    assert_eq!(value("#udp-message"), "ping");
    assert_eq!(value("#udp-bind-port"), "5005");
    assert_eq!(value("#udp-timeout"), "750");
    let preset: HtmlSelectElement = one(&root, "#udp-target-preset").dyn_into().unwrap();
    assert_eq!(preset.value(), "custom");
}
