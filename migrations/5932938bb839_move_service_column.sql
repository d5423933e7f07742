-- Move service column to association
--
-- Revision ID: 5932938bb839
-- Revises: 4dbf83f37bc0
-- Create Date: 2015-05-26 13:27:38.995202
-- Breaking: drops quark_ports.service (moved to quark_port_ip_address_associations), which releases before it read and write

-- +upgrade
ALTER TABLE quark_ports DROP COLUMN service;
ALTER TABLE quark_port_ip_address_associations ADD COLUMN service VARCHAR(255) NOT NULL DEFAULT 'none';

-- +downgrade
ALTER TABLE quark_port_ip_address_associations DROP COLUMN service;
ALTER TABLE quark_ports ADD COLUMN service VARCHAR(255) NOT NULL DEFAULT 'none';
