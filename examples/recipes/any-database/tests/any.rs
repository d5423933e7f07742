//! The recipe's program migrates SQLite, PostgreSQL and MariaDB by URL alone (servers under the
//! rules of the engine's tests/support).

#[path = "../../../../crates/quark-migrate/tests/support/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::process::Command;

fn migrate(url: &str) -> Vec<String> {
    (0..2)
        .map(|_| {
            let out = Command::new(env!("CARGO_BIN_EXE_any-database"))
                .arg(url)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        })
        .collect()
}

#[test]
fn migrates_whatever_the_url_names() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite:///{}", dir.path().join("notes.db").display());
    let mut urls = vec![sqlite];
    let servers: Vec<servers::TestDb> = [servers::Kind::Postgres, servers::Kind::Mysql]
        .into_iter()
        .filter_map(servers::TestDb::new)
        .collect();
    urls.extend(servers.iter().map(|s| s.url.clone()));
    for url in &urls {
        assert_eq!(
            migrate(url),
            ["at d10000000001 (1 applied)", "at d10000000001 (0 applied)"],
            "{url}"
        );
    }
}
