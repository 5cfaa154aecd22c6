//! The command line: `keyport [serve]`, `keyport migrate`, `keyport tokens create`.

use crate::config::{Settings, ENV_VARS};
use crate::startup::{build_services, open_database, Application};
use clap::{Parser, Subcommand};
use keyport_core::clock::SystemClock;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

fn env_help() -> String {
    let mut s = String::from("Environment variables:\n");
    for (k, v) in ENV_VARS {
        s.push_str(&format!("  {k:<38} {v}\n"));
    }
    s
}

/// Keyport: a self-hosted developer portal and API-key service.
#[derive(Parser, Debug)]
#[command(name = "keyport", version, about, after_help = env_help())]
pub struct Cli {
    /// Settings file (TOML). Environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the portal and the /v1 API (applies migrations first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage operator tokens (used by your backend to call /v1).
    Tokens {
        /// Token action.
        #[command(subcommand)]
        action: TokenAction,
    },
}

/// Operator token actions.
#[derive(Subcommand, Debug)]
pub enum TokenAction {
    /// Create a token and print it once.
    Create {
        /// A name to recognise the token by (e.g. gateway).
        #[arg(long)]
        name: String,
    },
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Parses the command line and runs it.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("keyport: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&settings.log);
    match run(cli.command.unwrap_or(Command::Serve), settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keyport: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cmd: Command, settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        Command::Serve => {
            tracing::debug!(?settings, "settings");
            Application::build(settings).await?.run_until_stopped().await?;
        }
        Command::Migrate => {
            open_database(&settings).await?;
            println!("migrations applied");
        }
        Command::Tokens { action: TokenAction::Create { name } } => {
            let base = settings.base_url.clone().unwrap_or_else(|| format!("http://{}", settings.listen));
            let svc = build_services(&settings, Arc::new(SystemClock), &base).await?;
            let t = svc.create_operator_token(&name).await?;
            eprintln!("Created operator token {} ({name}). It is shown once; store it now:", t.id);
            println!("{}", t.token);
        }
    }
    Ok(())
}
