-- FAWS: Added fields for SG migration
--
-- Revision ID: c07cd8303997
-- Revises: da46a8b30bd8
-- Create Date: 2016-09-14 15:51:53.112929

-- +upgrade
ALTER TABLE quark_security_groups ADD COLUMN external_service VARCHAR(255);
ALTER TABLE quark_security_groups ADD COLUMN external_service_id VARCHAR(255);
ALTER TABLE quark_security_group_rules ADD COLUMN external_service VARCHAR(255);
ALTER TABLE quark_security_group_rules ADD COLUMN external_service_id VARCHAR(255);

-- +downgrade
ALTER TABLE quark_security_groups DROP COLUMN external_service;
ALTER TABLE quark_security_groups DROP COLUMN external_service_id;
ALTER TABLE quark_security_group_rules DROP COLUMN external_service;
ALTER TABLE quark_security_group_rules DROP COLUMN external_service_id;
