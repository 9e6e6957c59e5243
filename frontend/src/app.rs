//! The page: owns the state and the relay socket, wires the panels to them,
//! lays out the experiment and view tabs, and hands the views the trace
//! `views_source` chooses (the live session, or a recording being replayed).

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::ClientMsg;
use roundtrip_shared::recording::Recording;
use roundtrip_shared::replay::Command;
use roundtrip_shared::share::{self, Experiment, Shared};
use yew::prelude::*;

use crate::browser;
use crate::components::connect_panel::ConnectRequest;
use crate::components::udp_panel::UdpOpenRequest;
use crate::components::{
    ConnectPanel, DnsPanel, DnsView, ErrorList, HttpPanel, LifecycleView, ListenPanel,
    MessagePanel, PageTools, PayloadInspector, ReplayBar, RetryView, SequenceDiagram, Tab,
    TabPanel, Tabs, UdpPanel, WaterfallView,
};
use crate::relay_socket::{self, RelaySocket};
use crate::state::{Action, PageState, RelayLink};
use crate::views_source::{use_page_times, use_shown_trace, use_views_source};

fn experiment_tab(experiment: &Experiment) -> &'static str {
    match experiment {
        Experiment::Tcp { .. } => "tcp",
        Experiment::Udp { .. } => "udp",
        Experiment::Http { .. } => "http",
        Experiment::Dns { .. } => "dns",
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(PageState::default);
    // Bumped by "Reconnect": each value is one WebSocket to the relay.
    let link_generation = use_state(|| 0_u32);
    let socket: Rc<RefCell<Option<RelaySocket>>> = use_mut_ref(|| None);

    // What the page's address carried when it loaded: an experiment to set
    // up, or a trace to replay with no relay at all.
    let shared = use_memo((), |_| share::parse_fragment(&browser::fragment()));
    let preset = match &*shared {
        Ok(Some(Shared::Experiment(experiment))) => Some(experiment.clone()),
        _ => None,
    };
    let replay_only = matches!(&*shared, Ok(Some(Shared::Trace(_))));
    // A link pasted into this tab that differs only after `#` does not load
    // the page again; make it, so the link does what it says.
    use_effect_with((), |_| {
        let watch = browser::watch_fragment(|fragment| {
            if !matches!(share::parse_fragment(&fragment), Ok(None)) {
                browser::reload();
            }
        });
        move || drop(watch)
    });
    let views = use_views_source(
        &state.recorder,
        match &*shared {
            Ok(Some(Shared::Trace(recording))) => {
                Some((recording.clone(), "a shared link".to_owned()))
            }
            _ => None,
        },
    );
    let problem = use_state(|| match &*shared {
        Err(error) => Some(format!("The link could not be opened: {error}")),
        _ => None,
    });
    let share_link = use_state(|| None::<AttrValue>);
    let control_tab = use_state(|| AttrValue::from(preset.as_ref().map_or("tcp", experiment_tab)));
    let view_tab = use_state(|| AttrValue::from("sequence"));
    let theme = use_state(|| {
        AttrValue::from(browser::preference("roundtrip-theme").unwrap_or_else(|| "auto".to_owned()))
    });
    let presenter =
        use_state(|| browser::preference("roundtrip-presenter").as_deref() == Some("on"));
    use_effect_with(((*theme).clone(), *presenter), |(theme, presenter)| {
        browser::set_root_attribute("data-theme", theme);
        browser::set_root_attribute("data-presenter", if *presenter { "on" } else { "off" });
    });

    {
        let dispatcher = state.dispatcher();
        let socket = socket.clone();
        use_effect_with(*link_generation, move |_| {
            if replay_only {
                // A shared trace replays on its own: no socket, no relay.
                return Box::new(|| ()) as Box<dyn FnOnce()>;
            }
            dispatcher.dispatch(Action::RelayConnecting);
            let on_notice = {
                let dispatcher = dispatcher.clone();
                Callback::from(move |notice| dispatcher.dispatch(Action::Relay(notice)))
            };
            match relay_socket::page_relay_url().and_then(|url| RelaySocket::open(&url, on_notice))
            {
                Ok(opened) => *socket.borrow_mut() = Some(opened),
                Err(reason) => dispatcher.dispatch(Action::Relay(relay_socket::Notice::Closed {
                    code: None,
                    reason,
                })),
            }
            Box::new(move || drop(socket.borrow_mut().take()))
        });
    }

    // What the views show: the live trace, or a recording's first messages.
    let shown = use_shown_trace(&views, state.trace.clone());
    let times = use_page_times(&views);
    let step = views.step(state.trace.steps().len());
    let on_replay = {
        let views = views.clone();
        Callback::from(move |command: Command| views.command(command))
    };

    let open_recording = {
        let views = views.clone();
        let problem = problem.clone();
        Callback::from(
            move |(text, source): (String, String)| match Recording::from_json(&text) {
                Ok(recording) => {
                    views.open(recording, source);
                    problem.set(None);
                }
                Err(error) => problem.set(Some(format!("{source} cannot be opened: {error}"))),
            },
        )
    };
    let on_open_file = {
        let problem = problem.clone();
        Callback::from(move |file: web_sys::File| {
            let open_recording = open_recording.clone();
            let problem = problem.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                match browser::read_text(file).await {
                    Ok(text) => open_recording.emit((text, name)),
                    Err(error) => problem.set(Some(error)),
                }
            });
        })
    };
    let on_drop = {
        let on_open_file = on_open_file.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            if let Some(file) = event
                .data_transfer()
                .and_then(|data| data.files())
                .and_then(|files| files.get(0))
            {
                on_open_file.emit(file);
            }
        })
    };
    // Without this the browser opens a dropped file itself.
    let on_drag_over = Callback::from(|event: DragEvent| event.prevent_default());
    let on_save = {
        let views = views.clone();
        let problem = problem.clone();
        Callback::from(move |()| {
            let name = format!(
                "roundtrip-trace-{}.json",
                js_sys::Date::new_0()
                    .to_iso_string()
                    .as_string()
                    .unwrap_or_default()
                    .replace([':', '.'], "-")
            );
            if let Err(error) =
                browser::download(&name, "application/json", &views.recording().to_json())
            {
                problem.set(Some(format!("The trace could not be saved: {error}")));
            }
        })
    };
    let show_link = {
        let share_link = share_link.clone();
        let problem = problem.clone();
        Callback::from(
            move |fragment: String| match browser::link_with_fragment(&fragment) {
                Ok(link) => {
                    share_link.set(Some(link.clone().into()));
                    problem.set(None);
                    // Copying is a convenience: the link is shown either way.
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = browser::copy(&link).await;
                    });
                }
                Err(error) => problem.set(Some(format!("No link could be made: {error}"))),
            },
        )
    };
    let on_share_trace = {
        let views = views.clone();
        let show_link = show_link.clone();
        Callback::from(move |()| show_link.emit(share::trace_fragment(&views.recording())))
    };
    let on_share_experiment = {
        let recorder = state.recorder.clone();
        let problem = problem.clone();
        Callback::from(move |()| {
            match share::last_experiment(&recorder.snapshot()) {
            Some(experiment) => show_link.emit(experiment.to_fragment()),
            None => problem.set(Some(
                "Start something first (connect, open, request or query): the link carries what you ran last."
                    .to_owned(),
            )),
        }
        })
    };
    let on_theme = {
        let theme = theme.clone();
        Callback::from(move |value: AttrValue| {
            browser::remember("roundtrip-theme", &value);
            theme.set(value);
        })
    };
    let on_presenter = {
        let presenter = presenter.clone();
        Callback::from(move |on: bool| {
            browser::remember("roundtrip-presenter", if on { "on" } else { "off" });
            presenter.set(on);
        })
    };
    let on_close_opened = {
        let views = views.clone();
        Callback::from(move |_: MouseEvent| views.close())
    };
    let on_control_tab = {
        let control_tab = control_tab.clone();
        Callback::from(move |id| control_tab.set(id))
    };
    let on_view_tab = {
        let view_tab = view_tab.clone();
        Callback::from(move |id| view_tab.set(id))
    };

    // Every request goes on the wire first and into the trace second, as the
    // messages that really left (a large send leaves in several pieces, and
    // pieces that wait in the page are told when they leave).
    let request = {
        let socket = socket.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |msg: ClientMsg| {
            let sent = socket.borrow().as_ref().and_then(|socket| socket.send(msg));
            match sent {
                Some(sent) => {
                    for msg in sent {
                        dispatcher.dispatch(Action::Requested(msg));
                    }
                }
                None => dispatcher.dispatch(Action::Problem(
                    "not connected to the relay: the request was not sent".to_owned(),
                )),
            }
        })
    };
    // A datagram must leave whole: never split.
    let request_whole = {
        let socket = socket.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |msg: ClientMsg| {
            let sent = socket
                .borrow()
                .as_ref()
                .is_some_and(|socket| socket.send_whole(msg.clone()));
            dispatcher.dispatch(if sent {
                Action::Requested(msg)
            } else {
                Action::Problem("not connected to the relay: the request was not sent".to_owned())
            });
        })
    };
    let on_connect = {
        let op = state.next_op;
        request.reform(move |connect: ConnectRequest| ClientMsg::TcpConnect {
            op,
            target: connect.target,
            connect_timeout_ms: None,
            nodelay: connect.nodelay,
            faults: connect.faults,
        })
    };
    let on_udp_open = {
        let op = state.next_op;
        request.reform(move |open: UdpOpenRequest| ClientMsg::UdpOpen {
            op,
            target: open.target,
            bind_port: open.bind_port,
            recv_timeout_ms: open.recv_timeout_ms,
            faults: open.faults,
        })
    };
    let udp_op = state.udp_op();
    let on_udp_send = {
        let request_whole = request_whole.clone();
        Callback::from(move |bytes: Vec<u8>| {
            if let Some(op) = udp_op {
                request_whole.emit(ClientMsg::Send {
                    op,
                    data: Payload(bytes),
                });
            }
        })
    };
    let on_udp_send_to = Callback::from(move |(target, bytes): (String, Vec<u8>)| {
        if let Some(op) = udp_op {
            request_whole.emit(ClientMsg::SendTo {
                op,
                target,
                data: Payload(bytes),
            });
        }
    });
    let on_udp_close = {
        let request = request.clone();
        let udp = state
            .can_close_udp()
            .then(|| state.udp.map(|u| u.op))
            .flatten();
        Callback::from(move |()| {
            if let Some(op) = udp {
                request.emit(ClientMsg::Close { op });
            }
        })
    };
    let on_listen = {
        let op = state.next_op;
        request.reform(move |port: Option<u16>| ClientMsg::TcpListen { op, port })
    };
    let on_stop_listening = {
        let request = request.clone();
        let listener = state.listener_op();
        Callback::from(move |()| {
            if let Some(op) = listener {
                request.emit(ClientMsg::Close { op });
            }
        })
    };
    let on_conn_send = request.reform(|(op, bytes): (u32, Vec<u8>)| ClientMsg::Send {
        op,
        data: Payload(bytes),
    });
    let on_conn_close = request.reform(|op: u32| ClientMsg::Close { op });
    let op = state.op_for_requests();
    let on_select_connection = {
        let dispatcher = state.dispatcher();
        Callback::from(move |op| dispatcher.dispatch(Action::SelectConnection(op)))
    };
    let on_shutdown = {
        let request = request.clone();
        Callback::from(move |()| {
            if let Some(op) = op {
                request.emit(ClientMsg::Shutdown { op });
            }
        })
    };
    let on_send = {
        let request = request.clone();
        Callback::from(move |bytes: Vec<u8>| {
            if let Some(op) = op {
                request.emit(ClientMsg::Send {
                    op,
                    data: Payload(bytes),
                });
            }
        })
    };
    let on_http = request.clone();
    let on_dns_query = request.clone();
    let on_retry_run = request.clone();
    let on_close = Callback::from(move |()| {
        if let Some(op) = op {
            request.emit(ClientMsg::Close { op });
        }
    });
    let on_reconnect = {
        let link_generation = link_generation.clone();
        Callback::from(move |_: MouseEvent| link_generation.set(*link_generation + 1))
    };

    let (received, received_earlier, received_total) = state.received_shown();
    let current = state.current;
    let relay_ready = matches!(state.relay, RelayLink::Ready { .. });
    let control_tabs = vec![
        Tab::new("tcp", "TCP client"),
        Tab::new("listen", "TCP server"),
        Tab::new("udp", "UDP"),
        Tab::new("dns", "DNS"),
        Tab::new("http", "HTTP"),
    ];
    let view_tabs = vec![
        Tab::new("sequence", "Sequence"),
        Tab::new("lifecycle", "Socket lifecycle"),
        Tab::new("timing", "Timing"),
        Tab::new("dns-view", "DNS"),
        Tab::new("inspector", "Payloads"),
        Tab::new("retries", "Retries"),
    ];
    let source = match views.opened_from() {
        Some(from) => format!("Trace from {from}"),
        None => "This session".to_owned(),
    };
    let player = views.player();
    let following_live = views.is_live();
    let opened = views.opened_from().is_some();
    let preset_text = match &preset {
        Some(Experiment::Tcp { send, .. }) => AttrValue::from(send.clone()),
        _ => AttrValue::default(),
    };
    html! {
        <div class="page" ondragover={on_drag_over} ondrop={on_drop}>
            <header class="masthead">
                <div>
                    <h1>{"Roundtrip"}</h1>
                    <p class="tagline">{"Open TCP connections, UDP sockets and listeners from your browser and watch every step."}</p>
                </div>
                <div class="relay-box">
                    if replay_only {
                        <p class="relay-line">
                            {"Replaying a shared trace: no connection is opened. "}
                            <a id="leave-replay" href="./">{"Open the playground"}</a>
                        </p>
                    } else {
                        <p class="relay-line">
                            {"Relay: "}
                            <span id="relay-status" class={classes!("relay-status", relay_class(&state.relay))}>
                                {state.relay.label()}
                            </span>
                            if let RelayLink::Ready { relay } = &state.relay {
                                <span class="relay-name">{relay.clone()}</span>
                            }
                            if matches!(state.relay, RelayLink::Lost { .. }) {
                                <button id="reconnect" onclick={on_reconnect}>{"Reconnect"}</button>
                            }
                        </p>
                    }
                    if let Some(quota) = state.quota() {
                        <p id="quota" class="quota">{"This session: "}{quota}</p>
                    }
                </div>
                <PageTools theme={(*theme).clone()} presenter={*presenter} link={(*share_link).clone()}
                    {on_theme} {on_presenter} {on_save} on_open={on_open_file}
                    {on_share_trace} {on_share_experiment} />
            </header>
            if let Some(problem) = &*problem {
                <p id="page-problem" class="page-problem" role="alert">{problem.clone()}</p>
            }
            <main class="layout">
                <div class="controls">
                    <Tabs label="Experiment" tabs={control_tabs} selected={(*control_tab).clone()}
                        on_select={on_control_tab} />
                    <TabPanel id="tcp" selected={(*control_tab).clone()} class="tab-panel">
                        <ConnectPanel services={state.services_of("tcp")} can_connect={state.can_connect()}
                            can_close={state.can_close()} can_shutdown={state.can_shutdown()}
                            {on_connect} {on_close} {on_shutdown} preset={preset.clone()}
                            connections={state.connections()} current={state.current.map(|c| c.op)}
                            on_select={on_select_connection} />
                        <ErrorList errors={state.shown_errors()} />
                        <MessagePanel can_send={state.can_send()}
                            received={AttrValue::from(String::from_utf8_lossy(&received).into_owned())}
                            received_bytes={received_total} {received_earlier}
                            {on_send} preset={preset_text}
                            waiting={state.waiting_to_send()} />
                    </TabPanel>
                    <TabPanel id="listen" selected={(*control_tab).clone()} class="tab-panel">
                        <ListenPanel can_listen={state.can_listen()} can_stop={state.listener_op().is_some()}
                            state={state.listener_state()} listening_on={state.listening_on()}
                            connections={state.accepted_connections()} {on_listen}
                            on_stop={on_stop_listening} {on_conn_send} {on_conn_close} />
                    </TabPanel>
                    <TabPanel id="udp" selected={(*control_tab).clone()} class="tab-panel">
                        <UdpPanel services={state.services_of("udp")} can_open={state.can_open_udp()}
                            can_close={state.can_close_udp()} can_send={state.can_send_udp()}
                            can_send_to={udp_op.is_some()} state={state.udp_state()}
                            addresses={state.udp_addresses()} datagrams={state.datagrams()}
                            on_open={on_udp_open} on_send={on_udp_send} on_send_to={on_udp_send_to}
                            on_close={on_udp_close} preset={preset.clone()} />
                    </TabPanel>
                    <TabPanel id="dns" selected={(*control_tab).clone()} class="tab-panel">
                        <DnsPanel next_op={state.next_op} trace={state.trace.clone()}
                            can_query={relay_ready} on_query={on_dns_query} preset={preset.clone()} />
                    </TabPanel>
                    <TabPanel id="http" selected={(*control_tab).clone()} class="tab-panel">
                        <HttpPanel services={state.services.clone()} trace={state.trace.clone()}
                            next_op={state.next_op} can_request={relay_ready}
                            on_request={on_http} preset={preset.clone()} />
                    </TabPanel>
                </div>
                // Replaying, the newest arrow draws itself, at the replay's pace.
                <div class={classes!("views", (!following_live).then_some("is-replaying"))}
                    style={format!("--replay-step: {}ms", (600.0 / player.speed).round())}>
                    <ReplayBar step={step} live={following_live} playing={player.playing}
                        speed={player.speed} can_go_live={!opened && !replay_only}
                        source={source} on_command={on_replay} />
                    if opened && !replay_only {
                        <p class="opened-note">
                            {"The views show an opened trace; your session goes on behind it. "}
                            <button type="button" id="close-opened" onclick={on_close_opened}>
                                {"Back to this session"}
                            </button>
                        </p>
                    }
                    <Tabs label="Views" tabs={view_tabs} selected={(*view_tab).clone()}
                        on_select={on_view_tab} />
                    <TabPanel id="sequence" selected={(*view_tab).clone()}>
                        <section class="panel diagram" aria-labelledby="diagram-heading">
                            <h2 id="diagram-heading">{"Sequence"}</h2>
                            <ul class="legend" aria-label="Colours">
                                <li class="tone-request">{"request"}</li>
                                <li class="tone-control">{"TCP control"}</li>
                                <li class="tone-data">{"data"}</li>
                                <li class="tone-note">{"inside the relay"}</li>
                                <li class="tone-error">{"error"}</li>
                            </ul>
                            <SequenceDiagram trace={shown.clone()} />
                        </section>
                    </TabPanel>
                    <TabPanel id="lifecycle" selected={(*view_tab).clone()}>
                        <LifecycleView trace={shown.clone()} current={current.map(|c| c.op)}
                            cut_off={current.is_some_and(|c| c.cut_off)} />
                    </TabPanel>
                    <TabPanel id="timing" selected={(*view_tab).clone()}>
                        <WaterfallView trace={shown.clone()} times={times.clone()} />
                    </TabPanel>
                    <TabPanel id="dns-view" selected={(*view_tab).clone()}>
                        <DnsView trace={shown.clone()} />
                    </TabPanel>
                    <TabPanel id="inspector" selected={(*view_tab).clone()}>
                        <PayloadInspector trace={shown.clone()} />
                    </TabPanel>
                    <TabPanel id="retries" selected={(*view_tab).clone()}>
                        <RetryView trace={shown.clone()} services={state.services.clone()}
                            next_op={state.next_op} can_request={relay_ready}
                            on_request={on_retry_run} />
                    </TabPanel>
                </div>
            </main>
        </div>
    }
}

fn relay_class(link: &RelayLink) -> &'static str {
    match link {
        RelayLink::Connecting | RelayLink::Greeting => "is-pending",
        RelayLink::Ready { .. } => "is-up",
        RelayLink::Lost { .. } => "is-down",
    }
}
