//! The processes under test (the echo server, a relay, websocat), started
//! pinned to the bridge CPU, and what `/proc` says about processes: memory
//! (PSS), CPU time, descriptor limit, allowed CPUs.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process that is killed when dropped.
#[derive(Debug)]
pub struct Process {
    child: Child,
    /// Kept open: a child that prints again must not die of SIGPIPE.
    _stdout: Option<BufReader<ChildStdout>>,
    pub addr: SocketAddr,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `program args...`, under `taskset -c CPU` when a CPU is given.
fn pinned(cpu: Option<usize>, program: &Path) -> Command {
    match cpu {
        Some(cpu) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(cpu.to_string()).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// Starts `command` and reads its address from the first line of its
/// stdout that `parse` understands.
fn start_printing_addr(
    mut command: Command,
    what: &str,
    parse: impl Fn(&str) -> Option<SocketAddr>,
) -> Result<Process, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    loop {
        line.clear();
        match stdout.read_line(&mut line) {
            Ok(0) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} exited before saying where it listens"));
            }
            Ok(_) => {
                if let Some(addr) = parse(line.trim()) {
                    return Ok(Process {
                        child,
                        _stdout: Some(stdout),
                        addr,
                    });
                }
            }
        }
    }
}

/// This program's own echo server (`roundtrip-bench echo`).
pub fn echo(cpu: Option<usize>) -> Result<Process, String> {
    let me = std::env::current_exe().map_err(|e| format!("where am I: {e}"))?;
    let mut command = pinned(cpu, &me);
    command.arg("echo").stderr(Stdio::inherit());
    start_printing_addr(command, "the echo server", |line| line.parse().ok())
}

/// A relay (`roundtrip serve`) on a free loopback port, with `settings`.
pub fn relay(
    binary: &Path,
    settings: &Path,
    log: &Path,
    cpu: Option<usize>,
) -> Result<Process, String> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let mut command = pinned(cpu, binary);
    command
        .args(["serve", "--host", "127.0.0.1", "--port", "0", "--config"])
        .arg(settings)
        .env_remove("ROUNDTRIP_PUBLIC")
        .stderr(log);
    // "Roundtrip is running at http://127.0.0.1:PORT/  (Ctrl-C to stop)"
    start_printing_addr(command, "the relay", |line| {
        line.strip_prefix("Roundtrip is running at http://")?
            .split('/')
            .next()?
            .parse()
            .ok()
    })
}

/// websocat bridging every WebSocket it accepts to a new TCP connection to
/// `echo`, in binary mode.
pub fn websocat(binary: &Path, echo: SocketAddr, cpu: Option<usize>) -> Result<Process, String> {
    let port = free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut command = pinned(cpu, binary);
    command
        .args(["--binary", "-q"])
        .arg(format!("ws-l:{addr}"))
        .arg(format!("tcp:{echo}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start websocat: {e}"))?;
    let process = Process {
        child,
        _stdout: None,
        addr,
    };
    // It says nothing when ready: wait until it accepts.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        if Instant::now() > deadline {
            return Err(format!("websocat did not listen on {addr} within 10 s"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(process)
}

/// A port that was free a moment ago (websocat cannot pick its own).
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Proportional set size of `pid`, in KiB (shared pages divided among the
/// processes that share them).
pub fn pss_kib(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/smaps_rollup");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    text.lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no Pss line in {path}"))
}

/// CPU time (user + system) this process has used, in clock ticks
/// (1/100 s on Linux).
pub fn own_cpu_ticks() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // Fields after the command name, which is in parentheses.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15; `rest` starts at field 3.
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    tick(11) + tick(12)
}

/// The soft limit on open descriptors, which children inherit.
pub fn descriptor_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The CPUs `pid` (or this process) may run on, as `/proc` lists them.
pub fn allowed_cpus(pid: Option<u32>) -> String {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// The machine's load averages (1, 5, 15 minutes), as `/proc/loadavg`
/// says: other work on the machine shows in every figure.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_owned())
}

/// Whether `taskset` can be used to pin processes.
pub fn have_taskset() -> bool {
    Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A fresh scratch directory for the settings file and the relay's log.
pub fn scratch_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("roundtrip-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Settings that lift the relay's caps for the benchmark: the local
/// defaults allow 256 sessions and 1,000 new ones a minute.
pub const RELAY_SETTINGS: &str = "\
[limits]
max_sessions = 1000000
max_sessions_per_ip = 1000000
sessions_per_minute_per_ip = 100000000
max_open_sockets = 1000000
ops_per_second = 1000000
";
