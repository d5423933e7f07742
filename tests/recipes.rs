//! docs/recipes.md shows the recipes' crates (examples/recipes/, built and run by their own
//! tests) byte for byte: every block marked `<!-- file: PATH -->` is that file, and every file of
//! a recipe that a person copies (Cargo.toml, build.rs, src/main.rs, migrations) is shown.

use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The blocks of the document: (path, text).
fn blocks(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(path) = line
            .strip_prefix("<!-- file: ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "{path}: a fenced block must follow its marker"
        );
        let mut text = String::new();
        for line in lines.by_ref() {
            if line == "```" {
                break;
            }
            text.push_str(line);
            text.push('\n');
        }
        out.push((path.to_string(), text));
    }
    out
}

#[test]
fn every_recipe_block_is_its_crates_file() {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/recipes.md")).unwrap();
    let shown = blocks(&doc);
    for (path, text) in &shown {
        let on_disk = std::fs::read_to_string(Path::new(ROOT).join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(
            text, &on_disk,
            "docs/recipes.md shows {path} other than it is"
        );
    }
    let recipes = Path::new(ROOT).join("examples/recipes");
    for recipe in std::fs::read_dir(&recipes).unwrap() {
        let recipe = recipe.unwrap().path();
        let name = recipe.file_name().unwrap().to_string_lossy().into_owned();
        let mut wanted = vec![
            format!("examples/recipes/{name}/Cargo.toml"),
            format!("examples/recipes/{name}/build.rs"),
            format!("examples/recipes/{name}/src/main.rs"),
        ];
        for m in std::fs::read_dir(recipe.join("migrations")).unwrap() {
            let m = m.unwrap().file_name().to_string_lossy().into_owned();
            wanted.push(format!("examples/recipes/{name}/migrations/{m}"));
        }
        for path in wanted {
            assert!(
                shown.iter().any(|(p, _)| *p == path),
                "docs/recipes.md does not show {path}"
            );
        }
    }
    // Every recipe depends on the engine as an application does: by the version it is.
    let engine =
        std::fs::read_to_string(Path::new(ROOT).join("crates/quark-migrate/Cargo.toml")).unwrap();
    let engine_version = engine
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap();
    let minor = engine_version.rsplit_once('.').unwrap().0;
    for (path, text) in shown.iter().filter(|(p, _)| p.ends_with("Cargo.toml")) {
        for line in text.lines().filter(|l| l.starts_with("quark-migrate")) {
            assert!(
                line.contains(&format!("version = \"{minor}\"")),
                "{path}: {line}"
            );
        }
    }
}
