-- The relay's claim on a batch (ClaimOutboxEvents): owner and lapse time, so that relays of many
-- instances never publish one event at once and a dead relay's batch is claimed again after it.
-- Re-runnable (IF NOT EXISTS).
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claimed_by VARBINARY(64) NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claim_until BIGINT NOT NULL DEFAULT 0;
-- ClaimOutboxEvents: due PENDING events by due time then id, so events backing off never shadow due ones.
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at, id);
-- ClaimOutboxEvents: is there an earlier PENDING event of the same aggregate?
CREATE INDEX IF NOT EXISTS outbox_aggregate ON outbox (aggregate, status, id);
-- Replaced by outbox_due (claims) and outbox_status_created (counts, the oldest pending): one index
-- fewer for every status change to rewrite.
DROP INDEX IF EXISTS outbox_status ON outbox;
