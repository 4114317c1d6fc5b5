-- Home visits to clients who cannot reach a service centre (CHN-06, §6.1.3): the request with
-- the premises address of its account, the assignment (day, time window, staff member), the
-- result, and every step in the history. The scheduling norm is a setting; without a row the
-- domain's default holds.
CREATE TABLE home_visit_settings (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    -- working days from the request to the assignment
    schedule_days  BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    updated_by     BIGINT REFERENCES staff (id)
);

CREATE TABLE home_visits (
    id              INTEGER PRIMARY KEY,
    client_id       BIGINT NOT NULL REFERENCES clients (id),
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    branch_id       BIGINT NOT NULL REFERENCES branches (id),
    -- the premises address when the request came
    address         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    preferred_from  TEXT,
    preferred_to    TEXT,
    preferred_time  TEXT,
    contact_phone   TEXT,
    channel         TEXT NOT NULL,
    -- whether the client had a vulnerable category when the request came
    vulnerable      BIGINT NOT NULL CHECK (vulnerable IN (0, 1)),
    status          TEXT NOT NULL,
    -- the local day the request came: the scheduling norm counts from it
    requested_on    TEXT NOT NULL,
    requested_at    BIGINT NOT NULL,
    requested_by    BIGINT REFERENCES staff (id),
    visit_on        TEXT,
    time_from       TEXT,
    time_to         TEXT,
    staff_id        BIGINT REFERENCES staff (id),
    outcome         TEXT,
    result_note     TEXT,
    completed_at    BIGINT,
    cancel_reason   TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX home_visits_status ON home_visits (status, requested_on);
CREATE INDEX home_visits_staff_day ON home_visits (staff_id, visit_on);
CREATE INDEX home_visits_client ON home_visits (client_id);

CREATE TABLE home_visit_history (
    id        INTEGER PRIMARY KEY,
    visit_id  BIGINT NOT NULL REFERENCES home_visits (id),
    event     TEXT NOT NULL,
    at        BIGINT NOT NULL,
    staff_id  BIGINT REFERENCES staff (id),
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX home_visit_history_visit ON home_visit_history (visit_id);
