-- Approval routes as an administrator configures them. Approvals copy the route when they
-- are created (see 0004), so nothing here is ever read by a running approval.

CREATE TABLE routes (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    is_public   boolean NOT NULL DEFAULT false,
    retired_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE route_steps (
    id        bigserial PRIMARY KEY,
    route_id  bigint NOT NULL REFERENCES routes (id) ON DELETE CASCADE,
    position  integer NOT NULL CHECK (position > 0),
    UNIQUE (route_id, position)
);

CREATE TABLE route_participants (
    id               bigserial PRIMARY KEY,
    step_id          bigint NOT NULL REFERENCES route_steps (id) ON DELETE CASCADE,
    organisation_id  bigint NOT NULL REFERENCES organisations (id),
    position         integer NOT NULL,
    term_days        integer NOT NULL CHECK (term_days > 0),
    term_basis       text NOT NULL CHECK (term_basis IN ('launch', 'step_start')),
    is_mandatory     boolean NOT NULL,
    is_final         boolean NOT NULL
);

CREATE TABLE route_actions (
    id              bigserial PRIMARY KEY,
    participant_id  bigint NOT NULL REFERENCES route_participants (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    description     text NOT NULL,
    term_days       integer NOT NULL CHECK (term_days > 0),
    is_mandatory    boolean NOT NULL
);

CREATE TABLE route_folders (
    id           bigserial PRIMARY KEY,
    route_id     bigint NOT NULL REFERENCES routes (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    name         text NOT NULL,
    is_required  boolean NOT NULL
);
