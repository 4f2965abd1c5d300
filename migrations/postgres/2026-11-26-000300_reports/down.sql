DROP TABLE report_events;
DROP TABLE report_lines;
DROP TABLE drive_reports;
