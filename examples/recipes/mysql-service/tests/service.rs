//! The recipe's service migrates a pooled MariaDB/MySQL connection on start (under CI the server
//! must be there; locally a printed skip).

#[path = "../../../../crates/quark-migrate/tests/support/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::process::Command;

#[test]
fn migrates_a_pooled_connection_on_start() {
    let Some(db) = servers::TestDb::new(servers::Kind::Mysql) else {
        return;
    };
    for _ in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_mysql-service"))
            .arg(&db.url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "at c10000000001"
        );
    }
    assert_eq!(db.count("SELECT count(*) FROM visits"), 2);
}
