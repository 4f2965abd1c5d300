-- Address registry (issue 3). Ids are DAWA/DAR UUIDs as lower-case text. `active` is false for
-- addresses whose status is nedlagt/henlagt or that a full import (--deactivate-missing) lacked.
CREATE TABLE access_addresses (
    id TEXT PRIMARY KEY NOT NULL,
    vejnavn TEXT NOT NULL,
    husnr TEXT NOT NULL,
    supplerendebynavn TEXT,
    postnr INTEGER NOT NULL,
    postnrnavn TEXT NOT NULL,
    kommunekode INTEGER NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    status INTEGER NOT NULL,
    active BOOLEAN NOT NULL
);

CREATE TABLE unit_addresses (
    id TEXT PRIMARY KEY NOT NULL,
    access_address_id TEXT NOT NULL,
    etage TEXT,
    dor TEXT,
    status INTEGER NOT NULL,
    active BOOLEAN NOT NULL
);
CREATE INDEX unit_addresses_access_idx ON unit_addresses (access_address_id);
