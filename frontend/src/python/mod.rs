//! Python programs in the page: a Web Worker runs Pyodide (`worker.mjs`),
//! and the page carries out the program's socket calls through its own
//! relay session, so they are drawn like the panels' operations.
//!
//! The worker asks, the page answers: each socket call (and each request
//! of the `requests` module, `requests_shim.py`) arrives as a
//! [`Request`], goes through `shared::program::sockets` (the pure model of
//! what each call becomes and returns), and the [`Reply`] goes back when the
//! relay's events settle it. Stop terminates the worker at once (a `while
//! True: pass` cannot be interrupted otherwise without cross-origin
//! isolation) and closes the operations the program left open.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use roundtrip_shared::program::ports::Ports;
use roundtrip_shared::program::sockets::{Effect, Request, Sockets, starts_op};
use roundtrip_shared::protocol::{ClientMsg, OpId, ServerMsg};
use roundtrip_shared::session::sources::ProgramCall;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Url, Worker, WorkerOptions, WorkerType};

/// Where the page serves Pyodide (`index.html` copies it there; a test in
/// xtask holds the version to the one it installs).
const PYODIDE_DIR: &str = "/pyodide-314.0.8/";
const WORKER_JS: &str = include_str!("worker.mjs");
/// Where the page serves its own Python modules (`index.html` copies
/// `socket_shim.py` and `requests_shim.py` there): the worker fetches them
/// when a program first runs, so the page's first load does not carry them.
const MODULES_DIR: &str = "/python/";

/// What a running program tells the panel.
#[derive(Clone, Debug, PartialEq)]
pub enum ProgramEvent {
    /// Python is loaded; the program starts.
    Started,
    /// A piece of the program's output.
    Output { stderr: bool, text: String },
    /// A line from the page about the program's sockets (where the relay
    /// really listens for the port it chose).
    Note(String),
    /// The program ended: its exit status and, when it raised, the
    /// traceback.
    Exited { status: i32, error: Option<String> },
}

/// One run of one program.
pub struct Program {
    worker: Worker,
    inner: Rc<Inner>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

struct Inner {
    sockets: RefCell<Sockets>,
    /// The page's next free operation id, as the panels see it.
    page_next_op: Rc<Cell<OpId>>,
    /// The last id a program of the page took: two operations started
    /// before the page re-renders (by one program or two) must not share
    /// one.
    last_op: Rc<Cell<OpId>>,
    to_relay: yew::Callback<ClientMsg>,
    on_call: yew::Callback<ProgramCall>,
    on_event: yew::Callback<ProgramEvent>,
    worker: RefCell<Option<Worker>>,
    /// The program's file name and lines, to name the line of each call.
    filename: String,
    lines: Vec<String>,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Program")
    }
}

impl Program {
    /// Starts `code` (named `filename` in tracebacks) in a new worker.
    /// The programs of one page share `ports` (where each one's servers
    /// really listen) and `last_op`.
    pub fn start(
        code: &str,
        filename: &str,
        page: PageLink,
        on_event: yew::Callback<ProgramEvent>,
    ) -> Result<Program, String> {
        let PageLink {
            next_op: page_next_op,
            last_op,
            ports,
            to_relay,
            on_call,
        } = page;
        let worker =
            new_worker().map_err(|e| format!("the program's worker did not start: {e:?}"))?;
        let inner = Rc::new(Inner {
            sockets: RefCell::new(Sockets::sharing(ports)),
            page_next_op,
            last_op,
            to_relay,
            on_call,
            on_event,
            worker: RefCell::new(Some(worker.clone())),
            filename: filename.to_owned(),
            lines: code.lines().map(str::to_owned).collect(),
        });
        let on_message = {
            let inner = Rc::downgrade(&inner);
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(inner) = inner.upgrade() {
                    inner.from_worker(event.data());
                }
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        let run = js_sys::Object::new();
        for (key, value) in [
            ("type", "run"),
            ("code", code),
            ("filename", filename),
            ("pyodide", &format!("{origin}{PYODIDE_DIR}")),
            ("modules", &format!("{origin}{MODULES_DIR}")),
        ] {
            let _ = js_sys::Reflect::set(&run, &key.into(), &value.into());
        }
        worker
            .post_message(&run)
            .map_err(|e| format!("the program could not be sent to its worker: {e:?}"))?;
        Ok(Program {
            worker,
            inner,
            _on_message: on_message,
        })
    }

    /// A message from the relay: the program's operations take theirs.
    pub fn relay(&self, msg: &ServerMsg) {
        let effects = self.inner.sockets.borrow_mut().relay(msg);
        self.inner.carry_out(effects);
    }

    /// Stops the program now and closes what it left open.
    pub fn stop(&self) {
        self.inner.end();
    }
}

/// What the programs of one page share with it and with each other.
#[derive(Clone, Debug)]
pub struct PageLink {
    /// The page's next free operation id, as the panels see it.
    pub next_op: Rc<Cell<OpId>>,
    /// The last operation id a program took.
    pub last_op: Rc<Cell<OpId>>,
    /// Where the relay really listens for each program's port.
    pub ports: Rc<RefCell<Ports>>,
    pub to_relay: yew::Callback<ClientMsg>,
    /// Told, before a call's messages leave, which line made it.
    pub on_call: yew::Callback<ProgramCall>,
}

impl Drop for Program {
    fn drop(&mut self) {
        self.inner.end();
        self.worker.set_onmessage(None);
    }
}

impl Inner {
    fn end(&self) {
        if let Some(worker) = self.worker.borrow_mut().take() {
            worker.terminate();
        }
        let open = self.sockets.borrow_mut().end();
        for op in open {
            self.to_relay.emit(ClientMsg::Close { op });
        }
    }

    fn from_worker(self: &Rc<Self>, data: JsValue) {
        let field = |name: &str| js_sys::Reflect::get(&data, &name.into()).ok();
        let text = |name: &str| field(name).and_then(|v| v.as_string());
        match text("type").as_deref() {
            Some("ready") => self.on_event.emit(ProgramEvent::Started),
            Some("out") => self.on_event.emit(ProgramEvent::Output {
                stderr: text("stream").as_deref() == Some("stderr"),
                text: text("text").unwrap_or_default(),
            }),
            Some("exit") => {
                let status = field("status").and_then(|v| v.as_f64()).unwrap_or(1.0) as i32;
                self.on_event.emit(ProgramEvent::Exited {
                    status,
                    error: text("error"),
                });
                self.end();
            }
            Some("call") => {
                let Some(request) = text("request") else {
                    return;
                };
                match serde_json::from_str::<Request>(&request) {
                    Ok(request) => {
                        let op = self
                            .page_next_op
                            .get()
                            .max(self.last_op.get().saturating_add(1));
                        let mut sockets = self.sockets.borrow_mut();
                        let effects = sockets.call(request.clone(), op);
                        let sources = sockets.sources_of(&request, &effects);
                        drop(sockets);
                        for (op, call, line) in sources {
                            self.on_call.emit(ProgramCall {
                                op,
                                call,
                                program: self.filename.clone(),
                                line,
                                text: self
                                    .lines
                                    .get((line as usize).wrapping_sub(1))
                                    .cloned()
                                    .unwrap_or_default(),
                            });
                        }
                        if effects
                            .iter()
                            .any(|e| matches!(e, Effect::Relay(msg) if starts_op(msg)))
                        {
                            self.last_op.set(op);
                        }
                        self.carry_out(effects);
                    }
                    Err(error) => self.on_event.emit(ProgramEvent::Output {
                        stderr: true,
                        text: format!(
                            "internal error: a socket call the page cannot read ({error})\n"
                        ),
                    }),
                }
            }
            _ => {}
        }
    }

    fn carry_out(self: &Rc<Self>, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Relay(msg) => self.to_relay.emit(*msg),
                Effect::Note(text) => self.on_event.emit(ProgramEvent::Note(text)),
                Effect::Reply(reply) => {
                    let Some(worker) = self.worker.borrow().clone() else {
                        continue;
                    };
                    let message = js_sys::Object::new();
                    let json = serde_json::to_string(&reply).unwrap_or_default();
                    let _ = js_sys::Reflect::set(&message, &"type".into(), &"reply".into());
                    let _ = js_sys::Reflect::set(&message, &"reply".into(), &json.into());
                    let _ = worker.post_message(&message);
                }
                Effect::Deadline { call, after_ms } => {
                    let inner = Rc::downgrade(self);
                    let timer = Timeout::new(after_ms.min(u32::MAX as u64) as u32, move || {
                        if let Some(inner) = inner.upgrade() {
                            let effects = inner.sockets.borrow_mut().expire(call);
                            inner.carry_out(effects);
                        }
                    });
                    // Left to fire: it holds only a weak reference, and a
                    // call that has since been answered expires as nothing.
                    timer.forget();
                }
            }
        }
    }
}

/// A module worker from the script built into the page: it needs no file
/// of its own on the relay, and it loads Pyodide by absolute URL.
/// The script's URL is made once and kept for the page's life: a worker
/// fetches its script after `new Worker` returns.
fn new_worker() -> Result<Worker, JsValue> {
    thread_local! {
        static SCRIPT_URL: RefCell<Option<String>> = const { RefCell::new(None) };
    }
    let url = SCRIPT_URL.with(|cell| -> Result<String, JsValue> {
        if let Some(url) = cell.borrow().as_ref() {
            return Ok(url.clone());
        }
        let parts = js_sys::Array::of1(&WORKER_JS.into());
        let bag = BlobPropertyBag::new();
        bag.set_type("text/javascript");
        let blob = Blob::new_with_str_sequence_and_options(&parts, &bag)?;
        let url = Url::create_object_url_with_blob(&blob)?;
        *cell.borrow_mut() = Some(url.clone());
        Ok(url)
    })?;
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    Worker::new_with_options(&url, &options)
}
