-- Add size to quark_ip_policy
--
-- Revision ID: 3d22de205729
-- Revises: 3ed0c5a067f1
-- Create Date: 2014-07-04 23:53:09.531715

-- +upgrade
ALTER TABLE quark_ip_policy ADD COLUMN size CHAR(39);

-- +downgrade
ALTER TABLE quark_ip_policy DROP COLUMN size;
