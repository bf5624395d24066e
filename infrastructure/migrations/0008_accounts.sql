-- Read model "accounts" (projections/accounts.py): accounts, API tokens, sessions, one-time sign-in
-- links and sign-in attempts, all folded from the streams account-*, signinlink-* and signin-unknown.
-- Kept by the projection runner AND brought up to date synchronously right after every append (and
-- before every authenticating read that finds it behind): `account_streams.version` is the last stream
-- version applied, so applying is idempotent whoever comes first. Secrets are stored only hashed:
-- argon2 for passwords, SHA-256 (hex) of 32 random bytes for tokens, sessions and links.

CREATE TABLE account_streams (
    stream_id  text PRIMARY KEY,
    version    bigint NOT NULL
);

CREATE TABLE accounts (
    account_id     text PRIMARY KEY,
    role           text        NOT NULL,
    display_name   text        NOT NULL,
    organisation   text,                  -- an auditee's certificate number
    email          text,
    password_hash  text,                  -- argon2id
    disabled       boolean     NOT NULL DEFAULT false,
    version        bigint      NOT NULL,  -- the account stream's version folded in
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE account_tokens (
    token_id    text PRIMARY KEY,
    account_id  text        NOT NULL,
    token_hash  text        NOT NULL UNIQUE,
    label       text        NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX account_tokens_account ON account_tokens (account_id);

CREATE TABLE account_sessions (
    session_hash  text PRIMARY KEY,
    account_id    text        NOT NULL,
    via           text        NOT NULL,  -- password | link
    client        text        NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz
);
CREATE INDEX account_sessions_account ON account_sessions (account_id);

CREATE TABLE signin_links (
    link_id        text PRIMARY KEY,
    token_hash     text        NOT NULL UNIQUE,
    email          text        NOT NULL,
    organisation   text        NOT NULL,
    trajectory_id  text        NOT NULL,
    issued_at      timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    used_by        text
);
CREATE INDEX signin_links_email ON signin_links (email, issued_at);

-- Failed sign-ins, for the rate limits per account (user name) and per client address.
CREATE TABLE signin_failures (
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL,
    user_name       text        NOT NULL,
    client          text        NOT NULL,
    reason          text        NOT NULL,
    failed_at       timestamptz NOT NULL,
    PRIMARY KEY (stream_id, stream_version)
);
CREATE INDEX signin_failures_user ON signin_failures (user_name, failed_at);
CREATE INDEX signin_failures_client ON signin_failures (client, failed_at);

-- Projection "contacts": who is a contact person of which trajectory (the opening's contact_email and
-- the intake's contacts), for the one-time sign-in links of auditees; the organisation (certificate
-- number) and whether the trajectory is open come from the trajectories read model.
CREATE TABLE trajectory_contacts (
    trajectory_id       text NOT NULL,
    source              text NOT NULL,  -- opening | intake
    email               text NOT NULL,  -- lower case
    PRIMARY KEY (trajectory_id, source, email)
);
CREATE INDEX trajectory_contacts_email ON trajectory_contacts (email);
