//! Any bytes, as a text frame (when they are UTF-8) and as a binary frame,
//! through both decoders: each must return a message or a typed error, never
//! panic. A decoded client message must also survive encode → decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roundtrip_shared::frame::{Frame, decode_client, decode_server, encode_client};

fuzz_target!(|data: &[u8]| {
    let mut frames = vec![Frame::Binary(data.to_vec())];
    if let Ok(text) = std::str::from_utf8(data) {
        frames.push(Frame::Text(text.to_owned()));
    }
    for frame in &frames {
        if let Ok(msg) = decode_client(frame) {
            let again = decode_client(&encode_client(&msg)).expect("an encoded message decodes");
            assert_eq!(again, msg);
        }
        let _ = decode_server(frame);
    }
});
