ALTER TABLE drive_reports DROP COLUMN review_flags;
DROP TABLE app_uploads;
DROP TABLE app_tokens;
DROP TABLE app_passwords;
