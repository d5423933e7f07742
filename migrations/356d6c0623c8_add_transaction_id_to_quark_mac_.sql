-- Add transaction_id to quark_mac_addresses
--
-- Revision ID: 356d6c0623c8
-- Revises: 5632aa202d89
-- Create Date: 2015-04-14 01:53:48.233241

-- +upgrade
ALTER TABLE quark_mac_addresses ADD COLUMN transaction_id INTEGER CONSTRAINT fk_quark_macs_transaction_id REFERENCES quark_transactions (id);

-- +upgrade mysql
ALTER TABLE quark_mac_addresses ADD COLUMN transaction_id INTEGER;
ALTER TABLE quark_mac_addresses ADD CONSTRAINT fk_quark_macs_transaction_id FOREIGN KEY (transaction_id) REFERENCES quark_transactions (id);

-- +downgrade
-- Dropping the column drops its foreign key (SQLite, PostgreSQL).
ALTER TABLE quark_mac_addresses DROP COLUMN transaction_id;

-- +downgrade mysql
ALTER TABLE quark_mac_addresses DROP FOREIGN KEY fk_quark_macs_transaction_id;
ALTER TABLE quark_mac_addresses DROP COLUMN transaction_id;
