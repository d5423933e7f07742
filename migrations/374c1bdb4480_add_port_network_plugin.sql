-- add_port_network_plugin
--
-- Revision ID: 374c1bdb4480
-- Revises: 4da4444d7706
-- Create Date: 2015-10-20 12:08:24.780056

-- +upgrade
ALTER TABLE quark_ports ADD COLUMN network_plugin VARCHAR(36);

-- +downgrade
ALTER TABLE quark_ports DROP COLUMN network_plugin;
