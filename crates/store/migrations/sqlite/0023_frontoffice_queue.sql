-- The electronic queue of the service centres (CHN-01, §6.3): services with their norms of
-- reception time, tickets, each call of a ticket to a window (wait and service times), the
-- visit's record, the staff's windows, the hall's enrolled devices and the display's version.
CREATE TABLE queue_services (
    id            INTEGER PRIMARY KEY,
    centre_id     BIGINT NOT NULL REFERENCES service_centres (id),
    letter        TEXT NOT NULL,
    name          TEXT NOT NULL,
    level         TEXT NOT NULL,
    priority      BIGINT NOT NULL DEFAULT 10,
    -- the norm of the average reception, minutes (§6.3.4)
    norm_minutes  BIGINT NOT NULL,
    active        BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX queue_services_letter ON queue_services (centre_id, letter);

-- Per centre, day (local) and letter: the last number given.
CREATE TABLE queue_counters (
    centre_id  BIGINT NOT NULL,
    day        TEXT NOT NULL,
    letter     TEXT NOT NULL,
    last       BIGINT NOT NULL,
    PRIMARY KEY (centre_id, day, letter)
);

CREATE TABLE queue_tickets (
    id              INTEGER PRIMARY KEY,
    centre_id       BIGINT NOT NULL REFERENCES service_centres (id),
    service_id      BIGINT NOT NULL REFERENCES queue_services (id),
    day             TEXT NOT NULL,
    number          BIGINT NOT NULL,
    label           TEXT NOT NULL,
    account_number  TEXT,
    status          TEXT NOT NULL,
    taken_at        BIGINT NOT NULL,
    -- when it entered the current service's queue (a transfer moves it)
    queued_at       BIGINT NOT NULL,
    -- its place: the time it was first taken, kept across transfers
    rank_at         BIGINT NOT NULL,
    called_at       BIGINT,
    staff_id        BIGINT REFERENCES staff (id),
    window_label    TEXT,
    calls           BIGINT NOT NULL DEFAULT 0,
    device_id       BIGINT,
    finished_at     BIGINT,
    version         BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX queue_tickets_number ON queue_tickets (centre_id, day, label);
CREATE INDEX queue_tickets_waiting ON queue_tickets (centre_id, status, service_id, rank_at);
CREATE INDEX queue_tickets_staff ON queue_tickets (staff_id, status);
CREATE INDEX queue_tickets_taken ON queue_tickets (taken_at);

-- One call of a ticket to a window and how it ended: wait = called_at - queued_at, service =
-- ended_at - called_at, measured against the service's norm at the time.
CREATE TABLE queue_calls (
    id            INTEGER PRIMARY KEY,
    ticket_id     BIGINT NOT NULL REFERENCES queue_tickets (id),
    service_id    BIGINT NOT NULL REFERENCES queue_services (id),
    level         TEXT NOT NULL,
    norm_minutes  BIGINT NOT NULL,
    staff_id      BIGINT NOT NULL REFERENCES staff (id),
    window_label  TEXT NOT NULL,
    queued_at     BIGINT NOT NULL,
    called_at     BIGINT NOT NULL,
    recalls       BIGINT NOT NULL DEFAULT 0,
    ended_at      BIGINT,
    outcome       TEXT
);
CREATE INDEX queue_calls_ticket ON queue_calls (ticket_id);
CREATE INDEX queue_calls_called ON queue_calls (called_at);

-- What a finished visit came to.
CREATE TABLE queue_visits (
    ticket_id       BIGINT PRIMARY KEY REFERENCES queue_tickets (id),
    staff_id        BIGINT NOT NULL REFERENCES staff (id),
    client_id       BIGINT REFERENCES clients (id),
    account_number  TEXT,
    topic           TEXT NOT NULL,
    result          TEXT NOT NULL,
    promised_on     TEXT,
    redirected_to   TEXT,
    note            TEXT,
    finished_at     BIGINT NOT NULL
);
CREATE INDEX queue_visits_finished ON queue_visits (finished_at);
CREATE INDEX queue_visits_client ON queue_visits (client_id);

-- The window a staff member sits at and the services they call.
CREATE TABLE queue_seats (
    staff_id      BIGINT PRIMARY KEY REFERENCES staff (id),
    centre_id     BIGINT NOT NULL REFERENCES service_centres (id),
    window_label  TEXT NOT NULL,
    -- service ids, comma-separated
    services      TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Kiosks and hall displays an administrator enrolled; only the token's SHA-256 is kept.
CREATE TABLE queue_devices (
    id            INTEGER PRIMARY KEY,
    centre_id     BIGINT NOT NULL REFERENCES service_centres (id),
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    created_by    BIGINT REFERENCES staff (id),
    revoked_at    BIGINT,
    last_seen_at  BIGINT
);

-- Bumped in the transaction of every change the hall display shows, so displays on every
-- instance notice it by reading one row.
CREATE TABLE queue_boards (
    centre_id   BIGINT PRIMARY KEY,
    version     BIGINT NOT NULL,
    changed_at  BIGINT NOT NULL
);
