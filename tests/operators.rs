//! Operators coming from the Python quark-db-manage: its command lines and oslo-style
//! configuration files work unchanged, quark keeps its revisions in a table of its own beside
//! Neutron's, and completions name quark's binary (SQLite, through the real binary).

use std::path::PathBuf;
use std::process::{Command, Output};

use rusqlite::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_quark-db-manage");
const HEAD: &str = "c07cd8303997";
const FIRST: &str = "1817eef6373c";
const SECOND: &str = "4358d1b8cc75";
/// The id of Neutron's revision in upstream's README recipe.
const NEUTRON: &str = "1f71e54a85e7";

/// A directory standing in for a machine: a SQLite database, config files, and `HOME`.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        Site {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn url(&self) -> String {
        format!("sqlite:///{}", self.path("quark.db").display())
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// A neutron.conf naming this site's database in `section` under `key`.
    fn conf(&self, name: &str, section: &str, key: &str) -> String {
        self.write(name, &format!("[{section}]\n{key} = {}\n", self.url()))
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("QUARK_DB_MANAGE_VERSION_TABLE");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?} failed:\n{}", text(&out));
        text(&out)
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} should fail:\n{}",
            text(&out)
        );
        text(&out)
    }

    fn db(&self) -> Connection {
        Connection::open(self.path("quark.db")).unwrap()
    }

    fn rows(&self, table: &str) -> Vec<String> {
        let db = self.db();
        let mut st = db
            .prepare(&format!(
                "SELECT version_num FROM {table} ORDER BY version_num"
            ))
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn has_table(&self, table: &str) -> bool {
        self.db()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            == 1
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn upstream_config_spellings_work() {
    for (section, key) in [
        ("DATABASE", "connection"),
        ("Database", "connection"),
        ("database", "sql_connection"),
        ("DEFAULT", "sql_connection"),
    ] {
        let site = Site::new();
        let conf = site.conf("neutron.conf", section, key);
        site.ok(&["--config-file", &conf, "upgrade", SECOND]);
        let current = site.ok(&["--config-file", &conf, "-v", "current"]);
        assert!(
            current.contains(&format!("Rev: {SECOND}")),
            "[{section}] {key}: {current}"
        );
    }
}

#[test]
fn a_neutron_conf_with_continuation_lines_and_quotes_reads_as_oslo_reads_it() {
    let site = Site::new();
    // Multi-line values elsewhere in the file (an indented line continues the value above it,
    // even one that looks like an option), `key: value`, and a quoted URL.
    let conf = site.write(
        "neutron.conf",
        &format!(
            "[DEFAULT]\nservice_plugins = quark.plugin.Plugin,\n    neutron.services.l3_router\n  connection = sqlite:///not-this.db\n\n[database]\nmax_pool_size: 10\nconnection = \"{}\"\n",
            site.url()
        ),
    );
    site.ok(&["--config-file", &conf, "upgrade", SECOND]);
    assert_eq!(site.rows("alembic_version"), [SECOND]);
    assert!(!site.path("not-this.db").exists());
    // A continuation line with nothing to continue is refused as oslo refuses it.
    let bad = site.write("bad.conf", "[database]\n# a comment\n    connection = x\n");
    let said = site.fails(&["--config-file", &bad, "current"]);
    assert!(
        said.contains(&format!("{bad}:3: Unexpected continuation line")),
        "{said}"
    );
}

#[test]
fn upstream_mysql_engine_reaches_mysql_scripts() {
    let site = Site::new();
    let range = format!("{FIRST}:{SECOND}");
    // Upstream's spelling, after the subcommand.
    let script = site.ok(&[
        "--database-engine",
        "mysql",
        "upgrade",
        &range,
        "--sql",
        "--mysql-engine",
        "MyISAM",
    ]);
    assert!(
        script.contains("SET default_storage_engine = 'MyISAM';"),
        "{script}"
    );
    // `mysql_engine` under [database], which the flag overrides.
    let conf = site.write(
        "engine.conf",
        "[database]\nengine = mysql\nmysql_engine = Aria\n",
    );
    let script = site.ok(&["--config-file", &conf, "upgrade", &range, "--sql"]);
    assert!(
        script.contains("SET default_storage_engine = 'Aria';"),
        "{script}"
    );
    let script = site.ok(&[
        "--config-file",
        &conf,
        "--mysql-engine",
        "InnoDB",
        "upgrade",
        &range,
        "--sql",
    ]);
    assert!(
        script.contains("SET default_storage_engine = 'InnoDB';"),
        "{script}"
    );
    // Other dialects carry nothing of it; a name that is no engine's is refused.
    let script = site.ok(&[
        "--database-engine",
        "postgresql",
        "--mysql-engine",
        "MyISAM",
        "upgrade",
        &range,
        "--sql",
    ]);
    assert!(!script.contains("storage_engine"), "{script}");
    let said = site.fails(&[
        "--database-engine",
        "mysql",
        "--mysql-engine",
        "InnoDB;x",
        "upgrade",
        &range,
        "--sql",
    ]);
    assert!(
        said.contains("'InnoDB;x' is not a MySQL storage engine's name"),
        "{said}"
    );
}

#[test]
fn repeated_config_files_and_config_dirs_later_wins() {
    let site = Site::new();
    let neutron = site.write(
        "etc/neutron.conf",
        "[database]\nconnection = sqlite:////nonexistent/dir/wrong.db\n",
    );
    let ml2 = site.conf("etc/ml2_conf.ini", "database", "connection");
    // Neutron's usual pair: the plugin file overrides the main one.
    site.ok(&[
        "--config-file",
        &neutron,
        "--config-file",
        &ml2,
        "upgrade",
        FIRST,
    ]);
    assert_eq!(site.rows("alembic_version"), [FIRST]);
    // A plugin file without [database] leaves the main file's connection alone.
    let plugin = site.write("etc/plugin.ini", "[ml2]\ntype_drivers = vlan\n");
    site.ok(&["--config-file", &ml2, "--config-file", &plugin, "current"]);
    // A directory's *.conf files come after the files, in name order.
    site.write(
        "etc/conf.d/10-wrong.conf",
        "[database]\nconnection = sqlite:////nonexistent/x.db\n",
    );
    site.conf("etc/conf.d/20-right.conf", "database", "connection");
    let dir = site.path("etc/conf.d").display().to_string();
    site.ok(&[
        "--config-file",
        &neutron,
        "--config-dir",
        &dir,
        "upgrade",
        SECOND,
    ]);
    assert_eq!(site.rows("alembic_version"), [SECOND]);
}

#[test]
fn the_default_config_file_is_found_as_oslo_finds_it() {
    let site = Site::new();
    site.conf("quark-db-manage.conf", "database", "connection");
    site.ok(&["upgrade", FIRST]);
    assert_eq!(site.rows("alembic_version"), [FIRST]);
    // Named files replace the default one, as oslo.config does.
    let other = site.write("other.conf", "[DEFAULT]\nverbose = true\n");
    let e = site.fails(&["--config-file", &other, "current"]);
    assert!(e.contains("has no 'connection' setting"), "{e}");
}

#[test]
fn precedence_flag_then_files_then_environment() {
    let site = Site::new();
    let conf = site.write(
        "n.conf",
        "[database]\nconnection = sqlite:////nonexistent/dir/x.db\n",
    );
    site.ok(&[
        "--config-file",
        &conf,
        "--database-connection",
        &site.url(),
        "upgrade",
        FIRST,
    ]);
    let out = site
        .command(&["--config-file", &conf, "current"])
        .env("DATABASE_URL", site.url())
        .output()
        .unwrap();
    assert!(
        text(&out).contains("/nonexistent/dir/x.db"),
        "the file wins over DATABASE_URL: {}",
        text(&out)
    );
}

#[test]
fn a_malformed_config_file_names_the_file_and_line() {
    let site = Site::new();
    let conf = site.write("bad.conf", "# neutron\n\n[database\nconnection = x\n");
    let e = site.fails(&["--config-file", &conf, "current"]);
    assert!(e.contains(&format!("{conf}:3: ")), "{e}");
    let early = site.write("early.conf", "connection = sqlite://\n[database]\n");
    let e = site.fails(&["--config-file", &early, "current"]);
    assert!(
        e.contains(&format!(
            "{early}:1: Section must be started before assignment"
        )),
        "{e}"
    );
}

#[test]
fn upstream_delta_and_database_engine() {
    let site = Site::new();
    let url = site.url();
    site.ok(&["--database-connection", &url, "upgrade", "--delta", "1"]);
    assert_eq!(site.rows("alembic_version"), [FIRST]);
    site.ok(&[
        "--database-connection",
        &url,
        "upgrade",
        FIRST,
        "--delta",
        "2",
    ]);
    assert_eq!(site.rows("alembic_version"), ["1284c81cf727"]);
    site.ok(&["--database-connection", &url, "downgrade", "--delta", "1"]);
    assert_eq!(site.rows("alembic_version"), [SECOND]);
    let both = site.fails(&[
        "--database-connection",
        &url,
        "upgrade",
        "+1",
        "--delta",
        "1",
    ]);
    assert!(
        both.contains("use either --delta or a relative target"),
        "{both}"
    );
    let script = site.ok(&[
        "--database-engine",
        "postgresql",
        "upgrade",
        &format!("{FIRST}:{SECOND}"),
        "--sql",
    ]);
    assert!(
        script.contains("(postgresql), written by quark-db-manage"),
        "{script}"
    );
    let conf = site.write("engine.conf", "[database]\nengine = mysql\n");
    let script = site.ok(&[
        "--config-file",
        &conf,
        "upgrade",
        &format!("{FIRST}:{SECOND}"),
        "--sql",
    ]);
    assert!(
        script.contains("(mysql), written by quark-db-manage"),
        "{script}"
    );
    let help = site.ok(&["--help"]);
    for alias in [
        "--database-engine",
        "--config-dir",
        "--config-file",
        "QUARK_DB_MANAGE_VERSION_TABLE",
    ] {
        assert!(help.contains(alias), "--help lists {alias}:\n{help}");
    }
}

#[test]
fn the_version_table_is_chosen_once_in_config_or_environment() {
    let site = Site::new();
    let conf = site.write(
        "n.conf",
        &format!(
            "[database]\nconnection = {}\nversion_table = quark_alembic_version\n",
            site.url()
        ),
    );
    site.ok(&["--config-file", &conf, "upgrade", FIRST]);
    assert_eq!(site.rows("quark_alembic_version"), [FIRST]);
    assert!(!site.has_table("alembic_version"));
    let out = site
        .command(&["--database-connection", &site.url(), "upgrade", SECOND])
        .env("QUARK_DB_MANAGE_VERSION_TABLE", "quark_alembic_version")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(site.rows("quark_alembic_version"), [SECOND]);
    // The flag wins over both.
    site.ok(&[
        "--config-file",
        &conf,
        "--version-table",
        "other_version",
        "stamp",
        FIRST,
    ]);
    assert_eq!(site.rows("other_version"), [FIRST]);
}

/// A database the README's recipe left: quark's tables, and quark's revision in the table it
/// shares with Neutron.
fn shared_site(neutron_row: bool, primary_key: bool) -> Site {
    let site = Site::new();
    site.ok(&["--database-connection", &site.url(), "upgrade", SECOND]);
    let db = site.db();
    db.execute_batch("DROP TABLE alembic_version_history; DROP TABLE alembic_version;")
        .unwrap();
    let key = if primary_key {
        ", CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)"
    } else {
        ""
    };
    db.execute_batch(&format!(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL{key}); INSERT INTO alembic_version VALUES ('{SECOND}');"
    ))
    .unwrap();
    if neutron_row {
        db.execute("INSERT INTO alembic_version VALUES (?1)", [NEUTRON])
            .unwrap();
    }
    site
}

#[test]
fn quark_revisions_in_neutrons_table_are_named_with_the_command_that_moves_them() {
    let site = shared_site(false, true);
    let own = [
        "--database-connection",
        &site.url(),
        "--version-table",
        "quark_alembic_version",
    ];
    for command in ["current", "upgrade"] {
        let e = site.fails(&[&own[..], &[command]].concat());
        assert!(
            e.contains(&format!(
                "alembic_version holds revision {SECOND} of this tool"
            )) && e.contains("split-version-table --from alembic_version"),
            "{e}"
        );
    }
    assert_eq!(site.rows("alembic_version"), [SECOND], "nothing changed");
}

#[test]
fn split_moves_quarks_rows_and_puts_neutrons_back() {
    for primary_key in [true, false] {
        // The recipe overwrote Neutron's row: put it back.
        let site = shared_site(false, primary_key);
        let own = [
            "--database-connection",
            &site.url(),
            "--version-table",
            "quark_alembic_version",
        ];
        let dry = site.ok(&[
            &own[..],
            &["split-version-table", "--restore", NEUTRON, "--dry-run"],
        ]
        .concat());
        assert!(
            dry.contains(&format!(
                "would move {SECOND} from alembic_version to quark_alembic_version"
            )),
            "{dry}"
        );
        assert!(dry.contains("Nothing was changed."), "{dry}");
        assert_eq!(site.rows("alembic_version"), [SECOND]);
        assert!(!site.has_table("quark_alembic_version"));
        let done = site.ok(&[&own[..], &["split-version-table", "--restore", NEUTRON]].concat());
        assert!(
            done.contains(&format!("{NEUTRON} are put back in alembic_version")),
            "{done}"
        );
        assert_eq!(site.rows("alembic_version"), [NEUTRON]);
        assert_eq!(site.rows("quark_alembic_version"), [SECOND]);
        site.ok(&[&own[..], &["upgrade", "head"]].concat());
        assert_eq!(site.rows("quark_alembic_version"), [HEAD]);
        assert_eq!(
            site.rows("alembic_version"),
            [NEUTRON],
            "Neutron's row untouched"
        );
        // Done once: quark's table holds its revisions now, and the shared one none of ours.
        let again = site.fails(&[&own[..], &["split-version-table"]].concat());
        assert!(
            again.contains("alembic_version holds no revision of this tool"),
            "{again}"
        );
    }
    // Neutron's row still there beside quark's: it stays, byte for byte.
    let site = shared_site(true, false);
    let own = [
        "--database-connection",
        &site.url(),
        "--version-table",
        "quark_alembic_version",
    ];
    site.ok(&[&own[..], &["split-version-table"]].concat());
    assert_eq!(site.rows("alembic_version"), [NEUTRON]);
    assert_eq!(site.rows("quark_alembic_version"), [SECOND]);
}

#[test]
fn split_refuses_when_quarks_table_already_has_revisions() {
    let site = shared_site(true, true);
    let db = site.db();
    db.execute_batch(&format!(
        "CREATE TABLE quark_alembic_version (version_num VARCHAR(32) NOT NULL); INSERT INTO quark_alembic_version VALUES ('{FIRST}');"
    ))
    .unwrap();
    let own = [
        "--database-connection",
        &site.url(),
        "--version-table",
        "quark_alembic_version",
    ];
    let e = site.fails(&[&own[..], &["split-version-table"]].concat());
    assert!(
        e.contains(&format!("quark_alembic_version already holds {FIRST}")),
        "{e}"
    );
    assert_eq!(site.rows("alembic_version"), [NEUTRON, SECOND]);
    let e = site.fails(
        &[
            &own[..],
            &["split-version-table", "--from", "quark_alembic_version"],
        ]
        .concat(),
    );
    assert!(
        e.contains("would move from quark_alembic_version to itself"),
        "{e}"
    );
}

#[test]
fn completions_for_the_shells() {
    let site = Site::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = site.ok(&["completions", shell]);
        assert!(
            script.contains("split-version-table") && script.contains("config-dir"),
            "{shell}: {script}"
        );
        // Completions for the program by its own name, not the engine's.
        assert!(script.contains("quark-db-manage") && !script.contains("quark-migrate"));
    }
}
