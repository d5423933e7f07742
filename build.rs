//! Validates `migrations/` and embeds it into the crate; a broken chain fails the build.

#[allow(dead_code, unused_imports)]
#[path = "src/revision/mod.rs"]
mod revision;

#[allow(dead_code, unused_imports)]
#[path = "src/source.rs"]
mod source;

#[allow(dead_code, unused_imports)]
#[path = "src/checksum.rs"]
mod checksum;

#[allow(dead_code, unused_imports)]
#[path = "src/codegen.rs"]
mod codegen;

fn main() {
    if let Err(problems) = codegen::embed_migrations("migrations") {
        eprintln!("{problems}");
        eprintln!("error: the migrations in migrations/ are invalid; see the lines above");
        std::process::exit(1);
    }
}
