-- remove new subnet index make new mac
--
-- Revision ID: a0798b3b7418
-- Revises: 80419263930a
-- Create Date: 2016-02-09 19:26:27.899610

-- +upgrade
DROP INDEX ix_quark_subnets_segement_network_version;
DROP INDEX ix_quark_mac_addresses_reallocation;
CREATE INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses (deallocated, deallocated_at);

-- +upgrade mysql
DROP INDEX ix_quark_subnets_segement_network_version ON quark_subnets;
DROP INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses;
CREATE INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses (deallocated, deallocated_at);

-- +downgrade
DROP INDEX ix_quark_mac_addresses_reallocation;
CREATE INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses (deallocated_at, deallocated);
CREATE INDEX ix_quark_subnets_segement_network_version ON quark_subnets (segment_id, network_id, ip_version, do_not_use);

-- +downgrade mysql
DROP INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses;
CREATE INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses (deallocated_at, deallocated);
CREATE INDEX ix_quark_subnets_segement_network_version ON quark_subnets (segment_id, network_id, ip_version, do_not_use);
