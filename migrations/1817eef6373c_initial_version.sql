-- Initial version
--
-- Revision ID: 1817eef6373c
-- Revises: None
-- Create Date: 2014-03-11 04:57:08.498604
-- Earlier Checksums: fe3321845cfaced05a621791bca2c69786c4c32ee7a693811db97457a40b8263, 30da9f377c3c6776d2c58bf26f9029b274da5c494a241d2e44a7822ed669c4a8, a8f6263e3f56e22a7201aa364979e72e8003519819dc2ca7fb7fa8b8716cf172

-- quark_mac_addresses.address, a BIGINT primary key of its own, auto-increments in the schema
-- SQLAlchemy creates on PostgreSQL (BIGSERIAL) and MySQL (AUTO_INCREMENT); the reserved word
-- limit is quoted as each dialect quotes; MySQL names the table of an index it drops.
-- +upgrade
CREATE TABLE quark_mac_address_ranges (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    cidr VARCHAR(255) NOT NULL,
    first_address BIGINT NOT NULL,
    last_address BIGINT NOT NULL,
    next_auto_assign_mac BIGINT NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE quark_tag_associations (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    discriminator VARCHAR(255),
    PRIMARY KEY (id)
);

CREATE TABLE quark_ip_policy (
    tenant_id VARCHAR(255),
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    name VARCHAR(255),
    description VARCHAR(255),
    PRIMARY KEY (id)
);

CREATE TABLE quark_security_groups (
    created_at DATETIME,
    id VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NOT NULL,
    tenant_id VARCHAR(255),
    PRIMARY KEY (id)
);
CREATE INDEX ix_quark_security_groups_tenant_id ON quark_security_groups (tenant_id);

CREATE TABLE quark_tags (
    tenant_id VARCHAR(255),
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    association_uuid VARCHAR(36) NOT NULL,
    tag VARCHAR(255) NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (association_uuid) REFERENCES quark_tag_associations (id)
);

CREATE TABLE quark_security_group_rule (
    tenant_id VARCHAR(255),
    created_at DATETIME,
    id VARCHAR(36) NOT NULL,
    group_id VARCHAR(36) NOT NULL,
    direction VARCHAR(10) NOT NULL,
    ethertype VARCHAR(4) NOT NULL,
    port_range_max INTEGER,
    port_range_min INTEGER,
    protocol INTEGER,
    remote_ip_prefix VARCHAR(22),
    remote_group_id VARCHAR(36),
    PRIMARY KEY (id),
    FOREIGN KEY (group_id) REFERENCES quark_security_groups (id)
);

CREATE TABLE quark_mac_addresses (
    tenant_id VARCHAR(255),
    created_at DATETIME,
    address BIGINT NOT NULL, -- +sqlite
    address BIGSERIAL NOT NULL, -- +postgresql
    address BIGINT NOT NULL AUTO_INCREMENT, -- +mysql
    mac_address_range_id VARCHAR(36) NOT NULL,
    deallocated BOOLEAN,
    deallocated_at DATETIME,
    PRIMARY KEY (address),
    FOREIGN KEY (mac_address_range_id) REFERENCES quark_mac_address_ranges (id) ON DELETE CASCADE
);
CREATE INDEX ix_quark_mac_addresses_deallocated_at ON quark_mac_addresses (deallocated_at);

CREATE TABLE quark_ip_policy_cidrs (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    ip_policy_id VARCHAR(36),
    cidr VARCHAR(64),
    PRIMARY KEY (id),
    FOREIGN KEY (ip_policy_id) REFERENCES quark_ip_policy (id) ON DELETE CASCADE
);

CREATE TABLE quark_networks (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    name VARCHAR(255),
    ip_policy_id VARCHAR(36),
    network_plugin VARCHAR(36),
    ipam_strategy VARCHAR(255),
    tenant_id VARCHAR(255),
    PRIMARY KEY (id),
    FOREIGN KEY (ip_policy_id) REFERENCES quark_ip_policy (id)
);
CREATE INDEX ix_quark_networks_tenant_id ON quark_networks (tenant_id);

CREATE TABLE quark_ports (
    tenant_id VARCHAR(255),
    created_at DATETIME,
    id VARCHAR(36) NOT NULL,
    name VARCHAR(255),
    admin_state_up BOOLEAN,
    network_id VARCHAR(36) NOT NULL,
    backend_key VARCHAR(36) NOT NULL,
    mac_address BIGINT,
    device_id VARCHAR(255) NOT NULL,
    device_owner VARCHAR(255),
    bridge VARCHAR(255),
    PRIMARY KEY (id),
    FOREIGN KEY (network_id) REFERENCES quark_networks (id)
);
CREATE INDEX idx_ports_1 ON quark_ports (device_id, tenant_id);
CREATE INDEX idx_ports_2 ON quark_ports (device_owner, network_id);
CREATE INDEX idx_ports_3 ON quark_ports (tenant_id);
CREATE INDEX ix_quark_ports_device_id ON quark_ports (device_id);
CREATE INDEX ix_quark_ports_name ON quark_ports (name);

CREATE TABLE quark_subnets (
    created_at DATETIME,
    id VARCHAR(36) NOT NULL,
    name VARCHAR(255),
    network_id VARCHAR(36),
    _cidr VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(255),
    segment_id VARCHAR(255),
    first_ip CHAR(39),
    last_ip CHAR(39),
    ip_version INTEGER,
    next_auto_assign_ip CHAR(39),
    enable_dhcp BOOLEAN,
    ip_policy_id VARCHAR(36),
    do_not_use BOOLEAN,
    tag_association_uuid VARCHAR(36),
    PRIMARY KEY (id),
    FOREIGN KEY (ip_policy_id) REFERENCES quark_ip_policy (id),
    FOREIGN KEY (network_id) REFERENCES quark_networks (id),
    FOREIGN KEY (tag_association_uuid) REFERENCES quark_tag_associations (id)
);
CREATE INDEX ix_quark_subnets_segment_id ON quark_subnets (segment_id);
CREATE INDEX ix_quark_subnets_tenant_id ON quark_subnets (tenant_id);

CREATE TABLE quark_routes (
    tenant_id VARCHAR(255),
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    cidr VARCHAR(64),
    gateway VARCHAR(64),
    subnet_id VARCHAR(36),
    tag_association_uuid VARCHAR(36),
    PRIMARY KEY (id),
    FOREIGN KEY (subnet_id) REFERENCES quark_subnets (id) ON DELETE CASCADE,
    FOREIGN KEY (tag_association_uuid) REFERENCES quark_tag_associations (id)
);

CREATE TABLE quark_port_security_group_associations (
    port_id VARCHAR(36),
    group_id VARCHAR(36),
    FOREIGN KEY (group_id) REFERENCES quark_security_groups (id),
    FOREIGN KEY (port_id) REFERENCES quark_ports (id)
);

CREATE TABLE quark_ip_addresses (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    address_readable VARCHAR(128) NOT NULL,
    address CHAR(39) NOT NULL,
    subnet_id VARCHAR(36),
    network_id VARCHAR(36),
    version INTEGER,
    allocated_at DATETIME,
    _deallocated BOOLEAN,
    used_by_tenant_id VARCHAR(255),
    deallocated_at DATETIME,
    PRIMARY KEY (id),
    CONSTRAINT subnet_id_address UNIQUE (subnet_id, address),
    FOREIGN KEY (network_id) REFERENCES quark_networks (id) ON DELETE CASCADE,
    FOREIGN KEY (subnet_id) REFERENCES quark_subnets (id) ON DELETE CASCADE
);
CREATE INDEX ix_quark_ip_addresses_address ON quark_ip_addresses (address);
CREATE INDEX ix_quark_ip_addresses_deallocated_at ON quark_ip_addresses (deallocated_at);
CREATE INDEX ix_quark_ip_addresses_version ON quark_ip_addresses (version);

CREATE TABLE quark_dns_nameservers (
    tenant_id VARCHAR(255),
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    ip CHAR(39),
    subnet_id VARCHAR(36),
    tag_association_uuid VARCHAR(36),
    PRIMARY KEY (id),
    FOREIGN KEY (subnet_id) REFERENCES quark_subnets (id) ON DELETE CASCADE,
    FOREIGN KEY (tag_association_uuid) REFERENCES quark_tag_associations (id)
);

CREATE TABLE quark_port_ip_address_associations (
    port_id VARCHAR(36),
    ip_address_id VARCHAR(36),
    FOREIGN KEY (ip_address_id) REFERENCES quark_ip_addresses (id),
    FOREIGN KEY (port_id) REFERENCES quark_ports (id)
);

CREATE TABLE quark_nvp_driver_qos (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    display_name VARCHAR(255) NOT NULL,
    max_bandwidth_rate INTEGER NOT NULL,
    min_bandwidth_rate INTEGER NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE quotas (
    id VARCHAR(36) NOT NULL,
    tenant_id VARCHAR(255),
    resource VARCHAR(255),
    "limit" INTEGER, -- +sqlite, postgresql
    `limit` INTEGER, -- +mysql
    PRIMARY KEY (id)
);
CREATE INDEX ix_quotas_tenant_id ON quotas (tenant_id);

CREATE TABLE quark_nvp_driver_lswitch (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    nvp_id VARCHAR(36) NOT NULL,
    network_id VARCHAR(36) NOT NULL,
    display_name VARCHAR(255),
    port_count INTEGER,
    transport_zone VARCHAR(36),
    transport_connector VARCHAR(20),
    segment_id INTEGER,
    PRIMARY KEY (id)
);
CREATE INDEX ix_quark_nvp_driver_lswitch_network_id ON quark_nvp_driver_lswitch (network_id);
CREATE INDEX ix_quark_nvp_driver_lswitch_nvp_id ON quark_nvp_driver_lswitch (nvp_id);

CREATE TABLE quark_nvp_driver_security_profile (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    nvp_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_quark_nvp_driver_security_profile_nvp_id ON quark_nvp_driver_security_profile (nvp_id);

CREATE TABLE quark_nvp_driver_lswitchport (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    port_id VARCHAR(36) NOT NULL,
    switch_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (switch_id) REFERENCES quark_nvp_driver_lswitch (id)
);
CREATE INDEX ix_quark_nvp_driver_lswitchport_port_id ON quark_nvp_driver_lswitchport (port_id);

-- +downgrade
DROP TABLE quark_port_ip_address_associations;
DROP TABLE quark_dns_nameservers;
DROP INDEX ix_quark_ip_addresses_version; -- +sqlite, postgresql
DROP INDEX ix_quark_ip_addresses_version ON quark_ip_addresses; -- +mysql
DROP INDEX ix_quark_ip_addresses_deallocated_at; -- +sqlite, postgresql
DROP INDEX ix_quark_ip_addresses_deallocated_at ON quark_ip_addresses; -- +mysql
DROP INDEX ix_quark_ip_addresses_address; -- +sqlite, postgresql
DROP INDEX ix_quark_ip_addresses_address ON quark_ip_addresses; -- +mysql
DROP TABLE quark_ip_addresses;
DROP TABLE quark_port_security_group_associations;
DROP TABLE quark_routes;
DROP INDEX ix_quark_subnets_tenant_id; -- +sqlite, postgresql
DROP INDEX ix_quark_subnets_tenant_id ON quark_subnets; -- +mysql
DROP INDEX ix_quark_subnets_segment_id; -- +sqlite, postgresql
DROP INDEX ix_quark_subnets_segment_id ON quark_subnets; -- +mysql
DROP TABLE quark_subnets;
DROP INDEX ix_quark_ports_name; -- +sqlite, postgresql
DROP INDEX ix_quark_ports_name ON quark_ports; -- +mysql
DROP INDEX ix_quark_ports_device_id; -- +sqlite, postgresql
DROP INDEX ix_quark_ports_device_id ON quark_ports; -- +mysql
DROP INDEX idx_ports_3; -- +sqlite, postgresql
DROP INDEX idx_ports_3 ON quark_ports; -- +mysql
DROP INDEX idx_ports_2; -- +sqlite, postgresql
DROP INDEX idx_ports_2 ON quark_ports; -- +mysql
DROP INDEX idx_ports_1; -- +sqlite, postgresql
DROP INDEX idx_ports_1 ON quark_ports; -- +mysql
DROP TABLE quark_ports;
DROP INDEX ix_quark_networks_tenant_id; -- +sqlite, postgresql
DROP INDEX ix_quark_networks_tenant_id ON quark_networks; -- +mysql
DROP TABLE quark_networks;
DROP TABLE quark_ip_policy_cidrs;
DROP INDEX ix_quark_mac_addresses_deallocated_at; -- +sqlite, postgresql
DROP INDEX ix_quark_mac_addresses_deallocated_at ON quark_mac_addresses; -- +mysql
DROP TABLE quark_mac_addresses;
DROP TABLE quark_security_group_rule;
DROP TABLE quark_tags;
DROP INDEX ix_quark_security_groups_tenant_id; -- +sqlite, postgresql
DROP INDEX ix_quark_security_groups_tenant_id ON quark_security_groups; -- +mysql
DROP TABLE quark_security_groups;
DROP TABLE quark_ip_policy;
DROP TABLE quark_tag_associations;
DROP TABLE quark_mac_address_ranges;
DROP INDEX ix_quark_nvp_driver_lswitchport_port_id; -- +sqlite, postgresql
DROP INDEX ix_quark_nvp_driver_lswitchport_port_id ON quark_nvp_driver_lswitchport; -- +mysql
DROP TABLE quark_nvp_driver_lswitchport;
DROP INDEX ix_quark_nvp_driver_security_profile_nvp_id; -- +sqlite, postgresql
DROP INDEX ix_quark_nvp_driver_security_profile_nvp_id ON quark_nvp_driver_security_profile; -- +mysql
DROP TABLE quark_nvp_driver_security_profile;
DROP INDEX ix_quark_nvp_driver_lswitch_nvp_id; -- +sqlite, postgresql
DROP INDEX ix_quark_nvp_driver_lswitch_nvp_id ON quark_nvp_driver_lswitch; -- +mysql
DROP INDEX ix_quark_nvp_driver_lswitch_network_id; -- +sqlite, postgresql
DROP INDEX ix_quark_nvp_driver_lswitch_network_id ON quark_nvp_driver_lswitch; -- +mysql
DROP TABLE quark_nvp_driver_lswitch;
DROP INDEX ix_quotas_tenant_id; -- +sqlite, postgresql
DROP INDEX ix_quotas_tenant_id ON quotas; -- +mysql
DROP TABLE quotas;
DROP TABLE quark_nvp_driver_qos;
