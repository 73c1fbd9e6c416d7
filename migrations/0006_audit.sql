-- The audit trail: who did what and when. Rows outlive a deleted draft (the number is kept
-- in the row), so the reference is cleared rather than cascaded.

CREATE TABLE audit_events (
    id               bigserial PRIMARY KEY,
    approval_id      bigint REFERENCES approvals (id) ON DELETE SET NULL,
    approval_number  text,
    user_id          bigint REFERENCES users (id),
    at               timestamptz NOT NULL,
    kind             text NOT NULL,
    details          text NOT NULL DEFAULT ''
);

CREATE INDEX audit_events_approval_idx ON audit_events (approval_id, at);
