//! The classifier's parser: a statement's effect, told by its first word, and the DDL forms
//! migrations use, read into [`TableChange`]s.

use super::tokens::*;
use super::{ConstraintKind, Effect, Online, TableChange};
use crate::revision::Dialect;

/// What the statement at the cursor does to the database, told by its first word.
pub(super) fn effect_of(c: &Cur) -> Effect {
    match c.word_at(0).as_deref() {
        Some("INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "MERGE") => Effect::Data,
        Some("SET" | "RESET") => Effect::Session,
        Some(
            "CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE" | "COMMENT" | "GRANT" | "REVOKE",
        ) => Effect::Schema,
        // A data-modifying statement of a `WITH` starts the main query or a parenthesised one.
        Some("WITH") => {
            let modifies = (1..c.toks.len()).any(|n| {
                matches!(c.toks[n - 1].kind, Kind::Open | Kind::Close)
                    && matches!(
                        c.word_at(n).as_deref(),
                        Some("INSERT" | "UPDATE" | "DELETE" | "MERGE")
                    )
            });
            if modifies {
                Effect::Data
            } else {
                Effect::Other
            }
        }
        _ => Effect::Other,
    }
}

/// The changes of a schema statement, `None` when it is not understood.
pub(super) fn schema_changes(
    mut c: Cur,
    dialect: Dialect,
    online: &mut Online,
) -> Option<Vec<TableChange>> {
    let first = c.word_at(0)?;
    c.i += 1;
    match first.as_str() {
        "CREATE" => create(c, online),
        "DROP" => drop(c, dialect, online),
        "ALTER" => alter(c, dialect, online),
        "TRUNCATE" => {
            c.eat("TABLE");
            c.eat("ONLY");
            let mut tables = vec![];
            loop {
                tables.push(TableChange::TruncateTable { table: c.name()? });
                c.eat_kind(&Kind::Punct(b'*'));
                if !c.eat_kind(&Kind::Comma) {
                    break;
                }
            }
            c.only("RESTART CONTINUE IDENTITY CASCADE RESTRICT")
                .then_some(tables)
        }
        "RENAME" if c.eat("TABLE") => split_commas(c.rest())
            .into_iter()
            .map(|part| {
                let mut p = c.over(part);
                let table = p.name()?;
                (p.eat("TO") && !p.done()).then_some(())?;
                let to = p.name()?;
                p.done().then_some(TableChange::RenameTable { table, to })
            })
            .collect(),
        _ => None,
    }
}

/// `CREATE TABLE` or `CREATE [UNIQUE] INDEX`, the cursor after `CREATE`.
fn create(mut c: Cur, online: &mut Online) -> Option<Vec<TableChange>> {
    let or_replace = c.eat("OR REPLACE");
    while c.is_any("GLOBAL LOCAL TEMPORARY TEMP UNLOGGED ONLINE OFFLINE") {
        c.i += 1;
    }
    let unique = c.eat("UNIQUE");
    let special = c.eat("FULLTEXT") || c.eat("SPATIAL");
    if !unique && !special && c.eat("TABLE") {
        c.eat("IF NOT EXISTS");
        let table = c.name()?;
        let create = TableChange::CreateTable {
            table: table.clone(),
        };
        // MariaDB's `CREATE OR REPLACE TABLE` drops the table first.
        return Some(if or_replace {
            vec![TableChange::DropTable { table }, create]
        } else {
            vec![create]
        });
    }
    if !c.eat("INDEX") {
        return None;
    }
    let concurrently = c.eat("CONCURRENTLY");
    c.eat("IF NOT EXISTS");
    let name = if c.is("ON") { None } else { Some(c.name()?) };
    if c.is("USING") {
        c.i += 2;
    }
    if !c.eat("ON") {
        return None;
    }
    c.eat("ONLY");
    let table = c.name()?;
    while !c.done() {
        if !c.online_clause(online) {
            c.i += 1;
        }
    }
    Some(vec![TableChange::CreateIndex {
        table,
        name,
        unique,
        concurrently,
    }])
}

/// `DROP TABLE` or `DROP INDEX`, the cursor after `DROP`.
fn drop(mut c: Cur, dialect: Dialect, online: &mut Online) -> Option<Vec<TableChange>> {
    if c.eat("TABLE") {
        c.eat("IF EXISTS");
        let tables = c.names()?;
        return c.only("CASCADE RESTRICT").then(|| {
            tables
                .into_iter()
                .map(|table| TableChange::DropTable { table })
                .collect()
        });
    }
    if !c.eat("INDEX") {
        return None;
    }
    let concurrently = c.eat("CONCURRENTLY");
    c.eat("IF EXISTS");
    let names = c.names()?;
    let table = if c.eat("ON") { Some(c.name()?) } else { None };
    while c.online_clause(online) {}
    if !c.only("CASCADE RESTRICT") || (table.is_some() && names.len() > 1) {
        return None;
    }
    Some(
        names
            .into_iter()
            .map(|name| match &table {
                Some(t) if dialect == Dialect::Mysql && name.eq_ignore_ascii_case("PRIMARY") => {
                    TableChange::DropConstraint {
                        table: t.clone(),
                        name: None,
                        kind: Some(ConstraintKind::PrimaryKey),
                    }
                }
                _ => TableChange::DropIndex {
                    table: table.clone(),
                    name,
                    concurrently,
                },
            })
            .collect(),
    )
}

/// `ALTER TABLE`, one change per action, the cursor after `ALTER`.
fn alter(mut c: Cur, dialect: Dialect, online: &mut Online) -> Option<Vec<TableChange>> {
    c.eat("ONLINE");
    c.eat("IGNORE");
    if !c.eat("TABLE") {
        return None;
    }
    c.eat("IF EXISTS");
    c.eat("ONLY");
    let table = c.name()?;
    c.eat_kind(&Kind::Punct(b'*'));
    if c.done() {
        return None;
    }
    let mut changes = Vec::new();
    for part in split_commas(c.rest()) {
        if c.over(part).online_clause(online) {
            continue;
        }
        match action(c.over(part), &table, dialect) {
            Some(more) if !more.is_empty() => changes.extend(more),
            _ => changes.push(TableChange::Other),
        }
    }
    Some(changes)
}

/// One action of an `ALTER TABLE`.
fn action(mut a: Cur, table: &str, dialect: Dialect) -> Option<Vec<TableChange>> {
    let verb = a.word_at(0)?;
    a.i += 1;
    match verb.as_str() {
        "ADD" => add(a, table),
        "DROP" => drop_action(a, table),
        "ALTER" => alter_column(a, table).map(|change| vec![change]),
        "MODIFY" | "CHANGE" => redefine_column(a, table, &verb),
        "RENAME" => rename(a, table, dialect),
        "VALIDATE" => {
            a.eat("CONSTRAINT").then_some(())?;
            let name = a.ident()?;
            a.done().then(|| {
                vec![TableChange::ValidateConstraint {
                    table: table.to_string(),
                    name,
                }]
            })
        }
        _ => None,
    }
}

/// `ALTER [COLUMN] c TYPE t`, `SET/DROP NOT NULL`, `SET/DROP DEFAULT`, the cursor after `ALTER`.
fn alter_column(mut a: Cur, table: &str) -> Option<TableChange> {
    let t = || table.to_string();
    if a.is_any("CONSTRAINT INDEX CHECK") {
        return None;
    }
    a.eat("COLUMN");
    let column = a.ident()?;
    Some(if a.eat("TYPE") || a.eat("SET DATA TYPE") {
        let stop = a
            .rest()
            .iter()
            .position(|t| matches!(a.text(t).to_ascii_uppercase().as_str(), "USING" | "COLLATE"));
        let ty = span(a, &a.rest()[..stop.unwrap_or(a.rest().len())]);
        (!ty.is_empty()).then_some(())?;
        TableChange::AlterColumnType {
            table: t(),
            column,
            to: ty,
            not_null: None,
        }
    } else if a.eat("SET NOT NULL") && a.done() {
        TableChange::SetNotNull { table: t(), column }
    } else if a.eat("DROP NOT NULL") && a.done() {
        TableChange::DropNotNull { table: t(), column }
    } else if a.eat("SET DEFAULT") && !a.done() {
        TableChange::SetDefault { table: t(), column }
    } else if a.eat("DROP DEFAULT") && a.done() {
        TableChange::DropDefault { table: t(), column }
    } else {
        return None;
    })
}

/// MySQL `MODIFY [COLUMN] <definition>` and `CHANGE [COLUMN] old <definition>` (`verb`), the
/// cursor after the verb: a type change, after a rename when `CHANGE` gives another name.
fn redefine_column(mut a: Cur, table: &str, verb: &str) -> Option<Vec<TableChange>> {
    a.eat("COLUMN");
    a.eat("IF EXISTS");
    let from = if verb == "CHANGE" {
        Some(a.ident()?)
    } else {
        None
    };
    let def = column_def(a, table)?;
    (!def.ty.is_empty()).then_some(())?;
    let mut changes = Vec::new();
    if let Some(from) = from.filter(|f| !f.eq_ignore_ascii_case(&def.name)) {
        changes.push(TableChange::RenameColumn {
            table: table.to_string(),
            from,
            to: def.name.clone(),
        });
    }
    changes.push(TableChange::AlterColumnType {
        table: table.to_string(),
        column: def.name,
        to: def.ty,
        not_null: Some(def.not_null),
    });
    Some(changes)
}

/// `RENAME TO/AS t` (the table), `RENAME [COLUMN] a TO b`, or MySQL's `RENAME t`, the cursor
/// after `RENAME`.
fn rename(mut a: Cur, table: &str, dialect: Dialect) -> Option<Vec<TableChange>> {
    let t = || table.to_string();
    if a.eat("TO") || a.eat("AS") {
        let to = a.name()?;
        return a
            .done()
            .then(|| vec![TableChange::RenameTable { table: t(), to }]);
    }
    if a.is_any("CONSTRAINT INDEX KEY") {
        return None;
    }
    a.eat("COLUMN");
    let from = a.ident()?;
    if a.done() && dialect == Dialect::Mysql {
        return Some(vec![TableChange::RenameTable {
            table: t(),
            to: from,
        }]);
    }
    a.eat("TO").then_some(())?;
    let to = a.ident()?;
    a.done().then(|| {
        vec![TableChange::RenameColumn {
            table: t(),
            from,
            to,
        }]
    })
}

/// An `ADD` action: a constraint, an index or columns, the cursor after `ADD`.
fn add(mut a: Cur, table: &str) -> Option<Vec<TableChange>> {
    let name = if a.eat("CONSTRAINT") && !a.is_any("PRIMARY UNIQUE FOREIGN CHECK") {
        Some(a.ident()?)
    } else {
        None
    };
    if name.is_some() || a.is_any("PRIMARY UNIQUE FOREIGN CHECK") {
        let kind = constraint_kind(&mut a)?;
        let not_null_of = (kind == ConstraintKind::Check)
            .then(|| not_null_check(a))
            .flatten();
        let top = top_level(a.rest());
        let has = |words: &str| top.iter().any(|&n| a.seq_at(n, words));
        return Some(vec![TableChange::AddConstraint {
            table: table.to_string(),
            name: name.or_else(|| {
                (kind == ConstraintKind::Unique)
                    .then(|| index_name(a))
                    .flatten()
            }),
            kind,
            not_valid: has("NOT VALID"),
            using_index: has("USING INDEX"),
            not_null_of,
        }]);
    }
    if a.is_any("INDEX KEY FULLTEXT SPATIAL") {
        a.eat("FULLTEXT");
        a.eat("SPATIAL");
        a.eat("INDEX");
        a.eat("KEY");
        a.eat("IF NOT EXISTS");
        let name = index_name(a);
        return Some(vec![TableChange::CreateIndex {
            table: table.to_string(),
            name,
            unique: false,
            concurrently: false,
        }]);
    }
    if a.is_any("PARTITION PERIOD SYSTEM EXCLUDE") {
        return None;
    }
    a.eat("COLUMN");
    a.eat("IF NOT EXISTS");
    let defs = if a.eat_kind(&Kind::Open) {
        let inner = a.rest().get(..a.rest().len().checked_sub(1)?)?;
        (a.rest().last()?.kind == Kind::Close).then_some(())?;
        split_commas(inner)
            .into_iter()
            .map(|d| column_def(a.over(d), table))
            .collect::<Option<Vec<_>>>()?
    } else {
        vec![column_def(a, table)?]
    };
    let mut changes = Vec::new();
    for def in defs {
        changes.push(TableChange::AddColumn {
            table: table.to_string(),
            column: def.name,
            not_null: def.not_null,
            default: def.default,
            volatile_default: def.volatile,
        });
        changes.extend(def.constraints);
    }
    Some(changes)
}

/// The index name at the cursor of an `ADD INDEX/KEY/UNIQUE`, if one is given.
fn index_name(mut a: Cur) -> Option<String> {
    if !a.eat("INDEX") {
        a.eat("KEY");
    }
    if a.is_any("USING NULLS") {
        None
    } else {
        a.ident()
    }
}

/// The column `c` of a check that reads `(c IS NOT NULL)`, the cursor after `CHECK`.
fn not_null_check(mut a: Cur) -> Option<String> {
    a.eat_kind(&Kind::Open).then_some(())?;
    let column = a.ident()?;
    (a.eat("IS NOT NULL") && a.eat_kind(&Kind::Close)).then_some(column)
}

/// Consumes `PRIMARY KEY`, `UNIQUE`, `FOREIGN KEY` or `CHECK`.
fn constraint_kind(a: &mut Cur) -> Option<ConstraintKind> {
    Some(if a.eat("PRIMARY KEY") {
        ConstraintKind::PrimaryKey
    } else if a.eat("UNIQUE") {
        ConstraintKind::Unique
    } else if a.eat("FOREIGN KEY") {
        ConstraintKind::ForeignKey
    } else if a.eat("CHECK") {
        ConstraintKind::Check
    } else {
        return None;
    })
}

/// A `DROP` action: a constraint, a key, an index or a column, the cursor after `DROP`.
fn drop_action(mut a: Cur, table: &str) -> Option<Vec<TableChange>> {
    let t = table.to_string();
    let end = |a: Cur| a.only("CASCADE RESTRICT");
    let change = if a.eat("CONSTRAINT") {
        a.eat("IF EXISTS");
        TableChange::DropConstraint {
            table: t,
            name: Some(a.ident()?),
            kind: None,
        }
    } else if a.eat("PRIMARY KEY") {
        TableChange::DropConstraint {
            table: t,
            name: None,
            kind: Some(ConstraintKind::PrimaryKey),
        }
    } else if a.eat("FOREIGN KEY") {
        a.eat("IF EXISTS");
        TableChange::DropConstraint {
            table: t,
            name: Some(a.ident()?),
            kind: Some(ConstraintKind::ForeignKey),
        }
    } else if a.eat("CHECK") {
        TableChange::DropConstraint {
            table: t,
            name: Some(a.ident()?),
            kind: Some(ConstraintKind::Check),
        }
    } else if a.eat("INDEX") || a.eat("KEY") {
        a.eat("IF EXISTS");
        let name = a.ident()?;
        if name.eq_ignore_ascii_case("PRIMARY") {
            TableChange::DropConstraint {
                table: t,
                name: None,
                kind: Some(ConstraintKind::PrimaryKey),
            }
        } else {
            TableChange::DropIndex {
                table: Some(t),
                name,
                concurrently: false,
            }
        }
    } else if a.is_any("PARTITION PERIOD SYSTEM DEFAULT NOT EXPRESSION IDENTITY") {
        return None;
    } else {
        a.eat("COLUMN");
        a.eat("IF EXISTS");
        TableChange::DropColumn {
            table: t,
            column: a.ident()?,
        }
    };
    end(a).then(|| vec![change])
}

/// A column definition, `name type attributes...`.
struct ColumnDef {
    name: String,
    ty: String,
    not_null: bool,
    default: bool,
    volatile: bool,
    constraints: Vec<TableChange>,
}

/// Words that end a column's type and start its attributes.
const ATTRIBUTES: &str = "NOT NULL DEFAULT PRIMARY UNIQUE KEY CHECK REFERENCES CONSTRAINT COLLATE GENERATED AS \
    AUTO_INCREMENT AUTOINCREMENT COMMENT FIRST AFTER ON INVISIBLE VISIBLE COLUMN_FORMAT \
    STORAGE USING";

/// Functions PostgreSQL does not evaluate per row as a default, and type names written as casts.
const STABLE_CALLS: &str = "NOW CURRENT_TIMESTAMP CURRENT_TIME LOCALTIMESTAMP LOCALTIME TRANSACTION_TIMESTAMP \
    STATEMENT_TIMESTAMP CAST COALESCE NULLIF GREATEST LEAST LOWER UPPER ARRAY ROW \
    JSON_BUILD_OBJECT JSONB_BUILD_OBJECT JSON_BUILD_ARRAY JSONB_BUILD_ARRAY MAKE_INTERVAL \
    VARCHAR CHAR CHARACTER VARYING NUMERIC DECIMAL TIMESTAMP TIME BIT FLOAT";

/// The column definition at the cursor.
fn column_def(mut c: Cur, table: &str) -> Option<ColumnDef> {
    let name = c.ident()?;
    let rest = c.rest();
    let r = c.over(rest);
    let top = top_level(rest);
    let attr_at = |n: usize| ATTRIBUTES.split_whitespace().any(|k| r.is_at(n, k));
    let ty_end = top
        .iter()
        .copied()
        .find(|&n| attr_at(n))
        .unwrap_or(rest.len());
    let ty = span(r, &rest[..ty_end]);
    let attrs: Vec<usize> = top.into_iter().filter(|&n| n >= ty_end).collect();
    let has = |kw: &str| attrs.iter().any(|&n| r.is_at(n, kw));
    let serial = matches!(
        r.word_at(0).as_deref(),
        Some("SERIAL" | "BIGSERIAL" | "SMALLSERIAL" | "SERIAL2" | "SERIAL4" | "SERIAL8")
    ) && ty_end == 1;
    let default_at = attrs.iter().copied().find(|&n| r.is_at(n, "DEFAULT"));
    let calls_unknown = default_at.is_some_and(|d| {
        let end = attrs
            .iter()
            .copied()
            .find(|&n| n > d && attr_at(n))
            .unwrap_or(rest.len());
        (d + 1..end.saturating_sub(1)).any(|n| {
            rest[n + 1].kind == Kind::Open
                && r.word_at(n)
                    .is_some_and(|w| !STABLE_CALLS.split_whitespace().any(|k| k == w))
        })
    });
    let generated = has("GENERATED") || has("AS");
    let mut constraints = Vec::new();
    let mut pending: Option<String> = None;
    for (k, &n) in attrs.iter().enumerate() {
        let kind = match r.word_at(n).as_deref() {
            Some("CONSTRAINT") => {
                pending = attrs.get(k + 1).and_then(|&m| c.over(&rest[m..]).ident());
                continue;
            }
            Some("PRIMARY") if r.is_at(n + 1, "KEY") => ConstraintKind::PrimaryKey,
            Some("UNIQUE") => ConstraintKind::Unique,
            Some("CHECK") => ConstraintKind::Check,
            Some("REFERENCES") => ConstraintKind::ForeignKey,
            _ => continue,
        };
        constraints.push(TableChange::AddConstraint {
            table: table.to_string(),
            name: pending.take(),
            kind,
            not_valid: false,
            using_index: false,
            not_null_of: None,
        });
    }
    Some(ColumnDef {
        name,
        ty,
        not_null: attrs.iter().any(|&n| r.seq_at(n, "NOT NULL"))
            || constraints.iter().any(|k| {
                matches!(
                    k,
                    TableChange::AddConstraint {
                        kind: ConstraintKind::PrimaryKey,
                        ..
                    }
                )
            }),
        default: default_at.is_some()
            || serial
            || generated
            || has("AUTO_INCREMENT")
            || has("AUTOINCREMENT"),
        volatile: calls_unknown || serial || (generated && (has("IDENTITY") || has("STORED"))),
        constraints,
    })
}

/// The source text `toks` cover.
fn span(c: Cur, toks: &[Tok]) -> String {
    match (toks.first(), toks.last()) {
        (Some(a), Some(b)) => c.sql.get(a.start..b.end).unwrap_or("").to_string(),
        _ => String::new(),
    }
}
