//! The code beside each lesson, run for real against the relay's lab
//! services: what `shared::learn::codegen` writes for every "Do this" step
//! is run as a learner would run it — Python with `python3` (in a virtual
//! environment with `requests`), Rust compiled with `rustc`, `curl` and
//! `dig` as written — and must show what the page showed for that step:
//! the echoed text, the refusal, the FIN, the status code, the answer.
//!
//! Steps whose setup asks the lab for faults (drops, resets) are not run:
//! the lab injects those only on the page's own connections, which the
//! generated code says in a comment. The lost-datagram branch is run
//! against a UDP socket that never answers instead.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use roundtrip_shared::json_check::Fit;
use roundtrip_shared::learn::codegen::{self, Lang, Program, Role};
use roundtrip_shared::learn::{Check, LESSONS, Setup, Target, lessons};
use roundtrip_shared::protocol::DnsType;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const RUN_LIMIT: Duration = Duration::from_secs(60);

/// A scratch folder for the programs of one test.
fn scratch(name: &str) -> PathBuf {
    let dir = support::target_dir().join("learn-code").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch folder");
    dir
}

/// `ROUNDTRIP_LEARN_PYTHON` (set by `cargo xtask test`: a virtual
/// environment with `requests`), else one made here in the target folder.
async fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ROUNDTRIP_LEARN_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = support::target_dir().join("learn-venv");
    let python = venv.join("bin/python");
    if !python.is_file() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .await;
        assert!(made.is_ok_and(|s| s.success()), "python3 -m venv failed");
    }
    let has_requests = Command::new(&python)
        .args(["-c", "import requests"])
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !has_requests {
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "-q", "requests"])
            .status()
            .await;
        assert!(
            installed.is_ok_and(|s| s.success()),
            "pip could not install requests into {}",
            venv.display()
        );
    }
    python
}

async fn finish(mut command: Command, what: &str) -> Output {
    command.stdin(Stdio::null()).kill_on_drop(true);
    match tokio::time::timeout(RUN_LIMIT, command.output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => panic!("{what} did not start: {e}"),
        Err(_) => panic!("{what} did not finish within {} s", RUN_LIMIT.as_secs()),
    }
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Writes `program` into `dir` and returns the command that runs it
/// (compiling a Rust one first).
async fn runnable(program: &Program, dir: &Path, python: &Path) -> Command {
    if program.file == codegen::TOKIO_MAIN {
        return tokio_program(program).await;
    }
    let file = dir.join(program.file);
    std::fs::write(&file, &program.code).expect("write the program");
    let mut command = plain_runnable(program, dir, &file, python).await;
    // As a learner runs it: in its folder, beside the files it names
    // (`lab-ca.pem`).
    command.current_dir(dir);
    command
}

async fn plain_runnable(program: &Program, dir: &Path, file: &Path, python: &Path) -> Command {
    match program.lang {
        Lang::Python => {
            let mut command = Command::new(python);
            command.arg("-u").arg(file);
            command
        }
        Lang::Rust => {
            let binary = dir.join(program.file.trim_end_matches(".rs"));
            let mut rustc = Command::new("rustc");
            rustc
                .args(["--edition", "2021", "-o"])
                .arg(&binary)
                .arg(file);
            let built = finish(rustc, &format!("rustc {}", program.file)).await;
            let (out, err) = text(&built);
            assert!(
                built.status.success(),
                "{} does not compile:\n{out}{err}\n--- code ---\n{}",
                program.file,
                program.code
            );
            Command::new(binary)
        }
        Lang::Shell => {
            let mut command = Command::new("sh");
            command.arg("-c").arg(&program.code);
            command
        }
    }
}

/// A program that needs tokio, built as its "Run" says: a Cargo project
/// with tokio and the features it names, resolved offline from the
/// workspace's lockfile (its own target folder is kept between runs).
async fn tokio_program(program: &Program) -> Command {
    let project = support::target_dir().join("learn-code-tokio");
    std::fs::create_dir_all(project.join("src")).expect("create the project");
    let features = codegen::TOKIO_RUN
        .split("--features ")
        .nth(1)
        .and_then(|rest| rest.split([' ', ';']).next())
        .expect("the run line names tokio's features");
    let features: Vec<String> = features.split(',').map(|f| format!("{f:?}")).collect();
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"clients\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\ntokio = {{ version = \"1\", features = [{}] }}\n\n[workspace]\n",
            features.join(", ")
        ),
    )
    .expect("write Cargo.toml");
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::copy(workspace.join("Cargo.lock"), project.join("Cargo.lock"))
        .expect("copy the workspace's lockfile");
    std::fs::write(project.join("src/main.rs"), &program.code).expect("write src/main.rs");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(project.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", project.join("target"))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    // The first build compiles tokio: longer than a program may run.
    let built = tokio::time::timeout(Duration::from_secs(900), build.output())
        .await
        .expect("cargo build of the tokio program finished")
        .expect("cargo starts");
    let (out, err) = text(&built);
    assert!(
        built.status.success(),
        "{} does not build with tokio:\n{out}{err}\n--- code ---\n{}",
        program.file,
        program.code
    );
    Command::new(project.join("target/debug/clients"))
}

/// Runs a client program; returns (succeeded, stdout, stderr).
async fn run_client(program: &Program, dir: &Path, python: &Path) -> (bool, String, String) {
    let command = runnable(program, dir, python).await;
    let output = finish(command, program.file).await;
    let (out, err) = text(&output);
    (output.status.success(), out, err)
}

/// What the page showed for `check`, in the program's words: its output
/// must contain it (and exit as expected).
fn expected(check: &Check, message: &str, lang: Lang) -> (bool, String) {
    let echoed = (true, format!("received: {message}"));
    match check {
        Check::Echoed(_)
        | Check::EchoedText(..)
        | Check::InPieces(_)
        | Check::EchoedAfter(..)
        | Check::ClosedByPage(_)
        | Check::ResolvedThenConnected(_) => echoed,
        Check::Connected(_) | Check::TwoConnections(_) => (true, "connected from".to_owned()),
        Check::FinFromServer(_) => (true, "the server closed its side too".to_owned()),
        Check::DatagramEchoed(_) | Check::DatagramText(..) => echoed,
        Check::HttpStatus(_, _, status) => match lang {
            Lang::Shell => (true, format!("HTTP/1.1 {status}")),
            _ => (true, format!("{status} ")),
        },
        // requests raises ReadTimeout, which the program catches; curl
        // stops with its error 28.
        Check::HttpTimedOut(..) => match lang {
            Lang::Shell => (false, "(28)".to_owned()),
            _ => (true, "no answer within".to_owned()),
        },
        // The JSON client says what it found and ends with an error status
        // when it rejects the document; curl shows the head of each, all 200.
        Check::JsonFit(.., fit) => match (lang, fit) {
            (Lang::Shell, _) => (true, "HTTP/1.1 200".to_owned()),
            (_, Fit::Fits) => (true, "the document has the expected shape".to_owned()),
            (_, Fit::Missing) => (false, "'temp' is missing".to_owned()),
            (_, Fit::WrongType) => (false, "'temp' has the wrong type: str".to_owned()),
            (_, Fit::OtherShape) => (false, "expected a JSON object, got list".to_owned()),
            (_, Fit::NotJson) => (
                false,
                "the body is not JSON: Expecting value: line 1 column 1 (char 0)".to_owned(),
            ),
        },
        // The program stops at the declared length; curl with its error 63.
        Check::HttpTooLarge(..) => match lang {
            Lang::Shell => (false, "(63)".to_owned()),
            _ => (false, "too large: 1048576 bytes declared".to_owned()),
        },
        // dig prints each answer as `name TTL IN TYPE data`.
        Check::DnsAnswered(.., record) => (true, format!("IN\t{record}\t")),
        Check::HttpsAnswered(..) | Check::WireShows(..) | Check::WireHides(..) => match lang {
            Lang::Shell => (true, "HTTP/1.1 200".to_owned()),
            _ => (true, "200 ".to_owned()),
        },
        // requests raises SSLError, which the program catches; curl stops
        // with its error 60 (the peer's certificate was not accepted).
        Check::CertRefused(..) => match lang {
            Lang::Shell => (false, "(60)".to_owned()),
            _ => (true, "the certificate was refused".to_owned()),
        },
        Check::HttpResolvedFirst(..) => match lang {
            Lang::Shell => (true, "HTTP/1.1 200".to_owned()),
            _ => (true, "200 ".to_owned()),
        },
        // The retry loop prints the attempt that got through; curl prints
        // the last response it got.
        Check::RetriedToSuccess(..)
        | Check::HonouredRetryAfter(..)
        | Check::RetriedAfterTimeout(..) => match lang {
            Lang::Shell => (true, "HTTP/1.1 200".to_owned()),
            _ => (true, ": 200 OK".to_owned()),
        },
        Check::GaveUp(..) => match lang {
            Lang::Shell => (true, "HTTP/1.1 500".to_owned()),
            _ => (true, "gave up after".to_owned()),
        },
        Check::EveryPathAnswered(..) => match lang {
            Lang::Shell => (true, "HTTP/1.1 200".to_owned()),
            _ => (true, "UP   http".to_owned()),
        },
        // Every client of many at once printed its answer.
        Check::WaitedAtOnce(_, n) => (true, format!("client {n} received: ")),
        Check::AnsweredAfter(..) => (true, "received: ".to_owned()),
        Check::Refused(_) => match lang {
            Lang::Python => (false, "ConnectionRefusedError".to_owned()),
            _ => (false, "ConnectionRefused".to_owned()),
        },
        other => panic!("no program outcome for {other:?}"),
    }
}

/// Saves the relay's `/lab-ca.pem` into `dir`, as the HTTPS code asks a
/// learner to.
async fn save_lab_ca(relay: &support::Relay, dir: &Path) {
    let url = format!("{}/lab-ca.pem", relay.url.trim_end_matches('/'));
    let mut curl = Command::new("curl");
    curl.args(["-sS", "--fail", "-o"])
        .arg(dir.join("lab-ca.pem"))
        .arg(&url);
    let saved = finish(curl, "curl /lab-ca.pem").await;
    assert!(saved.status.success(), "{url}: {:?}", text(&saved));
}

fn has_faults(setup: &Setup) -> bool {
    setup.has_faults()
}

#[tokio::test]
async fn every_lesson_step_s_clients_do_what_the_page_showed() {
    let relay = support::Relay::start().await;
    let services = relay.lab_services().await;
    let python = python().await;
    let dir = scratch("clients");
    save_lab_ca(&relay, &dir).await;
    let mut ran = 0;
    for lesson in LESSONS {
        // The learner's own server is run by the next test, beside its client.
        let runnable = |s: &&roundtrip_shared::learn::Step| {
            !has_faults(&s.setup) && s.setup.target() != lessons::OWN_SERVER
        };
        for step in lesson.steps.iter().filter(runnable) {
            let message = step.setup.send();
            let programs = codegen::for_setup(&step.setup, &services, message, false, 0)
                .expect("the services are known");
            for program in programs.iter().filter(|p| p.role == Role::Client) {
                let (want_success, needle) = match (step.setup, step.check, program.lang) {
                    // The checker's shell loop goes on after curl's
                    // timeout (error 28) and ends well.
                    (Setup::Checks { .. }, Check::HttpTimedOut(..), Lang::Shell) => {
                        (true, "(28)".to_owned())
                    }
                    _ => expected(&step.check, message, program.lang),
                };
                let (ok, out, err) = run_client(program, &dir, &python).await;
                assert!(
                    ok == want_success && (out.contains(&needle) || err.contains(&needle)),
                    "{} step {:?}: {} should {} and print {needle:?}\n--- stdout ---\n{out}\
                     --- stderr ---\n{err}--- code ---\n{}",
                    lesson.slug,
                    step.button,
                    program.file,
                    if want_success { "succeed" } else { "fail" },
                    program.code
                );
                if let Setup::Checks { paths, .. } = step.setup {
                    // A line for every endpoint, UP or DOWN.
                    for path in paths {
                        assert!(
                            out.lines().any(|line| {
                                line.contains(&format!("{path}:"))
                                    && ["UP", "DOWN", "HTTP/"].iter().any(|w| line.starts_with(w))
                            }),
                            "{}: no line for {path} from {}:\n{out}{err}",
                            lesson.slug,
                            program.file
                        );
                    }
                }
                if matches!(step.check, Check::TwoConnections(_)) {
                    // A second run connects from another local port.
                    let (_, again, _) = run_client(program, &dir, &python).await;
                    let line = |s: &str| {
                        s.lines()
                            .find(|l| l.starts_with("connected from"))
                            .map(str::to_owned)
                    };
                    assert_ne!(line(&out), line(&again), "two runs, two local endpoints");
                }
                ran += 1;
            }
        }
    }
    assert!(ran >= 20, "only {ran} programs ran");
}

/// The JSON lesson's setups that are not steps, run as the page shows
/// them: the mistake box's wrong type is rejected by name, and the
/// mebibyte without a limit of the program's own arrives whole and fits
/// the try's keys.
#[tokio::test]
async fn the_json_client_rejects_a_wrong_type_and_reads_a_large_body_without_a_limit() {
    let relay = support::Relay::start().await;
    let services = relay.lab_services().await;
    let python = python().await;
    let dir = scratch("json");
    let lesson = LESSONS
        .iter()
        .find(|l| l.slug == "json-responses")
        .expect("the JSON lesson");
    let wrong = lesson.mistake.and_then(|m| m.show).expect("shown live");
    for (setup, want_success, needle) in [
        (wrong, false, "rejected: 'temp' has the wrong type: str"),
        (
            lesson.tries[1].setup,
            true,
            "the document has the expected shape: {'city': 'Lisbon', 'readings': [18.5",
        ),
    ] {
        let programs = codegen::for_setup(&setup, &services, "", false, 0).expect("services");
        let (ok, out, err) = run_client(&programs[0], &dir, &python).await;
        assert!(
            ok == want_success && (out.contains(needle) || err.contains(needle)),
            "{setup:?}: want {needle:?}\n--- stdout ---\n{out}--- stderr ---\n{err}"
        );
    }
}

#[tokio::test]
async fn a_udp_client_that_gets_no_answer_reports_the_loss_after_its_timeout() {
    // A UDP socket that receives and never answers: a lost reply.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
    let target = silent.local_addr().unwrap().to_string();
    let leaked: &'static str = Box::leak(target.into_boxed_str());
    let setup = Setup::Udp {
        target: Target::Literal(leaked),
        send: "anyone there?",
        recv_timeout_ms: 500,
        faults: None,
    };
    let python = python().await;
    let dir = scratch("udp-lost");
    for program in codegen::for_setup(&setup, &[], "anyone there?", false, 0).unwrap() {
        let (ok, out, err) = run_client(&program, &dir, &python).await;
        assert!(
            ok && out.contains("a datagram was lost"),
            "{}:\n{out}{err}",
            program.file
        );
    }
    let mut buf = [0u8; 64];
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (n, _) = silent.recv_from(&mut buf).expect("the datagrams arrived");
    assert_eq!(&buf[..n], b"anyone there?");
}

/// Starts a server program and waits for its first line (it listens).
async fn start_server(program: &Program, dir: &Path, python: &Path) -> tokio::process::Child {
    let mut command = runnable(program, dir, python).await;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{} did not start: {e}", program.file));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(RUN_LIMIT, lines.next_line()).await;
    match first {
        Ok(Ok(Some(line))) if line.contains("listening on") || line.contains("waiting for") => {}
        other => panic!("{} did not say it listens: {other:?}", program.file),
    }
    // Keep draining its output so a chatty server never blocks.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

#[tokio::test]
async fn the_servers_beside_the_lessons_answer_their_clients() {
    let python = python().await;
    let dir = scratch("servers");
    let mut pairs = 0;
    for lesson in LESSONS.iter().filter(|l| l.server_code) {
        for step in lesson.steps.iter().filter(|s| !has_faults(&s.setup)) {
            let port = support::free_port();
            if matches!(step.setup, Setup::Listen | Setup::Serve { .. }) {
                // A pair that meets on the server's port: each server with
                // the client in its own language.
                let message = "to my own server";
                let programs = codegen::for_setup(&step.setup, &[], message, true, port).unwrap();
                for lang in [Lang::Python, Lang::Rust] {
                    let of = |role| {
                        programs
                            .iter()
                            .find(|p| p.lang == lang && p.role == role)
                            .expect("a server and a client in each language")
                    };
                    let mut child = start_server(of(Role::Server), &dir, &python).await;
                    let client = of(Role::Client);
                    let (ok, out, err) = run_client(client, &dir, &python).await;
                    let _ = child.kill().await;
                    assert!(
                        ok && out.contains(&format!("received: {}", message.to_uppercase())),
                        "{}: {} against its server:\n{out}{err}",
                        lesson.slug,
                        client.file,
                    );
                    pairs += 1;
                }
                continue;
            }
            let programs = codegen::for_setup(&step.setup, &[], "", true, port);
            // The client to the learner's own server: same setup, its port.
            let target: &'static str = Box::leak(format!("127.0.0.1:{port}").into_boxed_str());
            let own = match step.setup {
                Setup::Tcp { send, then, .. } => Setup::Tcp {
                    target: Target::Literal(target),
                    send,
                    then,
                    faults: None,
                },
                Setup::Udp {
                    send,
                    recv_timeout_ms,
                    ..
                } => Setup::Udp {
                    target: Target::Literal(target),
                    send,
                    recv_timeout_ms,
                    faults: None,
                },
                Setup::Http { .. }
                | Setup::Json { .. }
                | Setup::Listen
                | Setup::Serve { .. }
                | Setup::Many { .. }
                | Setup::Checks { .. }
                | Setup::Dns { .. } => {
                    continue;
                }
            };
            let message = "to my own server";
            let servers = codegen::for_setup(&own, &[], message, true, port)
                .unwrap()
                .into_iter()
                .filter(|p| p.role == Role::Server);
            drop(programs);
            for server in servers {
                let mut child = start_server(&server, &dir, &python).await;
                let client = codegen::for_setup(&own, &[], message, false, port).unwrap();
                let client = &client[0];
                let (ok, out, err) = run_client(client, &dir, &python).await;
                let _ = child.kill().await;
                assert!(
                    ok && out.contains(&format!("received: {message}")),
                    "{}: {} against {}:\n{out}{err}",
                    lesson.slug,
                    client.file,
                    server.file
                );
                pairs += 1;
            }
        }
    }
    assert!(pairs >= 10, "only {pairs} server/client pairs ran");
}

/// Method, URL, headers, body, what Python prints, what curl prints.
type HttpCase<'a> = (
    &'a str,
    String,
    &'a [(String, String)],
    &'a str,
    &'a [&'a str],
    &'a [&'a str],
);

#[tokio::test]
async fn http_code_runs_with_requests_and_curl_against_the_http_lab() {
    let relay = support::Relay::start().await;
    let services = relay.lab_services().await;
    let lab = &services
        .iter()
        .find(|s| s.name == "http-lab")
        .expect("an HTTP lab")
        .addr;
    let python = python().await;
    let dir = scratch("http");
    let header = [("X-Lesson".to_owned(), "anatomy".to_owned())];
    let cases: [HttpCase<'_>; 3] = [
        (
            "GET",
            format!("http://{lab}/get"),
            &header,
            "",
            &["200 OK", "anatomy"],
            &["HTTP/1.1 200", "anatomy"],
        ),
        (
            "POST",
            format!("http://{lab}/post"),
            &[],
            "{\"n\": 1}",
            &["200 OK", "\"n\""],
            &["HTTP/1.1 200", "\"n\""],
        ),
        (
            "GET",
            format!("http://{lab}/status/404"),
            &[],
            "",
            &["404", "the server answered with an error"],
            &["HTTP/1.1 404"],
        ),
    ];
    for (method, url, headers, body, py_wants, curl_wants) in cases {
        for program in codegen::http(method, &url, headers, body, 10) {
            let (ok, out, err) = run_client(&program, &dir, &python).await;
            let wants = match program.lang {
                Lang::Python => py_wants,
                _ => curl_wants,
            };
            assert!(
                ok && wants.iter().all(|w| out.contains(w)),
                "{method} {url} as {}: want {wants:?}\n--- stdout ---\n{out}--- stderr ---\n{err}\
                 --- code ---\n{}",
                program.file,
                program.code
            );
        }
    }
}

#[tokio::test]
async fn dig_as_generated_asks_the_dns_lab() {
    let relay = support::Relay::start().await;
    let services = relay.lab_services().await;
    let stub = &services
        .iter()
        .find(|s| s.name == "dns-lab")
        .expect("the DNS lab")
        .addr;
    assert!(
        std::process::Command::new("dig").arg("-v").output().is_ok(),
        "dig is missing: `cargo xtask test` installs bind9-dnsutils \
         (apt-get install bind9-dnsutils)"
    );
    let python = python().await;
    let dir = scratch("dig");
    let program = codegen::dig("www.lab.test", DnsType::A, stub);
    let (ok, out, err) = run_client(&program, &dir, &python).await;
    assert!(
        ok && out.contains("status: NOERROR")
            && out.contains("CNAME")
            && out.contains("host.lab.test.")
            && out.contains("127.0.0.1"),
        "{}\n--- stdout ---\n{out}--- stderr ---\n{err}",
        program.code
    );
}

/// The mistake box of "Common mistakes" quotes what CPython says when a
/// program sends text instead of bytes; the encoded text is echoed, and
/// "é" is two bytes.
#[tokio::test]
async fn sending_text_instead_of_bytes_is_the_type_error_the_lesson_quotes() {
    let relay = support::Relay::start().await;
    let services = relay.lab_services().await;
    let echo = &services
        .iter()
        .find(|s| s.name == "tcp-echo")
        .expect("the TCP echo")
        .addr;
    let (host, port) = echo.rsplit_once(':').unwrap();
    let python = python().await;
    let dir = scratch("text-not-bytes");
    let said = "TypeError: a bytes-like object is required, not 'str'";
    let mistake = LESSONS
        .iter()
        .find(|l| l.slug == "common-mistakes")
        .and_then(|l| l.mistake)
        .expect("the lesson's mistake box");
    assert!(mistake.text.contains(said), "{}", mistake.text);
    let program = |send: &str| {
        format!(
            "import socket\n\
             with socket.create_connection(({host:?}, {port}), timeout=5) as sock:\n    \
             sock.sendall({send})\n    \
             sock.shutdown(socket.SHUT_WR)\n    \
             received = b\"\"\n    \
             while chunk := sock.recv(1024):\n        \
             received += chunk\n    \
             print(\"received:\", received.decode(\"utf-8\"))\n\
             print(len(\"é\"), len(\"é\".encode(\"utf-8\")))\n"
        )
    };
    let run = |name: &'static str, code: String| {
        let python = python.clone();
        let file = dir.join(name);
        async move {
            std::fs::write(&file, code).expect("write the program");
            let mut command = Command::new(&python);
            command.arg("-u").arg(&file);
            let output = finish(command, name).await;
            let (out, err) = text(&output);
            (output.status.success(), out, err)
        }
    };
    let (ok, out, err) = run("text.py", program("\"hello\"")).await;
    assert!(
        !ok && err.contains(said),
        "text.py should fail with {said:?}:\n{out}{err}"
    );
    let (ok, out, err) = run("bytes.py", program("\"hello\".encode(\"utf-8\")")).await;
    assert!(
        ok && out.contains("received: hello") && out.contains("1 2"),
        "bytes.py:\n{out}{err}"
    );
}
