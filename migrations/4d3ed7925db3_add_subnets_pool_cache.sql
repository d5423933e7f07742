-- Add subnets pool cache
--
-- Revision ID: 4d3ed7925db3
-- Revises: 3a47813ce501
-- Create Date: 2015-03-16 20:46:30.752875

-- +upgrade
ALTER TABLE quark_subnets ADD COLUMN _allocation_pool_cache TEXT;

-- +downgrade
ALTER TABLE quark_subnets DROP COLUMN _allocation_pool_cache;
