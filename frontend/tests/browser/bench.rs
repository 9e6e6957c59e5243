//! Benchmarks (not tests of speed: they assert nothing about time, they
//! print figures). Rendering: 10,000 steps in the sequence diagram, a fixed
//! series of pans and zooms, and for each frame: the work (input handling,
//! render, style and layout, measured synchronously) and the interval to
//! the next painted frame. Once with culling (what the page does) and once
//! with every row drawn, as the baseline, in the same run. Live updates: a
//! flood of messages taken in the batches the socket hands over, and one
//! message per update as the baseline.
//!
//! Ignored in the normal suite; `cargo xtask bench-diagram` runs it in
//! release mode with the output shown.

use std::rc::Rc;

use roundtrip_frontend::components::sequence_diagram::{Props, SequenceDiagram};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::Element;

use crate::sequence_diagram::long_trace;
use crate::{all, fresh_root, one, press};

const STEPS: usize = 10_000;

fn now() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

/// Resolves at the start of the next animation frame with its timestamp.
async fn next_frame() -> f64 {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let callback = Closure::once_into_js(move |t: f64| {
            let _ = resolve.call1(&wasm_bindgen::JsValue::NULL, &t.into());
        });
        web_sys::window()
            .unwrap()
            .request_animation_frame(callback.unchecked_ref())
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .unwrap()
        .as_f64()
        .unwrap()
}

fn log(line: &str) {
    web_sys::console::log_1(&line.into());
}

/// Median, 95th percentile and maximum, in ms.
fn summary(mut samples: Vec<f64>) -> String {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:7.2} ms   p95 {:7.2} ms   max {:7.2} ms   ({} frames)",
        at(0.5),
        at(0.95),
        at(1.0),
        samples.len()
    )
}

/// The series of inputs: scroll down, zoom in and out, jump back.
const KEYS: [&str; 12] = [
    "ArrowDown",
    "ArrowDown",
    "PageDown",
    "+",
    "ArrowDown",
    "+",
    "PageUp",
    "-",
    "-",
    "ArrowUp",
    "Home",
    "PageDown",
];

async fn run(cull: bool, frames: usize) {
    let root = fresh_root();
    let trace = Rc::new(long_trace(STEPS));
    let started = now();
    let handle = yew::Renderer::<SequenceDiagram>::with_root_and_props(
        root.clone(),
        Props {
            trace,
            cull,
            height: 560.0,
            recording: false,
            fit_window: false,
        },
    )
    .render();
    yew::scheduler::flush().await;
    let svg: Element = one(&root, "svg#sequence");
    let _ = svg.get_bounding_client_rect();
    let first = now() - started;
    next_frame().await;

    let window = one(&root, ".sequence-window");
    let (mut work, mut interval) = (Vec::new(), Vec::new());
    for i in 0..frames {
        let t0 = now();
        press(&window, KEYS[i % KEYS.len()]);
        yew::scheduler::flush().await;
        // Reading geometry forces style and layout now.
        let _ = one(&root, "svg#sequence").get_bounding_client_rect();
        work.push(now() - t0);
        let painted = next_frame().await;
        interval.push(painted - t0);
        next_frame().await;
    }
    let drawn = all(&root, "svg#sequence g.row").len() + all(&root, "svg#sequence g.more").len();
    log(&format!(
        "culling {:3}: first render {first:8.1} ms; {drawn} row elements in the last frame",
        if cull { "on" } else { "off" }
    ));
    log(&format!(
        "  work per pan/zoom (script+style+layout): {}",
        summary(work)
    ));
    log(&format!(
        "  input to next frame:                     {}",
        summary(interval)
    ));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with `cargo xtask bench-diagram`"]
async fn diagram_pan_and_zoom_with_10000_steps() {
    log(&format!("sequence diagram, {STEPS} steps, pan and zoom"));
    run(true, 120).await;
    run(false, 12).await;
}

/// A live flood: `n` echoed lines arriving while the page follows them.
/// Each update does what the page does for it: the reducer's step (the
/// state is cloned while the previous one is still held, as yew holds it)
/// and a rebuild of the diagram's timeline.
fn ingest(n: usize, batch: usize) -> f64 {
    use roundtrip_frontend::relay_socket::Notice;
    use roundtrip_frontend::state::{Action, State};
    use roundtrip_shared::payload::Payload;
    use roundtrip_shared::protocol::ServerMsg;

    let mut state = Rc::new(State::default());
    let next = |state: &Rc<State>, action: Action| {
        let mut copy = (**state).clone();
        copy.apply(now(), action);
        let copy = Rc::new(copy);
        let _ = roundtrip_shared::diagram::timeline(&copy.trace);
        copy
    };
    let messages: Vec<ServerMsg> = (0..n)
        .map(|i| ServerMsg::Data {
            op: 1,
            t_us: i as u64 * 50,
            data: Payload(format!("line {i}\n").into_bytes()),
        })
        .collect();
    let started = now();
    for chunk in messages.chunks(batch) {
        let action = match chunk {
            [one] => Action::Relay(Notice::Message(one.clone())),
            many => Action::Relay(Notice::Messages(many.to_vec())),
        };
        state = next(&state, action);
    }
    assert_eq!(state.trace.steps().len(), n);
    now() - started
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with `cargo xtask bench-diagram`"]
async fn live_flood_of_5000_messages() {
    const N: usize = 5_000;
    log(&format!(
        "live flood, {N} messages: state update and timeline per update"
    ));
    for batch in [64, 16] {
        let ms = ingest(N, batch);
        log(&format!(
            "  in batches of {batch:3} (what the socket hands over when they pile up): {ms:9.1} ms"
        ));
    }
    let ms = ingest(N, 1);
    log(&format!(
        "  one at a time (baseline):                                {ms:9.1} ms"
    ));
}
