//! The `keyport` binary. All the work is in the library.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    keyport_server::cli::main().await
}
