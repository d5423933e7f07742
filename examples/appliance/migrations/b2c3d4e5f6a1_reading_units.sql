-- reading units
--
-- Revision ID: b2c3d4e5f6a1
-- Revises: a1b2c3d4e5f6
-- Create Date: 2026-11-25 09:10:00

-- +upgrade
ALTER TABLE readings ADD COLUMN unit TEXT NOT NULL DEFAULT 'C';

-- +downgrade
ALTER TABLE readings DROP COLUMN unit;
