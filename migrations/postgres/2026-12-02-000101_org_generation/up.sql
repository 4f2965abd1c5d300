-- The organisation's generation: a value that every write to the tables approver resolution
-- reads (org units, employments, substitutes, personal approvers) replaces, so that a cached
-- snapshot of them is known to be current by reading one row. Random, not a counter: a
-- rolled-back write must never leave a value that a later write could make again.
CREATE TABLE org_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- Tells databases apart for a cache shared by a process (tests open many).
    instance TEXT NOT NULL,
    generation BIGINT NOT NULL
);
INSERT INTO org_generation (id, instance, generation)
    VALUES (1, md5(random()::text || clock_timestamp()::text), 0);
CREATE FUNCTION bump_org_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE org_generation SET generation = floor(random() * 9.0e18)::bigint;
    RETURN NULL;
END
$$;
CREATE TRIGGER org_units_generation AFTER INSERT OR UPDATE OR DELETE ON org_units
    FOR EACH STATEMENT EXECUTE FUNCTION bump_org_generation();
CREATE TRIGGER employments_generation AFTER INSERT OR UPDATE OR DELETE ON employments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_org_generation();
CREATE TRIGGER substitutes_generation AFTER INSERT OR UPDATE OR DELETE ON substitutes
    FOR EACH STATEMENT EXECUTE FUNCTION bump_org_generation();
CREATE TRIGGER personal_approvers_generation AFTER INSERT OR UPDATE OR DELETE ON personal_approvers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_org_generation();
