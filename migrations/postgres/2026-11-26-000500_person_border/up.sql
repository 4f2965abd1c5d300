-- The 4-km rule deducts the distance from the person's home to the municipal border (OS2's
-- Person.DistanceFromHomeToBorder). NULL: the org unit's value, else 0 (living inside).
ALTER TABLE persons ADD COLUMN distance_to_border_m BIGINT;
