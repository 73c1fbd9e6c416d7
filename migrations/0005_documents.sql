-- Documents of a case file. The bytes live in storage under their SHA-256, once however many
-- documents share them; a document row points at them and belongs to exactly one place:
-- an initiator folder, a participant's decision, or an action.

CREATE TABLE blobs (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size        bigint NOT NULL CHECK (size >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    id              bigserial PRIMARY KEY,
    approval_id     bigint NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    folder_id       bigint REFERENCES approval_folders (id) ON DELETE CASCADE,
    participant_id  bigint REFERENCES approval_participants (id) ON DELETE CASCADE,
    action_id       bigint REFERENCES approval_actions (id) ON DELETE CASCADE,
    sha256          text NOT NULL REFERENCES blobs (sha256),
    original_name   text NOT NULL CHECK (original_name <> ''),
    content_type    text NOT NULL,
    size            bigint NOT NULL,
    uploaded_by     bigint NOT NULL REFERENCES users (id),
    uploaded_at     timestamptz NOT NULL,
    CHECK (num_nonnulls(folder_id, participant_id, action_id) = 1)
);

CREATE INDEX documents_approval_idx ON documents (approval_id, id);
