//! The recipe's appliance migrates its file on its first start and finds it at head after.

use std::process::Command;

#[test]
fn migrates_on_start_then_works_on_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("appliance.db");
    for n in 1..=2 {
        let out = Command::new(env!("CARGO_BIN_EXE_sqlite-appliance"))
            .arg(&db)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{n} readings")
        );
    }
}
