//! What PostgreSQL offers a migration beyond statements: whether it is a standby or behind a
//! transaction pooler, `lock_timeout` that gives way to the application, the clean-up of an
//! interrupted `CREATE INDEX CONCURRENTLY`, a second connection, and who holds locks.

use super::{Opened, Postgres, blocking, connect};
use crate::backend::{
    Backend, BackendError, Conn, Replication, ServerFacts, ServerOps, SessionSettings, Value,
};
use crate::revision::Dialect;

/// The index a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] <name> ON ...` statement
/// builds, unquoted.
pub(super) fn concurrent_index_name(sql: &str) -> Option<String> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let mut at = 0;
    let mut expect = |word: &str, optional: bool| {
        if upper.get(at).is_some_and(|w| w == word) {
            at += 1;
            true
        } else {
            optional
        }
    };
    if !(expect("CREATE", false)
        && expect("UNIQUE", true)
        && expect("INDEX", false)
        && expect("CONCURRENTLY", false))
    {
        return None;
    }
    if upper.get(at).is_some_and(|w| w == "IF") {
        at += 3;
    }
    let name = words.get(at)?;
    if name.eq_ignore_ascii_case("ON") {
        return None;
    }
    Some(name.trim_matches('"').to_string())
}

impl ServerOps for Postgres<'_> {
    fn facts(&mut self) -> Result<ServerFacts, BackendError> {
        let rows = self.query(
            "SELECT pg_catalog.pg_is_in_recovery()::int, coalesce(host(inet_server_addr()), ''), \
             current_setting('port')",
            &[],
        )?;
        let row = rows
            .first()
            .ok_or_else(|| BackendError::message("no server facts"))?;
        let standby = row[0].as_int() == Some(1);
        let host = row[1].as_text().unwrap_or("");
        let port = row[2].as_text().unwrap_or("");
        if self.pooled.is_none()
            && let Some(Opened {
                pooler: None,
                ports: dialled,
                ..
            }) = &self.opened
        {
            self.pooled = Some(
                port.parse::<u16>()
                    .is_ok_and(|port| !dialled.contains(&port)),
            );
        }
        let pooled = self.is_pooled()?;
        Ok(ServerFacts {
            read_only: standby.then(|| {
                "this server is a standby (in recovery): migrate the primary".to_string()
            }),
            session_lock_unsafe: pooled.then(|| {
                "a transaction pooler (PgBouncer's pool_mode = transaction) moves this session between server connections".to_string()
            }),
            node: if host.is_empty() {
                format!("PostgreSQL (port {port}, local socket)")
            } else {
                format!("PostgreSQL at {host}:{port}")
            },
            ..ServerFacts::default()
        })
    }
    fn migration_session(
        &mut self,
        settings: Option<&SessionSettings>,
    ) -> Result<(), BackendError> {
        // PostgreSQL has one storage engine: only the lock wait applies.
        let timeout = settings.map(|s| s.lock_wait);
        if self.is_pooled()? {
            // A session setting would stay on a server connection other clients get next.
            self.local_lock_timeout = timeout;
            return Ok(());
        }
        // The migration's strings are read as the lexer reads them: backslashes are literal.
        match timeout {
            Some(t) => {
                if self.saved_settings.is_none() {
                    let rows = self.query(
                        "SELECT current_setting('lock_timeout'), current_setting('standard_conforming_strings')",
                        &[],
                    )?;
                    let setting = |i: usize, default: &str| {
                        rows.first()
                            .and_then(|r| r[i].as_text())
                            .unwrap_or(default)
                            .to_string()
                    };
                    self.saved_settings = Some((setting(0, "0"), setting(1, "on")));
                }
                self.run(&format!(
                    "SET lock_timeout = '{}ms'; SET standard_conforming_strings = on",
                    t.as_millis().max(1)
                ))
            }
            None => match self.saved_settings.take() {
                Some((timeout, strings)) => self.run(&format!(
                    "SET lock_timeout = {}; SET standard_conforming_strings = {}",
                    Dialect::Postgresql.string_literal(&timeout),
                    Dialect::Postgresql.string_literal(&strings)
                )),
                None => Ok(()),
            },
        }
    }
    fn clean_up_interrupted(&mut self, sql: &str) -> Result<Option<String>, BackendError> {
        let Some(index) = concurrent_index_name(sql) else {
            return Ok(None);
        };
        let invalid = self.query(
            "SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = $1 AND n.nspname = current_schema() AND NOT i.indisvalid",
            &[index.as_str().into()],
        )?;
        if invalid.is_empty() {
            return Ok(None);
        }
        self.run(&format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {}",
            Dialect::Postgresql.quote(&index)
        ))?;
        Ok(Some(format!(
            "dropped the invalid index {index} an interrupted CREATE INDEX CONCURRENTLY left, to build it again"
        )))
    }
    fn second_connection(&mut self) -> Result<Option<Box<dyn Backend>>, BackendError> {
        let Some(opened) = self.opened.clone() else {
            return Ok(None);
        };
        let client = blocking(|| {
            connect(
                &opened.config,
                &opened.connector,
                &self.target,
                opened.cluster,
            )
        })?;
        let mut second = Postgres::new(
            super::PgClient::Blocking(Conn::Owned(client)),
            self.plain_target.clone(),
            self.database.clone(),
            Some(opened),
        );
        second.pooled = self.pooled;
        second.enter_schema(self.schema.clone())?;
        Ok(Some(Box::new(second)))
    }
    /// The primary's WAL position now (`pg_current_wal_lsn()`, past this session's last
    /// commit), when it streams to a replica that could take over: a physical standby that
    /// reports what it replayed (not `pg_basebackup` or `pg_receivewal`, which replay nothing,
    /// nor a logical subscriber).
    fn log_position(&mut self) -> Result<Option<String>, BackendError> {
        let rows = self.query(
            "SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN '' ELSE pg_catalog.pg_current_wal_lsn()::text END,              (SELECT count(*) FROM pg_catalog.pg_stat_replication r WHERE r.state IS NULL),              (SELECT count(*) FROM pg_catalog.pg_stat_replication r WHERE r.replay_lsn IS NOT NULL AND NOT EXISTS              (SELECT 1 FROM pg_catalog.pg_replication_slots s WHERE s.active_pid = r.pid AND s.slot_type = 'logical'))",
            &[],
        )?;
        let row = rows
            .first()
            .ok_or_else(|| BackendError::message("no WAL position"))?;
        let position = row[0].as_text().unwrap_or("").to_string();
        if position.is_empty() {
            // Demoted while the run went on: whatever it committed is for the new primary to show.
            return Err(BackendError::ConnectionLost {
                message: format!(
                    "{} was demoted to a standby (in recovery) after the run's last commit",
                    self.target
                ),
                source: None,
            });
        }
        let (hidden, replicas) = (row[1].as_int().unwrap_or(0), row[2].as_int().unwrap_or(0));
        if hidden > 0 && replicas == 0 {
            log::warn!(target: crate::app::log_target(), "{}: this role cannot see how far the {hidden} replica(s) streaming from the server have replayed (pg_stat_replication shows that to members of pg_read_all_stats: GRANT pg_monitor TO the migrating role): not waiting for a replica to replay the run", self.target);
            return Ok(None);
        }
        Ok((replicas > 0).then_some(position))
    }
    fn replication(&mut self, position: &str) -> Result<Replication, BackendError> {
        let rows = self.query(
            "SELECT coalesce(nullif(r.application_name, ''), 'pid ' || r.pid::text) || ' (' ||              coalesce(host(r.client_addr), 'local socket') || ')', r.state,              (r.replay_lsn >= $1::text::pg_lsn)::int, r.replay_lsn::text,              coalesce(pg_catalog.pg_wal_lsn_diff($1::text::pg_lsn, r.replay_lsn)::bigint, 0),              coalesce((extract(epoch FROM r.replay_lag) * 1000)::bigint, 0)              FROM pg_catalog.pg_stat_replication r WHERE r.replay_lsn IS NOT NULL AND NOT EXISTS              (SELECT 1 FROM pg_catalog.pg_replication_slots s WHERE s.active_pid = r.pid AND s.slot_type = 'logical')              ORDER BY r.replay_lsn DESC",
            &[Value::Text(position.to_string())],
        )?;
        if rows.is_empty() {
            return Ok(Replication::NoReplicas);
        }
        let text = |r: &Vec<Value>, i: usize| r[i].as_text().unwrap_or("").to_string();
        if let Some(r) = rows.iter().find(|r| r[2].as_int() == Some(1)) {
            return Ok(Replication::Replayed {
                replica: text(r, 0),
            });
        }
        Ok(Replication::Behind {
            replicas: rows
                .iter()
                .map(|r| {
                    format!(
                        "{} {}, replayed up to {}, {} bytes behind, replay lag {} ms",
                        text(r, 0),
                        text(r, 1),
                        text(r, 3),
                        r[4].as_int().unwrap_or(0),
                        r[5].as_int().unwrap_or(0)
                    )
                })
                .collect(),
        })
    }
    fn lock_holders(&mut self) -> Vec<String> {
        let sql = "SELECT a.pid::bigint, coalesce(a.state, ''), \
                   coalesce(extract(epoch FROM now() - a.xact_start)::bigint, 0), \
                   left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 120) \
                   FROM pg_catalog.pg_stat_activity a \
                   WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() \
                   AND a.xact_start IS NOT NULL AND EXISTS (SELECT 1 FROM pg_catalog.pg_locks l \
                   WHERE l.pid = a.pid AND l.locktype = 'relation' AND l.granted) \
                   ORDER BY a.xact_start LIMIT 5";
        self.query(sql, &[])
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                crate::backend::describe_session(
                    r[0].as_int().unwrap_or(0),
                    r[1].as_text().unwrap_or(""),
                    r[2].as_int().unwrap_or(0),
                    r[3].as_text().unwrap_or(""),
                )
            })
            .collect()
    }
}
