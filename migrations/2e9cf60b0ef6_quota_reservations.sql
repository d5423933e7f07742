-- Implements reservations, resourcedeltas and quota usages from upstream
--
-- Revision ID: 2e9cf60b0ef6
-- Revises: 341d2e702dc4
-- Create Date: 2015-09-13 13:46:03.888079

-- +upgrade
CREATE TABLE reservations (
    id VARCHAR(36) NOT NULL,
    tenant_id VARCHAR(255),
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
CREATE TABLE quotausages (
    tenant_id VARCHAR(255) NOT NULL,
    resource VARCHAR(255) NOT NULL,
    dirty BOOLEAN NOT NULL DEFAULT '0',
    in_use INTEGER NOT NULL DEFAULT '0',
    reserved INTEGER NOT NULL DEFAULT '0',
    PRIMARY KEY (tenant_id, resource)
);
CREATE INDEX ix_quotausages_tenant_id ON quotausages (tenant_id);
CREATE INDEX ix_quotausages_resource ON quotausages (resource);

-- +downgrade
-- Upstream has no downgrade; this one drops what the upgrade created.
DROP INDEX ix_quotausages_resource;
DROP INDEX ix_quotausages_tenant_id;
DROP TABLE quotausages;
DROP TABLE resourcedeltas;
DROP TABLE reservations;

-- +downgrade mysql
-- Upstream has no downgrade; this one drops what the upgrade created.
DROP INDEX ix_quotausages_resource ON quotausages;
DROP INDEX ix_quotausages_tenant_id ON quotausages;
DROP TABLE quotausages;
DROP TABLE resourcedeltas;
DROP TABLE reservations;
