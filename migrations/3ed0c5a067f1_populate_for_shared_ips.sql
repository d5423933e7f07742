-- Populate enabled and do_not_use
--
-- Revision ID: 3ed0c5a067f1
-- Revises: 5927940a466e
-- Create Date: 2014-07-07 07:52:27.989294

-- +upgrade
UPDATE quark_port_ip_address_associations SET enabled = TRUE;
UPDATE quark_mac_address_ranges SET do_not_use = FALSE;

-- +downgrade
