-- orders
--
-- Revision ID: ac0000000001
-- Revises: None
-- Create Date: 2026-12-07

-- +upgrade
CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    placed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    total NUMERIC(12, 2) NOT NULL
);

-- +downgrade
DROP TABLE orders;
