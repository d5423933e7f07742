-- IP Address reallocation optimizations
--
-- Revision ID: e249ebc4f51
-- Revises: 5932938bb839
-- Create Date: 2015-08-20 01:08:04.554914

-- +upgrade
CREATE INDEX ix_quark_reallocate_ip_addresses_network ON quark_ip_addresses (network_id, deallocated_at, version, _deallocated);
CREATE INDEX ix_quark_reallocate_ip_addresses_subnet ON quark_ip_addresses (deallocated_at, subnet_id, _deallocated);

-- +downgrade
DROP INDEX ix_quark_reallocate_ip_addresses_network;
DROP INDEX ix_quark_reallocate_ip_addresses_subnet;

-- +downgrade mysql
-- The upgrade's (network_id, ...) index made InnoDB drop the index it had created for the
-- network_id foreign key; give it back before the covering index goes.
CREATE INDEX network_id ON quark_ip_addresses (network_id);
DROP INDEX ix_quark_reallocate_ip_addresses_network ON quark_ip_addresses;
DROP INDEX ix_quark_reallocate_ip_addresses_subnet ON quark_ip_addresses;
