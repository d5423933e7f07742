//! Runs written as scripts instead of applied: a preview of what a connected database would run
//! (`--dry-run`), and offline scripts for a database the engine never sees (`--sql`).

use super::run::Mode;
use super::{Migrator, Report};
use crate::backend::script::Script;
use crate::backend::{Backend, ServerOps};
use crate::error::Error;
use crate::plan;
use crate::remembered::Vouched;
use crate::revision::{Dialect, Direction, Target};

impl Migrator<'_> {
    /// The SQL that takes a database at `from` to `target` in `direction`, with version-table
    /// updates and transaction boundaries, written without a database (Alembic's offline mode).
    pub fn script(
        &self,
        dialect: Dialect,
        from: &[String],
        target: &Target,
        direction: Direction,
    ) -> Result<(Report, String), Error> {
        self.check_known(from)?;
        let mut script = Script::new(dialect, []);
        let report = self.write_script(&mut script, from, target, direction, Mode::Offline)?;
        Ok((report, script.text().to_string()))
    }

    /// What `upgrade` or `downgrade` to `target` would run on `db` now, refusing as they would;
    /// reads the database, changes nothing and takes no lock.
    pub fn preview(
        &self,
        db: &mut dyn Backend,
        target: &Target,
        direction: Direction,
    ) -> Result<(Report, String), Error> {
        if direction == Direction::Downgrade
            && let super::Standing::Ahead(ahead) = self.standing(db)?
        {
            // The revisions a newer release applied go back with the SQL the database remembers.
            let (report, sql) = self.on_map(&ahead.map).preview(db, target, direction)?;
            let notes: Vec<String> = ahead
                .vouched
                .iter()
                .filter(|(id, _)| report.steps.iter().any(|s| s.revision == *id))
                .map(|(id, vouched)| match vouched {
                    Vouched::By(key) => format!("-- {id}: remembered by the database, signed by trusted key {key}\n"),
                    Vouched::Not(why) => format!("-- {id}: remembered by the database, NOT vouched for ({why}): read it before --trust-remembered runs it\n"),
                })
                .collect();
            return Ok((report, notes.concat() + &sql));
        }
        let heads = self.current(db)?;
        if direction == Direction::Upgrade {
            self.refuse_drift(db, &heads)?;
            self.unfinished(db, false)?;
        }
        let mut existing = Vec::new();
        for table in self.settings.store.own_tables() {
            if db.table_exists(&table)? {
                existing.push(table);
            }
        }
        if existing.contains(&self.settings.store.records_table()) {
            existing.extend(self.settings.store.known_columns(db)?);
        }
        let mut script = Script::new(db.dialect(), existing);
        let report = self.write_script(&mut script, &heads, target, direction, Mode::Preview)?;
        Ok((report, script.text().to_string()))
    }

    /// Runs the plan from `from` to `target` into `script`, in `mode` (a preview or an offline
    /// script).
    fn write_script(
        &self,
        script: &mut Script,
        from: &[String],
        target: &Target,
        direction: Direction,
        mode: Mode,
    ) -> Result<Report, Error> {
        let dialect = script.dialect();
        let steps = match direction {
            Direction::Upgrade => self.upgrade_plan(self.map, from, target, dialect)?,
            Direction::Downgrade => plan::downgrade(self.map, from, target, dialect)?,
        };
        let rust: Vec<String> = steps
            .iter()
            .filter(|s| s.revision.code.is_some())
            .map(|s| s.revision.id.clone())
            .collect();
        if mode == Mode::Offline && !rust.is_empty() {
            return Err(Error::NotScriptable { revisions: rust });
        }
        if steps.is_empty() {
            return Ok(Report {
                before: from.to_vec(),
                after: from.to_vec(),
                steps: Vec::new(),
                replicated_by: None,
                held_back: Vec::new(),
            });
        }
        script.migration_session(Some(&self.session_settings()))?;
        self.settings.store.ensure(script)?;
        self.run(script, from.to_vec(), &steps, None, mode)
    }
}
