-- quark's schema at head, as it should be: the CREATE statements the migrations in
-- migrations/ must add up to. `quark-db-manage check` compares the two, and
-- `quark-db-manage revision --autogenerate -m "..."` writes the revision that brings a database
-- at head to what this file declares. Edit this file first, then autogenerate.
--
-- Portable vocabulary (see docs/migration-format.md): INTEGER, BIGINT, VARCHAR(n), CHAR(n),
-- TEXT, BOOLEAN, DATETIME, NUMERIC(p, s). A statement runs on every dialect unless the line just
-- before it is `-- +<dialect>[, <dialect>]`, and a line of a statement ending in such a marker
-- only on those dialects: enumerations, auto-numbered keys and the reserved column name
-- `limit` are spelled per dialect below.

-- +postgresql
CREATE TYPE quark_ip_address_types AS ENUM ('shared', 'floating', 'fixed', 'scaling');

-- +postgresql
CREATE TYPE quark_lock_types AS ENUM ('ip_address');

CREATE TABLE quark_async_transactions (
    created_at DATETIME,
    id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    action VARCHAR(255) NOT NULL,
    completed BOOLEAN,
    status VARCHAR(255),
    resource_id VARCHAR(255),
    transaction_id VARCHAR(255),
    parent_task_id VARCHAR(255),
    PRIMARY KEY (id)
);

CREATE INDEX ix_quark_async_transactions_tenant_id ON quark_async_transactions (project_id);

CREATE TABLE quark_ip_policy (
    project_id VARCHAR(255),
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    name VARCHAR(255),
    description VARCHAR(255),
    size CHAR(39),
    PRIMARY KEY (id)
);

CREATE TABLE quark_networks (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    name VARCHAR(255),
    ip_policy_id VARCHAR(36),
    network_plugin VARCHAR(36),
    ipam_strategy VARCHAR(255),
    project_id VARCHAR(255),
    PRIMARY KEY (id),
    FOREIGN KEY (ip_policy_id) REFERENCES quark_ip_policy (id)
);

CREATE INDEX ix_quark_networks_project_id ON quark_networks (project_id);

CREATE INDEX ix_quark_networks_project_id_name ON quark_networks (project_id, name);

CREATE TABLE quark_tag_associations (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    discriminator VARCHAR(255),
    PRIMARY KEY (id)
);

CREATE TABLE quark_subnets (
    created_at DATETIME,
    id VARCHAR(36) NOT NULL,
    name VARCHAR(255),
    network_id VARCHAR(36),
    _cidr VARCHAR(64) NOT NULL,
    project_id VARCHAR(255),
    segment_id VARCHAR(255),
    first_ip CHAR(39),
    last_ip CHAR(39),
    ip_version INTEGER,
    next_auto_assign_ip CHAR(39),
    enable_dhcp BOOLEAN,
    ip_policy_id VARCHAR(36),
    do_not_use BOOLEAN,
    tag_association_uuid VARCHAR(36),
    _allocation_pool_cache TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY (ip_policy_id) REFERENCES quark_ip_policy (id),
    FOREIGN KEY (network_id) REFERENCES quark_networks (id),
    FOREIGN KEY (tag_association_uuid) REFERENCES quark_tag_associations (id)
);

CREATE INDEX ix_quark_subnets_network_id ON quark_subnets (network_id);

CREATE INDEX ix_quark_subnets_network_id_project_id ON quark_subnets (network_id, project_id);

CREATE INDEX ix_quark_subnets_project_id ON quark_subnets (project_id);

CREATE TABLE quark_dns_nameservers (
    project_id VARCHAR(255),
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    ip CHAR(39),
    subnet_id VARCHAR(36),
    tag_association_uuid VARCHAR(36),
    PRIMARY KEY (id),
    FOREIGN KEY (subnet_id) REFERENCES quark_subnets (id) ON DELETE CASCADE,
    FOREIGN KEY (tag_association_uuid) REFERENCES quark_tag_associations (id)
);

CREATE TABLE quark_transactions (
    created_at DATETIME,
    id INTEGER NOT NULL, -- +sqlite
    id SERIAL NOT NULL, -- +postgresql
    id INTEGER NOT NULL AUTO_INCREMENT, -- +mysql
    PRIMARY KEY (id)
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
    address_type VARCHAR(8) CHECK (address_type IN ('shared', 'floating', 'fixed', 'scaling')), -- +sqlite
    address_type quark_ip_address_types, -- +postgresql
    address_type ENUM('shared', 'floating', 'fixed', 'scaling'), -- +mysql
    transaction_id INTEGER,
    lock_id INTEGER,
    PRIMARY KEY (id),
    CONSTRAINT subnet_id_address UNIQUE (subnet_id, address),
    CONSTRAINT fk_quark_ips_transaction_id FOREIGN KEY (transaction_id) REFERENCES quark_transactions (id),
    FOREIGN KEY (network_id) REFERENCES quark_networks (id) ON DELETE CASCADE,
    FOREIGN KEY (subnet_id) REFERENCES quark_subnets (id) ON DELETE CASCADE
);

CREATE INDEX ix_quark_reallocate_ip_addresses_network ON quark_ip_addresses (network_id, deallocated_at, version, _deallocated);

CREATE INDEX ix_quark_reallocate_ip_addresses_subnet ON quark_ip_addresses (deallocated_at, subnet_id, _deallocated);

CREATE TABLE quark_floating_to_fixed_ip_address_associations (
    floating_ip_address_id VARCHAR(36) NOT NULL,
    fixed_ip_address_id VARCHAR(36) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (floating_ip_address_id, fixed_ip_address_id),
    FOREIGN KEY (floating_ip_address_id) REFERENCES quark_ip_addresses (id),
    FOREIGN KEY (fixed_ip_address_id) REFERENCES quark_ip_addresses (id)
);

CREATE TABLE quark_ip_policy_cidrs (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    ip_policy_id VARCHAR(36),
    cidr VARCHAR(64),
    first_ip CHAR(39),
    last_ip CHAR(39),
    PRIMARY KEY (id),
    FOREIGN KEY (ip_policy_id) REFERENCES quark_ip_policy (id) ON DELETE CASCADE
);

CREATE TABLE quark_locks (
    created_at DATETIME,
    id INTEGER NOT NULL, -- +sqlite
    id SERIAL NOT NULL, -- +postgresql
    id INTEGER NOT NULL AUTO_INCREMENT, -- +mysql
    type VARCHAR(10) CHECK (type IN ('ip_address')) NOT NULL, -- +sqlite
    type quark_lock_types NOT NULL, -- +postgresql
    type ENUM('ip_address') NOT NULL, -- +mysql
    PRIMARY KEY (id)
);

CREATE TABLE quark_lock_holders (
    created_at DATETIME,
    id INTEGER NOT NULL, -- +sqlite
    id SERIAL NOT NULL, -- +postgresql
    id INTEGER NOT NULL AUTO_INCREMENT, -- +mysql
    lock_id INTEGER NOT NULL,
    name VARCHAR(255),
    PRIMARY KEY (id),
    FOREIGN KEY (lock_id) REFERENCES quark_locks (id)
);

CREATE TABLE quark_mac_address_ranges (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    cidr VARCHAR(255) NOT NULL,
    first_address BIGINT NOT NULL,
    last_address BIGINT NOT NULL,
    next_auto_assign_mac BIGINT NOT NULL,
    do_not_use BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (id)
);

CREATE INDEX ix_quark_mac_address_ranges_selection ON quark_mac_address_ranges (next_auto_assign_mac, do_not_use);

CREATE TABLE quark_mac_addresses (
    project_id VARCHAR(255),
    created_at DATETIME,
    address BIGINT NOT NULL, -- +sqlite
    address BIGSERIAL NOT NULL, -- +postgresql
    address BIGINT NOT NULL AUTO_INCREMENT, -- +mysql
    mac_address_range_id VARCHAR(36) NOT NULL,
    deallocated BOOLEAN,
    deallocated_at DATETIME,
    transaction_id INTEGER,
    PRIMARY KEY (address),
    CONSTRAINT fk_quark_macs_transaction_id FOREIGN KEY (transaction_id) REFERENCES quark_transactions (id),
    FOREIGN KEY (mac_address_range_id) REFERENCES quark_mac_address_ranges (id) ON DELETE CASCADE
);

CREATE INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses (deallocated);

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

CREATE TABLE quark_nvp_driver_lswitchport (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    port_id VARCHAR(36) NOT NULL,
    switch_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (switch_id) REFERENCES quark_nvp_driver_lswitch (id)
);

CREATE TABLE quark_nvp_driver_qos (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    display_name VARCHAR(255) NOT NULL,
    max_bandwidth_rate INTEGER NOT NULL,
    min_bandwidth_rate INTEGER NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE quark_nvp_driver_security_profile (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    nvp_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE quark_nvp_orphaned_lswitch_ports (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    port_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE quark_nvp_orphaned_lswitches (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    nvp_id VARCHAR(36) NOT NULL,
    network_id VARCHAR(36) NOT NULL,
    display_name VARCHAR(255),
    PRIMARY KEY (id)
);

CREATE TABLE quark_ports (
    project_id VARCHAR(255),
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
    tag_association_uuid VARCHAR(36),
    network_plugin VARCHAR(36),
    PRIMARY KEY (id),
    FOREIGN KEY (network_id) REFERENCES quark_networks (id)
);

CREATE INDEX ix_quark_ports_device_id ON quark_ports (device_id);

CREATE INDEX ix_quark_ports_name_project_id ON quark_ports (name, project_id);

CREATE INDEX ix_quark_ports_network_id_device_id ON quark_ports (network_id, device_id);

CREATE INDEX ix_quark_ports_network_id_project_id ON quark_ports (network_id, project_id);

CREATE INDEX ix_quark_ports_project_id ON quark_ports (project_id);

CREATE TABLE quark_port_ip_address_associations (
    port_id VARCHAR(36) NOT NULL,
    ip_address_id VARCHAR(36) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    service VARCHAR(255) NOT NULL DEFAULT 'none',
    CONSTRAINT pk_quark_port_ip_address_associations PRIMARY KEY (port_id, ip_address_id),
    FOREIGN KEY (ip_address_id) REFERENCES quark_ip_addresses (id),
    FOREIGN KEY (port_id) REFERENCES quark_ports (id)
);

CREATE TABLE quark_security_groups (
    created_at DATETIME,
    id VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NOT NULL,
    project_id VARCHAR(255),
    external_service VARCHAR(255),
    external_service_id VARCHAR(255),
    PRIMARY KEY (id)
);

CREATE TABLE quark_port_security_group_associations (
    port_id VARCHAR(36),
    group_id VARCHAR(36),
    FOREIGN KEY (group_id) REFERENCES quark_security_groups (id),
    FOREIGN KEY (port_id) REFERENCES quark_ports (id)
);

CREATE TABLE quark_routes (
    project_id VARCHAR(255),
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

CREATE TABLE quark_security_group_rules (
    project_id VARCHAR(255),
    created_at DATETIME,
    id VARCHAR(36) NOT NULL,
    group_id VARCHAR(36) NOT NULL,
    direction VARCHAR(10) NOT NULL,
    port_range_max INTEGER,
    port_range_min INTEGER,
    protocol INTEGER,
    ethertype INTEGER NOT NULL,
    remote_group_id VARCHAR(36),
    remote_ip_prefix VARCHAR(255),
    external_service VARCHAR(255),
    external_service_id VARCHAR(255),
    PRIMARY KEY (id),
    CONSTRAINT fk_remote_group_id FOREIGN KEY (remote_group_id) REFERENCES quark_security_groups (id),
    FOREIGN KEY (group_id) REFERENCES quark_security_groups (id)
);

CREATE TABLE quark_segment_allocation_ranges (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    segment_id VARCHAR(36),
    segment_type VARCHAR(36),
    first_id BIGINT NOT NULL,
    last_id BIGINT NOT NULL,
    do_not_use BOOLEAN NOT NULL,
    PRIMARY KEY (id)
);

CREATE INDEX ix_quark_segment_allocation_ranges_segment_id ON quark_segment_allocation_ranges (segment_id);

CREATE INDEX ix_quark_segment_allocation_ranges_segment_type ON quark_segment_allocation_ranges (segment_type);

CREATE TABLE quark_segment_allocations (
    created_at DATETIME,
    id BIGINT NOT NULL,
    segment_id VARCHAR(36) NOT NULL,
    segment_type VARCHAR(36) NOT NULL,
    segment_allocation_range_id VARCHAR(36),
    network_id VARCHAR(36),
    deallocated BOOLEAN,
    deallocated_at DATETIME,
    PRIMARY KEY (id, segment_id, segment_type),
    FOREIGN KEY (segment_allocation_range_id) REFERENCES quark_segment_allocation_ranges (id) ON DELETE CASCADE
);

CREATE INDEX ix_quark_segment_allocations_deallocated ON quark_segment_allocations (deallocated);

CREATE INDEX ix_quark_segment_allocations_deallocated_at ON quark_segment_allocations (deallocated_at);

CREATE TABLE quark_tags (
    project_id VARCHAR(255),
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    association_uuid VARCHAR(36) NOT NULL,
    tag VARCHAR(255) NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (association_uuid) REFERENCES quark_tag_associations (id)
);

CREATE TABLE quotas (
    id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255),
    resource VARCHAR(255),
    "limit" INTEGER, -- +sqlite, postgresql
    `limit` INTEGER, -- +mysql
    PRIMARY KEY (id)
);

CREATE INDEX ix_quotas_project_id ON quotas (project_id);

CREATE TABLE quotausages (
    project_id VARCHAR(255) NOT NULL,
    resource VARCHAR(255) NOT NULL,
    dirty BOOLEAN NOT NULL DEFAULT FALSE,
    in_use INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, resource)
);

CREATE INDEX ix_quotausages_resource ON quotausages (resource);

CREATE INDEX ix_quotausages_tenant_id ON quotausages (project_id);

CREATE TABLE reservations (
    id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255),
    expiration DATETIME,
    PRIMARY KEY (id)
);

CREATE TABLE resourcedeltas (
    resource VARCHAR(255) NOT NULL,
    reservation_id VARCHAR(36) NOT NULL,
    amount INTEGER,
    PRIMARY KEY (resource, reservation_id),
    FOREIGN KEY (reservation_id) REFERENCES reservations (id) ON DELETE CASCADE
);
