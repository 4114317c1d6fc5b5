-- Tariffs, norms, billing runs, invoices, payments, registries, restriction for debt
-- (BIL-01 … BIL-05, PAY-01 … PAY-04). Money in kopecks, energy in Wh, tariffs in kopecks × 100.

-- Without a meter, whether one can be installed (ПП 354 формула 4(1): the increased norm).
ALTER TABLE accounts ADD COLUMN meter_installable BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE tariffs (
    id               INTEGER PRIMARY KEY,
    valid_from       TEXT NOT NULL,
    category         TEXT NOT NULL,
    single_rate      BIGINT NOT NULL CHECK (single_rate > 0),
    day_rate         BIGINT NOT NULL CHECK (day_rate > 0),
    night_rate       BIGINT NOT NULL CHECK (night_rate > 0),
    peak_rate        BIGINT NOT NULL CHECK (peak_rate > 0),
    half_peak_rate   BIGINT NOT NULL CHECK (half_peak_rate > 0),
    day_hours        TEXT NOT NULL,
    night_hours      TEXT NOT NULL,
    peak_hours       TEXT NOT NULL,
    half_peak_hours  TEXT NOT NULL,
    basis            TEXT NOT NULL DEFAULT '',
    updated_at       BIGINT NOT NULL,
    UNIQUE (valid_from, category)
);

CREATE TABLE consumption_norms (
    category   TEXT NOT NULL,
    rooms      BIGINT NOT NULL,
    residents  BIGINT NOT NULL,
    wh         BIGINT NOT NULL CHECK (wh > 0),
    PRIMARY KEY (category, rooms, residents)
);

CREATE TABLE billing_settings (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    due_day             BIGINT NOT NULL DEFAULT 15,
    key_rate_bp         BIGINT NOT NULL DEFAULT 1650,
    cap_bp              BIGINT DEFAULT 950,
    warning_days        BIGINT NOT NULL DEFAULT 20,
    payee_name          TEXT NOT NULL DEFAULT '',
    payee_inn           TEXT NOT NULL DEFAULT '',
    payee_kpp           TEXT NOT NULL DEFAULT '',
    personal_acc        TEXT NOT NULL DEFAULT '',
    bank_name           TEXT NOT NULL DEFAULT '',
    bic                 TEXT NOT NULL DEFAULT '',
    corresp_acc         TEXT NOT NULL DEFAULT '',
    updated_at          BIGINT NOT NULL DEFAULT 0
);

-- A period being billed ('running') or billed and closed: nothing of it changes afterwards.
CREATE TABLE billing_periods (
    period      TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    closed_at   BIGINT,
    accounts    BIGINT NOT NULL DEFAULT 0,
    charged     BIGINT NOT NULL DEFAULT 0
);

-- One row per account and period: the figures, the lines, and the state the next period
-- starts from.
CREATE TABLE invoices (
    period              TEXT NOT NULL,
    account_id          BIGINT NOT NULL,
    opening             BIGINT NOT NULL,
    charged             BIGINT NOT NULL,
    paid                BIGINT NOT NULL,
    penalty             BIGINT NOT NULL,
    closing             BIGINT NOT NULL,
    due_on              TEXT NOT NULL,
    rule                TEXT NOT NULL,
    norm_charge         BIGINT NOT NULL,
    periods_on_average  BIGINT NOT NULL,
    history             TEXT NOT NULL,
    pending_wh          BIGINT NOT NULL,
    pending             BIGINT NOT NULL,
    debts               TEXT NOT NULL,
    -- The lines, each with the rule and clause that produced it: a JSON array, written once.
    lines               TEXT NOT NULL,
    PRIMARY KEY (period, account_id)
) WITHOUT ROWID;


CREATE TABLE payment_registries (
    id           INTEGER PRIMARY KEY,
    bank         TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    sha256       TEXT NOT NULL UNIQUE,
    imported_at  BIGINT NOT NULL,
    staff_id     BIGINT,
    row_count    BIGINT NOT NULL,
    matched      BIGINT NOT NULL,
    unmatched    BIGINT NOT NULL,
    total        BIGINT NOT NULL
);

CREATE TABLE payments (
    id           INTEGER PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id),
    paid_on      TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount > 0),
    period       TEXT NOT NULL,
    -- cashier, registry
    source       TEXT NOT NULL,
    registry_id  BIGINT REFERENCES payment_registries (id),
    line_no      BIGINT,
    payer        TEXT NOT NULL DEFAULT '',
    staff_id     BIGINT,
    created_at   BIGINT NOT NULL,
    UNIQUE (registry_id, line_no)
);
CREATE INDEX payments_period ON payments (period, account_id);
CREATE INDEX payments_account ON payments (account_id, paid_on);

CREATE TABLE unmatched_payments (
    id            INTEGER PRIMARY KEY,
    registry_id   BIGINT NOT NULL REFERENCES payment_registries (id),
    line_no       BIGINT NOT NULL,
    account_text  TEXT NOT NULL,
    payer         TEXT NOT NULL,
    paid_on       TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    -- open, resolved
    status        TEXT NOT NULL DEFAULT 'open',
    payment_id    BIGINT,
    resolved_by   BIGINT,
    resolved_at   BIGINT,
    UNIQUE (registry_id, line_no)
);
CREATE INDEX unmatched_payments_status ON unmatched_payments (status, id);

-- PAY-04: warning → restriction → suspension → reconnection, or closed when repaid.
CREATE TABLE restriction_cases (
    id          INTEGER PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    period      TEXT NOT NULL,
    debt        BIGINT NOT NULL,
    status      TEXT NOT NULL,
    pay_by      TEXT NOT NULL,
    open        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX restriction_cases_one_open ON restriction_cases (account_id) WHERE open;

CREATE TABLE restriction_steps (
    id        INTEGER PRIMARY KEY,
    case_id   BIGINT NOT NULL REFERENCES restriction_cases (id),
    step      TEXT NOT NULL,
    at        BIGINT NOT NULL,
    staff_id  BIGINT,
    note      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX restriction_steps_case ON restriction_steps (case_id, id);

CREATE INDEX readings_period ON readings (period, meter_id);
