-- Payments are found per account through `payments_period (period, account_id)`, one probe per
-- period that has payments (a few dozen), instead of a second index on (account_id, paid_on):
-- a bank registry then writes every index of `payments` page after page, where the account index
-- was written all over a table of millions of rows (registry import 0.99 s → 0.71 s per 100,000
-- rows on a 1M-account database, BENCHMARKS.md).
DROP INDEX payments_account;
