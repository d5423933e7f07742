-- notes
--
-- Revision ID: d10000000001
-- Revises: None
-- Create Date: 2026-12-07

-- +upgrade
CREATE TABLE notes (
    id INTEGER PRIMARY KEY, -- +sqlite
    id BIGSERIAL PRIMARY KEY, -- +postgresql
    id BIGINT AUTO_INCREMENT PRIMARY KEY, -- +mysql
    body VARCHAR(200) NOT NULL
);

-- +downgrade
DROP TABLE notes;
