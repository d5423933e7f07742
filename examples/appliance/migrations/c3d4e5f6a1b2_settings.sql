-- settings
--
-- Revision ID: c3d4e5f6a1b2
-- Revises: a1b2c3d4e5f6
-- Create Date: 2026-11-25 09:20:00

-- +upgrade
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO settings (name, value) VALUES ('interval_s', '60');

-- +downgrade
DROP TABLE settings;
