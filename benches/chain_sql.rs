//! Prints quark's embedded chain as JSON, one revision per line in order: its id, parents,
//! whether it is written in Rust, and the statements of each direction per dialect, split by
//! the engine's own parser. `benches/report.py` writes an Alembic project from it, so that
//! Alembic runs exactly the SQL we run.

use quark_db_manage::MIGRATIONS;
use quark_migrate::Migrations;
use quark_migrate::revision::{Dialect, Direction};
use serde_json::{Map, Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let migrations = Migrations::new(MIGRATIONS)?;
    for rev in migrations.map()?.iter() {
        let mut directions = Map::new();
        for direction in [Direction::Upgrade, Direction::Downgrade] {
            let mut dialects = Map::new();
            for dialect in Dialect::ALL {
                let statements = match rev.statements(direction, dialect) {
                    Some(statements) => {
                        json!(statements?.into_iter().map(|s| s.sql).collect::<Vec<_>>())
                    }
                    None => Value::Null,
                };
                dialects.insert(dialect.to_string(), statements);
            }
            directions.insert(direction.name().to_string(), Value::Object(dialects));
        }
        println!(
            "{}",
            json!({
                "id": rev.id,
                "down_revisions": rev.down_revisions,
                "rust": rev.code.is_some(),
                "irreversible_rust": rev.code.as_ref().is_some_and(|c| c.downgrade_line.is_none()),
                "sql": directions,
            })
        );
    }
    Ok(())
}
