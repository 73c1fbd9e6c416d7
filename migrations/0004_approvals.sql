-- Approvals with their own copy of the route: later edits of a route never change an
-- approval that already exists (product spec §2).

-- One counter per year of creation gives numbers like 2027-000123 without gaps from
-- rolled-back sequences mattering: the row lock serialises concurrent creations.
CREATE TABLE approval_counters (
    year        integer PRIMARY KEY,
    last_value  integer NOT NULL
);

CREATE TABLE approvals (
    id                        bigserial PRIMARY KEY,
    number                    text NOT NULL UNIQUE,
    route_id                  bigint NOT NULL REFERENCES routes (id),
    route_name                text NOT NULL,
    is_public                 boolean NOT NULL,
    initiator_org_id          bigint NOT NULL REFERENCES organisations (id),
    created_by                bigint NOT NULL REFERENCES users (id),
    name                      text NOT NULL,
    subject                   text NOT NULL,
    works_address             text NOT NULL,
    cadastral_number          text NOT NULL DEFAULT '',
    network_kind              text NOT NULL,
    description               text NOT NULL DEFAULT '',
    status                    text NOT NULL DEFAULT 'draft'
                                  CHECK (status IN ('draft', 'running', 'approved', 'rejected')),
    -- The step whose mandatory participants are deciding now; NULL unless running. Kept here
    -- so that the list can tell "on review in my organisation" without replaying decisions.
    current_step              integer,
    created_at                timestamptz NOT NULL,
    launched_at               timestamptz,
    planned_completion_date   date,
    completed_at              timestamptz,
    primary_approval_id       bigint REFERENCES approvals (id),
    last_changed_by           bigint NOT NULL REFERENCES users (id),
    last_changed_at           timestamptz NOT NULL
);

CREATE INDEX approvals_initiator_idx ON approvals (initiator_org_id, created_at DESC);
CREATE INDEX approvals_created_idx ON approvals (created_at DESC);
-- A rejected approval has at most one repeat.
CREATE UNIQUE INDEX approvals_one_repeat_key ON approvals (primary_approval_id)
    WHERE primary_approval_id IS NOT NULL;

CREATE TABLE approval_steps (
    id             bigserial PRIMARY KEY,
    approval_id    bigint NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    position       integer NOT NULL CHECK (position > 0),
    started_at     timestamptz,
    UNIQUE (approval_id, position)
);

CREATE TABLE approval_participants (
    id                bigserial PRIMARY KEY,
    approval_id       bigint NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    step_id           bigint NOT NULL REFERENCES approval_steps (id) ON DELETE CASCADE,
    organisation_id   bigint NOT NULL REFERENCES organisations (id),
    -- The route participant this one was copied from; used only while copying the actions.
    route_participant_id bigint,
    position          integer NOT NULL,
    term_days         integer NOT NULL CHECK (term_days > 0),
    term_basis        text NOT NULL CHECK (term_basis IN ('launch', 'step_start')),
    is_mandatory      boolean NOT NULL,
    is_final          boolean NOT NULL,
    planned_start     date,
    planned_end       date,
    decision          text CHECK (decision IN ('approved', 'refused')),
    decision_comment  text NOT NULL DEFAULT '',
    decided_by        bigint REFERENCES users (id),
    decided_at        timestamptz,
    -- A decision is recorded whole or not at all.
    CHECK ((decision IS NULL) = (decided_at IS NULL) AND (decision IS NULL) = (decided_by IS NULL))
);

CREATE INDEX approval_participants_approval_idx ON approval_participants (approval_id);
CREATE INDEX approval_participants_org_idx ON approval_participants (organisation_id, approval_id);

CREATE TABLE approval_actions (
    id              bigserial PRIMARY KEY,
    participant_id  bigint NOT NULL REFERENCES approval_participants (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    description     text NOT NULL,
    term_days       integer NOT NULL CHECK (term_days > 0),
    is_mandatory    boolean NOT NULL,
    done_by         bigint REFERENCES users (id),
    done_at         timestamptz,
    comment         text NOT NULL DEFAULT ''
);

CREATE INDEX approval_actions_participant_idx ON approval_actions (participant_id);

CREATE TABLE approval_folders (
    id           bigserial PRIMARY KEY,
    approval_id  bigint NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    name         text NOT NULL,
    is_required  boolean NOT NULL
);

CREATE INDEX approval_folders_approval_idx ON approval_folders (approval_id);
