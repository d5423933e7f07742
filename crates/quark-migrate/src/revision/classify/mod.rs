//! Classifying one SQL statement: whether it changes data, the session or the schema, and which
//! schema changes it makes to which table. One classification serves three judgements: which
//! changes break older code still running against the new schema
//! ([`TableChange::destructive`]), which lock, rewrite or scan a table
//! ([`TableChange::lock_risk`]), and what crash recovery must read from the database
//! ([`Classified::effect`]).
//!
//! Pure and dependency-free: a small tokenizer (words, quoted identifiers, strings, parentheses,
//! commas) and a parser for the DDL forms migrations use. Whatever it does not recognise is
//! [`TableChange::Other`]; it never panics and never claims a change it did not read.

use super::Dialect;
use statement::{effect_of, schema_changes};
use tokens::{Cur, tokenize};

/// What a statement does, as far as the engine's checks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// Whether the statement changes rows, the session or the schema.
    pub effect: Effect,
    /// The schema changes, one per action; at least one ([`TableChange::Other`] if not understood)
    /// when `effect` is [`Effect::Schema`], none otherwise.
    pub changes: Vec<TableChange>,
    /// The MySQL/MariaDB `ALGORITHM=` and `LOCK=` clauses the statement states.
    pub online: Online,
}

/// What a statement does to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Changes rows (`INSERT`, `UPDATE`, `DELETE`, `REPLACE`, `MERGE`, a `WITH` that does).
    Data,
    /// Sets the session (`SET`, `RESET`).
    Session,
    /// Changes the schema (`CREATE`, `ALTER`, `DROP`, `RENAME`, `TRUNCATE`, `COMMENT`, `GRANT`,
    /// `REVOKE`); `TRUNCATE` counts here because MySQL commits it implicitly.
    Schema,
    /// Anything else (queries, procedural blocks, calls, transaction control, garbage): crash
    /// recovery must treat it like [`Effect::Schema`] and read the database.
    Other,
}

/// The kind of a table constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// `PRIMARY KEY`.
    PrimaryKey,
    /// `UNIQUE` (on MySQL, a unique index).
    Unique,
    /// `FOREIGN KEY` / `REFERENCES`.
    ForeignKey,
    /// `CHECK`.
    Check,
}

/// One change a statement makes to one table; names are unquoted, the last part of a
/// qualified name, and `table` is the table changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableChange {
    /// `CREATE TABLE` (also `CREATE TABLE ... AS` and `... LIKE`).
    CreateTable {
        /// The table created.
        table: String,
    },
    /// `DROP TABLE`, one per table named.
    DropTable {
        /// The table dropped.
        table: String,
    },
    /// `ALTER TABLE ... RENAME TO` or `RENAME TABLE a TO b`.
    RenameTable {
        /// The table's old name.
        table: String,
        /// Its new name.
        to: String,
    },
    /// `TRUNCATE`, one per table named.
    TruncateTable {
        /// The table emptied.
        table: String,
    },
    /// `ADD [COLUMN]`; its inline constraints follow it as [`TableChange::AddConstraint`]s.
    AddColumn {
        /// The table changed.
        table: String,
        /// The column added.
        column: String,
        /// It says `NOT NULL` (or `PRIMARY KEY`).
        not_null: bool,
        /// Rows that omit it get a value: a `DEFAULT`, a serial, identity or generated column.
        default: bool,
        /// PostgreSQL computes its value per existing row (a call to a function not known to be
        /// stable, a serial, identity or stored generated column), rewriting the table.
        volatile_default: bool,
    },
    /// `DROP [COLUMN]`.
    DropColumn {
        /// The table changed.
        table: String,
        /// The column dropped.
        column: String,
    },
    /// `RENAME [COLUMN] a TO b`, or a MySQL `CHANGE` that gives the column another name.
    RenameColumn {
        /// The table changed.
        table: String,
        /// The column's old name.
        from: String,
        /// Its new name.
        to: String,
    },
    /// PostgreSQL `ALTER COLUMN c [SET DATA] TYPE t`, MySQL `MODIFY` and `CHANGE` (which restate
    /// the whole definition, so the type may be unchanged).
    AlterColumnType {
        /// The table changed.
        table: String,
        /// The column (its new name after a `CHANGE`).
        column: String,
        /// The new type as written.
        to: String,
        /// The nullability a MySQL definition restates (`Some(true)` for `NOT NULL`); `None`
        /// where it is kept (PostgreSQL).
        not_null: Option<bool>,
    },
    /// `ALTER COLUMN c SET NOT NULL`.
    SetNotNull {
        /// The table changed.
        table: String,
        /// The column made NOT NULL.
        column: String,
    },
    /// `ALTER COLUMN c DROP NOT NULL`.
    DropNotNull {
        /// The table changed.
        table: String,
        /// The column made nullable.
        column: String,
    },
    /// `ALTER COLUMN c SET DEFAULT ...`.
    SetDefault {
        /// The table changed.
        table: String,
        /// The column given a default.
        column: String,
    },
    /// `ALTER COLUMN c DROP DEFAULT`.
    DropDefault {
        /// The table changed.
        table: String,
        /// The column losing its default.
        column: String,
    },
    /// `CREATE [UNIQUE] INDEX` or MySQL `ALTER TABLE ... ADD INDEX/KEY`.
    CreateIndex {
        /// The table indexed.
        table: String,
        /// The index name; `None` when the server names it.
        name: Option<String>,
        /// `UNIQUE`.
        unique: bool,
        /// PostgreSQL `CONCURRENTLY`.
        concurrently: bool,
    },
    /// `DROP INDEX` or MySQL `ALTER TABLE ... DROP INDEX/KEY`.
    DropIndex {
        /// The table, when the statement names it (MySQL); PostgreSQL and SQLite do not.
        table: Option<String>,
        /// The index dropped.
        name: String,
        /// PostgreSQL `CONCURRENTLY`.
        concurrently: bool,
    },
    /// `ADD [CONSTRAINT n] PRIMARY KEY/UNIQUE/FOREIGN KEY/CHECK`, or an inline column constraint.
    AddConstraint {
        /// The table constrained.
        table: String,
        /// The constraint name; `None` when the server names it.
        name: Option<String>,
        /// What it constrains.
        kind: ConstraintKind,
        /// PostgreSQL `NOT VALID`: existing rows are not checked.
        not_valid: bool,
        /// PostgreSQL `USING INDEX ix`: built on an existing unique index.
        using_index: bool,
        /// For `CHECK (c IS NOT NULL)`: the column `c` it keeps from NULL.
        not_null_of: Option<String>,
    },
    /// `DROP CONSTRAINT n`, MySQL `DROP FOREIGN KEY n`, `DROP PRIMARY KEY`, `DROP CHECK n`,
    /// ``DROP INDEX `PRIMARY` ``.
    DropConstraint {
        /// The table changed.
        table: String,
        /// The constraint dropped; `None` for a primary key dropped as such.
        name: Option<String>,
        /// Its kind, when the statement says (not for `DROP CONSTRAINT n`).
        kind: Option<ConstraintKind>,
    },
    /// `VALIDATE CONSTRAINT n`.
    ValidateConstraint {
        /// The table changed.
        table: String,
        /// The constraint validated.
        name: String,
    },
    /// A statement or action this classifier does not understand.
    Other,
}

/// The MySQL/MariaDB online-DDL clauses of a statement, upper-cased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Online {
    /// `ALGORITHM=` (`INSTANT`, `INPLACE`, `NOCOPY`, `COPY`, `DEFAULT`).
    pub algorithm: Option<String>,
    /// `LOCK=` (`NONE`, `SHARED`, `EXCLUSIVE`, `DEFAULT`).
    pub lock: Option<String>,
}

/// Why a change locks, rewrites or scans a table, and how to write it safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Risk {
    /// What the server does.
    pub reason: &'static str,
    /// The safe way to get the same result.
    pub safe_form: &'static str,
}

/// Classifies one statement (without its `;`) written for `dialect`.
pub fn classify(sql: &str, dialect: Dialect) -> Classified {
    let (toks, well_formed) = tokenize(sql, dialect);
    let c = Cur {
        sql,
        toks: &toks,
        i: 0,
    };
    let effect = effect_of(&c);
    let mut online = Online::default();
    let changes = if effect != Effect::Schema {
        Vec::new()
    } else {
        let mut changes = if well_formed {
            schema_changes(c, dialect, &mut online)
        } else {
            None
        }
        .unwrap_or_default();
        if changes.is_empty() {
            changes.push(TableChange::Other);
        }
        changes
    };
    Classified {
        effect,
        changes,
        online,
    }
}

impl Classified {
    /// Every change of the statement that locks, rewrites or scans a table on `dialect`.
    pub fn lock_risks(&self, dialect: Dialect) -> Vec<(&TableChange, Risk)> {
        self.changes
            .iter()
            .filter_map(|c| c.lock_risk(dialect, &self.online).map(|r| (c, r)))
            .collect()
    }
}

/// The lock risk of each statement of one revision (`classes`, in order) on `dialect`, judged
/// in the revision's context: a change to a table the revision creates is not at risk;
/// `SET NOT NULL` is not when an earlier statement of a revision run outside a transaction
/// validated a `CHECK (c IS NOT NULL)` of the column (PostgreSQL then skips the scan); a
/// `VALIDATE CONSTRAINT` is when the same transaction added the constraint (its lock is held
/// for the whole scan).
pub fn revision_lock_risks(
    classes: &[Classified],
    dialect: Dialect,
    transactional: bool,
) -> Vec<Option<Risk>> {
    use std::collections::{HashMap, HashSet};
    let created: HashSet<&str> = classes
        .iter()
        .flat_map(|c| &c.changes)
        .filter_map(|c| match c {
            TableChange::CreateTable { table } => Some(table.as_str()),
            _ => None,
        })
        .collect();
    // What the revision has done so far: constraints it added (and the column a not-NULL check
    // covers), columns a validated check proves not NULL.
    let mut added: HashMap<(&str, &str), Option<&str>> = HashMap::new();
    let mut proven: HashSet<(&str, &str)> = HashSet::new();
    let mut out = Vec::with_capacity(classes.len());
    for class in classes {
        let judged = |change: &TableChange| match change {
            _ if change.table().is_some_and(|t| created.contains(t)) => None,
            TableChange::SetNotNull { table, column }
                if proven.contains(&(table.as_str(), column.as_str())) =>
            {
                None
            }
            TableChange::ValidateConstraint { table, name }
                if transactional
                    && dialect == Dialect::Postgresql
                    && added.contains_key(&(table.as_str(), name.as_str())) =>
            {
                Some(Risk {
                    reason: "validates under the lock its ADD CONSTRAINT took in the same transaction, blocking writes for the whole scan",
                    safe_form: "VALIDATE CONSTRAINT in a later revision, or mark this revision `Transactional: false`",
                })
            }
            _ => change.lock_risk(dialect, &class.online),
        };
        out.push(class.changes.iter().find_map(judged));
        for change in &class.changes {
            match change {
                TableChange::AddConstraint {
                    table,
                    name: Some(name),
                    not_null_of,
                    ..
                } => {
                    added.insert((table, name), not_null_of.as_deref());
                }
                TableChange::ValidateConstraint { table, name } if !transactional => {
                    if let Some(Some(column)) = added.get(&(table.as_str(), name.as_str())) {
                        proven.insert((table, column));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

impl Online {
    /// Whether the server must refuse rather than block writes: `LOCK=NONE` or
    /// `ALGORITHM=INSTANT` (MySQL "Online DDL Operations", MariaDB "InnoDB Online DDL Overview").
    pub fn is_guarded(&self) -> bool {
        self.lock.as_deref() == Some("NONE") || self.algorithm.as_deref() == Some("INSTANT")
    }
}

impl TableChange {
    /// The table changed; `None` for [`TableChange::Other`] and a `DROP INDEX` that does not
    /// name it.
    pub fn table(&self) -> Option<&str> {
        use TableChange::*;
        match self {
            CreateTable { table }
            | DropTable { table }
            | RenameTable { table, .. }
            | TruncateTable { table }
            | AddColumn { table, .. }
            | DropColumn { table, .. }
            | RenameColumn { table, .. }
            | AlterColumnType { table, .. }
            | SetNotNull { table, .. }
            | DropNotNull { table, .. }
            | SetDefault { table, .. }
            | DropDefault { table, .. }
            | CreateIndex { table, .. }
            | AddConstraint { table, .. }
            | DropConstraint { table, .. }
            | ValidateConstraint { table, .. } => Some(table),
            DropIndex { table, .. } => table.as_deref(),
            Other => None,
        }
    }

    /// Why older code still running against the new schema (a rolling deploy) may fail after
    /// this change; `None` when it keeps working.
    ///
    /// Added constraints, dropped indexes, foreign keys and constraints of unknown kind (a bare
    /// `DROP CONSTRAINT n`) are not judged destructive.
    pub fn destructive(&self) -> Option<&'static str> {
        use TableChange::*;
        Some(match self {
            DropTable { .. } => "drops the table; older code still using it fails",
            DropColumn { .. } => "drops the column; older code still reading or writing it fails",
            RenameTable { .. } => "renames the table; older code still using the old name fails",
            RenameColumn { .. } => "renames the column; older code still using the old name fails",
            TruncateTable { .. } => "deletes every row of the table",
            AlterColumnType {
                not_null: Some(true),
                ..
            } => {
                "redefines the column as NOT NULL, maybe with another type; older code may omit it or write values the new definition rejects"
            }
            AlterColumnType { .. } => {
                "changes the column's type; older code may write values the new type rejects"
            }
            SetNotNull { .. } => {
                "makes the column NOT NULL; older code inserting rows without it fails"
            }
            AddColumn {
                not_null: true,
                default: false,
                ..
            } => {
                "adds a NOT NULL column without a default; older code inserting rows without this column fails"
            }
            DropDefault { .. } => {
                "drops the column's default; older code inserting rows without this column stores NULL or fails"
            }
            DropConstraint {
                kind: Some(ConstraintKind::PrimaryKey | ConstraintKind::Unique),
                ..
            } => {
                "drops a primary key or unique constraint older code may rely on to reject duplicates"
            }
            _ => return None,
        })
    }

    /// Whether this change locks, rewrites or scans its table on `dialect`, given the
    /// statement's `online` clauses; `None` on SQLite, whose locks are database-wide anyway.
    ///
    /// PostgreSQL, after the manual's "ALTER TABLE" (Notes), "CREATE INDEX" (Building Indexes
    /// Concurrently) and "Explicit Locking" (Table-Level Locks): a plain `CREATE INDEX` or
    /// unique/primary key constraint, a foreign key or check constraint without `NOT VALID`,
    /// `SET NOT NULL`, a type change, a column with a volatile default. Not judged: the brief
    /// `ACCESS EXCLUSIVE` lock of `DROP`, `RENAME`, `ADD COLUMN` and the like.
    ///
    /// MySQL/MariaDB, after "InnoDB and Online DDL" and "InnoDB Online DDL Operations with the
    /// INPLACE/INSTANT Alter Algorithm": without `LOCK=NONE` or `ALGORITHM=INSTANT`, a type change
    /// (copies), adding or dropping a primary key (rebuilds), an index or unique key, a foreign
    /// key (copies unless `foreign_key_checks=0`, which a single statement cannot show) and a
    /// check constraint. Adding, dropping and renaming columns are instant or in-place.
    pub fn lock_risk(&self, dialect: Dialect, online: &Online) -> Option<Risk> {
        match dialect {
            Dialect::Sqlite => None,
            Dialect::Postgresql => self.postgres_risk(),
            Dialect::Mysql if online.is_guarded() => None,
            Dialect::Mysql => self.mysql_risk(),
        }
    }

    fn postgres_risk(&self) -> Option<Risk> {
        use ConstraintKind::*;
        let (reason, safe_form) = match self {
            TableChange::CreateIndex {
                concurrently: false,
                ..
            } => (
                "builds the index while blocking writes to the table",
                "CREATE INDEX CONCURRENTLY, in a revision of its own marked `Transactional: false`",
            ),
            TableChange::AddConstraint {
                kind: ForeignKey | Check,
                not_valid: false,
                ..
            } => (
                "checks every row while holding a lock that blocks writes",
                "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later revision",
            ),
            TableChange::AddConstraint {
                kind: Unique | PrimaryKey,
                using_index: false,
                ..
            } => (
                "builds a unique index while blocking writes to the table",
                "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX",
            ),
            TableChange::SetNotNull { .. } => (
                "scans the table under an ACCESS EXCLUSIVE lock",
                "ADD CONSTRAINT ... CHECK (c IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it, then SET NOT NULL",
            ),
            TableChange::AlterColumnType { .. } => (
                "rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (unless the old type is binary coercible to the new one)",
                "add a new column, backfill it in batches, then switch to it",
            ),
            TableChange::AddColumn {
                volatile_default: true,
                ..
            } => (
                "rewrites the table under an ACCESS EXCLUSIVE lock to fill the new column",
                "add the column without a default, SET DEFAULT, then backfill existing rows in batches",
            ),
            _ => return None,
        };
        Some(Risk { reason, safe_form })
    }

    fn mysql_risk(&self) -> Option<Risk> {
        use ConstraintKind::*;
        const REFUSE: &str = "state `ALGORITHM=INPLACE, LOCK=NONE` (in CREATE INDEX after the columns, without the commas) so the server refuses rather than blocks writes";
        let (reason, safe_form) = match self {
            TableChange::AlterColumnType { .. } => (
                "changing a column's type mostly copies the table, blocking writes",
                "add a new column, backfill it in batches, then switch to it; or state `ALGORITHM=INPLACE, LOCK=NONE` to be refused instead",
            ),
            TableChange::AddConstraint {
                kind: PrimaryKey, ..
            } => ("rebuilds the table", REFUSE),
            TableChange::DropConstraint {
                kind: Some(PrimaryKey),
                ..
            } => (
                "dropping a primary key without adding one copies the table, blocking writes",
                "drop and add the primary key in one ALTER TABLE with `ALGORITHM=INPLACE, LOCK=NONE`",
            ),
            TableChange::CreateIndex { .. } | TableChange::AddConstraint { kind: Unique, .. } => (
                "may block writes while the index builds (FULLTEXT and SPATIAL indexes, older servers)",
                REFUSE,
            ),
            TableChange::AddConstraint {
                kind: ForeignKey, ..
            } => (
                "adding a foreign key copies the table, blocking writes, unless foreign_key_checks is 0",
                "SET foreign_key_checks = 0 first (existing rows are then not checked) and add `, ALGORITHM=INPLACE, LOCK=NONE`",
            ),
            TableChange::AddConstraint { kind: Check, .. } => (
                "checks every row, which may copy the table and block writes",
                REFUSE,
            ),
            _ => return None,
        };
        Some(Risk { reason, safe_form })
    }
}

mod statement;
#[cfg(test)]
mod tests;
mod tokens;
