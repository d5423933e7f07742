-- visits
--
-- Revision ID: c10000000001
-- Revises: None
-- Create Date: 2026-12-07

-- +upgrade
CREATE TABLE visits (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME NOT NULL);

-- +downgrade
DROP TABLE visits;
