-- Where each projection stands in the global order. Updated in the same transaction as its read model,
-- with compare-and-set, so every event is applied exactly once.
CREATE TABLE projection_checkpoints (
    name            text PRIMARY KEY,
    transaction_id  bigint      NOT NULL DEFAULT 0,
    position        bigint      NOT NULL DEFAULT 0,
    events_applied  bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
