//! The files the engine writes beside a SQLite database, where whoever may write that directory
//! may have planted links: backups, their temporary file, restore's staging file, the file a
//! restore replaces, and the migration lock file. Each attack is run, and the file the link
//! points at (outside the directory) is shown unchanged; `restore` is shown to refuse what is no
//! sound database of this application and a database in use, to keep what it replaces, and to
//! work on the real file however its path is spelled.

#![cfg(unix)]

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::Duration;

use quark_migrate::backend::{
    self, BackendError, ConnectOptions, DatabaseUrl, NotRestorable, SqliteFileError,
};
use quark_migrate::revision::RevisionMap;
use quark_migrate::{Error, Migrations, source};

/// Two revisions: `a1` reversible, `b2` not, so that upgrading past `a1` backs the file up.
fn chain() -> (tempfile::TempDir, RevisionMap) {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    let revisions = [
        (
            "a1",
            "None",
            "CREATE TABLE t_a (x INT);\n-- +downgrade\nDROP TABLE t_a;",
        ),
        ("b2", "a1", "CREATE TABLE t_b (x INT);"),
    ];
    for (id, revises, body) in revisions {
        std::fs::write(
            migrations.join(format!("{id}_x.sql")),
            format!(
                "-- revision {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- +upgrade\n{body}\n"
            ),
        )
        .unwrap();
    }
    let map = source::build_map(&source::read_dir(&migrations, "migrations").unwrap()).unwrap();
    (dir, map)
}

/// A database directory, a chain, and the migrations with a short lock timeout.
struct Setup {
    dir: tempfile::TempDir,
    _chain: tempfile::TempDir,
    migrations: Migrations,
}

impl Setup {
    fn new() -> Setup {
        let (chain_dir, map) = chain();
        Setup {
            dir: tempfile::tempdir().unwrap(),
            _chain: chain_dir,
            migrations: Migrations::from_map(map).lock_timeout(Duration::from_millis(300)),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("t.db")
    }

    fn url(&self) -> String {
        url_of(&self.db())
    }

    fn upgrade(&self, url: &str, target: &str) -> Result<(), Error> {
        let mut db = self.migrations.connect(url)?;
        self.migrations
            .migrator()?
            .upgrade(db.as_mut(), &target.parse().unwrap())?;
        Ok(())
    }

    /// The database at `a1`, then at head with a backup of the file at `a1`: that file's bytes.
    fn backed_up(&self) -> Vec<u8> {
        self.upgrade(&self.url(), "a1").unwrap();
        let before = std::fs::read(self.db()).unwrap();
        self.upgrade(&self.url(), "head").unwrap();
        assert_eq!(backend::backups(&self.db()).unwrap().len(), 1);
        before
    }

    fn listing(&self) -> Vec<String> {
        listing(self.dir.path())
    }
}

fn url_of(db: &Path) -> String {
    format!("sqlite:///{}", db.display())
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A file outside the database's directory that a planted link points at.
struct Victim {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

const VICTIM_BYTES: &[u8] = b"root:x:0:0:the file an attacker wants overwritten\n";

fn victim() -> Victim {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("victim");
    std::fs::write(&path, VICTIM_BYTES).unwrap();
    Victim { _dir: dir, path }
}

fn file_error(err: &Error) -> Option<&SqliteFileError> {
    match err {
        Error::Backend(BackendError::File(e)) => Some(e),
        _ => None,
    }
}

fn not_restorable(err: &Error) -> &NotRestorable {
    match file_error(err) {
        Some(SqliteFileError::NotRestorable { problem, .. }) => problem,
        _ => panic!("not refused as not restorable: {err}"),
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().mode() & 0o777
}

#[test]
fn a_link_at_the_old_backup_temporary_name_is_not_written_through() {
    let s = Setup::new();
    let victim = victim();
    s.upgrade(&s.url(), "a1").unwrap();
    let before = std::fs::read(s.db()).unwrap();
    let planted = s.dir.path().join("t.db.partial-backup");
    symlink(&victim.path, &planted).unwrap();

    s.upgrade(&s.url(), "head").unwrap();
    assert_eq!(std::fs::read(&victim.path).unwrap(), VICTIM_BYTES);
    assert!(planted.symlink_metadata().unwrap().file_type().is_symlink());
    let backups = backend::backups(&s.db()).unwrap();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read(&backups[0]).unwrap(), before);
    // No temporary file left behind.
    assert!(
        !s.listing().iter().any(|n| n.starts_with(".t.db.")),
        "{:?}",
        s.listing()
    );
}

#[test]
fn a_link_or_a_foreign_file_at_the_lock_file_is_refused_and_nothing_is_written_through_it() {
    let s = Setup::new();
    let victim = victim();
    let lock = s.dir.path().join("t.db.lock");

    // A link to an existing file: refused, naming the path; the file unchanged.
    symlink(&victim.path, &lock).unwrap();
    let err = s.upgrade(&s.url(), "head").unwrap_err();
    assert!(
        matches!(file_error(&err), Some(SqliteFileError::Unsafe { path, .. }) if path.ends_with("t.db.lock")),
        "{err}"
    );
    let said = err.to_string();
    assert!(
        said.contains(&lock.display().to_string()) && said.contains("symbolic link"),
        "{said}"
    );
    assert_eq!(std::fs::read(&victim.path).unwrap(), VICTIM_BYTES);

    // A link to nothing: refused; nothing is created where it points.
    std::fs::remove_file(&lock).unwrap();
    let created = victim.path.with_file_name("created.lock");
    symlink(&created, &lock).unwrap();
    let err = s.upgrade(&s.url(), "head").unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert!(!created.exists(), "a file was created through the link");

    // restore takes the same lock file, and refuses it the same way.
    let err = s
        .migrations
        .restore_backup(&s.url(), Some(&victim.path))
        .unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read(&victim.path).unwrap(), VICTIM_BYTES);

    // A hard link to a file elsewhere on the same file system, and a FIFO: refused too.
    std::fs::remove_file(&lock).unwrap();
    if std::fs::hard_link(&victim.path, &lock).is_ok() {
        let err = s.upgrade(&s.url(), "head").unwrap_err();
        assert!(err.to_string().contains("hard links"), "{err}");
        assert_eq!(std::fs::read(&victim.path).unwrap(), VICTIM_BYTES);
        std::fs::remove_file(&lock).unwrap();
    }
    let fifo = std::process::Command::new("mkfifo").arg(&lock).status();
    if fifo.is_ok_and(|status| status.success()) {
        let err = s.upgrade(&s.url(), "head").unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        std::fs::remove_file(&lock).unwrap();
    }

    // Once removed, the lock file is created anew, a regular file.
    s.upgrade(&s.url(), "head").unwrap();
    assert!(lock.symlink_metadata().unwrap().is_file());
}

#[test]
fn a_link_at_the_old_staging_name_is_not_written_through() {
    let s = Setup::new();
    let victim = victim();
    let before = s.backed_up();
    let planted = s.dir.path().join("t.db.restoring");
    symlink(&victim.path, &planted).unwrap();

    let restored = s.migrations.restore_backup(&s.url(), None).unwrap();
    assert_eq!(std::fs::read(&victim.path).unwrap(), VICTIM_BYTES);
    assert_eq!(std::fs::read(s.db()).unwrap(), before);
    assert!(planted.symlink_metadata().unwrap().file_type().is_symlink());
    assert!(restored.kept.is_some());
    assert!(
        !s.listing().iter().any(|n| n.starts_with(".t.db.")),
        "{:?}",
        s.listing()
    );
}

#[test]
fn a_backup_found_beside_the_database_is_not_read_through_a_link() {
    let s = Setup::new();
    s.backed_up();
    let now = std::fs::read(s.db()).unwrap();
    // Sorted after the real backup, so taken as the newest.
    let planted = s.dir.path().join("t.db.backup.99999999T999999.999Z.x");
    let elsewhere = tempfile::tempdir().unwrap();
    let other = elsewhere.path().join("other.db");
    std::fs::copy(s.db(), &other).unwrap();
    symlink(&other, &planted).unwrap();

    let err = s.migrations.restore_backup(&s.url(), None).unwrap_err();
    assert!(
        matches!(file_error(&err), Some(SqliteFileError::Unsafe { .. })),
        "{err}"
    );
    assert_eq!(std::fs::read(s.db()).unwrap(), now);
}

/// What a refusal is expected to say.
type Expected = fn(&NotRestorable) -> bool;

#[test]
fn restore_refuses_what_is_not_a_sound_database_of_this_application() {
    let s = Setup::new();
    s.backed_up();
    let now = std::fs::read(s.db()).unwrap();
    let listed = s.listing();
    let sources = tempfile::tempdir().unwrap();

    // A text file.
    let text = sources.path().join("notes.txt");
    std::fs::write(&text, "not a database at all\n".repeat(100)).unwrap();
    // An empty file.
    let empty = sources.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    // A SQLite file whose pages are damaged after its header.
    let damaged = sources.path().join("damaged.db");
    {
        let conn = rusqlite::Connection::open(&damaged).unwrap();
        conn.execute_batch(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
             INSERT INTO alembic_version VALUES ('b2');
             CREATE TABLE filler (x TEXT);
             CREATE INDEX filler_x ON filler (x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO filler SELECT printf('%0100d', i) FROM n;",
        )
        .unwrap();
    }
    let mut bytes = std::fs::read(&damaged).unwrap();
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    for b in &mut bytes[page * 3..page * 6] {
        *b = 0xA5;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    // Another application's database: no version table.
    let foreign = sources.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)")
        .unwrap();
    // A version table at a revision this binary does not know.
    let unknown = sources.path().join("unknown.db");
    rusqlite::Connection::open(&unknown)
        .unwrap()
        .execute_batch(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
             INSERT INTO alembic_version VALUES ('ffffffff0001');",
        )
        .unwrap();

    let cases: [(&Path, Expected); 5] = [
        (&text, |p| matches!(p, NotRestorable::NotSqlite)),
        (&empty, |p| matches!(p, NotRestorable::NotSqlite)),
        (&damaged, |p| matches!(p, NotRestorable::Damaged(_))),
        (
            &foreign,
            |p| matches!(p, NotRestorable::NoVersionTable { table } if table == "alembic_version"),
        ),
        (
            &unknown,
            |p| matches!(p, NotRestorable::UnknownRevisions { revisions, .. } if revisions == &["ffffffff0001"]),
        ),
    ];
    for (from, expected) in cases {
        let err = s
            .migrations
            .restore_backup(&s.url(), Some(from))
            .unwrap_err();
        assert!(expected(not_restorable(&err)), "{}: {err}", from.display());
        let said = err.to_string();
        assert!(
            said.contains(&from.display().to_string()) && said.contains("nothing was replaced"),
            "{said}"
        );
        assert_eq!(std::fs::read(s.db()).unwrap(), now, "{}", from.display());
        assert_eq!(s.listing(), listed, "{}", from.display());
    }
}

#[test]
fn restore_keeps_the_file_it_replaces() {
    let s = Setup::new();
    let before = s.backed_up();
    let replaced = std::fs::read(s.db()).unwrap();

    let restored = s.migrations.restore_backup(&s.url(), None).unwrap();
    assert_eq!(std::fs::read(s.db()).unwrap(), before);
    let kept = restored.kept.expect("the replaced file is kept");
    let name = kept.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("t.db.before-restore."), "{name}");
    assert_eq!(kept.parent().unwrap(), s.dir.path().canonicalize().unwrap());
    assert_eq!(std::fs::read(&kept).unwrap(), replaced);
    // It is no backup that a later run prunes or `restore` takes.
    assert_eq!(backend::backups(&s.db()).unwrap().len(), 1);
    // The database works from the restored file.
    s.upgrade(&s.url(), "head").unwrap();
}

#[test]
fn restore_through_a_symlinked_database_path_replaces_the_real_file_and_keeps_the_link() {
    let s = Setup::new();
    let real = s.db();
    let elsewhere = tempfile::tempdir().unwrap();
    let link = elsewhere.path().join("link.db");
    symlink(&real, &link).unwrap();
    let url = url_of(&link);
    s.upgrade(&url, "a1").unwrap();
    let before = std::fs::read(&real).unwrap();
    s.upgrade(&url, "head").unwrap();
    // Backups and the lock file are the real file's, beside it.
    assert_eq!(backend::backups(&link).unwrap().len(), 1);
    assert!(s.dir.path().join("t.db.lock").is_file());
    assert!(!elsewhere.path().join("link.db.lock").exists());

    let restored = s.migrations.restore_backup(&url, None).unwrap();
    assert_eq!(restored.database, real.canonicalize().unwrap());
    let meta = link.symlink_metadata().unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(std::fs::read_link(&link).unwrap(), real);
    assert_eq!(std::fs::read(&real).unwrap(), before);
    assert_eq!(listing(elsewhere.path()), ["link.db"]);
}

#[test]
fn two_spellings_of_one_path_take_one_lock_file() {
    let s = Setup::new();
    let sub = s.dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let db = sub.join("x.db");
    let one = sub.join(".").join("x.db");
    let other = sub.join("..").join("sub").join("x.db");
    s.upgrade(&url_of(&db), "a1").unwrap();
    s.upgrade(&url_of(&db), "head").unwrap();

    let open = |path: &Path| {
        let url = DatabaseUrl::parse(&url_of(path)).unwrap();
        backend::connect(&url, &ConnectOptions::default()).unwrap()
    };
    let mut holder = open(&one);
    holder
        .try_lock("alembic_version")
        .map(|taken| assert!(taken, "the migration lock is free"))
        .unwrap();
    let mut second = open(&other);
    assert!(
        !second.try_lock("alembic_version").unwrap(),
        "one lock file for both spellings"
    );
    let err = s
        .migrations
        .restore_backup(&url_of(&other), None)
        .unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    holder.unlock().unwrap();
    let locks: Vec<String> = listing(&sub)
        .into_iter()
        .filter(|n| n.ends_with(".lock"))
        .collect();
    assert_eq!(locks, ["x.db.lock"]);
    s.migrations.restore_backup(&url_of(&other), None).unwrap();
}

#[test]
fn restore_is_refused_while_another_connection_holds_the_database() {
    let s = Setup::new();
    s.backed_up();

    // A transaction open, reading or writing.
    for statements in [
        "BEGIN; SELECT count(*) FROM t_a;",
        "BEGIN IMMEDIATE; INSERT INTO t_a VALUES (1);",
    ] {
        let app = rusqlite::Connection::open(s.db()).unwrap();
        app.execute_batch(statements).unwrap();
        let now = std::fs::read(s.db()).unwrap();
        let err = s.migrations.restore_backup(&s.url(), None).unwrap_err();
        assert!(
            matches!(file_error(&err), Some(SqliteFileError::InUse { .. })),
            "{statements}: {err}"
        );
        assert!(err.to_string().contains("in use"), "{err}");
        assert_eq!(std::fs::read(s.db()).unwrap(), now);
        // The application's transaction is untouched.
        app.execute_batch("ROLLBACK").unwrap();
    }

    // In WAL mode, a connection that merely has the database open.
    let app = rusqlite::Connection::open(s.db()).unwrap();
    let mode: String = app
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    app.execute_batch("INSERT INTO t_a VALUES (7)").unwrap();
    let err = s.migrations.restore_backup(&s.url(), None).unwrap_err();
    assert!(
        matches!(file_error(&err), Some(SqliteFileError::InUse { .. })),
        "{err}"
    );
    let n: i64 = app
        .query_row("SELECT count(*) FROM t_a", [], |row| row.get(0))
        .unwrap();
    assert_eq!(n, 1);
    drop(app);

    // Once it is closed, the restore goes ahead.
    s.migrations.restore_backup(&s.url(), None).unwrap();
}

#[test]
fn a_wal_database_is_restored_whole_and_its_log_folded_into_the_kept_file() {
    let s = Setup::new();
    let before = s.backed_up();
    {
        let app = rusqlite::Connection::open(s.db()).unwrap();
        app.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; INSERT INTO t_a VALUES (7);",
        )
        .unwrap();
    }
    let restored = s.migrations.restore_backup(&s.url(), None).unwrap();
    assert_eq!(std::fs::read(s.db()).unwrap(), before);
    for suffix in ["-wal", "-shm", "-journal"] {
        assert!(
            !s.dir.path().join(format!("t.db{suffix}")).exists(),
            "{suffix}"
        );
    }
    let kept = rusqlite::Connection::open(restored.kept.unwrap()).unwrap();
    let n: i64 = kept
        .query_row("SELECT count(*) FROM t_a", [], |row| row.get(0))
        .unwrap();
    assert_eq!(n, 1, "the row in the write-ahead log is in the kept file");
    let n: i64 = rusqlite::Connection::open(s.db())
        .unwrap()
        .query_row("SELECT count(*) FROM t_a", [], |row| row.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn backups_restored_and_kept_files_and_the_lock_file_get_the_database_files_mode() {
    for wanted in [0o600, 0o640] {
        let s = Setup::new();
        // The database file exists, with its mode, before anything runs.
        std::fs::write(s.db(), b"").unwrap();
        std::fs::set_permissions(s.db(), std::fs::Permissions::from_mode(wanted)).unwrap();
        s.upgrade(&s.url(), "a1").unwrap();
        assert_eq!(mode(&s.dir.path().join("t.db.lock")), wanted);
        s.upgrade(&s.url(), "head").unwrap();
        let backup = backend::backups(&s.db()).unwrap().pop().unwrap();
        assert_eq!(mode(&backup), wanted, "{}", backup.display());

        // The backup loosened: the staged file takes the database file's mode, not the backup's.
        std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o644)).unwrap();
        let restored = s.migrations.restore_backup(&s.url(), None).unwrap();
        assert_eq!(mode(&s.db()), wanted);
        assert_eq!(mode(&restored.kept.unwrap()), wanted);
    }
}

#[test]
fn as_root_every_file_gets_the_database_files_owner() {
    let s = Setup::new();
    let probe = s.dir.path().join("probe");
    std::fs::write(&probe, b"").unwrap();
    let root = std::fs::metadata(&probe).unwrap().uid() == 0;
    std::fs::remove_file(&probe).unwrap();
    if !root {
        eprintln!("not root: files keep this user as their owner");
        return;
    }
    let (uid, gid) = (4242, 4343);
    std::fs::write(s.db(), b"").unwrap();
    std::os::unix::fs::chown(s.db(), Some(uid), Some(gid)).unwrap();
    s.upgrade(&s.url(), "a1").unwrap();
    s.upgrade(&s.url(), "head").unwrap();
    let owner = |path: &Path| {
        let meta = std::fs::metadata(path).unwrap();
        (meta.uid(), meta.gid())
    };
    assert_eq!(owner(&s.dir.path().join("t.db.lock")), (uid, gid));
    let backup = backend::backups(&s.db()).unwrap().pop().unwrap();
    assert_eq!(owner(&backup), (uid, gid));
    let restored = s.migrations.restore_backup(&s.url(), None).unwrap();
    assert_eq!(owner(&s.db()), (uid, gid));
    assert_eq!(owner(&restored.kept.unwrap()), (uid, gid));
}
