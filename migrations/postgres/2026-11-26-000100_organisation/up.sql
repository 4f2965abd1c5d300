-- Organisation and people (issue 5). Dates are calendar dates; end dates are inclusive, NULL = open.
CREATE TABLE org_units (
    id BIGSERIAL PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent_id BIGINT REFERENCES org_units (id),
    four_km_rule_allowed BOOLEAN NOT NULL DEFAULT FALSE,
    distance_to_border_m BIGINT,
    -- The unit's address (registry id, label, WGS84): the default work address of its employees.
    address_registry_id TEXT,
    address_label TEXT,
    address_latitude DOUBLE PRECISION,
    address_longitude DOUBLE PRECISION,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE persons (
    id BIGSERIAL PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    username TEXT UNIQUE,
    cpr TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE employments (
    id BIGSERIAL PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    org_unit_id BIGINT NOT NULL REFERENCES org_units (id),
    employment_number TEXT NOT NULL UNIQUE,
    position TEXT NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    cost_centre TEXT,
    is_leader BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX employments_person_idx ON employments (person_id);
CREATE INDEX employments_org_unit_idx ON employments (org_unit_id);

CREATE TABLE substitutes (
    id BIGSERIAL PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_units (id),
    substitute_person_id BIGINT NOT NULL REFERENCES persons (id),
    start_date DATE NOT NULL,
    end_date DATE,
    takes_over BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE personal_approvers (
    id BIGSERIAL PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    approver_person_id BIGINT NOT NULL REFERENCES persons (id),
    start_date DATE NOT NULL,
    end_date DATE,
    created_at TIMESTAMP NOT NULL
);

-- kind: home | work | alternative_home | alternative_work. Work addresses name an employment.
CREATE TABLE person_addresses (
    id BIGSERIAL PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    employment_id BIGINT REFERENCES employments (id),
    kind TEXT NOT NULL,
    registry_address_id TEXT NOT NULL,
    label TEXT NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    valid_from DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX person_addresses_person_idx ON person_addresses (person_id);

CREATE TABLE home_work_overrides (
    id BIGSERIAL PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    employment_id BIGINT NOT NULL REFERENCES employments (id),
    distance_m BIGINT NOT NULL,
    valid_from DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE vehicles (
    id BIGSERIAL PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    plate TEXT NOT NULL,
    description TEXT NOT NULL,
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (person_id, plate)
);

CREATE TABLE rate_types (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE NOT NULL,
    description TEXT NOT NULL,
    tf_code TEXT NOT NULL,
    tf_code_2 TEXT,
    requires_license_plate BOOLEAN NOT NULL,
    is_bicycle BOOLEAN NOT NULL,
    ore_per_km BIGINT NOT NULL,
    unverified BOOLEAN NOT NULL,
    UNIQUE (kind, valid_from)
);
