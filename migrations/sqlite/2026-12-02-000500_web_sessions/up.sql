-- Browser sign-in (issue 13): a server-side session per signed-in browser, shared by every
-- instance. Only the SHA-256 of the cookie value is stored; the CSRF token is per session.
-- A session ends when unused for the idle timeout (checked against last_seen_at) or at sign-out.
CREATE TABLE web_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
CREATE INDEX web_sessions_last_seen_idx ON web_sessions (last_seen_at);
