-- The list's text search reads one lower-cased column instead of lower-casing four for every
-- row it looks at. Fields are joined by a line break, which a search box does not send.
ALTER TABLE approvals ADD COLUMN search_text text GENERATED ALWAYS AS (
    lower(number || E'\n' || name || E'\n' || subject || E'\n' || works_address)
) STORED;
