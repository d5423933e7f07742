-- Added Floating IP to Fixed IP mapping table
--
-- Revision ID: 33e9e23ba761
-- Revises: 356d6c0623c8
-- Create Date: 2015-05-11 14:14:23.619952

-- +upgrade
CREATE TABLE quark_floating_to_fixed_ip_address_associations (
    floating_ip_address_id VARCHAR(36) NOT NULL,
    fixed_ip_address_id VARCHAR(36) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT '1',
    PRIMARY KEY (floating_ip_address_id, fixed_ip_address_id),
    FOREIGN KEY (fixed_ip_address_id) REFERENCES quark_ip_addresses (id),
    FOREIGN KEY (floating_ip_address_id) REFERENCES quark_ip_addresses (id)
);

-- +downgrade
DROP TABLE quark_floating_to_fixed_ip_address_associations;
