-- The relay's claim on a batch (ClaimOutboxEvents): owner and lapse time, so that relays of many
-- instances never publish one event at once and a dead relay's batch is claimed again after it.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claim_until BIGINT NOT NULL DEFAULT 0;
-- ClaimOutboxEvents: due PENDING events by due time then id, so events backing off never shadow due ones.
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
-- ClaimOutboxEvents: is there an earlier PENDING event of the same aggregate?
CREATE INDEX outbox_aggregate ON outbox (aggregate, status, id);
-- Replaced by outbox_due (claims) and outbox_status_created (counts, the oldest pending): one index
-- fewer for every status change to rewrite.
DROP INDEX outbox_status;
