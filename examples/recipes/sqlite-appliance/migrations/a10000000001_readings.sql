-- readings
--
-- Revision ID: a10000000001
-- Revises: None
-- Create Date: 2026-12-07

-- +upgrade
CREATE TABLE readings (id INTEGER PRIMARY KEY, value INTEGER NOT NULL);

-- +downgrade
DROP TABLE readings;
