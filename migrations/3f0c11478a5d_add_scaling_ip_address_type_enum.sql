-- add scaling ip address type enum
--
-- Revision ID: 3f0c11478a5d
-- Revises: a0798b3b7418
-- Create Date: 2016-01-22 23:41:03.214930
-- Breaking: widens quark_ip_addresses.address_type with 'scaling', an address type releases before it do not know

-- +upgrade
ALTER TYPE quark_ip_address_types RENAME TO quark_ip_address_types_old;
CREATE TYPE quark_ip_address_types AS ENUM ('shared', 'floating', 'fixed', 'scaling');
ALTER TABLE quark_ip_addresses ALTER COLUMN address_type TYPE quark_ip_address_types
    USING address_type::text::quark_ip_address_types;
DROP TYPE quark_ip_address_types_old;

-- +upgrade sqlite
-- SQLite cannot change a CHECK constraint in place: rebuild the table (the foreign key on
-- transaction_id and the CHECK stay column constraints so later downgrades can drop those columns).
CREATE TABLE _alembic_tmp_quark_ip_addresses (
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
    address_type VARCHAR(8) CHECK (address_type IN ('shared', 'floating', 'fixed', 'scaling')),
    transaction_id INTEGER CONSTRAINT fk_quark_ips_transaction_id REFERENCES quark_transactions (id),
    lock_id INTEGER,
    PRIMARY KEY (id),
    CONSTRAINT subnet_id_address UNIQUE (subnet_id, address),
    FOREIGN KEY (network_id) REFERENCES quark_networks (id) ON DELETE CASCADE,
    FOREIGN KEY (subnet_id) REFERENCES quark_subnets (id) ON DELETE CASCADE
);
INSERT INTO _alembic_tmp_quark_ip_addresses (id, created_at, address_readable, address, subnet_id, network_id, version, allocated_at, _deallocated, used_by_tenant_id, deallocated_at, address_type, transaction_id, lock_id)
    SELECT id, created_at, address_readable, address, subnet_id, network_id, version, allocated_at, _deallocated, used_by_tenant_id, deallocated_at, address_type, transaction_id, lock_id
    FROM quark_ip_addresses;
DROP TABLE quark_ip_addresses;
ALTER TABLE _alembic_tmp_quark_ip_addresses RENAME TO quark_ip_addresses;
CREATE INDEX ix_quark_reallocate_ip_addresses_network ON quark_ip_addresses (network_id, deallocated_at, version, _deallocated);
CREATE INDEX ix_quark_reallocate_ip_addresses_subnet ON quark_ip_addresses (deallocated_at, subnet_id, _deallocated);

-- +upgrade mysql
ALTER TABLE quark_ip_addresses MODIFY address_type ENUM('shared', 'floating', 'fixed', 'scaling');

-- +downgrade
ALTER TYPE quark_ip_address_types RENAME TO quark_ip_address_types_old;
CREATE TYPE quark_ip_address_types AS ENUM ('shared', 'floating', 'fixed');
ALTER TABLE quark_ip_addresses ALTER COLUMN address_type TYPE quark_ip_address_types
    USING address_type::text::quark_ip_address_types;
DROP TYPE quark_ip_address_types_old;

-- +downgrade sqlite
CREATE TABLE _alembic_tmp_quark_ip_addresses (
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
    address_type VARCHAR(8) CHECK (address_type IN ('shared', 'floating', 'fixed')),
    transaction_id INTEGER CONSTRAINT fk_quark_ips_transaction_id REFERENCES quark_transactions (id),
    lock_id INTEGER,
    PRIMARY KEY (id),
    CONSTRAINT subnet_id_address UNIQUE (subnet_id, address),
    FOREIGN KEY (network_id) REFERENCES quark_networks (id) ON DELETE CASCADE,
    FOREIGN KEY (subnet_id) REFERENCES quark_subnets (id) ON DELETE CASCADE
);
INSERT INTO _alembic_tmp_quark_ip_addresses (id, created_at, address_readable, address, subnet_id, network_id, version, allocated_at, _deallocated, used_by_tenant_id, deallocated_at, address_type, transaction_id, lock_id)
    SELECT id, created_at, address_readable, address, subnet_id, network_id, version, allocated_at, _deallocated, used_by_tenant_id, deallocated_at, address_type, transaction_id, lock_id
    FROM quark_ip_addresses;
DROP TABLE quark_ip_addresses;
ALTER TABLE _alembic_tmp_quark_ip_addresses RENAME TO quark_ip_addresses;
CREATE INDEX ix_quark_reallocate_ip_addresses_network ON quark_ip_addresses (network_id, deallocated_at, version, _deallocated);
CREATE INDEX ix_quark_reallocate_ip_addresses_subnet ON quark_ip_addresses (deallocated_at, subnet_id, _deallocated);

-- +downgrade mysql
ALTER TABLE quark_ip_addresses MODIFY address_type ENUM('shared', 'floating', 'fixed');
