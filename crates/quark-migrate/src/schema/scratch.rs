//! Scratch databases: somewhere to load the declared schema or to run the chain, dropped
//! afterwards even on error.

use crate::backend::{self, Backend, BackendError, ConnectOptions};
use crate::revision::Dialect;
use crate::url::DatabaseUrl;

/// An empty database of the same kind as a URL's: SQLite in memory, a new schema on the
/// PostgreSQL server, a new database on the MySQL server. Dropped when this is dropped.
pub struct Scratch {
    db: Box<dyn Backend>,
    drop: Option<String>,
    /// The file of a SQLite scratch database kept on disk, removed when this is dropped (held
    /// only for that).
    #[cfg(feature = "sqlite")]
    _file: Option<tempfile::TempPath>,
}

impl Scratch {
    /// Opens a scratch database beside the one `url` names (in memory for SQLite or no URL).
    pub fn open(
        url: Option<&DatabaseUrl>,
        options: &ConnectOptions,
    ) -> Result<Scratch, BackendError> {
        let url = match url {
            Some(u) if u.dialect != Dialect::Sqlite => u,
            _ => {
                let memory = DatabaseUrl::parse("sqlite:///:memory:")
                    .map_err(|e| BackendError::driver(e.to_string(), e))?;
                return Ok(Scratch {
                    db: backend::connect(&memory, options)?,
                    drop: None,
                    #[cfg(feature = "sqlite")]
                    _file: None,
                });
            }
        };
        Scratch::within(backend::connect(url, options)?)
    }

    /// A new scratch schema (PostgreSQL) or database (MySQL) entered on `db`, a connection of
    /// its own.
    fn within(mut db: Box<dyn Backend>) -> Result<Scratch, BackendError> {
        let (create, enter, drop) = statements(db.dialect(), &scratch_name()?);
        db.run(&create)?;
        let mut scratch = Scratch {
            db,
            drop: Some(drop),
            #[cfg(feature = "sqlite")]
            _file: None,
        };
        scratch.db.run(&enter)?;
        Ok(scratch)
    }

    /// A SQLite scratch database that starts as a copy of the database file `of`: a new file in
    /// `dir` (created new, never through a link), removed when this is dropped.
    #[cfg(feature = "sqlite")]
    pub(crate) fn sqlite_copy(
        of: &std::path::Path,
        dir: &std::path::Path,
        options: &ConnectOptions,
    ) -> Result<Scratch, BackendError> {
        let io =
            |e: std::io::Error| BackendError::message(format!("cannot copy {}: {e}", of.display()));
        let mut file = tempfile::Builder::new()
            .prefix("quark_migrate_scratch")
            .suffix(".db")
            .tempfile_in(dir)
            .map_err(io)?;
        std::io::copy(
            &mut std::fs::File::open(of).map_err(io)?,
            file.as_file_mut(),
        )
        .map_err(io)?;
        let path = file.into_temp_path();
        let url = DatabaseUrl::parse(&format!("sqlite:///{}", path.display()))
            .map_err(|e| BackendError::driver(e.to_string(), e))?;
        let mut db = backend::connect(&url, options)?;
        // A scratch: nothing to keep if the build stops.
        db.run("PRAGMA journal_mode = MEMORY")?;
        db.run("PRAGMA synchronous = OFF")?;
        Ok(Scratch {
            db,
            drop: None,
            _file: Some(path),
        })
    }

    /// The connection to the scratch database.
    pub fn db(&mut self) -> &mut dyn Backend {
        self.db.as_mut()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(sql) = &self.drop {
            let _ = self.db.rollback();
            if let Err(e) = self.db.run(sql) {
                log::warn!(target: crate::app::log_target(), "could not drop a scratch database ({sql}): {e}");
            }
        }
    }
}

/// A scratch beside a connection already open: on PostgreSQL a schema entered on that very
/// connection (which keeps its session: its locks, its settings), taken back where it was and
/// the scratch dropped when this is dropped; on MySQL a database on a second connection (its
/// driver caches prepared statements, bound to the database they were prepared in, so one
/// connection cannot go back and forth); on SQLite an in-memory database of its own.
pub(crate) enum Beside<'a> {
    /// A detour of the connection.
    Detour {
        /// The connection.
        db: &'a mut dyn Backend,
        /// What takes it back.
        back: String,
        /// What drops the scratch.
        drop: String,
    },
    /// A database apart.
    Apart(Scratch),
}

impl<'a> Beside<'a> {
    /// Enters a new scratch schema or database from `db`.
    pub(crate) fn open(db: &'a mut dyn Backend) -> Result<Beside<'a>, BackendError> {
        let back = match db.dialect() {
            Dialect::Sqlite => {
                return Ok(Beside::Apart(Scratch::open(
                    None,
                    &ConnectOptions::default(),
                )?));
            }
            Dialect::Postgresql => {
                let path = db.query("SHOW search_path", &[])?;
                let path = path[0][0].as_text().unwrap_or("public").to_string();
                format!("SET search_path TO {path}")
            }
            Dialect::Mysql => {
                return match db.second_connection()? {
                    Some(second) => Ok(Beside::Apart(Scratch::within(second)?)),
                    None => Err(BackendError::message(format!(
                        "reading which statement of an interrupted revision took effect needs a scratch database on a second connection to the server, which the engine cannot open from a MySQL connection an application lent it: run the upgrade from a URL (the command line, or Migrations::migrate), or check the statement by hand and {}",
                        crate::app::command("upgrade --resume"),
                    ))),
                };
            }
        };
        let (create, enter, drop) = statements(db.dialect(), &scratch_name()?);
        db.run(&create)?;
        let mut beside = Beside::Detour { db, back, drop };
        beside.db().run(&enter)?;
        Ok(beside)
    }

    /// The connection to the scratch.
    pub(crate) fn db(&mut self) -> &mut dyn Backend {
        match self {
            Beside::Detour { db, .. } => &mut **db,
            Beside::Apart(scratch) => scratch.db(),
        }
    }
}

impl Drop for Beside<'_> {
    fn drop(&mut self) {
        if let Beside::Detour { db, back, drop } = self {
            let _ = db.rollback();
            for sql in [&*back, &*drop] {
                if let Err(e) = db.run(sql) {
                    log::warn!(target: crate::app::log_target(), "could not leave a scratch database ({sql}): {e}");
                }
            }
        }
    }
}

/// What creates, enters and drops a scratch named `name` on a server of `dialect`.
fn statements(dialect: Dialect, name: &str) -> (String, String, String) {
    match dialect {
        Dialect::Postgresql => (
            format!("CREATE SCHEMA {name}"),
            format!("SET search_path TO {name}"),
            format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
        ),
        _ => (
            format!("CREATE DATABASE {name}"),
            format!("USE {name}"),
            format!("DROP DATABASE IF EXISTS {name}"),
        ),
    }
}

/// A new scratch name: `<application>_scratch_<random>`.
fn scratch_name() -> Result<String, BackendError> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| BackendError::message(e.to_string()))?;
    Ok(format!(
        "{}_scratch_{}",
        crate::app::current().scratch_prefix(),
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_names_follow_the_application() {
        assert!(
            scratch_name()
                .unwrap()
                .starts_with("quark_migrate_scratch_")
        );
        let _app = crate::App::new("My-Service", "2.0").scope();
        let name = scratch_name().unwrap();
        assert!(name.starts_with("my_service_scratch_"), "{name}");
        assert_eq!(name.len(), "my_service_scratch_".len() + 12);
    }
}
