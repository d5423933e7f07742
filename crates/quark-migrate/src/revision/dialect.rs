use std::fmt;

/// The SQL dialect of a backend, as named in `-- +upgrade <dialect>` sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgresql,
    /// MySQL and MariaDB.
    Mysql,
}

impl Dialect {
    /// Every dialect, in a fixed order.
    pub const ALL: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgresql, Dialect::Mysql];

    /// This dialect's position in [`Dialect::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name used in section headers and `--dialect`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgresql => "postgresql",
            Dialect::Mysql => "mysql",
        }
    }

    /// `name` quoted as an identifier.
    pub fn quote(self, name: &str) -> String {
        match self {
            Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
            Dialect::Sqlite | Dialect::Postgresql => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// What ends a `CREATE TABLE` of the engine's own tables: on MySQL they are InnoDB whatever
    /// the default engine (`--mysql-engine`, the server's), since the run's bookkeeping must
    /// commit or roll back with each step.
    pub fn own_table_options(self) -> &'static str {
        match self {
            Dialect::Mysql => " ENGINE=InnoDB",
            _ => "",
        }
    }

    /// `UPDATE table SET assignments WHERE filter`, touching only the newest row the filter
    /// matches (by `id`): read from the newest row back, so that updating a history row costs
    /// the same however long the history (MySQL cannot name the updated table in a subquery,
    /// and takes `ORDER BY ... LIMIT` in an `UPDATE`; the others find the row in a subquery).
    pub fn update_newest(self, table: &str, assignments: &str, filter: &str) -> String {
        match self {
            Dialect::Mysql => {
                format!("UPDATE {table} SET {assignments} WHERE {filter} ORDER BY id DESC LIMIT 1")
            }
            _ => format!(
                "UPDATE {table} SET {assignments} WHERE id = (SELECT id FROM {table} WHERE {filter} ORDER BY id DESC LIMIT 1)"
            ),
        }
    }

    /// `value` as a string literal that reads back as `value` whatever the session's settings:
    /// quotes doubled; where the value holds a backslash or NUL, a form no setting changes
    /// (PostgreSQL `E'...'` with backslashes doubled, whatever `standard_conforming_strings`
    /// says; MySQL a hex literal of the UTF-8 bytes, whatever `NO_BACKSLASH_ESCAPES` says;
    /// SQLite a hex blob cast to text for NUL, which ends its SQL text). A NUL, which
    /// PostgreSQL's text cannot hold, is written `\000` for the server to refuse.
    pub fn string_literal(self, value: &str) -> String {
        let plain = !value.contains(['\\', '\0']);
        match self {
            _ if plain => format!("'{}'", value.replace('\'', "''")),
            Dialect::Postgresql => format!(
                "E'{}'",
                value
                    .replace('\\', "\\\\")
                    .replace('\'', "''")
                    .replace('\0', "\\000")
            ),
            Dialect::Mysql => format!("_utf8mb4 X'{}'", hex(value)),
            Dialect::Sqlite if !value.contains('\0') => {
                format!("'{}'", value.replace('\'', "''"))
            }
            Dialect::Sqlite => format!("CAST(X'{}' AS TEXT)", hex(value)),
        }
    }

    /// The statement that starts a transaction.
    pub fn begin(self) -> &'static str {
        match self {
            Dialect::Mysql => "START TRANSACTION",
            Dialect::Sqlite | Dialect::Postgresql => "BEGIN",
        }
    }

    /// The statement that starts a transaction that may only read (on SQLite, whose
    /// connection is opened read-only instead, a plain one).
    pub fn begin_read_only(self) -> &'static str {
        match self {
            Dialect::Mysql => "START TRANSACTION READ ONLY",
            Dialect::Postgresql => "BEGIN READ ONLY",
            Dialect::Sqlite => "BEGIN",
        }
    }

    /// How this dialect spells a type of the portable vocabulary that it does not know by that
    /// name (`word` in upper case): `DATETIME` is `TIMESTAMP` (without time zone) on PostgreSQL.
    pub fn type_spelling(self, word: &str) -> Option<&'static str> {
        match (self, word) {
            (Dialect::Postgresql, "DATETIME") => Some("TIMESTAMP"),
            _ => None,
        }
    }

    /// A query that returns a row when the current schema's table named by the first
    /// placeholder (`p1`) has a column named by the second (`p2`).
    pub fn column_exists_query(self, p1: &str, p2: &str) -> String {
        match self {
            Dialect::Sqlite => format!("SELECT 1 FROM pragma_table_info({p1}) WHERE name = {p2}"),
            Dialect::Postgresql => format!(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name = {p1} AND column_name = {p2}"
            ),
            Dialect::Mysql => format!(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = DATABASE() \
                 AND table_name = {p1} AND column_name = {p2}"
            ),
        }
    }

    /// An expression for the database's clock now, in milliseconds since the Unix epoch (on
    /// SQLite, the machine's clock: the file's readers all run on it).
    pub fn now_ms(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
            Dialect::Postgresql => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
            Dialect::Mysql => "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)",
        }
    }

    /// Whether DDL inside a transaction rolls back with it (MySQL commits DDL implicitly).
    pub fn transactional_ddl(self) -> bool {
        self != Dialect::Mysql
    }

    /// Column definition of an auto-incrementing integer primary key.
    pub fn auto_increment_key(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Dialect::Postgresql => "BIGSERIAL PRIMARY KEY",
            Dialect::Mysql => "BIGINT AUTO_INCREMENT PRIMARY KEY",
        }
    }

    /// Parses a dialect name; `postgres` and `mariadb` are accepted as aliases.
    pub fn from_name(name: &str) -> Option<Dialect> {
        match name.to_ascii_lowercase().as_str() {
            "sqlite" => Some(Dialect::Sqlite),
            "postgresql" | "postgres" => Some(Dialect::Postgresql),
            "mysql" | "mariadb" => Some(Dialect::Mysql),
            _ => None,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The bytes of `text` in upper-case hexadecimal.
fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02X}")).collect()
}
