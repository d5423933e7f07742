//! Validates `migrations/` and embeds it into the crate; a broken chain fails the build.

fn main() {
    if let Err(problems) = quark_migrate::build::embed_migrations("migrations") {
        eprintln!("{problems}");
        eprintln!("error: the migrations in migrations/ are invalid; see the lines above");
        std::process::exit(1);
    }
}
