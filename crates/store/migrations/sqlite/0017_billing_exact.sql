-- Money and law exact to the kopeck (issue 13): penalties accrue day by day on the unpaid
-- charges only, never on earlier penalties, and a late reading is spread over every period
-- billed without readings (ПП 354 п. 61). Both are state an invoice carries to the next period.

-- Penalties charged and not yet paid, kept apart from `debts` (the charges penalties accrue
-- on). Invoices written before this migration carry their penalties inside `debts`; they are
-- left as they are (a closed period never changes) and keep bearing penalties until paid.
ALTER TABLE invoices ADD COLUMN penalty_debt BIGINT NOT NULL DEFAULT 0;

-- Consecutive periods billed without readings while the meter worked (by the average, then by
-- the norm), waiting for the п. 61 recalculation.
ALTER TABLE invoices ADD COLUMN periods_pending BIGINT NOT NULL DEFAULT 0;

-- Before, only the (at most three) average periods were counted: the best known figure for the
-- invoices the next run reads (the last closed period's, and a running one's).
UPDATE invoices SET periods_pending = periods_on_average
WHERE pending <> 0 AND period >= (
    SELECT COALESCE(MAX(period), '') FROM billing_periods WHERE status = 'closed');
