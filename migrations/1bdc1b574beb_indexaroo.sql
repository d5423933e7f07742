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
-- The upgrade's (network_id, ...) indexes made InnoDB drop the index it had generated for the
-- network_id foreign keys of quark_subnets and quark_ports, and the last index covering a foreign
-- key cannot be dropped. So the foreign keys go first and come back unnamed, in declaration
-- order: InnoDB then gives back the same names (<table>_ibfk_N) and generated indexes.
ALTER TABLE quark_subnets DROP FOREIGN KEY quark_subnets_ibfk_1;
ALTER TABLE quark_subnets DROP FOREIGN KEY quark_subnets_ibfk_2;
ALTER TABLE quark_subnets DROP FOREIGN KEY quark_subnets_ibfk_3;
ALTER TABLE quark_ports DROP FOREIGN KEY quark_ports_ibfk_1;
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
ALTER TABLE quark_subnets ADD FOREIGN KEY (ip_policy_id) REFERENCES quark_ip_policy (id);
ALTER TABLE quark_subnets ADD FOREIGN KEY (network_id) REFERENCES quark_networks (id);
ALTER TABLE quark_subnets ADD FOREIGN KEY (tag_association_uuid) REFERENCES quark_tag_associations (id);
ALTER TABLE quark_ports ADD FOREIGN KEY (network_id) REFERENCES quark_networks (id);
