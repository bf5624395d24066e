-- Calendar feeds (issue 22): the audits as calendars show them, and the feeds' secret tokens.
-- Both are read models, rebuildable from the events.

-- Projection "calendar": one row per audit (a trajectory's round) from its first scheduling on.
-- `sequence` counts the times its dates or its status changed after that (iCalendar SEQUENCE);
-- a cancelled audit keeps its last dates and auditors, with status 'cancelled'.
CREATE TABLE calendar_trajectories (
    trajectory_id       text PRIMARY KEY,
    organisation        text NOT NULL,
    certificate_number  text NOT NULL
);

CREATE TABLE calendar_audits (
    trajectory_id       text        NOT NULL,
    round_number        integer     NOT NULL,
    round_kind          text        NOT NULL,
    organisation        text        NOT NULL,
    certificate_number  text        NOT NULL,
    audit_dates         date[]      NOT NULL,
    expert_auditor      text        NOT NULL,
    peer_auditor        text        NOT NULL,
    status              text        NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    sequence            integer     NOT NULL CHECK (sequence >= 0),
    held                boolean     NOT NULL,  -- its scores are recorded: the audit took place
    first_scheduled_at  timestamptz NOT NULL,  -- occurred_at of its first scheduling
    changed_at          timestamptz NOT NULL,  -- occurred_at of its last change (DTSTAMP, LAST-MODIFIED)
    PRIMARY KEY (trajectory_id, round_number)
);
CREATE INDEX calendar_audits_certificate ON calendar_audits (certificate_number);
CREATE INDEX calendar_audits_expert ON calendar_audits (expert_auditor);
CREATE INDEX calendar_audits_peer ON calendar_audits (peer_auditor);

-- Projection "feed_tokens": a feed's token is kept only as its SHA-256, with the principal it was
-- created for (FeedCreated / FeedRevoked on stream feed-<feed_id>).
CREATE TABLE feed_tokens (
    feed_id        text PRIMARY KEY,
    token_sha256   text        NOT NULL UNIQUE,
    account_id     text        NOT NULL,
    role           text        NOT NULL,
    display_name   text        NOT NULL,
    organisation   text,
    created_at     timestamptz NOT NULL,
    revoked_at     timestamptz
);
CREATE INDEX feed_tokens_account ON feed_tokens (account_id);
