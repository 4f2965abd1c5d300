ALTER TABLE payroll_ledger DROP COLUMN account;
ALTER TABLE drive_reports DROP COLUMN account;
