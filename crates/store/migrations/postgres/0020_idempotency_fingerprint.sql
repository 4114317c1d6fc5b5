-- The SHA-256 of the request body a key was first used with (OPS-05): the same key with another
-- body is refused (422) instead of answering with the first request's result, so one caller's
-- key can never return another caller's appeal. NULL for keys stored before, and for one-time
-- form tokens, which are already unique per form.
ALTER TABLE idempotency_keys ADD COLUMN request_hash TEXT;
