//! Input no revision would hold: noise, every prefix of real statements.

use super::*;

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn garbage_never_panics_and_claims_nothing() {
    for d in Dialect::ALL {
        for sql in [
            "",
            "   \n\t ",
            "-- only a comment",
            "/* unterminated",
            ";",
            "(((",
            ")))",
            "'",
            "\"",
            "`",
            "$$",
            "$a$ x",
            "E'\\",
            "[",
            "\u{feff}\u{0}\u{7f}é漢字🦀",
        ] {
            let c = classify(sql, d);
            assert_eq!(c.effect, Effect::Other, "{sql:?}");
            assert!(c.changes.is_empty(), "{sql:?}");
        }
        for sql in [
            "DROP TABLE \"unterminated",
            "DROP TABLE t /* unterminated",
            "ALTER TABLE t DROP COLUMN c)",
            "ALTER TABLE t DROP COLUMN c, ADD (x INT",
            "ALTER TABLE t ADD COLUMN c INT DEFAULT 'x",
            "DROP TABLE 'x'",
            "ALTER TABLE t DROP COLUMN 'c'",
            "ALTER TABLE t RENAME COLUMN a TO 'b'",
        ] {
            assert_eq!(changes(sql, d), [TableChange::Other], "{sql} on {d}");
        }
    }
}

#[test]
fn every_prefix_and_random_input_classifies_without_panicking() {
    let corpus = [
        "ALTER TABLE `db`.\"t\" ADD COLUMN IF NOT EXISTS c ENUM('a,b', 'c''d') NOT NULL DEFAULT (uuid()), DROP FOREIGN KEY f, ALGORITHM=INPLACE, LOCK=NONE",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON ONLY s.t USING btree (lower(a)) WHERE b IS NOT NULL",
        "-- c\n/* d /* e */ */ WITH x AS (DELETE FROM t RETURNING *) SELECT $tag$ body $tag$, E'\\'', [x] FROM x",
        "ALTER TABLE t ALTER COLUMN c TYPE numeric(10, 2) USING c::numeric, ADD CONSTRAINT k CHECK (c > 0) NOT VALID",
        "ALTER TABLE t CHANGE COLUMN a b BIGINT NOT NULL, MODIFY c VARCHAR(3), RENAME TO u",
        "DROP INDEX `PRIMARY` ON t ALGORITHM = COPY; TRUNCATE ONLY a, b * CASCADE",
    ];
    for d in Dialect::ALL {
        for sql in corpus {
            for (at, _) in sql.char_indices() {
                let _ = classify(&sql[..at], d);
                let _ = classify(&sql[at..], d);
            }
        }
        for seed in 0..400u64 {
            let bytes = noise(seed, (seed % 97) as usize);
            let _ = classify(&String::from_utf8_lossy(&bytes), d);
            // Keyword soup exercises the parser paths rather than the tokenizer.
            let words = [
                "ALTER",
                "TABLE",
                "ADD",
                "DROP",
                "COLUMN",
                "(",
                ")",
                ",",
                "'",
                "t",
                ".",
                "=",
                "NOT",
                "NULL",
                "DEFAULT",
                "CONSTRAINT",
                "INDEX",
                "ON",
                "TO",
                "RENAME",
                "CHANGE",
                "MODIFY",
                "TYPE",
                "USING",
                "IF",
                "EXISTS",
                "`",
                "\"",
                "KEY",
                "PRIMARY",
                "ALGORITHM",
                "LOCK",
            ];
            let soup: Vec<&str> = noise(seed + 7, 24)
                .iter()
                .map(|b| words[*b as usize % words.len()])
                .collect();
            let _ = classify(&soup.join(" "), d);
            let _ = classify(&format!("ALTER TABLE t {}", soup.join(" ")), d);
        }
    }
}
