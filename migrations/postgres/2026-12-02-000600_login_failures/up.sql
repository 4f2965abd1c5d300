-- Failed logins, shared by every instance on this database (the login throttle): one row per
-- failure, per username and per client IP, kept for the throttle window.
CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_subject_idx ON login_failures (scope, subject, failed_at);
CREATE INDEX login_failures_time_idx ON login_failures (failed_at);
