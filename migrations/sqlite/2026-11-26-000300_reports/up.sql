-- Drive reports (issue 6). Every distance is integer metres and every amount integer øre, all
-- computed by the server. A report is edited in place (version + 1), never deleted and re-created.
CREATE TABLE drive_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    employment_id BIGINT NOT NULL REFERENCES employments (id),
    rate_type_id BIGINT NOT NULL REFERENCES rate_types (id),
    vehicle_id BIGINT REFERENCES vehicles (id),
    -- The GPS trip a report was made from; a trip becomes at most one report.
    trip_id BIGINT UNIQUE REFERENCES trips (id),
    drive_date DATE NOT NULL,
    purpose TEXT NOT NULL,
    remark TEXT,
    -- calculated | read | calculated_without_extra_distance | gps
    distance_mode TEXT NOT NULL,
    is_round_trip BOOLEAN NOT NULL,
    -- JSON array of the route's stops (registry id, label, latitude, longitude).
    route TEXT NOT NULL,
    -- The km the user typed (mode "read"), in metres.
    typed_distance_m BIGINT,
    starts_at_home BOOLEAN NOT NULL,
    ends_at_home BOOLEAN NOT NULL,
    -- The report takes part in the 4-km rule (border deduction per home leg + 4 km per day).
    four_km_rule BOOLEAN NOT NULL DEFAULT FALSE,
    route_distance_m BIGINT NOT NULL,
    -- Home-work (or border, or Norddjurs) deduction of one way, before round-trip doubling.
    home_work_deduction_m BIGINT NOT NULL,
    -- This report's share of the day's 4 km (4-km rule).
    four_km_deduction_m BIGINT NOT NULL,
    -- Whole metres after every deduction; always = (route - home/work deduction, >= 0,
    -- doubled for a round trip) - four_km_deduction_m. The lines round it to 10 m units.
    reimbursable_m BIGINT NOT NULL,
    -- Sum of report_lines.amount_ore.
    amount_ore BIGINT NOT NULL,
    -- draft | pending | approved | rejected | exported
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    rejection_comment TEXT,
    submitted_at TIMESTAMP,
    decided_at TIMESTAMP,
    decided_by_user_id BIGINT REFERENCES users (id),
    created_by_user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX drive_reports_person_date_idx ON drive_reports (person_id, drive_date);
CREATE INDEX drive_reports_status_date_idx ON drive_reports (status, drive_date);

-- The priced lines of a report: one per TF code and rate part (the 20,000 km rule splits a
-- report into a high-rate and a low-rate line; a rate type's second TF code adds a line).
CREATE TABLE report_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id BIGINT NOT NULL REFERENCES drive_reports (id),
    position BIGINT NOT NULL,
    tf_code TEXT NOT NULL,
    rate_kind TEXT NOT NULL,
    distance_m BIGINT NOT NULL,
    ore_per_km BIGINT NOT NULL,
    amount_ore BIGINT NOT NULL,
    UNIQUE (report_id, position)
);

-- The audit trail: every change of a report, who made it, from which status to which.
CREATE TABLE report_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id BIGINT NOT NULL REFERENCES drive_reports (id),
    -- NULL for changes the system makes (a recomputation after another report changed).
    actor_user_id BIGINT REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- JSON object of changed fields: {"field": {"from": .., "to": ..}}.
    changes TEXT,
    comment TEXT
);
CREATE INDEX report_events_report_idx ON report_events (report_id, id);
