//! Debian packages (Chromium, npm): installed with apt-get as root, through
//! `sudo -n` when that works without a password, or else left to the user
//! with the exact command to type.

use std::process::Command;

use crate::cmd;

pub fn install(packages: &[&str]) -> Result<(), String> {
    let list = packages.join(" ");
    let prefix: &[&str] = if cmd::is_root() {
        &[]
    } else if sudo_works() {
        &["sudo", "-n"]
    } else {
        return Err(format!(
            "these Debian packages are needed: {list}. Install them with\n\n    \
             sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y {list}\n\n\
             then run the same `cargo xtask` command again."
        ));
    };
    cmd::run(&mut sudo(prefix, &["apt-get", "update"]))?;
    let mut install = vec![
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
    ];
    install.extend_from_slice(packages);
    cmd::run(&mut sudo(prefix, &install))
}

fn sudo(prefix: &[&str], args: &[&str]) -> Command {
    let all: Vec<&str> = prefix.iter().chain(args).copied().collect();
    let mut command = Command::new(all[0]);
    command.args(&all[1..]);
    command
}

/// `sudo -n true` succeeds only if sudo needs no password right now.
fn sudo_works() -> bool {
    cmd::stdout_of("sudo", &["-n", "true"]).is_some()
}
