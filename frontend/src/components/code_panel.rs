//! The Code tab: a Python program the learner edits and runs in the page,
//! its socket calls carried out through the relay (see `crate::python`),
//! its output in a console below.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use roundtrip_shared::protocol::{ClientMsg, OpId, ServerMsg};
use web_sys::{HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

use crate::hooks::MessageTap;
use crate::python::{Program, ProgramEvent};

/// The most output the console keeps: a program printing in a loop cannot
/// make the page grow without bound.
const MAX_OUTPUT: usize = 64 * 1024;

/// Programs to start from, in the style of a first course.
pub const EXAMPLES: [(&str, &str, &str); 3] = [
    (
        "echo_client.py",
        "TCP echo client",
        r#"import socket

HOST = "echo.lab.test"  # the relay's built-in echo service
PORT = 7

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
    sock.settimeout(5)
    sock.connect((HOST, PORT))
    print("connected from", sock.getsockname(), "to", sock.getpeername())
    sock.sendall("Hello, network!\n".encode("utf-8"))
    reply = sock.recv(1024)
    print("received:", reply.decode("utf-8").strip())
print("closed")
"#,
    ),
    (
        "refused.py",
        "Connection refused",
        r#"import socket

# Nothing listens on port 1 of this machine: the connection is refused.
try:
    sock = socket.create_connection(("127.0.0.1", 1), timeout=5)
except ConnectionRefusedError as error:
    print("refused:", error)
"#,
    ),
    (
        "recv_timeout.py",
        "recv with a timeout",
        r#"import socket

# The echo only answers what it is sent: recv() waits, and the timeout ends
# the wait.
with socket.create_connection(("echo.lab.test", 7), timeout=2) as sock:
    try:
        data = sock.recv(1024)
    except TimeoutError:
        print("nothing arrived within 2 seconds")
"#,
    ),
];

#[derive(Properties, PartialEq, Debug)]
pub struct Props {
    pub next_op: OpId,
    pub can_run: bool,
    pub on_request: Callback<ClientMsg>,
    pub tap: MessageTap,
}

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Idle,
    Loading,
    Running,
    Exited(i32),
    Stopped,
    Failed(String),
}

#[function_component(CodePanel)]
pub fn code_panel(props: &Props) -> Html {
    let example = use_state(|| 0_usize);
    let code = use_state(|| EXAMPLES[0].2.to_owned());
    let output = use_state(String::new);
    let status = use_state(|| Status::Idle);
    // The panel owns the running program; the relay's tap holds a weak
    // reference, so a program that ended is gone.
    let program: Rc<RefCell<Option<Rc<Program>>>> = use_mut_ref(|| None);
    let page_next_op: Rc<Cell<OpId>> = (*use_memo((), |_| Rc::new(Cell::new(0)))).clone();
    page_next_op.set(props.next_op);

    // Output arrives in pieces between renders: keep the running text in a
    // cell and publish a copy, so no piece is lost to a stale state.
    let console: Rc<RefCell<String>> = use_mut_ref(String::new);

    let run = {
        let (code, program, status, output, console) = (
            code.clone(),
            program.clone(),
            status.clone(),
            output.clone(),
            console.clone(),
        );
        let (tap, to_relay, page_next_op) = (
            props.tap.clone(),
            props.on_request.clone(),
            page_next_op.clone(),
        );
        let filename = EXAMPLES[*example].0;
        Callback::from(move |()| {
            // A new run replaces the old one (its sockets close).
            program.borrow_mut().take();
            console.borrow_mut().clear();
            output.set(String::new());
            status.set(Status::Loading);
            let on_event = {
                let (status, output, console, tap) =
                    (status.clone(), output.clone(), console.clone(), tap.clone());
                Callback::from(move |event| match event {
                    ProgramEvent::Started => status.set(Status::Running),
                    ProgramEvent::Output { text, .. } => {
                        append(&mut console.borrow_mut(), &text);
                        output.set(console.borrow().clone());
                    }
                    ProgramEvent::Exited {
                        status: code,
                        error,
                    } => {
                        if let Some(error) = error {
                            append(&mut console.borrow_mut(), &format!("{error}\n"));
                            output.set(console.borrow().clone());
                        }
                        tap.set(None);
                        status.set(Status::Exited(code));
                    }
                })
            };
            match Program::start(
                &code,
                filename,
                page_next_op.clone(),
                to_relay.clone(),
                on_event,
            ) {
                Ok(started) => {
                    let started = Rc::new(started);
                    let listener = Rc::downgrade(&started);
                    tap.set(Some(Callback::from(move |msg: ServerMsg| {
                        if let Some(program) = listener.upgrade() {
                            program.relay(&msg);
                        }
                    })));
                    *program.borrow_mut() = Some(started);
                }
                Err(error) => status.set(Status::Failed(error)),
            }
        })
    };
    let stop = {
        let (program, status, tap) = (program.clone(), status.clone(), props.tap.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(program) = program.borrow_mut().take() {
                program.stop();
            }
            tap.set(None);
            status.set(Status::Stopped);
        })
    };
    let running = matches!(*status, Status::Loading | Status::Running);
    let on_input = {
        let code = code.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            code.set(area.value());
        })
    };
    let on_keydown = {
        let (code, run) = (code.clone(), run.clone());
        let can_run = props.can_run;
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                if can_run {
                    run.emit(());
                }
            } else if e.key() == "Tab" && !e.shift_key() {
                // Tab indents, as in an editor; Shift+Tab still leaves.
                e.prevent_default();
                let area: HtmlTextAreaElement = e.target_unchecked_into();
                let start = area.selection_start().ok().flatten().unwrap_or(0) as usize;
                let value = area.value();
                let at = value
                    .char_indices()
                    .nth(start)
                    .map_or(value.len(), |(i, _)| i);
                let next = format!("{}    {}", &value[..at], &value[at..]);
                area.set_value(&next);
                let caret = (start + 4) as u32;
                let _ = area.set_selection_range(caret, caret);
                code.set(next);
            }
        })
    };
    let on_example = {
        let (example, code) = (example.clone(), code.clone());
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some((i, (_, _, text))) = select
                .value()
                .parse::<usize>()
                .ok()
                .and_then(|i| Some((i, EXAMPLES.get(i)?)))
            {
                example.set(i);
                code.set((*text).to_owned());
            }
        })
    };
    let lines = code.lines().count().max(1) + 1;
    let gutter: String = (1..=lines).map(|n| format!("{n}\n")).collect();
    let status_line = match &*status {
        Status::Idle => "Ctrl+Enter runs the program".to_owned(),
        Status::Loading => "Starting Python… (the first time, about 13 MB)".to_owned(),
        Status::Running => "Running".to_owned(),
        Status::Exited(0) => "Finished (exit status 0)".to_owned(),
        Status::Exited(code) => format!("Ended with an exception (exit status {code})"),
        Status::Stopped => "Stopped; its sockets were closed".to_owned(),
        Status::Failed(why) => why.clone(),
    };
    html! {
        <section class="panel code-panel" aria-label="Python program">
            <div class="row">
                <label for="code-example">{"Example"}</label>
                <select id="code-example" onchange={on_example}>
                    { for EXAMPLES.iter().enumerate().map(|(i, (_, title, _))| html! {
                        <option value={i.to_string()} selected={i == *example}>{*title}</option>
                    }) }
                </select>
            </div>
            <div class="code-editor">
                <pre class="code-gutter" aria-hidden="true">{gutter}</pre>
                <textarea id="code-text" spellcheck="false" autocomplete="off"
                    aria-label={format!("Python program {}", EXAMPLES[*example].0)}
                    rows={lines.to_string()} value={(*code).clone()}
                    oninput={on_input} onkeydown={on_keydown} />
            </div>
            <div class="row">
                <button id="code-run" disabled={!props.can_run || running}
                    onclick={run.reform(|_: MouseEvent| ())}>{"Run"}</button>
                <button id="code-stop" disabled={!running} onclick={stop}>{"Stop"}</button>
                <span id="code-status" class="code-status" role="status">{status_line}</span>
            </div>
            <pre id="code-output" class="code-output" aria-label="Program output"
                aria-live="polite">{(*output).clone()}</pre>
        </section>
    }
}

/// Adds `text` to the console, keeping its last `MAX_OUTPUT` bytes.
fn append(console: &mut String, text: &str) {
    console.push_str(text);
    if console.len() > MAX_OUTPUT {
        let mut cut = console.len() - MAX_OUTPUT / 2;
        while !console.is_char_boundary(cut) {
            cut += 1;
        }
        console.replace_range(..cut, "… (earlier output trimmed)\n");
    }
}
