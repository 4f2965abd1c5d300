DROP TABLE app_settings;
DROP TABLE refresh_tokens;
DROP TABLE users;
