DROP TRIGGER org_units_generation ON org_units;
DROP TRIGGER employments_generation ON employments;
DROP TRIGGER substitutes_generation ON substitutes;
DROP TRIGGER personal_approvers_generation ON personal_approvers;
DROP FUNCTION bump_org_generation();
DROP TABLE org_generation;
