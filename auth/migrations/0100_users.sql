-- Users of the auth service. The email is stored trimmed and lower-cased; the unique index, not a
-- lookup before the insert, decides "Email in use" (two racing sign-ups get one 201).
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX users_email_key ON users (email);
