-- Mailbox intake (APL-01): every letter fetched from the company mailbox is stored here first,
-- raw and unchanged, then registered as an appeal (or attached to the appeal it answers) in a
-- later step. A crash between the two steps loses nothing and registers nothing twice: the row
-- stays 'new' and the registration carries the idempotency key 'mail:<id>'.
CREATE TABLE mail_inbox (
    id            INTEGER PRIMARY KEY,
    mailbox       TEXT NOT NULL,
    uidvalidity   BIGINT NOT NULL,
    uid           BIGINT NOT NULL,
    message_id    TEXT,
    received_at   BIGINT NOT NULL,
    size          BIGINT NOT NULL,
    raw           BLOB NOT NULL,
    -- new, registered, attached, failed, handled
    status        TEXT NOT NULL,
    appeal_id     BIGINT REFERENCES appeals (id),
    error         TEXT,
    handled_by    BIGINT REFERENCES staff (id),
    UNIQUE (mailbox, uidvalidity, uid)
);
CREATE INDEX mail_inbox_status ON mail_inbox (status, id);
