-- Added quark_mac_addresses index and unique constraint
--
-- Revision ID: 4358d1b8cc75
-- Revises: 1817eef6373c
-- Create Date: 2014-06-04 15:45:23.481298

-- +upgrade
CREATE INDEX ix_quark_mac_addresses_deallocated ON quark_mac_addresses (deallocated);

-- +downgrade
DROP INDEX ix_quark_mac_addresses_deallocated;

-- +downgrade mysql
DROP INDEX ix_quark_mac_addresses_deallocated ON quark_mac_addresses;
