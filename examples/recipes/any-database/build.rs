//! Validates, rehearses on SQLite in memory, and embeds migrations written for all three
//! databases (dialect markers where they differ).

fn main() {
    if let Err(problems) = quark_migrate::build::embed_migrations("migrations") {
        eprintln!("{problems}");
        std::process::exit(1);
    }
}
