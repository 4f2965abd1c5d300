-- The OS2indberetning phone apps (issue 14). The apps log in with a username and a separate app
-- password, then hold a GuId forever; korsel keeps the password as argon2id and the GuIds only
-- as SHA-256 hashes, listed and revocable.
CREATE TABLE app_passwords (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    password_hash TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE app_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX app_tokens_user_idx ON app_tokens (user_id);

-- One row per accepted POST /api/report: the app's Uuid is the idempotency key (unique per
-- user, so concurrent identical uploads race on it and one wins); the trip (none when the user
-- typed the km) and the report were created in the same transaction.
CREATE TABLE app_uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    uuid TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    trip_id BIGINT REFERENCES trips (id),
    report_id BIGINT NOT NULL REFERENCES drive_reports (id),
    -- The distance the app computed itself (its TotalDistance), beside korsel's.
    app_total_distance_m BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, uuid)
);

-- JSON array of codes for the approver (e.g. "app_distance_differs"); NULL: nothing to flag.
ALTER TABLE drive_reports ADD COLUMN review_flags TEXT;
