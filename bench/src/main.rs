//! `roundtrip-bench`: the load generator behind `cargo xtask bench`.
//!
//! ```text
//! roundtrip-bench run --relay PATH --websocat PATH [--before PATH]
//!                     [--trials N] [--bridge-cpu N] [--max-held N]
//!                     [--modes bulk,small,latency,memory,open,held]
//! roundtrip-bench echo        (the echo server, started by `run`)
//! roundtrip-bench load --relay PATH [--sessions N] [--echoing N] [--seconds N]
//! ```
//!
//! `run` starts a TCP echo server and, for every measurement, a fresh
//! bridge in front of it (websocat, the relay, and the relay built before a
//! change when `--before` names one), all pinned to the bridge CPU; this
//! process is the load generator (`cargo xtask bench` pins it to the other
//! CPU). Each mode runs against every way in turn, trial after trial, so
//! that a slow moment of the machine hurts all of them alike. It prints one
//! table: median with min–max over the trials, ratios to direct TCP and to
//! websocat, and the relay's targets, met or missed. It asserts nothing.
//!
//! Modules: [`conn`] (a client connection by each way), [`modes`] (the
//! measurements), [`procs`] (child processes and `/proc`), [`table`]
//! (figures into the table), [`echo`] (the echo server).

mod conn;
mod echo;
mod load;
mod modes;
mod procs;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use conn::{Kind, Target};
use table::{Metric, Results};

const USAGE: &str = "\
Usage: roundtrip-bench run --relay PATH --websocat PATH [--before PATH] [--trials N] [--bridge-cpu N] [--max-held N]
                           [--modes bulk,small,latency,memory,open,held]
       roundtrip-bench echo
       roundtrip-bench load --relay PATH [--sessions N] [--echoing N] [--seconds N]";

#[derive(Debug)]
struct Options {
    relay: PathBuf,
    before: Option<PathBuf>,
    websocat: PathBuf,
    trials: usize,
    bridge_cpu: Option<usize>,
    /// Sessions held asks for at most this many (default: as many as the
    /// descriptor limit allows).
    max_held: Option<usize>,
    /// Which modes to run (all by default).
    modes: Vec<String>,
}

const MODES: [&str; 6] = ["bulk", "small", "latency", "memory", "open", "held"];

/// One way to reach the echo, and the program that bridges it.
#[derive(Debug)]
pub struct Way {
    pub label: String,
    pub kind: Kind,
    program: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = match args.first().map(String::as_str) {
        Some("echo") => runtime.block_on(echo::serve()).map_err(|e| e.to_string()),
        Some("run") => parse(&args[1..]).and_then(|options| runtime.block_on(run(options))),
        Some("load") => {
            parse_load(&args[1..]).and_then(|options| runtime.block_on(load::run(options)))
        }
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("roundtrip-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_load(args: &[String]) -> Result<load::LoadOptions, String> {
    let mut options = load::LoadOptions {
        relay: PathBuf::new(),
        sessions: 10_000,
        echoing: 1_000,
        seconds: 20,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .cloned()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag} takes a number"))
        };
        match flag.as_str() {
            "--relay" => options.relay = value.clone().into(),
            "--sessions" => options.sessions = number()?,
            "--echoing" => options.echoing = number()?,
            "--seconds" => options.seconds = number()? as u64,
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if options.relay.as_os_str().is_empty() {
        return Err(format!("--relay is needed\n{USAGE}"));
    }
    Ok(options)
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        relay: PathBuf::new(),
        before: None,
        websocat: PathBuf::new(),
        trials: 3,
        bridge_cpu: None,
        max_held: None,
        modes: MODES.map(String::from).to_vec(),
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--relay" => options.relay = value()?.into(),
            "--before" => options.before = Some(value()?.into()),
            "--websocat" => options.websocat = value()?.into(),
            "--trials" => {
                options.trials = value()?
                    .parse()
                    .map_err(|_| "--trials takes a number".to_owned())?
            }
            "--bridge-cpu" => {
                options.bridge_cpu = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--bridge-cpu takes a CPU number".to_owned())?,
                )
            }
            "--max-held" => {
                options.max_held = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--max-held takes a number".to_owned())?,
                )
            }
            "--modes" => {
                options.modes = value()?.split(',').map(String::from).collect();
                if let Some(unknown) = options.modes.iter().find(|m| !MODES.contains(&m.as_str())) {
                    return Err(format!("unknown mode {unknown}\n{USAGE}"));
                }
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if options.relay.as_os_str().is_empty() || options.websocat.as_os_str().is_empty() {
        return Err(format!("--relay and --websocat are required\n{USAGE}"));
    }
    options.trials = options.trials.max(1);
    Ok(options)
}

async fn run(options: Options) -> Result<(), String> {
    let bridge_cpu = options.bridge_cpu.filter(|_| procs::have_taskset());
    let scratch = procs::scratch_dir()?;
    let settings = scratch.join("relay.toml");
    std::fs::write(&settings, procs::RELAY_SETTINGS)
        .map_err(|e| format!("cannot write {}: {e}", settings.display()))?;
    let relay_log = scratch.join("relay.log");

    let mut ways = vec![
        Way {
            label: "direct TCP".into(),
            kind: Kind::Direct,
            program: None,
        },
        Way {
            label: "websocat".into(),
            kind: Kind::Websocat,
            program: Some(options.websocat.clone()),
        },
    ];
    if let Some(before) = &options.before {
        ways.push(Way {
            label: "Roundtrip before".into(),
            kind: Kind::Roundtrip,
            program: Some(before.clone()),
        });
    }
    ways.push(Way {
        label: "Roundtrip".into(),
        kind: Kind::Roundtrip,
        program: Some(options.relay.clone()),
    });

    let echo = procs::echo(bridge_cpu)?;
    let limit = procs::descriptor_limit();
    println!(
        "load generator on CPU {}; echo server and bridges on CPU {}{}",
        procs::allowed_cpus(None),
        procs::allowed_cpus(Some(echo.pid())),
        if bridge_cpu.is_none() {
            " (not pinned: taskset missing or no CPU given)"
        } else {
            ""
        }
    );
    println!(
        "descriptor limit {}; {} trials, interleaved; relay log in {}",
        limit.map_or("unknown".into(), |l| l.to_string()),
        options.trials,
        relay_log.display()
    );
    println!("load average before: {}", procs::load_average());

    let mut results = Results::new(ways.len());
    let start_bridge = |way: &Way| -> Result<Option<procs::Process>, String> {
        match (way.kind, &way.program) {
            (Kind::Direct, _) | (_, None) => Ok(None),
            (Kind::Websocat, Some(program)) => {
                procs::websocat(program, echo.addr, bridge_cpu).map(Some)
            }
            (Kind::Roundtrip, Some(program)) => {
                procs::relay(program, &settings, &relay_log, bridge_cpu).map(Some)
            }
        }
    };
    let target = |way: &Way, bridge: &Option<procs::Process>| Target {
        kind: way.kind,
        echo: echo.addr,
        bridge: bridge.as_ref().map_or(echo.addr, |b| b.addr),
    };
    let fail = |what: &str, way: &Way, e: std::io::Error| format!("{what}, {}: {e}", way.label);
    let run_mode = |mode: &str| options.modes.iter().any(|m| m == mode);

    for trial in 0..options.trials {
        eprintln!("trial {}/{}", trial + 1, options.trials);
        // Who goes first changes from trial to trial.
        let order: Vec<usize> = (0..ways.len()).map(|i| (i + trial) % ways.len()).collect();
        for &i in order.iter().filter(|_| run_mode("bulk")) {
            let way = &ways[i];
            let bridge = start_bridge(way)?;
            let m = modes::bulk(&target(way, &bridge))
                .await
                .map_err(|e| fail("bulk", way, e))?;
            results.add(Metric::Bulk, i, m);
        }
        for &i in order.iter().filter(|_| run_mode("small")) {
            let way = &ways[i];
            let bridge = start_bridge(way)?;
            let m = modes::small(&target(way, &bridge))
                .await
                .map_err(|e| fail("small", way, e))?;
            results.add(Metric::Small, i, m);
        }
        for &i in order.iter().filter(|_| run_mode("latency")) {
            let way = &ways[i];
            let bridge = start_bridge(way)?;
            let (p50, p99) = modes::latency(&target(way, &bridge))
                .await
                .map_err(|e| fail("latency", way, e))?;
            results.add(Metric::P50, i, p50);
            results.add(Metric::P99, i, p99);
        }
        for &i in order.iter().filter(|_| run_mode("memory")) {
            let way = &ways[i];
            let Some(bridge) = start_bridge(way)? else {
                continue;
            };
            let pid = bridge.pid();
            let bridge = Some(bridge);
            let m = modes::idle_memory(&target(way, &bridge), pid)
                .await
                .map_err(|e| fail("idle memory", way, e))?;
            results.add(Metric::IdleMemory, i, m);
        }
        for &i in order.iter().filter(|_| run_mode("open")) {
            let way = &ways[i];
            let bridge = start_bridge(way)?;
            let (m, cut) = modes::sequential(&target(way, &bridge))
                .await
                .map_err(|e| fail("opening sessions", way, e))?;
            results.add(Metric::Open, i, m);
            if cut {
                results.extrapolated(Metric::Open, i);
            }
        }
    }

    // Sessions held: a count, not a timing, so once. Each session holds two
    // descriptors in the bridge (its WebSocket and its upstream socket);
    // a few are the bridge's own.
    if let Some(limit) = limit.filter(|_| run_mode("held")) {
        let asked = (limit as usize).saturating_sub(100) / 2;
        let asked = options.max_held.map_or(asked, |max| asked.min(max));
        eprintln!("sessions held (up to {asked})");
        for (i, way) in ways.iter().enumerate() {
            if !modes::has_bridge(way.kind) {
                continue;
            }
            let bridge = start_bridge(way)?;
            let held = modes::held(&target(way, &bridge), asked)
                .await
                .map_err(|e| fail("sessions held", way, e))?;
            results.held(i, held);
        }
    }

    println!("load average after: {}", procs::load_average());
    table::print(&ways, &results, limit);
    Ok(())
}
