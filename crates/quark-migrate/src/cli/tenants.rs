//! The databases a run over many names: every --database-connection and the lines of
//! --databases, or the tenants of the configured database (--schemas, --schemas-from), each
//! with a URL of its own; then the run's shard of them (--shard).

use super::input_files::{self, DATABASES_FILE_LIMIT, database_lines};
use super::{Context, Failure};
use crate::backend::Value;

/// The databases of a run over many, in order, or `None` for a run over one.
pub(super) fn fleet(ctx: &Context<'_>) -> Result<Option<Vec<String>>, Failure> {
    let cli = ctx.cli;
    let mut urls = if cli.schemas.is_some() || cli.schemas_from.is_some() {
        tenants(ctx)?
    } else {
        let mut urls = cli.database_connection.clone();
        if let Some(file) = &cli.databases {
            urls.extend(listed(file, "--databases")?);
        } else if urls.len() <= 1 {
            return match cli.shard {
                Some(_) => Err(Failure::Usage(
                    "--shard takes a share of several databases (--databases, --schemas or --schemas-from)".to_string(),
                )),
                None => Ok(None),
            };
        }
        urls
    };
    if let Some((k, n)) = cli.shard {
        urls.retain(|url| crate::in_shard(url, k, n));
        log::info!(target: crate::app::log_target(), "Shard {k}/{n}: {} databases", urls.len());
    }
    Ok(Some(urls))
}

/// The lines of a list file `flag` names, at least one.
fn listed(file: &std::path::Path, flag: &'static str) -> Result<Vec<String>, Failure> {
    let text = input_files::read_text(file, flag, DATABASES_FILE_LIMIT)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let lines = database_lines(&text);
    if lines.is_empty() {
        return Err(Failure::Usage(format!(
            "{flag} {} names nothing",
            file.display()
        )));
    }
    Ok(lines)
}

/// A URL for each tenant of the configured database, named by --schemas or --schemas-from.
fn tenants(ctx: &Context<'_>) -> Result<Vec<String>, Failure> {
    if ctx.cli.database_connection.len() > 1 {
        return Err(Failure::Usage(
            "tenants (--schemas, --schemas-from) are of one database: give --database-connection once".to_string(),
        ));
    }
    let (url, _) = ctx.configured()?;
    let names = match (&ctx.cli.schemas, &ctx.cli.schemas_from) {
        (Some(file), _) => listed(file, "--schemas")?,
        (None, Some(sql)) => named_by(ctx, sql)?,
        (None, None) => unreachable!("called for tenants"),
    };
    names
        .iter()
        .map(|name| Ok(url.for_tenant(name)?.raw().to_string()))
        .collect()
}

/// The tenant names `sql` gives in its first column, run read-only on the configured database.
fn named_by(ctx: &Context<'_>, sql: &str) -> Result<Vec<String>, Failure> {
    let (url, mut db) = ctx.connect()?;
    let dialect = db.dialect();
    let rows = db
        .run(dialect.begin_read_only())
        .and_then(|()| db.query(sql, &[]));
    let _ = db.rollback();
    let names: Vec<String> = rows
        .map_err(|e| Failure::Usage(format!("--schemas-from failed on {url}: {e}")))?
        .into_iter()
        .filter_map(|row| match row.into_iter().next() {
            Some(Value::Text(name)) => Some(name),
            Some(Value::Int(n)) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    if names.is_empty() {
        return Err(Failure::Usage(format!(
            "--schemas-from named no tenant on {url}: {sql}"
        )));
    }
    Ok(names)
}
