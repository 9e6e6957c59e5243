//! The page model and its link to the relay: one reducer, one WebSocket per
//! link generation ("Reconnect", or the page by itself after a lost link,
//! starts the next), and the callbacks through which panels send requests.
//!
//! A lost link is retried with exponential backoff and jitter
//! (`shared::page::reconnect_wait_ms`, tested natively): the wait is put in
//! the page's state, which its status line shows, then a timer starts the
//! next generation.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_shared::protocol::{ClientMsg, ServerMsg};
use yew::prelude::*;

use crate::relay_socket::{self, Notice, RelaySocket};
use crate::state::{Action, PageState, RelayLink};
use roundtrip_shared::page::{Reconnecting, reconnect_wait_ms};

/// What [`use_relay`] gives the page.
#[derive(Clone, Debug)]
pub struct Relay {
    pub state: UseReducerHandle<PageState>,
    /// Sends a request; large sends leave in pieces, each recorded as it
    /// really left.
    pub request: Callback<ClientMsg>,
    /// Sends a request whole (a datagram is never split).
    pub request_whole: Callback<ClientMsg>,
    /// Drops the current WebSocket and opens a new one.
    pub reconnect: Callback<()>,
    /// Hands every message from the relay to a running program too.
    pub tap: MessageTap,
}

/// Where the relay's messages go besides the page model: the program
/// running in the page, if any, which waits on its operations' events.
#[derive(Clone, Default)]
pub struct MessageTap(Rc<RefCell<Option<Callback<ServerMsg>>>>);

impl MessageTap {
    pub fn set(&self, listener: Option<Callback<ServerMsg>>) {
        *self.0.borrow_mut() = listener;
    }

    fn emit(&self, msgs: &[ServerMsg]) {
        let listener = self.0.borrow().clone();
        if let Some(listener) = listener {
            for msg in msgs {
                listener.emit(msg.clone());
            }
        }
    }
}

impl PartialEq for MessageTap {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for MessageTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageTap")
    }
}

/// The page model with a live link to the relay, or none when `replay_only`
/// (a shared trace replays with no relay at all).
#[hook]
pub fn use_relay(replay_only: bool) -> Relay {
    let state = use_reducer(PageState::default);
    // Bumped by "Reconnect": each value is one WebSocket to the relay.
    let link_generation = use_state(|| 0_u32);
    let socket: Rc<RefCell<Option<RelaySocket>>> = use_mut_ref(|| None);
    let tap = (*use_memo((), |_| MessageTap::default())).clone();

    {
        let dispatcher = state.dispatcher();
        let socket = socket.clone();
        let tap = tap.clone();
        use_effect_with(*link_generation, move |_| {
            if replay_only {
                return Box::new(|| ()) as Box<dyn FnOnce()>;
            }
            dispatcher.dispatch(Action::RelayConnecting);
            let on_notice = {
                let dispatcher = dispatcher.clone();
                Callback::from(move |notice: Notice| {
                    tap.emit(notice.messages());
                    dispatcher.dispatch(Action::Relay(notice))
                })
            };
            match relay_socket::page_relay_url().and_then(|url| RelaySocket::open(&url, on_notice))
            {
                Ok(opened) => *socket.borrow_mut() = Some(opened),
                Err(reason) => {
                    dispatcher.dispatch(Action::Relay(Notice::Closed { code: None, reason }))
                }
            }
            Box::new(move || drop(socket.borrow_mut().take()))
        });
    }

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
                None => dispatcher.dispatch(not_connected()),
            }
        })
    };
    let request_whole = {
        let dispatcher = state.dispatcher();
        Callback::from(move |msg: ClientMsg| {
            let sent = socket
                .borrow()
                .as_ref()
                .is_some_and(|socket| socket.send_whole(msg.clone()));
            dispatcher.dispatch(if sent {
                Action::Requested(msg)
            } else {
                not_connected()
            });
        })
    };
    // After a lost link: wait as the backoff says, then try the next
    // generation. A failed try is lost again, and schedules the next wait.
    {
        let lost = !replay_only && matches!(state.relay, RelayLink::Lost { .. });
        let dispatcher = state.dispatcher();
        let attempt = state.next_reconnect_attempt();
        let link_generation = link_generation.clone();
        use_effect_with((lost, *link_generation), move |&(lost, generation)| {
            let timer = lost.then(|| {
                let wait_ms = reconnect_wait_ms(attempt, js_sys::Math::random());
                dispatcher.dispatch(Action::ReconnectIn(Reconnecting { attempt, wait_ms }));
                let wait = u32::try_from(wait_ms).unwrap_or(u32::MAX);
                gloo_timers::callback::Timeout::new(wait, move || {
                    link_generation.set(generation + 1)
                })
            });
            // Dropping the timer cancels it (a manual Reconnect, the page
            // going away).
            move || drop(timer)
        });
    }
    let reconnect = Callback::from(move |()| link_generation.set(*link_generation + 1));
    Relay {
        state,
        request,
        request_whole,
        reconnect,
        tap,
    }
}

fn not_connected() -> Action {
    Action::Problem("not connected to the relay: the request was not sent".to_owned())
}
