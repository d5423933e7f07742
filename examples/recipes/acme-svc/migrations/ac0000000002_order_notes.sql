-- order notes
--
-- Revision ID: ac0000000002
-- Revises: ac0000000001
-- Create Date: 2026-12-07

-- +upgrade
ALTER TABLE orders ADD COLUMN note TEXT;

-- +downgrade
ALTER TABLE orders DROP COLUMN note;
