-- News and mass informing (§10.2, NTF-02): announcements to every client or to a district (a
-- branch's area and/or a settlement); planned outages with their interval. Publishing with
-- notification queues one message per account concerned and channel (job `news.notify`).
CREATE TABLE news (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    branch_id     BIGINT REFERENCES branches (id),
    settlement    TEXT,
    outage_from   TEXT,
    outage_until  TEXT,
    notify        BIGINT NOT NULL DEFAULT 0,
    -- The address of the announcement on the site, for the messages.
    link          TEXT NOT NULL DEFAULT '',
    queued        BIGINT,
    created_by    BIGINT REFERENCES staff (id),
    published_at  BIGINT NOT NULL,
    withdrawn_at  BIGINT,
    withdrawn_by  BIGINT REFERENCES staff (id)
);
CREATE INDEX news_published ON news (published_at);
-- The district of an announcement is matched against the premises' settlement.
CREATE INDEX premises_settlement ON premises (settlement);
