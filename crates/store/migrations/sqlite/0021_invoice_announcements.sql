-- §10.2 of the standard: a short announcement printed on every invoice of a period (a change of
-- tariffs, the hours of the holidays, a new way to pay), written by staff.
CREATE TABLE invoice_announcements (
    -- YYYY-MM, the billing period whose invoices carry it
    period      TEXT PRIMARY KEY,
    text        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  BIGINT REFERENCES staff (id)
);
