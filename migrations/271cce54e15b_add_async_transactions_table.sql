-- Add async transactions table
--
-- Revision ID: 271cce54e15b
-- Revises: 2a116b962c95
-- Create Date: 2016-06-15 09:24:29.941684

-- +upgrade
CREATE TABLE quark_async_transactions (
    created_at DATETIME,
    id VARCHAR(36) NOT NULL,
    tenant_id VARCHAR(255) NOT NULL,
    action VARCHAR(255) NOT NULL,
    completed BOOLEAN,
    PRIMARY KEY (id)
);
CREATE INDEX ix_quark_async_transactions_tenant_id ON quark_async_transactions (tenant_id);

-- +downgrade
-- Dropping the table drops its index.
DROP TABLE quark_async_transactions;
