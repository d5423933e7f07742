-- rename tenant id indexes
--
-- Revision ID: 79b768afed65
-- Revises: 271cce54e15b
-- Create Date: 2015-05-20 21:39:19.348638
-- Breaking: renames tenant_id to project_id in every table that has it; releases before it use tenant_id

-- +upgrade
-- tenant_id becomes project_id (same type and nullability) in every table that has it;
-- indexes on the column keep their names.
ALTER TABLE quark_tags RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_routes RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_dns_nameservers RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_security_group_rules RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_security_groups RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_ports RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_mac_addresses RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_ip_policy RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_subnets RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_networks RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_async_transactions RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quotas RENAME COLUMN tenant_id TO project_id;
ALTER TABLE reservations RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quotausages RENAME COLUMN tenant_id TO project_id;
DROP INDEX ix_quark_networks_tenant_id;
DROP INDEX ix_quark_networks_tenant_id_name;
DROP INDEX ix_quark_subnets_tenant_id;
DROP INDEX ix_quark_subnets_network_id_tenant_id;
DROP INDEX ix_quark_ports_tenant_id;
DROP INDEX ix_quark_ports_network_id_tenant_id;
DROP INDEX ix_quark_ports_name_tenant_id;
DROP INDEX ix_quotas_tenant_id;
CREATE INDEX ix_quark_networks_project_id ON quark_networks (project_id);
CREATE INDEX ix_quark_networks_project_id_name ON quark_networks (project_id, name);
CREATE INDEX ix_quark_subnets_project_id ON quark_subnets (project_id);
CREATE INDEX ix_quark_subnets_network_id_project_id ON quark_subnets (network_id, project_id);
CREATE INDEX ix_quark_ports_project_id ON quark_ports (project_id);
CREATE INDEX ix_quark_ports_network_id_project_id ON quark_ports (network_id, project_id);
CREATE INDEX ix_quark_ports_name_project_id ON quark_ports (name, project_id);
CREATE INDEX ix_quotas_project_id ON quotas (project_id);

-- +upgrade mysql
ALTER TABLE quark_tags RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_routes RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_dns_nameservers RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_security_group_rules RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_security_groups RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_ports RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_mac_addresses RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_ip_policy RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_subnets RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_networks RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quark_async_transactions RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quotas RENAME COLUMN tenant_id TO project_id;
ALTER TABLE reservations RENAME COLUMN tenant_id TO project_id;
ALTER TABLE quotausages RENAME COLUMN tenant_id TO project_id;
DROP INDEX ix_quark_networks_tenant_id ON quark_networks;
DROP INDEX ix_quark_networks_tenant_id_name ON quark_networks;
DROP INDEX ix_quark_subnets_tenant_id ON quark_subnets;
DROP INDEX ix_quark_subnets_network_id_tenant_id ON quark_subnets;
DROP INDEX ix_quark_ports_tenant_id ON quark_ports;
DROP INDEX ix_quark_ports_network_id_tenant_id ON quark_ports;
DROP INDEX ix_quark_ports_name_tenant_id ON quark_ports;
DROP INDEX ix_quotas_tenant_id ON quotas;
CREATE INDEX ix_quark_networks_project_id ON quark_networks (project_id);
CREATE INDEX ix_quark_networks_project_id_name ON quark_networks (project_id, name);
CREATE INDEX ix_quark_subnets_project_id ON quark_subnets (project_id);
CREATE INDEX ix_quark_subnets_network_id_project_id ON quark_subnets (network_id, project_id);
CREATE INDEX ix_quark_ports_project_id ON quark_ports (project_id);
CREATE INDEX ix_quark_ports_network_id_project_id ON quark_ports (network_id, project_id);
CREATE INDEX ix_quark_ports_name_project_id ON quark_ports (name, project_id);
CREATE INDEX ix_quotas_project_id ON quotas (project_id);

-- +downgrade
DROP INDEX ix_quark_networks_project_id;
DROP INDEX ix_quark_networks_project_id_name;
DROP INDEX ix_quark_subnets_project_id;
DROP INDEX ix_quark_subnets_network_id_project_id;
DROP INDEX ix_quark_ports_project_id;
DROP INDEX ix_quark_ports_network_id_project_id;
DROP INDEX ix_quark_ports_name_project_id;
DROP INDEX ix_quotas_project_id;
ALTER TABLE quotausages RENAME COLUMN project_id TO tenant_id;
ALTER TABLE reservations RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quotas RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_async_transactions RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_networks RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_subnets RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_ip_policy RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_mac_addresses RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_ports RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_security_groups RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_security_group_rules RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_dns_nameservers RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_routes RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_tags RENAME COLUMN project_id TO tenant_id;
CREATE INDEX ix_quark_networks_tenant_id ON quark_networks (tenant_id);
CREATE INDEX ix_quark_networks_tenant_id_name ON quark_networks (tenant_id, name);
CREATE INDEX ix_quark_subnets_tenant_id ON quark_subnets (tenant_id);
CREATE INDEX ix_quark_subnets_network_id_tenant_id ON quark_subnets (network_id, tenant_id);
CREATE INDEX ix_quark_ports_tenant_id ON quark_ports (tenant_id);
CREATE INDEX ix_quark_ports_network_id_tenant_id ON quark_ports (network_id, tenant_id);
CREATE INDEX ix_quark_ports_name_tenant_id ON quark_ports (name, tenant_id);
CREATE INDEX ix_quotas_tenant_id ON quotas (tenant_id);

-- +downgrade mysql
DROP INDEX ix_quark_networks_project_id ON quark_networks;
DROP INDEX ix_quark_networks_project_id_name ON quark_networks;
DROP INDEX ix_quark_subnets_project_id ON quark_subnets;
DROP INDEX ix_quark_subnets_network_id_project_id ON quark_subnets;
DROP INDEX ix_quark_ports_project_id ON quark_ports;
DROP INDEX ix_quark_ports_network_id_project_id ON quark_ports;
DROP INDEX ix_quark_ports_name_project_id ON quark_ports;
DROP INDEX ix_quotas_project_id ON quotas;
ALTER TABLE quotausages RENAME COLUMN project_id TO tenant_id;
ALTER TABLE reservations RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quotas RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_async_transactions RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_networks RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_subnets RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_ip_policy RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_mac_addresses RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_ports RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_security_groups RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_security_group_rules RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_dns_nameservers RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_routes RENAME COLUMN project_id TO tenant_id;
ALTER TABLE quark_tags RENAME COLUMN project_id TO tenant_id;
CREATE INDEX ix_quark_networks_tenant_id ON quark_networks (tenant_id);
CREATE INDEX ix_quark_networks_tenant_id_name ON quark_networks (tenant_id, name);
CREATE INDEX ix_quark_subnets_tenant_id ON quark_subnets (tenant_id);
CREATE INDEX ix_quark_subnets_network_id_tenant_id ON quark_subnets (network_id, tenant_id);
CREATE INDEX ix_quark_ports_tenant_id ON quark_ports (tenant_id);
CREATE INDEX ix_quark_ports_network_id_tenant_id ON quark_ports (network_id, tenant_id);
CREATE INDEX ix_quark_ports_name_tenant_id ON quark_ports (name, tenant_id);
CREATE INDEX ix_quotas_tenant_id ON quotas (tenant_id);
