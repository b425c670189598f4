-- Erasure and retention (docs/personal-data.md). An unpublished event about an erased person is
-- still published (its consumers must hear of the change), then deleted instead of being marked
-- published. Published outbox rows, inbox rows and idempotency answers are deleted by the worker's
-- retention job after <PREFIX>_OUTBOX_RETENTION; ended memberships once no token predates them.
ALTER TABLE outbox ADD COLUMN forget_after_publish boolean NOT NULL DEFAULT false;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX inbox_received_at ON inbox (received_at);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
CREATE INDEX membership_revocations_ended_at ON membership_revocations (ended_at);
