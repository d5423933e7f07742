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
-- The upgrade's (network_id, ...) index made InnoDB drop the index it had generated for the
-- network_id foreign key, and the last index covering a foreign key cannot be dropped. So the
-- two unnamed foreign keys go first and come back unnamed, in declaration order: InnoDB then
-- gives back the same names (quark_ip_addresses_ibfk_1, _ibfk_2) and generated index.
ALTER TABLE quark_ip_addresses DROP FOREIGN KEY quark_ip_addresses_ibfk_1;
ALTER TABLE quark_ip_addresses DROP FOREIGN KEY quark_ip_addresses_ibfk_2;
DROP INDEX ix_quark_reallocate_ip_addresses_network ON quark_ip_addresses;
DROP INDEX ix_quark_reallocate_ip_addresses_subnet ON quark_ip_addresses;
ALTER TABLE quark_ip_addresses ADD FOREIGN KEY (network_id) REFERENCES quark_networks (id) ON DELETE CASCADE;
ALTER TABLE quark_ip_addresses ADD FOREIGN KEY (subnet_id) REFERENCES quark_subnets (id) ON DELETE CASCADE;
