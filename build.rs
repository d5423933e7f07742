//! Validates `migrations/` and embeds it into the crate; a broken chain fails the build.

use quark_migrate::build::{Options, embed_migrations_with};

/// quark's head when its chain was taken over from upstream: every database runs these revisions
/// already, so their lock risks are known history (docs/migration-format.md lists them), not
/// warnings for each build.
const APPLIED_HISTORY: &str = "c07cd8303997";

fn main() {
    let options = Options::default().applied_history(APPLIED_HISTORY);
    if let Err(problems) = embed_migrations_with("migrations", &options) {
        eprintln!("{problems}");
        eprintln!("error: the migrations in migrations/ are invalid; see the lines above");
        std::process::exit(1);
    }
}
