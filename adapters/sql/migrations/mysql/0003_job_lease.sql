-- SqlLeaseLock: leases on named keys for the background jobs of instances that share this database
-- without Redis. A released or lapsed lease keeps its row (owner '', expires_at 0) so the fence, the
-- fencing token of its last holder, keeps growing. Re-runnable (IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS job_lease (
    lease_key VARBINARY(255) NOT NULL PRIMARY KEY,
    owner VARBINARY(64) NOT NULL,
    expires_at BIGINT NOT NULL,
    fence BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
