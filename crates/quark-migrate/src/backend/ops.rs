//! What a server offers a migration beyond running statements, and how the engine best drives a
//! connection: the parts of a driver that have defaults.

use std::time::Duration;

use super::{Backend, BackendError};

/// What kind of server a connection reaches, as far as migrating it goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerFacts {
    /// Why the server takes no writes (a hot standby, a read-only replica), when it takes none.
    pub read_only: Option<String>,
    /// Why a lock held by this session would not keep other migrators out (a Galera node, whose
    /// locks are its own; a transaction pooler, which moves the session between server
    /// connections), when it would not: the engine then keeps its lock in a table.
    pub session_lock_unsafe: Option<String>,
    /// The server (or cluster node) this connection reaches, for naming a lock's holder.
    pub node: String,
    /// This node's address in its cluster, as [`ServerFacts::members`] lists it (Galera).
    pub address: Option<String>,
    /// The addresses of every node in the cluster now, where the server says (Galera): a lock
    /// holder whose node is not among them is gone.
    pub members: Option<Vec<String>>,
}

/// The session settings a migration runs under (see [`ServerOps::migration_session`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionSettings {
    /// How long each statement waits for a lock another session holds on what it changes, so
    /// that a migration never queues the application's queries behind it for long.
    pub lock_wait: Duration,
    /// The storage engine of tables created without one (MySQL's `default_storage_engine`,
    /// upstream's `--mysql-engine`); `None` keeps the server's. Other servers have none.
    pub table_engine: Option<String>,
}

/// How far the replicas that could take over from a server have replayed its log (see
/// [`ServerOps::replication`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Replication {
    /// No replica that could take over streams from the server now: nothing to wait for.
    NoReplicas,
    /// `replica` (named for a message) has replayed the log up to the position asked about.
    Replayed {
        /// The replica.
        replica: String,
    },
    /// Replicas stream from the server, none of which has replayed that far yet; each
    /// described for a message (its name, state and how far behind it is).
    Behind {
        /// The replicas.
        replicas: Vec<String>,
    },
}

/// What a server offers a migration beyond running statements: its kind (clusters, poolers,
/// standbys), waits for other sessions' locks that give way, clean-up after an interrupted
/// statement, a second connection, who holds locks, backups. Every method has a default that
/// does without, so a driver implements what its server has.
pub trait ServerOps {
    /// What kind of server this is: read-only, clustered or pooled (see [`ServerFacts`]).
    fn facts(&mut self) -> Result<ServerFacts, BackendError> {
        Ok(ServerFacts::default())
    }

    /// Puts the session under `settings` for a migration (`Some`), or back as it was before
    /// (`None`): a lent connection goes back to the application with its own settings.
    fn migration_session(
        &mut self,
        _settings: Option<&SessionSettings>,
    ) -> Result<(), BackendError> {
        Ok(())
    }

    /// Undoes what an interrupted run of statement `sql` can leave that would stop it from
    /// running again (PostgreSQL: the invalid index of an interrupted `CREATE INDEX
    /// CONCURRENTLY`); says what it did, if anything.
    fn clean_up_interrupted(&mut self, _sql: &str) -> Result<Option<String>, BackendError> {
        Ok(None)
    }

    /// Another connection to the same server and database, when the driver can open one (it
    /// opened this one from a URL).
    fn second_connection(&mut self) -> Result<Option<Box<dyn Backend>>, BackendError> {
        Ok(None)
    }

    /// Copies the database, as it is now, to a file beside it whose name carries `label`, and
    /// deletes all but the newest `keep` such copies; the copy's path, or `None` where the
    /// database is no file of its own (a server, SQLite in memory, an empty new file).
    fn back_up(
        &mut self,
        _label: &str,
        _keep: usize,
    ) -> Result<Option<std::path::PathBuf>, BackendError> {
        Ok(None)
    }

    /// The other sessions holding locks in open transactions on this database, each described
    /// for a message (id, state, age, statement): whom a migration may be waiting behind.
    fn lock_holders(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Where the server's log stands now, past this session's last commit, when replicas that
    /// could take over from the server stream it (asynchronously, so that a commit the server
    /// acknowledged can be lost when one is promoted); `None` when there is nothing to wait
    /// for (the default: a server without such replicas).
    fn log_position(&mut self) -> Result<Option<String>, BackendError> {
        Ok(None)
    }

    /// How far the replicas that could take over have replayed the log, against `position`
    /// (from [`ServerOps::log_position`]).
    fn replication(&mut self, _position: &str) -> Result<Replication, BackendError> {
        Ok(Replication::NoReplicas)
    }
}

impl dyn Backend + '_ {
    /// [`ServerOps::facts`], or a plain server's.
    pub(crate) fn facts(&mut self) -> Result<ServerFacts, BackendError> {
        self.server_ops()
            .map_or(Ok(ServerFacts::default()), |s| s.facts())
    }

    /// [`ServerOps::migration_session`], where the driver has it.
    pub(crate) fn migration_session(
        &mut self,
        settings: Option<&SessionSettings>,
    ) -> Result<(), BackendError> {
        self.server_ops()
            .map_or(Ok(()), |s| s.migration_session(settings))
    }

    /// [`ServerOps::clean_up_interrupted`], where the driver has it.
    pub(crate) fn clean_up_interrupted(
        &mut self,
        sql: &str,
    ) -> Result<Option<String>, BackendError> {
        self.server_ops()
            .map_or(Ok(None), |s| s.clean_up_interrupted(sql))
    }

    /// [`ServerOps::second_connection`], where the driver has it.
    pub(crate) fn second_connection(&mut self) -> Result<Option<Box<dyn Backend>>, BackendError> {
        self.server_ops()
            .map_or(Ok(None), |s| s.second_connection())
    }

    /// [`ServerOps::lock_holders`], where the driver has it.
    pub(crate) fn lock_holders(&mut self) -> Vec<String> {
        self.server_ops()
            .map_or_else(Vec::new, |s| s.lock_holders())
    }

    /// [`ServerOps::log_position`], where the driver has it.
    pub(crate) fn log_position(&mut self) -> Result<Option<String>, BackendError> {
        self.server_ops().map_or(Ok(None), |s| s.log_position())
    }

    /// [`ServerOps::replication`], where the driver has it.
    pub(crate) fn replication(&mut self, position: &str) -> Result<Replication, BackendError> {
        self.server_ops()
            .map_or(Ok(Replication::NoReplicas), |s| s.replication(position))
    }

    /// [`ServerOps::back_up`], where the driver has it.
    pub(crate) fn back_up(
        &mut self,
        label: &str,
        keep: usize,
    ) -> Result<Option<std::path::PathBuf>, BackendError> {
        self.server_ops()
            .map_or(Ok(None), |s| s.back_up(label, keep))
    }
}

/// How the engine best drives a connection: facts of the driver, not of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tuning {
    /// The database runs inside this process (SQLite): a batch saves no round trip, and
    /// statements with bound parameters are compiled once per connection.
    pub in_process: bool,
    /// [`Backend::run_batch`] says which statement failed.
    pub locates_batch_failures: bool,
    /// An SQL expression for the milliseconds since the server received the batch being run,
    /// where [`Backend::run_batch`] is one round trip: a revision's history row then goes in
    /// the same batch as its statements and still records how long they took.
    pub batch_elapsed_ms: Option<&'static str>,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            in_process: false,
            locates_batch_failures: true,
            batch_elapsed_ms: None,
        }
    }
}
