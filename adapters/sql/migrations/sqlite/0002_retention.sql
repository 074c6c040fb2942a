-- Indexes of the retention deletes (RetentionService): each deletes the oldest rows in bounded
-- batches, so it must find them without scanning what it keeps. One transaction, like every SQLite migration.

-- DeletePublishedOutboxBefore: status = PUBLISHED AND created_at < ?
CREATE INDEX IF NOT EXISTS outbox_status_created ON outbox (status, created_at);
-- DeleteInboxBefore: recorded_at < ?
CREATE INDEX IF NOT EXISTS inbox_recorded ON inbox (recorded_at);
-- DeleteIdempotencyBefore: created_at < ?
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
-- DeleteFencesBelow: token < ?
CREATE INDEX IF NOT EXISTS lock_fence_token ON lock_fence (token);
