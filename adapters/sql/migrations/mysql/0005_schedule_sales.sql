-- The sales projection (SalesProjection), one row per schedule, fed by payment events through the
-- inbox. Re-runnable (IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS schedule_sales (
    schedule_id BIGINT NOT NULL PRIMARY KEY,
    seats_sold BIGINT NOT NULL,
    revenue BIGINT NOT NULL,
    refunds BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
