-- Pre-booked visits (CHN-01): a time at a centre for a service, booked from the personal
-- account or by phone through staff; the visitor checks in at the kiosk with the code. A slot
-- takes as many bookings as the service has booking seats: the partial unique index on the
-- seat gives the last seat of a slot to exactly one of two clients booking it at once.
ALTER TABLE queue_services ADD COLUMN booking_seats BIGINT NOT NULL DEFAULT 1;
ALTER TABLE queue_tickets ADD COLUMN booking_id BIGINT;

CREATE TABLE queue_bookings (
    id              INTEGER PRIMARY KEY,
    centre_id       BIGINT NOT NULL REFERENCES service_centres (id),
    service_id      BIGINT NOT NULL REFERENCES queue_services (id),
    -- the local day and the slot's start (µs, UTC)
    day             TEXT NOT NULL,
    slot_start      BIGINT NOT NULL,
    slot_minutes    BIGINT NOT NULL,
    seat            BIGINT NOT NULL,
    code            TEXT NOT NULL,
    status          TEXT NOT NULL,
    channel         TEXT NOT NULL,
    name            TEXT NOT NULL,
    phone           TEXT,
    email           TEXT,
    account_number  TEXT,
    client_id       BIGINT REFERENCES clients (id),
    portal_user_id  BIGINT,
    created_by      BIGINT REFERENCES staff (id),
    created_at      BIGINT NOT NULL,
    cancelled_at    BIGINT,
    reminded_at     BIGINT,
    ticket_id       BIGINT REFERENCES queue_tickets (id),
    version         BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX queue_bookings_seat ON queue_bookings (centre_id, service_id, slot_start, seat)
    WHERE status <> 'cancelled';
CREATE UNIQUE INDEX queue_bookings_code ON queue_bookings (centre_id, day, code);
CREATE INDEX queue_bookings_day ON queue_bookings (day, status);
CREATE INDEX queue_bookings_user ON queue_bookings (portal_user_id);
