-- hits by peer
--
-- Revision ID: 5e1a00000002
-- Revises: 5e1a00000001
-- Create Date: 2026-12-01 09:05:00

-- +upgrade
-- lock accepted: the service's own table, created by the revision before on first start
CREATE INDEX ix_hits_peer ON hits (peer);

-- +downgrade
-- +sqlite, postgresql
DROP INDEX ix_hits_peer;
-- +mysql
DROP INDEX ix_hits_peer ON hits;
