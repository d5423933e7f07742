-- Create enabled and do_not_use columns
--
-- Revision ID: 5927940a466e
-- Revises: 552b213c2b8c
-- Create Date: 2014-07-07 07:50:39.372294

-- +upgrade
ALTER TABLE quark_port_ip_address_associations ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT '1';
ALTER TABLE quark_mac_address_ranges ADD COLUMN do_not_use BOOLEAN NOT NULL DEFAULT '0';

-- +downgrade
ALTER TABLE quark_mac_address_ranges DROP COLUMN do_not_use;
ALTER TABLE quark_port_ip_address_associations DROP COLUMN enabled;
