//! A [`Schema`] as the text the engine records in a database row after each run, and read back:
//! canonical JSON (tables in name order, fields in declaration order, no white space), so that
//! the same schema always gives the same text and the same fingerprint.

use sha2::{Digest, Sha256};

use super::SchemaError;
use super::tables::Schema;

/// The longest record read back: a record is read from a database, untrusted.
pub const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

impl Schema {
    /// The schema as canonical JSON: tables in name order, no white space. Where introspection
    /// found each check (its actual name) is not part of it.
    pub fn to_record(&self) -> String {
        serde_json::to_string(self).expect("a schema always serializes")
    }

    /// The schema a [`Schema::to_record`] text describes. The text is untrusted (read from a
    /// database): above [`MAX_RECORD_BYTES`], not JSON, of another shape, or naming a table
    /// under another name than its own, it is refused with [`SchemaError::Record`].
    pub fn from_record(text: &str) -> Result<Schema, SchemaError> {
        let refuse = |message: String| SchemaError::Record { message };
        if text.len() > MAX_RECORD_BYTES {
            return Err(refuse(format!(
                "it is {} bytes long, more than the {MAX_RECORD_BYTES} a record may be",
                text.len()
            )));
        }
        let schema: Schema = serde_json::from_str(text).map_err(|e| refuse(e.to_string()))?;
        for (key, table) in &schema.tables {
            if *key != table.name {
                return Err(refuse(format!(
                    "the table listed as {key:?} is named {:?}",
                    table.name
                )));
            }
        }
        Ok(schema)
    }

    /// The hex SHA-256 of [`Schema::to_record`]: equal for equal schemas.
    pub fn fingerprint(&self) -> String {
        Sha256::digest(self.to_record().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tables::{Check, Column, ForeignKey, Index, Key, Table};
    use crate::schema::types::{Default, Type};

    fn sample() -> Schema {
        let t = Table {
            name: "ports".into(),
            columns: vec![
                Column {
                    name: "id".into(),
                    ty: Type::Integer,
                    nullable: false,
                    default: None,
                    autoincrement: true,
                },
                Column {
                    name: "kind".into(),
                    ty: Type::Enum {
                        name: Some("port_kinds".into()),
                        values: vec!["a".into(), "it's".into()],
                    },
                    nullable: true,
                    default: Some(Default::Text("a".into())),
                    autoincrement: false,
                },
                Column {
                    name: "price".into(),
                    ty: Type::Numeric(Some((10, 2))),
                    nullable: true,
                    default: Some(Default::Number("0".into())),
                    autoincrement: false,
                },
            ],
            primary_key: Some(Key {
                name: None,
                columns: vec!["id".into()],
            }),
            uniques: vec![Key {
                name: Some("uq_kind".into()),
                columns: vec!["kind".into()],
            }],
            indexes: vec![Index {
                name: "ix_price".into(),
                columns: vec!["price".into()],
                unique: false,
            }],
            foreign_keys: vec![ForeignKey {
                name: None,
                columns: vec!["id".into()],
                ref_table: "ports".into(),
                ref_columns: vec!["id".into()],
                on_delete: Some("CASCADE".into()),
            }],
            checks: vec![Check::new(Some("ck_price".into()), "price > 0")],
        };
        Schema {
            tables: [("ports".to_string(), t)].into(),
        }
    }

    #[test]
    fn records_are_canonical_and_read_back() {
        let schema = sample();
        let text = schema.to_record();
        assert!(!text.contains(": ") && !text.contains('\n'), "{text}");
        assert_eq!(Schema::from_record(&text).unwrap(), schema);
        assert_eq!(Schema::from_record(&text).unwrap().to_record(), text);
        assert_eq!(schema.fingerprint().len(), 64);
        assert_eq!(schema.fingerprint(), sample().fingerprint());
        // Where introspection found a check is no part of the record.
        let mut found = schema.clone();
        found.tables.get_mut("ports").unwrap().checks[0].found =
            Some(crate::schema::tables::FoundCheck {
                name: "ck_price".into(),
                column: None,
            });
        assert_eq!(found.to_record(), text);
        assert_eq!(found.fingerprint(), schema.fingerprint());
        // Tables in name order, whatever order they were added in.
        let mut two = Schema::default();
        for name in ["b", "a"] {
            two.tables.insert(
                name.into(),
                Table {
                    name: name.into(),
                    ..Table::default()
                },
            );
        }
        let text = two.to_record();
        assert!(
            text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap(),
            "{text}"
        );
    }

    #[test]
    fn hostile_records_are_refused() {
        let good = sample().to_record();
        let refused = |text: &str| match Schema::from_record(text) {
            Err(SchemaError::Record { message }) => message,
            other => panic!("{text:.80}: {other:?}"),
        };
        // Truncated anywhere.
        for cut in [0, 1, good.len() / 3, good.len() / 2, good.len() - 1] {
            refused(&good[..cut]);
        }
        // Of another shape.
        for text in [
            "[]",
            "null",
            "{}",
            "{\"tables\":5}",
            "{\"tables\":{\"t\":{\"name\":\"t\"}}}",
            "{\"tables\":{\"t\":{\"name\":\"t\",\"columns\":[{\"name\":\"a\",\"ty\":\"varchar\",\"nullable\":true,\"default\":null,\"autoincrement\":false}],\"primary_key\":null,\"uniques\":[],\"indexes\":[],\"foreign_keys\":[],\"checks\":[]}}}",
            "{\"tables\":{\"t\":{\"name\":\"t\",\"columns\":[{\"name\":\"a\",\"ty\":{\"char\":-1},\"nullable\":true,\"default\":null,\"autoincrement\":false}],\"primary_key\":null,\"uniques\":[],\"indexes\":[],\"foreign_keys\":[],\"checks\":[]}}}",
            "\u{0}\u{ffff}",
        ] {
            refused(text);
        }
        // A table under another name than its own.
        let renamed = good.replacen("{\"ports\":", "{\"devices\":", 1);
        assert!(refused(&renamed).contains("devices"));
        // Nested too deep for the parser: refused, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        refused(&deep);
        let deep = format!("{{\"tables\":{}", "{\"a\":".repeat(100_000));
        refused(&deep);
        // Huge: refused before it is parsed.
        let huge = format!(
            "{{\"tables\":{{}},\"pad\":\"{}\"}}",
            "x".repeat(MAX_RECORD_BYTES)
        );
        assert!(refused(&huge).contains("bytes long"));
        // Fields this version does not know are ignored (a newer release may add some).
        let newer = good.replacen("{\"tables\":", "{\"comment\":\"x\",\"tables\":", 1);
        assert_eq!(Schema::from_record(&newer).unwrap(), sample());
    }
}
