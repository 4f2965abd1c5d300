ALTER TABLE persons DROP COLUMN distance_to_border_m;
