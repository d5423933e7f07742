-- indexaroo
--
-- Revision ID: 1bdc1b574beb
-- Revises: 79d90e62d88
-- Create Date: 2015-05-20 21:39:19.348638

-- +upgrade
CREATE INDEX ix_quark_networks_tenant_id ON quark_networks (tenant_id);
CREATE INDEX ix_quark_networks_tenant_id_name ON quark_networks (tenant_id, name);
CREATE INDEX ix_quark_subnets_tenant_id ON quark_subnets (tenant_id);
CREATE INDEX ix_quark_subnets_network_id_tenant_id ON quark_subnets (network_id, tenant_id);
CREATE INDEX ix_quark_subnets_network_id ON quark_subnets (network_id);
CREATE INDEX ix_quotas_tenant_id ON quotas (tenant_id);
CREATE INDEX ix_quark_ports_tenant_id ON quark_ports (tenant_id);
CREATE INDEX ix_quark_ports_network_id_tenant_id ON quark_ports (network_id, tenant_id);
CREATE INDEX ix_quark_ports_name_tenant_id ON quark_ports (name, tenant_id);
CREATE INDEX ix_quark_mac_address_ranges_selection ON quark_mac_address_ranges (next_auto_assign_mac, do_not_use);
CREATE INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses (deallocated_at, deallocated);

-- +downgrade
DROP INDEX ix_quark_networks_tenant_id;
DROP INDEX ix_quark_networks_tenant_id_name;
DROP INDEX ix_quark_subnets_tenant_id;
DROP INDEX ix_quark_subnets_network_id_tenant_id;
DROP INDEX ix_quark_subnets_network_id;
DROP INDEX ix_quark_ports_tenant_id;
DROP INDEX ix_quark_ports_network_id_tenant_id;
DROP INDEX ix_quark_ports_name_tenant_id;
DROP INDEX ix_quotas_tenant_id;
DROP INDEX ix_quark_mac_address_ranges_selection;
DROP INDEX ix_quark_mac_addresses_reallocation;

-- +downgrade mysql
-- The upgrade's (network_id, ...) indexes made InnoDB drop the index it had created for the
-- network_id foreign key; give it back before the last index covering network_id goes.
CREATE INDEX network_id ON quark_subnets (network_id);
CREATE INDEX network_id ON quark_ports (network_id);
DROP INDEX ix_quark_networks_tenant_id ON quark_networks;
DROP INDEX ix_quark_networks_tenant_id_name ON quark_networks;
DROP INDEX ix_quark_subnets_tenant_id ON quark_subnets;
DROP INDEX ix_quark_subnets_network_id_tenant_id ON quark_subnets;
DROP INDEX ix_quark_subnets_network_id ON quark_subnets;
DROP INDEX ix_quark_ports_tenant_id ON quark_ports;
DROP INDEX ix_quark_ports_network_id_tenant_id ON quark_ports;
DROP INDEX ix_quark_ports_name_tenant_id ON quark_ports;
DROP INDEX ix_quotas_tenant_id ON quotas;
DROP INDEX ix_quark_mac_address_ranges_selection ON quark_mac_address_ranges;
DROP INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses;
