-- A person's e-mail address (from the staff import or the person API), for notices.
ALTER TABLE persons ADD COLUMN email TEXT;
