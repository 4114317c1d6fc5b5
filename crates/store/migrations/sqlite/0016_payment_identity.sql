-- A payment is known by its content, not by the file's bytes (PAY-01): by the bank (the
-- registry layout's code) and the bank's own operation number where the layout has one —
-- unique among credited payments and among rows waiting for a person, so a re-exported file
-- credits nothing twice. Rows of layouts without operation numbers that repeat an earlier
-- payment's date, account, amount and payer wait for a person to confirm them
-- (reason 'duplicate'), never credited twice silently.
ALTER TABLE payments ADD COLUMN bank TEXT;
ALTER TABLE payments ADD COLUMN operation_id TEXT;
CREATE UNIQUE INDEX payments_operation ON payments (bank, operation_id);

ALTER TABLE unmatched_payments ADD COLUMN bank TEXT;
ALTER TABLE unmatched_payments ADD COLUMN operation_id TEXT;
-- account: no account of that number; duplicate: the same content as an earlier payment
ALTER TABLE unmatched_payments ADD COLUMN reason TEXT NOT NULL DEFAULT 'account';
-- for a duplicate: the account the row names and the payment it repeats
ALTER TABLE unmatched_payments ADD COLUMN account_id BIGINT REFERENCES accounts (id);
ALTER TABLE unmatched_payments ADD COLUMN duplicate_of BIGINT REFERENCES payments (id);
-- open, resolved (credited), rejected (a repeat, not credited); why, for rejected ones
ALTER TABLE unmatched_payments ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX unmatched_payments_operation ON unmatched_payments (bank, operation_id);
CREATE INDEX unmatched_payments_account ON unmatched_payments (account_text);

-- What an import found repeated (credited before) and held for a person.
ALTER TABLE payment_registries ADD COLUMN repeated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payment_registries ADD COLUMN held BIGINT NOT NULL DEFAULT 0;
