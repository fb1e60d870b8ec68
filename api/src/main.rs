//! The `infoharbor` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = api::config::Cli::parse();
    api::telemetry::init();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(api::cli::run(cli))
}
