//! Branches and merges against Alembic itself: the same revision graphs, the same commands, the
//! same starting databases (`alembic/graphs.rs`), run through our command line (a scratch
//! application's) and through Alembic (`alembic/run.py`); the version rows, the tables, the
//! revisions listed (in order, with their branch labels) and whether the command was refused
//! must agree, except where DIFFERENCES says why not. Alembic comes from the Python named by QUARK_ALEMBIC_PYTHON (`.ci/run` makes a virtual
//! environment with a pinned Alembic), else from `python3`; without one the test is skipped with
//! a printed reason, except under CI.

#![cfg(all(feature = "cli", feature = "sqlite"))]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

#[path = "alembic/graphs.rs"]
mod graphs;

use graphs::{DIFFERENCES, Difference, Graph, Rev, graphs};

/// The Python that runs Alembic, or `None` (with why) when there is none.
fn alembic_python() -> Result<String, String> {
    let python = std::env::var("QUARK_ALEMBIC_PYTHON").unwrap_or_else(|_| "python3".into());
    match Command::new(&python)
        .args(["-c", "import alembic; print(alembic.__version__)"])
        .output()
    {
        Ok(out) if out.status.success() => Ok(python),
        Ok(out) => Err(format!(
            "{python} cannot import alembic: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("cannot run {python}: {e}")),
    }
}

/// The scratch application: our command line over the graph's files, built by an application's
/// build.rs.
struct App {
    dir: PathBuf,
    target: PathBuf,
}

impl App {
    fn new() -> App {
        let engine = Path::new(env!("CARGO_MANIFEST_DIR"));
        // The workspace's root, whose Cargo.lock the application is built with.
        let root = engine.join("../..");
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("alembic-diff");
        let dir = base.join("app");
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"graph\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nquark-migrate = {{ path = {engine:?}, default-features = false, features = [\"sqlite\", \"cli\"] }}\n\n[build-dependencies]\nquark-migrate = {{ path = {engine:?}, default-features = false }}\n\n[workspace]\n",
                engine = engine.display().to_string()
            ),
        )
        .unwrap();
        // An application's build.rs, as the engine's documentation writes it.
        std::fs::write(
            dir.join("build.rs"),
            "fn main() {\n    if let Err(problems) = quark_migrate::build::embed_migrations(\"migrations\") {\n        eprintln!(\"{problems}\");\n        std::process::exit(1);\n    }\n}\n",
        )
        .unwrap();
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        std::fs::write(
            dir.join("src/main.rs"),
            "static M: &[quark_migrate::EmbeddedFile] = quark_migrate::embed_migrations!();\nfn main() -> std::process::ExitCode { quark_migrate::cli::main_with(M, &[]) }\n",
        )
        .unwrap();
        App {
            dir,
            target: base.join("target"),
        }
    }

    /// Writes the graph as our migration files and builds the application.
    fn build(&self, graph: &Graph) -> PathBuf {
        let migrations = self.dir.join("migrations");
        let _ = std::fs::remove_dir_all(&migrations);
        std::fs::create_dir_all(&migrations).unwrap();
        for Rev(id, parents, labels, depends) in &graph.revisions {
            let mut text = format!(
                "-- rev {id}\n--\n-- Revision ID: {id}\n-- Revises: {}\n",
                if parents.is_empty() {
                    "None".to_string()
                } else {
                    parents.join(", ")
                }
            );
            if !labels.is_empty() {
                text.push_str(&format!("-- Branch Labels: {}\n", labels.join(", ")));
            }
            if !depends.is_empty() {
                text.push_str(&format!("-- Depends On: {}\n", depends.join(", ")));
            }
            if parents.len() < 2 {
                text.push_str(&format!(
                    "\n-- +upgrade\nCREATE TABLE t_{id} (x INT);\n\n-- +downgrade\nDROP TABLE t_{id};\n"
                ));
            }
            std::fs::write(migrations.join(format!("{id}_rev.sql")), text).unwrap();
        }
        let out = Command::new(env!("CARGO"))
            .args(["build", "--offline", "--quiet"])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the {} graph does not build:\n{}",
            graph.name,
            String::from_utf8_lossy(&out.stderr)
        );
        self.target.join("debug/graph")
    }
}

/// What a command left behind, in the form run.py reports it. The setup commands must succeed,
/// and the command must succeed or be refused (exit 1, saying why on a `FAILED` line): anything
/// else (a crash, a usage error) fails the test.
fn ours(bin: &Path, dir: &Path, n: usize, setup: &[&str], command: &str) -> Value {
    let db = dir.join(format!("case{n}.db"));
    let url = format!("sqlite:///{}", db.display());
    let run = |words: &str| {
        Command::new(bin)
            .args(["--database-connection", &url])
            .args(words.split_whitespace())
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let said = |out: &std::process::Output| {
        format!(
            "{}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    for s in setup {
        let out = run(s);
        assert!(
            out.status.success(),
            "case {n}: the setup command {s:?} failed: {}",
            said(&out)
        );
    }
    let out = run(command);
    let refused = out.status.code() == Some(1)
        && String::from_utf8_lossy(&out.stderr)
            .lines()
            .any(|l| l.starts_with("FAILED"));
    assert!(
        out.status.success() || refused,
        "case {n}: {command:?} neither succeeded nor was refused: {}",
        said(&out)
    );
    let (rows, tables) = state(&db);
    json!({
        "ok": out.status.success(),
        "error": String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.starts_with("FAILED")).collect::<Vec<_>>().join(" "),
        "rows": rows,
        "tables": tables,
        "stdout": String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>(),
    })
}

fn state(db: &Path) -> (Vec<String>, Vec<String>) {
    if !db.exists() {
        return (Vec::new(), Vec::new());
    }
    let c = rusqlite::Connection::open(db).unwrap();
    let names: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut rows: Vec<String> = if names.iter().any(|n| n == "alembic_version") {
        c.prepare("SELECT version_num FROM alembic_version")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    } else {
        Vec::new()
    };
    rows.sort();
    (
        rows,
        names.into_iter().filter(|n| n.starts_with("t_")).collect(),
    )
}

/// The revisions a listing names, in order, each with the branch labels shown on it.
fn listed(lines: &Value) -> Vec<(String, BTreeSet<String>)> {
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let line = l.as_str().unwrap();
            let tail = line.rsplit_once("-> ").map_or(line, |(_, t)| t).trim();
            let id: String = tail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // The parenthesised groups after the id, up to the message.
            let mut labels = BTreeSet::new();
            let mut rest = &tail[id.len()..];
            while let Some(group) = rest.strip_prefix(" (") {
                let Some((inside, after)) = group.split_once(')') else {
                    break;
                };
                if ![
                    "head",
                    "branchpoint",
                    "mergepoint",
                    "effective head",
                    "current",
                ]
                .contains(&inside)
                {
                    labels.extend(inside.split(", ").map(String::from));
                }
                rest = after;
            }
            (id, labels)
        })
        .collect()
}

/// The listing of `command` as compared: in order, except `branches`, whose branches Alembic
/// lists in no fixed order.
fn listing(command: &str, lines: &Value) -> Vec<(String, BTreeSet<String>)> {
    let mut listed = listed(lines);
    if command == "branches" {
        listed.sort();
    }
    listed
}

/// Whether a command lists revisions (its output is compared), or only changes the database.
fn lists(command: &str) -> bool {
    ["history", "heads", "branches"]
        .iter()
        .any(|c| command.starts_with(c))
}

#[test]
fn branches_and_merges_agree_with_alembic() {
    let python = match alembic_python() {
        Ok(p) => p,
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping: no Alembic to compare with ({why})");
            return;
        }
        Err(why) => panic!("CI must compare with Alembic, but {why}"),
    };
    let app = App::new();
    let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/alembic/run.py");
    let (mut agree, mut total) = (0, 0);
    let mut failures = Vec::new();
    let mut differences_seen = Vec::new();
    for graph in graphs() {
        let bin = app.build(&graph);
        let spec = json!({
            "revisions": graph.revisions.iter().map(|Rev(id, parents, labels, depends)| json!({
                "id": id, "parents": parents, "labels": labels, "depends_on": depends, "message": format!("rev {id}"),
            })).collect::<Vec<_>>(),
            "cases": graph.cases.iter().map(|(setup, command)| json!({"setup": setup, "command": command})).collect::<Vec<_>>(),
        });
        let mut child = Command::new(&python)
            .arg(&runner)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        serde_json::to_writer(child.stdin.take().unwrap(), &spec).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "run.py failed on the {} graph ({}): a crash or a bug of the harness, not a refusal of Alembic's:\n{}",
            graph.name,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        // One result per case, each naming its case: no case dropped, none answered twice.
        let asked: Vec<Value> = graph
            .cases
            .iter()
            .map(|(setup, command)| json!({"setup": setup, "command": command}))
            .collect();
        let answered: Vec<Value> = theirs
            .iter()
            .map(|r| json!({"setup": r["setup"], "command": r["command"]}))
            .collect();
        assert_eq!(
            answered, asked,
            "run.py's results for the {} graph are not its cases, in order",
            graph.name
        );
        for alembic in &theirs {
            // A refusal names Alembic's exception (run.py lets any other fail); a success none.
            let ok = alembic["ok"].as_bool().unwrap();
            let refusal = alembic["refusal"].as_str().unwrap();
            assert_eq!(ok, refusal.is_empty(), "{alembic}");
        }
        let dir = tempfile::tempdir().unwrap();
        for (n, ((setup, command), alembic)) in graph.cases.iter().zip(&theirs).enumerate() {
            total += 1;
            let ours = ours(&bin, dir.path(), n, setup, command);
            let same_state = ours["rows"] == alembic["rows"] && ours["tables"] == alembic["tables"];
            let same_listing = !lists(command)
                || listing(command, &ours["stdout"]) == listing(command, &alembic["stdout"]);
            let same = ours["ok"] == alembic["ok"] && same_state && same_listing;
            let case = format!("{}: {} | {command}", graph.name, setup.join("; "));
            let deliberate = DIFFERENCES
                .iter()
                .find(|(g, s, c, _, _)| *g == graph.name && *s == setup.join("; ") && c == command);
            match (same, deliberate) {
                (true, None) => agree += 1,
                (true, Some(_)) => {
                    failures.push(format!("{case}: listed as a difference, yet we agree"))
                }
                (false, Some((_, _, _, kind, why))) => {
                    let kept = match kind {
                        // We refused and changed nothing; Alembic ran something.
                        Difference::WeRefuse => ours["ok"] == false && alembic["ok"] == true,
                        // Alembic refused; we ran the one way there was.
                        Difference::UniqueMove => ours["ok"] == true && alembic["ok"] == false,
                    };
                    if kept {
                        differences_seen.push(format!("{case}: {kind:?}: {why}"));
                    } else {
                        failures.push(format!("{case}: not the {kind:?} difference listed:\n    ours:    {ours}\n    alembic: {alembic}"));
                    }
                }
                (false, None) => failures.push(format!(
                    "{case}\n    ours:    {ours}\n    alembic: {alembic}"
                )),
            }
        }
    }
    eprintln!(
        "{agree} of {total} commands agree with Alembic; {} deliberate differences:\n  {}",
        differences_seen.len(),
        differences_seen.join("\n  ")
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        differences_seen.len(),
        DIFFERENCES.len(),
        "every listed difference was seen"
    );
}
