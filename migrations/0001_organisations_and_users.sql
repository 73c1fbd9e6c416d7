-- Organisations and their staff. Rights are four independent flags because the UI grants
-- them one by one (product spec §1); the head and administrator marks are separate flags
-- because neither implies any approval right.

CREATE TABLE organisations (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    short_name  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN (
                    'rso', 'network_owner', 'gati', 'kga', 'kb', 'kio', 'kgiop', 'kt', 'operator')),
    inn         text,
    ogrn        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id               bigserial PRIMARY KEY,
    organisation_id  bigint NOT NULL REFERENCES organisations (id),
    login            text NOT NULL,
    full_name        text NOT NULL,
    position         text NOT NULL DEFAULT '',
    email            text,
    phone            text NOT NULL DEFAULT '',
    snils            text,
    password_hash    text NOT NULL,
    can_create       boolean NOT NULL DEFAULT false,
    can_participate  boolean NOT NULL DEFAULT false,
    can_view         boolean NOT NULL DEFAULT false,
    can_view_public  boolean NOT NULL DEFAULT false,
    is_head          boolean NOT NULL DEFAULT false,
    is_admin         boolean NOT NULL DEFAULT false,
    blocked_at       timestamptz,
    last_seen_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- Logins are typed by people: compare them case-insensitively.
CREATE UNIQUE INDEX users_login_key ON users (lower(login));
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX users_organisation_idx ON users (organisation_id);
