-- hits
--
-- Revision ID: 5e1a00000001
-- Revises: None
-- Create Date: 2026-12-01 09:00:00

-- +upgrade
CREATE TABLE hits (
    peer VARCHAR(64) NOT NULL,
    served_at VARCHAR(40) NOT NULL
);

-- +downgrade
DROP TABLE hits;
