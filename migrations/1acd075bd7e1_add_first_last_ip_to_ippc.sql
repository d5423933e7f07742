-- Add first, last IP to IPPolicyCIDR
--
-- Revision ID: 1acd075bd7e1
-- Revises: 28e55acaf366
-- Create Date: 2014-08-07 06:52:39.575301

-- +upgrade
ALTER TABLE quark_ip_policy_cidrs ADD COLUMN first_ip CHAR(39);
ALTER TABLE quark_ip_policy_cidrs ADD COLUMN last_ip CHAR(39);

-- +downgrade
ALTER TABLE quark_ip_policy_cidrs DROP COLUMN last_ip;
ALTER TABLE quark_ip_policy_cidrs DROP COLUMN first_ip;
