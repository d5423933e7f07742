//! The `quark-db-manage` binary: quark's migrations, compiled in.

use std::process::ExitCode;

#[cfg(feature = "otel")]
mod telemetry;

fn main() -> ExitCode {
    // Sent, what is left of it, when it is dropped at the end of the run.
    #[cfg(feature = "otel")]
    let _telemetry = telemetry::init(quark_db_manage::APP.name);
    quark_migrate::cli::main_as(
        quark_db_manage::APP,
        quark_db_manage::MIGRATIONS,
        quark_db_manage::SCHEMA,
    )
}
