-- A projection that meets an event it cannot read stops there (projections/runner.py) and says so here,
-- so `cbct projections status` names the event; the next successful batch clears it.
ALTER TABLE projection_checkpoints
    ADD COLUMN halted_at     text,         -- global position 'tx:position' of the event it stopped at
    ADD COLUMN halted_error  text,         -- the error, naming stream, version, type and event id
    ADD COLUMN halted_since  timestamptz;

-- Corrections of stored events that cannot be read (docs/repairing-events.md). Events stay as written:
-- each correction is itself an `EventCorrected` event in stream `correction-<event id>`, and this table,
-- written in the same transaction, is how readers find it. A reader sees the corrected data in place
-- of the stored data; the newest correction of an event wins.
CREATE TABLE event_corrections (
    event_id                  uuid        PRIMARY KEY REFERENCES events (event_id),
    corrected_data            jsonb       NOT NULL,
    corrected_schema_version  integer     NOT NULL CHECK (corrected_schema_version > 0),
    correction_event_id       uuid        NOT NULL,
    reason                    text        NOT NULL,
    corrected_by              text,
    corrected_at              timestamptz NOT NULL DEFAULT now()
);
