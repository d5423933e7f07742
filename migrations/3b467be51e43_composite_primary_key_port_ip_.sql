-- composite primary key port ip association
--
-- Revision ID: 3b467be51e43
-- Revises: 26e984b48a0d
-- Create Date: 2014-10-09 15:42:58.104964
-- Breaking: makes port_id and ip_address_id of quark_port_ip_address_associations NOT NULL (its composite primary key); releases before it may insert rows without them

-- +upgrade
ALTER TABLE quark_port_ip_address_associations ALTER COLUMN ip_address_id SET NOT NULL;
ALTER TABLE quark_port_ip_address_associations ALTER COLUMN port_id SET NOT NULL;
ALTER TABLE quark_port_ip_address_associations ADD CONSTRAINT pk_quark_port_ip_address_associations PRIMARY KEY (port_id, ip_address_id);

-- +upgrade sqlite
-- SQLite cannot add a primary key or change nullability in place: rebuild the table.
CREATE TABLE _alembic_tmp_quark_port_ip_address_associations (
    port_id VARCHAR(36) NOT NULL,
    ip_address_id VARCHAR(36) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT '1',
    CONSTRAINT pk_quark_port_ip_address_associations PRIMARY KEY (port_id, ip_address_id),
    FOREIGN KEY (ip_address_id) REFERENCES quark_ip_addresses (id),
    FOREIGN KEY (port_id) REFERENCES quark_ports (id)
);
INSERT INTO _alembic_tmp_quark_port_ip_address_associations (port_id, ip_address_id, enabled)
    SELECT port_id, ip_address_id, enabled FROM quark_port_ip_address_associations;
DROP TABLE quark_port_ip_address_associations;
ALTER TABLE _alembic_tmp_quark_port_ip_address_associations RENAME TO quark_port_ip_address_associations;

-- +upgrade mysql
-- The foreign keys are dropped around the change and recreated with their names.
ALTER TABLE quark_port_ip_address_associations DROP FOREIGN KEY quark_port_ip_address_associations_ibfk_1;
ALTER TABLE quark_port_ip_address_associations DROP FOREIGN KEY quark_port_ip_address_associations_ibfk_2;
ALTER TABLE quark_port_ip_address_associations MODIFY ip_address_id VARCHAR(36) NOT NULL;
ALTER TABLE quark_port_ip_address_associations MODIFY port_id VARCHAR(36) NOT NULL;
ALTER TABLE quark_port_ip_address_associations ADD CONSTRAINT pk_quark_port_ip_address_associations PRIMARY KEY (port_id, ip_address_id);
ALTER TABLE quark_port_ip_address_associations ADD CONSTRAINT quark_port_ip_address_associations_ibfk_1 FOREIGN KEY (ip_address_id) REFERENCES quark_ip_addresses (id);
ALTER TABLE quark_port_ip_address_associations ADD CONSTRAINT quark_port_ip_address_associations_ibfk_2 FOREIGN KEY (port_id) REFERENCES quark_ports (id);

-- +downgrade
ALTER TABLE quark_port_ip_address_associations DROP CONSTRAINT pk_quark_port_ip_address_associations;
ALTER TABLE quark_port_ip_address_associations ALTER COLUMN port_id DROP NOT NULL;
ALTER TABLE quark_port_ip_address_associations ALTER COLUMN ip_address_id DROP NOT NULL;

-- +downgrade sqlite
-- SQLite cannot drop a primary key or change nullability in place: rebuild the table.
CREATE TABLE _alembic_tmp_quark_port_ip_address_associations (
    port_id VARCHAR(36),
    ip_address_id VARCHAR(36),
    enabled BOOLEAN NOT NULL DEFAULT '1',
    FOREIGN KEY (ip_address_id) REFERENCES quark_ip_addresses (id),
    FOREIGN KEY (port_id) REFERENCES quark_ports (id)
);
INSERT INTO _alembic_tmp_quark_port_ip_address_associations (port_id, ip_address_id, enabled)
    SELECT port_id, ip_address_id, enabled FROM quark_port_ip_address_associations;
DROP TABLE quark_port_ip_address_associations;
ALTER TABLE _alembic_tmp_quark_port_ip_address_associations RENAME TO quark_port_ip_address_associations;

-- +downgrade mysql
-- Recreated under explicit names (as the upgrade does), the foreign keys would leave InnoDB's
-- index on ip_address_id named after the constraint. Recreated unnamed, in declaration order,
-- they get back both their names (<table>_ibfk_1, _ibfk_2) and the generated indexes
-- ip_address_id and port_id of the parent revision.
ALTER TABLE quark_port_ip_address_associations DROP FOREIGN KEY quark_port_ip_address_associations_ibfk_1;
ALTER TABLE quark_port_ip_address_associations DROP FOREIGN KEY quark_port_ip_address_associations_ibfk_2;
ALTER TABLE quark_port_ip_address_associations DROP PRIMARY KEY;
ALTER TABLE quark_port_ip_address_associations MODIFY port_id VARCHAR(36) NULL;
ALTER TABLE quark_port_ip_address_associations MODIFY ip_address_id VARCHAR(36) NULL;
DROP INDEX quark_port_ip_address_associations_ibfk_1 ON quark_port_ip_address_associations;
ALTER TABLE quark_port_ip_address_associations ADD FOREIGN KEY (ip_address_id) REFERENCES quark_ip_addresses (id);
ALTER TABLE quark_port_ip_address_associations ADD FOREIGN KEY (port_id) REFERENCES quark_ports (id);
