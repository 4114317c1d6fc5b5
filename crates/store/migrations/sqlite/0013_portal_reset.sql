-- Password reset of the personal account: SHA-256 of the token sent by e-mail, valid one hour.
ALTER TABLE portal_users ADD COLUMN reset_hash TEXT;
ALTER TABLE portal_users ADD COLUMN reset_expires_at BIGINT;
CREATE UNIQUE INDEX portal_users_reset ON portal_users (reset_hash);
