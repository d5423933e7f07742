//! Validates and embeds the service's migrations, written for MySQL and MariaDB.

use quark_migrate::build::{Dialect, Options, embed_migrations_with};

fn main() {
    let options = Options::default().dialects(&[Dialect::Mysql]);
    if let Err(problems) = embed_migrations_with("migrations", &options) {
        eprintln!("{problems}");
        std::process::exit(1);
    }
}
