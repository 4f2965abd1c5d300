-- The address registry's generation: bumped in the transaction of every import, so that every
-- instance on this database notices the change and rebuilds its index.
CREATE TABLE address_registry (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
INSERT INTO address_registry (id, generation, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP);

-- A compact snapshot of the index's records for one generation, in parts of a few MB, so that
-- start-up reads a few large values instead of every address row.
CREATE TABLE address_index_snapshots (
    generation BIGINT NOT NULL,
    part INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (generation, part)
);
