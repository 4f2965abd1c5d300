-- GPS trips (issue 4): one row per uploaded trip, with its summary and the raw track in a
-- compact encoding (see src/domain/gps/codec.rs). Not a row per point.
CREATE TABLE trips (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- The phone's idempotency key, unique per user; body_sha256 tells a retry from a conflict.
    client_trip_id TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    employment_id BIGINT REFERENCES employments (id),
    vehicle_id BIGINT REFERENCES vehicles (id),
    purpose TEXT,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP NOT NULL,
    -- The trip's calendar date in Europe/Copenhagen, taken at its start.
    local_date DATE NOT NULL,
    distance_m BIGINT NOT NULL,
    naive_distance_m BIGINT NOT NULL,
    uncertainty_m BIGINT NOT NULL,
    points_in BIGINT NOT NULL,
    points_used BIGINT NOT NULL,
    -- JSON: points dropped per reason, gaps bridged.
    quality TEXT NOT NULL,
    start_latitude DOUBLE PRECISION NOT NULL,
    start_longitude DOUBLE PRECISION NOT NULL,
    end_latitude DOUBLE PRECISION NOT NULL,
    end_longitude DOUBLE PRECISION NOT NULL,
    start_address_id TEXT,
    start_address_label TEXT,
    start_address_distance_m BIGINT,
    end_address_id TEXT,
    end_address_label TEXT,
    end_address_distance_m BIGINT,
    starts_at_home BOOLEAN NOT NULL,
    ends_at_home BOOLEAN NOT NULL,
    starts_at_work BOOLEAN NOT NULL,
    ends_at_work BOOLEAN NOT NULL,
    track BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, client_trip_id)
);
CREATE INDEX trips_user_started_idx ON trips (user_id, started_at);
