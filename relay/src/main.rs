//! The `roundtrip` binary: command line, logging, and the one-line report
//! of what stopped it.

use std::process::ExitCode;

use clap::Parser as _;
use roundtrip_relay::cli::{Cli, Command};
use roundtrip_relay::{logging, startup};

#[tokio::main]
async fn main() -> ExitCode {
    let Command::Serve(args) = Cli::parse().command;
    logging::init(args.log_format);
    roundtrip_relay::raise_descriptor_limit();
    match startup::serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        // Printed by hand, not returned: a returned error would come with
        // a backtrace under RUST_BACKTRACE=1, and these are the user's to
        // fix, not the program's.
        Err(error) => {
            eprintln!("roundtrip: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
