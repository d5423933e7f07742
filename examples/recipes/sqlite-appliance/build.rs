//! Validates, rehearses and embeds the appliance's migrations.

fn main() {
    if let Err(problems) = quark_migrate::build::embed_migrations("migrations") {
        eprintln!("{problems}");
        std::process::exit(1);
    }
}
