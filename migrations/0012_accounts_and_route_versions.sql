-- Administration: route versions, access requests, one-time links, automatic blocking.

-- A route is edited by saving a new version of it; the old version is retired. Versions of
-- one route share the family of the first.
ALTER TABLE routes
    ADD COLUMN family_id bigint REFERENCES routes (id),
    ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version > 0);
UPDATE routes SET family_id = id;
ALTER TABLE routes ALTER COLUMN family_id SET NOT NULL;
CREATE UNIQUE INDEX routes_family_version_key ON routes (family_id, version);

-- Why an account is blocked: by an administrator, or for six months without use.
ALTER TABLE users
    ADD COLUMN blocked_reason text CHECK (blocked_reason IN ('admin', 'inactive')),
    ADD COLUMN working_hours text NOT NULL DEFAULT '',
    -- Sessions signed in before this moment end: a password set by link ends them.
    ADD COLUMN password_changed_at timestamptz;
UPDATE users SET blocked_reason = 'admin' WHERE blocked_at IS NOT NULL;

-- An organisation is found by its ИНН (access requests join an existing one).
CREATE UNIQUE INDEX organisations_inn_key ON organisations (inn) WHERE inn IS NOT NULL;

-- A request for access as appendix 2 of the manual describes it, filed online.
CREATE TABLE access_requests (
    id                  bigserial PRIMARY KEY,
    status              text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'approved', 'rejected')),
    org_name            text NOT NULL,
    org_short_name      text NOT NULL,
    org_kind            text NOT NULL,
    org_inn             text NOT NULL,
    org_ogrn            text NOT NULL DEFAULT '',
    contact_name        text NOT NULL,
    contact_email       text NOT NULL,
    purpose             text NOT NULL,
    letter_sha256       text NOT NULL REFERENCES blobs (sha256),
    letter_name         text NOT NULL,
    letter_size         bigint NOT NULL,
    created_at          timestamptz NOT NULL,
    decided_at          timestamptz,
    decided_by          bigint REFERENCES users (id),
    rejection_reason    text,
    organisation_id     bigint REFERENCES organisations (id)
);
CREATE INDEX access_requests_pending_idx ON access_requests (created_at) WHERE status = 'pending';

CREATE TABLE access_request_employees (
    id             bigserial PRIMARY KEY,
    request_id     bigint NOT NULL REFERENCES access_requests (id) ON DELETE CASCADE,
    position       integer NOT NULL,
    full_name      text NOT NULL,
    job_title      text NOT NULL,
    can_create     boolean NOT NULL,
    can_participate boolean NOT NULL,
    can_view       boolean NOT NULL,
    can_view_public boolean NOT NULL,
    snils          text NOT NULL,
    email          text NOT NULL,
    phone          text NOT NULL,
    working_hours  text NOT NULL,
    user_id        bigint REFERENCES users (id)
);

-- One-time links to set a password (a new account, or a forgotten password). Only the
-- SHA-256 of the token is kept.
CREATE TABLE password_links (
    id           bigserial PRIMARY KEY,
    token_sha256 text NOT NULL UNIQUE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose      text NOT NULL CHECK (purpose IN ('new_account', 'reset')),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);

-- Mail about accounts belongs to no notice; a mail holding a link loses its text once sent.
ALTER TABLE mail_outbox
    ALTER COLUMN notification_id DROP NOT NULL,
    ADD COLUMN holds_link boolean NOT NULL DEFAULT false;
