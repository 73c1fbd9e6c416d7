-- The list's search looks for a piece of text in the number, name, subject and address at
-- once; a trigram index over the four (joined by a separator nobody types) finds the
-- candidates without reading every approval.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX approvals_search_idx ON approvals USING gin (
    (number || E'\x1f' || name || E'\x1f' || subject || E'\x1f' || works_address) gin_trgm_ops
);
