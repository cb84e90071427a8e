//! Tracing setup: human-readable or JSON lines, filtered by `RUST_LOG` (or `--log-filter`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Output format of the logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Readable lines for a terminal.
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Installs the global subscriber. Logs go to stderr so that stdout stays for command output.
/// `filter` wins over `RUST_LOG`; without either, `default_filter` applies. Colours only on a
/// terminal: a log file or journald gets plain text.
pub fn init(format: LogFormat, filter: Option<&str>, default_filter: &str) {
    let filter = match filter {
        Some(directives) => EnvFilter::new(directives),
        None => {
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter))
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests running several commands in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
