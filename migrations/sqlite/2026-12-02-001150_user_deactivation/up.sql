-- An administrator can deactivate an account (issue 15): while deactivated_at (UTC) is set, the
-- user cannot sign in by any route and their tokens and sessions are ended.
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMP;
