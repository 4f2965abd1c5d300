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
    VALUES (1, lower(hex(randomblob(16))), random());
CREATE TRIGGER org_units_insert_generation AFTER INSERT ON org_units
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER org_units_update_generation AFTER UPDATE ON org_units
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER org_units_delete_generation AFTER DELETE ON org_units
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER employments_insert_generation AFTER INSERT ON employments
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER employments_update_generation AFTER UPDATE ON employments
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER employments_delete_generation AFTER DELETE ON employments
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER substitutes_insert_generation AFTER INSERT ON substitutes
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER substitutes_update_generation AFTER UPDATE ON substitutes
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER substitutes_delete_generation AFTER DELETE ON substitutes
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER personal_approvers_insert_generation AFTER INSERT ON personal_approvers
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER personal_approvers_update_generation AFTER UPDATE ON personal_approvers
BEGIN UPDATE org_generation SET generation = random(); END;
CREATE TRIGGER personal_approvers_delete_generation AFTER DELETE ON personal_approvers
BEGIN UPDATE org_generation SET generation = random(); END;
