-- Added transactions table
--
-- Revision ID: 5632aa202d89
-- Revises: 4d3ed7925db3
-- Create Date: 2015-03-18 14:54:09.061787

-- +upgrade
CREATE TABLE quark_transactions (
    created_at DATETIME,
    id INTEGER NOT NULL,
    PRIMARY KEY (id)
);
ALTER TABLE quark_ip_addresses ADD COLUMN transaction_id INTEGER CONSTRAINT fk_quark_ips_transaction_id REFERENCES quark_transactions (id);

-- +upgrade postgresql
-- An INTEGER primary key of its own is auto-incrementing (SERIAL), as SQLAlchemy creates it.
CREATE TABLE quark_transactions (
    created_at DATETIME,
    id SERIAL NOT NULL,
    PRIMARY KEY (id)
);
ALTER TABLE quark_ip_addresses ADD COLUMN transaction_id INTEGER;
ALTER TABLE quark_ip_addresses ADD CONSTRAINT fk_quark_ips_transaction_id FOREIGN KEY (transaction_id) REFERENCES quark_transactions (id);

-- +upgrade mysql
CREATE TABLE quark_transactions (
    created_at DATETIME,
    id INTEGER NOT NULL AUTO_INCREMENT,
    PRIMARY KEY (id)
);
ALTER TABLE quark_ip_addresses ADD COLUMN transaction_id INTEGER;
ALTER TABLE quark_ip_addresses ADD CONSTRAINT fk_quark_ips_transaction_id FOREIGN KEY (transaction_id) REFERENCES quark_transactions (id);

-- +downgrade
-- Dropping the column drops its foreign key (SQLite, PostgreSQL).
ALTER TABLE quark_ip_addresses DROP COLUMN transaction_id;
DROP TABLE quark_transactions;

-- +downgrade mysql
ALTER TABLE quark_ip_addresses DROP FOREIGN KEY fk_quark_ips_transaction_id;
ALTER TABLE quark_ip_addresses DROP COLUMN transaction_id;
DROP TABLE quark_transactions;
