DROP TABLE job_runs;
DROP TABLE scheduled_jobs;
ALTER TABLE persons DROP COLUMN mail_digest;
DROP TABLE mail_outbox;
