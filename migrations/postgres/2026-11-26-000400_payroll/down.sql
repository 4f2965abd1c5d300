DROP TABLE payroll_api_keys;
DROP TABLE payroll_lines;
DROP TABLE payroll_ledger;
DROP TABLE payroll_batches;
