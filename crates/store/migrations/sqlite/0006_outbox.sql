-- The outbox of messages to clients (NTF-01): each message waits here until its channel accepts
-- it, with retries and the delivery status. Attachments are named, not stored: `invoice:PERIOD`
-- is rendered from the (immutable) invoice of the message's account when it is sent.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    -- email (sms and portal come with the portal)
    channel          TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    client_id        BIGINT REFERENCES clients (id),
    account_id       BIGINT REFERENCES accounts (id),
    -- invoice, ...
    kind             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    attachment       TEXT NOT NULL DEFAULT '',
    -- one message per key (a rerun queues nothing twice)
    dedupe_key       TEXT UNIQUE,
    -- queued, sent, failed (given up: the recipient cannot be reached this way)
    status           TEXT NOT NULL DEFAULT 'queued',
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    locked_until     BIGINT,
    locked_by        TEXT,
    last_error       TEXT NOT NULL DEFAULT '',
    created_by       BIGINT,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX outbox_account ON outbox (account_id, id);
