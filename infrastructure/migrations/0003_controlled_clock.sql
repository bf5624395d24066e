-- The controlled clock: tests, the demo and ops move it with `cbct clock tick --to ...`; every process
-- that runs with CBCT_CLOCK=controlled reads it here, so the CLI and the worker share one time.
CREATE TABLE controlled_clock (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    now        timestamptz NOT NULL,
    moved_at   timestamptz NOT NULL DEFAULT now()
);
