-- visits
--
-- Revision ID: b10000000001
-- Revises: None
-- Create Date: 2026-12-07

-- +upgrade
CREATE TABLE visits (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now());

-- +downgrade
DROP TABLE visits;
