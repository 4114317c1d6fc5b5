-- PAY-04, ПП 354 п. 119: how each restriction warning reached the client, with its proof. The
-- warning's term runs from the first delivery recorded (`delivered_on`); a registered letter
-- whose return receipt has not come back is recorded with no `delivered_on`.
CREATE TABLE warning_deliveries (
    id            INTEGER PRIMARY KEY,
    case_id       BIGINT NOT NULL REFERENCES restriction_cases (id),
    -- invoice | signature | letter | email | sms | portal | call
    way           TEXT NOT NULL,
    -- YYYY-MM-DD, the branch's calendar: the day of delivery (the receipt's day for a letter)
    delivered_on  TEXT,
    -- who handed it over or called (a staff member or a courier), as typed
    delivered_by  TEXT NOT NULL DEFAULT '',
    -- a registered letter: its postal number (РПО) and the day it was posted
    rpo           TEXT,
    sent_on       TEXT,
    -- a call: local date-time (YYYY-MM-DDTHH:MM) and the 10 national digits of the number
    called_at     TEXT,
    phone         TEXT,
    -- an outbox message: the address or number it went to
    recipient     TEXT,
    note          TEXT NOT NULL DEFAULT '',
    -- NULL: recorded by the outbox worker
    entered_by    BIGINT REFERENCES staff (id),
    entered_at    BIGINT NOT NULL,
    -- a letter's receipt entered later
    receipt_by    BIGINT REFERENCES staff (id),
    receipt_at    BIGINT
);
CREATE INDEX warning_deliveries_case ON warning_deliveries (case_id, id);
CREATE UNIQUE INDEX warning_deliveries_rpo ON warning_deliveries (case_id, rpo) WHERE rpo IS NOT NULL;

-- Deliveries the outbox recorded before as steps of the case (their day in UTC).
INSERT INTO warning_deliveries (case_id, way, delivered_on, note, entered_at)
SELECT s.case_id,
       CASE WHEN s.note LIKE '%электронной почте%' THEN 'email'
            WHEN s.note LIKE '%СМС%' THEN 'sms'
            ELSE 'portal' END,
       date(s.at / 1000000, 'unixepoch'), s.note, s.at
FROM restriction_steps s WHERE s.step = 'warning_delivered' ORDER BY s.id;

-- The term of a warning already delivered runs from its first delivery.
UPDATE restriction_cases
SET pay_by = (
        SELECT date(MIN(d.delivered_on), '+' || (SELECT warning_days FROM billing_settings WHERE id = 1) || ' days')
        FROM warning_deliveries d WHERE d.case_id = restriction_cases.id
    ),
    version = version + 1
WHERE status = 'warning'
  AND EXISTS (SELECT 1 FROM warning_deliveries d WHERE d.case_id = restriction_cases.id)
  AND EXISTS (SELECT 1 FROM billing_settings WHERE id = 1);
