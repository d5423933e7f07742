-- Added service column to port table
--
-- Revision ID: 4dbf83f37bc0
-- Revises: 1bdc1b574beb
-- Create Date: 2015-05-26 13:27:38.995202

-- +upgrade
ALTER TABLE quark_ports ADD COLUMN service VARCHAR(255) NOT NULL DEFAULT 'none';

-- +downgrade
ALTER TABLE quark_ports DROP COLUMN service;
