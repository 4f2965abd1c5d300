DROP TABLE unit_addresses;
DROP TABLE access_addresses;
