-- Payroll export (issue 7): batches, the ledger that puts a report in at most one live batch,
-- the snapshot of every payable line the batch's file is written from, and connector API keys.

-- One export run. `settings` is the JSON of the format settings in force when the batch was made
-- (municipality number, employment type, header, CPR in CSV), frozen so that every download of
-- the batch gives the same bytes even after the configuration changes.
CREATE TABLE payroll_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- csv | kmd-ind01
    format TEXT NOT NULL,
    up_to DATE NOT NULL,
    settings TEXT NOT NULL,
    -- NULL when made from the command line.
    created_by_user_id BIGINT REFERENCES users (id),
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    report_count BIGINT NOT NULL,
    line_count BIGINT NOT NULL,
    total_distance_m BIGINT NOT NULL,
    total_amount_ore BIGINT NOT NULL,
    -- The pull API: first and latest fetch by a connector, and its acknowledgement.
    first_fetched_at TIMESTAMP,
    last_fetched_at TIMESTAMP,
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT,
    cancelled_at TIMESTAMP,
    cancelled_by TEXT,
    cancel_reason TEXT
);
CREATE INDEX payroll_batches_pending_idx ON payroll_batches (acknowledged_at, cancelled_at, id);

-- One row per report in a batch, with the report as it was exported. A cancelled batch releases
-- its rows (released_at) instead of deleting them, so the history stays; the partial unique
-- index lets a report be in at most one live batch.
CREATE TABLE payroll_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id BIGINT NOT NULL REFERENCES payroll_batches (id),
    report_id BIGINT NOT NULL REFERENCES drive_reports (id),
    -- The report's version after the move to exported.
    report_version BIGINT NOT NULL,
    -- Ordered byte-wise on both backends (SQLite's BINARY default; PostgreSQL COLLATE "C").
    employment_number TEXT NOT NULL,
    person_name TEXT NOT NULL,
    -- Kept only when the batch's format needs it (IND01, or CSV with CPR switched on).
    cpr TEXT,
    drive_date DATE NOT NULL,
    purpose TEXT NOT NULL,
    distance_m BIGINT NOT NULL,
    amount_ore BIGINT NOT NULL,
    released_at TIMESTAMP
);
CREATE UNIQUE INDEX payroll_ledger_live_report_idx ON payroll_ledger (report_id)
    WHERE released_at IS NULL;
CREATE UNIQUE INDEX payroll_ledger_batch_report_idx ON payroll_ledger (batch_id, report_id);

-- The priced lines of the batch's reports (copies of report_lines), numbered in file order:
-- employment number (byte-wise), drive date, report, line position.
CREATE TABLE payroll_lines (
    batch_id BIGINT NOT NULL REFERENCES payroll_batches (id),
    seq BIGINT NOT NULL,
    report_id BIGINT NOT NULL,
    tf_code TEXT NOT NULL,
    distance_m BIGINT NOT NULL,
    ore_per_km BIGINT NOT NULL,
    amount_ore BIGINT NOT NULL,
    PRIMARY KEY (batch_id, seq),
    FOREIGN KEY (batch_id, report_id) REFERENCES payroll_ledger (batch_id, report_id)
);

-- Keys of on-premise payroll connectors; only the SHA-256 of a key is stored.
CREATE TABLE payroll_api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
