//! The page's socket shim (`frontend/src/python/socket_shim.py`) under the
//! machine's CPython, with the page stood in for: what a course's program
//! sees from `bind`/`listen`/`accept`, `sendto`/`recvfrom`,
//! `gethostbyname`/`getaddrinfo`, and the exceptions it catches. No
//! browser: `frontend/src/python/shim_test.py` holds the cases.

use std::path::Path;
use std::process::Command;

#[test]
fn the_socket_shim_gives_a_program_what_cpython_would() {
    let python = std::env::var_os("ROUNDTRIP_LEARN_PYTHON").unwrap_or_else(|| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/src/python/shim_test.py");
    let output = Command::new(&python)
        // No __pycache__ left in the source tree.
        .arg("-B")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("{python:?} did not start: {e}"));
    assert!(
        output.status.success(),
        "the shim's tests failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
