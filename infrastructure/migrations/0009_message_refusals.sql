-- E-mails a mail server refused for good (issue 22): `MessageRefused` marks the outbox row refused,
-- with when and why, so ops see it (`cbct stuck`) instead of a retry loop.
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('pending', 'sent', 'unaddressed', 'refused'));
ALTER TABLE messages ADD COLUMN refused_at timestamptz;
ALTER TABLE messages ADD COLUMN failure text;
CREATE INDEX messages_refused ON messages (refused_at, message_id) WHERE status = 'refused';
