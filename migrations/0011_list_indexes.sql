-- The list's default order, newest first, read straight from an index; the id breaks ties.
DROP INDEX approvals_created_idx;
CREATE INDEX approvals_created_idx ON approvals (created_at DESC, id DESC);
DROP INDEX approvals_initiator_idx;
CREATE INDEX approvals_initiator_idx ON approvals (initiator_org_id, created_at DESC, id DESC);
