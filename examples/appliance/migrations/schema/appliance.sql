-- The appliance's schema at head, as it should be. `appliance db check` compares it with what
-- the migrations build; after editing it, `appliance db revision --autogenerate -m "..."`
-- writes the revision that gets there.

CREATE TABLE readings (
    id INTEGER,
    value INTEGER NOT NULL,
    taken_at TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT 'C',
    PRIMARY KEY (id)
);

CREATE INDEX ix_readings_taken_at ON readings (taken_at);

CREATE TABLE settings (
    name TEXT,
    value TEXT NOT NULL,
    PRIMARY KEY (name)
);
