-- quark_ports.created_at index for pagination sorting
--
-- Revision ID: 3a47813ce501
-- Revises: 4fc07b41d45c
-- Create Date: 2015-01-14 16:15:10.938745

-- +upgrade
CREATE INDEX ix_quark_ports_created_at ON quark_ports (created_at);

-- +downgrade
DROP INDEX ix_quark_ports_created_at;

-- +downgrade mysql
DROP INDEX ix_quark_ports_created_at ON quark_ports;
