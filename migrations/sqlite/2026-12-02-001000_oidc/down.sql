ALTER TABLE web_sessions DROP COLUMN id_token_hint;
DROP TABLE auth_events;
DROP TABLE oidc_logins;
