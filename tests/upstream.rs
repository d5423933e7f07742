//! quark's own chain through the build: upstream's broken downgrade of 79b768afed65 would have
//! failed it.

use std::path::Path;

#[path = "../crates/quark-migrate/tests/support/scratch.rs"]
#[allow(dead_code)]
mod scratch;

use scratch::{Scratch, assert_has};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Upstream quark's 79b768afed65 renamed tenant_id to project_id and its downgrade never renamed
/// it back (fixed in our chain): the build would have refused it.
#[test]
fn upstreams_downgrade_bug_fails_the_build() {
    let scratch = Scratch::new("scratch_upstream_79b768afed65");
    for entry in std::fs::read_dir(Path::new(ROOT).join("migrations")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            scratch.write(&name, std::fs::read(&path).unwrap());
        }
    }
    scratch.write(
        "79b768afed65_rename_tenant_id_indexes.sql",
        std::fs::read(
            Path::new(ROOT).join("tests/fixtures/79b768afed65_rename_tenant_id_indexes.sql"),
        )
        .unwrap(),
    );
    let stderr = scratch.fails();
    assert_has(
        &stderr,
        "migrations/79b768afed65_rename_tenant_id_indexes.sql:73: the downgrade of 79b768afed65 does not give back the schema before its upgrade on sqlite",
    );
    assert_has(&stderr, "tenant_id");
}
