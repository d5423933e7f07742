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
                });
            }
        };
        let mut db = backend::connect(url, options)?;
        let name = scratch_name()?;
        let (create, enter, drop) = match url.dialect {
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
        };
        db.run(&create)?;
        let mut scratch = Scratch {
            db,
            drop: Some(drop),
        };
        scratch.db.run(&enter)?;
        Ok(scratch)
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
                log::warn!(target: crate::LOG_TARGET, "could not drop a scratch database ({sql}): {e}");
            }
        }
    }
}

fn scratch_name() -> Result<String, BackendError> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| BackendError::message(e.to_string()))?;
    Ok(format!(
        "quark_scratch_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}
