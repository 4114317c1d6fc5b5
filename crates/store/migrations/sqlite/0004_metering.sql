-- Meters and readings (MTR-01 … MTR-04). Values are whole kWh per zone, comma-separated in zone
-- order (single; day, night; peak, half-peak, night).
CREATE TABLE meters (
    id              INTEGER PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    serial          TEXT NOT NULL,
    model           TEXT NOT NULL DEFAULT '',
    zones           BIGINT NOT NULL CHECK (zones IN (1, 2, 3)),
    digits          BIGINT NOT NULL CHECK (digits BETWEEN 4 AND 8),
    installed_on    TEXT NOT NULL,
    removed_on      TEXT,
    verified_on     TEXT NOT NULL,
    interval_years  BIGINT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'working',
    initial_values  TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX meters_account ON meters (account_id);

CREATE TABLE readings (
    id           INTEGER PRIMARY KEY,
    meter_id     BIGINT NOT NULL REFERENCES meters (id),
    reading_values TEXT NOT NULL,
    consumption_wh TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    period       TEXT NOT NULL,
    channel      TEXT NOT NULL,
    -- accepted, held (for review)
    status       TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    entered_by   BIGINT REFERENCES staff (id)
);
CREATE INDEX readings_meter ON readings (meter_id, id);
