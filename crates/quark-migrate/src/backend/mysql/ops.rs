//! What a MySQL or MariaDB server offers a migration beyond statements: Galera's nodes, the
//! session's settings during a migration, a second connection, who holds locks.

use super::*;

impl ServerOps for Mysql<'_> {
    fn facts(&mut self) -> Result<ServerFacts, BackendError> {
        // One round trip; the SHOW forms answer on MySQL too, which has no wsrep variables.
        let [server, variables, status]: [TextRows; 3] = self
            .query_text(&[
                "SELECT @@hostname, @@port, @@read_only",
                "SHOW VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_node_name', 'wsrep_node_address', 'wsrep_node_incoming_address')",
                "SHOW STATUS WHERE Variable_name IN ('wsrep_incoming_addresses', 'wsrep_cluster_size')",
            ])?
            .try_into()
            .map_err(|_| BackendError::message("expected three results for the server's facts"))?;
        let named = |rows: &TextRows, name: &str| {
            rows.iter()
                .find(|r| r.first().cloned().flatten().as_deref() == Some(name))
                .and_then(|r| r.get(1).cloned().flatten())
                .unwrap_or_default()
        };
        let row = server.into_iter().next().unwrap_or_default();
        let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let (host, port, read_only) = (text(0), text(1), text(2) == "1");
        let mut facts = ServerFacts {
            read_only: read_only.then(|| {
                "this server is read-only (read_only = ON, as a replica is): migrate the primary"
                    .to_string()
            }),
            node: format!("MySQL at {host}:{port}"),
            ..ServerFacts::default()
        };
        if named(&variables, "wsrep_on").eq_ignore_ascii_case("ON") {
            let name = named(&variables, "wsrep_node_name");
            // The address the cluster lists this node under: the configured one, else the node
            // address's host with this server's port.
            let incoming = named(&variables, "wsrep_node_incoming_address");
            let address = if !incoming.is_empty() && !incoming.eq_ignore_ascii_case("AUTO") {
                incoming
            } else {
                let node = named(&variables, "wsrep_node_address");
                let node_host = node.rsplit_once(':').map_or(node.as_str(), |(h, _)| h);
                format!("{node_host}:{port}")
            };
            let members: Vec<String> = named(&status, "wsrep_incoming_addresses")
                .split(',')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect();
            facts.session_lock_unsafe = Some(format!(
                "a Galera cluster of {} nodes, whose user locks (GET_LOCK) hold on one node only",
                named(&status, "wsrep_cluster_size")
            ));
            facts.node = format!("Galera node {name} at {address}");
            // Membership is evidence only when this node finds itself in it.
            if members.contains(&address) {
                facts.members = Some(members);
                facts.address = Some(address);
            }
        }
        Ok(facts)
    }
    fn migration_session(
        &mut self,
        settings: Option<&SessionSettings>,
    ) -> Result<(), BackendError> {
        let literal = |engine: &str| Dialect::Mysql.string_literal(engine);
        let assignments = match settings {
            Some(settings) => {
                if self.saved.is_none() {
                    let was = self.query(
                        "SELECT @@SESSION.lock_wait_timeout, @@SESSION.innodb_lock_wait_timeout, \
                         @@SESSION.default_storage_engine, @@SESSION.sql_mode",
                        &[],
                    )?;
                    self.saved = was.into_iter().next().and_then(|r| {
                        let engine = r[2].as_text()?.to_string();
                        let mode = r[3].as_text().unwrap_or_default().to_string();
                        Some(Saved(r[0].as_int()?, r[1].as_int()?, engine, mode))
                    });
                }
                // Whole seconds, at least one: what the server accepts.
                let secs = (settings.lock_wait.as_secs_f64().ceil() as i64).max(1);
                let mut set = vec![
                    format!("lock_wait_timeout = {secs}"),
                    format!("innodb_lock_wait_timeout = {secs}"),
                    format!("sql_mode = {PINNED_SQL_MODE}"),
                ];
                if let Some(engine) = &settings.table_engine {
                    let engine = self.usable_engine(engine)?;
                    set.push(format!("default_storage_engine = {}", literal(&engine)));
                }
                set
            }
            None => {
                let Some(Saved(metadata, row, engine, mode)) = self.saved.take() else {
                    return Ok(());
                };
                vec![
                    format!("lock_wait_timeout = {metadata}"),
                    format!("innodb_lock_wait_timeout = {row}"),
                    format!("default_storage_engine = {}", literal(&engine)),
                    format!("sql_mode = {}", literal(&mode)),
                ]
            }
        };
        self.run(&format!("SET SESSION {}", assignments.join(", ")))
    }
    fn second_connection(&mut self) -> Result<Option<Box<dyn Backend>>, BackendError> {
        let Some(opts) = self.opts.clone() else {
            return Ok(None);
        };
        let conn = Conn::new(opts.clone()).map_err(|e| {
            BackendError::connect(self.target.clone(), e.to_string(), Some(Box::new(e)))
        })?;
        Ok(Some(Box::new(Mysql {
            opts: Some(opts),
            conn: MyClient::Blocking(crate::backend::Conn::Owned(conn)),
            target: self.target.clone(),
            database: self.database.clone(),
            lock: None,
            saved: None,
        })))
    }
    fn lock_holders(&mut self) -> Vec<String> {
        let sql = "SELECT t.trx_mysql_thread_id, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), \
                   COALESCE(p.COMMAND, ''), LEFT(COALESCE(p.INFO, ''), 120) \
                   FROM information_schema.INNODB_TRX t \
                   LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id \
                   WHERE t.trx_mysql_thread_id <> CONNECTION_ID() ORDER BY t.trx_started LIMIT 5";
        self.query(sql, &[])
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                crate::backend::describe_session(
                    r[0].as_int().unwrap_or(0),
                    &format!("{} in a transaction", r[2].as_text().unwrap_or("")),
                    r[1].as_int().unwrap_or(0),
                    r[3].as_text().unwrap_or(""),
                )
            })
            .collect()
    }
}
