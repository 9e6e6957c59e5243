//! The Code tab: Python programs the learner edits and runs in the page,
//! their socket calls carried out through the relay (see `crate::python`),
//! each one's output in a console below. An example may open several
//! programs (a server and its client), one tab each, which run at once:
//! a client connecting to the port a server program chose reaches it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use roundtrip_shared::protocol::{ClientMsg, OpId, ServerMsg};
use roundtrip_shared::session::sources::ProgramCall;
use web_sys::{HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

use roundtrip_shared::program::highlight;
use roundtrip_shared::program::ports::Ports;
use roundtrip_shared::program::saved::{self, Save};

use crate::browser;
use crate::hooks::MessageTap;
use crate::python::{PageLink, Program, ProgramEvent};

/// The most output the console keeps: a program printing in a loop cannot
/// make the page grow without bound.
const MAX_OUTPUT: usize = 64 * 1024;

/// One example: the programs it opens, each in a tab of its own.
#[derive(Debug)]
pub struct Example {
    pub title: &'static str,
    /// File names and sources, in the order to run them.
    pub files: &'static [(&'static str, &'static str)],
}

/// Programs to start from, in the style of a first course.
pub const EXAMPLES: [Example; 9] = [
    Example {
        title: "TCP echo client",
        files: &[(
            "echo_client.py",
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
        )],
    },
    Example {
        title: "Connection refused",
        files: &[(
            "refused.py",
            r#"import socket

# Nothing listens on port 1 of this machine: the connection is refused.
try:
    sock = socket.create_connection(("127.0.0.1", 1), timeout=5)
except ConnectionRefusedError as error:
    print("refused:", error)
"#,
        )],
    },
    Example {
        title: "recv with a timeout",
        files: &[(
            "recv_timeout.py",
            r#"import socket

# The echo only answers what it is sent: recv() waits, and the timeout ends
# the wait.
with socket.create_connection(("echo.lab.test", 7), timeout=2) as sock:
    try:
        data = sock.recv(1024)
    except TimeoutError:
        print("nothing arrived within 2 seconds")
"#,
        )],
    },
    Example {
        title: "TCP echo server + client",
        files: &[
            (
                "server.py",
                r#"import socket

# Run this first, then client.py in the next tab.
HOST = "127.0.0.1"  # this machine only
PORT = 8080         # the port clients connect to

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen()
    print("listening on", server.getsockname())
    while True:
        conn, addr = server.accept()  # waits for a client
        with conn:
            print("connection from", addr)
            while True:
                data = conn.recv(1024)
                if not data:  # the client closed its side
                    break
                conn.sendall(data)
        print("closed", addr)
"#,
            ),
            (
                "client.py",
                r#"import socket

# Run server.py first: it listens on port 8080 of this machine.
HOST = "127.0.0.1"
PORT = 8080

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
    sock.connect((HOST, PORT))
    sock.sendall(b"Hello, server!")
    data = sock.recv(1024)
print("received:", data.decode())
"#,
            ),
        ],
    },
    Example {
        title: "UDP echo",
        files: &[(
            "udp_echo.py",
            r#"import socket

HOST = "echo.lab.test"  # the relay's built-in echo service
PORT = 7

# UDP: no connection, each sendto() is one datagram.
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
    sock.settimeout(2)
    sock.sendto(b"Hello, UDP!", (HOST, PORT))
    try:
        data, addr = sock.recvfrom(1024)
        print("received:", data.decode())
    except TimeoutError:
        # A lost datagram is not sent again: the program must decide.
        print("no reply within 2 seconds")
"#,
        )],
    },
    Example {
        title: "Look up a name (DNS)",
        files: &[(
            "lookup.py",
            r#"import socket

# The relay asks its DNS (the lab's names end in .lab.test).
for name in ["echo.lab.test", "nosuch.lab.test"]:
    try:
        print(name, "is", socket.gethostbyname(name))
    except socket.gaierror as error:
        print(name, "does not resolve:", error)
"#,
        )],
    },
    Example {
        title: "HTTP with requests",
        files: &[(
            "http_get.py",
            r#"import requests

URL = "http://www.lab.test"  # the relay's HTTP lab

response = requests.get(URL + "/json", timeout=5)
print(response.status_code, response.reason)
print("content type:", response.headers["Content-Type"])
print("title:", response.json()["slideshow"]["title"])

# /delay/3 answers after 3 seconds: a 1-second timeout gives up first.
try:
    requests.get(URL + "/delay/3", timeout=1)
except requests.exceptions.Timeout as error:
    print("gave up:", type(error).__name__)

# raise_for_status() turns a 4xx or 5xx answer into an exception.
response = requests.get(URL + "/status/404", timeout=5)
try:
    response.raise_for_status()
except requests.exceptions.HTTPError as error:
    print("HTTP error:", error)
"#,
        )],
    },
    Example {
        title: "Threads: a server for many clients",
        files: &[
            (
                "threaded_server.py",
                r#"import socket
import threading

# One thread per client: while one client is silent, the others are served.
HOST = "127.0.0.1"
PORT = 8080


def handle(conn, addr):
    with conn:
        print("serving", addr)
        while data := conn.recv(1024):  # b"": the client closed its side
            conn.sendall(data.upper())
    print("done with", addr)


with socket.create_server((HOST, PORT)) as server:
    print("listening on", server.getsockname())
    while True:
        conn, addr = server.accept()
        threading.Thread(target=handle, args=(conn, addr), daemon=True).start()
"#,
            ),
            (
                "three_clients.py",
                r#"import socket
import threading
import time

# Run threaded_server.py first. Three clients at once; client 1 connects
# first and then keeps the server waiting for 2 seconds.
HOST = "127.0.0.1"
PORT = 8080
start = time.perf_counter()


def client(n, pause):
    with socket.create_connection((HOST, PORT), timeout=10) as sock:
        time.sleep(pause)
        sock.sendall(f"hello from client {n}".encode("utf-8"))
        reply = sock.recv(1024).decode("utf-8")
        print(f"client {n} got {reply!r} after {time.perf_counter() - start:.1f} s")


threads = [threading.Thread(target=client, args=(1, 2.0))]
threads += [threading.Thread(target=client, args=(n, 0.2)) for n in (2, 3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"#,
            ),
        ],
    },
    Example {
        title: "asyncio: one event loop, many clients",
        files: &[
            (
                "async_server.py",
                r#"import asyncio

# One event loop serves every client: each await lets the others run.
HOST = "127.0.0.1"
PORT = 8080


async def handle(reader, writer):
    peer = writer.get_extra_info("peername")
    print("reading from", peer)
    data = await reader.read(1024)
    await asyncio.sleep(1)  # a slow answer keeps no one else waiting
    writer.write(data.upper())
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    print("answered", peer)


async def main():
    server = await asyncio.start_server(handle, HOST, PORT)
    print("listening on", server.sockets[0].getsockname())
    async with server:
        await server.serve_forever()


asyncio.run(main())
"#,
            ),
            (
                "ten_clients.py",
                r#"import asyncio
import time

# Run async_server.py first. Ten clients at once on one event loop: the
# server takes 1 s per answer, yet all ten are answered in about 1 s.
HOST = "127.0.0.1"
PORT = 8080


async def ask(n):
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(f"hello from client {n}".encode("utf-8"))
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    await writer.wait_closed()
    return answer.decode("utf-8")


async def main():
    start = time.perf_counter()
    answers = await asyncio.gather(*(ask(n) for n in range(1, 11)))
    for answer in answers:
        print(answer)
    print(f"{len(answers)} answers in {time.perf_counter() - start:.1f} s")


asyncio.run(main())
"#,
            ),
        ],
    },
];

#[derive(Properties, PartialEq, Debug)]
pub struct Props {
    pub next_op: OpId,
    pub can_run: bool,
    pub on_request: Callback<ClientMsg>,
    /// Which line of a program made the requests that follow.
    pub on_program_call: Callback<ProgramCall>,
    pub tap: MessageTap,
    /// Programs a link opened the page with (the code beside a lesson):
    /// shown first, as a choice of their own above the examples.
    #[prop_or_default]
    pub preset: Option<Rc<Vec<(String, String)>>>,
}

/// The example choice that stands for the programs a link brought.
const FROM_LINK: usize = usize::MAX;

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Idle,
    Loading,
    Running,
    Exited(i32),
    Stopped,
    Failed(String),
}

impl Status {
    fn running(&self) -> bool {
        matches!(self, Status::Loading | Status::Running)
    }
}

/// One tab's program as it runs: the panel holds these in a cell, as the
/// worker's events arrive between renders.
#[derive(Default)]
struct Run {
    program: Option<Rc<Program>>,
    console: String,
    status: Option<Status>,
}

/// The example's programs as the learner left them in this browser, or as
/// it ships them.
fn files_of(example: usize) -> Vec<(String, String)> {
    let shipped = EXAMPLES[example].files;
    browser::preference(&storage_key(example))
        .and_then(|stored| saved::restore(&stored, shipped))
        .unwrap_or_else(|| {
            shipped
                .iter()
                .map(|(name, code)| ((*name).to_owned(), (*code).to_owned()))
                .collect()
        })
}

/// Where the browser keeps the learner's edits to an example.
fn storage_key(example: usize) -> String {
    format!("roundtrip.python.{}", EXAMPLES[example].title)
}

/// Keeps `files` (the example's programs, edited) in the browser; whether
/// they were too long to keep.
fn keep(example: usize, files: &[(String, String)]) -> bool {
    // A link's programs are the link's: not kept.
    let Some(shipped) = EXAMPLES.get(example) else {
        return true;
    };
    match saved::save(files, shipped.files) {
        Save::Forget => {
            browser::forget(&storage_key(example));
            true
        }
        Save::Keep(text) => {
            browser::remember(&storage_key(example), &text);
            true
        }
        Save::TooLong => false,
    }
}

/// The source in coloured pieces, for the layer under the editor.
fn highlighted(code: &str) -> Html {
    // A last newline would not show in the layer; the editor shows a line.
    html! {
        { for highlight::python(code).into_iter().map(|piece| match piece.kind.class() {
            Some(class) => html! { <span {class}>{piece.text}</span> },
            None => html! { {piece.text} },
        }) }
    }
}

#[function_component(CodePanel)]
pub fn code_panel(props: &Props) -> Html {
    let example = {
        let from_link = props.preset.is_some();
        use_state(move || if from_link { FROM_LINK } else { 0 })
    };
    let files = {
        let preset = props.preset.clone();
        use_state(move || match preset {
            Some(files) => (*files).clone(),
            None => files_of(0),
        })
    };
    let selected = use_state(|| 0_usize);
    // Every tab's run; the relay's messages go to each running program
    // (each takes only its own operations).
    let runs: Rc<RefCell<Vec<Run>>> = use_mut_ref(Vec::new);
    let redraw = use_force_update();
    let page_next_op: Rc<Cell<OpId>> = (*use_memo((), |_| Rc::new(Cell::new(0)))).clone();
    page_next_op.set(props.next_op);
    let last_op: Rc<Cell<OpId>> = (*use_memo((), |_| Rc::new(Cell::new(0)))).clone();
    let ports: Rc<RefCell<Ports>> =
        (*use_memo((), |_| Rc::new(RefCell::new(Ports::default())))).clone();
    {
        let (tap, runs) = (props.tap.clone(), runs.clone());
        use_effect_with((), move |_| {
            let listener = Rc::downgrade(&runs);
            tap.set(Some(Callback::from(move |msg: ServerMsg| {
                let Some(runs) = listener.upgrade() else {
                    return;
                };
                // Taken out first: a program answering may print, which
                // changes the runs.
                let programs: Vec<Rc<Program>> = runs
                    .borrow()
                    .iter()
                    .filter_map(|r| r.program.clone())
                    .collect();
                for program in programs {
                    program.relay(&msg);
                }
            })));
            move || tap.set(None)
        });
    }

    let current = (*selected).min(files.len().saturating_sub(1));
    let status_of = |i: usize| {
        runs.borrow()
            .get(i)
            .and_then(|r| r.status.clone())
            .unwrap_or(Status::Idle)
    };
    let run = {
        let (files, runs, redraw) = (files.clone(), runs.clone(), redraw.clone());
        let page = PageLink {
            next_op: page_next_op.clone(),
            last_op: last_op.clone(),
            ports: ports.clone(),
            to_relay: props.on_request.clone(),
            on_call: props.on_program_call.clone(),
        };
        Callback::from(move |i: usize| {
            let Some((filename, code)) = files.get(i).cloned() else {
                return;
            };
            // A new run replaces the tab's last one (its sockets close).
            let old = {
                let mut runs = runs.borrow_mut();
                if runs.len() <= i {
                    runs.resize_with(i + 1, Run::default);
                }
                let run = &mut runs[i];
                run.console.clear();
                run.status = Some(Status::Loading);
                run.program.take()
            };
            drop(old);
            let on_event = {
                let (runs, redraw) = (Rc::downgrade(&runs), redraw.clone());
                Callback::from(move |event| {
                    let Some(runs) = runs.upgrade() else {
                        return;
                    };
                    if let Some(run) = runs.borrow_mut().get_mut(i) {
                        match event {
                            ProgramEvent::Started => run.status = Some(Status::Running),
                            ProgramEvent::Output { text, .. } => append(&mut run.console, &text),
                            ProgramEvent::Note(text) => {
                                append(&mut run.console, &format!("# {text}\n"))
                            }
                            ProgramEvent::Exited {
                                status: code,
                                error,
                            } => {
                                if let Some(error) = error {
                                    append(&mut run.console, &format!("{error}\n"));
                                }
                                run.status = Some(Status::Exited(code));
                            }
                        }
                    }
                    redraw.force_update();
                })
            };
            let started = Program::start(&code, &filename, page.clone(), on_event);
            if let Some(run) = runs.borrow_mut().get_mut(i) {
                match started {
                    Ok(program) => run.program = Some(Rc::new(program)),
                    Err(error) => run.status = Some(Status::Failed(error)),
                }
            }
            redraw.force_update();
        })
    };
    let stop = {
        let (runs, redraw) = (runs.clone(), redraw.clone());
        Callback::from(move |i: usize| {
            let program = runs.borrow_mut().get_mut(i).and_then(|run| {
                run.status = Some(Status::Stopped);
                run.program.take()
            });
            if let Some(program) = program {
                program.stop();
            }
            redraw.force_update();
        })
    };
    let running = status_of(current).running();
    // Every edit is kept in the browser as it is made.
    let too_long = use_state(|| false);
    let edit = {
        let (files, example, too_long) = (files.clone(), *example, too_long.clone());
        Callback::from(move |text: String| {
            let mut next = (*files).clone();
            if let Some(file) = next.get_mut(current) {
                file.1 = text;
            }
            too_long.set(!keep(example, &next));
            files.set(next);
        })
    };
    let on_input = {
        let edit = edit.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            edit.emit(area.value());
        })
    };
    // The coloured layer under the editor scrolls with it.
    let layer = use_node_ref();
    let on_scroll = {
        let layer = layer.clone();
        Callback::from(move |e: Event| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            if let Some(layer) = layer.cast::<web_sys::Element>() {
                layer.set_scroll_left(area.scroll_left());
                layer.set_scroll_top(area.scroll_top());
            }
        })
    };
    let restore = {
        let (files, example, too_long) = (files.clone(), *example, too_long.clone());
        Callback::from(move |_: MouseEvent| {
            browser::forget(&storage_key(example));
            too_long.set(false);
            files.set(files_of(example));
        })
    };
    let edited = EXAMPLES
        .get(*example)
        .is_some_and(|shipped| saved::is_edited(&files, shipped.files));
    let on_keydown = {
        let (edit, run) = (edit.clone(), run.clone());
        let can_run = props.can_run && !running;
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                if can_run {
                    run.emit(current);
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
                let text = format!("{}    {}", &value[..at], &value[at..]);
                area.set_value(&text);
                let caret = (start + 4) as u32;
                let _ = area.set_selection_range(caret, caret);
                edit.emit(text);
            }
        })
    };
    let on_example = {
        let (example, files, selected, runs, too_long) = (
            example.clone(),
            files.clone(),
            selected.clone(),
            runs.clone(),
            too_long.clone(),
        );
        let preset = props.preset.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let value = select.value();
            let chosen = match (value.parse::<usize>(), &preset) {
                (Ok(i), _) if i < EXAMPLES.len() => Some((i, files_of(i))),
                (Err(_), Some(linked)) if value == "link" => Some((FROM_LINK, (**linked).clone())),
                _ => None,
            };
            if let Some((i, programs)) = chosen {
                // Another example: the programs of the last one stop.
                let old: Vec<Run> = std::mem::take(&mut *runs.borrow_mut());
                drop(old);
                example.set(i);
                files.set(programs);
                too_long.set(false);
                selected.set(0);
            }
        })
    };
    let code = files.get(current).map(|f| f.1.clone()).unwrap_or_default();
    let filename = files.get(current).map(|f| f.0.clone()).unwrap_or_default();
    let lines = code.lines().count().max(1) + 1;
    let gutter: String = (1..=lines).map(|n| format!("{n}\n")).collect();
    let status = status_of(current);
    let status_line = match &status {
        Status::Idle if files.len() > 1 && current > 0 => {
            format!("Run {} first, then this one", files[0].0)
        }
        Status::Idle => "Ctrl+Enter runs the program".to_owned(),
        Status::Loading => "Starting Python… (the first time, about 13 MB)".to_owned(),
        Status::Running => "Running".to_owned(),
        Status::Exited(0) => "Finished (exit status 0)".to_owned(),
        Status::Exited(code) => format!("Ended with an exception (exit status {code})"),
        Status::Stopped => "Stopped; its sockets were closed".to_owned(),
        Status::Failed(why) => why.clone(),
    };
    let output = runs
        .borrow()
        .get(current)
        .map(|r| r.console.clone())
        .unwrap_or_default();
    html! {
        <section class="panel code-panel" aria-label="Python program">
            <div class="row">
                <label for="code-example">{"Example"}</label>
                <select id="code-example" onchange={on_example}>
                    if props.preset.is_some() {
                        <option value="link" selected={*example == FROM_LINK}>{"From the link"}</option>
                    }
                    { for EXAMPLES.iter().enumerate().map(|(i, example_at)| html! {
                        <option value={i.to_string()} selected={i == *example}>{example_at.title}</option>
                    }) }
                </select>
            </div>
            if files.len() > 1 {
                <div class="code-files" role="group" aria-label="Programs">
                    { for files.iter().enumerate().map(|(i, (name, _))| {
                        let onclick = {
                            let selected = selected.clone();
                            Callback::from(move |_: MouseEvent| selected.set(i))
                        };
                        let state = match status_of(i) {
                            Status::Loading | Status::Running => " (running)",
                            _ => "",
                        };
                        html! {
                            <button type="button" id={format!("code-file-{i}")} class="code-file"
                                aria-pressed={(i == current).to_string()} {onclick}>
                                {format!("{}. {name}{state}", i + 1)}
                            </button>
                        }
                    }) }
                </div>
            }
            <div class="code-editor">
                <pre class="code-gutter" aria-hidden="true">{gutter}</pre>
                <div class="code-area">
                    <pre class="code-highlight" aria-hidden="true" ref={layer}>{highlighted(&code)}</pre>
                    <textarea id="code-text" spellcheck="false" autocomplete="off"
                        aria-label={format!("Python program {filename}")}
                        rows={lines.to_string()} value={code}
                        oninput={on_input} onkeydown={on_keydown} onscroll={on_scroll} />
                </div>
            </div>
            if edited {
                <p class="code-kept">
                    if *too_long {
                        {"Too long to keep in this browser: your edits last until you close the page. "}
                    } else {
                        {"Your edits are kept in this browser. "}
                    }
                    <button type="button" id="code-restore" onclick={restore}>
                        {"Restore the example"}
                    </button>
                </p>
            }
            <div class="row">
                <button id="code-run" disabled={!props.can_run || running}
                    onclick={run.reform(move |_: MouseEvent| current)}>{"Run"}</button>
                <button id="code-stop" disabled={!running}
                    onclick={stop.reform(move |_: MouseEvent| current)}>{"Stop"}</button>
                <span id="code-status" class="code-status" role="status">{status_line}</span>
            </div>
            <pre id="code-output" class="code-output" aria-label={format!("Output of {filename}")}
                aria-live="polite">{output}</pre>
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
