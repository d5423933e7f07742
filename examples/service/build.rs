//! Validates and embeds this service's `migrations/`: a broken chain fails the build.

fn main() {
    if let Err(problems) = quark_migrate::build::embed_migrations("migrations") {
        eprintln!("{problems}");
        std::process::exit(1);
    }
}
