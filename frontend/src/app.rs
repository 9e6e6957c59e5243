//! The page: the page model and its relay link (`hooks::use_relay`), the
//! experiment tabs wired to it, and the views (`components::Views`) over
//! the trace `views_source` chooses (the live session, or a recording being
//! replayed).

use std::rc::Rc;

use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::ClientMsg;
use roundtrip_shared::replay::Command;
use roundtrip_shared::share::{self, Experiment, Shared};
use yew::prelude::*;

use crate::browser;
use crate::components::masthead::Masthead;
use crate::components::page_tools;
use crate::components::views::Views;
use crate::components::{
    CodePanel, ConnectPanel, DnsPanel, ErrorList, HttpPanel, ListenPanel, MessagePanel, Tab,
    TabPanel, Tabs, UdpPanel,
};
use crate::hooks::{use_preferences, use_relay};
use crate::state::{Action, RelayLink};
use crate::trace_files::trace_files;
use crate::views_source::{use_page_times, use_shown_trace, use_views_source};

fn experiment_tab(experiment: &Experiment) -> &'static str {
    match experiment {
        Experiment::Tcp { .. } => "tcp",
        Experiment::Udp { .. } => "udp",
        Experiment::Http { .. } => "http",
        Experiment::Dns { .. } => "dns",
        Experiment::Python { .. } => "code",
    }
}

#[function_component(App)]
pub fn app() -> Html {
    // What the page's address carried when it loaded: an experiment to set
    // up, or a trace to replay with no relay at all.
    let shared = use_memo((), |_| share::parse_fragment(&browser::fragment()));
    let preset = match &*shared {
        Ok(Some(Shared::Experiment(experiment))) => Some(experiment.clone()),
        _ => None,
    };
    let replay_only = matches!(&*shared, Ok(Some(Shared::Trace(_))));
    let relay = use_relay(replay_only);
    let state = relay.state.clone();
    let preferences = use_preferences();
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
    // A trace link opens on the panel of its last experiment (an HTTP
    // trace on the HTTP tab).
    let control_tab = use_state(|| {
        let traced = match &*shared {
            Ok(Some(Shared::Trace(recording))) => share::last_experiment(recording),
            _ => None,
        };
        AttrValue::from(
            preset
                .as_ref()
                .or(traced.as_ref())
                .map_or("tcp", experiment_tab),
        )
    });

    // What the views show: the live trace, or a recording's first messages.
    let shown = use_shown_trace(&views, state.trace.clone());
    let times = use_page_times(&views);
    let step = views.step(state.trace.steps().len());
    let on_replay = {
        let views = views.clone();
        Callback::from(move |command: Command| views.command(command))
    };
    let files = trace_files(&views, &state.recorder, &problem, &share_link);
    let on_close_opened = {
        let views = views.clone();
        Callback::from(move |()| views.close())
    };
    let on_control_tab = {
        let control_tab = control_tab.clone();
        Callback::from(move |id| control_tab.set(id))
    };

    let request = relay.request.clone();
    let request_whole = relay.request_whole.clone();
    // The UDP panel's datagrams leave whole; everything else as any request.
    let on_udp_request = {
        let request = request.clone();
        Callback::from(move |msg: ClientMsg| match msg {
            ClientMsg::Send { .. } | ClientMsg::SendTo { .. } => request_whole.emit(msg),
            other => request.emit(other),
        })
    };
    let on_select_connection = {
        let dispatcher = state.dispatcher();
        Callback::from(move |op| dispatcher.dispatch(Action::SelectConnection(op)))
    };
    let on_program_call = {
        let dispatcher = state.dispatcher();
        Callback::from(move |call| dispatcher.dispatch(Action::ProgramCall(call)))
    };
    // The Message panel sends on the connection the Target panel acts on.
    let on_send = {
        let request = request.clone();
        let op = state.op_for_requests();
        Callback::from(move |bytes: Vec<u8>| {
            if let Some(op) = op {
                request.emit(ClientMsg::Send {
                    op,
                    data: Payload(bytes),
                });
            }
        })
    };

    let (received, received_earlier, received_total) = state.received_shown();
    let relay_ready = matches!(state.relay, RelayLink::Ready { .. });
    let control_tabs = vec![
        Tab::new("tcp", "TCP client"),
        Tab::new("listen", "TCP server"),
        Tab::new("udp", "UDP"),
        Tab::new("dns", "DNS"),
        Tab::new("http", "HTTP"),
        Tab::new("code", "Python"),
    ];
    let tools = page_tools::Props {
        theme: preferences.theme.clone(),
        presenter: preferences.presenter,
        link: (*share_link).clone(),
        on_theme: preferences.on_theme.clone(),
        on_presenter: preferences.on_presenter.clone(),
        on_save: files.on_save.clone(),
        on_open: files.on_open_file.clone(),
        on_share_trace: files.on_share_trace.clone(),
        on_share_experiment: files.on_share_experiment.clone(),
    };
    // Once the relay is back after a lost link: the last experiment again.
    let redo = state.redo().map(|msg| {
        let request = relay.request.clone();
        Callback::from(move |()| request.emit(msg.clone()))
    });
    let preset_text = match &preset {
        Some(Experiment::Tcp { send, .. }) => AttrValue::from(send.clone()),
        _ => AttrValue::default(),
    };
    html! {
        <div class="page" ondragover={files.on_drag_over} ondrop={files.on_drop}>
            <Masthead {replay_only} relay={state.relay.clone()} quota={state.quota()}
                on_reconnect={relay.reconnect.clone()} reconnect_line={state.reconnect_line()}
                {redo} tools={tools} />
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
                            next_op={state.next_op} on_request={request.clone()} preset={preset.clone()}
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
                            connections={state.accepted_connections()} next_op={state.next_op}
                            listener={state.listener_op()} on_request={request.clone()} />
                    </TabPanel>
                    <TabPanel id="udp" selected={(*control_tab).clone()} class="tab-panel">
                        <UdpPanel services={state.services_of("udp")} can_open={state.can_open_udp()}
                            can_close={state.can_close_udp()} can_send={state.can_send_udp()}
                            can_send_to={state.udp_op().is_some()} state={state.udp_state()}
                            addresses={state.udp_addresses()} datagrams={state.datagrams()}
                            next_op={state.next_op} op={state.udp.map(|u| u.op)}
                            on_request={on_udp_request} preset={preset.clone()} />
                    </TabPanel>
                    <TabPanel id="dns" selected={(*control_tab).clone()} class="tab-panel">
                        <DnsPanel next_op={state.next_op} trace={state.trace.clone()}
                            can_query={relay_ready} on_query={request.clone()} preset={preset.clone()} />
                    </TabPanel>
                    <TabPanel id="http" selected={(*control_tab).clone()} class="tab-panel">
                        <HttpPanel services={state.services.clone()} trace={state.trace.clone()}
                            next_op={state.next_op} can_request={relay_ready}
                            on_request={request.clone()} preset={preset.clone()} />
                    </TabPanel>
                    <TabPanel id="code" selected={(*control_tab).clone()} class="tab-panel">
                        <CodePanel next_op={state.next_op} can_run={relay_ready}
                            on_request={request.clone()} {on_program_call} tap={relay.tap.clone()}
                            preset={match &preset {
                                Some(Experiment::Python { files }) => Some(Rc::new(files.clone())),
                                _ => None,
                            }} />
                    </TabPanel>
                </div>
                <Views trace={shown} times={times} {step} player={views.player()}
                    live={views.is_live()} opened_from={views.opened_from().map(|f| AttrValue::from(f.to_owned()))}
                    {replay_only} {on_replay} {on_close_opened} current={state.current}
                    services={state.services.clone()} next_op={state.next_op}
                    can_request={relay_ready} on_request={request} />
            </main>
        </div>
    }
}
