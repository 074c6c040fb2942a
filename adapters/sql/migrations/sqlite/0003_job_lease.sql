-- SqlLeaseLock: leases on named keys for the background jobs of instances that share this database
-- without Redis. A released or lapsed lease keeps its row (owner '', expires_at 0) so the fence, the
-- fencing token of its last holder, keeps growing.
CREATE TABLE job_lease (
    lease_key TEXT NOT NULL PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    fence BIGINT NOT NULL
);
