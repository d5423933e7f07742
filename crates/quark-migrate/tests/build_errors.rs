//! build.rs run on scratch crates: broken `migrations/` fail the build with `file:line` messages,
//! and edits to `migrations/` rebuild the embed.
//!
//! Each scratch crate's build script is an application's `build.rs`, on the engine crate as an
//! application gets it (a path dependency with only the `sqlite` feature, so the build
//! rehearses the migrations on SQLite in memory).

#[path = "support/scratch.rs"]
#[allow(dead_code)]
mod scratch;
#[path = "support/servers.rs"]
#[allow(dead_code)]
mod servers;

use scratch::{Scratch, assert_has, good, header, revision};

/// A scratch crate's name, its migration files, and the message its build must print.
type Case = (&'static str, Vec<(&'static str, Vec<u8>)>, &'static str);

#[test]
fn every_kind_of_broken_chain_fails_the_build_naming_file_and_line() {
    let cases: Vec<Case> = vec![
        (
            "malformed_header",
            vec![(
                "a1_x.sql",
                b"-- no header fields\n-- +upgrade\nSELECT 1;\n".to_vec(),
            )],
            "migrations/a1_x.sql:1: malformed header: no 'Revision ID:' line",
        ),
        (
            "id_mismatch",
            vec![("b1_x.sql", good("a1", "None").into_bytes())],
            "migrations/b1_x.sql:3: revision id 'a1' does not match the file name 'b1_x.sql'",
        ),
        (
            "duplicate_id",
            vec![
                ("a1_x.sql", good("a1", "None").into_bytes()),
                ("a1_y.sql", good("a1", "None").into_bytes()),
            ],
            "migrations/a1_y.sql:3: duplicate revision id 'a1'",
        ),
        (
            "unknown_parent",
            vec![
                ("a1_x.sql", good("a1", "None").into_bytes()),
                ("b2_x.sql", good("b2", "zz9").into_bytes()),
            ],
            "migrations/b2_x.sql:4: 'Revises:' names unknown revision 'zz9'",
        ),
        (
            "cycle",
            vec![
                ("a1_x.sql", good("a1", "None").into_bytes()),
                ("b2_x.sql", good("b2", "a1, c3").into_bytes()),
                ("c3_x.sql", good("c3", "b2").into_bytes()),
            ],
            "revisions form a cycle: ",
        ),
        (
            "unknown_dialect",
            vec![(
                "a1_x.sql",
                format!("{}-- +upgrade oracle\nSELECT 1;\n", header("a1", "None")).into_bytes(),
            )],
            "migrations/a1_x.sql:5: unknown dialect 'oracle' in '-- +upgrade'",
        ),
        (
            "unknown_section",
            vec![(
                "a1_x.sql",
                format!(
                    "{}-- +upgrade\nSELECT 1;\n-- +rollback\nSELECT 2;\n",
                    header("a1", "None")
                )
                .into_bytes(),
            )],
            "migrations/a1_x.sql:7: unknown section '+rollback'",
        ),
        (
            "empty_upgrade",
            vec![(
                "a1_x.sql",
                format!(
                    "{}\n-- +upgrade\n-- TODO\n\n-- +downgrade\n",
                    header("a1", "None")
                )
                .into_bytes(),
            )],
            "migrations/a1_x.sql:6: empty upgrade section: it holds no SQL statement",
        ),
        (
            "not_utf8",
            vec![(
                "a1_x.sql",
                [
                    header("a1", "None").as_bytes(),
                    b"-- +upgrade\nSELECT '\xff\xfe';\n",
                ]
                .concat(),
            )],
            "migrations/a1_x.sql:6: the file is not valid UTF-8",
        ),
        (
            "unterminated_string",
            vec![(
                "a1_x.sql",
                format!(
                    "{}-- +upgrade\nSELECT 1;\nSELECT 'oops;\n",
                    header("a1", "None")
                )
                .into_bytes(),
            )],
            "migrations/a1_x.sql:7: unterminated string",
        ),
        (
            "unknown_dependency",
            vec![
                ("a1_x.sql", good("a1", "None").into_bytes()),
                (
                    "b2_x.sql",
                    good("b2", "a1")
                        .replacen("-- Revises: a1\n", "-- Revises: a1\n-- Depends On: q9\n", 1)
                        .into_bytes(),
                ),
            ],
            "migrations/b2_x.sql:5: 'Depends On:' names unknown revision 'q9'",
        ),
        (
            "two_heads",
            vec![
                ("a1_x.sql", good("a1", "None").into_bytes()),
                ("b2_x.sql", good("b2", "a1").into_bytes()),
                ("c3_x.sql", good("c3", "a1").into_bytes()),
            ],
            "migrations/b2_x.sql:3: revision 'b2' is one of 2 heads (b2, c3) and has no branch label of its own",
        ),
    ];
    for (name, files, want) in cases {
        let scratch = Scratch::new(&format!("scratch_{name}"));
        for (file, text) in &files {
            scratch.write(file, text);
        }
        let stderr = scratch.fails();
        assert_has(&stderr, want);
        assert_has(&stderr, "hint: ");
    }
}

#[test]
fn the_two_heads_error_suggests_merge() {
    let scratch = Scratch::new("scratch_merge_hint");
    scratch
        .write("a1_x.sql", good("a1", "None"))
        .write("b2_x.sql", good("b2", "a1"))
        .write("c3_x.sql", good("c3", "a1"));
    assert_has(
        &scratch.fails(),
        "hint: join the heads with a merge revision (the `merge -m \"merge heads\" b2 c3` subcommand)",
    );
}

#[test]
fn adding_editing_and_removing_files_rebuilds_the_embed() {
    let scratch = Scratch::new("scratch_rebuild");
    scratch.write("a1_x.sql", good("a1", "None"));
    assert_eq!(
        scratch.runs(),
        "migrations/a1_x.sql CREATE TABLE t_a1 (x INT);\n"
    );
    scratch.write("b2_x.sql", good("b2", "a1"));
    assert_eq!(scratch.runs().lines().count(), 2);
    scratch.write("b2_x.sql", good("b2", "a1").replace("(x INT)", "(y TEXT)"));
    assert!(scratch.runs().contains("CREATE TABLE t_b2 (y TEXT);"));
    scratch.write("c3_x.sql", good("c3", "nope"));
    assert_has(
        &scratch.fails(),
        "migrations/c3_x.sql:4: 'Revises:' names unknown revision 'nope'",
    );
    scratch.remove("c3_x.sql");
    scratch.remove("b2_x.sql");
    assert_eq!(
        scratch.runs(),
        "migrations/a1_x.sql CREATE TABLE t_a1 (x INT);\n"
    );
}

#[test]
fn a_destructive_statement_without_breaking_fails_the_build_naming_file_and_line() {
    let base = revision(
        "a1",
        "None",
        "CREATE TABLE t_a1 (x INT, y INT);",
        "DROP TABLE t_a1;",
    );
    let drop = |extra: &str, above: &str| {
        format!(
            "{}{extra}\n-- +upgrade\nCREATE TABLE t_b (y INT);\n{above}ALTER TABLE t_a1 DROP COLUMN x;\n\n-- +downgrade\nALTER TABLE t_a1 ADD COLUMN x INT;\nDROP TABLE t_b;\n",
            header("b2", "a1")
        )
    };
    let scratch = Scratch::new("scratch_destructive");
    scratch
        .write("a1_x.sql", &base)
        .write("b2_x.sql", drop("", ""));
    let stderr = scratch.fails();
    assert_has(
        &stderr,
        "migrations/b2_x.sql:8: `ALTER TABLE t_a1 DROP COLUMN x` drops the column; older code still reading or writing it fails",
    );
    assert_has(&stderr, "mark the revision `Breaking:");
    assert_has(&stderr, "-- not breaking: <why>");
    // Declared as the contract step, or said to be safe: it builds.
    scratch.write(
        "b2_x.sql",
        drop("-- Breaking: drops t_a1.x, which release 1 reads\n", ""),
    );
    scratch.runs();
    scratch.write(
        "b2_x.sql",
        drop("", "-- not breaking: nothing has read x since release 1\n"),
    );
    scratch.runs();
}

#[test]
fn an_index_built_under_a_lock_is_a_warning_with_the_safe_form_or_an_error_when_asked() {
    let base = good("a1", "None");
    let b2 = |above: &str| {
        revision(
            "b2",
            "a1",
            &format!("{above}CREATE INDEX ix_a1_x ON t_a1 (x);"),
            "DROP INDEX ix_a1_x;",
        )
    };
    let scratch = Scratch::new("scratch_lock_risk");
    scratch.write("a1_x.sql", &base).write("b2_x.sql", b2(""));
    // `details` makes cargo show the build script's warnings.
    let out = scratch.cargo_with("build", &[("QUARK_MIGRATE_CHECK", "details")]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "a warning, not an error: {stderr}");
    assert_has(
        &stderr,
        "migrations/b2_x.sql:7: `CREATE INDEX ix_a1_x ON t_a1 (x)` builds the index while blocking writes to the table (on postgresql). Safe form: CREATE INDEX CONCURRENTLY, in a revision of its own marked `Transactional: false`",
    );
    let out = scratch.cargo_with("build", &[("QUARK_MIGRATE_LOCK_RISKS", "deny")]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "warnings as errors: {stderr}");
    assert_has(
        &stderr,
        "migrations/b2_x.sql:7: `CREATE INDEX ix_a1_x ON t_a1 (x)`",
    );
    // Accepted with a reason: clean, even as errors.
    scratch.write(
        "b2_x.sql",
        b2("-- lock accepted: t_a1 is empty in every deployment\n"),
    );
    let out = scratch.cargo_with(
        "build",
        &[
            ("QUARK_MIGRATE_LOCK_RISKS", "deny"),
            ("QUARK_MIGRATE_CHECK", "details"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("Safe form"), "{stderr}");
}

#[test]
fn sql_that_fails_or_does_not_round_trip_fails_the_build() {
    let base = good("a1", "None");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "syntax_error",
            revision(
                "b2",
                "a1",
                "CREATE TABLE t_b (x INT);\nCREAT INDEX ix_b ON t_b (x);",
                "DROP TABLE t_b;",
            ),
            "migrations/b2_x.sql:8: upgrade of b2 fails on sqlite: near \"CREAT\": syntax error",
        ),
        (
            "postgres_only",
            revision(
                "b2",
                "a1",
                "ALTER TABLE t_a1 ALTER COLUMN x SET DEFAULT 1;",
                "",
            ),
            "migrations/b2_x.sql:7: upgrade of b2 fails on sqlite: near \"DEFAULT\": syntax error",
        ),
        (
            "forgotten_index",
            revision(
                "b2",
                "a1",
                "CREATE INDEX ix_a1_x ON t_a1 (x);\nCREATE TABLE t_b (y INT);",
                "DROP TABLE t_b;",
            ),
            "migrations/b2_x.sql:10: the downgrade of b2 does not give back the schema before its upgrade on sqlite",
        ),
        (
            "drops_what_it_did_not_create",
            revision(
                "b2",
                "a1",
                "CREATE INDEX ix_a1_x ON t_a1 (x);",
                "DROP INDEX ix_a1_x;\nDROP TABLE t_a1;",
            ),
            "migrations/b2_x.sql:9: the downgrade of b2 does not give back the schema before its upgrade on sqlite",
        ),
    ];
    for (name, b2, want) in cases {
        let scratch = Scratch::new(&format!("scratch_sql_{name}"));
        scratch.write("a1_x.sql", &base).write("b2_x.sql", &b2);
        let stderr = scratch.fails();
        assert_has(&stderr, want);
        assert_has(&stderr, "fail their rehearsal on SQLite");
        // The opt-out builds it as before.
        let out = scratch.cargo_with("build", &[("QUARK_MIGRATE_CHECK", "off")]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn what_the_rehearsal_found_names_the_difference() {
    let scratch = Scratch::new("scratch_sql_difference");
    scratch.write("a1_x.sql", good("a1", "None")).write(
        "b2_x.sql",
        revision(
            "b2",
            "a1",
            "CREATE INDEX ix_a1_x ON t_a1 (x);\nCREATE TABLE t_b (y INT);",
            "DROP TABLE t_b;",
        ),
    );
    let stderr = scratch.fails();
    // The difference is named: the index the downgrade left behind.
    let at = stderr.find("does not give back the schema").expect(&stderr);
    assert!(
        stderr[at..].lines().nth(1).unwrap().contains("ix_a1_x"),
        "{stderr}"
    );
}

#[test]
fn the_declared_schema_is_checked_at_build_time() {
    let scratch = Scratch::new("scratch_declared");
    scratch.write("a1_x.sql", good("a1", "None"));
    std::fs::create_dir_all(scratch.dir.path().join("migrations/schema")).unwrap();
    let schema = scratch.dir.path().join("migrations/schema/app.sql");
    std::fs::write(&schema, "CREATE TABLE t_a1 (x INT);\n").unwrap();
    scratch.runs();
    // Declared ahead of the migrations (edited first, the revision autogenerated next): the
    // build goes on and warns, naming the difference.
    std::fs::write(&schema, "CREATE TABLE t_a1 (x INT, y TEXT);\n").unwrap();
    let out = scratch.cargo_with("build", &[("QUARK_MIGRATE_CHECK", "details")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_has(
        &stderr,
        "migrations/schema: the migrations at head do not build the declared schema on sqlite (add column t_a1.y)",
    );
    std::fs::write(
        &schema,
        "CREATE TABLE t_a1 (x INT);\n-- +oracle\nCREATE INDEX i ON t_a1 (x);\n",
    )
    .unwrap();
    assert_has(
        &scratch.fails(),
        "migrations/schema/app.sql:2: unknown dialect 'oracle'",
    );
}

#[test]
fn a_set_that_does_not_target_sqlite_is_not_rehearsed_there() {
    let scratch = Scratch::new("scratch_postgres_only");
    scratch.write("a1_x.sql", good("a1", "None")).write(
        "b2_x.sql",
        revision(
            "b2",
            "a1",
            "ALTER TABLE t_a1 ALTER COLUMN x SET DEFAULT 1;",
            "",
        ),
    );
    assert_has(&scratch.fails(), "upgrade of b2 fails on sqlite");
    scratch.build_rs(
        "use quark_migrate::build::{Options, embed_migrations_with};\n\
         use quark_migrate::revision::Dialect;\n\
         fn main() {\n\
             let options = Options::default().dialects(&[Dialect::Postgresql]);\n\
             if let Err(e) = embed_migrations_with(\"migrations\", &options) { eprintln!(\"{e}\"); std::process::exit(1); }\n\
         }\n",
    );
    scratch.runs();
    let out = scratch.cargo_with("build", &[("QUARK_MIGRATE_CHECK", "details")]);
    assert_has(
        &String::from_utf8_lossy(&out.stderr),
        "quark-migrate: nothing rehearsed",
    );
}

#[test]
fn details_say_what_was_rehearsed_and_skipped() {
    let scratch = Scratch::new("scratch_details");
    scratch
        .write("a1_x.sql", good("a1", "None"))
        .write("b2_x.sql", good("b2", "a1"));
    let out = scratch.cargo_with("build", &[("QUARK_MIGRATE_CHECK", "details")]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_has(
        &stderr,
        "quark-migrate: rehearsed 2 revisions on SQLite in memory in ",
    );
    assert_has(&stderr, " s (2 downgrades round-tripped)");
    // Without asking, a good build says nothing.
    scratch.write("b2_x.sql", good("b2", "a1").replace("(x INT)", "(y INT)"));
    let out = scratch.cargo("build");
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("rehearsed"));
}

/// After an edit of the newest revision, the rehearsal starts from the database the build before
/// kept, with every other revision applied; an edit below it rehearses from there as before, and
/// a fault in the newest revision is still found.
#[test]
fn an_edit_of_the_newest_revision_starts_from_the_database_kept() {
    let scratch = Scratch::new("scratch_kept");
    for i in 1..=30 {
        let revises = if i == 1 {
            "None".to_string()
        } else {
            format!("r{:02}", i - 1)
        };
        scratch.write(
            &format!("r{i:02}_x.sql"),
            good(&format!("r{i:02}"), &revises),
        );
    }
    let details = [("QUARK_MIGRATE_CHECK", "details")];
    let said = |out: std::process::Output| {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        stderr
    };
    assert_has(
        &said(scratch.cargo_with("build", &details)),
        "rehearsed 30 revisions on SQLite in memory",
    );
    let newest = |upgrade: &str| revision("r30", "r29", upgrade, "DROP TABLE t_r30;");
    scratch.write("r30_x.sql", newest("CREATE TABLE t_r30 (x INT, y INT);"));
    let stderr = said(scratch.cargo_with("build", &details));
    assert_has(&stderr, "rehearsed 1 revisions on SQLite in memory");
    assert_has(
        &stderr,
        "started from the database an earlier build kept with 29 applied",
    );
    // What the kept database holds is what the newest revision runs on.
    scratch.write("r30_x.sql", newest("CREATE TABLE t_r29 (x INT);"));
    assert_has(
        &scratch.fails(),
        "migrations/r30_x.sql:7: upgrade of r30 fails on sqlite: table t_r29 already exists",
    );
    // An edit below the newest: the kept database is not what it needs.
    scratch.write("r30_x.sql", newest("CREATE TABLE t_r30 (x INT);"));
    scratch.write(
        "r20_x.sql",
        revision(
            "r20",
            "r19",
            "CREATE TABLE t_r20 (x INT, z INT);",
            "DROP TABLE t_r20;",
        ),
    );
    let stderr = said(scratch.cargo_with("build", &details));
    assert_has(&stderr, "rehearsed 11 revisions on SQLite in memory");
    assert!(!stderr.contains("kept with"), "{stderr}");
}

/// A checkpoint is embedded beside the revisions when it gives the schema they leave, and fails
/// the build naming its file and line when it does not.
#[test]
fn a_checkpoint_is_rehearsed_against_the_revisions_it_stands_for() {
    let checkpoint = |sql: &str| {
        format!(
            "-- the schema as of b2\n--\n-- Revision ID: cp\n-- Checkpoint Of: b2\n\n-- +upgrade sqlite\n{sql}\n"
        )
    };
    let scratch = Scratch::new("scratch_checkpoint");
    scratch
        .write("a1_x.sql", good("a1", "None"))
        .write("b2_x.sql", good("b2", "a1"))
        .write("c3_x.sql", good("c3", "b2"))
        .write(
            "cp_x.sql",
            checkpoint("CREATE TABLE t_a1 (x INT);\nCREATE TABLE t_b2 (x INT);"),
        );
    let out = scratch.cargo_with("run", &[("QUARK_MIGRATE_CHECK", "details")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_has(
        &stderr,
        "1 checkpoint(s) give the schema of the revisions they stand for",
    );
    assert_has(
        &String::from_utf8_lossy(&out.stdout),
        "migrations/cp_x.sql CREATE TABLE t_a1 (x INT);",
    );
    scratch.write("cp_x.sql", checkpoint("CREATE TABLE t_a1 (x INT);"));
    let stderr = scratch.fails();
    assert_has(
        &stderr,
        "migrations/cp_x.sql:4: checkpoint cp does not give the schema its 2 revisions up to b2 leave on sqlite",
    );
    assert_has(&stderr, "t_b2");
    scratch.write(
        "cp_x.sql",
        checkpoint("CREATE TABLE t_a1 (x INT);").replace("Of: b2", "Of: zz9"),
    );
    assert_has(
        &scratch.fails(),
        "migrations/cp_x.sql:4: 'Checkpoint Of:' names unknown revision 'zz9'",
    );
}

/// `QUARK_MIGRATE_CHECK_URL` rehearses on a real server too, in a scratch schema it drops.
#[test]
fn a_server_named_at_build_time_is_rehearsed_too() {
    let Some(server) = servers::TestDb::new(servers::Kind::Postgres) else {
        return;
    };
    let scratch = Scratch::with_build_features("scratch_live_postgres", "\"sqlite\", \"postgres\"");
    let b2 = |index: &str| {
        revision(
            "b2",
            "a1",
            &format!(
                "CREATE TABLE t_b (x INT);\n-- +postgresql\nCREATE INDEX ix_b ON t_b USING {index} (x);"
            ),
            "DROP TABLE t_b;",
        )
    };
    scratch
        .write("a1_x.sql", good("a1", "None"))
        .write("b2_x.sql", b2("nonsense"));
    // Unset, nothing is contacted: SQLite does not run the PostgreSQL-only statement.
    scratch.runs();
    let url = [("QUARK_MIGRATE_CHECK_URL", server.url.as_str())];
    let out = scratch.cargo_with("build", &url);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_has(
        &stderr,
        "migrations/b2_x.sql:9: upgrade of b2 fails on postgresql: ",
    );
    assert_has(&stderr, "access method \"nonsense\" does not exist");
    scratch.write("b2_x.sql", b2("btree"));
    let out = scratch.cargo_with("build", &[url[0], ("QUARK_MIGRATE_CHECK", "details")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_has(
        &stderr,
        &format!("rehearsed 2 revisions on {} in ", server.url),
    );
    assert_has(&stderr, " s (2 downgrades round-tripped)");
    // The scratch schemas are gone.
    assert_eq!(
        server.count(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE '%scratch%'"
        ),
        0
    );
}

/// A release built with `QUARK_MIGRATE_SIGNING_KEY` (a key as `openssl genpkey -algorithm
/// ed25519` writes it) embeds its signature of every revision's record on every dialect and
/// trusts the key; a file that is no such key fails the build, naming it.
#[test]
fn a_signing_key_signs_every_record_and_a_bad_key_fails_the_build() {
    use quark_migrate::remembered::{ReleaseKey, TrustedKey, Vouching};
    use quark_migrate::revision::Dialect;
    let scratch = Scratch::new("scratch_signed");
    scratch
        .write("a1_x.sql", good("a1", "None"))
        .write("b2_x.sql", good("b2", "a1"));
    let key = scratch.dir.path().join("release-key.pem");
    let made = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&key)
        .output()
        .expect("openssl, to make a key as the docs say");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    std::fs::write(
        scratch.dir.path().join("src/main.rs"),
        "static FILES: &[quark_migrate::EmbeddedFile] = quark_migrate::embed_migrations!();\n\
         fn main() { for f in FILES { let s = f.summary.unwrap(); println!(\"{} {:?} {:?}\", s.id(), [s.signature(0), s.signature(1), s.signature(2)], s.chain.trusted_keys); } }\n",
    )
    .unwrap();
    let out = scratch.cargo_with(
        "run",
        &[("QUARK_MIGRATE_SIGNING_KEY", key.to_str().unwrap())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let release = ReleaseKey::from_pem_file(&key).unwrap();
    let map = quark_migrate::source::build_map(
        &quark_migrate::source::read_dir(&scratch.dir.path().join("migrations"), "migrations")
            .unwrap(),
    )
    .unwrap();
    let expected = Vouching::signed(&map, &release, &Dialect::ALL);
    for (line, rev) in printed.lines().zip(map.iter()) {
        for dialect in Dialect::ALL {
            let signature = expected.record(rev, dialect).signature.unwrap();
            assert!(line.contains(&format!("{signature:?}")), "{line}");
        }
        assert!(
            line.contains(&release.public().to_hex()),
            "the key trusted: {line}"
        );
        assert!(TrustedKey::from_hex(&release.public().to_hex()).is_some());
    }
    assert_eq!(printed.lines().count(), 2);
    std::fs::write(&key, "not a key").unwrap();
    let out = scratch.cargo_with(
        "build",
        &[("QUARK_MIGRATE_SIGNING_KEY", key.to_str().unwrap())],
    );
    assert!(!out.status.success());
    assert_has(
        &String::from_utf8_lossy(&out.stderr),
        "release-key.pem: not an Ed25519 private key in PKCS#8 PEM",
    );
}
