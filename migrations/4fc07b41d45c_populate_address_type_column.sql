-- populate address_type column
--
-- Revision ID: 4fc07b41d45c
-- Revises: 42a3c8c0db75
-- Create Date: 2014-10-16 14:09:43.175030

-- +upgrade
UPDATE quark_ip_addresses SET address_type = 'fixed' WHERE _deallocated = FALSE;

-- +downgrade
UPDATE quark_ip_addresses SET address_type = NULL;
