DROP TABLE address_import_runs;
DROP TABLE import_previews;
