-- merge units and settings
--
-- Revision ID: d4e5f6a1b2c3
-- Revises: b2c3d4e5f6a1, c3d4e5f6a1b2
-- Create Date: 2026-11-25 09:30:00

-- +upgrade
-- lock accepted: an appliance's own SQLite file, migrated before its application starts
CREATE INDEX ix_readings_taken_at ON readings (taken_at);

-- +downgrade
DROP INDEX ix_readings_taken_at;
