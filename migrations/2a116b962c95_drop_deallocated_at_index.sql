-- drop deallocated_at from mac addresses index
--
-- Revision ID: 2a116b962c95
-- Revises: 41837dc547ce3
-- Create Date: 2016-06-02 19:26:27.899610

-- +upgrade
DROP INDEX ix_quark_mac_addresses_reallocation;
CREATE INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses (deallocated);

-- +upgrade mysql
DROP INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses;
CREATE INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses (deallocated);

-- +downgrade
DROP INDEX ix_quark_mac_addresses_reallocation;
CREATE INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses (deallocated, deallocated_at);

-- +downgrade mysql
DROP INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses;
CREATE INDEX ix_quark_mac_addresses_reallocation ON quark_mac_addresses (deallocated, deallocated_at);
