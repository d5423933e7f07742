-- readings
--
-- Revision ID: a1b2c3d4e5f6
-- Revises: None
-- Create Date: 2026-11-25 09:00:00

-- +upgrade
CREATE TABLE readings (
    id INTEGER PRIMARY KEY,
    value INTEGER NOT NULL,
    taken_at TEXT NOT NULL
);

-- +downgrade
DROP TABLE readings;
