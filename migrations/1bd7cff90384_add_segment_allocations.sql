-- add_segment_allocations
--
-- Revision ID: 1bd7cff90384
-- Revises: 374c1bdb4480
-- Create Date: 2016-01-25 19:26:27.899610

-- +upgrade
CREATE TABLE quark_segment_allocation_ranges (
    id VARCHAR(36) NOT NULL,
    created_at DATETIME,
    segment_id VARCHAR(36),
    segment_type VARCHAR(36),
    first_id BIGINT NOT NULL,
    last_id BIGINT NOT NULL,
    do_not_use BOOLEAN NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_quark_segment_allocation_ranges_segment_id ON quark_segment_allocation_ranges (segment_id);
CREATE INDEX ix_quark_segment_allocation_ranges_segment_type ON quark_segment_allocation_ranges (segment_type);

CREATE TABLE quark_segment_allocations (
    created_at DATETIME,
    id BIGINT NOT NULL,
    segment_id VARCHAR(36) NOT NULL,
    segment_type VARCHAR(36) NOT NULL,
    segment_allocation_range_id VARCHAR(36),
    network_id VARCHAR(36),
    deallocated BOOLEAN,
    deallocated_at DATETIME,
    PRIMARY KEY (id, segment_id, segment_type),
    FOREIGN KEY (segment_allocation_range_id) REFERENCES quark_segment_allocation_ranges (id) ON DELETE CASCADE
);
CREATE INDEX ix_quark_segment_allocations_deallocated ON quark_segment_allocations (deallocated);
CREATE INDEX ix_quark_segment_allocations_deallocated_at ON quark_segment_allocations (deallocated_at);

-- +downgrade
DROP INDEX ix_quark_segment_allocations_deallocated_at;
DROP INDEX ix_quark_segment_allocations_deallocated;
DROP TABLE quark_segment_allocations;
DROP INDEX ix_quark_segment_allocation_ranges_segment_type;
DROP INDEX ix_quark_segment_allocation_ranges_segment_id;
DROP TABLE quark_segment_allocation_ranges;

-- +downgrade mysql
DROP INDEX ix_quark_segment_allocations_deallocated_at ON quark_segment_allocations;
DROP INDEX ix_quark_segment_allocations_deallocated ON quark_segment_allocations;
DROP TABLE quark_segment_allocations;
DROP INDEX ix_quark_segment_allocation_ranges_segment_type ON quark_segment_allocation_ranges;
DROP INDEX ix_quark_segment_allocation_ranges_segment_id ON quark_segment_allocation_ranges;
DROP TABLE quark_segment_allocation_ranges;
