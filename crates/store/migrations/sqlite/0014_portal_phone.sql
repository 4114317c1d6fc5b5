-- A personal account may be opened with a mobile phone instead of an e-mail address, confirmed
-- by a code sent by SMS: the address becomes optional and the phone is a second way to sign in.
-- SQLite cannot drop NOT NULL in place, and a migration runs in a transaction with foreign keys
-- on, so the user table is rebuilt together with the two tables that refer to it (children are
-- copied and dropped first, so no reference is ever broken).
CREATE TABLE portal_users_new (
    id                  INTEGER PRIMARY KEY,
    -- lower case; NULL when opened with a phone
    email               TEXT UNIQUE,
    -- 10 national digits (9XXXXXXXXX); NULL when opened with an e-mail address
    phone               TEXT UNIQUE,
    password_hash       TEXT NOT NULL,
    -- SHA-256 of the token sent to confirm the address
    confirm_hash        TEXT UNIQUE,
    confirm_expires_at  BIGINT,
    confirmed_at        BIGINT,
    created_at          BIGINT NOT NULL,
    reset_hash          TEXT,
    reset_expires_at    BIGINT,
    -- SHA-256 of the phone and the code sent by SMS; when it expires and when it was sent
    phone_code_hash     TEXT,
    phone_code_expires_at BIGINT,
    phone_code_sent_at  BIGINT,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
INSERT INTO portal_users_new (id, email, password_hash, confirm_hash, confirm_expires_at,
    confirmed_at, created_at, reset_hash, reset_expires_at)
SELECT id, email, password_hash, confirm_hash, confirm_expires_at, confirmed_at, created_at,
    reset_hash, reset_expires_at
FROM portal_users;

CREATE TABLE portal_links_new (
    user_id     BIGINT NOT NULL REFERENCES portal_users_new (id),
    -- one personal account per account
    account_id  BIGINT NOT NULL UNIQUE REFERENCES accounts (id),
    linked_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, account_id)
);
INSERT INTO portal_links_new (user_id, account_id, linked_at)
SELECT user_id, account_id, linked_at FROM portal_links;

CREATE TABLE portal_sessions_new (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES portal_users_new (id),
    csrf_token  TEXT NOT NULL,
    ip          TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
INSERT INTO portal_sessions_new (token_hash, user_id, csrf_token, ip, created_at, expires_at)
SELECT token_hash, user_id, csrf_token, ip, created_at, expires_at FROM portal_sessions;

DROP TABLE portal_sessions;
DROP TABLE portal_links;
DROP TABLE portal_users;
-- Renaming the parent rewrites the children's references to it.
ALTER TABLE portal_users_new RENAME TO portal_users;
ALTER TABLE portal_links_new RENAME TO portal_links;
ALTER TABLE portal_sessions_new RENAME TO portal_sessions;
CREATE UNIQUE INDEX portal_users_reset ON portal_users (reset_hash);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
