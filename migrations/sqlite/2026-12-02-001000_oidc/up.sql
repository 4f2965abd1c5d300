-- Single sign-on with OpenID Connect (issue 18).
-- A sign-in under way: the provider sends the browser back with `state`; its SHA-256 finds the
-- row, which is deleted on first use (single use) and ignored after expires_at. Kept in the
-- database so that any instance on it can finish a sign-in another instance began.
CREATE TABLE oidc_logins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state_hash TEXT NOT NULL UNIQUE,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX oidc_logins_expires_idx ON oidc_logins (expires_at);

-- Sign-in events worth auditing: single sign-ons and every refused one, refused password
-- sign-ins (KORSEL_PASSWORD_LOGIN=admins). kind is a short code, detail a sentence for people.
CREATE TABLE auth_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    username TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX auth_events_at_idx ON auth_events (at);

-- The provider's ID token of a single sign-on session, sent back as id_token_hint at sign-out.
ALTER TABLE web_sessions ADD COLUMN id_token_hint TEXT;
