-- compact the database file
--
-- Revision ID: e5f6a1b2c3d4
-- Revises: d4e5f6a1b2c3
-- Create Date: 2026-11-25 09:40:00
-- Transactional: false

-- +upgrade
VACUUM;

-- +downgrade
VACUUM;
