-- The client's personal account (PRT-02): users who signed up with an account number and the
-- code printed on its invoice, their accounts, their sessions. The code is derived from the
-- account number and a secret of this installation, so it can be printed on every invoice
-- without storing a code per account.
CREATE TABLE app_secrets (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
INSERT INTO app_secrets (name, value) VALUES ('portal_code', lower(hex(randomblob(32))));

CREATE TABLE portal_users (
    id                  INTEGER PRIMARY KEY,
    -- lower case
    email               TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    -- SHA-256 of the token sent to confirm the address
    confirm_hash        TEXT UNIQUE,
    confirm_expires_at  BIGINT,
    confirmed_at        BIGINT,
    created_at          BIGINT NOT NULL
);

CREATE TABLE portal_links (
    user_id     BIGINT NOT NULL REFERENCES portal_users (id),
    -- one personal account per account
    account_id  BIGINT NOT NULL UNIQUE REFERENCES accounts (id),
    linked_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, account_id)
);

CREATE TABLE portal_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES portal_users (id),
    csrf_token  TEXT NOT NULL,
    ip          TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
