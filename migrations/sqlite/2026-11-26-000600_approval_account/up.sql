-- "Godkend med anden kontering": an approver may book a report to another 10-digit account
-- (OS2's AccountNumber), which the IND01 file carries; the ledger keeps it as exported.
ALTER TABLE drive_reports ADD COLUMN account TEXT;
ALTER TABLE payroll_ledger ADD COLUMN account TEXT;
