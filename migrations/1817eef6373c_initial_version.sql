-- initial version
--
-- Revision ID: 1817eef6373c
-- Revises: None
-- Create Date: 2014-03-11 04:57:08.498604

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

CREATE TABLE quark_mac_addresses (
    tenant_id VARCHAR(255),
    created_at DATETIME,
    address BIGINT NOT NULL,
    mac_address_range_id VARCHAR(36) NOT NULL,
    deallocated BOOLEAN,
    deallocated_at DATETIME,
    PRIMARY KEY (address),
    FOREIGN KEY (mac_address_range_id) REFERENCES quark_mac_address_ranges (id) ON DELETE CASCADE
);

CREATE INDEX ix_quark_mac_addresses_deallocated_at ON quark_mac_addresses (deallocated_at);

-- +upgrade postgresql
CREATE TABLE quark_mac_address_ranges (
    id VARCHAR(36) NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE,
    cidr VARCHAR(255) NOT NULL,
    first_address BIGINT NOT NULL,
    last_address BIGINT NOT NULL,
    next_auto_assign_mac BIGINT NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE quark_mac_addresses (
    tenant_id VARCHAR(255),
    created_at TIMESTAMP WITHOUT TIME ZONE,
    address BIGINT NOT NULL,
    mac_address_range_id VARCHAR(36) NOT NULL,
    deallocated BOOLEAN,
    deallocated_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (address),
    FOREIGN KEY (mac_address_range_id) REFERENCES quark_mac_address_ranges (id) ON DELETE CASCADE
);

CREATE INDEX ix_quark_mac_addresses_deallocated_at ON quark_mac_addresses (deallocated_at);

-- +downgrade
DROP INDEX ix_quark_mac_addresses_deallocated_at;
DROP TABLE quark_mac_addresses;
DROP TABLE quark_mac_address_ranges;

-- +downgrade mysql
DROP INDEX ix_quark_mac_addresses_deallocated_at ON quark_mac_addresses;
DROP TABLE quark_mac_addresses;
DROP TABLE quark_mac_address_ranges;
