-- Create new port indexes
--
-- Revision ID: 41837dc547ce3
-- Revises: 3f0c11478a5d
-- Create Date: 2016-05-02 00:00:00

-- +upgrade
CREATE INDEX ix_quark_ports_network_id_device_id ON quark_ports (network_id, device_id);
CREATE INDEX ix_quark_ports_device_id ON quark_ports (device_id);

-- +downgrade
DROP INDEX ix_quark_ports_device_id;
DROP INDEX ix_quark_ports_network_id_device_id;

-- +downgrade mysql
DROP INDEX ix_quark_ports_device_id ON quark_ports;
DROP INDEX ix_quark_ports_network_id_device_id ON quark_ports;
