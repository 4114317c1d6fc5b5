-- A personal account may be opened with a mobile phone instead of an e-mail address, confirmed
-- by a code sent by SMS: the address becomes optional and the phone is a second way to sign in.
ALTER TABLE portal_users ALTER COLUMN email DROP NOT NULL;
-- +7XXXXXXXXXX; NULL when opened with an e-mail address
ALTER TABLE portal_users ADD COLUMN phone TEXT UNIQUE;
-- SHA-256 of the user's id and the code sent by SMS; when it expires and when it was sent
ALTER TABLE portal_users ADD COLUMN phone_code_hash TEXT;
ALTER TABLE portal_users ADD COLUMN phone_code_expires_at BIGINT;
ALTER TABLE portal_users ADD COLUMN phone_code_sent_at BIGINT;
ALTER TABLE portal_users ADD CONSTRAINT portal_users_login CHECK (email IS NOT NULL OR phone IS NOT NULL);
