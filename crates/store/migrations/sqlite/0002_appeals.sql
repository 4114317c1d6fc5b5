-- Appeals registry (APL-01 … APL-10, CHN-02), idempotency keys (OPS-05), the job queue and
-- staff notices. Conventions as in 0001: times BIGINT µs UTC, dates TEXT, flags BIGINT 0/1.

CREATE TABLE appeal_topics (
    code      TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    position  BIGINT NOT NULL,
    active    BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
INSERT INTO appeal_topics (code, name, position) VALUES
    ('billing', 'Начисления и расчёты', 1),
    ('readings', 'Показания приборов учёта', 2),
    ('payment', 'Оплата', 3),
    ('supply_quality', 'Качество электроснабжения', 4),
    ('outage', 'Отключение электроэнергии', 5),
    ('contract', 'Договор энергоснабжения', 6),
    ('meter', 'Прибор учёта', 7),
    ('restriction', 'Ограничение и возобновление подачи', 8),
    ('staff_conduct', 'Работа персонала', 9),
    ('other', 'Другое', 10);

-- Norms per kind of appeal; the standard's values are the defaults (§7.2.4, §8.2.4, §6.3.3).
CREATE TABLE appeal_norms (
    kind                TEXT PRIMARY KEY,
    answer_days         BIGINT NOT NULL,
    max_extension_days  BIGINT NOT NULL,
    remind_days         BIGINT NOT NULL,
    repeat_window_days  BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL DEFAULT 0
);
INSERT INTO appeal_norms (kind, answer_days, max_extension_days, remind_days, repeat_window_days) VALUES
    ('information_request', 15, 15, 3, 30),
    ('complaint', 15, 15, 3, 30),
    ('claim', 15, 15, 3, 30),
    ('suggestion', 15, 15, 3, 30),
    ('review', 15, 15, 3, 30);

CREATE TABLE appeal_counters (
    year  BIGINT PRIMARY KEY,
    last  BIGINT NOT NULL
);

CREATE TABLE appeals (
    id                  INTEGER PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    registered_at       BIGINT NOT NULL,
    registered_on       TEXT NOT NULL,
    registered_by       BIGINT REFERENCES staff (id),
    channel             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    topic               TEXT NOT NULL REFERENCES appeal_topics (code),
    branch_id           BIGINT NOT NULL REFERENCES branches (id),
    client_id           BIGINT REFERENCES clients (id),
    account_id          BIGINT REFERENCES accounts (id),
    applicant_name      TEXT NOT NULL,
    applicant_email     TEXT,
    applicant_phone     TEXT,
    applicant_address   TEXT,
    answer_channel      TEXT NOT NULL,
    original_text       TEXT NOT NULL,
    flagged             BIGINT NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    status              TEXT NOT NULL,
    executor_id         BIGINT REFERENCES staff (id),
    assigned_at         BIGINT,
    deadline            TEXT NOT NULL,
    original_deadline   TEXT NOT NULL,
    interim_reply_at    BIGINT,
    extended            BIGINT NOT NULL DEFAULT 0 CHECK (extended IN (0, 1)),
    repeat_of           BIGINT REFERENCES appeals (id),
    closed_at           BIGINT,
    closed_on           TEXT,
    on_time             BIGINT CHECK (on_time IN (0, 1)),
    ground              TEXT,
    reminded_for        TEXT,
    escalated_for       TEXT,
    tracking_hash       TEXT,
    search_terms        TEXT NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1
);
-- Views of APL-09: open appeals by deadline ("overdue", "due soon"), per executor ("mine"),
-- unassigned per branch ("new"); the registry by date; repeat detection by client and account.
CREATE INDEX appeals_open_deadline ON appeals (deadline, id) WHERE closed_at IS NULL;
CREATE INDEX appeals_open_executor ON appeals (executor_id, deadline, id) WHERE closed_at IS NULL;
CREATE INDEX appeals_open_branch ON appeals (branch_id, status, deadline, id) WHERE closed_at IS NULL;
CREATE INDEX appeals_registered ON appeals (registered_at, id);
CREATE INDEX appeals_branch_registered ON appeals (branch_id, registered_at, id);
CREATE INDEX appeals_client ON appeals (client_id, registered_at) WHERE client_id IS NOT NULL;
CREATE INDEX appeals_account ON appeals (account_id, registered_at) WHERE account_id IS NOT NULL;
CREATE INDEX appeals_email ON appeals (applicant_email, registered_at) WHERE applicant_email IS NOT NULL;
CREATE INDEX appeals_repeat ON appeals (repeat_of) WHERE repeat_of IS NOT NULL;

-- Full-text search (APL-10) over Russian stems computed by domain::appeals::search_terms.
CREATE VIRTUAL TABLE appeal_fts USING fts5 (terms, content = '', tokenize = 'unicode61');

-- Files that came with the appeal, kept unchanged (APL-02).
CREATE TABLE appeal_attachments (
    id            INTEGER PRIMARY KEY,
    appeal_id     BIGINT NOT NULL REFERENCES appeals (id),
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    content       BLOB NOT NULL,
    added_at      BIGINT NOT NULL
);
CREATE INDEX appeal_attachments_appeal ON appeal_attachments (appeal_id);

-- Every step of every appeal (APL-10): append-only.
CREATE TABLE appeal_events (
    id          INTEGER PRIMARY KEY,
    appeal_id   BIGINT NOT NULL REFERENCES appeals (id),
    at          BIGINT NOT NULL,
    actor_id    BIGINT REFERENCES staff (id),
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX appeal_events_appeal ON appeal_events (appeal_id, at, id);
CREATE TRIGGER appeal_events_no_update BEFORE UPDATE ON appeal_events
BEGIN SELECT RAISE(ABORT, 'appeal_events is append-only'); END;
CREATE TRIGGER appeal_events_no_delete BEFORE DELETE ON appeal_events
BEGIN SELECT RAISE(ABORT, 'appeal_events is append-only'); END;

-- Interim replies (§8.2.4) and answers (APL-05), kept as sent.
CREATE TABLE appeal_replies (
    id                  INTEGER PRIMARY KEY,
    appeal_id           BIGINT NOT NULL REFERENCES appeals (id),
    interim             BIGINT NOT NULL CHECK (interim IN (0, 1)),
    body                TEXT NOT NULL,
    executor_name       TEXT NOT NULL DEFAULT '',
    executor_phone      TEXT NOT NULL DEFAULT '',
    signatory_name      TEXT NOT NULL DEFAULT '',
    signatory_position  TEXT NOT NULL DEFAULT '',
    channel             TEXT NOT NULL,
    call_note           TEXT,
    sent_at             BIGINT NOT NULL,
    sent_by             BIGINT REFERENCES staff (id),
    delivery            TEXT NOT NULL,
    delivered_at        BIGINT
);
CREATE INDEX appeal_replies_appeal ON appeal_replies (appeal_id, sent_at);

-- OPS-05: a retried request with the same key returns the first result and changes nothing.
CREATE TABLE idempotency_keys (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    result      TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

-- The job queue: claimed with a lease, so several instances may run workers.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL DEFAULT '',
    dedupe_key    TEXT UNIQUE,
    run_at        BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    locked_by     TEXT,
    last_error    TEXT,
    done_at       BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (run_at, id) WHERE done_at IS NULL;

-- Notices to staff in the workspace: assignments, reminders, escalations (APL-03, APL-09).
CREATE TABLE staff_notices (
    id         INTEGER PRIMARY KEY,
    staff_id   BIGINT NOT NULL REFERENCES staff (id),
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    appeal_id  BIGINT REFERENCES appeals (id),
    text       TEXT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX staff_notices_staff ON staff_notices (staff_id, at);
