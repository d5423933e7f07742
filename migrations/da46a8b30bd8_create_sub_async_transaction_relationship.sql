-- create sub async transaction relationship
--
-- Revision ID: da46a8b30bd8
-- Revises: 79b768afed65
-- Create Date: 2016-08-12 09:24:29.941684

-- +upgrade
ALTER TABLE quark_async_transactions ADD COLUMN status VARCHAR(255);
ALTER TABLE quark_async_transactions ADD COLUMN resource_id VARCHAR(255);
ALTER TABLE quark_async_transactions ADD COLUMN transaction_id VARCHAR(255);
ALTER TABLE quark_async_transactions ADD COLUMN parent_task_id VARCHAR(255);

-- +downgrade
ALTER TABLE quark_async_transactions DROP COLUMN parent_task_id;
ALTER TABLE quark_async_transactions DROP COLUMN transaction_id;
ALTER TABLE quark_async_transactions DROP COLUMN resource_id;
ALTER TABLE quark_async_transactions DROP COLUMN status;
