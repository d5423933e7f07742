-- add_tags_to_port
--
-- Revision ID: 4da4444d7706
-- Revises: 2e9cf60b0ef6
-- Create Date: 2015-10-12 16:46:14.116338

-- +upgrade
ALTER TABLE quark_ports ADD COLUMN tag_association_uuid VARCHAR(36);

-- +downgrade
ALTER TABLE quark_ports DROP COLUMN tag_association_uuid;
