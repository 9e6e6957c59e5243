//! A recording from a stranger (Open trace…, a `#trace=` link): read it as
//! the page does, then draw every view and export of it. Neither may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roundtrip_shared::recording::Recording;
use roundtrip_shared::testing::render_everything;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(recording) = Recording::from_json(text) {
        render_everything(&recording);
    }
});
