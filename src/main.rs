//! The `quark-db-manage` binary: quark's migrations, compiled in.

use std::process::ExitCode;

fn main() -> ExitCode {
    quark_migrate::cli::main_as(
        quark_db_manage::APP,
        quark_db_manage::MIGRATIONS,
        quark_db_manage::SCHEMA,
    )
}
