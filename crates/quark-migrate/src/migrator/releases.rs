//! Breaking revisions held back while instances of the releases they break are live (the
//! contract step of expand/contract, applied only once the releases that need the old shape
//! have drained).

use log::warn;

use super::Migrator;
use super::settings::LiveReleases;
use crate::app::log_target;
use crate::backend::Backend;
use crate::backend::waiting::{Try, wait_until};
use crate::error::Error;
use crate::plan::Step;
use crate::revision::{Direction, Revision};
use crate::store::InstanceRecord;

/// The first breaking revision of a plan that live instances need held back, and those.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    /// The breaking revision.
    pub(crate) revision: String,
    /// The live instances of releases it breaks, described.
    pub(crate) instances: Vec<String>,
}

/// An instance of the application live now, and the `Breaking:` revisions of this binary not
/// yet applied that it holds back (its release embeds neither them nor what they name in
/// `Compatible From:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRelease {
    /// The instance, as it registered.
    pub instance: InstanceRecord,
    /// The pending breaking revisions it holds back, oldest first.
    pub holds_back: Vec<String>,
}

impl Migrator<'_> {
    /// The instances live now, with what each holds back of this binary's breaking revisions
    /// not applied on a database at `current` (reads only; nothing is expired).
    pub fn live_instances(
        &self,
        db: &mut dyn Backend,
        current: &[String],
    ) -> Result<Vec<LiveRelease>, Error> {
        let applied = self.map.ancestors(current.iter().map(String::as_str));
        let pending: Vec<&Revision> = self
            .map
            .iter()
            .filter(|r| r.breaking.is_some())
            .filter(|r| self.map.position(&r.id).is_some_and(|p| !applied[p]))
            .collect();
        Ok(self
            .settings
            .store
            .live_instances(db)?
            .into_iter()
            .map(|instance| LiveRelease {
                holds_back: pending
                    .iter()
                    .filter(|r| self.breaks(r, &instance))
                    .map(|r| r.id.clone())
                    .collect(),
                instance,
            })
            .collect())
    }

    /// Whether `rev` (a `Breaking:` revision of this binary) breaks `instance`: the instance's
    /// release embeds neither `rev` nor its `Compatible From:` revision. An instance whose
    /// heads this binary does not know (a newer release's, or another application's) is not
    /// broken by what this binary knows.
    fn breaks(&self, rev: &Revision, instance: &InstanceRecord) -> bool {
        if instance.heads.is_empty() || instance.heads.iter().any(|h| self.map.get(h).is_none()) {
            return false;
        }
        let embedded = self
            .map
            .ancestors(instance.heads.iter().map(String::as_str));
        let embeds = |id: &str| self.map.position(id).is_some_and(|p| embedded[p]);
        if embeds(&rev.id) {
            return false;
        }
        match &rev.compatible_from {
            Some((from, _)) => !embeds(from),
            None => true,
        }
    }

    /// The first step of `steps` that applies a `Breaking:` revision while a live instance is
    /// of a release it breaks; `None` when there is none (no breaking step: nothing is read).
    pub(crate) fn held_back(
        &self,
        db: &mut dyn Backend,
        steps: &[Step<'_>],
    ) -> Result<Option<Held>, Error> {
        let breaking: Vec<&Revision> = steps
            .iter()
            .filter(|s| s.direction == Direction::Upgrade && s.revision.breaking.is_some())
            .map(|s| s.revision)
            .collect();
        if breaking.is_empty() {
            return Ok(None);
        }
        let expired = self.settings.store.expire_instances(db)?;
        if expired > 0 {
            log::info!(target: log_target(), "Removed {expired} live-instance row(s) past their time to live (instances that stopped without removing theirs)");
        }
        let live = self.settings.store.live_instances(db)?;
        Ok(breaking.into_iter().find_map(|rev| {
            let instances: Vec<String> = live
                .iter()
                .filter(|i| self.breaks(rev, i))
                .map(InstanceRecord::describe)
                .collect();
            (!instances.is_empty()).then(|| Held {
                revision: rev.id.clone(),
                instances,
            })
        }))
    }

    /// Before the lock is taken: with [`LiveReleases::Wait`], waits until no live instance
    /// needs a breaking revision of `steps` held back, or fails once the wait is over.
    pub(crate) fn wait_for_drain(
        &self,
        db: &mut dyn Backend,
        steps: &[Step<'_>],
    ) -> Result<(), Error> {
        let LiveReleases::Wait(timeout) = self.settings.live_releases else {
            return Ok(());
        };
        let announce = |held: &Option<String>| {
            if let Some(held) = held {
                warn!(target: log_target(), "Waiting up to {}s for live instances to go before applying {held}", timeout.as_secs());
            }
        };
        let mut last = None;
        let outcome = wait_until("live releases to drain", timeout, announce, |_| {
            Ok(match self.held_back(db, steps) {
                Ok(None) => Try::Got(Ok(())),
                Ok(Some(held)) => {
                    let said = describe(&held);
                    last = Some(held);
                    Try::Held(Some(said))
                }
                Err(e) => Try::Got(Err(e)),
            })
        })?;
        match (outcome, last) {
            (Ok(done), _) => done,
            (Err(_), Some(held)) => Err(refused(held)),
            // Given up without a look that found anything held: nothing to wait for.
            (Err(_), None) => Ok(()),
        }
    }

    /// Before the lock is taken: when the first step of `steps` (from `heads`) would be held
    /// back ([`LiveReleases::StopBefore`]), the report of a run that stopped there, so that
    /// each start-up while old releases are live takes no lock; `None` otherwise.
    pub(crate) fn held_at_once(
        &self,
        db: &mut dyn Backend,
        heads: &[String],
        steps: &[Step<'_>],
    ) -> Result<Option<super::Report>, Error> {
        if self.settings.live_releases != LiveReleases::StopBefore
            || steps.first().is_none_or(|s| s.revision.breaking.is_none())
            || self.interrupted(db)?.is_some()
        {
            return Ok(None);
        }
        let Some(held) = self.held_back(db, &steps[..1])? else {
            return Ok(None);
        };
        let revision = self.settle_held(held)?;
        Ok(Some(super::Report {
            before: heads.to_vec(),
            after: heads.to_vec(),
            held_back: revision.into_iter().collect(),
            ..Default::default()
        }))
    }

    /// Under the lock: what the setting says to do with `held`: fail, or go on (forced, or
    /// stopping before it, said in a warning).
    pub(crate) fn settle_held(&self, held: Held) -> Result<Option<String>, Error> {
        match self.settings.live_releases {
            LiveReleases::Refuse | LiveReleases::Wait(_) => Err(refused(held)),
            LiveReleases::Force => {
                warn!(target: log_target(), "Applying {} although it breaks live instances (forced): {}", held.revision, held.instances.join("; "));
                Ok(None)
            }
            LiveReleases::StopBefore => {
                warn!(target: log_target(), "Stopping before {}: it is Breaking: for releases still live ({}); it is applied by the first run after they have gone", held.revision, held.instances.join("; "));
                Ok(Some(held.revision))
            }
        }
    }
}

fn describe(held: &Held) -> String {
    format!("{} (live: {})", held.revision, held.instances.join("; "))
}

fn refused(held: Held) -> Error {
    Error::LiveReleases {
        revision: held.revision,
        instances: held.instances,
    }
}
