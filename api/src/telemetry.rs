//! Structured logs with `tracing`: RUST_LOG filters them, JSON when HARBOR_LOG_FORMAT=json.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let json = std::env::var("HARBOR_LOG_FORMAT").is_ok_and(|format| format == "json");
    // Colour codes only for a person at a terminal, never in pipes and files that tools read.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour);
    // A second init (tests start many apps in one process) is harmless; ignore it.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
