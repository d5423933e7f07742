//! Every setting of a run, declared, defaulted and documented once. [`crate::Migrations`] holds
//! one; a [`Migrator`] borrows it, and copies it only when one of its own builder methods
//! changes it. The builder methods both offer are written once, below.

use std::sync::Arc;
use std::time::Duration;

use super::{Backups, LockWait, Watch};
use crate::remembered::Vouching;
use crate::store::Store;

/// How long to wait for another migrator's lock, unless told.
pub(crate) const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a run whose connection was lost tries to connect again, unless told.
pub const DEFAULT_FAILOVER_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a run waits for a replica to replay its last commit, unless told.
pub const DEFAULT_REPLICA_WAIT: Duration = Duration::from_secs(60);

/// How long a verify-only start waits for a migrator running elsewhere, unless told.
pub const DEFAULT_VERIFY_WAIT: Duration = Duration::from_secs(60);

/// Whether start-up compares the live schema with the one recorded after the last run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DriftCheck {
    /// No comparison (the default).
    #[default]
    Off,
    /// Each difference is logged as a warning, and start-up goes on.
    Warn,
    /// A difference fails start-up ([`crate::Error::SchemaDrift`]).
    Fail,
}

/// How long a live instance's row outlives its last heartbeat, unless told.
pub const DEFAULT_INSTANCE_TTL: Duration = Duration::from_secs(30);

/// What an upgrade does with a `Breaking:` revision that would break a live instance of an
/// older release (one registered with [`crate::Migrations::register_instance`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiveReleases {
    /// Applies what comes before it, stops there with a warning naming the instances, and
    /// succeeds: an application migrating itself at start-up keeps running (the default).
    #[default]
    StopBefore,
    /// Fails, naming the revision and the instances, before anything is applied.
    Refuse,
    /// Waits up to this long for those instances to go, then applies it or fails as
    /// [`LiveReleases::Refuse`].
    Wait(Duration),
    /// Applies it anyway, with a warning naming the instances it breaks.
    Force,
}

/// The settings of a run.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Where the engine keeps its state (the version table and its siblings).
    pub(crate) store: Store,
    pub(crate) lock_timeout: Duration,
    pub(crate) lock_lease: Duration,
    pub(crate) use_lock: bool,
    pub(crate) lock_wait: LockWait,
    pub(crate) ignore_drift: bool,
    /// Whether a database at base starts from a checkpoint (the default) or replays history.
    pub(crate) from_checkpoints: bool,
    pub(crate) resume: bool,
    pub(crate) single_transaction: bool,
    pub(crate) refuse_newer: bool,
    pub(crate) backups: Backups,
    pub(crate) watch: Watch,
    /// MySQL's storage engine for new tables (`--mysql-engine`), checked to be a name.
    pub(crate) table_engine: Option<String>,
    pub(crate) vouching: Arc<Vouching>,
    /// How long a run from a URL whose connection was lost reconnects (a failover).
    pub(crate) failover_timeout: Duration,
    /// How long a run waits for a replica that could take over to replay its last commit.
    pub(crate) replica_wait: Duration,
    /// How long a verify-only start waits for the database to reach this binary's heads.
    pub(crate) verify_wait: Duration,
    /// Whether start-up compares the live schema with the recorded one.
    pub(crate) drift_check: DriftCheck,
    /// What an upgrade does with a breaking revision while instances it breaks are live.
    pub(crate) live_releases: LiveReleases,
    /// How long a registered instance's row outlives its last heartbeat.
    pub(crate) instance_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            store: Store::default(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            lock_lease: super::DEFAULT_LOCK_LEASE,
            use_lock: true,
            lock_wait: LockWait::default(),
            ignore_drift: false,
            from_checkpoints: true,
            resume: false,
            single_transaction: false,
            refuse_newer: false,
            backups: Backups::default(),
            watch: Watch::default(),
            table_engine: None,
            vouching: Arc::default(),
            failover_timeout: DEFAULT_FAILOVER_TIMEOUT,
            replica_wait: DEFAULT_REPLICA_WAIT,
            verify_wait: DEFAULT_VERIFY_WAIT,
            drift_check: DriftCheck::Off,
            live_releases: LiveReleases::StopBefore,
            instance_ttl: DEFAULT_INSTANCE_TTL,
        }
    }
}

/// The builder methods of the settings, for a type with `fn settings_mut(&mut self) -> &mut
/// Settings`: [`crate::Migrations`] and [`Migrator`].
macro_rules! setting_builders {
    ($ty:ty) => {
        impl $ty {
            /// Keeps the current revisions in `table` instead of `alembic_version` (and the
            /// engine's other tables beside it, named after it).
            pub fn version_table(mut self, table: &str) -> Result<Self, $crate::Error> {
                self.settings_mut().store = $crate::store::Store::new(table)?;
                Ok(self)
            }

            /// Creates new MySQL tables with the storage engine `engine` where a migration
            /// names none, as upstream's `--mysql-engine` (other databases ignore it); refused
            /// unless it is a storage engine's name (letters, digits, `_`).
            pub fn mysql_engine(mut self, engine: &str) -> Result<Self, $crate::Error> {
                self.settings_mut().table_engine = Some($crate::migrator::storage_engine(engine)?);
                Ok(self)
            }

            /// How long to wait for another migrator's lock, and for a busy SQLite file
            /// (default 60 s). Any duration is taken: SQLite waits at most 2^31 - 1 ms
            /// (24.8 days) for a busy file.
            pub fn lock_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.settings_mut().lock_timeout = timeout;
                self
            }

            /// How long a migration lock kept in a table (on a Galera cluster, behind a
            /// transaction pooler) stays with a holder that stopped renewing it, before a
            /// waiter takes it over (default 15 s; the holder renews it every quarter of that,
            /// and a waiter waits for the longer of its lease and the holder's).
            pub fn lock_lease(mut self, lease: std::time::Duration) -> Self {
                self.settings_mut().lock_lease = lease;
                self
            }

            /// Whether to take the migration lock (default true); without it, concurrent
            /// migrators are not serialised (`--no-lock`).
            pub fn use_lock(mut self, lock: bool) -> Self {
                self.settings_mut().use_lock = lock;
                self
            }

            /// How long each statement may wait for a lock another session holds, and how often
            /// a revision that gave up waiting is tried again (default 5 s, 5 times): a
            /// migration never queues the application's queries behind it for longer.
            pub fn lock_wait(mut self, lock_wait: $crate::migrator::LockWait) -> Self {
                self.settings_mut().lock_wait = lock_wait;
                self
            }

            /// Continue a revision that stopped part-way from its first unfinished statement,
            /// instead of refusing to run.
            pub fn resume(mut self, resume: bool) -> Self {
                self.settings_mut().resume = resume;
                self
            }

            /// Proceed even when applied revisions changed since they were applied.
            pub fn ignore_drift(mut self, ignore: bool) -> Self {
                self.settings_mut().ignore_drift = ignore;
                self
            }

            /// Build a database at base by replaying every revision, never from a checkpoint
            /// (`Checkpoint Of:`); default false: the newest checkpoint on the way runs instead
            /// of the revisions it stands for.
            pub fn replay_history(mut self, replay: bool) -> Self {
                self.settings_mut().from_checkpoints = !replay;
                self
            }

            /// Apply everything pending in one transaction, all or nothing, where the database
            /// and every revision allow it (not on MySQL, not with `Transactional: false`);
            /// default false: one transaction per revision.
            pub fn single_transaction(mut self, single: bool) -> Self {
                self.settings_mut().single_transaction = single;
                self
            }

            /// Refuse to run on a database a newer release migrated (default false: an upgrade
            /// to head finds nothing to do and warns, unless a newer revision is `Breaking:`).
            pub fn refuse_newer_schema(mut self, refuse: bool) -> Self {
                self.settings_mut().refuse_newer = refuse;
                self
            }

            /// When to copy a SQLite database file aside before a run changes it, and how many
            /// copies to keep (default: before a revision marked `Breaking:` or one that cannot
            /// be reverted; the last 3).
            pub fn backups(mut self, backups: $crate::migrator::Backups) -> Self {
                self.settings_mut().backups = backups;
                self
            }

            /// Vouches with `vouching` (the keys trusted to have signed the records of revisions
            /// this binary does not embed, and its own signatures of the records it writes)
            /// instead of what the build embedded; see [`crate::remembered`].
            pub fn vouching(mut self, vouching: $crate::remembered::Vouching) -> Self {
                self.settings_mut().vouching = std::sync::Arc::new(vouching);
                self
            }

            /// How long a run from a URL ([`crate::Migrations::migrate`], `migrate_url`,
            /// `reconnecting`, the command line) whose connection was lost (a failover: the
            /// server killed, shut down or demoted) keeps connecting again, to the server that
            /// takes writes now, before it gives up (default 60 s); each new connection plans
            /// again from what the database holds. A run on a connection the application lends
            /// cannot reconnect: it returns the error ([`crate::Error::is_connection_lost`]).
            pub fn failover_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.settings_mut().failover_timeout = timeout;
                self
            }

            /// How long a run that wrote waits, on a server with replicas that could take over
            /// (asynchronous streaming replication), until one of them has replayed its last
            /// commit, before it fails naming them and how far behind they are (default 60 s;
            /// zero: no wait). A run reports success only once what it did would survive a
            /// failover.
            pub fn replica_wait(mut self, wait: std::time::Duration) -> Self {
                self.settings_mut().replica_wait = wait;
                self
            }

            /// How long a verify-only start ([`crate::Migrations::verify`], `upgrade
            /// --verify-only`) waits for a migrator running elsewhere to bring the database to
            /// this binary's heads before it fails naming what is missing (default 60 s; zero:
            /// one look).
            pub fn verify_wait(mut self, wait: std::time::Duration) -> Self {
                self.settings_mut().verify_wait = wait;
                self
            }

            /// Whether start-up ([`crate::Migrations::upgrade`], `migrate`, `verify`) compares
            /// the live schema with the one the engine recorded after the last run that changed
            /// it, and warns or fails on a difference (default: off; `--check-drift`).
            pub fn check_drift(mut self, check: $crate::migrator::DriftCheck) -> Self {
                self.settings_mut().drift_check = check;
                self
            }

            /// What an upgrade does with a `Breaking:` revision while a live instance (see
            /// [`crate::Migrations::register_instance`]) is of a release it breaks (one that
            /// does not embed its `Compatible From:` revision): stop before it and succeed (the
            /// default), refuse, wait for those instances to go, or force it.
            pub fn live_releases(mut self, live: $crate::migrator::LiveReleases) -> Self {
                self.settings_mut().live_releases = live;
                self
            }

            /// How long a registered instance's row outlives its last heartbeat (default 30 s;
            /// it is renewed every quarter of that): an instance killed without removing its
            /// row stops counting as live after this.
            pub fn instance_ttl(mut self, ttl: std::time::Duration) -> Self {
                self.settings_mut().instance_ttl = ttl;
                self
            }

            /// Lets a downgrade run remembered SQL that no trusted key signed (the operator read
            /// it, with a dry run, and vouches for it).
            pub fn trust_unvouched(mut self, trust: bool) -> Self {
                let settings = self.settings_mut();
                let vouching = (*settings.vouching).clone().trust_unvouched(trust);
                settings.vouching = std::sync::Arc::new(vouching);
                self
            }
        }
    };
}

pub(crate) use setting_builders;
