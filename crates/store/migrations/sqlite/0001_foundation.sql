-- Foundation: organisation, staff, sessions, working calendar, clients, accounts, audit.
-- Times are BIGINT microseconds since the Unix epoch, UTC. Dates are TEXT 'YYYY-MM-DD'.
-- Flags are BIGINT 0/1 on both engines (sqlx's Any driver decodes no SQLite booleans).
-- Columns ending in _key hold normalised search keys (see domain::search).

CREATE TABLE company (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    name            TEXT NOT NULL,
    short_name      TEXT NOT NULL,
    inn             TEXT NOT NULL DEFAULT '',
    website         TEXT NOT NULL DEFAULT '',
    hotline_phones  TEXT NOT NULL,
    hotline_hours   TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE branches (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    address     TEXT NOT NULL DEFAULT '',
    phones      TEXT NOT NULL DEFAULT '',
    time_zone   TEXT NOT NULL DEFAULT 'Asia/Yekaterinburg',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE service_centres (
    id               INTEGER PRIMARY KEY,
    branch_id        BIGINT NOT NULL REFERENCES branches (id),
    name             TEXT NOT NULL UNIQUE,
    postcode         TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL,
    phones           TEXT NOT NULL DEFAULT '',
    opening_hours    TEXT NOT NULL,
    reception_hours  TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX service_centres_branch ON service_centres (branch_id);

CREATE TABLE staff (
    id                    INTEGER PRIMARY KEY,
    login                 TEXT NOT NULL UNIQUE,
    password_hash         TEXT NOT NULL,
    full_name             TEXT NOT NULL,
    position              TEXT NOT NULL DEFAULT '',
    role                  TEXT NOT NULL,
    branch_id             BIGINT REFERENCES branches (id),
    centre_id             BIGINT REFERENCES service_centres (id),
    phone                 TEXT NOT NULL DEFAULT '',
    email                 TEXT NOT NULL DEFAULT '',
    badge                 TEXT NOT NULL DEFAULT '',
    active                BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    password_changed_at   BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    staff_id     BIGINT NOT NULL REFERENCES staff (id),
    csrf_token   TEXT NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE login_attempts (
    id       INTEGER PRIMARY KEY,
    login    TEXT NOT NULL,
    ip       TEXT NOT NULL,
    at       BIGINT NOT NULL,
    success  BIGINT NOT NULL CHECK (success IN (0, 1))
);
CREATE INDEX login_attempts_login ON login_attempts (login, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

CREATE TABLE calendar_years (
    year        BIGINT PRIMARY KEY,
    source      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  BIGINT REFERENCES staff (id)
);

CREATE TABLE calendar_days (
    day    TEXT NOT NULL,
    year   BIGINT NOT NULL REFERENCES calendar_years (year),
    kind   TEXT NOT NULL,
    PRIMARY KEY (day, kind)
);
CREATE INDEX calendar_days_year ON calendar_days (year);

CREATE TABLE clients (
    id                 INTEGER PRIMARY KEY,
    surname            TEXT NOT NULL,
    first_name         TEXT NOT NULL,
    patronymic         TEXT,
    name_key           TEXT NOT NULL,
    email              TEXT,
    postal_address     TEXT,
    preferred_channel  TEXT NOT NULL,
    vulnerable         TEXT NOT NULL DEFAULT '',
    vulnerable_note    TEXT,
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX clients_name_key ON clients (name_key);

CREATE TABLE client_phones (
    client_id  BIGINT NOT NULL REFERENCES clients (id),
    position   BIGINT NOT NULL,
    phone      TEXT NOT NULL,
    PRIMARY KEY (client_id, position)
);
CREATE INDEX client_phones_phone ON client_phones (phone);

CREATE TABLE client_consents (
    id            INTEGER PRIMARY KEY,
    client_id     BIGINT NOT NULL REFERENCES clients (id),
    kind          TEXT NOT NULL,
    given_at      BIGINT NOT NULL,
    withdrawn_at  BIGINT,
    recorded_by   BIGINT REFERENCES staff (id)
);
CREATE INDEX client_consents_client ON client_consents (client_id);

CREATE TABLE premises (
    id           INTEGER PRIMARY KEY,
    postcode     TEXT NOT NULL DEFAULT '',
    settlement   TEXT NOT NULL,
    street       TEXT NOT NULL,
    house        TEXT NOT NULL,
    apartment    TEXT,
    address_key  TEXT NOT NULL
);
CREATE INDEX premises_address_key ON premises (address_key);

CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    client_id    BIGINT NOT NULL REFERENCES clients (id),
    premises_id  BIGINT NOT NULL REFERENCES premises (id),
    branch_id    BIGINT NOT NULL REFERENCES branches (id),
    category     TEXT NOT NULL,
    residents    BIGINT NOT NULL,
    rooms        BIGINT NOT NULL,
    status       TEXT NOT NULL,
    opened_on    TEXT NOT NULL,
    closed_on    TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX accounts_client ON accounts (client_id);
CREATE INDEX accounts_premises ON accounts (premises_id);

CREATE TABLE contracts (
    id            INTEGER PRIMARY KEY,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    number        TEXT NOT NULL UNIQUE,
    typical_form  TEXT NOT NULL,
    status        TEXT NOT NULL,
    applied_on    TEXT NOT NULL,
    concluded_on  TEXT,
    documents     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX contracts_account ON contracts (account_id);

CREATE TABLE contract_status_history (
    id           INTEGER PRIMARY KEY,
    contract_id  BIGINT NOT NULL REFERENCES contracts (id),
    status       TEXT NOT NULL,
    at           BIGINT NOT NULL,
    staff_id     BIGINT REFERENCES staff (id),
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX contract_status_history_contract ON contract_status_history (contract_id);

-- Append-only record of who saw or changed what (152-ФЗ, ORG-05).
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           BIGINT NOT NULL,
    actor_id     BIGINT,
    actor_login  TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_kind  TEXT NOT NULL,
    object_id    TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    details      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
