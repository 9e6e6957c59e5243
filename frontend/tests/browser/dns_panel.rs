//! The DNS panel: the query it sends, and the answer drawn as dig prints it.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::dns_panel::{DnsPanel, Props};
use roundtrip_shared::protocol::{ClientMsg, Closer, DnsMode, DnsRecord, DnsType, EventKind};
use roundtrip_shared::trace::Trace;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::Callback;

use crate::{all, click, event, fire, fresh_root, one, text};

fn record(name: &str, rtype: &str, data: &str) -> DnsRecord {
    DnsRecord {
        name: name.into(),
        ttl: 300,
        class: "IN".into(),
        rtype: rtype.into(),
        data: data.into(),
    }
}

#[wasm_bindgen_test]
async fn sends_the_query_and_shows_the_answer_like_dig() {
    let root = fresh_root();
    // The relay's answer to op 7 is already in the trace, so the panel shows
    // it as soon as it knows that op 7 is its query.
    let mut trace = Trace::new();
    for kind in [
        EventKind::DnsQuerySent {
            server: "127.0.0.2:5353".into(),
            name: "lab.test.".into(),
            rtype: DnsType::Mx,
        },
        EventKind::DnsResponse {
            server: "127.0.0.4:5353".into(),
            rcode: "NOERROR".into(),
            answers: vec![record("lab.test.", "MX", "10 mail.lab.test.")],
            authority: vec![],
            additional: vec![],
            elapsed_us: 1_204,
        },
        EventKind::Closed { by: Closer::Relay },
    ] {
        trace.record_server(&event(7, 10, kind));
    }
    let sent = Rc::new(RefCell::new(Vec::<ClientMsg>::new()));
    let on_query = {
        let sent = sent.clone();
        Callback::from(move |msg| sent.borrow_mut().push(msg))
    };
    yew::Renderer::<DnsPanel>::with_root_and_props(
        root.clone(),
        Props {
            preset: Default::default(),
            next_op: 7,
            can_query: true,
            trace: Rc::new(trace),
            on_query,
        },
    )
    .render();
    yew::scheduler::flush().await;

    let types: Vec<String> = all(&root, "select#dns-type option")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        types,
        ["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "SRV", "PTR"]
    );
    assert_eq!(all(&root, "#dns-answers tbody tr").len(), 0);
    assert_eq!(text(&one(&root, "#dns-rcode")), "");

    let name: HtmlInputElement = one(&root, "input#dns-name").dyn_into().unwrap();
    name.set_value(" lab.test ");
    fire(&name, "input");
    let rtype: HtmlSelectElement = one(&root, "select#dns-type").dyn_into().unwrap();
    rtype.set_value("MX");
    fire(&rtype, "change");
    let mode: HtmlSelectElement = one(&root, "select#dns-mode").dyn_into().unwrap();
    mode.set_value("trace");
    fire(&mode, "change");
    yew::scheduler::flush().await;
    click(&one(&root, "button#dns-query"));
    yew::scheduler::flush().await;

    assert_eq!(
        *sent.borrow(),
        [ClientMsg::DnsQuery {
            op: 7,
            name: "lab.test".into(),
            rtype: DnsType::Mx,
            mode: DnsMode::Trace,
            server: None,
            timeout_ms: None,
        }]
    );
    let rows: Vec<Vec<String>> = all(&root, "#dns-answers tbody tr")
        .iter()
        .map(|row| all(row, "td").iter().map(text).collect())
        .collect();
    assert_eq!(
        rows,
        [["lab.test.", "300", "IN", "MX", "10 mail.lab.test."]]
    );
    assert_eq!(text(&one(&root, "#dns-rcode")), "NOERROR");
    assert_eq!(text(&one(&root, "#dns-elapsed")), "1.204 ms");
    assert_eq!(text(&one(&root, "#dns-server-used")), "127.0.0.4:5353");
    assert!(!one(&root, "button#dns-query").has_attribute("disabled"));
    root.remove();
}

#[wasm_bindgen_test]
fn a_dns_query_takes_an_op_id_and_leaves_the_tcp_controls_alone() {
    use roundtrip_frontend::relay_socket::Notice;
    use roundtrip_frontend::state::{Action, State};
    use roundtrip_shared::protocol::{PROTOCOL_VERSION, ServerMsg};

    let mut state = State::default();
    state.apply(0.0, Action::Relay(Notice::Opened));
    state.apply(
        0.0,
        Action::Relay(Notice::Message(ServerMsg::Welcome {
            version: PROTOCOL_VERSION,
            relay: "roundtrip 0.1.0".into(),
            services: vec![],
            limits: None,
        })),
    );
    let op = state.next_op;
    state.apply(
        0.0,
        Action::Requested(ClientMsg::DnsQuery {
            op,
            name: "echo.lab.test".into(),
            rtype: DnsType::A,
            mode: DnsMode::Stub,
            server: None,
            timeout_ms: None,
        }),
    );
    assert_eq!(state.next_op, op + 1);
    assert!(state.current.is_none());
    assert!(state.can_connect());
}
