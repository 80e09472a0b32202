-- Several gateways on one database (issue 12): a due outbox row is claimed
-- by one gateway (its instance id) until a lease runs out, so that no
-- other sends it meanwhile. Sending, retrying or failing the row clears the
-- claim; a gateway restarted under the same instance id clears its own.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX outbox_claimed ON outbox(claimed_by) WHERE claimed_by <> '';
