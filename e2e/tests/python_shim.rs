//! The page's socket shim (`frontend/src/python/socket_shim.py`) under the
//! machine's CPython, with the page stood in for: what a course's program
//! sees from `bind`/`listen`/`accept`, `sendto`/`recvfrom`,
//! `gethostbyname`/`getaddrinfo`, and the exceptions it catches; and the
//! page's `requests` module (`requests_shim.py`), compared with the real
//! package where the learn venv has it. No browser:
//! `frontend/src/python/shim_test.py` and `requests_test.py` hold the cases.

use std::path::Path;
use std::process::Command;

/// Runs one of the Python test files beside the shim.
fn run_python_tests(file: &str) {
    let python = std::env::var_os("ROUNDTRIP_LEARN_PYTHON").unwrap_or_else(|| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../frontend/src/python")
        .join(file);
    let output = Command::new(&python)
        // No __pycache__ left in the source tree.
        .arg("-B")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("{python:?} did not start: {e}"));
    assert!(
        output.status.success(),
        "{file} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_socket_shim_gives_a_program_what_cpython_would() {
    run_python_tests("shim_test.py");
}

#[test]
fn the_requests_module_behaves_as_the_real_package_does() {
    run_python_tests("requests_test.py");
}
