//! The page's relay socket: how a batch of frames becomes notices.

use roundtrip_frontend::relay_socket::Notice;
use roundtrip_shared::protocol::ServerMsg;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn messages_read_together_keep_their_order_and_unreadable_frames() {
    use gloo_net::websocket::Message;
    use roundtrip_frontend::relay_socket::notices;
    let data = |t_us: u64| {
        Message::Text(format!(
            r#"{{"type":"data","op":1,"t_us":{t_us},"data":{{"text":"hi"}}}}"#
        ))
    };
    let out = notices(vec![
        data(1),
        data(2),
        Message::Text("{not json".into()),
        data(3),
    ]);
    assert_eq!(out.len(), 3, "{out:?}");
    assert!(matches!(&out[0], Notice::Messages(run) if run.len() == 2));
    assert!(matches!(&out[1], Notice::Unreadable(_)));
    assert!(matches!(
        &out[2],
        Notice::Message(ServerMsg::Data { t_us: 3, .. })
    ));
}
