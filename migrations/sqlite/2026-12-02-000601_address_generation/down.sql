DROP TABLE address_index_snapshots;
DROP TABLE address_registry;
