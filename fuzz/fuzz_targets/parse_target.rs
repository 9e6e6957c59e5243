//! Any text as a target: the parser must return a target or a typed error,
//! never panic; an address it accepts is judged by the policy without panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use roundtrip_relay::lab::Lab;
use roundtrip_relay::policy::ip::{canonical_ip, forbidden_reason};
use roundtrip_relay::target::{Target, parse};

/// The lab services, started once on loopback: the parser looks names up in
/// them.
fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let lab = runtime.block_on(Lab::start()).expect("the lab starts");
        // The services' tasks stop with the runtime; the parser only needs
        // their names and addresses.
        std::mem::forget(runtime);
        lab
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Target::Literal(addr)) = parse(text, lab()) {
        let _ = forbidden_reason(addr.ip());
    }
    if let Some(ip) = canonical_ip(text) {
        let _ = forbidden_reason(ip);
    }
});
