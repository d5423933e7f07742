-- add_type_column_quark_ip_addresses
--
-- Revision ID: 42a3c8c0db75
-- Revises: 3b467be51e43
-- Create Date: 2014-10-14 14:21:25.016371

-- +upgrade
CREATE TYPE quark_ip_address_types AS ENUM ('shared', 'floating', 'fixed');
ALTER TABLE quark_ip_addresses ADD COLUMN address_type quark_ip_address_types;

-- +upgrade sqlite
ALTER TABLE quark_ip_addresses ADD COLUMN address_type VARCHAR(8) CHECK (address_type IN ('shared', 'floating', 'fixed'));

-- +upgrade mysql
ALTER TABLE quark_ip_addresses ADD COLUMN address_type ENUM('shared', 'floating', 'fixed');

-- +downgrade
ALTER TABLE quark_ip_addresses DROP COLUMN address_type;

-- +downgrade postgresql
ALTER TABLE quark_ip_addresses DROP COLUMN address_type;
DROP TYPE quark_ip_address_types;
