//! An instance of the application registered as live for as long as it runs: the evidence a
//! migrator reads before it applies a revision that breaks older releases.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use log::{debug, warn};

use super::Migrations;
use crate::app::log_target;
use crate::backend::Backend;
use crate::error::Error;
use crate::store::{InstanceRecord, Store};

/// This application's instance, registered in the database's table of live instances while it
/// is held: a thread renews its heartbeat, and dropping it removes the row (an instance killed
/// instead leaves a row that expires after its time to live).
#[derive(Debug)]
pub struct LiveInstance {
    record: InstanceRecord,
    stop: Option<Sender<()>>,
    beating: Option<JoinHandle<()>>,
}

impl LiveInstance {
    /// What the instance registered: its id, application, version, heads, host and pid.
    pub fn record(&self) -> &InstanceRecord {
        &self.record
    }
}

impl Drop for LiveInstance {
    fn drop(&mut self) {
        // The thread removes the row once told (or once the channel closes).
        drop(self.stop.take());
        if let Some(beating) = self.beating.take() {
            let _ = beating.join();
        }
    }
}

impl Migrations {
    /// Registers this instance of the application as live in the database at `url` (its name
    /// and version, the heads it embeds, host and pid), for as long as the returned value is
    /// held: a migrator then holds back a `Breaking:` revision that would break it (see
    /// [`Migrations::live_releases`]). Call it once at start-up, after migrating or verifying;
    /// it needs rights to write `<version table>_instances`, which the migrator's first run
    /// creates.
    pub fn register_instance(&self, url: &str) -> Result<LiveInstance, Error> {
        let _scope = self.app.scope();
        let mut db = self.connect(url)?;
        let map = self.map()?;
        let ttl = self.settings.instance_ttl.max(Duration::from_secs(1));
        let record = InstanceRecord {
            id: crate::migrator::token(),
            application: self.app.name.to_string(),
            version: self.app.version.to_string(),
            heads: map.heads().iter().map(|r| r.id.clone()).collect(),
            host: crate::migrator::host(),
            pid: i64::from(std::process::id()),
            started_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            ttl_ms: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
        };
        let store = self.settings.store.clone();
        store.register_instance(db.as_mut(), &record)?;
        debug!(target: log_target(), "Registered as live instance {} of {}", record.id, record.describe());
        let (stop, stopped) = mpsc::channel::<()>();
        let app = self.app;
        let beat = record.clone();
        let this = self.clone();
        let url = url.to_string();
        let beating = std::thread::Builder::new()
            .name("quark-migrate-instance".into())
            .spawn(move || {
                let _scope = app.scope();
                let mut db = Some(db);
                // A quarter of the time to live between beats: three can fail before it expires.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(ttl / 4) {
                    beat_once(&this, &store, &url, &mut db, &beat);
                }
                let gone = db
                    .take()
                    .ok_or(())
                    .or_else(|()| this.connect(&url).map_err(|_| ()));
                if let Ok(mut db) = gone
                    && let Err(e) = store.deregister_instance(db.as_mut(), &beat.id)
                {
                    warn!(target: log_target(), "Could not remove live instance {} from the database (it expires after {} s): {e}", beat.id, ttl.as_secs());
                }
            })
            .map_err(|e| {
                Error::Backend(crate::backend::BackendError::message(format!(
                    "starting the instance's heartbeat thread: {e}"
                )))
            })?;
        Ok(LiveInstance {
            record,
            stop: Some(stop),
            beating: Some(beating),
        })
    }
}

/// One heartbeat: renews the row (registering it again if it expired meanwhile), connecting
/// again when the connection was lost.
fn beat_once(
    m: &Migrations,
    store: &Store,
    url: &str,
    db: &mut Option<Box<dyn Backend>>,
    record: &InstanceRecord,
) {
    if db.is_none() {
        *db = m.connect(url).ok();
    }
    let Some(conn) = db.as_mut() else {
        warn!(target: log_target(), "Could not reach the database to renew live instance {}: trying again", record.id);
        return;
    };
    let beat = store
        .beat_instance(conn.as_mut(), &record.id)
        .and_then(|there| {
            if there {
                Ok(())
            } else {
                store.register_instance(conn.as_mut(), record)
            }
        });
    if let Err(e) = beat {
        warn!(target: log_target(), "Could not renew live instance {}: {e}; connecting again", record.id);
        *db = None;
    }
}
