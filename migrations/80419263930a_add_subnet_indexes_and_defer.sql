-- add subnet indexes and defer
--
-- Revision ID: 80419263930a
-- Revises: 1bd7cff90384
-- Create Date: 2016-02-09 19:26:27.899610

-- +upgrade
CREATE INDEX ix_quark_subnets_segement_network_version ON quark_subnets (segment_id, network_id, ip_version, do_not_use);

-- +downgrade
DROP INDEX ix_quark_subnets_segement_network_version;

-- +downgrade mysql
DROP INDEX ix_quark_subnets_segement_network_version ON quark_subnets;
