-- Added locks tables
--
-- Revision ID: 341d2e702dc4
-- Revises: e249ebc4f51
-- Create Date: 2015-09-03 09:24:29.941684

-- +upgrade
CREATE TABLE quark_locks (
    created_at DATETIME,
    id INTEGER NOT NULL,
    type VARCHAR(10) NOT NULL CHECK (type IN ('ip_address')),
    PRIMARY KEY (id)
);
CREATE TABLE quark_lock_holders (
    created_at DATETIME,
    id INTEGER NOT NULL,
    lock_id INTEGER NOT NULL,
    name VARCHAR(255),
    PRIMARY KEY (id),
    FOREIGN KEY (lock_id) REFERENCES quark_locks (id)
);
ALTER TABLE quark_ip_addresses ADD COLUMN lock_id INTEGER;

-- +upgrade postgresql
-- INTEGER primary keys of their own are auto-incrementing (SERIAL), as SQLAlchemy creates them.
CREATE TYPE quark_lock_types AS ENUM ('ip_address');
CREATE TABLE quark_locks (
    created_at DATETIME,
    id SERIAL NOT NULL,
    type quark_lock_types NOT NULL,
    PRIMARY KEY (id)
);
CREATE TABLE quark_lock_holders (
    created_at DATETIME,
    id SERIAL NOT NULL,
    lock_id INTEGER NOT NULL,
    name VARCHAR(255),
    PRIMARY KEY (id),
    FOREIGN KEY (lock_id) REFERENCES quark_locks (id)
);
ALTER TABLE quark_ip_addresses ADD COLUMN lock_id INTEGER;

-- +upgrade mysql
CREATE TABLE quark_locks (
    created_at DATETIME,
    id INTEGER NOT NULL AUTO_INCREMENT,
    type ENUM('ip_address') NOT NULL,
    PRIMARY KEY (id)
);
CREATE TABLE quark_lock_holders (
    created_at DATETIME,
    id INTEGER NOT NULL AUTO_INCREMENT,
    lock_id INTEGER NOT NULL,
    name VARCHAR(255),
    PRIMARY KEY (id),
    FOREIGN KEY (lock_id) REFERENCES quark_locks (id)
);
ALTER TABLE quark_ip_addresses ADD COLUMN lock_id INTEGER;

-- +downgrade
ALTER TABLE quark_ip_addresses DROP COLUMN lock_id;
DROP TABLE quark_lock_holders;
DROP TABLE quark_locks;

-- +downgrade postgresql
ALTER TABLE quark_ip_addresses DROP COLUMN lock_id;
DROP TABLE quark_lock_holders;
DROP TABLE quark_locks;
DROP TYPE quark_lock_types;
