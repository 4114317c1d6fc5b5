-- Payment points other than the centres' cash desks (§5.2.2): banks, post offices, agents,
-- terminals, online; the public page «Пункты приёма платежей» is generated from them.
CREATE TABLE payment_points (
    id            INTEGER PRIMARY KEY,
    -- bank | post | agent | terminal | online
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    address       TEXT NOT NULL,
    hours         TEXT NOT NULL DEFAULT '',
    fee           TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    -- no longer shown on the site (kept for the record)
    withdrawn_at  BIGINT
);
