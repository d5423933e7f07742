//! Validates acme-svc's migrations and embeds them: a broken chain fails the build, naming the
//! file and line. They are written for PostgreSQL only.

use quark_migrate::build::{Dialect, Options, embed_migrations_with};

fn main() {
    let options = Options::default().dialects(&[Dialect::Postgresql]);
    if let Err(problems) = embed_migrations_with("migrations", &options) {
        eprintln!("{problems}");
        std::process::exit(1);
    }
}
