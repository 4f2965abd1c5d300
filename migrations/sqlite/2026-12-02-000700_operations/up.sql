-- Notices by e-mail (issue 16): written in the same transaction as the change that causes them,
-- delivered by the outbox sender. A row is claimed by setting `claimed_until` (a lease) with a
-- conditional UPDATE, so that of several instances exactly one sends it; a sender that dies
-- leaves the lease to run out and another takes the row.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- reject, exported, digest, payroll_overdue
    kind TEXT NOT NULL,
    person_id BIGINT REFERENCES persons (id),
    -- NULL: the person has no e-mail address (the row is marked undeliverable).
    recipient TEXT,
    -- What happened, as JSON; the mail (Danish, text and HTML) is rendered when it is sent,
    -- with the links of the settings then in force.
    payload TEXT NOT NULL,
    -- At most one notice per key (a digest per person and day, an overdue batch per recipient).
    dedupe_key TEXT UNIQUE,
    -- pending, sent, undeliverable, failed
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    claim_token TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_person_idx ON mail_outbox (person_id);

-- Each person may turn the approvers' morning digest off.
ALTER TABLE persons ADD COLUMN mail_digest BOOLEAN NOT NULL DEFAULT TRUE;

-- Scheduled jobs: one row per job. An instance runs a job only after taking its lease with a
-- conditional UPDATE (`next_due_at` passed, no live lease), so a job runs once per schedule
-- however many instances run; a killed run's lease runs out and the job is taken again.
CREATE TABLE scheduled_jobs (
    name TEXT PRIMARY KEY,
    next_due_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_started_at TIMESTAMP,
    last_finished_at TIMESTAMP,
    -- ok, failed
    last_result TEXT,
    last_detail TEXT,
    runs BIGINT NOT NULL DEFAULT 0
);

-- Every run of a job, what it did and where it ran.
CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL,
    instance TEXT NOT NULL,
    -- The schedule slot the run was for.
    due_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    result TEXT,
    detail TEXT
);
CREATE INDEX job_runs_job_idx ON job_runs (job, started_at);
