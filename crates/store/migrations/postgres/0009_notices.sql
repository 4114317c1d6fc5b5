-- Templates of notices to clients per kind and channel (NTF-03), edited by staff; shipped
-- defaults are written by the application when missing. Reminders (NTF-02) are queued in the
-- outbox with their values in `params` and rendered from the template when sent; `subject` and
-- `body` then keep what was actually sent.
CREATE TABLE notice_templates (
    kind        TEXT NOT NULL,
    channel     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_by  BIGINT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, channel)
);
ALTER TABLE outbox ADD COLUMN params TEXT NOT NULL DEFAULT '';
