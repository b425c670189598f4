-- Issue 11. One comparison form of the e-mail, computed by services.accounts.domain.email_key
-- (NFKC + case folding) and used by the unique index, the look-up and the throttle: SQL lower()
-- folded differently from Python, which gave a locked account a fresh budget ("İ").
ALTER TABLE users ADD COLUMN email_key text;
-- Existing rows: exact for ASCII addresses; the service re-keys the others at start-up
-- (security.rekey_emails), with Python's folding.
UPDATE users SET email_key = lower(normalize(email, NFKC));
ALTER TABLE users ALTER COLUMN email_key SET NOT NULL;
DROP INDEX users_email_unique;
CREATE UNIQUE INDEX users_email_key_unique ON users (email_key);

-- Throttle keys are HMAC-SHA256 (hex) of the e-mail key or the client address: no address in
-- clear. Rows of the old form are useless (and personal data): gone.
DELETE FROM login_failures;
CREATE INDEX login_failures_time ON login_failures (failed_at);

-- Reset mails are counted per account and hour.
CREATE INDEX password_resets_user_time ON password_resets (user_id, created_at);
