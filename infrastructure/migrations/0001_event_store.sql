-- The event store: one append-only table; streams are the rows that share a stream_id.
--
-- Global order for followers is (transaction_id, position): `position` comes from an identity and is
-- taken at insert, so it is NOT commit order. Followers read only rows whose writing transaction is
-- older than the oldest transaction still running (pg_snapshot_xmin), and those rows never change
-- again; ordering them by (transaction_id, position) gives an order that only ever grows at the end.
-- See docs/global-order.md.
CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY,
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL,
    category        text        NOT NULL GENERATED ALWAYS AS (split_part(stream_id, '-', 1)) STORED,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    data            jsonb       NOT NULL,
    correlation_id  text,
    causation_id    text,
    command_id      text,
    actor           text,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    -- The global order is the key: followers resume after a (transaction_id, position) pair.
    CONSTRAINT events_pkey PRIMARY KEY (transaction_id, position),
    CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version),
    CONSTRAINT events_event_id_unique UNIQUE (event_id),
    CONSTRAINT events_stream_version_positive CHECK (stream_version > 0),
    CONSTRAINT events_schema_version_positive CHECK (schema_version > 0),
    CONSTRAINT events_stream_id_not_blank CHECK (length(btrim(stream_id)) > 0),
    CONSTRAINT events_event_type_not_blank CHECK (length(btrim(event_type)) > 0)
);

-- Every index slows appends (measured in bench/event_store.py): category reads filter the global-order
-- scan instead of keeping an index of their own.
CREATE INDEX events_command ON events (command_id) WHERE command_id IS NOT NULL;

-- The log is immutable: only the store's INSERT path writes it.
CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();

-- Statistics from the start, so the planner uses the indexes above even on a young table.
ANALYZE events;
