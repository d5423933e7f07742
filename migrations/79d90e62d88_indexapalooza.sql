-- indexapalooza
--
-- Revision ID: 79d90e62d88
-- Revises: 33e9e23ba761
-- Create Date: 2015-05-20 20:52:01.909161

-- +upgrade
DROP INDEX ix_quark_ip_addresses_version;
DROP INDEX ix_quark_ip_addresses_deallocated_at;
DROP INDEX ix_quark_ip_addresses_address;
DROP INDEX ix_quark_subnets_tenant_id;
DROP INDEX ix_quark_subnets_segment_id;
DROP INDEX ix_quark_ports_name;
DROP INDEX ix_quark_ports_device_id;
DROP INDEX idx_ports_3;
DROP INDEX idx_ports_2;
DROP INDEX idx_ports_1;
DROP INDEX ix_quark_networks_tenant_id;
DROP INDEX ix_quark_mac_addresses_deallocated_at;
DROP INDEX ix_quark_security_groups_tenant_id;
DROP INDEX ix_quark_nvp_driver_lswitchport_port_id;
DROP INDEX ix_quark_nvp_driver_security_profile_nvp_id;
DROP INDEX ix_quark_nvp_driver_lswitch_nvp_id;
DROP INDEX ix_quark_nvp_driver_lswitch_network_id;
DROP INDEX ix_quotas_tenant_id;
DROP INDEX ix_quark_nvp_orphaned_lswitches_nvp_id;
DROP INDEX ix_quark_nvp_orphaned_lswitches_network_id;
DROP INDEX ix_quark_nvp_orphaned_lswitches_display_name;
DROP INDEX ix_quark_nvp_orphaned_lswitch_ports_port_id;
DROP INDEX ix_quark_ports_created_at;
DROP INDEX ix_quark_mac_addresses_deallocated;

-- +upgrade mysql
DROP INDEX ix_quark_ip_addresses_version ON quark_ip_addresses;
DROP INDEX ix_quark_ip_addresses_deallocated_at ON quark_ip_addresses;
DROP INDEX ix_quark_ip_addresses_address ON quark_ip_addresses;
DROP INDEX ix_quark_subnets_tenant_id ON quark_subnets;
DROP INDEX ix_quark_subnets_segment_id ON quark_subnets;
DROP INDEX ix_quark_ports_name ON quark_ports;
DROP INDEX ix_quark_ports_device_id ON quark_ports;
DROP INDEX idx_ports_3 ON quark_ports;
DROP INDEX idx_ports_2 ON quark_ports;
DROP INDEX idx_ports_1 ON quark_ports;
DROP INDEX ix_quark_networks_tenant_id ON quark_networks;
DROP INDEX ix_quark_mac_addresses_deallocated_at ON quark_mac_addresses;
DROP INDEX ix_quark_security_groups_tenant_id ON quark_security_groups;
DROP INDEX ix_quark_nvp_driver_lswitchport_port_id ON quark_nvp_driver_lswitchport;
DROP INDEX ix_quark_nvp_driver_security_profile_nvp_id ON quark_nvp_driver_security_profile;
DROP INDEX ix_quark_nvp_driver_lswitch_nvp_id ON quark_nvp_driver_lswitch;
DROP INDEX ix_quark_nvp_driver_lswitch_network_id ON quark_nvp_driver_lswitch;
DROP INDEX ix_quotas_tenant_id ON quotas;
DROP INDEX ix_quark_nvp_orphaned_lswitches_nvp_id ON quark_nvp_orphaned_lswitches;
DROP INDEX ix_quark_nvp_orphaned_lswitches_network_id ON quark_nvp_orphaned_lswitches;
DROP INDEX ix_quark_nvp_orphaned_lswitches_display_name ON quark_nvp_orphaned_lswitches;
DROP INDEX ix_quark_nvp_orphaned_lswitch_ports_port_id ON quark_nvp_orphaned_lswitch_ports;
DROP INDEX ix_quark_ports_created_at ON quark_ports;
DROP INDEX ix_quark_mac_addresses_deallocated ON quark_mac_addresses;

-- +downgrade
CREATE INDEX ix_quark_security_groups_tenant_id ON quark_security_groups (tenant_id);
CREATE INDEX ix_quark_mac_addresses_deallocated_at ON quark_mac_addresses (deallocated_at);
CREATE INDEX ix_quark_networks_tenant_id ON quark_networks (tenant_id);
CREATE INDEX idx_ports_1 ON quark_ports (device_id, tenant_id);
CREATE INDEX idx_ports_2 ON quark_ports (device_owner, network_id);
CREATE INDEX idx_ports_3 ON quark_ports (tenant_id);
CREATE INDEX ix_quark_ports_device_id ON quark_ports (device_id);
CREATE INDEX ix_quark_ports_name ON quark_ports (name);
CREATE INDEX ix_quark_subnets_segment_id ON quark_subnets (segment_id);
CREATE INDEX ix_quark_subnets_tenant_id ON quark_subnets (tenant_id);
CREATE INDEX ix_quark_ip_addresses_address ON quark_ip_addresses (address);
CREATE INDEX ix_quark_ip_addresses_deallocated_at ON quark_ip_addresses (deallocated_at);
CREATE INDEX ix_quark_ip_addresses_version ON quark_ip_addresses (version);
CREATE INDEX ix_quotas_tenant_id ON quotas (tenant_id);
CREATE INDEX ix_quark_nvp_driver_lswitch_network_id ON quark_nvp_driver_lswitch (network_id);
CREATE INDEX ix_quark_nvp_driver_lswitch_nvp_id ON quark_nvp_driver_lswitch (nvp_id);
CREATE INDEX ix_quark_nvp_driver_security_profile_nvp_id ON quark_nvp_driver_security_profile (nvp_id);
CREATE INDEX ix_quark_nvp_driver_lswitchport_port_id ON quark_nvp_driver_lswitchport (port_id);
CREATE INDEX ix_quark_nvp_orphaned_lswitches_nvp_id ON quark_nvp_orphaned_lswitches (nvp_id);
CREATE INDEX ix_quark_nvp_orphaned_lswitches_network_id ON quark_nvp_orphaned_lswitches (network_id);
CREATE INDEX ix_quark_nvp_orphaned_lswitches_display_name ON quark_nvp_orphaned_lswitches (display_name);
CREATE INDEX ix_quark_nvp_orphaned_lswitch_ports_port_id ON quark_nvp_orphaned_lswitch_ports (port_id);
CREATE INDEX ix_quark_ports_created_at ON quark_ports (created_at);
CREATE INDEX ix_quark_mac_addresses_deallocated ON quark_mac_addresses (deallocated);
