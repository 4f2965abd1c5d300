-- Administration pages (issue 15). An uploaded org-units or staff CSV waits here for its
-- preview to be applied or cancelled: in the database, so any instance can show and apply it.
-- Single use (applying or cancelling deletes the row), only by the administrator who uploaded
-- it, and only until expires_at.
CREATE TABLE import_previews (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX import_previews_expires_idx ON import_previews (expires_at);

-- Address registry imports started from the pages: they run in the background on the
-- instance that received the file; this row tells every instance how it went.
CREATE TABLE address_import_runs (
    id TEXT PRIMARY KEY,
    created_by BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    file_bytes BIGINT NOT NULL,
    state TEXT NOT NULL,
    summary TEXT,
    error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
