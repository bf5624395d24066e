-- Read models: plain tables kept by the projections in projections/, each updated in the same
-- transaction as its projection's checkpoint, and all of them rebuildable from the events.
-- Times are the events' occurred_at (the domain clock) unless named recorded_at/updated_at (the store's).

-- Projection "trajectories": the folded state per trajectory and everything derived from it.
CREATE TABLE trajectory_states (
    trajectory_id      text PRIMARY KEY,
    state              jsonb       NOT NULL,   -- domain.TrajectoryState as JSON
    version            bigint      NOT NULL,   -- the last stream version folded in
    framework_version  text        NOT NULL,
    updated_at         timestamptz NOT NULL    -- recorded_at of that event
);

CREATE TABLE trajectories (
    trajectory_id          text PRIMARY KEY,
    organisation           text        NOT NULL,
    certificate_number     text        NOT NULL,
    association            text        NOT NULL,
    framework_version      text        NOT NULL,
    opened_on              date        NOT NULL,
    phase                  text        NOT NULL,
    phase_since            date        NOT NULL,
    is_open                boolean     NOT NULL,
    audit_quarter          text        NOT NULL,
    round_number           integer     NOT NULL,
    round_kind             text        NOT NULL,
    audit_dates            date[]      NOT NULL,
    expert_auditor         text,
    peer_auditor           text,
    category               text,
    dagdelen               integer,
    modules                text[]      NOT NULL,
    verdict                text,
    failing_norms          text[]      NOT NULL,
    decided_on             date,
    norm_scores            jsonb       NOT NULL,  -- of the latest round
    audit_norm_scores      jsonb,                 -- of the regular audit (period report)
    result                 text,
    remark                 text,
    certified_until        date,
    certificate_status     text        NOT NULL,
    survey_answer          text,
    postponements_granted  integer     NOT NULL,
    force_majeure_granted  integer     NOT NULL,
    postponement_pending   boolean     NOT NULL,
    next_deadline_kind     text,
    next_deadline_label    text,
    next_deadline_due_on   date,
    next_deadline_due_at   timestamptz,
    version                bigint      NOT NULL,
    last_event_at          timestamptz NOT NULL,
    last_progress_at       timestamptz,          -- set by the opening event, kept when a batch has no progress
    updated_at             timestamptz NOT NULL
);
-- No secondary indexes: every batch rewrites these rows, and lists over ~25,000 rows scan fast enough.

CREATE TABLE timeline (
    trajectory_id   text        NOT NULL,
    stream_version  bigint      NOT NULL,
    event_type      text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    actor           text,
    summary         text        NOT NULL,
    PRIMARY KEY (trajectory_id, stream_version)
);

CREATE TABLE deadlines (
    deadline_id    text PRIMARY KEY,
    trajectory_id  text        NOT NULL,
    organisation   text        NOT NULL,
    kind           text        NOT NULL,
    label          text        NOT NULL,
    due_on         date        NOT NULL,  -- Amsterdam date
    due_at         timestamptz NOT NULL,  -- the instant it falls due
    nature         text        NOT NULL,
    party          text        NOT NULL,
    fired          boolean     NOT NULL
);
CREATE INDEX deadlines_trajectory ON deadlines (trajectory_id);
CREATE INDEX deadlines_unfired ON deadlines (due_at, deadline_id) WHERE NOT fired;

-- One row per certificate number: its most recently opened trajectory.
CREATE TABLE register (
    certificate_number  text PRIMARY KEY,
    trajectory_id       text        NOT NULL,
    organisation        text        NOT NULL,
    association         text        NOT NULL,
    framework_version   text        NOT NULL,
    opened_on           date        NOT NULL,
    result              text,
    remark              text,
    certified_until     date,
    status              text        NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE TABLE postponement_requests (
    trajectory_id        text    NOT NULL,
    request_number       integer NOT NULL,
    command_id           text,
    organisation         text    NOT NULL,
    ground               text    NOT NULL,
    reason               text    NOT NULL,
    ground_effective_on  date,
    requested_on         date    NOT NULL,
    decide_by            date    NOT NULL,
    date_fixed           boolean NOT NULL,
    force_majeure        boolean NOT NULL,
    audit_quarter        text    NOT NULL,
    audit_dates          date[]  NOT NULL,
    requested_by         text,
    status               text    NOT NULL CHECK (status IN ('pending', 'granted', 'rejected', 'lapsed')),
    decided_on           date,
    decided_reason       text,
    new_quarter          text,
    new_audit_dates      date[],
    decided_by           text,
    PRIMARY KEY (trajectory_id, request_number)
);
CREATE INDEX postponement_requests_pending ON postponement_requests (decide_by) WHERE status = 'pending';

-- Projection "messages": the notification outbox, and what its texts need per trajectory.
CREATE TABLE message_context (
    trajectory_id  text PRIMARY KEY,
    context        jsonb NOT NULL
);

CREATE TABLE messages (
    message_id      text PRIMARY KEY,  -- uuid5(event id, kind): stable across rebuilds
    trajectory_id   text        NOT NULL,
    event_id        uuid        NOT NULL,
    kind            text        NOT NULL,
    recipient       text,
    recipient_name  text,
    subject         text        NOT NULL,
    body            text        NOT NULL,
    created_at      timestamptz NOT NULL,  -- the event's occurred_at
    status          text        NOT NULL CHECK (status IN ('pending', 'sent', 'unaddressed')),
    sent_at         timestamptz,
    transport       text
);
CREATE INDEX messages_pending ON messages (created_at, message_id) WHERE status = 'pending';
CREATE INDEX messages_trajectory ON messages (trajectory_id, created_at);
