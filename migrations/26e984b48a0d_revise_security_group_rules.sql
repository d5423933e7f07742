-- Revise security group rules
--
-- Revision ID: 26e984b48a0d
-- Revises: 1664300cb03a
-- Create Date: 2014-09-16 22:01:07.329380
-- Breaking: replaces quark_security_group_rule with quark_security_group_rules; releases before it use the old table

-- +upgrade
DROP TABLE quark_security_group_rule;
CREATE TABLE quark_security_group_rules (
    tenant_id VARCHAR(255),
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
    PRIMARY KEY (id),
    CONSTRAINT fk_remote_group_id FOREIGN KEY (remote_group_id) REFERENCES quark_security_groups (id),
    FOREIGN KEY (group_id) REFERENCES quark_security_groups (id)
);

-- +downgrade
DROP TABLE quark_security_group_rules;
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
