-- create lswitch and lswitch port orphaned tables
--
-- Revision ID: 1284c81cf727
-- Revises: 4358d1b8cc75
-- Create Date: 2014-07-02 23:05:20.855269

-- +upgrade
CREATE TABLE quark_nvp_orphaned_lswitches (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    nvp_id VARCHAR(36) NOT NULL,
    network_id VARCHAR(36) NOT NULL,
    display_name VARCHAR(255),
    PRIMARY KEY (id)
);
CREATE INDEX ix_quark_nvp_orphaned_lswitches_nvp_id ON quark_nvp_orphaned_lswitches (nvp_id);
CREATE INDEX ix_quark_nvp_orphaned_lswitches_network_id ON quark_nvp_orphaned_lswitches (network_id);
CREATE INDEX ix_quark_nvp_orphaned_lswitches_display_name ON quark_nvp_orphaned_lswitches (display_name);

CREATE TABLE quark_nvp_orphaned_lswitch_ports (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    port_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_quark_nvp_orphaned_lswitch_ports_port_id ON quark_nvp_orphaned_lswitch_ports (port_id);

-- +downgrade
DROP INDEX ix_quark_nvp_orphaned_lswitches_nvp_id;
DROP INDEX ix_quark_nvp_orphaned_lswitches_network_id;
DROP INDEX ix_quark_nvp_orphaned_lswitches_display_name;
DROP TABLE quark_nvp_orphaned_lswitches;
DROP INDEX ix_quark_nvp_orphaned_lswitch_ports_port_id;
DROP TABLE quark_nvp_orphaned_lswitch_ports;

-- +downgrade mysql
-- Dropping a table drops its indexes.
DROP TABLE quark_nvp_orphaned_lswitches;
DROP TABLE quark_nvp_orphaned_lswitch_ports;
